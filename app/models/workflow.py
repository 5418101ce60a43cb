"""The drafting workflow: proposals with co-sponsors, delegation positions, comments anchored to
the words they are about, and notifications.

State changes are guarded methods that raise InvalidTransition (409) naming the current state;
routes never re-check them.
"""

import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, JSONType, UTCDateTime
from app.errors import InvalidInput, InvalidTransition, PreconditionFailed
from app.models.types import str_enum


class ProposalKind(StrEnum):
    ADD = "add"
    AMEND = "amend"
    DELETE = "delete"
    MERGE = "merge"


class ProposalState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_CONSIDERATION = "under_consideration"
    AGREED = "agreed"
    AGREED_MODIFIED = "agreed_modified"
    MERGED = "merged"
    NOT_RETAINED = "not_retained"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return {
            "under_consideration": "under consideration",
            "agreed_modified": "agreed with modifications",
            "not_retained": "not retained",
        }.get(self.value, self.value)

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATES

    @property
    def is_decided(self) -> bool:
        return self in DECIDED_STATES


OPEN_STATES = frozenset(
    {ProposalState.DRAFT, ProposalState.SUBMITTED, ProposalState.UNDER_CONSIDERATION}
)
DECIDED_STATES = frozenset(
    {
        ProposalState.AGREED,
        ProposalState.AGREED_MODIFIED,
        ProposalState.MERGED,
        ProposalState.NOT_RETAINED,
    }
)


class Outcome(StrEnum):
    """What the secretariat may decide about a submitted proposal."""

    AGREED = "agreed"
    AGREED_MODIFIED = "agreed_modified"
    MERGED = "merged"
    NOT_RETAINED = "not_retained"
    UNDER_CONSIDERATION = "under_consideration"


class Stance(StrEnum):
    SUPPORT = "support"
    RESERVATION = "reservation"
    OBJECTION = "objection"
    AD_REFERENDUM = "ad_referendum"

    @property
    def label(self) -> str:
        return "ad referendum" if self is Stance.AD_REFERENDUM else self.value


class DraftingState(StrEnum):
    """Where an item stands in the negotiation."""

    OPEN = "open"
    BRACKETED = "bracketed"
    ALTERNATIVES = "alternatives"
    AGREED_AD_REF = "agreed_ad_ref"
    AGREED = "agreed"

    @property
    def label(self) -> str:
        return {"agreed_ad_ref": "agreed ad ref"}.get(self.value, self.value)


class CommentKind(StrEnum):
    """What a comment is about. A reservation is not a comment but a position (Stance): a
    delegation's reservation stands on an item's text until it changes it (migration 0011 made
    the comments of the old kind 'reservation' substantive, with a position)."""

    GENERAL = "general"
    SUBSTANTIVE = "substantive"
    EDITORIAL = "editorial"


class Visibility(StrEnum):
    GROUP = "group"
    CHAIRS = "chairs_secretariat"
    DELEGATION = "delegation"

    @property
    def label(self) -> str:
        return {
            "group": "whole group",
            "chairs_secretariat": "chairs and secretariat only",
            "delegation": "own delegation only",
        }[self.value]


