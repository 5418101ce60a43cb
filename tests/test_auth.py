"""Log-in sessions, API tokens, throttling and CSRF, driven over HTTP as a browser would."""

from fastapi.testclient import TestClient
from sqlalchemy import select

from app.accounts.passwords import digest
from app.config import Settings
from app.db import Database
from app.models import AuthSession
from app.web.deps import SESSION_COOKIE
from tests.factories import PASSWORD, World, bearer, token_for
from tests.helpers import Clock, csrf_of, log_in


def _attempt(client: TestClient, email: str, password: str) -> int:
    page = client.get("/login")
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    ).status_code


def test_login_sets_an_httponly_samesite_cookie_and_redirects(
    client: TestClient, world: World
) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "email": world.member,
            "password": PASSWORD,
            "csrf_token": csrf_of(page.text),
            "next": "/account",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    cookie = next(
        h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE)
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http in tests; https requests get Secure
    assert "Maria Santos" in client.get("/account").text


def test_login_redirect_only_goes_to_this_site(client: TestClient, world: World) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "email": world.member,
            "password": PASSWORD,
            "csrf_token": csrf_of(page.text),
            "next": "//evil.example/phish",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/register"


def test_secure_cookie_over_https(app: object, world: World) -> None:
    with TestClient(app, base_url="https://testserver") as client:  # type: ignore[arg-type]
        page = client.get("/login")
        response = client.post(
            "/login",
            data={"email": world.member, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )
        cookie = next(
            h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE)
        )
        assert "Secure" in cookie


