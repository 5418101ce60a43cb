"""People administration: the filtered list, a person's account, changes to role, delegations
and account, a fresh invitation, a reset second factor; through the service rules, the HTTP API
and the admin pages. Every change is audited; no edit silently overwrites another."""

import re
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from app.accounts import invitations
from app.accounts import service as accounts
from app.audit.service import Actor
from app.config import Settings
from app.db import Database
from app.groups import service as groups
from app.mail import worker
from app.models import (
    ApiToken,
    AuditEvent,
    AuthSession,
    LoginChallenge,
    OutboxMessage,
    Passkey,
    RecoveryCode,
    Role,
    User,
)
from tests.factories import World, arranged, bearer, make_user, token_for
from tests.helpers import Clock, log_in
from tests.mailserver import MailServer

SYSTEM = Actor.system("test")


def uid(database: Database, email: str) -> int:
    with database.transaction(write=False) as s:
        return accounts.get_user_by_email(s, email).id


def headers_of(database: Database, email: str, clock: Clock) -> dict[str, str]:
    return bearer(token_for(database, email, clock.now))


def read(client: TestClient, headers: dict[str, str], user_id: int) -> tuple[dict[str, Any], str]:
    response = client.get(f"/api/v1/people/{user_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json(), response.headers["ETag"]


def actions(database: Database, user_id: int) -> list[str]:
    with database.transaction(write=False) as s:
        return list(
            s.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.object_type == "user", AuditEvent.object_id == str(user_id))
                .order_by(AuditEvent.id)
            )
        )


def give_second_factor(database: Database, email: str, clock: Clock) -> int:
    with arranged(database) as s:
        user = accounts.get_user_by_email(s, email)
        user.totp_secret = "JBSWY3DPEHPK3PXP"
        user.totp_enabled_at = clock.now
        user.totp_last_step = 1
        s.add(
            Passkey(
                user_id=user.id,
                credential_id=f"cred-{user.id}",
                public_key=b"k",
                name="Laptop",
                created_at=clock.now,
            )
        )
        for n in range(10):
            s.add(RecoveryCode(user_id=user.id, code_hash=f"{user.id}-{n}", created_at=clock.now))
        return user.id


# --- The list ---------------------------------------------------------------------------------


def test_the_list_filters_by_role_delegation_state_last_seen_and_second_factor(
    client: TestClient,
    world: World,
    database: Database,
    settings: Settings,
    clock: Clock,
) -> None:
    sec = headers_of(database, world.secretariat, clock)  # the secretariat's token: used now
    with database.transaction() as s:
        invitations.invite(
            s,
            SYSTEM,
            email="invited@asean.test",
            name="Ina Invited",
            role=Role.MEMBER,
            delegation_codes=["TH-SOMTC"],
            now=clock.now,
            settings=settings,
            inviter_role=None,
        )
        accounts.disable_user(s, SYSTEM, email=world.observer, now=clock.now)
    give_second_factor(database, world.chair, clock)
    # Budi logged in 40 days ago and not since; Maria today.
    clock.advance(days=-40)
    log_in(client, world.member2)
    clock.advance(days=40)
    client.cookies.clear()
    log_in(client, world.member)
    client.cookies.clear()

    def emails(query: str) -> list[str]:
        got = client.get(f"/api/v1/people?{query}", headers=sec)
        assert got.status_code == 200, got.text
        return [p["email"] for p in got.json()["people"]]

    assert emails("role=member") == [world.member2, "invited@asean.test", world.member,
                                     world.member3]  # fmt: skip
    assert emails("delegation=ph-somtc") == [world.member]
    assert emails("delegation=TH-SOMTC") == ["invited@asean.test", world.member3]
    assert emails("state=pending") == ["invited@asean.test"]
    assert emails("state=disabled") == [world.observer]
    assert world.observer not in emails("state=active")
    assert emails("seen=over_month") == [world.member2]
    assert set(emails("seen=week")) == {world.member, world.secretariat}
    assert world.member not in emails("seen=never") and world.chair in emails("seen=never")
    assert emails("mfa=true") == [world.chair]
    assert world.chair not in emails("mfa=false")
    assert emails("q=SANTOS") == [world.member]
    everyone = client.get("/api/v1/people", headers=sec).json()
    assert everyone["total"] == 9 and everyone["counts"] == {
        "active": 7,
        "pending": 1,
        "disabled": 1,
    }
    maria = next(p for p in everyone["people"] if p["email"] == world.member)
    assert [d["code"] for d in maria["delegations"]] == ["PH-ACWC", "PH-SOMTC"]
    assert maria["last_seen"] is not None and maria["state"] == "active"
    assert client.get("/api/v1/people?state=nope", headers=sec).status_code == 422


