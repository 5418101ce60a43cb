"""Invitations: the use cases (invite, resend), the invitee's page and the API."""

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.accounts import invitations, links
from app.audit.service import Actor
from app.config import Settings
from app.db import Database
from app.errors import Conflict, InvalidInput, PermissionDenied
from app.models import (
    AccountLink,
    AuditEvent,
    AuthSession,
    LinkPurpose,
    OutboxMessage,
    Role,
    User,
)
from tests.factories import World, arranged, bearer, token_for
from tests.helpers import Clock, form_in, log_in, summary, text_of


def _invite(database: Database, settings: Settings, clock: Clock, **overrides: object) -> str:
    args: dict[str, object] = {
        "email": "new.person@asean.test",
        "name": "New Person",
        "role": Role.MEMBER,
        "delegation_codes": ["PH-SOMTC"],
        "inviter_role": Role.SECRETARIAT,
    }
    args.update(overrides)
    with database.transaction() as s:
        _, token = invitations.invite(
            s,
            Actor.system("test"),
            now=clock.now,
            settings=settings,
            **args,  # type: ignore[arg-type]
        )
    return token


def test_invite_creates_a_person_without_password_and_mails_the_link(
    database: Database, settings: Settings, clock: Clock, world: World
) -> None:
    token = _invite(database, settings, clock, email=" New.Person@ASEAN.test ")
    with database.transaction() as s:
        user = s.scalars(select(User).where(User.email == "new.person@asean.test")).one()
        assert user.password_hash is None and user.is_active
        assert invitations.pending(s, user.id)
        link = links.find(s, token, LinkPurpose.INVITATION, now=clock.now)
        assert link.user_id == user.id
        assert link.expires_at == clock.now + timedelta(days=7)
        mail = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "invitation")).one()
        assert mail.to_address == "new.person@asean.test"
        assert f"http://testserver/invitation/{token}" in mail.text_body
        assert f"http://testserver/invitation/{token}" in (mail.html_body or "")
        assert "PH-SOMTC" in mail.text_body and "Member" in mail.text_body
        assert "expires in 7 days, on 09 March 2026, 16:00 Asia/Jakarta time (UTC+7)" in (
            mail.text_body
        )
        assert "Choose a password" in mail.text_body
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "user.invite")).one()
        assert event.object_id == str(user.id)
        # Only the digest is stored.
        assert token not in {row.token_hash for row in s.scalars(select(AccountLink))}


def test_invitation_mail_mentions_the_second_factor_where_the_role_needs_one(
    database: Database, settings: Settings, clock: Clock, world: World
) -> None:
    settings.mfa_required_roles = "chair"
    _invite(database, settings, clock, role="chair", delegation_codes=[])
    with database.transaction() as s:
        mail = s.scalars(select(OutboxMessage)).one()
        assert "second factor" in mail.text_body
        assert "Chair" in mail.text_body


@pytest.mark.parametrize(
    ("overrides", "error", "field"),
    [
        ({"email": "not-an-address"}, InvalidInput, "email"),
        ({"email": "a b@asean.test"}, InvalidInput, "email"),
        ({"name": "   "}, InvalidInput, "name"),
        ({"name": "x" * 201}, InvalidInput, "name"),
        ({"role": "emperor"}, InvalidInput, "role"),
        ({"delegation_codes": []}, InvalidInput, "delegations"),
        ({"delegation_codes": ["XX-NOPE"]}, InvalidInput, "delegations"),
        ({"email": "member.ph@asean.test"}, Conflict, "email"),
        ({"role": Role.ADMIN, "delegation_codes": []}, PermissionDenied, "role"),
    ],
)
def test_invite_refuses_bad_input_naming_the_field(
    database: Database,
    settings: Settings,
    clock: Clock,
    world: World,
    overrides: dict[str, object],
    error: type[Exception],
    field: str,
) -> None:
    with pytest.raises(error) as raised:
        _invite(database, settings, clock, **overrides)
    assert raised.value.extra["field"] == field  # type: ignore[attr-defined]
    with database.transaction() as s:
        assert s.scalar(select(OutboxMessage.id)) is None
        assert s.scalar(select(User.id).where(User.email == "new.person@asean.test")) is None


def test_retired_delegation_cannot_take_new_people(
    database: Database, settings: Settings, clock: Clock, world: World
) -> None:
    from app.models import Delegation

    with arranged(database) as s:
        s.scalars(
            select(Delegation).where(Delegation.code == "TH-SOMTC")
        ).one().retired_at = clock.now
    with pytest.raises(InvalidInput, match="retired"):
        _invite(database, settings, clock, delegation_codes=["th-somtc"])


