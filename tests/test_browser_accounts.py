"""Accounts in a real headless Chromium, as people use them: an invited person follows the
link in their mail, chooses a password and is in; a person who forgot their password asks for
a link from the log-in page, follows it, sets a new one and logs in with it; a member changes
how mail reaches them on the account page."""

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts import invitations
from app.audit.service import Actor
from app.config import Settings
from app.db import Database
from app.models import MailFrequency, OutboxMessage, Role, User
from tests.factories import World
from tests.helpers import Clock, browser_log_in
from tests.test_accessibility import assert_no_serious_violations

pytestmark = pytest.mark.browser

NEW_PASSWORD = "monsoon-lantern-teak-harbour"


@pytest.fixture
def site(live_server: str, settings: Settings) -> str:
    # Links in mails start with the address people open zerodraft at.
    settings.base_url = live_server
    return live_server


def mailed_link(database: Database, to: str, kind: str) -> str:
    """The link in the newest mail of `kind` to `to`, from its plain-text part."""
    with database.transaction() as s:
        mail = s.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.to_address == to, OutboxMessage.kind == kind)
            .order_by(OutboxMessage.id.desc())
        ).first()
        assert mail is not None, f"no {kind} mail to {to}"
        found = re.search(r"http://127\.0\.0\.1:\d+/\S+", mail.text_body)
        assert found, mail.text_body
        return found.group(0)


def test_an_invited_person_follows_the_link_sets_a_password_and_is_in(
    page: Any, site: str, database: Database, settings: Settings, clock: Clock, world: World
) -> None:
    with database.transaction() as s:
        secretariat = s.scalar(select(User.id).where(User.email == world.secretariat))
        invitations.invite(
            s,
            Actor(secretariat, None, "test"),
            email="rina.wijaya@kemlu.go.id",
            name="Rina Wijaya",
            role=Role.MEMBER,
            delegation_codes=["ID-AICHR"],
            now=clock.now,
            settings=settings,
            inviter_role=Role.SECRETARIAT,
        )
    link = mailed_link(database, "rina.wijaya@kemlu.go.id", "invitation")
    assert link.startswith(f"{site}/invitation/")

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to zerodraft, Rina Wijaya")
    expect(page.locator("dl.facts")).to_contain_text("Indonesia - AICHR (ID-AICHR)")
    assert_no_serious_violations(page)
    # A mismatch first: the page says so and keeps the person on the form.
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD + "x")
    page.get_by_role("button", name="Set password and continue").click()
    expect(page.get_by_role("alert")).to_contain_text("The two passwords are not the same.")
    assert_no_serious_violations(page)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password and continue").click()

    page.wait_for_url(re.compile(r".*/register$"))
    expect(page.locator(".who-name")).to_have_text("Rina Wijaya")
    # The link is spent.
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("This invitation cannot be used")
    # From now on the password is the way in.
    page.goto(f"{site}/register")
    page.get_by_role("button", name="Log out").click()
    browser_log_in(page, site, "rina.wijaya@kemlu.go.id", NEW_PASSWORD)


def test_a_person_resets_a_forgotten_password_from_the_log_in_page(
    page: Any, site: str, database: Database, world: World
) -> None:
    page.goto(f"{site}/login")
    page.get_by_role("link", name=re.compile("Forgot")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Forgotten password")
    assert_no_serious_violations(page)
    page.get_by_label("E-mail address").fill(world.member)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"If an account exists for {world.member}, we have sent a link"
    )

    page.goto(mailed_link(database, world.member, "password_reset"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    assert_no_serious_violations(page)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the new password").click()

    page.wait_for_url(re.compile(r".*/login\?done=reset$"))
    expect(page.get_by_role("status")).to_contain_text("Log in with the new password")
    browser_log_in(page, site, world.member, NEW_PASSWORD)
    expect(page.locator(".who-name")).to_have_text("Maria Santos")


def test_a_member_changes_the_mail_preference(
    page: Any, live_server: str, database: Database, world: World
) -> None:
    browser_log_in(page, live_server, world.member)
    page.get_by_role("link", name="Account", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    assert_no_serious_violations(page)
    group = page.get_by_role("group", name="How do you want to receive notifications by mail?")
    expect(group.get_by_label("A daily digest (the default)")).to_be_checked()
    group.get_by_label("A weekly digest").check()
    page.get_by_role("button", name="Save mail preference").click()

    expect(page.get_by_role("status")).to_have_text("Your mail preference was saved.")
    expect(group.get_by_label("A weekly digest")).to_be_checked()
    with database.transaction() as s:
        user = s.scalars(select(User).where(User.email == world.member)).one()
        assert user.mail_frequency is MailFrequency.WEEKLY
