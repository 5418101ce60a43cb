"""Passwords: the rules, changing one on the account page, and the forgotten-password reset by
a mailed link (same answer for any address, single use, 1 hour, every session ended)."""

import time
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from app.accounts import password_pages
from app.accounts.password_policy import weakness
from app.accounts.password_service import MAX_RESET_MAILS
from app.db import Database
from app.models import AccountLink, AuditEvent, AuthSession, LinkPurpose, OutboxMessage, User
from tests.factories import PASSWORD, World, arranged
from tests.helpers import Clock, csrf_of, form_in, log_in, summary, text_of
from tests.test_invitations import _mailed_link, _path

NEW_PASSWORD = "quiet-harbour-paper-kite"
SAME_ANSWER = "If an account exists for"


@pytest.fixture(autouse=True)
def _answer_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # The forgotten-password form's answer waits out a fixed time (timing must not tell which
    # addresses have an account); tests that are not about that need not wait.
    monkeypatch.setattr(password_pages, "FORGOT_ANSWER_SECONDS", 0.0)


def _outbox(database: Database, kind: str) -> list[OutboxMessage]:
    with database.transaction() as s:
        rows = s.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        ).all()
        s.expunge_all()
        return list(rows)


def _audit(database: Database, action: str) -> int:
    with database.transaction() as s:
        return s.scalar(select(func.count()).where(AuditEvent.action == action)) or 0


def _live_sessions(database: Database, email: str) -> int:
    with database.transaction() as s:
        user_id = s.scalar(select(User.id).where(User.email == email))
        return (
            s.scalar(
                select(func.count())
                .select_from(AuthSession)
                .where(AuthSession.user_id == user_id, AuthSession.ended_at.is_(None))
            )
            or 0
        )


# --- The rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "short",
        "maria.santos@asean.test",
        "Maria.Santos2026",
        "Maria Santos",
        "zzzzzzzzzzzz",
        "ababababababab",
        "1234567890",
        "0987654321",
        "abcdefghijk",
        "qwertyuiop",
        "Password123!",
        "!!Welcome2026",
        "zerodraft2026",
        "Zerodraft-2026!!",
        "x" * 129,
    ],
)
def test_weak_passwords_are_refused(password: str) -> None:
    for guarded in (True, False):
        problem = weakness(
            password, email="maria.santos@asean.test", name="Maria Santos", second_factor=guarded
        )
        assert problem is not None


@pytest.mark.parametrize(
    "password",
    ["correct-horse-battery", "Kalamansi juice at 7", "ASEAN-Way 2026 Manila!", "9f#Lq2!xZ0pR4+w"],
)
def test_reasonable_passwords_are_accepted(password: str) -> None:
    for guarded in (True, False):
        problem = weakness(
            password, email="maria.santos@asean.test", name="Maria Santos", second_factor=guarded
        )
        assert problem is None


# --- Changing the password on the account page ---------------------------------------------


def _change(client: TestClient, **fields: str) -> Any:
    form = form_in(client.get("/account").text, action="/account/password")
    return client.post("/account/password", data=form | fields, follow_redirects=False)