def test_an_admin_may_invite_an_admin(
    database: Database, settings: Settings, clock: Clock, world: World
) -> None:
    _invite(database, settings, clock, role="admin", delegation_codes=[], inviter_role=Role.ADMIN)
    with database.transaction() as s:
        user = s.scalars(select(User).where(User.email == "new.person@asean.test")).one()
        assert user.role is Role.ADMIN


def test_resend_replaces_the_link(
    database: Database, settings: Settings, clock: Clock, world: World
) -> None:
    first = _invite(database, settings, clock)
    clock.advance(days=6)
    with database.transaction() as s:
        user = s.scalars(select(User).where(User.email == "new.person@asean.test")).one()
        second = invitations.resend(
            s, Actor.system("test"), user=user, now=clock.now, settings=settings
        )
    with database.transaction() as s:
        with pytest.raises(InvalidInput, match="replaced by a newer one"):
            links.find(s, first, LinkPurpose.INVITATION, now=clock.now)
        link = links.find(s, second, LinkPurpose.INVITATION, now=clock.now)
        assert link.expires_at == clock.now + timedelta(days=7)
        assert invitations.invitation_expiry(s, link.user_id, now=clock.now) == link.expires_at
        mails = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert len(mails) == 2 and second in mails[1].text_body
        assert mails[1].subject.startswith("Reminder")
        assert s.scalar(select(AuditEvent.id).where(AuditEvent.action == "user.invite_resend"))


def test_resend_refuses_an_accepted_or_disabled_account(
    database: Database, settings: Settings, clock: Clock, world: World
) -> None:
    with database.transaction() as s:
        member = s.scalars(select(User).where(User.email == world.member)).one()
        with pytest.raises(Conflict, match="already accepted"):
            invitations.resend(
                s, Actor.system("test"), user=member, now=clock.now, settings=settings
            )
    _invite(database, settings, clock)
    with arranged(database) as s:
        user = s.scalars(select(User).where(User.email == "new.person@asean.test")).one()
        user.disable(now=clock.now)
        with pytest.raises(Conflict, match="disabled"):
            invitations.resend(s, Actor.system("test"), user=user, now=clock.now, settings=settings)


# --- The invitee's page -------------------------------------------------------------------

NEW_PASSWORD = "tall-mango-river-lantern"


def _mailed_link(database: Database, to: str, kind: str = "invitation") -> str:
    """The link in the newest mail of `kind` to `to`, from its plain-text part, as a person
    would follow it."""
    with database.transaction() as s:
        mail = s.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.to_address == to, OutboxMessage.kind == kind)
            .order_by(OutboxMessage.id.desc())
        ).first()
        assert mail is not None, f"no {kind} mail to {to}"
        found = re.search(r"http://testserver/\S+", mail.text_body)
        assert found, mail.text_body
        return found.group(0)


def _path(link: str) -> str:
    return link.removeprefix("http://testserver")


def _fill(client: TestClient, link: str, password: str, repeat: str | None = None) -> Any:
    page = client.get(_path(link))
    assert page.status_code == 200, page.text
    fields = form_in(page.text, method="post")
    fields |= {"password": password, "repeat": password if repeat is None else repeat}
    return client.post(_path(link), data=fields, follow_redirects=False)


@pytest.fixture
def invited(database: Database, settings: Settings, clock: Clock, world: World) -> str:
    _invite(database, settings, clock)
    return _mailed_link(database, "new.person@asean.test")


def test_the_invitation_page_shows_who_and_asks_for_a_password_twice(
    client: TestClient, invited: str
) -> None:
    assert invited.startswith("http://testserver/invitation/")
    page = client.get(_path(invited))
    assert page.status_code == 200
    words = text_of(page.text)
    assert "Welcome to zerodraft, New Person" in words
    assert "new.person@asean.test" in words and "Member" in words
    assert "Philippines - SOMTC (PH-SOMTC)" in words
    assert "09 Mar 2026 16:00 WIB (UTC+7)" in words  # valid 7 days, in the group's zone
    assert '<label for="password">New password</label>' in page.text
    assert '<label for="repeat">Repeat the new password</label>' in page.text
    assert page.text.count('type="password"') == 2
    assert "Set password and continue" in page.text


