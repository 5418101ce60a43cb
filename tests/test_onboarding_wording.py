"""Words people meet while bringing others in, as an independent review read them: an empty
address is asked for (not quoted back as ''), an address in a roster's problem keeps its case,
and an invitee whose role needs a second factor learns it before choosing the password."""

from fastapi.testclient import TestClient

from app.accounts import invitations
from app.audit.service import Actor
from app.config import Settings
from app.db import Database
from app.models import Role
from app.people import roster
from tests.factories import World, bearer, token_for
from tests.helpers import Clock, csrf_of, log_in


def test_an_invitation_without_an_address_asks_for_one(
    client: TestClient, world: World, database: Database
) -> None:
    log_in(client, world.secretariat)
    form = client.get("/admin/people/new")
    response = client.post(
        "/admin/people/new",
        data={
            "csrf_token": csrf_of(form.text),
            "email": "  ",
            "name": "Rina Wijaya",
            "role": "member",
            "delegations": "ID-AICHR",
        },
    )
    assert response.status_code == 422
    assert "Enter the e-mail address" in response.text
    assert "&#39;&#39; is not an e-mail address" not in response.text
    assert 'value="Rina Wijaya"' in response.text  # the rest is kept


def test_the_api_names_the_missing_address_too(
    client: TestClient, database: Database, world: World, clock: Clock
) -> None:
    headers = bearer(token_for(database, world.secretariat, clock.now))
    response = client.post(
        "/api/v1/invitations",
        json={"email": "", "name": "Rina Wijaya", "role": "member", "delegations": ["ID-AICHR"]},
        headers=headers,
    )
    assert response.status_code == 422
    assert response.json()["field"] == "email"
    assert response.json()["detail"] == "enter the e-mail address"


def test_a_roster_row_for_an_existing_account_keeps_the_address_as_written(
    client: TestClient, world: World
) -> None:
    log_in(client, world.secretariat)
    form = client.get("/admin/people/import")
    rows = f"email,name,role,delegations\n{world.member},Maria Santos,member,PH-SOMTC\n"
    response = client.post(
        "/admin/people/import", data={"csrf_token": csrf_of(form.text), "content": rows}
    )
    assert response.status_code == 422
    # The row's problem starts with a capital, but an address is never capitalised.
    assert f"An account already exists for {world.member}" in response.text
    assert world.member[:1].upper() + world.member[1:] not in response.text


def test_the_roster_problem_reads_the_same_on_the_command_line(
    database: Database, world: World
) -> None:
    with database.transaction(write=False) as s:
        checked = roster.read(
            s, f"{world.member},Maria Santos,member,PH-SOMTC\n".encode(), inviter_role=None
        )
    assert checked.problems == [(1, f"an account already exists for {world.member}")]


def test_an_invitee_whose_role_needs_a_second_factor_is_told_before_the_password(
    client: TestClient, database: Database, settings: Settings, clock: Clock, world: World
) -> None:
    settings.mfa_required_roles = "chair"
    with database.transaction() as s:
        _, token = invitations.invite(
            s,
            Actor.system("test"),
            email="ramon.bautista@dfa.gov.ph",
            name="Ramon Bautista",
            role=Role.CHAIR,
            now=clock.now,
            settings=settings,
            inviter_role=None,
        )
    page = client.get(f"/invitation/{token}").text
    note = page.index("Your role requires a second factor")
    assert note < page.index('<form method="post" action="/invitation/')
    assert note < page.index('id="password"')
