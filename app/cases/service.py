"""Case studies (issue 21): anonymised narratives in numbered facts, coded against the
indicators, to test the draft on real situations before it is adopted.

Who sees what: the secretariat every case study; a named contributor theirs; anyone else with
the read permission a case study shared with the group. One a person may not see answers 404 in
the same words as one that does not exist. The secretariat opens case studies, names their
contributors, shares them and asks for double coding; the secretariat and the contributors
write the rest. Every change records an audit event whose details name fields and references,
never the narrative's words (the trail is read by more people than a restricted case study).

Personal data: before a narrative field or a fact is saved, the check (app/cases/personal.py)
runs over it; what it finds is stored as an open finding until the words are removed or
generalised (the next save finds them no more) or someone says they are not personal data. A
case study with an open finding is not shared with the group (409).
"""

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from app.audit.service import Actor, record
from app.cases import concordance, personal
from app.cases.visibility import sees as may_see
from app.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from app.models import (
    CaseContributor,
    CaseFact,
    CaseFinding,
    CaseStudy,
    FactCoding,
    Item,
    ItemKind,
    ItemStatus,
    Revision,
    Role,
    User,
)
from app.models.cases import FORMS, OUTCOMES, PHASES, PROFILES, SOURCES, STATUSES, VISIBILITIES
from app.principal import Principal
from app.screening.metrics import Kappa, cohen_kappa

TITLE_MAX = 200
TEXT_MAX = 20_000
FACT_MAX = 4_000
FACTS_MAX = 200
BAND_MAX = 64
# The text fields of a case study the personal-data check reads.
CHECKED_FIELDS = ("title", "summary", "outcome_reasoning", "nationality", "place")
DISMISS_REASON = "not personal data"

LABELS = {
    "adult": "Adult",
    "child": "Child",
    "online_scam": "Online scam",
    "drug_courier": "Drug courier",
    "other": "Other",
    "trafficked_forced_criminality": "Trafficked for forced criminality",
    "exploited_not_trafficked": "Exploited but not trafficked",
    "insufficient_information": "Insufficient information",
    "restricted": "Restricted (secretariat and contributors)",
    "group": "Shared with the group",
    "recruitment": "Recruitment",
    "transit": "Transit",
    "exploitation": "Exploitation",
    "exit": "Exit",
    "victim_interview": "Victim interview",
    "official_record": "Official record",
    "ngo_report": "NGO report",
    "court_file": "Court file",
    "present": "Present",
    "absent": "Absent",
    "unknown": "Unknown",
}


# --- Who sees and writes -----------------------------------------------------------------------


def contributor_ids(session: Session, case_id: int) -> set[int]:
    return set(
        session.scalars(select(CaseContributor.user_id).where(CaseContributor.case_id == case_id))
    )


def _sees(case: CaseStudy, principal: Principal, contributors: set[int]) -> bool:
    return may_see(case.visibility, principal, contributors)


def _writes(principal: Principal, contributors: set[int]) -> bool:
    return principal.role is Role.SECRETARIAT or principal.user_id in contributors


def may_write(session: Session, principal: Principal, case: CaseStudy) -> bool:
    return _writes(principal, contributor_ids(session, case.id))


def get(session: Session, principal: Principal, case_id: int) -> CaseStudy:
    """The case study, if the person may see it; one they may not see does not exist for them."""
    case = session.get(CaseStudy, case_id)
    if case is None or not _sees(case, principal, contributor_ids(session, case.id)):
        raise NotFound(f"no case study {case_id}", field="case")
    return case


def _for_writing(
    session: Session, principal: Principal, case_id: int, expected_version: int | None = None
) -> CaseStudy:
    """The case study, locked and read afresh, if the person may change it (404 if they may not
    see it, 403 if they may only read it; 412 when `expected_version` is stale)."""
    get(session, principal, case_id)
    case = session.get(
        CaseStudy, case_id, with_for_update={"key_share": True}, populate_existing=True
    )
    if case is None:
        raise NotFound(f"no case study {case_id}", field="case")
    if not may_write(session, principal, case):
        raise PermissionDenied(
            f"only the secretariat and the contributors of {case.reference} can change it",
            field="case",
        )
    if expected_version is not None:
        case.check_version(expected_version)
    return case


def _mine(session: Session, principal: Principal) -> set[int]:
    """The case studies the person contributes to."""
    return set(
        session.scalars(
            select(CaseContributor.case_id).where(CaseContributor.user_id == principal.user_id)
        )
    )


def _listed(principal: Principal, case_id: int, visibility: str, mine: set[int]) -> bool:
    return (
        principal.role is Role.SECRETARIAT
        or case_id in mine
        or may_see(visibility, principal, set())
    )


def listing(session: Session, principal: Principal) -> list[CaseStudy]:
    """The case studies the person may see, in the order of their references."""
    cases = session.scalars(select(CaseStudy).order_by(CaseStudy.id)).all()
    mine = _mine(session, principal)
    return [c for c in cases if _listed(principal, c.id, c.visibility, mine)]


