"""JSON API of the co-chairs' approval of a round, and the public check of its content hash."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from app.accounts.permissions import Action
from app.approvals import service
from app.approvals.changes import ItemChange
from app.approvals.service import ApprovalStatus
from app.register.schemas import DiffOp, FieldDiffOut
from app.rounds.service import get_round
from app.rounds.web import keep_current
from app.schemas import Strict
from app.web.api_common import api_router, errors
from app.web.deps import Context, RequestContext

router = api_router("/rounds", "approvals")

Reader = Annotated[RequestContext, Context(Action.READ_REGISTER)]
Approver = Annotated[RequestContext, Context(Action.APPROVE)]
Manager = Annotated[RequestContext, Context(Action.MANAGE_ROUNDS)]


class ApprovalIn(Strict):
    content_hash: str = Field(
        min_length=1, max_length=64, description="The hash of the text you read and approve"
    )
    reference: str = Field(
        min_length=1, max_length=500, description="Meeting or decision reference"
    )


class CoChairsIn(Strict):
    emails: list[str] = Field(
        max_length=10, description="Active chairs' e-mail addresses; [] restores the default"
    )


class CoChairOut(BaseModel):
    name: str
    email: str
    delegation: str | None
    approved_at: datetime | None
    reference: str | None


class ChangeOut(BaseModel):
    code: str
    kind: str
    change: str = Field(description="added, removed, moved, renumbered, changed or state")
    number_before: int | None
    number_after: int | None
    dimension_before: str | None
    dimension_after: str | None
    state_before: str | None
    state_after: str | None
    text: str | None = Field(description="The text of an added or removed item")
    merged_into: str | None
    split_from: str | None
    fields: list[FieldDiffOut] = Field(description="Word diffs of a changed item, per field")


class HashOut(BaseModel):
    stored: str | None
    recomputed: str
    matches: bool


class ApprovalOut(BaseModel):
    round: str
    state: str
    content_hash: str | None
    co_chairs: list[CoChairOut]
    co_chairs_missing: list[str] = Field(description="Default bodies with no chair to sign")
    changes_since_last_approved: list[ChangeOut]
    last_approved: str | None = Field(
        description="The round the changes are counted from: the last approved one, or when "
        "none was approved, the last one issued to the delegations (see compared_with)"
    )
    compared_with: Literal["approved", "issued"] | None = Field(
        None, description="Whether last_approved was approved or only issued"
    )
    hash_check: HashOut
    approved: bool


def _change_out(c: ItemChange) -> ChangeOut:
    return ChangeOut(
        code=c.code,
        kind=c.kind.value,
        change=c.change,
        number_before=c.number_before,
        number_after=c.number_after,
        dimension_before=c.dimension_before,
        dimension_after=c.dimension_after,
        state_before=c.state_before,
        state_after=c.state_after,
        text=c.text,
        merged_into=c.merged_into,
        split_from=c.split_from,
        fields=[
            FieldDiffOut(
                field=f.field,
                label=f.label,
                changed=f.changed,
                ops=[DiffOp(op=ch.op, text=ch.text) for ch in f.chunks],
            )
            for f in c.fields
        ],
    )


def approval_out(s: ApprovalStatus) -> ApprovalOut:
    return ApprovalOut(
        round=s.round.symbol,
        state=s.round.state.value,
        content_hash=s.round.content_hash,
        co_chairs=[
            CoChairOut(
                name=sig.co_chair.name,
                email=sig.co_chair.email,
                delegation=sig.co_chair.delegation_code,
                approved_at=sig.approved_at,
                reference=sig.reference,
            )
            for sig in s.signatures
        ],
        co_chairs_missing=s.missing_bodies,
        changes_since_last_approved=[_change_out(c) for c in s.changes],
        last_approved=s.last_approved.symbol if s.last_approved else None,
        compared_with=("issued" if s.compared == "issued" else "approved")
        if s.last_approved
        else None,
        hash_check=HashOut(
            stored=s.check.stored, recomputed=s.check.recomputed, matches=s.check.matches
        ),
        approved=s.approved,
    )


@router.get("/{ref:path}/approval", responses=errors(404))
def approval(
    ref: str,
    ctx: Reader,
) -> ApprovalOut:
    """The round's hash, what changed since the last approved text, and who has signed."""
    keep_current(ctx)
    return approval_out(service.status(ctx.db, ref))


@router.post("/{ref:path}/approvals", status_code=201, responses=errors(404, 409, 412))
def approve(
    ref: str,
    body: ApprovalIn,
    ctx: Approver,
) -> ApprovalOut:
    """A listed co-chair approves the text named by `content_hash` (412 if it has changed)."""
    result = service.approve(
        ctx.db,
        ctx.actor,
        ref,
        content_hash=body.content_hash,
        reference=body.reference,
        now=ctx.now,
    )
    return approval_out(result)


@router.put("/{ref:path}/co-chairs", responses=errors(404, 409))
def set_co_chairs(
    ref: str,
    body: CoChairsIn,
    ctx: Manager,
) -> ApprovalOut:
    """Name the co-chairs whose approval the round needs; [] goes back to the default."""
    result = service.set_co_chairs(ctx.db, ctx.actor, ref, emails=body.emails, now=ctx.now)
    return approval_out(result)


@router.get("/{ref:path}/hash", responses=errors(404))
def check_hash(ref: str, ctx: Reader) -> HashOut:
    """Re-compute the round's content hash from its snapshot and compare it with the stored one."""
    check = service.check_hash(ctx.db, get_round(ctx.db, ref))
    return HashOut(stored=check.stored, recomputed=check.recomputed, matches=check.matches)
