"""The co-chairs' approval in a real headless Chromium: the first co-chair reads the hash and the
changes since the last approved text and approves; the second approves; the round is approved and
nobody is offered a way to change it any more.

Screenshots of the approval page at laptop and phone widths go to test-artifacts/ for a person to
look at; they are not compared automatically.
"""

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from app.accounts import service as accounts
from app.approvals import service as approvals
from app.audit.service import Actor
from app.db import Database
from tests.factories import World
from tests.helpers import Clock, browser_log_in
from tests.test_approvals import REV1, SOMTC_CHAIR, ZD, add_somtc_chair, revise, settle

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
APPROVAL = "/rounds/DWG-FC/Rev.1/approve"


def _approved_zero_draft_then_settled_rev1(database: Database, clock: Clock, world: World) -> str:
    add_somtc_chair(database, clock)
    zd_hash = settle(database, clock, ZD)
    for email in (world.chair, SOMTC_CHAIR):
        with database.transaction() as s:
            user = accounts.get_user_by_email(s, email)
            approvals.approve(
                s,
                Actor(user.id, None, "test"),
                ZD,
                content_hash=zd_hash,
                reference="DWG-FC 2nd meeting, decision 1",
                now=clock.now,
            )
    clock.advance(days=14)
    revise(database, clock, "FC-CD-01", "Passport or personal phone confiscated by the operators")
    return settle(database, clock, REV1)


def _log_out(page: Any) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r".*/login.*"))


def _shots(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_two_co_chairs_approve_and_the_text_is_frozen(
    page: Any, live_server: str, world: World, database: Database, clock: Clock
) -> None:
    content_hash = _approved_zero_draft_then_settled_rev1(database, clock, world)

    # Before: the secretariat can still move the round and name its co-chairs.
    browser_log_in(page, live_server, world.secretariat)
    page.goto(f"{live_server}/rounds/{REV1}")
    expect(page.get_by_role("link", name="Reopen consultation")).to_be_visible()
    page.goto(f"{live_server}{APPROVAL}")
    expect(page.get_by_role("button", name="Save co-chairs")).to_be_visible()
    _log_out(page)

    # The AICHR co-chair reads the hash and the changes, and approves.
    browser_log_in(page, live_server, world.chair)
    page.goto(f"{live_server}{APPROVAL}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Approval of DWG-FC/Rev.1")
    page.locator("#hash-details summary").click()  # the hash is a detail, closed at first
    shown = page.locator("#content-hash")
    expect(shown).to_have_attribute("data-hash", content_hash)
    assert shown.inner_text().replace(" ", "").replace("\n", "") == content_hash
    expect(page.locator("#hash-check")).to_contain_text("Matches")
    expect(page.locator("#changes + p")).to_contain_text("Compared with DWG-FC/ZD")
    change = page.locator("article.change-changed", has_text="FC-CD-01")
    expect(change.locator("ins")).to_contain_text(["confiscated"])
    expect(change.locator("del")).to_contain_text(["taken"])
    expect(page.locator("table.signatures tbody tr")).to_have_count(2)
    _shots(page, "approval-before")

    page.get_by_label("Meeting or decision reference").fill("DWG-FC 3rd meeting, decision 4")
    page.get_by_role("button", name="Approve this text").click()
    expect(page).to_have_url(re.compile(r"/approve\?done=signed#confirmation$"))
    expect(page.get_by_role("status")).to_contain_text("Your approval of DWG-FC/Rev.1 is recorded")
    expect(page.get_by_role("status")).to_contain_text("Thida Chair (TH-SOMTC)")
    expect(page.get_by_role("button", name="Approve this text")).to_have_count(0)
    _log_out(page)

    # The SOMTC co-chair approves the same text: the round is approved.
    browser_log_in(page, live_server, SOMTC_CHAIR)
    page.goto(f"{live_server}{APPROVAL}")
    expect(page.locator("table.signatures")).to_contain_text("DWG-FC 3rd meeting, decision 4")
    page.get_by_label("Meeting or decision reference").fill("SOMTC written procedure 2026/7")
    page.get_by_role("button", name="Approve this text").click()
    expect(page.get_by_role("status")).to_contain_text("DWG-FC/Rev.1 is approved")
    expect(page.locator(".status-line .tag")).to_have_text("State: Approved")
    expect(page.locator("#approved-notice")).to_contain_text("can no longer change")
    expect(page.get_by_role("button", name="Approve this text")).to_have_count(0)
    _shots(page, "approval-after")
    _log_out(page)

    # After: the round's page shows it approved, and nobody is offered a way to change it.
    browser_log_in(page, live_server, world.secretariat)
    page.goto(f"{live_server}/rounds/{REV1}")
    expect(page.locator("#approved")).to_contain_text("Approved")
    expect(page.locator("form.move")).to_have_count(0)
    expect(page.get_by_role("link", name="Reopen consultation")).to_have_count(0)
    expect(page.get_by_role("button", name="Place under silence")).to_have_count(0)
    page.goto(f"{live_server}{APPROVAL}")
    expect(page.get_by_role("button", name="Save co-chairs")).to_have_count(0)
    expect(page.locator("#hash-check")).to_contain_text("Matches")