@dataclass(frozen=True, slots=True)
class CaseOutline:
    """What screening reads of a case study: no narrative, no reasoning."""

    id: int
    reference: str
    title: str
    profile: str
    outcome: str


def outlines(session: Session, principal: Principal) -> list[CaseOutline]:
    """listing()'s case studies, only the columns screening needs (two statements)."""
    rows = session.execute(
        select(
            CaseStudy.id,
            CaseStudy.reference,
            CaseStudy.title,
            CaseStudy.profile,
            CaseStudy.outcome,
            CaseStudy.visibility,
        ).order_by(CaseStudy.id)
    ).all()
    mine = _mine(session, principal) if rows else set()
    return [
        CaseOutline(r.id, r.reference, r.title, r.profile, r.outcome)
        for r in rows
        if _listed(principal, r.id, r.visibility, mine)
    ]


def any_visible(session: Session, principal: Principal) -> bool:
    return bool(listing(session, principal))


# --- Checking input ----------------------------------------------------------------------------


def _choice(value: str, allowed: Sequence[str], name: str) -> str:
    value = value.strip().lower()
    if value not in allowed:
        raise InvalidInput(f"{name} must be one of {', '.join(allowed)}; not {value!r}", field=name)
    return value


def _text(value: str, name: str, limit: int, *, required: bool = False) -> str:
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"{name} must not be empty", field=name)
    if len(value) > limit:
        raise InvalidInput(f"{name} must be at most {limit:,} characters", field=name)
    return value


_DASH = re.compile(r"\s*[-\u2013\u2014]\s*|\s+to\s+")
_AGE_RANGE = re.compile(r"^(\d{1,3})-(\d{1,3})$")
_AGE_OPEN = re.compile(r"^(?:under|below)\s+(\d{1,3})$|^(\d{1,3})\s*(?:\+|and over|or over)$")
_YEAR = re.compile(r"^(\d{4})$")
_YEARS = re.compile(r"^(\d{4})-(\d{4})$")
_DIGITS = re.compile(r"\d")


def age_band(value: str) -> str:
    """An age band: "18-24", "under 18", "35+" (or empty: not known). An exact age is refused."""
    text = " ".join(value.split()).lower()
    if text in ("", "unknown"):
        return ""
    dashed = _DASH.sub("-", text)
    found = _AGE_RANGE.match(dashed)
    if found:
        low, high = int(found.group(1)), int(found.group(2))
        if low < high <= 120:
            return f"{low}-{high}"
        raise InvalidInput(
            "age_band must be a range whose first age is below its second, such as 18-24; "
            "an exact age is not kept",
            field="age_band",
        )
    opened = _AGE_OPEN.match(text)
    if opened:
        if opened.group(1):
            return f"under {int(opened.group(1))}"
        return f"{int(opened.group(2))}+"
    raise InvalidInput(
        f"age_band must be a band such as 18-24, under 18 or 35+, not {value.strip()!r}: "
        "an exact age is not kept in a case study",
        field="age_band",
    )


def period(value: str) -> str:
    """A year ("2023") or a range of years ("2022-2024"). An exact date is refused."""
    text = _DASH.sub("-", " ".join(value.split()))
    if not text:
        return ""
    found = _YEARS.match(text)
    if found and 1990 <= int(found.group(1)) < int(found.group(2)) <= 2100:
        return f"{found.group(1)}-{found.group(2)}"
    year = _YEAR.match(text)
    if year and 1990 <= int(year.group(1)) <= 2100:
        return year.group(1)
    raise InvalidInput(
        f"period must be a year (2023) or a range of years (2022-2024), not {value.strip()!r}: "
        "an exact date is not kept in a case study",
        field="period",
    )


def _place(value: str, name: str) -> str:
    """A country or a region, in words: no digits (a house number, a postcode, a date)."""
    value = " ".join(value.split())
    if len(value) > BAND_MAX:
        raise InvalidInput(f"{name} must be at most {BAND_MAX} characters", field=name)
    if _DIGITS.search(value):
        raise InvalidInput(
            f"{name} must be a country or a region in words (such as Myanmar or the Mekong "
            "border area), without numbers: an address or a date is not kept",
            field=name,
        )
    return value


@dataclass(slots=True)
class Details:
    """What a case study says; None in an update leaves that part as it is."""

    title: str | None = None
    summary: str | None = None
    profile: str | None = None
    crime_form: str | None = None
    age_band: str | None = None
    nationality: str | None = None
    place: str | None = None
    period: str | None = None
    outcome: str | None = None
    outcome_reasoning: str | None = None
    # The secretariat's alone:
    visibility: str | None = None
    double_coding: bool | None = None
    contributors: Sequence[str] | None = None  # e-mail addresses


