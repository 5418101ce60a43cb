"""Request and response bodies of the rounds API."""

from datetime import datetime

from pydantic import BaseModel, Field

from app.models import ItemKind, RoundKind, RoundState
from app.register.schemas import DiffOp
from app.schemas import Strict


class RoundCreate(Strict):
    symbol: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9./ -]+$")
    title: str = Field(min_length=1, max_length=300)
    kind: RoundKind = RoundKind.WRITTEN
    time_zone: str = Field("Asia/Jakarta", max_length=64)
    opens_at: datetime | None = None
    deadline: datetime | None = Field(None, description="With its UTC offset")
    marking: str | None = Field(
        None, max_length=64, description="Classification marking; default: the configured one"
    )
    instructions: str = Field("", max_length=20000)
    observers_may_comment: bool = False


class LateInput(Strict):
    delegation: str = Field(min_length=2, max_length=32)
    until: datetime
    reason: str = Field("", max_length=2000)


class SilenceIn(Strict):
    until: datetime = Field(description="The silence deadline, with its UTC offset")


class BreakSilenceIn(Strict):
    statement: str = Field(min_length=1, max_length=20000, description="Why the delegation objects")
    delegation: str | None = Field(None, max_length=32, description="Acting for this delegation")


class SettleIn(Strict):
    carry_over_proposals: list[int] = Field(
        default_factory=list,
        max_length=5000,
        description="Ids of undecided proposals carried over to the next round",
    )
    carry_over_items: list[str] = Field(
        default_factory=list,
        max_length=5000,
        description="Codes of unmarked items carried over to the next round",
    )


class UndecidedOut(BaseModel):
    id: int
    reference: str
    delegation: str
    targets: list[str]
    objections: list[str] = Field(description="Delegations whose objection stands")


class UnmarkedOut(BaseModel):
    code: str
    kind: str
    number: int | None


class OutstandingOut(BaseModel):
    """What settling leaves open: each must be decided, marked, or carried over."""

    undecided: list[UndecidedOut]
    unmarked: list[UnmarkedOut]


class RoundOut(BaseModel):
    id: int
    symbol: str
    title: str
    kind: RoundKind
    state: RoundState
    time_zone: str
    opens_at: datetime | None
    deadline: datetime | None
    deadline_text: str
    accepts_input: bool
    observers_may_comment: bool
    instructions: str
    marking: str
    content_hash: str | None
    silence_until: datetime | None


class MomentOut(BaseModel):
    utc: datetime
    local: datetime = Field(description="The same moment in the round's time zone")
    time_zone: str
    remaining: str = Field(description="e.g. '2 days 3 hours left', or 'passed'")
    seconds_left: int
    passed: bool


class SilenceBreakOut(BaseModel):
    delegation: str
    delegation_name: str
    by: str
    statement: str
    at: datetime


class RoundDetail(RoundOut):
    previous_round: str | None
    issued_at: datetime | None
    settled_at: datetime | None
    approved_at: datetime | None
    adopted_by_silence: bool
    deadline_at: MomentOut | None = Field(
        description="The input deadline in UTC and in the round's time zone, with the time left"
    )
    silence: MomentOut | None = Field(description="The end of the silence procedure, if any")
    item_states: dict[str, int] = Field(description="How many items of the snapshot per state")
    items: int
    silence_breaks: list[SilenceBreakOut]


class SnapshotItemOut(BaseModel):
    code: str
    kind: ItemKind
    position: int
    number: int | None
    item_state: str
    revision: int
    content: dict[str, object]


class SnapshotOut(BaseModel):
    round: str
    content_hash: str | None
    items: list[SnapshotItemOut]


class FieldChangeOut(BaseModel):
    field: str
    label: str
    ops: list[DiffOp]


class AddedOut(BaseModel):
    code: str
    kind: ItemKind
    number: int | None
    dimension: str | None
    text: str
    split_from: str | None


class RemovedOut(BaseModel):
    code: str
    kind: ItemKind
    number: int | None
    dimension: str | None
    text: str
    merged_into: str | None


class MovedOut(BaseModel):
    code: str
    kind: ItemKind
    old_dimension: str | None
    new_dimension: str | None
    old_number: int | None
    new_number: int | None


class RenumberedOut(BaseModel):
    code: str
    kind: ItemKind
    old_number: int | None
    new_number: int | None


class ChangedOut(BaseModel):
    code: str
    kind: ItemKind
    number: int | None
    old_revision: int
    new_revision: int
    fields: list[FieldChangeOut]


class ConcordanceOut(BaseModel):
    kind: ItemKind
    old_number: int | None
    old_code: str | None
    new_number: int | None
    new_code: str | None
    outcome: str = Field(description="same number, renumbered, deleted, merged, added or split")
    merged_into: str | None
    split_from: str | None
    split_into: list[str]


class ComparisonOut(BaseModel):
    from_round: str
    to_round: str
    added: list[AddedOut]
    removed: list[RemovedOut]
    moved: list[MovedOut]
    renumbered: list[RenumberedOut]
    changed: list[ChangedOut]
    concordance: list[ConcordanceOut]
