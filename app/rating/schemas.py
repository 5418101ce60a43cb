"""Request and response bodies of the rating rounds API."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.schemas import Strict

Category = Literal["strong", "medium", "weak"] | None


class RuleIn(Strict):
    kind: Literal["threshold", "rand_ucla", "ipras"] = "threshold"
    median_low: int = Field(default=7, ge=1, le=9)
    median_high: int = Field(default=9, ge=1, le=9)
    min_percent_top: float = Field(default=70.0, ge=0, le=100)
    max_percent_bottom: float = Field(default=15.0, ge=0, le=100)
    min_percent_category: float = Field(default=70.0, ge=0, le=100)


class RatingRoundCreate(Strict):
    title: str = Field(max_length=200)
    round: str = Field(max_length=64, description="The issued round's symbol (or id)")
    items: list[str] = Field(
        default_factory=list, max_length=1000, description="Indicator codes; empty: all of them"
    )
    delegations: list[str] = Field(
        default_factory=list, max_length=200, description="Every member of these is a panellist"
    )
    panellists: list[str] = Field(
        default_factory=list, max_length=500, description="E-mail addresses of other panellists"
    )
    deadline: datetime | None = Field(default=None, description="A moment with its offset")
    rule: RuleIn | None = None
    show_answers_to_secretariat: bool = False
    instructions: str = Field(default="", max_length=4000)


class RatingRoundUpdate(Strict):
    title: str | None = Field(default=None, max_length=200)
    round: str | None = Field(default=None, max_length=64)
    items: list[str] | None = Field(default=None, max_length=1000)
    delegations: list[str] | None = Field(default=None, max_length=200)
    panellists: list[str] | None = Field(default=None, max_length=500)
    deadline: datetime | None = None
    rule: RuleIn | None = None
    show_answers_to_secretariat: bool | None = None
    instructions: str | None = Field(default=None, max_length=4000)


class NextRoundIn(Strict):
    title: str | None = Field(default=None, max_length=200)
    deadline: datetime | None = None


class LateIn(Strict):
    email: str = Field(max_length=254)


class ProposalIn(Strict):
    ref: str = Field(max_length=32, description="The indicator's code")
    profile: Literal["adult", "child"]
    delegation: str = Field(max_length=64, description="The delegation the proposal is made for")


class AnswerIn(Strict):
    ref: str = Field(max_length=32, description="The indicator's code")
    relevance: int = Field(ge=1, le=9, description="1-9")
    clarity: int = Field(ge=1, le=9, description="1-9")
    strength_adult: Category = None
    strength_child: Category = None
    comment: str = Field(default="", max_length=4000)
    wording: str = Field(default="", max_length=4000, description="A suggested rewording")


class AnswersIn(Strict):
    answers: list[AnswerIn] = Field(max_length=1000)
    personal_data_checked: bool = Field(
        default=False,
        description="You checked the findings of the personal-data check in the comments and "
        "wordings: they are not personal data",
    )


class ItemOut(BaseModel):
    ref: str
    revision: int
    text: str


class PanellistOut(BaseModel):
    name: str
    email: str
    answered: int
    late_accepted: bool


class OwnAnswerOut(BaseModel):
    ref: str
    relevance: int
    clarity: int
    strength_adult: str | None
    strength_child: str | None
    comment: str
    wording: str
    answered_at: datetime
    late: bool


class RatingRoundOut(BaseModel):
    id: int
    title: str
    round: str
    number: int
    previous_id: int | None
    state: str
    deadline: datetime | None
    rule: dict[str, Any]
    rule_text: str
    show_answers_to_secretariat: bool
    instructions: str
    items: list[ItemOut]
    on_panel: bool
    my_answers: list[OwnAnswerOut]
    panel: list[PanellistOut] | None = Field(
        default=None, description="The secretariat only: who is on the panel and who answered"
    )
    version: int


class ResultRow(BaseModel):
    ref: str
    question: str = Field(description="relevance, clarity, strength_adult or strength_child")
    n: int | None = Field(
        description="Answers; null in a suppressed row (fewer than 5), except for the secretariat"
    )
    median: float | None = None
    iqr: float | None = None
    percent_7_to_9: float | None = None
    mode: str | None = None
    mode_percent: float | None = None
    consensus: bool
    verdict: str
    suppressed: bool = False
    stability_percent_changed: float | None = Field(
        default=None, description="Relevance: share of answers changed since the previous round"
    )
    median_change: float | None = Field(
        default=None, description="Relevance: median minus the previous round's"
    )
    iqr_change: float | None = Field(
        default=None, description="Relevance: IQR minus the previous round's (negative: converged)"
    )


class ResultsOut(BaseModel):
    items: list[ResultRow]
    not_shown: str = Field(description="What a suppressed row means")


class AnswersStored(BaseModel):
    stored: int


class RemindedOut(BaseModel):
    reminded: list[str]


class ProposalMade(BaseModel):
    proposal_id: int
