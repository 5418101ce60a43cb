"""JSON API of a person's notifications."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from app.accounts.permissions import Action
from app.models import Notification
from app.notifications import service
from app.web.api_common import api_router, errors
from app.web.deps import Context, RequestContext

router = api_router("/notifications", "notifications")

Reader = Annotated[RequestContext, Context(Action.READ_NOTIFICATIONS)]


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
def list_notifications(ctx: Reader, unread: bool = False) -> list[NotificationOut]:
    """What needs you: decisions on your delegation's proposals, replies, new proposals."""
    return [_out(n) for n in service.for_user(ctx.db, ctx.principal.user_id, unread_only=unread)]


@router.post("/{notification_id}/read", responses=errors(404, 409))
def read_notification(notification_id: int, ctx: Reader) -> NotificationOut:
    """Mark one notification read."""
    return _out(service.mark_read(ctx.db, ctx.principal.user_id, notification_id, now=ctx.now))


@router.post("/read-all", status_code=204, responses=errors(409))
def read_all(ctx: Reader) -> None:
    """Mark every notification read."""
    service.mark_all_read(ctx.db, ctx.principal.user_id, now=ctx.now)
