"""The demo's rating rounds (issue 20): a closed two-round Delphi survey over DWG-FC/Rev.1's
indicators with a realistic spread of answers, and round 3 open over what is still contested."""

from datetime import datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.accounts.service import get_user_by_email, principal_for_user
from app.db import Database
from app.demo.loader import DEMO_PASSWORD, load_demo
from app.demo.rating import CHILD_STRENGTH, CONTESTED, PROPOSED, STAYS_CONTESTED
from app.models.rating import RatingRound
from app.rating import service as rating
from tests.factories import bearer, token_for
from tests.helpers import Clock, log_in, text_of


def demo(database: Database, now: datetime) -> None:
    with database.transaction() as session:
        load_demo(session, now=now)


pytestmark = pytest.mark.start_from.with_args(demo)

API = "/api/v1/rating-rounds"
PANELLIST = "member.ph@demo.zerodraft.org"


def _rounds(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    r = client.get(API, headers=headers)
    assert r.status_code in (200, 201), r.text
    return sorted(r.json(), key=lambda rr: rr["id"])


def test_the_demo_has_a_closed_two_round_rating_round_and_an_open_one(
    client: TestClient, database: Database, clock: Clock
) -> None:
    me = bearer(token_for(database, PANELLIST, clock.now))
    first, second, third = _rounds(client, me)
    assert (first["number"], first["state"], first["previous_id"]) == (1, "closed", None)
    assert (second["number"], second["state"], second["previous_id"]) == (2, "closed", first["id"])
    assert (third["number"], third["state"], third["previous_id"]) == (3, "open", second["id"])
    assert third["on_panel"]
    assert first["round"] == second["round"] == "DWG-FC/Rev.1"
    assert len(first["items"]) > 20
    # Round 2 keeps exactly the contested items.
    assert [i["ref"] for i in second["items"]] == list(CONTESTED)

    results = {}
    for rr in (first, second):
        r = client.get(f"{API}/{rr['id']}/results", headers=me)
        assert r.status_code in (200, 201), r.text
        results[rr["number"]] = r.json()["items"]
    for rows in results.values():
        for row in rows:
            if row["question"] in ("relevance", "clarity"):
                assert not row["suppressed"] and row["n"] >= 5
                assert 1 <= row["median"] <= 9 and 0 <= row["iqr"] <= 8
                assert 0 <= row["percent_7_to_9"] <= 100
            assert isinstance(row["consensus"], bool)

    def relevance(number: int) -> dict[str, dict[str, Any]]:
        return {row["ref"]: row for row in results[number] if row["question"] == "relevance"}

    one, two = relevance(1), relevance(2)
    assert {ref for ref, row in one.items() if not row["consensus"]} == set(CONTESTED)
    assert sum(row["consensus"] for row in one.values()) >= 15
    # Round 2 converges: every contested item has a smaller or equal spread, all but one agree.
    assert {ref for ref, row in two.items() if not row["consensus"]} == {STAYS_CONTESTED}
    for ref, row in two.items():
        assert row["iqr"] <= one[ref]["iqr"], ref
        assert row["stability_percent_changed"] is not None
        assert 0 < row["stability_percent_changed"] < 100
    # The panel's strength for children differs from the text's on a few items.
    child = {
        row["ref"]: row["mode"]
        for row in results[1]
        if row["question"] == "strength_child" and row["consensus"]
    }
    for ref, category in CHILD_STRENGTH.items():
        assert child[ref] == category
    # The downloads have every indicator of the round.
    csv = client.get(f"{API}/{first['id']}/results.csv", headers=me)
    assert csv.status_code == 200
    assert all(i["ref"] in csv.text for i in first["items"])
    word = client.get(f"{API}/{second['id']}/results.docx", headers=me)
    assert word.status_code == 200 and word.content.startswith(b"PK")
    # One of them became a proposal, attributed to round 1.
    ref, profile, _ = PROPOSED
    listed = client.get("/api/v1/proposals", headers=me).json()
    rows = listed["items"] if isinstance(listed, dict) else listed
    attributed = [p for p in rows if f"rating round RR-{first['id']}" in p["rationale"]]
    assert len(attributed) == 1, rows
    assert attributed[0]["content"] == {f"strength_{profile}": CHILD_STRENGTH[ref]}


def test_a_panellist_sees_their_own_earlier_answer_beside_the_groups_median(
    app: FastAPI, database: Database, clock: Clock
) -> None:
    """Round 2 (closed) held each panellist's round-1 answer and the group's result; the open
    round 3 shows round 2's on its answer page, where a demo panellist may try answering."""
    c = TestClient(app)
    log_in(c, PANELLIST, DEMO_PASSWORD)
    me = bearer(token_for(database, PANELLIST, clock.now))
    first, second, third = _rounds(c, me)

    def own_and_medians(rr: dict[str, Any]) -> tuple[dict[str, Any], dict[str, float]]:
        mine = {a["ref"]: a for a in c.get(f"{API}/{rr['id']}", headers=me).json()["my_answers"]}
        medians = {
            row["ref"]: row["median"]
            for row in c.get(f"{API}/{rr['id']}/results", headers=me).json()["items"]
            if row["question"] == "relevance"
        }
        return mine, medians

    # What round 2's answer page showed beside each item while it was open.
    mine, medians = own_and_medians(first)
    with database.transaction() as session:
        user = get_user_by_email(session, PANELLIST)
        principal = principal_for_user(session, user)
        rr2 = session.get(RatingRound, second["id"])
        assert rr2 is not None
        fed = {
            fb.result.item.ref: (fb.own, fb.result.relevance.median)
            for fb in rating.feedback(session, principal, rr2).values()
            if fb.result is not None
        }
        assert set(fed) == set(CONTESTED)
        for ref, (own, median) in fed.items():
            assert own is not None and own.relevance == mine[ref]["relevance"]
            assert median == medians[ref]

    # The open round 3's page, over the item still without consensus.
    assert [i["ref"] for i in third["items"]] == [STAYS_CONTESTED]
    mine, medians = own_and_medians(second)
    results_page = c.get(f"/rating/{second['id']}/results")
    assert results_page.status_code == 200
    assert STAYS_CONTESTED in text_of(results_page.text)
    page = c.get(f"/rating/{third['id']}/answer")
    assert page.status_code == 200
    words = text_of(page.text)
    ref = STAYS_CONTESTED
    said = f"Your answer: relevance {mine[ref]['relevance']}, clarity {mine[ref]['clarity']}"
    median = medians[ref]
    shown = f"{median:g}" if median == int(median) else f"{median:.1f}"
    assert said in words
    assert f"median relevance {shown}" in words
    # Round 2's comments are there, without names.
    assert "Still too broad without the escorts" in words
    assert "Aisyah" not in words
    # And the demo panellist's answer is taken.
    r = c.post(
        f"{API}/{third['id']}/answers",
        json={"answers": [{"ref": ref, "relevance": 7, "clarity": 8}]},
        headers=me,
    )
    assert r.status_code in (200, 201), r.text


def test_a_closed_rounds_answer_page_says_only_that_it_is_closed(
    app: FastAPI, database: Database, clock: Clock
) -> None:
    """Not "you can change them until the deadline" and then "this rating round is closed"."""
    c = TestClient(app)
    log_in(c, PANELLIST, DEMO_PASSWORD)
    first, _, third = _rounds(c, bearer(token_for(database, PANELLIST, clock.now)))
    closed = text_of(c.get(f"/rating/{first['id']}/answer").text)
    assert "This rating round is closed" in closed
    assert "until the deadline" not in closed
    still_open = text_of(c.get(f"/rating/{third['id']}/answer").text)
    assert "You can change them until the deadline" in still_open
