"""Backups on a schedule, taken by the worker (`zerodraft worker`), and the list of what exists.

With ZERODRAFT_BACKUP_DIR set, the worker takes a backup (app/backup/service.py, the same file
as `zerodraft backup`) once per period: daily at ZERODRAFT_BACKUP_AT (02:00 in the group's time
zone) by default, or every ZERODRAFT_BACKUP_EVERY_HOURS counted from that time. A period's
backup is taken as soon as a worker runs within it, named after the period's start:
`zerodraft-2026-03-02-0200.zip`. After each backup, scheduled backups older than
ZERODRAFT_BACKUP_KEEP_DAYS are deleted, the newest always kept; files of other names (a backup
taken by hand) are never deleted.

Exactly one worker takes a period's backup, however many run: it first inserts the period's
key into sent_reminders (an insert that does nothing when the key is there, as for the deadline
reminders), committed before the backup starts, and writes a second key, `...:done`, once the
file is complete. A backup that failed, or whose worker stopped half-way, leaves the first key
without the second: RETRY_AFTER after it was claimed, the next worker to pass claims it again
(an update that only one can make) and tries again.
"""

import logging
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.backup import service
from app.config import Settings
from app.db import Database
from app.errors import InvalidInput
from app.models import SentReminder

log = logging.getLogger("zerodraft.backup")

