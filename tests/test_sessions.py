"""Sessions beyond tests/test_auth.py: fixation, logout and disabling seen from the API, exact
timeout boundaries with the injected clock, CSRF on every state-changing route (walked from the
app's own routes), and log-in throttling per account and per address, shared through the
database by several app instances."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.accounts.passwords import digest
from app.config import Settings
from app.db import Base, Database
from app.main import create_app
from app.models import AuthSession, Notification
from app.web.deps import SAFE_METHODS, SESSION_COOKIE, all_routes
from tests.factories import PASSWORD, World, bearer, token_for
from tests.helpers import Clock, csrf_of, fill_path, log_in

HOST = "testserver.local"


def _cookie(client: TestClient) -> str:
    value = client.cookies.get(SESSION_COOKIE, domain=HOST)
    assert value
    return value


def _use_cookie(client: TestClient, value: str) -> None:
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, value, domain=HOST)


def _attempt(client: TestClient, email: str, password: str) -> Any:
    page = client.get("/login")
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )


# --- fixation ------------------------------------------------------------------------------


def test_a_live_session_planted_before_login_is_ended_by_the_login(
    app: FastAPI, world: World
) -> None:
    """An attacker logs in, plants their own (valid) session cookie in the victim's browser; the
    victim's log-in replaces it and the planted id stops working for anyone."""
    with TestClient(app) as attacker, TestClient(app) as victim:
        log_in(attacker, world.member2)
        planted = _cookie(attacker)
        _use_cookie(victim, planted)
        log_in(victim, world.member)
        assert _cookie(victim) != planted
        assert victim.get("/api/v1/me").json()["email"] == world.member
        _use_cookie(attacker, planted)
        assert attacker.get("/api/v1/me").status_code == 401
        assert attacker.get("/account", follow_redirects=False).status_code == 303


def test_the_csrf_token_changes_with_the_session(client: TestClient, world: World) -> None:
    first = log_in(client, world.member)
    second = log_in(client, world.member)
    assert first != second
    # The first session's token is worthless for the new session.
    response = client.post("/account/tokens", data={"csrf_token": first, "name": "x"})
    assert response.status_code == 403


# --- logout and disabling, seen from every door --------------------------------------------


def test_after_logout_the_old_cookie_opens_neither_pages_nor_the_api(
    client: TestClient, world: World, database: Database
) -> None:
    csrf = log_in(client, world.member)
    stolen = _cookie(client)
    assert client.get("/api/v1/me").status_code == 200
    assert client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).is_redirect
    _use_cookie(client, stolen)
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/indicators").status_code == 401
    # A write with the old cookie and its old token is refused too.
    refused = client.post(
        "/api/v1/me/tokens", json={"name": "after logout"}, headers={"X-CSRF-Token": csrf}
    )
    assert refused.status_code == 401
    with database.transaction(write=False) as s:
        ended = s.get(AuthSession, digest(stolen))
        assert ended is not None and ended.ended_at is not None


