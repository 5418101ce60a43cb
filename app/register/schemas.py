from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.models import Element, ItemStatus, Strength
from app.schemas import Strict

Profile = Literal["adult", "child"]
CrimeType = Literal["online_fraud", "drug_trafficking", "theft", "begging", "other"]
IntendedUser = Literal["police", "prosecutor", "judge", "labour_inspector", "social_worker"]


class IndicatorFields(Strict):
    text: str = Field(min_length=1, max_length=5000, description="The indicator's wording")
    element: Element | None = None
    strength_adult: Strength | None = None
    strength_child: Strength | None = None
    profiles: list[Profile] = Field(default_factory=list, max_length=2)
    crime_types: list[CrimeType] = Field(default_factory=list, max_length=5)
    intended_users: list[IntendedUser] = Field(default_factory=list, max_length=5)
    guidance: str = Field("", max_length=20000)
    information_sources: str = Field("", max_length=5000)
    references: str = Field("", max_length=5000)
    rationale: str = Field("", max_length=20000)


class IndicatorCreate(IndicatorFields):
    dimension: str = Field(min_length=1, max_length=8, description="Dimension code, e.g. CD")
    code: str | None = Field(
        None, max_length=32, description="Stable code; default: next free in the dimension"
    )
    reason: str = Field(min_length=1, max_length=2000, description="Why this indicator is added")
    delegation: str | None = Field(None, max_length=32, description="Acting for this delegation")


class IndicatorUpdate(Strict):
    """Only the fields given change; `reason` is required."""

    text: str | None = Field(None, min_length=1, max_length=5000)
    dimension: str | None = Field(None, min_length=1, max_length=8)
    element: Element | None = None
    strength_adult: Strength | None = None
    strength_child: Strength | None = None
    profiles: list[Profile] | None = Field(None, max_length=2)
    crime_types: list[CrimeType] | None = Field(None, max_length=5)
    intended_users: list[IntendedUser] | None = Field(None, max_length=5)
    guidance: str | None = Field(None, max_length=20000)
    information_sources: str | None = Field(None, max_length=5000)
    references: str | None = Field(None, max_length=5000)
    rationale: str | None = Field(None, max_length=20000)
    status: ItemStatus | None = Field(None, description="withdrawn withdraws; active reinstates")
    reason: str = Field(min_length=1, max_length=2000)
    delegation: str | None = Field(None, max_length=32)


class SectionCreate(Strict):
    code: str = Field(min_length=3, max_length=32, description="Stable code, e.g. SEC-SCOPE")
    title: str = Field(min_length=1, max_length=300)
    text: str = Field(min_length=1, max_length=50000)
    reason: str = Field(min_length=1, max_length=2000)
    delegation: str | None = Field(None, max_length=32)


class SectionUpdate(Strict):
    title: str | None = Field(None, min_length=1, max_length=300)
    text: str | None = Field(None, min_length=1, max_length=50000)
    status: ItemStatus | None = None
    reason: str = Field(min_length=1, max_length=2000)
    delegation: str | None = Field(None, max_length=32)


class DimensionOut(BaseModel):
    code: str
    prefix: str
    title: str
    description: str


class RegisterEntry(BaseModel):
    code: str
    number: int | None = Field(description="Display number in the draft; none when withdrawn")
    revision: int
    title: str | None
    text: str
    dimension: str | None
    dimension_title: str | None
    strength_adult: Strength | None
    strength_child: Strength | None
    status: ItemStatus
    updated_at: datetime


class RegisterList(BaseModel):
    count: int
    items: list[RegisterEntry]


class RevisionMeta(BaseModel):
    number: int
    created_at: datetime
    author: str | None
    delegation: str | None
    delegation_name: str | None
    reason: str


class IndicatorOut(BaseModel):
    code: str
    number: int | None
    revision: int
    dimension: str | None
    dimension_title: str | None
    text: str
    element: Element | None
    strength_adult: Strength | None
    strength_child: Strength | None
    profiles: list[str]
    crime_types: list[str]
    intended_users: list[str]
    guidance: str
    information_sources: str
    references: str
    rationale: str
    status: ItemStatus
    last_change: RevisionMeta


class SectionOut(BaseModel):
    code: str
    number: int | None
    revision: int
    title: str
    text: str
    status: ItemStatus
    last_change: RevisionMeta


class HistoryOut(BaseModel):
    code: str
    revisions: list[RevisionMeta]


class DiffOp(BaseModel):
    op: Literal["equal", "insert", "delete"]
    text: str


class FieldDiffOut(BaseModel):
    field: str
    label: str
    changed: bool
    ops: list[DiffOp]


class DiffOut(BaseModel):
    code: str
    from_revision: int
    to_revision: int
    fields: list[FieldDiffOut]
