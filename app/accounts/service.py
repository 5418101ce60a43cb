"""Accounts: people, their delegations, log-in sessions, API tokens and log-in throttling.

Everything that must hold across several app instances (sessions, throttles, tokens) lives in the
database; nothing here keeps state in process memory.
"""

import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.orm import Session

from app.accounts import password_policy
from app.accounts.passwords import digest, hash_password, new_token, verify_password
from app.audit.service import Actor, record
from app.config import Settings
from app.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from app.models import (
    ApiToken,
    AuthSession,
    Body,
    Delegation,
    LoginAttempt,
    LoginChallenge,
    Membership,
    MemberState,
    Role,
    User,
)
from app.principal import DelegationRef, Principal

TOKEN_PREFIX = "zd_"  # noqa: S105 - a visible prefix, not a secret
# last_seen_at is written at most this often, so that reading pages is not a stream of writes.
TOUCH_EVERY = timedelta(minutes=1)
# How long a personal API token works: chosen when it is made, 90 days unless said otherwise.
TOKEN_DAYS = 90
MAX_TOKEN_DAYS = 365


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    principal: Principal | None
    cookie_value: str | None
    error: str | None
    throttled: bool = False
    retry_after: int | None = None  # seconds until a throttled log-in may be tried again


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _delegation_name(title: str | None, state: str, body: str) -> str:
    return title or f"{state} - {body}"


def delegation_refs(session: Session, user_ids: Sequence[int]) -> dict[int, list[DelegationRef]]:
    """The delegations each person may act for: their memberships, without retired delegations
    (nobody acts for one; the memberships stay as history)."""
    rows = session.execute(
        select(
            Membership.user_id,
            Delegation.id,
            Delegation.code,
            Delegation.title,
            MemberState.name,
            Body.code,
        )
        .join(Delegation, Delegation.id == Membership.delegation_id)
        .join(MemberState, MemberState.id == Delegation.state_id)
        .join(Body, Body.id == Delegation.body_id)
        .where(Membership.user_id.in_(user_ids), Delegation.retired_at.is_(None))
        .order_by(Delegation.code)
    ).all()
    refs: dict[int, list[DelegationRef]] = {uid: [] for uid in user_ids}
    for user_id, d_id, d_code, title, state, body in rows:
        refs[user_id].append(DelegationRef(d_id, d_code, _delegation_name(title, state, body)))
    return refs


def _principal(session: Session, user: User, **kwargs: object) -> Principal:
    refs = delegation_refs(session, [user.id])[user.id]
    return Principal(
        user.id,
        user.email,
        user.name,
        user.role,
        refs,
        time_zone=user.time_zone,
        **kwargs,  # type: ignore[arg-type]
    )


def principal_for_user(session: Session, user: User) -> Principal:
    """The principal of a user acting outside a request (the demo loader, scripts)."""
    return _principal(session, user)


def find_delegation(session: Session, code: str) -> Delegation:
    """A delegation someone may join or act for: it exists and is not retired."""
    delegation = session.scalar(select(Delegation).where(Delegation.code == code.upper()))
    if delegation is None:
        raise NotFound(f"no delegation with code {code}", field="delegation")
    if delegation.retired_at is not None:
        raise Conflict(
            f"delegation {delegation.code} is retired; nobody can join it or act for it",
            field="delegation",
        )
    return delegation


