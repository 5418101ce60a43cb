"""Response bodies of the screening API (issue 21)."""

from typing import Any

from pydantic import BaseModel, Field

from app.schemas import Strict


class ChangeOut(BaseModel):
    case: str
    before: str
    after: str


class ImpactOut(BaseModel):
    """The case studies (those the caller may see) whose screening result the proposal changes,
    from the register now to the register with the proposal applied, under the rule frozen with
    the proposal's round (the 2009 rule when there is none)."""

    changed: list[ChangeOut]


class CaseResultOut(BaseModel):
    case: str
    title: str
    profile: str
    reference_outcome: str
    result: str
    dimensions_met_worst: list[str]
    dimensions_met_best: list[str]
    agrees: bool | None


class IntervalOut(BaseModel):
    low: float
    high: float


class MetricsOut(BaseModel):
    sensitivity: float | None
    specificity: float | None
    sensitivity_interval: IntervalOut | None
    specificity_interval: IntervalOut | None
    true_positive: int
    false_negative: int
    true_negative: int
    false_positive: int
    unreliable: bool
    summary: str


class ScreeningOut(BaseModel):
    round: str
    indicators_from: str
    rule: str
    rule_text: str
    cases: list[CaseResultOut]
    metrics: MetricsOut


class RuleIn(Strict):
    rule: dict[str, Any] = Field(
        description="The combination rule as JSON (as GET /api/v1/screening-rules gives it)"
    )


class FreezeIn(Strict):
    round: str = Field(max_length=64, description="The round's symbol or id")


class RuleOut(BaseModel):
    id: int
    reference: str
    name: str
    version: int
    state: str
    round: str | None
    rule: dict[str, Any]
    text: str
