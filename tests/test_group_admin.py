"""Setting up the group: bodies and delegations are added, renamed, retired and reinstated (never
deleted) through the service, the API, the admin pages and the command line; member states are
reference data."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from app.accounts import service as accounts
from app.accounts.invitations import invite
from app.audit.service import Actor
from app.cli import app as cli
from app.db import Database, utcnow
from app.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from app.groups import service as groups
from app.models import AuditEvent, Body, Delegation, Role
from tests.factories import World, bearer, token_for
from tests.helpers import ASEAN_STATES, Clock, log_in

SYSTEM = Actor.system("test")


def _actions(database: Database, object_id: str) -> list[str]:
    with database.transaction(write=False) as s:
        return list(
            s.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.object_id == object_id)
                .order_by(AuditEvent.id)
            )
        )


# --- Service ----------------------------------------------------------------------------------


def test_a_body_is_added_renamed_retired_and_reinstated_each_audited(
    database: Database, clock: Clock
) -> None:
    with database.transaction() as s:
        groups.add_body(s, SYSTEM, code=" slom ", name="Senior Labour Officials", now=clock.now)
        groups.rename_body(
            s, SYSTEM, code="SLOM", name="Senior Labour Officials Meeting", now=clock.now
        )
        groups.retire_body(s, SYSTEM, code="slom", now=clock.now)
        with pytest.raises(Conflict, match="already retired"):
            groups.retire_body(s, SYSTEM, code="SLOM", now=clock.now)
    with (
        database.transaction() as s,
        pytest.raises(Conflict, match="retired: it takes no new delegations"),
    ):
        groups.add_delegation(s, SYSTEM, state_code="VN", body_code="SLOM", now=clock.now)
    with database.transaction() as s:
        groups.reinstate_body(s, SYSTEM, code="SLOM", now=clock.now)
        assert groups.add_delegation(
            s, SYSTEM, state_code="vn", body_code="slom", now=clock.now
        ).code == ("VN-SLOM")
        body = s.scalars(select(Body).where(Body.code == "SLOM")).one()
        assert (body.name, body.retired_at) == ("Senior Labour Officials Meeting", None)
    assert _actions(database, "SLOM") == [
        "body.add",
        "body.rename",
        "body.retire",
        "body.reinstate",
    ]


def test_bad_body_and_delegation_input_names_the_field(database: Database, clock: Clock) -> None:
    with database.transaction() as s:
        with pytest.raises(InvalidInput) as bad_code:
            groups.add_body(s, SYSTEM, code="S", name="x", now=clock.now)
        assert bad_code.value.extra["field"] == "code"
        with pytest.raises(InvalidInput) as no_name:
            groups.add_body(s, SYSTEM, code="SOMTC", name="   ", now=clock.now)
        assert no_name.value.extra["field"] == "name"
        with pytest.raises(NotFound) as no_state:
            groups.add_delegation(s, SYSTEM, state_code="XX", body_code="SOMTC", now=clock.now)
        assert no_state.value.extra["field"] == "state"
        with pytest.raises(NotFound) as no_body:
            groups.add_delegation(s, SYSTEM, state_code="PH", body_code="NOPE", now=clock.now)
        assert no_body.value.extra["field"] == "body"
        with pytest.raises(InvalidInput, match="at most 200"):
            groups.add_body(s, SYSTEM, code="SOMTC", name="x" * 201, now=clock.now)


def test_member_states_are_reference_data_after_the_migrations(database: Database) -> None:
    with database.transaction(write=False) as s:
        assert {row.code for row in groups.member_states(s)} == set(ASEAN_STATES)


def test_a_retired_delegation_cannot_be_acted_for_nor_joined(
    database: Database, world: World, clock: Clock
) -> None:
    with database.transaction() as s:
        groups.rename_delegation(
            s, SYSTEM, code="PH-ACWC", title="Philippines - ACWC (children)", now=clock.now
        )
    with database.transaction() as s:
        user = accounts.get_user_by_email(s, world.member)
        refs = accounts.delegation_refs(s, [user.id])[user.id]
        assert {r.code: r.name for r in refs}["PH-ACWC"] == "Philippines - ACWC (children)"
        groups.retire_delegation(s, SYSTEM, code="PH-ACWC", now=clock.now)
    token = token_for(database, world.member, clock.now)
    with database.transaction() as s:
        principal = accounts.principal_for_token(s, token, now=clock.now)
        assert principal is not None
        # Maria keeps PH-SOMTC; PH-ACWC is gone from the delegations she may act for.
        assert [d.code for d in principal.delegations] == ["PH-SOMTC"]
        with pytest.raises(PermissionDenied, match="PH-ACWC"):
            principal.delegation_for("PH-ACWC")
        with pytest.raises(Conflict, match="retired"):
            accounts.add_user(
                s,
                SYSTEM,
                email="new@asean.test",
                name="New",
                role=Role.MEMBER,
                password=None,
                delegation_codes=["PH-ACWC"],
                now=clock.now,
            )
    with database.transaction() as s, pytest.raises(InvalidInput, match="retired"):
        invite(
            s,
            SYSTEM,
            email="new@asean.test",
            name="New",
            role=Role.MEMBER,
            delegation_codes=["PH-ACWC"],
            now=clock.now,
            settings=_settings(database),
            inviter_role=None,
        )
    with database.transaction() as s:
        # Nothing was deleted; reinstating gives Maria the delegation back.
        assert s.scalars(select(Delegation).where(Delegation.code == "PH-ACWC")).one()
        groups.reinstate_delegation(s, SYSTEM, code="PH-ACWC", now=clock.now)
    with database.transaction(write=False) as s:
        principal = accounts.principal_for_token(s, token, now=clock.now)
        assert principal is not None
        assert [d.code for d in principal.delegations] == ["PH-ACWC", "PH-SOMTC"]
    assert _actions(database, "PH-ACWC")[-3:] == [
        "delegation.rename",
        "delegation.retire",
        "delegation.reinstate",
    ]


def _settings(database: Database) -> object:
    from app.config import Settings

    return Settings(mode="test", database_url=str(database.engine.url), base_url="http://t")


def test_a_retired_bodys_delegation_is_not_reinstated_and_codes_stay_taken(
    database: Database, world: World, clock: Clock
) -> None:
    with database.transaction() as s:
        groups.retire_delegation(s, SYSTEM, code="TH-SOMTC", now=clock.now)
        groups.retire_body(s, SYSTEM, code="SOMTC", now=clock.now)
    with database.transaction() as s, pytest.raises(Conflict, match="reinstate the body before"):
        groups.reinstate_delegation(s, SYSTEM, code="TH-SOMTC", now=clock.now)
    with database.transaction() as s:
        groups.reinstate_body(s, SYSTEM, code="SOMTC", now=clock.now)
        with pytest.raises(Conflict, match="already exists; reinstate it instead"):
            groups.add_delegation(s, SYSTEM, state_code="TH", body_code="SOMTC", now=clock.now)
    # A retired body's existing delegations carry on: PH-SOMTC was never retired.
    with database.transaction(write=False) as s:
        rows = {d.code: d for d in groups.delegations(s)}
        assert rows["PH-SOMTC"].retired_at is None and rows["PH-SOMTC"].members == 1
        assert rows["TH-SOMTC"].retired_at is not None
        assert [d.code for d in groups.delegations(s, include_retired=False)] == [
            "ID-AICHR",
            "PH-ACWC",
            "PH-SOMTC",
        ]


# --- API --------------------------------------------------------------------------------------


def test_api_adds_renames_retires_and_reinstates_a_body(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    admin = bearer(token_for(database, world.admin, clock.now))
    created = client.post("/api/v1/bodies", json={"code": "aichr2", "name": "X"}, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json() == {
        "code": "AICHR2",
        "name": "X",
        "retired_at": None,
        "delegations": 0,
    }
    again = client.post("/api/v1/bodies", json={"code": "AICHR2", "name": "X"}, headers=admin)
    assert again.status_code == 409 and again.json()["field"] == "code"
    renamed = client.patch(
        "/api/v1/bodies/aichr2", json={"name": "Second commission", "retired": True}, headers=admin
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Second commission" and renamed.json()["retired_at"]
    # Asking for the state it is already in changes nothing.
    assert client.patch("/api/v1/bodies/AICHR2", json={"retired": True}, headers=admin).is_success
    back = client.patch("/api/v1/bodies/AICHR2", json={"retired": False}, headers=admin)
    assert back.json()["retired_at"] is None
    assert client.patch("/api/v1/bodies/NOPE", json={"name": "n"}, headers=admin).status_code == 404
    listed = client.get("/api/v1/bodies", headers=admin).json()
    assert {"code": "SOMTC", "name": "Senior Officials Meeting on TC", "retired_at": None,
            "delegations": 2} in listed  # fmt: skip
    member = bearer(token_for(database, world.member, clock.now))
    refused = client.post("/api/v1/bodies", json={"code": "ZZ", "name": "Z"}, headers=member)
    assert refused.status_code == 403 and "can manage the working group" in refused.json()["detail"]
    assert client.get("/api/v1/bodies", headers=member).status_code == 200


def test_api_adds_renames_and_retires_a_delegation(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    sec = bearer(token_for(database, world.secretariat, clock.now))
    created = client.post("/api/v1/delegations", json={"state": "vn", "body": "somtc"}, headers=sec)
    assert created.status_code == 201, created.text
    assert created.json() == {
        "code": "VN-SOMTC",
        "name": "Viet Nam - SOMTC",
        "title": None,
        "state": "Viet Nam",
        "state_code": "VN",
        "body": "SOMTC",
        "retired_at": None,
        "members": 0,
    }
    unknown = client.post("/api/v1/delegations", json={"state": "XX", "body": "SOMTC"}, headers=sec)
    assert unknown.status_code == 404 and unknown.json()["field"] == "state"
    titled = client.patch(
        "/api/v1/delegations/VN-SOMTC", json={"title": "Viet Nam (MPS)"}, headers=sec
    )
    assert titled.json()["name"] == "Viet Nam (MPS)"
    retired = client.patch("/api/v1/delegations/VN-SOMTC", json={"retired": True}, headers=sec)
    assert retired.json()["retired_at"] and retired.json()["title"] == "Viet Nam (MPS)"
    reset = client.patch("/api/v1/delegations/VN-SOMTC", json={"title": None}, headers=sec)
    assert reset.json()["name"] == "Viet Nam - SOMTC"
    member = bearer(token_for(database, world.member, clock.now))
    active = [d["code"] for d in client.get("/api/v1/delegations", headers=member).json()]
    assert active == ["ID-AICHR", "PH-ACWC", "PH-SOMTC", "TH-SOMTC"]
    everything = client.get("/api/v1/delegations?include_retired=true", headers=member).json()
    assert everything[-1]["code"] == "VN-SOMTC" and everything[-1]["retired_at"]
    assert (
        client.patch(
            "/api/v1/delegations/VN-SOMTC", json={"title": "x"}, headers=member
        ).status_code
        == 403
    )
    extra = client.patch("/api/v1/delegations/VN-SOMTC", json={"code": "VN-X"}, headers=sec)
    assert extra.status_code == 422
    states = client.get("/api/v1/member-states", headers=member).json()
    assert len(states) == 11 and {"code": "VN", "name": "Viet Nam", "delegations": 1} in states


# --- Pages ------------------------------------------------------------------------------------


def test_admin_adds_a_body_and_a_delegation_from_the_group_page(
    client: TestClient, world: World
) -> None:
    csrf = log_in(client, world.admin)
    page = client.get("/admin/group")
    assert page.status_code == 200
    assert "Brunei Darussalam" in page.text and 'data-code="PH-SOMTC"' in page.text
    added = client.post(
        "/admin/group/bodies",
        data={"csrf_token": csrf, "code": "SOMSWD", "name": "Senior Officials on Social Welfare"},
        follow_redirects=True,
    )
    assert added.status_code == 200
    assert "Body SOMSWD added" in added.text and 'data-code="SOMSWD"' in added.text
    delegation = client.post(
        "/admin/group/delegations",
        data={"csrf_token": csrf, "state": "KH", "body": "SOMSWD", "title": ""},
        follow_redirects=True,
    )
    assert "Delegation KH-SOMSWD added" in delegation.text
    assert 'data-code="KH-SOMSWD"' in delegation.text and "Cambodia - SOMSWD" in delegation.text


def test_a_refused_form_keeps_the_input_and_names_the_field(
    client: TestClient, world: World
) -> None:
    csrf = log_in(client, world.secretariat)
    bad = client.post(
        "/admin/group/bodies", data={"csrf_token": csrf, "code": "x y", "name": "Kept name"}
    )
    assert bad.status_code == 422
    assert 'href="#body-code"' in bad.text and "is not a body code" in bad.text
    assert 'value="Kept name"' in bad.text and 'aria-invalid="true"' in bad.text
    missing = client.post(
        "/admin/group/delegations", data={"csrf_token": csrf, "state": "", "body": "SOMTC"}
    )
    assert missing.status_code == 422 and 'href="#delegation-state"' in missing.text
    twice = client.post(
        "/admin/group/delegations", data={"csrf_token": csrf, "state": "PH", "body": "SOMTC"}
    )
    assert twice.status_code == 409 and "Delegation PH-SOMTC already exists" in twice.text


def test_pages_rename_retire_and_reinstate(client: TestClient, world: World) -> None:
    csrf = log_in(client, world.secretariat)
    page = client.get("/admin/group/delegations/th-somtc")
    assert page.status_code == 200 and "Retire TH-SOMTC" in page.text
    renamed = client.post(
        "/admin/group/delegations/TH-SOMTC/rename",
        data={"csrf_token": csrf, "title": "Thailand (Royal Thai Police)"},
        follow_redirects=True,
    )
    assert "TH-SOMTC renamed" in renamed.text and "Thailand (Royal Thai Police)" in renamed.text
    retired = client.post(
        "/admin/group/delegations/TH-SOMTC/retire", data={"csrf_token": csrf}, follow_redirects=True
    )
    assert "TH-SOMTC retired" in retired.text and "Reinstate TH-SOMTC" in retired.text
    again = client.post("/admin/group/delegations/TH-SOMTC/retire", data={"csrf_token": csrf})
    assert again.status_code == 409 and "already retired" in again.text
    body = client.post("/admin/group/bodies/SOMTC/rename", data={"csrf_token": csrf, "name": ""})
    assert body.status_code == 422 and 'href="#name"' in body.text
    assert client.get("/admin/group/bodies/NOPE").status_code == 404
    assert client.get("/admin/group/people/SOMTC").status_code == 422


def test_only_admin_and_secretariat_reach_the_group_pages(client: TestClient, world: World) -> None:
    log_in(client, world.chair)
    assert client.get("/admin/group").status_code == 403


# --- Command line -----------------------------------------------------------------------------

runner = CliRunner()


def zerodraft(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(cli, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_an_empty_database_is_set_up_from_the_command_line(tmp_path: Path) -> None:
    """The issue's first failure: `user add --delegation PH-SOMTC` on a new database."""
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    assert zerodraft("db", "upgrade", "--database", url)[0] == 0
    code, out, _ = zerodraft(
        "body", "add", "--code", "SOMTC", "--name", "Senior Officials Meeting on TC",
        "--database", url,
    )  # fmt: skip
    assert (code, out) == (0, "added body SOMTC (Senior Officials Meeting on TC)\n")
    code, out, _ = zerodraft(
        "delegation", "add", "--state", "PH", "--body", "SOMTC", "--database", url
    )
    assert (code, out) == (0, "added delegation PH-SOMTC\n")
    args = ["user", "add", "--email", "m@ph.test", "--name", "M", "--role", "member"]
    code, out, _ = zerodraft(
        *args, "--delegation", "PH-SOMTC", "--password-stdin", "--database", url,
        stdin="a-long-password\n",
    )  # fmt: skip
    assert code == 0 and "PH-SOMTC" in out
    code, out, _ = zerodraft("delegation", "list", "--database", url)
    assert code == 0
    assert out.splitlines()[1].split() == ["PH-SOMTC", "active", "1", "Philippines", "-", "SOMTC"]


