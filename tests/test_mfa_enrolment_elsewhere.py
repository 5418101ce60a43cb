"""A half-done enrolment opens a session only on the second factor set up in it.

Someone who knows the password of a person whose role requires a second factor, and who has
none yet, reaches the enrolment page. If the person then sets up an authenticator app another
way (here: from a script with their own API token, made while they were a member), the
enrolment page must not let the first browser finish "enrolment" and open a session without
ever giving that factor: it sends it back to the log-in page, where the factor is asked."""

import re

import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.config import Settings
from app.db import Database
from app.models import AuthSession, User
from tests.factories import PASSWORD, World, bearer, token_for
from tests.helpers import Clock, csrf_of


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.mfa_required_roles = "admin,secretariat,chair"
    return settings


def password_step(client: TestClient, email: str) -> str:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return str(response.headers["location"])


def sessions_of(database: Database, email: str) -> int:
    with database.transaction(write=False) as s:
        return (
            s.scalar(
                select(func.count())
                .select_from(AuthSession)
                .join(User, User.id == AuthSession.user_id)
                .where(User.email == email)
            )
            or 0
        )


def set_up_app_with_token(client: TestClient, token: str, clock: Clock) -> None:
    page = client.get("/account/security/totp", headers=bearer(token))
    assert page.status_code == 200
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)</code>', page.text)
    signed = re.search(r'name="secret_token" value="([^"]+)"', page.text)
    assert secret and signed
    done = client.post(
        "/account/security/totp",
        data={
            "secret_token": signed.group(1),
            "code": pyotp.TOTP(secret.group(1).replace(" ", "")).at(clock.now),
            "proof": PASSWORD,
        },
        headers=bearer(token),
    )
    assert done.status_code == 200 and "recovery" in done.text.lower()


def test_a_factor_set_up_elsewhere_ends_the_half_done_enrolment(
    client: TestClient, app: FastAPI, world: World, database: Database, clock: Clock
) -> None:
    token = token_for(database, world.chair, clock.now)
    assert password_step(client, world.chair) == "/login/enrol"
    form = client.get("/login/enrol")
    assert form.status_code == 200

    with TestClient(app) as script:
        set_up_app_with_token(script, token, clock)

    done = client.post(
        "/login/enrol/done", data={"csrf_token": csrf_of(form.text)}, follow_redirects=False
    )
    assert done.status_code == 303
    assert done.headers["location"].startswith("/login?restart=expired")
    assert "zd_session" not in done.headers.get("set-cookie", "")
    assert sessions_of(database, world.chair) == 0
    page = client.get("/login/enrol", follow_redirects=False)
    assert page.headers["location"].startswith("/login?restart=expired")
    # Logging in again asks for the factor that now exists.
    assert password_step(client, world.chair) == "/login/verify"


def test_enrolling_here_still_opens_the_session(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    assert password_step(client, world.chair) == "/login/enrol"
    form = client.get("/login/enrol")
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)</code>', form.text)
    assert secret
    shown = client.post(
        "/login/enrol/totp",
        data={
            "code": pyotp.TOTP(secret.group(1).replace(" ", "")).at(clock.now),
            "csrf_token": csrf_of(form.text),
        },
    )
    assert shown.status_code == 200
    # A reload of the enrolment page after set-up offers only to continue, and continuing works.
    again = client.get("/login/enrol")
    assert again.status_code == 200
    done = client.post(
        "/login/enrol/done", data={"csrf_token": csrf_of(again.text)}, follow_redirects=False
    )
    assert done.headers["location"] == "/register"
    assert sessions_of(database, world.chair) == 1