def test_changing_the_password_ends_the_other_sessions_and_mails_a_notice(
    client: TestClient, app: FastAPI, database: Database, world: World
) -> None:
    log_in(client, world.member)
    with TestClient(app) as phone, TestClient(app) as laptop:
        log_in(phone, world.member)
        log_in(laptop, world.member)
        assert _live_sessions(database, world.member) == 3
        response = _change(client, current=PASSWORD, password=NEW_PASSWORD, repeat=NEW_PASSWORD)
        assert response.status_code == 303
        assert response.headers["location"] == "/account?done=password"
        page = client.get(response.headers["location"])
        assert "Your password was changed" in page.text  # this session goes on
        assert phone.get("/account", follow_redirects=False).status_code == 303  # to /login
        assert laptop.get("/api/v1/me").status_code == 401
    assert _live_sessions(database, world.member) == 1
    assert _audit(database, "user.password_change") == 1
    [notice] = _outbox(database, "security_notice")
    assert notice.to_address == world.member
    assert notice.subject == "Your password was changed (zerodraft)"
    assert "16:00 WIB (UTC+7)" in notice.text_body and "testclient" in notice.text_body
    assert "http://testserver/password/forgot" in notice.text_body
    with TestClient(app) as fresh:
        log_in(fresh, world.member, NEW_PASSWORD)
        page = fresh.get("/login")
        wrong = fresh.post(
            "/login",
            data={"email": world.member, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        )
        assert wrong.status_code == 401


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"current": ""}, "current", "Enter your current password."),
        ({"current": "not-my-password"}, "current", "Your current password is not correct."),
        ({"repeat": NEW_PASSWORD + "!"}, "repeat", "The two passwords are not the same."),
        ({"password": "too-short", "repeat": "too-short"}, "password", "at least 15"),
        ({"password": PASSWORD, "repeat": PASSWORD}, "password", "same as the current one"),
    ],
)
def test_a_refused_change_says_why_and_changes_nothing(
    client: TestClient,
    database: Database,
    world: World,
    fields: dict[str, str],
    field: str,
    message: str,
) -> None:
    log_in(client, world.member)
    response = _change(
        client, **({"current": PASSWORD, "password": NEW_PASSWORD, "repeat": NEW_PASSWORD} | fields)
    )
    assert response.status_code == 422
    problems = summary(response.text)
    assert [target for target, _ in problems] == [field]
    assert message in problems[0][1]
    assert _audit(database, "user.password_change") == 0
    assert _outbox(database, "security_notice") == []
    with TestClient(client.app) as other:  # type: ignore[arg-type]
        log_in(other, world.member, PASSWORD)


def test_guessing_the_current_password_is_throttled_like_a_log_in(
    client: TestClient, world: World
) -> None:
    log_in(client, world.member)
    for _ in range(5):
        assert _change(client, current="guess-guess-guess", password=NEW_PASSWORD).status_code == (
            422
        )
    response = _change(client, current=PASSWORD, password=NEW_PASSWORD, repeat=NEW_PASSWORD)
    assert response.status_code == 429
    assert "Too many failed log-ins" in text_of(response.text)
    assert int(response.headers["retry-after"]) > 0


# --- Forgotten password ---------------------------------------------------------------------


def _ask(client: TestClient, email: str) -> Any:
    page = client.get("/login")
    assert "Forgot your password?" in page.text and 'href="/password/forgot"' in page.text
    form = form_in(client.get("/password/forgot").text, action="/password/forgot")
    return client.post("/password/forgot", data=form | {"email": email}, follow_redirects=False)


def _reset(client: TestClient, link: str, password: str, repeat: str | None = None) -> Any:
    page = client.get(_path(link))
    assert page.status_code == 200, page.text
    form = form_in(page.text, method="post")
    form |= {"password": password, "repeat": password if repeat is None else repeat}
    return client.post(_path(link), data=form, follow_redirects=False)


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(
    client: TestClient, database: Database, world: World
) -> None:
    known = _ask(client, world.member.upper())
    unknown = _ask(client, "nobody@asean.test")
    assert known.status_code == unknown.status_code == 200

    def answer(html: str) -> str:
        return text_of(html.split('<main id="main"')[1].split("</main>")[0])

    assert SAME_ANSWER in answer(known.text)
    assert answer(known.text).replace(world.member.upper(), "X") == answer(unknown.text).replace(
        "nobody@asean.test", "X"
    )
    [mail] = _outbox(database, "password_reset")
    assert mail.to_address == world.member
    assert "expires in 60 minutes" in mail.text_body
    assert _audit(database, "user.password_reset_requested") == 1


