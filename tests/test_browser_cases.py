"""Coding a fact in a real headless Chromium page (issue 21): the contributor opens the case
study, opens the coding form under a fact, chooses the indicator by its code, the status and
the evidence words; words that are not the fact's are refused beside the field, with what was
typed kept; the coding then shows under the fact. The page has no serious accessibility
violation."""

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from app.db import Database
from tests.factories import World, bearer, token_for
from tests.helpers import Clock, browser_log_in
from tests.test_accessibility import assert_no_serious_violations

pytestmark = pytest.mark.browser


def test_a_contributor_codes_a_fact(
    page: Any, live_server: str, world: World, app: FastAPI, database: Database, clock: Clock
) -> None:
    api = TestClient(app)
    sec = bearer(token_for(database, world.secretariat, clock.now))
    r = api.post(
        "/api/v1/cases",
        json={
            "title": "Call-centre job, guarded compound",
            "profile": "adult",
            "crime_form": "online_scam",
            "age_band": "18-24",
            "period": "2023",
            "outcome": "trafficked_forced_criminality",
            "contributors": [world.member],
        },
        headers=sec,
    )
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    r = api.post(
        f"/api/v1/cases/{cid}/facts",
        json={
            "text": "On arrival the operators took her passport and phone.",
            "phase": "exploitation",
            "source": "victim_interview",
        },
        headers=sec,
    )
    assert r.status_code == 201, r.text
    fid = r.json()["facts"][0]["id"]

    browser_log_in(page, live_server, world.member)
    page.goto(f"{live_server}/cases")
    page.get_by_role("link", name="CS-01").click()
    expect(page.locator("#case-heading")).to_have_text("Call-centre job, guarded compound")
    page.get_by_text("Code fact 1").click()
    form = page.locator(f"#code-{fid}")
    form.get_by_label("Indicator").select_option("FC-CD-01")
    form.get_by_label("Present").check()
    form.get_by_label("Evidence: the words of the fact that show it").fill("took her wallet")
    form.get_by_role("button", name="Save the coding").click()

    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Evidence must be words of fact 1")
    again = page.locator(f"#code-{fid}")
    expect(again.get_by_label("Indicator")).to_have_value("FC-CD-01")
    evidence = again.get_by_label("Evidence: the words of the fact that show it")
    expect(evidence).to_have_value("took her wallet")
    expect(page.locator(f"#code-{fid}-evidence-error")).to_be_visible()
    assert_no_serious_violations(page)

    evidence.fill("took her passport and phone")
    again.get_by_role("button", name="Save the coding").click()
    expect(page.locator("#confirmation")).to_contain_text("Coding saved")
    row = page.locator(f"#codings-{fid} tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("FC-CD-01")
    expect(row).to_contain_text("Present")
    expect(row).to_contain_text("took her passport and phone")
    expect(row).to_contain_text("Maria Santos")
    assert_no_serious_violations(page)
