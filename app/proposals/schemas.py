from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.models import ItemKind, Outcome, ProposalKind, ProposalState, Stance
from app.register.schemas import DiffOp
from app.schemas import Strict


class ProposalCreate(Strict):
    kind: ProposalKind
    targets: list[str] = Field(
        default_factory=list, max_length=20, description="Codes of the items changed (none for add)"
    )
    base_revisions: list[int] | None = Field(
        None, description="The revision of each target you started from; default: current"
    )
    item_kind: ItemKind = ItemKind.INDICATOR
    dimension: str | None = Field(None, max_length=8, description="For a new indicator, or a move")
    content: dict[str, Any] = Field(
        default_factory=dict,
        description="Proposed fields: for add, the whole item; for amend and merge, the fields "
        "that change (text, strength_adult, crime_types, guidance, ...)",
    )
    rationale: str = Field("", max_length=20000)
    delegation: str | None = Field(None, max_length=32, description="Acting for this delegation")
    submit: bool = Field(False, description="Submit at once; otherwise a private draft")


class ProposalUpdate(Strict):
    content: dict[str, Any] | None = None
    rationale: str | None = Field(None, max_length=20000)


class Decision(Strict):
    outcome: Outcome
    reason: str = Field("", max_length=20000, description="Required when not retained")
    content: dict[str, Any] | None = Field(
        None, description="For agreed_modified: the fields as the secretariat modified them"
    )
    merged_into: int | None = Field(None, description="For merged: the proposal id")
    override_reason: str = Field(
        "", max_length=5000, description="A chair's recorded reason to agree despite objections"
    )
    answer: str | None = Field(None, max_length=20000)


class Rebase(Strict):
    resolutions: dict[str, Any] | None = Field(
        None, description="For each conflicting field, the text you want"
    )


class Sponsor(Strict):
    delegation: str | None = Field(None, max_length=32)


class PositionIn(Strict):
    stance: Stance
    statement: str = Field("", max_length=5000)
    proposal_id: int | None = None
    item: str | None = Field(None, max_length=32, description="Item code")
    delegation: str | None = Field(None, max_length=32)


class AnswerIn(Strict):
    answer: str = Field(min_length=1, max_length=20000)


class PositionOut(BaseModel):
    delegation: str
    delegation_name: str
    stance: Stance | None = Field(description="None: no position yet (pending)")
    statement: str
    by: str | None
    at: datetime | None


class TargetOut(BaseModel):
    code: str
    base_revision: int
    current_revision: int
    outdated: bool


class FieldChange(BaseModel):
    field: str
    ops: list[DiffOp]


class ProposalOut(BaseModel):
    id: int
    reference: str
    kind: ProposalKind
    state: ProposalState
    outdated: bool
    late: bool
    delegation: str
    delegation_name: str
    author: str
    sponsors: list[str]
    targets: list[TargetOut]
    item_kind: ItemKind
    dimension: str | None
    content: dict[str, Any]
    changes: list[FieldChange] = Field(description="Word diffs, base -> proposed")
    rationale: str
    created_at: datetime
    submitted_at: datetime | None
    decided_at: datetime | None
    decision_reason: str
    override_reason: str
    merged_into: int | None
    applied_content: dict[str, Any] | None
    answer: str
    positions: list[PositionOut]
    version: int


class ProposalList(BaseModel):
    count: int
    items: list[ProposalOut]


class ConsensusOut(BaseModel):
    item: str
    drafting_state: str
    drafting_note: str
    positions: list[PositionOut]
    proposals: list[ProposalOut]


class MarkIn(Strict):
    state: Literal["open", "bracketed", "alternatives", "agreed_ad_ref", "agreed"]
    note: str = Field("", max_length=5000)
    override_reason: str = Field("", max_length=5000)


class RebaseConflictOut(BaseModel):
    field: str
    base: Any
    proposed: Any
    current: Any