PREFIX = "zerodraft-"
# A period's file, or `...-0200-2.zip` when that name was taken (never replaced: see run_due).
SCHEDULED_NAME = re.compile(r"^zerodraft-\d{4}-\d{2}-\d{2}-\d{4}(?:-\d+)?\.zip$")
RETRY_AFTER = timedelta(minutes=30)
KEY_PREFIX = "backup:"
DONE = ":done"
# Periods are counted from this day at the configured time of day, on the wall clock.
EPOCH = date(2000, 1, 1)
Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class Schedule:
    folder: Path
    every: timedelta
    at: time
    zone: ZoneInfo
    keep: timedelta

    @classmethod
    def of(cls, settings: Settings) -> "Schedule | None":
        """The schedule the settings ask for; None without ZERODRAFT_BACKUP_DIR."""
        if settings.backup_dir is None:
            return None
        return cls(
            folder=settings.backup_dir,
            every=timedelta(hours=settings.backup_every_hours),
            at=settings.backup_time,
            zone=settings.zone,
            keep=timedelta(days=settings.backup_keep_days),
        )

    def period(self, now: datetime) -> datetime:
        """The start of the period `now` is in, on the group's wall clock (naive)."""
        local = now.astimezone(self.zone).replace(tzinfo=None)
        start = datetime.combine(EPOCH, self.at)
        return start + ((local - start) // self.every) * self.every

    def path(self, period: datetime) -> Path:
        return self.folder / f"{PREFIX}{period:%Y-%m-%d-%H%M}.zip"

    def describe(self) -> str:
        often = (
            f"daily at {self.at:%H:%M}"
            if self.every == timedelta(days=1)
            else f"every {self.every.total_seconds() / 3600:g} hour"
            f"{'' if self.every == timedelta(hours=1) else 's'} from {self.at:%H:%M}"
        )
        return f"{often} ({self.zone.key}) into {self.folder}, kept {self.keep.days} days"


def _key(period: datetime) -> str:
    return f"{KEY_PREFIX}{period:%Y-%m-%dT%H:%M}"


def _insert_once(session: Session, key: str, now: datetime) -> bool:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    inserted = session.scalar(
        insert(SentReminder)
        .values(key=key, sent_at=now)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(SentReminder.key)
    )
    return inserted is not None


def claim(session: Session, period: datetime, now: datetime) -> bool:
    """Whether this worker is to take the period's backup: nobody claimed it yet, or the claim
    is older than RETRY_AFTER and its backup was never completed."""
    key = _key(period)
    if _insert_once(session, key, now):
        return True
    found = dict(
        session.execute(
            select(SentReminder.key, SentReminder.sent_at).where(
                SentReminder.key.in_([key, key + DONE])
            )
        ).all()
    )
    claimed_at = found.get(key)
    if key + DONE in found or claimed_at is None or now - claimed_at < RETRY_AFTER:
        return False
    # Only one of the workers that find it stale moves the claim to now.
    taken = session.execute(
        update(SentReminder)
        .where(SentReminder.key == key, SentReminder.sent_at == claimed_at)
        .values(sent_at=now)
    )
    return bool(taken.rowcount)  # type: ignore[attr-defined]


@dataclass(slots=True)
class Run:
    """What one worker pass did about backups."""

    written: service.BackupSummary | None = None
    deleted: list[Path] = field(default_factory=list)
    keep_days: int = 0

    def lines(self) -> list[str]:
        lines = []
        if self.written is not None:
            lines.append(
                f"backup written to {self.written.path}: {self.written.rows} rows in "
                f"{len(self.written.tables)} tables"
            )
        lines += [f"backup deleted (older than {self.keep_days} days): {p}" for p in self.deleted]
        return lines


def run_due(database: Database, settings: Settings, clock: Clock) -> Run:
    """Take this period's backup if no worker has, then delete those past keeping. Raises what
    the backup raises (the claim stays, to be tried again after RETRY_AFTER)."""
    schedule = Schedule.of(settings)
    if schedule is None:
        return Run()
    now = clock()
    period = schedule.period(now)
    with database.transaction(write=True) as session:
        if not claim(session, period, now):
            return Run()
    path = schedule.path(period)
    try:
        # Its owner's alone, as the files in it (a folder that exists is left as it is).
        schedule.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInput(
            f"cannot make the backup folder {schedule.folder}: {exc.strerror or exc}"
        ) from exc
    # Never replace a file of that name (say the worker's own, restored to roll back a day, with
    # its claim gone with the rows): the backup then goes beside it, suffixed.
    written = service.backup(settings.effective_database_url, path, now=now, replace=False)
    with database.transaction(write=True) as session:
        _insert_once(session, _key(period) + DONE, clock())
    if written.path != path:
        log.warning("%s exists already: backup written to %s instead", path, written.path)
    log.info("backup written to %s (%d rows)", written.path, written.rows)
    return Run(written, prune(schedule, clock()), schedule.keep.days)


def last_done(database: Database) -> datetime | None:
    """When the newest scheduled backup was completed, by any worker: what the last-success
    gauge reports, so that a restarted worker does not read 0 (and fire the alert)."""
    with database.transaction(write=False) as session:
        last = session.scalar(
            select(func.max(SentReminder.sent_at)).where(
                SentReminder.key.startswith(KEY_PREFIX, autoescape=True),
                SentReminder.key.endswith(DONE, autoescape=True),
            )
        )
    return None if last is None else last.replace(tzinfo=last.tzinfo or UTC)


# --- What exists ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Listed:
    """One backup file in the folder."""

    path: Path
    size: int
    created_at: datetime | None  # from its manifest; None if it cannot be read
    rows: int | None
    schema_revision: str | None
    problem: str | None

    @property
    def scheduled(self) -> bool:
        return bool(SCHEDULED_NAME.match(self.path.name))


def _read(path: Path) -> Listed:
    size = path.stat().st_size
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = service.read_manifest(archive)
        created = datetime.fromisoformat(manifest["created_at"]).astimezone(UTC)
        rows = sum(int(t["rows"]) for t in manifest["tables"])
        return Listed(path, size, created, rows, str(manifest["schema_revision"]), None)
    except InvalidInput as exc:
        return Listed(path, size, None, None, None, exc.detail)
    except (zipfile.BadZipFile, OSError, KeyError, TypeError, ValueError) as exc:
        return Listed(path, size, None, None, None, f"cannot be read ({exc})")


def listing(folder: Path) -> list[Listed]:
    """Every backup (.zip) in the folder, oldest first (unreadable ones first of all)."""
    if not folder.is_dir():
        raise InvalidInput(f"no backup folder {folder}")
    found = [_read(p) for p in folder.glob("*.zip") if p.is_file()]
    oldest = datetime.min.replace(tzinfo=UTC)
    return sorted(found, key=lambda b: (b.created_at or oldest, b.path.name))


def prune(schedule: Schedule, now: datetime) -> list[Path]:
    """Delete the scheduled backups taken more than `keep` before `now`, never the newest one,
    and files left half-written by a backup that stopped; the paths deleted."""
    # One dated in the future (a clock set wrong, a file copied in) is left alone: counted as
    # the newest, it would have every real backup deleted as it aged.
    scheduled = [
        b
        for b in listing(schedule.folder)
        if b.scheduled and b.created_at is not None and b.created_at <= now
    ]
    newest = scheduled[-1].path if scheduled else None
    deleted: list[Path] = []
    for listed in scheduled:
        assert listed.created_at is not None
        old = listed.path != newest and listed.created_at < now - schedule.keep
        if old and _delete(listed.path):
            deleted.append(listed.path)
    for partial in schedule.folder.glob(f"{PREFIX}*.partial"):
        try:
            written = datetime.fromtimestamp(partial.lstat().st_mtime, UTC)
        except OSError:
            continue  # gone meanwhile (its writer renamed it into place)
        if written < now - RETRY_AFTER:
            _delete(partial)
    return deleted


def _delete(path: Path) -> bool:
    """Delete one file; one that cannot be deleted (a folder of that name, no permission) is
    logged and left, so that it never fails the backup just written nor stops the keeping."""
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("cannot delete %s: %s", path, exc.strerror or exc)
        return False
    return True
