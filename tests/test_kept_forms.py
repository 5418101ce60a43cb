"""Typed work is never lost, through HTTP as a browser without JavaScript sends it: the limits
of keeping a form's text (app/web/kept.py). The person's whole way through it is driven in
Chromium by tests/test_browser_kept_text.py."""

import re
from typing import Any
from urllib.parse import unquote

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.config import Settings
from app.db import Database
from app.models import Comment, KeptForm
from app.web.kept import ENDED, EXPIRED
from tests.factories import World
from tests.helpers import Clock, csrf_of, form_in, log_in, logged_in
from tests.test_mfa import code_at, enrol_totp, give_code, password_step

ITEM = "/indicators/FC-CD-01"
BASE = "http://testserver"
# What a browser sends with a form from one of the site's own pages.
FROM_PAGE = {"sec-fetch-site": "same-origin", "origin": BASE, "referer": BASE + ITEM}
TYPED = "Too narrow: tablets & <laptops> are taken too.\n\nSecond paragraph."


def _comment_fields(client: TestClient, **more: str) -> dict[str, str]:
    fields = form_in(client.get(ITEM).text, id="new-comment")
    return fields | {"body": TYPED, "kind": "substantive"} | more


def _send(client: TestClient, path: str, fields: dict[str, str], **headers: str) -> Any:
    return client.post(path, data=fields, headers=FROM_PAGE | headers, follow_redirects=False)


def _comments(database: Database) -> list[str]:
    with database.transaction(write=False) as s:
        return list(s.scalars(select(Comment.body).order_by(Comment.id)))


def _kept_rows(database: Database) -> list[KeptForm]:
    with database.transaction(write=False) as s:
        rows = list(s.scalars(select(KeptForm)))
        s.expunge_all()
        return rows


def test_an_expired_form_is_the_page_again_with_what_was_typed(
    client: TestClient, world: World, database: Database
) -> None:
    old = log_in(client, world.member)
    fields = _comment_fields(client)
    log_in(client, world.member)  # logged in again: the session's token is a new one
    assert csrf_of(client.get(ITEM).text) != old

    answer = _send(client, "/comments", fields)
    assert answer.status_code == 403
    assert EXPIRED in answer.text
    assert '<a href="#new-comment">Go to your text</a>' in answer.text
    again = form_in(answer.text, id="new-comment")
    assert again["body"] == TYPED and again["kind"] == "substantive"
    assert again["csrf_token"] != old  # the page's own, fresh token
    assert _comments(database) == []
    # Sending it again as it is shown saves it.
    sent = client.post("/comments", data=again, follow_redirects=False)
    assert sent.status_code == 303 and re.search(r"#comment-\d+$", sent.headers["location"])
    assert _comments(database) == [TYPED]


def test_a_reply_comes_back_in_its_own_form(client: TestClient, world: World, app: FastAPI) -> None:
    other = logged_in(app, world.member2)
    for body in ("First comment.", "Second comment."):
        fields = form_in(other.get(ITEM).text, id="new-comment") | {"body": body}
        assert other.post("/comments", data=fields, follow_redirects=False).status_code == 303
    log_in(client, world.member)
    page = client.get(ITEM).text
    reply = form_in(page.split('id="comment-2"')[1], action="/comments") | {"body": TYPED}
    assert reply["parent_id"] == "2"
    log_in(client, world.member)

    answer = _send(client, "/comments", reply)
    assert answer.status_code == 403 and EXPIRED in answer.text
    second = answer.text.split('id="comment-2"')[1]
    # The reply to comment 2 holds the text and is unfolded; the reply to comment 1 is empty.
    assert form_in(second, action="/comments")["body"] == TYPED
    assert '<details class="comment-more" open' in second.split("reply-form")[0]
    first = answer.text.split('id="comment-1"')[1].split('id="comment-2"')[0]
    assert form_in(first, action="/comments")["body"] == ""


