"""JSON API of meetings: set one up, read it, order its agenda, move through it; and the
stream of live events (text/event-stream) that the live view and outside scripts follow."""

from typing import Annotated, Any

from fastapi import Header, Path, Request
from fastapi.responses import JSONResponse, StreamingResponse

from app.accounts.permissions import Action
from app.meetings import floor, live, room, service
from app.meetings.schemas import (
    ActOut,
    AgendaEntryOut,
    AgendaIn,
    AttendanceIn,
    CurrentIn,
    DecisionIn,
    FloorIn,
    FloorOut,
    MarkIn,
    MeetingCreate,
    MeetingOut,
    MeetingUpdate,
    PresenceOut,
    StatedIn,
)
from app.models import Meeting
from app.timezones import local_text
from app.web.api_common import api_router, errors, expected_version
from app.web.deps import Context, RequestContext

router = api_router("", "meetings")

Reader = Annotated[RequestContext, Context(Action.READ_MEETINGS)]
Manager = Annotated[RequestContext, Context(Action.MANAGE_MEETINGS)]
Runner = Annotated[RequestContext, Context(Action.RUN_MEETING)]
Delegate = Annotated[RequestContext, Context(Action.TAKE_PART)]
Decider = Annotated[RequestContext, Context(Action.DECIDE)]
Marker = Annotated[RequestContext, Context(Action.MARK_ITEM)]
IfMatch = Annotated[str | None, Header(description="The ETag you read")]
# Ids as the database can hold them (PostgreSQL's integer): larger ones are refused naming the
# field, not failed at the database.
MeetingId = Annotated[int, Path(ge=1, le=2_147_483_647, description="The meeting's id")]
RequestId = Annotated[int, Path(ge=1, le=2_147_483_647, description="The request's id")]
LastEventId = Annotated[
    str | None, Header(alias="Last-Event-ID", description="The id of the last event received")
]


def meeting_out(ctx: RequestContext, meeting: Meeting) -> MeetingOut:
    v = service.view(ctx.db, meeting)
    return MeetingOut(
        id=meeting.id,
        reference=meeting.reference,
        title=meeting.title,
        starts_at=meeting.starts_at,
        time_zone=meeting.time_zone,
        starts_local=local_text(meeting.starts_at, meeting.time_zone),
        duration_minutes=meeting.duration_minutes,
        round=v.round_symbol,
        video_url=meeting.video_url,
        participants=v.participants,
        observers_invited=meeting.observers_invited,
        agenda=[
            AgendaEntryOut(ref=e.ref, kind=e.kind, words=e.words, url=e.url, item=e.item_code)
            for e in v.agenda
        ],
        current=meeting.current_ref,
        floor=[
            FloorOut(
                id=f.id, delegation=f.delegation, requested_at=f.requested_at, called_at=f.called_at
            )
            for f in floor.queue(ctx.db, meeting.id)
        ],
        attendance=[
            PresenceOut(delegation=p.delegation, joined=p.joined, at=p.at)
            for p in floor.presence(ctx.db, meeting.id)
        ],
        acts=[
            ActOut(
                kind=a.kind,
                delegation=a.delegation,
                ref=a.ref,
                what=a.what,
                statement=a.statement,
                at=a.at,
                was=a.was,
            )
            for a in room.acts(ctx.db, meeting.id)
        ],
        version=meeting.version,
    )


def _one(ctx: RequestContext, meeting: Meeting, status: int = 200) -> JSONResponse:
    ctx.db.flush()
    out = meeting_out(ctx, meeting)
    return JSONResponse(
        out.model_dump(mode="json"), status_code=status, headers={"ETag": etag(meeting)}
    )


def etag(meeting: Meeting) -> str:
    return f'"M-{meeting.id}.v{meeting.version}"'


def _version(if_match: str | None, meeting_id: int, *, required: bool = True) -> int | None:
    return expected_version(if_match, f"M-{meeting_id}.v", required=required)


@router.get("/meetings", responses=errors())
def list_meetings(ctx: Reader) -> list[MeetingOut]:
    """The meetings you take part in (the secretariat and co-chairs: all), soonest first."""
    return [meeting_out(ctx, m) for m in service.listing(ctx.db, ctx.principal)]


@router.post("/meetings", status_code=201, responses=errors(404), response_model=MeetingOut)
def create_meeting(body: MeetingCreate, ctx: Manager) -> JSONResponse:
    """Set up a meeting. Its start is a wall-clock time in its zone, or a moment with offset."""
    meeting = service.create(ctx.db, ctx.actor, service.Details(**body.model_dump()), now=ctx.now)
    return _one(ctx, meeting, 201)


