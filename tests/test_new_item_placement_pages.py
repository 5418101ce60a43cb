"""A new indicator placed after another, through the pages (issue 15, item 3): the proposal
form's "Place it after" field (default: the end of the dimension; checked, with the problem
shown beside the field), the proposal page and the decision queue say where it goes, and once
agreed the register shows it there."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from app.db import Database
from tests.factories import World, token_for
from tests.helpers import Clock, browser_log_in, log_in, post, summary, text_of
from tests.test_new_item_placement_api import NEW_TEXT, agree
from tests.test_proposal_pages import NEW, open_new, proposal_id
from tests.test_register_pages import form_fields
from tests.test_workflow_api import Api


def codes_in_order(html: str) -> list[str]:
    """The item codes of the register table, top to bottom."""
    return re.findall(r'<a href="/indicators/(FC-[A-Z]{2}-\d\d)"', html)


def test_a_new_indicator_proposed_after_an_item_through_the_form(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    log_in(client, world.member)
    # From the indicator's page: "add a new indicator after it".
    panel = client.get("/indicators/FC-CD-01").text
    assert "/proposals/new?kind=add&amp;after=FC-CD-01" in panel
    fields = open_new(client, "kind=add&after=FC-CD-01")
    assert (fields["dimension"], fields["after"]) == ("CD", "FC-CD-01")
    page = client.get(f"{NEW}?kind=add").text
    assert '<option value="">At the end of its dimension</option>' in page
    assert re.search(r'<optgroup label="Control at destination">\s*<option value="FC-CD-01"', page)

    fields |= {"text": NEW_TEXT, "strength_adult": "medium", "action": "submit"}
    pid = proposal_id(post(client, NEW, fields))
    shown = client.get(f"/proposals/{pid}").text
    placement = text_of(shown.split('id="placement"', 1)[1].split("</dd>", 1)[0])
    assert "After FC-CD-01" in placement
    assert "New indicator after FC-CD-01" in text_of(shown)

    # The secretariat's queue, in the order of the draft: the new indicator waits between the
    # proposals on FC-CD-01 and those on FC-CD-02, not after everything.
    member = Api(client, token_for(database, world.member, clock.now))
    for code in ("FC-CD-02", "FC-CD-01"):
        amended = member.post(
            "/proposals",
            {"kind": "amend", "targets": [code], "content": {"text": "Reworded"}, "submit": True},
        )
        assert amended.status_code == 201, amended.text
    secretariat = TestClient(client.app)
    log_in(secretariat, world.secretariat)
    queue = text_of(secretariat.get("/queue").text)
    headings = re.findall(r"(FC-CD-0\d \d proposal|New items after FC-CD-01)", queue)
    assert headings == ["FC-CD-01 1 proposal", "New items after FC-CD-01", "FC-CD-02 1 proposal"]

    sec = Api(client, token_for(database, world.secretariat, clock.now))
    assert agree(sec, pid).status_code == 200
    register = client.get("/register").text
    assert codes_in_order(register) == ["FC-DR-01", "FC-CD-01", "FC-CD-03", "FC-CD-02"]


def test_the_place_is_checked_and_the_problem_shown_beside_the_field(
    client: TestClient, world: World
) -> None:
    log_in(client, world.member)
    fields = open_new(client, "kind=add") | {
        "text": NEW_TEXT,
        "dimension": "CD",
        "after": "FC-DR-01",
        "action": "submit",
    }
    refused = post(client, NEW, fields)
    assert refused.status_code == 422
    problems = dict(summary(refused.text))
    assert "another dimension" in problems["after"]
    assert 'id="after-error"' in refused.text
    # What the person typed is kept, and the choice too.
    assert NEW_TEXT in refused.text
    assert '<option value="FC-DR-01" selected>' in refused.text

    unknown = post(client, NEW, fields | {"after": "FC-CD-77"})
    assert unknown.status_code == 422
    assert "from the list" in dict(summary(unknown.text))["after"]

    at_end = proposal_id(post(client, NEW, fields | {"after": ""}))
    placement = client.get(f"/proposals/{at_end}").text.split('id="placement"', 1)[1]
    assert "At the end of its dimension" in placement.split("</dd>", 1)[0]


def test_the_place_is_changed_in_the_edit_form(client: TestClient, world: World) -> None:
    log_in(client, world.member)
    fields = open_new(client, "kind=add&after=FC-CD-02") | {
        "text": NEW_TEXT,
        "action": "draft",
    }
    pid = proposal_id(post(client, NEW, fields))
    edit_page = client.get(f"/proposals/{pid}/edit")
    assert '<option value="FC-CD-02" selected>' in edit_page.text
    edit = form_fields(edit_page.text, f"/proposals/{pid}/edit")
    saved = post(client, f"/proposals/{pid}/edit", edit | {"after": "FC-CD-01", "action": "save"})
    assert saved.status_code == 303, saved.text
    placement = client.get(f"/proposals/{pid}").text.split('id="placement"', 1)[1]
    assert "After" in placement.split("</dd>", 1)[0] and "FC-CD-01" in placement.split("</dd>")[0]
    again = form_fields(client.get(f"/proposals/{pid}/edit").text, f"/proposals/{pid}/edit")
    assert again["after"] == "FC-CD-01"
    wrong = post(client, f"/proposals/{pid}/edit", again | {"after": "FC-DR-01", "action": "save"})
    assert wrong.status_code == 422
    assert "after" in dict(summary(wrong.text))


@pytest.mark.browser
def test_in_a_browser_the_new_indicator_is_placed_from_the_item_page(
    page: Any, live_server: str, world: World, database: Database, clock: Clock, client: TestClient
) -> None:
    """Headless Chromium: from FC-CD-02's page, "add a new indicator after it", change the
    place to after FC-CD-01 in the form, submit; the proposal page says where it goes."""
    browser_log_in(page, live_server, world.member)
    page.goto(f"{live_server}/indicators/FC-CD-02")
    page.get_by_role("link", name="add a new indicator after it").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Propose a new indicator")
    place = page.get_by_label("Place it after")
    expect(place).to_have_value("FC-CD-02")
    expect(page.get_by_label("Dimension")).to_have_value("CD")
    page.get_by_label("Text of the indicator").fill(NEW_TEXT)
    place.select_option("FC-CD-01")
    page.get_by_role("button", name="Submit proposal").click()
    page.wait_for_url(re.compile(r".*/proposals/\d+\?done=submitted"))
    expect(page.locator("#placement")).to_have_text("After FC-CD-01")
    pid = int(re.search(r"/proposals/(\d+)", page.url).group(1))  # type: ignore[union-attr]

    sec = Api(client, token_for(database, world.secretariat, clock.now))
    assert agree(sec, pid).status_code == 200
    page.goto(f"{live_server}/register")
    codes = page.locator("a[href^='/indicators/FC-']").all_inner_texts()
    assert [c for c in codes if c.startswith("FC-")][:4] == [
        "FC-DR-01",
        "FC-CD-01",
        "FC-CD-03",
        "FC-CD-02",
    ]
