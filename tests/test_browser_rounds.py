"""Draft rounds in a real headless Chromium: the secretariat creates and issues a round from the
pages and the banner shows its deadline; a revised text is issued and the comparison shows the
reworded indicator.

Screenshots go to test-artifacts/ for a person to look at; they are not compared automatically.
"""

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from app.audit.service import Actor
from app.db import Database
from app.models import RoundKind
from app.register import service as register
from app.rounds import service as rounds
from tests.factories import World
from tests.helpers import Clock, browser_log_in

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def shoot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(ARTIFACTS / f"rounds-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def create_and_issue(page: Any, live_server: str, symbol: str, title: str, deadline: str) -> None:
    page.goto(f"{live_server}/rounds")
    page.get_by_role("link", name="Create a round").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create a round")
    page.get_by_label("Symbol").fill(symbol)
    page.get_by_label("Title").fill(title)
    page.get_by_label("Time zone of the round").select_option("Asia/Manila")
    page.get_by_label("Deadline for input").fill(deadline)
    page.get_by_label("Instructions to delegations (optional)").fill(
        "Send written proposals and comments through zerodraft by the deadline."
    )
    page.get_by_role("button", name="Create round").click()
    expect(page.get_by_role("status")).to_contain_text(f"{symbol} created")
    page.get_by_role("button", name="Issue the round").click()
    expect(page.get_by_role("status")).to_contain_text(f"{symbol} issued")


def test_secretariat_issues_rounds_and_compares_them(
    page: Any, live_server: str, world: World, database: Database, clock: Clock
) -> None:
    browser_log_in(page, live_server, world.secretariat)
    page.set_viewport_size({"width": 1280, "height": 900})

    create_and_issue(page, live_server, "DWG-FC/ZD", "Zero Draft", "2026-03-09T18:00")
    expect(page.get_by_role("heading", level=1)).to_have_text("DWG-FC/ZD")
    expect(page.locator("#content-hash")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    expect(page.locator("table.snapshot").first).to_be_visible()
    shoot(page, "round")

    # The banner on any page shows the deadline in UTC, in Manila time and in the reader's own
    # (the group's, Jakarta), with the time left.
    page.get_by_role("link", name="Register", exact=True).click()
    banner = page.get_by_role("region", name="Current round")
    expect(banner).to_contain_text("DWG-FC/ZD")
    expect(banner).to_contain_text("Open for input")
    expect(banner.locator("#round-banner-deadline")).to_have_text(
        re.compile(
            r"Deadline for input: 09 March 2026, 10:00 UTC\s+"
            r"\(09 March 2026, 18:00 Asia/Manila, UTC\+8\)\s+"
            r"· your time: 09 Mar 2026 17:00 WIB \(UTC\+7\)\s+7 days 1 hour left"
        )
    )
    shoot(page, "banner")

    # The secretariat revises an indicator; the next round circulates the new text.
    with database.transaction() as s:
        register.revise_item(
            s,
            Actor.system("test"),
            code="FC-CD-01",
            expected_revision=1,
            changes={"text": "Passport or personal phone confiscated by the operators on arrival"},
            reason="Agreed at the first online meeting",
            now=clock.now,
        )
    page.goto(f"{live_server}/rounds/DWG-FC/ZD")
    page.get_by_role("link", name="Close for input").click()
    page.get_by_role("button", name="Yes, close it for input").click()
    expect(page.get_by_role("status")).to_contain_text("DWG-FC/ZD closed for input")
    create_and_issue(page, live_server, "DWG-FC/Rev.1", "Revised draft 1", "2026-03-20T18:00")

    page.get_by_role("link", name="Compare with DWG-FC/ZD").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Changes from DWG-FC/ZD to DWG-FC/Rev.1"
    )
    changed = page.locator("#changed-FC-CD-01 .diff-field[data-field='text']")
    inserted = " ".join(changed.locator("ins").all_inner_texts())
    deleted = " ".join(changed.locator("del").all_inner_texts())
    assert "confiscated" in inserted and "on arrival" in inserted
    assert "taken" in deleted
    concordance = page.locator("#concordance table")
    expect(concordance.locator("tbody tr")).to_have_count(4)
    shoot(page, "compare")

    page.goto(f"{live_server}/rounds")
    expect(page.locator("table.rounds tbody tr")).to_have_count(2)
    expect(page.locator("table.rounds")).to_contain_text("Superseded")
    shoot(page, "list")


def test_a_member_breaks_silence_from_the_round_page(
    page: Any, live_server: str, world: World, database: Database, clock: Clock
) -> None:
    actor = Actor.system("test")
    with database.transaction() as s:
        rounds.create_round(
            s,
            actor,
            symbol="DWG-FC/Rev.2",
            title="Revised draft 2 for adoption",
            kind=RoundKind.SILENCE,
            time_zone="Asia/Yangon",
            deadline=None,
            opens_at=None,
            instructions="",
            observers_may_comment=False,
            now=clock.now,
        )
        for move in (rounds.issue_round, rounds.close_round, rounds.consult_round):
            move(s, actor, "DWG-FC/Rev.2", now=clock.now)
        left = rounds.outstanding(s, rounds.get_round(s, "DWG-FC/Rev.2"))
        rounds.settle_round(
            s, actor, "DWG-FC/Rev.2", now=clock.now, carry_over=rounds.CarryOver.everything(left)
        )
        rounds.place_under_silence(
            s, actor, "DWG-FC/Rev.2", until=clock.now + timedelta(hours=72), now=clock.now
        )

    browser_log_in(page, live_server, world.member)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server}/rounds/DWG-FC/Rev.2")
    banner = page.get_by_role("region", name="Current round")
    expect(banner).to_contain_text("Under silence")
    expect(banner).to_contain_text("Silence until 05 March 2026, 09:00 UTC")
    page.get_by_role("button", name="Break silence").click()
    expect(page.get_by_role("alert")).to_contain_text("Give your delegation's statement")
    shoot(page, "break-error")
    page.get_by_label("On behalf of").select_option("PH-SOMTC")
    page.get_by_label("Statement").fill("Our capital needs more time on the strength of FC-CD-01.")
    page.get_by_role("button", name="Break silence").click()
    expect(page.get_by_role("status")).to_contain_text("Silence broken")
    breaks = page.locator("table.silence-breaks")
    expect(breaks).to_contain_text("PH-SOMTC")
    expect(breaks).to_contain_text("Our capital needs more time on the strength of FC-CD-01.")
    expect(page.locator(".status-line")).to_contain_text("In consultation")
    shoot(page, "silence-broken")
