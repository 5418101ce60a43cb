"""Web pages of draft rounds: the list, the secretariat's form to create a round, the round page
with its snapshot and the transitions its state allows, the silence procedure, the comparison of
two rounds, and the current-round banner at the top of every page.

Reads first apply passed deadlines (app/rounds/web.py); every transition does so itself.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select

from app.accounts.permissions import Action, allowed
from app.errors import DomainError, NotFound
from app.ids import is_id
from app.models import Comment, Proposal, ProposalState, Round, RoundState
from app.paging import page_number
from app.principal import Principal
from app.register import service as register
from app.rounds import compare, forms, service, snapshot
from app.rounds.export import MEDIA_TYPE, download_headers, export_round
from app.rounds.export_loader import changed_after_approval
from app.rounds.service import Moment
from app.rounds.web import keep_current
from app.screening.panels import impacts_on_round
from app.web.cache import audience_key, cached_page
from app.web.deps import Context, DbRoute, RequestContext
from app.web.forms import Form, PostedForm, Problem
from app.web.templating import render

router = APIRouter(route_class=DbRoute, include_in_schema=False)

Reader = Annotated[RequestContext, Context(Action.READ_REGISTER)]
Manager = Annotated[RequestContext, Context(Action.MANAGE_ROUNDS)]
Breaker = Annotated[RequestContext, Context(Action.BREAK_SILENCE)]
SILENCE_DAYS = 3  # the UN's 72 hours, offered as the default end of a silence procedure


def round_url(r: Round | str, suffix: str = "") -> str:
    symbol = r if isinstance(r, str) else r.symbol
    return f"/rounds/{quote(symbol, safe='/')}{suffix}"


# --- The list of rounds ---------------------------------------------------------------------


@router.get("/rounds")
def rounds(ctx: Reader) -> HTMLResponse:
    keep_current(ctx)
    listed = service.list_rounds(ctx.db)
    return render(
        ctx.request,
        "rounds.html",
        {
            "rounds": [
                (r, round_url(r), Moment.of(r.deadline, r.time_zone, ctx.now)) for r in listed
            ],
            "can_manage": allowed(ctx.principal.role, Action.MANAGE_ROUNDS),
            "comparable": sum(1 for r in listed if r.state is not RoundState.PREPARING) >= 2,
        },
    )


# --- Creating a round -----------------------------------------------------------------------


def _form_page(ctx: RequestContext, form: Form, status_code: int = 200) -> HTMLResponse:
    return render(
        ctx.request,
        "round_form.html",
        {
            "form": form,
            "values": form.values,
            "errors": form.errors,
            "zones": forms.TIME_ZONES,
            "kinds": forms.KINDS,
        },
        status_code,
    )


@router.get("/rounds/new")
def new_round(ctx: Manager) -> HTMLResponse:
    return _form_page(
        ctx, forms.blank_round(zone=ctx.settings.time_zone, marking=ctx.settings.classification)
    )


@router.post("/rounds/new")
def create_round(ctx: Manager, posted: PostedForm) -> Response:
    parsed = forms.parse_round(posted)
    if parsed.form.ok:
        try:
            created = service.create_round(
                ctx.db,
                ctx.actor,
                symbol=parsed.values["symbol"],
                title=parsed.values["title"],
                kind=parsed.kind,
                time_zone=parsed.values["time_zone"],
                deadline=parsed.deadline,
                opens_at=parsed.opens_at,
                instructions=parsed.values["instructions"],
                observers_may_comment=parsed.observers_may_comment,
                marking=parsed.values["marking"] or ctx.settings.classification,
                now=ctx.now,
            )
        except DomainError as exc:
            parsed.form.add_refusal(exc, forms.FIELD_IDS)
        else:
            return RedirectResponse(round_url(created, "?done=created"), status_code=303)
    return _form_page(ctx, parsed.form, status_code=422)


# --- Comparing two rounds -------------------------------------------------------------------
# /rounds/compare is declared before /rounds/{ref:path}, which would otherwise match it.


@router.get("/rounds/compare")
def compare_rounds(
    ctx: Reader,
    from_: Annotated[str, Query(alias="from", max_length=64)] = "",
    to: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    keep_current(ctx)
    issued = [r for r in service.list_rounds(ctx.db) if r.state is not RoundState.PREPARING]
    later = service.get_round(ctx.db, to) if to else (issued[0] if issued else None)
    earlier: Round | None = None
    if from_:
        earlier = service.get_round(ctx.db, from_)
    elif later is not None:
        by_id = {r.id: r for r in issued}
        fallback = next((r for r in issued if r.id < later.id), None)
        earlier = by_id.get(later.previous_round_id or 0, fallback)
    comparison = None
    if earlier is not None and later is not None:
        comparison = compare.between(ctx.db, earlier, later)
    return render(
        ctx.request,
        "round_compare.html",
        {
            "issued": issued,
            "earlier": earlier,
            "later": later,
            "c": comparison,
            "round_url": round_url,
            "dimensions": {d.code: d.title for d in register.list_dimensions(ctx.db)},
        },
    )


# --- One round ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Move:
    name: str
    button: str
    hint: str
    secondary: bool = False

    @property
    def confirmed(self) -> bool:
        """Asked on a page of its own that says what will happen (a GET link, not a form)."""
        return self.name in CONFIRMED


MOVES = {
    "issue": service.issue_round,
    "close": service.close_round,
    "reopen": service.reopen_round,
    "consultation": service.consult_round,
    "settle": service.settle_round,
}


def _moves(r: Round) -> list[Move]:
    """The transitions the secretariat can make from the round's state."""
    if r.state is RoundState.PREPARING:
        return [
            Move(
                "issue",
                "Issue the round",
                "Freezes the text as it is now in the register and opens the round for input"
                + (f"; {r.symbol} supersedes the round before it." if r.previous_round_id else "."),
            )
        ]
    if r.state is RoundState.OPEN:
        return [Move("close", "Close for input", "No more proposals or comments after this.")]
    if r.state is RoundState.CLOSED:
        return [
            Move("consultation", "Take to consultation", "The meetings work through the input."),
            Move("reopen", "Reopen for input", "Delegations can send input again.", True),
        ]
    if r.state is RoundState.CONSULTATION:
        return [
            Move(
                "settle",
                "Mark the text settled",
                "Freezes the decided text from the register; the chairs can then approve it, "
                "or you can place it under silence.",
            )
        ]
    if r.state is RoundState.SETTLED:
        hint = (
            "Ends the silence procedure without adopting the text."
            if r.silence_until
            else "Talks resume on the text."
        )
        return [Move("consultation", "Reopen consultation", hint, True)]
    return []


