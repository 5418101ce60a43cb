"""Tampering that the plain hash chain let through (issue 14, item 4), found by `zerodraft audit
verify` as an operator runs it: events cut from the end of the trail (the anchor file names
them), an event edited with the later hashes re-computed without the audit key, and content rows
edited, deleted or slipped in with SQL. Each is done with raw SQL, as someone with direct access
to the database would, then the command is run and must exit 1 naming the events or rows."""

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from app.audit.chain import GENESIS, event_hash
from app.audit.service import Actor, record
from app.config import Settings
from app.db import Database
from app.models import AuditEvent, Revision
from tests.factories import World
from tests.test_cli import zerodraft

Tamper = Callable[[str], None]


@pytest.fixture
def tamper(db_url: str) -> Iterator[Tamper]:
    """Run raw SQL as someone with direct database access would (triggers off on PostgreSQL)."""
    engine = create_engine(db_url)

    def run(sql: str) -> None:
        with engine.begin() as conn:
            _triggers(conn, enabled=False)
            for statement in sql.split(";"):
                if statement.strip():
                    conn.execute(text(statement))
            _triggers(conn, enabled=True)

    yield run
    engine.dispose()


def _triggers(conn: Connection, *, enabled: bool) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(
            text(f"ALTER TABLE audit_events {'ENABLE' if enabled else 'DISABLE'} TRIGGER USER")
        )


@pytest.fixture
def activity(client: TestClient, member: dict[str, str], world: World) -> None:
    """Comments and a submitted proposal, written through the API in separate commits."""
    for body in ("Too narrow", "Add 'or identity documents'"):
        r = client.post("/api/v1/comments", json={"item": "FC-CD-01", "body": body}, headers=member)
        assert r.status_code == 201, r.text
    proposal = {
        "kind": "amend",
        "targets": ["FC-CD-01"],
        "content": {"text": "Passport or phone taken"},
        "rationale": "Shorter",
        "submit": True,
    }
    r = client.post("/api/v1/proposals", json=proposal, headers=member)
    assert r.status_code == 201, r.text


def verify(db_url: str, settings: Settings, *more: str) -> tuple[int, str, str]:
    anchor = str(settings.audit_anchor_path)
    return zerodraft("audit", "verify", "--database", db_url, "--anchor", anchor, *more)


def scalar(db_url: str, sql: str) -> int:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        value = conn.execute(text(sql)).scalar_one()
    engine.dispose()
    return int(value)


def rehash_without_the_key(
    db_url: str,
    edit_from: int,
    change: dict[str, object],
    *,
    until: int | None = None,
    strip_digests: bool = False,
) -> None:
    """Edit one event and re-compute the later hashes (up to `until`) with the application's
    own unkeyed `event_hash`, so that each event again follows the one before it."""
    engine = create_engine(db_url)
    with Session(engine) as s:
        _triggers(s.connection(), enabled=False)
        events = s.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        prev = GENESIS if edit_from == 1 else events[edit_from - 2].hash
        for event in events[edit_from - 1 : until]:
            if event.id == edit_from:
                event.details = {**(event.details or {}), **change}
            if strip_digests:
                event.row_digests = None
            event.prev_hash = prev
            event.hash = prev = event_hash(event)
        s.flush()
        _triggers(s.connection(), enabled=True)
        s.commit()
    engine.dispose()


def test_an_untouched_trail_verifies_with_its_anchor_and_rows(
    activity: None, db_url: str, settings: Settings
) -> None:
    code, out, err = verify(db_url, settings)
    assert code == 0, err
    assert "unbroken" in out
    assert "content rows: every one the trail recorded matches" in out
    assert "written before the audit key" not in out


def test_each_commit_anchors_the_newest_event_in_the_file_and_the_log(
    world: World,
    client: TestClient,
    member: dict[str, str],
    db_url: str,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="zerodraft.audit.anchor"):
        r = client.post("/api/v1/comments", json={"item": "FC-CD-01", "body": "x"}, headers=member)
    assert r.status_code == 201
    newest = scalar(db_url, "SELECT max(id) FROM audit_events")
    digest = scalar(db_url, f"SELECT count(*) FROM audit_events WHERE id = {newest}")
    assert digest == 1
    last = settings.audit_anchor_path.read_text().splitlines()[-1].split()
    engine = create_engine(db_url)
    with engine.connect() as conn:
        first, head = (
            conn.execute(text(f"SELECT hash FROM audit_events WHERE id = {n}")).scalar_one()
            for n in (1, newest)
        )
    engine.dispose()
    assert last[:3] == [first[:16], str(newest), head]
    assert f"{first[:16]} {newest} {head}" in caplog.text


