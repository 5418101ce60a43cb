"""The approval page shows the text a co-chair approves (issue 16): every item of the settled
round with every field its hash covers, what changed since the last approved text (or, when none
was approved, the last issued one), and the content hash as a detail to open. In a real headless
Chromium."""

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from app.db import Database
from tests.factories import World
from tests.helpers import Clock, browser_log_in
from tests.test_approvals import REV1, ZD, add_somtc_chair, revise, settle
from tests.test_browser_approval import APPROVAL, _approved_zero_draft_then_settled_rev1

pytestmark = pytest.mark.browser
NEW_TEXT = "Passport or personal phone confiscated by the operators"


def test_the_approval_page_shows_the_text_and_its_changes(
    page: Any, live_server: str, world: World, database: Database, clock: Clock
) -> None:
    content_hash = _approved_zero_draft_then_settled_rev1(database, clock, world)
    browser_log_in(page, live_server, world.chair)
    page.goto(f"{live_server}{APPROVAL}")

    # The text itself: each item with its number, code, words and its other fields.
    text = page.locator("#approved-text")
    expect(text.get_by_role("heading", level=2)).to_have_text("The text you approve")
    row = text.locator("#text-FC-CD-01")
    expect(row).to_be_visible()
    expect(row.locator(".col-text")).to_contain_text(NEW_TEXT)
    expect(row.locator(".item-details")).to_contain_text("Strength (adult)")
    expect(row.locator(".item-details")).to_contain_text("online fraud")
    expect(text.locator("tbody tr")).to_have_count(_frozen_count(database, REV1))
    expect(page.locator("#approval-lead")).to_contain_text(
        "First, what changed since the last approved text, DWG-FC/ZD"
    )

    # Its changes against the last approved text, above it.
    change = page.locator("article.change-changed", has_text="FC-CD-01")
    expect(change.locator("ins")).to_contain_text(["confiscated"])
    expect(change.locator("del")).to_contain_text(["taken"])
    changes_y = page.locator("#changes").bounding_box()["y"]
    text_y = page.locator("#approved-text-title").bounding_box()["y"]
    assert changes_y < text_y

    # The form says what is approved: the text on the page; the hash is a detail to open.
    expect(page.locator("#approve-form")).to_contain_text("exactly the text shown on this page")
    shown = page.locator("#content-hash")
    expect(shown).to_be_hidden()
    page.locator("#hash-details summary").click()
    expect(shown).to_be_visible()
    expect(shown).to_have_attribute("data-hash", content_hash)
    expect(page.locator("#hash-check")).to_contain_text("Matches")
    expect(page.locator("main")).not_to_contain_text("SHA-256")

    page.get_by_label("Meeting or decision reference").fill("DWG-FC 3rd meeting, decision 4")
    page.get_by_role("button", name="Approve this text").click()
    expect(page).to_have_url(re.compile(r"/approve\?done=signed#confirmation$"))
    expect(page.locator("#approved-text #text-FC-CD-01")).to_contain_text(NEW_TEXT)


def test_with_no_approved_text_the_changes_are_against_the_last_issued_round(
    page: Any, live_server: str, world: World, database: Database, clock: Clock
) -> None:
    add_somtc_chair(database, clock)
    settle(database, clock, ZD)  # issued and settled, never approved
    clock.advance(days=7)
    revise(database, clock, "FC-CD-01", NEW_TEXT)
    settle(database, clock, REV1)

    browser_log_in(page, live_server, world.chair)
    page.goto(f"{live_server}{APPROVAL}")
    expect(page.locator("#changes")).to_have_text("What changed since the last issued text")
    expect(page.locator("#changes + p")).to_contain_text("Compared with DWG-FC/ZD")
    expect(page.locator("#changes + p")).to_contain_text("no text was approved before")
    change = page.locator("article.change-changed", has_text="FC-CD-01")
    expect(change.locator("ins")).to_contain_text(["confiscated"])
    expect(page.locator("#approved-text #text-FC-CD-01")).to_contain_text(NEW_TEXT)


def _frozen_count(database: Database, symbol: str) -> int:
    from app.rounds import service as rounds
    from app.rounds import snapshot

    with database.transaction(write=False) as s:
        return len(snapshot.load(s, rounds.get_round(s, symbol).id))
