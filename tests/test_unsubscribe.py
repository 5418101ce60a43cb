"""One-click unsubscribe (RFC 8058) from a notification mail: a signed link, no log-in; a GET
only shows the confirm page (mail scanners open links), the POST stops notification mail, and
mail about the account still goes."""

import re
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from app import worker as background
from app.audit.service import Actor
from app.config import Settings
from app.db import Database
from app.mail.digest import unsubscribe_url
from app.mail.outbox import enqueue
from app.models import AuditEvent, MailFrequency, RoundKind, User
from app.rounds import service as rounds
from app.signing import sign
from tests.factories import World, arranged
from tests.helpers import Clock
from tests.mailserver import MailServer
from tests.test_accessibility import assert_no_serious_violations


def member(database: Database) -> User:
    with database.transaction(write=False) as s:
        found = s.scalar(select(User).where(User.email == World.member))
        assert found is not None
        return found


def path_of(settings: Settings, user_id: int) -> str:
    return unsubscribe_url(settings, user_id).removeprefix(settings.base_url)


def mail_events(database: Database) -> list[AuditEvent]:
    with database.transaction(write=False) as s:
        return list(
            s.scalars(select(AuditEvent).where(AuditEvent.action == "account.mail_frequency"))
        )


def test_opening_the_link_asks_first_and_changes_nothing(
    client: TestClient, database: Database, world: World, settings: Settings
) -> None:
    maria = member(database)
    page = client.get(path_of(settings, maria.id))
    assert page.status_code == 200
    assert "<h1>Stop notification mail</h1>" in page.text
    assert "Stop the notification mail that zerodraft sends to member.ph@asean.test?" in page.text
    assert "Its current preference: <strong>A daily digest</strong>" in page.text
    assert f'<form method="post" action="{path_of(settings, maria.id)}">' in page.text
    assert '<button type="submit" class="button">Stop notification mail</button>' in page.text
    assert '<a href="/account">your account page</a>' in page.text
    assert member(database).mail_frequency is MailFrequency.DAILY
    assert mail_events(database) == []


