"""Writing the audit trail. Every use case that changes something calls `record` in the same
transaction as the change, so a change and its audit event commit or fail together."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

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
    event = AuditEvent(
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
    session.add(event)
    return event


def events_for(session: Session, object_type: str, object_id: str | int) -> Sequence[AuditEvent]:
    return session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id))
        .order_by(AuditEvent.id)
    ).all()
