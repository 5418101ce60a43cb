"""Which indicators a coding counts for today, read from the register's own record of merges
and splits, so that nothing in the register needs to know about case studies.

The register records (app/proposals/service.py, `_apply`):
- a merge: the indicators merged into the first target of an agreed merge proposal get a
  revision that withdraws them, carrying that proposal's id; so an item whose current revision
  is withdrawn by a merge proposal whose first target is another item was merged into it;
- a split: an agreed proposal to add an indicator may name the item it is split from (its first
  target); the new item's first revision carries that proposal's id.

A coding made on X counts for the item X was merged into (followed to the end of a chain of
merges), and, for a split made after the coding, for the new item too (the coder read the fact
against X's wider wording, which the new item now carries part of). A reopened decision gives
the item a new current revision, so the coding follows that as well.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Item, ItemStatus, Proposal, ProposalKind, ProposalTarget, Revision

MERGED = "merged"
SPLIT = "split"


@dataclass(frozen=True, slots=True)
class Target:
    item_id: int
    code: str
    via: str | None  # None: the indicator coded; "merged" or "split"
    source: str | None  # the code coded, when via is set


@dataclass(frozen=True, slots=True)
class Concordance:
    codes: dict[int, str]
    merged_into: dict[int, int]  # withdrawn item -> the item it was merged into
    split_into: dict[int, list[tuple[int, datetime]]]  # item -> items split from it, when

    def _merged_end(self, item_id: int) -> int:
        seen = {item_id}
        while item_id in self.merged_into:
            item_id = self.merged_into[item_id]
            if item_id in seen:
                break
            seen.add(item_id)
        return item_id

    def targets(self, item_id: int, coded_at: datetime) -> list[Target]:
        """The indicators a coding of `item_id` made at `coded_at` counts for, the item (or what
        it was merged into) first."""
        source = self.codes.get(item_id, "")
        out: list[Target] = []
        seen: set[int] = set()

        def add(target: int, via: str | None) -> None:
            end = self._merged_end(target)
            if end in seen:
                return
            seen.add(end)
            if end != target and via is None:
                via = MERGED
            out.append(
                Target(end, self.codes.get(end, ""), via, source if via is not None else None)
            )

        add(item_id, None)
        pending = [item_id]
        visited = {item_id}
        while pending:
            current = pending.pop()
            for new_id, created_at in self.split_into.get(current, []):
                if created_at >= coded_at and new_id not in visited:
                    visited.add(new_id)
                    add(new_id, SPLIT)
                    pending.append(new_id)
        return out


def load(session: Session, item_ids: Iterable[int]) -> Concordance:
    """What the register says about merges and splits touching these items (three queries)."""
    wanted = set(item_ids)
    codes: dict[int, str] = dict(session.execute(select(Item.id, Item.code)).all())
    if not wanted:
        return Concordance(codes, {}, {})
    # Merges: the current revision of every withdrawn item and the proposal it came from.
    withdrawn = session.execute(
        select(Revision.item_id, Revision.proposal_id)
        .join(Item, (Item.id == Revision.item_id) & (Item.version == Revision.number))
        .where(Revision.status == ItemStatus.WITHDRAWN, Revision.proposal_id.is_not(None))
    ).all()
    first_target: dict[int | None, tuple[ProposalKind | None, int | None]] = {
        pid: (kind, item)
        for pid, kind, item in session.execute(
            select(Proposal.id, Proposal.kind, ProposalTarget.item_id)
            .join(ProposalTarget, ProposalTarget.proposal_id == Proposal.id)
            .where(
                ProposalTarget.position == 0,
                Proposal.kind.in_([ProposalKind.MERGE, ProposalKind.ADD]),
            )
        ).all()
    }
    merged_into: dict[int, int] = {}
    for item_id, pid in withdrawn:
        kind, target = first_target.get(pid, (None, None))
        if kind is ProposalKind.MERGE and target is not None and target != item_id:
            merged_into[item_id] = target
    # Splits: items whose first revision came from a proposal to add that names a source.
    split_into: dict[int, list[tuple[int, datetime]]] = {}
    for item_id, pid, created_at in session.execute(
        select(Revision.item_id, Revision.proposal_id, Revision.created_at).where(
            Revision.number == 1, Revision.proposal_id.is_not(None)
        )
    ).all():
        kind, source = first_target.get(pid, (None, None))
        if kind is ProposalKind.ADD and source is not None:
            split_into.setdefault(source, []).append((item_id, created_at))
    return Concordance(codes, merged_into, split_into)
