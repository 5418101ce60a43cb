"""The account page and API: name, time zone (and every date then in it), mail preference,
and the person's sessions."""

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.accounts.profile import browser_name
from app.audit.service import Actor, record
from app.db import Database
from app.models import AuditEvent, AuthSession, MailFrequency, User
from tests.factories import World, bearer, token_for
from tests.helpers import Clock, form_in, log_in, summary, text_of

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def _user(database: Database, email: str) -> User:
    with database.transaction() as s:
        user = s.scalars(select(User).where(User.email == email)).one()
        s.expunge(user)
        return user


def _submit(client: TestClient, action: str, **fields: str) -> Any:
    form = form_in(client.get("/account").text, action=action)
    return client.post(action, data=form | fields, follow_redirects=False)


def test_the_page_shows_every_section(client: TestClient, world: World) -> None:
    log_in(client, world.member)
    page = client.get("/account")
    assert page.status_code == 200
    words = text_of(page.text)
    for heading in (
        "Your details",
        "Mail",
        "Password",
        "Where you are logged in",
        "Delegation",
        "Personal API tokens",
    ):
        assert heading in words
    details = form_in(page.text, action="/account/details")
    assert details["name"] == "Maria Santos" and details["time_zone"] == ""
    assert "The group's time zone (Asia/Jakarta)" in words
    assert '<optgroup label="ASEAN Member States">' in page.text
    assert "Manila, Philippines (UTC+8)" in words and "Europe/Paris (UTC+1)" in words
    assert form_in(page.text, action="/account/mail")["mail_frequency"] == "daily"
    assert "always goes at once" in words


def test_a_person_sets_their_name_and_time_zone_and_dates_follow(
    client: TestClient, database: Database, world: World
) -> None:
    log_in(client, world.member)
    before = client.get("/indicators/FC-CD-01").text
    assert "02 Mar 2026 16:00 WIB (UTC+7)" in before
    response = _submit(
        client, "/account/details", name="  Maria   C. Santos ", time_zone="Asia/Manila"
    )
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    assert "Dates and deadlines are now shown in your time zone" in page.text
    assert form_in(page.text, action="/account/details")["time_zone"] == "Asia/Manila"
    assert "Maria C. Santos" in page.text  # in the page header too
    indicator = client.get("/indicators/FC-CD-01").text
    assert "02 Mar 2026 17:00 PST (UTC+8)" in indicator
    assert "WIB" not in indicator
    assert client.get("/api/v1/me").json()["name"] == "Maria C. Santos"
    user = _user(database, world.member)
    assert user.name == "Maria C. Santos" and user.time_zone == "Asia/Manila"
    with database.transaction() as s:
        event = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.profile_update")
        ).one()
        assert event.details == {"name": "Maria C. Santos", "time_zone": "Asia/Manila"}
    # Back to the group's zone.
    _submit(client, "/account/details", time_zone="")
    assert _user(database, world.member).time_zone is None
    assert "16:00 WIB (UTC+7)" in client.get("/indicators/FC-CD-01").text


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "   "}, "name", "Name must not be empty."),
        ({"name": "x" * 201}, "name", "at most 200 characters"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", "is not a time zone"),
        ({"time_zone": "EST5EDT"}, "time_zone", "is not a time zone"),
    ],
)
def test_refused_details_say_why_and_keep_the_input(
    client: TestClient,
    database: Database,
    world: World,
    fields: dict[str, str],
    field: str,
    message: str,
) -> None:
    log_in(client, world.member)
    response = _submit(client, "/account/details", **fields)
    assert response.status_code == 422
    [(target, text)] = summary(response.text)
    assert target == field and message in text
    if field == "name":
        assert form_in(response.text, action="/account/details")["name"] == fields["name"]
    user = _user(database, world.member)
    assert user.name == "Maria Santos" and user.time_zone is None


