"""Rating rounds (issue 20): a panel rates indicators of an issued round in a Delphi survey.

A rating round rates the exact revisions frozen from an issued round's snapshot; its consensus
rule (`rule`, app/rating/stats.py's ConsensusRule as JSON) is fixed before the first answer.
Answers are never overwritten: answering again sets `superseded_at` on the answer it replaces,
so the history stays. `version` guards the round's own fields (412 on a stale edit).
"""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, JSONType, UTCDateTime
from app.errors import PreconditionFailed

DRAFT = "draft"
OPEN = "open"
CLOSED = "closed"
STATES = (DRAFT, OPEN, CLOSED)


class RatingRound(Base):
    __tablename__ = "rating_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    number: Mapped[int] = mapped_column(Integer, default=1)  # 1, 2 ... of one Delphi exercise
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("rating_rounds.id"))
    state: Mapped[str] = mapped_column(String(16), default=DRAFT)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rule: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    show_answers_to_secretariat: Mapped[bool] = mapped_column(default=False)
    instructions: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def reference(self) -> str:
        return f"RR-{self.id}"

    def check_version(self, expected: int | None) -> None:
        if expected is not None and expected != self.version:
            raise PreconditionFailed(
                f"rating round RR-{self.id} is at version {self.version}; you sent {expected}. "
                "Someone changed it meanwhile: reload it and make your change again",
                current_revision=self.version,
            )


class RatingItem(Base):
    """One indicator rated, at the revision the issued round froze."""

    __tablename__ = "rating_items"
    __table_args__ = (UniqueConstraint("rating_round_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rating_round_id: Mapped[int] = mapped_column(ForeignKey("rating_rounds.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    revision: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)


class RatingPanellist(Base):
    """A person on the panel. `late_accepted_at`: the secretariat takes this person's answers
    after the deadline (stored late) while the round is open."""

    __tablename__ = "rating_panellists"

    rating_round_id: Mapped[int] = mapped_column(ForeignKey("rating_rounds.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    late_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RatingAnswer(Base):
    """One panellist's answer on one item; the current one has no `superseded_at`."""

    __tablename__ = "rating_answers"
    __table_args__ = (Index("ix_rating_answers_item_user", "rating_item_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rating_item_id: Mapped[int] = mapped_column(ForeignKey("rating_items.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    relevance: Mapped[int] = mapped_column(Integer)
    clarity: Mapped[int] = mapped_column(Integer)
    strength_adult: Mapped[str | None] = mapped_column(String(8))
    strength_child: Mapped[str | None] = mapped_column(String(8))
    comment: Mapped[str] = mapped_column(Text, default="")
    wording: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    late: Mapped[bool] = mapped_column(default=False)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