def test_without_the_page_it_came_from_the_text_is_kept_on_a_page_of_its_own(
    client: TestClient, world: World, database: Database
) -> None:
    log_in(client, world.member)
    fields = _comment_fields(client)
    log_in(client, world.member)
    answer = client.post(
        "/comments",
        data=fields,
        headers={"sec-fetch-site": "same-origin"},  # no Referer: the page is not known
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert "<h1>Your text is kept</h1>" in answer.text and EXPIRED in answer.text
    kept = form_in(answer.text, id="kept-form")
    assert kept["body"] == TYPED
    assert kept["item"] == "FC-CD-01" and kept["kind"] == "substantive"
    sent = client.post("/comments", data=kept, follow_redirects=False)
    assert sent.status_code == 303
    assert _comments(database) == [TYPED]


def test_forms_from_other_sites_and_scripts_are_refused_as_before(
    client: TestClient, world: World, database: Database
) -> None:
    csrf = log_in(client, world.member)
    fields = _comment_fields(client, csrf_token="forged")
    for headers in (
        {"sec-fetch-site": "cross-site", "origin": "https://elsewhere.example"},
        {"origin": "https://elsewhere.example"},
        {},  # the browser says nothing of where the form came from
    ):
        answer = client.post("/comments", data=fields, headers=headers, follow_redirects=False)
        assert answer.status_code == 403
        assert "security token is missing or out of date" in answer.text
        assert "Too narrow" not in answer.text and EXPIRED not in answer.text
    # A script's request (its token in a header) gets the refusal too, and JSON never carries
    # the session's token.
    api = client.post(
        "/api/v1/me/tokens", json={"name": "x"}, headers={"X-CSRF-Token": "stale", **FROM_PAGE}
    )
    assert api.status_code == 403 and api.json()["field"] == "csrf_token"
    assert csrf not in api.text
    assert _comments(database) == []


def test_a_form_sent_after_the_session_ended_is_kept_for_its_person(
    client: TestClient,
    world: World,
    app: FastAPI,
    database: Database,
    clock: Clock,
    settings: Settings,
) -> None:
    log_in(client, world.member)
    fields = _comment_fields(client)
    clock.advance(minutes=settings.session_idle_minutes + 1)

    answer = _send(client, "/comments", fields)
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert re.fullmatch(r"/login\?next=/kept/[\w-]{43}", location)
    kept_path = unquote(location.split("next=")[1])
    (row,) = _kept_rows(database)
    assert row.action == "/comments" and row.page == ITEM
    assert row.id != kept_path.removeprefix("/kept/")  # only its digest is stored
    assert ["body", TYPED] in row.fields and all(name != "csrf_token" for name, _ in row.fields)
    assert "What you typed is kept" in client.get(location).text

    # Someone else who logs in in this browser does not get it.
    stranger = logged_in(app, world.member2)
    assert stranger.get(kept_path).status_code == 404

    log_in(client, world.member)
    page = client.get(kept_path)
    assert page.status_code == 200 and ENDED in page.text
    assert form_in(page.text, id="new-comment")["body"] == TYPED
    # Shown again as often as needed while it is kept; gone after two hours.
    assert client.get(kept_path).status_code == 200
    clock.advance(hours=2, seconds=1)
    log_in(client, world.member)
    gone = client.get(kept_path)
    assert gone.status_code == 404 and "kept for two hours" in gone.text
    # The next form kept clears away the expired ones.
    clock.advance(minutes=settings.session_idle_minutes + 1)
    _send(client, "/comments", _comment_fields(logged_in(app, world.member)))
    assert [r.page for r in _kept_rows(database)] == [ITEM]


def test_what_an_ended_session_does_not_keep(
    client: TestClient,
    world: World,
    database: Database,
    clock: Clock,
    settings: Settings,
) -> None:
    csrf = log_in(client, world.member)
    clock.advance(minutes=settings.session_idle_minutes + 1)
    # A button without typing (log out, withdraw): back to the page it was on, after logging in.
    plain = _send(client, "/notifications/read-all", {"csrf_token": csrf})
    assert plain.headers["location"] == f"/login?next={ITEM}"
    # The forms of one's account and of logging in hold passwords: never stored.
    password = _send(
        client,
        "/account/password",
        {"csrf_token": csrf, "current": "correct-horse", "password": "a b c d", "repeat": "x"},
        referer=BASE + "/account",
    )
    assert password.headers["location"] == "/login?next=/account"
    # A form posted from another site is not kept for anyone to find in front of them.
    foreign = client.post(
        "/comments",
        data={"csrf_token": csrf, "item": "FC-CD-01", "body": "Planted words"},
        headers={"origin": "https://elsewhere.example", "referer": "https://elsewhere.example/"},
        follow_redirects=False,
    )
    assert foreign.headers["location"] == "/login?next=/comments"
    assert _kept_rows(database) == []


def test_the_text_waits_through_the_second_factor(
    client: TestClient,
    world: World,
    database: Database,
    clock: Clock,
    settings: Settings,
) -> None:
    settings.mfa_required_roles = "secretariat"  # the app reads its settings at each log-in
    secret, _codes = enrol_totp(client, clock, world.secretariat)
    fields = _comment_fields(client)
    clock.advance(minutes=settings.session_idle_minutes + 1)
    location = _send(client, "/comments", fields).headers["location"]
    kept_path = unquote(location.split("next=")[1])
    assert kept_path.startswith("/kept/")

    assert password_step(client, world.secretariat, kept_path).headers["location"] == (
        "/login/verify"
    )
    clock.advance(seconds=30)  # a code not used before
    verified = give_code(client, code_at(secret, clock))
    assert verified.status_code == 303 and verified.headers["location"] == kept_path
    page = client.get(kept_path)
    assert page.status_code == 200 and ENDED in page.text
    assert form_in(page.text, id="new-comment")["body"] == TYPED
    assert _comments(database) == []


def test_behind_a_proxy_the_page_is_known_by_the_sites_address(
    client: TestClient, world: World
) -> None:
    log_in(client, world.member)
    fields = _comment_fields(client)
    log_in(client, world.member)
    # The proxy asks for another Host than the address people use (the configured base_url).
    answer = client.post(
        "/comments",
        data=fields,
        headers={"host": "app.internal:8000", "origin": BASE, "referer": BASE + ITEM},
        follow_redirects=False,
    )
    assert answer.status_code == 403 and EXPIRED in answer.text
    assert form_in(answer.text, id="new-comment")["body"] == TYPED


def test_a_kept_form_without_its_page_comes_back_on_a_page_of_its_own(
    client: TestClient, world: World, database: Database, clock: Clock, settings: Settings
) -> None:
    log_in(client, world.member)
    fields = _comment_fields(client)
    clock.advance(minutes=settings.session_idle_minutes + 1)
    sent = client.post(
        "/comments", data=fields, headers={"sec-fetch-site": "same-origin"}, follow_redirects=False
    )
    kept_path = unquote(sent.headers["location"].split("next=")[1])
    log_in(client, world.member)
    page = client.get(kept_path)
    assert page.status_code == 200 and ENDED in page.text
    kept = form_in(page.text, id="kept-form")
    assert kept["body"] == TYPED and kept["csrf_token"] == csrf_of(client.get(ITEM).text)
    assert client.post("/comments", data=kept, follow_redirects=False).status_code == 303
    assert _comments(database) == [TYPED]
