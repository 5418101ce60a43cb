"""Request and response bodies of the meetings API."""

from datetime import datetime

from pydantic import BaseModel, Field

from app.models import DraftingState, Outcome, Stance
from app.proposals.schemas import AcknowledgedPicture
from app.schemas import Strict


class MeetingCreate(Strict):
    title: str = Field(max_length=400)
    starts_at: str = Field(
        max_length=64,
        description="Wall-clock time in time_zone (2026-03-10T14:00) or a moment with its offset",
    )
    time_zone: str = Field(default="Asia/Jakarta", max_length=64)
    duration_minutes: int = Field(default=120, ge=5, le=1440)
    round: str | None = Field(default=None, max_length=64, description="A round's symbol or id")
    video_url: str = Field(default="", max_length=1000, description="https:// address")
    participants: list[str] = Field(default_factory=list, max_length=200)
    observers_invited: bool = False


class MeetingUpdate(Strict):
    title: str | None = Field(default=None, max_length=400)
    starts_at: str | None = Field(default=None, max_length=64)
    time_zone: str | None = Field(default=None, max_length=64)
    duration_minutes: int | None = Field(default=None, ge=5, le=1440)
    round: str | None = Field(default=None, max_length=64, description="Empty: no round")
    video_url: str | None = Field(default=None, max_length=1000)
    participants: list[str] | None = Field(default=None, max_length=200)
    observers_invited: bool | None = None


class AgendaIn(Strict):
    agenda: list[str] = Field(
        max_length=200, description="The points in order: item codes (FC-CD-01) or proposals (P-12)"
    )


class CurrentIn(Strict):
    ref: str | None = Field(
        default=None, max_length=32, description="A point of the agenda; null: none"
    )


class FloorIn(Strict):
    delegation: str | None = Field(
        default=None, max_length=32, description="Which of your delegations (default: your own)"
    )


class AttendanceIn(Strict):
    joined: bool = Field(description="true: the delegation joins; false: it leaves")
    delegation: str | None = Field(default=None, max_length=32)


class StatedIn(Strict):
    delegation: str = Field(max_length=32, description="The delegation that stated it")
    stance: Stance
    statement: str = Field(default="", max_length=5000)
    proposal_id: int | None = None
    item: str | None = Field(default=None, max_length=32, description="Item code")


class DecisionIn(Strict):
    proposal_id: int
    outcome: Outcome
    reason: str = Field(default="", max_length=5000)
    acknowledged: bool = Field(
        default=False,
        description="Required (true) to agree while delegations have given no position or hold "
        "a reservation: you confirm that you know",
    )
    acknowledged_picture: AcknowledgedPicture | None = Field(
        default=None,
        description="The delegations pending and reserving when you acknowledged: refused (409) "
        "if one has become pending or reserving since",
    )
    override_reason: str = Field(
        default="",
        max_length=5000,
        description="A co-chair agreeing while a delegation objects: why",
    )


class MarkIn(Strict):
    item: str = Field(max_length=32, description="The indicator's or section's code (FC-DR-01)")
    state: DraftingState = Field(description="Where the item now stands")
    note: str = Field(default="", max_length=5000, description="For example: pending TH-SOMTC")
    override_reason: str = Field(
        default="",
        max_length=5000,
        description="A co-chair marking it agreed while a delegation objects: why",
    )


class ActOut(BaseModel):
    kind: str = Field(description="position (stated in the meeting), decision or mark")
    delegation: str = Field(description="The delegation (empty for a mark)")
    ref: str
    what: str = Field(description="The stance, the outcome, or the drafting state marked")
    statement: str = Field(description="The statement, the decision's reason, or the note")
    at: datetime
    was: str = Field(default="", description="A mark: the drafting state before it")


class FloorOut(BaseModel):
    id: int
    delegation: str
    requested_at: datetime
    called_at: datetime | None


class PresenceOut(BaseModel):
    delegation: str
    joined: bool
    at: datetime


class AgendaEntryOut(BaseModel):
    ref: str
    kind: str
    words: str
    url: str
    item: str | None


class MeetingOut(BaseModel):
    id: int
    reference: str
    title: str
    starts_at: datetime
    time_zone: str
    starts_local: str = Field(description="The start as read in the meeting's zone")
    duration_minutes: int
    round: str | None
    video_url: str
    participants: list[str]
    observers_invited: bool
    agenda: list[AgendaEntryOut]
    current: str | None
    floor: list[FloorOut] = Field(description="The open requests for the floor, in order")
    attendance: list[PresenceOut]
    acts: list[ActOut] = Field(
        description="Positions stated, decisions taken and items marked in the meeting"
    )
    version: int


class RecordGenerateIn(Strict):
    replace_edits: bool = Field(
        default=False,
        description="Generate again over the secretariat's edits (refused with 409 otherwise)",
    )


class RecordEditIn(Strict):
    text: str = Field(
        max_length=200_000,
        description='The record\'s text: "## " opens a part, "- " a point, other lines paragraphs',
    )


class RecordOut(BaseModel):
    meeting: str  # M-3
    state: str  # "draft" or "approved"
    text: str
    edited: bool  # the text differs from what the last generation wrote
    generated_at: datetime
    edited_at: datetime | None
    edited_by: str
    approved_at: datetime | None
    approved_by: str
    version: int
