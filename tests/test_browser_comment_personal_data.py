"""Victim protection on entry (issue 21) in a real headless Chromium (the conftest's browser:
executable_path=/usr/bin/chromium): a delegate writes a comment with a phone number, is shown
what was found and why, generalises it and saves."""

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import World
from tests.helpers import browser_log_in

pytestmark = pytest.mark.browser
ITEM = "/indicators/FC-CD-01"


def test_delegate_generalises_a_phone_number_the_check_found(
    page: Any, live_server: str, world: World
) -> None:
    browser_log_in(page, live_server, world.member)
    page.goto(f"{live_server}{ITEM}")
    body = page.get_by_label("Your comment")
    body.fill("The recruiter in this case answered on +66 81 234 5678 every evening.")
    page.get_by_role("button", name="Add comment").click()

    # Not saved: the form is back with the text, the finding and the box.
    findings = page.locator("#comment-body-findings")
    expect(findings).to_be_visible()
    expect(findings.locator("mark")).to_have_text("+66 81 234 5678")
    expect(findings).to_contain_text("Phone number")
    expect(findings).to_contain_text("a phone number")
    expect(page.locator("#comment-body-error")).to_contain_text("may hold personal data")
    expect(
        page.get_by_label("I checked: this is not personal data / it is needed")
    ).not_to_be_checked()
    body = page.get_by_label("Your comment")
    expect(body).to_have_value(
        "The recruiter in this case answered on +66 81 234 5678 every evening."
    )

    # Generalised as suggested, it is saved without a question.
    body.fill("The recruiter in this case answered on a phone number every evening.")
    page.get_by_role("button", name="Add comment").click()
    expect(page).to_have_url(re.compile(r"/indicators/FC-CD-01#comment-\d+$"))
    expect(page.locator(".thread").last).to_contain_text("answered on a phone number")
    expect(page.locator("body")).not_to_contain_text("+66 81 234 5678")


def test_the_i_checked_box_sits_beside_its_label(page: Any, live_server: str, world: World) -> None:
    """Like every other checkbox: on the label's line, to its left, not on a line of its own."""
    browser_log_in(page, live_server, world.member)
    page.goto(f"{live_server}{ITEM}")
    page.get_by_label("Your comment").fill("Call the broker on +66 81 234 5678.")
    page.get_by_role("button", name="Add comment").click()
    box = page.get_by_label("I checked: this is not personal data / it is needed")
    expect(box).to_be_visible()
    label = page.locator("label", has_text="I checked: this is not personal data")
    at, words = box.bounding_box(), label.bounding_box()
    assert at["x"] + at["width"] <= words["x"], (at, words)  # to the left of the label
    middle = at["y"] + at["height"] / 2
    assert words["y"] <= middle <= words["y"] + words["height"], (at, words)  # on its line