def _apply(case: CaseStudy, d: Details) -> list[str]:
    changed: list[str] = []

    def put(name: str, value: object) -> None:
        if getattr(case, name) != value:
            setattr(case, name, value)
            changed.append(name)

    if d.title is not None:
        put("title", _text(d.title, "title", TITLE_MAX, required=True))
    if d.summary is not None:
        put("summary", _text(d.summary, "summary", TEXT_MAX))
    if d.profile is not None:
        put("profile", _choice(d.profile, PROFILES, "profile"))
    if d.crime_form is not None:
        put("crime_form", _choice(d.crime_form, FORMS, "crime_form"))
    if d.age_band is not None:
        put("age_band", age_band(d.age_band))
    if d.nationality is not None:
        put("nationality", _place(d.nationality, "nationality"))
    if d.place is not None:
        put("place", _place(d.place, "place"))
    if d.period is not None:
        put("period", period(d.period))
    if d.outcome is not None:
        put("outcome", _choice(d.outcome, OUTCOMES, "outcome"))
    if d.outcome_reasoning is not None:
        put("outcome_reasoning", _text(d.outcome_reasoning, "outcome_reasoning", TEXT_MAX))
    if d.double_coding is not None:
        put("double_coding", bool(d.double_coding))
    return changed


def _users(session: Session, emails: Sequence[str]) -> list[User]:
    wanted = [e.strip().lower() for e in emails if e.strip()]
    if len(wanted) > 50:
        raise InvalidInput("at most 50 contributors", field="contributors")
    found = {
        u.email.lower(): u
        for u in session.scalars(select(User).where(func.lower(User.email).in_(wanted)))
    }
    out: list[User] = []
    for email in dict.fromkeys(wanted):
        user = found.get(email)
        if user is None or not user.is_active:
            raise NotFound(f"no active account {email!r}", field="contributors")
        if user.role is Role.ADMIN:
            raise InvalidInput(
                f"{email} is an administrator; administrators do not work on case studies",
                field="contributors",
            )
        out.append(user)
    return out


def _set_contributors(session: Session, case: CaseStudy, emails: Sequence[str]) -> list[str]:
    users = _users(session, emails)
    session.execute(delete(CaseContributor).where(CaseContributor.case_id == case.id))
    session.add_all(CaseContributor(case_id=case.id, user_id=u.id) for u in users)
    return [u.email for u in users]


def _next_reference(session: Session) -> str:
    numbers = [int(r[3:]) for r in session.scalars(select(CaseStudy.reference)) if r[3:].isdigit()]
    return f"CS-{max(numbers, default=0) + 1:02d}"


REFERENCE_TRIES = 3


def _insert_with_reference(session: Session, case: CaseStudy) -> None:
    """Give the case study the next CS-nn and insert it. Two opened at the same moment can
    both read the same last number; the unique reference refuses the second insert, which is
    then tried again with the number after (in a savepoint, so the transaction goes on), and
    after a few tries answered with a clear 409."""
    for _ in range(REFERENCE_TRIES):
        case.reference = _next_reference(session)
        try:
            with session.begin_nested():
                session.add(case)
                session.flush()
        except IntegrityError:
            if case in session:
                session.expunge(case)
            continue
        return
    raise Conflict(
        "another case study was opened at the same moment and took its reference; try again",
        field="reference",
    )


def _secretariat_only(principal: Principal, d: Details) -> None:
    if principal.role is Role.SECRETARIAT:
        return
    for name in ("visibility", "double_coding", "contributors"):
        if getattr(d, name) is not None:
            raise PermissionDenied(
                f"only the secretariat can change {name} of a case study", field=name
            )


def create(
    session: Session, principal: Principal, actor: Actor, details: Details, *, now: datetime
) -> CaseStudy:
    if principal.role is not Role.SECRETARIAT:
        raise PermissionDenied("only the secretariat can open a case study")
    for name in ("title", "profile", "crime_form", "outcome"):
        if getattr(details, name) is None:
            raise InvalidInput(f"{name} is required", field=name)
    case = CaseStudy(
        reference="",
        title="",
        summary="",
        profile="adult",
        crime_form="other",
        age_band="",
        nationality="",
        place="",
        period="",
        outcome="insufficient_information",
        outcome_reasoning="",
        visibility="restricted",
        double_coding=False,
        created_at=now,
        created_by_id=principal.user_id,
        updated_at=now,
    )
    _apply(case, details)
    _insert_with_reference(session, case)
    contributors = _set_contributors(session, case, details.contributors or [])
    found = _check_case_fields(session, case, principal, now=now)
    if details.visibility is not None:
        _share(session, case, _choice(details.visibility, VISIBILITIES, "visibility"))
    record(
        session,
        actor,
        action="case.create",
        object_type="case",
        object_id=case.id,
        details={"reference": case.reference, "contributors": contributors, "findings": found},
        at=now,
    )
    return case


def _share(session: Session, case: CaseStudy, visibility: str) -> None:
    if visibility == "group" and case.visibility != "group":
        session.flush()
        open_count = session.scalar(
            select(func.count())
            .select_from(CaseFinding)
            .where(
                CaseFinding.case_id == case.id,
                CaseFinding.resolved_at.is_(None),
                CaseFinding.dismissed_at.is_(None),
            )
        )
        if open_count:
            raise Conflict(
                f"{case.reference} still has {open_count} personal-data finding"
                f"{'s' if open_count != 1 else ''} open: remove or generalise the words, or "
                "dismiss a finding that is not personal data, before sharing it beyond its "
                "contributors",
                field="visibility",
            )
    case.visibility = visibility


