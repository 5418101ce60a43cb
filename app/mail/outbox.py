"""Writing mail: a row in the outbox, in the caller's transaction.

A use case that must tell someone by mail calls `enqueue` in the same transaction as the change:
both commit or neither does. The worker (app/mail/worker.py) delivers what is due.
"""

import unicodedata
from datetime import datetime
from email.utils import parseaddr
from typing import Any

from sqlalchemy.orm import Session

from app.errors import InvalidInput
from app.models import OutboxMessage, OutboxState


def valid_address(address: str) -> bool:
    """A plausible single mailbox: local@domain.tld, no spaces, display names or line breaks.
    No invisible characters either (Unicode separators, controls and format characters such as
    U+2028, NEL, a zero-width space or a right-to-left override): no mail can go to such an
    address, and on a page it would look like another (an admin's address with a zero-width
    space in it) or read backwards."""
    address = address.strip()
    if not address or len(address) > 254 or any(c in address for c in " \t\r\n<>,;\"'\\"):
        return False
    if any(unicodedata.category(c)[0] in "CZ" for c in address):
        return False
    _, parsed = parseaddr(address)
    if parsed != address or address.count("@") != 1:
        return False
    local, domain = address.split("@")
    return bool(local) and len(local) <= 64 and "." in domain.strip(".") and ".." not in domain


def enqueue(
    session: Session,
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    kind: str,
    user_id: int | None = None,
    headers: dict[str, Any] | None = None,
    now: datetime,
) -> OutboxMessage:
    """Queue one mail for delivery as soon as the worker runs."""
    if not valid_address(to):
        raise InvalidInput(f"{to!r} is not an e-mail address", field="email")
    message = OutboxMessage(
        created_at=now,
        kind=kind,
        to_address=to.strip(),
        user_id=user_id,
        subject=" ".join(subject.split())[:300],
        text_body=text,
        html_body=html,
        headers=dict(headers or {}),
        state=OutboxState.PENDING,
        attempts=0,
        next_attempt_at=now,
    )
    session.add(message)
    return message