@router.get("/meetings/{meeting_id}", responses=errors(404), response_model=MeetingOut)
def get_meeting(meeting_id: MeetingId, ctx: Reader) -> JSONResponse:
    """One meeting with its agenda; its ETag guards the next change."""
    return _one(ctx, service.get(ctx.db, ctx.principal, meeting_id))


@router.patch("/meetings/{meeting_id}", responses=errors(404, 412, 428), response_model=MeetingOut)
def update_meeting(
    meeting_id: MeetingId, body: MeetingUpdate, ctx: Manager, if_match: IfMatch = None
) -> JSONResponse:
    """Change a meeting's details (send the ETag you read in If-Match)."""
    meeting = service.update(
        ctx.db,
        ctx.actor,
        meeting_id,
        service.Details(**body.model_dump(exclude_unset=True)),
        expected_version=_version(if_match, meeting_id) or 0,
        now=ctx.now,
    )
    return _one(ctx, meeting)


@router.put(
    "/meetings/{meeting_id}/agenda", responses=errors(404, 412, 428), response_model=MeetingOut
)
def set_agenda(
    meeting_id: MeetingId, body: AgendaIn, ctx: Manager, if_match: IfMatch = None
) -> JSONResponse:
    """The agenda in its new order: points kept, added, moved or taken off in one change. Two
    officers reordering at once: the second gets 412 and reloads."""
    meeting = service.set_agenda(
        ctx.db,
        ctx.actor,
        meeting_id,
        body.agenda,
        expected_version=_version(if_match, meeting_id) or 0,
        now=ctx.now,
    )
    return _one(ctx, meeting)


@router.put(
    "/meetings/{meeting_id}/current", responses=errors(404, 412, 428), response_model=MeetingOut
)
def set_current(
    meeting_id: MeetingId, body: CurrentIn, ctx: Runner, if_match: IfMatch = None
) -> JSONResponse:
    """Bring a point of the agenda under discussion (the secretariat or a co-chair)."""
    meeting = service.set_current(
        ctx.db,
        ctx.actor,
        meeting_id,
        body.ref,
        expected_version=_version(if_match, meeting_id, required=False),
        now=ctx.now,
    )
    return _one(ctx, meeting)


@router.post(
    "/meetings/{meeting_id}/floor",
    status_code=201,
    responses=errors(404),
    response_model=MeetingOut,
)
def ask_for_the_floor(meeting_id: MeetingId, body: FloorIn, ctx: Delegate) -> JSONResponse:
    """Your delegation asks for the floor; it waits in the order asked (409 if it already has)."""
    floor.ask(
        ctx.db,
        ctx.principal,
        meeting_id,
        delegation_code=body.delegation,
        now=ctx.now,
        request_id=ctx.request_id,
    )
    return _one(ctx, service.get(ctx.db, ctx.principal, meeting_id), 201)


@router.post(
    "/meetings/{meeting_id}/floor/{request_id}/call",
    responses=errors(404),
    response_model=MeetingOut,
)
def give_the_floor(meeting_id: MeetingId, request_id: RequestId, ctx: Runner) -> JSONResponse:
    """Give the floor to a delegation that asked for it (the chair or the secretariat)."""
    meeting = service.get(ctx.db, ctx.principal, meeting_id)
    floor.call(ctx.db, ctx.actor, meeting.id, request_id, now=ctx.now)
    return _one(ctx, meeting)


@router.post(
    "/meetings/{meeting_id}/floor/{request_id}/clear",
    responses=errors(404),
    response_model=MeetingOut,
)
def clear_the_floor(meeting_id: MeetingId, request_id: RequestId, ctx: Runner) -> JSONResponse:
    """Take a request off the queue: the delegation has spoken, or no longer asks."""
    meeting = service.get(ctx.db, ctx.principal, meeting_id)
    floor.clear(ctx.db, ctx.actor, meeting.id, request_id, now=ctx.now)
    return _one(ctx, meeting)


@router.post(
    "/meetings/{meeting_id}/floor/withdraw",
    responses=errors(403, 404, 409),
    response_model=MeetingOut,
)
def withdraw_from_the_floor(meeting_id: MeetingId, body: FloorIn, ctx: Delegate) -> JSONResponse:
    """Your delegation takes back its request for the floor (409 if it has none open)."""
    floor.withdraw(
        ctx.db,
        ctx.principal,
        meeting_id,
        delegation_code=body.delegation,
        now=ctx.now,
        request_id=ctx.request_id,
    )
    return _one(ctx, service.get(ctx.db, ctx.principal, meeting_id))


