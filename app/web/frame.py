"""What every page shows around its content (the unread count in the top bar, the current
round's banner), read by code before the template renders: templates never query the database.

Features contribute a provider each (registered by app/main.py, the one place that knows them
all); this module knows none of them. A provider reads through the request's own session and
returns the names it adds to the page's `frame`.
"""

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from app.principal import Principal

FrameProvider = Callable[[Session, Principal, datetime], Mapping[str, Any]]


def frame(request: Request) -> dict[str, Any]:
    """The frame of this request's page; empty where nobody is signed in or the request's
    session is closed (the log-in page, error pages)."""
    principal: Principal | None = getattr(request.state, "principal", None)
    session: Session | None = getattr(request.state, "db", None)
    if principal is None or session is None:
        return {}
    providers: list[FrameProvider] = getattr(request.app.state, "frame_providers", [])
    now: datetime = request.app.state.clock()
    out: dict[str, Any] = {}
    for provide in providers:
        out.update(provide(session, principal, now))
    return out
