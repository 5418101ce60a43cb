"""In-app notifications: what needs a person's attention.

`notify` is the one way to tell people something: the services where things happen decide who
is told, in the same transaction as the change, and app/notifications/messages.py words it.
The worker (app/mail/digest.py) then mails each notification according to its person's mail
preference: at once, in a daily or weekly digest, or not at all.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models import Membership, Notification, Role, Round, User
from app.notifications.messages import Notice

# Who "the group" is: everyone taking part in the drafting. Admins run the platform.
GROUP_ROLES = (Role.MEMBER, Role.SECRETARIAT, Role.CHAIR, Role.OBSERVER)


def notify(
    session: Session,
    user_ids: Iterable[int],
    notice: Notice,
    *,
    now: datetime,
    skip: int | None = None,
) -> int:
    """Tell each active person among `user_ids` (except `skip`, who did it); returns how many."""
    wanted = set(user_ids) - {skip}
    if not wanted:
        return 0
    active = session.scalars(
        select(User.id).where(User.id.in_(sorted(wanted)), User.is_active.is_(True))
    ).all()
    for user_id in sorted(active):
        session.add(
            Notification(
                user_id=user_id,
                kind=notice.kind,
                message=notice.message,
                next_step=notice.next_step,
                link=notice.link,
                created_at=now,
            )
        )
    return len(active)


def group(session: Session) -> list[int]:
    """Everyone active who takes part in the drafting: members, secretariat, chairs, observers."""
    return list(
        session.scalars(select(User.id).where(User.is_active.is_(True), User.role.in_(GROUP_ROLES)))
    )


def secretariat(session: Session) -> list[int]:
    """The active secretariat officers."""
    return list(
        session.scalars(
            select(User.id).where(User.is_active.is_(True), User.role == Role.SECRETARIAT)
        )
    )


def input_givers(session: Session, round_: Round) -> list[int]:
    """Those who give input on a round: the members, and observers where the round invites
    their comments."""
    roles = [Role.MEMBER] + ([Role.OBSERVER] if round_.observers_may_comment else [])
    return list(
        session.scalars(select(User.id).where(User.is_active.is_(True), User.role.in_(roles)))
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


def own(session: Session, user_id: int, notification_id: int) -> Notification:
    """One of the person's notifications; another's is as good as missing."""
    note = session.get(Notification, notification_id)
    if note is None or note.user_id != user_id:
        raise NotFound(f"no notification {notification_id}")
    return note


def local_link(link: str) -> str:
    """A notification's link as a path on this site (never another site's address)."""
    return link if link.startswith("/") and not link.startswith("//") else "/notifications"


def mark_read(
    session: Session, user_id: int, notification_id: int, *, now: datetime
) -> Notification:
    note = own(session, user_id, notification_id)
    if note.read_at is None:
        note.read_at = now
    return note


def mark_all_read(session: Session, user_id: int, *, now: datetime) -> None:
    session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now)
    )
