"""JSON API of the drafting workflow: proposals, co-sponsors, positions, decisions, answers."""

from typing import Annotated

from fastapi import Header, Query
from fastapi.responses import JSONResponse

from app.accounts.permissions import Action
from app.consensus import service as consensus
from app.models import DecisionRecord, DraftingState, ItemKind, ProposalState
from app.proposals import service
from app.proposals.schemas import (
    AnswerIn,
    ConsensusOut,
    Decision,
    DecisionRecordOut,
    FieldChange,
    MarkIn,
    PositionIn,
    PositionOut,
    ProposalCreate,
    ProposalList,
    ProposalOut,
    ProposalUpdate,
    Rebase,
    Reopen,
    Sponsor,
    TargetOut,
)
from app.proposals.service import ProposalView
from app.register import service as register
from app.register.schemas import DiffOp
from app.web.api_common import api_router, errors, expected_version
from app.web.deps import Context, RequestContext

router = api_router("", "proposals")

Reader = Annotated[RequestContext, Context(Action.READ_REGISTER)]
Proposer = Annotated[RequestContext, Context(Action.PROPOSE)]
Sponsoring = Annotated[RequestContext, Context(Action.SPONSOR)]
PositionTaker = Annotated[RequestContext, Context(Action.TAKE_POSITION)]
Decider = Annotated[RequestContext, Context(Action.DECIDE)]
Answerer = Annotated[RequestContext, Context(Action.ANSWER)]
Marker = Annotated[RequestContext, Context(Action.MARK_ITEM)]
Rebaser = Annotated[RequestContext, Context(Action.REBASE)]


def position_out(p: consensus.PositionView) -> PositionOut:
    return PositionOut(
        delegation=p.delegation_code,
        delegation_name=p.delegation_name,
        stance=p.stance,
        statement=p.statement,
        by=p.by,
        at=p.at,
        proposal_id=p.proposal_id,
    )


def decision_out(r: DecisionRecord) -> DecisionRecordOut:
    return DecisionRecordOut(
        outcome=r.outcome,
        at=r.at,
        reason=r.reason,
        override_reason=r.override_reason,
        acknowledged=r.acknowledged,
        consensus=r.consensus,
        reopened_at=r.reopened_at,
        reopen_reason=r.reopen_reason,
    )


def proposal_out(
    v: ProposalView,
    positions: list[consensus.PositionView],
    decisions: list[DecisionRecord] | None = None,
) -> ProposalOut:
    p = v.proposal
    return ProposalOut(
        id=p.id,
        reference=p.reference,
        kind=p.kind,
        state=p.state,
        outdated=v.outdated,
        late=p.late,
        delegation=v.delegation_code,
        delegation_name=v.delegation_name,
        author=v.author_name,
        sponsors=v.sponsors,
        targets=[
            TargetOut(
                code=t.code,
                base_revision=t.base_revision,
                current_revision=t.current_revision,
                outdated=t.outdated,
            )
            for t in v.targets
        ],
        item_kind=ItemKind(p.item_kind),
        dimension=p.dimension_code,
        after=v.after,
        content=p.content,
        changes=[
            FieldChange(field=name, ops=[DiffOp(op=c.op, text=c.text) for c in chunks])
            for name, chunks in v.field_diffs()
        ],
        rationale=p.rationale,
        created_at=p.created_at,
        submitted_at=p.submitted_at,
        decided_at=p.decided_at,
        decision_reason=p.decision_reason,
        override_reason=p.override_reason,
        merged_into=p.merged_into_id,
        applied_content=p.applied_content,
        answer=p.answer,
        positions=[position_out(x) for x in positions],
        decisions=[decision_out(r) for r in decisions or []],
        version=p.version,
    )


def _outs(ctx: RequestContext, views: list[ProposalView]) -> list[ProposalOut]:
    ids = [v.proposal.id for v in views]
    positions = consensus.positions_on_proposals(ctx.db, ids)
    decisions = service.decision_records(ctx.db, ids)
    return [proposal_out(v, positions[v.proposal.id], decisions[v.proposal.id]) for v in views]


def _one(ctx: RequestContext, proposal_id: int) -> JSONResponse:
    out = _outs(ctx, [service.view(ctx.db, ctx.principal, proposal_id)])[0]
    return JSONResponse(
        out.model_dump(mode="json"), headers={"ETag": f'"P-{out.id}.v{out.version}"'}
    )


def _version(if_match: str | None, proposal_id: int, *, required: bool = True) -> int | None:
    return expected_version(if_match, f"P-{proposal_id}.v", required=required)


IfMatch = Annotated[str | None, Header(description="The ETag you read")]