def add_user(
    session: Session,
    actor: Actor,
    *,
    email: str,
    name: str,
    role: Role,
    password: str | None,
    delegation_codes: Sequence[str] = (),
    now: datetime,
) -> User:
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise InvalidInput(f"{email!r} is not an e-mail address", field="email")
    if not name.strip():
        raise InvalidInput("name must not be empty", field="name")
    if password is not None:
        # Nobody has a second factor yet: the password must hold alone.
        problem = password_policy.weakness(password, email=email, name=name, second_factor=False)
        if problem is not None:
            raise InvalidInput(problem, field="password")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"a user with e-mail {email} already exists", field="email")
    if role is Role.MEMBER and not delegation_codes:
        raise InvalidInput("a member must belong to at least one delegation", field="delegation")
    delegations = [find_delegation(session, code) for code in delegation_codes]
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        password_hash=hash_password(password) if password else None,
        is_active=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    for delegation in delegations:
        session.add(Membership(user_id=user.id, delegation_id=delegation.id))
    record(
        session,
        actor,
        action="user.add",
        object_type="user",
        object_id=user.id,
        details={"email": email, "role": role.value, "delegations": list(delegation_codes)},
        at=now,
    )
    return user


def user_of(session: Session, principal: Principal) -> User:
    """The signed-in person's own row (their session or token was checked this request)."""
    user = session.get(User, principal.user_id)
    assert user is not None
    return user


def get_user_by_email(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise NotFound(f"no user with e-mail {normalise_email(email)}", field="email")
    return user


def end_sessions(session: Session, user_id: int, now: datetime) -> None:
    session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.ended_at.is_(None))
        .values(ended_at=now)
    )


def end_everything(session: Session, user_id: int, now: datetime) -> dict[str, int]:
    """End all a person's ways in: sessions, API tokens (revoked for good: enabling the account
    again does not bring them back) and log-ins half done. How many of each ended."""
    sessions = session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    tokens = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.execute(
        update(LoginChallenge)
        .where(LoginChallenge.user_id == user_id, LoginChallenge.used_at.is_(None))
        .values(used_at=now)
    )
    return {
        "sessions_ended": int(sessions.rowcount or 0),  # type: ignore[attr-defined]
        "tokens_revoked": int(tokens.rowcount or 0),  # type: ignore[attr-defined]
    }


def disable_user(session: Session, actor: Actor, *, email: str, now: datetime) -> User:
    user = get_user_by_email(session, email)
    if not user.is_active:
        raise Conflict(f"{user.email} is already disabled")
    user.disable(now=now)
    ended = end_everything(session, user.id, now)
    record(
        session,
        actor,
        action="user.disable",
        object_type="user",
        object_id=user.id,
        details=ended,
        at=now,
    )
    return user


def _latest_failures(
    session: Session, condition: Any, since: datetime, limit: int
) -> list[datetime]:
    return list(
        session.scalars(
            select(LoginAttempt.at)
            .where(condition, LoginAttempt.at > since)
            .order_by(LoginAttempt.at.desc())
            .limit(limit)
        )
    )


# The wait after the limit is reached; it doubles with each further failure, up to the window.
FIRST_DELAY = timedelta(minutes=1)
_MAX_DOUBLINGS = 8


def login_delay(failures: int, limit: int, window: timedelta) -> timedelta:
    """How long after the latest failure the next attempt waits: nothing below `limit`, then
    FIRST_DELAY, doubled for each further failure, never more than the window."""
    if failures < limit:
        return timedelta(0)
    doublings: int = min(failures - limit, _MAX_DOUBLINGS)
    return min(window, FIRST_DELAY * (1 << doublings))


def throttle(
    session: Session, *, email: str, ip: str, now: datetime, settings: Settings
) -> LoginOutcome | None:
    """Slow down guessing without letting a guesser lock the owner out.

    Failures are counted per account *and* client address, and per client address; never per
    account alone, since anyone may type anyone's address: wrong passwords for an account from
    one address leave the account open from every other. Past the limit each further failure
    doubles the wait (no hard lock). Against guessing from many addresses the second factor is
    the guard. Counted in the database, so every app instance sees the same count."""
    window = timedelta(minutes=settings.login_window_minutes)
    checks = (
        (
            and_(LoginAttempt.email == email, LoginAttempt.ip == ip),
            settings.login_max_failures,
            "for this account from your address",
        ),
        (LoginAttempt.ip == ip, settings.login_max_failures_per_address, "from your address"),
    )
    for condition, limit, whose in checks:
        failures = _latest_failures(session, condition, now - window, limit + _MAX_DOUBLINGS)
        delay = login_delay(len(failures), limit, window)
        if not delay:
            continue
        wait = math.ceil((failures[0] + delay - now).total_seconds())
        if wait <= 0:
            continue
        minutes = math.ceil(wait / 60)
        return LoginOutcome(
            None,
            None,
            f"Too many failed log-ins {whose}. Try again in {minutes} "
            f"minute{'s' if minutes != 1 else ''}.",
            throttled=True,
            retry_after=wait,
        )
    return None


