"""Comments move with the words they quote when the text they are on is revised."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Comment
from app.text.anchor import Anchor, follow


def follow_revision(
    session: Session,
    *,
    item_id: int,
    old: dict[str, Any],
    new: dict[str, Any],
    number: int,
) -> None:
    """Re-anchor the item's anchored comments from the old content to the new revision; those
    whose words are gone become outdated and keep their original quote."""
    comments = session.scalars(
        select(Comment).where(
            Comment.item_id == item_id,
            Comment.field.is_not(None),
            Comment.outdated.is_(False),
            Comment.parent_id.is_(None),
        )
    ).all()
    for comment in comments:
        field = comment.field or "text"
        old_text, new_text = str(old.get(field) or ""), str(new.get(field) or "")
        comment.anchor_revision = number
        if old_text == new_text:
            continue
        anchor = Anchor(
            start=comment.anchor_start or 0,
            end=comment.anchor_end or 0,
            quote=comment.quote or "",
            prefix=comment.prefix or "",
            suffix=comment.suffix or "",
        )
        moved = follow(anchor, old_text, new_text)
        if moved is None:
            comment.outdated = True
        else:
            comment.anchor_start, comment.anchor_end = moved.start, moved.end
