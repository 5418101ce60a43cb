"""The proposals workflow in a real headless Chromium: the live comparison while typing, a
decision that changes the register, and the rebase of a competing amendment made outdated.

Screenshots of the pages at laptop and phone widths go to test-artifacts/ for a person to look
at; they are not compared automatically.
"""

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from tests.factories import World
from tests.helpers import browser_log_in, log_in
from tests.test_proposal_pages import decide, propose

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def shot(page: Any, name: str, width: int) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)


def log_out(page: Any) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r".*/login.*"))


def test_propose_with_live_preview_decide_and_rebase_the_competing_amendment(
    page: Any, live_server: str, world: World, app: FastAPI
) -> None:
    # Before anything is decided, Indonesia has submitted a competing amendment.
    with TestClient(app) as other:
        log_in(other, world.member2)
        competing = propose(
            other, "Passport or personal phone taken by the operators or recruiters"
        )

    # (a) A member proposes, and sees the comparison update as they type.
    browser_log_in(page, live_server, world.member)
    page.goto(f"{live_server}/indicators/FC-CD-01")
    page.get_by_role("link", name="Propose an amendment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Propose an amendment to FC-CD-01")
    expect(page.locator("form[data-live-preview='on']")).to_have_count(1)
    preview = page.locator("#live-preview")
    expect(preview.locator("ins")).to_have_count(0)

    text = page.get_by_label("Text of the indicator")
    text.fill("")
    text.press_sequentially("Passport or personal phone confiscated by the operators", delay=5)
    # No button pressed: the preview follows the typing.
    expect(preview.locator("ins")).to_contain_text("confiscated")
    expect(preview.locator("del")).to_contain_text("taken")
    page.get_by_label("For children").select_option("medium")
    expect(preview.locator('.diff-field[data-field="strength_child"]')).to_contain_text("Medium")
    page.get_by_label("On behalf of").select_option("PH-SOMTC")
    page.get_by_label("Your delegation's rationale").fill("Confiscated is the term of ACTIP.")
    page.get_by_role("button", name="Submit proposal").click()

    expect(page).to_have_url(re.compile(r"/proposals/\d+\?done=submitted$"))
    expect(page.locator("#confirmation")).to_contain_text("submitted")
    reference = page.get_by_role("heading", level=1).inner_text().split()[-1]
    pid = reference.removeprefix("P-")
    log_out(page)

    # (b) The Secretariat finds it in the queue and agrees it.
    browser_log_in(page, live_server, world.secretariat)
    page.get_by_role("link", name="Queue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Proposals to decide")
    page.get_by_role("link", name=reference, exact=True).click()
    page.get_by_label("Agreed", exact=True).check()
    page.get_by_label("Reason", exact=True).fill("Consensus at the second meeting")
    # Delegations have not all spoken: the decider says they know, then confirms.
    page.get_by_label("I know this, and I confirm the decision").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Yes, record the decision").click()
    expect(page.locator("#confirmation")).to_contain_text(f"{reference} agreed")
    page.locator("#confirmation").get_by_role("link", name="FC-CD-01").click()
    expect(page.locator("#indicator-text")).to_have_text(
        "Passport or personal phone confiscated by the operators"
    )
    expect(page.locator(".last-change")).to_contain_text("PH-SOMTC")
    log_out(page)

    # (c) Indonesia's amendment is now outdated: side by side, then rebased.
    browser_log_in(page, live_server, world.member2)
    page.goto(f"{live_server}/proposals/{competing}")
    expect(page.locator("#outdated")).to_contain_text("This proposal is outdated")
    sides = page.locator(".side-by-side .side")
    expect(sides).to_have_count(2)
    expect(sides.nth(0).locator('[data-field="text"] ins')).to_contain_text("confiscated")
    expect(sides.nth(1).locator('[data-field="text"] ins')).to_contain_text("or recruiters")
    page.get_by_role("button", name="Rebase onto the current text").click()
    expect(page.locator("#confirmation")).to_contain_text("rebased onto the current text")
    expect(page.locator("#outdated")).to_have_count(0)
    expect(page.locator("section.proposed .diff-text")).to_have_text(
        re.compile(r"confiscated by the operators.*or recruiters")
    )
    assert pid.isdigit()