def check_password(
    session: Session, *, email: str, password: str, ip: str, now: datetime, settings: Settings
) -> tuple[User | None, LoginOutcome | None]:
    """The person whose password this is, or the refusal to show (throttled, or wrong e-mail or
    password: both look the same). A failure is recorded for throttling; the caller commits it."""
    email = normalise_email(email)[:254]
    ip = ip[:64]
    throttled = throttle(session, email=email, ip=ip, now=now, settings=settings)
    if throttled is not None:
        return None, throttled
    user = session.scalar(select(User).where(User.email == email))
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        session.add(LoginAttempt(email=email, ip=ip, at=now))
        return None, LoginOutcome(None, None, "The e-mail address or password is not correct.")
    return user, None


# A sensitive change (an API token, a password, a second factor) from a session older than this
# asks for the password again.
RECENT_LOG_IN = timedelta(minutes=10)


def logged_in_recently(session: Session, principal: Principal, *, now: datetime) -> bool:
    auth = session.get(AuthSession, principal.session_id) if principal.session_id else None
    return auth is not None and now - auth.created_at < RECENT_LOG_IN


def reauthenticate(
    session: Session,
    principal: Principal,
    *,
    password: str,
    ip: str,
    now: datetime,
    settings: Settings,
) -> LoginOutcome | None:
    """Before a sensitive change from a browser: None when the person logged in within
    RECENT_LOG_IN or gives their password now; otherwise the refusal to show. The password is
    checked as at log-in, throttle included (the caller keeps a failure: return, not raise),
    so a stolen session cannot be used to guess it."""
    if not password and logged_in_recently(session, principal, now=now):
        return None
    if not password:
        return LoginOutcome(None, None, "Enter your password to confirm that it is you.")
    user, refused = check_password(
        session, email=principal.email, password=password, ip=ip, now=now, settings=settings
    )
    if user is None:
        assert refused is not None
        return (
            refused if refused.throttled else LoginOutcome(None, None, "That is not your password.")
        )
    return None


def open_session(
    session: Session,
    user: User,
    *,
    now: datetime,
    settings: Settings,
    ip: str | None = None,
    user_agent: str | None = None,
    second_factor: str | None = None,
) -> LoginOutcome:
    """A new browser session for a person who has proved who they are."""
    cookie_value = new_token()
    principal = _principal(session, user)
    auth = AuthSession(
        id=digest(cookie_value),
        user_id=user.id,
        delegation_id=principal.acting_delegation.id if principal.acting_delegation else None,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=settings.session_absolute_hours),
        ip=ip[:64] if ip else None,
        user_agent=user_agent[:300] if user_agent else None,
        second_factor=second_factor,
    )
    session.add(auth)
    record(
        session,
        Actor(user.id),
        action="session.login",
        object_type="user",
        object_id=user.id,
        details={"second_factor": second_factor} if second_factor else None,
        at=now,
    )
    principal.session_id = auth.id
    principal.csrf_token = auth.csrf_token
    principal.acting_delegation_id = auth.delegation_id
    return LoginOutcome(principal, cookie_value, None)


