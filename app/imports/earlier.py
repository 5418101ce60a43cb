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

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import ItemKind, Round
from app.rounds import snapshot
from app.rounds.export_loader import previous_round, shown
from app.word.changes import Rejected, rejected_changes
from app.word.incoming import ReturnedDocument

__all__ = ["Rejected", "base_entries", "base_symbol", "exported_value", "kept_earlier", "statement"]
BASE_PROPERTY = "zerodraft.base"  # the round a redline is drawn against (app/word/finish.py)


def exported_value(entry: snapshot.Entry, name: str) -> Any:
    """What the export showed of a field: an item deleted in the round shows only its heading
    (a section keeps its title), so its other fields were exported empty."""
    if entry.item_state == snapshot.DELETED and not (
        entry.kind is ItemKind.SECTION and name == "title"
    ):
        return None
    return entry.content.get(name)


def base_entries(
    session: Session, document: ReturnedDocument, round_: Round
) -> dict[str, snapshot.Entry]:
    """The entries of the round a returned redline was drawn against (the one its marks name,
    else the round it follows); none for the other variants, whose text has no tracked changes
    of the export's."""
    if document.variant != "redline":
        return {}
    base: Round | None = None
    symbol = base_symbol(document)
    if symbol:
        base = session.scalar(select(Round).where(Round.symbol == symbol))
    if base is None:
        base = previous_round(session, round_)
    if base is None or base.id == round_.id or base.content_hash is None:
        return {}
    return {e.code: e for e in snapshot.load(session, base.id)}


def base_symbol(document: ReturnedDocument) -> str | None:
    """The base round a redline names (its signed `zerodraft.base` property, app/word/finish.py),
    as read back; None for a copy exported before the property was written."""
    prefix = BASE_PROPERTY + "="
    for line in document.signed_properties.splitlines():
        if line.startswith(prefix):
            return line.removeprefix(prefix).strip() or None
    return None


def kept_earlier(
    earlier: snapshot.Entry | None, entry: snapshot.Entry, name: str, returned: str
) -> Rejected | None:
    """The export's tracked changes to field `name` that the returned text (`returned`, as read,
    every change accepted) rejects, or None when it does not read as the exported text with
    some of them rejected."""
    if earlier is None or earlier.item_state == snapshot.DELETED:
        return None
    before = shown(earlier.content.get(name))
    return rejected_changes(before, shown(exported_value(entry, name)), returned)


def statement(code: str, kept: list[tuple[str, Rejected]]) -> str:
    """What a proposal to keep the earlier text says of itself (its rationale)."""
    parts = [f"in its {name.replace('_', ' ')}, {rejected.describe()}" for name, rejected in kept]
    return (
        f"Proposes to keep the earlier text of {code}: rejects the tracked "
        f"{'change' if _one(kept) else 'changes'} the exported redline showed ("
        + "; ".join(parts)
        + ")."
    )


def _one(kept: list[tuple[str, Rejected]]) -> bool:
    return sum(len(r.inserted) + len(r.deleted) for _, r in kept) == 1