def test_a_conflicting_rebase_is_resolved_in_the_browser(
    page: Any, live_server: str, world: World, app: FastAPI
) -> None:
    with TestClient(app) as other:
        log_in(other, world.member)
        first = propose(other, "Passport seized by the operators")
        log_in(other, world.member2)
        second = propose(other, "Passport withheld by the operators")
        log_in(other, world.secretariat)
        decide(other, first, "agreed")

    browser_log_in(page, live_server, world.member2)
    page.goto(f"{live_server}/proposals/{second}")
    page.get_by_role("button", name="Rebase onto the current text").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Rebase P-{second} onto the current text"
    )
    resolution = page.get_by_label(f"Your text for P-{second}")
    expect(resolution).to_have_value("Passport withheld by the operators")
    resolution.fill("Passport seized or withheld by the operators")
    page.get_by_role("button", name="Rebase with this text").click()
    expect(page.locator("#confirmation")).to_contain_text("rebased onto the current text")
    expect(page.locator("section.proposed .diff-text ins")).to_contain_text("or withheld")


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_screenshots_of_the_proposals_pages(
    page: Any, live_server: str, world: World, app: FastAPI, width: int, height: int
) -> None:
    with TestClient(app) as other:
        log_in(other, world.member)
        agreed = propose(other, "Passport seized by the operators", delegation="PH-SOMTC")
        log_in(other, world.member2)
        outdated = propose(other, "Passport withheld by the operators")
        log_in(other, world.member3)
        propose(
            other, "Confined to a guarded compound; release only against a fee", code="FC-CD-02"
        )
        log_in(other, world.secretariat)
        decide(other, agreed, "agreed")
        log_in(other, world.member)
        alt1 = propose(
            other,
            "Passport or phone seized by the operators",
            delegation="PH-SOMTC",
            rationale="Phones are how the operators control contact with family.",
        )
        log_in(other, world.member2)
        propose(other, "Identity documents or phone seized by the operators")

    page.set_viewport_size({"width": width, "height": height})
    browser_log_in(page, live_server, world.member3)
    page.goto(f"{live_server}/proposals/{alt1}")
    page.get_by_label("Objection", exact=True).check()
    page.get_by_label("Statement (optional)").fill("Phones are often shared; too narrow.")
    page.get_by_role("button", name="Record position").click()
    expect(page.locator("#confirmation")).to_contain_text("Position recorded")
    page.goto(f"{live_server}/indicators/FC-CD-01#proposals")
    expect(page.locator(".alt-label")).to_have_count(3)
    shot(page, "indicator-proposals", width)
    log_out(page)

    browser_log_in(page, live_server, world.member)
    page.goto(f"{live_server}/proposals/new?kind=amend&item=FC-CD-02")
    page.get_by_label("Text of the indicator").fill(
        "Confined to a guarded compound; release only against a payment"
    )
    page.get_by_label("For adults").select_option("medium")
    expect(page.locator("#live-preview ins").first).to_be_visible()
    shot(page, "propose", width)
    log_out(page)

    browser_log_in(page, live_server, world.member2)
    page.goto(f"{live_server}/proposals/{outdated}")
    expect(page.locator("#outdated")).to_be_visible()
    shot(page, "proposal-outdated", width)
    page.get_by_role("button", name="Rebase onto the current text").click()
    expect(page.locator("#rebase-conflict")).to_be_visible()
    shot(page, "rebase-conflict", width)
    log_out(page)

    browser_log_in(page, live_server, world.secretariat)
    page.goto(f"{live_server}/proposals/{alt1}")
    page.get_by_label("Agreed", exact=True).check()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#refusal")).to_contain_text("there is an objection from TH-SOMTC")
    shot(page, "proposal-decide-refused", width)
    page.goto(f"{live_server}/queue")
    shot(page, "queue", width)
    page.goto(f"{live_server}/consensus")
    shot(page, "consensus", width)
    page.goto(f"{live_server}/proposals")
    shot(page, "proposals", width)