def test_disabling_ends_cookie_sessions_at_once_for_api_and_forms(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    from app.accounts import service
    from app.audit.service import Actor

    csrf = log_in(client, world.member)
    token = token_for(database, world.member, clock.now)
    with TestClient(client.app) as other_browser:  # type: ignore[arg-type]
        log_in(other_browser, world.member)
        with database.transaction() as s:
            service.disable_user(s, Actor.system(), email=world.member, now=clock.now)
        for c in (client, other_browser):
            assert c.get("/api/v1/me").status_code == 401
            assert c.get("/register", follow_redirects=False).status_code == 303
    before = _fingerprint(database)
    posted = client.post(
        "/comments",
        data={"csrf_token": csrf, "item": "FC-CD-01", "body": "still here?"},
        follow_redirects=False,
    )
    assert posted.status_code == 303  # sent to the log-in page, nothing written
    assert posted.headers["location"].startswith("/login")
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert _fingerprint(database) == before


# --- timeouts, to the second -------------------------------------------------------------------


def test_idle_timeout_boundary_for_pages_and_the_api(
    client: TestClient, world: World, clock: Clock, settings: Settings
) -> None:
    log_in(client, world.member)
    idle = timedelta(minutes=settings.session_idle_minutes)
    clock.now += idle - timedelta(seconds=1)
    assert client.get("/api/v1/me").status_code == 200  # activity through the API renews too
    clock.now += idle - timedelta(seconds=1)
    assert client.get("/account", follow_redirects=False).status_code == 200
    clock.now += idle  # exactly the idle time without a request
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_absolute_timeout_holds_however_busy_the_session(
    client: TestClient, world: World, clock: Clock, settings: Settings
) -> None:
    login_page = client.get("/login")
    response = client.post(
        "/login",
        data={"email": world.member, "password": PASSWORD, "csrf_token": csrf_of(login_page.text)},
        follow_redirects=False,
    )
    cookie = next(
        h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE)
    )
    assert f"Max-Age={settings.session_absolute_hours * 3600}" in cookie
    end = clock.now + timedelta(hours=settings.session_absolute_hours)
    step = timedelta(minutes=settings.session_idle_minutes // 2 or 1)
    while clock.now + step < end:
        clock.now += step
        assert client.get("/api/v1/me").status_code == 200
    clock.now = end - timedelta(seconds=1)
    assert client.get("/api/v1/me").status_code == 200
    clock.now = end
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/account", follow_redirects=False).status_code == 303


# --- CSRF on every state-changing route ---------------------------------------------------------


def _fingerprint(database: Database) -> dict[str, int]:
    """Row counts of every table (sessions aside: reading pages may renew them)."""
    with database.transaction(write=False) as s:
        return {
            t.name: s.scalar(select(func.count()).select_from(t)) or 0
            for t in Base.metadata.sorted_tables
            if t.name != AuthSession.__tablename__
        }


@pytest.fixture
def member_with_things(
    client: TestClient, world: World, database: Database, clock: Clock
) -> dict[str, str]:
    """A logged-in member with a proposal, a comment, a token and a notification of their own,
    so that every route's path has something real behind it."""
    csrf = log_in(client, world.member)
    h = {"X-CSRF-Token": csrf}
    proposal = client.post(
        "/api/v1/proposals",
        json={"kind": "amend", "targets": ["FC-CD-01"], "content": {"text": "Passport held"}},
        headers=h,
    )
    assert proposal.status_code == 201, proposal.text
    comment = client.post("/api/v1/comments", json={"item": "FC-CD-01", "body": "Hm"}, headers=h)
    assert comment.status_code == 201, comment.text
    token = client.post("/api/v1/me/tokens", json={"name": "t"}, headers=h)
    assert token.status_code == 201, token.text
    with database.transaction() as s:
        user_id = s.scalar(select(AuthSession.user_id))
        note = Notification(
            user_id=user_id, kind="k", message="m", link="/register", created_at=clock.now
        )
        s.add(note)
        s.flush()
        note_id = note.id
    return {
        "proposal_id": str(proposal.json()["id"]),
        "comment_id": str(comment.json()["id"]),
        "token_id": str(token.json()["id"]),
        "notification_id": str(note_id),
        "code": "FC-CD-01",
        "ref": "DWG-FC/ZD",
        "move": "close",
        "number": "1",
        "import_id": "1",
        "csrf": csrf,
    }


def _state_changing_routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    for route in all_routes(app.routes):
        if not isinstance(route, APIRoute):
            continue
        for method in sorted(route.methods - SAFE_METHODS):
            if route.path == "/login":  # its own double-submit cookie: tests/test_auth.py
                continue
            # Logged-out forms with their own double-submit cookie: tests/test_invitations.py,
            # tests/test_passwords.py.
            if route.path.startswith(("/invitation/", "/password/")):
                continue
            if route.path.startswith("/login/"):  # before a session: tests/test_mfa.py
                continue
            # RFC 8058 one-click unsubscribe: a mail program POSTs it with no session and no
            # form; the signed token in the path is the credential (tests/test_unsubscribe.py).
            if route.path == "/mail/unsubscribe/{token}":
                continue
            yield method, route.path


def test_every_state_changing_route_refuses_a_cookie_session_without_the_csrf_token(
    client: TestClient, app: FastAPI, database: Database, member_with_things: dict[str, str]
) -> None:
    routes = list(_state_changing_routes(app))
    assert len(routes) > 60  # the walk really found the app's routes
    before = _fingerprint(database)
    wrong = "x" * len(member_with_things["csrf"])
    for method, path in routes:
        # The token is checked before anything is looked up: any value will do for the rest.
        url = fill_path(path, member_with_things, default="1")
        is_api = path.startswith("/api/")
        for token in (None, wrong):
            if is_api:
                headers = {"X-CSRF-Token": token} if token else {}
                response = client.request(method, url, json={}, headers=headers)
            else:
                data = {"csrf_token": token} if token else {}
                response = client.request(method, url, data=data)
            assert response.status_code == 403, (method, path, token, response.text[:300])
            if is_api:
                assert response.json()["field"] == "csrf_token"
            else:
                assert "security token" in response.text
    assert _fingerprint(database) == before


def test_a_token_from_another_session_is_refused(
    app: FastAPI, world: World, database: Database
) -> None:
    with TestClient(app) as mine, TestClient(app) as theirs:
        log_in(mine, world.member)
        their_token = log_in(theirs, world.member2)
        before = _fingerprint(database)
        response = mine.post(
            "/comments", data={"csrf_token": their_token, "item": "FC-CD-01", "body": "forged"}
        )
        assert response.status_code == 403
        assert _fingerprint(database) == before


# --- throttling -------------------------------------------------------------------------------


def test_the_sixth_try_from_an_address_on_an_account_is_429_but_other_addresses_get_in(
    app: FastAPI, world: World, clock: Clock, settings: Settings
) -> None:
    # Issue 14: a per-account limit alone let anyone lock the owner out (tests/test_lockout.py).
    for n in range(settings.login_max_failures):
        with TestClient(app, client=(f"10.0.0.{n + 1}", 50000)) as c:
            assert _attempt(c, world.member, "wrong-password!").status_code == 401
        clock.advance(seconds=10)
    with TestClient(app, client=("10.0.0.99", 50000)) as c:
        assert _attempt(c, world.member, PASSWORD).status_code == 303
    with TestClient(app, client=("10.0.0.5", 50000)) as c:
        for _ in range(settings.login_max_failures - 1):
            assert _attempt(c, world.member, "wrong-password!").status_code == 401
        refused = _attempt(c, world.member, PASSWORD)
        assert refused.status_code == 429
        wait = int(refused.headers["retry-after"])
        assert wait == 60
        assert "Too many failed log-ins" in refused.text
        clock.advance(seconds=wait - 1)
        assert _attempt(c, world.member, PASSWORD).status_code == 429
        clock.advance(seconds=1)
        assert _attempt(c, world.member, PASSWORD).status_code == 303
        # Other accounts were never affected.
        assert _attempt(c, world.member2, PASSWORD).status_code == 303


@pytest.fixture
def strict_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"login_max_failures_per_address": 5})


