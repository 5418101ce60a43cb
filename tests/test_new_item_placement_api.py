"""A new indicator proposed between two others keeps the place the delegation gave it (issue 15,
item 3): the proposal records the item it follows, agreeing it puts the new indicator right
there, and the register numbers the draft in that order. Through HTTP only."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.db import Database
from tests.factories import World, token_for
from tests.helpers import Clock
from tests.test_workflow_api import Api, etag

NEW_TEXT = "Debt for travel and food imposed on arrival"


@pytest.fixture
def people(client: TestClient, world: World, database: Database, clock: Clock) -> dict[str, Api]:
    return {
        role: Api(client, token_for(database, email, clock.now))
        for role, email in {"ph": world.member, "sec": world.secretariat}.items()
    }


def propose_new(api: Api, **extra: Any) -> Any:
    body = {
        "kind": "add",
        "dimension": "CD",
        "content": {"text": NEW_TEXT, "strength_adult": "medium"},
        "submit": True,
    } | extra
    return api.post("/proposals", body)


def agree(sec: Api, proposal_id: int) -> Any:
    """Agree as the secretariat does: confirming, when asked, that delegations have not all
    given a position."""
    current = sec.get(f"/proposals/{proposal_id}")
    body: dict[str, Any] = {"outcome": "agreed"}
    decided = sec.post(f"/proposals/{proposal_id}/decision", body, etag(current))
    if decided.status_code == 422 and decided.json().get("field") == "acknowledged":
        decided = sec.post(
            f"/proposals/{proposal_id}/decision", body | {"acknowledged": True}, etag(current)
        )
    return decided


def order(api: Api) -> list[tuple[str, int | None]]:
    return [(i["code"], i["number"]) for i in api.get("/indicators").json()["items"]]


def test_a_new_indicator_agreed_after_an_item_takes_its_place(people: dict[str, Api]) -> None:
    ph, sec = people["ph"], people["sec"]
    assert order(sec) == [("FC-DR-01", 1), ("FC-CD-01", 2), ("FC-CD-02", 3)]
    created = propose_new(ph, after="fc-cd-01")
    assert created.status_code == 201, created.text
    assert created.json()["after"] == "FC-CD-01"
    assert ph.get(f"/proposals/{created.json()['id']}").json()["after"] == "FC-CD-01"

    decided = agree(sec, created.json()["id"])
    assert decided.status_code == 200, decided.text
    # Right after FC-CD-01; FC-CD-02 moves on and is numbered after it.
    assert order(sec) == [("FC-DR-01", 1), ("FC-CD-01", 2), ("FC-CD-03", 3), ("FC-CD-02", 4)]
    assert sec.get("/indicators/FC-CD-03").json()["text"] == NEW_TEXT
    assert sec.get("/indicators/FC-CD-02").json()["number"] == 4
    # The other dimension keeps its order, and a later new item at the end still goes last.
    late = propose_new(ph, content={"text": "Wages withheld for months"})
    assert late.json()["after"] is None
    assert agree(sec, late.json()["id"]).status_code == 200
    assert [code for code, _ in order(sec)] == [
        "FC-DR-01",
        "FC-CD-01",
        "FC-CD-03",
        "FC-CD-02",
        "FC-CD-04",
    ]


def test_two_new_indicators_after_the_same_item_and_after_the_first_item(
    people: dict[str, Api],
) -> None:
    ph, sec = people["ph"], people["sec"]
    first = propose_new(ph, after="FC-CD-01").json()
    second = propose_new(ph, after="FC-CD-01", content={"text": "Threats against family"}).json()
    top = propose_new(ph, dimension="DR", after="FC-DR-01", content={"text": "Fee charged"}).json()
    for p in (first, second, top):
        assert agree(sec, p["id"]).status_code == 200
    # Each agreed one goes right after FC-CD-01, so the later agreed stands first.
    assert order(sec) == [
        ("FC-DR-01", 1),
        ("FC-DR-02", 2),
        ("FC-CD-01", 3),
        ("FC-CD-04", 4),
        ("FC-CD-03", 5),
        ("FC-CD-02", 6),
    ]


def test_without_after_a_new_indicator_goes_to_the_end_of_its_dimension(
    people: dict[str, Api],
) -> None:
    ph, sec = people["ph"], people["sec"]
    created = propose_new(ph)
    assert created.status_code == 201, created.text
    assert created.json()["after"] is None
    assert agree(sec, created.json()["id"]).status_code == 200
    assert [code for code, _ in order(sec)][-1] == "FC-CD-03"


def test_the_place_can_be_changed_while_the_proposal_is_open(people: dict[str, Api]) -> None:
    ph, sec = people["ph"], people["sec"]
    created = propose_new(ph, after="FC-CD-02", submit=False)
    pid = created.json()["id"]
    moved = ph.patch(f"/proposals/{pid}", {"after": "FC-CD-01"}, etag(created))
    assert moved.status_code == 200, moved.text
    assert moved.json()["after"] == "FC-CD-01"
    # Content revised alone leaves the place as it is.
    kept = ph.patch(f"/proposals/{pid}", {"rationale": "Seen in many cases"}, etag(moved))
    assert kept.json()["after"] == "FC-CD-01"
    wrong = ph.patch(f"/proposals/{pid}", {"after": "FC-DR-01"}, etag(kept))
    assert wrong.status_code == 422
    assert wrong.json()["field"] == "after"
    assert ph.post(f"/proposals/{pid}/submit", None, etag(kept)).status_code == 200
    assert agree(sec, pid).status_code == 200
    assert [code for code, _ in order(sec)] == ["FC-DR-01", "FC-CD-01", "FC-CD-03", "FC-CD-02"]
    end = propose_new(ph, after="FC-CD-01", submit=False)
    to_end = ph.patch(f"/proposals/{end.json()['id']}", {"after": ""}, etag(end))
    assert to_end.status_code == 200
    assert to_end.json()["after"] is None


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"after": "FC-CD-99"}, "no item with code"),
        ({"after": "FC-DR-01"}, "is in dimension DR, not CD"),
        ({"after": "SEC-PURPOSE"}, "is not an indicator"),
        ({"kind": "amend", "targets": ["FC-CD-01"], "after": "FC-CD-02"}, "only a proposed new"),
        ({"after": "x" * 33}, ""),
    ],
)
def test_a_place_that_does_not_fit_is_refused_naming_the_field(
    people: dict[str, Api], body: dict[str, Any], words: str
) -> None:
    refused = propose_new(people["ph"], **body)
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert "after" in (str(problem.get("field")) + str(problem))
    assert words in str(problem)


def test_a_withdrawn_item_cannot_be_followed(people: dict[str, Api]) -> None:
    ph, sec = people["ph"], people["sec"]
    gone = ph.post("/proposals", {"kind": "delete", "targets": ["FC-CD-02"], "submit": True})
    assert agree(sec, gone.json()["id"]).status_code == 200
    refused = propose_new(ph, after="FC-CD-02")
    assert refused.status_code == 422
    assert refused.json()["field"] == "after"
    assert "withdrawn" in refused.json()["detail"]
