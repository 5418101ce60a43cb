"""The second factor over HTTP, as a browser without JavaScript drives it: setting it up at the
first log-in where the role requires one, giving it at every log-in (an app's code, a recovery
code, a passkey), and changing it from the account's security page.

TOTP codes are computed with pyotp at the injected clock's time, as the app does; passkeys are
answered by a software authenticator (tests/soft_authenticator.py). Chromium drives the same
pages in tests/test_browser_mfa.py."""

import re
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import delete, func, select, update

from app.config import Settings
from app.db import Database
from app.models import (
    AuditEvent,
    AuthSession,
    LoginAttempt,
    LoginChallenge,
    OutboxMessage,
    Passkey,
    RecoveryCode,
    User,
)
from tests.factories import PASSWORD, World, arranged, bearer, token_for
from tests.helpers import Clock, csrf_of
from tests.soft_authenticator import SoftPasskey


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The product's default: these roles must have a second factor (conftest turns it off).
    settings.mfa_required_roles = "admin,secretariat,chair"
    return settings


_SECRET = re.compile(r'id="totp-secret">([A-Z2-7 ]+)</code>')
_CODES = re.compile(r"<li><code>([a-z2-7]{5}-[a-z2-7]{5})</code></li>")


def secret_of(html: str) -> str:
    match = _SECRET.search(html)
    assert match, "no set-up key on the page"
    return match.group(1).replace(" ", "")


def codes_of(html: str) -> list[str]:
    return _CODES.findall(html)


def secret_token_of(html: str) -> str:
    match = re.search(r'name="secret_token" value="([^"]+)"', html)
    assert match, "no signed set-up key on the page"
    return match.group(1)


