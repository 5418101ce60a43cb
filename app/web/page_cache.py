"""Whole signed-in pages, answered again without the framework while nothing they show changed.

Forty delegates who open the register and the indicators at the start of a meeting ask for the
same pages again and again while nothing changes. app/web/cache.py keeps the expensive middle of
those pages; this keeps, for each session, its last answer for each such page (path and query),
and gives it again after one trip to the database that shows nothing the page depends on
changed since:

- the session is live, not due for its periodic touch, and belongs to the same principal (user,
  name, role, delegations, acting delegation, CSRF token), read with the statement every
  request's log-in check uses (app/accounts/service.py);
- the content version (newest audit event id and chain hash; see app/web/cache.py) is the same;
- the person's unread notification count, shown in the top bar, is the same;
- the clock has not reached the moment when the round banner's "time left" would read otherwise.

Any difference, or no entry, and the request goes down the ordinary path (routing, permission
check, handler), which renders the page and stores it again. An entry is only ever a copy of
what that path answered the same session, and it is given only after the database confirmed
every value it was rendered with: nothing that matters lives in process memory, and each app
instance behind a load balancer keeps its own copies and asks the same database.
"""

import logging
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import State
from starlette.requests import Request, cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from app.accounts import service as accounts
from app.accounts.passwords import digest
from app.accounts.service import Principal
from app.models import AuditEvent, Notification, User
from app.web.deps import SESSION_COOKIE
from app.web.lru import BoundedCache

log = logging.getLogger("zerodraft")

# Each session's last answer for each page: the register list is the largest (~400 KB with 500
# indicators), so 64 MB holds it for well over a hundred sessions besides the indicator pages.
MAX_ENTRIES = 5_000
MAX_BYTES = 64 * 1024 * 1024


_NEWEST = select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)


def content_version(db: Session | Connection) -> tuple[int, str]:
    """The newest audit event (app/web/cache.py): read first in a request, before the data it
    renders."""
    row = db.execute(_NEWEST).first()
    return (0, "") if row is None else (row[0], row[1])


# What the parts of base.html around a page's main block showed this request, noted by the
# functions that render them (app/notifications/pages.py, app/rounds/pages.py).


def note_unread(request: Request, count: int) -> None:
    request.state.unread_shown = count


def shown_unread(request: Request) -> int | None:
    count: int | None = getattr(request.state, "unread_shown", None)
    return count


def note_fresh_until(request: Request, moment: datetime | None) -> None:
    request.state.fresh_until = moment


def fresh_until(request: Request) -> datetime | None:
    moment: datetime | None = getattr(request.state, "fresh_until", None)
    return moment


@dataclass(frozen=True, slots=True)
class Page:
    validators: tuple[Any, ...]  # what `current` must give again for the page to be the same
    fresh_until: datetime | None  # when the page's clock-dependent text changes
    content_type: bytes
    body: bytes

    @property
    def size(self) -> int:
        return len(self.body)


class PageStore(BoundedCache[Page]):
    replayed = 0  # answers given from the store (hits counts entries found, confirmed or not)


def store_of(state: State) -> PageStore:
    store: PageStore = state.pages
    return store


def new_store(enabled: bool) -> PageStore:
    # Disabled: a store that keeps nothing (every entry is larger than its byte bound).
    return PageStore(MAX_ENTRIES, MAX_BYTES) if enabled else PageStore(0, 0)


def key_of(path: str, query: bytes, session_id: str) -> Hashable:
    return (path, query, session_id)


def fingerprint(principal: Principal) -> tuple[Any, ...]:
    """Everything about the signed-in person that any part of a page may show or depend on."""
    return (
        principal.user_id,
        principal.email,
        principal.name,
        principal.role,
        tuple(principal.delegations),
        principal.acting_delegation_id,
        principal.session_id,
        principal.csrf_token,
    )


def validators(
    principal: Principal, version: tuple[int, str], unread: int | None
) -> tuple[Any, ...]:
    return (fingerprint(principal), version, unread)


# The session log-in check, with what the page shows beyond its person: the content version
# and the unread count. One statement: consistent on both engines, and one trip to the database.
_CURRENT = accounts.session_statement_with(
    _NEWEST.with_only_columns(AuditEvent.id).scalar_subquery(),
    _NEWEST.with_only_columns(AuditEvent.hash).scalar_subquery(),
    select(func.count())
    .select_from(Notification)
    .where(Notification.user_id == User.id, Notification.read_at.is_(None))
    .scalar_subquery(),
)


def current(state: State, cookie: str, now: datetime) -> tuple[Any, ...] | None:
    """The validators as the database has them now; None where the ordinary path must answer
    (no live session, or one due for its periodic touch)."""
    with state.database.one_read() as conn:
        principal, more = accounts.session_principal_with(
            conn, _CURRENT, cookie, now, state.settings
        )
    if principal is None or principal.needs_touch:
        return None
    newest_id, newest_hash, unread = more
    version = (0, "") if newest_id is None else (newest_id, newest_hash)
    return validators(principal, version, unread)


def remember(
    request: Request,
    principal: Principal,
    version: tuple[int, str],
    unread: int | None,
    fresh_until: datetime | None,
    body: bytes,
    content_type: bytes = b"text/html; charset=utf-8",
) -> None:
    """Keep a page this session was just answered, with the values it was rendered from."""
    if principal.session_id is None or principal.via_token:
        return
    if fresh_until is not None and fresh_until <= request.app.state.clock():
        return
    key = key_of(request.scope["path"], request.scope["query_string"], principal.session_id)
    entry = Page(validators(principal, version, unread), fresh_until, content_type, body)
    store_of(request.app.state).put(key, entry)


def _session_cookie(scope: Scope) -> str | None:
    """The session cookie as the ordinary path reads it (every Cookie header merged, the last
    value winning); None where that path would not go by the cookie: an Authorization header
    makes it authenticate by the token alone."""
    cookies: dict[str, str] = {}
    for name, value in scope["headers"]:
        if name == b"authorization":
            return None
        if name == b"cookie":
            cookies.update(cookie_parser(value.decode("latin-1")))
    return cookies.get(SESSION_COOKIE) or None


class PageCache:
    """Pure ASGI middleware: a GET for a page this session was answered before, answered again
    from the store when `current` confirms it; everything else passes through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            page = await self._replay(scope)
            if page is not None:
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": [
                            (b"content-type", page.content_type),
                            (b"content-length", str(len(page.body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": page.body})
                return
        await self.app(scope, receive, send)

    async def _replay(self, scope: Scope) -> Page | None:
        cookie = _session_cookie(scope)
        if cookie is None:
            return None
        state: State = scope["app"].state
        store = store_of(state)
        key = key_of(scope["path"], scope["query_string"], digest(cookie))
        page = store.get(key)
        if page is None:
            return None
        now: datetime = state.clock()
        if page.fresh_until is not None and now >= page.fresh_until:
            return None
        try:
            found = await run_in_threadpool(current, state, cookie, now)
        except Exception:
            # Never fatal here (this runs outside the app's error handlers): the ordinary path
            # answers, with its 503 if the database is gone.
            log.warning("page replay check failed; answering the ordinary way", exc_info=True)
            return None
        if found != page.validators:
            return None
        store.replayed += 1
        return page
