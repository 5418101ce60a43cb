"""JSON API of a person's notifications."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from app.accounts.permissions import Action
from app.models import Notification
from app.notifications import service
from app.principal import Principal
from app.web.api_common import api_router, errors
from app.web.deps import Allow, DbSession, Now

router = api_router("/notifications", "notifications")


class NotificationOut(BaseModel):
    id: int
    kind: str
    message: str = Field(description="What happened, naming the item by code")
    next_step: str | None = Field(description="What to do about it")
    link: str
    created_at: datetime
    read: bool


def _out(n: Notification) -> NotificationOut:
    return NotificationOut(
        id=n.id,
        kind=n.kind,
        message=n.message,
        next_step=n.next_step,
        link=n.link,
        created_at=n.created_at,
        read=n.read_at is not None,
    )


@router.get("", responses=errors())
def list_notifications(
    db: DbSession,
    principal: Annotated[Principal, Allow(Action.READ_NOTIFICATIONS)],
    unread: bool = False,
) -> list[NotificationOut]:
    """What needs you: decisions on your delegation's proposals, replies, new proposals."""
    return [_out(n) for n in service.for_user(db, principal.user_id, unread_only=unread)]


@router.post("/{notification_id}/read", responses=errors(404, 409))
def read_notification(
    notification_id: int,
    db: DbSession,
    now: Now,
    principal: Annotated[Principal, Allow(Action.READ_NOTIFICATIONS)],
) -> NotificationOut:
    """Mark one notification read."""
    return _out(service.mark_read(db, principal.user_id, notification_id, now=now))


@router.post("/read-all", status_code=204, responses=errors(409))
def read_all(
    db: DbSession, now: Now, principal: Annotated[Principal, Allow(Action.READ_NOTIFICATIONS)]
) -> None:
    """Mark every notification read."""
    service.mark_all_read(db, principal.user_id, now=now)