def test_cached_pages_follow_the_readers_zone(
    client: TestClient, database: Database, world: World
) -> None:
    """The indicator page's middle is kept between requests (app/web/cache.py), keyed on the
    reader's zone: a change of zone is never answered with the old zone's dates, even when the
    person's change is the only one since (the zone is in the key, not only the content
    version)."""
    log_in(client, world.member)
    assert "16:00 WIB" in client.get("/indicators/FC-CD-01").text
    assert "16:00 WIB" in client.get("/indicators/FC-CD-01").text
    with database.transaction() as s:
        user = s.scalars(select(User).where(User.email == world.member)).one()
        user.time_zone = "Asia/Yangon"
        record(s, Actor(user.id), action="account.update", object_type="user", object_id=user.id)
    page = client.get("/indicators/FC-CD-01").text
    assert "02 Mar 2026 15:30 UTC+6:30" in page and "WIB" not in page


def test_another_person_of_the_same_role_keeps_their_own_zone(
    app: FastAPI, database: Database, world: World
) -> None:
    with database.transaction() as s:
        budi = s.scalars(select(User).where(User.email == world.member2)).one()
        budi.time_zone = "UTC"
        record(s, Actor(budi.id), action="account.update", object_type="user", object_id=budi.id)
    with TestClient(app) as maria, TestClient(app) as budi:
        log_in(maria, world.member)
        log_in(budi, world.member2)
        for _ in range(2):
            assert "02 Mar 2026 16:00 WIB (UTC+7)" in maria.get("/indicators/FC-CD-01").text
            assert "02 Mar 2026 09:00 UTC" in budi.get("/indicators/FC-CD-01").text


def test_a_person_chooses_how_mail_reaches_them(
    client: TestClient, database: Database, world: World
) -> None:
    log_in(client, world.member)
    for frequency in ("immediate", "weekly", "none", "daily"):
        response = _submit(client, "/account/mail", mail_frequency=frequency)
        assert response.status_code == 303
        page = client.get(response.headers["location"]).text
        assert "Your mail preference was saved." in page
        assert form_in(page, action="/account/mail")["mail_frequency"] == frequency
        assert _user(database, world.member).mail_frequency is MailFrequency(frequency)
    refused = _submit(client, "/account/mail", mail_frequency="hourly")
    assert refused.status_code == 422
    assert summary(refused.text)[0][0] == "mail_frequency"
    token = form_in(client.get("/account").text, action="/account/mail")["csrf_token"]
    nothing = client.post("/account/mail", data={"csrf_token": token})
    assert nothing.status_code == 422 and "Choose how you want to receive mail" in nothing.text


# --- Sessions ---------------------------------------------------------------------------


def _sessions(database: Database, email: str) -> list[AuthSession]:
    with database.transaction() as s:
        user_id = s.scalar(select(User.id).where(User.email == email))
        rows = s.scalars(
            select(AuthSession)
            .where(AuthSession.user_id == user_id)
            .order_by(AuthSession.created_at)
        ).all()
        s.expunge_all()
        return list(rows)


def test_the_sessions_are_listed_and_another_one_can_be_ended(
    app: FastAPI, database: Database, clock: Clock, world: World
) -> None:
    with (
        TestClient(app, headers={"user-agent": FIREFOX}) as desk,
        TestClient(app, headers={"user-agent": SAFARI}) as phone,
    ):
        log_in(phone, world.member)
        clock.advance(minutes=5)
        log_in(desk, world.member)
        page = desk.get("/account").text
        words = text_of(page)
        assert "Firefox on Windows This session" in words
        assert "Safari on iPhone" in words
        assert "02 Mar 2026 16:00 WIB (UTC+7)" in words  # the phone's log-in
        assert "testclient" in words  # the address
        phone_session = next(
            s for s in _sessions(database, world.member) if "iPhone" in (s.user_agent or "")
        )
        handle = phone_session.id[:16]
        assert phone_session.id not in page  # only a handle is shown
        response = _submit(desk, f"/account/sessions/{handle}/end")
        assert response.status_code == 303
        assert "The session was ended." in desk.get(response.headers["location"]).text
        assert phone.get("/api/v1/me").status_code == 401
        assert desk.get("/api/v1/me").status_code == 200
        assert "Safari on iPhone" not in text_of(desk.get("/account").text)
        with database.transaction() as s:
            assert s.scalar(select(func.count()).where(AuditEvent.action == "session.end")) == 1


