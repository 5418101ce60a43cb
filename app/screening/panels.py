"""The screening impact of a proposal, as a panel other areas' pages put on theirs (the proposal
page and its decision form): merge `impact_on_proposal(...)` into the page's context and include
_proposal_impact.html (or _proposal_impact_line.html in a form). Nothing for a person who may not
read case studies, or who sees none."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.accounts.permissions import Action, allowed
from app.principal import Principal
from app.screening import rule as r
from app.screening import service


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
