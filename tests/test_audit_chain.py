"""The audit trail is a hash chain: any edit, deletion, insertion or reordering of its rows is
found by `zerodraft audit verify`, which names the first bad event."""

import threading
from collections.abc import Callable, Iterator

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from app.audit.service import verify_chain
from app.config import Settings
from app.db import Database
from tests.factories import World, bearer, token_for
from tests.helpers import Clock
from tests.test_cli import zerodraft


@pytest.fixture
def trail(world: World, database: Database, db_url: str) -> Iterator[Callable[[str], None]]:
    """Run raw SQL as someone with direct database access would (triggers off on PostgreSQL)."""
    engine = create_engine(db_url)

    def tamper(sql: str) -> None:
        with engine.begin() as conn:
            _triggers(conn, enabled=False)
            for statement in sql.split(";"):
                if statement.strip():
                    conn.execute(text(statement))
            _triggers(conn, enabled=True)

    yield tamper
    engine.dispose()


def _triggers(conn: Connection, *, enabled: bool) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(
            text(f"ALTER TABLE audit_events {'ENABLE' if enabled else 'DISABLE'} TRIGGER USER")
        )


def _verify(db_url: str, settings: Settings) -> tuple[int, str, str]:
    # The app's anchor file, not the one in the working directory's data folder.
    anchor = str(settings.audit_anchor_path)
    return zerodraft("audit", "verify", "--database", db_url, "--anchor", anchor)


def test_an_untouched_chain_verifies(
    trail: object, db_url: str, database: Database, settings: Settings
) -> None:
    code, out, _ = _verify(db_url, settings)
    assert code == 0
    with database.transaction(write=False) as s:
        count, broken = verify_chain(s)
    assert broken is None
    assert f"audit chain verified: {count} events, unbroken" in out


@pytest.mark.parametrize(
    ("sql", "seq", "problem"),
    [
        ("UPDATE audit_events SET action = 'user.promote' WHERE id = 5", 5, "edited"),
        ("UPDATE audit_events SET details = '{}' WHERE id = 7", 7, "edited"),
        ("DELETE FROM audit_events WHERE id = 5", 5, "missing"),
        (
            # Insert: make room at 5 and slip a forged event in.
            "UPDATE audit_events SET id = id + 1000 WHERE id >= 5;"
            "UPDATE audit_events SET id = id - 999 WHERE id >= 1005;"
            "INSERT INTO audit_events (id, occurred_at, action, object_type, object_id, details,"
            " prev_hash, hash) SELECT 5, occurred_at, 'user.add', 'user', '99', details,"
            " hash, 'f0rged' FROM audit_events WHERE id = 4",
            5,
            "edited",
        ),
        (
            # Reorder: swap events 5 and 6.
            "UPDATE audit_events SET id = -5 WHERE id = 5;"
            "UPDATE audit_events SET id = 5 WHERE id = 6;"
            "UPDATE audit_events SET id = 6 WHERE id = -5",
            5,
            "does not follow",
        ),
    ],
)
def test_tampering_is_found_and_named(
    trail: Callable[[str], None],
    db_url: str,
    settings: Settings,
    sql: str,
    seq: int,
    problem: str,
) -> None:
    trail(sql)
    code, _, err = _verify(db_url, settings)
    assert code == 1
    assert err.startswith(f"error: audit chain broken at event {seq}: ")
    assert problem in err


@pytest.mark.postgres
def test_postgres_refuses_update_and_delete_of_audit_rows(world: World, db_url: str) -> None:
    engine = create_engine(db_url)
    for sql in ("UPDATE audit_events SET action = 'x' WHERE id = 1", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(sql))
    engine.dispose()


@pytest.mark.postgres
def test_32_concurrent_writers_leave_one_unbroken_chain(
    live_server: str, world: World, database: Database, clock: Clock
) -> None:
    token = token_for(database, world.member, clock.now)
    start = threading.Barrier(32)
    codes: list[int] = []

    def writer(n: int) -> None:
        with httpx.Client(base_url=live_server, headers=bearer(token), timeout=60) as http:
            start.wait()
            for k in range(3):
                r = http.post("/api/v1/comments", json={"item": "FC-CD-01", "body": f"{n}/{k}"})
                codes.append(r.status_code)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert codes.count(201) == 96
    with database.transaction(write=False) as s:
        count, broken = verify_chain(s)
    assert broken is None
    assert count >= 96
