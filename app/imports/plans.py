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

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

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
    rationale: str

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


class AuthoredPlan(_Stored):
    kind: Literal["authored"] = "authored"
    title: str = ""
    filename: str = ""
    dimensions: list[DimensionPlan] = []
    sections: list[SectionPlan] = []
    problems: list[str] = []
    unplaced: list[str] = []

    def counts(self) -> dict[str, int]:
        return {
            "dimensions": sum(1 for d in self.dimensions if not d.exists),
            "indicators": sum(1 for d in self.dimensions for i in d.indicators if not i.exists),
            "sections": sum(1 for s in self.sections if not s.exists),
        }


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


class AuthoredResult(_Stored):
    # Codes of what was added to the register.
    dimensions: list[str] = []
    indicators: list[str] = []
    sections: list[str] = []

    def sizes(self) -> dict[str, int]:
        return {
            "dimensions": len(self.dimensions),
            "indicators": len(self.indicators),
            "sections": len(self.sections),
        }


Result = ReturnedResult | AuthoredResult


def result_of(word_import: WordImport) -> Result:
    """What confirming the import created (empty before it is confirmed), checked."""
    what = f"what import {word_import.reference} created"
    if word_import.kind is ImportKind.RETURNED:
        return ReturnedResult.load(word_import.created, what)
    return AuthoredResult.load(word_import.created, what)
