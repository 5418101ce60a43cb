"""Meeting pages: the list, setting one up, a meeting's page (details and agenda, with the
secretariat's forms), and the live view delegates keep open during the meeting, with its
projector mode and the fragment the live view fetches when an event says it changed."""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.permissions import Action, allowed
from app.consensus import picture as consensus_picture
from app.errors import Conflict, DomainError, NotFound, PreconditionFailed
from app.ids import is_id
from app.meetings import floor, room, service
from app.meetings.service import Details, MeetingView
from app.models import Meeting, Outcome, Role, Stance
from app.proposals import display
from app.proposals import forms as proposal_forms
from app.proposals import service as proposals
from app.proposals.service import ProposalView
from app.register import service as register
from app.timezones import ASEAN_ZONES, in_zone, local_text
from app.web.deps import Context, DbRoute, RequestContext
from app.web.forms import Form, PostedForm, Problem, sentence, text, texts
from app.web.templating import render

router = APIRouter(route_class=DbRoute, include_in_schema=False)

Reader = Annotated[RequestContext, Context(Action.READ_MEETINGS)]
Manager = Annotated[RequestContext, Context(Action.MANAGE_MEETINGS)]
Runner = Annotated[RequestContext, Context(Action.RUN_MEETING)]
Delegate = Annotated[RequestContext, Context(Action.TAKE_PART)]
Decider = Annotated[RequestContext, Context(Action.DECIDE)]
Marker = Annotated[RequestContext, Context(Action.MARK_ITEM)]

FIELDS = ("title", "starts_at", "time_zone", "duration_minutes", "round", "video_url")
DONE = {
    "created": "Meeting set up.",
    "saved": "Meeting saved.",
    "agenda": "Agenda saved.",
    "current": "The point under discussion is changed.",
}


# How the page names a field the service's message starts with ("video_url must be ...").
LABELS = {
    "title": "The title",
    "starts_at": "The start",
    "time_zone": "The time zone",
    "duration_minutes": "The duration",
    "video_url": "The video call link",
}


def _refusal(form: Form, exc: DomainError) -> None:
    field = exc.extra.get("field")
    detail = exc.detail
    if isinstance(field, str) and detail.startswith(field) and field in LABELS:
        detail = LABELS[field] + detail[len(field) :]
    form.add(field if isinstance(field, str) else None, detail[:1].upper() + detail[1:])


def _form_of(posted: PostedForm) -> Form:
    values: dict[str, Any] = {name: text(posted, name, 600) for name in FIELDS}
    values["participants"] = texts(posted, "participants")
    values["observers_invited"] = posted.get("observers_invited") == "yes"
    return Form(values)


def _details(form: Form) -> Details:
    v = form.values
    duration = v["duration_minutes"]
    if not is_id(str(duration)):  # "²" passes isdigit() but not int()
        raise _Invalid("duration_minutes", "Duration must be a whole number of minutes")
    return Details(
        title=v["title"],
        starts_at=v["starts_at"],
        time_zone=v["time_zone"],
        duration_minutes=int(duration),
        round=v["round"],
        video_url=v["video_url"],
        participants=v["participants"],
        observers_invited=v["observers_invited"],
    )


class _Invalid(DomainError):
    status_code = 422

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail, field=field)


def _delegations(ctx: RequestContext) -> list[tuple[str, str]]:
    return display.group_delegations(ctx.db)


@router.get("/meetings")
def meetings(ctx: Reader) -> HTMLResponse:
    rows = service.listing(ctx.db, ctx.principal)
    return render(
        ctx.request,
        "meetings.html",
        {"meetings": rows, "can_manage": allowed(ctx.principal.role, Action.MANAGE_MEETINGS)},
    )


def _edit_page(
    ctx: RequestContext, form: Form, meeting: Meeting | None, status_code: int = 200
) -> HTMLResponse:
    return render(
        ctx.request,
        "meeting_form.html",
        {
            "form": form,
            "problems": form.problems,
            "meeting": meeting,
            "zones": ASEAN_ZONES,
            "delegations": _delegations(ctx),
        },
        status_code,
    )


