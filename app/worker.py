"""All background work, in passes: `zerodraft worker` runs a pass every few seconds,
`zerodraft worker --once` runs one and exits.

A pass, in this order, so that what one step writes the next sends at once:

1. round deadlines: close rounds past their input deadline, adopt texts whose silence procedure
   ended unbroken (what `zerodraft rounds tick` does), telling the group;
2. deadline reminders, 48 and 24 hours before an open round's deadline, and 48 hours before an
   open rating round's to those of its panel who have not rated every indicator;
3. notification mail: one mail per notification, or the daily and weekly digests that are due;
4. delivery of the outbox over SMTP;
5. the scheduled backup, when one is due (app/backup/schedule.py), last: a slow backup never
   holds up the mail.

Every step is safe to run in several workers at once, and twice: each writes in transactions
that take what they work on (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the write lock on SQLite)
or insert a key that can only be inserted once (app/notifications/reminders.py, and the period
of a scheduled backup). A step that fails is logged and counted
(zerodraft_worker_failures{step=...}); the others run all the same and the worker goes on.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import DBAPIError

from app.backup import schedule as backup_schedule
from app.config import Settings
from app.db import Database
from app.mail import digest, worker
from app.notifications import reminders
from app.ops import metrics as ops_metrics
from app.rating import service as rating_service
from app.rounds import service as rounds

log = logging.getLogger("zerodraft.worker")

REQUEST_ID = "worker"
Clock = Callable[[], datetime]


@dataclass(slots=True)
class Pass:
    """What one pass did."""

    rounds: list[str] = field(default_factory=list)
    reminders: list[str] = field(default_factory=list)
    mailing: digest.Mailing = field(default_factory=digest.Mailing)
    delivery: worker.Delivery = field(default_factory=worker.Delivery)
    backups: backup_schedule.Run = field(default_factory=backup_schedule.Run)
    # Steps that failed, one line each: the other steps ran all the same.
    failures: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """What the pass did (not the mail it keeps for want of SMTP settings)."""
        return [
            *self.rounds,
            *(f"reminder: {line}" for line in self.reminders),
            *self.mailing.lines(),
            *self.delivery.lines(),
            *self.backups.lines(),
            *(f"error: {line}" for line in self.failures),
        ]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def run_once(
    database: Database,
    settings: Settings,
    clock: Clock,
    *,
    stop: threading.Event | None = None,
) -> Pass:
    """One pass of everything that is due now."""
    done = Pass()

    def tick() -> None:
        with database.transaction(write=True) as session:
            done.rounds = rounds.tick(session, clock(), request_id=REQUEST_ID)

    def remind() -> None:
        with database.transaction(write=True) as session:
            done.reminders = reminders.send_deadline_reminders(session, clock())

    def remind_panels() -> None:
        with database.transaction(write=True) as session:
            done.reminders += rating_service.send_due_reminders(
                session, clock(), base_url=str(settings.base_url)
            )

    def mail() -> None:
        done.mailing = digest.mail_notifications(database, settings, clock())

    def deliver() -> None:
        done.delivery = worker.deliver_due(database, settings, clock, stop=stop)

    def back_up() -> None:
        done.backups = backup_schedule.run_due(database, settings, clock)
        if done.backups.written is not None:
            ops_metrics.BACKUP_LAST_SUCCESS.set(done.backups.written.created_at.timestamp())
        elif settings.backup_dir is not None:
            # From the database: a worker just started (or one that never took the backup)
            # reports the last one any worker completed, not 0.
            last = backup_schedule.last_done(database)
            if last is not None:
                ops_metrics.BACKUP_LAST_SUCCESS.set(last.timestamp())

    # Each step on its own: one that fails (a fault in a round's data, say) must not hold up
    # the others, least of all the delivery of a password reset.
    for name, step in (
        ("round deadlines", tick),
        ("reminders", remind),
        ("rating round reminders", remind_panels),
        ("notification mail", mail),
        ("delivery", deliver),
        ("backups", back_up),
    ):
        try:
            step()
        except DBAPIError:
            raise  # the database itself: every step would fail; the pass ends, and says why
        except Exception as exc:
            log.exception("worker step %s failed", name)
            done.failures.append(f"{name}: {_first_line(exc)}")
    ops_metrics.worker_pass(done.failures)
    return done


def run(
    database: Database,
    settings: Settings,
    clock: Clock,
    *,
    stop: threading.Event,
    interval: float,
    report: Callable[[str], None],
) -> None:
    """Passes every `interval` seconds until `stop` is set. A pass that fails (the database
    away, say) is reported and the next one tries again: the worker keeps running."""
    held = None
    metrics = ops_metrics.serve_for_worker(settings.worker_metrics_port, settings.metrics_token)
    while not stop.is_set():
        try:
            done = run_once(database, settings, clock, stop=stop)
        except DBAPIError as exc:
            ops_metrics.worker_pass(["database"])
            report(f"error: database: {str(exc.orig or exc).strip().splitlines()[0]}; retrying")
        except Exception:  # any other fault of one pass must not end the worker
            ops_metrics.worker_pass(["pass"])
            log.exception("worker pass failed")
            report("error: the pass failed (see the log); retrying")
        else:
            for line in done.lines():
                report(line)
            # Mail kept for want of SMTP settings is said once, and again when the count changes.
            if done.delivery.held_line and done.delivery.held != held:
                report(done.delivery.held_line)
            held = done.delivery.held
        stop.wait(interval)
    if metrics is not None:
        metrics.shutdown()
        metrics.server_close()