def test_the_sixth_try_from_one_address_is_429_across_accounts(
    strict_settings: Settings, world: World, clock: Clock
) -> None:
    app = create_app(strict_settings, clock=clock)
    try:
        emails = [f"guess{n}@asean.test" for n in range(5)]
        with TestClient(app, client=("203.0.113.7", 40000)) as c:
            for email in emails:
                assert _attempt(c, email, "wrong-password!").status_code == 401
            refused = _attempt(c, world.member3, PASSWORD)
            assert refused.status_code == 429
            assert int(refused.headers["retry-after"]) == 60
            assert "your address" in refused.text
        with TestClient(app, client=("203.0.113.8", 40000)) as c:
            assert _attempt(c, world.member3, PASSWORD).status_code == 303
        clock.advance(minutes=strict_settings.login_window_minutes)
        with TestClient(app, client=("203.0.113.7", 40000)) as c:
            assert _attempt(c, world.member3, PASSWORD).status_code == 303
    finally:
        app.state.database.dispose()


def test_two_app_instances_on_one_database_share_the_throttle(
    settings: Settings, world: World, clock: Clock
) -> None:
    first, second = create_app(settings, clock=clock), create_app(settings, clock=clock)
    try:
        with TestClient(first) as a, TestClient(second) as b:
            for n in range(settings.login_max_failures):
                c = a if n % 2 == 0 else b
                assert _attempt(c, world.member, "wrong-password!").status_code == 401
            assert _attempt(a, world.member, PASSWORD).status_code == 429
            assert _attempt(b, world.member, PASSWORD).status_code == 429
            clock.advance(minutes=settings.login_window_minutes)
            assert _attempt(b, world.member, PASSWORD).status_code == 303
    finally:
        first.state.database.dispose()
        second.state.database.dispose()


def test_a_form_token_in_any_letters_is_refused_not_a_server_error(
    client: TestClient, world: World
) -> None:
    """hmac.compare_digest raises on non-ASCII text: a token with any letters is just wrong."""
    log_in(client, world.member)
    posted = client.post("/account/mail", data={"csrf_token": "é", "frequency": "none"})
    assert posted.status_code == 403 and "security token" in posted.text
    header = client.post(
        "/account/mail", data={"frequency": "none"}, headers={"X-CSRF-Token": b"\xe9"}
    )
    assert header.status_code == 403