def update(
    session: Session,
    principal: Principal,
    actor: Actor,
    case_id: int,
    details: Details,
    *,
    expected_version: int,
    now: datetime,
    personal_data_checked: bool = False,
) -> CaseStudy:
    case = _for_writing(session, principal, case_id, expected_version)
    _secretariat_only(principal, details)
    changed = _apply(case, details)
    out: dict[str, object] = {"reference": case.reference}
    if details.contributors is not None:
        out["contributors"] = _set_contributors(session, case, details.contributors)
        changed.append("contributors")
    if any(name in changed for name in CHECKED_FIELDS):
        out["findings"] = _check_case_fields(session, case, principal, now=now)
        confirmed: list[int] = []
        for name in CHECKED_FIELDS:
            if name in changed:
                confirmed += _guard_shared(
                    session,
                    case,
                    name,
                    getattr(case, name),
                    principal,
                    fact_id=None,
                    checked=personal_data_checked,
                    now=now,
                )
        if confirmed:
            out["personal_data_confirmed"] = confirmed
    if details.visibility is not None:
        wanted = _choice(details.visibility, VISIBILITIES, "visibility")
        if wanted != case.visibility:
            _share(session, case, wanted)
            changed.append("visibility")
            out["visibility"] = wanted
    case.updated_at = now
    _touch(case)
    session.flush()
    out["changed"] = changed
    record(
        session,
        actor,
        action="case.update",
        object_type="case",
        object_id=case.id,
        details=out,
        at=now,
    )
    return case


def _touch(case: CaseStudy) -> None:
    """Count a change of the case study's own rows (contributors, facts' order) as a change of
    the case study: its version goes up."""
    flag_modified(case, "title")


# --- Personal data -----------------------------------------------------------------------------


def _digest(words: str) -> str:
    return hashlib.sha256(" ".join(words.split()).casefold().encode()).hexdigest()


def _check(
    session: Session,
    case: CaseStudy,
    field_name: str,
    text: str,
    principal: Principal,
    *,
    fact_id: int | None,
    now: datetime,
) -> int:
    """Run the check over one text; store what is new as open findings; close the open ones
    the text no longer holds (resolved by whoever saved it). Words dismissed as not personal
    data are not raised again. The number of open findings on this text."""
    found = personal.check(text)
    existing = session.scalars(
        select(CaseFinding).where(
            CaseFinding.case_id == case.id,
            CaseFinding.field == field_name,
            CaseFinding.fact_id.is_(None) if fact_id is None else CaseFinding.fact_id == fact_id,
        )
    ).all()
    dismissed = {(f.kind, f.digest) for f in existing if f.dismissed_at is not None}
    open_now = {(f.kind, f.digest): f for f in existing if f.is_open}
    still: set[tuple[str, str]] = set()
    count = 0
    for f in found:
        key = (f.kind, _digest(text[f.start : f.end]))
        if key in dismissed or key in still:
            continue
        still.add(key)
        count += 1
        kept = open_now.get(key)
        if kept is not None:
            kept.span_start, kept.span_end = f.start, f.end
            continue
        session.add(
            CaseFinding(
                case_id=case.id,
                fact_id=fact_id,
                field=field_name,
                kind=f.kind,
                span_start=f.start,
                span_end=f.end,
                digest=key[1],
                found_at=now,
                dismiss_reason="",
            )
        )
    for key, finding in open_now.items():
        if key not in still:
            finding.resolved_at = now
            finding.resolved_by_id = principal.user_id
    return count


def _check_case_fields(
    session: Session, case: CaseStudy, principal: Principal, *, now: datetime
) -> int:
    return sum(
        _check(session, case, name, getattr(case, name), principal, fact_id=None, now=now)
        for name in CHECKED_FIELDS
    )


def _open_on(
    session: Session, case: CaseStudy, field_name: str, fact_id: int | None
) -> list[CaseFinding]:
    session.flush()
    return list(
        session.scalars(
            select(CaseFinding)
            .where(
                CaseFinding.case_id == case.id,
                CaseFinding.field == field_name,
                CaseFinding.fact_id.is_(None)
                if fact_id is None
                else CaseFinding.fact_id == fact_id,
                CaseFinding.resolved_at.is_(None),
                CaseFinding.dismissed_at.is_(None),
            )
            .order_by(CaseFinding.span_start, CaseFinding.id)
        )
    )