def test_the_one_click_post_stops_notification_mail_without_log_in(
    client: TestClient, database: Database, world: World, settings: Settings, clock: Clock
) -> None:
    maria = member(database)
    # What a mail program sends (RFC 8058): no cookie, no CSRF token.
    done = client.post(
        path_of(settings, maria.id),
        content="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200
    assert "<h1>Notification mail stopped</h1>" in done.text
    assert "still reaches it" in done.text
    assert member(database).mail_frequency is MailFrequency.NONE
    (event,) = mail_events(database)
    assert (event.actor_id, event.object_type, event.object_id) == (maria.id, "user", str(maria.id))
    assert event.details == {"from": "daily", "to": "none", "via": "unsubscribe"}
    assert event.occurred_at == clock.now
    # Twice is the same as once.
    again = client.post(path_of(settings, maria.id), data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200 and "Notification mail stopped" in again.text
    assert len(mail_events(database)) == 1
    assert "already receives no notification mail" in client.get(path_of(settings, maria.id)).text


@pytest.mark.parametrize(
    "token",
    [
        "3",  # cut short
        "3.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  # forged
        "abc.def",
        "99999",  # no such person, below
        "other-key",
        "other-purpose",
        "3.%C3%A9t%C3%A9",  # mangled by a mail program: letters hmac cannot compare (was a 500)
    ],
)
def test_a_link_that_is_not_ours_is_refused_plainly(
    client: TestClient, database: Database, world: World, settings: Settings, token: str
) -> None:
    maria = member(database)
    token = {
        "99999": sign(settings.secret_key, "unsubscribe", "99999"),
        "other-key": sign("another-secret-key-of-another-install", "unsubscribe", str(maria.id)),
        "other-purpose": sign(settings.secret_key, "invitation", str(maria.id)),
        "3": str(maria.id),
    }.get(token, token)
    for method in ("GET", "POST"):
        refused = client.request(method, f"/mail/unsubscribe/{token}")
        assert refused.status_code == 404, (method, token)
        assert "This unsubscribe link is not valid" in refused.text
        assert "Open it from the mail again" in refused.text
    assert member(database).mail_frequency is MailFrequency.DAILY
    assert mail_events(database) == []


def _issue_round(database: Database, clock: Clock) -> None:
    with database.transaction() as s:
        rounds.create_round(
            s,
            Actor.system("test"),
            symbol="DWG-FC/Rev.1",
            title="First revision of the indicators",
            kind=RoundKind.WRITTEN,
            time_zone="Asia/Jakarta",
            deadline=None,
            opens_at=None,
            instructions="",
            observers_may_comment=False,
            now=clock.now,
        )
        rounds.issue_round(s, Actor.system("test"), "DWG-FC/Rev.1", now=clock.now)


def test_after_unsubscribing_only_account_mail_arrives(
    client: TestClient,
    database: Database,
    world: World,
    settings: Settings,
    clock: Clock,
    mail_server: MailServer,
) -> None:
    maria = member(database)
    client.post(path_of(settings, maria.id), data={"List-Unsubscribe": "One-Click"})
    _issue_round(database, clock)
    with database.transaction() as s:
        enqueue(
            s,
            to=World.member,
            subject="Your zerodraft password was changed",
            text="If this was not you, tell the secretariat.",
            kind="security",
            user_id=maria.id,
            now=clock.now,
        )
    clock.advance(days=2)
    background.run_once(database, mail_server.settings_for(settings), clock)
    assert [m.subject for m in mail_server.to(World.member)] == [
        "Your zerodraft password was changed"
    ]
    assert len(mail_server.to(World.member2)) == 1  # the others got their digest


@pytest.mark.browser
def test_a_member_unsubscribes_from_the_link_in_a_mail(
    page: Any,
    live_server: str,
    database: Database,
    world: World,
    settings: Settings,
    clock: Clock,
    mail_server: MailServer,
) -> None:
    with arranged(database) as s:
        s.execute(
            update(User)
            .where(User.email.in_([World.member, World.member2]))
            .values(mail_frequency=MailFrequency.IMMEDIATE)
        )
    _issue_round(database, clock)
    smtp = mail_server.settings_for(settings, base_url=live_server)
    background.run_once(database, smtp, clock)
    (mail,) = mail_server.to(World.member)
    link = mail.link_to("/mail/unsubscribe/")
    assert mail.header("List-Unsubscribe") == f"<{link}>"

    # A mail scanner opening the link first changes nothing.
    assert httpx.get(link).status_code == 200
    assert member(database).mail_frequency is MailFrequency.IMMEDIATE

    page.goto(link)
    page.get_by_role("heading", name="Stop notification mail").wait_for()
    assert page.get_by_text("Its current preference: Every message at once").is_visible()
    assert_no_serious_violations(page)
    page.get_by_role("button", name="Stop notification mail").click()
    page.get_by_role("heading", name="Notification mail stopped").wait_for()
    assert page.locator("#confirmation").get_attribute("role") == "status"
    assert_no_serious_violations(page)
    assert member(database).mail_frequency is MailFrequency.NONE
    page.get_by_role("link", name="your account page").click()
    page.wait_for_url(re.compile(r".*/login\?next=(%2F|/)account$"))

    # Budi's mail program unsubscribes him with the one-click POST of RFC 8058.
    (budi,) = mail_server.to(World.member2)
    header = budi.header("List-Unsubscribe")
    assert header is not None and budi.header("List-Unsubscribe-Post")
    one_click = httpx.post(
        header.strip("<>"),
        content=budi.header("List-Unsubscribe-Post"),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert one_click.status_code == 200
    with database.transaction(write=False) as s:
        budi_now = s.scalar(select(User.mail_frequency).where(User.email == World.member2))
    assert budi_now is MailFrequency.NONE

    # Neither gets notification mail any more.
    mail_server.clear()
    clock.advance(hours=1)
    with database.transaction() as s:
        rounds.close_round(s, Actor.system("test"), "DWG-FC/Rev.1", now=clock.now)
    background.run_once(database, smtp, clock)
    assert mail_server.to(World.member) == [] and mail_server.to(World.member2) == []
