"""JSON API of the audit trail: filtered pages of events, and the check of the hash chain."""

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel, BeforeValidator, Field

from app.accounts.permissions import Action
from app.audit import trail
from app.audit.trail import TrailFilter
from app.web.api_common import api_router, errors
from app.web.deps import Context, RequestContext

router = api_router("/audit", "audit")

Auditor = Annotated[RequestContext, Context(Action.READ_AUDIT)]


class EventOut(BaseModel):
    seq: int
    occurred_at: datetime
    actor: str | None = Field(description="E-mail address; null for the system")
    actor_name: str | None
    delegation: str | None
    action: str
    object_type: str
    object_id: str
    revision_before: int | None
    revision_after: int | None
    request_id: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str


class TrailOut(BaseModel):
    events: list[EventOut]
    next_before: int | None = Field(
        description="Pass as `before` for the next, older page; null when there is none"
    )


class VerifyOut(BaseModel):
    events: int = Field(description="Events in the trail")
    ok: bool
    first_bad_event: int | None = Field(description="Sequence number of the first bad event")
    problem: str | None


def _iso_only(value: object) -> object:
    """pydantic reads a bare number as seconds since 1970; the API documents ISO 8601 only."""
    if isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d+(\.\d*)?\s*", value):
        raise ValueError("give a date and time in ISO 8601, e.g. 2026-03-02T09:00:00Z")
    return value


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_only)]


def _utc(value: datetime | None) -> datetime | None:
    """Times without an offset are taken as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


@router.get("", responses=errors())
def events(
    ctx: Auditor,
    action: Annotated[str | None, Query(max_length=64, description="Prefix, e.g. round.")] = None,
    object_type: Annotated[str | None, Query(max_length=32)] = None,
    object_id: Annotated[str | None, Query(max_length=64)] = None,
    actor: Annotated[str | None, Query(max_length=254, description="E-mail address")] = None,
    since: Annotated[IsoDateTime | None, Query(alias="from", description="Inclusive")] = None,
    until: Annotated[IsoDateTime | None, Query(alias="to", description="Inclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=trail.MAX_LIMIT)] = trail.DEFAULT_LIMIT,
    before: Annotated[int | None, Query(ge=1, description="Events before this seq")] = None,
) -> TrailOut:
    """Audit events, newest first, with their place in the hash chain; events about objects the
    reader may not see (another delegation's private drafts and comments) are left out."""
    filters = TrailFilter(action, object_type, object_id, actor, _utc(since), _utc(until))
    result = trail.page(ctx.db, filters, ctx.principal, limit=limit, before=before, with_chain=True)
    return TrailOut(
        events=[
            EventOut(
                seq=r.seq,
                occurred_at=r.occurred_at,
                actor=r.actor_email,
                actor_name=r.actor_name,
                delegation=r.delegation_code,
                action=r.action,
                object_type=r.object_type,
                object_id=r.object_id,
                revision_before=r.revision_before,
                revision_after=r.revision_after,
                request_id=r.request_id,
                details=r.details or {},
                prev_hash=r.prev_hash or "",
                hash=r.hash or "",
            )
            for r in result.rows
        ],
        next_before=result.next_before,
    )


@router.get("/verify", responses=errors())
def verify(ctx: Auditor) -> VerifyOut:
    """Re-compute the whole hash chain; name the first edited, deleted or inserted event."""
    check = trail.check_chain(ctx.db)
    return VerifyOut(
        events=check.events,
        ok=check.ok,
        first_bad_event=check.first_bad_event,
        problem=check.problem,
    )