class Proposal(Base):
    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"), index=True)
    kind: Mapped[ProposalKind] = mapped_column(str_enum(ProposalKind, "proposal_kind"))
    state: Mapped[ProposalState] = mapped_column(str_enum(ProposalState, "proposal_state"))
    delegation_id: Mapped[int] = mapped_column(ForeignKey("delegations.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # For add: the new item's kind and dimension; for amend/merge: the proposed content.
    item_kind: Mapped[str] = mapped_column(String(16))
    dimension_code: Mapped[str | None] = mapped_column(String(8))
    # For add: the item the new one follows, where the delegation put it (None: at the end of
    # its dimension).
    after_item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    content: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    rationale: Mapped[str] = mapped_column(Text, default="")
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    override_reason: Mapped[str] = mapped_column(Text, default="")
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"))
    applied_content: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    # The ORM adds "AND version = :loaded" to every UPDATE, so of two people deciding at once
    # only one write lands; check_version compares the version the client saw.
    __mapper_args__ = {"version_id_col": version}

    @property
    def reference(self) -> str:
        return f"P-{self.id}"

    def visible_to(self, delegation_ids: Iterable[int]) -> bool:
        """A draft is its delegation's alone; once submitted the whole group sees it."""
        return self.submitted_at is not None or self.delegation_id in set(delegation_ids)

    def check_version(self, expected: int) -> None:
        if expected != self.version:
            raise PreconditionFailed(
                f"proposal {self.reference} is at version {self.version}; you sent {expected}",
                current_revision=self.version,
            )

    def _require(self, allowed: frozenset[ProposalState] | set[ProposalState], doing: str) -> None:
        if self.state not in allowed:
            raise InvalidTransition(
                f"proposal {self.reference} is {self.state.label}; it cannot be {doing}"
            )

    def revise(self, *, content: dict[str, Any], rationale: str) -> None:
        self._require(OPEN_STATES, "revised")
        self.content = content
        self.rationale = rationale

    def submit(self, *, now: datetime, late: bool) -> None:
        self._require({ProposalState.DRAFT}, "submitted")
        self.state = ProposalState.SUBMITTED
        self.submitted_at = now
        self.late = late

    def withdraw(self) -> None:
        self._require(OPEN_STATES, "withdrawn")
        self.state = ProposalState.WITHDRAWN

    def decide(
        self, outcome: Outcome, *, by: int, now: datetime, reason: str, override_reason: str = ""
    ) -> None:
        self._require({ProposalState.SUBMITTED, ProposalState.UNDER_CONSIDERATION}, "decided")
        if outcome is Outcome.NOT_RETAINED and not reason.strip():
            raise InvalidInput("say why the proposal is not retained", field="reason")
        self.state = ProposalState(outcome.value)
        self.decision_reason = reason.strip()
        self.override_reason = override_reason.strip()
        if outcome is not Outcome.UNDER_CONSIDERATION:
            self.decided_at = now
            self.decided_by_id = by


class ProposalTarget(Base):
    """An existing item a proposal changes, and the revision the proposer started from."""

    __tablename__ = "proposal_targets"

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    base_revision: Mapped[int] = mapped_column(Integer)


class Sponsorship(Base):
    __tablename__ = "sponsorships"
    __table_args__ = (UniqueConstraint("proposal_id", "delegation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    delegation_id: Mapped[int] = mapped_column(ForeignKey("delegations.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Position(Base):
    """A delegation's stance on an item's text, as delegations speak: "we can accept indicator 5
    as it stands ad referendum" (proposal_id None: the text as it stands) or "we support the
    amendment in P-8" (proposal_id: the text that proposal would make). item_id is the item
    whose text it is (a proposal's first target); it is None only on a proposal of a new item,
    until its agreement makes the item. When a proposal is agreed, the positions on it are
    carried to the item's text as it stands (app/consensus/service.py carry_agreed). A change
    adds a row and marks the old one superseded, so the history of positions is kept."""

    __tablename__ = "positions"
    __table_args__ = (
        Index("ix_positions_proposal_current", "proposal_id", "superseded_at"),
        Index("ix_positions_item_current", "item_id", "superseded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    delegation_id: Mapped[int] = mapped_column(ForeignKey("delegations.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    stance: Mapped[Stance] = mapped_column(str_enum(Stance, "stance"))
    statement: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def _words(text: str) -> set[str]:
    plain = unicodedata.normalize("NFKD", text)
    return set(re.findall(r"[a-z0-9]+", "".join(c for c in plain if c.isascii()).casefold()))


# Words a Word user name may add to a delegation's own name and still be only that name.
_FILLER = frozenset({"delegation", "of", "the"})


def _names_only(written_by: str, speaks_for: str, code: str | None) -> bool:
    """Whether a Word author's name is only the name (or code) of whom the comment speaks for,
    with no person's name in it."""
    words = _words(written_by)
    own = _words(speaks_for) | _words(code or "")
    return bool(words - _FILLER) and words <= own | _FILLER


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), index=True)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    delegation_id: Mapped[int | None] = mapped_column(ForeignKey("delegations.id"))
    # The person who wrote it, when that is not the author account: the Word author of a comment
    # imported from a returned copy (author_id is whoever confirmed the import). Shown beside
    # the delegation, "Ana Reyes (Philippines - SOMTC)".
    written_by: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[CommentKind] = mapped_column(str_enum(CommentKind, "comment_kind"))
    visibility: Mapped[Visibility] = mapped_column(str_enum(Visibility, "visibility"))
    body: Mapped[str] = mapped_column(Text)
    # The anchor as made: which field, the revision, the quoted words and their context.
    field: Mapped[str | None] = mapped_column(String(32))
    revision: Mapped[int | None] = mapped_column(Integer)
    quote: Mapped[str | None] = mapped_column(Text)
    prefix: Mapped[str | None] = mapped_column(String(64))
    suffix: Mapped[str | None] = mapped_column(String(64))
    # Where those words are in the current text (moved on every revision), or outdated.
    anchor_revision: Mapped[int | None] = mapped_column(Integer)
    anchor_start: Mapped[int | None] = mapped_column(Integer)
    anchor_end: Mapped[int | None] = mapped_column(Integer)
    outdated: Mapped[bool] = mapped_column(Boolean, default=False)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def reference(self) -> str:
        return f"C-{self.id}"

    def writer(self, account_name: str) -> str:
        """The name of the person who wrote it: the Word author of an imported comment, else
        the author account's name."""
        return self.written_by or account_name

    def byline(self, account_name: str, speaks_for: str, code: str | None = None) -> str:
        """Who wrote it as the group reads it: "Ana Reyes (Philippines - SOMTC)". An imported
        comment whose Word author is only the name of whom it speaks for ("Philippines
        (SOMTC)", "PH-SOMTC", "SOMTC Philippines" for "Philippines - SOMTC" with code
        PH-SOMTC) is shown as that alone, not "Philippines (SOMTC) (Philippines - SOMTC)"."""
        name = self.writer(account_name)
        if not speaks_for:
            return name
        if self.written_by and _names_only(self.written_by, speaks_for, code):
            return speaks_for
        return f"{name} ({speaks_for})"

    def check_version(self, expected: int) -> None:
        if expected != self.version:
            raise PreconditionFailed(
                f"comment {self.reference} is at version {self.version}; you sent {expected}",
                current_revision=self.version,
            )

    def edit(self, body: str, *, now: datetime) -> None:
        if self.withdrawn_at is not None:
            raise InvalidTransition(f"comment {self.reference} is withdrawn; it cannot be edited")
        self.body = body
        self.edited_at = now

    def resolve(self, *, by: int, now: datetime) -> None:
        if self.parent_id is not None:
            raise InvalidTransition("resolve the thread, not a reply")
        if self.resolved_at is not None:
            raise InvalidTransition(f"comment {self.reference} is already resolved")
        self.resolved_at = now
        self.resolved_by_id = by

    def reopen(self) -> None:
        if self.resolved_at is None:
            raise InvalidTransition(f"comment {self.reference} is open; there is nothing to reopen")
        self.resolved_at = None
        self.resolved_by_id = None

    def withdraw(self, *, now: datetime) -> None:
        if self.withdrawn_at is not None:
            raise InvalidTransition(f"comment {self.reference} is already withdrawn")
        self.withdrawn_at = now


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_unread", "user_id", "read_at"),
        # The worker's question every few seconds, "what is still to be mailed?", reads only
        # the few rows not yet mailed, not the whole history.
        Index(
            "ix_notifications_unmailed",
            "user_id",
            postgresql_where=text("mailed_at IS NULL"),
            sqlite_where=text("mailed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))
    # What happened, naming the item by code and quoting its first words.
    message: Mapped[str] = mapped_column(Text)
    # What the person should do about it (None on notifications older than this column).
    next_step: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the notification went out by mail, alone or in a digest (or was settled as not to
    # be mailed, for a person who chose no mail): the worker mails those where this is None.
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
