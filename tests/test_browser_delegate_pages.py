"""Pages that speak to delegates (issue 16), in a real headless Chromium: on a phone (375 px) the
header and the round banner take at most a fifth of the screen before the content, and every
link of the header can still be reached; the indicator page puts the text, the alternatives and
the person's next action before the rest; the comment form opens beside the selected words."""

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import World
from tests.helpers import browser_log_in
from tests.test_accessibility import (  # noqa: F401
    Discussion,
    assert_no_serious_violations,
    discussion,
    open_round,
    settled,
)
from tests.test_approvals import REV1
from tests.test_browser_comments import RECT, drag_over

pytestmark = pytest.mark.browser
ITEM = "/indicators/FC-CD-01"
PHONES = [(375, 667), (375, 812)]

# Where the content starts: the bottom of the round banner, or of the top bar without one.
CHROME_BOTTOM = """() => {
  const parts = [".marking", ".topbar", ".round-banner"].map((s) => document.querySelector(s));
  return Math.max(...parts.filter(Boolean).map((e) => e.getBoundingClientRect().bottom));
}"""


@pytest.mark.parametrize(("width", "height"), PHONES)
def test_on_a_phone_the_header_and_banner_take_a_fifth_of_the_screen(
    page: Any,
    live_server: str,
    world: World,
    open_round: Discussion,  # noqa: F811
    width: int,
    height: int,
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    browser_log_in(page, live_server, world.member)
    for path in ("/register", ITEM, "/proposals"):
        page.goto(f"{live_server}{path}")
        expect(page.locator(".round-banner")).to_contain_text("DWG-FC/ZD")
        bottom = page.evaluate(CHROME_BOTTOM)
        assert bottom <= height / 5, f"{path}: header and banner end at {bottom}px of {height}"
        # Nothing is cut off sideways: the page does not scroll to the right.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    # Every link of the header is still there and reachable (the row scrolls sideways).
    nav = page.get_by_role("navigation", name="Main")
    for name in ("Register", "Proposals", "Rounds", "Account", "Help"):
        link = nav.get_by_role("link", name=name, exact=True)
        link.scroll_into_view_if_needed()
        expect(link).to_be_in_viewport()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    # The deadline is still said in the banner.
    expect(page.locator("#round-banner-deadline")).to_contain_text("Deadline")
    nav.get_by_role("link", name="Help", exact=True).click()
    expect(page.get_by_role("heading", name="Help", level=1)).to_be_visible()
    assert_no_serious_violations(page)


# The page's main parts, top to bottom, by where they start on the page.
ORDER = """() => {
  const top = (s) => {
    const e = document.querySelector(s);
    return e ? e.getBoundingClientRect().top + window.scrollY : null;
  };
  return {
    text: top("#indicator-text"), next: top("#next-step"), alternatives: top(".alternatives"),
    positions: top("#consensus"), strength: top("#strength-title"),
    guidance: top("#guidance-title"), comments: top("#comments"), history: top("#history-title"),
    height: document.documentElement.scrollHeight,
  };
}"""


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (375, 667)])
def test_the_indicator_page_puts_the_text_alternatives_and_next_step_first(
    page: Any,
    live_server: str,
    world: World,
    open_round: Discussion,  # noqa: F811
    width: int,
    height: int,
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    browser_log_in(page, live_server, world.member3)
    page.goto(f"{live_server}{ITEM}")
    at = page.evaluate(ORDER)
    assert at["text"] < at["next"] < at["alternatives"], at
    rest = [at[k] for k in ("positions", "strength", "guidance", "comments", "history")]
    assert all(at["alternatives"] < r for r in rest), at
    # The next step is the person's: propose, comment, give a position, in the first screen
    # on a desktop, with the text.
    step = page.locator("#next-step")
    propose = step.get_by_role("link", name="Propose an amendment")
    expect(propose).to_be_visible()
    if width > 1000:
        expect(propose).to_be_in_viewport()
        expect(page.locator("#indicator-text")).to_be_in_viewport()
    expect(step.get_by_role("link", name="Give your delegation's position")).to_be_visible()
    # The proposals panel does not show the same buttons a second time.
    expect(page.get_by_role("link", name="Propose an amendment")).to_have_count(1)
    # Delegations without a position collapse into one line; those with one keep their row.
    expect(page.locator("#positions-pending")).to_contain_text("No position yet")
    pending = page.locator("#positions-pending abbr").all_text_contents()
    given = page.locator(".positions-table tbody th").evaluate_all(
        "(cells) => cells.map((c) => c.firstChild.textContent.trim())"
    )
    assert "TH-SOMTC" in given and {"ID-AICHR", "PH-ACWC"} <= set(pending), (given, pending)
    assert sorted(given + pending) == ["ID-AICHR", "PH-ACWC", "PH-SOMTC", "TH-SOMTC"]
    # The position link leads to the form.
    step.get_by_role("link", name="Give your delegation's position").click()
    expect(page.locator("#item-position-form")).to_be_in_viewport()
    assert_no_serious_violations(page)


def test_the_comment_form_opens_beside_the_selected_words(
    page: Any,
    live_server: str,
    world: World,
    open_round: Discussion,  # noqa: F811
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    browser_log_in(page, live_server, world.member3)
    page.goto(f"{live_server}{ITEM}")
    form = page.locator("#new-comment")
    home = form.bounding_box()
    assert home is not None
    drag_over(page, "indicator-text", "personal phone")
    words = page.evaluate(RECT, ["indicator-text", "personal phone"])
    page.get_by_role("button", name="Comment on the selected words").click()
    expect(page.get_by_label("Quoted words (optional)")).to_have_value("personal phone")
    expect(page.get_by_label("Your comment")).to_be_focused()
    beside = form.bounding_box()
    assert beside is not None
    # Right under the words: a few lines down, not at the foot of the page where it was.
    gap = beside["y"] + page.evaluate("window.scrollY") - (words["bottom"] + 0)
    assert 0 <= gap < 160, (gap, words, beside)
    assert home["y"] - words["bottom"] > 600, (home, words)
    expect(form).to_be_in_viewport()
    page.get_by_label("Your comment").fill("Too narrow: any device.")
    page.get_by_role("button", name="Add comment").click()
    expect(page.locator("#indicator-text mark.comment-anchor").first).to_have_text("personal phone")
    expect(page.locator(".thread").filter(has_text="Too narrow: any device.")).to_have_count(1)

    # Put back: the form returns among the threads.
    page.locator("#indicator-text").scroll_into_view_if_needed()
    drag_over(page, "indicator-text", "taken by")
    page.get_by_role("button", name="Comment on the selected words").click()
    page.get_by_role("button", name="Put the form back").click()
    expect(page.locator("#comments #new-comment")).to_have_count(1)
    expect(page.get_by_label("Quoted words (optional)")).to_have_value("taken by")

    # The "Comment" link of the next step opens the form under the text as well.
    page.locator("#next-step").get_by_role("link", name="Comment", exact=True).click()
    expect(page.locator(".text-with-comments + #new-comment")).to_have_count(1)
    expect(page.get_by_label("Your comment")).to_be_focused()
    expect(form).to_be_in_viewport()


def test_the_round_page_download_is_a_form_like_the_others_and_keeps_paragraphs(
    page: Any,
    live_server: str,
    world: World,
    settled: Discussion,  # noqa: F811
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    browser_log_in(page, live_server, world.member)
    page.goto(f"{live_server}/rounds/{REV1}")
    form = page.locator("#export-form")
    expect(form.locator(".form-title")).to_have_text("Choose the file")
    expect(form.get_by_role("group", name="Comments")).to_be_visible()
    expect(form.get_by_label("Include the open comments")).not_to_be_checked()
    # The buttons line up: one width for all.
    widths = {
        round(b["width"])
        for b in form.locator(".export-list .button").evaluate_all(
            "(buttons) => buttons.map((b) => b.getBoundingClientRect())"
        )
    }
    assert len(widths) == 1, widths
    # The frozen text keeps its line breaks: prose paragraphs stay apart.
    cell = page.locator(".snapshot .col-text .prose-text").first
    assert cell.evaluate("(e) => getComputedStyle(e).whiteSpace") == "pre-line"
    # No developers' words on the round page.
    assert "SHA-256" not in page.locator("main").inner_text()
    assert_no_serious_violations(page)
