"""JSON API of the drafting workflow: proposals, co-sponsors, positions, decisions, answers."""

from typing import Annotated

from fastapi import Header, Query, Request
from fastapi.responses import JSONResponse

from app.accounts.permissions import Action
from app.consensus import service as consensus
from app.models import DraftingState, ItemKind, ProposalState
from app.principal import Principal
from app.proposals import service
from app.proposals.schemas import (
    AnswerIn,
    ConsensusOut,
    Decision,
    FieldChange,
    MarkIn,
    PositionIn,
    PositionOut,
    ProposalCreate,
    ProposalList,
    ProposalOut,
    ProposalUpdate,
    Rebase,
    Sponsor,
    TargetOut,
)
from app.proposals.service import ProposalView
from app.register import service as register
from app.register.schemas import DiffOp
from app.web.api_common import api_router, errors, expected_version
from app.web.deps import Allow, DbSession, Now, request_id

router = api_router("", "proposals")


def position_out(p: consensus.PositionView) -> PositionOut:
    return PositionOut(
        delegation=p.delegation_code,
        delegation_name=p.delegation_name,
        stance=p.stance,
        statement=p.statement,
        by=p.by,
        at=p.at,
    )


def proposal_out(v: ProposalView, positions: list[consensus.PositionView]) -> ProposalOut:
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
        version=p.version,
    )


def _outs(db: DbSession, views: list[ProposalView]) -> list[ProposalOut]:
    positions = consensus.positions_on_proposals(db, [v.proposal.id for v in views])
    return [proposal_out(v, positions[v.proposal.id]) for v in views]


def _one(db: DbSession, principal: Principal, proposal_id: int) -> JSONResponse:
    out = _outs(db, [service.view(db, principal, proposal_id)])[0]
    return JSONResponse(
        out.model_dump(mode="json"), headers={"ETag": f'"P-{out.id}.v{out.version}"'}
    )


def _version(if_match: str | None, proposal_id: int, *, required: bool = True) -> int | None:
    return expected_version(if_match, f"P-{proposal_id}.v", required=required)


IfMatch = Annotated[str | None, Header(description="The ETag you read")]


@router.get("/proposals", responses=errors(404))
def list_proposals(
    request: Request,
    db: DbSession,
    principal: Annotated[Principal, Allow(Action.READ_REGISTER)],
    item: Annotated[str | None, Query(max_length=32, description="Item code")] = None,
    state: ProposalState | None = None,
    delegation: Annotated[str | None, Query(max_length=32)] = None,
) -> ProposalList:
    """Proposals you may see (all submitted ones, and your delegation's drafts)."""
    views = service.listing(db, principal, item_code=item, state=state, delegation=delegation)
    return ProposalList(count=len(views), items=_outs(db, views))


@router.post("/proposals", status_code=201, responses=errors(404, 409), response_model=ProposalOut)
def create_proposal(
    body: ProposalCreate,
    request: Request,
    db: DbSession,
    now: Now,
    principal: Annotated[Principal, Allow(Action.PROPOSE)],
) -> JSONResponse:
    """Propose a new item, an amendment, a deletion or a merge, as a draft or submitted."""
    proposal = service.create(
        db,
        principal,
        kind=body.kind,
        targets=body.targets,
        base_revisions=body.base_revisions,
        content=body.content,
        rationale=body.rationale,
        item_kind=body.item_kind,
        dimension=body.dimension,
        delegation_code=body.delegation,
        submit=body.submit,
        now=now,
        request_id=request_id(request),
    )
    response = _one(db, principal, proposal.id)
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/proposals/{proposal.id}"
    return response


@router.get("/proposals/{proposal_id}", responses=errors(404), response_model=ProposalOut)
def get_proposal(
    proposal_id: int, db: DbSession, principal: Annotated[Principal, Allow(Action.READ_REGISTER)]
) -> JSONResponse:
    """One proposal with its diff, sponsors, positions and outcome."""
    return _one(db, principal, proposal_id)


@router.patch(
    "/proposals/{proposal_id}", responses=errors(404, 409, 412, 428), response_model=ProposalOut
)
def revise_proposal(
    proposal_id: int,
    body: ProposalUpdate,
    request: Request,
    db: DbSession,
    now: Now,
    principal: Annotated[Principal, Allow(Action.PROPOSE)],
    if_match: IfMatch = None,
) -> JSONResponse:
    """Revise your delegation's proposal until it is decided."""
    service.revise(
        db,
        principal,
        proposal_id,
        expected_version=_version(if_match, proposal_id) or 0,
        content=body.content,
        rationale=body.rationale,
        now=now,
        request_id=request_id(request),
    )
    return _one(db, principal, proposal_id)


@router.post(
    "/proposals/{proposal_id}/submit", responses=errors(404, 409, 412), response_model=ProposalOut
)
def submit_proposal(
    proposal_id: int,
    request: Request,
    db: DbSession,
    now: Now,
    principal: Annotated[Principal, Allow(Action.PROPOSE)],
    if_match: IfMatch = None,
) -> JSONResponse:
    """Submit a draft: it becomes visible to the whole group."""
    service.submit(
        db,
        principal,
        proposal_id,
        expected_version=_version(if_match, proposal_id, required=False),
        now=now,
        request_id=request_id(request),
    )
    return _one(db, principal, proposal_id)


