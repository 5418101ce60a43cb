"""Delivery of the outbox over SMTP, without losing a message and without sending one twice.

Each due message goes through three steps, each short and on its own:

1. **Claim**, in one write transaction: up to a batch of due messages (pending, next attempt
   passed), taken on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so that workers running at once
   take different messages (on SQLite the write transaction, BEGIN IMMEDIATE, makes them take
   turns). The claim counts the attempt and leases the message: its next attempt moves a lease
   ahead, so a worker that dies holding it leaves it to be taken again when the lease ends.
2. **Send**, outside any transaction, over one SMTP connection for the batch (STARTTLS and
   log-in as configured).
3. **Record** the outcome, one short transaction per message: sent; or, when the server is
   down, times out or answers 4xx, tried again after a back-off (1, 2, 4 ... minutes, at most an
   hour); or failed at once when the server refuses the recipient or the message for good (5xx),
   and failed after about 48 hours of trying. A failed message waits on the outbox page
   (/admin/outbox), where the admin reads the error and may send it again.

The one window in which a mail can go out twice is a worker dying after the server accepted it
and before step 3: it is sent again when the lease ends, with the same Message-ID, which mail
programs use to show it once. Nothing is ever lost.

Without SMTP settings (ZERODRAFT_SMTP_HOST empty) nothing is claimed: messages stay pending in
the outbox, where the admin can read them, and go out once SMTP is configured.
"""

import logging
import smtplib
import ssl
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, parseaddr
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select, update

from app.config import Settings
from app.db import Database
from app.models import OutboxMessage, OutboxState

log = logging.getLogger("zerodraft.mail")

BATCH = 10
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)
GIVE_UP_AFTER = timedelta(hours=48)
Clock = Callable[[], datetime]


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: 1, 2, 4 ... minutes, at most
    an hour."""
    doublings = min(max(attempts - 1, 0), 16)  # far past the cap, never overflowing
    return min(FIRST_RETRY * (1 << doublings), LONGEST_WAIT)


def _attempts_in(window: timedelta) -> int:
    total, attempts = timedelta(0), 0
    while total < window:
        attempts += 1
        total += backoff(attempts)
    return attempts


# Attempts in ~48 hours of trying (53): counted, not timed, so that time the worker was not
# running, or mail was not configured, never counts against a message.
MAX_ATTEMPTS = _attempts_in(GIVE_UP_AFTER)


def lease(settings: Settings) -> timedelta:
    """How long a claimed message is left to its worker: longer than a batch can take to send
    (every step of the SMTP exchange may take up to the timeout)."""
    return max(timedelta(minutes=10), timedelta(seconds=4 * settings.smtp_timeout_seconds * BATCH))


@dataclass(frozen=True, slots=True)
class Claimed:
    """A message taken for one delivery attempt (a copy: no database session is held while
    the SMTP server is talked to)."""

    id: int
    attempts: int
    to: str
    subject: str
    text: str
    html: str | None
    headers: dict[str, Any]
    created_at: datetime


@dataclass(slots=True)
class Delivery:
    """What one pass over the outbox did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    held: int = 0  # pending messages left in the outbox because SMTP is not configured
    errors: list[str] = field(default_factory=list)

    @property
    def held_line(self) -> str | None:
        if not self.held:
            return None
        return (
            f"mail: {self.held} message(s) kept in the outbox; set ZERODRAFT_SMTP_HOST to send them"
        )

    def lines(self) -> list[str]:
        """What was sent or tried (not what is held)."""
        out = []
        if self.sent or self.retrying or self.failed:
            out.append(
                f"mail: {self.sent} sent, {self.retrying} to be tried again, {self.failed} failed"
            )
        out += [f"mail: {e}" for e in dict.fromkeys(self.errors)]
        return out


# --- 1. Claim -------------------------------------------------------------------------------


def claim(
    database: Database, settings: Settings, now: datetime, size: int = BATCH
) -> list[Claimed]:
    """Take up to `size` due messages for this worker, in one short transaction."""
    with database.transaction(write=True) as session:
        messages = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(size)
            # PostgreSQL: rows another worker holds are passed over, not waited for. SQLite
            # has no row locks (nothing is rendered); its write transaction serialises workers.
            .with_for_update(skip_locked=True)
        ).all()
        until = now + lease(settings)
        claimed = []
        for m in messages:
            m.attempts += 1
            m.next_attempt_at = until
            claimed.append(
                Claimed(
                    m.id,
                    m.attempts,
                    m.to_address,
                    m.subject,
                    m.text_body,
                    m.html_body,
                    dict(m.headers or {}),
                    m.created_at,
                )
            )
        return claimed


# --- 2. Send --------------------------------------------------------------------------------


def _domain(settings: Settings) -> str:
    address = parseaddr(settings.mail_from)[1]
    return address.rpartition("@")[2] or urlsplit(settings.base_url).hostname or "localhost"


