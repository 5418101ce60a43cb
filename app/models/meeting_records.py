"""A meeting's record: generated from what happened, edited by the secretariat, approved by a
co-chair. One per meeting.

`version` guards the text (the ORM adds "AND version = :loaded" to every UPDATE), so of two
officers saving at once only one lands and the other is told (412). `generated_text` keeps what
the last generation wrote: the record is "edited" while its text differs, and a new generation
then refuses to overwrite it unless asked to. Approval freezes it.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime
from app.errors import Conflict, PreconditionFailed

DRAFT = "draft"
APPROVED = "approved"


class MeetingRecord(Base):
    __tablename__ = "meeting_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), unique=True)
    state: Mapped[str] = mapped_column(String(16), default=DRAFT)  # "draft" or "approved"
    text: Mapped[str] = mapped_column(Text)
    generated_text: Mapped[str] = mapped_column(Text)
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    generated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def edited(self) -> bool:
        return self.text != self.generated_text

    def check_version(self, expected: int) -> None:
        if expected != self.version:
            raise PreconditionFailed(
                f"the record of M-{self.meeting_id} is at version {self.version}; you sent "
                f"{expected}. Someone changed it meanwhile: reload it and make your change again",
                current_revision=self.version,
            )

    def check_open(self) -> None:
        if self.state == APPROVED:
            raise Conflict(
                f"the record of M-{self.meeting_id} is approved; an approved record is not changed",
                field="state",
                state=self.state,
            )
