"""What the importer reads out of an uploaded Word file: plain values, no database types.

Three readers fill these shapes and one service (app/imports) turns them into register items,
proposals and comments:
- app/word/reader.py's safe opener refuses hostile or wrong files before any XML is parsed;
- app/word/returned.py reads a copy of an exported round that came back edited (the exporter
  marks every item so its paragraphs can be found again);
- app/word/authored.py reads a draft written in Word without the platform.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

ChangeOp = Literal["insert", "delete"]
ItemKind = Literal["indicator", "section"]


@dataclass(frozen=True, slots=True)
class TrackedChange:
    """One tracked insertion or deletion a person made in the returned copy."""

    op: ChangeOp
    text: str
    author: str | None = None
    date: datetime | None = None  # UTC when the file says so; naive dates are read as UTC


@dataclass(frozen=True, slots=True)
class FoundComment:
    """A Word comment with the words it is anchored to; replies carry no anchor of their own."""

    author: str | None
    initials: str | None
    date: datetime | None
    text: str
    quote: str = ""  # the commented words as they read with every change accepted
    field: str | None = None  # "text", "guidance", "title" ...; None when on the heading
    replies: tuple["FoundComment", ...] = ()
    resolved: bool = False
    exported: bool = False  # the export carried it (it comes back when someone replied)
    reference: str | None = None  # the exported comment's reference, e.g. "C-5"
    proposal: str | None = None  # on a compilation's proposal ("P-12"), not on an item


@dataclass(frozen=True, slots=True)
class ReturnedField:
    """One field of an item as found in the returned copy.

    `accepted` is the field's text with every change accepted (what the delegation wants);
    `changes` are the tracked changes made after the export (not those the export itself
    carried, e.g. in a redline); `untracked` is true when the text differs from the exported
    text in ways the tracked changes do not explain.
    """

    name: str
    accepted: str
    changes: tuple[TrackedChange, ...] = ()
    untracked: bool = False
    original: str = ""  # the text with the returned changes rejected (as exported, if tracked)


@dataclass(frozen=True, slots=True)
class ReturnedItem:
    code: str
    kind: ItemKind
    fields: tuple[ReturnedField, ...] = ()  # only the fields found in the file
    struck: bool = False  # the whole item was deleted (tracked) or its text removed
    struck_by: TrackedChange | None = None  # who struck it, when tracked
    comments: tuple[FoundComment, ...] = ()
    dimension: str | None = None  # an indicator's dimension code, as exported


@dataclass(frozen=True, slots=True)
class NewParagraph:
    """Text added between items: a proposed new indicator (or section text)."""

    text: str
    after: str | None  # code of the item it follows; None at the start of its dimension
    dimension: str | None  # dimension code it was added in, when known
    tracked: bool = True
    author: str | None = None
    date: datetime | None = None


@dataclass(frozen=True, slots=True)
class ProposalEdit:
    """One field of a pending proposal as a compilation shows it ("Text: [...]"), edited in the
    returned copy. The words are the proposal's own: the item's words it removes (shown struck
    through, not tracked) are not among them."""

    label: str  # the field's label as shown, e.g. "Text"
    accepted: str  # every returned change accepted: what the delegation wants
    original: str  # the returned changes rejected: the proposal's words as exported
    changes: tuple[TrackedChange, ...] = ()
    untracked: bool = False  # changed without Track Changes (the manifest does not know it)


@dataclass(frozen=True, slots=True)
class ReturnedProposal:
    """A pending proposal of the compilation whose words the returned copy changes."""

    reference: str  # "P-12", as its heading shows it
    fields: tuple[ProposalEdit, ...] = ()


@dataclass(frozen=True, slots=True)
class ReturnedDocument:
    """A returned copy of an exported round."""

    round_symbol: str  # e.g. "DWG-FC/Rev.1"
    variant: str  # clean / redline / compilation / responses
    exported_at: datetime | None
    items: tuple[ReturnedItem, ...] = ()
    new_paragraphs: tuple[NewParagraph, ...] = ()
    unplaced: tuple[str, ...] = ()  # text that changed but belongs to no item (shown, not used)
    authors: tuple[str, ...] = ()  # every author of a change or comment found
    comments: tuple[FoundComment, ...] = ()  # new comments on no item (cover, proposals ...)
    proposals: tuple[ReturnedProposal, ...] = ()  # a compilation's proposals, edited
    round_id: int | None = None  # the round's id, when the export recorded it
    text_hash: str | None = None  # zerodraft.text_hash: which exported text this copy holds
    # What the export signed (app/word/marks.py), as read back, and the signatures found; the
    # importer checks them. The manifest's are None when the copy has no manifest (LibreOffice
    # drops it), and `threads` (the references of the threads it lists) is None then too.
    signed_properties: str = ""
    signature: str | None = None
    signed_manifest: str | None = None
    manifest_signature: str | None = None
    threads: frozenset[str] | None = None
    # The manifest's hashes of the paragraphs the export wrote outside items (a compilation's
    # proposals among them): what the copy showed, where an untracked edit left no trace of it.
    shown: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class AuthoredIndicator:
    text: str
    code: str | None = None  # when the file gives one, e.g. "FC-CD-03"
    number: str | None = None  # the number the file shows, e.g. "3" or "1.3"
    strength_adult: str | None = None  # strong / medium / weak when found
    strength_child: str | None = None
    guidance: str = ""
    information_sources: str = ""
    references: str = ""
    source: str = ""  # where it was found: "paragraph 12", "table 1 row 3"


@dataclass(frozen=True, slots=True)
class AuthoredDimension:
    title: str
    code: str | None = None  # e.g. "CD" when the heading gives it
    description: str = ""
    indicators: tuple[AuthoredIndicator, ...] = ()


@dataclass(frozen=True, slots=True)
class AuthoredSection:
    title: str
    text: str
    code: str | None = None
    source: str = field(default="", compare=False)  # where its heading is: "paragraph 3"


AuthoredKind = Literal["amend", "add", "delete"]


@dataclass(frozen=True, slots=True)
class AuthoredChange:
    """What one author's tracked changes in a draft written in Word make of one indicator or
    section: the draft is read as it was before any change, and each author's changes are read
    as a proposal of their own."""

    author: str  # as written in the file; "" when the change names nobody
    kind: AuthoredKind
    item_kind: ItemKind
    target: str  # the source of the indicator or section's heading: "paragraph 16"
    fields: tuple[tuple[str, str | None], ...]  # the fields it sets, with their new values
    dimension: str | None = None  # a new indicator's dimension, by title
    after: str | None = None  # the source of the indicator a new one follows
    date: datetime | None = None


@dataclass(frozen=True, slots=True)
class AuthoredComment:
    """A Word comment in a draft written in Word, and what it is on."""

    author: str  # as written in the file
    date: datetime | None
    text: str
    quote: str = ""  # the commented words, as the draft read before the tracked changes
    # "indicator" or "section" (target: its source), None when on nothing that takes comments
    target_kind: ItemKind | None = None
    target: str | None = None
    field: str | None = None
    where: str = ""  # "paragraph 12", "the dimension heading 'Control (CD)'" ...
    replies: tuple["AuthoredComment", ...] = ()
    resolved: bool = False


@dataclass(frozen=True, slots=True)
class AuthoredDocument:
    """A draft written in Word without the platform."""

    title: str = ""
    sections: tuple[AuthoredSection, ...] = ()
    dimensions: tuple[AuthoredDimension, ...] = ()
    unplaced: tuple[str, ...] = field(default=())  # paragraphs the reader could not place
    changes: tuple[AuthoredChange, ...] = ()  # tracked changes, by author and item
    comments: tuple[AuthoredComment, ...] = ()
    authors: tuple[str, ...] = ()  # every author of a change or comment, as written
