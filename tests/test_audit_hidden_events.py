"""The audit trail keeps the anonymity of rating rounds and the restriction of case studies (review
findings): who answered a rating round, and whose answers were taken late, are the secretariat's
alone (a co-chair reading the trail may be a panellist); a case study's events (its references,
contributors' addresses, facts and codings) are left out for whoever may not see the case study."""

from typing import Any

from fastapi.testclient import TestClient

from app.db import Database
from tests.factories import World, bearer, token_for
from tests.helpers import Clock
from tests.test_cases_api import CASE, FACT
from tests.test_rating_rounds import API, FIVE, Panel, answer, make_round, one
from tests.test_rating_rounds import people as people  # the panel's tokens, the round issued


def trail(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    r = client.get("/api/v1/audit", params={"limit": 500} | params, headers=headers)
    assert r.status_code == 200, r.text
    events: list[dict[str, Any]] = r.json()["events"]
    return events


def test_who_answered_a_rating_round_is_the_secretariats_alone(
    client: TestClient, people: Panel, clock: Clock
) -> None:
    rr = make_round(client, people, clock, FIVE)
    for email in (World.chair, World.member):
        assert answer(client, people, rr, email, one()).status_code == 200
    r = client.post(
        f"{API}/{rr}/late", json={"email": World.member2}, headers=people[World.secretariat]
    )
    assert r.status_code == 200, r.text
    seen = {e["action"] for e in trail(client, people[World.secretariat], action="rating.")}
    assert {"rating.answer", "rating.accept_late", "rating.open"} <= seen
    for email in (World.chair, World.admin):
        events = trail(client, people[email], action="rating.")
        actions = {e["action"] for e in events}
        assert "rating.open" in actions  # the round's own events stay
        assert not actions & {"rating.answer", "rating.accept_late"}, (email, actions)
        assert World.member not in {e["actor"] for e in trail(client, people[email])}


def test_a_restricted_case_studys_events_are_left_out_for_those_who_may_not_see_it(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    sec = bearer(token_for(database, world.secretariat, clock.now))
    r = client.post("/api/v1/cases", json=CASE | {"contributors": [world.member]}, headers=sec)
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    r = client.post(f"/api/v1/cases/{cid}/facts", json=FACT, headers=sec)
    assert r.status_code == 201, r.text

    def case_events(email: str) -> list[dict[str, Any]]:
        headers = bearer(token_for(database, email, clock.now))
        return [e for e in trail(client, headers, object_type="case") if e["object_id"] == str(cid)]

    assert len(case_events(world.secretariat)) >= 2
    for email in (world.chair, world.admin):
        assert case_events(email) == [], email
    etag = client.get(f"/api/v1/cases/{cid}", headers=sec).headers["ETag"]
    r = client.patch(
        f"/api/v1/cases/{cid}", json={"visibility": "group"}, headers=sec | {"If-Match": etag}
    )
    assert r.status_code == 200, r.text
    assert len(case_events(world.chair)) >= 3  # shared with the group: the chair reads it
    assert case_events(world.admin) == []  # an admin does not read case studies
