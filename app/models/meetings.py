"""Online meetings of the working group: when and where (a video call the platform does not
host), the round they work on, the delegations taking part, and the agenda the secretariat
orders and moves through.

A meeting's `version` guards its details and its agenda alike: the ORM adds
"AND version = :loaded" to every UPDATE of the row, and every change to the agenda touches the
row, so of two officers reordering at once only one change lands and the other is told (412).
"""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime
from app.errors import PreconditionFailed
from app.models.accounts import Role
from app.models.workflow import DraftingState


class Meeting(Base):
    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The zone the meeting is convened in (an IANA name); everyone also sees it in their own.
    time_zone: Mapped[str] = mapped_column(String(64))
    duration_minutes: Mapped[int] = mapped_column(Integer, default=120)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"))
    video_url: Mapped[str] = mapped_column(String(500), default="")
    observers_invited: Mapped[bool] = mapped_column(Boolean, default=False)
    # The agenda point under discussion: an entry's reference (FC-CD-01, P-12), or None.
    current_ref: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def reference(self) -> str:
        return f"M-{self.id}"

    def check_version(self, expected: int) -> None:
        if expected != self.version:
            raise PreconditionFailed(
                f"meeting {self.reference} is at version {self.version}; you sent {expected}. "
                "Someone changed it meanwhile: reload it and make your change again",
                current_revision=self.version,
            )

    def visible_to(self, role: Role, delegation_ids: Iterable[int], participants: set[int]) -> bool:
        """The secretariat, the co-chairs and the administrators see every meeting; a member
        the meetings one of their delegations takes part in; an observer those that invite
        observers."""
        if role in (Role.SECRETARIAT, Role.CHAIR, Role.ADMIN):
            return True
        if role is Role.OBSERVER:
            return self.observers_invited
        return bool(participants & set(delegation_ids))


class MeetingParticipant(Base):
    __tablename__ = "meeting_participants"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), primary_key=True)
    delegation_id: Mapped[int] = mapped_column(ForeignKey("delegations.id"), primary_key=True)


class AgendaEntry(Base):
    """One point of a meeting's agenda: an item of the register (indicator or prose section) or
    a proposal, at its place in the order."""

    __tablename__ = "meeting_agenda"
    __table_args__ = (UniqueConstraint("meeting_id", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    # What the point is about, as people write it: an item's code or a proposal's P-n.
    ref: Mapped[str] = mapped_column(String(32))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"))


class FloorRequest(Base):
    """A delegation asking for the floor: waiting in the order asked, then given the floor by
    the chair or secretariat (called), then cleared. One open request per delegation."""

    __tablename__ = "meeting_floor"
    __table_args__ = (
        Index(
            "uq_meeting_floor_open",
            "meeting_id",
            "delegation_id",
            unique=True,
            sqlite_where=text("cleared_at IS NULL"),
            postgresql_where=text("cleared_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    delegation_id: Mapped[int] = mapped_column(ForeignKey("delegations.id"))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Attendance(Base):
    """A delegation joining or leaving the meeting, as its member says (each a row)."""

    __tablename__ = "meeting_attendance"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    delegation_id: Mapped[int] = mapped_column(ForeignKey("delegations.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    joined: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


# The drafting states an item can be marked with, as the database's rule on meeting_acts spells
# them (migration 0023 wrote them out: a new state needs a migration of the rule too).
MARKABLE = tuple(s.value for s in DraftingState)

# Each kind of act names what it is and nothing else: a position stated, a decision taken, or an
# item's drafting state marked (from which state to which, with the note).
ACT_RULE = (
    "(kind = 'position' AND position_id IS NOT NULL AND decision_id IS NULL"
    " AND item_id IS NULL AND to_state IS NULL)"
    " OR (kind = 'decision' AND decision_id IS NOT NULL AND position_id IS NULL"
    " AND item_id IS NULL AND to_state IS NULL)"
    " OR (kind = 'mark' AND item_id IS NOT NULL AND position_id IS NULL AND decision_id IS NULL"
    " AND from_state IS NOT NULL AND note IS NOT NULL"
    f" AND to_state IN ({', '.join(repr(s) for s in MARKABLE)}))"
)


class MeetingAct(Base):
    """What was done in the room, tied to the meeting: a position a delegation stated orally
    (recorded by the secretariat on its behalf), a decision taken there, or an item's drafting
    state marked there (bracketed, agreed ad referendum...): the state it went from and to and
    the note, as they were at that moment (the item's own columns say only where it stands now).
    The database holds each kind to its columns (ACT_RULE)."""

    __tablename__ = "meeting_acts"
    __table_args__ = (CheckConstraint(ACT_RULE, name="kind_columns"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "position", "decision" or "mark"
    position_id: Mapped[int | None] = mapped_column(ForeignKey("positions.id"))
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decision_records.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    @classmethod
    def mark(
        cls, meeting_id: int, item_id: int, *, was: str, to: str, note: str, at: datetime
    ) -> "MeetingAct":
        """An item marked in the meeting, from the state `was` to `to` (one of MARKABLE)."""
        if to not in MARKABLE:
            raise ValueError(f"state: {to!r} is not a drafting state")
        return cls(
            meeting_id=meeting_id,
            kind="mark",
            item_id=item_id,
            from_state=was or "open",
            to_state=to,
            note=note,
            at=at,
        )
