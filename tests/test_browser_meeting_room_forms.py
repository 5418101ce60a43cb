"""The secretariat records, in its live view of a meeting, a position a delegation stated in the
meeting and a decision taken in it (issue 19), in a real headless Chromium page; a delegate's
open live view shows both within about a second, without reloading."""

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


def test_the_secretariat_records_a_stated_position_and_a_decision_from_the_live_view(
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
    r = api.post(
        "/api/v1/proposals",
        json={
            "kind": "amend",
            "targets": ["FC-CD-01"],
            "content": {"text": "Passport or personal phone confiscated by the operators"},
            "rationale": "Stronger verb",
            "submit": True,
            "delegation": "PH-SOMTC",
        },
        headers=ph,
    )
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    mid = meeting_with_agenda(api, sec, ["FC-CD-01"], current="FC-CD-01")

    context = browser.new_context()
    delegate = context.new_page()
    delegate.set_default_timeout(10_000)
    try:
        browser_log_in(delegate, live_server, world.member)
        delegate.goto(f"{live_server}/meetings/{mid}/live")
        expect(delegate.locator("#live-status")).to_have_attribute("data-live", "on")
        expect(delegate.locator("#current-ref")).to_have_text("FC-CD-01")
        # Delegates have neither form.
        expect(delegate.locator("#stated-form")).to_have_count(0)
        expect(delegate.locator(f"#decide-{pid}-form")).to_have_count(0)

        browser_log_in(page, live_server, world.secretariat)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"{live_server}/meetings/{mid}/live")
        stated = page.locator("#stated-form")
        # Typing while the meeting goes on: an update of the view (here a delegate's position
        # arriving) keeps what the officer has typed and chosen.
        stated.get_by_label("Statement (optional)").fill("Half written")
        stated.get_by_label("Objection").check()
        r = api.post(
            "/api/v1/positions",
            json={"item": "FC-CD-01", "stance": "support", "statement": "We support it"},
            headers=bearer(token_for(database, world.member2, clock.now)),
        )
        assert r.status_code in (200, 201), r.text
        expect(page.locator("#live-fragment")).to_contain_text("We support it")
        expect(page.locator("#stated-statement")).to_have_value("Half written")
        expect(stated.get_by_label("Objection")).to_be_checked()
        stated.get_by_label("Statement (optional)").fill("")
        # Without a delegation: refused beside the field, what was typed kept.
        stated.get_by_label("Reservation").check()
        stated.get_by_label("Position on").select_option(f"P-{pid}")
        stated.get_by_label("Statement (optional)").fill("Indonesia consults its capital")
        stated.get_by_role("button", name="Record the stated position").click()
        expect(page.locator("#stated-delegation-error")).to_contain_text("Choose the delegation")
        expect(page.locator("#stated-statement")).to_have_value("Indonesia consults its capital")
        page.locator("#stated-form").get_by_label("Delegation").select_option("ID-AICHR")
        page.locator("#stated-form").get_by_role(
            "button", name="Record the stated position"
        ).click()
        started = time.monotonic()
        expect(delegate.locator("#meeting-acts")).to_contain_text(
            f"ID-AICHR: reservation on P-{pid} stated in the meeting", timeout=2000
        )
        stated_in = time.monotonic() - started
        expect(delegate.locator("#meeting-acts")).to_contain_text("Indonesia consults its capital")
        assert_no_serious_violations(page)

        # The decision in the meeting: agreeing needs the acknowledgement of the picture.
        decide = page.locator(f"#decide-{pid}-form")
        decide.get_by_label("Agreed", exact=True).check()
        decide.get_by_label("Reason").fill("Agreed in the room")
        decide.get_by_label("I know this, and I confirm the decision").check()
        decide.get_by_role("button", name="Record the decision in the meeting").click()
        started = time.monotonic()
        expect(delegate.locator("#meeting-acts")).to_contain_text(
            f"P-{pid} (PH-SOMTC) agreed", timeout=2000
        )
        decided_in = time.monotonic() - started
        expect(delegate.locator("#just-decided")).to_contain_text(f"P-{pid}")
        expect(page.locator("#meeting-acts")).to_contain_text(f"P-{pid} (PH-SOMTC) agreed")
        expect(page.locator(f"#decide-{pid}-form")).to_have_count(0)
        assert stated_in < 1.5, f"the stated position reached the delegate after {stated_in:.2f} s"
        assert decided_in < 1.5, f"the decision reached the delegate after {decided_in:.2f} s"
    finally:
        context.close()
