"""Screening rules (issue 21): the combination rule that turns coded indicators into a result
(app/screening/rule.py's CombinationRule, stored as its JSON), versioned and frozen with the round
it belongs to. A draft is the secretariat's to edit; a frozen rule never changes (the service
refuses with 409), so a round's screening can always be run again as it was."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, JSONType, UTCDateTime

RULE_STATES = ("draft", "frozen")


class ScreeningRule(Base):
    __tablename__ = "screening_rules"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)  # the rule's own version (its JSON's)
    body: Mapped[dict[str, Any]] = mapped_column(JSONType)  # CombinationRule.to_json()
    state: Mapped[str] = mapped_column(String(8), default="draft")
    # The round it is frozen with (one rule per round); None for a draft or a rule frozen alone.
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    frozen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def reference(self) -> str:
        return f"R-{self.id}"