def _guard_shared(
    session: Session,
    case: CaseStudy,
    field_name: str,
    text: str,
    principal: Principal,
    *,
    fact_id: int | None,
    checked: bool,
    now: datetime,
    param: str | None = None,
) -> list[int]:
    """A case study shared with the group is read by every delegation at once: a save that would
    leave an open personal-data finding on it is refused (422 naming the field, the findings
    beside it, as comments are) unless the writer confirms the words are not personal data; the
    confirmed findings are then dismissed by that writer (recorded). `_share` is the gate for
    a restricted case study. The ids of the findings dismissed so."""
    if case.visibility != "group":
        return []
    still = _open_on(session, case, field_name, fact_id)
    if not still:
        return []
    if not checked:
        said = {(x.kind, x.start, x.end): x for x in personal.check(text)}
        out = []
        for f in still:
            x = said.get((f.kind, f.span_start, f.span_end))
            out.append(
                {
                    "kind": f.kind,
                    "start": f.span_start,
                    "end": f.span_end,
                    "text": text[f.span_start : f.span_end],
                    "explanation": x.explanation if x else "",
                    "suggestion": x.suggestion if x else "",
                }
            )
        kinds = ", ".join(dict.fromkeys(f.kind for f in still))
        raise InvalidInput(
            f"{case.reference} is shared with the group and the text may hold personal data "
            f"({kinds}): remove or generalise it, or confirm that it is not personal data "
            "(personal_data_checked)",
            field=param or field_name,
            findings=out,
        )
    for f in still:
        f.dismissed_at = now
        f.dismissed_by_id = principal.user_id
        f.dismiss_reason = DISMISS_REASON + " (confirmed on save)"
    return [f.id for f in still]


@dataclass(frozen=True, slots=True)
class FindingView:
    finding: CaseFinding
    where: str  # "summary", "fact 3"
    words: str  # what was found, read from the text as it is now
    context: str
    explanation: str = ""  # the check's words, for an open finding
    suggestion: str = ""


def findings(session: Session, case: CaseStudy, *, open_only: bool = False) -> list[FindingView]:
    rows = session.scalars(
        select(CaseFinding).where(CaseFinding.case_id == case.id).order_by(CaseFinding.id)
    ).all()
    facts = {f.id: f for f in session.scalars(select(CaseFact).where(CaseFact.case_id == case.id))}
    out: list[FindingView] = []
    checked: dict[str, dict[tuple[str, int, int], tuple[str, str]]] = {}
    for f in rows:
        if open_only and not f.is_open:
            continue
        if f.fact_id is not None:
            fact = facts.get(f.fact_id)
            text = fact.text if fact else ""
            where = f"fact {fact.number}" if fact else "a fact"
        else:
            text = str(getattr(case, f.field, "") or "")
            where = f.field.replace("_", " ")
        words = text[f.span_start : f.span_end] if f.is_open else ""
        context = text[max(0, f.span_start - 40) : f.span_end + 40] if f.is_open else ""
        advice = (
            _advice(text, checked).get((f.kind, f.span_start, f.span_end)) if f.is_open else None
        )
        explanation, suggestion = advice or ("", "")
        out.append(FindingView(f, where, words, context, explanation, suggestion))
    return out


def _advice(
    text: str, checked: dict[str, dict[tuple[str, int, int], tuple[str, str]]]
) -> dict[tuple[str, int, int], tuple[str, str]]:
    """What the check says about each finding in `text` (run once per text shown)."""
    if text not in checked:
        checked[text] = {
            (x.kind, x.start, x.end): (x.explanation, x.suggestion) for x in personal.check(text)
        }
    return checked[text]


def dismiss(
    session: Session,
    principal: Principal,
    actor: Actor,
    case_id: int,
    finding_id: int,
    *,
    now: datetime,
) -> CaseFinding:
    """Say that an open finding is not personal data; it is not raised again for those words."""
    case = _for_writing(session, principal, case_id)
    finding = session.get(CaseFinding, finding_id)
    if finding is None or finding.case_id != case.id:
        raise NotFound(f"no finding {finding_id} in {case.reference}", field="finding")
    if not finding.is_open:
        state = "dismissed" if finding.dismissed_at else "resolved"
        raise Conflict(
            f"finding {finding_id} is already {state}",
            field="finding",
        )
    finding.dismissed_at = now
    finding.dismissed_by_id = principal.user_id
    finding.dismiss_reason = DISMISS_REASON
    record(
        session,
        actor,
        action="case.finding.dismiss",
        object_type="case",
        object_id=case.id,
        details={"reference": case.reference, "finding": finding.id, "kind": finding.kind},
        at=now,
    )
    return finding


# --- Facts -------------------------------------------------------------------------------------


def facts(session: Session, case_id: int) -> list[CaseFact]:
    return list(
        session.scalars(
            select(CaseFact)
            .where(CaseFact.case_id == case_id)
            .order_by(CaseFact.number, CaseFact.id)
        )
    )


def get_fact(session: Session, case: CaseStudy, fact_id: int) -> CaseFact:
    fact = session.get(CaseFact, fact_id)
    if fact is None or fact.case_id != case.id:
        raise NotFound(f"no fact {fact_id} in {case.reference}", field="fact")
    return fact


