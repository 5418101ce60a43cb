"""Comparing two rounds: what was added, removed, moved, renumbered and reworded, and the
concordance that lets a delegation follow "its" indicator from one text to the next.

`compare` is pure: it works on two frozen snapshots (snapshot.load) and on the merges and splits
found in the revision history (`links`); `between` loads all of that in four queries.

Definitions, so that every line of a comparison can be explained:
- added: active in the later round, not active in the earlier one;
- removed: active in the earlier round, absent from the later one or marked deleted there;
  merged into X when the revision that withdrew it came from an agreed merge whose first target
  (the indicator that absorbs the others) is X;
- split from X: an added item created by an agreed proposal to add that names X as its source;
- moved: in another dimension, or out of order within its dimension: not among the longest run
  of the dimension's items (present in both rounds) that kept their relative order;
- renumbered: its display number differs;
- changed: a field other than its dimension and status differs (word-level diffs per field).
"""

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Conflict
from app.models import (
    Item,
    ItemKind,
    ItemStatus,
    Proposal,
    ProposalKind,
    ProposalTarget,
    Revision,
    Round,
    RoundState,
)
from app.register.service import FIELD_LABELS, FieldDiff
from app.rounds.snapshot import DELETED, Entry, load
from app.text.diff import word_diff

INDICATOR_FIELDS = (
    "text",
    "element",
    "strength_adult",
    "strength_child",
    "profiles",
    "crime_types",
    "intended_users",
    "guidance",
    "information_sources",
    "references",
    "rationale",
)
SECTION_FIELDS = ("title", "text")


@dataclass(frozen=True, slots=True)
class Links:
    merged_into: dict[int, str] = field(default_factory=dict)  # removed item id -> code
    split_from: dict[int, str] = field(default_factory=dict)  # added item id -> code


@dataclass(frozen=True, slots=True)
class Added:
    code: str
    kind: ItemKind
    number: int | None
    dimension: str | None
    text: str
    split_from: str | None


@dataclass(frozen=True, slots=True)
class Removed:
    code: str
    kind: ItemKind
    number: int | None
    dimension: str | None
    text: str
    merged_into: str | None


@dataclass(frozen=True, slots=True)
class Moved:
    code: str
    kind: ItemKind
    old_dimension: str | None
    new_dimension: str | None
    old_number: int | None
    new_number: int | None

    @property
    def across_dimensions(self) -> bool:
        return self.old_dimension != self.new_dimension


@dataclass(frozen=True, slots=True)
class Renumbered:
    code: str
    kind: ItemKind
    old_number: int | None
    new_number: int | None


@dataclass(frozen=True, slots=True)
class Changed:
    code: str
    kind: ItemKind
    number: int | None
    old_revision: int
    new_revision: int
    fields: list[FieldDiff]


@dataclass(frozen=True, slots=True)
class ConcordanceRow:
    """One line of the concordance: where an item of the earlier text went, or where a new
    item of the later text came from."""

    kind: ItemKind
    old_number: int | None
    old_code: str | None
    new_number: int | None
    new_code: str | None
    merged_into: str | None = None
    merged_into_number: int | None = None
    split_from: str | None = None
    split_into: tuple[str, ...] = ()

    @property
    def outcome(self) -> str:
        if self.old_code is None:
            return "split" if self.split_from else "added"
        if self.new_code is None:
            return "merged" if self.merged_into else "deleted"
        return "renumbered" if self.old_number != self.new_number else "same number"


@dataclass(frozen=True, slots=True)
class Comparison:
    added: list[Added]
    removed: list[Removed]
    moved: list[Moved]
    renumbered: list[Renumbered]
    changed: list[Changed]
    concordance: list[ConcordanceRow]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.moved or self.renumbered or self.changed)


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v).replace("_", " ") for v in value)
    return str(value)


def _fields(kind: ItemKind) -> tuple[str, ...]:
    return SECTION_FIELDS if kind is ItemKind.SECTION else INDICATOR_FIELDS


