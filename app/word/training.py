"""A training pack of case studies for trainers (issue 21), pure: plain dataclasses in, the
.docx bytes out, in the reference template's house style (record.in_house_style, as a meeting's
record and a rating round's annex). Per case study: its bands, the narrative, each fact with the
indicators that apply to it (present codings, with the words of the fact that show them), and the
experts' reference outcome with their reasoning."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from app.word.cover import day, distribution, typeset
from app.word.record import in_house_style
from app.word.revisions import Element, clean, make_runs, paragraph


@dataclass(frozen=True)
class TrainingIndicator:
    code: str
    title: str  # the indicator's first words, or ""
    evidence: str  # words of the fact


@dataclass(frozen=True)
class TrainingFact:
    number: int
    phase: str
    text: str
    indicators: Sequence[TrainingIndicator] = ()


@dataclass(frozen=True)
class TrainingCase:
    reference: str
    title: str
    profile: str
    crime_form: str
    bands: Sequence[tuple[str, str]]  # (label, value): age band, nationality, place, period
    summary: str
    facts: Sequence[TrainingFact]
    outcome: str  # in words
    reasoning: str
    screening: str = ""  # e.g. "identified under ILO/European Commission 2009", or ""


@dataclass(frozen=True)
class TrainingPack:
    title: str
    working_group: str
    date: datetime
    time_zone: str
    cases: Sequence[TrainingCase] = field(default_factory=tuple)
    marking: str = ""


def _text(style: str, value: str) -> Element:
    p = paragraph(style)
    p.extend(make_runs(clean(value)))
    return p


def _field(label: str, value: str) -> Element:
    p = paragraph("ZDField")
    p.extend(make_runs(f"{label}: ", style="ZDFieldLabel"))
    p.extend(make_runs(clean(value)))
    return p


def body(pack: TrainingPack) -> list[Element]:
    out: list[Element] = []
    if not pack.cases:
        out.append(_text("ZDSectionText", "No case study was chosen."))
    for case in pack.cases:
        out.append(_text("ZDPartHeading", f"{case.reference}: {case.title}"))
        out.append(_field("Profile", case.profile))
        out.append(_field("Form of forced criminality", case.crime_form))
        for label, value in case.bands:
            if value:
                out.append(_field(label, value))
        for line in case.summary.splitlines():
            if line.strip():
                out.append(_text("ZDSectionText", line.strip()))
        for fact in case.facts:
            out.append(_text("ZDSectionText", f"Fact {fact.number} ({fact.phase}): {fact.text}"))
            if not fact.indicators:
                out.append(_text("ZDListBullet", "No indicator applies."))
            for ind in fact.indicators:
                name = f"{ind.code} ({ind.title})" if ind.title else ind.code
                out.append(_text("ZDListBullet", f"{name}: \u201c{ind.evidence}\u201d"))
        out.append(_field("Reference outcome", case.outcome))
        if case.reasoning:
            out.append(_field("Reasoning", case.reasoning))
        if case.screening:
            out.append(_field("Screening", case.screening))
    return out


def export_training(pack: TrainingPack) -> bytes:
    """The .docx of the pack; identical input, identical bytes."""
    values = {
        "WORKING_GROUP": typeset(pack.working_group),
        "SYMBOL": "Training pack",
        "TITLE": typeset(pack.title),
        "VARIANT": "Case studies for trainers",
        "ROUND": "",
        "DATE": day(pack.date, pack.time_zone),
        "DISTRIBUTION": distribution(pack.marking),
        "STATUS": typeset(f"{len(pack.cases)} case studies"),
        "MARKING": pack.marking,
        "DEADLINE": "None set",
    }
    return in_house_style(values, body(pack))