def add_fact(
    session: Session,
    principal: Principal,
    actor: Actor,
    case_id: int,
    *,
    text: str,
    phase: str,
    source: str,
    now: datetime,
    personal_data_checked: bool = False,
) -> CaseFact:
    case = _for_writing(session, principal, case_id)
    count = session.scalar(
        select(func.count()).select_from(CaseFact).where(CaseFact.case_id == case.id)
    )
    if (count or 0) >= FACTS_MAX:
        raise Conflict(f"a case study has at most {FACTS_MAX} facts", field="text")
    number = (
        session.scalar(select(func.max(CaseFact.number)).where(CaseFact.case_id == case.id)) or 0
    ) + 1
    fact = CaseFact(
        case_id=case.id,
        number=number,
        text=_text(text, "text", FACT_MAX, required=True),
        phase=_choice(phase, PHASES, "phase"),
        source=_choice(source, SOURCES, "source"),
        created_at=now,
        updated_at=now,
    )
    session.add(fact)
    session.flush()
    found, confirmed = _check_fact(session, case, fact, principal, personal_data_checked, now)
    _record_fact(session, actor, "case.fact.add", case, fact, {"findings": found}, confirmed, now)
    return fact


def _check_fact(
    session: Session,
    case: CaseStudy,
    fact: CaseFact,
    principal: Principal,
    checked: bool,
    now: datetime,
) -> tuple[int, list[int]]:
    """A fact's text through the personal-data check: the findings it opened, and those the
    writer confirmed as not personal data on a case study shared with the group (else 422)."""
    found = _check(session, case, "fact", fact.text, principal, fact_id=fact.id, now=now)
    confirmed = _guard_shared(
        session,
        case,
        "fact",
        fact.text,
        principal,
        fact_id=fact.id,
        checked=checked,
        now=now,
        param="text",
    )
    return found, confirmed


def _record_fact(
    session: Session,
    actor: Actor,
    action: str,
    case: CaseStudy,
    fact: CaseFact,
    what: dict[str, object],
    confirmed: list[int],
    now: datetime,
) -> None:
    """The audit event of a fact added or edited: the case study, the fact's number, `what`
    (the fields changed, the findings opened) and the findings the writer confirmed as not
    personal data, if any; never the fact's words."""
    details: dict[str, object] = {"reference": case.reference, "fact": fact.number} | what
    if confirmed:
        details["personal_data_confirmed"] = confirmed
    record(
        session,
        actor,
        action=action,
        object_type="case",
        object_id=case.id,
        details=details,
        at=now,
    )


def edit_fact(
    session: Session,
    principal: Principal,
    actor: Actor,
    case_id: int,
    fact_id: int,
    *,
    text: str | None,
    phase: str | None,
    source: str | None,
    expected_version: int,
    now: datetime,
    personal_data_checked: bool = False,
) -> CaseFact:
    case = _for_writing(session, principal, case_id)
    fact = get_fact(session, case, fact_id)
    fact.check_version(expected_version, case.reference)
    changed: list[str] = []
    if text is not None:
        value = _text(text, "text", FACT_MAX, required=True)
        if value != fact.text:
            fact.text = value
            changed.append("text")
    if phase is not None and _choice(phase, PHASES, "phase") != fact.phase:
        fact.phase = phase.strip().lower()
        changed.append("phase")
    if source is not None and _choice(source, SOURCES, "source") != fact.source:
        fact.source = source.strip().lower()
        changed.append("source")
    fact.updated_at = now
    flag_modified(fact, "text")
    found, confirmed = _check_fact(session, case, fact, principal, personal_data_checked, now)
    session.flush()
    what = {"changed": changed, "findings": found}
    _record_fact(session, actor, "case.fact.edit", case, fact, what, confirmed, now)
    return fact


def order_facts(
    session: Session,
    principal: Principal,
    actor: Actor,
    case_id: int,
    fact_ids: Sequence[int],
    *,
    expected_version: int,
    now: datetime,
) -> CaseStudy:
    """Number the facts in the order given, which must list every fact of the case study once."""
    case = _for_writing(session, principal, case_id, expected_version)
    current = facts(session, case.id)
    if sorted(fact_ids) != sorted(f.id for f in current) or len(set(fact_ids)) != len(fact_ids):
        raise InvalidInput(
            f"the order must list each of the {len(current)} facts of {case.reference} once, by id",
            field="order",
        )
    by_id = {f.id: f for f in current}
    before = [f.id for f in current]
    moving = {fid: n for n, fid in enumerate(fact_ids, start=1) if by_id[fid].number != n}
    if moving:
        # (case_id, number) is unique and checked row by row (SQLite; PostgreSQL's immediate
        # constraint): the rows that move step out of the way first, to numbers no fact has
        # (negative), in one statement that leaves their versions alone; the ORM then writes
        # each new number, bumping each moved fact's version once.
        session.execute(
            sql_update(CaseFact)
            .where(CaseFact.id.in_(list(moving)))
            .values(number=-CaseFact.number)
            .execution_options(synchronize_session=False)
        )
        for fid, number in moving.items():
            by_id[fid].number = number
    case.updated_at = now
    _touch(case)
    session.flush()
    record(
        session,
        actor,
        action="case.facts.order",
        object_type="case",
        object_id=case.id,
        details={"reference": case.reference, "before": before, "after": list(fact_ids)},
        at=now,
    )
    return case


