"""What a Word export contains: plain frozen values, no database types.

The loader (app/rounds/export_loader.py) builds an ExportDocument from the database; the writer
(app/word/writer.py) turns it into bytes. Every displayed field of an item is a sequence of Runs,
so one shape serves every variant: a clean text has only "equal" runs; a redline has "insert" and
"delete" runs carrying the author and date of the revision that made them, and the writer needs
no diff knowledge. A paragraph whose runs are all insertions is a tracked inserted paragraph, one
whose runs are all deletions a tracked deleted paragraph.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Op = Literal["equal", "insert", "delete"]
Variant = Literal["clean", "redline", "compilation", "responses"]
VARIANTS: tuple[Variant, ...] = ("clean", "redline", "compilation", "responses")
SECRETARIAT = "ASEAN Secretariat"


@dataclass(frozen=True, slots=True)
class Run:
    text: str
    op: Op = "equal"
    author: str | None = None
    date: datetime | None = None


Runs = tuple[Run, ...]


def plain(text: str | None) -> Runs:
    """The runs of an unchanged field."""
    return (Run(text),) if text else ()


def old_text(runs: Iterable[Run]) -> str:
    return "".join(r.text for r in runs if r.op != "insert")


def new_text(runs: Iterable[Run]) -> str:
    return "".join(r.text for r in runs if r.op != "delete")


@dataclass(frozen=True, slots=True)
class Change:
    """A whole item inserted or deleted, by whom and when."""

    op: Literal["insert", "delete"]
    author: str
    date: datetime


@dataclass(frozen=True, slots=True)
class ExportApproval:
    chair: str
    reference: str
    date: datetime


@dataclass(frozen=True, slots=True)
class ExportRound:
    working_group: str
    symbol: str
    title: str
    round_label: str  # e.g. "Round 2 - written comments"
    date: datetime  # the round's date (issue, or creation); also the document's date
    status: str
    marking: str
    deadline: datetime | None  # UTC
    time_zone: str  # IANA name the deadline is shown in
    instructions: str = ""
    content_hash: str | None = None  # shown with the approvals of an approved round
    approvals: tuple[ExportApproval, ...] = ()
    round_id: int | None = None  # recorded in the export's properties (app/word/marks.py)
    approved_at: datetime | None = None  # an approved round's approval (or adoption by silence)
    # An approved round whose proposals, answers or comments changed after its approval: when
    # they last changed. A copy that shows them says it shows the state of that moment.
    changed_after_approval: datetime | None = None


@dataclass(frozen=True, slots=True)
class ExportDimension:
    code: str
    title: str
    description: str = ""
    position: int = 0


@dataclass(frozen=True, slots=True)
class ExportSection:
    code: str
    number: Runs
    title: Runs
    text: Runs
    item_state: Runs = ()
    change: Change | None = None


@dataclass(frozen=True, slots=True)
class ExportIndicator:
    code: str
    number: Runs
    dimension: ExportDimension
    text: Runs
    element: Runs = ()
    strength_adult: Runs = ()
    strength_child: Runs = ()
    profiles: Runs = ()
    crime_types: Runs = ()
    intended_users: Runs = ()
    guidance: Runs = ()
    information_sources: Runs = ()
    references: Runs = ()
    item_state: Runs = ()  # a label ("bracketed", "agreed ad ref"); empty when open
    change: Change | None = None


@dataclass(frozen=True, slots=True)
class ExportPosition:
    delegation: str
    stance: str
    statement: str = ""
    about: str = ""  # the proposal whose text it is on ("P-3"); "": the text as it stands, or
    # (in ExportStanding.on_proposals) a proposal the copy does not show


@dataclass(frozen=True, slots=True)
class ExportStanding:
    """Where the delegations stand on an item's text as it stands, shown under the item in a
    compilation: the positions on that text (by delegation code, in the order the loader gives:
    support first, objection last), the delegations whose last word on the item was about an
    open proposal's text (`about` names it), and how many delegations have said nothing."""

    target: str  # the item's code
    positions: tuple[ExportPosition, ...] = ()
    on_proposals: tuple[ExportPosition, ...] = ()
    pending: int = 0


@dataclass(frozen=True, slots=True)
class ProposedField:
    name: str  # the content field: "text", "guidance", ... (comments anchor by it)
    label: str  # "Text", "Guidance note", ...
    runs: Runs  # base -> proposed, as insert/delete runs (shown, never tracked)


@dataclass(frozen=True, slots=True)
class ExportProposal:
    reference: str
    target: str  # the item code it is shown under (for a new item: its dimension code)
    delegation: str
    co_sponsors: tuple[str, ...]
    kind: str
    state: str
    fields: tuple[ProposedField, ...]
    rationale: str = ""
    alternative: int | None = None  # Alt 1, Alt 2 ... among competing amendments of one item
    positions: tuple[ExportPosition, ...] = ()
    carried_from: str = ""  # the earlier round it was made in, still pending; "" if this one
    # A new item placed after another: `target` is then the item it follows, and it is shown
    # after that item and the proposals on it.
    follows: bool = False


@dataclass(frozen=True, slots=True)
class ExportComment:
    reference: str
    author: str
    initials: str
    date: datetime
    body: str
    target: str = ""  # item code or proposal reference; "" for replies
    field: str | None = None  # "text", "guidance", "title" ...
    quote: str | None = None
    start: int | None = None  # offsets into the field's text of this round
    end: int | None = None
    replies: tuple["ExportComment", ...] = ()
    resolved: bool = False


@dataclass(frozen=True, slots=True)
class ExportResponseRow:
    number: int
    reference: str
    delegation: str
    item: str
    summary: str
    answer: str
    outcome: str
    co_sponsors: tuple[str, ...] = ()
    carried_from: str = ""  # a proposal still pending from this earlier round


@dataclass(frozen=True, slots=True)
class ExportDocument:
    round: ExportRound
    sections: tuple[ExportSection, ...] = ()
    indicators: tuple[ExportIndicator, ...] = ()  # reading order; grouped by dimension
    proposals: tuple[ExportProposal, ...] = ()  # pending ones, for the compilation
    standing: tuple[ExportStanding, ...] = ()  # positions on each item's text, for the compilation
    comments: tuple[ExportComment, ...] = ()  # open threads
    responses: tuple[ExportResponseRow, ...] = ()
    base_label: str | None = None  # the earlier round a redline is against, e.g. its symbol
    # Signs the export's marks (app/word/marks.py, signed_text): made by the caller with a key
    # that app/word never sees; None leaves the copy unsigned, and it cannot be imported back.
    sign: Callable[[str], str] | None = field(default=None, compare=False, repr=False)
