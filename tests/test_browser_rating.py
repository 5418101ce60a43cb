"""A panellist answers round 2 of a rating round in real headless Chromium with round 1's
feedback in view (issue 20): their own previous answer beside the panel's median, IQR and
distribution (an image with its table), the anonymous comments; a rating left out is refused
beside its field with what was typed kept, and the corrected answers are saved."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from app.db import Database
from tests.factories import World
from tests.helpers import Clock, browser_log_in
from tests.test_accessibility import assert_no_serious_violations
from tests.test_rating_rounds import API, FIVE, Panel, answer, close, issue_round, make_round, one

pytestmark = pytest.mark.browser


def test_a_panellist_answers_round_two_with_round_one_in_view(
    page: Any, live_server: str, world: World, app: FastAPI, database: Database, clock: Clock
) -> None:
    issue_round(database, clock)
    people = Panel(database, clock)
    api = TestClient(app)
    first = make_round(api, people, clock, FIVE, items=["FC-CD-01", "FC-CD-02"])
    for k, email in enumerate(FIVE):
        r = answer(
            api,
            people,
            first,
            email,
            one("FC-CD-01", 8, 8),
            one("FC-CD-02", 1 + 2 * k, 6, comment=f"Needs a clearer word {k}"),
        )
        assert r.status_code == 200, r.text
    close(api, people, first)
    r = api.post(
        f"{API}/{first}/next",
        json={"deadline": (clock.now + timedelta(days=7)).isoformat()},
        headers=people[World.secretariat],
    )
    assert r.status_code == 201, r.text
    second = r.json()["id"]
    assert api.post(f"{API}/{second}/open", headers=people[World.secretariat]).status_code == 200

    browser_log_in(page, live_server, world.member2)
    page.goto(f"{live_server}/rating")
    page.get_by_role("link", name="Strength of the indicators (round 2)").click()
    page.get_by_role("link", name="Answer the rating round").click()
    feedback = page.locator("#feedback-FC-CD-02")
    expect(feedback).to_contain_text("Your answer: relevance 3")
    expect(feedback).to_contain_text("median relevance 5, interquartile range 4")
    expect(
        feedback.get_by_role("img", name="Relevance ratings of FC-CD-02 in round 1")
    ).to_be_visible()
    expect(feedback.get_by_role("table")).to_contain_text("Answers")
    expect(feedback.locator(".comments li").first).to_have_text("Needs a clearer word 0")
    # FC-CD-01 reached consensus in round 1 and left.
    expect(page.locator("#item-FC-CD-01")).to_have_count(0)
    assert_no_serious_violations(page)

    # Clarity left out: refused beside it, the rating and comment typed are kept.
    page.locator("#relevance-FC-CD-02").get_by_label("6").check()
    page.get_by_label("Comment (optional, shown to the panel without your name)").fill(
        "Closer to the middle now"
    )
    page.get_by_role("button", name="Save my answers").click()
    expect(page.get_by_role("alert")).to_contain_text("Clarity of FC-CD-02")
    expect(page.locator("#relevance-FC-CD-02").get_by_label("6")).to_be_checked()
    expect(
        page.get_by_label("Comment (optional, shown to the panel without your name)")
    ).to_have_value("Closer to the middle now")
    page.locator("#clarity-FC-CD-02").get_by_label("7").check()
    page.get_by_role("button", name="Save my answers").click()
    expect(page.locator("#confirmation")).to_contain_text("Your answers are saved")
    mine = api.get(f"{API}/{second}", headers=people[World.member2]).json()["my_answers"]
    assert [(a["ref"], a["relevance"], a["clarity"]) for a in mine] == [("FC-CD-02", 6, 7)]


def test_the_secretariat_runs_a_round_and_reads_its_results(
    page: Any, live_server: str, world: World, app: FastAPI, database: Database, clock: Clock
) -> None:
    issue_round(database, clock)
    people = Panel(database, clock)
    api = TestClient(app)
    rr = make_round(api, people, clock, FIVE, items=["FC-CD-01", "FC-CD-02"])
    for k, email in enumerate(FIVE[:4]):
        r = answer(api, people, rr, email, one("FC-CD-01", 7 + k % 3, 8, strength_adult="strong"))
        assert r.status_code == 200, r.text

    browser_log_in(page, live_server, world.secretariat)
    page.get_by_role("link", name="Rating").click()
    page.get_by_role("link", name="Strength of the indicators").click()
    panel = page.locator("#panel")
    expect(panel).to_contain_text("Olivia Observer")
    expect(panel.get_by_role("row", name="Olivia Observer")).to_contain_text("0 of 2")
    assert_no_serious_violations(page)
    page.get_by_role("button", name="Send reminders to those who have not answered").click()
    expect(page.locator("#confirmation")).to_contain_text("Reminders are on their way")
    page.get_by_role("button", name="Close the rating round").click()
    expect(page.locator("#confirmation")).to_contain_text("closed")
    page.get_by_role("link", name="Results").click()
    results = page.locator("#results")
    # Four answers on FC-CD-01: under 5, nothing of the group is shown; FC-CD-02 had none.
    expect(results).to_contain_text("Fewer than 5 answers: not shown, so no answer can be inferred")
    page.get_by_label("Sort by").select_option("median")
    page.get_by_role("button", name="Sort").click()
    expect(page).to_have_url(f"{live_server}/rating/{rr}/results?sort=median")
    assert_no_serious_violations(page)