# --- Codings -----------------------------------------------------------------------------------


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def _indicator(session: Session, code: str) -> Item:
    wanted = code.strip().upper()
    item = session.scalar(select(Item).where(Item.code == wanted, Item.kind == ItemKind.INDICATOR))
    if item is None:
        raise InvalidInput(f"no indicator with code {code.strip()!r}", field="indicator")
    status = session.scalar(
        select(Revision.status).where(Revision.item_id == item.id, Revision.number == item.version)
    )
    if status is ItemStatus.WITHDRAWN:
        raise InvalidInput(
            f"{item.code} is withdrawn; code the fact against a current indicator",
            field="indicator",
        )
    return item


def code_fact(
    session: Session,
    principal: Principal,
    actor: Actor,
    case_id: int,
    fact_id: int,
    *,
    indicator: str,
    status: str,
    evidence: str,
    now: datetime,
) -> FactCoding:
    """The person's coding of a fact against one indicator; a coding they made before for the
    same indicator is kept as history (superseded), not overwritten."""
    case = _for_writing(session, principal, case_id)
    fact = get_fact(session, case, fact_id)
    item = _indicator(session, indicator)
    status = _choice(status, STATUSES, "status")
    evidence = " ".join(evidence.split())
    if len(evidence) > FACT_MAX:
        raise InvalidInput(f"evidence must be at most {FACT_MAX:,} characters", field="evidence")
    if status == "present" and not evidence:
        raise InvalidInput(
            "evidence is required when the indicator is present: copy the words of the fact "
            "that show it",
            field="evidence",
        )
    if evidence and _normal(evidence) not in _normal(fact.text):
        raise InvalidInput(
            f"evidence must be words of fact {fact.number} as written there; "
            f"{evidence[:60]!r} is not in its text",
            field="evidence",
        )
    previous = session.scalar(
        select(FactCoding).where(
            FactCoding.fact_id == fact.id,
            FactCoding.item_id == item.id,
            FactCoding.coder_id == principal.user_id,
            FactCoding.superseded_at.is_(None),
        )
    )
    if previous is not None:
        previous.superseded_at = now
        session.flush()
    coding = FactCoding(
        fact_id=fact.id,
        item_id=item.id,
        code=item.code,
        status=status,
        evidence=evidence,
        coder_id=principal.user_id,
        created_at=now,
    )
    session.add(coding)
    session.flush()
    record(
        session,
        actor,
        action="case.coding",
        object_type="case",
        object_id=case.id,
        details={
            "reference": case.reference,
            "fact": fact.number,
            "indicator": item.code,
            "status": status,
            "replaces": previous.id if previous is not None else None,
        },
        at=now,
    )
    return coding


@dataclass(frozen=True, slots=True)
class CodingView:
    id: int
    fact_id: int
    indicator: str  # the indicator it counts for now
    coded_as: str  # the code the coder chose
    via: str | None  # None, "merged" or "split"
    status: str
    evidence: str
    evidence_found: bool  # still words of the fact (an edit of the fact may have removed them)
    coder: str
    coder_id: int
    at: datetime
    coded_status: str = ""  # what the coder said, when `status` differs (a split: "unknown")

    @property
    def needs_recoding(self) -> bool:
        """Carried to an item split off the one coded: the coder never read the fact against
        the new item's wording, so it counts as unknown until someone codes it."""
        return self.via == concordance.SPLIT


def codings(session: Session, case_id: int) -> dict[int, list[CodingView]]:
    """The current codings of every fact of a case study, by fact id, each under the indicators
    it counts for today (merges and splits followed: app/cases/concordance.py)."""
    rows = session.execute(
        select(FactCoding, User.name, CaseFact.text)
        .join(CaseFact, CaseFact.id == FactCoding.fact_id)
        .join(User, User.id == FactCoding.coder_id)
        .where(CaseFact.case_id == case_id, FactCoding.superseded_at.is_(None))
        .order_by(FactCoding.id)
    ).all()
    links = concordance.load(session, {c.item_id for c, _, _ in rows})
    out: dict[int, list[CodingView]] = {}
    for coding, coder, text in rows:
        for target in links.targets(coding.item_id, coding.created_at):
            derived = _derived(target)
            out.setdefault(coding.fact_id, []).append(
                CodingView(
                    id=coding.id,
                    fact_id=coding.fact_id,
                    indicator=target.code,
                    coded_as=coding.code,
                    via=target.via,
                    status="unknown" if derived else coding.status,
                    evidence=coding.evidence,
                    evidence_found=_normal(coding.evidence) in _normal(text),
                    coder=coder,
                    coder_id=coding.coder_id,
                    at=coding.created_at,
                    coded_status=coding.status if derived else "",
                )
            )
    for views in out.values():
        views.sort(key=lambda v: (v.indicator, v.coder, v.id))
    return out


def _derived(target: concordance.Target) -> bool:
    """One piece of evidence must not become two indicators: on the item split off, a coding
    counts as unknown ("needs re-coding"), so screening shows the range."""
    return target.via == concordance.SPLIT


