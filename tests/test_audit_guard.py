"""The rule that every change to what pages show writes an audit event in the same
transaction is checked by code at commit (app/audit/guard.py), on every engine the app opens."""

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.audit.guard import Unaudited, install, open_database
from app.audit.service import Actor, record
from app.config import Settings
from app.db import Database
from app.models import Body, Item, User
from tests.factories import World
from tests.helpers import Clock


def _body_named(database: Database, code: str) -> str:
    with database.transaction(write=False) as s:
        return s.scalars(select(Body.name).where(Body.code == code)).one()


def test_a_change_without_an_audit_event_is_refused_and_nothing_is_kept(
    database: Database, world: World
) -> None:
    with (
        pytest.raises(Unaudited, match="wrote bodies without an audit event"),
        database.transaction() as s,
    ):
        s.scalars(select(Body).where(Body.code == "SOMTC")).one().name = "Renamed quietly"
    assert _body_named(database, "SOMTC") != "Renamed quietly"


def test_a_core_update_is_checked_too(database: Database, world: World) -> None:
    with pytest.raises(Unaudited, match="items"), database.transaction() as s:
        s.execute(update(Item).values(position=Item.position + 1))


def test_the_same_change_with_its_audit_event_is_kept(database: Database, world: World) -> None:
    with database.transaction() as s:
        s.scalars(select(Body).where(Body.code == "SOMTC")).one().name = "Renamed openly"
        record(s, Actor.system("test"), action="body.rename", object_type="body", object_id="X")
    assert _body_named(database, "SOMTC") == "Renamed openly"


def test_bookkeeping_no_page_shows_needs_no_event(
    database: Database, world: World, clock: Clock
) -> None:
    with database.transaction() as s:
        # The digest worker's mark, and a TOTP step used: columns no page shows.
        s.execute(update(User).values(last_digest_at=clock.now, totp_last_step=7))
    # A column pages show, set beside a bookkeeping one, is content.
    with pytest.raises(Unaudited, match="users"), database.transaction() as s:
        s.execute(update(User).values(last_digest_at=clock.now, name="Someone"))


def test_in_production_it_is_logged_not_refused(
    settings: Settings, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    production = settings.model_copy(
        update={"mode": "production", "secret_key": "p" * 40, "password_hashing": "argon2id"}
    )
    database = open_database(production, pool_size=2)
    try:
        with (
            caplog.at_level(logging.ERROR, logger="zerodraft.audit"),
            database.transaction() as s,
        ):
            s.scalars(select(Body).where(Body.code == "SOMTC")).one().name = "Kept, logged"
        assert "wrote bodies without an audit event" in caplog.text
        assert _body_named(database, "SOMTC") == "Kept, logged"
    finally:
        database.dispose()


def test_installing_twice_checks_once(database: Database, world: World, clock: Clock) -> None:
    install(database.engine, strict=True)  # the app installed it already
    with database.transaction() as s:
        s.execute(update(User).values(last_digest_at=clock.now + timedelta(days=1)))
