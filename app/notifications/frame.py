"""The unread count in every page's top bar, as a part of the page's frame (app/web/frame.py)."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Label, Row, func, select

from app.models import Notification
from app.web.frame import FramePart


def _columns(user_id: BindParameter[int]) -> Sequence[Label[Any]]:
    unread = (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .scalar_subquery()
    )
    return [unread.label("notifications_unread")]


def _read(row: Row[Any], _now: datetime) -> Mapping[str, Any]:
    return {"unread": row.notifications_unread or 0}


UNREAD = FramePart(_columns, _read)
