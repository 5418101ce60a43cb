"""What a decision and a settlement said about consensus when they were made.

A decision on a proposal keeps the consensus picture the decider saw (which delegations
supported, reserved, objected, agreed ad referendum or had not spoken), whether they acknowledged
the pending delegations and the reservations, a chair's override reason and the round it was
taken in; a reopened decision keeps who reopened it and why. Settling a round keeps what was
carried over undecided or unmarked.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, JSONType, UTCDateTime


class DecisionRecord(Base):
    __tablename__ = "decision_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(24))
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text, default="")
    override_reason: Mapped[str] = mapped_column(Text, default="")
    # The decider said they knew that delegations were pending or held reservations.
    acknowledged: Mapped[bool] = mapped_column(Boolean, default=False)
    # {"support": [codes], "ad_referendum": [...], "reservation": [...], "objection": [...],
    #  "pending": [...]} as it stood at the decision.
    consensus: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # The round in which the decision was taken (the current round then; None: before any
    # round). The decision can be reopened only while that round is not settled.
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"))
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reopen_reason: Mapped[str] = mapped_column(Text, default="")


class Settlement(Base):
    """A round marked settled, with what was carried over to the next round."""

    __tablename__ = "round_settlements"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # {"proposals": ["P-3", ...], "items": ["FC-CD-01", ...]}
    carried_over: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
