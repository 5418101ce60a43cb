"""Whole answers to signed-in GETs, given again without the framework while nothing they show
changed: the register list and indicator pages, and the API's register list, indicator,
proposals and comments (the handlers `mark` them).

Forty delegates who open the register and the indicators at the start of a meeting, and the
scripts that poll the API, ask for the same things again and again while nothing changes.
app/web/cache.py keeps the expensive middle of the pages; this keeps, for each session or API
token, its last answer for each such address (path and query string), and gives it again after
one trip to the database that shows nothing the answer depends on changed since:

- the session or token is live, not due for its periodic touch, and belongs to the same
  principal (user, name, role, delegations, acting delegation, CSRF token), read with the
  statement every request's log-in check uses (app/accounts/service.py);
- the content version (newest audit event id and chain hash; see app/web/cache.py) is the same;
- the unread notification count, where the answer shows it (the pages' top bar), is the same;
- the clock has not reached the moment when the round banner's "time left" would read otherwise.

Any difference, no entry, or a request the ordinary path would treat differently (another
method, a conditional request) goes down the ordinary path (routing, permission check, handler),
whose answer is kept again on its way out. An entry is only ever a copy of what that path
answered the same session or token, and it is given only after the database confirmed every
value it was rendered from: nothing that matters lives in process memory, and each app instance
behind a load balancer keeps its own copies and asks the same database.
"""

import logging
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import State
from starlette.requests import Request, cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.accounts import service as accounts
from app.accounts.passwords import digest
from app.accounts.service import Principal
from app.models import AuditEvent, Notification, User
from app.web.deps import SESSION_COOKIE
from app.web.lru import BoundedCache

log = logging.getLogger("zerodraft")

# Each session's or token's last answer for each address: the register list page is the largest
# (~400 KB with 500 indicators), so 64 MB holds it for well over a hundred sessions besides the
# indicator pages and the API's answers.
MAX_ENTRIES = 5_000
MAX_BYTES = 64 * 1024 * 1024


_NEWEST = select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)


def content_version(db: Session) -> tuple[int, str]:
    """The newest audit event (app/web/cache.py): read first in a request, before the data it
    renders."""
    row = db.execute(_NEWEST).first()
    return (0, "") if row is None else (row[0], row[1])


# What the parts of base.html around a page's main block showed this request, noted by the
# functions that render them (app/notifications/pages.py, app/rounds/pages.py).


def note_unread(request: Request, count: int) -> None:
    request.state.unread_shown = count


def note_fresh_until(request: Request, moment: datetime | None) -> None:
    request.state.fresh_until = moment


@dataclass(frozen=True, slots=True)
class Page:
    principal: tuple[Any, ...]  # fingerprint() of who it was answered to
    version: tuple[int, str]  # the content version it was rendered from
    unread: int | None  # the unread count it shows (None: it shows none)
    fresh_until: datetime | None  # when its clock-dependent text changes
    headers: tuple[tuple[bytes, bytes], ...]  # as the ordinary path sent them
    body: bytes

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers)


@dataclass(frozen=True, slots=True)
class Current:
    """What the database says now, for the credentials of a request."""

    principal: tuple[Any, ...]
    version: tuple[int, str]
    unread: int

    def confirms(self, page: Page) -> bool:
        return (
            self.principal == page.principal
            and self.version == page.version
            and (page.unread is None or page.unread == self.unread)
        )


class PageStore(BoundedCache[Page]):
    replayed = 0  # answers given from the store (hits counts entries found, confirmed or not)


def store_of(state: State) -> PageStore:
    store: PageStore = state.pages
    return store


def new_store(enabled: bool) -> PageStore:
    # Disabled: a store that keeps nothing (every entry is larger than its byte bound).
    return PageStore(MAX_ENTRIES, MAX_BYTES) if enabled else PageStore(0, 0)


def fingerprint(principal: Principal) -> tuple[Any, ...]:
    """Everything about the signed-in person that any part of an answer may show or depend on,
    with the session or token it came through."""
    return (
        principal.user_id,
        principal.email,
        principal.name,
        principal.role,
        tuple(principal.delegations),
        principal.acting_delegation_id,
        principal.session_id,
        principal.csrf_token,
        principal.token_id,
        principal.time_zone,
    )


# --- Marking an answer as one that may be replayed --------------------------------------------

_MARK = "replayable"


@dataclass(frozen=True, slots=True)
class _Mark:
    principal: tuple[Any, ...]
    version: tuple[int, str]


def mark(request: Request, principal: Principal, version: tuple[int, str]) -> None:
    """This request's answer depends only on `principal` and the content `version` (read before
    any of the data it shows), and on what base.html around a page notes (unread count, banner):
    if it is a 200, keep it for this session or token."""
    request.state.replayable = _Mark(fingerprint(principal), version)


def replayable(request: Request, db: Session, principal: Principal) -> None:
    """For a read handler whose answer is a function of the database's content and of who
    asks: reads the content version (first, before the data) and marks the answer. Nothing to
    read with the page cache off: no answer is kept."""
    if request.app.state.settings.page_cache:
        mark(request, principal, content_version(db))


# --- The check: one statement --------------------------------------------------------------

