"""Web pages of the drafting workflow: proposing, revising, co-sponsoring, positions, decisions,
answers and rebases, the Secretariat's queue and the consensus overview, and the proposals panel
of an indicator or section page.

Every action is a plain HTML form. Success redirects (303) to a page whose banner says what
happened and what comes next. A form with problems comes back with an error summary (422); a
refusal of the workflow (409) or a stale version (412) comes back as the page the person was on,
with the refusal on top and everything they typed kept. A refused write is rolled back before
the page is drawn, so nothing of it is kept.
"""

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.accounts.permissions import Action, allowed
from app.comments.panels import comments_on_proposal
from app.consensus import picture as consensus_picture
from app.consensus import service as consensus
from app.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
)
from app.ids import is_id
from app.models import (
    DraftingState,
    ItemKind,
    ItemStatus,
    Outcome,
    ProposalKind,
    ProposalState,
    Role,
    Stance,
)
from app.paging import Page, page_number
from app.principal import Principal
from app.proposals import display, forms, service
from app.proposals.forms import ProposalForm
from app.proposals.service import ProposalView
from app.register import service as register
from app.register.forms import CHOICES
from app.register.service import RevisionView
from app.screening.panels import impact_on_proposal
from app.search import similar
from app.web.cache import NOT_KEPT, cached_page
from app.web.deps import Context, DbRoute, RequestContext
from app.web.forms import Form, PostedForm, sentence
from app.web.templating import render

router = APIRouter(route_class=DbRoute, include_in_schema=False)

Reader = Annotated[RequestContext, Context(Action.READ_REGISTER)]
Proposer = Annotated[RequestContext, Context(Action.PROPOSE)]
Sponsor = Annotated[RequestContext, Context(Action.SPONSOR)]
PositionTaker = Annotated[RequestContext, Context(Action.TAKE_POSITION)]
Decider = Annotated[RequestContext, Context(Action.DECIDE)]
Answerer = Annotated[RequestContext, Context(Action.ANSWER)]
Marker = Annotated[RequestContext, Context(Action.MARK_ITEM)]
Rebaser = Annotated[RequestContext, Context(Action.REBASE)]

Refusal = (InvalidInput, Conflict, PreconditionFailed)


