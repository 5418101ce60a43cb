"""What people see on the account and admin forms in a real Chromium, checked where an
independent review found something out of place: no stray unlabelled box on the password forms,
no field running out of its panel, the second factor's code ready to type at log-in."""

import re
from typing import Any

import pyotp
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts import invitations
from app.audit.service import Actor, record
from app.config import Settings
from app.db import Database
from app.groups import service as groups
from app.models import Role, User
from tests.factories import PASSWORD, World
from tests.helpers import Clock, browser_log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def site(live_server: str, settings: Settings) -> str:
    settings.base_url = live_server
    return live_server


def test_the_password_forms_show_no_unlabelled_address_box(
    page: Any, site: str, database: Database, settings: Settings, clock: Clock, world: World
) -> None:
    """The address kept for password managers (autocomplete=username) is hidden: shown, it was a
    box without a label above "New password", which invitees took for a field to fill."""
    with database.transaction() as s:
        _, token = invitations.invite(
            s,
            Actor.system("test"),
            email="rina.wijaya@kemlu.go.id",
            name="Rina Wijaya",
            role=Role.MEMBER,
            delegation_codes=["ID-AICHR"],
            now=clock.now,
            settings=settings,
            inviter_role=None,
        )
    page.goto(f"{site}/invitation/{token}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to zerodraft, Rina Wijaya")
    expect(page.locator("input[name=username]")).to_be_hidden()
    expect(page.locator("main input:visible").first).to_have_attribute("id", "password")

    browser_log_in(page, site, world.member)
    page.goto(f"{site}/account")
    expect(page.locator("input[name=username]")).to_be_hidden()
    expect(page.get_by_label("Current password")).to_be_visible()


def test_a_body_with_a_long_name_keeps_the_delegation_form_inside_its_panel(
    page: Any, live_server: str, database: Database, clock: Clock, world: World
) -> None:
    with database.transaction() as s:
        groups.add_body(
            s,
            Actor.system("test"),
            code="ACMW",
            name="ASEAN Committee on the Implementation of the Declaration on the Protection "
            "and Promotion of the Rights of Migrant Workers",
            now=clock.now,
        )
    browser_log_in(page, live_server, world.admin)
    page.goto(f"{live_server}/admin/group")
    form = page.locator("#add-delegation").bounding_box()
    for field in ("#delegation-state", "#delegation-body", "#delegation-title"):
        box = page.locator(field).bounding_box()
        assert box["x"] + box["width"] <= form["x"] + form["width"], field


def test_the_code_field_is_ready_to_type_when_the_second_factor_is_asked(
    page: Any, live_server: str, database: Database, clock: Clock, world: World
) -> None:
    secret = pyotp.random_base32()
    with database.transaction() as s:
        user = s.scalars(select(User).where(User.email == world.member)).one()
        user.totp_secret = secret
        user.totp_enabled_at = clock.now
        record(
            s, Actor.system("test"), action="mfa.totp_set_up", object_type="user",
            object_id=user.id, at=clock.now,
        )  # fmt: skip
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail address").fill(world.member)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/login/verify$"))
    # Typed at once, without reaching for the mouse or tabbing past the page: the field has
    # the focus as soon as the page is there (waited for, not raced: on a loaded machine the
    # first keys could come before the page had finished loading).
    field = page.get_by_label("Code from your authenticator app, or a recovery code")
    expect(field).to_be_focused()
    page.keyboard.type("000000")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("That code is not correct")
    # After a wrong code, focus is on the problem, which links to the field.
    expect(page.locator("#error-summary")).to_be_focused()
