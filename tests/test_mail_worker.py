"""Delivery of the outbox to a real SMTP server (aiosmtpd, tests/mailserver.py): once, with both
parts; again after the server was down; never when it refuses for good; never twice, even with
two workers at once; and not at all without SMTP settings."""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from app import worker as background
from app.cli import app as cli
from app.config import Settings
from app.db import Database
from app.mail import worker
from app.mail.outbox import enqueue
from app.models import OutboxMessage, OutboxState
from app.notifications import reminders
from tests.helpers import ENGINE, Clock
from tests.mailserver import MailServer

ROOT = Path(__file__).resolve().parent.parent
UNSUBSCRIBE = {
    "List-Unsubscribe": "<http://testserver/mail/unsubscribe/1.abc>",
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
}


def write(
    database: Database,
    clock: Clock,
    to: str = "maria@asean.test",
    subject: str = "Round DWG-FC/Rev.1 was issued",
    **more: object,
) -> int:
    with database.transaction() as s:
        message = enqueue(
            s,
            to=to,
            subject=subject,
            text=f"Dear Maria,\n\nRead it: http://testserver/rounds/1\n\n{subject}\n",
            html=f"<p>Dear Maria,</p><p><a href='http://testserver/rounds/1'>{subject}</a></p>",
            kind=str(more.pop("kind", "notification")),
            headers=dict(UNSUBSCRIBE),
            now=clock.now,
        )
        s.flush()
        return message.id


def stored(database: Database, message_id: int) -> OutboxMessage:
    with database.transaction(write=False) as s:
        found = s.get(OutboxMessage, message_id)
        assert found is not None
        return found


def deliver(database: Database, settings: Settings, clock: Clock) -> worker.Delivery:
    return worker.deliver_due(database, settings, clock)


def test_a_message_goes_once_with_a_text_and_an_html_part(
    database: Database, settings: Settings, clock: Clock, mail_server: MailServer
) -> None:
    smtp = mail_server.settings_for(settings, mail_from="ASEAN DWG <dwg@asean.test>")
    mid = write(database, clock)
    report = deliver(database, smtp, clock)
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    (got,) = mail_server.messages
    assert got.recipients == ["maria@asean.test"]
    assert got.sender == "dwg@asean.test"
    assert got.header("From") == "ASEAN DWG <dwg@asean.test>"
    assert got.subject == "Round DWG-FC/Rev.1 was issued"
    assert got.header("Message-ID") == (f"<zerodraft.{mid}.{clock.now:%Y%m%d%H%M%S%f}@asean.test>")
    assert got.header("Date") == "Mon, 02 Mar 2026 09:00:00 +0000"
    assert got.header("Auto-Submitted") == "auto-generated"
    assert got.header("List-Unsubscribe") == UNSUBSCRIBE["List-Unsubscribe"]
    assert got.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    assert got.message.get_content_type() == "multipart/alternative"
    assert "Read it: http://testserver/rounds/1" in got.text
    assert got.html is not None and "<a href='http://testserver/rounds/1'>" in got.html
    message = stored(database, mid)
    assert message.state is OutboxState.SENT
    assert (message.attempts, message.sent_at, message.last_error) == (1, clock.now, None)

    # Nothing is due any more: a second pass, later, sends nothing.
    clock.advance(hours=2)
    assert deliver(database, smtp, clock).sent == 0
    assert len(mail_server.messages) == 1


def test_server_down_then_back_delivers_exactly_once(
    database: Database, settings: Settings, clock: Clock, mail_server: MailServer
) -> None:
    smtp = mail_server.settings_for(settings)
    mail_server.stop()
    mid = write(database, clock)
    report = deliver(database, smtp, clock)
    assert (report.sent, report.retrying, report.failed) == (0, 1, 0)
    assert report.errors and "cannot reach the SMTP server 127.0.0.1" in report.errors[0]
    message = stored(database, mid)
    assert message.state is OutboxState.PENDING and message.attempts == 1
    assert message.next_attempt_at == clock.now + timedelta(minutes=1)
    assert message.last_error is not None and "cannot reach" in message.last_error

    mail_server.start()
    # Not yet due: the back-off holds it.
    assert deliver(database, smtp, clock).sent == 0
    assert mail_server.messages == []
    clock.advance(seconds=61)
    assert deliver(database, smtp, clock).sent == 1
    clock.advance(minutes=30)
    assert deliver(database, smtp, clock).sent == 0
    assert len(mail_server.to("maria@asean.test")) == 1
    message = stored(database, mid)
    assert message.state is OutboxState.SENT and message.attempts == 2
    assert message.last_error is None