@router.get("/meetings/new")
def new_meeting(ctx: Manager) -> HTMLResponse:
    form = Form(
        {
            "time_zone": "Asia/Jakarta",
            "duration_minutes": "120",
            "participants": [c for c, _ in _delegations(ctx)],
        }
    )
    return _edit_page(ctx, form, None)


@router.post("/meetings")
def create_meeting(ctx: Manager, posted: PostedForm) -> Response:
    form = _form_of(posted)
    try:
        meeting = service.create(ctx.db, ctx.actor, _details(form), now=ctx.now)
    except DomainError as exc:
        _refusal(form, exc)
        return _edit_page(ctx, form, None, exc.status_code)
    return RedirectResponse(f"/meetings/{meeting.id}?done=created", status_code=303)


@router.get("/meetings/{meeting_id}/edit")
def edit_meeting(meeting_id: int, ctx: Manager) -> HTMLResponse:
    meeting = service.get(ctx.db, ctx.principal, meeting_id)
    v = service.view(ctx.db, meeting)
    local = in_zone(meeting.starts_at, meeting.time_zone)
    form = Form(
        {
            "title": meeting.title,
            "starts_at": f"{local:%Y-%m-%dT%H:%M}",
            "time_zone": meeting.time_zone,
            "duration_minutes": str(meeting.duration_minutes),
            "round": v.round_symbol or "",
            "video_url": meeting.video_url,
            "participants": v.participants,
            "observers_invited": meeting.observers_invited,
            "version": str(meeting.version),
        }
    )
    return _edit_page(ctx, form, meeting)


def _version(posted: PostedForm) -> int:
    value = text(posted, "version", 12)
    return int(value) if is_id(value) else 0


@router.post("/meetings/{meeting_id}/edit")
def save_meeting(meeting_id: int, ctx: Manager, posted: PostedForm) -> Response:
    meeting = service.get(ctx.db, ctx.principal, meeting_id)
    form = _form_of(posted)
    form.values["version"] = str(_version(posted))
    try:
        service.update(
            ctx.db,
            ctx.actor,
            meeting_id,
            _details(form),
            expected_version=_version(posted),
            now=ctx.now,
        )
    except DomainError as exc:
        _refusal(form, exc)
        return _edit_page(ctx, form, meeting, exc.status_code)
    return RedirectResponse(f"/meetings/{meeting_id}?done=saved", status_code=303)


def _meeting_page(
    ctx: RequestContext, meeting: Meeting, problems: list[Any] | None = None, status: int = 200
) -> HTMLResponse:
    done = ctx.request.query_params.get("done", "")
    return render(
        ctx.request,
        "meeting.html",
        {
            "v": service.view(ctx.db, meeting),
            "m": meeting,
            "starts_here": local_text(meeting.starts_at, meeting.time_zone),
            "can_manage": allowed(ctx.principal.role, Action.MANAGE_MEETINGS),
            "can_run": allowed(ctx.principal.role, Action.RUN_MEETING),
            "problems": problems or [],
            "confirmation": DONE.get(done, ""),
        },
        status,
    )


@router.get("/meetings/{meeting_id}")
def meeting_page(meeting_id: int, ctx: Reader) -> HTMLResponse:
    return _meeting_page(ctx, service.get(ctx.db, ctx.principal, meeting_id))


def _refused(ctx: RequestContext, meeting_id: int, exc: DomainError) -> HTMLResponse:
    """The meeting page again, saying why the change was refused; a stale version says that
    someone else changed the meeting, and shows it as it is now."""
    field = exc.extra.get("field") if isinstance(exc.extra.get("field"), str) else None
    message = sentence(exc)
    if isinstance(exc, PreconditionFailed):
        message = (
            "Someone else changed this meeting's agenda meanwhile; it is shown as it is now. "
            "Make your change again."
        )
        field = "agenda"
    ctx.discard_refused()
    meeting = service.get(ctx.db, ctx.principal, meeting_id)
    return _meeting_page(ctx, meeting, [Problem(field, message)], exc.status_code)


