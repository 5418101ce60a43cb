"""The outbox as the admin reads it (/admin/outbox and its API): newest first, by state, each
message in full with its links, a banner while no mail server is configured, and a failed
message sent again."""

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from app.config import Settings
from app.db import Database
from app.mail.outbox import enqueue
from app.main import create_app
from app.models import AuditEvent, OutboxMessage, OutboxState
from tests.factories import World, bearer, token_for
from tests.helpers import Clock, browser_log_in, csrf_of, log_in
from tests.test_accessibility import assert_no_serious_violations

INVITATION = "http://testserver/invitation/" + "t" * 43


def write(database: Database, clock: Clock, n: int = 1, **fields: Any) -> list[int]:
    ids = []
    with database.transaction() as s:
        for i in range(n):
            m = enqueue(
                s,
                to=str(fields.get("to", f"person{i}@asean.test")),
                subject=str(fields.get("subject", f"Message {i}")),
                text=str(
                    fields.get(
                        "text",
                        f"Dear person,\n\nAccept the invitation: {INVITATION}.\n\n"
                        "Or read <b>this</b> & that: http://testserver/rounds/DWG-FC/Rev.1\n",
                    )
                ),
                kind=str(fields.get("kind", "invitation")),
                now=clock.now + timedelta(seconds=i),
            )
            s.flush()
            ids.append(m.id)
    return ids


def fail(database: Database, message_id: int, error: str = "x@y refused: 550 no such user") -> None:
    with database.transaction() as s:
        s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(state=OutboxState.FAILED, attempts=1, last_error=error)
        )


@pytest.fixture
def admin(client: TestClient, world: World) -> TestClient:
    log_in(client, World.admin)
    return client


def test_the_outbox_lists_newest_first_with_a_banner_without_smtp(
    admin: TestClient, database: Database, clock: Clock
) -> None:
    ids = write(database, clock, 3)
    page = admin.get("/admin/outbox")
    assert page.status_code == 200
    assert "<h1>Outbox</h1>" in page.text
    assert "Mail is not being sent" in page.text
    assert "set <code>ZERODRAFT_SMTP_HOST</code>" in page.text
    rows = re.findall(r'<tr id="message-(\d+)">', page.text)
    assert rows == [str(i) for i in reversed(ids)]
    assert f'<a href="/admin/outbox/{ids[0]}">Message 0</a>' in page.text
    assert "All (3)" in page.text and "Pending (3)" in page.text and "Failed (0)" in page.text
    assert '<span class="tag tag-waiting">Pending</span>' in page.text


def test_the_outbox_filters_by_state_and_pages_back(
    admin: TestClient, database: Database, clock: Clock
) -> None:
    ids = write(database, clock, 55)
    fail(database, ids[3])
    failed = admin.get("/admin/outbox?state=failed").text
    assert re.findall(r'<tr id="message-(\d+)">', failed) == [str(ids[3])]
    assert '<strong aria-current="page">Failed (1)</strong>' in failed
    assert "x@y refused: 550 no such user" in failed

    first = admin.get("/admin/outbox").text
    assert len(re.findall(r'<tr id="message-', first)) == 50
    older = re.search(r'<a href="(/admin/outbox\?before=\d+)" rel="next">Older messages</a>', first)
    assert older
    second = admin.get(older.group(1)).text
    assert re.findall(r'<tr id="message-(\d+)">', second) == [str(i) for i in reversed(ids[:5])]
    assert (
        "Older messages" not in second and '<a href="/admin/outbox">Newest messages</a>' in second
    )
    # Nonsense in the address is ignored, not an error.
    assert admin.get("/admin/outbox?state=lost&before=x").status_code == 200


def test_a_message_reads_in_full_with_its_links(
    admin: TestClient, database: Database, clock: Clock
) -> None:
    (mid,) = write(database, clock)
    page = admin.get(f"/admin/outbox/{mid}")
    assert page.status_code == 200
    assert "<h1>Message 0</h1>" in page.text
    assert f'<a href="{INVITATION}" rel="noreferrer">{INVITATION}</a>.' in page.text
    assert "read &lt;b&gt;this&lt;/b&gt; &amp; that" in page.text  # the text, escaped
    assert "Pass its link on to person0@asean.test yourself" in page.text
    assert admin.get("/admin/outbox/999999").status_code == 404
    # Whoever reads a live one-time link could use it: the reading is in the audit trail.
    with database.transaction(write=False) as s:
        read = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "mail.one_time_link_read")
        ).all()
    assert [(e.object_id, e.details["to"]) for e in read] == [(str(mid), "person0@asean.test")]


def test_with_smtp_configured_one_time_links_are_not_shown(
    settings: Settings, clock: Clock, world: World, database: Database
) -> None:
    (mid,) = write(database, clock)
    with_smtp = settings.model_copy(update={"smtp_host": "smtp.example.org"})
    app: FastAPI = create_app(with_smtp, clock=clock)
    try:
        with TestClient(app, base_url="http://testserver") as admin:
            log_in(admin, World.admin)
            page = admin.get(f"/admin/outbox/{mid}").text
            assert "t" * 43 not in page
            assert "http://testserver/invitation/<span" in page
            assert "one-time link hidden" in page
            assert '<a href="http://testserver/rounds/DWG-FC/Rev.1"' in page
            assert "Mail is not being sent" not in admin.get("/admin/outbox").text
    finally:
        app.state.database.dispose()


