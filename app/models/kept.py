from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, JSONType, UTCDateTime


class KeptForm(Base):
    """What a person typed into a form that arrived after their session had ended, kept for a
    short while so that, once logged in again, they get the form back with their text
    (app/web/kept.py). Only the SHA-256 of the key in the link is stored; a row outlives its
    use only until it expires, and the next kept form removes the expired ones."""

    __tablename__ = "kept_forms"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The person whose session had ended, named by the browser's session cookie: only they may
    # take the text back. Always set now (a form naming no one's session is not kept); a row
    # without it (kept before) is shown to no one and goes when it expires.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # Where the form was sent (path and query) and the page it was on (None: not known).
    action: Mapped[str] = mapped_column(String(2000))
    page: Mapped[str | None] = mapped_column(String(2000))
    # [name, value] pairs of the form's text fields, in the order they were sent.
    fields: Mapped[list[list[str]]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
