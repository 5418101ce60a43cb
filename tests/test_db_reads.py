"""PostgreSQL: a request's read session sends no BEGIN and no COMMIT for its SELECTs (app/db.py),
and still gets a transaction for whatever needs one: a write (kept or undone with the session,
as before), a lock, another isolation, a staged route's write; other users of the pool (a
backup's snapshot, the CLI) get a transaction as before."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from psycopg.pq import TransactionStatus
from sqlalchemy import Connection, insert, select, text
from sqlalchemy.orm import Session

from app.db import READ, WRITE, Database
from app.models import Dimension
from tests.factories import World
from tests.helpers import log_in

pytestmark = pytest.mark.postgres


def _status(session: Session) -> TransactionStatus:
    return _dbapi_status(session.connection())


def _dbapi_status(conn: Connection) -> TransactionStatus:
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    return TransactionStatus(dbapi.info.transaction_status)


def test_a_read_session_reads_outside_a_transaction(database: Database) -> None:
    session = database.session(write=False)
    try:
        session.scalars(select(Dimension.code)).all()
        assert _status(session) is TransactionStatus.IDLE  # no BEGIN was sent
        session.commit()  # and so no COMMIT either
    finally:
        session.close()


def test_a_read_session_that_writes_does_so_in_a_transaction_its_rollback_undoes(
    database: Database,
) -> None:
    session = database.session(write=False)
    try:
        before = session.scalar(text("SELECT count(*) FROM dimensions"))
        session.execute(
            text(
                "INSERT INTO dimensions (code, prefix, title, description, position) "
                "VALUES ('ZZ', 'ZZ', 'Scratch', '', 999)"
            )
        )
        assert _status(session) is TransactionStatus.INTRANS
        session.rollback()
        assert session.scalar(text("SELECT count(*) FROM dimensions")) == before
    finally:
        session.close()


def test_locks_and_other_isolations_get_a_transaction(database: Database) -> None:
    session = database.session(write=False)
    try:
        session.execute(select(Dimension.id).limit(1).with_for_update())
        assert _status(session) is TransactionStatus.INTRANS  # the lock is held to the end
        session.rollback()
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        session.scalars(select(Dimension.code)).all()
        assert _status(session) is TransactionStatus.INTRANS  # one snapshot for all it reads
        session.rollback()
        rows = session.scalars(select(Dimension.code).execution_options(yield_per=2))
        assert _status(session) is TransactionStatus.INTRANS  # a server-side cursor lives in one
        rows.all()
        session.rollback()
        session.connection(execution_options={WRITE: True})  # a staged route's write()
        session.scalars(select(Dimension.code)).all()
        assert _status(session) is TransactionStatus.INTRANS
    finally:
        session.close()


def test_the_pools_other_users_get_a_transaction_after_a_read_session(
    database: Database,
) -> None:
    database.engine.pool.dispose()
    session = database.session(write=False)
    session.scalars(select(Dimension.code)).all()
    session.close()  # its connection back in the pool, the only one there
    with database.engine.connect() as conn:
        conn.execute(select(Dimension.code)).all()
        assert _dbapi_status(conn) is TransactionStatus.INTRANS
        conn.rollback()
    with database.transaction(write=True) as s:
        s.scalars(select(Dimension.code)).all()
        assert _status(s) is TransactionStatus.INTRANS


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT id FROM dimensions ORDER BY id LIMIT 1 for update",
        "SELECT id FROM dimensions ORDER BY id LIMIT 1\nFOR UPDATE",
        "SELECT pg_try_advisory_xact_lock(4242)",
        "SELECT set_config('zerodraft.x', 'y', true)",
        "SELECT pg_notify('zerodraft_probe', '')",
        "/* a note */ SELECT 1",
    ],
)
def test_hand_written_sql_gets_a_transaction(database: Database, sql: str) -> None:
    # Its text is not read for what it does: a lower-case or wrapped lock, a transaction-scoped
    # lock or setting, a notification sent at commit all need the transaction.
    session = database.session(write=False)
    try:
        session.execute(select(Dimension.id).limit(1))
        assert _status(session) is TransactionStatus.IDLE
        session.execute(text(sql))
        assert _status(session) is TransactionStatus.INTRANS, sql
    finally:
        session.rollback()
        session.close()


def test_a_select_whose_cte_writes_gets_a_transaction(database: Database) -> None:
    session = database.session(write=False)
    try:
        added = (
            insert(Dimension)
            .values(code="ZZ", prefix="ZZ", title="Scratch", description="", position=999)
            .returning(Dimension.id)
            .cte("added")
        )
        session.execute(select(added.c.id))
        assert _status(session) is TransactionStatus.INTRANS
    finally:
        session.rollback()
        session.close()


def test_pages_read_outside_a_transaction(
    client: TestClient, world: World, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The cached pages' and search's statements (a WITH of SELECTs) are Core/ORM SELECTs: no
    # BEGIN for them. Only what writes (the session touch, if due) gets a transaction.
    import app.db

    given: list[str] = []
    plain_read = app.db._plain_read

    def spy(context: Any, cursor: Any) -> bool:
        plain = plain_read(context, cursor)
        if not plain:
            given.append(str(context.statement)[:60])
        return plain

    monkeypatch.setattr(app.db, "_plain_read", spy)
    log_in(client, world.member)
    for url in ("/register", "/indicators/FC-CD-01", "/consensus", "/search?q=passport"):
        assert client.get(url).status_code == 200
    given.clear()
    for url in ("/register", "/indicators/FC-CD-01", "/consensus", "/search?q=passport"):
        assert client.get(url).status_code == 200
    assert all(s.startswith(("INSERT", "UPDATE")) for s in given), given


def test_sqlalchemys_autocommit_is_left_alone(database: Database) -> None:
    # isolation_level="AUTOCOMMIT" (a VACUUM, a CREATE INDEX CONCURRENTLY) is not turned into a
    # transaction by the read sessions' hooks, neither at BEGIN nor by a statement.
    for engine in (database.engine, database.engine.execution_options(**{READ: True})):
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("SELECT pg_notify('zerodraft_probe', '')"))
            assert _dbapi_status(conn) is TransactionStatus.IDLE
            conn.execute(select(Dimension.id).limit(1).with_for_update())
            assert _dbapi_status(conn) is TransactionStatus.IDLE
    # and the pool hands out transactions afterwards, as always
    with database.engine.connect() as conn:
        conn.execute(select(Dimension.id).limit(1))
        assert _dbapi_status(conn) is TransactionStatus.INTRANS


def test_transactions_are_read_committed(database: Database) -> None:
    # Stated on the engine: the read sessions' autocommit reads what READ COMMITTED would.
    with database.transaction() as session:
        assert session.scalar(text("SHOW transaction_isolation")) == "read committed"
