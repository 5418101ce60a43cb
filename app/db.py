"""Engine, session and column types shared by every model.

SQLite is the zero-set-up default and PostgreSQL the production engine; both get the same
behaviour from here: foreign keys on, and write transactions that take the write lock at BEGIN
so that a read-then-write transaction can never fail half-way with "database is locked".
"""

import select
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from psycopg.pq import TransactionStatus
from sqlalchemy import (
    JSON,
    CompoundSelect,
    DateTime,
    Engine,
    MetaData,
    Select,
    create_engine,
    event,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

WRITE = "zerodraft_write"
CONNECT_TIMEOUT_SECONDS = 5
# libpq's TCP keepalives (seconds): a connection whose server vanished without a word (a host
# gone, a NAT that forgot the flow) is found dead by the operating system within about a
# minute, instead of the hours of its defaults.
KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}
# A pooled connection idle longer than this is pinged (one round trip) before use; one back
# sooner is checked by a poll of its socket only (_replace_if_ended).
PING_AFTER_IDLE_SECONDS = 10.0


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on both engines."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so that BEGIN is ours to issue.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        options = conn.get_execution_options()
        conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get(WRITE, False) else "BEGIN")
        # Rows this connection had changed when the transaction began (see wrote_nothing).
        conn.info[_CHANGES_AT_BEGIN] = conn.connection.dbapi_connection.total_changes  # type: ignore[union-attr]


_CHANGES_AT_BEGIN = "zerodraft_changes_at_begin"


def wrote_nothing(conn: Connection) -> bool:
    """Whether the driver shows that `conn`'s transaction under way has written nothing, so
    that ending it without a commit loses nothing. False when that is not known.

    PostgreSQL: the server's transaction status. A read session's plain SELECTs run in
    autocommit (see _configure_postgresql_reads) and leave no transaction open; anything else
    opens one, and that one is committed. SQLite: the rows the connection has changed
    (total_changes, which counts every INSERT, UPDATE and DELETE, whatever its text: INSERT OR
    IGNORE, a CTE, a trigger's) against their number when the transaction began."""
    dbapi_conn = conn.connection.dbapi_connection
    if dbapi_conn is None:
        return False
    if conn.dialect.name == "postgresql":
        return bool(dbapi_conn.info.transaction_status == TransactionStatus.IDLE)
    if conn.dialect.name == "sqlite":
        began = conn.info.get(_CHANGES_AT_BEGIN)
        return began is not None and began == dbapi_conn.total_changes
    return False


POOL_SIZE = 16  # connections kept open per process; more under load, up to:
# SQLite: the thread pool's 40 and room for the requests that briefly hold two (a read that
# opens a short write transaction: the session touch, a round's due state change).
# PostgreSQL: 40, so that two workers stay well within the server's default 100.
MAX_CONNECTIONS = {"sqlite": 50, "postgresql": 40}


def make_engine(url: str, pool_size: int = POOL_SIZE) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=pool_size,
            max_overflow=max(MAX_CONNECTIONS["sqlite"] - pool_size, 0),
        )
        _configure_sqlite(engine)
        return engine
    # The connect timeout bounds a request (answered 503) while the server is unreachable,
    # instead of waiting for the operating system's TCP timeout (minutes). A connection the
    # server ended while it sat in the pool is replaced before use (_replace_if_ended), so
    # service resumes by itself after a restart.
    # Connections above pool_size are closed when returned: a pool smaller than the requests in
    # flight opens a new server connection for many requests (seen in bench/run.py at 16
    # clients on PostgreSQL with 10 kept: the cached pages' p99 at ~100 ms, ~35 ms with 16).
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=max(MAX_CONNECTIONS["postgresql"] - pool_size, 0),
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS, **KEEPALIVES},
        # Stated, not assumed from the server's default: the read sessions' autocommit below
        # reads what a transaction would only in READ COMMITTED.
        isolation_level="READ COMMITTED",
    )
    event.listen(engine, "checkout", _replace_if_ended)
    event.listen(engine, "checkin", _note_checkin)
    _configure_postgresql_reads(engine)
    return engine


# A request's read session on PostgreSQL (Database.session(write=False)): its statements run
# without BEGIN and COMMIT, two of a cached page's four round trips. In READ COMMITTED, the
# isolation every transaction here runs in, each statement of a transaction reads its own
# snapshot anyway: a SELECT sees the same rows with or without the transaction around it. What
# needs a transaction still gets one: the first statement of a read session that is not a
# Core/ORM SELECT locking nothing (_plain_read: a write, FOR UPDATE / SHARE, a server-side
# cursor, any text() or driver SQL) starts a transaction that the session's commit or rollback
# ends, as before; a session asked for another isolation (the audit check's REPEATABLE READ)
# or to write (a staged route's write()) has one from its start.
READ = "zerodraft_read"
# On the connection record's info: the read session's hook put the connection in autocommit
# (and so takes it out again), as opposed to SQLAlchemy's isolation_level="AUTOCOMMIT".
_SWITCHED = "zerodraft_autocommit_switched"


