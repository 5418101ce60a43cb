"""In-app notifications: what needs a person's attention."""

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models import Membership, Notification


def notify(
    session: Session,
    user_ids: Iterable[int],
    *,
    kind: str,
    message: str,
    link: str,
    now: datetime,
    skip: int | None = None,
) -> None:
    for user_id in sorted(set(user_ids) - {skip}):
        session.add(
            Notification(user_id=user_id, kind=kind, message=message, link=link, created_at=now)
        )


def delegation_members(session: Session, delegation_ids: Iterable[int]) -> list[int]:
    ids = list(delegation_ids)
    if not ids:
        return []
    return list(
        session.scalars(
            select(Membership.user_id).where(Membership.delegation_id.in_(ids)).distinct()
        )
    )


def for_user(
    session: Session, user_id: int, *, unread_only: bool = False
) -> Sequence[Notification]:
    query = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return session.scalars(query.order_by(Notification.id.desc()).limit(200)).all()


def unread_count(session: Session, user_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


def mark_read(
    session: Session, user_id: int, notification_id: int, *, now: datetime
) -> Notification:
    note = session.get(Notification, notification_id)
    if note is None or note.user_id != user_id:
        raise NotFound(f"no notification {notification_id}")
    if note.read_at is None:
        note.read_at = now
    return note


def mark_all_read(session: Session, user_id: int, *, now: datetime) -> None:
    session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now)
    )
