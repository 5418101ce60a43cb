"""The audit trail as a web page: a filter form, a table of events newest first, older pages by
sequence number, and on request the check of the whole hash chain."""

from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from app.accounts.permissions import Action
from app.audit import trail
from app.audit.trail import TrailFilter
from app.web.deps import Context, DbRoute, RequestContext
from app.web.forms import Form
from app.web.templating import render, viewer_zone

router = APIRouter(route_class=DbRoute, include_in_schema=False)

Auditor = Annotated[RequestContext, Context(Action.READ_AUDIT)]
PAGE_SIZE = 50
FILTERS = ("action", "object_type", "object_id", "actor", "from", "to")


def _local_time(value: str, zone: ZoneInfo) -> datetime:
    """A browser's datetime-local value (no offset), in the reader's time zone."""
    return datetime.fromisoformat(value).replace(tzinfo=zone)


@router.get("/audit")
def audit_trail(
    ctx: Auditor,
    action: Annotated[str, Query(max_length=64)] = "",
    object_type: Annotated[str, Query(max_length=32)] = "",
    object_id: Annotated[str, Query(max_length=64)] = "",
    actor: Annotated[str, Query(max_length=254)] = "",
    since: Annotated[str, Query(alias="from", max_length=32)] = "",
    until: Annotated[str, Query(alias="to", max_length=32)] = "",
    before: Annotated[int | None, Query(ge=1)] = None,
    verify: Annotated[bool, Query()] = False,
) -> HTMLResponse:
    # The reader's zone, as the page says (base context `zone`, app/web/templating.py).
    db, principal = ctx.db, ctx.principal
    zone = ZoneInfo(viewer_zone(principal, ctx.settings))
    form = Form(
        {
            "action": action.strip(),
            "object_type": object_type.strip(),
            "object_id": object_id.strip(),
            "actor": actor.strip(),
            "from": since.strip(),
            "to": until.strip(),
        }
    )
    times: dict[str, datetime | None] = {"from": None, "to": None}
    for name, label in (("from", "From"), ("to", "To")):
        if form.values[name]:
            try:
                times[name] = _local_time(form.values[name], zone)
            except ValueError:
                form.add(f"audit-{name}", f"{label}: enter a date and time, like 2026-03-02T09:00")
    filters = TrailFilter(
        action=form.values["action"] or None,
        object_type=form.values["object_type"] or None,
        object_id=form.values["object_id"] or None,
        actor=form.values["actor"] or None,
        since=times["from"],
        until=times["to"],
    )
    result = trail.page(db, filters, principal, limit=PAGE_SIZE, before=before) if form.ok else None
    kept = {k: v for k, v in form.values.items() if v}
    return render(
        ctx.request,
        "audit.html",
        {
            "form": form,
            "filters": filters,
            "result": result,
            "rows": [(row, row.occurred_at.astimezone(zone)) for row in result.rows]
            if result
            else [],
            "before": before,
            "older_url": (
                "/audit?" + urlencode(kept | {"before": result.next_before})
                if result and result.next_before
                else None
            ),
            "newest_url": "/audit" + ("?" + urlencode(kept) if kept else ""),
            "verify_url": "/audit?"
            + urlencode(kept | ({"before": before} if before else {}) | {"verify": 1}),
            "check": trail.check_chain(db) if verify else None,
        },
        200 if form.ok else 422,
    )