def field_diffs(old: Entry, new: Entry) -> list[FieldDiff]:
    """Word diffs of the fields that differ (dimension and status are reported as moves and
    removals, not as changes)."""
    out = []
    for name in _fields(new.kind):
        a, b = _display(old.content.get(name)), _display(new.content.get(name))
        if a != b:
            out.append(FieldDiff(name, FIELD_LABELS[name], True, word_diff(a, b)))
    return out


def _longest_ordered_run(sequence: Sequence[int]) -> set[int]:
    """Indexes of a longest increasing subsequence (patience sorting; ties to the earliest)."""
    tails: list[int] = []  # value at the end of the best run of each length
    tail_at: list[int] = []  # index in `sequence` of that value
    before: list[int] = [-1] * len(sequence)
    for i, value in enumerate(sequence):
        k = bisect_left(tails, value)
        if k == len(tails):
            tails.append(value)
            tail_at.append(i)
        else:
            tails[k] = value
            tail_at[k] = i
        before[i] = tail_at[k - 1] if k else -1
    kept: set[int] = set()
    i = tail_at[-1] if tail_at else -1
    while i != -1:
        kept.add(i)
        i = before[i]
    return kept


def _moved_within_groups(pairs: Iterable[tuple[Entry, Entry]]) -> set[int]:
    """Item ids out of order within their (unchanged) dimension."""
    groups: dict[tuple[ItemKind, Any], list[tuple[Entry, Entry]]] = {}
    for old, new in pairs:
        if old.content.get("dimension") == new.content.get("dimension"):
            groups.setdefault((new.kind, new.content.get("dimension")), []).append((old, new))
    moved: set[int] = set()
    for members in groups.values():
        in_new_order = sorted(members, key=lambda p: p[1].position)
        old_rank = {
            old.item_id: rank
            for rank, (old, _) in enumerate(sorted(members, key=lambda p: p[0].position))
        }
        sequence = [old_rank[old.item_id] for old, _ in in_new_order]
        kept = _longest_ordered_run(sequence)
        moved |= {pair[0].item_id for i, pair in enumerate(in_new_order) if i not in kept}
    return moved


def compare(earlier: Sequence[Entry], later: Sequence[Entry], links: Links) -> Comparison:
    old = {e.item_id: e for e in earlier if e.item_state != DELETED}
    new = {e.item_id: e for e in later if e.item_state != DELETED}
    new_by_code = {e.code: e for e in new.values()}
    added = [e for e in later if e.item_id in new and e.item_id not in old]
    removed = [e for e in earlier if e.item_id in old and e.item_id not in new]
    kept = [(old[e.item_id], e) for e in later if e.item_id in old and e.item_id in new]

    within = _moved_within_groups(kept)
    moved = [
        Moved(
            n.code,
            n.kind,
            o.content.get("dimension"),
            n.content.get("dimension"),
            o.number,
            n.number,
        )
        for o, n in kept
        if o.content.get("dimension") != n.content.get("dimension") or n.item_id in within
    ]
    renumbered = [
        Renumbered(n.code, n.kind, o.number, n.number) for o, n in kept if o.number != n.number
    ]
    changed = []
    for o, n in kept:
        if o.revision != n.revision:
            diffs = field_diffs(o, n)
            if diffs:
                changed.append(Changed(n.code, n.kind, n.number, o.revision, n.revision, diffs))

    split_into: dict[str, list[str]] = {}
    for e in added:
        source = links.split_from.get(e.item_id)
        if source is not None:
            split_into.setdefault(source, []).append(e.code)
    concordance: list[ConcordanceRow] = []
    for o in earlier:
        if o.item_id not in old:
            continue
        kept_as = new.get(o.item_id)
        merged = None if kept_as is not None else links.merged_into.get(o.item_id)
        target = new_by_code.get(merged) if merged else None
        concordance.append(
            ConcordanceRow(
                o.kind,
                o.number,
                o.code,
                kept_as.number if kept_as else None,
                kept_as.code if kept_as else None,
                merged_into=merged,
                merged_into_number=target.number if target else None,
                split_into=tuple(split_into.get(o.code, ())),
            )
        )
    for e in added:
        concordance.append(
            ConcordanceRow(
                e.kind, None, None, e.number, e.code, split_from=links.split_from.get(e.item_id)
            )
        )
    return Comparison(
        added=[
            Added(
                e.code,
                e.kind,
                e.number,
                e.content.get("dimension"),
                e.content.get("text") or "",
                links.split_from.get(e.item_id),
            )
            for e in added
        ],
        removed=[
            Removed(
                e.code,
                e.kind,
                e.number,
                e.content.get("dimension"),
                e.content.get("text") or "",
                links.merged_into.get(e.item_id),
            )
            for e in removed
        ],
        moved=moved,
        renumbered=renumbered,
        changed=changed,
        concordance=concordance,
    )


