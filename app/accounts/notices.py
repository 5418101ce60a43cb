"""Security notices: a mail, at once, when something changes how a person gets into their
account (password changed or reset, second factor set up, removed or reset), so that they notice
a change they did not make. Account mail: sent whatever their mail preference says.

A notice never stops the change it tells of: an address no mail can go to (the command line
takes any address with an @, such as root@localhost) gets no notice, and the change is made."""

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.config import Settings
from app.mail.compose import compose
from app.mail.outbox import enqueue, valid_address
from app.models import User
from app.timezones import known_zone, zone_label

log = logging.getLogger("zerodraft.mail")

# What happened, as the mail's subject and first sentence say it.
EVENTS = {
    "password_changed": "Your password was changed",
    "password_reset": "Your password was reset",
    "second_factor_added": "A second factor was set up on your account",
    "second_factor_removed": "A second factor was removed from your account",
    "second_factor_reset": "Your second factor was reset by an administrator",
    "recovery_codes_renewed": "New recovery codes were made for your account",
}


def local_time(user: User, now: datetime, settings: Settings) -> str:
    """`now` as the person reads it: '02 March 2026, 16:00 WIB (UTC+7)'."""
    zone = known_zone(user.time_zone) or settings.zone
    local = now.astimezone(zone)
    return f"{local:%d %B %Y, %H:%M} {zone_label(local)}"


def account_notice(
    session: Session, user: User, template: str, *, now: datetime, **context: Any
) -> None:
    """Queue the account mail `template` (app/templates/mail) to `user`, at once."""
    if not valid_address(user.email):
        log.warning("no %s mail for user %s: %r is not an address", template, user.id, user.email)
        return
    mail = compose(template, **context)
    enqueue(
        session,
        to=user.email,
        subject=mail.subject,
        text=mail.text,
        html=mail.html,
        kind="security_notice",
        user_id=user.id,
        now=now,
    )


def security_notice(
    session: Session,
    user: User,
    *,
    what: str,
    ip: str | None,
    now: datetime,
    settings: Settings,
    detail: str | None = None,
) -> None:
    """Queue the notice `what` (a key of EVENTS) to `user`."""
    base = settings.base_url.rstrip("/")
    account_notice(
        session,
        user,
        "security_notice",
        now=now,
        person=user.name,
        event=EVENTS[what],
        detail=detail,
        when=local_time(user, now, settings),
        ip=ip,
        group=settings.working_group_name,
        forgot_url=f"{base}/password/forgot",
        account_url=f"{base}/account",
    )
