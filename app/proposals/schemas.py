from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

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
    after: str | None = Field(
        None,
        max_length=32,
        description="For a new item: the code of the item it follows (an indicator of the same "
        "dimension, or a section); default: at the end of its dimension (of the sections)",
    )
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
    after: str | None = Field(
        None,
        max_length=32,
        description='For a new item: the code of the item it follows; "" moves it to the end '
        "of its dimension; omitted: it stays where it is",
    )


Code = Annotated[str, StringConstraints(max_length=32)]


class AcknowledgedPicture(Strict):
    pending: list[Code] = Field(default_factory=list, max_length=500)
    reservation: list[Code] = Field(default_factory=list, max_length=500)


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
    acknowledged: bool = Field(
        False,
        description="Required (true) to agree while delegations have given no position or hold "
        "a reservation: you confirm that you know; it is recorded with the decision",
    )
    acknowledged_picture: AcknowledgedPicture | None = Field(
        None,
        description="What you saw when you acknowledged: the delegations pending and those "
        "holding a reservation. Given, the decision is refused (409) if a delegation has become "
        "pending or entered a reservation since, so that you see it first",
    )


class Reopen(Strict):
    reason: str = Field(min_length=1, max_length=5000, description="Why the decision is reopened")


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
    proposal_id: int | None = Field(
        None,
        description="The proposal whose text the position is on; None: the item's text as it "
        "stands (or no position)",
    )


class TargetOut(BaseModel):
    code: str
    base_revision: int
    current_revision: int
    outdated: bool


class FieldChange(BaseModel):
    field: str
    ops: list[DiffOp]


class DecisionRecordOut(BaseModel):
    outcome: str
    at: datetime
    reason: str
    override_reason: str
    acknowledged: bool = Field(
        description="The decider confirmed knowing of pending delegations or reservations"
    )
    consensus: dict[str, list[str]] = Field(
        description="Delegation codes by standing at the decision: support, ad_referendum, "
        "reservation, objection, pending"
    )
    reopened_at: datetime | None
    reopen_reason: str


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
    after: str | None = Field(
        description="For a new item: the code of the item it follows; null: at the end of its "
        "dimension"
    )
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
    decisions: list[DecisionRecordOut] = Field(
        default_factory=list, description="Every decision taken on it, oldest first"
    )
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
