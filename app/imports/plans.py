"""What an import plans to create and what confirming it created, as typed values.

Reading a file makes a plan (a `ReturnedPlan` for a returned copy of a round, an `AuthoredPlan`
for a draft written in Word); the plan is stored as JSON on the import (`WordImport.preview`),
shown by the preview page and the command line, and read back by confirming, which stores what
it made (`ReturnedResult` / `AuthoredResult`, in `WordImport.created`).

The JSON names are those the imports have always been stored with, so a stored plan loads
unchanged; one that does not fit these shapes is refused with a message saying so, never
half-read. Keys these models do not know are ignored.
"""

from typing import Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
    model_validator,
)

from app.errors import Conflict
from app.models import ItemKind, ProposalKind
from app.models.imports import ImportKind, WordImport
from app.text.diff import Op

Anchor = Literal["item", "text", "proposal"]
# A word diff as [operation, words] pairs, for showing a change.
Diff = list[tuple[Op, str]]


class _Stored(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    def to_json(self) -> dict[str, Any]:
        """The value stored on the import (plain JSON, the names it always had)."""
        return self.model_dump(mode="json")

    @classmethod
    def load(cls, data: dict[str, Any], what: str, remedy: str = "") -> Self:
        """Read a stored value back, or refuse it (409) saying what does not fit."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "the whole value"
            raise Conflict(
                f"{what} is stored in a form this version cannot read ({where}: "
                f"{first['msg']}){remedy}"
            ) from exc


# --- A returned copy of a round -------------------------------------------------------------


class ProposalPlan(_Stored):
    """A proposal confirming submits for the delegation: an amendment or deletion of an item
    of the round, or a new indicator."""

    kind: ProposalKind
    item: str | None  # the item's code; None for a new indicator
    item_kind: ItemKind
    dimension: str | None  # a new indicator's dimension code
    after: str | None  # the code of the item a new indicator follows
    base_revision: int | None  # the revision the round froze; the proposal's base
    current_revision: int | None  # the item's revision now
    outdated: bool  # the item changed since the round: the proposal is to be rebased
    fields: dict[str, Any]  # the content the proposal sets, by field name
    diffs: dict[str, Diff]  # by field name, the round's text against the proposed one
    authors: list[str]  # authors of the tracked changes
    untracked: bool  # some of it was changed without Track Changes
    # What the delegation wrote as its reasons: a returned copy says none. Where the proposal
    # came from (the file's name and SHA-256, the authors in it) is the preview's and the audit
    # trail's, never this text, which circulates in the compilation and the responses table.
    rationale: str = ""
    # Built on a pending proposal of the compilation whose words the copy changed: a revision of
    # the delegation's own proposal (`revises`, at the proposal's `proposal_version` when read),
    # or the delegation's own alternative to another's (`alternative_to`).
    revises: str | None = None
    alternative_to: str | None = None
    proposal_version: int | None = None
    note: str | None = None  # what the preview should say about it

    @model_serializer(mode="wrap")
    def _stored(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A plan that builds on no proposal is stored as plans always were, without these keys.
        data: dict[str, Any] = handler(self)
        for name in ("revises", "alternative_to", "proposal_version", "note"):
            if data.get(name) is None:
                data.pop(name, None)
        return data

    @model_validator(mode="after")
    def _placed(self) -> Self:
        if self.item is not None and self.base_revision is None:
            raise ValueError(f"the proposal on {self.item} names no base revision")
        if self.item is None and self.dimension is None:
            raise ValueError("a new indicator names no dimension")
        return self


class ReplyPlan(_Stored):
    body: str
    author: str | None
    date: str | None  # ISO 8601, as the file says


class CommentPlan(_Stored):
    """A Word comment on an item: a new thread, or replies to a thread the export carried."""

    item: str
    base_revision: int | None = None  # the round's revision of the item, for the anchor
    field: str | None  # the text field its words are in, when they are in one
    quote: str
    anchor: Anchor  # where it goes: the round's text, the delegation's proposal, the item
    body: str
    author: str | None
    date: str | None
    resolved: bool
    existing: int | None  # the thread it stands for (no new top comment is made)
    replies: list[ReplyPlan]
    # On a pending proposal a compilation showed ("P-12"; then `item` says the same), not on
    # an item of the text.
    proposal: str | None = None

    @model_serializer(mode="wrap")
    def _stored(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A comment on an item is stored as comments always were, without the key.
        data: dict[str, Any] = handler(self)
        if data.get("proposal") is None:
            data.pop("proposal", None)
        return data


class ReturnedPlan(_Stored):
    kind: Literal["returned"] = "returned"
    round: str  # the symbol of the round the copy was exported from
    round_state: str
    current_round: str | None
    older_round: bool  # the copy is of a round other than the current one
    variant: str  # the export's variant: clean, redline ...
    exported_at: str | None  # ISO 8601
    delegation: str  # the delegation's code
    delegation_name: str
    authors: list[str] = []
    proposals: list[ProposalPlan] = []
    comments: list[CommentPlan] = []
    problems: list[str] = []  # what was left out, and why
    unplaced: list[str] = []  # changed text the reader could not tie to an item
    gate: str | None = None  # why confirming would be refused when the preview was made

    def counts(self) -> dict[str, int]:
        comments = sum((0 if c.existing else 1) + len(c.replies) for c in self.comments)
        return {"proposals": len(self.proposals), "comments": comments}


# --- A draft written in Word ----------------------------------------------------------------


class IndicatorPlan(_Stored):
    text: str
    code: str | None  # the code the file gives, when it gives one
    number: str | None  # the number the file shows
    strength_adult: str | None
    strength_child: str | None
    guidance: str
    information_sources: str
    references: str
    source: str  # where in the file it was found
    exists: str | None  # the code of the indicator it already is in the register


class DimensionPlan(_Stored):
    title: str
    code: str | None
    description: str
    exists: str | None  # the code of the dimension it already is
    indicators: list[IndicatorPlan] = []


class SectionPlan(_Stored):
    title: str
    text: str
    code: str | None
    exists: str | None  # the code of the section it already is
    source: str = ""  # where its heading is in the file

    @model_serializer(mode="wrap")
    def _stored(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Stored as sections always were when the reader gave no place.
        data: dict[str, Any] = handler(self)
        if not data.get("source"):
            data.pop("source", None)
        return data


SECRETARIAT = "secretariat"  # an author mapped to the ASEAN Secretariat, not a delegation
SKIP = "skip"  # an author whose changes and comments are left out


class AuthorPlan(_Stored):
    """An author of tracked changes or comments in a Word draft, and the delegation they speak
    for: matched from the name as written ("Malaysia - AICHR", "MY-AICHR"), or None when the
    secretariat has to choose (a delegation, the secretariat, or leaving them out)."""

    name: str  # as written in the file; "" when a change names nobody
    delegation: str | None  # a delegation's code, SECRETARIAT, or None: not known
    changes: int = 0
    comments: int = 0


class AuthoredProposalPlan(_Stored):
    """A proposal one author's tracked changes make on an indicator or section of the draft."""

    kind: ProposalKind
    item_kind: ItemKind
    author: str  # as written in the file
    target: str | None  # the source of the indicator or section it changes (amend, delete)
    label: str  # what it changes, as the preview names it
    dimension: str | None  # a new indicator's dimension, by title
    after: str | None  # the source of the indicator a new one follows
    fields: dict[str, Any]
    diffs: dict[str, Diff]
    date: str | None  # ISO 8601, as the file says
    source: str = ""  # where in the file: a new indicator's own paragraph or row
    # The register's revision of an item it already held that `fields` were placed on (the
    # author's change applied to the register's text); None for an item the draft adds.
    revision: int | None = None


class AuthoredCommentPlan(_Stored):
    """A comment of the draft, on an indicator or section (by source), or on a new indicator
    an author's tracked change proposes (on_proposal)."""

    author: str
    target_kind: ItemKind
    target: str
    on_proposal: bool = False
    label: str
    field: str | None
    quote: str
    body: str
    date: str | None
    resolved: bool = False
    replies: list[ReplyPlan] = []


class AuthoredPlan(_Stored):
    kind: Literal["authored"] = "authored"
    title: str = ""
    filename: str = ""
    dimensions: list[DimensionPlan] = []
    sections: list[SectionPlan] = []
    problems: list[str] = []
    unplaced: list[str] = []
    authors: list[AuthorPlan] = []
    proposals: list[AuthoredProposalPlan] = []
    comments: list[AuthoredCommentPlan] = []
    gate: str | None = None  # why confirming would be refused when the preview was made

    @model_serializer(mode="wrap")
    def _stored(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A draft without tracked changes or comments is stored as drafts always were.
        data: dict[str, Any] = handler(self)
        for name in ("authors", "proposals", "comments", "gate"):
            if not data.get(name):
                data.pop(name, None)
        return data

    def counts(self) -> dict[str, int]:
        """What confirming creates; proposals and comments when the draft has any."""
        counts = {
            "dimensions": sum(1 for d in self.dimensions if not d.exists),
            "indicators": sum(1 for d in self.dimensions for i in d.indicators if not i.exists),
            "sections": sum(1 for s in self.sections if not s.exists),
        }
        if self.proposals or self.comments:
            counts["proposals"] = len(self.proposals)
            counts["comments"] = sum(1 + len(c.replies) for c in self.comments)
        return counts

    def unknown_authors(self) -> list[AuthorPlan]:
        return [a for a in self.authors if a.delegation is None]


Plan = ReturnedPlan | AuthoredPlan


def plan_of(word_import: WordImport) -> Plan:
    """The import's stored plan, checked."""
    what = f"the preview of import {word_import.reference}"
    remedy = "; read the file again to make a new one"
    if word_import.kind is ImportKind.RETURNED:
        return ReturnedPlan.load(word_import.preview, what, remedy)
    return AuthoredPlan.load(word_import.preview, what, remedy)


# --- What confirming created ----------------------------------------------------------------


class CreatedProposal(_Stored):
    id: int
    reference: str
    kind: ProposalKind
    item: str | None
    dimension: str | None
    untracked: bool
    outdated: bool
    revised: bool = False  # the delegation's own proposal, revised (not a new one)
    alternative_to: str | None = None


class CreatedComment(_Stored):
    id: int
    reference: str
    parent: int | None  # set on a reply
    proposal: int | None  # set when the comment is on the delegation's proposal
    quote: str | None
    author: str | None  # the author the file named


class ReturnedResult(_Stored):
    proposals: list[CreatedProposal] = []
    comments: list[CreatedComment] = []

    def sizes(self) -> dict[str, int]:
        return {"proposals": len(self.proposals), "comments": len(self.comments)}


class DraftInput(_Stored):
    """A proposal or comment made from a Word draft's tracked change or comment."""

    id: int
    reference: str
    what: str  # "amend FC-CD-02", "comment on FC-CD-01" ...
    author: str  # as written in the file
    delegation: str | None  # the code it was made for; None: the secretariat


class AuthoredResult(_Stored):
    # Codes of what was added to the register.
    dimensions: list[str] = []
    indicators: list[str] = []
    sections: list[str] = []
    proposals: list[DraftInput] = []
    comments: list[DraftInput] = []
    skipped: list[str] = []  # tracked changes and comments left out, and why
    title: str = ""  # the draft's title

    def sizes(self) -> dict[str, int]:
        return {
            "dimensions": len(self.dimensions),
            "indicators": len(self.indicators),
            "sections": len(self.sections),
            "proposals": len(self.proposals),
            "comments": len(self.comments),
        }


Result = ReturnedResult | AuthoredResult


def result_of(word_import: WordImport) -> Result:
    """What confirming the import created (empty before it is confirmed), checked."""
    what = f"what import {word_import.reference} created"
    if word_import.kind is ImportKind.RETURNED:
        return ReturnedResult.load(word_import.created, what)
    return AuthoredResult.load(word_import.created, what)
