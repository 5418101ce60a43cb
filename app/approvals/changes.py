"""What changed since the last approved text, as one list for the co-chairs to read: the rounds
comparison (app.rounds.compare) flattened, plus changes of negotiation state (bracketed, agreed
...), which that comparison leaves out but the content hash covers."""

from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.orm import Session

from app.models import ItemKind, Round
from app.register.service import FieldDiff
from app.rounds.compare import between
from app.rounds.snapshot import DELETED, Entry, load

Change = Literal["added", "removed", "moved", "renumbered", "changed", "state"]


@dataclass(frozen=True, slots=True)
class ItemChange:
    code: str
    kind: ItemKind
    change: Change
    number_before: int | None = None
    number_after: int | None = None
    dimension_before: str | None = None
    dimension_after: str | None = None
    state_before: str | None = None
    state_after: str | None = None
    text: str | None = None  # the text of an added or removed item
    merged_into: str | None = None
    split_from: str | None = None
    fields: list[FieldDiff] = field(default_factory=list)  # word diffs of a changed item


def state_changes(earlier: list[Entry], later: list[Entry]) -> list[ItemChange]:
    """Items in both texts whose negotiation state differs (deletions are removals)."""
    before = {e.item_id: e for e in earlier if e.item_state != DELETED}
    return [
        ItemChange(
            e.code,
            e.kind,
            "state",
            number_before=before[e.item_id].number,
            number_after=e.number,
            state_before=before[e.item_id].item_state,
            state_after=e.item_state,
        )
        for e in later
        if e.item_id in before
        and e.item_state != DELETED
        and e.item_state != before[e.item_id].item_state
    ]


def since(
    session: Session, approved: Round, current: Round, entries: list[Entry]
) -> list[ItemChange]:
    """From the approved round `approved` to `current`, whose snapshot is `entries`."""
    c = between(session, approved, current)
    out: list[ItemChange] = []
    out += [
        ItemChange(
            a.code,
            a.kind,
            "added",
            number_after=a.number,
            dimension_after=a.dimension,
            text=a.text,
            split_from=a.split_from,
        )
        for a in c.added
    ]
    out += [
        ItemChange(
            r.code,
            r.kind,
            "removed",
            number_before=r.number,
            dimension_before=r.dimension,
            text=r.text,
            merged_into=r.merged_into,
        )
        for r in c.removed
    ]
    out += [
        ItemChange(
            m.code,
            m.kind,
            "moved",
            number_before=m.old_number,
            number_after=m.new_number,
            dimension_before=m.old_dimension,
            dimension_after=m.new_dimension,
        )
        for m in c.moved
    ]
    out += [
        ItemChange(
            n.code, n.kind, "renumbered", number_before=n.old_number, number_after=n.new_number
        )
        for n in c.renumbered
    ]
    out += [
        ItemChange(
            ch.code,
            ch.kind,
            "changed",
            number_before=ch.number,
            number_after=ch.number,
            fields=ch.fields,
        )
        for ch in c.changed
    ]
    return out + state_changes(load(session, approved.id), entries)