@router.post("/meetings/{meeting_id}/agenda")
def change_agenda(meeting_id: int, ctx: Manager, posted: PostedForm) -> Response:
    """One change to the agenda: add a point, move one up or down, take one off."""
    service.get(ctx.db, ctx.principal, meeting_id)
    refs = service.agenda_refs(ctx.db, meeting_id)
    action = text(posted, "action", 16)
    ref = text(posted, "ref", 40)
    try:
        if action == "add":
            refs = [*refs, ref]
        elif ref not in refs:
            raise NotFound(f"{ref} is not on the agenda", field="agenda")
        elif action in ("up", "down"):
            at = refs.index(ref)
            to = at - 1 if action == "up" else at + 1
            if 0 <= to < len(refs):
                refs[at], refs[to] = refs[to], refs[at]
        elif action == "remove":
            refs.remove(ref)
        service.set_agenda(
            ctx.db, ctx.actor, meeting_id, refs, expected_version=_version(posted), now=ctx.now
        )
    except DomainError as exc:
        return _refused(ctx, meeting_id, exc)
    return RedirectResponse(f"/meetings/{meeting_id}?done=agenda#agenda", status_code=303)


@router.post("/meetings/{meeting_id}/current")
def change_current(meeting_id: int, ctx: Runner, posted: PostedForm) -> Response:
    """Bring a point under discussion: a named one, the next one, or none."""
    meeting = service.get(ctx.db, ctx.principal, meeting_id)
    ref: str | None = text(posted, "ref", 40)
    if ref == "next":
        ref = service.next_ref(ctx.db, meeting)
    try:
        service.set_current(ctx.db, ctx.actor, meeting_id, ref or None, now=ctx.now)
    except DomainError as exc:
        return _refused(ctx, meeting_id, exc)
    back = text(posted, "back", 16)
    where = "live" if back == "live" else ""
    return RedirectResponse(
        f"/meetings/{meeting_id}/{where}" if where else f"/meetings/{meeting_id}?done=current",
        status_code=303,
    )


# --- The live view ----------------------------------------------------------------------------


def _point(ctx: RequestContext, v: MeetingView) -> dict[str, Any]:
    """What the live view shows of the point under discussion."""
    current = v.current
    if current is None or current.item_code is None:
        return {"current": current}
    item = register.get_item(ctx.db, current.item_code)
    rev = register.current(ctx.db, current.item_code)
    panel = room.on_the_point(ctx.db, v, display.proposals_panel(ctx.db, ctx.principal, item))
    return {"current": current, "rev": rev.revision, **panel}


def _live_context(
    ctx: RequestContext,
    meeting_id: int,
    projector: bool,
    room_active: dict[str, Form] | None = None,
) -> dict[str, Any]:
    meeting = service.get(ctx.db, ctx.principal, meeting_id)
    v = service.view(ctx.db, meeting)
    point = _point(ctx, v)
    queue = floor.queue(ctx.db, meeting.id)
    taking_part = service.participant_ids(ctx.db, meeting.id)
    own = [d for d in ctx.principal.delegations if d.id in taking_part]
    may_take_part = allowed(ctx.principal.role, Action.TAKE_PART) and bool(own) and not projector
    return {
        "v": v,
        "m": meeting,
        "projector": projector,
        "queue": queue,
        "presence": floor.presence(ctx.db, meeting.id),
        "acts": room.acts(ctx.db, meeting.id),
        "own_delegation": own[0].code if may_take_part else None,
        "own_delegations": [d.code for d in own] if may_take_part else [],
        "own_waiting": [d.code for d in own if any(f.delegation == d.code for f in queue)]
        if may_take_part
        else [],
        "can_run": allowed(ctx.principal.role, Action.RUN_MEETING) and not projector,
        "next_ref": service.next_ref(ctx.db, meeting),
        "starts_here": local_text(meeting.starts_at, meeting.time_zone),
        # The acts list names drafting states whatever the point under discussion is.
        "drafting_states": proposal_forms.DRAFTING_STATES,
        **point,
        **_room_forms(ctx, v, point, projector, room_active or {}),
    }


@router.get("/meetings/{meeting_id}/live")
def live(meeting_id: int, ctx: Reader, projector: bool = False) -> HTMLResponse:
    context = _live_context(ctx, meeting_id, projector)
    return render(
        ctx.request, "meeting_projector.html" if projector else "meeting_live.html", context
    )


