"""Reminders before a round's input deadline: 48 hours and 24 hours before it, to those who give
input. Run by the worker (`zerodraft worker`).

Each reminder is sent once, whichever worker gets there first: its key goes into
sent_reminders with an insert that does nothing when the key is already there, in the same
transaction as the notifications, so two workers (or one restarted) never remind twice.
"""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.models import Round, RoundState, SentReminder
from app.notifications import messages
from app.notifications.service import input_givers, notify

HOURS_BEFORE = (24, 48)  # nearest first: a late worker sends only the most pressing one


def claim_once(session: Session, key: str, now: datetime) -> bool:
    """Record that `key` was sent; False if it already was (by this or another worker)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    inserted = session.scalar(
        insert(SentReminder)
        .values(key=key, sent_at=now)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(SentReminder.key)
    )
    return inserted is not None


def _key(round_: Round, hours: int) -> str:
    # The deadline is part of the key: a round given a new deadline is reminded again.
    assert round_.deadline is not None
    return f"round:{round_.id}:deadline-{hours}h:{round_.deadline:%Y%m%dT%H%MZ}"


def send_deadline_reminders(session: Session, now: datetime) -> list[str]:
    """Remind those who give input of every open round whose deadline is 48 or 24 hours away
    (or less); one line per reminder sent."""
    soon = now + timedelta(hours=max(HOURS_BEFORE))
    rounds = session.scalars(
        select(Round)
        .where(
            Round.state == RoundState.OPEN,
            Round.deadline.is_not(None),
            Round.deadline > now,
            Round.deadline <= soon,
        )
        .order_by(Round.id)
    ).all()
    sent: list[str] = []
    for round_ in rounds:
        assert round_.deadline is not None
        due = [
            hours
            for hours in HOURS_BEFORE
            if now >= round_.deadline - timedelta(hours=hours)
            # Issued within the window: the notice of its issue gave the deadline already.
            and (
                round_.issued_at is None
                or round_.issued_at < round_.deadline - timedelta(hours=hours)
            )
        ]
        if not due:
            continue
        # Claim every due reminder, but send only the nearest: a worker that was down for a
        # day does not send "48 hours left" and "24 hours left" at once.
        claimed = [hours for hours in due if claim_once(session, _key(round_, hours), now)]
        if due[0] not in claimed:
            continue
        told = notify(
            session,
            input_givers(session, round_),
            messages.deadline_reminder(round_, now),
            now=now,
        )
        sent.append(f"{round_.symbol}: {due[0]} hours before its deadline, reminded {told}")
    return sent
