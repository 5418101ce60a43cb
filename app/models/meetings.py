"""Online meetings of the working group: when and where (a video call the platform does not
host), the round they work on, the delegations taking part, and the agenda the secretariat
orders and moves through.

A meeting's `version` guards its details and its agenda alike: the ORM adds
"AND version = :loaded" to every UPDATE of the row, and every change to the agenda touches the
row, so of two officers reordering at once only one change lands and the other is told (412).
"""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime
from app.errors import PreconditionFailed
from app.models.accounts import Role


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


class MeetingAct(Base):
    """What was done in the room, tied to the meeting: a position a delegation stated orally
    (recorded by the secretariat on its behalf) or a decision taken there."""

    __tablename__ = "meeting_acts"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "position" or "decision"
    position_id: Mapped[int | None] = mapped_column(ForeignKey("positions.id"))
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decision_records.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
