"""Rendered page fragments, kept per process and keyed on the database's content version.

Nothing that matters lives here: an entry is only ever a copy of what rendering the fragment
from the database would give, and it is found again only by a request that read the same content
version from the database first. The content version is the newest audit event (its id and its
chain hash). Every use case that changes what a page shows records an audit event in the same
transaction (app/audit/service.py), and appends to the chain are serialised until commit (the
PostgreSQL advisory lock, SQLite's write lock taken at BEGIN IMMEDIATE), so events become visible
in id order and atomically with the change they record: a request that reads version V sees
every change up to V, and the first request after any change, on any app instance behind a load
balancer, reads a new version and renders afresh. The chain hash in the key also tells apart two
histories that reach the same id (a database restored from a backup).

Fragments hold nothing personal that is not in their key: the viewer's visibility context
(user, role, delegations, acting delegation) and time zone (the dates in them) are in the key,
and the session's CSRF token is rendered as a per-process placeholder that `fill` replaces on
the way out. The name in the page
header, the notification count and the round banner are rendered outside the fragment.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from sqlalchemy.orm import Session

from app.accounts.service import Principal
from app.web.deps import SAFE_METHODS
from app.web.lru import BoundedCache
from app.web.page_cache import content_version, mark
from app.web.templating import templates, viewer_zone

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

    @property
    def size(self) -> int:
        return len(self.title) + len(self.main)


class FragmentCache(BoundedCache[Fragment]):
    pass


def new_fragments(enabled: bool) -> FragmentCache:
    # Disabled: a store that keeps nothing (every entry is larger than its byte bound).
    return FragmentCache(MAX_ENTRIES, MAX_BYTES) if enabled else FragmentCache(0, 0)


def fragments(request: Request) -> FragmentCache:
    """The app instance's cache (one per create_app())."""
    cache: FragmentCache = request.app.state.fragments
    return cache


def viewer_key(principal: Principal) -> tuple[Any, ...]:
    """Everything about the viewer a page may depend on, except the session's CSRF token."""
    return (
        principal.user_id,
        principal.role.value,
        tuple(d.id for d in principal.delegations),
        principal.acting_delegation_id,
    )


def cached_page(
    request: Request,
    db: Session,
    principal: Principal,
    template: str,
    key: tuple[Any, ...],
    build: Callable[[Principal], dict[str, Any]],
) -> HTMLResponse:
    """The page `template` (which extends base.html and keeps its imports inside its blocks),
    with its title and main blocks taken from the cache when the content version and `key` (which
    must hold every parameter and viewer property the blocks depend on) match. `build` loads the
    page's context from `db`; it is called only on a miss, after the version was read."""
    cache = fragments(request)
    version = content_version(db)
    if request.method == "GET":
        mark(request, principal, version)  # the whole page may be replayed (page_cache.py)
    # Dates in the fragment are written in the viewer's time zone.
    zone = viewer_zone(principal, request.app.state.settings)
    full_key = (template, version, zone, *key)
    fragment = cache.get(full_key)
    if fragment is None:
        # Rendered with a placeholder for the token, so that the entry is the same for every
        # session of this viewer; filled in below for this one.
        placeholder = replace(principal, csrf_token=CSRF_PLACEHOLDER)
        context = build(placeholder)
        settings = request.app.state.settings
        page = templates.get_template(template)
        variables = {
            "request": request,
            "settings": settings,
            "principal": placeholder,
            "zone": zone,
        } | context
        jinja = page.new_context(variables)
        main = "".join(page.blocks["main"](jinja))
        fragment = Fragment(
            "".join(page.blocks["title"](jinja)), main.encode(), CSRF_PLACEHOLDER in main
        )
        cache.put(full_key, fragment)
    # The rest of the page is rendered for this request around a marker, and the fragment put
    # in its place as bytes: a large fragment is not copied through the template engine.
    settings = request.app.state.settings
    around = templates.get_template("_cached_page.html").render(
        {
            "request": request,
            "settings": settings,
            "principal": principal,
            "zone": zone,
            # Output of the autoescaping template engine: already safe HTML.
            "cached_title": Markup(fragment.title),  # noqa: S704
            "cached_main": MAIN_MARKER,
        }
    )
    if request.method in SAFE_METHODS:
        # The page is rendered: end the read transaction here, in the handler's thread, so that
        # DbRoute does not go back to the thread pool for it.
        db.commit()
    head, _, tail = around.partition(MAIN_MARKER)
    return HTMLResponse(b"".join((head.encode(), fill(fragment, principal), tail.encode())))


def fill(fragment: Fragment, principal: Principal) -> bytes:
    """The fragment with this session's CSRF token (URL-safe: nothing to escape)."""
    if not fragment.has_token:
        return fragment.main
    return fragment.main.replace(CSRF_PLACEHOLDER.encode(), (principal.csrf_token or "").encode())
