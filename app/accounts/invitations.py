"""Bringing people in: an invitation creates the account without a password and mails a
one-time link (7 days) to the page where the person chooses one.

A person is "invited, not yet accepted" while they have no password: the invitation link is the
only way in. `invite` and `resend` are called by the people pages, the roster import, the API and
the command line; `accept` by the invitation page.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import links
from app.accounts.password_service import check_new_password, min_length_for, set_password
from app.accounts.service import normalise_email
from app.audit.service import Actor, record
from app.config import Settings
from app.errors import Conflict, InvalidInput, PermissionDenied
from app.mail.compose import compose
from app.mail.outbox import enqueue, valid_address
from app.models import (
    AccountLink,
    Body,
    Delegation,
    LinkPurpose,
    Membership,
    MemberState,
    Role,
    User,
)
from app.timezones import utc_offset

MAX_NAME_LENGTH = 200


@dataclass(frozen=True, slots=True)
class InvitedDelegation:
    code: str
    name: str


def _delegations(session: Session, codes: Sequence[str]) -> list[Delegation]:
    """The delegations named by `codes` (case-insensitive, duplicates ignored), each existing and
    not retired; InvalidInput naming the first that is not."""
    wanted: list[str] = []
    for raw in codes:
        code = raw.strip().upper()
        if code and code not in wanted:
            wanted.append(code)
    if not wanted:
        return []
    found = {
        d.code: d
        for d in session.scalars(select(Delegation).where(Delegation.code.in_(wanted))).all()
    }
    chosen: list[Delegation] = []
    for code in wanted:
        delegation = found.get(code)
        if delegation is None:
            raise InvalidInput(f"there is no delegation {code}", field="delegations")
        if delegation.retired_at is not None:
            raise InvalidInput(
                f"delegation {code} is retired; nobody can be added to it", field="delegations"
            )
        chosen.append(delegation)
    return chosen


def _delegation_names(
    session: Session, delegations: Sequence[Delegation]
) -> list[InvitedDelegation]:
    if not delegations:
        return []
    rows = session.execute(
        select(Delegation.code, Delegation.title, MemberState.name, Body.code)
        .join(MemberState, MemberState.id == Delegation.state_id)
        .join(Body, Body.id == Delegation.body_id)
        .where(Delegation.id.in_([d.id for d in delegations]))
        .order_by(Delegation.code)
    ).all()
    return [
        InvitedDelegation(code, title or f"{state} - {body}") for code, title, state, body in rows
    ]


def delegations_of(session: Session, user_id: int) -> list[InvitedDelegation]:
    """The person's delegations, by code, as a mail or page names them."""
    delegations = session.scalars(
        select(Delegation)
        .join(Membership, Membership.delegation_id == Delegation.id)
        .where(Membership.user_id == user_id)
    ).all()
    return _delegation_names(session, delegations)


def _inviter_name(session: Session, actor: Actor) -> str | None:
    if actor.user_id is None:
        return None
    return session.scalar(select(User.name).where(User.id == actor.user_id))


def _send(
    session: Session,
    actor: Actor,
    *,
    user: User,
    delegations: Sequence[InvitedDelegation],
    token: str,
    now: datetime,
    settings: Settings,
    resent: bool,
) -> None:
    # The invitee has no time zone of their own yet: the group's.
    local = (now + links.LIFETIME[LinkPurpose.INVITATION]).astimezone(settings.zone)
    mail = compose(
        "invitation",
        person=user.name,
        email=user.email,
        role=user.role.label,
        delegations=list(delegations),
        inviter=_inviter_name(session, actor),
        group=settings.working_group_name,
        url=links.url(settings.base_url, LinkPurpose.INVITATION, token),
        login_url=f"{settings.base_url.rstrip('/')}/login",
        days=links.LIFETIME[LinkPurpose.INVITATION].days,
        expires=f"{local:%d %B %Y, %H:%M} {settings.time_zone} time ({utc_offset(local)})",
        needs_second_factor=user.role.value in settings.mfa_roles,
        resent=resent,
        min_length=min_length_for(session, settings, user),
    )
    enqueue(
        session,
        to=user.email,
        subject=mail.subject,
        text=mail.text,
        html=mail.html,
        kind="invitation",
        user_id=user.id,
        now=now,
    )


