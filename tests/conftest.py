"""Fixtures: a database built through the migrations, the app, an HTTP client, a live server and
a headless Chromium.

The suite runs on SQLite by default and on PostgreSQL when ZERODRAFT_TEST_DATABASE_URL is set
(.ci/run does both). Each test gets a clean database: a copy of the migrated SQLite file, or the
migrated PostgreSQL schema with every table emptied. Plain names the tests share (Clock, log_in,
ENGINE...) are in tests/helpers.py: tests import them from there, never from this file.
"""

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from alembic import command
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import bindparam, create_engine, text

# Commands the tests run (the CLI, servers started without their own folder) keep what they
# write in the data folder (the audit anchor file, exports) out of the working copy.
os.environ.setdefault("ZERODRAFT_DATA_DIR", tempfile.mkdtemp(prefix="zerodraft-test-data-"))

from app.config import Settings
from app.db import Database
from app.main import create_app
from tests.factories import World, bearer, build_world, token_for
from tests.helpers import (
    ASEAN_STATES,
    CHROMIUM,
    ENGINE,
    IN_CI,
    TABLES,
    Clock,
    alembic_config,
    free_port,
    scratch_database,
)

# Fixtures shared by the tests of several features: a real SMTP server (mail_server).
pytest_plugins = ["tests.mailserver"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # PostgreSQL-only tests are deselected (not skipped) on SQLite runs; .ci/run runs them on PG.
    if ENGINE != "postgresql":
        selected = [i for i in items if "postgres" not in i.keywords]
        deselected = [i for i in items if "postgres" in i.keywords]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = selected


def pytest_report_header() -> str:
    return f"zerodraft database engine: {ENGINE}"


@pytest.fixture(scope="session")
def template_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if ENGINE == "postgresql":
        for url in scratch_database("suite"):
            command.upgrade(alembic_config(url), "head")
            yield url
        return
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    url = f"sqlite:///{path}"
    command.upgrade(alembic_config(url), "head")
    yield url


@pytest.fixture
def db_url(template_url: str, tmp_path: Path) -> str:
    if ENGINE == "postgresql":
        engine = create_engine(template_url)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
            conn.execute(
                text("DELETE FROM member_states WHERE code NOT IN :codes").bindparams(
                    bindparam("codes", expanding=True)
                ),
                {"codes": list(ASEAN_STATES)},
            )
        engine.dispose()
        return template_url
    source = Path(template_url.removeprefix("sqlite:///"))
    target = tmp_path / "zerodraft.sqlite3"
    shutil.copyfile(source, target)
    return f"sqlite:///{target}"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        mode="test",
        database_url=db_url,
        data_dir=tmp_path,
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        # Tests of the second factor turn it on (tests/test_mfa*.py); the rest log in with a
        # password alone, as the roles' second factor is not what they test.
        mfa_required_roles="",
        password_hashing="minimal",
        base_url="http://testserver",
    )


@pytest.fixture
def app(settings: Settings, clock: Clock) -> Iterator[FastAPI]:
    application = create_app(settings, clock=clock)
    yield application
    application.state.database.dispose()


@pytest.fixture
def database(app: FastAPI) -> Database:
    db: Database = app.state.database
    return db


@pytest.fixture
def world(database: Database, clock: Clock) -> World:
    return build_world(database, clock.now)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[str]:
    """The app under a real uvicorn on 127.0.0.1, in a thread."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start in 10 s")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg
    context.close()


@pytest.fixture
def sec(database: Database, world: World, clock: Clock) -> dict[str, str]:
    """API headers of the demo secretariat officer's personal token."""
    return bearer(token_for(database, world.secretariat, clock.now))


@pytest.fixture
def member(database: Database, world: World, clock: Clock) -> dict[str, str]:
    """API headers of the demo member's personal token."""
    return bearer(token_for(database, world.member, clock.now))
