"""The secretariat marks the point under discussion agreed ad referendum from its live view
(issue 19), in a real headless Chromium page; a delegate's open live view shows the mark and the
item's new drafting state within 2 s, without reloading."""

import time
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


def test_the_secretariat_marks_the_point_agreed_ad_ref_and_the_delegate_sees_it(
    page: Any,
    browser: Any,
    live_server: str,
    world: World,
    app: FastAPI,
    database: Database,
    clock: Clock,
) -> None:
    api = TestClient(app)
    sec = bearer(token_for(database, world.secretariat, clock.now))
    mid = meeting_with_agenda(api, sec, ["FC-CD-01", "FC-DR-01"], current="FC-DR-01")

    context = browser.new_context()
    delegate = context.new_page()
    delegate.set_default_timeout(10_000)
    try:
        browser_log_in(delegate, live_server, world.member)
        delegate.goto(f"{live_server}/meetings/{mid}/live")
        expect(delegate.locator("#live-status")).to_have_attribute("data-live", "on")
        expect(delegate.locator("#current-ref")).to_have_text("FC-DR-01")
        expect(delegate.locator("#drafting")).to_contain_text("Open")
        expect(delegate.locator("#just-marked")).to_have_count(0)
        expect(delegate.locator("#room-mark-form")).to_have_count(0)
        delegate.evaluate("window.notReloaded = true")

        browser_log_in(page, live_server, world.secretariat)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"{live_server}/meetings/{mid}/live")
        form = page.locator("#room-mark-form")
        expect(form).to_contain_text("Mark FC-DR-01 in the meeting")
        # Without a state chosen: refused beside the field, the note kept.
        form.get_by_label("Note (optional)").fill("pending TH-SOMTC")
        form.get_by_role("button", name="Mark in the meeting").click()
        expect(page.locator("#room-mark-state-error")).to_contain_text("Choose where the item")
        expect(page.locator("#room-mark-note")).to_have_value("pending TH-SOMTC")
        assert_no_serious_violations(page)

        page.locator("#room-mark-form").get_by_label("Agreed ad ref").check()
        page.locator("#room-mark-form").get_by_role("button", name="Mark in the meeting").click()
        started = time.monotonic()
        expect(delegate.locator("#just-marked")).to_contain_text(
            "FC-DR-01 agreed ad ref, was open", timeout=2000
        )
        marked_in = time.monotonic() - started
        expect(delegate.locator("#just-marked")).to_contain_text("pending TH-SOMTC")
        expect(delegate.locator("#drafting")).to_contain_text("Agreed ad ref")
        expect(delegate.locator("#meeting-acts")).to_contain_text(
            "FC-DR-01 marked agreed ad ref in the meeting"
        )
        assert delegate.evaluate("window.notReloaded") is True  # updated in place
        expect(page.locator("#just-marked")).to_contain_text("FC-DR-01 agreed ad ref")
        assert marked_in < 2.0, f"the mark reached the delegate after {marked_in:.2f} s"
    finally:
        context.close()