def test_a_server_that_does_not_answer_holds_up_a_pass_once_not_per_batch(
    database: Database, settings: Settings, clock: Clock
) -> None:
    """A server that takes the connection but never greets (a firewall, a hung server) costs the
    timeout once per pass: the pass stops there, the rest waits for the next pass, and the round
    deadlines, reminders and digests of the next pass are not held up batch after batch."""
    ids = [write(database, clock, to=f"p{i}@asean.test") for i in range(3 * worker.BATCH)]
    with socket.create_server(("127.0.0.1", 0)) as silent:  # listens, never answers
        smtp = settings.model_copy(
            update={
                "smtp_host": "127.0.0.1",
                "smtp_port": silent.getsockname()[1],
                "smtp_starttls": False,
                "smtp_timeout_seconds": 0.5,
            }
        )
        started = time.monotonic()
        report = deliver(database, smtp, clock)
        took = time.monotonic() - started
    assert (report.sent, report.retrying, report.failed) == (0, worker.BATCH, 0)
    assert took < 1.5, f"the pass waited {took:.1f} s"
    attempts = [stored(database, i).attempts for i in ids]
    assert attempts == [1] * worker.BATCH + [0] * (2 * worker.BATCH)
    assert all(stored(database, i).state is OutboxState.PENDING for i in ids)


def test_an_hour_without_smtp_loses_nothing(
    database: Database, settings: Settings, clock: Clock, mail_server: MailServer
) -> None:
    smtp = mail_server.settings_for(settings)
    mail_server.stop()
    ids = [write(database, clock, to=f"p{i}@asean.test") for i in range(3)]
    start = clock.now
    while clock.now < start + timedelta(hours=1):  # a worker passing every 5 minutes
        deliver(database, smtp, clock)
        clock.advance(minutes=5)
    assert all(stored(database, i).state is OutboxState.PENDING for i in ids)
    mail_server.start()
    # Within the longest back-off (an hour) of the server coming back, all of it arrives.
    back = clock.now
    while clock.now < back + timedelta(hours=1) and len(mail_server.messages) < 3:
        deliver(database, smtp, clock)
        clock.advance(minutes=5)
    assert sorted(r for m in mail_server.messages for r in m.recipients) == [
        "p0@asean.test",
        "p1@asean.test",
        "p2@asean.test",
    ]
    assert all(stored(database, i).state is OutboxState.SENT for i in ids)


def test_a_refused_recipient_fails_at_once_and_the_rest_still_goes(
    database: Database, settings: Settings, clock: Clock, mail_server: MailServer
) -> None:
    smtp = mail_server.settings_for(settings)
    mail_server.refuse("gone@asean.test", 550, "5.1.1 <gone@asean.test>: user unknown")
    refused = write(database, clock, to="gone@asean.test")
    fine = write(database, clock, to="maria@asean.test")
    report = deliver(database, smtp, clock)
    assert (report.sent, report.retrying, report.failed) == (1, 0, 1)
    message = stored(database, refused)
    assert message.state is OutboxState.FAILED and message.attempts == 1
    assert message.last_error == (
        "gone@asean.test refused: 550 5.1.1 <gone@asean.test>: user unknown"
    )
    assert stored(database, fine).state is OutboxState.SENT
    # A failed message is not tried again by itself.
    clock.advance(days=1)
    assert deliver(database, smtp, clock).failed == 0
    assert mail_server.to("gone@asean.test") == []