def test_accepting_sets_the_password_and_logs_the_person_in(
    client: TestClient, app: FastAPI, database: Database, invited: str
) -> None:
    response = _fill(client, invited, NEW_PASSWORD)
    assert response.status_code == 303
    assert response.headers["location"] == "/register"
    assert client.get("/account").status_code == 200  # logged in
    with database.transaction() as s:
        user = s.scalars(select(User).where(User.email == "new.person@asean.test")).one()
        assert user.password_hash and user.password_changed_at is not None
        assert not invitations.pending(s, user.id)
        assert s.scalar(
            select(AuditEvent.id).where(
                AuditEvent.action == "user.invitation_accepted",
                AuditEvent.object_id == str(user.id),
            )
        )
    # And from now on the password is how they log in.
    with TestClient(app) as fresh:
        log_in(fresh, "new.person@asean.test", NEW_PASSWORD)


def test_a_role_that_needs_a_second_factor_sets_it_up_before_any_session(
    client: TestClient, database: Database, settings: Settings, clock: Clock, world: World
) -> None:
    settings.mfa_required_roles = "chair"
    _invite(database, settings, clock, role="chair", delegation_codes=[])
    response = _fill(client, _mailed_link(database, "new.person@asean.test"), NEW_PASSWORD)
    assert response.status_code == 303
    assert response.headers["location"] == "/login/enrol"
    assert "zd_session" not in response.cookies
    with database.transaction() as s:
        user_id = s.scalar(select(User.id).where(User.email == "new.person@asean.test"))
        assert s.scalar(select(AuthSession.id).where(AuthSession.user_id == user_id)) is None


@pytest.mark.parametrize(
    ("password", "repeat", "field", "message"),
    [
        ("short-one", None, "password", "at least 15 characters"),
        (NEW_PASSWORD, NEW_PASSWORD + "x", "repeat", "The two passwords are not the same"),
        ("new.person@asean.test", None, "password", "not be your e-mail address"),
        ("aaaaaaaaaaaaaaaa", None, "password", "more different characters"),
        ("Password2026!!!!", None, "password", "list of common and breached passwords"),
        ("12345678901234567", None, "password", "run of keys"),
        ("", None, "password", "at least 15 characters"),
    ],
)
def test_a_refused_password_says_why_and_the_link_still_works(
    client: TestClient,
    database: Database,
    invited: str,
    password: str,
    repeat: str | None,
    field: str,
    message: str,
) -> None:
    response = _fill(client, invited, password, repeat)
    assert response.status_code == 422
    problems = summary(response.text)
    assert [target for target, _ in problems] == [field]
    assert message in problems[0][1]
    assert f'id="{field}-error"' in response.text
    assert 'name="password" type="password"' in response.text  # the form again, empty
    with database.transaction() as s:
        user = s.scalars(select(User).where(User.email == "new.person@asean.test")).one()
        assert user.password_hash is None
    assert _fill(client, invited, NEW_PASSWORD).status_code == 303


def test_a_password_posted_without_the_form_cookie_is_refused(
    app: FastAPI, database: Database, invited: str
) -> None:
    with TestClient(app) as stranger:
        response = stranger.post(
            _path(invited),
            data={"password": NEW_PASSWORD, "repeat": NEW_PASSWORD, "csrf_token": "forged"},
            follow_redirects=False,
        )
    assert response.status_code == 403
    assert "The form had expired" in response.text
    with database.transaction() as s:
        user = s.scalars(select(User).where(User.email == "new.person@asean.test")).one()
        assert user.password_hash is None


