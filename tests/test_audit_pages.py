"""The secretariat, chairs and admins browse the audit trail: filters, pages newest first, the
check of the chain; one query per page; nobody else may read it."""

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, text

from app.db import Database
from tests.factories import World, bearer, token_for
from tests.helpers import Clock, log_in


def _revise(client: TestClient, database: Database, clock: Clock, email: str) -> None:
    r = client.patch(
        "/api/v1/indicators/FC-CD-01",
        json={"text": "Passport confiscated on arrival", "reason": "Agreed"},
        headers=bearer(token_for(database, email, clock.now)) | {"If-Match": "1"},
    )
    assert r.status_code == 200, r.text


@pytest.fixture
def auditor(database: Database, world: World, clock: Clock) -> dict[str, str]:
    return bearer(token_for(database, world.secretariat, clock.now))


def _all(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    r = client.get("/api/v1/audit", params=params, headers=headers)
    assert r.status_code == 200, r.text
    events: list[dict[str, Any]] = r.json()["events"]
    return events


def test_events_come_newest_first_with_their_place_in_the_chain(
    client: TestClient, auditor: dict[str, str]
) -> None:
    events = _all(client, auditor)
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs, reverse=True) and seqs[-1] == 1
    for newer, older in itertools.pairwise(events):
        assert newer["prev_hash"] == older["hash"]
    assert events[-1]["prev_hash"] == "0" * 64
    assert {"occurred_at", "actor", "delegation", "action", "object_type", "object_id"} <= set(
        events[0]
    )


def test_filters(
    client: TestClient, world: World, database: Database, clock: Clock, auditor: dict[str, str]
) -> None:
    clock.advance(hours=2)
    _revise(client, database, clock, world.secretariat)

    users = _all(client, auditor, action="user.")
    assert users and {e["action"] for e in users} == {"user.add"}
    assert _all(client, auditor, action="user_") == []  # a prefix, not a pattern

    (revised,) = _all(
        client, auditor, object_type="indicator", object_id="FC-CD-01", action="indicator.revise"
    )
    assert revised["actor"] == world.secretariat and revised["actor_name"] == "Siti Secretariat"
    assert (revised["revision_before"], revised["revision_after"]) == (1, 2)

    by_actor = _all(client, auditor, actor=world.secretariat.upper())
    assert [e["action"] for e in by_actor] == ["indicator.revise"]

    later = {e["action"] for e in _all(client, auditor, **{"from": clock.now.isoformat()})}
    assert "indicator.revise" in later and "user.add" not in later
    earlier = _all(client, auditor, to="2026-03-02T10:00:00Z")
    assert "indicator.revise" not in {e["action"] for e in earlier} and earlier

    # A bare number is not a date (pydantic would read it as seconds since 1970).
    refused = client.get("/api/v1/audit", params={"to": "-1"}, headers=auditor)
    assert refused.status_code == 422 and refused.json()["field"] == "to"
    assert "ISO 8601" in refused.json()["detail"]


def test_pages_follow_each_other_without_gaps_or_repeats(
    client: TestClient, auditor: dict[str, str]
) -> None:
    everything = [e["seq"] for e in _all(client, auditor, limit=500)]
    seen: list[int] = []
    params: dict[str, Any] = {"limit": 3}
    while True:
        body = client.get("/api/v1/audit", params=params, headers=auditor).json()
        assert len(body["events"]) <= 3
        seen += [e["seq"] for e in body["events"]]
        if body["next_before"] is None:
            break
        params["before"] = body["next_before"]
    assert seen == everything and len(everything) > 6


