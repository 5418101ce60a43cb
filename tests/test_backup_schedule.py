"""Backups on a schedule by the worker (issue 17): one per period however many workers run,
kept for the configured days, failures logged and counted without stopping the worker, listed
by `zerodraft backups`, and restored with `zerodraft restore` into an empty database that then
passes `zerodraft audit verify`. Time is the injected clock: nothing sleeps."""

import os
import shutil
import stat
import threading
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from app import worker
from app.audit.guard import open_database
from app.backup import schedule
from app.config import Settings
from app.db import Database
from app.models import SentReminder
from app.ops import metrics
from tests.factories import World
from tests.helpers import ENGINE, Clock, scratch_database
from tests.test_backup import dump
from tests.test_cli import zerodraft

# 09:00 UTC is 16:00 in Jakarta (UTC+7): the day's 02:00 backup is due.
FIRST = "zerodraft-2026-03-02-0200.zip"


def _scheduled(settings: Settings, folder: Path, **more: Any) -> Settings:
    return settings.model_copy(update={"backup_dir": folder, **more})


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _failures(step: str) -> float:
    return REGISTRY.get_sample_value("zerodraft_worker_failures_total", {"step": step}) or 0.0


def test_the_period_is_counted_on_the_groups_wall_clock() -> None:
    settings = Settings(mode="test", time_zone="Asia/Jakarta")
    daily = schedule.Schedule.of(_scheduled(settings, Path("b")))
    assert daily is not None
    # 01:59 in Jakarta on 3 March is still 2 March's period; 02:00 starts the next.
    assert daily.period(datetime(2026, 3, 2, 18, 59, tzinfo=UTC)) == datetime(2026, 3, 2, 2, 0)
    assert daily.period(datetime(2026, 3, 2, 19, 0, tzinfo=UTC)) == datetime(2026, 3, 3, 2, 0)
    assert daily.path(datetime(2026, 3, 3, 2, 0)) == Path("b/zerodraft-2026-03-03-0200.zip")
    six = schedule.Schedule.of(
        _scheduled(settings, Path("b"), backup_every_hours=6, backup_at="00:30")
    )
    assert six is not None
    assert six.period(datetime(2026, 3, 2, 7, 29, tzinfo=UTC)) == datetime(2026, 3, 2, 12, 30)
    assert six.period(datetime(2026, 3, 2, 17, 45, tzinfo=UTC)) == datetime(2026, 3, 3, 0, 30)
    assert schedule.Schedule.of(settings) is None  # no folder, no scheduled backups