def code_at(secret: str, clock: Clock, steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(clock.now + timedelta(seconds=30 * steps))


def password_step(client: TestClient, email: str, next_path: str = "/register") -> Response:
    page = client.get("/login")
    return client.post(
        "/login",
        data={
            "email": email,
            "password": PASSWORD,
            "csrf_token": csrf_of(page.text),
            "next": next_path,
        },
        follow_redirects=False,
    )


def logged_in(client: TestClient) -> bool:
    return client.get("/account", follow_redirects=False).status_code == 200


def log_out(client: TestClient) -> None:
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/account").text)})
    assert not logged_in(client)


def enrol_totp(client: TestClient, clock: Clock, email: str) -> tuple[str, list[str]]:
    """First log-in of a person whose role requires a second factor: set up an app."""
    response = password_step(client, email)
    assert response.headers["location"] == "/login/enrol"
    page = client.get("/login/enrol")
    secret = secret_of(page.text)
    shown = client.post(
        "/login/enrol/totp",
        data={"code": code_at(secret, clock), "csrf_token": csrf_of(page.text)},
    )
    assert shown.status_code == 200, shown.text
    codes = codes_of(shown.text)
    done = client.post(
        "/login/enrol/done", data={"csrf_token": csrf_of(shown.text)}, follow_redirects=False
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/register"
    return secret, codes


def give_code(client: TestClient, code: str) -> Response:
    page = client.get("/login/verify")
    assert page.status_code == 200
    return client.post(
        "/login/verify",
        data={"code": code, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )


def user_named(database: Database, email: str) -> User:
    with database.transaction() as s:
        user = s.scalar(select(User).where(User.email == email))
        assert user is not None
        return user


def actions(database: Database, prefix: str = "mfa.") -> list[str]:
    with database.transaction() as s:
        return list(
            s.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.action.startswith(prefix))
                .order_by(AuditEvent.id)
            )
        )


def failures(database: Database, email: str) -> int:
    with database.transaction() as s:
        return s.scalar(select(func.count()).where(LoginAttempt.email == email)) or 0


def last_session(database: Database, email: str) -> AuthSession:
    """The person's live session (each test logs out of the one before)."""
    with database.transaction() as s:
        return s.scalars(
            select(AuthSession)
            .join(User, User.id == AuthSession.user_id)
            .where(User.email == email, AuthSession.ended_at.is_(None))
        ).one()


def restart_reason(response: Response) -> str:
    assert response.status_code == 303, response.text
    location = urlsplit(response.headers["location"])
    assert location.path == "/login"
    return parse_qs(location.query)["restart"][0]


# --- Setting up at the first log-in ---------------------------------------------------------------


def test_a_required_role_sets_up_an_authenticator_app_before_any_session(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    response = password_step(client, world.secretariat)
    assert response.status_code == 303
    assert response.headers["location"] == "/login/enrol"
    assert not logged_in(client)

    page = client.get("/login/enrol")
    assert page.status_code == 200
    assert 'class="qr" src="data:image/svg+xml' in page.text  # the QR code, drawn by the server
    secret = secret_of(page.text)
    assert len(secret) == 32
    # The same key on a reload: it was chosen once, when the challenge began.
    assert secret_of(client.get("/login/enrol").text) == secret

    wrong = client.post(
        "/login/enrol/totp", data={"code": "000000", "csrf_token": csrf_of(page.text)}
    )
    assert wrong.status_code == 422
    assert "That code does not match" in wrong.text
    assert not logged_in(client)

    shown = client.post(
        "/login/enrol/totp",
        data={"code": code_at(secret, clock), "csrf_token": csrf_of(page.text)},
    )
    assert shown.status_code == 200
    codes = codes_of(shown.text)
    assert len(codes) == len(set(codes)) == 10
    assert "I have saved these codes" in shown.text
    assert not logged_in(client)  # only once the codes are acknowledged

    done = client.post(
        "/login/enrol/done", data={"csrf_token": csrf_of(shown.text)}, follow_redirects=False
    )
    assert done.headers["location"] == "/register"
    assert logged_in(client)
    assert last_session(database, world.secretariat).second_factor == "totp"
    user = user_named(database, world.secretariat)
    assert user.totp_secret == secret
    assert user.totp_enabled_at == clock.now
    assert actions(database) == ["mfa.enrol"]
    with database.transaction() as s:
        stored = list(s.scalars(select(RecoveryCode.code_hash)))
        mail = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "security_notice")).one()
    assert len(stored) == 10
    assert set(stored).isdisjoint(codes)  # only digests are kept
    assert mail.to_address == world.secretariat
    assert mail.subject.startswith("A second factor was set up on your account")
    # One sentence that says what the new factor is, not a fragment on a line of its own.
    assert ". The new second factor is an authenticator app.\n\nIf this was you" in mail.text_body