def _page(
    ctx: RequestContext, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    return render(ctx.request, name, _common(ctx.principal) | context, status_code)


def _common(principal: Principal) -> dict[str, Any]:
    return {
        "choices": CHOICES,
        "labels": forms.PROPOSAL_LABELS,
        "stances": forms.STANCES,
        "outcomes": forms.OUTCOMES,
        "drafting_states": forms.DRAFTING_STATES,
        "kind_of": display.kind_of,
        "item_url": display.item_url,
        "may": {a.name.lower(): allowed(principal.role, a) for a in Action},
    }


def _done(proposal_id: int, event: str) -> RedirectResponse:
    return RedirectResponse(f"/proposals/{proposal_id}?done={event}", 303)


def _version(form: FormData) -> int:
    value = forms.one(form, "version")
    return int(value) if is_id(value) else 0


# --- Proposing and revising -----------------------------------------------------------------


def _dimension_options(db: Session) -> list[tuple[str, str]]:
    return [(d.code, d.title) for d in register.list_dimensions(db)]


def _followable(db: Session, item_kind: ItemKind) -> list[Any]:
    """The items a new one may follow: those of its kind the draft shows, in reading order."""
    return [r for r in register.list_items(db, item_kind) if r.status is ItemStatus.ACTIVE]


def _after_groups(rows: list[Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The choices of the "after" select, by dimension: (group label, [(code, label)])."""
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    for r in rows:
        label = r.dimension_title or "Sections"
        if not groups or groups[-1][0] != label:
            groups.append((label, []))
        words = r.title or r.text
        short = words if len(words) <= 80 else words[:79].rsplit(" ", 1)[0] + "\u2026"
        groups[-1][1].append((r.code, f"{r.number}. {r.code} \u2013 {short}"))
    return groups


def _followable_codes(db: Session, item_kind: ItemKind) -> dict[str, str | None]:
    return {r.code: r.dimension_code for r in _followable(db, item_kind)}


def _mergeable(db: Session) -> list[Any]:
    return [r for r in register.list_items(db, ItemKind.INDICATOR) if r.status is ItemStatus.ACTIVE]


def _propose_page(
    ctx: RequestContext,
    form: ProposalForm,
    *,
    view: RevisionView | None,
    editing: ProposalView | None = None,
    preview: list[Any] | None = None,
    notice: str | None = None,
    theirs: list[Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    if editing is not None:
        action = f"/proposals/{editing.proposal.id}/edit"
        cancel = f"/proposals/{editing.proposal.id}"
    else:
        action = "/proposals/new"
        cancel = display.item_url(view.item.kind, view.item.code) if view else "/register"
    return _page(
        ctx,
        "propose.html",
        {
            "form": form,
            "values": form.values,
            "errors": form.errors,
            "view": view,
            "editing": editing,
            "action": action,
            "cancel": cancel,
            "preview": preview,
            "notice": notice,
            "theirs": theirs,
            "dimension_options": _dimension_options(ctx.db),
            "after_groups": _after_groups(_followable(ctx.db, form.item_kind))
            if form.kind is ProposalKind.ADD
            else [],
            "mergeable": _mergeable(ctx.db) if form.kind is ProposalKind.MERGE else [],
            "delegations": display.delegation_choices(ctx.principal.delegations),
            # Near-duplicates of a new indicator's text (issue 18), beside the text box.
            "similar": similar.for_form(
                ctx.db,
                ctx.principal,
                str(form.values.get("text", "")),
                exclude=editing.proposal.reference if editing else None,
            )
            if form.kind is ProposalKind.ADD and form.item_kind is ItemKind.INDICATOR
            else [],
        },
        status_code,
    )


@router.get("/proposals/new")
def new_proposal(
    ctx: Proposer,
    kind: ProposalKind = ProposalKind.AMEND,
    item: Annotated[str, Query(max_length=32)] = "",
    item_kind: ItemKind = ItemKind.INDICATOR,
    dimension: Annotated[str, Query(max_length=8)] = "",
    after: Annotated[str, Query(max_length=32)] = "",
) -> HTMLResponse:
    acting = ctx.principal.acting_delegation
    delegation = acting.code if acting else None
    if kind is ProposalKind.ADD:
        followed = None
        if after.strip():
            # "Propose a new indicator after this one": its kind and dimension are the item's.
            followed = register.current(ctx.db, after.strip())
            item_kind = followed.item.kind
            dimension = dimension or followed.dimension_code or ""
        form = forms.start(
            kind,
            item_kind,
            base=None,
            targets=[],
            base_revision=None,
            delegation=delegation,
            dimension=dimension.upper() or None,
        )
        if followed is not None:
            form.values["after"] = followed.item.code
        return _propose_page(ctx, form, view=None)
    if not item:
        raise InvalidInput(
            "say which item you propose to change, for example ?item=FC-CD-01", field="item"
        )
    view = register.current(ctx.db, item)
    if kind is ProposalKind.MERGE and view.item.kind is not ItemKind.INDICATOR:
        raise InvalidInput("only indicators can be merged", field="item")
    form = forms.start(
        kind,
        view.item.kind,
        base=view.revision.content(),
        targets=[view.item.code],
        base_revision=view.revision.number,
        delegation=delegation,
        dimension=view.dimension_code,
    )
    form.base_dimension = view.dimension_code
    return _propose_page(ctx, form, view=view)


def _read_new(ctx: RequestContext, posted: FormData) -> tuple[ProposalForm, Any]:
    """The submitted form, checked, and the base revision it was written against."""
    kind, item_kind, targets, action = forms.read_header(posted)
    view = (
        register.current(ctx.db, targets[0]) if targets and kind is not ProposalKind.ADD else None
    )
    if view is not None:
        item_kind = view.item.kind
    form = forms.parse(
        posted,
        kind=kind,
        item_kind=item_kind,
        targets=targets,
        action=action,
        dimension_codes={code for code, _ in _dimension_options(ctx.db)},
        delegation_codes={d.code for d in ctx.principal.delegations},
        mergeable={r.code for r in _mergeable(ctx.db)} if kind is ProposalKind.MERGE else (),
        latest_revision=view.item.version if view else None,
        followable=_followable_codes(ctx.db, item_kind) if kind is ProposalKind.ADD else None,
    )
    if view is not None and form.base_revision is not None:
        view = register.revision(ctx.db, view.item.code, form.base_revision)
    if kind in {ProposalKind.AMEND, ProposalKind.DELETE} and view is None:
        # No item named: the page comes back with an item field and the problem beside it.
        form.values["item"] = forms.one(posted, "item")
        form.add("item", "Say which item you propose to change, for example FC-CD-01")
    form.base_dimension = view.dimension_code if view else None
    forms.check_changes(form, view.revision.content() if view else None)
    return form, view


@router.post("/proposals/new")
def create_proposal(ctx: Proposer, posted: PostedForm) -> Response:
    form, view = _read_new(ctx, posted)
    base = view.revision.content() if view else None
    if form.action == "preview" or not form.ok:
        preview = form.preview(base)
        return _propose_page(ctx, form, view=view, preview=preview, status_code=_status(form))
    try:
        proposal = service.create(
            ctx.db,
            ctx.principal,
            kind=form.kind,
            targets=[] if form.kind is ProposalKind.ADD else form.targets,
            base_revisions=[form.base_revision] if form.base_revision is not None else None,
            content=form.content(base),
            rationale=form.rationale,
            item_kind=form.item_kind,
            dimension=form.dimension if form.kind is ProposalKind.ADD else form.move,
            after=form.after,
            delegation_code=form.delegation,
            submit=form.action == "submit",
            now=ctx.now,
            request_id=ctx.request_id,
        )
    except InvalidInput as exc:
        form.add_refusal(exc)
        return _propose_page(ctx, form, view=view, status_code=422)
    except Conflict as exc:
        notice = sentence(exc)
        return _propose_page(ctx, form, view=view, notice=notice, status_code=409)
    return _done(proposal.id, "submitted" if form.action == "submit" else "drafted")


def _status(form: Form) -> int:
    return 200 if form.ok else 422


@router.post("/proposals/preview")
def preview_proposal(ctx: Proposer, posted: PostedForm) -> JSONResponse:
    """The live preview: the word diff of what the form would propose, as the person types."""
    kind, _, targets, _ = forms.read_header(posted)
    proposal = forms.one(posted, "proposal")
    if is_id(proposal):
        pv = service.view(ctx.db, ctx.principal, int(proposal))
        form = _read_edit(ctx, pv, posted)
        changes = form.preview(pv.base if pv.targets else None)
    else:
        form, view = _read_new(ctx, posted)
        changes = form.preview(view.revision.content() if view else None)
    return JSONResponse(
        {
            "fields": [
                {
                    "field": f.field,
                    "label": f.label,
                    "ops": [{"op": c.op, "text": c.text} for c in f.chunks],
                }
                for f in changes
            ],
            "problems": [p.message for p in form.problems],
            "kind": kind.value,
            "targets": targets,
        }
    )


def _own_open(principal: Principal, pv: ProposalView) -> None:
    """Only the proposing delegation sees the edit and withdraw forms (the service refuses the
    rest whatever is posted)."""
    if not display.owns(principal, pv):
        raise PermissionDenied(
            f"proposal {pv.proposal.reference} belongs to another delegation; only its members "
            "may change it"
        )
    if not pv.proposal.state.is_open:
        raise Conflict(
            f"proposal {pv.proposal.reference} is {pv.proposal.state.label}; it cannot be changed"
        )


def _base_view(db: Session, pv: ProposalView) -> RevisionView | None:
    if not pv.targets:
        return None
    t = pv.targets[0]
    return register.revision(db, t.code, t.base_revision)


def _edit_form(pv: ProposalView) -> ProposalForm:
    p = pv.proposal
    form = forms.from_proposal(
        p.kind,
        ItemKind(p.item_kind),
        proposed=pv.proposed,
        rationale=p.rationale,
        targets=[t.code for t in pv.targets],
        base_revision=pv.targets[0].base_revision if pv.targets else None,
        version=p.version,
    )
    form.values["dimension"] = p.dimension_code or ""
    form.values["after"] = pv.after or ""
    return form


def _read_edit(ctx: RequestContext, pv: ProposalView, posted: FormData) -> ProposalForm:
    p = pv.proposal
    form = forms.parse(
        posted,
        kind=p.kind,
        item_kind=ItemKind(p.item_kind),
        targets=[t.code for t in pv.targets],
        action=forms.read_header(posted)[3],
        dimension_codes=(),
        delegation_codes=(),
        editing=True,
        followable=_followable_codes(ctx.db, ItemKind(p.item_kind))
        if p.kind is ProposalKind.ADD
        else None,
    )
    form.base_revision = pv.targets[0].base_revision if pv.targets else None
    # The dimension is not revised (the service keeps it); a pure move still changes something.
    form.values["dimension"] = p.dimension_code or ""
    base_view = _base_view(ctx.db, pv)
    form.base_dimension = base_view.dimension_code if base_view else None
    forms.check_changes(form, pv.base if pv.targets else None)
    return form


@router.get("/proposals/{proposal_id}/edit")
def edit_proposal(proposal_id: int, ctx: Proposer) -> HTMLResponse:
    pv = service.view(ctx.db, ctx.principal, proposal_id)
    _own_open(ctx.principal, pv)
    return _propose_page(ctx, _edit_form(pv), view=_base_view(ctx.db, pv), editing=pv)


@router.post("/proposals/{proposal_id}/edit")
def revise_proposal(proposal_id: int, ctx: Proposer, posted: PostedForm) -> Response:
    pv = service.view(ctx.db, ctx.principal, proposal_id)
    form = _read_edit(ctx, pv, posted)
    base = pv.base if pv.targets else None
    view = _base_view(ctx.db, pv)
    if form.action == "preview" or not form.ok:
        return _propose_page(
            ctx,
            form,
            view=view,
            editing=pv,
            preview=form.preview(base),
            status_code=_status(form),
        )
    try:
        service.revise(
            ctx.db,
            ctx.principal,
            proposal_id,
            expected_version=_version(posted),
            content=form.content(base),
            rationale=form.rationale,
            # A new item's place: the item chosen, or "" for the end of its dimension.
            after=(form.after or "") if form.kind is ProposalKind.ADD else None,
            now=ctx.now,
            request_id=ctx.request_id,
        )
    except PreconditionFailed as exc:
        notice = sentence(exc)
        # Someone of the delegation saved first: show what they saved, keep this person's text.
        pv = service.view(ctx.db, ctx.principal, proposal_id)
        form.values["version"] = str(pv.proposal.version)
        theirs = display.proposal_changes(pv)
        return _propose_page(
            ctx,
            form,
            view=view,
            editing=pv,
            notice=notice,
            theirs=theirs,
            preview=form.preview(base),
            status_code=412,
        )
    except InvalidInput as exc:
        form.add_refusal(exc)
        return _propose_page(ctx, form, view=view, editing=pv, status_code=422)
    except Conflict as exc:
        notice = sentence(exc)
        pv = service.view(ctx.db, ctx.principal, proposal_id)
        return _propose_page(ctx, form, view=view, editing=pv, notice=notice, status_code=409)
    return _done(proposal_id, "revised")


# --- Reading proposals ----------------------------------------------------------------------


def _proposal_page(
    ctx: RequestContext,
    proposal_id: int,
    *,
    done: str | None = None,
    active: dict[str, Form] | None = None,
    notice: str | None = None,
    notice_title: str = "This cannot be done now",
    status_code: int = 200,
) -> HTMLResponse:
    """The proposal, with the forms the person may use. `active` holds a form they posted,
    by name (decision, position, answer, sponsor), to show again with its values and problems."""
    pv = service.view(ctx.db, ctx.principal, proposal_id)
    active = active or {}
    problems = [p for f in active.values() for p in f.problems]
    return _page(
        ctx,
        "proposal.html",
        display.proposal_page(ctx.db, ctx.principal, pv)
        # The comment threads on the proposal's words (app.comments.panels).
        | comments_on_proposal(ctx.db, ctx.principal, proposal_id)
        # The case studies whose screening result it changes (app.screening.panels).
        | impact_on_proposal(ctx.db, ctx.principal, proposal_id)
        | _decision_context(ctx, pv)
        | {
            "done": done,
            "active": active,
            "problems": problems,
            "notice": notice,
            "notice_title": notice_title,
        },
        status_code,
    )


def _decision_context(ctx: RequestContext, pv: ProposalView) -> dict[str, Any]:
    """The consensus picture beside the decision form, the decisions on record, and what the
    person may do about them (reopen a decision, withdraw a co-sponsorship)."""
    p = pv.proposal
    seen = consensus_picture.of_proposal(ctx.db, p.id) if p.submitted_at else None
    is_member = ctx.principal.role is Role.MEMBER
    return {
        "picture": seen,
        "standing_labels": consensus_picture.LABELS,
        "acknowledgement": consensus_picture.acknowledgement_needed(seen) if seen else "",
        "decision_records": service.decision_records(ctx.db, [p.id])[p.id],
        "can_reopen": ctx.principal.role is Role.SECRETARIAT and p.state.is_decided,
        "unsponsor_delegations": [d for d in ctx.principal.delegations if d.code in pv.sponsors]
        if is_member and p.state.is_open
        else [],
    }


@router.get("/proposals")
def proposals(
    ctx: Reader,
    state: Annotated[str, Query(max_length=32)] = "",
    delegation: Annotated[str, Query(max_length=32)] = "",
    item: Annotated[str, Query(max_length=32)] = "",
    kind: Annotated[str, Query(max_length=16)] = "",
    page: Annotated[str, Query(max_length=8)] = "",
) -> HTMLResponse:
    """Every proposal the person may see, newest first, fifty a page, with filters."""
    number = page_number(page)
    form = Form({"state": state, "delegation": delegation.upper(), "item": item.strip().upper()})
    form.values["kind"] = kind
    if state and state not in {s.value for s in ProposalState}:
        form.add("filter-state", "Choose a state from the list")
    if kind and kind not in {k.value for k in ProposalKind}:
        form.add("filter-kind", "Choose a kind from the list")
    shown: Page[ProposalView] = Page([], 1, 0)
    if form.ok:
        try:
            shown = service.newest_page(
                ctx.db,
                ctx.principal,
                number,
                item_code=form.values["item"] or None,
                state=ProposalState(state) if state else None,
                kind=ProposalKind(kind) if kind else None,
                delegation=form.values["delegation"] or None,
            )
        except NotFound:
            form.add("filter-item", f"No indicator or section has the code {item.strip()!r}")
    return _page(
        ctx,
        "proposals.html",
        {
            "rows": display.rows(ctx.db, list(shown.rows)),
            "shown": shown,
            "filters": form.values,
            "form": form,
            "errors": form.errors,
            "filtering": any(form.values.values()),
            "delegation_options": display.group_delegations(ctx.db),
            "states": list(ProposalState),
            "kinds": list(ProposalKind),
        },
        _status(form),
    )


@router.get("/proposals/{proposal_id}")
def proposal(
    proposal_id: int, ctx: Reader, done: Annotated[str | None, Query(max_length=32)] = None
) -> HTMLResponse:
    return _proposal_page(ctx, proposal_id, done=done)


# --- Acting on a proposal -------------------------------------------------------------------


def _refusal_page(
    ctx: RequestContext, proposal_id: int, exc: DomainError, active: dict[str, Form] | None = None
) -> HTMLResponse:
    notice = sentence(exc)
    if isinstance(exc, PreconditionFailed):
        return _proposal_page(
            ctx,
            proposal_id,
            active=active,
            notice=f"{notice}. The page now shows the proposal as it is; what you typed is kept.",
            notice_title="The proposal changed since you opened it",
            status_code=412,
        )
    return _proposal_page(ctx, proposal_id, active=active, notice=notice, status_code=409)


@router.post("/proposals/{proposal_id}/submit")
def submit_proposal(proposal_id: int, ctx: Proposer, posted: PostedForm) -> Response:
    try:
        service.submit(
            ctx.db,
            ctx.principal,
            proposal_id,
            expected_version=_version(posted),
            now=ctx.now,
            request_id=ctx.request_id,
        )
    except Refusal as exc:
        return _refusal_page(ctx, proposal_id, exc)
    return _done(proposal_id, "submitted")


@router.get("/proposals/{proposal_id}/withdraw")
def confirm_withdrawal(proposal_id: int, ctx: Proposer) -> HTMLResponse:
    pv = service.view(ctx.db, ctx.principal, proposal_id)
    _own_open(ctx.principal, pv)
    return _page(ctx, "withdraw.html", {"pv": pv, "p": pv.proposal})


@router.post("/proposals/{proposal_id}/withdraw")
def withdraw_proposal(proposal_id: int, ctx: Proposer) -> Response:
    try:
        service.withdraw(ctx.db, ctx.principal, proposal_id, now=ctx.now, request_id=ctx.request_id)
    except Refusal as exc:
        return _refusal_page(ctx, proposal_id, exc)
    return _done(proposal_id, "withdrawn")


@router.post("/proposals/{proposal_id}/sponsor")
def sponsor_proposal(proposal_id: int, ctx: Sponsor, posted: PostedForm) -> Response:
    try:
        service.sponsor(
            ctx.db,
            ctx.principal,
            proposal_id,
            delegation_code=forms.one(posted, "delegation") or None,
            now=ctx.now,
            request_id=ctx.request_id,
        )
    except Refusal as exc:
        return _refusal_page(ctx, proposal_id, exc)
    return _done(proposal_id, "sponsored")


@router.post("/proposals/{proposal_id}/position")
def take_position_on_proposal(proposal_id: int, ctx: PositionTaker, posted: PostedForm) -> Response:
    form = forms.parse_position(
        posted, prefix="position", delegation_codes={d.code for d in ctx.principal.delegations}
    )
    if not form.ok:
        return _proposal_page(ctx, proposal_id, active={"position": form}, status_code=422)
    service.get(ctx.db, ctx.principal, proposal_id)  # a draft of another delegation stays a 404
    try:
        consensus.set_position(
            ctx.db,
            ctx.principal,
            stance=Stance(form.values["stance"]),
            statement=form.values["statement"],
            proposal_id=proposal_id,
            delegation_code=form.values["delegation"] or None,
            now=ctx.now,
            request_id=ctx.request_id,
        )
    except Refusal as exc:
        return _refusal_page(ctx, proposal_id, exc, {"position": form})
    return _done(proposal_id, "position")


@router.post("/proposals/{proposal_id}/decision")
def decide_proposal(proposal_id: int, ctx: Decider, posted: PostedForm) -> Response:
    """The decision form. Its first post shows a page saying what will happen; the decision is
    recorded only when the person confirms there (confirm=yes); confirm=no goes back to the form
    with everything kept."""
    pv = service.view(ctx.db, ctx.principal, proposal_id)
    content = pv.proposal.content
    form = forms.parse_decision(posted, modifiable=forms.modifiable_fields(content))
    step = forms.one(posted, "confirm")
    if not form.ok or step == "no":
        return _proposal_page(
            ctx, proposal_id, active={"decision": form}, status_code=200 if form.ok else 422
        )
    v = form.values
    outcome = Outcome(v["outcome"])
    modified = dict(content) | v["modified"] if outcome is Outcome.AGREED_MODIFIED else None
    merged_into = int(v["merged_into"]) if outcome is Outcome.MERGED else None
    try:
        if step != "yes":
            pv.proposal.check_version(int(v["version"]))
            seen = service.check_decision(
                ctx.db,
                ctx.principal,
                pv,
                outcome=outcome,
                override_reason=v["override_reason"],
                acknowledged=v["acknowledged"],
                acknowledged_picture=v["acknowledged_picture"],
            )
            applied = (
                service.applied_content(pv, outcome, modified)
                if outcome in (Outcome.AGREED, Outcome.AGREED_MODIFIED)
                else None
            )
            merged = service.view(ctx.db, ctx.principal, merged_into) if merged_into else None
            return _page(
                ctx,
                "decision_confirm.html",
                {
                    "pv": pv,
                    "p": pv.proposal,
                    "v": v,
                    "outcome": outcome,
                    "seen": seen,
                    "standing_labels": consensus_picture.LABELS,
                    "acknowledgement": consensus_picture.acknowledgement_needed(seen),
                    "changes": forms.diff_fields(pv.base, pv.base | applied)
                    if applied is not None
                    else [],
                    "merged": merged,
                    "modifiable": forms.modifiable_fields(content),
                },
            )
        service.decide(
            ctx.db,
            ctx.principal,
            proposal_id,
            expected_version=int(v["version"]),
            outcome=outcome,
            reason=v["reason"],
            modified_content=modified,
            merged_into=merged_into,
            override_reason=v["override_reason"],
            acknowledged=v["acknowledged"],
            acknowledged_picture=v["acknowledged_picture"],
            now=ctx.now,
            request_id=ctx.request_id,
        )
    except InvalidInput as exc:
        form.add_refusal(exc, forms.DECISION_IDS)
        return _proposal_page(ctx, proposal_id, active={"decision": form}, status_code=422)
    except Conflict as exc:
        if exc.extra.get("field") != "acknowledged":
            return _refusal_page(ctx, proposal_id, exc, {"decision": form})
        # The picture changed since the person looked: the form again, with the picture as it
        # is now and the acknowledgement to give again.
        v["acknowledged"] = False
        form.add_refusal(exc, forms.DECISION_IDS)
        return _proposal_page(ctx, proposal_id, active={"decision": form}, status_code=409)
    except PreconditionFailed as exc:
        return _refusal_page(ctx, proposal_id, exc, {"decision": form})
    return _done(proposal_id, "decided")


@router.get("/proposals/{proposal_id}/reopen")
def reopen_form(proposal_id: int, ctx: Decider) -> HTMLResponse:
    """What reopening the decision will do, with the reason to give; refused (409) once the
    round is settled."""
    return _reopen_page(ctx, proposal_id, Form({"reason": ""}))


def _reopen_page(
    ctx: RequestContext, proposal_id: int, form: Form, status_code: int = 200
) -> HTMLResponse:
    pv = service.view(ctx.db, ctx.principal, proposal_id)
    notice = None
    if ctx.principal.role is not Role.SECRETARIAT:
        raise PermissionDenied("only the secretariat can reopen a decision")
    try:
        service.reopen_check(ctx.db, pv.proposal)
    except Conflict as exc:
        notice = sentence(exc)
        status_code = 409
    agreed = pv.proposal.state in (ProposalState.AGREED, ProposalState.AGREED_MODIFIED)
    return _page(
        ctx,
        "reopen.html",
        {
            "pv": pv,
            "p": pv.proposal,
            "form": form,
            "values": form.values,
            "errors": form.errors,
            "problems": form.problems,
            "notice": notice,
            "agreed": agreed,
            "item_codes": [t.code for t in pv.targets],
        },
        status_code,
    )


@router.post("/proposals/{proposal_id}/reopen")
def reopen_decision(proposal_id: int, ctx: Decider, posted: PostedForm) -> Response:
    form = Form({"reason": forms.one(posted, "reason"), "version": forms.one(posted, "version")})
    if not form.values["reason"]:
        form.add("reopen-reason", "Say why the decision is reopened")
    form.limited("reopen-reason", form.values["reason"], 5000, "The reason")
    if not form.ok:
        return _reopen_page(ctx, proposal_id, form, 422)
    try:
        service.reopen_decision(
            ctx.db,
            ctx.principal,
            proposal_id,
            expected_version=_version(posted),
            reason=form.values["reason"],
            now=ctx.now,
            request_id=ctx.request_id,
        )
    except InvalidInput as exc:
        form.add_refusal(exc, {"reason": "reopen-reason"}, "reopen-reason")
        return _reopen_page(ctx, proposal_id, form, 422)
    except (Conflict, PreconditionFailed) as exc:
        return _refusal_page(ctx, proposal_id, exc)
    return _done(proposal_id, "reopened")


@router.post("/proposals/{proposal_id}/unsponsor")
def withdraw_sponsorship(proposal_id: int, ctx: Sponsor, posted: PostedForm) -> Response:
    try:
        service.withdraw_sponsorship(
            ctx.db,
            ctx.principal,
            proposal_id,
            delegation_code=forms.one(posted, "delegation") or None,
            now=ctx.now,
            request_id=ctx.request_id,
        )
    except Refusal as exc:
        return _refusal_page(ctx, proposal_id, exc)
    return _done(proposal_id, "unsponsored")


@router.post("/proposals/{proposal_id}/answer")
def answer_proposal(proposal_id: int, ctx: Answerer, posted: PostedForm) -> Response:
    form = forms.parse_answer(posted)
    if not form.ok:
        return _proposal_page(ctx, proposal_id, active={"answer": form}, status_code=422)
    try:
        service.answer(
            ctx.db,
            ctx.principal,
            proposal_id,
            text=form.values["answer"],
            now=ctx.now,
            request_id=ctx.request_id,
        )
    except Refusal as exc:
        return _refusal_page(ctx, proposal_id, exc, {"answer": form})
    return _done(proposal_id, "answered")


# --- Rebasing an outdated proposal ----------------------------------------------------------


def _rebase_page(
    ctx: RequestContext, pv: ProposalView, form: Form, *, notice: str | None, status_code: int
) -> HTMLResponse:
    return _page(
        ctx,
        "rebase.html",
        {
            "pv": pv,
            "p": pv.proposal,
            "rebase": display.rebase_view(pv),
            "form": form,
            "values": form.values,
            "errors": form.errors,
            "notice": notice,
            "action": display.rebase_action(ctx.principal, pv),
            "item_urls": {t.code: display.item_url(t.kind, t.code) for t in pv.targets},
        },
        status_code,
    )


def _rebase(ctx: RequestContext, proposal_id: int, posted: FormData) -> Response:
    """Rebase at once when the change carries over; otherwise ask for the person's resolution
    of each field changed on both sides, showing the three versions."""
    pv = service.view(ctx.db, ctx.principal, proposal_id)
    item_kind = ItemKind(pv.proposal.item_kind)
    conflicts = [c.field for c in service.rebase_plan(pv)[1]] if pv.outdated else []
    resolving = forms.one(posted, "resolving") == "1"
    form = (
        forms.parse_resolutions(posted, conflicts, item_kind)
        if resolving
        else Form({"version": forms.one(posted, "version")})
    )
    if not form.ok:
        return _rebase_page(ctx, pv, form, notice=None, status_code=422)
    try:
        service.rebase(
            ctx.db,
            ctx.principal,
            proposal_id,
            expected_version=_version(posted),
            resolutions=forms.resolutions(form, conflicts) if resolving else None,
            now=ctx.now,
            request_id=ctx.request_id,
        )
    except Conflict as exc:
        if not exc.extra.get("field") or not conflicts:
            return _refusal_page(ctx, proposal_id, exc)
        notice = sentence(exc)
        pv = service.view(ctx.db, ctx.principal, proposal_id)
        if not resolving:
            # First visit: the resolution form starts from the proposed wording.
            proposed = pv.proposal.content
            form.values |= {
                c: forms.values_of(item_kind, proposed).get(forms.FORM_NAME.get(c, c), "")
                for c in conflicts
            }
        return _rebase_page(ctx, pv, form, notice=notice, status_code=409)
    except (InvalidInput, PreconditionFailed) as exc:
        return _refusal_page(ctx, proposal_id, exc)
    return _done(proposal_id, "rebased")


@router.post("/proposals/{proposal_id}/rebase")
def rebase_proposal(proposal_id: int, ctx: Rebaser, posted: PostedForm) -> Response:
    return _rebase(ctx, proposal_id, posted)


# --- The Secretariat's queue and the consensus overview ---------------------------------------


@router.get("/queue")
def queue(
    ctx: Decider,
    state: Annotated[str, Query(max_length=32)] = "",
    delegation: Annotated[str, Query(max_length=32)] = "",
    page: Annotated[str, Query(max_length=8)] = "",
) -> HTMLResponse:
    """Every submitted proposal waiting for a decision, by item in the order of the draft,
    fifty a page."""
    number = page_number(page)
    form = Form({"state": state, "delegation": delegation.upper()})
    if state and state not in {s.value for s in display.QUEUE_STATES}:
        form.add("queue-state", "Choose a state from the list")
    shown, groups = display.queue_page(
        ctx.db,
        ctx.principal,
        number,
        state=ProposalState(state) if state and form.ok else None,
        delegation=form.values["delegation"] or None,
    )
    return _page(
        ctx,
        "queue.html",
        {
            "groups": groups,
            "count": shown.total,
            "shown": shown,
            "filters": form.values,
            "form": form,
            "errors": form.errors,
            "filtering": bool(state or delegation),
            "delegation_options": display.group_delegations(ctx.db),
            "states": display.QUEUE_STATES,
        },
        _status(form),
    )


@router.get("/consensus")
def consensus_overview(
    ctx: Reader,
    dimension: Annotated[str, Query(max_length=8)] = "",
    state: Annotated[str, Query(max_length=24)] = "",
    page: Annotated[str, Query(max_length=8)] = "",
) -> HTMLResponse:
    """Where each delegation stands on each item, fifty indicators a page (by dimension or
    drafting state if asked), and the proposals held up by objections."""
    number = page_number(page)
    dimensions = register.list_dimensions(ctx.db)
    chosen = dimension.strip().upper() or None
    if chosen is not None and chosen not in {d.code for d in dimensions}:
        raise InvalidInput("choose a dimension from the list", field="dimension")
    if state and state not in {s.value for s in DraftingState}:
        raise InvalidInput("choose a drafting state from the list", field="state")

    def build(viewer: Principal) -> dict[str, Any]:
        # The delegations head every grid and every picture: read once for the page.
        group = consensus.group(ctx.db)
        found = display.consensus_page(
            ctx.db,
            ItemKind.INDICATOR,
            number,
            dimension=chosen,
            state=DraftingState(state) if state else None,
            group=group,
            beside=ItemKind.SECTION if number == 1 else None,
        )
        objected_count, objected = display.objected(ctx.db)
        return _common(viewer) | {
            "indicators": found.rows.rows,
            "shown": found.rows,
            "dimensions": dimensions,
            "filters": {"dimension": chosen or "", "state": state},
            "filtering": bool(chosen or state),
            "sections": found.beside,
            "delegations": [(code, name) for _, code, name in group],
            "objected_count": objected_count,
            "objected": objected,
            "state_counts": found.state_counts,
            # A page past the end is shown as the last: not kept under its own number.
            NOT_KEPT: found.rows.number != number,
        }

    # Nothing on it is private (positions are taken on submitted proposals only): one body for
    # every viewer of a role (the role decides the links offered).
    key = ("consensus", chosen, state, number, ctx.principal.role.value)
    return cached_page(ctx.request, ctx.db, ctx.principal, "consensus.html", key, build)


# --- Positions on an item and its drafting state ----------------------------------------------


def _item_action_page(
    ctx: RequestContext,
    code: str,
    what: str,
    form: Form,
    *,
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    item = register.get_item(ctx.db, code)
    view = register.current(ctx.db, item.code)
    picture = consensus.picture(ctx.db, item_id=item.id)
    return _page(
        ctx,
        "item_action.html",
        {
            "what": what,
            "item": item,
            "view": view,
            "url": display.item_url(item.kind, item.code),
            "form": form,
            "values": form.values,
            "errors": form.errors,
            "notice": notice,
            "state": display.drafting_state(item),
            "picture": picture,
            "own_positions": {x.delegation_code: x for x in picture if x.stance is not None},
            "position_delegations": ctx.principal.delegations,
            "is_chair": ctx.principal.role.value == "chair",
        },
        status_code,
    )


@router.get("/items/{code}/position")
def item_position_form(code: str, ctx: PositionTaker) -> HTMLResponse:
    return _item_action_page(ctx, code, "position", Form())


@router.post("/items/{code}/position")
def take_position_on_item(code: str, ctx: PositionTaker, posted: PostedForm) -> Response:
    form = forms.parse_position(
        posted, prefix="item-position", delegation_codes={d.code for d in ctx.principal.delegations}
    )
    if not form.ok:
        return _item_action_page(ctx, code, "position", form, status_code=422)
    item = register.get_item(ctx.db, code)
    try:
        consensus.set_position(
            ctx.db,
            ctx.principal,
            stance=Stance(form.values["stance"]),
            statement=form.values["statement"],
            item_code=item.code,
            delegation_code=form.values["delegation"] or None,
            now=ctx.now,
            request_id=ctx.request_id,
        )
    except Refusal as exc:
        notice = sentence(exc)
        return _item_action_page(ctx, code, "position", form, notice=notice, status_code=409)
    # Someone who speaks for several delegations finds the one just spoken for still chosen
    # in "On behalf of" (the page offers only their own), so the next position does not
    # silently go to the first one.
    chosen = form.values["delegation"]
    several = len(ctx.principal.delegations) > 1
    spoke_for = f"&delegation={quote(chosen)}" if chosen and several else ""
    return RedirectResponse(
        f"{display.item_url(item.kind, item.code)}?done=position{spoke_for}#positions", 303
    )


@router.get("/items/{code}/drafting-state")
def mark_item_form(code: str, ctx: Marker) -> HTMLResponse:
    item = register.get_item(ctx.db, code)
    form = Form({"state": item.drafting_state, "note": item.drafting_note})
    return _item_action_page(ctx, code, "mark", form)


@router.post("/items/{code}/drafting-state")
def mark_item(code: str, ctx: Marker, posted: PostedForm) -> Response:
    form = forms.parse_mark(posted)
    if not form.ok:
        return _item_action_page(ctx, code, "mark", form, status_code=422)
    try:
        item = consensus.mark_item(
            ctx.db,
            ctx.principal,
            code=code,
            state=DraftingState(form.values["state"]),
            note=form.values["note"],
            override_reason=form.values["override_reason"],
            now=ctx.now,
            request_id=ctx.request_id,
        )
    except Refusal as exc:
        notice = sentence(exc)
        return _item_action_page(ctx, code, "mark", form, notice=notice, status_code=409)
    return RedirectResponse(f"{display.item_url(item.kind, item.code)}?done=marked#drafting", 303)