def test_events_cut_from_the_end_are_named(
    activity: None, tamper: Tamper, db_url: str, settings: Settings
) -> None:
    newest = scalar(db_url, "SELECT max(id) FROM audit_events")
    tamper(f"DELETE FROM audit_events WHERE id > {newest - 5}")
    code, _, err = verify(db_url, settings)
    assert code == 1
    assert "named in the anchor file are missing from the trail" in err
    assert f"{newest}" in err.split("named in the anchor file")[0]
    assert f"now ends at event {newest - 5}: events were removed from the end" in err


def test_an_edit_rehashed_without_the_key_is_named(
    activity: None, db_url: str, settings: Settings
) -> None:
    edited = scalar(db_url, "SELECT max(id) FROM audit_events") - 3
    rehash_without_the_key(db_url, edited, {"reason": "forged"})
    code, _, err = verify(db_url, settings)
    assert code == 1
    assert err.startswith(f"error: audit chain broken at event {edited}: ")
    assert "re-computed without the audit key" in err
    assert "differ from the hash the anchor file recorded" in err


def test_a_whole_trail_rehashed_without_the_key_is_refused(
    activity: None, db_url: str, settings: Settings
) -> None:
    rehash_without_the_key(db_url, 1, {"forged": True})
    code, _, err = verify(db_url, settings)
    assert code == 1
    # The first event that carried row digests cannot pass for one written before the key.
    assert err.startswith("error: audit chain broken at event ")
    assert "or ZERODRAFT_AUDIT_KEY is not the key the trail was written with" in err
    rehash_without_the_key(db_url, 1, {"forged": True}, strip_digests=True)
    code, _, err = verify(db_url, settings)
    assert code == 1
    assert "but the anchor file names keyed events" in err


def test_another_key_than_the_trail_was_written_with_is_refused(
    activity: None, db_url: str, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZERODRAFT_AUDIT_KEY", "another-key-" + "k" * 32)
    code, _, err = verify(db_url, settings)
    assert code == 1
    assert err.startswith("error: audit chain broken at event 1: ")
    assert "ZERODRAFT_AUDIT_KEY is not the key the trail was written with" in err


NEWEST_COMMENT = "(SELECT max(id) FROM comments)"


@pytest.mark.parametrize(
    ("sql", "table", "which", "problem"),
    [
        (
            f"UPDATE comments SET body = 'Edited in the database' WHERE id = {NEWEST_COMMENT}",
            "comments",
            "max",
            "differ from what the trail last recorded",
        ),
        (
            "UPDATE revisions SET text = 'Forged text' WHERE id = (SELECT min(id) FROM revisions)",
            "revisions",
            "min",
            "differ from what the trail last recorded",
        ),
        (
            "UPDATE proposals SET state = 'agreed' WHERE id = (SELECT max(id) FROM proposals)",
            "proposals",
            "max",
            "differ from what the trail last recorded",
        ),
        (
            f"DELETE FROM comments WHERE id = {NEWEST_COMMENT}",
            "comments",
            "max",
            "the trail records are missing (deleted)",
        ),
    ],
)
def test_a_content_row_changed_in_the_database_is_named(
    activity: None,
    tamper: Tamper,
    db_url: str,
    settings: Settings,
    sql: str,
    table: str,
    which: str,
    problem: str,
) -> None:
    row = scalar(db_url, f"SELECT {which}(id) FROM {table}")
    tamper(sql)
    code, _, err = verify(db_url, settings)
    assert code == 1
    assert problem in err
    assert f"{table}/{row} (event " in err


def test_a_row_slipped_in_with_sql_is_named(
    activity: None, tamper: Tamper, db_url: str, settings: Settings
) -> None:
    columns = (
        "round_id, item_id, proposal_id, parent_id, author_id, delegation_id, kind, visibility,"
        " body, outdated, late, answer, created_at, version"
    )
    tamper(
        f"INSERT INTO comments ({columns}) SELECT {columns} FROM comments"
        f" WHERE id = {NEWEST_COMMENT}"
    )
    forged = scalar(db_url, "SELECT max(id) FROM comments")
    code, _, err = verify(db_url, settings)
    assert code == 1
    assert f"row(s) no event recorded (written outside the app): comments/{forged}" in err


def test_rows_written_after_the_trail_was_read_in_the_same_transaction_are_vouched_for(
    world: World, database: Database, db_url: str, settings: Settings
) -> None:
    with database.transaction() as s:
        record(s, Actor.system("test"), action="test.arrange", object_type="test", object_id="-")
        assert s.scalar(select(func.count()).select_from(AuditEvent)) > 0  # reads the trail
        revision = s.scalars(select(Revision).order_by(Revision.id)).first()
        assert revision is not None
        revision.reason = "Changed after the trail was read"
    code, _, err = verify(db_url, settings)
    assert code == 0, err
    with database.transaction(write=False) as s:
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert last is not None and last.action == "audit.rows"
    assert f"revisions/{revision.id}" in (last.row_digests or {})


def test_events_written_before_the_key_stay_verified_and_sealed(
    db_url: str, request: pytest.FixtureRequest, tamper: Tamper
) -> None:
    # A trail written by the version before the key: plain SHA-256, no row digests.
    engine = create_engine(db_url)
    at = datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC)
    prev = GENESIS
    with Session(engine) as s:
        for seq in (1, 2, 3):
            event = AuditEvent(
                id=seq,
                occurred_at=at,
                action="member_state.add",
                object_type="member_state",
                object_id="LA",
                details={"n": seq},
                prev_hash=prev,
            )
            event.hash = prev = event_hash(event)
            s.add(event)
        s.commit()
    engine.dispose()
    settings: Settings = request.getfixturevalue("settings")
    code, _, err = verify(db_url, settings)  # just upgraded: nothing keyed, nothing anchored
    assert code == 0, err
    assert "none of the trail's 3 events is keyed yet" in err
    request.getfixturevalue("world")  # written with the key, after the three

    code, out, err = verify(db_url, settings)
    assert code == 0, err
    assert "events 1-3 were written before the audit key" in out

    # Re-hashing the unkeyed part cannot reach past the first keyed event.
    rehash_without_the_key(db_url, 2, {"n": 20}, until=3)
    code, _, err = verify(db_url, settings)
    assert code == 1
    assert err.startswith("error: audit chain broken at event 4: event 4 does not follow event 3")