@router.get("/proposals", responses=errors(404))
def list_proposals(
    ctx: Reader,
    item: Annotated[str | None, Query(max_length=32, description="Item code")] = None,
    state: ProposalState | None = None,
    delegation: Annotated[str | None, Query(max_length=32)] = None,
) -> ProposalList:
    """Proposals you may see (all submitted ones, and your delegation's drafts)."""
    views = service.listing(
        ctx.db, ctx.principal, item_code=item, state=state, delegation=delegation
    )
    return ProposalList(count=len(views), items=_outs(ctx, views))


@router.post("/proposals", status_code=201, responses=errors(404, 409), response_model=ProposalOut)
def create_proposal(body: ProposalCreate, ctx: Proposer) -> JSONResponse:
    """Propose a new item, an amendment, a deletion or a merge, as a draft or submitted."""
    proposal = service.create(
        ctx.db,
        ctx.principal,
        kind=body.kind,
        targets=body.targets,
        base_revisions=body.base_revisions,
        content=body.content,
        rationale=body.rationale,
        item_kind=body.item_kind,
        dimension=body.dimension,
        after=body.after,
        delegation_code=body.delegation,
        submit=body.submit,
        now=ctx.now,
        request_id=ctx.request_id,
    )
    response = _one(ctx, proposal.id)
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/proposals/{proposal.id}"
    return response


@router.get("/proposals/{proposal_id}", responses=errors(404), response_model=ProposalOut)
def get_proposal(proposal_id: int, ctx: Reader) -> JSONResponse:
    """One proposal with its diff, sponsors, positions and outcome."""
    return _one(ctx, proposal_id)


@router.patch(
    "/proposals/{proposal_id}", responses=errors(404, 409, 412, 428), response_model=ProposalOut
)
def revise_proposal(
    proposal_id: int, body: ProposalUpdate, ctx: Proposer, if_match: IfMatch = None
) -> JSONResponse:
    """Revise your delegation's proposal until it is decided."""
    service.revise(
        ctx.db,
        ctx.principal,
        proposal_id,
        expected_version=_version(if_match, proposal_id) or 0,
        content=body.content,
        rationale=body.rationale,
        after=body.after,
        now=ctx.now,
        request_id=ctx.request_id,
    )
    return _one(ctx, proposal_id)


@router.post(
    "/proposals/{proposal_id}/submit", responses=errors(404, 409, 412), response_model=ProposalOut
)
def submit_proposal(proposal_id: int, ctx: Proposer, if_match: IfMatch = None) -> JSONResponse:
    """Submit a draft: it becomes visible to the whole group."""
    service.submit(
        ctx.db,
        ctx.principal,
        proposal_id,
        expected_version=_version(if_match, proposal_id, required=False),
        now=ctx.now,
        request_id=ctx.request_id,
    )
    return _one(ctx, proposal_id)


@router.post(
    "/proposals/{proposal_id}/withdraw", responses=errors(404, 409), response_model=ProposalOut
)
def withdraw_proposal(proposal_id: int, ctx: Proposer) -> JSONResponse:
    """Withdraw your delegation's proposal (nothing is deleted)."""
    service.withdraw(ctx.db, ctx.principal, proposal_id, now=ctx.now, request_id=ctx.request_id)
    return _one(ctx, proposal_id)


@router.post(
    "/proposals/{proposal_id}/sponsors", responses=errors(404, 409), response_model=ProposalOut
)
def sponsor_proposal(proposal_id: int, body: Sponsor, ctx: Sponsoring) -> JSONResponse:
    """Co-sponsor another delegation's proposal."""
    service.sponsor(
        ctx.db,
        ctx.principal,
        proposal_id,
        delegation_code=body.delegation,
        now=ctx.now,
        request_id=ctx.request_id,
    )
    return _one(ctx, proposal_id)


@router.post(
    "/proposals/{proposal_id}/sponsors/withdraw",
    responses=errors(404, 409),
    response_model=ProposalOut,
)
def withdraw_sponsorship(proposal_id: int, body: Sponsor, ctx: Sponsoring) -> JSONResponse:
    """Take your delegation's co-sponsorship off a proposal that is still open."""
    service.withdraw_sponsorship(
        ctx.db,
        ctx.principal,
        proposal_id,
        delegation_code=body.delegation,
        now=ctx.now,
        request_id=ctx.request_id,
    )
    return _one(ctx, proposal_id)