def test_a_forged_form_value_of_any_letters_is_refused_not_a_500(
    client: TestClient, database: Database, invited: str
) -> None:
    client.get(_path(invited))  # the form's cookie is set
    response = client.post(
        _path(invited),
        data={"password": NEW_PASSWORD, "repeat": NEW_PASSWORD, "csrf_token": "forgé"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "The form had expired" in response.text
    with database.transaction() as s:
        user = s.scalars(select(User).where(User.email == "new.person@asean.test")).one()
        assert user.password_hash is None


def test_a_used_link_cannot_be_used_again(client: TestClient, app: FastAPI, invited: str) -> None:
    assert _fill(client, invited, NEW_PASSWORD).status_code == 303
    with TestClient(app) as again:
        page = again.get(_path(invited))
        assert page.status_code == 410
        assert "This invitation cannot be used" in page.text
        assert "already been used" in page.text
        posted = again.post(
            _path(invited),
            data={"password": "another-good-password", "repeat": "another-good-password"},
        )
        assert posted.status_code == 410


def test_an_expired_link_says_so(client: TestClient, clock: Clock, invited: str) -> None:
    clock.advance(days=7)
    page = client.get(_path(invited))
    assert page.status_code == 410
    assert "expired" in text_of(page.text)
    assert "Ask the ASEAN Secretariat" in text_of(page.text)


def test_a_replaced_link_points_to_the_newest_mail(
    client: TestClient, database: Database, settings: Settings, clock: Clock, invited: str
) -> None:
    with database.transaction() as s:
        user = s.scalars(select(User).where(User.email == "new.person@asean.test")).one()
        invitations.resend(s, Actor.system("test"), user=user, now=clock.now, settings=settings)
    page = client.get(_path(invited))
    assert page.status_code == 410
    assert "replaced by a newer one" in page.text
    newest = _mailed_link(database, "new.person@asean.test")
    assert newest != invited
    assert _fill(client, newest, NEW_PASSWORD).status_code == 303


def test_an_unknown_or_mangled_link_is_not_found(client: TestClient, invited: str) -> None:
    for path in (_path(invited)[:-3], "/invitation/x", "/invitation/" + "A" * 43):
        page = client.get(path)
        assert page.status_code == 404, path
        assert "whole link was copied" in page.text


def test_a_disabled_person_cannot_accept(
    client: TestClient, database: Database, clock: Clock, invited: str
) -> None:
    with arranged(database) as s:
        s.scalars(select(User).where(User.email == "new.person@asean.test")).one().disable(
            now=clock.now
        )
    page = client.get(_path(invited))
    assert page.status_code == 403
    assert "disabled" in page.text


# --- POST /api/v1/invitations -------------------------------------------------------------

INVITEE = {
    "email": "Ana.Reyes@dfa.gov.ph",
    "name": "Ana Reyes",
    "role": "member",
    "delegations": ["PH-SOMTC", "ph-acwc"],
}


def test_the_secretariat_invites_through_the_api(
    client: TestClient, app: FastAPI, database: Database, clock: Clock, world: World
) -> None:
    headers = bearer(token_for(database, world.secretariat, clock.now))
    response = client.post("/api/v1/invitations", json=INVITEE, headers=headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["email"] == "ana.reyes@dfa.gov.ph"
    assert body["name"] == "Ana Reyes" and body["role"] == "member"
    assert [d["code"] for d in body["delegations"]] == ["PH-ACWC", "PH-SOMTC"]
    assert body["invitation_expires_at"].startswith("2026-03-09T09:00")
    assert set(body) == {"id", "email", "name", "role", "delegations", "invitation_expires_at"}
    link = _mailed_link(database, "ana.reyes@dfa.gov.ph")
    assert link.startswith("http://testserver/invitation/")
    assert link.rsplit("/", 1)[1] not in response.text  # the token is only in the mail
    with database.transaction() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "user.invite")).one()
        assert event.actor_id == s.scalar(select(User.id).where(User.email == world.secretariat))
    # The contract: the mail's link opens a page with password fields and a submit button.
    with TestClient(app) as invitee:
        page = invitee.get(_path(link))
        assert page.status_code == 200
        assert page.text.count('type="password"') == 2 and 'type="submit"' in page.text


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"email": "member.ph@asean.test"}, 409, "email"),
        ({"email": "MEMBER.PH@asean.test"}, 409, "email"),
        ({"email": "not an address"}, 422, "email"),
        ({"email": "x" * 250 + "@a.test"}, 422, "email"),
        ({"name": "   "}, 422, "name"),
        ({"role": "king"}, 422, "role"),
        ({"delegations": []}, 422, "delegations"),
        ({"delegations": ["ZZ-NONE"]}, 422, "delegations"),
        ({"delegations": "PH-SOMTC"}, 422, "delegations"),
        ({"role": "admin", "delegations": []}, 403, "role"),
        ({"token": "chosen"}, 422, "token"),
    ],
)
def test_the_api_refuses_bad_invitations_naming_the_field(
    client: TestClient,
    database: Database,
    clock: Clock,
    world: World,
    change: dict[str, object],
    status: int,
    field: str,
) -> None:
    headers = bearer(token_for(database, world.secretariat, clock.now))
    response = client.post("/api/v1/invitations", json=INVITEE | change, headers=headers)
    assert response.status_code == status, response.text
    assert response.json()["field"] == field
    with database.transaction() as s:
        assert s.scalar(select(OutboxMessage.id)) is None


def test_only_people_managers_may_invite_and_only_an_admin_invites_an_admin(
    client: TestClient, database: Database, clock: Clock, world: World
) -> None:
    for email in (world.member, world.chair, world.observer):
        headers = bearer(token_for(database, email, clock.now))
        assert client.post("/api/v1/invitations", json=INVITEE, headers=headers).status_code == 403
    admin = bearer(token_for(database, world.admin, clock.now))
    response = client.post(
        "/api/v1/invitations",
        json={"email": "it@asean.test", "name": "IT Officer", "role": "admin"},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    assert response.json()["delegations"] == []
