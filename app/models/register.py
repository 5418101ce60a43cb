"""The register: dimensions, items (indicators and prose sections) and their revisions.

An Item is the stable identity of something in the draft; a Revision is its immutable content at
one moment. Every edit, including withdrawal, is a new Revision; nothing is deleted. Indicators
and sections share this shape so that history, diffs, proposals and comments work on both alike.
"""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, JSONType, UTCDateTime
from app.errors import InvalidInput, PreconditionFailed
from app.models.accounts import Delegation, User
from app.models.types import str_enum


class ItemKind(StrEnum):
    INDICATOR = "indicator"
    SECTION = "section"


class ItemStatus(StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"


class Element(StrEnum):
    """The element of the legal definition of trafficking that an indicator evidences."""

    ACT = "act"
    MEANS = "means"
    PURPOSE = "purpose"


class Strength(StrEnum):
    STRONG = "strong"
    MEDIUM = "medium"
    WEAK = "weak"
    CONTEXTUAL = "contextual"


PROFILES = ("adult", "child")
CRIME_TYPES = ("online_fraud", "drug_trafficking", "theft", "begging", "other")
INTENDED_USERS = ("police", "prosecutor", "judge", "labour_inspector", "social_worker")

# The fields that make up an item's content, in display order. Diffs, copies and the
# canonical form used for hashing all walk this one list.
CONTENT_FIELDS = (
    "title",
    "text",
    "dimension_id",
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
    "status",
)
TEXT_FIELDS = ("title", "text", "guidance", "information_sources", "references", "rationale")


class Dimension(Base):
    __tablename__ = "dimensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer)


class Item(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ItemKind] = mapped_column(str_enum(ItemKind, "item_kind"))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    position: Mapped[int] = mapped_column(Integer)
    # Number of the current revision; also the optimistic-lock version compared on update.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Where the item stands in the negotiation (bracketed, agreed ad ref, ...), set by the
    # secretariat; kept apart from the content so marking an item does not make a revision.
    drafting_state: Mapped[str] = mapped_column(String(16), default="open", server_default="open")
    drafting_note: Mapped[str] = mapped_column(Text, default="", server_default="")

    def check_version(self, expected: int) -> None:
        if expected != self.version:
            raise PreconditionFailed(
                f"{self.code} is at revision {self.version}; your edit was based on "
                f"revision {expected}",
                current_revision=self.version,
            )


class Revision(Base):
    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("item_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    delegation_id: Mapped[int | None] = mapped_column(ForeignKey("delegations.id"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The proposal whose decision produced this revision, if any.
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"))

    title: Mapped[str | None] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    dimension_id: Mapped[int | None] = mapped_column(ForeignKey("dimensions.id"), index=True)
    element: Mapped[Element | None] = mapped_column(str_enum(Element, "element"))
    strength_adult: Mapped[Strength | None] = mapped_column(str_enum(Strength, "strength_adult"))
    strength_child: Mapped[Strength | None] = mapped_column(str_enum(Strength, "strength_child"))
    profiles: Mapped[list[str]] = mapped_column(JSONType, default=list)
    crime_types: Mapped[list[str]] = mapped_column(JSONType, default=list)
    intended_users: Mapped[list[str]] = mapped_column(JSONType, default=list)
    guidance: Mapped[str] = mapped_column(Text, default="")
    information_sources: Mapped[str] = mapped_column(Text, default="")
    references: Mapped[str] = mapped_column(Text, default="")
    rationale: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ItemStatus] = mapped_column(str_enum(ItemStatus, "item_status"))

    item: Mapped[Item] = relationship(lazy="raise")
    author: Mapped[User | None] = relationship(lazy="raise")
    delegation: Mapped[Delegation | None] = relationship(lazy="raise")
    dimension: Mapped[Dimension | None] = relationship(lazy="raise")

    def content(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in CONTENT_FIELDS}

    @staticmethod
    def validate_content(kind: ItemKind, content: dict[str, Any]) -> None:
        if not str(content.get("text") or "").strip():
            raise InvalidInput("text must not be empty", field="text")
        if kind is ItemKind.SECTION and not str(content.get("title") or "").strip():
            raise InvalidInput("a section needs a title", field="title")
        if kind is ItemKind.INDICATOR and content.get("dimension_id") is None:
            raise InvalidInput("an indicator needs a dimension", field="dimension")
        for name, allowed in (
            ("profiles", PROFILES),
            ("crime_types", CRIME_TYPES),
            ("intended_users", INTENDED_USERS),
        ):
            unknown = sorted(set(content.get(name) or []) - set(allowed))
            if unknown:
                raise InvalidInput(
                    f"{name} has unknown values {unknown}; allowed: {list(allowed)}", field=name
                )