@router.post(
    "/proposals/{proposal_id}/decision",
    responses=errors(404, 409, 412, 428),
    response_model=ProposalOut,
)
def decide_proposal(
    proposal_id: int, body: Decision, ctx: Decider, if_match: IfMatch = None
) -> JSONResponse:
    """Decide a submitted proposal; agreeing applies it to the register at once."""
    service.decide(
        ctx.db,
        ctx.principal,
        proposal_id,
        expected_version=_version(if_match, proposal_id) or 0,
        outcome=body.outcome,
        reason=body.reason,
        modified_content=body.content,
        merged_into=body.merged_into,
        override_reason=body.override_reason,
        answer=body.answer,
        acknowledged=body.acknowledged,
        acknowledged_picture=body.acknowledged_picture.model_dump()
        if body.acknowledged_picture
        else None,
        now=ctx.now,
        request_id=ctx.request_id,
    )
    return _one(ctx, proposal_id)


@router.post(
    "/proposals/{proposal_id}/decision/reopen",
    responses=errors(404, 409, 412, 428),
    response_model=ProposalOut,
)
def reopen_decision(
    proposal_id: int, body: Reopen, ctx: Decider, if_match: IfMatch = None
) -> JSONResponse:
    """The secretariat reopens a decision until the round is settled: the proposal is under
    consideration again, and an agreed change is taken out of the register (409 once the round
    is settled, or when the item changed after the decision)."""
    service.reopen_decision(
        ctx.db,
        ctx.principal,
        proposal_id,
        expected_version=_version(if_match, proposal_id) or 0,
        reason=body.reason,
        now=ctx.now,
        request_id=ctx.request_id,
    )
    return _one(ctx, proposal_id)


@router.post(
    "/proposals/{proposal_id}/rebase",
    responses=errors(404, 409, 412, 428),
    response_model=ProposalOut,
)
def rebase_proposal(
    proposal_id: int, body: Rebase, ctx: Rebaser, if_match: IfMatch = None
) -> JSONResponse:
    """Carry an outdated proposal over to the current text (409 lists conflicting fields)."""
    service.rebase(
        ctx.db,
        ctx.principal,
        proposal_id,
        expected_version=_version(if_match, proposal_id) or 0,
        resolutions=body.resolutions,
        now=ctx.now,
        request_id=ctx.request_id,
    )
    return _one(ctx, proposal_id)


@router.post(
    "/proposals/{proposal_id}/answer", responses=errors(404, 409), response_model=ProposalOut
)
def answer_proposal(proposal_id: int, body: AnswerIn, ctx: Answerer) -> JSONResponse:
    """The secretariat's answer to a proposal, for the comment-response table."""
    service.answer(
        ctx.db, ctx.principal, proposal_id, text=body.answer, now=ctx.now, request_id=ctx.request_id
    )
    return _one(ctx, proposal_id)


@router.post("/positions", status_code=201, responses=errors(404, 409))
def take_position(body: PositionIn, ctx: PositionTaker) -> PositionOut:
    """Record your delegation's position on a proposal or an item; earlier ones stay in history."""
    consensus.set_position(
        ctx.db,
        ctx.principal,
        stance=body.stance,
        statement=body.statement,
        proposal_id=body.proposal_id,
        item_code=body.item,
        delegation_code=body.delegation,
        now=ctx.now,
        request_id=ctx.request_id,
    )
    target = (
        {"proposal_id": body.proposal_id}
        if body.proposal_id is not None
        else {"item_id": register.get_item(ctx.db, body.item or "").id}
    )
    code = ctx.principal.delegation_for(body.delegation)
    mine = next(
        p for p in consensus.picture(ctx.db, **target) if code and p.delegation_code == code.code
    )
    return position_out(mine)


@router.get("/items/{code}/consensus", responses=errors(404))
def item_consensus(code: str, ctx: Reader) -> ConsensusOut:
    """Where each delegation stands on the item's text: the last it said, on the text as it stands
    or on an open proposal's text (`proposal_id`); and the item's open proposals."""
    item = register.get_item(ctx.db, code)
    open_views = [
        v
        for v in service.listing(ctx.db, ctx.principal, item_code=code)
        if v.proposal.state.is_open
    ]
    return ConsensusOut(
        item=item.code,
        drafting_state=item.drafting_state,
        drafting_note=item.drafting_note,
        positions=[position_out(p) for p in consensus.picture(ctx.db, item_id=item.id)],
        proposals=_outs(ctx, open_views),
    )


@router.post("/items/{code}/state", responses=errors(404, 409))
def mark_item(code: str, body: MarkIn, ctx: Marker) -> ConsensusOut:
    """Mark an item bracketed, alternatives, agreed ad ref or agreed (consensus rules apply)."""
    consensus.mark_item(
        ctx.db,
        ctx.principal,
        code=code,
        state=DraftingState(body.state),
        note=body.note,
        override_reason=body.override_reason,
        now=ctx.now,
        request_id=ctx.request_id,
    )
    return item_consensus(code, ctx)
