"""The register in a real headless Chromium: reading, editing, diffs, refusals and the keyboard.

Screenshots of the main pages at laptop and phone widths go to test-artifacts/ for a person to look
at; they are not compared automatically.
"""

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, World
from tests.helpers import browser_log_in

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def test_secretariat_edits_an_indicator_and_reads_the_diff(
    page: Any, live_server: str, world: World
) -> None:
    browser_log_in(page, live_server, world.secretariat)
    expect(page.get_by_role("heading", level=1)).to_have_text("Register of indicators")

    page.get_by_role("link", name="FC-CD-01").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Indicator FC-CD-01")
    page.get_by_role("link", name="Edit indicator").click()
    expect(page).to_have_url(re.compile(r"/indicators/FC-CD-01/edit$"))

    page.get_by_label("Text of the indicator").fill(
        "Passport or personal phone confiscated by the operators on arrival"
    )
    page.get_by_label("Reason for the change").fill("Agreed at the first online meeting")
    page.get_by_role("button", name="Save new revision").click()

    expect(page).to_have_url(re.compile(r"/indicators/FC-CD-01\?saved=2$"))
    expect(page.get_by_role("status")).to_contain_text("Revision 2 saved")
    expect(page.locator("#indicator-text")).to_have_text(
        "Passport or personal phone confiscated by the operators on arrival"
    )
    expect(page.locator("table.history tbody tr")).to_have_count(2)

    # Pick the two revisions in the history's form, as a reader would.
    page.get_by_label("From revision").select_option("1")
    page.get_by_label("To revision").select_option("2")
    page.get_by_role("button", name="Show changes").click()
    expect(page).to_have_url(re.compile(r"/indicators/FC-CD-01/diff\?from=1&to=2$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Changes from revision 1 to revision 2"
    )
    text_diff = page.locator('.diff-field[data-field="text"]')
    inserted = " ".join(text_diff.locator("ins").all_inner_texts())
    deleted = " ".join(text_diff.locator("del").all_inner_texts())
    assert "confiscated" in inserted and "on arrival" in inserted
    assert "taken" in deleted
    assert "confiscated" not in deleted


def test_member_sees_no_edit_button_and_cannot_post_the_form(
    page: Any, live_server: str, world: World
) -> None:
    browser_log_in(page, live_server, world.member)
    page.goto(f"{live_server}/indicators/FC-CD-01")
    expect(page.get_by_role("heading", level=1)).to_have_text("Indicator FC-CD-01")
    expect(page.get_by_role("link", name="Edit indicator")).to_have_count(0)
    expect(page.get_by_role("link", name="Add indicator")).to_have_count(0)

    # Posting the form anyway, with the member's own valid security token, is refused.
    token = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    assert token
    response = page.request.post(
        f"{live_server}/indicators/FC-CD-01/edit",
        form={
            "csrf_token": token,
            "base_revision": "1",
            "text": "Rewritten by a member",
            "dimension": "CD",
            "status": "active",
            "reason": "I would like this",
        },
    )
    assert response.status == 403
    assert "You cannot do this" in response.text()
    page.reload()
    expect(page.locator("#indicator-text")).to_have_text(
        "Passport or personal phone taken by the operators"
    )


def test_log_in_and_skip_to_content_with_the_keyboard_only(
    page: Any, live_server: str, world: World
) -> None:
    page.goto(f"{live_server}/login")
    # The e-mail field has focus on arrival; no mouse from here on.
    expect(page.get_by_label("E-mail address")).to_be_focused()
    page.keyboard.type(world.observer)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/register$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Register of indicators")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    # Filtering works from the keyboard too, without JavaScript.
    page.get_by_label("Words or code").focus()
    page.keyboard.type("compound")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"q=compound"))
    expect(page.locator("table.register tbody tr")).to_have_count(1)


def test_edit_errors_are_summarised_and_linked_to_their_field(
    page: Any, live_server: str, world: World
) -> None:
    browser_log_in(page, live_server, world.secretariat)
    page.goto(f"{live_server}/indicators/FC-CD-02/edit")
    page.get_by_label("Text of the indicator").fill("Confined to a guarded compound for months")
    page.get_by_role("button", name="Save new revision").click()

    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Enter the reason for the change")
    expect(summary).to_be_focused()  # read out first, before the form
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "edit-error-1280.png"))
    expect(page.get_by_label("Text of the indicator")).to_have_value(
        "Confined to a guarded compound for months"
    )
    summary.get_by_role("link", name="Enter the reason for the change").click()
    expect(page.get_by_label("Reason for the change")).to_be_focused()


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_screenshots_of_the_register_pages(
    page: Any, live_server: str, world: World, width: int, height: int
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": width, "height": height})
    browser_log_in(page, live_server, world.secretariat)

    # A revision with a visible change, so that history and diff have something to show.
    page.goto(f"{live_server}/indicators/FC-CD-01/edit")
    page.get_by_label("Text of the indicator").fill(
        "Passport, identity card or personal phone confiscated by the operators"
    )
    page.get_by_label("Guidance note").fill(
        "Ask where the person's documents are kept and who holds them.\n"
        "Do not insist if the person is distressed; refer to a social worker."
    )
    page.get_by_label("Reason for the change").fill("Agreed at the first online meeting")
    page.get_by_role("button", name="Save new revision").click()
    expect(page.get_by_role("status")).to_contain_text("Revision 2 saved")

    shots = {
        "register": "/register",
        "indicator": "/indicators/FC-CD-01?saved=2",
        "diff": "/indicators/FC-CD-01/diff?from=1&to=2",
        "edit": "/indicators/FC-CD-01/edit",
    }
    for name, path in shots.items():
        page.goto(f"{live_server}{path}")
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
        # Nothing makes the whole page scroll sideways; wide tables scroll inside their box.
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, name


def test_two_editors_at_once_the_second_sees_a_conflict_page(
    page: Any, browser: Any, live_server: str, world: World
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    other_context = browser.new_context()
    other = other_context.new_page()
    try:
        browser_log_in(other, live_server, world.secretariat2)
        browser_log_in(page, live_server, world.secretariat)
        for p in (other, page):
            p.goto(f"{live_server}/indicators/FC-CD-01/edit")

        other.get_by_label("Text of the indicator").fill("Passport taken by the operators")
        other.get_by_label("Reason for the change").fill("Shorter, as agreed")
        other.get_by_role("button", name="Save new revision").click()
        expect(other.get_by_role("status")).to_contain_text("Revision 2 saved")

        mine = "Passport or personal phone confiscated by the operators"
        page.get_by_label("Text of the indicator").fill(mine)
        page.get_by_label("Reason for the change").fill("Clearer verb")
        page.get_by_role("button", name="Save new revision").click()

        expect(page.get_by_role("heading", level=1)).to_have_text(
            "FC-CD-01 was changed while you were editing"
        )
        expect(page.locator("#conflict")).to_contain_text("Second Officer")
        expect(page.get_by_label("Text of the indicator")).to_have_value(mine)
        expect(page.get_by_label("Reason for the change")).to_have_value("Clearer verb")
        meanwhile = page.locator(".conflict-diff").first
        assert "or personal phone" in " ".join(meanwhile.locator("del").all_inner_texts())
        page.screenshot(path=str(ARTIFACTS / "conflict-1280.png"), full_page=True)

        # Having read what changed, the person saves deliberately on top of revision 2.
        page.get_by_role("button", name="Save new revision").click()
        expect(page.get_by_role("status")).to_contain_text("Revision 3 saved")
    finally:
        other_context.close()
