"""Writing the audit trail. Every use case that changes something calls `record` in the same
transaction as the change, so a change and its audit event commit or fail together."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.audit.chain import GENESIS, Break, event_hash, verify
from app.db import utcnow
from app.models import AuditEvent


@dataclass(frozen=True, slots=True)
class Actor:
    """Who does something, for which delegation, in which request."""

    user_id: int | None
    delegation_id: int | None = None
    request_id: str | None = None

    @classmethod
    def system(cls, request_id: str | None = None) -> "Actor":
        return cls(user_id=None, delegation_id=None, request_id=request_id)


def record(
    session: Session,
    actor: Actor,
    *,
    action: str,
    object_type: str,
    object_id: str | int,
    revision_before: int | None = None,
    revision_after: int | None = None,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    seq, prev = _tail(session)
    event = AuditEvent(
        id=seq + 1,
        prev_hash=prev,
        occurred_at=at or utcnow(),
        actor_id=actor.user_id,
        delegation_id=actor.delegation_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        revision_before=revision_before,
        revision_after=revision_after,
        request_id=actor.request_id,
        details=details or {},
    )
    event.hash = event_hash(event)
    session.add(event)
    session.info[_TAIL] = (session.get_transaction(), event.id, event.hash)
    return event


_TAIL = "zerodraft_audit_tail"
# Any number: the key of the PostgreSQL advisory lock that serialises appends to the chain.
_CHAIN_LOCK = 727_001


def _tail(session: Session) -> tuple[int, str]:
    """The last event's sequence number and hash, with appends serialised until commit so that
    concurrent writers can never fork the chain. (SQLite write transactions already hold the
    database's write lock from BEGIN IMMEDIATE.)"""
    cached = session.info.get(_TAIL)
    if cached is not None and cached[0] is session.get_transaction():
        return cached[1], cached[2]
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
    last = session.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    if last is None:
        return 0, GENESIS
    return last[0], last[1]


def events_for(session: Session, object_type: str, object_id: str | int) -> Sequence[AuditEvent]:
    return session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id))
        .order_by(AuditEvent.id)
    ).all()


def verify_chain(session: Session) -> tuple[int, Break | None]:
    """Check the whole trail; streams events so a long trail needs little memory."""
    events = session.scalars(
        select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=2000)
    )
    return verify(events)
