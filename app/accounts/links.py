"""One-time links sent by mail: invitations (7 days) and password resets (1 hour).

The token is 256 random bits, shown once in the mail; only its SHA-256 is stored, and it is
looked up by that digest (an index lookup on a hash is not a timing oracle for the token). A
link works once, until it expires, and a newer link of the same purpose revokes older ones.
"""

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.accounts.passwords import digest, new_token
from app.errors import InvalidInput
from app.models import AccountLink, LinkPurpose, User

LIFETIME = {
    LinkPurpose.INVITATION: timedelta(days=7),
    LinkPurpose.PASSWORD_RESET: timedelta(hours=1),
}
PATH = {
    LinkPurpose.INVITATION: "/invitation/",
    LinkPurpose.PASSWORD_RESET: "/password/reset/",
}


def issue(
    session: Session,
    user: User,
    purpose: LinkPurpose,
    *,
    now: datetime,
    created_by: int | None = None,
) -> str:
    """A new link's token (to put in a mail); older unused links of the purpose stop working."""
    session.execute(
        update(AccountLink)
        .where(
            AccountLink.user_id == user.id,
            AccountLink.purpose == purpose,
            AccountLink.used_at.is_(None),
            AccountLink.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    token = new_token()
    session.add(
        AccountLink(
            user_id=user.id,
            purpose=purpose,
            token_hash=digest(token),
            created_at=now,
            expires_at=now + LIFETIME[purpose],
            created_by_id=created_by,
        )
    )
    return token


def url(base_url: str, purpose: LinkPurpose, token: str) -> str:
    return f"{base_url.rstrip('/')}{PATH[purpose]}{token}"


def find(session: Session, token: str, purpose: LinkPurpose, *, now: datetime) -> AccountLink:
    """The usable link for a token, or InvalidInput saying plainly why it cannot be used."""
    link = None
    if 20 <= len(token) <= 200:
        link = session.scalar(
            select(AccountLink).where(
                AccountLink.token_hash == digest(token), AccountLink.purpose == purpose
            )
        )
    what = "invitation" if purpose is LinkPurpose.INVITATION else "password reset link"
    if link is None:
        raise InvalidInput(
            f"this {what} is not valid; check that the whole link was copied from the mail",
            field="token",
        )
    if link.used_at is not None:
        raise InvalidInput(f"this {what} has already been used", field="token")
    if link.revoked_at is not None:
        raise InvalidInput(
            f"this {what} was replaced by a newer one; use the link in the latest mail",
            field="token",
        )
    if now >= link.expires_at:
        raise InvalidInput(f"this {what} has expired; ask for a new one", field="token")
    return link


def consume(session: Session, link: AccountLink, *, now: datetime) -> None:
    """Use the link up, guarded so that two simultaneous uses cannot both succeed."""
    done = session.execute(
        update(AccountLink)
        .where(AccountLink.id == link.id, AccountLink.used_at.is_(None))
        .values(used_at=now)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidInput("this link has already been used", field="token")
    link.used_at = now
