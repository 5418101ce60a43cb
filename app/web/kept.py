"""Typed work is never lost to an expired form or an ended session.

A form of the pages can arrive when it can no longer be accepted: its security token is out of
date (the person logged in again elsewhere, so the session's token changed), or the session has
ended while they typed. Both are answered here, at one point for every form, instead of by each
page:

- An out-of-date token: the page the form was on is drawn again (its own GET, as the person's
  browser would ask for it, so with a fresh token), the form in it holds what was sent, and a
  message at the top says what happened. Nothing was saved. Where the page cannot be drawn again
  or the form is not on it, a page of its own holds the text in a form to the same address.
- An ended session: what was typed is kept in the database for a while (several instances serve
  the app, and the text must outlive a restart) under a random key, and the log-in page sends the
  person, once logged in, to /kept/<key>: the page the form was on, drawn again in the same way.

Only forms sent from this site's own pages are kept (Origin or Sec-Fetch-Site say so): a form
posted from elsewhere is never put in front of a person as if they had typed it. Passwords and
the token itself are never kept. A form is kept only for the person whose (ended) session the
browser still names, and shown to them alone; a request naming no one's session (any script
can say Sec-Fetch-Site) keeps nothing. What comes back into a kept form is the person's text,
never a stored choice or hidden field (a confirmation): the page's GET sets those. At most
200 KB of text a form, 20 forms a person, two hours each.

Only the app's own HTML pages are drawn again (a GET route answering with HTML; never a file,
/static, the API, a kept form), at most a few at once and within seconds; the page of a kept
form is drawn without holding a worker thread (the request for it needs one).
"""

import hashlib
import logging
import re
import secrets
import threading
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import anyio
import lxml.html  # type: ignore[import-untyped]
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from lxml.etree import ParserError  # type: ignore[import-untyped]
from sqlalchemy import delete, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Scope

from app.config import Settings
from app.db import Database
from app.errors import NotFound
from app.models import AuthSession, KeptForm
from app.web.deps import SAFE_METHODS, RequestContext, all_routes, restart_read, session_cookie
from app.web.templating import render

log = logging.getLogger("zerodraft")

EXPIRED = "Your form had expired, so nothing was saved. Check your text below and send it again."
ENDED = "Your session had ended, so nothing was saved. Check your text below and send it again."
# How long what was typed into a form sent after the session had ended waits for the person
# to log in again.
KEEP_FOR = timedelta(hours=2)
# Fields never kept nor written back: the token (the page's own fresh one stays) and secrets.
_NEVER = ("csrf_token",)
_SECRET_WORDS = ("password", "secret", "otp", "recovery", "proof", "current", "repeat")
# Forms of one's own account and of logging in are never stored: they hold secrets, and little
# typing. (An expired one still comes back drawn again, without its passwords.)
_NOT_STORED = ("/login", "/logout", "/password", "/account", "/invitation/")
_FORM_ID = "kept-form"
# Characters no page can hold (XML 1.0 forbids them; PostgreSQL's text refuses NUL).
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_PAGE_BYTES = 5 * 1024 * 1024
# What one kept form may hold (its text fields, names and values, in UTF-8): a form with more
# is not kept (the browser's own draft, app/static/drafts.js, still holds its text).
_KEPT_BYTES = 200 * 1024
# Kept forms of one person at most: the oldest goes when another is kept.
_KEPT_PER_PERSON = 20
# Hidden fields that say which version a text was typed against: given back as they were
# sent, so that sending again is refused if someone changed the thing meanwhile. Every other
# hidden field is the page's own, as its GET draws it now.
_VERSION_FIELDS = ("version", "base_revision", "content_hash")
# Only text is given back into a form kept after a session ended: never a choice (a checkbox
# such as a confirmation, a radio button, a select) nor a hidden field, which a page sets.
_TEXT_INPUTS = ("text", "search", "email", "url", "tel", "number", "date", "time")
# Pages never drawn again: the kept forms' own (no chains), one-time links, the API.
_NEVER_DRAWN = ("/kept/", "/api/", "/invitation/", "/password/reset/", "/mail/unsubscribe/")
# Pages drawn again at once by the whole app, at most; others wait their turn, up to a time,
# then get a page of their own. A page not drawn within the time is given up the same way.
_DRAWING_AT_ONCE = 8
_DRAWING_SECONDS = 15.0
_TURN_SECONDS = 0.02

Fields = list[tuple[str, str]]


# --- What a form carried ------------------------------------------------------------------------


