from datetime import datetime

from pydantic import BaseModel, Field

from app.models import CommentKind, Visibility
from app.schemas import Strict


class CommentCreate(Strict):
    body: str = Field(min_length=1, max_length=20000)
    item: str | None = Field(None, max_length=32, description="Code of the item commented on")
    proposal_id: int | None = None
    parent_id: int | None = Field(None, description="Reply to this comment's thread")
    kind: CommentKind = CommentKind.GENERAL
    visibility: Visibility = Visibility.GROUP
    field: str | None = Field(None, max_length=32, description="Text field the words are in")
    start: int | None = Field(None, ge=0, description="Offset of the first selected character")
    end: int | None = Field(None, ge=0, description="Offset after the last selected character")
    quote: str | None = Field(None, max_length=5000, description="The selected words")
    delegation: str | None = Field(None, max_length=32)
    personal_data_checked: bool = Field(
        False,
        description="The author checked the personal-data findings of the text: not personal data,"
        " or needed. Without it a finding refuses the comment (422 naming body, with findings)",
    )


class CommentUpdate(Strict):
    body: str = Field(min_length=1, max_length=20000)
    personal_data_checked: bool = Field(
        False,
        description="The author checked the personal-data findings of the text: not personal data,"
        " or needed. Without it a finding refuses the comment (422 naming body, with findings)",
    )


class AnchorOut(BaseModel):
    field: str
    quote: str
    made_on_revision: int | None
    revision: int | None
    start: int | None
    end: int | None
    outdated: bool


class CommentOut(BaseModel):
    id: int
    reference: str
    item: str | None
    proposal_id: int | None
    parent_id: int | None
    author: str
    delegation: str | None
    kind: CommentKind
    visibility: Visibility
    body: str
    anchor: AnchorOut | None
    resolved: bool
    withdrawn: bool
    late: bool
    answer: str
    created_at: datetime
    edited_at: datetime | None
    version: int
    replies: list["CommentOut"] = Field(default_factory=list)
