"""A returned redline compared with the round it was drawn against: what the export showed of an
item, and whether a field that came back different without tracked changes of the delegation's
rejects some of the export's own tracked changes (the delegation proposes to keep the earlier
text) rather than being an untracked edit.

A redline shows the changes from its base round to its round as tracked changes. A delegation
that rejects one of them in Word or LibreOffice leaves no mark of its own: the change is simply
gone. The field then reads as the base round's text with some of the changes undone, and that
is what it proposes: to keep the earlier text, said so in the proposal, made for the delegation
that sent the copy.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import ItemKind, Round
from app.rounds import snapshot
from app.rounds.export_loader import previous_round, shown
from app.word.changes import Rejected, rejected_changes
from app.word.incoming import ReturnedDocument, ReturnedItem

__all__ = ["Earlier", "Rejected", "drawn_against", "exported_value", "not_added", "statement"]
BASE_PROPERTY = "zerodraft.base"  # the round a redline is drawn against (app/word/finish.py)


def exported_value(entry: snapshot.Entry, name: str) -> Any:
    """What the export showed of a field: an item deleted in the round shows only its heading
    (a section keeps its title), so its other fields were exported empty."""
    if entry.item_state == snapshot.DELETED and not (
        entry.kind is ItemKind.SECTION and name == "title"
    ):
        return None
    return entry.content.get(name)


@dataclass(frozen=True, slots=True)
class Earlier:
    """The round a returned redline was drawn against, as it froze its items; empty for the
    other variants (whose text carries no tracked changes of the export's) or when there is no
    such round."""

    entries: Mapping[str, snapshot.Entry] = field(default_factory=dict)

    def kept(self, entry: snapshot.Entry, name: str, returned: str) -> Rejected | None:
        """The export's tracked changes to field `name` that the returned text (as read, every
        change accepted) rejects, or None when it does not read as the exported text with some
        of them rejected."""
        earlier = self.entries.get(entry.code)
        if earlier is None or earlier.item_state == snapshot.DELETED:
            return None
        before = shown(earlier.content.get(name))
        return rejected_changes(before, shown(exported_value(entry, name)), returned)

    def insertion_rejected(self, found: ReturnedItem, entry: snapshot.Entry) -> bool:
        """Whether the copy rejects the insertion of an item the round adds: the item's text,
        shown inserted, came back empty without a tracked change of the delegation's."""
        if not self.entries or entry.code in self.entries:
            return False
        text = next((f for f in found.fields if f.name == "text"), None)
        return (
            text is not None
            and not text.accepted.strip()
            and not text.changes
            and bool(shown(exported_value(entry, "text")).strip())
        )


def drawn_against(session: Session, document: ReturnedDocument, round_: Round) -> Earlier:
    """The round a returned redline was drawn against: the one its signed marks name, else the
    round it follows."""
    if document.variant != "redline":
        return Earlier()
    base: Round | None = None
    symbol = base_symbol(document)
    if symbol:
        base = session.scalar(select(Round).where(Round.symbol == symbol))
    if base is None:
        base = previous_round(session, round_)
    if base is None or base.id == round_.id or base.content_hash is None:
        return Earlier()
    return Earlier({e.code: e for e in snapshot.load(session, base.id)})


def base_symbol(document: ReturnedDocument) -> str | None:
    """The base round a redline names (its signed `zerodraft.base` property, app/word/finish.py),
    as read back; None for a copy exported before the property was written."""
    prefix = BASE_PROPERTY + "="
    for line in document.signed_properties.splitlines():
        if line.startswith(prefix):
            return line.removeprefix(prefix).strip() or None
    return None


def statement(entry: snapshot.Entry, kept: list[tuple[str, Rejected]]) -> str:
    """What a proposal to keep the earlier text says of itself (its rationale)."""
    if entry.item_state == snapshot.DELETED:
        return (
            f"Proposes to keep {entry.code}, which this round deletes, with its earlier text: "
            "rejects the deletion the exported redline showed."
        )
    parts = [f"in its {name.replace('_', ' ')}, {rejected.describe()}" for name, rejected in kept]
    return (
        f"Proposes to keep the earlier text of {entry.code}: rejects the tracked "
        f"{'change' if _one(kept) else 'changes'} the exported redline showed ("
        + "; ".join(parts)
        + ")."
    )


def not_added(entry: snapshot.Entry) -> str:
    """What a proposal to go without an item the round adds says of itself."""
    return (
        f"Proposes not to add {entry.code}, which this round adds: rejects the insertion the "
        "exported redline showed."
    )


def _one(kept: list[tuple[str, Rejected]]) -> bool:
    return sum(len(r.inserted) + len(r.deleted) for _, r in kept) == 1