def test_cli_renames_retires_lists_and_reinstates(db_url: str, world: World) -> None:
    code, out, _ = zerodraft(
        "body", "rename", "--code", "acwc", "--name", "ASEAN Commission (ACWC)",
        "--database", db_url,
    )  # fmt: skip
    assert (code, out) == (0, "body ACWC is now named ASEAN Commission (ACWC)\n")
    assert zerodraft("body", "retire", "--code", "ACWC", "--database", db_url)[:2] == (
        0,
        "retired body ACWC\n",
    )
    listing = zerodraft("body", "list", "--database", db_url)[1].splitlines()
    assert listing[0].split()[:3] == ["CODE", "STATUS", "DELEGATIONS"]
    assert listing[-1].startswith("ACWC") and f"retired {utcnow():%Y-%m-%d}" in listing[-1]
    code, _, err = zerodraft(
        "delegation", "add", "--state", "TH", "--body", "ACWC", "--database", db_url
    )
    assert (code, err) == (1, "error: body ACWC is retired: it takes no new delegations\n")
    assert zerodraft("body", "reinstate", "--code", "ACWC", "--database", db_url)[0] == 0
    code, out, _ = zerodraft(
        "delegation", "rename", "--code", "PH-ACWC", "--title", "PH children", "--database", db_url
    )
    assert (code, out) == (0, "delegation PH-ACWC is now named PH children\n")
    assert zerodraft("delegation", "retire", "--code", "PH-ACWC", "--database", db_url)[0] == 0
    assert "PH-ACWC" not in zerodraft("delegation", "list", "--database", db_url)[1]
    everything = zerodraft("delegation", "list", "--all", "--database", db_url)[1]
    assert "PH-ACWC" in everything and "PH children" in everything
    code, out, _ = zerodraft("delegation", "rename", "--code", "PH-ACWC", "--title", "",
                             "--database", db_url)  # fmt: skip
    assert (code, out) == (0, "delegation PH-ACWC has its default name again\n")
    code, _, err = zerodraft("delegation", "retire", "--code", "PH-ACWC", "--database", db_url)
    assert (code, err) == (1, "error: delegation PH-ACWC is already retired\n")
    assert zerodraft("delegation", "reinstate", "--code", "PH-ACWC", "--database", db_url)[0] == 0
    code, _, err = zerodraft("delegation", "retire", "--code", "XX-NONE", "--database", db_url)
    assert (code, err) == (1, "error: no delegation with code 'XX-NONE'\n")