def test_the_answer_takes_as_long_whether_or_not_the_address_has_an_account(
    client: TestClient, database: Database, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mailing a link (written and committed) takes longer than finding no account: measured
    from outside, that told which addresses have one. Every answer waits out the same time."""
    monkeypatch.setattr(password_pages, "FORGOT_ANSWER_SECONDS", 0.3)
    for email in (world.member, "nobody@asean.test", world.secretariat):
        form = form_in(client.get("/password/forgot").text, action="/password/forgot")
        started = time.monotonic()
        response = client.post("/password/forgot", data=form | {"email": email})
        took = time.monotonic() - started
        assert response.status_code == 200 and SAME_ANSWER in response.text
        assert took >= 0.3, f"{email}: answered after {took:.3f} s"
    assert [m.to_address for m in _outbox(database, "password_reset")] == [
        world.member,
        world.secretariat,
    ]


def test_reset_mails_are_limited_per_address_and_hour_with_the_same_answer(
    client: TestClient, database: Database, clock: Clock, world: World
) -> None:
    for _ in range(MAX_RESET_MAILS + 2):
        response = _ask(client, world.member)
        assert response.status_code == 200 and SAME_ANSWER in response.text
    assert len(_outbox(database, "password_reset")) == MAX_RESET_MAILS
    clock.advance(hours=1, seconds=1)
    _ask(client, world.member)
    assert len(_outbox(database, "password_reset")) == MAX_RESET_MAILS + 1


@pytest.mark.parametrize(("email", "message"), [("", "Enter your e-mail"), ("maria", "name@")])
def test_what_is_not_an_address_is_refused_on_the_form(
    client: TestClient, database: Database, email: str, message: str
) -> None:
    response = _ask(client, email)
    assert response.status_code == 422
    [(field, text)] = summary(response.text)
    assert field == "email" and message in text
    assert _outbox(database, "password_reset") == []


def test_a_forged_request_sends_nothing(app: FastAPI, database: Database, world: World) -> None:
    with TestClient(app) as stranger:
        response = stranger.post(
            "/password/forgot", data={"email": world.member, "csrf_token": "forged"}
        )
    assert response.status_code == 403
    assert _outbox(database, "password_reset") == []


def test_a_reset_sets_the_password_ends_every_session_and_is_single_use(
    client: TestClient, app: FastAPI, database: Database, world: World
) -> None:
    with TestClient(app) as elsewhere:
        log_in(elsewhere, world.member)
        _ask(client, world.member)
        link = _mailed_link(database, world.member, "password_reset")
        assert link.startswith("http://testserver/password/reset/")
        page = client.get(_path(link))
        assert page.text.count('type="password"') == 2 and 'type="submit"' in page.text
        assert "For the account " + world.member in text_of(page.text)
        response = _reset(client, link, NEW_PASSWORD)
        assert response.status_code == 303
        assert response.headers["location"] == "/login?done=reset"
        assert "Log in with the new password" in client.get("/login?done=reset").text
        assert elsewhere.get("/api/v1/me").status_code == 401  # the other session ended
    assert _live_sessions(database, world.member) == 0
    assert _audit(database, "user.password_reset") == 1
    [notice] = _outbox(database, "security_notice")
    assert notice.subject == "Your password was reset (zerodraft)"
    log_in(client, world.member, NEW_PASSWORD)
    # Used up.
    again = client.get(_path(link))
    assert again.status_code == 410 and "already been used" in again.text
    assert client.post(_path(link), data={"password": "x", "repeat": "x"}).status_code == 410


def test_a_reset_link_expires_after_an_hour(
    client: TestClient, database: Database, clock: Clock, world: World
) -> None:
    _ask(client, world.member)
    link = _mailed_link(database, world.member, "password_reset")
    clock.advance(minutes=59)
    assert client.get(_path(link)).status_code == 200
    clock.advance(minutes=1)
    page = client.get(_path(link))
    assert page.status_code == 410
    assert "expired" in page.text and 'href="/password/forgot"' in page.text


def test_only_the_newest_reset_link_works(
    client: TestClient, database: Database, world: World
) -> None:
    _ask(client, world.member)
    first = _mailed_link(database, world.member, "password_reset")
    _ask(client, world.member)
    second = _mailed_link(database, world.member, "password_reset")
    assert client.get(_path(first)).status_code == 410
    assert _reset(client, second, NEW_PASSWORD).status_code == 303


def test_a_refused_new_password_keeps_the_link_usable(
    client: TestClient, database: Database, world: World
) -> None:
    _ask(client, world.member)
    link = _mailed_link(database, world.member, "password_reset")
    response = _reset(client, link, NEW_PASSWORD, NEW_PASSWORD + "?")
    assert response.status_code == 422
    assert summary(response.text) == [("repeat", "The two passwords are not the same.")]
    with database.transaction() as s:
        assert s.scalar(select(AccountLink.used_at)) is None
    assert _reset(client, link, NEW_PASSWORD).status_code == 303


def test_a_disabled_account_cannot_reset(
    client: TestClient, database: Database, clock: Clock, world: World
) -> None:
    _ask(client, world.member)
    link = _mailed_link(database, world.member, "password_reset")
    with arranged(database) as s:
        s.scalars(select(User).where(User.email == world.member)).one().disable(now=clock.now)
    page = client.get(_path(link))
    assert page.status_code == 403 and "disabled" in page.text
    posted = client.post(_path(link), data={"password": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert posted.status_code == 403
    # And a disabled account is sent no link at all, with the same answer.
    response = _ask(client, world.member)
    assert SAME_ANSWER in response.text
    assert len(_outbox(database, "password_reset")) == 1


def test_a_password_is_changed_even_where_no_mail_can_go(
    client: TestClient, database: Database, world: World
) -> None:
    """An account made on the command line may have an address no mail can go to
    (root@localhost): the change is made; only its notice is left out."""
    with arranged(database) as s:
        s.execute(update(User).where(User.email == world.admin).values(email="root@localhost"))
    log_in(client, "root@localhost")
    response = _change(client, current=PASSWORD, password=NEW_PASSWORD, repeat=NEW_PASSWORD)
    assert response.status_code == 303, text_of(response.text)
    assert _audit(database, "user.password_change") == 1
    assert _outbox(database, "security_notice") == []


@pytest.mark.parametrize("path", ["/login", "/password/forgot"])
def test_a_forged_form_value_of_any_letters_is_refused_not_a_500(
    client: TestClient, database: Database, world: World, path: str
) -> None:
    client.get(path)  # the form's cookie is set
    response = client.post(
        path,
        data={"email": world.member, "password": PASSWORD, "csrf_token": "forgé"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "form had expired" in response.text
    assert _outbox(database, "password_reset") == []
    assert _live_sessions(database, world.member) == 0


def test_a_forged_reset_form_value_of_any_letters_is_refused_not_a_500(
    client: TestClient, database: Database, world: World
) -> None:
    _ask(client, world.member)
    link = _path(_mailed_link(database, world.member, "password_reset"))
    client.get(link)  # the form's cookie is set
    response = client.post(
        link,
        data={"password": NEW_PASSWORD, "repeat": NEW_PASSWORD, "csrf_token": "forgé"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "The form had expired" in response.text
    assert _audit(database, "user.password_reset") == 0


def test_a_reset_frees_an_account_locked_by_failed_log_ins(
    client: TestClient, database: Database, world: World
) -> None:
    for _ in range(5):
        page = client.get("/login")
        client.post(
            "/login",
            data={"email": world.member, "password": "wrong", "csrf_token": csrf_of(page.text)},
        )
    _ask(client, world.member)
    _reset(client, _mailed_link(database, world.member, "password_reset"), NEW_PASSWORD)
    log_in(client, world.member, NEW_PASSWORD)


def test_an_invited_person_who_lost_the_invitation_can_use_the_reset(
    client: TestClient, database: Database, world: World
) -> None:
    from app.accounts import invitations
    from app.audit.service import Actor
    from app.config import Settings

    settings: Settings = client.app.state.settings  # type: ignore[attr-defined]
    with database.transaction() as s:
        invitations.invite(
            s,
            Actor.system("test"),
            email="late@asean.test",
            name="Late Comer",
            role="observer",
            now=client.app.state.clock(),  # type: ignore[attr-defined]
            settings=settings,
            inviter_role=None,
        )
    invitation = _mailed_link(database, "late@asean.test")
    _ask(client, "late@asean.test")
    assert (
        _reset(
            client, _mailed_link(database, "late@asean.test", "password_reset"), NEW_PASSWORD
        ).status_code
        == 303
    )
    # The invitation is done with.
    assert client.get(_path(invitation)).status_code == 410
    with database.transaction() as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(AccountLink)
                .where(
                    AccountLink.purpose == LinkPurpose.INVITATION,
                    AccountLink.revoked_at.is_not(None),
                )
            )
            == 1
        )