# --- Loading ------------------------------------------------------------------------------


def _links(session: Session, earlier: Sequence[Entry], later: Sequence[Entry]) -> Links:
    """Merges and splits between the two snapshots, from the revisions that withdrew or created
    the items concerned and the proposals those revisions came from: two queries."""
    old = {e.item_id: e for e in earlier if e.item_state != DELETED}
    new = {e.item_id: e for e in later if e.item_state != DELETED}
    later_revision = {e.item_id: e.revision for e in later}
    removed = {i: e.revision for i, e in old.items() if i not in new}
    added = {i for i in new if i not in old}
    if not removed and not added:
        return Links()

    withdrawn_by: dict[int, int] = {}  # removed item -> proposal of the revision that withdrew it
    created_by: dict[int, int] = {}  # added item -> proposal of its first revision
    status: dict[int, ItemStatus] = {}
    for item_id, number, state, proposal_id in session.execute(
        select(Revision.item_id, Revision.number, Revision.status, Revision.proposal_id)
        .where(Revision.item_id.in_(set(removed) | added))
        .order_by(Revision.item_id, Revision.number)
    ):
        if item_id in added and number == 1 and proposal_id is not None:
            created_by[item_id] = proposal_id
        if item_id in removed and removed[item_id] < number <= later_revision.get(item_id, number):
            was = status.get(item_id, ItemStatus.ACTIVE)
            if state is ItemStatus.WITHDRAWN and was is ItemStatus.ACTIVE:
                if proposal_id is None:
                    withdrawn_by.pop(item_id, None)
                else:
                    withdrawn_by[item_id] = proposal_id
        status[item_id] = state

    proposal_ids = set(withdrawn_by.values()) | set(created_by.values())
    first_target: dict[int, tuple[ProposalKind | None, str | None]] = {}
    if proposal_ids:
        for pid, proposal_kind, target_code in session.execute(
            select(Proposal.id, Proposal.kind, Item.code)
            .outerjoin(
                ProposalTarget,
                (ProposalTarget.proposal_id == Proposal.id) & (ProposalTarget.position == 0),
            )
            .outerjoin(Item, Item.id == ProposalTarget.item_id)
            .where(Proposal.id.in_(proposal_ids))
        ):
            first_target[pid] = (proposal_kind, target_code)

    codes = {e.item_id: e.code for e in (*earlier, *later)}
    merged_into: dict[int, str] = {}
    for item_id, pid in withdrawn_by.items():
        kind, code = first_target.get(pid, (None, None))
        if kind is ProposalKind.MERGE and code is not None and code != codes[item_id]:
            merged_into[item_id] = code
    split_from: dict[int, str] = {}
    for item_id, pid in created_by.items():
        kind, code = first_target.get(pid, (None, None))
        if kind is ProposalKind.ADD and code is not None:
            split_from[item_id] = code
    return Links(merged_into=merged_into, split_from=split_from)


def between(session: Session, earlier: Round, later: Round) -> Comparison:
    for r in (earlier, later):
        if r.state is RoundState.PREPARING:
            raise Conflict(
                f"{r.symbol} is in preparation; its text is frozen only when it is issued"
            )
    old, new = load(session, earlier.id), load(session, later.id)
    return compare(old, new, _links(session, old, new))