def kept_fields(form: FormData) -> Fields:
    """The text fields of a posted form, in order, without the token, secrets, files or NULs."""
    out: Fields = []
    for name, value in form.multi_items():
        if isinstance(value, UploadFile) or not isinstance(value, str):
            continue
        lower = name.lower()
        if name in _NEVER or any(word in lower for word in _SECRET_WORDS):
            continue
        out.append((name, _UNWRITABLE.sub("", value)))
    return out


def _typed(fields: Fields) -> bool:
    """Whether anything in the form is worth keeping: some field has text in it."""
    return any(value.strip() for _, value in fields)


def from_a_page(request: Request) -> bool:
    """Whether this is a form a person sent from one of the site's own pages, as the browser
    tells it: not a script's request (those send their token in a header), not a write from
    another site."""
    return (
        request.method not in SAFE_METHODS
        and "x-csrf-token" not in request.headers
        and same_site(request)
    )


def same_site(request: Request) -> bool:
    """Whether the request came from this site's own pages, as the browser tells it."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return False
    netloc = _netloc(origin)
    return netloc is not None and netloc in _our_hosts(request)


def _netloc(url: str) -> str | None:
    """The host (and port) of `url`; None where it cannot be read (as 'http://[::1')."""
    try:
        return urlsplit(url).netloc
    except ValueError:
        return None


def _our_hosts(request: Request) -> set[str]:
    """The names this site goes by: the Host asked for, and that of its configured address (a
    proxy in front may ask for another Host than the one people see)."""
    settings: Settings = request.app.state.settings
    hosts = {_netloc(settings.base_url) or ""}
    host = request.headers.get("host")
    if host:
        hosts.add(host)
    return hosts


def _page_of(request: Request) -> str | None:
    """The path (and query) of the page the form was sent from, when the browser says and it
    is one of our pages that can be drawn again. (The site's Referrer-Policy, same-origin,
    sends it within the site.)"""
    referer = request.headers.get("referer")
    if not referer:
        return None
    try:
        parts = urlsplit(referer)
    except ValueError:
        return None
    if parts.netloc not in _our_hosts(request):
        return None
    page = parts.path + (f"?{parts.query}" if parts.query else "")
    return page if drawable(request.app, page) else None


def drawable(app: ASGIApp, page: str | None) -> bool:
    """Whether `page` (a path and query) is one of the app's HTML pages that can be drawn
    again: a path of this site (one '/', not '//' nor '/\\', which browsers take for another
    site), matched by a GET route that answers with an HTML page (not a file, not /static, not
    the API, not a kept form)."""
    if page is None or not page.startswith("/") or page.startswith(("//", "/\\")):
        return False
    if any(c in page for c in "\\#") or _UNWRITABLE.search(page) or len(page) > 2000:
        return False
    path = unquote(page.partition("?")[0])
    if path.startswith(_NEVER_DRAWN) or "\\" in path or "//" in path:
        return False
    scope: Scope = {"type": "http", "path": path, "method": "GET", "root_path": ""}
    for route in all_routes(getattr(app, "routes", [])):
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return isinstance(route, APIRoute) and _an_html_page(route)
    return False


def _an_html_page(route: APIRoute) -> bool:
    if route.include_in_schema or "GET" not in (route.methods or set()):
        return False
    answer = getattr(route.endpoint, "__annotations__", {}).get("return")
    if isinstance(answer, str):  # postponed annotations: the name as written
        return answer == "HTMLResponse"
    return isinstance(answer, type) and issubclass(answer, HTMLResponse)


def _action_of(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


# --- Answers to the refusals ---------------------------------------------------------------------


async def expired_form(request: Request, fresh_token: str | None) -> Response | None:
    """The answer to a page's form whose security token is out of date: the form again, with
    what was sent (403, nothing was done). None where it is not a form of our pages."""
    if not from_a_page(request):
        return None
    form = await _form(request)
    if form is None:
        return None
    fields = kept_fields(form)
    page = _page_of(request)
    action = _action_of(request)
    shown = await _form_again(request, page, action, fields, EXPIRED, 403)
    if shown is not None:
        return shown
    # Drawn in the thread pool, as a sync page is: the page's frame reads the database, which
    # must never block the event loop (its wait for a connection would stop every request).
    return await run_in_threadpool(
        _kept_page, request, page, action, fields, EXPIRED, fresh_token, 403
    )


async def ended_session(request: Request) -> Response | None:
    """The answer to a page's form sent after the session had ended: what was typed is kept and
    the person logs in again, then comes back to the form (/kept/<key>). Without anything typed
    they log in and go back to the page the form was on. None: not a form of our pages."""
    if not from_a_page(request):
        return None
    form = await _form(request)
    if form is None:
        return None
    # Only a browser that still names a session of someone's (ended) can have typed it: a
    # request naming none is anybody's, and its text is put in front of nobody.
    cookie = request.cookies.get(_session_cookie(request))
    if not cookie:
        return None
    fields = kept_fields(form)
    page = _page_of(request)
    if not _typed(fields) or request.url.path.startswith(_NOT_STORED) or not _fits(fields):
        return _to_log_in(page or "/register")
    database: Database = request.app.state.database
    now: datetime = request.app.state.clock()
    key = await run_in_threadpool(_keep, database, cookie, _action_of(request), page, fields, now)
    if key is None:  # the cookie names no session of anyone's
        return None
    return _to_log_in(f"/kept/{key}")


def _fits(fields: Fields) -> bool:
    size = sum(len(name.encode()) + len(value.encode()) for name, value in fields)
    return size <= _KEPT_BYTES


def _to_log_in(next_path: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(next_path, safe='/')}", status_code=303)


def _session_cookie(request: Request) -> str:
    return session_cookie(request.app.state.settings)


async def _form(request: Request) -> FormData | None:
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return None
    try:
        # Parsed already by the token check (Starlette keeps it on the request).
        return await request.form()
    except Exception:  # a body that cannot be read has nothing to keep
        return None


def _keep(
    database: Database,
    cookie: str,
    action: str,
    page: str | None,
    fields: Fields,
    now: datetime,
) -> str | None:
    """Keeps the form for the person whose session the cookie names; None (nothing kept)
    where it names no session of anyone's."""
    key = secrets.token_urlsafe(32)
    with database.transaction(write=True) as db:
        user_id = db.scalar(
            select(AuthSession.user_id).where(AuthSession.id == digest(cookie[:500]))
        )
        if user_id is None:
            return None
        db.execute(delete(KeptForm).where(KeptForm.expires_at <= now))
        # The person's oldest kept forms go, so that they have at most _KEPT_PER_PERSON.
        older = db.scalars(
            select(KeptForm.id)
            .where(KeptForm.user_id == user_id)
            .order_by(KeptForm.created_at.desc(), KeptForm.id)
            .offset(_KEPT_PER_PERSON - 1)
        ).all()
        if older:
            db.execute(delete(KeptForm).where(KeptForm.id.in_(older)))
        db.add(
            KeptForm(
                id=digest(key),
                user_id=user_id,
                action=action[:2000],
                page=page if page is None or len(page) <= 2000 else None,
                fields=[[name, value] for name, value in fields],
                created_at=now,
                expires_at=now + KEEP_FOR,
            )
        )
    return key