def _grouped(lines: Sequence[snapshot.Line]) -> list[tuple[str | None, list[snapshot.Line]]]:
    """The snapshot in reading order: sections, then indicators dimension by dimension."""
    groups: list[tuple[str | None, list[snapshot.Line]]] = []
    for e in lines:
        key = None if e.section else e.dimension
        if not groups or groups[-1][0] != key:
            groups.append((key, []))
        groups[-1][1].append(e)
    return groups


# The ?done= values the round page confirms (round.html's messages).
CONFIRMATIONS = (
    "created",
    "issue",
    "close",
    "reopen",
    "consultation",
    "settle",
    "silence",
    "broken",
)


def _round_page(
    ctx: RequestContext,
    ref: str,
    *,
    silence_form: Form | None = None,
    break_form: Form | None = None,
    refusal: str | None = None,
    status_code: int = 200,
    page: int = 1,
) -> HTMLResponse:
    if silence_form is None and break_form is None and not refusal:
        # The page as everyone of an audience sees it at this minute (its deadlines and time
        # left are written to the minute): one render per audience and minute after a change.
        # The round is read after the content version (cached_page calls key first).
        done = ctx.request.query_params.get("done", "")
        found: list[Round] = []  # read once, by the key, for the render too

        def key() -> tuple[Any, ...]:
            r = service.get_round(ctx.db, ref)
            found.append(r)
            return (
                "round",
                r.id,
                page,
                done if done in CONFIRMATIONS else "",
                ctx.now.replace(second=0, microsecond=0),
                *audience_key(ctx.principal),
            )

        return cached_page(
            ctx.request,
            ctx.db,
            ctx.principal,
            "round.html",
            key,
            lambda viewer: _round_context(ctx, viewer, found[0], page, [], None, None),
            # Which case studies the viewer may see is not in the audience key: the impact of
            # the pending proposals (app.screening.panels) is rendered for them alone, uncached.
            after=lambda: impacts_on_round(ctx.db, ctx.principal, found[0]),
        )
    r = service.get_round(ctx.db, ref)
    problems: list[Problem] = []
    if refusal:
        problems.append(Problem("round-actions", refusal))
    for f in (silence_form, break_form):
        if f is not None:
            problems += f.problems
    return render(
        ctx.request,
        "round.html",
        _round_context(ctx, ctx.principal, r, page, problems, silence_form, break_form),
        status_code,
    )


