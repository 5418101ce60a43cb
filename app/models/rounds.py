"""Draft rounds: when the working group takes input on the text, and until when."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime
from app.errors import InvalidTransition
from app.models.types import str_enum


class RoundState(StrEnum):
    PREPARING = "preparing"
    OPEN = "open"
    CLOSED = "closed"
    CONSULTATION = "consultation"
    SETTLED = "settled"
    APPROVED = "approved"
    SUPERSEDED = "superseded"

    @property
    def label(self) -> str:
        return {"open": "open for input", "consultation": "in consultation"}.get(
            self.value, self.value
        )


class RoundKind(StrEnum):
    WRITTEN = "written_comments"
    NEGOTIATION = "negotiation"
    SILENCE = "silence_procedure"


class Round(Base):
    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    symbol: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[RoundKind] = mapped_column(str_enum(RoundKind, "round_kind"))
    state: Mapped[RoundState] = mapped_column(str_enum(RoundState, "round_state"))
    time_zone: Mapped[str] = mapped_column(String(64))
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    observers_may_comment: Mapped[bool] = mapped_column(default=False)
    instructions: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)
    marking: Mapped[str] = mapped_column(
        String(64), default="RESTRICTED", server_default="RESTRICTED"
    )
    previous_round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"))
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # SHA-256 over the canonical form of the frozen snapshot (app/rounds/snapshot.py).
    content_hash: Mapped[str | None] = mapped_column(String(64))
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    silence_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def accepts_input(self, now: datetime) -> bool:
        return self.state is RoundState.OPEN and (self.deadline is None or now <= self.deadline)

    def _move(self, to: RoundState, allowed_from: set[RoundState], doing: str) -> None:
        if self.state not in allowed_from:
            raise InvalidTransition(
                f"round {self.symbol} is {self.state.label}; it cannot be {doing} "
                f"(only when {' or '.join(sorted(s.label for s in allowed_from))})"
            )
        self.state = to
        self.version += 1

    def check_changeable(self) -> None:
        """An approved or superseded round's snapshot is frozen for ever."""
        if self.state in (RoundState.APPROVED, RoundState.SUPERSEDED):
            raise InvalidTransition(
                f"round {self.symbol} is {self.state.label}; its text can no longer change"
            )

    @property
    def under_silence(self) -> bool:
        return self.state is RoundState.SETTLED and self.silence_until is not None

    def issue(self, *, now: datetime) -> None:
        """Circulate the round: its snapshot is frozen now and input opens."""
        self._move(RoundState.OPEN, {RoundState.PREPARING}, "issued")
        self.issued_at = now

    def open(self) -> None:
        self._move(RoundState.OPEN, {RoundState.CLOSED}, "reopened for input")

    def close(self) -> None:
        self._move(RoundState.CLOSED, {RoundState.OPEN}, "closed")

    def consult(self) -> None:
        self._move(
            RoundState.CONSULTATION,
            {RoundState.CLOSED, RoundState.SETTLED},
            "taken to consultation",
        )
        self.silence_until = None

    def settle(self, *, now: datetime) -> None:
        self._move(RoundState.SETTLED, {RoundState.CONSULTATION}, "settled")
        self.settled_at = now

    def place_under_silence(self, *, until: datetime, now: datetime) -> None:
        if self.state is not RoundState.SETTLED or self.silence_until is not None:
            raise InvalidTransition(
                f"round {self.symbol} is {self.state.label}"
                + (" and already under silence" if self.silence_until else "")
                + "; only a settled text can be placed under silence"
            )
        if until <= now:
            raise InvalidTransition("the silence deadline must be in the future")
        self.silence_until = until
        self.version += 1

    def break_silence(self, *, now: datetime) -> None:
        if not self.under_silence:
            raise InvalidTransition(f"round {self.symbol} is not under a silence procedure")
        assert self.silence_until is not None
        if now >= self.silence_until:
            ended = f"{self.silence_until:%d %B %Y %H:%M} UTC"
            raise InvalidTransition(f"the silence procedure of {self.symbol} ended at {ended}")
        self.consult()

    def approve(self, *, now: datetime) -> None:
        self._move(RoundState.APPROVED, {RoundState.SETTLED}, "approved")
        self.approved_at = now

    def supersede(self) -> None:
        if self.state is not RoundState.APPROVED:
            self._move(
                RoundState.SUPERSEDED,
                {
                    RoundState.OPEN,
                    RoundState.CLOSED,
                    RoundState.CONSULTATION,
                    RoundState.SETTLED,
                },
                "superseded",
            )


class LateAcceptance(Base):
    """The secretariat accepts input from one delegation after the round's deadline."""

    __tablename__ = "late_acceptances"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    delegation_id: Mapped[int] = mapped_column(ForeignKey("delegations.id"))
    until: Mapped[datetime] = mapped_column(UTCDateTime)
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RoundItem(Base):
    """The frozen snapshot: which revision of which item is in the round, where, numbered how,
    and where it stands in the negotiation."""

    __tablename__ = "round_items"

    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    revision: Mapped[int] = mapped_column()
    position: Mapped[int] = mapped_column()
    number: Mapped[int | None] = mapped_column()
    item_state: Mapped[str] = mapped_column(String(16))


class RoundChair(Base):
    """A co-chair whose approval the round needs."""

    __tablename__ = "round_chairs"

    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)


class Approval(Base):
    """A co-chair's approval of one exact snapshot, named by its content hash."""

    __tablename__ = "approvals"
    __table_args__ = (UniqueConstraint("round_id", "user_id", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    content_hash: Mapped[str] = mapped_column(String(64))
    reference: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SilenceBreak(Base):
    """A delegation breaking the silence procedure, with its statement."""

    __tablename__ = "silence_breaks"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    delegation_id: Mapped[int] = mapped_column(ForeignKey("delegations.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    statement: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
