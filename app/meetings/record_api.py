"""JSON API of a meeting's record: read it, generate it from what happened (the secretariat),
edit it under If-Match, approve it (a co-chair), download it in Word. The use cases are in
app/meetings/record.py, the Word file is app/word/record.py's."""

from typing import Annotated, Any

from fastapi import Header, Path
from fastapi.responses import JSONResponse, Response

from app.accounts.permissions import Action
from app.errors import NotFound
from app.meetings import record as records
from app.meetings.schemas import RecordEditIn, RecordGenerateIn, RecordOut
from app.rounds.export import MEDIA_TYPE
from app.web.api_common import api_router, errors, expected_version
from app.web.deps import Context, RequestContext
from app.word.filename import download_filename
from app.word.record import export_record

router = api_router("", "meetings")

Reader = Annotated[RequestContext, Context(Action.READ_MEETINGS)]
Manager = Annotated[RequestContext, Context(Action.MANAGE_MEETINGS)]
# Moving a meeting along is the secretariat's and the co-chairs'; of them, approving its record
# is the co-chairs' alone (app/meetings/record.py refuses the secretariat, 403).
Chair = Annotated[RequestContext, Context(Action.RUN_MEETING)]
IfMatch = Annotated[str | None, Header(description="The ETag you read")]
MeetingId = Annotated[int, Path(ge=1, le=2_147_483_647, description="The meeting's id")]


def record_etag(view: records.RecordView) -> str:
    assert view.record is not None
    return f'"M-{view.meeting.id}-record.v{view.record.version}"'


def _record_version(if_match: str | None, meeting_id: int, *, required: bool = True) -> int | None:
    return expected_version(if_match, f"M-{meeting_id}-record.v", required=required)


def _record(ctx: RequestContext, meeting_id: int, status: int = 200) -> JSONResponse:
    ctx.db.flush()
    v = records.read(ctx.db, ctx.principal, meeting_id)
    rec = v.record
    if rec is None:
        raise NotFound(f"M-{meeting_id} has no record yet; generate it first", field="record")
    out = RecordOut(
        meeting=v.meeting.reference,
        state=rec.state,
        text=rec.text,
        edited=rec.edited,
        generated_at=rec.generated_at,
        edited_at=rec.edited_at,
        edited_by=v.edited_by,
        approved_at=rec.approved_at,
        approved_by=v.approved_by,
        version=rec.version,
    )
    return JSONResponse(
        out.model_dump(mode="json"), status_code=status, headers={"ETag": record_etag(v)}
    )


@router.get("/meetings/{meeting_id}/record", responses=errors(404), response_model=RecordOut)
def get_record(meeting_id: MeetingId, ctx: Reader) -> JSONResponse:
    """The meeting's record, draft or approved, for whoever sees the meeting (404 before it is
    generated); its ETag guards the next change."""
    return _record(ctx, meeting_id)


@router.post(
    "/meetings/{meeting_id}/record",
    status_code=201,
    responses=errors(404, 409, 412, 428),
    response_model=RecordOut,
)
def generate_record(
    meeting_id: MeetingId, body: RecordGenerateIn, ctx: Manager, if_match: IfMatch = None
) -> JSONResponse:
    """Generate the record from what happened (the secretariat). Again over an existing record:
    send its ETag in If-Match; over edits only with replace_edits (409 otherwise); never once
    approved (409)."""
    records.generate(
        ctx.db,
        ctx.principal,
        meeting_id,
        expected_version=_record_version(if_match, meeting_id, required=False),
        replace_edits=body.replace_edits,
        now=ctx.now,
        request_id=ctx.request_id,
    )
    return _record(ctx, meeting_id, 201)


@router.put(
    "/meetings/{meeting_id}/record",
    responses=errors(404, 409, 412, 428),
    response_model=RecordOut,
)
def edit_record(
    meeting_id: MeetingId, body: RecordEditIn, ctx: Manager, if_match: IfMatch = None
) -> JSONResponse:
    """The secretariat's text of the record (If-Match: its ETag; 409 once approved)."""
    records.edit(
        ctx.db,
        ctx.principal,
        meeting_id,
        body.text,
        expected_version=_record_version(if_match, meeting_id) or 0,
        now=ctx.now,
        request_id=ctx.request_id,
    )
    return _record(ctx, meeting_id)


@router.post(
    "/meetings/{meeting_id}/record/approve",
    responses=errors(404, 409, 412, 428),
    response_model=RecordOut,
)
def approve_record(meeting_id: MeetingId, ctx: Chair, if_match: IfMatch = None) -> JSONResponse:
    """A co-chair approves the record as read (If-Match: its ETag); it is frozen from then on."""
    records.approve(
        ctx.db,
        ctx.principal,
        meeting_id,
        expected_version=_record_version(if_match, meeting_id) or 0,
        now=ctx.now,
        request_id=ctx.request_id,
    )
    return _record(ctx, meeting_id)


_DOCX: dict[int | str, dict[str, Any]] = {
    200: {"description": "The record as a Word file", "content": {MEDIA_TYPE: {}}}
}


@router.get(
    "/meetings/{meeting_id}/record.docx",
    responses=errors(404) | _DOCX,
    response_class=Response,
)
def record_docx(meeting_id: MeetingId, ctx: Reader) -> Response:
    """The record in Word, in the house style of the rounds' exports."""
    data = export_record(
        records.document(ctx.db, ctx.principal, meeting_id, ctx.settings.working_group_name)
    )
    _name, disposition = download_filename(f"M-{meeting_id}", "record")
    return Response(data, media_type=MEDIA_TYPE, headers={"Content-Disposition": disposition})