def _round_context(
    ctx: RequestContext,
    principal: Principal,
    r: Round,
    page: int,
    problems: list[Problem],
    silence_form: Form | None,
    break_form: Form | None,
) -> dict[str, Any]:
    d = service.details(ctx.db, r, ctx.now)
    # The items counted by state above are the whole snapshot: no second count for the pager.
    frozen = snapshot.page_lines(ctx.db, r.id, page, d.item_count)
    can_manage = allowed(principal.role, Action.MANAGE_ROUNDS)
    # Rounds a redline of this one can be compared with: the issued rounds before it.
    bases = service.issued_before(ctx.db, r)
    default_until = forms.local_input(ctx.now + timedelta(days=SILENCE_DAYS), r.time_zone)
    return {
        "d": d,
        "r": r,
        "url": round_url(r),
        "groups": _grouped(list(frozen.rows)),
        "shown": frozen,
        "labels": service.ITEM_STATE_LABELS,
        "moves": _moves(r) if can_manage else [],
        "can_manage": can_manage,
        "can_silence": can_manage and r.state is RoundState.SETTLED and not r.silence_until,
        "can_break": allowed(principal.role, Action.BREAK_SILENCE)
        and r.under_silence
        and bool(principal.delegations),
        "problems": problems,
        "silence": silence_form or Form({"until": default_until}),
        "breaking": break_form or Form({"statement": "", "delegation": ""}),
        "done": ctx.request.query_params.get("done", ""),
        "export_bases": bases,
        "export_base": d.previous_symbol if d.previous_symbol in bases else "",
        "changed_after_approval": Moment.of(
            changed_after_approval(ctx.db, r), r.time_zone, ctx.now
        ),
    }


@router.post("/rounds/{ref:path}/silence")
def place_under_silence(ref: str, ctx: Manager, posted: PostedForm) -> Response:
    r = service.get_round(ctx.db, ref)
    form, until = forms.parse_silence(posted, r.time_zone)
    if until is not None:
        try:
            service.place_under_silence(ctx.db, ctx.actor, ref, until=until, now=ctx.now)
        except DomainError as exc:
            form.add_refusal(exc, {}, "until")
        else:
            return RedirectResponse(round_url(r, "?done=silence"), status_code=303)
    return _round_page(ctx, ref, silence_form=form, status_code=422)


@router.post("/rounds/{ref:path}/break-silence")
def break_silence(ref: str, ctx: Breaker, posted: PostedForm) -> Response:
    form = forms.parse_break(posted)
    status_code = 422
    if form.ok:
        try:
            service.break_silence(
                ctx.db,
                ctx.principal,
                ref,
                statement=form.values["statement"],
                delegation_code=form.values["delegation"] or None,
                now=ctx.now,
                request_id=ctx.request_id,
            )
        except DomainError as exc:
            form.add_refusal(exc, forms.FIELD_IDS, "statement")
            status_code = exc.status_code
        else:
            return RedirectResponse(round_url(ref, "?done=broken"), status_code=303)
    return _round_page(ctx, ref, break_form=form, status_code=status_code)


