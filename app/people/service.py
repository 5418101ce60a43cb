"""People administration: the list of everyone with filters, a person's account as the admin and
the secretariat see it, and what they may change: role, delegations, disabled or not, a fresh
invitation, a reset second factor.

Rules the services hold, whoever calls them (pages, API):
- only an admin grants or removes the admin role, changes an admin's account, or resets a
  second factor;
- nobody changes their own role, disables themselves or resets their own second factor, so that
  an admin cannot lock the group out by mistake (and a stolen session cannot quietly drop its
  second factor);
- an edit names the version of the account it was made on (`Person.version`): if the account
  changed since, the edit is refused instead of silently overwriting the other change;
- every change writes an audit event in the same transaction.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Subquery,
    case,
    delete,
    exists,
    func,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.orm import Session

from app.accounts import invitations
from app.accounts import service as accounts
from app.accounts.notices import account_notice, local_time
from app.audit.service import Actor, record
from app.config import Settings
from app.db import UTCDateTime
from app.errors import Conflict, InvalidInput, NotFound, PermissionDenied, PreconditionFailed
from app.ids import MAX_ID
from app.models import (
    ApiToken,
    AuditEvent,
    AuthSession,
    Body,
    Delegation,
    LoginChallenge,
    Membership,
    MemberState,
    Passkey,
    RecoveryCode,
    Role,
    User,
)
from app.principal import Principal

PER_PAGE = 50
MAX_REASON = 500


class PersonState(StrEnum):
    ACTIVE = "active"
    PENDING = "pending"  # invited, has not chosen a password yet
    DISABLED = "disabled"

    @property
    def label(self) -> str:
        return {"pending": "Invitation pending"}.get(self.value, self.value.capitalize())


class LastSeen(StrEnum):
    """When a person last used zerodraft (a page in a session, or an API token)."""

    NEVER = "never"
    WEEK = "week"
    OVER_MONTH = "over_month"

    @property
    def label(self) -> str:
        return {
            "never": "Never",
            "week": "Within the last 7 days",
            "over_month": "Over 30 days ago",
        }[self.value]


@dataclass(frozen=True, slots=True)
class PeopleFilter:
    role: Role | None = None
    delegation: str | None = None
    state: PersonState | None = None
    seen: LastSeen | None = None
    mfa: bool | None = None
    q: str = ""

    @property
    def any(self) -> bool:
        return any(
            v is not None for v in (self.role, self.delegation, self.state, self.seen, self.mfa)
        ) or bool(self.q)


@dataclass(frozen=True, slots=True)
class MembershipRef:
    code: str
    name: str
    retired: bool


@dataclass(slots=True)
class PersonRow:
    id: int
    email: str
    name: str
    role: Role
    state: PersonState
    last_seen: datetime | None
    mfa: bool
    created_at: datetime
    delegations: list[MembershipRef] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PeoplePage:
    rows: list[PersonRow]
    total: int  # matching the filter
    page: int
    per_page: int
    counts: dict[PersonState, int]  # everyone, by state

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


# --- Reading ----------------------------------------------------------------------------------


def _seen_subqueries() -> tuple[Subquery, Subquery, ColumnElement[datetime]]:
    sessions = (
        select(AuthSession.user_id, func.max(AuthSession.last_seen_at).label("at"))
        .group_by(AuthSession.user_id)
        .subquery()
    )
    tokens = (
        select(ApiToken.user_id, func.max(ApiToken.last_used_at).label("at"))
        .group_by(ApiToken.user_id)
        .subquery()
    )
    # The later of the two (SQLite has no GREATEST; max(a, b) there is NULL if either is).
    last_seen = type_coerce(
        case(
            (sessions.c.at.is_(None), tokens.c.at),
            (tokens.c.at.is_(None), sessions.c.at),
            (sessions.c.at >= tokens.c.at, sessions.c.at),
            else_=tokens.c.at,
        ),
        UTCDateTime(),
    )
    return sessions, tokens, last_seen


_HAS_PASSKEY = exists(select(Passkey.id).where(Passkey.user_id == User.id))
_MFA = or_(User.totp_enabled_at.is_not(None), _HAS_PASSKEY)
_STATE = case(
    (User.is_active.is_(False), PersonState.DISABLED.value),
    (User.password_hash.is_(None), PersonState.PENDING.value),
    else_=PersonState.ACTIVE.value,
)


def _filtered(
    stmt: Select[Any], f: PeopleFilter, last_seen: ColumnElement[datetime], now: datetime
) -> Select[Any]:
    if f.role is not None:
        stmt = stmt.where(User.role == f.role)
    if f.delegation:
        stmt = stmt.where(
            exists(
                select(Membership.user_id)
                .join(Delegation, Delegation.id == Membership.delegation_id)
                .where(Membership.user_id == User.id, Delegation.code == f.delegation.upper())
            )
        )
    if f.state is PersonState.DISABLED:
        stmt = stmt.where(User.is_active.is_(False))
    elif f.state is PersonState.PENDING:
        stmt = stmt.where(User.is_active.is_(True), User.password_hash.is_(None))
    elif f.state is PersonState.ACTIVE:
        stmt = stmt.where(User.is_active.is_(True), User.password_hash.is_not(None))
    if f.seen is LastSeen.NEVER:
        stmt = stmt.where(last_seen.is_(None))
    elif f.seen is LastSeen.WEEK:
        stmt = stmt.where(last_seen >= now - timedelta(days=7))
    elif f.seen is LastSeen.OVER_MONTH:
        stmt = stmt.where(last_seen < now - timedelta(days=30))
    if f.mfa is True:
        stmt = stmt.where(_MFA)
    elif f.mfa is False:
        stmt = stmt.where(~_MFA)
    if f.q:
        words = f"%{f.q.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(User.name).like(words), User.email.like(words)))
    return stmt


def memberships(session: Session, user_ids: Sequence[int]) -> dict[int, list[MembershipRef]]:
    """Every delegation each person belongs to, retired ones marked: one statement."""
    out: dict[int, list[MembershipRef]] = {uid: [] for uid in user_ids}
    if not user_ids:
        return out
    rows = session.execute(
        select(
            Membership.user_id,
            Delegation.code,
            Delegation.title,
            MemberState.name,
            Body.code,
            Delegation.retired_at,
        )
        .join(Delegation, Delegation.id == Membership.delegation_id)
        .join(MemberState, MemberState.id == Delegation.state_id)
        .join(Body, Body.id == Delegation.body_id)
        .where(Membership.user_id.in_(user_ids))
        .order_by(Delegation.code)
    )
    for user_id, code, title, state, body, retired in rows:
        out[user_id].append(MembershipRef(code, title or f"{state} - {body}", retired is not None))
    return out


def counts(session: Session) -> dict[PersonState, int]:
    """How many people are active, invited (pending) and disabled: one grouped statement."""
    found: dict[str, int] = {}
    for state, n in session.execute(select(_STATE, func.count()).group_by(_STATE)):
        found[state] = n
    return {state: int(found.get(state.value, 0)) for state in PersonState}


def people(
    session: Session, f: PeopleFilter, *, now: datetime, page: int = 1, per_page: int = PER_PAGE
) -> PeoplePage:
    """One page of people matching `f`, by name: a fixed number of statements, whatever the
    number of people (the count, the counts by state, the page, and the page's delegations)."""
    sessions, tokens, last_seen = _seen_subqueries()
    base = (
        select(User.id)
        .outerjoin(sessions, sessions.c.user_id == User.id)
        .outerjoin(tokens, tokens.c.user_id == User.id)
    )
    total = (
        session.scalar(
            select(func.count()).select_from(_filtered(base, f, last_seen, now).subquery())
        )
        or 0
    )
    page = max(1, min(page, max(1, -(-total // per_page))))
    stmt = (
        select(
            User.id,
            User.email,
            User.name,
            User.role,
            _STATE,
            last_seen,
            _MFA,
            User.created_at,
        )
        .outerjoin(sessions, sessions.c.user_id == User.id)
        .outerjoin(tokens, tokens.c.user_id == User.id)
        .order_by(func.lower(User.name), User.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    rows = [
        PersonRow(uid, email, name, role, PersonState(state), seen, bool(mfa), created)
        for uid, email, name, role, state, seen, mfa, created in session.execute(
            _filtered(stmt, f, last_seen, now)
        )
    ]
    refs = memberships(session, [r.id for r in rows])
    for r in rows:
        r.delegations = refs[r.id]
    return PeoplePage(rows, total, page, per_page, counts(session))


# --- One person -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: datetime
    action: str
    actor: str | None  # None: the system (command line, migrations)
    details: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Person:
    user: User
    state: PersonState
    delegations: list[MembershipRef]
    last_seen: datetime | None
    totp_since: datetime | None
    passkeys: int
    recovery_codes_left: int
    live_sessions: int
    active_tokens: int
    invitation_expires: datetime | None
    version: str
    history: list[HistoryEntry]

    @property
    def mfa(self) -> bool:
        return self.totp_since is not None or self.passkeys > 0


def state_of(user: User) -> PersonState:
    if not user.is_active:
        return PersonState.DISABLED
    return PersonState.PENDING if user.password_hash is None else PersonState.ACTIVE


def _membership_ids(session: Session, user_id: int) -> list[int]:
    return list(
        session.scalars(
            select(Membership.delegation_id)
            .where(Membership.user_id == user_id)
            .order_by(Membership.delegation_id)
        )
    )


def version_of(user: User, delegation_ids: Sequence[int]) -> str:
    """What an admin edit may change (role, delegations, active), as a short fingerprint: an edit
    made on another fingerprint would overwrite a change its author has not seen."""
    ids = ",".join(map(str, sorted(delegation_ids)))
    state = f"{user.role.value}|{int(user.is_active)}|{ids}"
    return hashlib.sha256(state.encode()).hexdigest()[:16]


def get_user(session: Session, user_id: int, *, for_update: bool = False) -> User:
    user = (
        session.get(User, user_id, with_for_update=for_update or None)
        if 0 < user_id <= MAX_ID
        else None
    )
    if user is None:
        raise NotFound(f"no person with id {user_id}", field="person")
    return user


def history(session: Session, user_id: int, *, limit: int = 30) -> list[HistoryEntry]:
    """The latest audit events about the person's account, newest first."""
    rows = session.execute(
        select(AuditEvent.occurred_at, AuditEvent.action, User.name, AuditEvent.details)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.object_type == "user", AuditEvent.object_id == str(user_id))
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    return [HistoryEntry(at, action, actor, details or {}) for at, action, actor, details in rows]


def get_person(session: Session, user_id: int, *, now: datetime, settings: Settings) -> Person:
    user = get_user(session, user_id)
    idle = timedelta(minutes=settings.session_idle_minutes)
    sessions_seen = session.scalar(
        select(func.max(AuthSession.last_seen_at)).where(AuthSession.user_id == user.id)
    )
    token_used = session.scalar(
        select(func.max(ApiToken.last_used_at)).where(ApiToken.user_id == user.id)
    )
    seen = max((t for t in (sessions_seen, token_used) if t is not None), default=None)
    live = session.scalar(
        select(func.count()).where(
            AuthSession.user_id == user.id,
            AuthSession.ended_at.is_(None),
            AuthSession.expires_at > now,
            AuthSession.last_seen_at > now - idle,
        )
    )
    tokens = session.scalar(
        select(func.count()).where(
            ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > now
        )
    )
    passkeys = session.scalar(select(func.count()).where(Passkey.user_id == user.id))
    codes = session.scalar(
        select(func.count()).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )
    state = state_of(user)
    return Person(
        user=user,
        state=state,
        delegations=memberships(session, [user.id])[user.id],
        last_seen=seen,
        totp_since=user.totp_enabled_at if user.totp_secret else None,
        passkeys=passkeys or 0,
        recovery_codes_left=codes or 0,
        live_sessions=live or 0,
        active_tokens=tokens or 0,
        invitation_expires=invitations.invitation_expiry(session, user.id, now=now)
        if state is PersonState.PENDING
        else None,
        version=version_of(user, _membership_ids(session, user.id)),
        history=history(session, user.id),
    )


# --- Changes ----------------------------------------------------------------------------------


def admin_actor(principal: Principal, request_id: str | None) -> Actor:
    """Administration is done by a person, not on behalf of a delegation."""
    return Actor(principal.user_id, None, request_id)


def _may_change(principal: Principal, user: User) -> None:
    if user.role is Role.ADMIN and principal.role is not Role.ADMIN:
        raise PermissionDenied(
            f"only an admin may change an administrator's account ({user.email})"
        )


def _check_version(session: Session, user: User, expected: str) -> list[int]:
    ids = _membership_ids(session, user.id)
    current = version_of(user, ids)
    if expected.strip() != current:
        raise PreconditionFailed(
            f"{user.name}'s account was changed by someone else after you opened it; reload "
            "the page to see the change, then make yours again",
            field="version",
            current_version=current,
        )
    return ids


def _delegations_for(
    session: Session, codes: Sequence[str], held: Sequence[int]
) -> list[Delegation]:
    """The delegations named (case-insensitive, repeats ignored): each must exist, and one the
    person does not already belong to must not be retired."""
    wanted = list(dict.fromkeys(c.strip().upper() for c in codes if c.strip()))
    found = {
        d.code: d for d in session.scalars(select(Delegation).where(Delegation.code.in_(wanted)))
    }
    chosen = []
    for code in wanted:
        delegation = found.get(code)
        if delegation is None:
            raise NotFound(f"there is no delegation {code}", field="delegations")
        if delegation.retired_at is not None and delegation.id not in held:
            raise InvalidInput(
                f"delegation {code} is retired; nobody can be added to it", field="delegations"
            )
        chosen.append(delegation)
    return chosen


def update_person(
    session: Session,
    principal: Principal,
    *,
    user_id: int,
    expected_version: str,
    role: Role | None = None,
    delegation_codes: Sequence[str] | None = None,
    active: bool | None = None,
    now: datetime,
    request_id: str | None = None,
) -> User:
    """Change a person's role, delegations (the full list of those they belong to; a retired
    delegation they belong to may stay, no new one may be added) and whether the account is
    enabled. None leaves a part as it is. Refused as a whole if any part is."""
    user = get_user(session, user_id, for_update=True)
    held = _check_version(session, user, expected_version)
    actor = admin_actor(principal, request_id)
    _may_change(principal, user)
    own = user.id == principal.user_id
    new_role = role if role is not None and role is not user.role else None
    if new_role is not None:
        if own:
            raise PermissionDenied(
                "you cannot change your own role; ask another administrator", field="role"
            )
        if new_role is Role.ADMIN and principal.role is not Role.ADMIN:
            raise PermissionDenied("only an admin may grant the admin role", field="role")
    if active is False and own:
        raise PermissionDenied("you cannot disable your own account", field="active")
    chosen = (
        _delegations_for(session, delegation_codes, held) if delegation_codes is not None else None
    )
    final_role = new_role or user.role
    if final_role is Role.MEMBER:
        if chosen is not None:
            acting = [d for d in chosen if d.retired_at is None]
        else:
            acting = list(
                session.scalars(
                    select(Delegation).where(
                        Delegation.id.in_(held), Delegation.retired_at.is_(None)
                    )
                )
            )
        if not acting:
            raise InvalidInput(
                "a member must belong to at least one delegation that is not retired",
                field="delegations",
            )

    if new_role is not None:
        before = user.role
        user.role = new_role
        # Their sessions end: they log in again as what they now are (and set up a second
        # factor first, if the new role requires one).
        accounts.end_sessions(session, user.id, now)
        record(
            session,
            actor,
            action="user.role",
            object_type="user",
            object_id=user.id,
            details={"before": before.value, "after": new_role.value},
            at=now,
        )
    if chosen is not None:
        chosen_ids = {d.id for d in chosen}
        added = [d for d in chosen if d.id not in held]
        removed_ids = [i for i in held if i not in chosen_ids]
        if added or removed_ids:
            removed = list(
                session.scalars(
                    select(Delegation.code)
                    .where(Delegation.id.in_(removed_ids))
                    .order_by(Delegation.code)
                )
            )
            if removed_ids:
                session.execute(
                    delete(Membership).where(
                        Membership.user_id == user.id, Membership.delegation_id.in_(removed_ids)
                    )
                )
            for d in added:
                session.add(Membership(user_id=user.id, delegation_id=d.id))
            record(
                session,
                actor,
                action="user.delegations",
                object_type="user",
                object_id=user.id,
                details={"added": sorted(d.code for d in added), "removed": removed},
                at=now,
            )
    if active is False and user.is_active:
        accounts.disable_user(session, actor, email=user.email, now=now)
    elif active is True and not user.is_active:
        user.is_active = True
        user.disabled_at = None
        record(session, actor, action="user.enable", object_type="user", object_id=user.id, at=now)
    session.flush()
    return user


def invite_person(
    session: Session,
    principal: Principal,
    *,
    email: str,
    name: str,
    role: Role | str,
    delegation_codes: Sequence[str],
    now: datetime,
    settings: Settings,
    request_id: str | None = None,
) -> User:
    """Add a person by invitation (app/accounts/invitations.py): the mail goes out with the
    link; the person chooses their password."""
    user, _ = invitations.invite(
        session,
        admin_actor(principal, request_id),
        email=email,
        name=name,
        role=role,
        delegation_codes=delegation_codes,
        now=now,
        settings=settings,
        inviter_role=principal.role,
    )
    return user


def resend_invitation(
    session: Session,
    principal: Principal,
    *,
    user_id: int,
    now: datetime,
    settings: Settings,
    request_id: str | None = None,
) -> User:
    user = get_user(session, user_id, for_update=True)
    _may_change(principal, user)
    invitations.resend(
        session, admin_actor(principal, request_id), user=user, now=now, settings=settings
    )
    return user


def reset_second_factor(
    session: Session,
    principal: Principal,
    *,
    user_id: int,
    reason: str,
    now: datetime,
    settings: Settings,
    request_id: str | None = None,
) -> User:
    """For a person who lost their phone or passkey: remove their authenticator app, passkeys
    and recovery codes, end their sessions and half-done log-ins, and tell them by mail. At
    their next log-in they set up a second factor again (where their role requires one)."""
    if principal.role is not Role.ADMIN:
        raise PermissionDenied("only an admin may reset a second factor")
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidInput(
            "give the reason for the reset (for example how the person's identity was checked)",
            field="reason",
        )
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"the reason must be at most {MAX_REASON} characters", field="reason")
    user = get_user(session, user_id, for_update=True)
    if user.id == principal.user_id:
        raise PermissionDenied(
            "you cannot reset your own second factor; another admin must do it", field="reason"
        )
    passkeys = session.scalar(select(func.count()).where(Passkey.user_id == user.id)) or 0
    codes = session.scalar(select(func.count()).where(RecoveryCode.user_id == user.id)) or 0
    had_totp = user.totp_enabled_at is not None or user.totp_secret is not None
    if not (had_totp or passkeys or codes):
        raise Conflict(f"{user.name} has no second factor to reset", field="reason")
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.execute(delete(Passkey).where(Passkey.user_id == user.id))
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.execute(
        update(LoginChallenge)
        .where(LoginChallenge.user_id == user.id, LoginChallenge.used_at.is_(None))
        .values(used_at=now)
    )
    accounts.end_sessions(session, user.id, now)
    record(
        session,
        admin_actor(principal, request_id),
        action="user.second_factor_reset",
        object_type="user",
        object_id=user.id,
        details={
            "reason": reason,
            "authenticator_app": had_totp,
            "passkeys": passkeys,
            "recovery_codes": codes,
        },
        at=now,
    )
    _reset_notice(session, user, reason=reason, now=now, settings=settings)
    return user


def _reset_notice(
    session: Session, user: User, *, reason: str, now: datetime, settings: Settings
) -> None:
    base = settings.base_url.rstrip("/")
    account_notice(
        session,
        user,
        "second_factor_reset",
        now=now,
        person=user.name,
        when=local_time(user, now, settings),
        reason=reason,
        required=user.role.value in settings.mfa_roles,
        group=settings.working_group_name,
        login_url=f"{base}/login",
        forgot_url=f"{base}/password/forgot",
    )
