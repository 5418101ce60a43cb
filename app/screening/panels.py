"""The screening impact of a proposal, as a panel other areas' pages put on theirs (the proposal
page and its decision form): merge `impact_on_proposal(...)` into the page's context and include
_proposal_impact.html (or _proposal_impact_line.html in a form). Nothing for a person who may not
read case studies, or who sees none."""

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.permissions import Action, allowed
from app.models import Proposal, ProposalState, Round
from app.principal import Principal
from app.proposals import service as proposals
from app.screening import rule as r
from app.screening import rules, service
from app.web.templating import templates


@dataclass(frozen=True, slots=True)
class ImpactLine:
    case_id: int
    case: str
    title: str
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class ImpactPanel:
    proposal_id: int
    rule: str
    screened: int  # case studies screened (those the person may see)
    changed: list[ImpactLine]


def impact_panel(db: Session, principal: Principal, proposal_id: int) -> ImpactPanel | None:
    if not allowed(principal.role, Action.READ_CASES):
        return None
    inputs = service.case_inputs(db, principal)
    if not inputs:
        return None
    before, after, aliases = service.applied(db, principal, proposal_id)
    rule = service.proposal_rule(db, proposal_id)
    changed = r.changes(
        service.run(inputs, before, rule).by_case,
        service.run(inputs, after, rule, aliases).by_case,
    )
    by_ref = {c.reference: c for c in inputs}
    return ImpactPanel(
        proposal_id=proposal_id,
        rule=f"{rule.name} rule (version {rule.version})",
        screened=len(inputs),
        changed=[
            ImpactLine(
                by_ref[c.case].id, c.case, by_ref[c.case].title, c.before.value, c.after.value
            )
            for c in changed
        ],
    )


def impact_on_proposal(db: Session, principal: Principal, proposal_id: int) -> dict[str, Any]:
    """For the proposal page: merge into its context and include _proposal_impact.html."""
    return {"proposal_impact": impact_panel(db, principal, proposal_id)}


@dataclass(frozen=True, slots=True)
class ProposalImpact:
    proposal_id: int
    reference: str
    changed: list[ImpactLine]


@dataclass(frozen=True, slots=True)
class RoundImpacts:
    rule: str
    screened: int
    proposals: list[ProposalImpact]


PENDING = (ProposalState.SUBMITTED, ProposalState.UNDER_CONSIDERATION)


def round_impacts(db: Session, principal: Principal, round_: Round) -> RoundImpacts | None:
    """The impact of each of a round's pending proposals on the case studies the person may see:
    the case studies read and screened as they stand once, then once per proposal applied."""
    if not allowed(principal.role, Action.READ_CASES):
        return None
    inputs = service.case_inputs(db, principal)
    if not inputs:
        return None
    found = db.scalars(
        select(Proposal)
        .where(Proposal.round_id == round_.id, Proposal.state.in_(PENDING))
        .order_by(Proposal.id)
    ).all()
    if not found:
        return None
    rule = rules.for_round(db, round_)
    now = service.current_indicators(db)
    before = service.run(inputs, now, rule).by_case
    by_ref = {c.reference: c for c in inputs}
    out = []
    # Those the person may see (proposals.get's rule), read together: a fixed number of
    # statements, however many are pending.
    for pv in proposals.views(db, [p for p in found if proposals.visible(p, principal)]):
        p = pv.proposal
        _, after, aliases = service.applied_view(pv, now)
        changed = r.changes(before, service.run(inputs, after, rule, aliases).by_case)
        lines = [
            ImpactLine(
                by_ref[c.case].id, c.case, by_ref[c.case].title, c.before.value, c.after.value
            )
            for c in changed
        ]
        out.append(ProposalImpact(p.id, p.reference, lines))
    return RoundImpacts(f"{rule.name} rule (version {rule.version})", len(inputs), out)


def impacts_on_round(db: Session, principal: Principal, round_: Round) -> Markup:
    """For the round page: a section rendered for this viewer alone, never kept in the page
    cache (which case studies a person may see is not in its audience key), put after the
    cached fragment."""
    impacts = round_impacts(db, principal, round_)
    if impacts is None:
        return Markup("")
    html = templates.get_template("_round_impacts.html").render({"impacts": impacts})
    return Markup(html)  # noqa: S704 - output of the autoescaping template engine
