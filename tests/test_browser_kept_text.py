"""Typed work is never lost, in a real headless Chromium: a form sent with an out-of-date
security token comes back with what was typed, a form sent after the session ended comes back
with the text once the person has logged in again (both without JavaScript), and what is typed
is kept in the browser and offered back after the tab was closed."""

import re
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from app.config import Settings
from app.web.kept import ENDED, EXPIRED
from tests.factories import World
from tests.helpers import PASSWORD, Clock, browser_log_in
from tests.test_accessibility import assert_no_serious_violations

pytestmark = pytest.mark.browser
ITEM = "/indicators/FC-CD-01"
PROPOSED = "Passport or personal phone confiscated by the operators"
RATIONALE = "Confiscated is the term of ACTIP.\n\nSecond paragraph: it keeps its blank line."
COMMENT = "Too narrow: tablets and laptops are taken too.\nAnd SIM cards."


def _no_script_page(browser: Any) -> Any:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def _drafts(page: Any) -> list[str]:
    """The keys of the drafts this browser keeps."""
    keys: list[str] = page.evaluate(
        "() => Object.keys(localStorage).filter((k) => k.startsWith('zd-draft:'))"
    )
    return keys


def _wait_for_draft(page: Any, ending: str) -> None:
    """Until a draft whose key ends with `ending` is kept (the page saves after a pause)."""
    deadline = time.monotonic() + 10
    while not any(key.endswith(ending) for key in _drafts(page)):
        assert time.monotonic() < deadline, f"no draft ending {ending!r}: {_drafts(page)}"
        time.sleep(0.1)


def _log_in_here(page: Any, email: str) -> None:
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_proposal_sent_with_an_expired_form_comes_back_with_its_text(
    browser: Any, live_server: str, world: World
) -> None:
    page = _no_script_page(browser)
    try:
        browser_log_in(page, live_server, world.member)
        page.goto(f"{live_server}{ITEM}")
        page.get_by_role("link", name="Propose an amendment").click()
        page.get_by_label("Text of the indicator").fill(PROPOSED)
        page.get_by_label("For children").select_option("medium")
        page.get_by_label("Your delegation's rationale").fill(RATIONALE)

        # Meanwhile the person logs in again in another tab: the session, and so the token
        # of every form already open, is a new one.
        other = page.context.new_page()
        browser_log_in(other, live_server, world.member)
        other.close()

        page.get_by_role("button", name="Submit proposal").click()
        notice = page.get_by_role("alert")
        expect(notice).to_contain_text(EXPIRED)
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Propose an amendment to FC-CD-01"
        )
        expect(page.get_by_label("Text of the indicator")).to_have_value(PROPOSED)
        expect(page.get_by_label("For children")).to_have_value("medium")
        expect(page.get_by_label("Your delegation's rationale")).to_have_value(RATIONALE)
        # The link in the message leads to the form.
        notice.get_by_role("link", name="Go to your text").click()
        expect(page).to_have_url(re.compile(r"#[\w-]+$"))

        page.get_by_role("button", name="Submit proposal").click()
        expect(page).to_have_url(re.compile(r"/proposals/\d+\?done=submitted$"))
        expect(page.locator("#confirmation")).to_contain_text("submitted")
        expect(page.locator("main")).to_contain_text("confiscated")
        expect(page.locator("main")).to_contain_text("Second paragraph: it keeps its blank line.")
    finally:
        page.context.close()


def test_a_comment_sent_after_the_session_ended_comes_back_after_logging_in(
    browser: Any, live_server: str, world: World, clock: Clock, settings: Settings
) -> None:
    page = _no_script_page(browser)
    try:
        browser_log_in(page, live_server, world.member)
        page.goto(f"{live_server}{ITEM}")
        page.get_by_label("Your comment").fill(COMMENT)
        page.get_by_label("Substantive").check()
        # The person went away; the session ended meanwhile.
        clock.advance(minutes=settings.session_idle_minutes + 1)
        page.get_by_role("button", name="Add comment").click()

        expect(page).to_have_url(re.compile(r"/login\?next=/kept/[\w-]+$"))
        expect(page.locator("#login-notice")).to_contain_text(
            "Your session had ended before your form was sent. What you typed is kept"
        )
        _log_in_here(page, world.member)

        expect(page).to_have_url(re.compile(r"/kept/[\w-]+$"))
        expect(page.get_by_role("alert")).to_contain_text(ENDED)
        expect(page.locator("#indicator-text")).to_contain_text("personal phone")
        expect(page.get_by_label("Your comment")).to_have_value(COMMENT)
        # Only the text is given back: the choices are the page's own, made again.
        expect(page.get_by_label("Substantive")).not_to_be_checked()
        page.get_by_label("Substantive").check()

        page.get_by_role("button", name="Add comment").click()
        expect(page).to_have_url(re.compile(r"/indicators/FC-CD-01#comment-1$"))
        expect(page.locator("#comment-1")).to_contain_text("And SIM cards.")
    finally:
        page.context.close()


