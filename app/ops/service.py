"""What the probes and the metrics read from the database, at the moment they are asked.

Nothing here is kept between requests: several instances behind a load balancer each answer
from the one database, so the outbox's length is the same whichever instance is scraped."""

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from app.db import Database
from app.errors import DomainError
from app.migrate import find_alembic_ini
from app.models.mail import OutboxMessage, OutboxState


@dataclass(frozen=True, slots=True)
class Readiness:
    ready: bool
    # Why not ready, one sentence; empty when ready.
    reason: str = ""
    revision: str | None = None
    head: str | None = None


def code_head(url: str) -> str | None:
    """The Alembic revision this code's migrations end at."""
    return _head_of(find_alembic_ini())


@cache
def _head_of(ini: Path) -> str | None:
    # Read once per process: the migrations are part of the code, which a running process
    # does not change (reading them took ~50 ms of each app's start, i.e. of every test).
    return ScriptDirectory.from_config(Config(str(ini))).get_current_head()


def readiness(database: Database, head: str | None) -> Readiness:
    """Ready: the database answers and its schema is at the code's revision (`head`)."""
    if head is None:
        return Readiness(False, "the code's migrations cannot be found (alembic.ini)")
    try:
        with database.engine.connect() as conn:
            has_table = database.engine.dialect.has_table(conn, "alembic_version")
            revision = (
                conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                if has_table
                else None
            )
    except DBAPIError as exc:
        first = str(exc.orig or exc).strip().splitlines()
        return Readiness(
            False, f"the database is unavailable: {first[0] if first else type(exc).__name__}"
        )
    if revision is None:
        return Readiness(False, "the database has no schema; run zerodraft db upgrade", None, head)
    if revision != head:
        return Readiness(
            False,
            f"the database schema is at revision {revision}, the code needs {head}; "
            "run zerodraft db upgrade",
            revision,
            head,
        )
    return Readiness(True, "", revision, head)


def head_or_none(url: str) -> str | None:
    try:
        return code_head(url)
    except DomainError:  # alembic.ini not found: readiness says so
        return None


@dataclass(frozen=True, slots=True)
class Outbox:
    pending: int
    oldest_age_seconds: float


def outbox(database: Database, now: datetime) -> Outbox:
    """Mail waiting to be delivered, and how long the oldest of it has waited."""
    with database.session(write=False) as session:
        count, oldest = session.execute(
            select(func.count(OutboxMessage.id), func.min(OutboxMessage.created_at)).where(
                OutboxMessage.state == OutboxState.PENDING
            )
        ).one()
    age = max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
    return Outbox(int(count), age)
