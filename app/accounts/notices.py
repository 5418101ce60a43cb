"""Security notices: a mail, at once, when something changes how a person gets into their
account (password changed or reset, second factor set up or removed), so that they notice a
change they did not make. Account mail: sent whatever their mail preference says."""

from datetime import datetime

from sqlalchemy.orm import Session

from app.config import Settings
from app.mail.compose import compose
from app.mail.outbox import enqueue
from app.models import User
from app.timezones import known_zone, zone_label

# What happened, as the mail's subject and first sentence say it.
EVENTS = {
    "password_changed": "Your password was changed",
    "password_reset": "Your password was reset",
    "second_factor_added": "A second factor was set up on your account",
    "second_factor_removed": "A second factor was removed from your account",
    "second_factor_reset": "Your second factor was reset by an administrator",
    "recovery_codes_renewed": "New recovery codes were made for your account",
}


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
    zone = known_zone(user.time_zone) or settings.zone
    local = now.astimezone(zone)
    base = settings.base_url.rstrip("/")
    mail = compose(
        "security_notice",
        person=user.name,
        event=EVENTS[what],
        detail=detail,
        when=f"{local:%d %B %Y, %H:%M} {zone_label(local)}",
        ip=ip,
        group=settings.working_group_name,
        forgot_url=f"{base}/password/forgot",
        account_url=f"{base}/account",
    )
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
