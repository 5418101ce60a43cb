"""Typed work is never lost, through HTTP as a browser without JavaScript sends it: the limits
of keeping a form's text (app/web/kept.py). The person's whole way through it is driven in
Chromium by tests/test_browser_kept_text.py."""

import asyncio
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import anyio
import anyio.to_thread
import httpx
import lxml.html  # type: ignore[import-untyped]
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from app.config import Settings
from app.db import Database
from app.models import Comment, KeptForm, User
from app.web import kept
from app.web.access_log import redact
from app.web.deps import session_cookie
from app.web.kept import ENDED, EXPIRED, drawable, fill
from tests.factories import World
from tests.helpers import Clock, csrf_of, form_in, free_port, log_in, logged_in
from tests.test_mfa import code_at, enrol_totp, give_code, password_step

ITEM = "/indicators/FC-CD-01"
BASE = "http://testserver"
# What a browser sends with a form from one of the site's own pages.
FROM_PAGE = {"sec-fetch-site": "same-origin", "origin": BASE, "referer": BASE + ITEM}
TYPED = "Too narrow: tablets & <laptops> are taken too.\n\nSecond paragraph."


def _comment_fields(client: TestClient, **more: str) -> dict[str, str]:
    fields = form_in(client.get(ITEM).text, id="new-comment")
    return fields | {"body": TYPED, "kind": "substantive"} | more


def _send(client: TestClient, path: str, fields: dict[str, str], **headers: str) -> Any:
    return client.post(path, data=fields, headers=FROM_PAGE | headers, follow_redirects=False)


def _comments(database: Database) -> list[str]:
    with database.transaction(write=False) as s:
        return list(s.scalars(select(Comment.body).order_by(Comment.id)))


def _textareas(html: str) -> list[str]:
    doc = lxml.html.document_fromstring(html)
    # A browser drops one newline that opens a textarea's content.
    return [str(box.text_content()).removeprefix("\n") for box in doc.iter("textarea")]


def _kept_path(answer: Any) -> str:
    location: str = answer.headers["location"]
    assert location.startswith("/login?next=/kept/"), location
    return unquote(location.split("next=")[1])


def _kept_rows(database: Database) -> list[KeptForm]:
    with database.transaction(write=False) as s:
        rows = list(s.scalars(select(KeptForm)))
        s.expunge_all()
        return rows


def test_an_expired_form_is_the_page_again_with_what_was_typed(
    client: TestClient, world: World, database: Database
) -> None:
    old = log_in(client, world.member)
    fields = _comment_fields(client)
    log_in(client, world.member)  # logged in again: the session's token is a new one
    assert csrf_of(client.get(ITEM).text) != old

    answer = _send(client, "/comments", fields)
    assert answer.status_code == 403
    assert EXPIRED in answer.text
    assert '<a href="#new-comment">Go to your text</a>' in answer.text
    again = form_in(answer.text, id="new-comment")
    assert again["body"] == TYPED and again["kind"] == "substantive"
    assert again["csrf_token"] != old  # the page's own, fresh token
    assert _comments(database) == []
    # Sending it again as it is shown saves it.
    sent = client.post("/comments", data=again, follow_redirects=False)
    assert sent.status_code == 303 and re.search(r"#comment-\d+$", sent.headers["location"])
    assert _comments(database) == [TYPED]


def test_a_reply_comes_back_in_its_own_form(client: TestClient, world: World, app: FastAPI) -> None:
    other = logged_in(app, world.member2)
    for body in ("First comment.", "Second comment."):
        fields = form_in(other.get(ITEM).text, id="new-comment") | {"body": body}
        assert other.post("/comments", data=fields, follow_redirects=False).status_code == 303
    log_in(client, world.member)
    page = client.get(ITEM).text
    reply = form_in(page.split('id="comment-2"')[1], action="/comments") | {"body": TYPED}
    assert reply["parent_id"] == "2"
    log_in(client, world.member)

    answer = _send(client, "/comments", reply)
    assert answer.status_code == 403 and EXPIRED in answer.text
    second = answer.text.split('id="comment-2"')[1]
    # The reply to comment 2 holds the text and is unfolded; the reply to comment 1 is empty.
    assert form_in(second, action="/comments")["body"] == TYPED
    assert '<details class="comment-more" open' in second.split("reply-form")[0]
    first = answer.text.split('id="comment-1"')[1].split('id="comment-2"')[0]
    assert form_in(first, action="/comments")["body"] == ""