def log_in(
    session: Session, *, email: str, password: str, ip: str, now: datetime, settings: Settings
) -> LoginOutcome:
    """Check a password and open a session, for a person who needs no second factor (scripts,
    tests). Unknown e-mail and wrong password look the same."""
    user, refused = check_password(
        session, email=email, password=password, ip=ip, now=now, settings=settings
    )
    if user is None:
        assert refused is not None
        return refused
    return open_session(session, user, now=now, settings=settings, ip=ip)


def _person_and_delegations(stmt: Any) -> Any:
    """`stmt` (selecting from a table joined to users) extended with the person and, one row
    each, their delegations: the whole log-in check in one statement. Columns are read back by
    their labels (_principal_from_rows)."""
    return (
        stmt.add_columns(
            User.id.label("user_id"),
            User.email.label("email"),
            User.name.label("name"),
            User.role.label("role"),
            User.is_active.label("is_active"),
            User.time_zone.label("time_zone"),
            Delegation.id.label("delegation_id"),
            Delegation.code.label("delegation_code"),
            Delegation.title.label("delegation_title"),
            MemberState.name.label("state_name"),
            Body.code.label("body_code"),
        )
        .outerjoin(Membership, Membership.user_id == User.id)
        # A retired delegation joins as NULLs: nobody acts for it (see delegation_refs).
        .outerjoin(
            Delegation,
            and_(Delegation.id == Membership.delegation_id, Delegation.retired_at.is_(None)),
        )
        .outerjoin(MemberState, MemberState.id == Delegation.state_id)
        .outerjoin(Body, Body.id == Delegation.body_id)
        .order_by(Delegation.code)
    )


# Built once: every request runs one of these.
_SESSION_PRINCIPAL = _person_and_delegations(
    select(
        AuthSession.id.label("session_id"),
        AuthSession.delegation_id.label("acting_delegation_id"),
        AuthSession.csrf_token.label("csrf_token"),
        AuthSession.last_seen_at.label("last_seen_at"),
        AuthSession.expires_at.label("expires_at"),
        AuthSession.ended_at.label("ended_at"),
    )
    .join(User, User.id == AuthSession.user_id)
    .where(AuthSession.id == bindparam("digest"))
)
_TOKEN_PRINCIPAL = _person_and_delegations(
    select(
        ApiToken.id.label("token_id"),
        ApiToken.revoked_at.label("revoked_at"),
        ApiToken.expires_at.label("expires_at"),
        ApiToken.last_used_at.label("last_used_at"),
    )
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.token_hash == bindparam("digest"))
)


def _rows(session: Session, statement: Any, key: str) -> Sequence[Any]:
    """The log-in check's rows, read on the session's connection: plain rows of labelled columns
    need none of the ORM's statement handling, which cost three times the query itself on
    every request (in process, SQLite: ~300 against ~100 microseconds)."""
    return session.connection().execute(statement, {"digest": key}).all()


def _principal_from_rows(rows: Sequence[Any], **kwargs: Any) -> Principal | None:
    """The principal from the rows of _person_and_delegations (one per delegation); None for a
    disabled person."""
    person = rows[0]
    if not person.is_active:
        return None
    refs = [
        DelegationRef(
            row.delegation_id,
            row.delegation_code,
            _delegation_name(row.delegation_title, row.state_name, row.body_code),
        )
        for row in rows
        if row.delegation_id is not None
    ]
    return Principal(
        person.user_id,
        person.email,
        person.name,
        person.role,
        refs,
        time_zone=person.time_zone,
        **kwargs,
    )


def principal_for_session(
    session: Session, cookie_value: str, *, now: datetime, settings: Settings
) -> Principal | None:
    """The principal of a live session cookie, in one statement; None for no live session."""
    rows = _rows(session, _SESSION_PRINCIPAL, digest(cookie_value))
    if not rows:
        return None
    auth = rows[0]
    idle = timedelta(minutes=settings.session_idle_minutes)
    # As AuthSession.is_live: not logged out, not past its absolute end, not idle too long.
    if auth.ended_at is not None or now >= auth.expires_at or now - auth.last_seen_at >= idle:
        return None
    principal = _principal_from_rows(
        rows,
        acting_delegation_id=auth.acting_delegation_id,
        session_id=auth.session_id,
        csrf_token=auth.csrf_token,
    )
    if principal is not None:
        principal.needs_touch = now - auth.last_seen_at >= TOUCH_EVERY
    return principal