# --- Confirming a move ----------------------------------------------------------------------
# Closing a round, taking it to consultation and settling it each first show a page that says
# what will happen; its form posts the move. These GET routes come before /rounds/{ref:path}.

CONFIRMED = ("close", "consultation", "settle")


def _count(ctx: RequestContext, query: Any) -> int:
    return int(ctx.db.scalar(select(func.count()).select_from(query.subquery())) or 0)


def _waiting(undecided: int) -> str:
    if undecided == 1:
        return "1 proposal waits for a decision."
    return f"{undecided} proposals wait for a decision."


def _confirm_context(ctx: RequestContext, r: Round, move: str) -> dict[str, Any]:
    """What the move will do, in counts and lists."""
    d = service.details(ctx.db, r, ctx.now)
    happens: list[str] = []
    left = service.outstanding(ctx.db, r)
    undecided = len(left.undecided)
    if move == "close":
        submitted = _count(
            ctx,
            select(Proposal.id).where(
                Proposal.round_id == r.id, Proposal.submitted_at.is_not(None)
            ),
        )
        drafts = _count(ctx, select(Proposal.id).where(Proposal.state == ProposalState.DRAFT))
        comments = _count(ctx, select(Comment.id).where(Comment.round_id == r.id))
        if d.deadline and not d.deadline.passed:
            happens.append(
                f"Input closes early: the deadline is {service.deadline_text(r)} "
                f"({d.deadline.remaining})."
            )
        happens += [
            "Delegations can no longer send proposals or comments, unless you accept late "
            "input from a delegation.",
            f"{service.counted(submitted, 'proposal')} and {service.counted(comments, 'comment')} "
            f"{'was' if submitted + comments == 1 else 'were'} sent in this round; "
            f"{_waiting(undecided)}",
            f"{service.counted(drafts, 'private draft')} not yet submitted can no longer be "
            "submitted.",
            "Every member of the group is told.",
        ]
    elif move == "consultation":
        if r.state is RoundState.SETTLED:
            happens.append("The settled text goes back to consultation; talks resume on it.")
            if r.silence_until:
                happens.append(
                    "The silence procedure ends now, without adopting the text "
                    f"(it was to end on {service.moment_text(r.silence_until, r.time_zone)})."
                )
            happens.append("The co-chairs cannot approve the text until it is settled again.")
        else:
            happens += [
                "Input closes for good: late input the Secretariat accepted ends too.",
                "The meetings work through the input.",
            ]
        happens.append(_waiting(undecided))
    else:
        happens += [
            f"The text is frozen again from the register ({service.counted(d.item_count, 'item')}) "
            "and gets a new content hash.",
            "The co-chairs are asked to approve it, or you can place it under silence.",
        ]
        if left:
            happens.append(
                f"Not decided: {service.counted(undecided, 'proposal')}. Not marked: "
                f"{service.counted(len(left.unmarked), 'item')}. Decide or mark each one first, "
                "or tick it below to carry it over to the next round. What you carry over is "
                "recorded with the settlement."
            )
        else:
            happens.append("Every proposal is decided and every item is marked.")
    return {
        "r": r,
        "d": d,
        "url": round_url(r),
        "move": move,
        "happens": happens,
        "left": left,
        "item_href": {
            u.code: f"/{'sections' if u.kind == 'section' else 'indicators'}/{u.code}"
            for u in left.unmarked
        },
        "state_label": r.state.label,
    }


