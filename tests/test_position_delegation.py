"""A member who speaks for two delegations (PH-SOMTC and PH-ACWC) records a position on an
indicator for the second: the page they come back to says so and keeps that delegation chosen in
"On behalf of", so the next position does not silently speak for the other one. The indicator's
body is cached for everyone with the same audience: the choice is this request's, not the
fragment's."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from tests.factories import World
from tests.helpers import browser_log_in, log_in, post, text_of
from tests.test_register_pages import form_fields

ITEM = "/indicators/FC-CD-01"
SELECT = re.compile(r'<select id="item-position-delegation".*?</select>', re.S)


def _selected(html: str) -> list[str]:
    match = SELECT.search(html)
    assert match is not None
    return re.findall(r'<option value="([^"]+)" selected>', match.group())


def test_the_delegation_just_spoken_for_stays_chosen(client: TestClient, world: World) -> None:
    log_in(client, world.member)
    first = client.get(ITEM).text
    assert _selected(first) == []  # the browser shows the first: nothing chosen yet
    fields = form_fields(first, "/items/FC-CD-01/position")
    response = post(
        client,
        "/items/FC-CD-01/position",
        fields | {"delegation": "PH-SOMTC", "stance": "objection", "statement": ""},
    )
    assert response.status_code == 303
    page = client.get(response.headers["location"]).text
    assert "PH-SOMTC now:" in page
    assert _selected(page) == ["PH-SOMTC"]
    # The same cached body, another choice, and no placeholder left in either.
    again = client.get(f"{ITEM}?done=position&delegation=PH-ACWC").text
    assert _selected(again) == ["PH-ACWC"]
    assert "zdpick" not in page and "zdpick" not in again
    # A delegation the person does not speak for, or nonsense, chooses nothing.
    for other in ("TH-SOMTC", "ID-AICHR", "<b>", ""):
        html = client.get(ITEM, params={"done": "position", "delegation": other}).text
        assert _selected(html) == [], other
    # Someone with one delegation: nothing to carry.
    log_in(client, world.member3)
    fields = form_fields(client.get(ITEM).text, "/items/FC-CD-01/position")
    alone = post(client, "/items/FC-CD-01/position", fields | {"stance": "support"})
    assert alone.headers["location"] == f"{ITEM}?done=position#positions"


@pytest.mark.browser
def test_in_a_browser_on_behalf_of_stays_on_the_delegation_used(
    page: Any, live_server: str, world: World
) -> None:
    browser_log_in(page, live_server, world.member)
    page.goto(f"{live_server}{ITEM}")
    form = page.locator("#item-position-form")
    form.get_by_label("On behalf of").select_option("PH-SOMTC")
    form.get_by_label("Objection").check()
    form.get_by_role("button", name="Record position").click()
    expect(page).to_have_url(re.compile(r"done=position"))
    expect(page.locator("#item-position-form")).to_contain_text("PH-SOMTC now: Objection")
    expect(page.locator("#item-position-delegation")).to_have_value("PH-SOMTC")


def test_the_drafting_state_is_announced_once(client: TestClient, world: World) -> None:
    """The positions panel writes "Drafting state:" beside the tag; the tag's hidden label (for
    where it stands alone, as in the status line) is not read a second time."""
    log_in(client, world.member)
    words = text_of(client.get(ITEM).text)
    assert "Drafting state: Open" in words
    assert "Drafting state: Drafting state" not in words