@router.get("/meetings/{meeting_id}/live/fragment")
def live_fragment(meeting_id: int, ctx: Reader, projector: bool = False) -> HTMLResponse:
    """The part of the live view that changes, fetched by the page when an event says so."""
    context = _live_context(ctx, meeting_id, projector)
    response = render(ctx.request, "_meeting_point.html", context)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- In the room ------------------------------------------------------------------------------


def _back_to_live(meeting_id: int) -> RedirectResponse:
    return RedirectResponse(f"/meetings/{meeting_id}/live", status_code=303)


@router.post("/meetings/{meeting_id}/floor")
def ask_for_the_floor(meeting_id: int, ctx: Delegate, posted: PostedForm) -> Response:
    try:
        floor.ask(
            ctx.db,
            ctx.principal,
            meeting_id,
            delegation_code=text(posted, "delegation", 32) or None,
            now=ctx.now,
            request_id=ctx.request_id,
        )
    except DomainError as exc:
        return _refused(ctx, meeting_id, exc)
    return _back_to_live(meeting_id)


@router.post("/meetings/{meeting_id}/attendance")
def attend(meeting_id: int, ctx: Delegate, posted: PostedForm) -> Response:
    try:
        floor.attend(
            ctx.db,
            ctx.principal,
            meeting_id,
            joined=text(posted, "joined", 8) == "yes",
            delegation_code=text(posted, "delegation", 32) or None,
            now=ctx.now,
            request_id=ctx.request_id,
        )
    except DomainError as exc:
        return _refused(ctx, meeting_id, exc)
    return _back_to_live(meeting_id)


@router.post("/meetings/{meeting_id}/floor/withdraw")
def withdraw_from_the_floor(meeting_id: int, ctx: Delegate, posted: PostedForm) -> Response:
    """A delegate takes back their delegation's request for the floor."""
    try:
        floor.withdraw(
            ctx.db,
            ctx.principal,
            meeting_id,
            delegation_code=text(posted, "delegation", 32) or None,
            now=ctx.now,
            request_id=ctx.request_id,
        )
    except DomainError as exc:
        return _refused(ctx, meeting_id, exc)
    return _back_to_live(meeting_id)


@router.post("/meetings/{meeting_id}/floor/{request_id}/{step}")
def move_the_floor(meeting_id: int, request_id: int, step: str, ctx: Runner) -> Response:
    """Give the floor to a delegation that asked (call), or take its request off (clear)."""
    meeting = service.get(ctx.db, ctx.principal, meeting_id)
    if step not in ("call", "clear"):
        raise NotFound(f"no step {step[:20]!r}; use call or clear", field="step")
    change = floor.call if step == "call" else floor.clear
    try:
        change(ctx.db, ctx.actor, meeting.id, request_id, now=ctx.now)
    except DomainError as exc:
        return _refused(ctx, meeting_id, exc)
    return _back_to_live(meeting_id)


# --- Stated and decided in the meeting ------------------------------------------------------

# What a decision in the meeting may be: those the decision service records without the
# modified text or the proposal merged into (decided on the proposal's page), nor "under
# consideration" (which records no decision for the meeting to keep).
ROOM_OUTCOMES = room.ROOM_OUTCOMES
STATED_IDS = {
    "delegation": "stated-delegation",
    "stance": "stated-stance",
    "statement": "stated-statement",
}
# The mark form's fields on the live view (the item page's are "mark-...").
MARK_IDS = {
    "state": "room-mark-state",
    "note": "room-mark-note",
    "override_reason": "room-mark-override_reason",
}


@dataclass(frozen=True, slots=True)
class Decidable:
    """A proposal under discussion the person may decide in the meeting, with the consensus
    picture its acknowledgement covers."""

    pv: ProposalView
    picture: consensus_picture.Picture
    acknowledgement: str