def test_ending_all_other_sessions_keeps_this_one(
    app: FastAPI, database: Database, world: World
) -> None:
    with TestClient(app) as one, TestClient(app) as two, TestClient(app) as three:
        for c in (one, two, three):
            log_in(c, world.member)
        response = _submit(three, "/account/sessions/end-others")
        assert response.status_code == 303
        assert "Your other sessions were ended." in three.get(response.headers["location"]).text
        assert one.get("/api/v1/me").status_code == 401
        assert two.get("/api/v1/me").status_code == 401
        assert three.get("/api/v1/me").status_code == 200
        assert "End all other sessions" not in three.get("/account").text


def test_a_session_that_is_not_yours_or_this_one_cannot_be_ended_here(
    app: FastAPI, database: Database, world: World
) -> None:
    with TestClient(app) as maria, TestClient(app) as budi:
        token = log_in(maria, world.member)
        log_in(budi, world.member2)
        theirs = _sessions(database, world.member2)[0].id[:16]
        mine = _sessions(database, world.member)[0].id[:16]
        for handle, status in ((theirs, 404), ("zz", 404), (mine, 422)):
            response = maria.post(f"/account/sessions/{handle}/end", data={"csrf_token": token})
            assert response.status_code == status, handle
        assert budi.get("/api/v1/me").status_code == 200
        assert maria.get("/api/v1/me").status_code == 200


def test_browser_names_are_short() -> None:
    assert browser_name(FIREFOX) == "Firefox on Windows"
    assert browser_name(SAFARI) == "Safari on iPhone"
    assert browser_name(None) == "Unknown browser"
    assert browser_name("x" * 300).endswith("…") and len(browser_name("x" * 300)) == 61


# --- The API ----------------------------------------------------------------------------


def test_the_account_api_reads_and_changes_the_account(
    client: TestClient, database: Database, clock: Clock, world: World
) -> None:
    headers = bearer(token_for(database, world.member, clock.now))
    got = client.get("/api/v1/account", headers=headers)
    assert got.status_code == 200
    assert got.json() | {"delegations": None} == {
        "email": world.member,
        "name": "Maria Santos",
        "role": "member",
        "delegations": None,
        "time_zone": None,
        "effective_time_zone": "Asia/Jakarta",
        "mail_frequency": "daily",
        "password_changed_at": None,
    }
    changed = client.patch(
        "/api/v1/account",
        json={"time_zone": "Asia/Dili", "mail_frequency": "weekly"},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["time_zone"] == changed.json()["effective_time_zone"] == "Asia/Dili"
    assert changed.json()["mail_frequency"] == "weekly"
    assert changed.json()["name"] == "Maria Santos"  # left out: unchanged
    back = client.patch("/api/v1/account", json={"time_zone": None}, headers=headers)
    assert back.json()["time_zone"] is None and back.json()["mail_frequency"] == "weekly"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"time_zone": "Asia/Atlantis"}, "time_zone"),
        ({"mail_frequency": "hourly"}, "mail_frequency"),
        ({"name": " "}, "name"),
        ({"email": "new@asean.test"}, "email"),
        ({"role": "admin"}, "role"),
    ],
)
def test_the_account_api_refuses_bad_input_naming_the_field(
    client: TestClient,
    database: Database,
    clock: Clock,
    world: World,
    body: dict[str, Any],
    field: str,
) -> None:
    headers = bearer(token_for(database, world.member, clock.now))
    response = client.patch("/api/v1/account", json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    user = _user(database, world.member)
    assert user.role.value == "member" and user.time_zone is None