@router.post(
    "/proposals/{proposal_id}/withdraw", responses=errors(404, 409), response_model=ProposalOut
)
def withdraw_proposal(
    proposal_id: int,
    request: Request,
    db: DbSession,
    now: Now,
    principal: Annotated[Principal, Allow(Action.PROPOSE)],
) -> JSONResponse:
    """Withdraw your delegation's proposal (nothing is deleted)."""
    service.withdraw(db, principal, proposal_id, now=now, request_id=request_id(request))
    return _one(db, principal, proposal_id)


@router.post(
    "/proposals/{proposal_id}/sponsors", responses=errors(404, 409), response_model=ProposalOut
)
def sponsor_proposal(
    proposal_id: int,
    body: Sponsor,
    request: Request,
    db: DbSession,
    now: Now,
    principal: Annotated[Principal, Allow(Action.SPONSOR)],
) -> JSONResponse:
    """Co-sponsor another delegation's proposal."""
    service.sponsor(
        db,
        principal,
        proposal_id,
        delegation_code=body.delegation,
        now=now,
        request_id=request_id(request),
    )
    return _one(db, principal, proposal_id)


@router.post(
    "/proposals/{proposal_id}/decision",
    responses=errors(404, 409, 412, 428),
    response_model=ProposalOut,
)
def decide_proposal(
    proposal_id: int,
    body: Decision,
    request: Request,
    db: DbSession,
    now: Now,
    principal: Annotated[Principal, Allow(Action.DECIDE)],
    if_match: IfMatch = None,
) -> JSONResponse:
    """Decide a submitted proposal; agreeing applies it to the register at once."""
    service.decide(
        db,
        principal,
        proposal_id,
        expected_version=_version(if_match, proposal_id) or 0,
        outcome=body.outcome,
        reason=body.reason,
        modified_content=body.content,
        merged_into=body.merged_into,
        override_reason=body.override_reason,
        answer=body.answer,
        now=now,
        request_id=request_id(request),
    )
    return _one(db, principal, proposal_id)


@router.post(
    "/proposals/{proposal_id}/rebase",
    responses=errors(404, 409, 412, 428),
    response_model=ProposalOut,
)
def rebase_proposal(
    proposal_id: int,
    body: Rebase,
    request: Request,
    db: DbSession,
    now: Now,
    principal: Annotated[Principal, Allow(Action.REBASE)],
    if_match: IfMatch = None,
) -> JSONResponse:
    """Carry an outdated proposal over to the current text (409 lists conflicting fields)."""
    service.rebase(
        db,
        principal,
        proposal_id,
        expected_version=_version(if_match, proposal_id) or 0,
        resolutions=body.resolutions,
        now=now,
        request_id=request_id(request),
    )
    return _one(db, principal, proposal_id)


@router.post(
    "/proposals/{proposal_id}/answer", responses=errors(404, 409), response_model=ProposalOut
)
def answer_proposal(
    proposal_id: int,
    body: AnswerIn,
    request: Request,
    db: DbSession,
    now: Now,
    principal: Annotated[Principal, Allow(Action.ANSWER)],
) -> JSONResponse:
    """The secretariat's answer to a proposal, for the comment-response table."""
    service.answer(
        db, principal, proposal_id, text=body.answer, now=now, request_id=request_id(request)
    )
    return _one(db, principal, proposal_id)


@router.post("/positions", status_code=201, responses=errors(404, 409))
def take_position(
    body: PositionIn,
    request: Request,
    db: DbSession,
    now: Now,
    principal: Annotated[Principal, Allow(Action.TAKE_POSITION)],
) -> PositionOut:
    """Record your delegation's position on a proposal or an item; earlier ones stay in history."""
    consensus.set_position(
        db,
        principal,
        stance=body.stance,
        statement=body.statement,
        proposal_id=body.proposal_id,
        item_code=body.item,
        delegation_code=body.delegation,
        now=now,
        request_id=request_id(request),
    )
    target = (
        {"proposal_id": body.proposal_id}
        if body.proposal_id is not None
        else {"item_id": register.get_item(db, body.item or "").id}
    )
    code = principal.delegation_for(body.delegation)
    mine = next(
        p for p in consensus.picture(db, **target) if code and p.delegation_code == code.code
    )
    return position_out(mine)


@router.get("/items/{code}/consensus", responses=errors(404))
def item_consensus(
    code: str, db: DbSession, principal: Annotated[Principal, Allow(Action.READ_REGISTER)]
) -> ConsensusOut:
    """Who supports, reserves, objects or is pending, on the item and on its open proposals."""
    item = register.get_item(db, code)
    open_views = [
        v for v in service.listing(db, principal, item_code=code) if v.proposal.state.is_open
    ]
    return ConsensusOut(
        item=item.code,
        drafting_state=item.drafting_state,
        drafting_note=item.drafting_note,
        positions=[position_out(p) for p in consensus.picture(db, item_id=item.id)],
        proposals=_outs(db, open_views),
    )


@router.post("/items/{code}/state", responses=errors(404, 409))
def mark_item(
    code: str,
    body: MarkIn,
    request: Request,
    db: DbSession,
    now: Now,
    principal: Annotated[Principal, Allow(Action.MARK_ITEM)],
) -> ConsensusOut:
    """Mark an item bracketed, alternatives, agreed ad ref or agreed (consensus rules apply)."""
    consensus.mark_item(
        db,
        principal,
        code=code,
        state=DraftingState(body.state),
        note=body.note,
        override_reason=body.override_reason,
        now=now,
        request_id=request_id(request),
    )
    return item_consensus(code, db, principal)