def _room_forms(
    ctx: RequestContext,
    v: MeetingView,
    point: dict[str, Any],
    projector: bool,
    active: dict[str, Form],
) -> dict[str, Any]:
    """The secretariat's forms on its live view for the point under discussion: a position a
    delegation stated in the meeting, a decision in the meeting on each submitted proposal
    under discussion, and the item's drafting state marked in the meeting (the secretariat and
    the co-chairs). None on the projector nor for members."""
    role = ctx.principal.role
    can_record = allowed(role, Action.MANAGE_MEETINGS) and not projector
    can_decide = allowed(role, Action.DECIDE) and not projector
    can_mark = allowed(role, Action.MARK_ITEM) and not projector
    workflow = point.get("workflow")
    if workflow is None or not (can_record or can_decide or can_mark):
        return {"can_record": False, "can_mark_here": False, "decidable": [], "room_active": {}}
    rows = [*workflow["alternatives"], *workflow["open_others"]]
    submitted = [r.view for r in rows if r.view.proposal.submitted_at is not None]
    decidable = []
    for pv in submitted if can_decide else []:
        seen = consensus_picture.of_proposal(ctx.db, pv.proposal.id)
        decidable.append(Decidable(pv, seen, consensus_picture.acknowledgement_needed(seen)))
    code = point["current"].item_code
    return {
        "can_record": can_record,
        "can_mark_here": can_mark,
        "stated_delegations": v.participants,
        "stated_targets": [
            (code, f"{code} itself"),
            *(
                (pv.proposal.reference, f"{pv.proposal.reference} by {pv.delegation_code}")
                for pv in submitted
            ),
        ],
        "room_outcomes": [(o.value, proposal_forms.OUTCOMES[o.value]) for o in ROOM_OUTCOMES],
        "decidable": decidable,
        "room_active": active,
    }


def _live_refused(
    ctx: RequestContext, meeting_id: int, name: str, form: Form, status: int
) -> HTMLResponse:
    """The live view again with the form as posted, its problems beside its fields."""
    ctx.discard_refused()
    context = _live_context(ctx, meeting_id, False, {name: form})
    return render(ctx.request, "meeting_live.html", context, status)


@router.post("/meetings/{meeting_id}/positions")
def state_position(meeting_id: int, ctx: Manager, posted: PostedForm) -> Response:
    """A position a delegation stated in the meeting, recorded by the secretariat on its
    behalf on the item under discussion or one of its proposals."""
    meeting = service.get(ctx.db, ctx.principal, meeting_id)
    form = Form(
        {
            "delegation": text(posted, "delegation", 32),
            "stance": text(posted, "stance", 32),
            "statement": text(posted, "statement", 5001),
            "target": text(posted, "target", 40),
        }
    )
    v = form.values
    if not v["delegation"]:
        form.add("stated-delegation", "Choose the delegation that stated the position")
    if v["stance"] not in {s.value for s in Stance}:
        form.add("stated-stance", "Choose the position stated")
    form.limited("stated-statement", v["statement"], 5000, "The statement")
    target = v["target"].upper()
    proposal_id = int(target[2:]) if target.startswith("P-") and is_id(target[2:]) else None
    current = service.view(ctx.db, meeting).current
    code = current.item_code if current is not None else None
    item_code = code if code and target == code.upper() else None
    if proposal_id is None and item_code is None:
        form.add(
            "stated-target", "Choose what the position is on: the item or one of its proposals"
        )
    if not form.ok:
        return _live_refused(ctx, meeting_id, "stated", form, 422)
    try:
        room.state_position(
            ctx.db,
            ctx.principal,
            meeting_id,
            delegation_code=v["delegation"],
            stance=Stance(v["stance"]),
            statement=v["statement"],
            proposal_id=proposal_id,
            item_code=item_code,
            now=ctx.now,
            request_id=ctx.request_id,
        )
    except DomainError as exc:
        form.add_refusal(exc, STATED_IDS, "stated-target")
        return _live_refused(ctx, meeting_id, "stated", form, exc.status_code)
    return _back_to_live(meeting_id)