# The log-in check of a session or a token, with the content version and the unread count as
# scalar subqueries: one statement, consistent on both engines, one trip to the database.
_MORE = (
    _NEWEST.with_only_columns(AuditEvent.id).scalar_subquery(),
    _NEWEST.with_only_columns(AuditEvent.hash).scalar_subquery(),
    select(func.count())
    .select_from(Notification)
    .where(Notification.user_id == User.id, Notification.read_at.is_(None))
    .scalar_subquery(),
)
_SESSION_CHECK = accounts.session_statement_with(*_MORE)
_TOKEN_CHECK = accounts.token_statement_with(*_MORE)

SESSION, TOKEN = "session", "token"
Credentials = tuple[str, str]  # (SESSION or TOKEN, the cookie's or the token's value)


def current(state: State, credentials: Credentials, now: datetime) -> Current | None:
    """What the database has now for these credentials; None where the ordinary path must
    answer (no live session or token, or one due for its periodic touch)."""
    kind, secret = credentials
    with state.database.one_read() as conn:
        if kind == SESSION:
            principal, more = accounts.session_principal_with(
                conn, _SESSION_CHECK, secret, now, state.settings
            )
        else:
            principal, more = accounts.token_principal_with(conn, _TOKEN_CHECK, secret, now)
    if principal is None or principal.needs_touch:
        return None
    newest_id, newest_hash, unread = more
    version = (0, "") if newest_id is None else (newest_id, newest_hash)
    return Current(fingerprint(principal), version, unread)


def credentials_of(scope: Scope) -> Credentials | None:
    """The credentials as the ordinary path reads them (app/web/deps.py authenticate): a
    non-empty Authorization header alone if there is one (a bearer token), else the session
    cookie (every Cookie header merged, the last value winning). None for anything else, and
    for conditional requests (If-None-Match: the ordinary path may answer 304)."""
    cookies: dict[str, str] = {}
    authorization: str | None = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            if authorization is None:
                authorization = value.decode("latin-1")
        elif name == b"cookie":
            cookies.update(cookie_parser(value.decode("latin-1")))
        elif name in (b"if-none-match", b"if-modified-since"):
            return None
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return (TOKEN, token.strip())
    cookie = cookies.get(SESSION_COOKIE)
    return (SESSION, cookie) if cookie else None


def key_of(scope: Scope, credentials: Credentials) -> Hashable:
    kind, secret = credentials
    return (scope["path"], scope["query_string"], kind, digest(secret))


class PageCache:
    """Pure ASGI middleware: a GET answered before to the same session or token is answered
    again from the store when `current` confirms it; the ordinary path's answers that a handler
    marked (`mark`) are kept on their way out. Everything else passes through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        credentials = None
        if scope["type"] == "http" and scope["method"] == "GET":
            credentials = credentials_of(scope)
        if credentials is None:
            await self.app(scope, receive, send)
            return
        state: State = scope["app"].state
        key = key_of(scope, credentials)
        page = await self._replay(state, key, credentials)
        if page is not None:
            headers = [*page.headers, (b"content-length", str(len(page.body)).encode())]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": page.body})
            return
        await self.app(scope, receive, _Keeper(scope, state, key, send))

    async def _replay(self, state: State, key: Hashable, credentials: Credentials) -> Page | None:
        store = store_of(state)
        page = store.get(key)
        if page is None:
            return None
        now: datetime = state.clock()
        if page.fresh_until is not None and now >= page.fresh_until:
            return None
        try:
            found = await run_in_threadpool(current, state, credentials, now)
        except SQLAlchemyError as error:
            # The ordinary path answers, with its 503 (and its log line) if the database is gone.
            reason = error.orig if isinstance(error, DBAPIError) else error
            log.warning("page replay check: database error: %s", str(reason).strip())
            return None
        except Exception:
            # Never fatal here: this runs outside the app's error handlers.
            log.exception("page replay check failed; answering the ordinary way")
            return None
        if found is None or not found.confirms(page):
            return None
        store.replayed += 1
        return page


# The headers a kept answer is given again with (content-length is counted afresh; the request id
# and the security headers are added around this layer on every answer, replayed or not). Only
# these: a header added per request inside this layer would otherwise be replayed stale.
KEPT_HEADERS = frozenset({b"content-type", b"etag", b"x-revision"})


class _Keeper:
    """The ordinary path's send, keeping a marked 200 answer in the store as it goes out."""

    def __init__(self, scope: Scope, state: State, key: Hashable, send: Send) -> None:
        self.scope, self.state, self.key, self.send = scope, state, key, send
        self.kept: tuple[_Mark, list[tuple[bytes, bytes]], list[bytes]] | None = None

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self._start(message)
        elif message["type"] == "http.response.body" and self.kept is not None:
            self.kept[2].append(message.get("body", b""))
            if not message.get("more_body", False):
                self._keep()
        await self.send(message)

    def _start(self, message: Message) -> None:
        found = self.scope.get("state", {}).get(_MARK)
        headers = [(k.lower(), v) for k, v in message.get("headers", [])]
        if not isinstance(found, _Mark) or message["status"] != 200:
            return
        if any(k == b"set-cookie" for k, _ in headers):
            return
        self.kept = (found, [(k, v) for k, v in headers if k in KEPT_HEADERS], [])

    def _keep(self) -> None:
        assert self.kept is not None
        found, headers, chunks = self.kept
        self.kept = None
        state = self.scope.get("state", {})
        fresh_until: datetime | None = state.get("fresh_until")
        if fresh_until is not None and fresh_until <= self.state.clock():
            return
        page = Page(
            found.principal,
            found.version,
            state.get("unread_shown"),
            fresh_until,
            tuple(headers),
            b"".join(chunks),
        )
        store_of(self.state).put(self.key, page)
