"""ASVS 5.0 level 2, passwords (issue 14): at least 12 characters, 15 where no second factor
guards the account; refused when on the shipped list of common and breached passwords; no
composition rules; one upper bound, refused alike by every way a password is given."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from app.accounts import password_pages, password_policy
from app.accounts.second_factor import new_totp_secret
from app.audit.service import Actor, record
from app.cli import app as cli
from app.config import Settings
from app.db import Database
from app.models import User
from tests.factories import PASSWORD, World
from tests.helpers import Clock, form_in, log_in
from tests.test_invitations import _fill, _invite, _mailed_link

# 150 characters, no rule broken but its length (no word said twice: a repeat is refused).
TOO_LONG = (
    "tall mango river lantern quiet harbour paper kite amber cloud violet stone meadow copper "
    "falcon winter bridge garden silver orbit pepper canyon thistle marble juniper"
)[:150]
BREACHED = "1qaz2wsx3edc4rfv"  # 16 characters, on the list


@pytest.fixture(autouse=True)
def _answer_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(password_pages, "FORGOT_ANSWER_SECONDS", 0.0)


def _change(client: TestClient, new: str) -> Any:
    form = form_in(client.get("/account").text, action="/account/password")
    fields = form | {"current": PASSWORD, "password": new, "repeat": new}
    return client.post("/account/password", data=fields, follow_redirects=False)


def _give_a_second_factor(database: Database, email: str, clock: Clock) -> None:
    with database.transaction() as s:
        user = s.scalars(select(User).where(User.email == email)).one()
        user.totp_secret = new_totp_secret()
        user.totp_enabled_at = clock.now
        record(
            s, Actor.system("test"), action="mfa.totp_set_up", object_type="user", object_id=user.id
        )


def test_the_shipped_list_is_loaded_and_holds_common_and_breached_passwords() -> None:
    listed = password_policy.common_passwords()
    assert len(listed) > 40_000
    assert {"password", "iloveyou", "1qaz2wsx3edc4rfv", "trustno1"} <= listed


def test_without_a_second_factor_a_password_needs_15_characters(
    client: TestClient, world: World
) -> None:
    log_in(client, world.member)
    refused = _change(client, "plum-kite-sand")  # 14
    assert refused.status_code == 422 and "at least 15 characters" in refused.text
    assert "At least 15 characters" in client.get("/account").text
    assert _change(client, "plum-kite-sand!").status_code == 303  # 15


def test_with_a_second_factor_12_characters_are_enough_and_11_are_not(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    log_in(client, world.member)
    _give_a_second_factor(database, world.member, clock)
    assert "At least 12 characters" in client.get("/account").text
    refused = _change(client, "plum-kite-s")  # 11
    assert refused.status_code == 422 and "at least 12 characters" in refused.text
    assert _change(client, "plum-kite-sa").status_code == 303  # 12


@pytest.mark.parametrize("password", [BREACHED, "Iloveyou-2026!!!", "P@ssw0rd-2026-!!"])
def test_a_common_or_breached_password_is_refused_however_long(
    client: TestClient, world: World, password: str
) -> None:
    log_in(client, world.member)
    refused = _change(client, password)
    assert refused.status_code == 422
    assert "list of common and breached passwords" in refused.text


@pytest.mark.parametrize(
    "password", ["passwordpassword", "letmeinletmein12", "123412341234123", "aseanaseanasean"]
)
def test_a_word_or_a_few_characters_repeated_is_refused(
    client: TestClient, world: World, password: str
) -> None:
    """Long enough and not on the list as a whole, but a guesser tries repeats first."""
    log_in(client, world.member)
    refused = _change(client, password)
    assert refused.status_code == 422
    assert "a word or a few characters repeated" in refused.text


def test_no_composition_rules_a_long_lower_case_phrase_is_fine(
    client: TestClient, world: World
) -> None:
    log_in(client, world.member)
    assert _change(client, "quiet harbour paper kite").status_code == 303


def test_a_password_longer_than_the_form_takes_is_refused_on_the_account_page(
    client: TestClient, world: World
) -> None:
    log_in(client, world.member)
    assert 'maxlength="128"' in client.get("/account").text
    assert _change(client, TOO_LONG).status_code == 422
    assert _change(client, TOO_LONG[: password_policy.MAX_LENGTH]).status_code == 303


def test_a_password_longer_than_the_form_takes_is_refused_on_an_invitation(
    client: TestClient, database: Database, settings: Settings, clock: Clock, world: World
) -> None:
    _invite(database, settings, clock)
    link = _mailed_link(database, "new.person@asean.test")
    assert 'maxlength="128"' in client.get(link.removeprefix("http://testserver")).text
    assert _fill(client, link, TOO_LONG).status_code == 422
    assert _fill(client, link, BREACHED).status_code == 422
    assert _fill(client, link, "tall mango river lantern").status_code == 303


def test_a_password_longer_than_the_form_takes_is_refused_on_a_reset(
    client: TestClient, database: Database, world: World
) -> None:
    form = form_in(client.get("/password/forgot").text, action="/password/forgot")
    client.post("/password/forgot", data=form | {"email": world.member})
    link = _mailed_link(database, world.member, kind="password_reset")
    assert _fill(client, link, TOO_LONG).status_code == 422
    assert _fill(client, link, "tall mango river lantern").status_code == 303


def test_a_password_longer_than_the_form_takes_is_refused_at_log_in_and_by_the_cli(
    client: TestClient, world: World, db_url: str
) -> None:
    assert 'maxlength="128"' in client.get("/login").text
    page = form_in(client.get("/login").text, action="/login")
    answer = client.post("/login", data=page | {"email": world.member, "password": TOO_LONG})
    assert answer.status_code == 422
    args = ["user", "add", "--email", "x@asean.test", "--name", "X", "--role", "observer"]
    args += ["--password-stdin", "--database", db_url]
    for password, problem in [
        (TOO_LONG, "at most 128 characters"),
        ("twelve-chars", "at least 15 characters"),
        (BREACHED, "common and breached"),
    ]:
        result = CliRunner().invoke(cli, args, input=password + "\n")
        assert result.exit_code == 1 and problem in result.stderr, result.stderr
    assert CliRunner().invoke(cli, args, input="tall mango river lantern\n").exit_code == 0
