"""The second factor in a real headless Chromium: a secretariat officer sets up an authenticator
app at the first log-in (reading the key from the page, as a person types it into their phone)
and logs in again with a code; a chair sets up a passkey instead and logs in with it; a member
adds a passkey from the security page. Passkeys are answered by Chromium's virtual authenticator
(DevTools protocol), so the whole WebAuthn path runs: app/static/passkeys.js, the browser's
checks of origin and relying party, and the server's verification."""

import re
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.config import Settings
from app.db import Database
from app.models import AuthSession, Passkey, User
from tests.factories import PASSWORD, World
from tests.helpers import Clock
from tests.test_accessibility import assert_no_serious_violations

pytestmark = pytest.mark.browser


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.mfa_required_roles = "admin,secretariat,chair"
    return settings


@pytest.fixture
def site(live_server: str, settings: Settings) -> str:
    # A passkey is bound to the address people open, and browsers offer passkeys on a domain
    # name (here localhost), never on an IP address: the browser opens the server as localhost,
    # and the app is told that this is its address (ZERODRAFT_BASE_URL), as in production.
    url = live_server.replace("127.0.0.1", "localhost")
    settings.base_url = url
    return url


@pytest.fixture
def authenticator(page: Any) -> Iterator[tuple[Any, str]]:
    """A platform authenticator built into this page's Chromium, which says yes at once."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    yield cdp, added["authenticatorId"]
    cdp.send("WebAuthn.disable")


def _password_step(page: Any, site: str, email: str) -> None:
    page.goto(f"{site}/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _log_out(page: Any) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r".*/login.*"))


def _second_factor_of_live_session(database: Database, email: str) -> str | None:
    with database.transaction() as s:
        return s.scalars(
            select(AuthSession.second_factor)
            .join(User, User.id == AuthSession.user_id)
            .where(User.email == email, AuthSession.ended_at.is_(None))
        ).one()


def test_an_authenticator_app_is_set_up_at_the_first_log_in_and_asked_for_after(
    page: Any, site: str, world: World, clock: Clock, database: Database
) -> None:
    _password_step(page, site, world.secretariat)
    page.wait_for_url(re.compile(r".*/login/enrol$"))
    expect(page.get_by_role("heading", name="Set up a second factor")).to_be_visible()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    assert_no_serious_violations(page)
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)

    page.get_by_label("Code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Set up the authenticator app").click()
    expect(page.locator(".error-summary")).to_contain_text("That code does not match")
    assert_no_serious_violations(page)

    page.get_by_label("Code from your authenticator app").fill(totp.at(clock.now))
    page.get_by_role("button", name="Set up the authenticator app").click()
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    assert_no_serious_violations(page)
    page.get_by_role("button", name="I have saved these codes").click()
    page.wait_for_url(re.compile(r".*/register$"))
    assert _second_factor_of_live_session(database, world.secretariat) == "totp"

    _log_out(page)
    clock.advance(seconds=30)
    _password_step(page, site, world.secretariat)
    page.wait_for_url(re.compile(r".*/login/verify$"))
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    field = page.get_by_label("Code from your authenticator app, or a recovery code")
    field.fill("999999" if totp.at(clock.now) != "999999" else "888888")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".error-summary")).to_contain_text("That code is not correct")
    assert_no_serious_violations(page)
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(
        totp.at(clock.now)
    )
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r".*/register$"))

    # A recovery code, typed as printed, instead of the app.
    _log_out(page)
    _password_step(page, site, world.secretariat)
    page.wait_for_url(re.compile(r".*/login/verify$"))
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r".*/register$"))
    assert _second_factor_of_live_session(database, world.secretariat) == "recovery"


def test_a_passkey_is_set_up_at_the_first_log_in_and_logs_in_after(
    page: Any,
    site: str,
    world: World,
    database: Database,
    authenticator: tuple[Any, str],
) -> None:
    cdp, authenticator_id = authenticator
    _password_step(page, site, world.chair)
    page.wait_for_url(re.compile(r".*/login/enrol$"))
    page.get_by_label("Name of the passkey").fill("Test laptop")
    page.get_by_role("button", name="Create a passkey").click()
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    assert len(page.locator(".recovery-codes code").all_inner_texts()) == 10
    page.get_by_role("button", name="I have saved these codes").click()
    page.wait_for_url(re.compile(r".*/register$"))
    assert _second_factor_of_live_session(database, world.chair) == "passkey"
    held = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    assert len(held["credentials"]) == 1
    with database.transaction() as s:
        stored = s.scalars(select(Passkey)).one()
    assert stored.name == "Test laptop"
    assert stored.credential_id == held["credentials"][0]["credentialId"].rstrip("=").replace(
        "+", "-"
    ).replace("/", "_")

    _log_out(page)
    _password_step(page, site, world.chair)
    page.wait_for_url(re.compile(r".*/login/verify$"))
    assert_no_serious_violations(page)
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(re.compile(r".*/register$"))
    assert _second_factor_of_live_session(database, world.chair) == "passkey"
    with database.transaction() as s:
        assert s.scalars(select(Passkey.last_used_at)).one() is not None


def test_a_member_adds_a_passkey_from_the_security_page(
    page: Any,
    site: str,
    world: World,
    database: Database,
    authenticator: tuple[Any, str],
) -> None:
    _password_step(page, site, world.member)
    page.wait_for_url(re.compile(r".*/register$"))
    page.goto(f"{site}/account")
    page.get_by_role("link", name=re.compile("^Security")).click()
    page.wait_for_url(re.compile(r".*/account/security$"))
    assert_no_serious_violations(page)
    page.get_by_label("Name of the passkey").fill("Phone")
    page.get_by_label("Your current password, or a code from your authenticator app").fill(PASSWORD)
    page.get_by_role("button", name="Add a passkey").click()
    # The first second factor brings the recovery codes.
    expect(page.get_by_role("heading", name="Your passkey is added")).to_be_visible()
    assert len(page.locator(".recovery-codes code").all_inner_texts()) == 10
    page.get_by_role("link", name="I have saved these codes").click()
    expect(page.get_by_role("cell", name=re.compile("never"))).to_be_visible()
    expect(page.locator('input[value="Phone"]')).to_be_visible()
    assert_no_serious_violations(page)

    _log_out(page)
    _password_step(page, site, world.member)
    page.wait_for_url(re.compile(r".*/login/verify$"))
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(re.compile(r".*/register$"))
    assert _second_factor_of_live_session(database, world.member) == "passkey"
