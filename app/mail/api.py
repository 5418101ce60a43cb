"""JSON API of the outbox, for the admin's monitoring: what is pending, what failed and why.
Message bodies are not given here (they may carry one-time links); the outbox page shows them."""

from datetime import datetime
from typing import Annotated

from fastapi import Query
from pydantic import BaseModel, Field

from app.accounts.permissions import Action
from app.mail import service
from app.models import OutboxMessage, OutboxState
from app.web.api_common import api_router, errors
from app.web.deps import Context, RequestContext

router = api_router("/outbox", "outbox")

Admin = Annotated[RequestContext, Context(Action.READ_OUTBOX)]


class MessageOut(BaseModel):
    id: int
    created_at: datetime
    kind: str = Field(description="invitation, password_reset, security, notification, digest")
    to: str
    subject: str
    state: OutboxState
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    sent_at: datetime | None


class OutboxOut(BaseModel):
    messages: list[MessageOut]
    counts: dict[OutboxState, int] = Field(description="Messages in each state, in all")
    next_before: int | None = Field(
        description="Pass as `before` for the next, older page; null when there is none"
    )


def _out(m: OutboxMessage) -> MessageOut:
    return MessageOut(
        id=m.id,
        created_at=m.created_at,
        kind=m.kind,
        to=m.to_address,
        subject=m.subject,
        state=m.state,
        attempts=m.attempts,
        next_attempt_at=m.next_attempt_at,
        last_error=m.last_error,
        sent_at=m.sent_at,
    )


@router.get("", responses=errors())
def outbox(
    ctx: Admin,
    state: OutboxState | None = None,
    before: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = service.PAGE_SIZE,
) -> OutboxOut:
    """Mail written by zerodraft, newest first: its state, attempts and last error."""
    page = service.outbox_page(ctx.db, state=state, before=before, limit=limit)
    return OutboxOut(
        messages=[_out(m) for m in page.messages],
        counts=page.counts,
        next_before=page.next_before,
    )
