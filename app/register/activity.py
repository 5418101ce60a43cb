"""What is going on around each indicator of a register page: its open proposals and its open
comment threads, read for the whole page in one query (never one per row).

The register page is the same for every viewer of a role (app/web/cache.py keys it on the role),
so only what every such viewer may see is counted: submitted proposals (a private draft is its
delegation's alone), and comment threads the whole group sees (and, for the chairs and the
secretariat, the threads kept to them). Every change to these writes an audit event, so a new
proposal or comment gives the cached page a new content version."""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from app.models import Comment, Item, Proposal, ProposalTarget, Role, Visibility
from app.models.workflow import OPEN_STATES


@dataclass(frozen=True, slots=True)
class Activity:
    proposals: int
    comments: int


@lru_cache(maxsize=2)
def _counts(chairs_too: bool) -> Select[Any]:
    """The counts of the items whose codes are bound as `codes` (built once for each audience:
    building the two correlated subqueries cost as much as running them)."""
    shown = [Visibility.GROUP, Visibility.CHAIRS] if chairs_too else [Visibility.GROUP]
    proposals = (
        select(func.count())
        .select_from(ProposalTarget)
        .join(Proposal, Proposal.id == ProposalTarget.proposal_id)
        .where(
            ProposalTarget.item_id == Item.id,
            Proposal.submitted_at.is_not(None),
            Proposal.state.in_(OPEN_STATES),
        )
        .scalar_subquery()
    )
    comments = (
        select(func.count())
        .select_from(Comment)
        .where(
            Comment.item_id == Item.id,
            Comment.parent_id.is_(None),
            Comment.withdrawn_at.is_(None),
            Comment.resolved_at.is_(None),
            Comment.visibility.in_(shown),
        )
        .scalar_subquery()
    )
    return select(Item.code, proposals, comments).where(
        Item.code.in_(bindparam("codes", expanding=True))
    )


def of_items(session: Session, codes: Sequence[str], role: Role) -> dict[str, Activity]:
    """The open proposals and open comment threads of the items `codes` (one query)."""
    if not codes:
        return {}
    query = _counts(role in (Role.CHAIR, Role.SECRETARIAT))
    rows = session.execute(query, {"codes": list(codes)}).all()
    return {code: Activity(p, c) for code, p, c in rows}