def test_typed_text_is_offered_back_after_the_tab_was_closed(
    page: Any, live_server: str, world: World
) -> None:
    browser_log_in(page, live_server, world.member)
    context = page.context

    # A comment typed, then the tab closed before it was sent.
    page.goto(f"{live_server}{ITEM}")
    page.get_by_label("Your comment").fill(COMMENT)
    _wait_for_draft(page, "|comment-body")
    page.close()

    page = context.new_page()
    page.goto(f"{live_server}{ITEM}")
    box = page.get_by_label("Your comment")
    expect(box).to_have_value("")
    restore = page.get_by_role("button", name=re.compile(r"^Restore your unsent text from "))
    expect(restore).to_be_visible()
    assert_no_serious_violations(page)
    restore.click()
    expect(box).to_have_value(COMMENT)
    expect(restore).to_have_count(0)
    page.get_by_label("Substantive").check()
    page.get_by_role("button", name="Add comment").click()
    expect(page).to_have_url(re.compile(r"/indicators/FC-CD-01#comment-1$"))
    # Sent and accepted: the draft is gone, and nothing is offered any more.
    assert _drafts(page) == []
    page.goto(f"{live_server}{ITEM}")
    expect(page.get_by_label("Your comment")).to_have_value("")
    expect(page.get_by_role("button", name=re.compile(r"^Restore your unsent"))).to_have_count(0)

    # A proposal's text, typed and lost with a closed tab: restoring it brings the live
    # comparison up to date as well.
    page.goto(f"{live_server}{ITEM}")
    page.get_by_role("link", name="Propose an amendment").click()
    propose_url = page.url
    text = page.get_by_label("Text of the indicator")
    text.fill(PROPOSED)
    _wait_for_draft(page, "|text")
    page.close()

    page = context.new_page()
    page.goto(propose_url)
    text = page.get_by_label("Text of the indicator")
    expect(text).to_have_value("Passport or personal phone taken by the operators")
    page.get_by_role("button", name=re.compile(r"^Restore your unsent text from ")).click()
    expect(text).to_have_value(PROPOSED)
    expect(page.locator("#live-preview ins")).to_contain_text("confiscated")

    # Logging out forgets every draft of this browser.
    page.get_by_label("Your delegation's rationale").fill(RATIONALE)
    _wait_for_draft(page, "|rationale")
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    assert _drafts(page) == []


def test_the_pages_that_give_text_back_pass_axe_with_scripts_on(
    page: Any, live_server: str, world: World, clock: Clock, settings: Settings
) -> None:
    browser_log_in(page, live_server, world.member)
    page.goto(f"{live_server}{ITEM}")
    page.get_by_label("Your comment").fill(COMMENT)
    clock.advance(minutes=settings.session_idle_minutes + 1)
    page.get_by_role("button", name="Add comment").click()
    expect(page.locator("#login-notice")).to_be_visible()
    assert_no_serious_violations(page)
    _log_in_here(page, world.member)
    expect(page).to_have_url(re.compile(r"/kept/[\w-]+$"))
    expect(page.get_by_label("Your comment")).to_have_value(COMMENT)
    # The text came back from the server: the browser's own draft of it is not offered too.
    expect(page.get_by_role("button", name=re.compile(r"^Restore your unsent"))).to_have_count(0)
    assert_no_serious_violations(page)
    page.get_by_label("General", exact=True).check()
    page.get_by_role("button", name="Add comment").click()
    expect(page).to_have_url(re.compile(r"/indicators/FC-CD-01#comment-1$"))
    assert _drafts(page) == []


def test_a_browser_shared_by_two_people_offers_each_only_their_own_text(
    page: Any, live_server: str, world: World, clock: Clock, settings: Settings
) -> None:
    """Drafts are kept per person (an opaque name of who is logged in on the page's body, not
    their e-mail): the next person at the same browser is not offered the text of the last."""
    browser_log_in(page, live_server, world.member)
    page.goto(f"{live_server}{ITEM}")
    owner = page.locator("body").get_attribute("data-drafts")
    assert owner and re.fullmatch(r"[0-9a-f]{24}", owner) and "@" not in owner
    page.get_by_label("Your comment").fill(COMMENT)
    _wait_for_draft(page, "|comment-body")
    assert [key.split("|")[0] for key in _drafts(page)] == [f"zd-draft:{owner}"]

    # The person walks away without logging out; another logs in at the same browser.
    clock.advance(minutes=settings.session_idle_minutes + 1)
    browser_log_in(page, live_server, world.member2)
    page.goto(f"{live_server}{ITEM}")
    assert page.locator("body").get_attribute("data-drafts") not in (owner, None)
    expect(page.get_by_label("Your comment")).to_have_value("")
    offer = page.get_by_role("button", name=re.compile(r"^Restore your unsent"))
    expect(offer).to_have_count(0)

    # Back to the first person: their text is offered to them.
    clock.advance(minutes=settings.session_idle_minutes + 1)
    browser_log_in(page, live_server, world.member)
    page.goto(f"{live_server}{ITEM}")
    expect(offer).to_have_count(1)
    offer.click()
    expect(page.get_by_label("Your comment")).to_have_value(COMMENT)
