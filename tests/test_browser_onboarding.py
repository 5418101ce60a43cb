"""The whole way in, in a real headless Chromium with mail through a real SMTP server: the admin
invites a co-chair from the People page; the invitation goes out by the worker; the co-chair
opens the mail's link, chooses a password, sets up the authenticator app their role requires
(reading the key from the page, as a person types it into their phone), keeps the recovery
codes and arrives logged in; later they log in again with a code from the app."""

import re
from typing import Any

import pyotp
import pytest
from playwright.sync_api import expect

from app import worker as background
from app.config import Settings
from app.db import Database
from tests.factories import World
from tests.helpers import Clock, browser_log_in
from tests.mailserver import HOST, MailServer

pytestmark = pytest.mark.browser
INVITEE = "co.chair@asean.test"
NEW_PASSWORD = "Mekong delta 2026 rains"


def _code(secret: str, clock: Clock) -> str:
    # The app's clock is the test's: the code is the one a phone shows at that moment.
    return pyotp.TOTP(secret).at(clock.now)


def test_an_invited_co_chair_joins_sets_up_a_second_factor_and_logs_in(
    browser: Any,
    live_server: str,
    settings: Settings,
    database: Database,
    world: World,
    clock: Clock,
    mail_server: MailServer,
) -> None:
    settings.base_url = live_server
    settings.smtp_host, settings.smtp_port, settings.smtp_starttls = HOST, mail_server.port, False
    # Co-chairs must have a second factor (the test world's admin has none, so not admins).
    settings.mfa_required_roles = "chair"

    # The admin invites the co-chair.
    admin = browser.new_context().new_page()
    admin.set_default_timeout(10_000)
    browser_log_in(admin, live_server, world.admin)
    admin.goto(f"{live_server}/admin/people")
    admin.get_by_role("link", name="Invite a person").click()
    admin.get_by_label("E-mail address").fill(INVITEE)
    admin.get_by_label("Full name").fill("Chanthavy Vongsa")
    admin.get_by_label("Role").select_option("chair")
    admin.get_by_role("button", name="Send the invitation").click()
    expect(admin.locator("main")).to_contain_text(INVITEE)

    # The worker sends it; it arrives once, with a link to this site.
    background.run_once(database, settings, clock)
    (mail,) = mail_server.to(INVITEE)
    assert mail.html is not None and "Chanthavy Vongsa" in mail.text
    link = mail.link_to("/invitation/")
    assert link.startswith(f"{live_server}/invitation/")

    # The co-chair follows it in their own browser.
    page = browser.new_context().new_page()
    page.set_default_timeout(10_000)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome to zerodraft")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password and continue").click()

    # Their role needs a second factor: set up before any session exists.
    page.wait_for_url(re.compile(r".*/login/enrol.*"))
    secret = re.sub(r"\s+", "", page.locator("#totp-secret").inner_text())
    page.get_by_label("Code from your authenticator app").fill(_code(secret, clock))
    page.get_by_role("button", name="Set up the authenticator app").click()
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10 and len(set(codes)) == 10
    page.get_by_role("button", name="I have saved these codes").click()
    page.wait_for_url(re.compile(r".*/register.*"))
    expect(page.locator("header")).to_contain_text("Chanthavy Vongsa")

    # The link worked once.
    page.goto(link)
    expect(page.locator("main")).to_contain_text("already been used")

    # Later: password, then a code from the app (a new one: a used code is refused).
    page.context.clear_cookies()
    clock.advance(minutes=5)
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail address").fill(INVITEE)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/login/verify.*"))
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(
        _code(secret, clock)
    )
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r".*/register.*"))
    expect(page.locator("header")).to_contain_text("Chanthavy Vongsa")
