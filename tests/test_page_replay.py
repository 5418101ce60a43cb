"""Whole pages replayed to the session they were rendered for (app/web/page_cache.py): only while
the database shows that nothing the page depends on changed, never to anyone else, and never in
place of an error the ordinary path would give."""

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, select, update
from sqlalchemy.exc import OperationalError

from app.accounts import service as accounts
from app.audit.service import Actor
from app.config import Settings
from app.db import Database
from app.main import create_app
from app.models import ApiToken, AuthSession, Round, User
from app.notifications import service as notifications
from app.notifications.messages import Notice
from app.rounds.pages import Banner
from app.rounds.service import Moment
from app.web import page_cache
from app.web.deps import SESSION_COOKIE
from tests.conftest import Clock, csrf_of, log_in
from tests.factories import World, bearer, token_for

PAGE = "/indicators/FC-CD-01"


def replayed(app: FastAPI) -> int:
    return page_cache.store_of(app.state).replayed


@pytest.fixture
def member(app: FastAPI, world: World) -> Iterator[TestClient]:
    with TestClient(app) as c:
        log_in(c, world.member)
        yield c


def twice(app: FastAPI, client: TestClient, path: str = PAGE) -> tuple[Any, Any]:
    """Asks for a page twice: the second answer must be a replay of the first."""
    first = client.get(path)
    before = replayed(app)
    second = client.get(path)
    assert first.status_code == second.status_code == 200, second.text
    assert replayed(app) == before + 1
    assert second.content == first.content
    return first, second


def same_headers(first: Any, second: Any) -> bool:
    """The same headers, but for the request id (new for every answer)."""

    def headers(response: Any) -> list[tuple[str, str]]:
        return sorted((k, v) for k, v in response.headers.multi_items() if k != "x-request-id")

    return headers(first) == headers(second)


def not_replayed(app: FastAPI, client: TestClient, path: str = PAGE) -> Any:
    before = replayed(app)
    response = client.get(path, follow_redirects=False)
    assert replayed(app) == before
    return response


@pytest.mark.parametrize("path", [PAGE, "/register", "/register?status=active&q=phone"])
def test_a_repeated_page_is_replayed_with_fresh_headers(
    app: FastAPI, member: TestClient, path: str
) -> None:
    first, second = twice(app, member, path)
    assert same_headers(first, second)
    assert second.headers["cache-control"] == "no-store"
    # The length of the bytes sent (compressed, as the test client accepts gzip and br).
    assert second.headers["content-length"] == str(second.num_bytes_downloaded)
    assert second.headers["x-request-id"] != first.headers["x-request-id"]
    # Each query string is a page of its own.
    if "?" in path:
        assert not_replayed(app, member, path.split("?")[0]).status_code == 200


def test_a_page_is_replayed_only_to_the_session_it_was_rendered_for(
    app: FastAPI, world: World, member: TestClient
) -> None:
    twice(app, member)
    mine = csrf_of(member.get(PAGE).text)
    with TestClient(app) as same_person, TestClient(app) as someone_else:
        token = log_in(same_person, world.member)
        html = not_replayed(app, same_person).text
        assert csrf_of(html) == token != mine
        log_in(someone_else, world.member3)
        assert "Somchai Wong" in not_replayed(app, someone_else).text
    # No cookie, or a cookie no session has: never a replay.
    with TestClient(app) as stranger:
        assert not_replayed(app, stranger).status_code in (303, 401)
        stranger.cookies.set(SESSION_COOKIE, "forged-" + mine)
        assert not_replayed(app, stranger).status_code in (303, 401)


def test_a_new_notification_or_one_read_shows_at_once(
    app: FastAPI, world: World, database: Database, member: TestClient, clock: Clock
) -> None:
    _, page = twice(app, member)
    assert "unread</span>" not in page.text
    with database.transaction() as s:  # notifications are written without an audit event
        user = accounts.get_user_by_email(s, world.member)
        notifications.notify(
            s, [user.id], Notice("comment.reply", "A reply", "Read it", PAGE), now=clock.now
        )
    html = not_replayed(app, member).text
    assert re.search(r'class="badge">\(1<span class="visually-hidden"> unread</span>', html)
    twice(app, member)
    read = member.post(
        "/notifications/read-all", data={"csrf_token": csrf_of(html)}, follow_redirects=False
    )
    assert read.status_code == 303, read.text
    assert "unread</span>" not in not_replayed(app, member).text