def coded_statuses(session: Session, case_ids: Sequence[int]) -> dict[int, dict[str, list[str]]]:
    """By case study: the statuses of its facts' current codings under each indicator they count
    for today, as codings() reads them, for all the case studies at once (two statements and
    the concordance's, however many case studies)."""
    if not case_ids:
        return {}
    rows = session.execute(
        select(CaseFact.case_id, FactCoding.item_id, FactCoding.created_at, FactCoding.status)
        .join(CaseFact, CaseFact.id == FactCoding.fact_id)
        .where(CaseFact.case_id.in_(case_ids), FactCoding.superseded_at.is_(None))
        .order_by(FactCoding.id)
    ).all()
    links = concordance.load(session, {r.item_id for r in rows})
    out: dict[int, dict[str, list[str]]] = {case_id: {} for case_id in case_ids}
    for case_id, item_id, created_at, status in rows:
        for target in links.targets(item_id, created_at):
            out[case_id].setdefault(target.code, []).append(
                "unknown" if _derived(target) else status
            )
    return out


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    coding: FactCoding
    coder: str


def coding_history(
    session: Session, principal: Principal, case_id: int, fact_id: int
) -> list[HistoryEntry]:
    """Every coding of a fact, current and superseded, oldest first, as each was made (the code
    chosen then, not followed through later merges)."""
    case = get(session, principal, case_id)
    fact = get_fact(session, case, fact_id)
    rows = session.execute(
        select(FactCoding, User.name)
        .join(User, User.id == FactCoding.coder_id)
        .where(FactCoding.fact_id == fact.id)
        .order_by(FactCoding.created_at, FactCoding.id)
    ).all()
    return [HistoryEntry(c, name) for c, name in rows]


# --- Reading a whole case study ----------------------------------------------------------------


@dataclass(slots=True)
class CaseView:
    case: CaseStudy
    contributors: list[User]
    facts: list[CaseFact]
    codings: dict[int, list[CodingView]]
    findings: list[FindingView]
    may_write: bool
    may_manage: bool
    coders: dict[int, set[int]] = field(default_factory=dict)  # fact id -> coder ids
    agreement: "Agreement | None" = None

    @property
    def open_findings(self) -> list[FindingView]:
        return [f for f in self.findings if f.finding.is_open]


@dataclass(frozen=True, slots=True)
class Agreement:
    """How far the two coders of a double-coded case study agree: Cohen's kappa over the
    (fact, indicator) pairs either coded, a pair one coder left uncoded counting as absent for
    them (as screening counts it; app/screening/metrics.py). `kappa.only_one_coder` says how
    many pairs only one of them coded. Codings carried to a split-off item are left out (no
    one coded them)."""

    coder_a: str
    coder_b: str
    kappa: Kappa


_RANK = {"present": 0, "unknown": 1, "absent": 2}


def agreement(coded: dict[int, list[CodingView]]) -> Agreement | None:
    """The agreement of the two coders who coded the most; None with fewer than two coders. A
    coder with two codings that now count for one indicator (a merge) counts the stronger."""
    per_coder: dict[int, dict[tuple[int, str], str]] = {}
    names: dict[int, str] = {}
    for fact_id, views in coded.items():
        for v in views:
            if v.needs_recoding:
                continue
            names[v.coder_id] = v.coder
            units = per_coder.setdefault(v.coder_id, {})
            key = (fact_id, v.indicator)
            if key not in units or _RANK[v.status] < _RANK[units[key]]:
                units[key] = v.status
    if len(per_coder) < 2:
        return None
    a, b = sorted(per_coder, key=lambda c: (-len(per_coder[c]), c))[:2]
    pairs = set(per_coder[a]) | set(per_coder[b])
    only_one = len(set(per_coder[a]) ^ set(per_coder[b]))
    first = {k: per_coder[a].get(k, "absent") for k in pairs}
    second = {k: per_coder[b].get(k, "absent") for k in pairs}
    kappa = replace(cohen_kappa(first, second), only_one_coder=only_one)
    return Agreement(names[a], names[b], kappa)


def view(session: Session, principal: Principal, case_id: int) -> CaseView:
    case = get(session, principal, case_id)
    people = contributor_ids(session, case.id)
    contributors = list(
        session.scalars(select(User).where(User.id.in_(people)).order_by(User.name, User.id))
    )
    coded = codings(session, case.id)
    return CaseView(
        case=case,
        contributors=contributors,
        facts=facts(session, case.id),
        codings=coded,
        findings=findings(session, case),
        may_write=_writes(principal, people),
        may_manage=principal.role is Role.SECRETARIAT,
        coders={fid: {c.coder_id for c in views} for fid, views in coded.items()},
        agreement=agreement(coded) if case.double_coding else None,
    )


def indicator_choices(session: Session) -> list[tuple[str, str]]:
    """The current indicators, (code, first words), in the register's order."""
    rows = session.execute(
        select(Item.code, Revision.text, Revision.status)
        .join(Revision, (Revision.item_id == Item.id) & (Revision.number == Item.version))
        .where(Item.kind == ItemKind.INDICATOR)
        .order_by(Item.code)
    ).all()
    out: list[tuple[str, str]] = []
    for code, text, status in rows:
        if status is ItemStatus.WITHDRAWN:
            continue
        words = " ".join(text.split())
        out.append((code, words if len(words) <= 90 else words[:89].rstrip() + "\u2026"))
    return out