# --- Back after logging in (the page: app/accounts/kept_pages.py) ------------------------------


async def show_kept(ctx: RequestContext, key: str) -> Response:
    """The form someone sent after their session had ended, with their text, for them alone
    now that they have logged in again. Awaited on the event loop: the page is drawn again by
    a request of its own, which needs a thread of the pool, so none is held while it waits."""
    page, action, fields = await run_in_threadpool(_kept_form, ctx, key)
    request = ctx.request
    if not drawable(request.app, page):  # a row kept before pages were checked
        page = None
    shown = await _form_again(request, page, action, fields, ENDED, 200, text_only=True)
    if shown is not None:
        return shown
    return await run_in_threadpool(_kept_page, request, page, action, fields, ENDED, None, 200)


def _kept_form(ctx: RequestContext, key: str) -> tuple[str | None, str, Fields]:
    user_id = ctx.principal.user_id
    row = ctx.db.scalar(select(KeptForm).where(KeptForm.id == digest(key[:200])))
    if row is None or row.expires_at <= ctx.now or user_id is None or row.user_id != user_id:
        raise NotFound(
            "the text of this form is no longer kept (it is kept for two hours); if you typed "
            "it in this browser, the form may offer it back when you open it again"
        )
    fields: Fields = [(str(pair[0]), str(pair[1])) for pair in row.fields]
    page, action = row.page, row.action
    # The page is drawn by a request of its own: this one holds no connection meanwhile.
    restart_read(ctx.db)
    return page, action, fields


# --- Drawing the form again ---------------------------------------------------------------------


