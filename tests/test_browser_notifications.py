"""In a real headless Chromium, with mail through a real SMTP server: a co-chair is told that a
settled text awaits their approval, in their morning digest and in the app, follows the mail's
link through the log-in to the approval page, and the notification is then read."""

import re
from datetime import datetime
from typing import Any

import pytest
from playwright.sync_api import expect

from app import worker as background
from app.audit.service import Actor
from app.config import Settings
from app.db import Database
from app.models import RoundKind
from app.rounds import service as rounds
from tests.factories import PASSWORD, World
from tests.helpers import Clock
from tests.mailserver import MailServer
from tests.test_accessibility import assert_no_serious_violations
from tests.test_approvals import add_somtc_chair

pytestmark = pytest.mark.browser
SYMBOL = "DWG-FC/Rev.1"
ASKED = 'Round DWG-FC/Rev.1 "First revision of the indicators..." awaits your approval as co-chair'


def _settled_round(database: Database, clock: Clock) -> None:
    with database.transaction() as s:
        rounds.create_round(
            s,
            Actor.system("test"),
            symbol=SYMBOL,
            title="First revision of the indicators on forced criminality",
            kind=RoundKind.WRITTEN,
            time_zone="Asia/Jakarta",
            deadline=None,
            opens_at=None,
            instructions="",
            observers_may_comment=False,
            now=clock.now,
        )
        for move in ("issue", "close", "consult"):
            getattr(rounds, f"{move}_round")(s, Actor.system("test"), SYMBOL, now=clock.now)
        left = rounds.outstanding(s, rounds.get_round(s, SYMBOL))
        rounds.settle_round(
            s,
            Actor.system("test"),
            SYMBOL,
            now=clock.now,
            carry_over=rounds.CarryOver.everything(left),
        )


def _link_after(text: str, message: str) -> str:
    """In a digest's text, the link listed under `message`."""
    block = text.split(message, 1)[1]
    found = re.search(r"https?://\S+", block)
    assert found, text
    return found.group(0)


def test_a_co_chair_is_asked_to_approve_by_mail_and_in_the_app(
    page: Any,
    live_server: str,
    database: Database,
    world: World,
    settings: Settings,
    clock: Clock,
    mail_server: MailServer,
) -> None:
    add_somtc_chair(database, clock)  # the AICHR chair and this one co-chair by default
    _settled_round(database, clock)  # Monday 2 March, 16:00 in Jakarta
    smtp = mail_server.settings_for(settings, base_url=live_server)
    background.run_once(database, smtp, clock)
    assert mail_server.to(World.chair) == []  # the chair chose nothing: a daily digest, at 08:00

    clock.now = datetime.fromisoformat("2026-03-03T01:00:00+00:00")  # 08:00 in Jakarta
    background.run_once(database, smtp, clock)
    (mail,) = mail_server.to(World.chair)
    assert mail.subject == "Your daily zerodraft digest: 3 new notifications"
    assert ASKED in mail.text
    assert (
        "What to do: Review the settled text and what changed since the last approved round, "
        "then approve it with the meeting's or decision's reference." in mail.text
    )
    assert mail.html is not None and ASKED.replace('"', "&#34;") in mail.html
    link = _link_after(mail.text, ASKED)
    assert re.fullmatch(rf"{live_server}/notifications/\d+/open", link)

    # The link in the mail, in a browser not yet logged in: log in, then straight to the text.
    page.goto(link)
    page.wait_for_url(re.compile(r".*/login\?next="))
    page.get_by_label("E-mail address").fill(World.chair)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server}/rounds/DWG-FC/Rev.1/approve")
    expect(page.get_by_role("heading", name=f"Approval of {SYMBOL}")).to_be_visible()
    expect(page.get_by_role("button", name="Approve this text")).to_be_visible()

    # In the app: the notification is listed, with what to do, and it is read now.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Notifications").click()
    asked = page.locator(".notification", has_text="awaits your approval as co-chair")
    expect(asked).to_have_count(1)
    expect(asked.get_by_text("Review the settled text")).to_be_visible()
    expect(asked.locator(".tag-new")).to_have_count(0)
    assert_no_serious_violations(page)
    unread = page.locator(".notification.is-unread")
    expect(unread).to_have_count(2)  # the round's issue and its closing, not opened yet
    # Opening another from the list marks it read too.
    unread.first.get_by_role("link").click()
    page.wait_for_url(f"{live_server}/rounds/DWG-FC/Rev.1")
    page.go_back()
    page.reload()
    expect(page.locator(".notification.is-unread")).to_have_count(1)
