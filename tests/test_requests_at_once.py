"""A process works on at most ZERODRAFT_REQUESTS_AT_ONCE requests at once (app/web/deps.py): the
others wait their turn before they touch the database, and writers queued behind one that holds
the write lock all get through (the one holding it reaches its commit)."""

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi import APIRouter

from app.accounts import service as accounts
from app.accounts.permissions import Action
from app.config import Settings
from app.main import create_app
from app.web.deps import Allow, DbRoute
from tests.factories import World, bearer, token_for
from tests.helpers import Clock


def _app(settings: Settings, clock: Clock, places: int) -> Any:
    return create_app(settings.model_copy(update={"requests_at_once": places}), clock=clock)


def _at_once(app: Any, requests: list[Callable[[httpx.AsyncClient], Any]]) -> list[httpx.Response]:
    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            return list(await asyncio.gather(*(ask(http) for ask in requests)))

    # In a thread of its own: a browser test earlier in the same worker (Playwright's sync API)
    # can leave an event loop running in this one, where asyncio.run refuses to start.
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, run()).result()


@pytest.mark.parametrize("places", [1, 3])
def test_no_more_requests_at_work_than_places(
    settings: Settings, clock: Clock, world: World, monkeypatch: pytest.MonkeyPatch, places: int
) -> None:
    app = _app(settings, clock, places)
    headers = bearer(token_for(app.state.database, world.member, clock.now))
    at_work = 0
    most = 0
    lock = threading.Lock()
    look_up = accounts.principal_for_token

    def slow_look_up(*args: Any, **kwargs: Any) -> Any:
        # The permission check: the first thing a request does once it has its place.
        nonlocal at_work, most
        with lock:
            at_work += 1
            most = max(most, at_work)
        time.sleep(0.05)
        try:
            return look_up(*args, **kwargs)
        finally:
            with lock:
                at_work -= 1

    monkeypatch.setattr(accounts, "principal_for_token", slow_look_up)
    answers = _at_once(
        app, [lambda http: http.get("/api/v1/me", headers=headers) for _ in range(8)]
    )
    app.state.database.dispose()

    assert [a.status_code for a in answers] == [200] * 8
    assert most == places


def test_writers_queued_behind_the_write_lock_all_get_through(
    settings: Settings, clock: Clock, world: World
) -> None:
    # Two places, eight writers: on SQLite each takes the write lock at its permission check
    # and gives its place back only after its commit, so none waits on a lock whose holder
    # waits for a place.
    app = _app(settings, clock, 2)
    headers = bearer(token_for(app.state.database, world.member, clock.now))

    def comment(n: int) -> Callable[[httpx.AsyncClient], Any]:
        return lambda http: http.post(
            "/api/v1/comments", headers=headers, json={"item": "FC-CD-01", "body": f"Note {n}."}
        )

    started = time.monotonic()
    answers = _at_once(app, [comment(n) for n in range(8)])
    took = time.monotonic() - started
    app.state.database.dispose()

    assert [a.status_code for a in answers] == [201] * 8, [a.text for a in answers]
    assert took < 20, took  # a lock wait would last SQLite's 30 s busy timeout
    assert len({a.json()["id"] for a in answers}) == 8


def test_a_body_sent_slowly_holds_no_place(settings: Settings, clock: Clock, world: World) -> None:
    # One place; a client that sends a form's first bytes and then nothing. The place is taken
    # once the body is read, so everyone else is answered meanwhile.
    app = _app(settings, clock, 1)

    async def run() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        never = asyncio.Event()

        async def trickle() -> Any:
            yield b"email=a"
            await never.wait()

        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            slow = asyncio.ensure_future(
                http.post(
                    "/login",
                    content=trickle(),
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
            )
            await asyncio.sleep(0.1)
            answers = await asyncio.wait_for(
                asyncio.gather(*(http.get("/login") for _ in range(3))), timeout=10
            )
            slow.cancel()
            return [a.status_code for a in answers]

    with ThreadPoolExecutor(1) as thread:
        codes = thread.submit(asyncio.run, run()).result()
    app.state.database.dispose()
    assert codes == [200, 200, 200]


def test_a_permission_no_parameter_takes_is_refused_at_start_up() -> None:
    # Its check would be put off to the handler's trip, where no parameter takes it.
    router = APIRouter(route_class=DbRoute)

    def guarded() -> dict[str, bool]:
        return {"reached": True}

    with pytest.raises(TypeError, match="as a parameter"):
        router.get("/guarded", dependencies=[Allow(Action.EDIT_ITEM)])(guarded)