def test_the_list_is_paginated_by_name(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    admin = headers_of(database, world.admin, clock)
    first = client.get("/api/v1/people?per_page=4", headers=admin).json()
    assert (first["total"], first["pages"], len(first["people"])) == (8, 2, 4)
    second = client.get("/api/v1/people?per_page=4&page=2", headers=admin).json()
    names = [p["name"] for p in first["people"] + second["people"]]
    assert names == sorted(names, key=str.lower) and len(set(names)) == 8
    # A page past the end shows the last one.
    assert client.get("/api/v1/people?per_page=4&page=9", headers=admin).json()["page"] == 2


def _statements(app: FastAPI, client: TestClient, path: str, headers: dict[str, str]) -> int:
    count = 0

    def counter(*_: object) -> None:
        nonlocal count
        count += 1

    engine = app.state.database.engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        assert client.get(path, headers=headers).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    return count


def test_the_list_costs_the_same_statements_for_8_or_48_people(
    app: FastAPI, client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    admin = headers_of(database, world.admin, clock)
    log_in(client, world.admin)
    for path in ("/api/v1/people", "/admin/people"):  # the first use touches the token
        _statements(app, client, path, admin if "api" in path else {})
    before = {
        path: _statements(app, client, path, admin if "api" in path else {})
        for path in ("/api/v1/people", "/admin/people")
    }
    with database.transaction() as s:
        for n in range(40):
            make_user(s, f"p{n}@asean.test", Role.MEMBER, "PH-SOMTC", "ID-AICHR", now=clock.now)
    give_second_factor(database, "p3@asean.test", clock)
    for path, count in before.items():
        assert _statements(app, client, path, admin if "api" in path else {}) == count, path


# --- Changing a person through the API --------------------------------------------------------


def test_role_and_delegations_change_with_the_version_read(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    admin = headers_of(database, world.admin, clock)
    maria = uid(database, world.member)
    log_in(client, world.member)
    before, tag = read(client, admin, maria)
    assert tag == f'"U-{maria}.{before["version"]}"' and before["live_sessions"] == 1
    missing = client.patch(f"/api/v1/people/{maria}", json={"role": "observer"}, headers=admin)
    assert missing.status_code == 428
    changed = client.patch(
        f"/api/v1/people/{maria}",
        json={"role": "observer", "delegations": ["ph-somtc", "ID-AICHR"]},
        headers=admin | {"If-Match": tag},
    )
    assert changed.status_code == 200, changed.text
    after = changed.json()
    assert after["role"] == "observer"
    assert [d["code"] for d in after["delegations"]] == ["ID-AICHR", "PH-SOMTC"]
    # A new role ends the person's sessions: they log in again as what they now are.
    assert after["live_sessions"] == 0 and client.get("/account").status_code == 200
    assert changed.headers["ETag"] != tag
    # Someone else's edit made on the old version is refused, not applied over this one.
    stale = client.patch(
        f"/api/v1/people/{maria}", json={"role": "member"}, headers=admin | {"If-Match": tag}
    )
    assert stale.status_code == 412 and "changed by someone else" in stale.json()["detail"]
    assert read(client, admin, maria)[0]["role"] == "observer"
    assert actions(database, maria)[-2:] == ["user.role", "user.delegations"]
    with database.transaction(write=False) as s:
        details = s.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "user.delegations")
        ).one()
    assert details == {"added": ["ID-AICHR"], "removed": ["PH-ACWC"]}
    other = client.patch(
        f"/api/v1/people/{maria}", json={"role": "member"}, headers=admin | {"If-Match": '"U-1.x"'}
    )
    assert other.status_code == 412


def test_delegation_rules_name_the_field(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    sec = headers_of(database, world.secretariat, clock)
    budi = uid(database, world.member2)
    _, tag = read(client, sec, budi)

    def patch(body: dict[str, object]) -> Any:
        return client.patch(f"/api/v1/people/{budi}", json=body, headers=sec | {"If-Match": tag})

    none = patch({"delegations": []})
    assert none.status_code == 422 and none.json()["field"] == "delegations"
    unknown = patch({"delegations": ["XX-NOPE"]})
    assert unknown.status_code == 404 and "XX-NOPE" in unknown.json()["detail"]
    with database.transaction() as s:
        groups.retire_delegation(s, SYSTEM, code="TH-SOMTC", now=clock.now)
    retired = patch({"delegations": ["ID-AICHR", "TH-SOMTC"]})
    assert retired.status_code == 422 and "TH-SOMTC is retired" in retired.json()["detail"]
    # Somchai's only delegation retired: he keeps it as history, but as a member he needs an
    # active one before anything else about him can change.
    somchai = uid(database, world.member3)
    person, tag3 = read(client, sec, somchai)
    assert person["delegations"] == [
        {"code": "TH-SOMTC", "name": "Thailand - SOMTC", "retired": True}
    ]
    kept = client.patch(
        f"/api/v1/people/{somchai}",
        json={"delegations": ["TH-SOMTC", "PH-SOMTC"]},
        headers=sec | {"If-Match": tag3},
    )
    assert kept.status_code == 200, kept.text
    assert [(d["code"], d["retired"]) for d in kept.json()["delegations"]] == [
        ("PH-SOMTC", False),
        ("TH-SOMTC", True),
    ]


def test_only_an_admin_touches_the_admin_role_and_nobody_locks_themselves_out(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    sec = headers_of(database, world.secretariat, clock)
    admin = headers_of(database, world.admin, clock)
    olivia, adam, siti = (
        uid(database, e) for e in (world.observer, world.admin, world.secretariat)
    )
    _, tag = read(client, sec, olivia)
    grant = client.patch(
        f"/api/v1/people/{olivia}", json={"role": "admin"}, headers=sec | {"If-Match": tag}
    )
    assert grant.status_code == 403
    assert grant.json()["detail"] == "only an admin may grant the admin role"
    _, adam_tag = read(client, sec, adam)
    demote = client.patch(
        f"/api/v1/people/{adam}", json={"active": False}, headers=sec | {"If-Match": adam_tag}
    )
    assert demote.status_code == 403 and "administrator's account" in demote.json()["detail"]
    own = client.patch(
        f"/api/v1/people/{adam}", json={"role": "member"}, headers=admin | {"If-Match": adam_tag}
    )
    assert own.status_code == 403 and "your own role" in own.json()["detail"]
    _, siti_tag = read(client, sec, siti)
    herself = client.patch(
        f"/api/v1/people/{siti}", json={"active": False}, headers=sec | {"If-Match": siti_tag}
    )
    assert herself.status_code == 403 and "your own account" in herself.json()["detail"]
    granted = client.patch(
        f"/api/v1/people/{olivia}", json={"role": "admin"}, headers=admin | {"If-Match": tag}
    )
    assert granted.status_code == 200 and granted.json()["role"] == "admin"


def test_disabling_ends_sessions_and_revokes_tokens_and_enabling_restores_the_account(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    sec = headers_of(database, world.secretariat, clock)
    budi_token = headers_of(database, world.member2, clock)
    budi = uid(database, world.member2)
    _, tag = read(client, sec, budi)
    off = client.patch(
        f"/api/v1/people/{budi}", json={"active": False}, headers=sec | {"If-Match": tag}
    )
    assert off.status_code == 200 and off.json()["state"] == "disabled"
    assert client.get("/api/v1/me", headers=budi_token).status_code == 401
    on = client.patch(
        f"/api/v1/people/{budi}",
        json={"active": True},
        headers=sec | {"If-Match": off.headers["ETag"]},
    )
    assert on.json()["state"] == "active"
    # Revoked for good (issue 14): the person logs in again and makes new ones.
    assert client.get("/api/v1/me", headers=budi_token).status_code == 401
    assert actions(database, budi)[-2:] == ["user.disable", "user.enable"]
    assert client.get("/api/v1/people/999999", headers=sec).status_code == 404
    member = headers_of(database, world.member, clock)
    assert client.get("/api/v1/people", headers=member).status_code == 403


def test_a_persons_active_tokens_leave_out_expired_ones(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    sec = headers_of(database, world.secretariat, clock)
    budi = uid(database, world.member2)
    headers_of(database, world.member2, clock)
    headers_of(database, world.member2, clock)
    assert read(client, sec, budi)[0]["active_tokens"] == 2
    with arranged(database) as s:
        first = s.scalars(select(ApiToken).where(ApiToken.user_id == budi)).first()
        assert first is not None
        first.expires_at = clock.now - timedelta(seconds=1)
    assert read(client, sec, budi)[0]["active_tokens"] == 1


# --- Second factor and invitations ------------------------------------------------------------


def test_an_admin_resets_a_second_factor_with_a_reason_and_the_person_is_told(
    client: TestClient,
    world: World,
    database: Database,
    settings: Settings,
    clock: Clock,
    mail_server: MailServer,
) -> None:
    chair = give_second_factor(database, world.chair, clock)
    log_in(client, world.chair)
    with arranged(database) as s:
        s.add(
            LoginChallenge(
                id="c" * 64,
                user_id=chair,
                purpose="verify",
                next_path="/",
                created_at=clock.now,
                expires_at=clock.now + timedelta(minutes=10),
            )
        )
    sec = headers_of(database, world.secretariat, clock)
    refused = client.post(
        f"/api/v1/people/{chair}/second-factor/reset", json={"reason": "Lost phone"}, headers=sec
    )
    assert refused.status_code == 403
    assert refused.json()["detail"] == "only an admin may reset a second factor"
    admin = headers_of(database, world.admin, clock)
    blank = client.post(
        f"/api/v1/people/{chair}/second-factor/reset", json={"reason": "   "}, headers=admin
    )
    assert blank.status_code == 422 and blank.json()["field"] == "reason"
    reason = "Lost phone; identity confirmed by video call"
    done = client.post(
        f"/api/v1/people/{chair}/second-factor/reset", json={"reason": reason}, headers=admin
    )
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["mfa"], body["passkeys"], body["recovery_codes_left"]) == (False, 0, 0)
    assert body["live_sessions"] == 0 and body["history"][0]["details"]["reason"] == reason
    with database.transaction(write=False) as s:
        user = s.get(User, chair)
        assert user is not None
        assert (user.totp_secret, user.totp_enabled_at, user.totp_last_step) == (None, None, None)
        assert s.scalars(select(RecoveryCode).where(RecoveryCode.user_id == chair)).all() == []
        challenge = s.get(LoginChallenge, "c" * 64)
        assert challenge is not None and challenge.used_at == clock.now
        assert all(
            a.ended_at is not None
            for a in s.scalars(select(AuthSession).where(AuthSession.user_id == chair))
        )
    assert client.get("/account", follow_redirects=False).status_code == 303
    again = client.post(
        f"/api/v1/people/{chair}/second-factor/reset", json={"reason": reason}, headers=admin
    )
    assert again.status_code == 409 and "no second factor" in again.json()["detail"]
    own = client.post(
        f"/api/v1/people/{uid(database, world.admin)}/second-factor/reset",
        json={"reason": "x"},
        headers=admin,
    )
    assert own.status_code == 403
    # The notice goes out at once, over SMTP, with the reason and what to do next.
    smtp = mail_server.settings_for(settings.model_copy(update={"mfa_required_roles": "chair"}))
    worker.deliver_due(database, smtp, clock)
    (notice,) = mail_server.to(world.chair)
    assert notice.subject == "Your second factor was reset by an administrator (zerodraft)"
    assert reason in notice.text and "set up a second factor again" in notice.text
    assert notice.html is not None and reason in notice.html
    assert notice.link_to("/login").startswith("http://testserver/login")


def test_a_pending_invitation_is_sent_again_and_an_accepted_one_is_not(
    client: TestClient, world: World, database: Database, settings: Settings, clock: Clock
) -> None:
    with database.transaction() as s:
        user, first = invitations.invite(
            s,
            SYSTEM,
            email="later@asean.test",
            name="Lara Later",
            role=Role.CHAIR,
            delegation_codes=[],
            now=clock.now,
            settings=settings,
            inviter_role=None,
        )
        later = user.id
    sec = headers_of(database, world.secretariat, clock)
    clock.advance(days=8)
    person, _ = read(client, sec, later)
    assert person["state"] == "pending" and person["invitation_expires"] is None
    resent = client.post(f"/api/v1/people/{later}/invitation", headers=sec)
    assert resent.status_code == 200, resent.text
    assert resent.json()["invitation_expires"].startswith(
        (clock.now + timedelta(days=7)).date().isoformat()
    )
    with database.transaction(write=False) as s:
        mails = s.scalars(
            select(OutboxMessage.text_body).where(OutboxMessage.to_address == "later@asean.test")
        ).all()
    assert len(mails) == 2 and first not in mails[1]
    accepted = client.post(f"/api/v1/people/{uid(database, world.member)}/invitation", headers=sec)
    assert accepted.status_code == 409 and "already accepted" in accepted.json()["detail"]
    assert actions(database, later)[-1] == "user.invite_resend"


# --- Pages ------------------------------------------------------------------------------------


def test_the_people_page_lists_and_filters(client: TestClient, world: World) -> None:
    log_in(client, world.secretariat)
    page = client.get("/admin/people")
    assert page.status_code == 200
    assert "8 people" in page.text and f'data-email="{world.member}"' in page.text
    assert '<label for="filter-role">Role</label>' in page.text
    filtered = client.get("/admin/people?role=member&delegation=ph-somtc&mfa=no&state=bogus")
    assert f'data-email="{world.member}"' in filtered.text
    assert f'data-email="{world.member2}"' not in filtered.text
    assert "1 person matches your filters" in filtered.text
    log_in(client, world.chair)
    assert client.get("/admin/people").status_code == 403


def test_the_admin_invites_one_person_from_the_page(
    client: TestClient, world: World, database: Database
) -> None:
    csrf = log_in(client, world.admin)
    form = client.get("/admin/people/new")
    assert 'value="admin"' in form.text and 'id="delegation-PH-SOMTC"' in form.text
    bad = client.post(
        "/admin/people/new",
        data={"csrf_token": csrf, "email": "not an address", "name": "Kept", "role": "member",
              "delegations": ["PH-SOMTC"]},
    )  # fmt: skip
    assert bad.status_code == 422
    assert 'href="#email"' in bad.text and 'value="Kept"' in bad.text
    assert 'id="delegation-PH-SOMTC" name="delegations" value="PH-SOMTC" checked' in bad.text
    done = client.post(
        "/admin/people/new",
        data={"csrf_token": csrf, "email": "Lin@Asean.test", "name": "Lin Tan", "role": "member",
              "delegations": ["PH-SOMTC", "TH-SOMTC"]},
        follow_redirects=True,
    )  # fmt: skip
    assert done.status_code == 200
    assert "Invitation sent to lin@asean.test" in done.text and "Invitation pending" in done.text
    with database.transaction(write=False) as s:
        assert s.scalars(
            select(OutboxMessage.kind).where(OutboxMessage.to_address == "lin@asean.test")
        ).all() == ["invitation"]
    log_in(client, world.secretariat)
    secretariat_form = client.get("/admin/people/new")
    assert 'value="admin"' not in secretariat_form.text


def test_the_person_page_saves_disables_and_refuses_a_stale_form(
    client: TestClient, world: World, database: Database
) -> None:
    csrf = log_in(client, world.secretariat)
    budi = uid(database, world.member2)
    page = client.get(f"/admin/people/{budi}")
    assert page.status_code == 200 and "Only an admin can reset a second factor" in page.text
    version = re.search(r'name="version" value="([0-9a-f]+)"', page.text)
    assert version
    saved = client.post(
        f"/admin/people/{budi}/save",
        data={"csrf_token": csrf, "version": version.group(1), "role": "member",
              "delegations": ["ID-AICHR", "PH-ACWC"]},
        follow_redirects=True,
    )  # fmt: skip
    assert "Budi Hartono&#39;s role and delegations are saved" in saved.text
    assert 'value="PH-ACWC" checked' in saved.text
    # The same form posted again (another tab, another person) is refused, not applied.
    stale = client.post(
        f"/admin/people/{budi}/disable", data={"csrf_token": csrf, "version": version.group(1)}
    )
    assert stale.status_code == 412 and "changed by someone else" in stale.text
    assert 'href="#person-form"' in stale.text
    current = re.search(r'name="version" value="([0-9a-f]+)"', stale.text)
    assert current
    off = client.post(
        f"/admin/people/{budi}/disable",
        data={"csrf_token": csrf, "version": current.group(1)},
        follow_redirects=True,
    )
    assert "account is disabled" in off.text and "Enable Budi Hartono" in off.text
    no_role = client.post(
        f"/admin/people/{budi}/save",
        data={"csrf_token": csrf, "version": "x", "role": "king"},
    )
    assert no_role.status_code == 422 and 'href="#role"' in no_role.text
    assert client.get("/admin/people/nobody").status_code == 404
    assert (
        client.post(f"/admin/people/{budi}/explode", data={"csrf_token": csrf}).status_code == 404
    )
    adam = uid(database, world.admin)
    admin_page = client.get(f"/admin/people/{adam}")
    assert "Only an admin may change an administrator" in admin_page.text
    assert 'id="save-person"' not in admin_page.text


def test_the_admin_resets_a_second_factor_from_the_page(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    chair = give_second_factor(database, world.chair, clock)
    csrf = log_in(client, world.admin)
    page = client.get(f"/admin/people/{chair}")
    assert "Authenticator app since" in page.text and "1 passkey" in page.text
    empty = client.post(
        f"/admin/people/{chair}/reset-second-factor", data={"csrf_token": csrf, "reason": ""}
    )
    assert empty.status_code == 422 and 'href="#reason"' in empty.text
    done = client.post(
        f"/admin/people/{chair}/reset-second-factor",
        data={"csrf_token": csrf, "reason": "New phone, checked in person at ASEC"},
        follow_redirects=True,
    )
    assert "second factor was reset; they were told by mail" in done.text
    assert "Reason: New phone, checked in person at ASEC" in done.text
    assert 'id="second-factor-state">Not set up' in done.text
    own = client.get(f"/admin/people/{uid(database, world.admin)}")
    assert "You cannot disable your own account" in own.text
    assert "Another admin must reset your own second factor" in own.text
    assert re.search(r'<select id="role" name="role"[^>]* disabled', own.text)
