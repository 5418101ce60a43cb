"""Request and response bodies of the case studies API."""

from datetime import datetime

from pydantic import BaseModel, Field

from app.schemas import Strict


class CaseCreate(Strict):
    title: str = Field(max_length=400)
    summary: str = Field(default="", max_length=40_000, description="The anonymised narrative")
    profile: str = Field(max_length=16, description="adult or child")
    crime_form: str = Field(max_length=32, description="online_scam, drug_courier or other")
    age_band: str = Field(default="", max_length=64, description="A band: 18-24, under 18, 35+")
    nationality: str = Field(default="", max_length=128, description="A country or region")
    place: str = Field(default="", max_length=128, description="A country or region")
    period: str = Field(default="", max_length=64, description="A year or a range of years")
    outcome: str = Field(
        max_length=64,
        description="trafficked_forced_criminality, exploited_not_trafficked or "
        "insufficient_information",
    )
    outcome_reasoning: str = Field(default="", max_length=40_000)
    visibility: str | None = Field(default=None, max_length=16, description="restricted or group")
    double_coding: bool = False
    contributors: list[str] = Field(
        default_factory=list, max_length=50, description="E-mail addresses"
    )


class CaseUpdate(Strict):
    title: str | None = Field(default=None, max_length=400)
    summary: str | None = Field(default=None, max_length=40_000)
    profile: str | None = Field(default=None, max_length=16)
    crime_form: str | None = Field(default=None, max_length=32)
    age_band: str | None = Field(default=None, max_length=64)
    nationality: str | None = Field(default=None, max_length=128)
    place: str | None = Field(default=None, max_length=128)
    period: str | None = Field(default=None, max_length=64)
    outcome: str | None = Field(default=None, max_length=64)
    outcome_reasoning: str | None = Field(default=None, max_length=40_000)
    visibility: str | None = Field(default=None, max_length=16)
    double_coding: bool | None = None
    contributors: list[str] | None = Field(default=None, max_length=50)
    personal_data_checked: bool = Field(
        default=False,
        description="On a case study shared with the group: the writer checked that what the "
        "personal-data check found is not personal data (else 422 with the findings)",
    )


class FactIn(Strict):
    text: str = Field(max_length=8_000)
    phase: str = Field(max_length=16, description="recruitment, transit, exploitation or exit")
    source: str = Field(
        max_length=32,
        description="victim_interview, official_record, ngo_report, court_file or other",
    )
    personal_data_checked: bool = Field(
        default=False,
        description="On a case study shared with the group: the writer checked that what the "
        "personal-data check found is not personal data (else 422 with the findings)",
    )


class FactUpdate(Strict):
    text: str | None = Field(default=None, max_length=8_000)
    phase: str | None = Field(default=None, max_length=16)
    source: str | None = Field(default=None, max_length=32)
    personal_data_checked: bool = Field(
        default=False,
        description="On a case study shared with the group: the writer checked that what the "
        "personal-data check found is not personal data (else 422 with the findings)",
    )


class OrderIn(Strict):
    order: list[int] = Field(max_length=200, description="Every fact's id, in the new order")


class CodingIn(Strict):
    indicator: str = Field(max_length=32, description="The indicator's code (FC-CD-01)")
    status: str = Field(max_length=16, description="present, absent or unknown")
    evidence: str = Field(
        default="", max_length=8_000, description="Words of the fact that show it"
    )


class CodingOut(BaseModel):
    id: int
    indicator: str = Field(description="The indicator the coding counts for now")
    coded_as: str = Field(description="The code the coder chose")
    via: str | None = Field(description="merged or split when the register changed since")
    status: str
    evidence: str
    evidence_found: bool
    coder: str
    at: datetime
    needs_recoding: bool = Field(
        default=False,
        description="Carried to an item split off the one coded: counts as unknown until "
        "someone codes the fact against the new item",
    )
    coded_status: str = Field(default="", description="The status the coder chose")


class CodingHistoryOut(BaseModel):
    id: int
    indicator: str = Field(description="The code chosen when it was coded")
    status: str
    evidence: str
    coder: str
    at: datetime
    superseded_at: datetime | None = Field(description="When the coder replaced it; null: current")


class FactOut(BaseModel):
    id: int
    number: int
    text: str
    phase: str
    source: str
    version: int
    codings: list[CodingOut]


class FindingOut(BaseModel):
    id: int
    where: str
    fact_id: int | None
    kind: str
    start: int
    end: int
    words: str
    explanation: str = Field(description="Why it is personal data (open findings)")
    suggestion: str = Field(description="What to write instead (open findings)")
    state: str = Field(description="open, resolved or dismissed")
    reason: str


class AgreementOut(BaseModel):
    coders: list[str]
    units: int = Field(
        description="(fact, indicator) pairs either coded; one left uncoded counts as absent"
    )
    kappa: float | None = Field(description="Cohen's kappa; null when undefined")
    interpretation: str
    only_one_coder: int = Field(description="Pairs only one of the two coded")


class CaseSummaryOut(BaseModel):
    id: int
    reference: str
    title: str
    profile: str
    crime_form: str
    outcome: str
    visibility: str
    version: int


class CaseOut(CaseSummaryOut):
    summary: str
    age_band: str
    nationality: str
    place: str
    period: str
    outcome_reasoning: str
    double_coding: bool
    contributors: list[str]
    facts: list[FactOut]
    findings: list[FindingOut]
    open_findings: int
    agreement: AgreementOut | None = Field(
        description="For a double-coded case study: the two coders' agreement"
    )
    created_at: datetime
    updated_at: datetime
