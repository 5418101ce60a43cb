"""Fixtures: a database built through the migrations, the app, an HTTP client, a live server and
a headless Chromium.

The suite runs on SQLite by default and on PostgreSQL when ZERODRAFT_TEST_DATABASE_URL is set
(.ci/run does both). Each test gets a clean database: a copy of the migrated SQLite file, or the
migrated PostgreSQL schema with its rows put back as the migrations left them; a test that asks
for the `world` starts from the world built once per process the same way. Plain names the
tests share (Clock, log_in, ENGINE...) are in tests/helpers.py: tests import them from there,
never from this file.
"""

import itertools
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from alembic import command
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, MetaData, create_engine, text
from sqlalchemy.pool import NullPool

# Commands the tests run (the CLI, servers started without their own folder) keep what they
# write in the data folder (the audit anchor file, exports) out of the working copy.
os.environ.setdefault("ZERODRAFT_DATA_DIR", tempfile.mkdtemp(prefix="zerodraft-test-data-"))

from app.config import Settings
from app.db import Database
from app.main import create_app
from tests.factories import World, bearer, build_world, token_for
from tests.helpers import (
    CHROMIUM,
    ENGINE,
    IN_CI,
    Clock,
    alembic_config,
    free_port,
    scratch_database,
)

# Fixtures shared by the tests of several features: a real SMTP server (mail_server); and the
# order the files run in, longest first (tests/schedule.py).
pytest_plugins = ["tests.mailserver", "tests.schedule"]


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


def _test_settings(db_url: str, data_dir: Path) -> Settings:
    return Settings(
        mode="test",
        database_url=db_url,
        data_dir=data_dir,
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        # Tests of the second factor turn it on (tests/test_mfa*.py); the rest log in with a
        # password alone, as the roles' second factor is not what they test.
        mfa_required_roles="",
        password_hashing="minimal",
        base_url="http://testserver",
    )


@dataclass(frozen=True)
class _Saved:
    """A database state a test starts from, made once per test process: on SQLite a file to
    copy; on PostgreSQL the SQL that deletes every row and writes the saved rows and each
    sequence's position back (a TRUNCATE of every table took 1-2 s a test on PostgreSQL). With
    the audit anchor file written meanwhile."""

    sqlite_file: Path | None = None
    restore: str = ""
    anchor: Path | None = None


_SAVED_SCHEMAS = itertools.count()


def _save_postgresql(engine: Engine, anchor: Path | None = None) -> _Saved:
    """Every row of every table, copied into a schema of its own in the same database, from
    which the server writes them back (INSERT ... SELECT: no row passes through Python, where
    writing back the 120-indicator working set took seconds a test); and every sequence."""
    tables = MetaData()
    tables.reflect(engine)
    schema = f"zd_saved_{next(_SAVED_SCHEMAS)}"
    deletes, inserts = [], []
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE; CREATE SCHEMA "{schema}"'))
        for table in tables.sorted_tables:
            if table.name == "alembic_version":
                continue
            # Generated columns are computed again on INSERT.
            columns = ", ".join(f'"{c.name}"' for c in table.columns if c.computed is None)
            copy = f'"{schema}"."{table.name}"'
            # Without ORDER BY, read back in the order the rows were written.
            conn.execute(text(f'CREATE TABLE {copy} AS SELECT {columns} FROM "{table.name}"'))
            deletes.append(f'DELETE FROM "{table.name}"')
            if conn.scalar(text(f"SELECT EXISTS (SELECT FROM {copy})")):
                inserts.append(
                    f'INSERT INTO "{table.name}" ({columns}) SELECT {columns} FROM {copy}'
                )
        positions = conn.execute(
            text(
                "SELECT format('%I.%I', schemaname, sequencename), "
                "coalesce(last_value, start_value), last_value IS NOT NULL FROM pg_sequences"
            )
        ).all()
    sequences = ", ".join(
        f"setval('{name}', {value}, {'true' if called else 'false'})"
        for name, value, called in positions
    )
    # Neither triggers (the audit trail's append-only one) nor foreign keys fire: every row
    # goes, and the saved rows come back as they were. One statement string, one round trip.
    restore = "; ".join(
        ["SET LOCAL session_replication_role = replica", *deletes, *inserts]
        + ([f"SELECT {sequences}"] if sequences else [])
    )
    return _Saved(restore=restore, anchor=anchor)


def _restore_postgresql(engine: Engine, saved: _Saved) -> None:
    with engine.begin() as conn:
        conn.execute(text(saved.restore))


@pytest.fixture(scope="session")
def template_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if ENGINE == "postgresql":
        for url in scratch_database("suite"):
            # Every test's restore and most of its requests commit: without waiting for the
            # commit's WAL to reach the disk (what a crash of the PostgreSQL server, which no
            # test causes, could lose), each commit is visible to every connection as before.
            engine = create_engine(url, poolclass=NullPool)
            with engine.begin() as conn:
                name = engine.url.database
                conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
            engine.dispose()
            command.upgrade(alembic_config(url), "head")
            yield url
        return
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    url = f"sqlite:///{path}"
    command.upgrade(alembic_config(url), "head")
    yield url


@pytest.fixture(scope="session")
def _pg_engine(template_url: str) -> Iterator[Engine]:
    # One connection, kept between tests (idle, outside any transaction: it holds no lock): a
    # new one for every test's restore cost as much as the restore itself (~40 ms on a loaded
    # 2-core machine). Checked before each use, as a test may have cut it off.
    engine = create_engine(template_url, pool_size=1, max_overflow=0, pool_pre_ping=True)
    yield engine
    engine.dispose()