def test_unknown_email_and_wrong_password_get_the_same_answer(
    client: TestClient, world: World
) -> None:
    page = client.get("/login")
    token = csrf_of(page.text)
    wrong = client.post(
        "/login", data={"email": world.member, "password": "nope-nope-nope", "csrf_token": token}
    )
    page = client.get("/login")
    unknown = client.post(
        "/login",
        data={
            "email": "nobody@asean.test",
            "password": "nope-nope-nope",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert wrong.status_code == unknown.status_code == 401
    message = "The e-mail address or password is not correct."
    assert message in wrong.text
    assert message in unknown.text


def test_repeated_failures_are_refused_with_429_then_allowed_again(
    client: TestClient, world: World, clock: Clock, settings: Settings
) -> None:
    for _ in range(settings.login_max_failures):
        assert _attempt(client, world.member, "wrong-password!") == 401
    # Even the right password is refused while the account is throttled.
    assert _attempt(client, world.member, PASSWORD) == 429
    clock.advance(minutes=settings.login_window_minutes + 1)
    assert _attempt(client, world.member, PASSWORD) == 303


def test_login_form_without_its_csrf_token_is_refused(client: TestClient, world: World) -> None:
    client.get("/login")
    response = client.post(
        "/login", data={"email": world.member, "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 403
    assert SESSION_COOKIE not in client.cookies


def test_login_issues_a_new_session_id_each_time(
    client: TestClient, world: World, database: Database
) -> None:
    client.cookies.set(SESSION_COOKIE, "attacker-chosen-value", domain="testserver.local")
    log_in(client, world.member)
    first = client.cookies.get(SESSION_COOKIE, domain="testserver.local")
    assert first and first != "attacker-chosen-value"
    log_in(client, world.member)
    assert client.cookies.get(SESSION_COOKIE, domain="testserver.local") != first
    with database.transaction(write=False) as s:
        assert s.get(AuthSession, digest("attacker-chosen-value")) is None


def test_logout_ends_the_session_at_once(client: TestClient, world: World) -> None:
    csrf = log_in(client, world.member)
    stolen = client.cookies.get(SESSION_COOKIE, domain="testserver.local")
    response = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    client.cookies.set(SESSION_COOKIE, stolen or "", domain="testserver.local")
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_logout_needs_the_csrf_token(client: TestClient, world: World) -> None:
    log_in(client, world.member)
    assert client.post("/logout", data={}).status_code == 403
    assert client.get("/account").status_code == 200


def test_idle_and_absolute_timeouts(
    client: TestClient, world: World, clock: Clock, settings: Settings
) -> None:
    log_in(client, world.member)
    clock.advance(minutes=settings.session_idle_minutes - 1)
    assert client.get("/account", follow_redirects=False).status_code == 200  # activity renews
    clock.advance(minutes=settings.session_idle_minutes - 1)
    assert client.get("/account", follow_redirects=False).status_code == 200
    clock.advance(minutes=settings.session_idle_minutes + 1)
    assert client.get("/account", follow_redirects=False).status_code == 303

    log_in(client, world.member)
    for _ in range(settings.session_absolute_hours * 2 + 1):
        clock.advance(minutes=30)
        client.get("/account", follow_redirects=False)
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_disabling_a_user_ends_sessions_and_tokens(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    from app.accounts import service
    from app.audit.service import Actor

    log_in(client, world.member)
    token = token_for(database, world.member, clock.now)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    with database.transaction() as s:
        service.disable_user(s, Actor.system(), email=world.member, now=clock.now)
        assert all(a.ended_at for a in s.scalars(select(AuthSession)))
    assert client.get("/account", follow_redirects=False).status_code == 303
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert _attempt(client, world.member, PASSWORD) == 401


def test_api_tokens_are_shown_once_stored_hashed_and_revocable(
    client: TestClient, world: World, database: Database
) -> None:
    csrf = log_in(client, world.member)
    page = client.post("/account/tokens", data={"csrf_token": csrf, "name": "my script"})
    assert page.status_code == 200
    raw = page.text.split('id="new-token">')[1].split("<")[0]
    assert raw.startswith("zd_")
    assert raw not in client.get("/account").text  # shown once
    with database.transaction(write=False) as s:
        from app.models import ApiToken

        stored = s.scalars(select(ApiToken)).one()
        assert stored.token_hash != raw and len(stored.token_hash) == 64
    me = client.get("/api/v1/me", headers=bearer(raw))
    assert me.json()["email"] == world.member
    assert [d["code"] for d in me.json()["delegations"]] == ["PH-ACWC", "PH-SOMTC"]
    tokens = client.get("/api/v1/me/tokens", headers=bearer(raw)).json()
    revoke = client.post(f"/api/v1/me/tokens/{tokens[0]['id']}/revoke", headers=bearer(raw))
    assert revoke.status_code == 200
    assert client.get("/api/v1/me", headers=bearer(raw)).status_code == 401


def test_a_token_of_someone_else_cannot_be_revoked(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    mine = token_for(database, world.member, clock.now)
    theirs = token_for(database, world.member2, clock.now)
    their_id = client.get("/api/v1/me/tokens", headers=bearer(theirs)).json()[0]["id"]
    response = client.post(f"/api/v1/me/tokens/{their_id}/revoke", headers=bearer(mine))
    assert response.status_code == 404


def test_cookie_session_api_writes_need_the_csrf_header(client: TestClient, world: World) -> None:
    csrf = log_in(client, world.member)
    assert client.post("/api/v1/me/tokens", json={"name": "x"}).status_code == 403
    ok = client.post("/api/v1/me/tokens", json={"name": "x"}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201


def test_member_switches_the_delegation_they_act_for(client: TestClient, world: World) -> None:
    csrf = log_in(client, world.member)
    page = client.post("/account/delegation", data={"csrf_token": csrf, "delegation": "PH-ACWC"})
    assert "You now act for Philippines - ACWC" in page.text
    refused = client.post(
        "/account/delegation", data={"csrf_token": csrf, "delegation": "ID-AICHR"}
    )
    assert refused.status_code == 403


def test_pages_redirect_to_login_when_logged_out(client: TestClient, world: World) -> None:
    response = client.get("/account", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/account"


def test_security_headers_on_every_response(client: TestClient, world: World) -> None:
    for path in ("/login", "/healthz", "/api/v1/indicators", "/nope"):
        headers = client.get(path).headers
        assert headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["cache-control"] == "no-store"
        assert headers["x-request-id"]
