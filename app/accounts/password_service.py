"""Passwords: the rules a new one must meet, changing it (knowing the current one), and the
forgotten-password reset by a one-time link (1 hour) sent by mail.

A request for a reset answers the same whether or not the address has an account; mails are
limited per account and hour, counted in the database (the links issued), so the limit holds
across app instances. A change or a reset tells the person by mail at once (a security notice)
and ends their other sessions (a reset: all of them).
"""

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.accounts import links, password_policy, second_factor
from app.accounts.notices import security_notice
from app.accounts.passwords import hash_password, verify_password
from app.accounts.service import normalise_email
from app.audit.service import Actor, record
from app.config import Settings
from app.errors import InvalidInput
from app.mail.compose import compose
from app.mail.outbox import enqueue, valid_address
from app.models import AccountLink, AuthSession, LinkPurpose, LoginAttempt, User

MAX_PASSWORD_LENGTH = password_policy.MAX_LENGTH
# Reset mails per account within RESET_WINDOW; further requests get the same answer, no mail.
MAX_RESET_MAILS = 3
RESET_WINDOW = timedelta(hours=1)


def guarded_by_second_factor(session: Session, settings: Settings, user: User) -> bool:
    """A second factor is set up, or the role requires one (it is set up before any session)."""
    return second_factor.has_factor(session, user) or second_factor.required_for(settings, user)


def min_length_for(session: Session, settings: Settings, user: User) -> int:
    return password_policy.min_length(
        second_factor=guarded_by_second_factor(session, settings, user)
    )


def check_new_password(
    session: Session, settings: Settings, password: str, repeat: str, *, user: User
) -> None:
    """InvalidInput naming the field when the new password may not be used."""
    problem = password_policy.weakness(
        password,
        email=user.email,
        name=user.name,
        second_factor=guarded_by_second_factor(session, settings, user),
    )
    if problem is not None:
        raise InvalidInput(problem, field="password")
    if password != repeat:
        raise InvalidInput("the two passwords are not the same", field="repeat")


def set_password(user: User, password: str, *, now: datetime) -> None:
    user.password_hash = hash_password(password)
    user.password_changed_at = now


def end_other_sessions(session: Session, user_id: int, *, keep: str | None, now: datetime) -> int:
    """End every live session of the person except `keep`; how many ended."""
    query = update(AuthSession).where(
        AuthSession.user_id == user_id, AuthSession.ended_at.is_(None)
    )
    if keep is not None:
        query = query.where(AuthSession.id != keep)
    done = session.execute(query.values(ended_at=now))
    return int(done.rowcount or 0)  # type: ignore[attr-defined]


def change_password(
    session: Session,
    actor: Actor,
    *,
    user: User,
    new: str,
    repeat: str,
    keep_session: str | None,
    ip: str | None,
    now: datetime,
    settings: Settings,
) -> int:
    """Set a new password for a person who has just given the current one (checked by the
    caller, with the log-in throttle); ends their other sessions and tells them by mail. Returns
    how many other sessions ended."""
    check_new_password(session, settings, new, repeat, user=user)
    if verify_password(user.password_hash, new):
        raise InvalidInput("the new password is the same as the current one", field="password")
    set_password(user, new, now=now)
    ended = end_other_sessions(session, user.id, keep=keep_session, now=now)
    record(
        session,
        actor,
        action="user.password_change",
        object_type="user",
        object_id=user.id,
        details={"other_sessions_ended": ended},
        at=now,
    )
    security_notice(session, user, what="password_changed", ip=ip, now=now, settings=settings)
    return ended


def request_reset(
    session: Session, *, email: str, ip: str | None, now: datetime, settings: Settings
) -> None:
    """Mail a reset link to the active account with this address, if there is one and it has
    not had MAX_RESET_MAILS links in the last hour. The caller answers the same in every case.
    InvalidInput only for what is not an address at all (which says nothing about accounts)."""
    address = normalise_email(email)
    if not address:
        raise InvalidInput("enter your e-mail address", field="email")
    if not valid_address(address):
        raise InvalidInput("enter an e-mail address in the form name@example.org", field="email")
    user = session.scalar(select(User).where(User.email == address))
    if user is None or not user.is_active:
        return
    recent = session.scalar(
        select(func.count())
        .select_from(AccountLink)
        .where(
            AccountLink.user_id == user.id,
            AccountLink.purpose == LinkPurpose.PASSWORD_RESET,
            AccountLink.created_at > now - RESET_WINDOW,
        )
    )
    if (recent or 0) >= MAX_RESET_MAILS:
        return
    token = links.issue(session, user, LinkPurpose.PASSWORD_RESET, now=now)
    lifetime = links.LIFETIME[LinkPurpose.PASSWORD_RESET]
    base = settings.base_url.rstrip("/")
    mail = compose(
        "password_reset",
        person=user.name,
        email=user.email,
        group=settings.working_group_name,
        url=links.url(settings.base_url, LinkPurpose.PASSWORD_RESET, token),
        minutes=int(lifetime.total_seconds() // 60),
        forgot_url=f"{base}/password/forgot",
        ip=ip,
    )
    enqueue(
        session,
        to=user.email,
        subject=mail.subject,
        text=mail.text,
        html=mail.html,
        kind="password_reset",
        user_id=user.id,
        now=now,
    )
    record(
        session,
        Actor(None),
        action="user.password_reset_requested",
        object_type="user",
        object_id=user.id,
        details={"ip": ip} if ip else None,
        at=now,
    )


def usable_reset_link(session: Session, token: str, *, now: datetime) -> tuple[AccountLink, User]:
    """The reset link for `token` and its person, or InvalidInput saying why it cannot be
    used (a disabled account's link cannot)."""
    link = links.find(session, token, LinkPurpose.PASSWORD_RESET, now=now)
    user = session.get(User, link.user_id)
    if user is None or not user.is_active:
        raise InvalidInput(
            "this account is disabled, so its password cannot be reset; ask the secretariat",
            field="token",
        )
    return link, user


def reset_password(
    session: Session,
    *,
    token: str,
    new: str,
    repeat: str,
    ip: str | None,
    now: datetime,
    settings: Settings,
) -> User:
    """Set the password from a reset link: the link is used up, every session of the person
    ends (whoever knew the old password is out), and they are told by mail."""
    link, user = usable_reset_link(session, token, now=now)
    check_new_password(session, settings, new, repeat, user=user)
    links.consume(session, link, now=now)
    set_password(user, new, now=now)
    ended = end_other_sessions(session, user.id, keep=None, now=now)
    # An invitation not yet accepted is done with: the address is proven and the password set.
    session.execute(
        update(AccountLink)
        .where(
            AccountLink.user_id == user.id,
            AccountLink.used_at.is_(None),
            AccountLink.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    # The person may have locked themselves out trying to remember; the mailbox proves them.
    session.execute(delete(LoginAttempt).where(LoginAttempt.email == user.email))
    record(
        session,
        Actor(user.id),
        action="user.password_reset",
        object_type="user",
        object_id=user.id,
        details={"sessions_ended": ended},
        at=now,
    )
    security_notice(session, user, what="password_reset", ip=ip, now=now, settings=settings)
    return user
