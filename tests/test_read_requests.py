"""A read request's session ends without a commit only when it is known to have written nothing
(app/web/deps.py): no write is ever dropped unseen (app.audit.service.wrote asks the driver:
PostgreSQL's transaction status, SQLite's count of changed rows; audit events recorded wait for
the commit)."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, select, text, update
from sqlalchemy.orm import Session

from app.audit.service import Actor, record, wrote
from app.db import Database
from app.models import AuditEvent, Dimension, User
from app.web.deps import DbRoute, get_db
from tests.factories import World
from tests.helpers import log_in


@contextmanager
def commits(database: Database) -> Iterator[list[int]]:
    seen: list[int] = []

    def on_commit(_conn: Any) -> None:
        seen.append(1)

    event.listen(database.engine, "commit", on_commit)
    try:
        yield seen
    finally:
        event.remove(database.engine, "commit", on_commit)


def test_a_page_read_ends_without_a_commit(
    client: TestClient, database: Database, world: World
) -> None:
    log_in(client, world.member)
    client.get("/register")  # a session touch, if due, commits in a transaction of its own
    with commits(database) as seen:
        page = client.get("/register")
        assert page.status_code == 200
        assert "Register of indicators" in page.text
    assert seen == []


def test_a_read_request_that_wrote_is_committed(
    app: FastAPI, client: TestClient, database: Database, world: World
) -> None:
    # A GET that breaks the convention and writes through its own session (bookkeeping: no
    # audit event needed) keeps its write.
    router = APIRouter(route_class=DbRoute)
    when = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)

    @router.get("/test-only/digest")
    def digest(db: Annotated[Session, Depends(get_db)]) -> dict[str, str]:
        db.execute(update(User).where(User.email == world.member).values(last_digest_at=when))
        return {"ok": "yes"}

    app.router.routes.extend(router.routes)
    with commits(database) as seen:
        assert client.get("/test-only/digest").status_code == 200
    assert seen == [1]
    with database.transaction(write=False) as s:
        assert s.scalar(select(User.last_digest_at).where(User.email == world.member)) == when


def test_wrote_says_what_the_transaction_did(database: Database, world: World) -> None:
    s = database.session(write=False)
    try:
        s.execute(select(User.id).limit(1))
        assert not wrote(s)
        s.execute(
            update(User).where(User.email == world.member).values(last_digest_at=datetime.now(UTC))
        )
        assert wrote(s)
        s.rollback()
        # The next transaction on the same connection starts afresh.
        s.execute(select(User.id).limit(1))
        assert not wrote(s)
        user = s.scalars(select(User).where(User.email == world.member)).one()
        user.last_digest_at = datetime.now(UTC)
        assert wrote(s)  # not flushed yet
    finally:
        s.rollback()
        s.close()


def _scratch_write(database: Database, how: str) -> str:
    """A write whose text does not start with INSERT, UPDATE or DELETE."""
    cols = "dimensions (code, prefix, title, description, position)"
    values = "('ZZ', 'ZZ', 'Scratch', '', 999)"
    if how == "comment":
        return f"/* a note */ INSERT INTO {cols} VALUES {values}"
    if database.is_sqlite:
        return f"INSERT OR IGNORE INTO {cols} VALUES {values}"
    return f"WITH x AS (INSERT INTO {cols} VALUES {values} RETURNING id) SELECT id FROM x"


@pytest.mark.parametrize("how", ["dialect", "comment"])
def test_wrote_sees_writes_of_any_text(database: Database, world: World, how: str) -> None:
    s = database.session(write=False)
    try:
        s.execute(select(User.id).limit(1))
        s.execute(text(_scratch_write(database, how)))
        assert wrote(s)
    finally:
        s.rollback()
        s.close()


@pytest.mark.parametrize("how", ["dialect", "comment"])
def test_a_get_whose_write_the_text_hides_keeps_it(
    app: FastAPI, client: TestClient, database: Database, world: World, how: str
) -> None:
    router = APIRouter(route_class=DbRoute)

    @router.get("/test-only/hidden-write")
    def hidden(db: Annotated[Session, Depends(get_db)]) -> dict[str, str]:
        db.execute(select(User.id).limit(1))
        db.execute(text(_scratch_write(database, how)))
        return {"ok": "yes"}

    app.router.routes.extend(router.routes)
    assert client.get("/test-only/hidden-write").status_code == 200
    with database.transaction(write=False) as s:
        assert s.scalar(select(Dimension.code).where(Dimension.code == "ZZ")) == "ZZ"


def test_a_get_that_records_an_audit_event_keeps_it(
    app: FastAPI, client: TestClient, database: Database, world: World
) -> None:
    # record() writes the event at commit only: the transaction has written nothing yet.
    router = APIRouter(route_class=DbRoute)

    @router.get("/test-only/noted")
    def noted(db: Annotated[Session, Depends(get_db)]) -> dict[str, str]:
        db.execute(select(User.id).limit(1))
        record(db, Actor.system(), action="probe.read", object_type="probe", object_id="1")
        return {"ok": "yes"}

    app.router.routes.extend(router.routes)
    assert client.get("/test-only/noted").status_code == 200
    with database.transaction(write=False) as s:
        found = s.scalar(select(AuditEvent.id).where(AuditEvent.action == "probe.read"))
        assert found is not None
