"""A person's own account: their name, time zone and mail preference, and their sessions.

The sessions a person sees are named by a short handle (the start of the stored digest), never
by the digest itself, which is the session's key.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.accounts.invitations import MAX_NAME_LENGTH
from app.accounts.password_service import end_other_sessions
from app.audit.service import Actor, record
from app.config import Settings
from app.errors import InvalidInput, NotFound
from app.models import AuthSession, MailFrequency, User
from app.timezones import choosable_zones

HANDLE_LENGTH = 16
_UNSET: Any = object()


def update_profile(
    session: Session,
    actor: Actor,
    *,
    user: User,
    name: str | None = None,
    time_zone: str | None = _UNSET,
    mail_frequency: MailFrequency | str | None = None,
    now: datetime,
) -> dict[str, Any]:
    """Change what is given (a time zone of None or "": the group's); returns what changed,
    which is also what the audit event records."""
    changes: dict[str, Any] = {}
    if name is not None:
        clean = " ".join(name.split())
        if not clean:
            raise InvalidInput("name must not be empty", field="name")
        if len(clean) > MAX_NAME_LENGTH:
            raise InvalidInput(f"name must be at most {MAX_NAME_LENGTH} characters", field="name")
        if clean != user.name:
            changes["name"] = clean
    if time_zone is not _UNSET:
        zone = (time_zone or "").strip() or None
        if zone is not None and zone not in choosable_zones():
            raise InvalidInput(
                f"{zone!r} is not a time zone; choose one from the list (e.g. Asia/Manila)",
                field="time_zone",
            )
        if zone != user.time_zone:
            changes["time_zone"] = zone
    if mail_frequency is not None:
        try:
            frequency = MailFrequency(mail_frequency)
        except ValueError:
            known = ", ".join(f.value for f in MailFrequency)
            raise InvalidInput(
                f"{mail_frequency!r} is not a mail preference; use one of {known}",
                field="mail_frequency",
            ) from None
        if frequency is not user.mail_frequency:
            changes["mail_frequency"] = frequency
    if not changes:
        return changes
    for key, value in changes.items():
        setattr(user, key, value)
    record(
        session,
        actor,
        action="user.profile_update",
        object_type="user",
        object_id=user.id,
        details={k: getattr(v, "value", v) for k, v in changes.items()},
        at=now,
    )
    return changes


@dataclass(frozen=True, slots=True)
class SessionRow:
    handle: str
    created_at: datetime
    last_seen_at: datetime
    browser: str
    ip: str | None
    second_factor: str | None
    current: bool


def browser_name(user_agent: str | None) -> str:
    """A short, human name for a user agent: 'Firefox on Windows'."""
    if not user_agent:
        return "Unknown browser"
    ua = user_agent
    browser = next(
        (
            label
            for token, label in (
                ("Edg/", "Edge"),
                ("OPR/", "Opera"),
                ("Firefox/", "Firefox"),
                ("Chrome/", "Chrome"),
                ("Chromium/", "Chromium"),
                ("Safari/", "Safari"),
                ("python-httpx", "A script (httpx)"),
                ("testclient", "A script"),
                ("curl/", "curl"),
            )
            if token in ua
        ),
        None,
    )
    system = next(
        (
            label
            for token, label in (
                ("Windows", "Windows"),
                ("Android", "Android"),
                ("iPhone", "iPhone"),
                ("iPad", "iPad"),
                ("Mac OS X", "macOS"),
                ("CrOS", "ChromeOS"),
                ("Linux", "Linux"),
            )
            if token in ua
        ),
        None,
    )
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or (ua[:60] + ("…" if len(ua) > 60 else ""))


def live_sessions(
    session: Session, user_id: int, *, current: str | None, now: datetime, settings: Settings
) -> Sequence[SessionRow]:
    """The person's sessions that still let someone in, the newest activity first."""
    idle = timedelta(minutes=settings.session_idle_minutes)
    rows = session.scalars(
        select(AuthSession)
        .where(
            AuthSession.user_id == user_id,
            AuthSession.ended_at.is_(None),
            AuthSession.expires_at > now,
            AuthSession.last_seen_at > now - idle,
        )
        .order_by(AuthSession.last_seen_at.desc(), AuthSession.created_at.desc())
    ).all()
    return [
        SessionRow(
            handle=s.id[:HANDLE_LENGTH],
            created_at=s.created_at,
            last_seen_at=s.last_seen_at,
            browser=browser_name(s.user_agent),
            ip=s.ip,
            second_factor=s.second_factor,
            current=s.id == current,
        )
        for s in rows
    ]


def end_session(
    session: Session, actor: Actor, *, user_id: int, handle: str, current: str | None, now: datetime
) -> None:
    """End one of the person's own sessions (not the one they are using: that is log-out)."""
    handle = handle.strip().lower()
    if len(handle) != HANDLE_LENGTH or any(c not in "0123456789abcdef" for c in handle):
        raise NotFound("no such session", field="session")
    target = session.scalar(
        select(AuthSession).where(
            AuthSession.user_id == user_id,
            AuthSession.id.startswith(handle, autoescape=True),
            AuthSession.ended_at.is_(None),
        )
    )
    if target is None:
        raise NotFound("that session has already ended", field="session")
    if target.id == current:
        raise InvalidInput("to end the session you are using, log out", field="session")
    session.execute(update(AuthSession).where(AuthSession.id == target.id).values(ended_at=now))
    record(
        session,
        actor,
        action="session.end",
        object_type="user",
        object_id=user_id,
        details={"session": handle},
        at=now,
    )


def end_all_other_sessions(
    session: Session, actor: Actor, *, user_id: int, current: str | None, now: datetime
) -> int:
    ended = end_other_sessions(session, user_id, keep=current, now=now)
    if ended:
        record(
            session,
            actor,
            action="session.end_others",
            object_type="user",
            object_id=user_id,
            details={"ended": ended},
            at=now,
        )
    return ended
