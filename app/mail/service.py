"""Use cases around outgoing mail: the outbox as the admin reads it, sending a failed message
again, and unsubscribing from notification mail by a link in the mail."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.service import Actor, record
from app.config import Settings
from app.errors import InvalidTransition, NotFound
from app.ids import is_id
from app.mail.digest import UNSUBSCRIBE
from app.models import MailFrequency, OutboxMessage, OutboxState, User
from app.signing import unsign

PAGE_SIZE = 50


# --- The outbox -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutboxPage:
    messages: Sequence[OutboxMessage]
    counts: dict[OutboxState, int]
    next_before: int | None  # the `before` of the next (older) page, if there is one


def outbox_page(
    session: Session,
    *,
    state: OutboxState | None = None,
    before: int | None = None,
    limit: int = PAGE_SIZE,
) -> OutboxPage:
    """Messages newest first, `limit` at a time, older pages by id."""
    query = select(OutboxMessage)
    if state is not None:
        query = query.where(OutboxMessage.state == state)
    if before is not None:
        query = query.where(OutboxMessage.id < before)
    rows = session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit + 1)).all()
    counts = dict.fromkeys(OutboxState, 0)
    for found, count in session.execute(
        select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
    ):
        counts[OutboxState(found)] = count
    more = len(rows) > limit
    shown = rows[:limit]
    return OutboxPage(shown, counts, shown[-1].id if more and shown else None)


def get_message(session: Session, message_id: int) -> OutboxMessage:
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(f"no message {message_id} in the outbox")
    return message


def retry(session: Session, actor: Actor, message_id: int, *, now: datetime) -> OutboxMessage:
    """Send a failed message again: it is pending once more, due now, with a fresh count of
    attempts (so another ~48 hours of trying)."""
    message = session.scalar(
        select(OutboxMessage).where(OutboxMessage.id == message_id).with_for_update()
    )
    if message is None:
        raise NotFound(f"no message {message_id} in the outbox")
    if message.state is not OutboxState.FAILED:
        raise InvalidTransition(
            f"message {message_id} is {message.state.value}; only a failed message can be "
            "sent again"
        )
    record(
        session,
        actor,
        action="mail.retry",
        object_type="outbox",
        object_id=message.id,
        details={
            "to": message.to_address,
            "subject": message.subject,
            "attempts": message.attempts,
            "last_error": message.last_error,
        },
        at=now,
    )
    message.state = OutboxState.PENDING
    message.attempts = 0
    message.next_attempt_at = now
    return message


# --- Unsubscribing --------------------------------------------------------------------------


def unsubscriber(session: Session, settings: Settings, token: str) -> User:
    """The person an unsubscribe link was made for; NotFound for a link that is not one of
    ours (mistyped, cut short, or made with another secret key)."""
    value = unsign(settings.secret_key, UNSUBSCRIBE, token)
    user = session.get(User, int(value)) if value is not None and is_id(value) else None
    if user is None:
        raise NotFound(
            "this unsubscribe link is not valid: it may have been cut short when copied from "
            "the mail. Open it from the mail again, or change your mail preference on your "
            "account page after logging in",
            field="token",
        )
    return user


def unsubscribe(
    session: Session,
    settings: Settings,
    token: str,
    *,
    now: datetime,
    request_id: str | None = None,
) -> User:
    """No more notification mail for the person the link was made for (mail about their
    account still goes). Doing it twice changes nothing the second time."""
    user = unsubscriber(session, settings, token)
    before = user.mail_frequency
    if before is not MailFrequency.NONE:
        user.mail_frequency = MailFrequency.NONE
        record(
            session,
            Actor(user.id, None, request_id),
            action="account.mail_frequency",
            object_type="user",
            object_id=user.id,
            details={"from": before.value, "to": MailFrequency.NONE.value, "via": "unsubscribe"},
            at=now,
        )
    return user


def note_one_time_link_read(
    session: Session, actor: Actor, message: OutboxMessage, *, now: datetime
) -> None:
    """An admin read a mail whose one-time link (invitation, password reset) is still shown in
    full: the trail says who could have used it."""
    record(
        session,
        actor,
        action="mail.one_time_link_read",
        object_type="outbox",
        object_id=message.id,
        details={"kind": message.kind, "to": message.to_address},
        at=now,
    )