@router.post(
    "/meetings/{meeting_id}/attendance",
    status_code=201,
    responses=errors(404),
    response_model=MeetingOut,
)
def attend(meeting_id: MeetingId, body: AttendanceIn, ctx: Delegate) -> JSONResponse:
    """Your delegation joins (joined: true) or leaves (false) the meeting."""
    floor.attend(
        ctx.db,
        ctx.principal,
        meeting_id,
        joined=body.joined,
        delegation_code=body.delegation,
        now=ctx.now,
        request_id=ctx.request_id,
    )
    return _one(ctx, service.get(ctx.db, ctx.principal, meeting_id), 201)


@router.post(
    "/meetings/{meeting_id}/positions",
    status_code=201,
    responses=errors(404, 409),
    response_model=MeetingOut,
)
def state_position(meeting_id: MeetingId, body: StatedIn, ctx: Manager) -> JSONResponse:
    """Record a position a delegation stated in the meeting, on its behalf (the secretariat);
    it is the delegation's position like any other, marked as stated in the meeting."""
    room.state_position(
        ctx.db,
        ctx.principal,
        meeting_id,
        delegation_code=body.delegation,
        stance=body.stance,
        statement=body.statement,
        proposal_id=body.proposal_id,
        item_code=body.item,
        now=ctx.now,
        request_id=ctx.request_id,
    )
    return _one(ctx, service.get(ctx.db, ctx.principal, meeting_id), 201)


@router.post(
    "/meetings/{meeting_id}/decisions",
    responses=errors(404, 409, 412, 428),
    response_model=MeetingOut,
)
def decide(
    meeting_id: MeetingId, body: DecisionIn, ctx: Decider, if_match: IfMatch = None
) -> JSONResponse:
    """Decide a proposal in the meeting (If-Match: the proposal's ETag); tied to the meeting."""
    room.decide(
        ctx.db,
        ctx.principal,
        meeting_id,
        body.proposal_id,
        expected_version=expected_version(if_match, f"P-{body.proposal_id}.v") or 0,
        outcome=body.outcome,
        reason=body.reason,
        acknowledged=body.acknowledged,
        acknowledged_picture=(
            body.acknowledged_picture.model_dump() if body.acknowledged_picture else None
        ),
        override_reason=body.override_reason,
        now=ctx.now,
        request_id=ctx.request_id,
    )
    return _one(ctx, service.get(ctx.db, ctx.principal, meeting_id))


@router.post(
    "/meetings/{meeting_id}/marks",
    status_code=201,
    responses=errors(404, 409),
    response_model=MeetingOut,
)
def mark_item(meeting_id: MeetingId, body: MarkIn, ctx: Marker) -> JSONResponse:
    """Mark an item's drafting state in the meeting (bracketed, alternatives, agreed ad ref,
    agreed, open): the item page's mark, with its rule (agreed needs no standing objection, or a
    co-chair's override_reason), tied to the meeting."""
    room.mark_item(
        ctx.db,
        ctx.principal,
        meeting_id,
        item_code=body.item,
        state=body.state,
        note=body.note,
        override_reason=body.override_reason,
        now=ctx.now,
        request_id=ctx.request_id,
    )
    return _one(ctx, service.get(ctx.db, ctx.principal, meeting_id), 201)


_STREAM: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A text/event-stream: each event's data is JSON with at least type and ref",
        "content": {"text/event-stream": {}},
    }
}


@router.get("/events", responses=errors() | _STREAM, response_class=StreamingResponse)
def events(request: Request, ctx: Reader, last_event_id: LastEventId = None) -> StreamingResponse:
    """Every change you may see, as it happens, from any instance of the app. Reconnect with
    Last-Event-ID to receive what you missed (from more than 5,000 events back: one event of
    type "reset", meaning read what you show again, then on from now)."""
    return live.stream(request, ctx.principal, last_event_id, meeting_id=None)


@router.get(
    "/meetings/{meeting_id}/events",
    responses=errors(404) | _STREAM,
    response_class=StreamingResponse,
)
def meeting_events(
    meeting_id: MeetingId, request: Request, ctx: Reader, last_event_id: LastEventId = None
) -> StreamingResponse:
    """The changes of one meeting and of what its agenda is about. Refused (404) for a meeting
    you may not see."""
    service.get(ctx.db, ctx.principal, meeting_id)
    return live.stream(request, ctx.principal, last_event_id, meeting_id=meeting_id)