@pytest.mark.parametrize(
    "command",
    [["body"], ["delegation"]]
    + [["body", c] for c in ("add", "rename", "retire", "reinstate", "list")]
    + [["delegation", c] for c in ("add", "rename", "retire", "reinstate", "list")],
)
def test_every_group_command_has_help(command: list[str]) -> None:
    code, out, _ = zerodraft(*command, "--help")
    assert code == 0 and "Usage" in out


def test_a_renamed_delegation_is_called_by_its_new_name_wherever_it_is_named(
    database: Database, world: World, clock: Clock
) -> None:
    """The consensus grid, co-chairs' delegations, silence breaks and Word exports name
    delegations in SQL (Delegation.name_column): the title the group gave wins there too."""
    from app.consensus.service import delegations
    from app.rounds.export_loader import Names

    with database.transaction() as s:
        groups.rename_delegation(
            s, Actor.system("test"), code="PH-SOMTC", title="Philippines (IACAT)", now=clock.now
        )
    with database.transaction(write=False) as s:
        named = dict(delegations(s))
        assert named["PH-SOMTC"] == "Philippines (IACAT)"
        assert named["ID-AICHR"] == "Indonesia - AICHR"
        assert Names.load(s).by_code["PH-SOMTC"] == "Philippines (IACAT)"
