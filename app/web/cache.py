"""Rendered page fragments, kept in the one cache (app/cache.py, where the argument that nothing
that matters lives there is written) and keyed on the database's content version. A page
declares what its fragment depends on in one call, `cached_page(request, db, principal,
template, key=(...), build=...)`; nothing else in the code knows this module exists.

An entry is only ever a copy of what rendering the fragment from the database would give, and
it is found again only by a request that read the same content version from the database first.
The content version is the newest audit event (its id and its
chain hash). Every transaction that changes what a page shows records an audit event (checked at
commit by app/audit/guard.py, not left to memory), and appends to the chain are serialised until
commit (the PostgreSQL advisory lock, SQLite's write lock taken at BEGIN IMMEDIATE), so events
become visible in id order and atomically with the change they record: a request that reads
version V sees every change up to V, and the first request after any change, on any app instance
behind a load balancer, reads a new version and renders afresh. The chain hash in the key also
tells apart two histories that reach the same id (a database restored from a backup).

Fragments hold nothing personal that is not in their key: the viewer's audience (role,
delegations, acting delegation; the person too where a page shows something to its author
alone) and time zone (the dates in them) are in the key,
and the session's CSRF token is rendered as a per-process placeholder that `fill` replaces on
the way out. The name in the page header, the notification count and the round banner are
rendered outside the fragment.
"""

import html
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cache import Store
from app.models import AuditEvent
from app.principal import Principal
from app.web.frame import frame_with
from app.web.templating import CHOICE_PLACEHOLDER, templates, viewer_zone

_NEWEST = select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
# The same, as two columns of the page's frame statement (app/web/frame.py): one statement
# reads the frame and the version.
_VERSION = (
    _NEWEST.with_only_columns(AuditEvent.id).scalar_subquery().label("content_version_id"),
    _NEWEST.with_only_columns(AuditEvent.hash).scalar_subquery().label("content_version_hash"),
)
# The same as a statement of its own, one row even with no event: the version a value kept by
# app.cache.kept is built at (the search page's filter lists).
CONTENT_VERSION = select(*_VERSION)


def content_version(db: Session) -> tuple[int, str]:
    """The newest audit event: read first in a request, before the data it renders."""
    row = db.execute(_NEWEST).first()
    return (0, "") if row is None else (row.id, row.hash)


def _version_and_frame(request: Request, db: Session) -> tuple[tuple[int, str], dict[str, Any]]:
    """The content version and the page's frame, in one statement where the frame is read."""
    page_frame, row = frame_with(request, _VERSION)
    if row is None:
        return content_version(db), page_frame
    return (row.content_version_id or 0, row.content_version_hash or ""), page_frame


# Unguessable, so that no text a user writes can turn into someone's token.
CSRF_PLACEHOLDER = "zdcsrf" + secrets.token_hex(16)
MAIN_MARKER = "zdmain" + secrets.token_hex(16)
MAX_ENTRIES = 2_000
MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Fragment:
    title: str
    main: bytes  # UTF-8, spliced into the page as it is
    has_token: bool = False  # holds CSRF_PLACEHOLDER
    has_choice: bool = False  # holds CHOICE_PLACEHOLDER (templating.chosen_in_query)
    shared: bool = True  # False: for this request only (the build's NOT_KEPT)

    @property
    def size(self) -> int:
        return len(self.title) + len(self.main)


class FragmentCache(Store[Fragment]):
    """The app instance's fragments: app/cache.py's store, bounded in entries and bytes."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        super().__init__(max_entries, max_bytes, size=_size)


def _size(fragment: Fragment) -> int:
    return fragment.size


def new_fragments(enabled: bool) -> FragmentCache:
    # Disabled: a store that keeps nothing (every entry is larger than its byte bound).
    return FragmentCache(MAX_ENTRIES, MAX_BYTES) if enabled else FragmentCache(0, 0)


def fragments(request: Request) -> FragmentCache:
    """The app instance's cache (one per create_app())."""
    cache: FragmentCache = request.app.state.fragments
    return cache