# Saved before any test runs, so that a test writing to template_url itself (test_sql_counts.py)
# comes before it in no process.
@pytest.fixture(scope="session", autouse=True)
def _migrated(template_url: str, request: pytest.FixtureRequest) -> _Saved:
    """The database just after the migrations (the Member States they load, nothing else)."""
    if ENGINE == "postgresql":
        return _save_postgresql(request.getfixturevalue("_pg_engine"))
    return _Saved(sqlite_file=Path(template_url.removeprefix("sqlite:///")))


def _build_saved(
    name: str, build: Callable[[Database, datetime], object], request: pytest.FixtureRequest
) -> _Saved:
    """The migrated database with `build(database, now)` run on it through the app at the test
    clock's start, saved to start tests from (the SQLite file, or PostgreSQL's rows)."""
    migrated: _Saved = request.getfixturevalue("_migrated")
    template_url: str = request.getfixturevalue("template_url")
    folder = request.getfixturevalue("tmp_path_factory").mktemp(name)
    if ENGINE == "postgresql":
        engine: Engine = request.getfixturevalue("_pg_engine")
        _restore_postgresql(engine, migrated)
        url = template_url
    else:
        assert migrated.sqlite_file is not None
        shutil.copyfile(migrated.sqlite_file, folder / "zerodraft.sqlite3")
        url = f"sqlite:///{folder / 'zerodraft.sqlite3'}"
    settings = _test_settings(url, folder)
    application = create_app(settings, clock=Clock())
    try:
        build(application.state.database, Clock().now)
    finally:
        application.state.database.dispose()
    anchor = settings.audit_anchor_path
    assert not Path(f"{folder / 'zerodraft.sqlite3'}-wal").exists(), f"{name}: WAL not checkpointed"
    if ENGINE == "postgresql":
        return _save_postgresql(engine, anchor)
    return _Saved(sqlite_file=folder / "zerodraft.sqlite3", anchor=anchor)


@pytest.fixture(scope="session")
def _world_saved(request: pytest.FixtureRequest) -> _Saved:
    """The small working group of tests/factories.py, built once per process through the app as
    the `world` fixture did for every test (0.3-0.5 s each), at the test clock's start."""
    return _build_saved("world", build_world, request)


@pytest.fixture(scope="session")
def _starts() -> dict[tuple[Callable[[Database, datetime], object], bool], _Saved]:
    """The states of `@pytest.mark.start_from(build)`, each built the first time a test of this
    process asks for it."""
    return {}


# Set by db_url when a test's database starts with the world already in it.
_FROM_WORLD = pytest.StashKey[bool]()


@pytest.fixture
def db_url(template_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    # A test that asks for the world (itself or through a fixture) starts from a copy of it;
    # one that asks for it later (request.getfixturevalue) gets it built then, as before.
    from_world = "world" in request.fixturenames
    request.node.stash[_FROM_WORLD] = from_world
    # A test marked start_from(build) starts from a copy of the migrated database with
    # build(database, now) run on it once in this process (e.g. the demo, 2-8 s to load), as the
    # world is: the same rows it would have written itself, at the same clock.
    # With the world too, the world is built first.
    marker = request.node.get_closest_marker("start_from")
    if marker is not None:
        build = marker.args[0]
        starts = request.getfixturevalue("_starts")
        if (build, from_world) not in starts:
            steps = (build_world, build) if from_world else (build,)

            def both(database: Database, now: datetime) -> None:
                for step in steps:
                    step(database, now)

            starts[build, from_world] = _build_saved(build.__name__, both, request)
        saved: _Saved = starts[build, from_world]
    else:
        saved = request.getfixturevalue("_world_saved" if from_world else "_migrated")
    if saved.anchor is not None and saved.anchor.exists():
        shutil.copyfile(saved.anchor, tmp_path / saved.anchor.name)
    if ENGINE == "postgresql":
        _restore_postgresql(request.getfixturevalue("_pg_engine"), saved)
        return template_url
    assert saved.sqlite_file is not None
    target = tmp_path / "zerodraft.sqlite3"
    shutil.copyfile(saved.sqlite_file, target)
    return f"sqlite:///{target}"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return _test_settings(db_url, tmp_path)


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
def world(database: Database, clock: Clock, request: pytest.FixtureRequest) -> World:
    if not request.node.stash.get(_FROM_WORLD, False):
        return build_world(database, clock.now)
    # Built at the clock's start (_world_saved): a fixture that moved the clock first would
    # have had the world written at its time.
    assert clock.now == Clock().now, "the clock moved before the world was built"
    return World()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[str]:
    """The app under a real uvicorn on 127.0.0.1, in a thread."""
    port = free_port()
    # A page left open at the end (a live view's event stream) would keep a graceful shutdown
    # waiting for ever, and the test 10 s on the join below: its request is cancelled after 1 s.
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
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


@pytest.fixture
def tokens(database: Database, world: World, clock: Clock) -> dict[str, dict[str, str]]:
    """API headers of a personal token for each of the world's roles, by a short name: the
    secretariat (sec, sec2), the co-chair, the members of PH, ID and TH, and the observer."""
    people = {
        "sec": world.secretariat,
        "sec2": world.secretariat2,
        "chair": world.chair,
        "ph": world.member,
        "id": world.member2,
        "th": world.member3,
        "observer": world.observer,
    }
    return {k: bearer(token_for(database, email, clock.now)) for k, email in people.items()}
