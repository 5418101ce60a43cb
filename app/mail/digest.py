"""Notifications by mail, as each person chose (User.mail_frequency); run by the worker.

- immediate: one mail per notification, as soon as the worker sees it;
- daily (the default): one digest a day, at 08:00 in the person's time zone (the group's when
  they chose none), of what came since the last one;
- weekly: one digest on Mondays at 08:00, likewise;
- none: no mail; the notifications are only marked as dealt with.

A notification read in the app before its mail was written is not mailed. Every mail has a
plain-text part, an HTML part and a one-click unsubscribe (RFC 8058): a link signed with the
secret key, which sets the person's preference to none (app/mail/pages.py).

Each notification is mailed once, whichever worker gets there: its mailed_at is set in the same
transaction as the outbox row, and the rows are taken with `FOR UPDATE SKIP LOCKED` on
PostgreSQL (SQLite's write transaction serialises workers).
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import Database
from app.errors import InvalidInput
from app.mail.compose import compose
from app.mail.outbox import enqueue
from app.models import MailFrequency, Notification, User
from app.signing import sign

log = logging.getLogger("zerodraft.mail")

DIGEST_HOUR = 8  # local time of the person
DIGEST_WEEKDAY = 0  # Monday
LISTED = 50  # notifications listed in one digest; the rest are on the notifications page
IMMEDIATE_BATCH = 200
UNSUBSCRIBE = "unsubscribe"  # the signing purpose of unsubscribe links


# --- Unsubscribing --------------------------------------------------------------------------


def unsubscribe_url(settings: Settings, user_id: int) -> str:
    token = sign(settings.secret_key, UNSUBSCRIBE, str(user_id))
    return f"{settings.base_url}/mail/unsubscribe/{token}"


def list_headers(settings: Settings, user_id: int) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: a mail program may POST to the link at once."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(settings, user_id)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


# --- When a digest is due -------------------------------------------------------------------


def zone_of(user_zone: str | None, settings: Settings) -> ZoneInfo:
    if user_zone:
        try:
            return ZoneInfo(user_zone)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return settings.zone


def digest_moment(now: datetime, zone: ZoneInfo, frequency: MailFrequency) -> datetime:
    """The latest moment at or before `now` when a digest of this frequency goes out: today's
    (or yesterday's) 08:00 local time, or for a weekly digest the last Monday's."""
    local = now.astimezone(zone)
    moment = local.replace(hour=DIGEST_HOUR, minute=0, second=0, microsecond=0)
    if moment > local:
        moment -= timedelta(days=1)
    if frequency is MailFrequency.WEEKLY:
        moment -= timedelta(days=(moment.weekday() - DIGEST_WEEKDAY) % 7)
    # Arithmetic on a local time keeps the wall clock (08:00) across a change of offset.
    return moment.replace(tzinfo=zone).astimezone(now.tzinfo)


def digest_due(
    oldest_waiting: datetime, now: datetime, zone: ZoneInfo, frequency: MailFrequency
) -> bool:
    """A digest goes out at each digest moment that a notification has been waiting for."""
    return oldest_waiting < digest_moment(now, zone, frequency)


# --- Writing the mails ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Listed:
    """A notification as a mail shows it."""

    message: str
    next_step: str
    url: str
    created_at: datetime


def _listed(settings: Settings, notes: Sequence[Notification], zone: ZoneInfo) -> list[Listed]:
    return [
        Listed(
            n.message,
            n.next_step or "",
            # Through the notifications page, so that opening it from the mail marks it read.
            f"{settings.base_url}/notifications/{n.id}/open",
            n.created_at.astimezone(zone),
        )
        for n in notes
    ]


def _common(settings: Settings, user: User) -> dict[str, Any]:
    return {
        "person": user.name,
        "group": settings.working_group_name,
        "preference": user.mail_frequency.label,
        "account_url": f"{settings.base_url}/account",
        "notifications_url": f"{settings.base_url}/notifications",
        "unsubscribe_url": unsubscribe_url(settings, user.id),
    }


def _enqueue(
    session: Session,
    settings: Settings,
    user: User,
    kind: str,
    name: str,
    now: datetime,
    **context: Any,
) -> bool:
    mail = compose(name, **(_common(settings, user) | context))
    try:
        enqueue(
            session,
            to=user.email,
            subject=mail.subject,
            text=mail.text,
            html=mail.html,
            kind=kind,
            user_id=user.id,
            headers=list_headers(settings, user.id),
            now=now,
        )
    except InvalidInput:
        log.warning("no notification mail for user %s: %r is not an address", user.id, user.email)
        return False
    return True


# --- The job --------------------------------------------------------------------------------


@dataclass(slots=True)
class Mailing:
    """What one pass did."""

    immediate: int = 0
    digests: int = 0

    def lines(self) -> list[str]:
        if not (self.immediate or self.digests):
            return []
        return [
            f"notifications: {self.immediate} mailed one by one, {self.digests} digest(s) written"
        ]


def mail_notifications(database: Database, settings: Settings, now: datetime) -> Mailing:
    done = Mailing()
    _settle_unmailed(database, now)
    done.immediate = _immediate(database, settings, now)
    done.digests = _digests(database, settings, now)
    return done


def _settle_unmailed(database: Database, now: datetime) -> None:
    """Notifications of people who want no mail, or whose account is disabled, are dealt with."""
    quiet = select(User.id).where(
        or_(User.mail_frequency == MailFrequency.NONE, User.is_active.is_(False))
    )
    with database.transaction(write=True) as session:
        session.execute(
            update(Notification)
            .where(Notification.mailed_at.is_(None), Notification.user_id.in_(quiet))
            .values(mailed_at=now)
        )


def _immediate(database: Database, settings: Settings, now: datetime) -> int:
    mailed = 0
    while True:
        with database.transaction(write=True) as session:
            rows = session.execute(
                select(Notification, User)
                .join(User, User.id == Notification.user_id)
                .where(
                    Notification.mailed_at.is_(None),
                    User.mail_frequency == MailFrequency.IMMEDIATE,
                    User.is_active.is_(True),
                )
                .order_by(Notification.id)
                .limit(IMMEDIATE_BATCH)
                .with_for_update(of=Notification, skip_locked=True)
            ).all()
            for note, user in rows:
                if note.read_at is None:
                    zone = zone_of(user.time_zone, settings)
                    mailed += _enqueue(
                        session,
                        settings,
                        user,
                        "notification",
                        "notification",
                        now,
                        note=_listed(settings, [note], zone)[0],
                    )
                note.mailed_at = now
        if len(rows) < IMMEDIATE_BATCH:
            return mailed


def _digests(database: Database, settings: Settings, now: datetime) -> int:
    with database.transaction(write=False) as session:
        waiting = session.execute(
            select(User.id, User.mail_frequency, User.time_zone, func.min(Notification.created_at))
            .join(Notification, Notification.user_id == User.id)
            .where(
                Notification.mailed_at.is_(None),
                User.mail_frequency.in_([MailFrequency.DAILY, MailFrequency.WEEKLY]),
                User.is_active.is_(True),
            )
            .group_by(User.id, User.mail_frequency, User.time_zone)
        ).all()
    due = [
        user_id
        for user_id, frequency, zone, oldest in waiting
        if digest_due(oldest, now, zone_of(zone, settings), frequency)
    ]
    return sum(_digest_for(database, settings, user_id, now) for user_id in due)


def _digest_for(database: Database, settings: Settings, user_id: int, now: datetime) -> int:
    with database.transaction(write=True) as session:
        user = session.scalar(
            select(User).where(User.id == user_id).with_for_update(skip_locked=True)
        )
        if user is None:
            return 0  # another worker is writing this person's digest
        notes = session.scalars(
            select(Notification)
            .where(Notification.user_id == user_id, Notification.mailed_at.is_(None))
            .order_by(Notification.id)
        ).all()
        zone = zone_of(user.time_zone, settings)
        # Looked at again under the lock: another worker may have just sent it, or the person
        # changed their preference meanwhile.
        if (
            not notes
            or user.mail_frequency not in (MailFrequency.DAILY, MailFrequency.WEEKLY)
            or not digest_due(min(n.created_at for n in notes), now, zone, user.mail_frequency)
        ):
            return 0
        unread = [n for n in notes if n.read_at is None]
        sent = 0
        if unread:
            since = user.last_digest_at or min(n.created_at for n in unread)
            sent = _enqueue(
                session,
                settings,
                user,
                "digest",
                "digest",
                now,
                notes=_listed(settings, unread[-LISTED:], zone),
                count=len(unread),
                more=max(len(unread) - LISTED, 0),
                weekly=user.mail_frequency is MailFrequency.WEEKLY,
                since=since.astimezone(zone),
            )
            user.last_digest_at = now
        for note in notes:
            note.mailed_at = now
        return int(sent)