async def _form_again(
    request: Request,
    page: str | None,
    action: str,
    fields: Fields,
    message: str,
    status_code: int,
    *,
    text_only: bool = False,
) -> HTMLResponse | None:
    """The page `page` as the person would see it now, its form to `action` filled with
    `fields` (only their text where `text_only`) and `message` at the top; None where that
    cannot be done."""
    if page is None or not drawable(request.app, page):
        return None
    html = await _drawn(request, page)
    if html is None:
        return None
    try:
        filled = fill(html, action, fields, message, text_only=text_only)
    except (ParserError, ValueError) as exc:
        log.warning("kept form: the page %s could not be filled: %s", page, exc)
        return None
    if filled is None:
        return None
    return HTMLResponse(filled, status_code=status_code)


_drawing = 0
_drawing_lock = threading.Lock()


def _take_turn() -> bool:
    global _drawing
    with _drawing_lock:
        if _drawing >= _DRAWING_AT_ONCE:
            return False
        _drawing += 1
        return True


async def _drawn(request: Request, page: str) -> str | None:
    """_get_page, at most _DRAWING_AT_ONCE at a time (waiting up to _DRAWING_SECONDS for a
    turn, without holding a thread) and within _DRAWING_SECONDS: the work requests can make
    the app do is bounded (None: not drawn)."""
    global _drawing
    waited = 0.0
    while not _take_turn():
        if waited >= _DRAWING_SECONDS:
            log.warning("kept form: no turn to draw %s again", page)
            return None
        await anyio.sleep(_TURN_SECONDS)
        waited += _TURN_SECONDS
    try:
        with anyio.move_on_after(_DRAWING_SECONDS):
            return await _get_page(request, page)
        log.warning("kept form: drawing %s again took too long", page)
        return None
    finally:
        with _drawing_lock:
            _drawing -= 1


async def _get_page(request: Request, page: str) -> str | None:
    """GET `page` through the whole app, with the person's own cookies: the page exactly as
    their browser would be shown it (None unless that is a 200 HTML page)."""
    path, _, query = page.partition("?")
    wanted = {b"host", b"cookie", b"user-agent", b"accept-language", b"x-forwarded-proto"}
    headers = [(k, v) for k, v in request.scope["headers"] if k in wanted]
    headers.append((b"accept", b"text/html"))
    scope: Scope = {
        "type": "http",
        "asgi": request.scope.get("asgi", {"version": "3.0"}),
        "http_version": request.scope.get("http_version", "1.1"),
        "method": "GET",
        "scheme": request.scope.get("scheme", "http"),
        "path": unquote(path),
        "raw_path": path.encode("latin-1", "replace"),
        "query_string": query.encode("latin-1", "replace"),
        "root_path": request.scope.get("root_path", ""),
        "headers": headers,
        "client": request.scope.get("client"),
        "server": request.scope.get("server"),
        "state": {},
    }
    status = 0
    content_type = b""
    body = bytearray()

    # The request's (empty) body once; then, as a server does, "the client has gone" once the
    # answer is complete (a response that listens for it meanwhile waits, never spins).
    asked = False
    answered = anyio.Event()

    async def receive() -> Message:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await answered.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status, content_type
        if message["type"] == "http.response.start":
            status = message["status"]
            content_type = dict(message.get("headers", [])).get(b"content-type", b"")
        elif message["type"] == "http.response.body":
            if len(body) < _PAGE_BYTES:
                body.extend(message.get("body", b""))
            if not message.get("more_body", False):
                answered.set()

    try:
        await request.app(scope, receive, send)
    except Exception:
        log.exception("kept form: drawing %s again failed", page)
        return None
    finally:
        answered.set()
    if status != 200 or not content_type.startswith(b"text/html") or len(body) >= _PAGE_BYTES:
        return None
    return body.decode("utf-8", "replace")


def fill(
    html: str, action: str, fields: Fields, message: str, *, text_only: bool = False
) -> str | None:
    """`html` with its form to `action` holding `fields`, and `message` at the top of the
    page's main content, linking to the form. None: no such form on the page."""
    doc = lxml.html.document_fromstring(html)
    form = _the_form(doc, action, fields)
    if form is None:
        return None
    _write_back(form, fields, text_only=text_only)
    if not form.get("id"):
        form.set("id", _FORM_ID)
    # A form folded away (a <details>) is opened, so that the text is there to see.
    for ancestor in form.iterancestors("details"):
        ancestor.set("open", "")
    notice = lxml.html.fragment_fromstring(
        '<div class="notice notice-warning" role="alert" id="kept-notice"><p></p></div>'
    )
    paragraph = notice[0]
    paragraph.text = message + " "
    link = lxml.html.Element("a", href=f"#{form.get('id')}")
    link.text = "Go to your text"
    paragraph.append(link)
    main = doc.find(".//main")
    if main is None:
        form.insert(0, notice)
    else:
        main.insert(0, notice)
        main.text = None
    filled: str = lxml.html.tostring(doc, encoding="unicode", doctype="<!doctype html>")
    return filled