def test_switching_the_acting_delegation_shows_at_once(app: FastAPI, member: TestClient) -> None:
    _, page = twice(app, member)
    assert "for Philippines - ACWC" in page.text
    switched = member.post(
        "/account/delegation", data={"delegation": "PH-SOMTC", "csrf_token": csrf_of(page.text)}
    )
    assert switched.status_code == 200, switched.text
    assert "for Philippines - SOMTC" in not_replayed(app, member).text


def test_after_logging_out_or_being_disabled_the_cookie_gets_no_page(
    app: FastAPI, world: World, database: Database, member: TestClient, clock: Clock
) -> None:
    _, page = twice(app, member)
    cookie = member.cookies[SESSION_COOKIE]
    out = member.post("/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert out.status_code == 303
    member.cookies.set(SESSION_COOKIE, cookie)
    assert not_replayed(app, member).status_code in (303, 401)

    with TestClient(app) as again:
        log_in(again, world.member)
        twice(app, again)
        with database.transaction() as s:
            accounts.disable_user(s, Actor.system("test"), email=world.member, now=clock.now)
        assert not_replayed(app, again).status_code in (303, 401)


def test_a_session_due_for_its_touch_or_idle_too_long_takes_the_ordinary_path(
    app: FastAPI, database: Database, member: TestClient, clock: Clock
) -> None:
    twice(app, member)
    clock.advance(minutes=2)
    assert not_replayed(app, member).status_code == 200
    with database.transaction(write=False) as s:
        seen = s.scalars(select(AuthSession.last_seen_at)).all()
    assert clock.now in seen  # the ordinary path touched the session
    twice(app, member)
    clock.advance(minutes=app.state.settings.session_idle_minutes + 1)
    assert not_replayed(app, member).status_code in (303, 401)


def test_the_round_banners_time_left_is_never_stale(
    app: FastAPI, member: TestClient, clock: Clock, world: World, database: Database
) -> None:
    sec = bearer(token_for(database, world.secretariat, clock.now))
    deadline = clock.now + timedelta(hours=2, seconds=30)
    created = member.post(
        "/api/v1/rounds",
        json={"symbol": "DWG-FC/ZD", "title": "Zero Draft", "deadline": deadline.isoformat()},
        headers=sec,
    )
    assert created.status_code == 201, created.text
    assert member.post("/api/v1/rounds/DWG-FC/ZD/open", headers=sec).status_code == 200
    _, page = twice(app, member)
    assert "2 hours left" in page.text
    clock.advance(seconds=20)
    assert "2 hours left" in member.get(PAGE).text
    clock.advance(seconds=15)  # 1 hour 59 minutes 55 seconds before the deadline
    assert "1 hour 59 minutes left" in not_replayed(app, member).text
    for _ in range(2):  # an hour at a time: the session stays live
        clock.advance(hours=1)
        assert not_replayed(app, member).status_code == 200
    assert "passed" in member.get(PAGE).text
    clock.advance(seconds=50)
    twice(app, member)  # "passed" does not change with time: kept again


def test_a_replayed_page_costs_one_statement(
    app: FastAPI, database: Database, member: TestClient
) -> None:
    member.get(PAGE)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        before = replayed(app)
        assert member.get(PAGE).status_code == 200
        assert replayed(app) == before + 1
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    assert len(statements) == 1, statements


def test_a_database_error_while_checking_leaves_the_answer_to_the_ordinary_path(
    app: FastAPI, member: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, _ = twice(app, member)

    for error in (OperationalError("SELECT", {}, Exception("refused")), RuntimeError("driver")):

        def failing(*_: Any, error: Exception = error) -> None:
            raise error

        monkeypatch.setattr(page_cache, "current", failing)
        answer = not_replayed(app, member)
        assert answer.status_code == 200 and answer.content == first.content


def test_other_methods_and_conditional_requests_are_never_replayed(
    app: FastAPI, member: TestClient
) -> None:
    twice(app, member)
    before = replayed(app)
    assert member.head(PAGE).status_code in (200, 405)
    assert member.get(PAGE, headers={"If-None-Match": '"x"'}).status_code == 200
    assert replayed(app) == before


def test_api_answers_are_replayed_to_the_same_token_only(
    app: FastAPI, world: World, database: Database, clock: Clock
) -> None:
    ph = bearer(token_for(database, world.member, clock.now))
    th = bearer(token_for(database, world.member3, clock.now))
    paths = ["/api/v1/indicators", "/api/v1/indicators/FC-CD-01"]
    paths += ["/api/v1/proposals?item=FC-CD-01", "/api/v1/comments?item=FC-CD-01"]
    with TestClient(app) as script:
        for path in paths:
            first = script.get(path, headers=ph)
            before = replayed(app)
            second = script.get(path, headers=ph)
            assert first.status_code == second.status_code == 200, second.text
            assert replayed(app) == before + 1, path
            assert second.content == first.content
            assert second.headers["content-type"] == "application/json"
            assert same_headers(first, second)
        assert script.get(paths[1], headers=ph).headers["etag"] == '"FC-CD-01.r1"'
        # A conditional request gets the ordinary path's 304.
        before = replayed(app)
        unchanged = script.get(paths[1], headers=ph | {"If-None-Match": '"FC-CD-01.r1"'})
        assert unchanged.status_code == 304 and replayed(app) == before

        # Thailand's private draft: never in Philippines' answers, replayed or not; shown to
        # both once submitted.
        draft = script.post(
            "/api/v1/proposals",
            json={
                "kind": "amend",
                "targets": ["FC-CD-01"],
                "content": {"text": "Wording only Thailand has seen"},
                "rationale": "Private to TH-SOMTC",
                "submit": False,
            },
            headers=th,
        )
        assert draft.status_code == 201, draft.text
        for who, sees, replay in ((th, True, 0), (ph, False, 0), (th, True, 1), (ph, False, 1)):
            before = replayed(app)
            listed = script.get(paths[2], headers=who).text
            assert ("Wording only Thailand" in listed) is sees
            assert replayed(app) == before + replay
        submitted = script.post(f"/api/v1/proposals/{draft.json()['id']}/submit", headers=th)
        assert submitted.status_code == 200, submitted.text
        assert "Wording only Thailand" in script.get(paths[2], headers=ph).text

        # A revoked token gets the ordinary path's 401.
        kept = script.get(paths[0], headers=ph)
        assert kept.status_code == 200 and script.get(paths[0], headers=ph).status_code == 200
        me = script.get("/api/v1/me/tokens", headers=ph).json()
        raw = ph["Authorization"].removeprefix("Bearer ")
        mine = next(t for t in me if raw.startswith(t["prefix"]))
        revoked = script.post(f"/api/v1/me/tokens/{mine['id']}/revoke", headers=th)
        assert revoked.status_code in (403, 404)  # not Thailand's to revoke
        revoked = script.post(f"/api/v1/me/tokens/{mine['id']}/revoke", headers=ph)
        assert revoked.status_code == 200, revoked.text
        before = replayed(app)
        assert script.get(paths[0], headers=ph).status_code == 401
        assert replayed(app) == before


def test_with_the_page_cache_off_every_view_is_rendered(
    settings: Settings, clock: Clock, world: World
) -> None:
    off = create_app(settings.model_copy(update={"page_cache": False}), clock=clock)
    try:
        with TestClient(off) as c:
            log_in(c, world.member)
            pages = [c.get(PAGE) for _ in range(3)]
        assert {p.status_code for p in pages} == {200}
        assert replayed(off) == 0 and off.state.fragments.hits == 0
        assert len(off.state.fragments) == len(page_cache.store_of(off.state)) == 0
    finally:
        off.state.database.dispose()


def test_the_replay_reads_credentials_as_the_ordinary_path_does(
    app: FastAPI, member: TestClient
) -> None:
    twice(app, member)
    cookie = f"{SESSION_COOKIE}={member.cookies[SESSION_COOKIE]}"
    with TestClient(app) as raw:
        # An Authorization header: the ordinary path goes by the token alone.
        for authorization in ("Bearer zd_unknown", "Basic dXNlcjpwYXNz"):
            before = replayed(app)
            answer = raw.get(
                PAGE,
                headers={"cookie": cookie, "authorization": authorization},
                follow_redirects=False,
            )
            assert answer.status_code in (303, 401) and replayed(app) == before
        # An empty Authorization header: the ordinary path goes by the cookie, so may this.
        before = replayed(app)
        assert raw.get(PAGE, headers={"cookie": cookie, "authorization": ""}).status_code == 200
        assert replayed(app) == before + 1
        # Several Cookie headers: merged, the last value winning, as Request.cookies reads them.
        before = replayed(app)
        emptied = raw.get(
            PAGE,
            headers=[("cookie", cookie), ("cookie", f"{SESSION_COOKIE}=")],
            follow_redirects=False,
        )
        assert emptied.status_code in (303, 401) and replayed(app) == before
        again = raw.get(PAGE, headers=[("cookie", "theme=dark"), ("cookie", cookie)])
        assert again.status_code == 200 and replayed(app) == before + 1


@pytest.mark.parametrize("left", [0.4, 1.0, 1.5, 30.9, 59.99, 60.0, 61.2, 3600.5, 86400 + 7.3])
def test_the_banner_is_fresh_exactly_while_its_time_left_reads_the_same(left: float) -> None:
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    deadline = now + timedelta(seconds=left)

    def text(at: datetime) -> str:
        moment = Moment.of(deadline, "Asia/Jakarta", at)
        assert moment is not None
        return moment.remaining

    banner = Banner(
        Round(symbol="R", title="R", time_zone="Asia/Jakarta"),
        "/rounds/R",
        Moment.of(deadline, "Asia/Jakarta", now),
        None,
    )
    until = banner.fresh_until(now)
    if left < 1:  # already "passed": nothing left to change
        assert until is None
        return
    # The same text from now up to and including `until`, another just after it.
    assert until is not None and until >= now
    step = timedelta(milliseconds=50)
    at = now
    while at < until:
        assert text(at) == text(now), (at, until)
        at += step
    assert text(until) == text(now)
    assert text(until + timedelta(microseconds=1)) != text(now)
    later = deadline + timedelta(seconds=1)
    passed = Banner(banner.round, banner.url, Moment.of(deadline, "Asia/Jakarta", later), None)
    assert passed.fresh_until(later) is None


@pytest.mark.parametrize("change", ["session ended", "person disabled", "token revoked"])
def test_liveness_is_read_from_the_database_not_from_the_audit_trail(
    app: FastAPI, world: World, database: Database, clock: Clock, change: str
) -> None:
    """Each change is written here without an audit event, so the content version stays the
    same: only the check's own reading of the session, the person or the token can refuse."""
    token = bearer(token_for(database, world.member, clock.now))
    with TestClient(app) as c:
        log_in(c, world.member)
        path, headers = (PAGE, {}) if change != "token revoked" else ("/api/v1/indicators", token)
        for _ in range(2):
            assert c.get(path, headers=headers).status_code == 200
        before = replayed(app)
        assert c.get(path, headers=headers).status_code == 200
        assert replayed(app) == before + 1
        with database.transaction() as s:
            if change == "session ended":
                s.execute(update(AuthSession).values(ended_at=clock.now))
            elif change == "person disabled":
                s.execute(update(User).where(User.email == world.member).values(is_active=False))
            else:
                s.execute(update(ApiToken).values(revoked_at=clock.now))
        refused = c.get(path, headers=headers, follow_redirects=False)
    assert refused.status_code in (303, 401)
    assert replayed(app) == before + 1