def test_an_address_the_server_cannot_take_fails_and_the_rest_still_goes(
    database: Database, settings: Settings, clock: Clock, mail_server: MailServer
) -> None:
    mail_server.stop()
    mail_server.smtputf8 = False  # an older server: ASCII addresses only
    mail_server.start()
    international = write(database, clock, to="maría@asean.test")
    fine = write(database, clock)
    report = deliver(database, mail_server.settings_for(settings), clock)
    assert (report.sent, report.failed) == (1, 1)
    message = stored(database, international)
    assert message.state is OutboxState.FAILED
    assert message.last_error is not None and "SMTPUTF8" in message.last_error
    assert stored(database, fine).state is OutboxState.SENT


def test_a_message_refused_at_data_for_good_fails(
    database: Database, settings: Settings, clock: Clock, mail_server: MailServer
) -> None:
    mail_server.refuse_data(554, "5.7.1 Message rejected as spam")
    mid = write(database, clock)
    assert deliver(database, mail_server.settings_for(settings), clock).failed == 1
    message = stored(database, mid)
    assert message.state is OutboxState.FAILED
    assert message.last_error == "message refused: 554 5.7.1 Message rejected as spam"


def test_a_4xx_refusal_is_tried_again_later(
    database: Database, settings: Settings, clock: Clock, mail_server: MailServer
) -> None:
    smtp = mail_server.settings_for(settings)
    mail_server.refuse("maria@asean.test", 451, "4.7.1 Greylisted, try again later")
    mid = write(database, clock)
    for minutes in (1, 2, 4):  # the back-off doubles
        report = deliver(database, smtp, clock)
        assert (report.sent, report.retrying) == (0, 1)
        message = stored(database, mid)
        assert message.state is OutboxState.PENDING
        assert message.next_attempt_at == clock.now + timedelta(minutes=minutes)
        assert (
            message.last_error == "maria@asean.test refused: 451 4.7.1 Greylisted, try again later"
        )
        clock.now = message.next_attempt_at
    mail_server.accept("maria@asean.test")
    assert deliver(database, smtp, clock).sent == 1
    assert stored(database, mid).attempts == 4
    assert len(mail_server.messages) == 1


def test_gives_up_after_about_48_hours_of_trying(
    database: Database, settings: Settings, clock: Clock, mail_server: MailServer
) -> None:
    smtp = mail_server.settings_for(settings)
    mail_server.stop()
    mid = write(database, clock)
    start = clock.now
    for _ in range(100):
        deliver(database, smtp, clock)
        message = stored(database, mid)
        if message.state is OutboxState.FAILED:
            break
        clock.now = message.next_attempt_at
    assert message.state is OutboxState.FAILED
    assert timedelta(hours=47) < clock.now - start < timedelta(hours=49)
    assert message.attempts == worker.MAX_ATTEMPTS
    assert message.last_error is not None
    assert message.last_error.startswith(f"gave up after {worker.MAX_ATTEMPTS} attempts")


def test_a_worker_that_dies_after_claiming_leaves_the_message_to_the_next(
    database: Database, settings: Settings, clock: Clock, mail_server: MailServer
) -> None:
    smtp = mail_server.settings_for(settings)
    mid = write(database, clock)
    (claimed,) = worker.claim(database, smtp, clock.now)  # ... and the worker dies here
    assert claimed.id == mid and claimed.attempts == 1
    assert deliver(database, smtp, clock).sent == 0  # leased to the dead worker
    clock.advance(seconds=worker.lease(smtp).total_seconds() + 1)
    assert deliver(database, smtp, clock).sent == 1
    assert stored(database, mid).attempts == 2
    assert len(mail_server.messages) == 1


