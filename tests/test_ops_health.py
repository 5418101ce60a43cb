"""/healthz says the process is alive without asking the database; /readyz says whether the
database answers and its schema is at the code's revision (503 with the reason otherwise)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.helpers import ENGINE, alembic_config, scratch_database


def test_healthz_and_readyz_answer_on_a_database_at_head(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert ready.json() == {"status": "ready", "revision": head}


@pytest.fixture
def empty_url(tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it, of the engine under test."""
    if ENGINE == "postgresql":
        yield from scratch_database("ops")
    else:
        yield f"sqlite:///{tmp_path / 'behind.sqlite3'}"


def _client(url: str, folder: Path) -> TestClient:
    settings = Settings(
        mode="test",
        database_url=url,
        data_dir=folder,
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        password_hashing="minimal",
    )
    return TestClient(create_app(settings))


def test_readyz_is_503_until_the_database_is_upgraded_to_the_code_head(
    empty_url: str, tmp_path: Path
) -> None:
    config = alembic_config(empty_url)
    script = ScriptDirectory.from_config(config)
    head = script.get_current_head()
    assert head is not None
    previous = script.get_revision(head).down_revision
    assert isinstance(previous, str)

    http = _client(empty_url, tmp_path)
    # No schema at all yet: alive, not ready.
    assert http.get("/healthz").status_code == 200
    empty = http.get("/readyz")
    assert empty.status_code == 503
    assert empty.headers["retry-after"] == "5"
    assert empty.json()["error"] == "unavailable"
    assert "zerodraft db upgrade" in empty.json()["detail"]

    # One revision behind the code: still not ready, and the answer says which revisions.
    command.upgrade(config, previous)
    behind = http.get("/readyz")
    assert behind.status_code == 503
    body = behind.json()
    assert body["revision"] == previous
    assert f"at revision {previous}, the code needs {head}" in body["detail"]
    assert http.get("/healthz").json() == {"status": "ok"}

    command.upgrade(config, "head")
    assert http.get("/readyz").json() == {"status": "ready", "revision": head}
    http.app.state.database.dispose()  # type: ignore[attr-defined]


def test_readyz_is_503_when_the_database_does_not_answer(tmp_path: Path) -> None:
    # A PostgreSQL port nobody listens on (the same on both engines: the server is away).
    http = _client("postgresql+psycopg://nobody@127.0.0.1:9/none", tmp_path)
    assert http.get("/healthz").json() == {"status": "ok"}
    away = http.get("/readyz")
    assert away.status_code == 503
    assert away.json()["detail"].startswith("the database is unavailable: ")
    assert "Traceback" not in away.text