def test_without_the_page_it_came_from_the_text_is_kept_on_a_page_of_its_own(
    client: TestClient, world: World, database: Database
) -> None:
    log_in(client, world.member)
    fields = _comment_fields(client)
    log_in(client, world.member)
    answer = client.post(
        "/comments",
        data=fields,
        headers={"sec-fetch-site": "same-origin"},  # no Referer: the page is not known
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert "<h1>Your text is kept</h1>" in answer.text and EXPIRED in answer.text
    kept = form_in(answer.text, id="kept-form")
    assert kept["body"] == TYPED
    assert kept["item"] == "FC-CD-01" and kept["kind"] == "substantive"
    sent = client.post("/comments", data=kept, follow_redirects=False)
    assert sent.status_code == 303
    assert _comments(database) == [TYPED]


def test_forms_from_other_sites_and_scripts_are_refused_as_before(
    client: TestClient, world: World, database: Database
) -> None:
    csrf = log_in(client, world.member)
    fields = _comment_fields(client, csrf_token="forged")
    for headers in (
        {"sec-fetch-site": "cross-site", "origin": "https://elsewhere.example"},
        {"origin": "https://elsewhere.example"},
        {},  # the browser says nothing of where the form came from
    ):
        answer = client.post("/comments", data=fields, headers=headers, follow_redirects=False)
        assert answer.status_code == 403
        assert "security token is missing or out of date" in answer.text
        assert "Too narrow" not in answer.text and EXPIRED not in answer.text
    # A script's request (its token in a header) gets the refusal too, and JSON never carries
    # the session's token.
    api = client.post(
        "/api/v1/me/tokens", json={"name": "x"}, headers={"X-CSRF-Token": "stale", **FROM_PAGE}
    )
    assert api.status_code == 403 and api.json()["field"] == "csrf_token"
    assert csrf not in api.text
    assert _comments(database) == []


def test_a_form_sent_after_the_session_ended_is_kept_for_its_person(
    client: TestClient,
    world: World,
    app: FastAPI,
    database: Database,
    clock: Clock,
    settings: Settings,
) -> None:
    log_in(client, world.member)
    fields = _comment_fields(client)
    clock.advance(minutes=settings.session_idle_minutes + 1)

    answer = _send(client, "/comments", fields)
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert re.fullmatch(r"/login\?next=/kept/[\w-]{43}", location)
    kept_path = unquote(location.split("next=")[1])
    (row,) = _kept_rows(database)
    assert row.action == "/comments" and row.page == ITEM
    assert row.id != kept_path.removeprefix("/kept/")  # only its digest is stored
    assert ["body", TYPED] in row.fields and all(name != "csrf_token" for name, _ in row.fields)
    assert "What you typed is kept" in client.get(location).text

    # Someone else who logs in in this browser does not get it.
    stranger = logged_in(app, world.member2)
    assert stranger.get(kept_path).status_code == 404

    log_in(client, world.member)
    page = client.get(kept_path)
    assert page.status_code == 200 and ENDED in page.text
    assert form_in(page.text, id="new-comment")["body"] == TYPED
    # Shown again as often as needed while it is kept; gone after two hours.
    assert client.get(kept_path).status_code == 200
    clock.advance(hours=2, seconds=1)
    log_in(client, world.member)
    gone = client.get(kept_path)
    assert gone.status_code == 404 and "kept for two hours" in gone.text
    # The next form kept clears away the expired ones.
    clock.advance(minutes=settings.session_idle_minutes + 1)
    _send(client, "/comments", _comment_fields(logged_in(app, world.member)))
    assert [r.page for r in _kept_rows(database)] == [ITEM]


def test_what_an_ended_session_does_not_keep(
    client: TestClient,
    world: World,
    database: Database,
    clock: Clock,
    settings: Settings,
) -> None:
    csrf = log_in(client, world.member)
    clock.advance(minutes=settings.session_idle_minutes + 1)
    # A button without typing (log out, withdraw): back to the page it was on, after logging in.
    plain = _send(client, "/notifications/read-all", {"csrf_token": csrf})
    assert plain.headers["location"] == f"/login?next={ITEM}"
    # The forms of one's account and of logging in hold passwords: never stored.
    password = _send(
        client,
        "/account/password",
        {"csrf_token": csrf, "current": "correct-horse", "password": "a b c d", "repeat": "x"},
        referer=BASE + "/account",
    )
    assert password.headers["location"] == "/login?next=/account"
    # A form posted from another site is not kept for anyone to find in front of them.
    foreign = client.post(
        "/comments",
        data={"csrf_token": csrf, "item": "FC-CD-01", "body": "Planted words"},
        headers={"origin": "https://elsewhere.example", "referer": "https://elsewhere.example/"},
        follow_redirects=False,
    )
    assert foreign.headers["location"] == "/login?next=/comments"
    assert _kept_rows(database) == []


def test_the_text_waits_through_the_second_factor(
    client: TestClient,
    world: World,
    database: Database,
    clock: Clock,
    settings: Settings,
) -> None:
    settings.mfa_required_roles = "secretariat"  # the app reads its settings at each log-in
    secret, _codes = enrol_totp(client, clock, world.secretariat)
    fields = _comment_fields(client)
    clock.advance(minutes=settings.session_idle_minutes + 1)
    location = _send(client, "/comments", fields).headers["location"]
    kept_path = unquote(location.split("next=")[1])
    assert kept_path.startswith("/kept/")

    assert password_step(client, world.secretariat, kept_path).headers["location"] == (
        "/login/verify"
    )
    clock.advance(seconds=30)  # a code not used before
    verified = give_code(client, code_at(secret, clock))
    assert verified.status_code == 303 and verified.headers["location"] == kept_path
    page = client.get(kept_path)
    assert page.status_code == 200 and ENDED in page.text
    assert form_in(page.text, id="new-comment")["body"] == TYPED
    assert _comments(database) == []


def test_behind_a_proxy_the_page_is_known_by_the_sites_address(
    client: TestClient, world: World
) -> None:
    log_in(client, world.member)
    fields = _comment_fields(client)
    log_in(client, world.member)
    # The proxy asks for another Host than the address people use (the configured base_url).
    answer = client.post(
        "/comments",
        data=fields,
        headers={"host": "app.internal:8000", "origin": BASE, "referer": BASE + ITEM},
        follow_redirects=False,
    )
    assert answer.status_code == 403 and EXPIRED in answer.text
    assert form_in(answer.text, id="new-comment")["body"] == TYPED


def test_a_kept_form_without_its_page_comes_back_as_text_to_copy(
    client: TestClient, world: World, database: Database, clock: Clock, settings: Settings
) -> None:
    log_in(client, world.member)
    fields = _comment_fields(client)
    clock.advance(minutes=settings.session_idle_minutes + 1)
    sent = client.post(
        "/comments", data=fields, headers={"sec-fetch-site": "same-origin"}, follow_redirects=False
    )
    kept_path = _kept_path(sent)
    log_in(client, world.member)
    page = client.get(kept_path)
    assert page.status_code == 200 and ENDED in page.text
    # The text, to copy; no form that would send the stored values (hidden fields, choices)
    # as they were, since the page that sets them cannot be drawn.
    assert 'id="kept-form"' not in page.text and "Send it again" not in page.text
    assert _textareas(page.text) == [TYPED]
    assert _comments(database) == []


# --- The review's findings (F1, F2, F3, F9, F10) -----------------------------------------------


@contextmanager
def _served(app: FastAPI, threads: int = 40) -> Iterator[str]:
    """The app under a real uvicorn in a thread, its thread pool `threads` workers wide."""

    async def with_pool(scope: Scope, receive: Receive, send: Send) -> None:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        await app(scope, receive, send)

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(with_pool, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start in 10 s"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_only_the_apps_html_pages_are_drawn_again(app: FastAPI) -> None:
    for page in ("/register", ITEM, ITEM + "?tab=history", "/proposals/3", "/rounds/Rev.1"):
        assert drawable(app, page), page
    assert not drawable(app, None)
    for wrong in (
        "/static/site.css",  # a file: its response waits for the client to go (F1)
        "/kept/abc",  # a kept form drawing a kept form: chains (F2)
        "/api/v1/indicators",
        "/healthz",
        "/readyz",
        "/metrics",
        "/docs",
        "/openapi.json",
        "/rounds/Rev.1/export",  # a Word file
        "/invitation/abc",
        "/mail/unsubscribe/abc",
        "//evil.example/phish",
        "/\\evil.example/phish",
        "/%2Fevil.example",
        "/no/such/page",
        "register",
        "",
    ):
        assert not drawable(app, wrong), wrong


def test_a_page_drawn_again_is_told_the_client_left_once_it_is_answered(tmp_path: Path) -> None:
    """F1: the request the app makes to itself says http.disconnect after its body (as a server
    does), so a response that listens for it (a file) ends instead of spinning for ever."""
    css = tmp_path / "site.css"
    css.write_text("body { color: black; }")
    files = Starlette(routes=[Route("/f", lambda request: FileResponse(css))])
    scope = {"type": "http", "method": "POST", "path": "/x", "headers": [], "app": files}
    answers: list[str | None] = []

    async def draw() -> None:
        answers.append(await kept._get_page(Request(scope), "/f"))

    thread = threading.Thread(target=anyio.run, args=(draw,), daemon=True)
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive(), "drawing a file again did not end in 10 s"
    assert answers == [None]  # not an HTML page: not used


def test_a_stale_form_naming_a_static_file_as_its_page_is_answered_at_once(
    app: FastAPI, world: World, database: Database
) -> None:
    """F1, as the reviewer sent it, to a real server: it answers, and goes on answering."""
    with _served(app) as base, httpx.Client(base_url=base, timeout=10) as http:
        log_in(http, world.member)  # type: ignore[arg-type]
        answer = http.post(
            "/comments",
            data={"csrf_token": "stale", "item": "FC-CD-01", "body": "Some words typed"},
            headers={"sec-fetch-site": "same-origin", "referer": base + "/static/site.css"},
        )
        assert answer.status_code == 403 and EXPIRED in answer.text
        assert 'href="/static/site.css"' not in answer.text.split("<main")[1]
        assert http.get("/healthz", timeout=5).status_code == 200
    assert _comments(database) == []


def _kept_for_member(
    client: TestClient, world: World, clock: Clock, settings: Settings, **headers: str
) -> str:
    log_in(client, world.member)
    fields = _comment_fields(client)
    clock.advance(minutes=settings.session_idle_minutes + 1)
    return _kept_path(_send(client, "/comments", fields, **headers))


def test_many_people_opening_kept_forms_at_once_do_not_stop_the_server(
    app: FastAPI, client: TestClient, world: World, clock: Clock, settings: Settings
) -> None:
    """F2: the kept form's page holds no worker thread while its page is drawn by another
    request: 30 openings at once, five times the worker threads (6), all get their form (within
    the database pool's 40 connections, as every page needs)."""
    kept_path = _kept_for_member(client, world, clock, settings)
    log_in(client, world.member)
    cookies = dict(client.cookies)
    with _served(app, threads=6) as base:

        def one(_: int) -> str:
            try:
                answer = httpx.get(base + kept_path, cookies=cookies, timeout=60)
            except httpx.TimeoutException:
                return "no answer in 60 s"
            if ENDED in answer.text and 'id="new-comment"' in answer.text:
                return "form" if "Too narrow" in answer.text else "form without the text"
            return answer.text

        with ThreadPoolExecutor(30) as pool:
            answers = list(pool.map(one, range(30)))
        assert answers == ["form"] * 30
        assert httpx.get(base + "/healthz", timeout=5).status_code == 200


def test_a_kept_form_is_never_the_page_of_another(
    client: TestClient, world: World, database: Database, clock: Clock, settings: Settings
) -> None:
    """F2: a form whose page is a kept form keeps no page (opening it draws nothing again)."""
    log_in(client, world.member)
    fields = _comment_fields(client)
    clock.advance(minutes=settings.session_idle_minutes + 1)
    first = _kept_path(_send(client, "/comments", fields))
    # The same ended session sends another form, from the kept form's page.
    second = _kept_path(_send(client, "/comments", fields, referer=BASE + first))
    assert sorted((r.page or "-", r.action) for r in _kept_rows(database)) == [
        ("-", "/comments"),
        (ITEM, "/comments"),
    ]
    log_in(client, world.member)
    answer = client.get(second)
    assert answer.status_code == 200 and _textareas(answer.text) == [TYPED]
    assert first not in answer.text


def test_a_form_from_a_browser_naming_no_session_is_not_kept(
    client: TestClient, world: World, database: Database, settings: Settings
) -> None:
    """F3: a post with no session cookie (any script can say Sec-Fetch-Site), or with one that
    names no session, is nobody's: it is not kept, for anyone to be shown."""
    log_in(client, world.secretariat)
    fields = _comment_fields(client)
    client.cookies.clear()
    answer = _send(client, "/comments", fields)
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=/comments"
    client.cookies.set(session_cookie(settings), "made-up")
    forged = _send(client, "/comments", fields)
    assert forged.status_code == 303 and "/kept/" not in forged.headers["location"]
    assert _kept_rows(database) == []


def test_a_kept_form_is_opened_by_its_person_alone_never_by_whoever(
    client: TestClient,
    world: World,
    app: FastAPI,
    database: Database,
    clock: Clock,
    settings: Settings,
) -> None:
    """F3: the row names its person; one that names nobody (kept before) opens for no one."""
    kept_path = _kept_for_member(client, world, clock, settings)
    with database.transaction(write=True) as s:
        row = s.scalar(select(KeptForm))
        assert row is not None
        assert row.user_id == s.scalar(select(User.id).where(User.email == world.member))
        row.user_id = None
    for email in (world.member, world.secretariat):
        assert logged_in(app, email).get(kept_path).status_code == 404


def test_a_kept_form_gives_back_text_never_hidden_fields_nor_choices() -> None:
    """F3: the page's form as its GET draws it, with only the person's text written back (and
    the version the text was typed against): never a confirmation, a choice or a hidden
    field from what was stored."""
    page = """<!doctype html><html><body><main><form method="post" action="/proposals/7/decision">
      <input type="hidden" name="csrf_token" value="fresh">
      <input type="hidden" name="version" value="5">
      <input type="hidden" name="step" value="first">
      <select name="outcome"><option value="">Choose</option>
        <option value="not_retained">Not retained</option></select>
      <input type="checkbox" name="confirm" value="yes">
      <input type="checkbox" name="acknowledged" value="yes">
      <input type="radio" name="kind" value="a" checked><input type="radio" name="kind" value="b">
      <input type="text" name="title" value="">
      <textarea name="reason"></textarea>
    </form></main></body></html>"""
    stored = [
        ("version", "4"),
        ("step", "first"),
        ("acknowledged", "yes"),
        ("outcome", "not_retained"),
        ("confirm", "yes"),
        ("kind", "b"),
        ("title", "A title"),
        ("reason", "Typed reason."),
    ]
    filled = fill(page, "/proposals/7/decision", stored, ENDED, text_only=True)
    assert filled is not None
    form = lxml.html.document_fromstring(filled).forms[0]
    assert dict(form.form_values()) == {
        "csrf_token": "fresh",
        "version": "4",  # sending again is refused if the proposal changed meanwhile
        "step": "first",
        "outcome": "",
        "kind": "a",
        "title": "A title",
        "reason": "Typed reason.",
    }


def test_the_way_back_is_a_path_of_this_site(
    client: TestClient, world: World, database: Database
) -> None:
    """F3: a Referer such as http://testserver//evil.example/phish gives no link to
    //evil.example/phish (another site, to a browser)."""
    log_in(client, world.member)
    fields = _comment_fields(client)
    log_in(client, world.member)
    for page in ("//evil.example/phish", "/\\evil.example/phish", "/static/site.css"):
        answer = _send(client, "/comments", fields, referer=BASE + page)
        assert answer.status_code == 403 and EXPIRED in answer.text
        main = answer.text.split("<main")[1]
        assert "evil.example" not in main and "site.css" not in main
        assert "Go back to the page" not in main
    assert _comments(database) == []


def test_what_is_kept_is_bounded(
    client: TestClient, world: World, database: Database, clock: Clock, settings: Settings
) -> None:
    """F9: never files, never more than 200 KB of text, at most 20 forms a person (the oldest
    go), none past its two hours."""
    log_in(client, world.member)
    fields = _comment_fields(client)
    clock.advance(minutes=settings.session_idle_minutes + 1)
    big = _send(client, "/comments", fields | {"body": "word " * 50_000})
    assert big.headers["location"] == f"/login?next={ITEM}"
    assert _kept_rows(database) == []
    with_file = client.post(
        "/comments",
        data=fields,
        files={"upload": ("a.txt", b"x" * 300_000, "text/plain")},
        headers=FROM_PAGE,
        follow_redirects=False,
    )
    assert _kept_path(with_file)
    (row,) = _kept_rows(database)
    assert all(name != "upload" for name, _ in row.fields)
    for n in range(22):
        clock.advance(seconds=1)
        _send(client, "/comments", fields | {"body": f"Text number {n}"})
    bodies = sorted(dict(r.fields)["body"] for r in _kept_rows(database))
    assert bodies == sorted(f"Text number {n}" for n in range(2, 22))


def test_an_unreadable_referer_or_origin_is_not_this_site(client: TestClient, world: World) -> None:
    """F10: 'http://[::1' cannot be read as an address: not this site, never a 500."""
    for headers in (
        {"sec-fetch-site": "same-origin", "referer": "http://[::1"},
        {"origin": "http://[::1"},
        {"origin": "http://[::1", "referer": "http://[::1/x"},
    ):
        anonymous = client.post(
            "/comments", data={"body": "some words"}, headers=headers, follow_redirects=False
        )
        assert anonymous.status_code == 303, anonymous.text[:300]
    log_in(client, world.member)
    fields = _comment_fields(client, csrf_token="stale")
    for headers in (
        {"sec-fetch-site": "same-origin", "referer": "http://[::1"},
        {"origin": "http://[::1"},
    ):
        stale = client.post("/comments", data=fields, headers=headers, follow_redirects=False)
        assert stale.status_code == 403, stale.text[:300]


def test_the_way_back_to_a_kept_form_never_reaches_the_access_log() -> None:
    """F10: /kept/<key> is a credential, in the path or as where the log-in goes next."""
    key = "k" * 43
    assert redact(f"/kept/{key}") == "/kept/[redacted]"
    assert redact(f"/login?next=/kept/{key}") == "/login?next=/kept/[redacted]"
    assert redact(f"/login?next=%2Fkept%2F{key}&x=1") == "/login?next=%2Fkept%2F[redacted]&x=1"
    assert redact(f"/login?next=/invitation/{key}") == "/login?next=/invitation/[redacted]"
    assert redact("/login?next=/indicators/FC-CD-01") == "/login?next=/indicators/FC-CD-01"


def test_a_page_of_its_own_reads_the_database_off_the_event_loop(
    client: TestClient,
    world: World,
    clock: Clock,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """F2: the page of its own (its frame reads the database) is drawn in the thread pool: a
    wait for a connection on the event loop would stop every request (seen with 80 openings
    at once: all 80 without an answer)."""
    drawn_on: list[str] = []
    real = kept.render

    def render(*args: Any, **kwargs: Any) -> Any:
        try:
            asyncio.get_running_loop()
            drawn_on.append("event loop")
        except RuntimeError:
            drawn_on.append("worker thread")
        return real(*args, **kwargs)

    monkeypatch.setattr(kept, "render", render)
    log_in(client, world.member)
    fields = _comment_fields(client)
    log_in(client, world.member)
    expired = _send(client, "/comments", fields, referer="")  # no page: a page of its own
    assert expired.status_code == 403 and "<h1>Your text is kept</h1>" in expired.text
    clock.advance(minutes=settings.session_idle_minutes + 1)
    kept_path = _kept_path(_send(client, "/comments", fields, referer=""))
    log_in(client, world.member)
    assert client.get(kept_path).status_code == 200
    assert drawn_on == ["worker thread", "worker thread"]