def invite(
    session: Session,
    actor: Actor,
    *,
    email: str,
    name: str,
    role: Role | str,
    delegation_codes: Sequence[str] = (),
    now: datetime,
    settings: Settings,
    inviter_role: Role | None,
) -> tuple[User, str]:
    """Create the account (no password yet), mail its invitation and return the person with the
    link's token. `inviter_role` is the role of whoever invites (None: the command line, which
    may invite anyone); only an admin may invite an admin."""
    email = normalise_email(email)
    if not email:
        raise InvalidInput("enter the e-mail address", field="email")
    if not valid_address(email):
        raise InvalidInput(f"{email!r} is not an e-mail address", field="email")
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("name must not be empty", field="name")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"name must be at most {MAX_NAME_LENGTH} characters", field="name")
    try:
        role = Role(role.strip().lower() if isinstance(role, str) else role)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise InvalidInput(f"{role!r} is not a role; use one of {known}", field="role") from None
    if role is Role.ADMIN and inviter_role is not None and inviter_role is not Role.ADMIN:
        raise PermissionDenied("only an admin may invite an admin", field="role")
    delegations = _delegations(session, delegation_codes)
    if role is Role.MEMBER and not delegations:
        raise InvalidInput("a member must belong to at least one delegation", field="delegations")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"a person with e-mail {email} already exists", field="email")
    user = User(
        email=email,
        name=name,
        role=role,
        password_hash=None,
        is_active=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    for delegation in delegations:
        session.add(Membership(user_id=user.id, delegation_id=delegation.id))
    token = links.issue(session, user, LinkPurpose.INVITATION, now=now, created_by=actor.user_id)
    _send(
        session,
        actor,
        user=user,
        delegations=_delegation_names(session, delegations),
        token=token,
        now=now,
        settings=settings,
        resent=False,
    )
    record(
        session,
        actor,
        action="user.invite",
        object_type="user",
        object_id=user.id,
        details={
            "email": email,
            "role": role.value,
            "delegations": [d.code for d in delegations],
        },
        at=now,
    )
    return user, token


def is_pending(user: User) -> bool:
    """Invited and not yet accepted: an active account that has never had a password."""
    return user.is_active and user.password_hash is None


def pending(session: Session, user_id: int) -> bool:
    user = session.get(User, user_id)
    return user is not None and is_pending(user)


def resend(session: Session, actor: Actor, *, user: User, now: datetime, settings: Settings) -> str:
    """A fresh invitation link by mail; the earlier ones stop working."""
    if not user.is_active:
        raise Conflict(
            f"{user.email} is disabled; enable the account before resending the invitation"
        )
    if user.password_hash is not None:
        raise Conflict(
            f"{user.email} has already accepted the invitation; they can reset a forgotten "
            "password from the log-in page"
        )
    token = links.issue(session, user, LinkPurpose.INVITATION, now=now, created_by=actor.user_id)
    _send(
        session,
        actor,
        user=user,
        delegations=delegations_of(session, user.id),
        token=token,
        now=now,
        settings=settings,
        resent=True,
    )
    record(
        session,
        actor,
        action="user.invite_resend",
        object_type="user",
        object_id=user.id,
        details={"email": user.email},
        at=now,
    )
    return token


def invitation_expiry(session: Session, user_id: int, *, now: datetime) -> datetime | None:
    """When the person's usable invitation link expires; None if there is none."""
    link = session.scalar(
        select(AccountLink)
        .where(
            AccountLink.user_id == user_id,
            AccountLink.purpose == LinkPurpose.INVITATION,
            AccountLink.used_at.is_(None),
            AccountLink.revoked_at.is_(None),
        )
        .order_by(AccountLink.expires_at.desc())
        .limit(1)
    )
    return link.expires_at if link is not None and link.is_usable(now=now) else None


def usable_invitation(session: Session, token: str, *, now: datetime) -> tuple[AccountLink, User]:
    """The invitation link for `token` and its person, or InvalidInput saying why it cannot be
    used."""
    link = links.find(session, token, LinkPurpose.INVITATION, now=now)
    user = session.get(User, link.user_id)
    if user is None or not user.is_active:
        raise InvalidInput(
            "this account has been disabled, so the invitation cannot be accepted; ask the "
            "secretariat",
            field="token",
        )
    if user.password_hash is not None:
        raise InvalidInput(
            "this invitation has already been accepted; log in with your password",
            field="token",
        )
    return link, user


def accept(
    session: Session,
    *,
    token: str,
    password: str,
    repeat: str,
    now: datetime,
    settings: Settings,
) -> User:
    """The invited person chooses their password: the link is used up and the account is
    theirs. The caller then logs them in (app/accounts/login_flow.py)."""
    link, user = usable_invitation(session, token, now=now)
    check_new_password(session, settings, password, repeat, user=user)
    links.consume(session, link, now=now)
    set_password(user, password, now=now)
    record(
        session,
        Actor(user.id),
        action="user.invitation_accepted",
        object_type="user",
        object_id=user.id,
        at=now,
    )
    return user
