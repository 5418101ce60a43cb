"""A delegation that proposed or co-sponsored a text supports it unless it said otherwise (issue
16): the consensus picture of the proposal, the grid, the indicator page, the decision's
acknowledgement and the compilation count it as support ("support (proposer)"), without a
position row being written; a position it takes says otherwise."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.db import Database
from app.models import Position
from tests.factories import World
from tests.helpers import Clock, log_in
from tests.test_consensus_decisions_api import decide
from tests.test_imports_api import issue
from tests.test_one_position_model import grid_row
from tests.test_proposal_pages import between
from tests.test_word_standing import _part, blocks, compilation
from tests.test_workflow_api import Api, amend, people  # noqa: F401  (the fixture)


def proposed(people: dict[str, Any]) -> int:  # noqa: F811
    """PH-SOMTC proposes an amendment of FC-CD-01, TH-SOMTC co-sponsors it."""
    made = amend(people["ph"], "Passport taken by the operators", delegation="PH-SOMTC")
    assert made.status_code == 201, made.text
    pid = int(made.json()["id"])
    sponsored = people["th"].post(f"/proposals/{pid}/sponsors", {})
    assert sponsored.status_code == 200, sponsored.text
    return pid


def positions_written(database: Database) -> int:
    with database.transaction(write=False) as s:
        return s.scalar(select(func.count()).select_from(Position)) or 0


def test_the_proposer_and_co_sponsor_support_their_text(
    people: dict[str, Api],  # noqa: F811
    client: TestClient,
    world: World,
    database: Database,
) -> None:
    pid = proposed(people)
    assert positions_written(database) == 0

    # The API: the proposal's positions and the item's.
    on_proposal = people["observer"].get(f"/proposals/{pid}").json()["positions"]
    assert [(p["delegation"], p["stance"]) for p in on_proposal] == [
        ("PH-SOMTC", "support"),
        ("TH-SOMTC", "support"),
    ]
    on_item = people["observer"].get("/items/FC-CD-01/consensus").json()["positions"]
    assert {p["delegation"]: (p["stance"], p["proposal_id"]) for p in on_item} == {
        "ID-AICHR": (None, None),
        "PH-ACWC": (None, None),
        "PH-SOMTC": ("support", pid),
        "TH-SOMTC": ("support", pid),
    }

    # The grid and the proposal's consensus picture, as a reader sees them.
    log_in(client, world.observer)
    row = grid_row(client)
    assert f"PH-SOMTC: support (proposer) on P-{pid}" in row
    assert f"TH-SOMTC: support (co-sponsor) on P-{pid}" in row
    assert "2 support" in row and "2 pending" in row
    log_in(client, world.secretariat)
    page = client.get(f"/proposals/{pid}").text
    picture = between(page, 'id="decision-picture"', "</div>")
    support = between(picture, 'data-standing="support">', "</dd>")
    assert "PH-SOMTC</abbr> <span" in support and "(proposer)" in support
    assert "TH-SOMTC</abbr> <span" in support and "(co-sponsor)" in support
    pending = between(picture, 'data-standing="pending">', "</dd>")
    assert "ID-AICHR" in pending and "PH-SOMTC" not in pending

    # Agreeing asks to acknowledge only the two that have not spoken.
    refused = decide(people["sec"], pid, outcome="agreed", reason="Consensus")
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"].startswith(
        "2 delegations (ID-AICHR, PH-ACWC) have not given a position yet."
    )
    assert positions_written(database) == 0


def test_a_position_it_takes_says_otherwise(
    people: dict[str, Api],  # noqa: F811
    client: TestClient,
    world: World,
) -> None:
    pid = proposed(people)
    took = people["th"].post(
        "/positions", {"proposal_id": pid, "stance": "reservation", "statement": "On reflection"}
    )
    assert took.status_code == 201, took.text
    on_proposal = people["observer"].get(f"/proposals/{pid}").json()["positions"]
    assert [(p["delegation"], p["stance"]) for p in on_proposal] == [
        ("PH-SOMTC", "support"),
        ("TH-SOMTC", "reservation"),
    ]
    log_in(client, world.observer)
    row = grid_row(client)
    assert f"TH-SOMTC: reservation on P-{pid}" in row


def test_the_last_word_on_the_item_counts(
    people: dict[str, Api],  # noqa: F811
    clock: Clock,
) -> None:
    """A position on the text as it stands taken before proposing gives way to the proposal;
    one taken after it is the delegation's last word on the item."""
    before = people["ph"].post(
        "/positions", {"item": "FC-CD-01", "stance": "objection", "delegation": "PH-SOMTC"}
    )
    assert before.status_code == 201, before.text
    clock.advance(minutes=5)
    pid = proposed(people)

    def ph_somtc() -> tuple[Any, Any]:
        on_item = people["observer"].get("/items/FC-CD-01/consensus").json()["positions"]
        mine = next(p for p in on_item if p["delegation"] == "PH-SOMTC")
        return mine["stance"], mine["proposal_id"]

    assert ph_somtc() == ("support", pid)
    clock.advance(minutes=5)
    after = people["ph"].post(
        "/positions", {"item": "FC-CD-01", "stance": "ad_referendum", "delegation": "PH-SOMTC"}
    )
    assert after.status_code == 201, after.text
    assert ph_somtc() == ("ad_referendum", None)


def test_the_compilation_counts_the_proposer_and_co_sponsor(
    people: dict[str, Api],  # noqa: F811
    clock: Clock,
    database: Database,
) -> None:
    issue(database, clock)
    clock.advance(minutes=1)
    pid = proposed(people)
    data = compilation(people["sec"])
    assert blocks(data)["FC-CD-01"] == (
        "Positions on this text: On a proposal's text: "
        f"PH-SOMTC (support (proposer), P-{pid}), TH-SOMTC (support (co-sponsor), P-{pid}); "
        "Pending: 2 delegations"
    )
    # And under the proposal: the proposer's and co-sponsor's support, by their names.
    xml = _part(data, "word/document.xml").decode()
    assert "Philippines - SOMTC: " in xml and "Thailand - SOMTC: " in xml
    assert "support (proposer)" in xml and "support (co-sponsor)" in xml
