"""ASVS 5.0 level 2, sessions and /docs (issue 14): in production every cookie is Secure
whatever the scheme the request came by, the session's carries the __Host- prefix, and HSTS is
sent; a person sees and ends their own sessions; sensitive changes ask for the password again;
/docs loads no script from elsewhere and its policy allows no inline script."""

import re
from collections.abc import Iterator
from http.cookies import SimpleCookie
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.accounts.second_factor import new_totp_secret
from app.audit.service import Actor, record
from app.config import Settings
from app.db import Database
from app.main import create_app
from app.models import User
from tests.factories import PASSWORD, World
from tests.helpers import Clock, csrf_of, form_in, log_in


@pytest.fixture
def production(settings: Settings, clock: Clock, world: World) -> Iterator[FastAPI]:
    # Copied, not validated: the test's cheap password hashing is kept.
    chosen = settings.model_copy(
        update={"mode": "production", "audit_key": "production-audit-key-" + "k" * 32}
    )
    application = create_app(chosen, clock=clock)
    yield application
    application.state.database.dispose()


def _cookies(response: Any) -> dict[str, Any]:
    jar: dict[str, Any] = {}
    for header in response.headers.get_list("set-cookie"):
        parsed = SimpleCookie()
        parsed.load(header)
        jar.update(parsed)
    return jar


def test_in_production_the_session_cookie_is_host_prefixed_and_secure_even_over_http(
    production: FastAPI, world: World
) -> None:
    # A TLS proxy in front speaks plain HTTP to the app: the cookies are Secure all the same.
    with TestClient(production, base_url="http://testserver") as c:
        page = c.get("/login")
        login_cookie = _cookies(page)["__Host-zd_login_csrf"]
        assert login_cookie["secure"] and login_cookie["path"] == "/"
        c.cookies.set("__Host-zd_login_csrf", login_cookie.value)
        answer = c.post(
            "/login",
            data={"email": world.member, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )
        assert answer.status_code == 303
        session = _cookies(answer)["__Host-zd_session"]
        assert session["secure"] and session["httponly"] and session["path"] == "/"
        assert not session["domain"]
        assert "zd_session" not in _cookies(answer)
    # Over HTTPS the browser sends it back and the session works.
    with TestClient(production, base_url="https://testserver") as c:
        c.cookies.set("__Host-zd_session", session.value)
        assert c.get("/account", follow_redirects=False).status_code == 200
        # An unprefixed cookie of the same value is not ours.
        c.cookies.clear()
        c.cookies.set("zd_session", session.value)
        assert c.get("/account", follow_redirects=False).status_code == 303


def test_in_production_every_answer_carries_hsts(production: FastAPI) -> None:
    with TestClient(production, base_url="http://testserver") as c:
        for path in ("/login", "/healthz", "/static/site.css", "/nope"):
            hsts = c.get(path).headers.get("strict-transport-security", "")
            assert hsts.startswith("max-age=31536000"), path


def test_outside_production_no_hsts_and_plain_cookie_names(
    client: TestClient, world: World
) -> None:
    assert "strict-transport-security" not in client.get("/login").headers
    log_in(client, world.member)
    assert client.cookies.get("zd_session")


def test_a_person_sees_their_sessions_and_ends_one_or_all_others(
    app: FastAPI, client: TestClient, world: World
) -> None:
    phone = TestClient(app, client=("198.51.100.20", 50000), headers={"User-Agent": "Firefox/1"})
    laptop = TestClient(app, client=("198.51.100.21", 50000))
    for other in (phone, laptop):
        log_in(other, world.member)
    log_in(client, world.member)
    page = client.get("/account").text
    assert "198.51.100.20" in page and "198.51.100.21" in page and "Firefox" in page
    assert "This session" in page and "Last active" in page
    handles = re.findall(r'/account/sessions/([0-9a-f]{16})/end"', page)
    assert len(handles) == 2
    form = form_in(page, action=f"/account/sessions/{handles[0]}/end")
    assert client.post(f"/account/sessions/{handles[0]}/end", data=form).status_code == 200
    ended = [c for c in (phone, laptop) if c.get("/account", follow_redirects=False).is_redirect]
    assert len(ended) == 1
    form = form_in(client.get("/account").text, action="/account/sessions/end-others")
    client.post("/account/sessions/end-others", data=form)
    for other in (phone, laptop):
        assert other.get("/account", follow_redirects=False).status_code == 303
    assert client.get("/account", follow_redirects=False).status_code == 200


def test_changing_the_password_or_a_second_factor_asks_for_the_password(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    log_in(client, world.member)
    form = form_in(client.get("/account").text, action="/account/password")
    new = "quiet harbour paper kite"
    refused = client.post(
        "/account/password", data=form | {"current": "", "password": new, "repeat": new}
    )
    assert refused.status_code == 422 and "current password" in refused.text
    with database.transaction() as s:
        user = s.scalars(select(User).where(User.email == world.member)).one()
        user.totp_secret, user.totp_enabled_at = new_totp_secret(), clock.now
        record(
            s, Actor.system("test"), action="mfa.totp_set_up", object_type="user", object_id=user.id
        )
    action = "/account/security/totp/off"
    off = form_in(client.get(action).text, action=action)
    asked = client.post(action, data=off | {"proof": ""})
    assert asked.status_code == 422 and "current password" in asked.text
    with database.transaction(write=False) as s:
        assert s.scalars(select(User).where(User.email == world.member)).one().totp_secret


# --- /docs ------------------------------------------------------------------------------------


def test_docs_loads_scripts_only_from_this_server_and_none_inline(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.S)
    assert scripts
    for attributes, body in scripts:
        source = re.search(r'src="([^"]+)"', attributes)
        assert source and source.group(1).startswith("/static/"), attributes
        assert not body.strip()
        assert client.get(source.group(1)).status_code == 200
    for link in re.findall(r'<link[^>]+href="([^"]+)"', page.text):
        assert link.startswith("/static/") and client.get(link).status_code == 200
    policy = dict(
        part.strip().split(" ", 1) for part in page.headers["content-security-policy"].split(";")
    )
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert "unsafe-inline" not in page.headers["content-security-policy"]
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    assert client.get("/redoc").status_code == 404


@pytest.mark.browser
def test_docs_renders_in_chromium_without_breaking_its_policy(live_server: str, page: Any) -> None:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    outside: list[str] = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(live_server) else None,
    )
    page.goto(f"{live_server}/docs")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "zerodraft" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator(".opblock").first.wait_for()
    # Opened, its parameters and answers (with their schemas) are drawn too.
    page.locator(".opblock-summary").first.click()
    page.locator(".opblock-body").first.wait_for()
    page.get_by_role("button", name="Try it out").first.click()
    page.locator(".models").first.scroll_into_view_if_needed()
    assert not [p for p in problems if "Content Security Policy" in p], problems
    assert outside == []
    # The listener does hear the policy refuse something: an inline style, added now.
    page.evaluate(
        "() => { const s = document.createElement('style'); s.textContent = 'b{}';"
        " document.head.appendChild(s); }"
    )
    page.wait_for_function("() => true")
    page.wait_for_timeout(300)
    assert [p for p in problems if "Content Security Policy" in p]