def touch(session: Session, principal: Principal, *, now: datetime) -> None:
    """Record activity; read requests run this in a short write transaction of its own."""
    if principal.session_id is not None:
        session.execute(
            update(AuthSession)
            .where(AuthSession.id == principal.session_id)
            .values(last_seen_at=now)
        )
    if principal.token_id is not None:
        session.execute(
            update(ApiToken).where(ApiToken.id == principal.token_id).values(last_used_at=now)
        )


def log_out(session: Session, session_id: str, *, now: datetime) -> None:
    auth = session.get(AuthSession, session_id)
    if auth is not None and auth.ended_at is None:
        auth.ended_at = now
        record(
            session,
            Actor(auth.user_id),
            action="session.logout",
            object_type="user",
            object_id=auth.user_id,
        )


def switch_delegation(session: Session, principal: Principal, code: str) -> DelegationRef:
    chosen = principal.delegation_for(code)
    assert chosen is not None
    auth = session.get(AuthSession, principal.session_id) if principal.session_id else None
    if auth is not None:
        auth.delegation_id = chosen.id
    principal.acting_delegation_id = chosen.id
    return chosen


def create_token(
    session: Session,
    actor: Actor,
    *,
    user: User,
    name: str,
    now: datetime,
    days: int = TOKEN_DAYS,
    by: Principal | None = None,
) -> tuple[ApiToken, str]:
    """A personal API token for `user`, working for `days` (at most a year). `by`: who asks,
    when not the command line; a token may not make another (a stolen one would outlive its
    revocation through its children)."""
    if by is not None and by.via_token:
        raise PermissionDenied(
            "an API token cannot create API tokens; create one from your account page"
        )
    if not user.is_active:
        raise Conflict(f"{user.email} is disabled; enable the account before issuing a token")
    name = name.strip() or "API token"
    if len(name) > 100:
        raise InvalidInput("token name must be at most 100 characters", field="name")
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise InvalidInput(f"a token works for 1 to {MAX_TOKEN_DAYS} days", field="expires_in_days")
    raw = new_token(TOKEN_PREFIX)
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=digest(raw),
        prefix=raw[:10],
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(token)
    session.flush()
    record(
        session,
        actor,
        action="token.create",
        object_type="api_token",
        object_id=token.id,
        details={"user_id": user.id, "name": name, "days": days},
        at=now,
    )
    return token, raw


def list_tokens(session: Session, user_id: int) -> Sequence[ApiToken]:
    return session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
    ).all()


def revoke_token(
    session: Session, actor: Actor, *, user_id: int, token_id: int, now: datetime
) -> None:
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id:
        raise NotFound(f"no API token {token_id}")
    if token.revoked_at is not None:
        raise Conflict(f"API token {token.prefix}... is already revoked")
    token.revoked_at = now
    record(
        session, actor, action="token.revoke", object_type="api_token", object_id=token.id, at=now
    )


def principal_for_token(session: Session, raw: str, *, now: datetime) -> Principal | None:
    """The principal of a live API token, in one statement; None for an unknown, revoked or
    expired token or a disabled person."""
    rows = _rows(session, _TOKEN_PRINCIPAL, digest(raw))
    if not rows or rows[0].revoked_at is not None or now >= rows[0].expires_at:
        return None
    token = rows[0]
    principal = _principal_from_rows(rows, via_token=True)
    if principal is not None:
        principal.token_id = token.token_id
        principal.needs_touch = (
            token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY
        )
    return principal