@router.post("/meetings/{meeting_id}/marks")
def mark_in_meeting(meeting_id: int, ctx: Marker, posted: PostedForm) -> Response:
    """Mark the item under discussion bracketed, alternatives, agreed ad ref, agreed or open
    again, in the meeting: the item page's mark (same rule: agreed needs no standing objection,
    or a co-chair's override with its reason), tied to the meeting."""
    meeting = service.get(ctx.db, ctx.principal, meeting_id)
    form = proposal_forms.parse_mark(posted)
    form.problems = [
        p._replace(field=p.field.replace("mark-", "room-mark-", 1) if p.field else None)
        for p in form.problems
    ]
    item = text(posted, "item", 40).upper()
    form.values["item"] = item
    current = service.view(ctx.db, meeting).current
    code = current.item_code if current is not None else None
    if form.ok and (not code or item != code.upper()):
        # The point moved on since the page was drawn: the form is shown again for the point
        # now under discussion, nothing marked.
        now_on = f"{code} is under discussion now" if code else "no item is under discussion now"
        form.add(
            "room-mark-state",
            f"{item or 'That item'} is no longer the point under discussion ({now_on}); "
            "mark it again if it still needs marking",
        )
        return _live_refused(ctx, meeting_id, "mark", form, 409)
    if not form.ok:
        return _live_refused(ctx, meeting_id, "mark", form, 422)
    v = form.values
    try:
        room.mark_item(
            ctx.db,
            ctx.principal,
            meeting_id,
            item_code=item,
            state=v["state"],
            note=v["note"],
            override_reason=v["override_reason"],
            now=ctx.now,
            request_id=ctx.request_id,
        )
    except DomainError as exc:
        # Only a co-chair has the override's field: the secretariat is told beside the state.
        chair = ctx.principal.role is Role.CHAIR
        ids = MARK_IDS if chair else MARK_IDS | {"override_reason": "room-mark-state"}
        form.add_refusal(exc, ids, "room-mark-state")
        return _live_refused(ctx, meeting_id, "mark", form, exc.status_code)
    return _back_to_live(meeting_id)


@router.post("/meetings/{meeting_id}/decisions/{proposal_id}")
def decide_in_meeting(
    meeting_id: int, proposal_id: int, ctx: Decider, posted: PostedForm
) -> Response:
    """Decide a proposal under discussion in the meeting: the proposal page's decision (same
    consensus checks and acknowledgement, same version check), tied to the meeting."""
    service.get(ctx.db, ctx.principal, meeting_id)
    if not is_id(str(proposal_id)):
        raise NotFound(f"no proposal P-{proposal_id}", field="proposal_id")
    # One the person may not see is not there (404), whatever the form says.
    proposals.view(ctx.db, ctx.principal, proposal_id)
    name = f"decide-{proposal_id}"
    form = proposal_forms.parse_decision(posted, modifiable=[])
    # The proposal page's field ids ("decision-reason") as this proposal's form names them.
    form.problems = [
        p._replace(field=p.field.replace("decision-", f"{name}-", 1) if p.field else None)
        for p in form.problems
    ]
    v = form.values
    if v["outcome"] not in {o.value for o in ROOM_OUTCOMES}:
        # Not one this form offers (nor what the proposal page's other outcomes ask for).
        form.problems = [Problem(f"{name}-outcome", "Choose the decision")]
    if not form.ok:
        return _live_refused(ctx, meeting_id, name, form, 422)
    ids = {k: i.replace("decision-", f"{name}-", 1) for k, i in proposal_forms.DECISION_IDS.items()}
    try:
        room.decide(
            ctx.db,
            ctx.principal,
            meeting_id,
            proposal_id,
            expected_version=int(v["version"]),
            outcome=Outcome(v["outcome"]),
            reason=v["reason"],
            acknowledged=v["acknowledged"],
            acknowledged_picture=v["acknowledged_picture"],
            override_reason=v["override_reason"],
            now=ctx.now,
            request_id=ctx.request_id,
        )
    except PreconditionFailed:
        form.add(
            f"{name}-outcome",
            "Someone else changed or decided this proposal meanwhile; it is shown as it is now. "
            "Decide again if it still needs deciding.",
        )
        return _live_refused(ctx, meeting_id, name, form, 412)
    except Conflict as exc:
        if exc.extra.get("field") == "acknowledged":
            v["acknowledged"] = False  # the picture changed since: acknowledge it again
        form.add_refusal(exc, ids, f"{name}-outcome")
        return _live_refused(ctx, meeting_id, name, form, exc.status_code)
    except DomainError as exc:
        form.add_refusal(exc, ids, f"{name}-outcome")
        return _live_refused(ctx, meeting_id, name, form, exc.status_code)
    return _back_to_live(meeting_id)