def _the_form(doc: Any, action: str, fields: Fields) -> Any:
    """The page's form that sent `fields` to `action`: of the forms to that address, the one
    whose fields (and hidden values, such as which comment a reply answers) fit them best."""
    wanted = urlsplit(action).path
    posted: dict[str, list[str]] = {}
    for name, value in fields:
        posted.setdefault(name, []).append(value)
    best, best_score = None, 0
    for form in doc.forms:
        if (form.get("method") or "get").lower() != "post":
            continue
        if urlsplit(form.get("action") or "").path != wanted:
            continue
        score = 1
        for element in form.inputs:
            name = element.get("name")
            if not name or name in _NEVER:
                continue
            if name in posted:
                score += 1
                if element.tag == "input" and (element.get("type") or "").lower() == "hidden":
                    # A hidden value that differs names another form (another comment's reply).
                    score += 3 if (element.get("value") or "") in posted[name] else -10
        if score > best_score:
            best, best_score = form, score
    return best


def _write_back(form: Any, fields: Fields, *, text_only: bool) -> None:
    """Writes the posted values into the page's form: text into its text boxes, the version
    the text was typed against, and (unless `text_only`) the person's choices. The page's own
    hidden fields stay as its GET drew them."""
    posted: dict[str, list[str]] = {}
    for name, value in fields:
        posted.setdefault(name, []).append(value)
    taken: dict[str, int] = {}
    for element in form.inputs:
        name = element.get("name")
        if not name or name in _NEVER or element.get("disabled") is not None:
            continue
        values = posted.get(name)
        tag = element.tag
        kind = (element.get("type") or "text").lower() if tag == "input" else tag
        if kind == "hidden":
            if name in _VERSION_FIELDS and values:
                element.set("value", values[0])
            continue
        if text_only and not (kind == "textarea" or kind in _TEXT_INPUTS):
            continue
        if kind in ("checkbox", "radio"):
            chosen = element.get("value", "on") in (values or [])
            if chosen:
                element.set("checked", "")
            elif "checked" in element.attrib:
                del element.attrib["checked"]
            continue
        if values is None or kind in ("password", "file", "submit", "button", "image", "reset"):
            continue
        if kind == "select":
            for option in element.iter("option"):
                value = option.get("value", option.text_content())
                if value in values:
                    option.set("selected", "")
                elif "selected" in option.attrib:
                    del option.attrib["selected"]
            continue
        # Fields of one name take the values sent under it in turn.
        index = taken.get(name, 0)
        taken[name] = index + 1
        value = values[min(index, len(values) - 1)]
        if tag == "textarea":
            for child in list(element):
                element.remove(child)
            # A browser drops one newline that opens a textarea's content: give it one to drop.
            element.text = "\n" + value if value.startswith("\n") else value
        else:
            element.set("value", value)


# --- A page of its own ----------------------------------------------------------------------------


def digest(key: str) -> str:
    """What is stored of a key in a link or a cookie: its SHA-256 (as app.accounts stores
    session cookies, so that a session is found by the same digest)."""
    return hashlib.sha256(key.encode()).hexdigest()


def _kept_page(
    request: Request,
    page: str | None,
    action: str,
    fields: Fields,
    message: str,
    token: str | None,
    status_code: int,
) -> HTMLResponse:
    """The text in a form of its own, to the same address, where the page it came from cannot
    be drawn again: each text of some length in a box of its own, the rest sent as it was.
    Without a token (a form kept after a session ended: its values are not sent again as they
    were, for they could be anybody's choices), the text is shown to copy, with no button."""
    shown: list[tuple[str, str]] = []
    hidden: list[tuple[str, str]] = []
    for name, value in fields:
        (shown if _is_text(value) else hidden).append((name, value))
    return render(
        request,
        "kept.html",
        {
            "message": message,
            "action": action,
            "back": page if drawable(request.app, page) else None,
            "shown": shown,
            "hidden": hidden,
            "token": token,
        },
        status_code,
    )


def _is_text(value: str) -> bool:
    """Text a person wrote, rather than a value a page set: words, or a long value."""
    stripped = value.strip()
    return len(stripped) > 60 or (" " in stripped and len(stripped) > 3) or "\n" in stripped
