"""ASVS 5.0 level 2, API tokens and sensitive actions (issue 14): an expiry chosen at creation
(90 days unless chosen, at most a year) shown on the account page; a token cannot create tokens
(contract: POST /api/v1/me/tokens with a Bearer token is 403); disabling a person ends their
sessions and revokes their tokens for good; creating a token from a session older than 10
minutes asks for the password again."""

from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from app.cli import app as cli
from app.db import Database
from app.models import LoginAttempt, User
from tests.factories import PASSWORD, World, bearer, token_for
from tests.helpers import Clock, form_in, log_in


def _create_on_page(client: TestClient, **fields: str) -> object:
    form = form_in(client.get("/account").text, action="/account/tokens")
    return client.post("/account/tokens", data=form | fields)


def _new_token(page_text: str) -> str:
    return page_text.split('id="new-token">')[1].split("<")[0]


def test_a_token_cannot_create_tokens_through_the_api(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    token = token_for(database, world.member, clock.now)
    answer = client.post("/api/v1/me/tokens", json={"name": "child"}, headers=bearer(token))
    assert answer.status_code == 403
    assert "cannot create API tokens" in answer.json()["detail"]
    assert len(client.get("/api/v1/me/tokens", headers=bearer(token)).json()) == 1


def test_a_token_cannot_create_tokens_through_the_account_page_either(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    token = token_for(database, world.member, clock.now)
    answer = client.post("/account/tokens", data={"name": "child"}, headers=bearer(token))
    assert answer.status_code == 403
    assert len(client.get("/api/v1/me/tokens", headers=bearer(token)).json()) == 1


def test_a_token_works_90_days_unless_another_expiry_is_chosen(
    client: TestClient, world: World, clock: Clock
) -> None:
    csrf = log_in(client, world.member)
    made = client.post(
        "/api/v1/me/tokens", json={"name": "default"}, headers={"X-CSRF-Token": csrf}
    )
    assert made.status_code == 201, made.text
    assert made.json()["expires_at"].startswith(str((clock.now + timedelta(days=90)).date()))
    too_long = client.post(
        "/api/v1/me/tokens",
        json={"name": "forever", "expires_in_days": 366},
        headers={"X-CSRF-Token": csrf},
    )
    assert too_long.status_code == 422 and too_long.json()["field"] == "expires_in_days"
    page = _create_on_page(client, name="monthly", expires_in_days="30")
    monthly = _new_token(page.text)  # type: ignore[attr-defined]
    account = client.get("/account").text
    assert "Expires" in account and "01 Apr 2026" in account
    assert client.get("/api/v1/me", headers=bearer(monthly)).status_code == 200
    clock.advance(days=30)
    assert client.get("/api/v1/me", headers=bearer(monthly)).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(made.json()["token"])).status_code == 200
    clock.advance(days=60)
    assert client.get("/api/v1/me", headers=bearer(made.json()["token"])).status_code == 401


def test_creating_a_token_from_an_older_session_asks_for_the_password(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    log_in(client, world.member)
    assert _create_on_page(client, name="fresh").status_code == 200  # type: ignore[attr-defined]
    clock.advance(minutes=11)
    asked = _create_on_page(client, name="later", expires_in_days="365")
    assert asked.status_code == 422  # type: ignore[attr-defined]
    assert "Enter your password" in asked.text  # type: ignore[attr-defined]
    # What the person chose is kept for the second try: the name and the expiry.
    again = form_in(asked.text, action="/account/tokens")  # type: ignore[attr-defined]
    assert again["name"] == "later" and again["expires_in_days"] == "365"
    wrong = _create_on_page(client, name="later", password="not-my-password")
    assert wrong.status_code == 422  # type: ignore[attr-defined]
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(LoginAttempt)) == 1  # kept, throttled
    right = _create_on_page(client, name="later", password=PASSWORD)
    assert right.status_code == 200 and _new_token(right.text)  # type: ignore[attr-defined]
    csrf = form_in(client.get("/account").text, action="/account/tokens")["csrf_token"]
    api = client.post("/api/v1/me/tokens", json={"name": "api"}, headers={"X-CSRF-Token": csrf})
    assert api.status_code == 422 and api.json()["field"] == "password"
    api = client.post(
        "/api/v1/me/tokens",
        json={"name": "api", "password": PASSWORD},
        headers={"X-CSRF-Token": csrf},
    )
    assert api.status_code == 201


def test_disabling_a_person_revokes_their_tokens_for_good(
    app: FastAPI, client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    token = token_for(database, world.member, clock.now)
    admin = bearer(token_for(database, world.admin, clock.now))
    with database.transaction(write=False) as s:
        user_id = s.scalar(select(User.id).where(User.email == world.member))
    with TestClient(app) as browser:
        log_in(browser, world.member)
        for active in (False, True):
            tag = client.get(f"/api/v1/people/{user_id}", headers=admin).headers["ETag"]
            changed = client.patch(
                f"/api/v1/people/{user_id}",
                json={"active": active},
                headers=admin | {"If-Match": tag},
            )
            assert changed.status_code == 200, changed.text
        # Enabled again: the person logs in anew and makes new tokens; the old ones stay dead.
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
        assert browser.get("/account", follow_redirects=False).status_code == 303


def test_the_command_line_chooses_the_expiry_too(db_url: str, world: World) -> None:
    args = ["token", "create", "--email", world.member, "--database", db_url]
    made = CliRunner().invoke(cli, [*args, "--days", "7"])
    assert made.exit_code == 0, made.stderr
    until = (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%d")
    assert f"working until {until}" in made.stdout
    assert CliRunner().invoke(cli, [*args, "--days", "366"]).exit_code == 2
