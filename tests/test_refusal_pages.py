"""A page refused for the person's role ("You cannot do this", 403) is a page of the signed-in
site like a 404 or a 422: the header keeps the menu, the person's name and Log out; the reason is
a sentence (capital first); the heading takes the focus, so a screen reader starts there."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from tests.factories import World
from tests.helpers import browser_log_in, log_in

REFUSED = ["/cases/new", "/rating/new", "/meetings/new", "/rounds/new", "/queue", "/audit"]


def _header(html: str) -> str:
    return html.split("<main", 1)[0]


@pytest.mark.parametrize("who", ["member", "observer"])
def test_a_refused_page_keeps_the_header_and_says_a_sentence(
    client: TestClient, world: World, who: str
) -> None:
    email = getattr(world, who)
    log_in(client, email)
    name = {"member": "Maria Santos", "observer": "Olivia Observer"}[who]
    for path in REFUSED:
        response = client.get(path)
        assert response.status_code == 403, (path, response.status_code)
        page = response.text
        assert "You cannot do this" in page
        header = _header(page)
        assert 'aria-label="Main"' in header, path
        assert name in header and "Log out" in header, path
        lead = page.split('<p class="lead">', 1)[1].split("</p>", 1)[0]
        assert lead[:1].isupper(), (path, lead)
        assert '<h1 tabindex="-1" autofocus>' in page
    # and as a 404 page does
    missing = client.get("/indicators/NO-SUCH-99")
    assert missing.status_code == 404
    assert name in _header(missing.text)


@pytest.mark.browser
def test_in_a_browser_the_refusal_heading_has_the_focus(
    page: Any, live_server: str, world: World
) -> None:
    browser_log_in(page, live_server, world.observer)
    for path in ("/queue", "/rounds/new", "/indicators/NO-SUCH-99"):
        page.goto(f"{live_server}{path}")
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_be_focused()
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.goto(f"{live_server}/queue")
    expect(page.locator("p.lead")).to_have_text(
        "Only the secretariat and the co-chairs can decide on proposals"
    )