def test_one_backup_per_period_however_many_workers_run(
    settings: Settings, database: Database, world: World, clock: Clock, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    scheduled = _scheduled(settings, folder)
    other = open_database(scheduled, pool_size=2)
    try:
        # Two workers pass at the same moment: one takes the backup, the other finds it taken.
        start = threading.Barrier(2)
        done: list[schedule.Run] = []

        def one_worker(db: Database) -> None:
            start.wait()
            done.append(schedule.run_due(db, scheduled, clock))

        threads = [threading.Thread(target=one_worker, args=(db,)) for db in (database, other)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(r.written is not None for r in done) == [False, True]
        assert _files(folder) == [FIRST]

        # Later the same day, and after a restart: nothing more.
        clock.advance(hours=9, minutes=59)  # 01:59 in Jakarta
        for db in (database, other):
            assert worker.run_once(db, scheduled, clock).backups.lines() == []
        clock.advance(minutes=1)  # 02:00: the next day's
        lines = worker.run_once(other, scheduled, clock).lines()
        assert lines == [
            f"backup written to {folder / 'zerodraft-2026-03-03-0200.zip'}: "
            f"{lines[0].split(': ')[1]}"
        ]
        assert worker.run_once(database, scheduled, clock).lines() == []
        assert _files(folder) == [FIRST, "zerodraft-2026-03-03-0200.zip"]
    finally:
        other.dispose()
    with database.transaction(write=False) as s:
        keys = s.scalars(select(SentReminder.key).order_by(SentReminder.key)).all()
    assert keys == [
        "backup:2026-03-02T02:00",
        "backup:2026-03-02T02:00:done",
        "backup:2026-03-03T02:00",
        "backup:2026-03-03T02:00:done",
    ]


def test_backups_past_their_days_are_deleted_but_the_newest_and_hand_made_ones_kept(
    settings: Settings, database: Database, world: World, clock: Clock, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    scheduled = _scheduled(settings, folder, backup_keep_days=2)
    folder.mkdir()
    (folder / "before-upgrade.zip").write_bytes(b"taken by hand, not a zip")
    for _ in range(4):
        worker.run_once(database, scheduled, clock)
        clock.advance(days=1)
    # Taken on 2, 3, 4 and 5 March at 09:00 UTC; on the 5th, those before the 3rd 09:00 go.
    assert _files(folder) == [
        "before-upgrade.zip",
        "zerodraft-2026-03-03-0200.zip",
        "zerodraft-2026-03-04-0200.zip",
        "zerodraft-2026-03-05-0200.zip",
    ]
    # Nothing taken for a month (the worker was stopped): the newest stays however old.
    clock.advance(days=30)
    schedule.prune(schedule.Schedule.of(scheduled), clock())  # type: ignore[arg-type]
    assert _files(folder) == ["before-upgrade.zip", "zerodraft-2026-03-05-0200.zip"]


def test_a_failed_backup_is_logged_counted_and_tried_again_later(
    settings: Settings,
    database: Database,
    world: World,
    clock: Clock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the folder should be")
    scheduled = _scheduled(settings, blocked / "backups")
    before = _failures("backups")
    done = worker.run_once(database, scheduled, clock)
    assert done.failures == [
        f"backups: cannot make the backup folder {blocked / 'backups'}: Not a directory"
    ]
    assert _failures("backups") == before + 1
    assert "worker step backups failed" in caplog.text
    # The other steps ran; the worker is not stopped (run_once returned). The claim stays, so
    # the next passes do not hammer a broken folder...
    blocked.unlink()
    clock.advance(minutes=29)
    assert worker.run_once(database, scheduled, clock).lines() == []
    # ... and half an hour after the failed attempt, the next pass tries again.
    clock.advance(minutes=1)
    assert worker.run_once(database, scheduled, clock).backups.written is not None
    assert _files(blocked / "backups") == [FIRST]
    # What IT alerts on: when the last backup was completed (the attempt's time, the clock's).
    last = REGISTRY.get_sample_value("zerodraft_backup_last_success_timestamp_seconds")
    assert last == clock().timestamp()


def _restore_and_check(source_url: str, target_url: str, backup: Path, anchor: Path) -> None:
    code, out, err = zerodraft("restore", str(backup), "--database", target_url)
    assert code == 0, err
    assert "audit chain verified" in out
    code, out, err = zerodraft("audit", "verify", "--database", target_url, "--anchor", str(anchor))
    assert code == 0, err
    assert "unbroken" in out
    restored, source = dump(target_url), dump(source_url)
    # The backup was taken before its period was marked done: the mark is all that differs.
    assert [row[0] for row in source.pop("sent_reminders")] == [
        "backup:2026-03-02T02:00",
        "backup:2026-03-02T02:00:done",
    ]
    assert [row[0] for row in restored.pop("sent_reminders")] == ["backup:2026-03-02T02:00"]
    assert restored == source
    assert len(restored["audit_events"]) >= 10 and len(restored["users"]) >= 5


def test_a_scheduled_backup_restores_into_an_empty_database_that_verifies(
    settings: Settings,
    database: Database,
    world: World,
    clock: Clock,
    tmp_path: Path,
    template_url: str,
) -> None:
    folder = tmp_path / "backups"
    scheduled = _scheduled(settings, folder)
    worker.run_once(database, scheduled, clock)
    backup = folder / FIRST
    source, anchor = settings.effective_database_url, settings.audit_anchor_path
    code, out, err = zerodraft("backups", "--dir", str(folder))
    assert code == 0, err
    assert out.startswith(f"{FIRST}  taken 2026-03-02 09:00 UTC  ") and "(scheduled)" in out

    # Into SQLite (on a PostgreSQL run: the other engine): an empty database as `zerodraft db
    # upgrade` leaves it (a copy of the migrated template, to save migrating it again) ...
    target = tmp_path / "restored.sqlite3"
    if template_url.startswith("sqlite:///"):
        shutil.copyfile(template_url.removeprefix("sqlite:///"), target)
    _restore_and_check(source, f"sqlite:///{target}", backup, anchor)
    # ... and on a PostgreSQL run, into a new PostgreSQL database (restore creates the schema).
    if ENGINE == "postgresql":
        for pg in scratch_database("scheduled_restore"):
            _restore_and_check(source, pg, backup, anchor)


def test_the_backups_command_lists_what_exists(
    settings: Settings,
    database: Database,
    world: World,
    clock: Clock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "backups"
    worker.run_once(database, _scheduled(settings, folder), clock)
    code, _, err = zerodraft(
        "backup", str(folder / "by-hand.zip"), "--database", settings.effective_database_url
    )
    assert code == 0, err
    (folder / "broken.zip").write_bytes(b"PK not really")
    monkeypatch.setenv("ZERODRAFT_BACKUP_DIR", str(folder))
    code, out, err = zerodraft("backups")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("broken.zip  13 bytes  UNREADABLE: ")
    assert lines[1].startswith(f"{FIRST}  taken 2026-03-02 09:00 UTC  ")
    assert lines[1].endswith("(scheduled)") and " rows  schema " in lines[1]
    assert lines[2].startswith("by-hand.zip  taken ") and lines[2].endswith("(by hand)")
    assert "schedule: daily at 02:00 (Asia/Jakarta) into" in err and "kept 14 days" in err

    monkeypatch.delenv("ZERODRAFT_BACKUP_DIR")
    code, _, err = zerodraft("backups")
    assert code == 1 and "no backup folder: set ZERODRAFT_BACKUP_DIR or give --dir" in err
    code, _, err = zerodraft("backups", "--dir", str(tmp_path / "nowhere"))
    assert code == 1 and f"no backup folder {tmp_path / 'nowhere'}" in err


def test_the_schedule_settings_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZERODRAFT_BACKUP_AT", "25:00")
    code, _, err = zerodraft("backups", "--dir", ".")
    assert code == 1
    assert "ZERODRAFT_BACKUP_AT: '25:00' is not a time of day as HH:MM (e.g. 02:00)" in err
    monkeypatch.setenv("ZERODRAFT_BACKUP_AT", "2:05")
    monkeypatch.setenv("ZERODRAFT_BACKUP_EVERY_HOURS", "0")
    code, _, err = zerodraft("backups", "--dir", ".")
    assert code == 1 and "ZERODRAFT_BACKUP_EVERY_HOURS" in err
    monkeypatch.delenv("ZERODRAFT_BACKUP_EVERY_HOURS")
    assert Settings(backup_dir="").backup_dir is None
    assert Settings().backup_at == "02:05"


def test_an_abandoned_backup_is_taken_over_by_one_worker_only(
    settings: Settings, database: Database, world: World, clock: Clock, tmp_path: Path
) -> None:
    """A worker stopped half-way through a backup leaves its claim without the done mark; two
    workers finding it stale at once: one takes it over, the other leaves it."""
    folder = tmp_path / "backups"
    scheduled = _scheduled(settings, folder)
    with database.transaction(write=True) as s:
        s.add(SentReminder(key="backup:2026-03-02T02:00", sent_at=clock() - timedelta(minutes=31)))
    other = open_database(scheduled, pool_size=2)
    try:
        start = threading.Barrier(2)
        done: list[schedule.Run] = []

        def one_worker(db: Database) -> None:
            start.wait()
            done.append(schedule.run_due(db, scheduled, clock))

        threads = [threading.Thread(target=one_worker, args=(db,)) for db in (database, other)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        other.dispose()
    assert sorted(r.written is not None for r in done) == [False, True]
    assert _files(folder) == [FIRST]


def test_a_file_the_keeping_cannot_delete_fails_neither_the_backup_nor_the_keeping(
    settings: Settings,
    database: Database,
    world: World,
    clock: Clock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A folder named like a half-written backup (anything unlink refuses) is logged and left:
    the backup just written counts as done and the old ones are still deleted."""
    folder = tmp_path / "backups"
    stuck = folder / "zerodraft-2026-01-01-0200.zip.0badcafe.partial"
    stuck.mkdir(parents=True)
    os.utime(stuck, (0, 0))
    scheduled = _scheduled(settings, folder, backup_keep_days=1)
    for _ in range(3):
        done = worker.run_once(database, scheduled, clock)
        assert done.failures == []
        assert done.backups.written is not None
        clock.advance(days=1)
    assert _files(folder) == [
        "zerodraft-2026-01-01-0200.zip.0badcafe.partial",
        "zerodraft-2026-03-03-0200.zip",
        "zerodraft-2026-03-04-0200.zip",
    ]
    assert f"cannot delete {stuck}" in caplog.text
    last = REGISTRY.get_sample_value("zerodraft_backup_last_success_timestamp_seconds")
    assert last == (clock() - timedelta(days=1)).timestamp()


def test_a_periods_file_that_exists_is_never_replaced(
    settings: Settings,
    database: Database,
    world: World,
    clock: Clock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Yesterday's backup restored today takes the claims with it: the next pass takes today's
    backup again, and must not overwrite the file holding today's earlier (newer) state."""
    folder = tmp_path / "backups"
    scheduled = _scheduled(settings, folder, backup_keep_days=1)
    assert worker.run_once(database, scheduled, clock).backups.written is not None
    earlier = (folder / FIRST).read_bytes()
    with database.transaction(write=True) as s:  # as a restore of an older backup leaves it
        s.query(SentReminder).filter(SentReminder.key.startswith("backup:")).delete()
    done = worker.run_once(database, scheduled, clock)
    assert done.failures == []
    assert done.backups.written is not None
    assert done.backups.written.path == folder / "zerodraft-2026-03-02-0200-2.zip"
    assert (folder / FIRST).read_bytes() == earlier
    assert f"{folder / FIRST} exists already" in caplog.text
    # Both are scheduled backups: listed as such, and kept and deleted like the others.
    assert [b.scheduled for b in schedule.listing(folder)] == [True, True]
    clock.advance(days=3)
    assert sorted(worker.run_once(database, scheduled, clock).backups.deleted) == [
        folder / "zerodraft-2026-03-02-0200-2.zip",
        folder / FIRST,
    ]


def test_backups_are_readable_by_their_owner_alone_whatever_the_umask(
    settings: Settings, database: Database, world: World, clock: Clock, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    previous = os.umask(0o022)
    try:
        done = worker.run_once(database, _scheduled(settings, folder), clock)
    finally:
        os.umask(previous)
    assert done.backups.written is not None
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / FIRST).stat().st_mode) == 0o600


def test_a_restarted_worker_reports_the_last_backup_any_worker_completed(
    settings: Settings, database: Database, world: World, clock: Clock, tmp_path: Path
) -> None:
    """The alert on the last-success gauge must not fire because a worker was restarted."""
    scheduled = _scheduled(settings, tmp_path / "backups")
    assert worker.run_once(database, scheduled, clock).backups.written is not None
    taken = clock().timestamp()
    metrics.BACKUP_LAST_SUCCESS.set(0)  # a new process: nothing in its memory
    clock.advance(hours=1)
    assert worker.run_once(database, scheduled, clock).backups.written is None
    last = REGISTRY.get_sample_value("zerodraft_backup_last_success_timestamp_seconds")
    assert last == taken


def test_the_keeping_ignores_a_backup_dated_in_the_future_and_a_huge_manifest(
    settings: Settings, database: Database, world: World, clock: Clock, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    scheduled = _scheduled(settings, folder, backup_keep_days=1)
    assert worker.run_once(database, scheduled, clock).backups.written is not None
    # A copy whose manifest says 2099: it must not count as the newest one kept.
    future = folder / "zerodraft-2099-01-01-0200.zip"
    with zipfile.ZipFile(folder / FIRST) as source, zipfile.ZipFile(future, "w") as copy:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "manifest.json":
                data = data.replace(b'"created_at": "2026-', b'"created_at": "2099-')
            copy.writestr(item, data)
    huge = folder / "zerodraft-2026-03-01-0200.zip"
    with zipfile.ZipFile(huge, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", b" " * (2 * 1024 * 1024))
    assert "manifest is over" in str(schedule._read(huge).problem)
    clock.advance(days=3)
    done = worker.run_once(database, scheduled, clock)
    assert done.backups.deleted == [folder / FIRST]
    assert _files(folder) == [
        "zerodraft-2026-03-01-0200.zip",
        "zerodraft-2026-03-05-0200.zip",
        "zerodraft-2099-01-01-0200.zip",
    ]
    hourly = schedule.Schedule.of(_scheduled(settings, folder, backup_every_hours=1))
    assert hourly is not None
    assert hourly.describe().startswith("every 1 hour from")
