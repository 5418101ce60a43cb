"""Fixtures: a database built through the migrations, the app, an HTTP client, a live server and
a headless Chromium.

The suite runs on SQLite by default and on PostgreSQL when ZERODRAFT_TEST_DATABASE_URL is set
(.ci/run does both). Each test gets a clean database: a copy of the migrated SQLite file, or the
migrated PostgreSQL schema with every table emptied.
"""

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from alembic import command
from alembic.config import Config
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import bindparam, create_engine, text
from sqlalchemy.engine import make_url

from app.config import Settings
from app.db import Base, Database
from app.main import create_app
from tests.factories import PASSWORD, World, build_world

# Fixtures shared by the tests of several features: a real SMTP server (mail_server).
pytest_plugins = ["tests.mailserver"]

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("ZERODRAFT_TEST_DATABASE_URL", "")
ENGINE = "postgresql" if PG_URL else "sqlite"
CHROMIUM = "/usr/bin/chromium"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


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


def alembic_config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.attributes["url"] = url
    cfg.attributes["configure_logger"] = False
    return cfg


def scratch_database(suffix: str) -> Iterator[str]:
    """A PostgreSQL database of this test process's own, beside the configured one, so that
    several test runs on one server never truncate each other's tables."""
    url = make_url(PG_URL)
    name = f"{url.database}_{suffix}_{os.getpid()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


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


# The eleven Member States are reference data that the migrations load: kept, as on SQLite
# (where every test starts from a copy of the migrated file); any other state a test added goes.
ASEAN_STATES = ("BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "TL", "VN")
_TABLES = ", ".join(
    t.name for t in reversed(Base.metadata.sorted_tables) if t.name != "member_states"
)


@pytest.fixture
def db_url(template_url: str, tmp_path: Path) -> str:
    if ENGINE == "postgresql":
        engine = create_engine(template_url)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {_TABLES} RESTART IDENTITY CASCADE"))
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


@dataclass
class Clock:
    """An injected clock: tests move time instead of sleeping."""

    now: datetime = field(default_factory=lambda: datetime(2026, 3, 2, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


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


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def log_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Log in through the form as a person would; returns the session's CSRF token."""
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/account").text)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[str]:
    """The app under a real uvicorn on 127.0.0.1, in a thread."""
    port = _free_port()
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


def browser_log_in(page: Any, base_url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/register.*"))
