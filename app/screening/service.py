"""Screening use cases (issue 21): run the case studies a person may see through a set of
indicators and a combination rule (app/screening/rule.py), measure the run against the experts'
reference outcomes (app/screening/metrics.py), and the impact of a proposal: the same run with the
proposal applied in memory, nothing written.

The indicators come from a round: an issued round's frozen revisions (its snapshot), or, for a
round not issued yet, the register as it is now. Each indicator gives its strength for the case's
profile and its register dimension; each case study gives, per indicator code it counts for
today (app/cases/service.codings follows merges and splits), the status of its facts' codings
(rule.indicator_status: present if any fact shows it). Codings of every coder count (a double
coded fact shown present by one coder is present).

A proposal is applied as the register would apply it when agreed (app/proposals/service._apply):
an amendment changes its target's strengths, dimension or status; a deletion withdraws it; a
merge withdraws the other targets and their codings count for the first target (as the
concordance reads them after the merge); a new indicator joins the set, and when it is split
from an item that item's codings count for it as unknown where they say present (as
cases.service.codings reads an agreed split: the coder has not read the fact against it).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cases import service as cases
from app.models import (
    CaseStudy,
    Dimension,
    Item,
    ItemKind,
    ItemStatus,
    Proposal,
    ProposalKind,
    Revision,
    Round,
)
from app.principal import Principal
from app.rounds import snapshot
from app.screening import metrics as m
from app.screening import rule as r

if TYPE_CHECKING:
    from app.proposals.service import ProposalView


@dataclass(frozen=True, slots=True)
class Indicator:
    code: str
    dimension: str
    strength: Mapping[str, str | None]  # profile -> strength (None: none for the profile)


Indicators = dict[str, Indicator]
# Marks an alias as the source of a split (its present codings count as unknown).
SPLIT_FROM = "split-from:"


def _strength(value: Any) -> str | None:
    value = getattr(value, "value", value)
    return str(value) if value else None


def current_indicators(session: Session) -> Indicators:
    """The register's active indicators as they are now."""
    rows = session.execute(
        select(Item.code, Revision.strength_adult, Revision.strength_child, Dimension.code)
        .join(Revision, (Revision.item_id == Item.id) & (Revision.number == Item.version))
        .outerjoin(Dimension, Dimension.id == Revision.dimension_id)
        .where(Item.kind == ItemKind.INDICATOR, Revision.status == ItemStatus.ACTIVE)
    ).all()
    return {
        code: Indicator(code, dim or "", {"adult": _strength(a), "child": _strength(c)})
        for code, a, c, dim in rows
    }


def round_indicators(session: Session, round_: Round) -> Indicators:
    """An issued round's indicators at the revisions it froze; the register now for a round not
    issued yet."""
    if round_.issued_at is None:
        return current_indicators(session)
    out: Indicators = {}
    for e in snapshot.load(session, round_.id):
        if e.kind is not ItemKind.INDICATOR or e.content.get("status") != ItemStatus.ACTIVE.value:
            continue
        c = e.content
        out[e.code] = Indicator(
            e.code,
            c.get("dimension") or "",
            {
                "adult": _strength(c.get("strength_adult")),
                "child": _strength(c.get("strength_child")),
            },
        )
    return out


@dataclass(frozen=True, slots=True)
class CaseInput:
    id: int
    reference: str
    title: str
    profile: str
    outcome: str
    statuses: dict[str, list[str]]  # indicator code today -> its codings' statuses


def case_inputs(session: Session, principal: Principal) -> list[CaseInput]:
    """The case studies the person may see, with their codings' statuses by indicator code (a
    fixed number of statements, however many case studies)."""
    found = cases.outlines(session, principal)
    statuses = cases.coded_statuses(session, [c.id for c in found])
    return [
        CaseInput(c.id, c.reference, c.title, c.profile, c.outcome, statuses[c.id]) for c in found
    ]


def screen_case(
    case: CaseInput,
    indicators: Indicators,
    rule: r.CombinationRule,
    aliases: Mapping[str, Sequence[str]] | None = None,
) -> r.ScreeningResult:
    """One case under one indicator set and rule. `aliases` maps an indicator code to other codes
    whose codings count for it too: a merge's items as they are, a split's source (prefixed
    SPLIT_FROM) as unknown where it is present."""
    coded: dict[str, r.Coded] = {}
    for code, ind in indicators.items():
        found = list(case.statuses.get(code, []))
        for other in (aliases or {}).get(code, ()):
            if other.startswith(SPLIT_FROM):
                # A new item split from another: the coder read the fact against the wider
                # wording, so whether the new item is shown is not known (as cases.codings
                # reads an agreed split): present becomes unknown.
                carried = case.statuses.get(other.removeprefix(SPLIT_FROM), [])
                found += ["unknown" if x == "present" else x for x in carried]
            else:
                found += case.statuses.get(other, [])
        if not found:
            continue
        coded[code] = r.Coded(
            ind.strength.get(case.profile), ind.dimension, r.indicator_status(found).value
        )
    return r.evaluate(coded, case.profile, rule)


