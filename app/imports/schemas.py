from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.models.imports import ImportKind, ImportState
from app.schemas import Strict


class ConfirmIn(Strict):
    """Optional, for a draft written in Word: who each author in the file is."""

    authors: dict[str, str] = Field(
        default_factory=dict,
        max_length=200,
        description="An author's name as written in the file (the preview's authors) -> a "
        "delegation's code, 'secretariat' (the drafter) or 'skip' (leave their changes and "
        "comments out). An author the preview could not recognise and that is not named here "
        "is left out, and the import's result says so.",
    )
    personal_data_checked: bool = Field(
        False,
        description="The secretariat checked the preview's personal_data findings: not personal "
        "data, or needed. Without it, open findings refuse confirming (422 naming this field)",
    )


class ImportOut(BaseModel):
    id: int
    reference: str = Field(description="I-<id>")
    kind: ImportKind = Field(description="returned: an edited export of a round; authored: a draft")
    state: ImportState
    filename: str
    sha256: str = Field(description="SHA-256 of the uploaded bytes")
    size: int
    round: str | None = Field(description="The round a returned copy was exported from")
    delegation: str | None = Field(description="The delegation a returned copy is imported for")
    uploaded_by: str
    created_at: datetime
    confirmed_at: datetime | None
    version: int = Field(description="Send it back in If-Match to confirm or discard")
    already_imported: bool = Field(
        False, description="This file was imported and confirmed before: nothing new is created"
    )
    message: str = Field(description="What happened, for a person")
    counts: dict[str, int] = Field(description="How many objects confirming creates (or created)")
    preview: dict[str, Any] = Field(description="What reading the file found, item by item")
    created: dict[str, Any] = Field(description="After confirming: references of what was made")
    personal_data: dict[str, list[dict[str, Any]]] = Field(
        default_factory=dict,
        description="While previewed: what may be personal data in the texts confirming would "
        "save, by row ('proposal-0', 'comment-2'): where, kind, label, start, end, text, "
        "explanation, suggestion",
    )


class ImportList(BaseModel):
    count: int
    items: list[ImportOut]