def _confirm_page(
    ctx: RequestContext,
    ref: str,
    move: str,
    *,
    carried: tuple[set[int], set[str]] = (set(), set()),
    refusal: str | None = None,
    missing: tuple[list[str], list[str]] = ([], []),
    status_code: int = 200,
) -> HTMLResponse:
    if not refusal:
        keep_current(ctx)
    r = service.get_round(ctx.db, ref)
    problems = [Problem("outstanding", refusal)] if refusal else []
    return render(
        ctx.request,
        "round_confirm.html",
        _confirm_context(ctx, r, move)
        | {
            "problems": problems,
            "carried_proposals": carried[0],
            "carried_items": carried[1],
            "missing_proposals": set(missing[0]),
            "missing_items": set(missing[1]),
            "allowed": move in {m.name for m in _moves(r)},
        },
        status_code,
    )


@router.get("/rounds/{ref:path}/close")
def confirm_close(ref: str, ctx: Manager) -> HTMLResponse:
    return _confirm_page(ctx, ref, "close")


@router.get("/rounds/{ref:path}/consultation")
def confirm_consultation(ref: str, ctx: Manager) -> HTMLResponse:
    return _confirm_page(ctx, ref, "consultation")


@router.get("/rounds/{ref:path}/settle")
def confirm_settle(ref: str, ctx: Manager) -> HTMLResponse:
    return _confirm_page(ctx, ref, "settle")


@router.post("/rounds/{ref:path}/settle")
def settle_round(ref: str, ctx: Manager, posted: PostedForm) -> Response:
    """Settle, carrying over what the person ticked; refused with the list of what is left."""
    proposals = {int(str(v)) for v in posted.getlist("carry_over_proposal") if is_id(str(v))}
    items = {str(v).strip().upper() for v in posted.getlist("carry_over_item") if str(v).strip()}
    try:
        moved = service.settle_round(
            ctx.db,
            ctx.actor,
            ref,
            now=ctx.now,
            carry_over=service.CarryOver(frozenset(proposals), frozenset(items)),
        )
    except DomainError as exc:
        if exc.extra.get("field") != "carry_over":
            return _round_page(ctx, ref, refusal=exc.detail, status_code=exc.status_code)
        undecided = exc.extra.get("undecided") or []
        unmarked = exc.extra.get("unmarked") or []
        return _confirm_page(
            ctx,
            ref,
            "settle",
            carried=(proposals, items),
            refusal=exc.detail,
            missing=(list(undecided), list(unmarked)),
            status_code=exc.status_code,
        )
    return RedirectResponse(round_url(moved, "?done=settle"), status_code=303)


@router.post("/rounds/{ref:path}/{move}")
def move_round(ref: str, move: str, ctx: Manager) -> Response:
    action = MOVES.get(move)
    if action is None:
        raise NotFound(f"a round cannot be moved by {move!r}")
    try:
        moved = action(ctx.db, ctx.actor, ref, now=ctx.now)
    except DomainError as exc:
        return _round_page(ctx, ref, refusal=exc.detail, status_code=exc.status_code)
    return RedirectResponse(round_url(moved, f"?done={move}"), status_code=303)


# /rounds/{ref:path}/export is declared before /rounds/{ref:path}, which would otherwise match it.


@router.get("/rounds/{ref:path}/export")
def export_download(
    ref: str,
    ctx: Reader,
    variant: Annotated[str, Query(max_length=16)] = "clean",
    base: Annotated[str, Query(max_length=64)] = "",
    comments: Annotated[str, Query(max_length=8)] = "",
) -> Response:
    """The round's "Download in Word" form: streams the .docx of the variant chosen."""
    keep_current(ctx)
    r = service.get_round(ctx.db, ref)
    exported = export_round(
        ctx.db,
        r,
        variant,
        working_group=ctx.settings.working_group_name,
        signing_key=ctx.settings.secret_key,
        base=base or None,
        include_comments=comments.lower() in ("1", "true", "on", "yes"),
    )
    return Response(exported.data, media_type=MEDIA_TYPE, headers=download_headers(exported))


@router.get("/rounds/{ref:path}")
def round_page(
    ref: str, ctx: Reader, page: Annotated[str, Query(max_length=8)] = ""
) -> HTMLResponse:
    number = page_number(page)
    keep_current(ctx)
    return _round_page(ctx, ref, page=number)