def test_a_comment_changed_through_the_app_is_recorded_again(
    activity: None, client: TestClient, member: dict[str, str], db_url: str, settings: Settings
) -> None:
    """The trail's newest digest of a row is the one compared: a change through the app keeps
    verify green."""
    cid = scalar(db_url, "SELECT max(id) FROM comments")
    r = client.post(f"/api/v1/comments/{cid}/withdraw", headers=member)
    assert r.status_code == 200, r.text
    assert (
        scalar(
            db_url, f"SELECT count(*) FROM comments WHERE id = {cid} AND withdrawn_at IS NOT NULL"
        )
        == 1
    )
    code, _, err = verify(db_url, settings)
    assert code == 0, err


def test_a_position_changed_through_the_app_keeps_the_trail_green(
    client: TestClient, member: dict[str, str], db_url: str, settings: Settings
) -> None:
    """A delegation's second position supersedes its first with one UPDATE the ORM does not see;
    the superseded row is recorded all the same, so verify has nothing to report."""
    for stance in ("support", "objection"):
        r = client.post(
            "/api/v1/positions", json={"item": "FC-CD-01", "stance": stance}, headers=member
        )
        assert r.status_code in (200, 201), r.text
    assert scalar(db_url, "SELECT count(*) FROM positions WHERE superseded_at IS NOT NULL") == 1
    code, _, err = verify(db_url, settings)
    assert code == 0, err


def test_a_decision_record_changed_in_the_database_is_named(
    activity: None,
    client: TestClient,
    sec: dict[str, str],
    tamper: Tamper,
    db_url: str,
    settings: Settings,
) -> None:
    """What a decider saw and acknowledged is covered like the decision itself: turning an
    agreement without acknowledgement into an acknowledged one with SQL is named."""
    pid = scalar(db_url, "SELECT max(id) FROM proposals")
    current = client.get(f"/api/v1/proposals/{pid}", headers=sec)
    decided = client.post(
        f"/api/v1/proposals/{pid}/decision",
        json={"outcome": "agreed", "reason": "Consensus", "acknowledged": True},
        headers=sec | {"If-Match": current.headers["ETag"]},
    )
    assert decided.status_code == 200, decided.text
    assert verify(db_url, settings)[0] == 0
    row = scalar(db_url, "SELECT max(id) FROM decision_records")
    tamper(f"UPDATE decision_records SET reason = 'Unanimous' WHERE id = {row}")
    code, _, err = verify(db_url, settings)
    assert code == 1
    assert f"decision_records/{row} (event " in err
