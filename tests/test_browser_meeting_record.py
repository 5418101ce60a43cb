"""The meeting's record in real headless Chromium pages (issue 19, slice 4): the secretariat
generates it from what happened and edits it (a second officer's save in between is not
overwritten: the page says so and keeps the text typed); a co-chair approves it, after which
the pages offer no change, and the Word file is there to download."""

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from app.db import Database
from tests.factories import World, bearer, token_for
from tests.helpers import Clock, browser_log_in, meeting_with_agenda
from tests.test_accessibility import assert_no_serious_violations

pytestmark = pytest.mark.browser


def test_the_secretariat_generates_and_edits_the_record_and_the_chair_approves_it(
    page: Any,
    browser: Any,
    live_server: str,
    world: World,
    app: FastAPI,
    database: Database,
    clock: Clock,
) -> None:
    api = TestClient(app)
    ph = bearer(token_for(database, world.member, clock.now))
    sec = bearer(token_for(database, world.secretariat, clock.now))
    sec2 = bearer(token_for(database, world.secretariat2, clock.now))
    mid = meeting_with_agenda(api, sec, ["FC-CD-01"], time_zone="Asia/Manila")
    url = f"/api/v1/meetings/{mid}"
    r = api.post(f"{url}/attendance", json={"joined": True, "delegation": "PH-SOMTC"}, headers=ph)
    assert r.status_code == 201, r.text

    browser_log_in(page, live_server, world.secretariat)
    page.goto(f"{live_server}/meetings/{mid}")
    page.get_by_role("link", name="Record").click()
    expect(page.locator("#record-state")).to_contain_text("No record yet")
    page.get_by_role("button", name="Generate from what happened").click()
    expect(page.locator("#confirmation")).to_contain_text("The record is generated")
    expect(page.locator("#record-state")).to_contain_text("Draft, not yet approved")
    shown = page.locator("#record-text-shown")
    expect(shown.get_by_role("heading", name="Attendance")).to_be_visible()
    expect(shown).to_contain_text("PH-SOMTC: joined")
    expect(shown).to_contain_text("Taking part but not recorded as attending: ID-AICHR.")
    assert_no_serious_violations(page)

    # The officer edits; meanwhile a second officer saves: nothing is overwritten.
    text = page.get_by_label("The record's text")
    text.fill(text.input_value() + "\nThe Co-Chair thanked the delegations.")
    tag = api.get(f"{url}/record", headers=sec2).headers["ETag"]
    r = api.put(
        f"{url}/record",
        json={"text": "## Attendance\n- PH-SOMTC joined"},
        headers=sec2 | {"If-Match": tag},
    )
    assert r.status_code == 200, r.text
    page.get_by_role("button", name="Save the record").click()
    expect(page.locator("#error-summary")).to_contain_text("Someone else changed this record")
    assert text.input_value().endswith("The Co-Chair thanked the delegations.")
    # Made again on what is there now, it lands.
    page.get_by_role("button", name="Save the record").click()
    expect(page.locator("#confirmation")).to_contain_text("The record is saved.")
    expect(shown).to_contain_text("The Co-Chair thanked the delegations.")
    expect(page.locator("#record-state")).to_contain_text("edited since it was generated")
    # Generating again would replace the edits: only when the officer says so.
    page.get_by_role("button", name="Generate again from what happened").click()
    expect(page.locator("#error-summary")).to_contain_text("was edited since it was generated")
    expect(shown).to_contain_text("The Co-Chair thanked the delegations.")
    # The secretariat does not approve.
    expect(page.get_by_role("button", name="Approve the record as it stands")).to_have_count(0)

    # The co-chair approves it in a browser of their own.
    context = browser.new_context()
    chair = context.new_page()
    chair.set_default_timeout(10_000)
    try:
        browser_log_in(chair, live_server, world.chair)
        chair.goto(f"{live_server}/meetings/{mid}")
        chair.get_by_role("link", name="Record").click()
        expect(chair.locator("#record-text-shown")).to_contain_text("The Co-Chair thanked")
        expect(chair.get_by_label("The record's text")).to_have_count(0)
        chair.get_by_role("button", name="Approve the record as it stands").click()
        expect(chair.locator("#confirmation")).to_contain_text("The record is approved")
        expect(chair.locator("#record-state")).to_contain_text("Approved by Chair Person")
        expect(chair.get_by_role("button", name="Approve the record as it stands")).to_have_count(0)
        assert_no_serious_violations(chair)
        with chair.expect_download() as download:
            chair.get_by_role("link", name="Download in Word").click()
        assert download.value.suggested_filename == f"M-{mid}_record.docx"
    finally:
        context.close()

    # The secretariat's page no longer offers a change; a stale form is refused, naming why.
    page.get_by_role("button", name="Save the record").click()
    expect(page.locator("#error-summary")).to_contain_text("is approved")
    expect(page.get_by_role("button", name="Save the record")).to_have_count(0)
    expect(page.locator("#record-state")).to_contain_text("Approved by Chair Person")