def test_starttls_and_log_in_as_configured(
    database: Database,
    settings: Settings,
    clock: Clock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = MailServer(tls_dir=tmp_path, login=("zerodraft", "s3cret-smtp"))
    server.start()
    try:
        assert server.cert_file is not None
        # The test's own certificate authority: the worker verifies the server as usual.
        monkeypatch.setenv("SSL_CERT_FILE", str(server.cert_file))
        wrong = server.settings_for(settings, smtp_password="wrong")
        mid = write(database, clock)
        report = deliver(database, wrong, clock)
        assert report.retrying == 1
        error = stored(database, mid).last_error
        assert error is not None and "refused the log-in of 'zerodraft'" in error
        assert "535" in error

        clock.advance(minutes=2)
        assert deliver(database, server.settings_for(settings), clock).sent == 1
        assert len(server.messages) == 1
    finally:
        server.stop()


def test_starttls_is_required_unless_turned_off(
    database: Database, settings: Settings, clock: Clock, mail_server: MailServer
) -> None:
    mid = write(database, clock)
    tls = mail_server.settings_for(settings, smtp_starttls=True)
    assert deliver(database, tls, clock).retrying == 1
    error = stored(database, mid).last_error
    assert error is not None and "does not offer STARTTLS" in error
    assert mail_server.messages == []


def test_without_smtp_settings_mail_stays_pending(
    database: Database, settings: Settings, clock: Clock
) -> None:
    assert not settings.mail_enabled
    ids = [write(database, clock), write(database, clock, kind="invitation")]
    for _ in range(3):
        done = background.run_once(database, settings, clock)
        assert done.delivery.held == 2
        assert done.delivery.held_line == (
            "mail: 2 message(s) kept in the outbox; set ZERODRAFT_SMTP_HOST to send them"
        )
        clock.advance(hours=30)
    for mid in ids:
        message = stored(database, mid)
        assert message.state is OutboxState.PENDING
        assert (message.attempts, message.last_error) == (0, None)


def _two_workers(db_url: str, smtp: Settings, clock: Clock) -> list[worker.Delivery]:
    """Two workers, each with its own engine as two processes would have, started at once."""
    databases = [Database(db_url), Database(db_url)]
    reports: list[worker.Delivery] = []
    go = threading.Barrier(2)

    def run(database: Database) -> None:
        go.wait()
        reports.append(worker.deliver_due(database, smtp, clock))

    threads = [threading.Thread(target=run, args=(d,)) for d in databases]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for d in databases:
        d.dispose()
    return reports


def test_two_workers_at_once_never_send_a_message_twice(
    database: Database, settings: Settings, clock: Clock, mail_server: MailServer
) -> None:
    ids = [write(database, clock, to=f"p{i}@asean.test") for i in range(60)]
    smtp = mail_server.settings_for(settings)
    reports = _two_workers(settings.effective_database_url, smtp, clock)
    assert len(reports) == 2
    assert sum(r.sent for r in reports) == 60
    if ENGINE == "postgresql":
        assert all(r.sent for r in reports), "both workers should have sent some"
    ids_seen = [m.header("Message-ID") for m in mail_server.messages]
    assert len(ids_seen) == 60 and len(set(ids_seen)) == 60
    with database.transaction(write=False) as s:
        states = s.scalars(select(OutboxMessage.state).where(OutboxMessage.id.in_(ids))).all()
        attempts = s.scalars(select(OutboxMessage.attempts)).all()
    assert set(states) == {OutboxState.SENT} and set(attempts) == {1}


@pytest.mark.postgres
def test_a_worker_passes_over_messages_another_has_locked(
    database: Database, settings: Settings, clock: Clock, mail_server: MailServer
) -> None:
    """FOR UPDATE SKIP LOCKED: while one worker holds the first messages (its claim not yet
    committed), another takes the next ones at once instead of waiting or taking the same."""
    ids = [write(database, clock, to=f"p{i}@asean.test") for i in range(4)]
    smtp = mail_server.settings_for(settings)
    holder = Database(settings.effective_database_url)
    other = Database(settings.effective_database_url)
    try:
        with holder.transaction() as s:
            s.execute(text("SET LOCAL lock_timeout = '2s'"))
            held = s.scalars(
                select(OutboxMessage.id)
                .order_by(OutboxMessage.id)
                .limit(2)
                .with_for_update(skip_locked=True)
            ).all()
            assert held == ids[:2]
            started = time.monotonic()
            taken = worker.claim(other, smtp, clock.now)
            assert time.monotonic() - started < 1.5
            assert [c.id for c in taken] == ids[2:]
    finally:
        holder.dispose()
        other.dispose()


def test_worker_once_sends_what_is_due_and_exits_0(
    db_url: str,
    database: Database,
    clock: Clock,
    mail_server: MailServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The command reads its clock from the system: the message is written "now".
    clock.now = clock.now.__class__.now(clock.now.tzinfo)
    write(database, clock)
    for name, value in {
        "ZERODRAFT_SMTP_HOST": "127.0.0.1",
        "ZERODRAFT_SMTP_PORT": str(mail_server.port),
        "ZERODRAFT_SMTP_STARTTLS": "false",
    }.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["worker", "--once", "--database", db_url])
    assert result.exit_code == 0, result.output
    assert "mail: 1 sent, 0 to be tried again, 0 failed" in result.stdout
    assert len(mail_server.messages) == 1
    result = CliRunner().invoke(cli, ["worker", "--once", "--database", db_url])
    assert result.exit_code == 0
    assert result.stderr == "nothing was due\n"
    assert len(mail_server.messages) == 1


def test_worker_once_without_smtp_says_where_the_mail_is(
    db_url: str, database: Database, clock: Clock
) -> None:
    clock.now = clock.now.__class__.now(clock.now.tzinfo)
    write(database, clock)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZERODRAFT_SMTP")}
    result = CliRunner(env=env).invoke(cli, ["worker", "--once", "--database", db_url])
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "mail: 1 message(s) kept in the outbox; set ZERODRAFT_SMTP_HOST to send them\n"
    )