def audience_key(principal: Principal) -> tuple[Any, ...]:
    """What decides which objects a viewer sees and which forms they are offered: their role,
    the delegations they speak for and the one they act for (not who they are: a page that
    shows something only to its author adds the person to its key)."""
    return (
        principal.role.value,
        tuple(d.id for d in principal.delegations),
        principal.acting_delegation_id,
    )


# The context variable by which a build says its fragment is for this request only.
NOT_KEPT = "fragment_not_kept"


def _shared(fragment: Fragment) -> bool:
    return fragment.shared


def cached_page(
    request: Request,
    db: Session,
    principal: Principal,
    template: str,
    key: tuple[Any, ...] | Callable[[], tuple[Any, ...]],
    build: Callable[[Principal], dict[str, Any]],
    after: Callable[[], Markup] | None = None,
) -> HTMLResponse:
    """The page `template` (which extends base.html and keeps its imports inside its blocks),
    with its title and main blocks taken from the cache when the content version and `key` (which
    must hold every parameter and viewer property the blocks depend on) match. A key that reads
    the database is given as a function. `key` and `build` are called only after the version was
    read: on PostgreSQL each statement sees the newest commits, so anything read before the
    version could be older than it, and a fragment made from it would be kept as current.
    A build whose fragment must not be kept under `key` puts `NOT_KEPT: True` in its context
    (it found more of the viewer than the key said: on PostgreSQL each statement sees the
    newest commits, so a key read before the build can be out of date); the fragment then
    goes to this request only."""
    cache = fragments(request)
    version, page_frame = _version_and_frame(request, db)
    # Dates in the fragment are written in the viewer's time zone.
    zone = viewer_zone(principal, request.app.state.settings)
    full_key = (template, version, zone, *(key() if callable(key) else key))

    def render() -> Fragment:
        # Rendered with a placeholder for the token, so that the entry is the same for every
        # session of this viewer; filled in below for this one.
        placeholder = replace(principal, csrf_token=CSRF_PLACEHOLDER)
        context = build(placeholder)
        page = templates.get_template(template)
        variables = {
            "request": request,
            "settings": request.app.state.settings,
            "principal": placeholder,
            "zone": zone,
            "fragment_for_cache": True,
        } | context
        jinja = page.new_context(variables)
        main = "".join(page.blocks["main"](jinja))
        return Fragment(
            "".join(page.blocks["title"](jinja)),
            main.encode(),
            CSRF_PLACEHOLDER in main,
            CHOICE_PLACEHOLDER in main,
            not context.get(NOT_KEPT, False),
        )

    fragment = cache.get_or_build(full_key, render, keep=_shared)
    # The rest of the page is rendered for this request around a marker, and the fragment put
    # in its place as bytes: a large fragment is not copied through the template engine.
    settings = request.app.state.settings
    around = templates.get_template("_cached_page.html").render(
        {
            "request": request,
            "settings": settings,
            "principal": principal,
            "zone": zone,
            "frame": page_frame,
            # Output of the autoescaping template engine: already safe HTML.
            "cached_title": Markup(fragment.title),  # noqa: S704
            "cached_main": MAIN_MARKER,
        }
    )
    head, _, tail = around.partition(MAIN_MARKER)
    extra = after().encode() if after is not None else b""
    return HTMLResponse(
        b"".join((head.encode(), fill(fragment, principal, request), extra, tail.encode()))
    )


def fill(fragment: Fragment, principal: Principal, request: Request) -> bytes:
    """The fragment with this session's CSRF token (URL-safe: nothing to escape) and the
    options this request's query chooses (templating.chosen_in_query)."""
    main = fragment.main
    if fragment.has_token:
        main = main.replace(CSRF_PLACEHOLDER.encode(), (principal.csrf_token or "").encode())
    if fragment.has_choice:
        query = request.query_params

        def choose(m: re.Match[bytes]) -> bytes:
            field, _, value = html.unescape(m.group(1).decode()).partition("=")
            return b" selected" if query.get(field) == value else b""

        main = _CHOICE.sub(choose, main)
    return main


_CHOICE = re.compile(
    re.escape(CHOICE_PLACEHOLDER.encode()) + rb"(.*?)" + re.escape(CHOICE_PLACEHOLDER.encode())
)
