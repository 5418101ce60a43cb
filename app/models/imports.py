"""Word files brought back into the platform: a returned copy of an exported round, or a draft
written in Word. An import is previewed first and creates nothing visible until confirmed."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, JSONType, UTCDateTime
from app.errors import InvalidTransition, PreconditionFailed
from app.models.types import str_enum


class ImportKind(StrEnum):
    RETURNED = "returned"  # an export of a round, edited in Word and sent back
    AUTHORED = "authored"  # a draft written in Word without the platform


class ImportState(StrEnum):
    PREVIEWED = "previewed"
    CONFIRMED = "confirmed"
    DISCARDED = "discarded"


REGISTER_SCOPE = "register"


def scope_for(delegation_id: int | None) -> str:
    """What an import is unique within, with the file's hash: a returned copy per delegation,
    an authored draft once for the whole register."""
    return f"delegation:{delegation_id}" if delegation_id is not None else REGISTER_SCOPE


class WordImport(Base):
    __tablename__ = "word_imports"
    # The same file read again for the same delegation is the same import, never a second one.
    __table_args__ = (UniqueConstraint("sha256", "kind", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    kind: Mapped[ImportKind] = mapped_column(str_enum(ImportKind, "import_kind"))
    scope: Mapped[str] = mapped_column(String(40))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"))
    delegation_id: Mapped[int | None] = mapped_column(ForeignKey("delegations.id"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[ImportState] = mapped_column(str_enum(ImportState, "import_state"))
    # What reading the file found and what confirming would create: all that confirm needs.
    preview: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # After confirm: references of everything created ({"proposals": [..], "comments": [..]}).
    created: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    discarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    @property
    def reference(self) -> str:
        return f"I-{self.id}"

    def check_version(self, expected: int) -> None:
        if expected != self.version:
            raise PreconditionFailed(
                f"import {self.reference} is at version {self.version}; you sent {expected}: "
                "reload its preview",
                current_revision=self.version,
            )

    def require_previewed(self, doing: str) -> None:
        if self.state is not ImportState.PREVIEWED:
            raise InvalidTransition(
                f"import {self.reference} of {self.filename} is already {self.state.value}; "
                f"it cannot be {doing}"
            )
