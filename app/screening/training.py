"""The training pack's content from the case studies (issue 21): each chosen case study the
person may see (404 otherwise), its facts with the indicators that apply (present codings, one
line per indicator and fact, the first coder's evidence words), the reference outcome and its
reasoning, and its screening result under the 2009 rule. The .docx is app/word/training.py's.

A pack leaves the platform as a file: a case study with a personal-data finding still open is
refused (resolve it first), and a pack holding a case study not shared with the group is marked
restricted on its cover."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from app.cases import service as cases
from app.errors import Conflict
from app.principal import Principal
from app.screening import rule as r
from app.screening import service
from app.screening.metrics import REFERENCE_LABELS, Reference
from app.word.training import TrainingCase, TrainingFact, TrainingIndicator, TrainingPack

PROFILE = {"adult": "adult", "child": "child (under 18)"}
FORM = {"online_scam": "online scams", "drug_courier": "drug courier", "other": "other"}


def pack(
    session: Session,
    principal: Principal,
    case_ids: Sequence[int],
    *,
    working_group: str,
    time_zone: str,
    now: datetime,
) -> TrainingPack:
    titles = dict(cases.indicator_choices(session))
    indicators = service.current_indicators(session)
    out: list[TrainingCase] = []
    restricted: list[str] = []
    for case_id in dict.fromkeys(case_ids):
        case = cases.get(session, principal, case_id)
        still_open = cases.findings(session, case, open_only=True)
        if still_open:
            raise Conflict(
                f"{case.reference} has {len(still_open)} personal-data finding(s) not yet "
                "resolved: remove or generalise the words (or mark them not personal data) on "
                "the case study before it goes into a training pack",
                field="case",
            )
        if case.visibility != "group":
            restricted.append(case.reference)
        coded = cases.codings(session, case.id)
        facts = []
        for fact in cases.facts(session, case.id):
            seen: dict[str, TrainingIndicator] = {}
            for v in coded.get(fact.id, []):
                if v.status == "present" and v.indicator not in seen:
                    seen[v.indicator] = TrainingIndicator(
                        v.indicator, titles.get(v.indicator, ""), v.evidence
                    )
            facts.append(TrainingFact(fact.number, fact.phase, fact.text, list(seen.values())))
        statuses: dict[str, list[str]] = {}
        for views in coded.values():
            for v in views:
                statuses.setdefault(v.indicator, []).append(v.status)
        screened = service.screen_case(
            service.CaseInput(
                case.id, case.reference, case.title, case.profile, case.outcome, statuses
            ),
            indicators,
            r.ILO_2009,
        )
        out.append(
            TrainingCase(
                reference=case.reference,
                title=case.title,
                profile=PROFILE.get(case.profile, case.profile),
                crime_form=FORM.get(case.crime_form, case.crime_form),
                bands=[
                    ("Age band", case.age_band),
                    ("Nationality", case.nationality),
                    ("Place", case.place),
                    ("Period", case.period),
                ],
                summary=case.summary,
                facts=facts,
                outcome=REFERENCE_LABELS.get(Reference(case.outcome), case.outcome),
                reasoning=case.outcome_reasoning,
                screening=f"{screened.result.value} under the {r.ILO_2009.name} rule "
                "with the register as it is now",
            )
        )
    return TrainingPack(
        title="Case studies on forced criminality: a training pack",
        working_group=working_group,
        date=now,
        time_zone=time_zone,
        cases=out,
        marking=(
            f"Restricted: {', '.join(restricted)} not shared with the working group"
            if restricted
            else ""
        ),
    )