class _MailPolicy(EmailPolicy):
    """Python's default policy, except that the List-* headers (RFC 2369, 8058) are written as
    they are, on one line. Their value is a URL in angle brackets, with no space to fold at, and
    the default folds such a header into RFC 2047 encoded words (=?utf-8?q?=3Chttps...), which
    mail programs do not decode there: they would offer no one-click unsubscribe."""

    def _plain(self, name: str, value: Any) -> str | None:
        line = f"{name}: {value}"
        if name.lower().startswith("list-") and line.isascii() and len(line) <= 998:
            return line + self.linesep
        return None

    def fold(self, name: str, value: Any) -> str:
        return self._plain(name, value) or super().fold(name, value)

    def fold_binary(self, name: str, value: Any) -> bytes:
        plain = self._plain(name, value)
        return plain.encode("ascii") if plain else super().fold_binary(name, value)


MAIL_POLICY = _MailPolicy()


def build(message: Claimed, settings: Settings) -> EmailMessage:
    """The mail as it goes out: a plain-text part, and the HTML part as its alternative."""
    mail = EmailMessage(policy=MAIL_POLICY)
    mail["From"] = settings.mail_from
    mail["To"] = message.to
    mail["Subject"] = message.subject
    # When it was written, and an identity that stays the same on every attempt.
    mail["Date"] = format_datetime(message.created_at)
    stamp = f"{message.created_at:%Y%m%d%H%M%S%f}"
    mail["Message-ID"] = f"<zerodraft.{message.id}.{stamp}@{_domain(settings)}>"
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no automatic replies to it
    for name, value in message.headers.items():
        del mail[name]
        mail[name] = str(value)
    mail.set_content(message.text)
    if message.html:
        mail.add_alternative(message.html, subtype="html")
    return mail


class Permanent(Exception):
    """The server refused this message for good: trying again would not help."""


class RetryLater(Exception):
    """A refusal that may pass (4xx), on a connection that is still usable."""


class Unreachable(Exception):
    """The SMTP server cannot be used now (down, timing out, refusing the log-in or TLS)."""


def _refusal(exc: smtplib.SMTPRecipientsRefused) -> tuple[bool, str]:
    """Whether every recipient was refused for good (5xx), and what the server said."""
    codes = []
    said = []
    for address, (code, text) in exc.recipients.items():
        codes.append(code)
        reason = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
        said.append(f"{address} refused: {code} {reason}")
    return bool(codes) and all(code >= 500 for code in codes), "; ".join(said)