def test_worker_once_on_a_database_it_cannot_reach_exits_1(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["worker", "--once", "--database", f"sqlite:///{tmp_path / 'empty.sqlite3'}"]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("error: database: no such table")
    assert "run `zerodraft db upgrade` first" in result.stderr


def test_the_worker_runs_until_sigterm_and_stops_cleanly(
    db_url: str, database: Database, clock: Clock, mail_server: MailServer
) -> None:
    """`zerodraft worker` as an operator runs it: a process that sends mail as it is written,
    and ends on SIGTERM with status 0."""
    env = os.environ | {
        "ZERODRAFT_DATABASE_URL": db_url,
        "ZERODRAFT_SMTP_HOST": "127.0.0.1",
        "ZERODRAFT_SMTP_PORT": str(mail_server.port),
        "ZERODRAFT_SMTP_STARTTLS": "false",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker", "--interval", "0.5"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        clock.now = clock.now.__class__.now(clock.now.tzinfo)
        write(database, clock)
        mail_server.wait_for(1, timeout=20)
        write(database, clock, to="second@asean.test")
        mail_server.wait_for(2, timeout=20)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("zerodraft worker on ") and "mail: SMTP 127.0.0.1:" in lines[0]
    sent = [re.search(r"mail: (\d+) sent, 0 to be tried again, 0 failed$", line) for line in lines]
    assert sum(int(m.group(1)) for m in sent if m) == 2
    assert lines[-1] == "worker stopped"
    assert len(mail_server.messages) == 2


def test_a_step_that_fails_does_not_hold_up_the_others(
    database: Database,
    settings: Settings,
    clock: Clock,
    mail_server: MailServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A fault in one step (here the reminders) is reported, and the mail still goes out:
    a password reset must not wait for a bug in the round reminders."""

    def broken(*_: object, **__: object) -> list[str]:
        raise ValueError("a round whose deadline cannot be read")

    monkeypatch.setattr(reminders, "send_deadline_reminders", broken)
    with database.transaction() as s:
        enqueue(
            s,
            to="someone@asean.test",
            subject="Reset",
            text="link",
            kind="password_reset",
            now=clock.now,
        )
    done = background.run_once(database, mail_server.settings_for(settings), clock)
    assert done.failures == ["reminders: a round whose deadline cannot be read"]
    assert "error: reminders: a round whose deadline cannot be read" in done.lines()
    assert [m.subject for m in mail_server.to("someone@asean.test")] == ["Reset"]
