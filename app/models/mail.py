"""Mail on its way out: a transactional outbox, and the reminders already sent."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, JSONType, UTCDateTime
from app.models.types import str_enum


class OutboxState(StrEnum):
    PENDING = "pending"  # waiting for (another) delivery attempt
    SENT = "sent"  # accepted by the SMTP server
    FAILED = "failed"  # refused for good, or out of attempts: needs a person


class OutboxMessage(Base):
    """One mail, written in the same transaction as the change that causes it and delivered
    by the worker (`zerodraft worker`). Nothing is lost while SMTP is away."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # What the mail is: "invitation", "password_reset", "notification", "digest", ...
    kind: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    # Extra headers (List-Unsubscribe, List-Unsubscribe-Post ...).
    headers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    state: Mapped[OutboxState] = mapped_column(
        str_enum(OutboxState, "outbox_state"), default=OutboxState.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SentReminder(Base):
    """A reminder or scheduled notice already sent (e.g. "round:12:deadline-48h"), so that
    several workers, or one restarted, never send it twice."""

    __tablename__ = "sent_reminders"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
