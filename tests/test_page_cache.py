"""The rendered-fragment cache of the register list and the indicator page (app/web/cache.py)
never serves stale content, or content meant for someone else, on one or several app instances."""

import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

from app.audit import guard
from app.config import Settings
from app.db import Database
from app.main import create_app
from app.models import Role
from app.web.cache import CSRF_PLACEHOLDER, Fragment, FragmentCache
from tests.factories import World, arranged, bearer, make_user, token_for
from tests.helpers import Clock, csrf_of, log_in

PAGE = "/indicators/FC-CD-01"


def hits(app: FastAPI) -> int:
    """Pages rendered around a cached fragment."""
    cache: FragmentCache = app.state.fragments
    return cache.hits


def csrf_tokens(html: str) -> set[str]:
    return set(re.findall(r'name="csrf_token" value="([^"]+)"', html))


@pytest.fixture
def tokens(world: World, database: Database, clock: Clock) -> dict[str, dict[str, str]]:
    people = {"ph": world.member, "id": world.member2, "th": world.member3}
    people |= {"sec": world.secretariat, "chair": world.chair}
    return {k: bearer(token_for(database, email, clock.now)) for k, email in people.items()}


@pytest.fixture
def audited(database: Database) -> Iterator[list[set[str]]]:
    """The tables each committed transaction wrote (the commit guard, app/audit/guard.py,
    refuses any that wrote content without an audit event before this sees it)."""
    pending: dict[int, set[str]] = {}
    committed: list[set[str]] = []

    def on_execute(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        table = guard._content_table(statement)
        if table is not None:
            pending.setdefault(id(conn), set()).add(table)

    def on_commit(conn: Any) -> None:
        tables = pending.pop(id(conn), set())
        if tables - {guard.AUDIT_TABLE}:
            committed.append(tables)

    def on_rollback(conn: Any) -> None:
        pending.pop(id(conn), None)

    engine = database.engine
    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    event.listen(engine, "rollback", on_rollback)
    yield committed
    event.remove(engine, "before_cursor_execute", on_execute)
    event.remove(engine, "commit", on_commit)
    event.remove(engine, "rollback", on_rollback)


@pytest.fixture
def member(app: FastAPI, world: World) -> Iterator[TestClient]:
    with TestClient(app) as c:
        log_in(c, world.member)
        yield c


def test_a_repeated_page_comes_from_the_cache_with_this_sessions_token(
    app: FastAPI, world: World, member: TestClient
) -> None:
    with TestClient(app) as other:
        # The same person in a second session (logging in is a change: done before).
        token = log_in(other, world.member)
        first = member.get(PAGE)
        before = hits(app)
        second = member.get(PAGE)
        assert first.status_code == second.status_code == 200
        assert hits(app) == before + 1
        assert first.text == second.text
        assert CSRF_PLACEHOLDER not in second.text
        # The other session gets the cached body with its own token.
        html = other.get(PAGE).text
    assert hits(app) == before + 2
    assert csrf_tokens(html) == {token}
    assert token not in second.text and csrf_tokens(second.text)
    assert html.replace(token, "") == second.text.replace(csrf_of(second.text), "")


def test_each_kind_of_write_changes_the_pages_at_once(
    app: FastAPI, member: TestClient, tokens: dict[str, dict[str, str]], audited: list[set[str]]
) -> None:
    def api(who: str, method: str, path: str, body: Any = None, **headers: str) -> Any:
        response = member.request(
            method, f"/api/v1{path}", json=body, headers=tokens[who] | headers
        )
        assert response.status_code in (200, 201), response.text
        return response

    def pages() -> tuple[str, str]:
        # Asked twice each: the second answer must come from the cache and be the same.
        register, page = member.get("/register").text, member.get(PAGE).text
        before = hits(app)
        assert (member.get("/register").text, member.get(PAGE).text) == (register, page)
        assert hits(app) == before + 2
        return register, page

    register, page = pages()
    assert "Passport or personal phone taken" in register

    # A register edit: both pages show the new text.
    api(
        "sec",
        "PATCH",
        "/indicators/FC-CD-01",
        {"text": "Passport or identity card taken by the operators", "reason": "Editorial"},
        **{"If-Match": '"FC-CD-01.r1"'},
    )
    register, page = pages()
    assert "Passport or identity card taken" in register and "phone taken" not in register
    assert "Passport or identity card taken" in page

    # A proposal by another delegation, saved as a private draft: not shown to PH; then
    # submitted: shown.
    draft = api(
        "th",
        "POST",
        "/proposals",
        {
            "kind": "amend",
            "targets": ["FC-CD-01"],
            "content": {"text": "Passport or identity card confiscated by the operators"},
            "rationale": "Thai wording",
            "submit": False,
        },
    ).json()
    ref = f"P-{draft['id']}"
    _, page = pages()
    assert ref not in page
    api("th", "POST", f"/proposals/{draft['id']}/submit")
    _, page = pages()
    assert ref in page

    # A position on it.
    api(
        "id",
        "POST",
        "/positions",
        {"proposal_id": draft["id"], "stance": "support", "statement": "Indonesia agrees"},
    )
    before = page
    _, page = pages()
    # The proposer (TH) supports its own text from its submission (app/consensus/service.py).
    assert '<span class="count count-support">1 support</span>' in before
    assert '<span class="count count-support">2 support</span>' in page

    # A comment on the indicator.
    api(
        "id",
        "POST",
        "/comments",
        {"item": "FC-CD-01", "body": "Should SIM cards count?", "kind": "substantive"},
    )
    _, page = pages()
    assert "Should SIM cards count?" in page

    # The decision: agreed, the text becomes the proposal's, on both pages.
    current = api("sec", "GET", f"/proposals/{draft['id']}")
    api(
        "sec",
        "POST",
        f"/proposals/{draft['id']}/decision",
        {"outcome": "agreed", "reason": "Consensus", "acknowledged": True},
        **{"If-Match": current.headers["etag"]},
    )
    register, page = pages()
    assert "identity card confiscated by the operators" in register
    assert "identity card confiscated by the operators" in page

    # A round: shown on the page, as the round banner is never part of a cached fragment.
    api("sec", "POST", "/rounds", {"symbol": "DWG-FC/ZD", "title": "Zero Draft"})
    api("sec", "POST", "/rounds/DWG-FC/ZD/open")
    _, page = pages()
    assert "DWG-FC/ZD" in page
    # Every write above was a transaction with its audit event (checked at each commit).
    assert len(audited) == 8  # edit, draft, submit, position, comment, decision, round x2


def test_no_viewer_sees_another_delegations_private_draft_through_the_cache(
    app: FastAPI, world: World, member: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    created = member.post(
        "/api/v1/proposals",
        json={
            "kind": "amend",
            "targets": ["FC-CD-01"],
            "content": {"text": "Wording only Indonesia has seen"},
            "rationale": "Private to ID-AICHR",
            "submit": False,
        },
        headers=tokens["id"],
    )
    assert created.status_code == 201, created.text
    ref = f"P-{created.json()['id']}"
    with TestClient(app) as indonesia:
        log_in(indonesia, world.member2)
        own = indonesia.get(PAGE).text
        assert ref in own
        assert indonesia.get(PAGE).text == own  # now cached for ID-AICHR's member
    for _ in range(2):  # rendered for PH, then from the cache for PH
        html = member.get(PAGE).text
        assert ref not in html and "Wording only Indonesia" not in html
    # A chair of the same delegation as the author does not share the member's entry either.
    with TestClient(app) as chair:
        log_in(chair, world.chair)
        assert chair.get(PAGE).status_code == 200


def test_an_indicator_page_is_shared_by_its_audience_but_not_with_a_comments_author(
    app: FastAPI,
    world: World,
    database: Database,
    clock: Clock,
    member: TestClient,
    tokens: dict[str, dict[str, str]],
) -> None:
    """Two members speaking for the same delegations share one rendered body; the author of a
    comment on the item gets their own (their buttons to edit or withdraw it), and nobody else
    is offered those buttons."""
    colleague = "colleague.ph@asean.test"
    with arranged(database) as s:
        make_user(s, colleague, Role.MEMBER, "PH-SOMTC", "PH-ACWC", now=clock.now)
    with TestClient(app) as other:
        log_in(other, colleague)
        member.get(PAGE)  # rendered for the audience (PH-SOMTC and PH-ACWC members)
        before = hits(app)
        shared = other.get(PAGE).text
        assert hits(app) == before + 1, "the colleague's first view is the audience's body"
        assert "/edit?next=" not in shared

        written = other.post(
            "/api/v1/comments",
            json={"item": "FC-CD-01", "body": "Only the author may change this", "kind": "general"},
            headers=bearer(token_for(database, colleague, clock.now)),
        )
        assert written.status_code == 201, written.text
        author_view = other.get(PAGE).text
        member_view = member.get(PAGE).text
    assert "Only the author may change this" in author_view
    assert "Only the author may change this" in member_view
    edit = f"/comments/{written.json()['id']}/edit"
    assert edit in author_view
    assert edit not in member_view


def test_two_app_instances_on_one_database_see_each_others_writes(
    app: FastAPI, settings: Settings, clock: Clock, world: World, tokens: dict[str, dict[str, str]]
) -> None:
    other_app = create_app(settings, clock=clock)
    try:
        with TestClient(app) as one, TestClient(other_app) as two:
            log_in(one, world.member)
            log_in(two, world.member)
            for client in (one, two):  # both instances cache the page
                for _ in range(2):
                    assert "phone taken" in client.get(PAGE).text
            edit = two.patch(
                "/api/v1/indicators/FC-CD-01",
                json={"text": "Phone held back by the operators", "reason": "Editorial"},
                headers=tokens["sec"] | {"If-Match": '"FC-CD-01.r1"'},
            )
            assert edit.status_code == 200, edit.text
            for client in (one, two):
                assert "Phone held back" in client.get(PAGE).text
                assert "Phone held back" in client.get("/register").text
            comment = one.post(
                "/api/v1/comments",
                json={"item": "FC-CD-01", "body": "Seen on both", "kind": "editorial"},
                headers=tokens["th"],
            )
            assert comment.status_code == 201, comment.text
            assert "Seen on both" in two.get(PAGE).text
    finally:
        other_app.state.database.dispose()


def test_the_cache_is_bounded_in_entries_and_size() -> None:
    cache = FragmentCache(max_entries=3, max_bytes=100)
    for n in range(5):
        cache.put(("k", n), Fragment("t", b"x" * 10))
    assert len(cache) == 3
    assert cache.get(("k", 0)) is None and cache.get(("k", 4)) is not None
    cache.get(("k", 2))  # used: kept over ("k", 3)
    cache.put(("big",), Fragment("", b"y" * 60))
    assert cache.bytes <= 100
    assert cache.get(("k", 3)) is None and cache.get(("k", 2)) is not None
    cache.put(("huge",), Fragment("", b"z" * 101))  # larger than the whole cache: not kept
    assert cache.get(("huge",)) is None and cache.bytes <= 100


def test_requests_arriving_during_a_render_wait_for_it_instead_of_rendering_again() -> None:
    """Right after a change, many requests ask for the same fragment at once: one renders."""
    cache = FragmentCache()
    renders: list[int] = []
    started = threading.Event()

    def render() -> Fragment:
        renders.append(1)
        started.set()
        time.sleep(0.2)
        return Fragment("t", b"body")

    got: list[Fragment] = []
    first = threading.Thread(target=lambda: got.append(cache.get_or_build(("k",), render)))
    first.start()
    started.wait(5)
    others = [
        threading.Thread(target=lambda: got.append(cache.get_or_build(("k",), render)))
        for _ in range(8)
    ]
    for t in others:
        t.start()
    for t in [first, *others]:
        t.join(10)
    assert len(renders) == 1
    assert len(got) == 9 and all(f.main == b"body" for f in got)


def test_a_failed_render_is_not_shared_and_the_waiters_render_themselves() -> None:
    cache = FragmentCache()
    calls: list[int] = []
    started = threading.Event()

    def failing() -> Fragment:
        calls.append(1)
        started.set()
        time.sleep(0.1)
        raise RuntimeError("refused")

    errors: list[Exception] = []

    def ask() -> None:
        try:
            cache.get_or_build(("k",), failing)
        except RuntimeError as exc:
            errors.append(exc)

    first = threading.Thread(target=ask)
    first.start()
    started.wait(5)
    second = threading.Thread(target=ask)
    second.start()
    first.join(5)
    second.join(5)
    assert len(errors) == 2 and len(calls) == 2
    assert cache.get(("k",)) is None