@pytest.fixture
def audit_queries(database: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def spy(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "audit_events" in statement:
            statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", spy)
    yield statements
    event.remove(database.engine, "before_cursor_execute", spy)


def test_a_page_is_one_query(
    client: TestClient, auditor: dict[str, str], audit_queries: list[str]
) -> None:
    client.get("/api/v1/audit", params={"action": "user.", "limit": 2}, headers=auditor)
    assert len(audit_queries) == 1
    assert "LIMIT" in audit_queries[0].upper()


def test_members_and_observers_may_not_read_the_trail(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    for email in (world.member, world.observer):
        headers = bearer(token_for(database, email, clock.now))
        assert client.get("/api/v1/audit", headers=headers).status_code == 403
        assert client.get("/api/v1/audit/verify", headers=headers).status_code == 403
    log_in(client, world.member)
    page = client.get("/audit")
    assert page.status_code == 403
    assert 'href="/audit"' not in client.get("/register").text


def _tamper(db_url: str, sql: str) -> None:
    engine = create_engine(db_url)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        conn.execute(text(sql))
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
    engine.dispose()


def test_verify_reports_a_whole_chain_and_names_the_first_bad_event(
    client: TestClient, auditor: dict[str, str], db_url: str
) -> None:
    body = client.get("/api/v1/audit/verify", headers=auditor).json()
    assert body["ok"] is True and body["events"] > 6
    assert body["first_bad_event"] is None and body["problem"] is None

    _tamper(db_url, "UPDATE audit_events SET action = 'user.promote' WHERE id = 4")
    body = client.get("/api/v1/audit/verify", headers=auditor).json()
    assert body["ok"] is False and body["first_bad_event"] == 4
    assert "edited" in body["problem"]


# --- The page ---------------------------------------------------------------------------------


def test_the_page_lists_events_in_the_configured_time_zone(
    client: TestClient, world: World
) -> None:
    log_in(client, world.chair)
    page = client.get("/audit")
    assert page.status_code == 200
    assert "<h1>Audit trail</h1>" in page.text
    # The world was built at 09:00 UTC: 16:00 in Jakarta.
    assert "02 Mar 2026 16:00:00" in page.text
    assert "Time (Asia/Jakarta)" in page.text
    assert 'id="event-1"' in page.text and "user.add" in page.text
    assert 'href="/audit"' in page.text  # in the navigation


def test_the_page_filters_and_pages(client: TestClient, world: World) -> None:
    log_in(client, world.admin)
    page = client.get("/audit", params={"action": "user.", "actor": ""})
    assert page.status_code == 200
    assert "indicator.create" not in page.text and "user.add" in page.text
    assert 'value="user."' in page.text and "Clear filters" in page.text

    # A filter in the working group's time zone: from 16:00 Jakarta is from 09:00 UTC.
    assert "user.add" in client.get("/audit", params={"from": "2026-03-02T16:00"}).text
    assert "user.add" not in client.get("/audit", params={"from": "2026-03-02T16:01"}).text


def test_the_page_says_when_a_time_is_not_one(client: TestClient, world: World) -> None:
    log_in(client, world.secretariat)
    page = client.get("/audit", params={"from": "yesterday"})
    assert page.status_code == 422
    assert "There is a problem" in page.text and 'href="#audit-from"' in page.text


def test_the_page_links_to_older_events(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    for n in range(50):
        r = client.post(
            "/api/v1/comments",
            json={"item": "FC-CD-01", "body": f"Comment {n}"},
            headers=bearer(token_for(database, world.member, clock.now)),
        )
        assert r.status_code == 201, r.text
    log_in(client, world.secretariat)
    page = client.get("/audit")
    assert page.text.count('<tr id="event-') == 50
    assert "Older events" in page.text
    older = client.get("/audit", params={"before": 20})
    assert 'id="event-19"' in older.text and 'id="event-20"' not in older.text
    assert "Newest events" in older.text


def test_the_page_verifies_the_chain_on_request(
    client: TestClient, world: World, db_url: str
) -> None:
    log_in(client, world.secretariat)
    page = client.get("/audit")
    assert "Verify the chain" in page.text and "Unbroken" not in page.text
    page = client.get("/audit", params={"verify": 1})
    assert "Unbroken" in page.text

    _tamper(db_url, "DELETE FROM audit_events WHERE id = 3")
    page = client.get("/audit", params={"verify": 1})
    assert "Broken at event 3" in page.text and "missing" in page.text
