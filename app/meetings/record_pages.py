"""Pages of a meeting's record: read it (whoever sees the meeting, draft or approved), generate
and edit it (the secretariat), approve it (a co-chair). A refused change shows the page again
saying why, keeping the text typed; the use cases are app/meetings/record.py's."""

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.permissions import Action, allowed
from app.errors import DomainError, PreconditionFailed
from app.ids import is_id
from app.meetings import record as records
from app.web.deps import Context, DbRoute, RequestContext
from app.web.forms import PostedForm, Problem, sentence, text
from app.web.templating import render

router = APIRouter(route_class=DbRoute, include_in_schema=False)

Reader = Annotated[RequestContext, Context(Action.READ_MEETINGS)]
Manager = Annotated[RequestContext, Context(Action.MANAGE_MEETINGS)]
Runner = Annotated[RequestContext, Context(Action.RUN_MEETING)]


def _version(posted: PostedForm) -> int:
    value = text(posted, "version", 12)
    return int(value) if is_id(value) else 0


RECORD_DONE = {
    "generated": "The record is generated from what happened in the meeting.",
    "saved": "The record is saved.",
    "approved": "The record is approved; it is not changed from now on.",
}


def _record_parts(text_: str) -> list[tuple[str, str]]:
    """The record's lines as the page shows them: ("heading" | "point" | "text", words)."""
    out: list[tuple[str, str]] = []
    for line in text_.splitlines():
        if not line.strip():
            continue
        if line.startswith("## "):
            out.append(("heading", line[3:].strip()))
        elif line.lstrip().startswith("- "):
            out.append(("point", line.lstrip()[2:].strip()))
        else:
            out.append(("text", line.strip()))
    return out


def _record_page(
    ctx: RequestContext,
    meeting_id: int,
    problems: list[Problem] | None = None,
    status: int = 200,
    draft_text: str | None = None,
) -> HTMLResponse:
    v = records.read(ctx.db, ctx.principal, meeting_id)
    rec = v.record
    return render(
        ctx.request,
        "meeting_record.html",
        {
            "m": v.meeting,
            "r": rec,
            "v": v,
            "parts": _record_parts(rec.text) if rec else [],
            "draft_text": draft_text if draft_text is not None else (rec.text if rec else ""),
            "can_edit": allowed(ctx.principal.role, Action.MANAGE_MEETINGS),
            "can_approve": records.may_approve(ctx.principal),
            "problems": problems or [],
            "confirmation": RECORD_DONE.get(ctx.request.query_params.get("done", ""), ""),
        },
        status,
    )


@router.get("/meetings/{meeting_id}/record")
def record_page(meeting_id: int, ctx: Reader) -> HTMLResponse:
    return _record_page(ctx, meeting_id)


def _record_refused(
    ctx: RequestContext, meeting_id: int, exc: DomainError, draft_text: str | None = None
) -> HTMLResponse:
    field = exc.extra.get("field") if isinstance(exc.extra.get("field"), str) else None
    message = sentence(exc)
    if isinstance(exc, PreconditionFailed):
        message = (
            "Someone else changed this record meanwhile; it is shown as it is now. Your text is "
            "kept in the form: make your change again on what is there now."
        )
        field = "record-text"
    elif field == "text":
        field = "record-text"
    ctx.discard_refused()
    return _record_page(ctx, meeting_id, [Problem(field, message)], exc.status_code, draft_text)


def _to_record(meeting_id: int, done: str) -> RedirectResponse:
    return RedirectResponse(f"/meetings/{meeting_id}/record?done={done}", status_code=303)


@router.post("/meetings/{meeting_id}/record/generate")
def generate_record(meeting_id: int, ctx: Manager, posted: PostedForm) -> Response:
    version = text(posted, "version", 12)
    try:
        records.generate(
            ctx.db,
            ctx.principal,
            meeting_id,
            expected_version=int(version) if is_id(version) else None,
            replace_edits=posted.get("replace_edits") == "yes",
            now=ctx.now,
            request_id=ctx.request_id,
        )
    except DomainError as exc:
        return _record_refused(ctx, meeting_id, exc)
    return _to_record(meeting_id, "generated")


@router.post("/meetings/{meeting_id}/record")
def save_record(meeting_id: int, ctx: Manager, posted: PostedForm) -> Response:
    body = text(posted, "text", records.TEXT_MAX + 1)
    try:
        records.edit(
            ctx.db,
            ctx.principal,
            meeting_id,
            body,
            expected_version=_version(posted),
            now=ctx.now,
            request_id=ctx.request_id,
        )
    except DomainError as exc:
        return _record_refused(ctx, meeting_id, exc, body)
    return _to_record(meeting_id, "saved")


@router.post("/meetings/{meeting_id}/record/approve")
def approve_record(meeting_id: int, ctx: Runner, posted: PostedForm) -> Response:
    try:
        records.approve(
            ctx.db,
            ctx.principal,
            meeting_id,
            expected_version=_version(posted),
            now=ctx.now,
            request_id=ctx.request_id,
        )
    except DomainError as exc:
        return _record_refused(ctx, meeting_id, exc)
    return _to_record(meeting_id, "approved")
