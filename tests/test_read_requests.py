"""A read request's session ends without a commit when it wrote nothing (app/web/deps.py), and
is committed as before when it did write: no write is ever dropped unseen (app.audit.service.wrote,
kept by the guard that watches every statement)."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, select, text, update
from sqlalchemy.orm import Session

from app.audit.service import wrote
from app.db import Database
from app.models import User
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
        s.execute(text("SELECT 1"))
        assert not wrote(s)
        s.execute(
            update(User).where(User.email == world.member).values(last_digest_at=datetime.now(UTC))
        )
        assert wrote(s)
        s.rollback()
        s.execute(text("SELECT 1"))
        assert not wrote(s)
        user = s.scalars(select(User).where(User.email == world.member)).one()
        user.last_digest_at = datetime.now(UTC)
        assert wrote(s)  # not flushed yet
    finally:
        s.rollback()
        s.close()
    # A connection nobody watches: whether it wrote cannot be known, so it counts as written.
    other = Database(database.url)
    try:
        with other.transaction(write=False) as s:
            s.execute(text("SELECT 1"))
            assert wrote(s)
    finally:
        other.dispose()