@dataclass(frozen=True, slots=True)
class Row:
    case: CaseInput
    result: r.ScreeningResult

    @property
    def agrees(self) -> bool | None:
        """Whether the result matches the reference (None: no reference to compare with)."""
        if self.case.outcome == m.Reference.INSUFFICIENT:
            return self.result.result is r.Result.INSUFFICIENT or None
        identified = self.result.result is r.Result.IDENTIFIED
        return identified == (self.case.outcome == m.Reference.TRAFFICKED)


@dataclass(frozen=True, slots=True)
class Run:
    rule: r.CombinationRule
    rows: list[Row]
    metrics: m.ScreeningMetrics
    best: int = 0  # cases identified in the best case
    worst: int = 0  # cases identified in the worst case
    by_case: dict[str, r.ScreeningResult] = field(default_factory=dict)


def run(
    cases_in: Sequence[CaseInput],
    indicators: Indicators,
    rule: r.CombinationRule,
    aliases: Mapping[str, Sequence[str]] | None = None,
) -> Run:
    rows = [Row(c, screen_case(c, indicators, rule, aliases)) for c in cases_in]
    return Run(
        rule=rule,
        rows=rows,
        metrics=m.screening_metrics((x.case.outcome, x.result.result.value) for x in rows),
        best=sum(x.result.identified_best for x in rows),
        worst=sum(x.result.identified_worst for x in rows),
        by_case={x.case.reference: x.result for x in rows},
    )


def screen_round(
    session: Session,
    principal: Principal,
    round_: Round,
    rule: r.CombinationRule = r.ILO_2009,
) -> Run:
    return run(case_inputs(session, principal), round_indicators(session, round_), rule)


# --- The impact of a proposal ------------------------------------------------------------------


def _apply_content(ind: Indicator, content: Mapping[str, Any], dimension: str | None) -> Indicator:
    strength = dict(ind.strength)
    for profile in r.PROFILES:
        key = f"strength_{profile}"
        if key in content:
            strength[profile] = _strength(content[key])
    return Indicator(ind.code, dimension or ind.dimension, strength)


def applied(
    session: Session, principal: Principal, proposal_id: int
) -> tuple[Indicators, Indicators, dict[str, list[str]]]:
    """The indicators now, the indicators with the proposal applied, and the aliases the applied
    set needs (merged or split codings). 404 for a proposal the person may not see."""
    from app.proposals import service as proposals

    pv = proposals.view(session, principal, proposal_id)
    return applied_view(pv, current_indicators(session))


def applied_view(
    pv: "ProposalView", before: Indicators
) -> tuple[Indicators, Indicators, dict[str, list[str]]]:
    """applied() for a proposal read already (its view) and the indicators now (`before`),
    without reading anything: a round's pending proposals are read together."""
    p = pv.proposal
    after = dict(before)
    aliases: dict[str, list[str]] = {}
    if p.item_kind != ItemKind.INDICATOR.value:
        return before, after, aliases
    content = p.content or {}
    if p.kind is ProposalKind.ADD:
        code = f"{p.reference} (new)"
        after[code] = _apply_content(
            Indicator(code, p.dimension_code or "", {"adult": None, "child": None}),
            content,
            p.dimension_code,
        )
        if pv.targets:  # split from an item: its codings count for the new one, as unknown
            aliases[code] = [SPLIT_FROM + pv.targets[0].code]
        return before, after, aliases
    first = pv.targets[0].code if pv.targets else None
    if first is None:
        return before, after, aliases
    if p.kind is ProposalKind.DELETE or content.get("status") == ItemStatus.WITHDRAWN.value:
        after.pop(first, None)
        return before, after, aliases
    if first in after:
        after[first] = _apply_content(after[first], content, p.dimension_code)
    if p.kind is ProposalKind.MERGE:
        for t in pv.targets[1:]:
            after.pop(t.code, None)
        aliases[first] = [t.code for t in pv.targets[1:]]
    return before, after, aliases


def proposal_rule(session: Session, proposal_id: int) -> r.CombinationRule:
    """The rule a proposal's impact is measured under: the one frozen with its round, else the
    2009 rule. Called after `applied` (which checks the person may see the proposal)."""
    from app.screening import rules

    proposal = session.get(Proposal, proposal_id)
    round_ = session.get(Round, proposal.round_id) if proposal and proposal.round_id else None
    return rules.for_round(session, round_) if round_ is not None else r.ILO_2009


def impact(
    session: Session,
    principal: Principal,
    proposal_id: int,
    rule: r.CombinationRule | None = None,
) -> list[r.Change]:
    """The case studies the person may see whose result the proposal changes, under `rule` (by
    default the rule of the proposal's round)."""
    before, after, aliases = applied(session, principal, proposal_id)
    rule = rule or proposal_rule(session, proposal_id)
    inputs = case_inputs(session, principal)
    return r.changes(run(inputs, before, rule).by_case, run(inputs, after, rule, aliases).by_case)


def case_titles(session: Session, references: Sequence[str]) -> dict[str, str]:
    if not references:
        return {}
    return dict(
        session.execute(
            select(CaseStudy.reference, CaseStudy.title).where(CaseStudy.reference.in_(references))
        ).all()
    )