def test_an_address_no_mail_can_go_to_does_not_lock_the_person_out(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    """`zerodraft user add` takes any address with an @ (root@localhost, say): the security
    notice cannot be mailed there, and setting up the second factor must still work."""
    with arranged(database) as s:
        s.execute(update(User).where(User.email == world.admin).values(email="root@localhost"))
    _secret, codes = enrol_totp(client, clock, "root@localhost")
    assert len(codes) == 10 and logged_in(client)
    assert actions(database) == ["mfa.enrol"]
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_after_set_up_the_page_offers_only_to_continue(
    client: TestClient, world: World, clock: Clock
) -> None:
    password_step(client, world.chair)
    page = client.get("/login/enrol")
    client.post(
        "/login/enrol/totp",
        data={"code": code_at(secret_of(page.text), clock), "csrf_token": csrf_of(page.text)},
    )
    again = client.get("/login/enrol")  # the codes page was lost: a reload
    assert "Your second factor is set up" in again.text
    assert 'id="totp-secret"' not in again.text
    done = client.post(
        "/login/enrol/done", data={"csrf_token": csrf_of(again.text)}, follow_redirects=False
    )
    assert done.headers["location"] == "/register"
    assert logged_in(client)


def test_a_role_that_does_not_require_a_second_factor_logs_in_directly(
    client: TestClient, world: World, database: Database
) -> None:
    response = password_step(client, world.member)
    assert response.headers["location"] == "/register"
    assert logged_in(client)
    assert last_session(database, world.member).second_factor is None


def test_the_required_roles_come_from_the_setting(
    client: TestClient, world: World, settings: Settings
) -> None:
    settings.mfa_required_roles = "member"  # the app's own settings object
    assert password_step(client, world.member).headers["location"] == "/login/enrol"
    assert password_step(client, world.secretariat).headers["location"] == "/register"


def test_api_tokens_need_no_second_factor(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    token = token_for(database, world.secretariat, clock.now)
    response = client.get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 200
    assert response.json()["email"] == world.secretariat


# --- Giving it at log-in ------------------------------------------------------------------------


def test_the_next_log_in_asks_for_a_code_and_a_code_works_once(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    secret, _ = enrol_totp(client, clock, world.secretariat)
    log_out(client)

    response = password_step(client, world.secretariat, next_path="/rounds")
    assert response.headers["location"] == "/login/verify"
    assert not logged_in(client)
    # The code used to set the app up is spent; so is every earlier one.
    refused = give_code(client, code_at(secret, clock))
    assert refused.status_code == 401
    assert "already used" in refused.text
    assert not logged_in(client)

    clock.advance(seconds=30)
    accepted = give_code(client, code_at(secret, clock))
    assert accepted.status_code == 303
    assert accepted.headers["location"] == "/rounds"  # where the person was going
    assert logged_in(client)
    assert last_session(database, world.secretariat).second_factor == "totp"
    assert actions(database) == ["mfa.enrol", "mfa.verify"]

    log_out(client)
    password_step(client, world.secretariat)
    replayed = give_code(client, code_at(secret, clock))
    assert replayed.status_code == 401
    assert not logged_in(client)
    # The next code of the window is still good (a phone a little ahead).
    assert give_code(client, code_at(secret, clock, steps=1)).status_code == 303
    assert logged_in(client)


def test_a_wrong_code_is_refused_counted_and_ends_the_log_in_at_the_fifth(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    secret, _ = enrol_totp(client, clock, world.chair)
    log_out(client)
    clock.advance(minutes=1)
    password_step(client, world.chair)
    first = give_code(client, "123456" if code_at(secret, clock) != "123456" else "654321")
    assert first.status_code == 401
    assert "That code is not correct" in first.text
    assert "4 more tries" in first.text
    assert 'aria-describedby="code-hint code-error"' in first.text
    assert failures(database, world.chair) == 1
    for _ in range(3):
        give_code(client, "not a code")
    assert failures(database, world.chair) == 4
    last = give_code(client, "000000" if code_at(secret, clock) != "000000" else "111111")
    assert restart_reason(last) == "failed"
    assert failures(database, world.chair) == 5
    assert "mfa.verify_refused" in actions(database)
    # The challenge is over: even the right code does not open a session now.
    gone = client.post(
        "/login/verify", data={"code": code_at(secret, clock)}, follow_redirects=False
    )
    assert restart_reason(gone) == "expired"
    page = client.get(last.headers["location"])
    assert "Too many wrong codes were entered" in page.text
    assert not logged_in(client)


def test_guessing_is_bounded_across_log_ins(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    secret, _ = enrol_totp(client, clock, world.admin)
    log_out(client)
    clock.advance(minutes=1)
    password_step(client, world.admin)
    for _ in range(4):
        assert give_code(client, "abcde-abcde").status_code == 401
    # A new log-in starts a new challenge, but the failures still count for the person.
    assert password_step(client, world.admin).headers["location"] == "/login/verify"
    assert give_code(client, "abcde-abcde").status_code == 401
    throttled = give_code(client, code_at(secret, clock))
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) > 0
    assert "Too many failed log-ins" in throttled.text
    assert not logged_in(client)
    assert password_step(client, world.admin).status_code == 429
    clock.advance(minutes=16)
    assert password_step(client, world.admin).headers["location"] == "/login/verify"
    assert give_code(client, code_at(secret, clock)).status_code == 303


def test_a_recovery_code_works_once(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    _, codes = enrol_totp(client, clock, world.secretariat)
    log_out(client)
    password_step(client, world.secretariat)
    # Typed as people type: upper case, without the dash, with spaces.
    typed = " " + codes[3].upper().replace("-", " ") + " "
    accepted = give_code(client, typed)
    assert accepted.status_code == 303
    assert logged_in(client)
    assert last_session(database, world.secretariat).second_factor == "recovery"
    assert actions(database)[-2:] == ["mfa.recovery_code_used", "mfa.verify"]
    security = client.get("/account/security")
    assert "9 of 10 recovery codes left" in security.text

    log_out(client)
    password_step(client, world.secretariat)
    again = give_code(client, codes[3])
    assert again.status_code == 401
    assert "nor an unused recovery code" in again.text
    assert give_code(client, codes[4]).status_code == 303


def test_making_new_recovery_codes_ends_the_old_ones(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    _, old = enrol_totp(client, clock, world.secretariat)
    confirm = client.get("/account/security/recovery-codes")
    assert "Make new recovery codes" in confirm.text
    shown = client.post(
        "/account/security/recovery-codes",
        data={"proof": PASSWORD, "csrf_token": csrf_of(confirm.text)},
    )
    assert shown.status_code == 200
    new = codes_of(shown.text)
    assert len(new) == 10 and not set(new) & set(old)
    assert "mfa.recovery_codes_issued" in actions(database)
    with database.transaction() as s:
        subjects = s.scalars(
            select(OutboxMessage.subject).where(OutboxMessage.kind == "security_notice")
        )
        assert any(t.startswith("New recovery codes were made") for t in subjects)

    log_out(client)
    password_step(client, world.secretariat)
    assert give_code(client, old[0]).status_code == 401
    assert give_code(client, new[0]).status_code == 303


def test_the_verify_form_needs_its_own_token(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    secret, _ = enrol_totp(client, clock, world.secretariat)
    log_out(client)
    clock.advance(minutes=1)
    password_step(client, world.secretariat)
    for token in (None, "x" * 64, "é" * 64):  # any letters: refused, not a 500
        data = {"code": code_at(secret, clock)} | ({"csrf_token": token} if token else {})
        response = client.post("/login/verify", data=data, follow_redirects=False)
        assert response.status_code == 403
        assert "The form had expired" in response.text
    assert failures(database, world.secretariat) == 0
    assert not logged_in(client)
    # Another browser's form token does not fit this browser's challenge.
    with TestClient(client.app) as other:
        password_step(other, world.chair)
        foreign = csrf_of(other.get("/login/enrol").text)
    response = client.post(
        "/login/verify",
        data={"code": code_at(secret, clock), "csrf_token": foreign},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert not logged_in(client)


def test_no_challenge_or_an_expired_one_goes_back_to_the_log_in_page(
    client: TestClient, world: World, clock: Clock
) -> None:
    assert restart_reason(client.get("/login/verify", follow_redirects=False)) == "expired"
    assert restart_reason(client.get("/login/enrol", follow_redirects=False)) == "expired"
    password_step(client, world.secretariat)
    clock.advance(minutes=11)
    response = client.get("/login/enrol", follow_redirects=False)
    assert restart_reason(response) == "expired"
    page = client.get(response.headers["location"])
    assert "Your log-in was not finished in time" in page.text
    assert 'name="email"' in page.text


def test_each_page_sends_to_the_step_the_challenge_is_for(client: TestClient, world: World) -> None:
    password_step(client, world.secretariat)
    response = client.get("/login/verify", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login/enrol"


def test_a_person_disabled_meanwhile_goes_back_to_the_log_in_page(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    secret, _ = enrol_totp(client, clock, world.secretariat)
    log_out(client)
    clock.advance(minutes=1)
    password_step(client, world.secretariat)
    page = client.get("/login/verify")
    with arranged(database) as s:
        user = s.scalar(select(User).where(User.email == world.secretariat))
        assert user is not None
        user.disable(now=clock.now)
    response = client.post(
        "/login/verify",
        data={"code": code_at(secret, clock), "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert restart_reason(response) == "disabled"
    assert "This account has been disabled" in client.get(response.headers["location"]).text
    assert not logged_in(client)


def test_a_reset_second_factor_sends_the_person_to_set_one_up_again(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    enrol_totp(client, clock, world.secretariat)
    log_out(client)
    # What an admin's reset does (app/groups, people admin): the factors are cleared.
    with arranged(database) as s:
        user = s.scalar(select(User).where(User.email == world.secretariat))
        assert user is not None
        user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
        s.execute(delete(RecoveryCode))
    assert password_step(client, world.secretariat).headers["location"] == "/login/enrol"


def test_a_new_log_in_ends_the_previous_challenge(
    client: TestClient, app: Any, world: World, database: Database, clock: Clock
) -> None:
    secret, _ = enrol_totp(client, clock, world.secretariat)
    log_out(client)
    clock.advance(minutes=1)
    with TestClient(app) as first:
        password_step(first, world.secretariat)
        page = first.get("/login/verify")
        password_step(client, world.secretariat)  # a second log-in, elsewhere
        response = first.post(
            "/login/verify",
            data={"code": code_at(secret, clock), "csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )
        assert restart_reason(response) == "expired"
    with database.transaction() as s:
        live = s.scalar(select(func.count()).where(LoginChallenge.used_at.is_(None)))
    assert live == 1


# --- Passkeys -----------------------------------------------------------------------------------


def test_a_passkey_is_set_up_at_enrolment_and_used_at_log_in(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    password_step(client, world.chair)
    page = client.get("/login/enrol")
    token = csrf_of(page.text)
    options = client.post("/login/enrol/passkey/options", headers={"X-CSRF-Token": token})
    assert options.status_code == 200
    assert options.json()["rp"]["id"] == "testserver"
    passkey = SoftPasskey(origin="http://testserver")
    shown = client.post(
        "/login/enrol/passkey",
        data={
            "credential": passkey.create(options.json()),
            "name": "Office laptop",
            "csrf_token": token,
        },
    )
    assert shown.status_code == 200, shown.text
    assert len(codes_of(shown.text)) == 10
    client.post("/login/enrol/done", data={"csrf_token": token})
    assert logged_in(client)
    assert last_session(database, world.chair).second_factor == "passkey"
    assert user_named(database, world.chair).totp_enabled_at is None

    log_out(client)
    clock.advance(minutes=1)
    assert password_step(client, world.chair).headers["location"] == "/login/verify"
    verify = client.get("/login/verify")
    assert "Recovery code" in verify.text  # no app: the code field takes recovery codes
    token = csrf_of(verify.text)
    options = client.post("/login/verify/passkey/options", headers={"X-CSRF-Token": token})
    answer = passkey.get(options.json())
    response = client.post(
        "/login/verify/passkey",
        data={"credential": answer, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert logged_in(client)
    assert last_session(database, world.chair).second_factor == "passkey"
    with database.transaction() as s:
        stored = s.scalars(select(Passkey)).one()
    assert stored.name == "Office laptop"
    assert stored.sign_count == 1
    assert stored.last_used_at == clock.now
    assert stored.transports == "internal"

    # The same answer again, to a new log-in: its challenge is another.
    log_out(client)
    password_step(client, world.chair)
    token = csrf_of(client.get("/login/verify").text)
    client.post("/login/verify/passkey/options", headers={"X-CSRF-Token": token})
    replayed = client.post(
        "/login/verify/passkey",
        data={"credential": answer, "csrf_token": token},
        follow_redirects=False,
    )
    assert replayed.status_code == 401
    assert "could not be verified" in replayed.text
    assert failures(database, world.chair) == 1
    assert not logged_in(client)


def test_a_passkey_answer_for_another_site_is_refused(
    client: TestClient, world: World, database: Database
) -> None:
    password_step(client, world.chair)
    token = csrf_of(client.get("/login/enrol").text)
    options = client.post("/login/enrol/passkey/options", headers={"X-CSRF-Token": token}).json()
    passkey = SoftPasskey(origin="https://evil.example")
    response = client.post(
        "/login/enrol/passkey",
        data={"credential": passkey.create(options), "name": "", "csrf_token": token},
    )
    assert response.status_code == 422
    assert "The passkey could not be added" in response.text
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Passkey)) == 0


@pytest.mark.parametrize(
    "credential",
    [
        "",
        "not json",
        "{}",
        '{"id": "x", "rawId": "!!", "response": {}}',
        "[1]",
        # Nested deeper than the JSON parser's stack (was a 500: RecursionError).
        pytest.param('{"a":' * 3000 + "1" + "}" * 3000, id="nested-3000-deep"),
    ],
)
def test_a_broken_passkey_answer_is_a_clear_error(
    client: TestClient, world: World, credential: str
) -> None:
    password_step(client, world.chair)
    token = csrf_of(client.get("/login/enrol").text)
    client.post("/login/enrol/passkey/options", headers={"X-CSRF-Token": token})
    response = client.post(
        "/login/enrol/passkey", data={"credential": credential, "csrf_token": token}
    )
    assert response.status_code == 422
    assert "There is a problem" in response.text
    # The WebAuthn challenge is spent: posting again without new options is refused too.
    again = client.post(
        "/login/enrol/passkey", data={"credential": credential, "csrf_token": token}
    )
    assert "was not started or has already been answered" in again.text


def test_the_options_need_the_form_token(client: TestClient, world: World) -> None:
    password_step(client, world.chair)
    response = client.post("/login/enrol/passkey/options")
    assert response.status_code == 403
    assert response.json()["detail"] == "The form had expired. Please try again."
    with TestClient(client.app) as stranger:
        gone = stranger.post("/login/verify/passkey/options", headers={"X-CSRF-Token": "x"})
        assert gone.status_code == 401
        assert gone.json()["restart"].startswith("/login?restart=expired")


def test_passkeys_are_added_renamed_and_removed_from_the_security_page(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    enrol_totp(client, clock, world.secretariat)
    page = client.get("/account/security")
    token = csrf_of(page.text)
    options = client.post("/account/security/passkeys/options", headers={"X-CSRF-Token": token})
    assert options.status_code == 200
    passkey = SoftPasskey(origin="http://testserver")
    answer = passkey.create(options.json())
    wrong = client.post(
        "/account/security/passkeys",
        data={"credential": answer, "name": "Key", "proof": "wrong password", "csrf_token": token},
    )
    assert wrong.status_code == 422
    assert "neither your current password" in wrong.text
    assert failures(database, world.secretariat) == 1

    # The first answer's challenge was spent by the refused attempt: a new ceremony.
    options = client.post("/account/security/passkeys/options", headers={"X-CSRF-Token": token})
    added = client.post(
        "/account/security/passkeys",
        data={
            "credential": passkey.create(options.json()),
            "name": "YubiKey",
            "proof": PASSWORD,
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert added.status_code == 303
    assert added.headers["location"] == "/account/security?done=passkey_added"
    with database.transaction() as s:
        stored = s.scalars(select(Passkey)).one()
        assert (
            s.scalar(select(AuthSession.webauthn_challenge).where(AuthSession.ended_at.is_(None)))
            is None
        )
    page = client.get("/account/security?done=passkey_added")
    assert "The passkey was added" in page.text
    assert "YubiKey" in page.text

    renamed = client.post(
        f"/account/security/passkeys/{stored.id}/rename",
        data={"name": "  Blue   key ", "csrf_token": token},
        follow_redirects=False,
    )
    assert renamed.status_code == 303
    assert 'value="Blue key"' in client.get("/account/security").text

    confirm = client.get(f"/account/security/passkeys/{stored.id}/remove")
    assert "Remove the passkey Blue key" in confirm.text
    removed = client.post(
        f"/account/security/passkeys/{stored.id}/remove",
        data={"proof": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert removed.headers["location"] == "/account/security?done=passkey_removed"
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Passkey)) == 0
        notices = list(
            s.scalars(
                select(OutboxMessage.text_body).where(OutboxMessage.kind == "security_notice")
            )
        )
    assert actions(database)[-3:] == [
        "mfa.passkey_added",
        "mfa.passkey_renamed",
        "mfa.passkey_removed",
    ]
    assert any('. The new second factor is a passkey named "YubiKey".\n' in n for n in notices)
    assert any('. It was the passkey named "Blue key".\n' in n for n in notices)


def test_someone_else_s_passkey_is_not_found(
    client: TestClient, app: Any, world: World, database: Database, clock: Clock
) -> None:
    enrol_totp(client, clock, world.secretariat)
    token = csrf_of(client.get("/account/security").text)
    options = client.post("/account/security/passkeys/options", headers={"X-CSRF-Token": token})
    client.post(
        "/account/security/passkeys",
        data={
            "credential": SoftPasskey(origin="http://testserver").create(options.json()),
            "name": "Mine",
            "proof": PASSWORD,
            "csrf_token": token,
        },
    )
    with database.transaction() as s:
        passkey_id = s.scalars(select(Passkey.id)).one()
    with TestClient(app) as other:
        password_step(other, world.member)
        other_token = csrf_of(other.get("/account/security").text)
        assert other.get(f"/account/security/passkeys/{passkey_id}/remove").status_code == 404
        response = other.post(
            f"/account/security/passkeys/{passkey_id}/rename",
            data={"name": "Theirs", "csrf_token": other_token},
        )
        assert response.status_code == 404
    with database.transaction() as s:
        assert s.scalars(select(Passkey.name)).one() == "Mine"


# --- The security page --------------------------------------------------------------------------


def test_a_member_may_set_up_an_app_and_is_then_asked_for_it(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    password_step(client, world.member)
    account = client.get("/account")
    assert 'href="/account/security"' in account.text
    security = client.get("/account/security")
    assert "Not set up" in security.text
    form = client.get("/account/security/totp")
    secret = secret_of(form.text)
    data = {
        "secret_token": secret_token_of(form.text),
        "code": code_at(secret, clock),
        "proof": PASSWORD,
        "csrf_token": csrf_of(form.text),
    }
    shown = client.post("/account/security/totp", data=data)
    assert shown.status_code == 200
    assert len(codes_of(shown.text)) == 10  # the first factor brings recovery codes
    assert actions(database) == ["mfa.totp_set_up"]
    log_out(client)
    assert password_step(client, world.member).headers["location"] == "/login/verify"


def test_the_set_up_key_cannot_be_forged_or_taken_from_another_person(
    client: TestClient, app: Any, world: World, clock: Clock, database: Database
) -> None:
    password_step(client, world.member)
    form = client.get("/account/security/totp")
    signed = secret_token_of(form.text)
    chosen = "A" * 32
    forged = (signed.replace(secret_of(form.text), chosen), "garbage", signed + "é")
    for token in forged:  # any letters: refused, not a 500
        response = client.post(
            "/account/security/totp",
            data={
                "secret_token": token,
                "code": code_at(chosen, clock),
                "proof": PASSWORD,
                "csrf_token": csrf_of(form.text),
            },
            follow_redirects=False,
        )
        assert response.headers["location"] == "/account/security/totp"
    with TestClient(app) as other:
        password_step(other, world.member2)
        response = other.post(
            "/account/security/totp",
            data={
                "secret_token": signed,
                "code": code_at(secret_of(form.text), clock),
                "proof": PASSWORD,
                "csrf_token": csrf_of(other.get("/account").text),
            },
            follow_redirects=False,
        )
        assert response.headers["location"] == "/account/security/totp"
    assert actions(database) == []


def test_changes_need_the_current_password_or_a_code(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    secret, _ = enrol_totp(client, clock, world.secretariat)
    token = csrf_of(client.get("/account").text)
    empty = client.post("/account/security/recovery-codes", data={"proof": "", "csrf_token": token})
    assert empty.status_code == 422
    assert "Enter your current password" in empty.text
    wrong = client.post(
        "/account/security/recovery-codes", data={"proof": "guess-guess", "csrf_token": token}
    )
    assert wrong.status_code == 422
    assert failures(database, world.secretariat) == 1
    assert 'href="#proof"' in wrong.text
    assert actions(database) == ["mfa.enrol"]
    # The set-up code is spent; the app's next one proves who this is.
    spent = client.post(
        "/account/security/recovery-codes",
        data={"proof": code_at(secret, clock), "csrf_token": token},
    )
    assert spent.status_code == 422
    clock.advance(seconds=30)
    by_code = client.post(
        "/account/security/recovery-codes",
        data={"proof": code_at(secret, clock), "csrf_token": token},
    )
    assert by_code.status_code == 200
    assert len(codes_of(by_code.text)) == 10
    for _ in range(3):
        client.post(
            "/account/security/recovery-codes", data={"proof": "x" * 12, "csrf_token": token}
        )
    throttled = client.post(
        "/account/security/recovery-codes", data={"proof": PASSWORD, "csrf_token": token}
    )
    assert throttled.status_code == 429
    assert "Too many failed log-ins" in throttled.text


def test_the_app_is_turned_off_only_where_the_role_allows(
    client: TestClient, app: Any, world: World, database: Database, clock: Clock
) -> None:
    enrol_totp(client, clock, world.secretariat)
    confirm = client.get("/account/security/totp/off")
    assert "requires a second factor" in confirm.text
    assert 'name="proof"' not in confirm.text
    refused = client.post(
        "/account/security/totp/off",
        data={"proof": PASSWORD, "csrf_token": csrf_of(client.get("/account").text)},
    )
    assert refused.status_code == 409
    assert user_named(database, world.secretariat).totp_enabled_at is not None

    with TestClient(app) as member:
        password_step(member, world.member)
        form = member.get("/account/security/totp")
        member.post(
            "/account/security/totp",
            data={
                "secret_token": secret_token_of(form.text),
                "code": code_at(secret_of(form.text), clock),
                "proof": PASSWORD,
                "csrf_token": csrf_of(form.text),
            },
        )
        confirm = member.get("/account/security/totp/off")
        off = member.post(
            "/account/security/totp/off",
            data={"proof": PASSWORD, "csrf_token": csrf_of(confirm.text)},
            follow_redirects=False,
        )
        assert off.headers["location"] == "/account/security?done=totp_off"
        assert "The authenticator app was turned off" in member.get(off.headers["location"]).text
    member_user = user_named(database, world.member)
    assert member_user.totp_secret is None and member_user.totp_enabled_at is None
    with database.transaction() as s:
        left = s.scalar(select(func.count()).where(RecoveryCode.user_id == member_user.id))
    assert left == 0  # nothing left for them to stand in for
    with TestClient(app) as member:
        assert password_step(member, world.member).headers["location"] == "/register"


def test_replacing_the_app_makes_the_old_codes_stop_working(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    old, codes = enrol_totp(client, clock, world.secretariat)
    clock.advance(minutes=1)
    form = client.get("/account/security/totp")
    assert "Replace your authenticator app" in form.text
    new = secret_of(form.text)
    response = client.post(
        "/account/security/totp",
        data={
            "secret_token": secret_token_of(form.text),
            "code": code_at(new, clock),
            "proof": PASSWORD,
            "csrf_token": csrf_of(form.text),
        },
        follow_redirects=False,
    )
    # No new recovery codes: the ten from the enrolment are all unused.
    assert response.headers["location"] == "/account/security?done=totp"
    assert "mfa.totp_replaced" in actions(database)
    log_out(client)
    clock.advance(minutes=1)
    password_step(client, world.secretariat)
    assert give_code(client, code_at(old, clock)).status_code == 401
    assert give_code(client, code_at(new, clock)).status_code == 303
    assert len(codes) == 10
    assert "10 of 10 recovery codes left" in client.get("/account/security").text


def test_a_mistyped_new_code_keeps_the_same_key_and_costs_no_attempt(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    password_step(client, world.member)
    form = client.get("/account/security/totp")
    secret = secret_of(form.text)
    signed = secret_token_of(form.text)
    response = client.post(
        "/account/security/totp",
        data={
            "secret_token": signed,
            "code": "12345",
            "proof": PASSWORD,
            "csrf_token": csrf_of(form.text),
        },
    )
    assert response.status_code == 422
    assert "That code does not match" in response.text
    assert secret_of(response.text) == secret
    assert failures(database, world.member) == 0
    assert user_named(database, world.member).totp_enabled_at is None
