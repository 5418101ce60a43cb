"""Near-duplicates in a real headless Chromium (issue 18): a member typing a new indicator sees,
without pressing anything, the existing indicators that say nearly the same, with how close."""

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import World
from tests.helpers import browser_log_in

pytestmark = pytest.mark.browser


def test_a_member_typing_a_new_indicator_sees_the_similar_ones(
    page: Any, live_server: str, world: World
) -> None:
    browser_log_in(page, live_server, world.member)
    page.goto(f"{live_server}/proposals/new?kind=add&item_kind=indicator&dimension=CD")
    results = page.locator("#similar-results")
    expect(results.locator("li")).to_have_count(0)
    page.get_by_label("Text of the indicator").press_sequentially(
        "The operators took away the passport and the personal phone", delay=5
    )
    first = results.locator("li").first
    expect(first.get_by_role("link", name="FC-CD-01", exact=True)).to_have_attribute(
        "href", "/indicators/FC-CD-01"
    )
    expect(first).to_contain_text("Passport or personal phone taken by the operators")
    expect(first.locator(".closeness")).to_contain_text("%")
    expect(results).not_to_contain_text("FC-DR-01")