def _said(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error
    reason = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return f"{exc.smtp_code} {reason}"


class Connection:
    """One SMTP session for a batch: opened on first use, closed at the end."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        where = f"{s.smtp_host}:{s.smtp_port}"
        try:
            smtp = smtplib.SMTP(
                s.smtp_host,
                s.smtp_port,
                # The name given in EHLO: the app's own host, not a (possibly slow) DNS lookup.
                local_hostname=urlsplit(s.base_url).hostname or "localhost",
                timeout=s.smtp_timeout_seconds,
            )
        except (OSError, smtplib.SMTPException) as exc:
            raise Unreachable(f"cannot reach the SMTP server {where}: {exc}") from exc
        try:
            if s.smtp_starttls:
                try:
                    smtp.starttls(context=ssl.create_default_context())
                except smtplib.SMTPNotSupportedError as exc:
                    raise Unreachable(
                        f"the SMTP server {where} does not offer STARTTLS; set "
                        "ZERODRAFT_SMTP_STARTTLS=false only if it is on a trusted network"
                    ) from exc
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password)
        except Unreachable:
            smtp.close()
            raise
        except smtplib.SMTPAuthenticationError as exc:
            smtp.close()
            raise Unreachable(
                f"the SMTP server {where} refused the log-in of {s.smtp_username!r}: "
                f"{_said(exc)}; check ZERODRAFT_SMTP_USERNAME and ZERODRAFT_SMTP_PASSWORD"
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            smtp.close()
            raise Unreachable(f"SMTP server {where}: {exc}") from exc
        return smtp

    def send(self, message: Claimed) -> None:
        """Deliver one message. Raises Permanent when it is refused for good, Unreachable
        when the server cannot be used (the connection is then dropped), and any other error
        for a failure that may pass."""
        try:
            mail = build(message, self.settings)
        except (ValueError, TypeError) as exc:  # e.g. a line break in a header
            raise Permanent(f"the message cannot be written: {exc}") from exc
        if self.smtp is None:
            self.smtp = self._open()
        sender = parseaddr(self.settings.mail_from)[1]
        try:
            self.smtp.send_message(mail, from_addr=sender, to_addrs=[message.to])
        except smtplib.SMTPRecipientsRefused as exc:
            permanent, said = _refusal(exc)
            raise (Permanent if permanent else RetryLater)(said) from exc
        except smtplib.SMTPDataError as exc:
            raise (Permanent if exc.smtp_code >= 500 else RetryLater)(
                f"message refused: {_said(exc)}"
            ) from exc
        except smtplib.SMTPSenderRefused as exc:
            # The server will not take mail from ZERODRAFT_MAIL_FROM: the operator's to fix,
            # so the message waits meanwhile.
            raise RetryLater(
                f"sender {exc.sender} refused: {_said(exc)}; check ZERODRAFT_MAIL_FROM"
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise RetryLater(f"SMTP server answered {_said(exc)}") from exc
        except smtplib.SMTPNotSupportedError as exc:
            # Refused before anything is sent (an address with non-ASCII letters, and a server
            # without SMTPUTF8): this message cannot go this way, the connection is fine.
            raise Permanent(str(exc)) from exc
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise Unreachable(f"SMTP server {self.settings.smtp_host}: {exc}") from exc

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None


# --- 3. Record ------------------------------------------------------------------------------


def _record_sent(database: Database, message: Claimed, now: datetime) -> None:
    with database.transaction(write=True) as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message.id, OutboxMessage.state == OutboxState.PENDING)
            .values(state=OutboxState.SENT, sent_at=now, last_error=None)
        )


def _record_failure(
    database: Database, message: Claimed, error: str, *, permanent: bool, now: datetime
) -> OutboxState:
    give_up = permanent or message.attempts >= MAX_ATTEMPTS
    if give_up and not permanent:
        error = f"gave up after {message.attempts} attempts over about 48 hours; last: {error}"
    state = OutboxState.FAILED if give_up else OutboxState.PENDING
    with database.transaction(write=True) as session:
        # Only while the claim is still this worker's (its lease may have ended meanwhile
        # and another worker taken the message again).
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message.id,
                OutboxMessage.state == OutboxState.PENDING,
                OutboxMessage.attempts == message.attempts,
            )
            .values(
                state=state,
                last_error=error[:2000],
                next_attempt_at=now if give_up else now + backoff(message.attempts),
            )
        )
    return state


def _release(database: Database, messages: Sequence[Claimed], now: datetime) -> None:
    """Give back claimed messages that were not tried (the worker is stopping)."""
    with database.transaction(write=True) as session:
        for m in messages:
            session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == m.id,
                    OutboxMessage.state == OutboxState.PENDING,
                    OutboxMessage.attempts == m.attempts,
                )
                .values(attempts=m.attempts - 1, next_attempt_at=now)
            )


# --- A pass ---------------------------------------------------------------------------------


def pending_count(database: Database) -> int:
    with database.transaction(write=False) as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.state == OutboxState.PENDING)
            )
            or 0
        )


def deliver_due(
    database: Database,
    settings: Settings,
    clock: Clock,
    *,
    stop: threading.Event | None = None,
) -> Delivery:
    """Send every message that is due, batch after batch, until none is left (or `stop`)."""
    report = Delivery()
    if not settings.mail_enabled:
        report.held = pending_count(database)
        return report
    while stop is None or not stop.is_set():
        batch = claim(database, settings, clock())
        if not batch:
            break
        if not _send_batch(database, settings, clock, batch, report, stop):
            # The server cannot be used now: the rest waits for the next pass, instead of each
            # further batch waiting out the connection timeout while the pass's other work does.
            break
    return report


def _send_batch(
    database: Database,
    settings: Settings,
    clock: Clock,
    batch: list[Claimed],
    report: Delivery,
    stop: threading.Event | None,
) -> bool:
    """Try each message of the batch; False when the server could not be used."""
    connection = Connection(settings)
    try:
        for position, message in enumerate(batch):
            if stop is not None and stop.is_set():
                _release(database, batch[position:], clock())
                return True
            try:
                connection.send(message)
            except Permanent as exc:
                _failed(database, message, str(exc), True, clock(), report)
            except RetryLater as exc:
                _failed(database, message, str(exc), False, clock(), report)
            except Unreachable as exc:
                # The server cannot be used now: this message and the rest of the batch wait.
                report.errors.append(str(exc))
                for rest in batch[position:]:
                    _failed(database, rest, str(exc), False, clock(), report)
                return False
            else:
                _record_sent(database, message, clock())
                report.sent += 1
                log.info("mail %s sent to %s", message.id, message.to)
    finally:
        connection.close()
    return True


def _failed(
    database: Database,
    message: Claimed,
    error: str,
    permanent: bool,
    now: datetime,
    report: Delivery,
) -> None:
    state = _record_failure(database, message, error, permanent=permanent, now=now)
    if state is OutboxState.FAILED:
        report.failed += 1
        log.warning("mail %s to %s failed: %s", message.id, message.to, error)
    else:
        report.retrying += 1
        log.info("mail %s to %s will be tried again: %s", message.id, message.to, error)