def _configure_postgresql_reads(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        options = conn.get_execution_options()
        wanted = (
            options.get(READ, False)
            and not options.get(WRITE, False)
            and "isolation_level" not in options
        )
        dbapi_conn = conn.connection.dbapi_connection
        if dbapi_conn is None:
            return
        # idle here: nothing has run since the pool or the last transaction's end
        if wanted and not dbapi_conn.autocommit:
            dbapi_conn.autocommit = True
            conn.info[_SWITCHED] = True
        elif not wanted and conn.info.pop(_SWITCHED, False) and dbapi_conn.autocommit:
            dbapi_conn.autocommit = False
        # Anything else is left as it is: autocommit set by someone else (SQLAlchemy's
        # isolation_level="AUTOCOMMIT") is theirs to keep and to reset.

    @event.listens_for(engine, "before_cursor_execute")
    def _transaction_if_needed(
        conn: Connection, cursor: Any, _statement: str, _params: Any, context: Any, _many: bool
    ) -> None:
        dbapi_conn = conn.connection.dbapi_connection
        if (
            dbapi_conn is not None
            and dbapi_conn.autocommit
            and conn.info.get(_SWITCHED, False)
            and not _plain_read(context, cursor)
        ):
            # psycopg sends BEGIN before this statement, a round trip of its own.
            dbapi_conn.autocommit = False
            del conn.info[_SWITCHED]

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_conn: Any, record: Any) -> None:
        # Any other user of the pool (a backup's snapshot, the CLI) gets a transaction.
        if (
            record.info.pop(_SWITCHED, False)
            and dbapi_conn is not None
            and not dbapi_conn.closed
            and dbapi_conn.autocommit
        ):
            dbapi_conn.autocommit = False


def _plain_read(context: Any, cursor: Any) -> bool:
    """Whether a statement may run outside a transaction: a Core or ORM SELECT (a WITH of
    SELECTs, as search's, and a UNION included) that locks nothing (no FOR UPDATE / SHARE),
    writes through none of its CTEs and reads through no server-side cursor (yield_per, whose
    portal lives in a transaction). Decided from the compiled statement, never from its text:
    text() and exec_driver_sql (hand-written: an advisory lock, pg_notify, set_config, a CTE
    that writes) always get a transaction. A SELECT of a function with a transaction-scoped
    effect (pg_advisory_xact_lock, set_config(..., true)) must be written with text() too."""
    compiled: Any = getattr(context, "compiled", None)
    query = getattr(compiled, "statement", None)
    if not isinstance(query, Select | CompoundSelect) or query._for_update_arg is not None:
        return False
    if hasattr(cursor, "name"):  # a server-side cursor
        return False
    return not any(isinstance(cte.element, UpdateBase) for cte in compiled.ctes or ())


_CHECKED_IN = "zerodraft_checked_in"  # on the connection record's info: time.monotonic()


def _note_checkin(_dbapi_conn: Any, record: Any) -> None:
    record.info[_CHECKED_IN] = time.monotonic()


def _ping(dbapi_conn: Any) -> None:
    """One round trip, outside any transaction (the connection is idle at checkout)."""
    before = dbapi_conn.autocommit
    dbapi_conn.autocommit = True
    try:
        dbapi_conn.execute("SELECT 1")
    finally:
        dbapi_conn.autocommit = before


def _replace_if_ended(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
    """Before a pooled PostgreSQL connection is handed out: if the server has ended it (a
    restart, an administrator's terminate, a network cut), have the pool open a new one.

    A connection back in the pool for less than PING_AFTER_IDLE_SECONDS (a busy pool's: most
    requests) is checked without a round trip (SQLAlchemy's pool_pre_ping sent one per request,
    a third of a cached page's trips): a connection resting in the pool has nothing to read,
    since the server speaks only when asked, except to say that it is closing the connection
    (a FATAL message, then end of file) or, rarely, to report a setting changed by a
    configuration reload. Either makes the socket readable, and then the connection is
    replaced (a reload costs one needless reconnect). A server that vanished without a word (a
    failover to a new host at the same address, a NAT that forgot the flow) leaves the socket
    quiet; it answers the first bytes sent with a reset. So a connection idle for longer is
    pinged, as pool_pre_ping did: a reset or an error then replaces it. Within the idle spell a
    request can still meet such a connection: it fails, answered 503, and the pool discards the
    connection; the TCP keepalives (KEEPALIVES) find the silent ones in the pool meanwhile. A
    host that answers nothing at all (unplugged) makes the ping wait, as pool_pre_ping did."""
    checked_in = record.info.pop(_CHECKED_IN, None)
    try:
        if dbapi_conn.closed or dbapi_conn.broken:
            raise DisconnectionError("the connection is closed")
        if checked_in is not None and time.monotonic() - checked_in > PING_AFTER_IDLE_SECONDS:
            _ping(dbapi_conn)
            return
        poll = select.poll()
        poll.register(dbapi_conn.pgconn.socket, select.POLLIN | select.POLLERR | select.POLLHUP)
        if poll.poll(0):
            raise DisconnectionError("the server ended the connection (or spoke unasked)")
    except DisconnectionError:
        raise
    except Exception as exc:  # the socket is gone: pgconn.socket raises on a closed connection
        raise DisconnectionError(str(exc)) from exc


class Database:
    """One engine and two session factories: reads, and writes that lock at BEGIN."""

    def __init__(self, url: str, pool_size: int = POOL_SIZE) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size)
        reads = self.engine.execution_options(**{READ: True})
        self._read = sessionmaker(reads, expire_on_commit=False)
        self._write = sessionmaker(
            self.engine.execution_options(**{WRITE: True}), expire_on_commit=False
        )

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def session(self, *, write: bool) -> Session:
        return (self._write if write else self._read)()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """A unit of work outside HTTP (CLI, demo loader): commit once at the end."""
        session = self.session(write=write)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
