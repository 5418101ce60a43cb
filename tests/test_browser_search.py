"""Search from the header in a real headless Chromium (issue 18): a member types in the box every
page has, presses Enter, and reads the results with the words found marked; the page's filters
narrow them, and what the member may not see is not there."""

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import World
from tests.helpers import browser_log_in

pytestmark = pytest.mark.browser


def test_a_member_searches_from_the_header_of_any_page(
    page: Any, live_server: str, world: World
) -> None:
    browser_log_in(page, live_server, world.member)
    page.goto(f"{live_server}/indicators/FC-CD-02")
    box = page.get_by_role("search").get_by_label("Search the register, proposals and comments")
    box.fill("passports")
    # What is typed shows: the top bar's white text colour is not inherited by the white box.
    color, background, border = box.evaluate(
        "e => { const s = getComputedStyle(e);"
        " return [s.color, s.backgroundColor, s.borderLeftColor]; }"
    )
    assert color != background, (color, background)
    assert border != background, (border, background)
    # On a 320 px phone the header has no room for the box: a Search link leads to the page's.
    page.set_viewport_size({"width": 320, "height": 640})
    expect(box).to_be_hidden()
    nav_search = page.get_by_role("navigation", name="Main").get_by_role("link", name="Search")
    nav_search.scroll_into_view_if_needed()
    expect(nav_search).to_be_in_viewport()
    expect(nav_search).to_have_attribute("href", "/search")
    page.set_viewport_size({"width": 1280, "height": 720})
    expect(nav_search).to_be_hidden()
    box.press("Enter")
    expect(page).to_have_url(f"{live_server}/search?q=passports")
    results = page.get_by_role("list", name="Results")
    first = results.locator("li").first
    expect(first.get_by_role("link")).to_have_attribute("href", "/indicators/FC-CD-01")
    expect(first.locator("mark")).to_have_text("Passport")
    expect(page.locator("#search-count")).to_have_text("1 result.")
    # The header box keeps the question; the page's own form narrows it.
    expect(box).to_have_value("passports")
    page.locator("#search-q").fill('"guarded compound"')
    page.locator("#search-kind").select_option("indicator")
    page.get_by_role("button", name="Search", exact=True).last.click()
    expect(results.locator("li")).to_have_count(1)
    expect(results).to_contain_text("FC-CD-02")
    # An empty question is refused beside the field, not answered with everything.
    page.locator("#search-q").fill(" ")
    page.get_by_role("button", name="Search", exact=True).last.click()
    expect(page.locator(".error-summary")).to_contain_text("Type something to search for")


def test_the_near_duplicate_list_as_you_type_offers_open_and_amend_in_new_tabs(
    page: Any, live_server: str, world: World
) -> None:
    browser_log_in(page, live_server, world.member)
    page.goto(f"{live_server}/proposals/new?kind=add&item_kind=indicator&dimension=CD")
    expect(page.locator("#similar-when")).to_have_text("Checked as you type.")
    box = page.get_by_label("Text of the indicator")
    box.fill("The passport or the personal phone was taken away by the operators")
    box.dispatch_event("input")
    first = page.locator("#similar-results li").first
    opener = first.get_by_role("link", name="Open FC-CD-01 (opens in a new tab)")
    expect(opener).to_have_attribute("href", "/indicators/FC-CD-01")
    expect(opener).to_have_attribute("target", "_blank")
    amend = first.get_by_role("link", name="Propose an amendment to FC-CD-01")
    expect(amend).to_have_attribute("href", "/proposals/new?kind=amend&item=FC-CD-01")
    expect(amend).to_have_attribute("target", "_blank")