def test_one_time_links_stay_hidden_after_the_base_url_changed(
    settings: Settings, clock: Clock, world: World, database: Database
) -> None:
    """Mail written while zerodraft was at another address (set up at http://127.0.0.1:8000,
    then moved to its real name) keeps its links hidden once mail goes out."""
    token = "k" * 43
    (mid,) = write(
        database,
        clock,
        text=f"Accept: http://127.0.0.1:8000/invitation/{token}\n"
        f"Reset: https://old.example.org/zd/password/reset/{token}.\n"
        "Read: http://127.0.0.1:8000/rounds/DWG-FC/Rev.1\n",
    )
    moved = settings.model_copy(
        update={"smtp_host": "smtp.example.org", "base_url": "https://zerodraft.example.org"}
    )
    app: FastAPI = create_app(moved, clock=clock)
    try:
        with TestClient(app, base_url="http://testserver") as admin:
            log_in(admin, World.admin)
            page = admin.get(f"/admin/outbox/{mid}").text
            assert token not in page
            assert "http://127.0.0.1:8000/invitation/<span" in page
            assert "https://old.example.org/zd/password/reset/<span" in page
            assert page.count("one-time link hidden") == 2
            assert '<a href="http://127.0.0.1:8000/rounds/DWG-FC/Rev.1"' in page
    finally:
        app.state.database.dispose()


def test_a_failed_message_is_sent_again_and_it_is_audited(
    admin: TestClient, database: Database, clock: Clock
) -> None:
    (mid,) = write(database, clock)
    fail(database, mid)
    page = admin.get(f"/admin/outbox/{mid}").text
    assert '<span class="tag tag-bad">Failed</span>' in page
    assert "x@y refused: 550 no such user" in page
    clock.advance(minutes=30)
    sent = admin.post(
        f"/admin/outbox/{mid}/retry", data={"csrf_token": csrf_of(page)}, follow_redirects=False
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/admin/outbox/{mid}?retried=1"
    again = admin.get(sent.headers["location"]).text
    assert "Message queued again" in again and "Send it again" not in again
    with database.transaction(write=False) as s:
        message = s.get(OutboxMessage, mid)
        assert message is not None
        assert (message.state, message.attempts, message.next_attempt_at) == (
            OutboxState.PENDING,
            0,
            clock.now,
        )
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "mail.retry"))
    assert event is not None and event.object_id == str(mid)
    assert event.details["last_error"] == "x@y refused: 550 no such user"
    # Only a failed message can be sent again.
    twice = admin.post(f"/admin/outbox/{mid}/retry", data={"csrf_token": csrf_of(page)})
    assert twice.status_code == 409 and "only a failed message can be sent again" in twice.text


@pytest.mark.parametrize("who", [World.secretariat, World.member, World.chair])
def test_only_the_admin_reads_the_outbox(
    client: TestClient, world: World, database: Database, clock: Clock, who: str
) -> None:
    (mid,) = write(database, clock)
    log_in(client, who)
    assert client.get("/admin/outbox").status_code == 403
    assert client.get(f"/admin/outbox/{mid}").status_code == 403
    headers = bearer(token_for(database, who, clock.now))
    assert client.get("/api/v1/outbox", headers=headers).status_code == 403


def test_the_api_lists_the_outbox_without_bodies(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    ids = write(database, clock, 3)
    fail(database, ids[1])
    headers = bearer(token_for(database, World.admin, clock.now))
    answer = client.get("/api/v1/outbox?state=failed", headers=headers)
    assert answer.status_code == 200
    body = answer.json()
    assert body["counts"] == {"pending": 2, "sent": 0, "failed": 1}
    (one,) = body["messages"]
    assert one["id"] == ids[1] and one["state"] == "failed" and one["to"] == "person1@asean.test"
    assert one["last_error"] == "x@y refused: 550 no such user"
    assert "text" not in one and INVITATION not in answer.text
    page = client.get("/api/v1/outbox?limit=2", headers=headers).json()
    assert [m["id"] for m in page["messages"]] == [ids[2], ids[1]]
    assert page["next_before"] == ids[1]
    rest = client.get(f"/api/v1/outbox?limit=2&before={ids[1]}", headers=headers).json()
    assert [m["id"] for m in rest["messages"]] == [ids[0]] and rest["next_before"] is None
    assert client.get("/api/v1/outbox?state=lost", headers=headers).status_code == 422


@pytest.fixture
def failed_invitation(database: Database, clock: Clock, world: World) -> int:
    ids = write(database, clock, 2, to="maria@asean.test", subject="You are invited to zerodraft")
    fail(database, ids[1], "maria@asean.test refused: 550 5.1.1 user unknown")
    return ids[1]


@pytest.mark.browser
def test_the_admin_finds_a_failed_mail_and_sends_it_again(
    page: Any, live_server: str, database: Database, failed_invitation: int
) -> None:
    browser_log_in(page, live_server, World.admin)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Outbox").click()
    page.get_by_role("heading", name="Outbox", exact=True).wait_for()
    assert page.get_by_role("heading", name="Mail is not being sent").is_visible()
    assert_no_serious_violations(page)
    page.get_by_role("link", name="Failed (1)").click()
    page.wait_for_url(re.compile(r".*/admin/outbox\?state=failed$"))
    assert page.get_by_text("maria@asean.test refused: 550 5.1.1 user unknown").is_visible()
    page.get_by_role("link", name="You are invited to zerodraft").click()
    page.get_by_role("heading", name="You are invited to zerodraft").wait_for()
    assert_no_serious_violations(page)
    invitation = page.get_by_role("link", name=INVITATION)
    assert invitation.get_attribute("href") == INVITATION
    page.get_by_role("button", name="Send it again").click()
    page.get_by_role("heading", name="Message queued again").wait_for()
    assert page.get_by_text("Pending", exact=True).is_visible()
    with database.transaction(write=False) as s:
        message = s.get(OutboxMessage, failed_invitation)
        assert message is not None and message.state is OutboxState.PENDING
