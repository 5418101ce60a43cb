"""Issue 14, item 5: nobody can lock a person out by typing wrong passwords for their address.

Failures are counted per account and client address and per client address, never per account
alone; past the limit the wait doubles with each failure; the client address is the connecting
one unless `zerodraft serve` was told which proxies to believe."""

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.cli import proxy_options
from app.config import Settings
from app.db import Database
from app.models import LoginAttempt
from tests.factories import PASSWORD, World
from tests.helpers import Clock, csrf_of, free_port

ATTACKER = ("198.51.100.66", 40000)
OWNER = ("203.0.113.10", 40000)


def _attempt(client: Any, email: str, password: str) -> Any:
    page = client.get("/login")
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )


def test_wrong_passwords_from_one_address_do_not_lock_the_owner_out_from_another(
    app: FastAPI, world: World, settings: Settings
) -> None:
    with TestClient(app, client=ATTACKER) as attacker:
        for _ in range(settings.login_max_failures + 3):
            assert _attempt(attacker, world.member, "wrong-password!").status_code in (401, 429)
        assert _attempt(attacker, world.member, PASSWORD).status_code == 429
    with TestClient(app, client=OWNER) as owner:
        assert _attempt(owner, world.member, PASSWORD).status_code == 303


def test_past_the_limit_each_failure_doubles_the_wait_for_that_address(
    app: FastAPI, world: World, clock: Clock, settings: Settings
) -> None:
    with TestClient(app, client=ATTACKER) as c:
        for _ in range(settings.login_max_failures):
            assert _attempt(c, world.member, "wrong-password!").status_code == 401
        waits = []
        for _ in range(3):
            refused = _attempt(c, world.member, "wrong-password!")
            assert refused.status_code == 429
            assert "for this account from your address" in refused.text
            wait = int(refused.headers["retry-after"])
            waits.append(wait)
            clock.advance(seconds=wait - 1)
            assert _attempt(c, world.member, "wrong-password!").status_code == 429
            clock.advance(seconds=1)
            # Free again: one more wrong password, and the next wait is twice as long.
            assert _attempt(c, world.member, "wrong-password!").status_code == 401
        assert waits == [60, 120, 240]
        # Never more than the window, and the right password works once the wait is over.
        refused = _attempt(c, world.member, PASSWORD)
        assert int(refused.headers["retry-after"]) <= settings.login_window_minutes * 60
        clock.advance(seconds=int(refused.headers["retry-after"]))
        assert _attempt(c, world.member, PASSWORD).status_code == 303


def test_many_accounts_guessed_from_one_address_slow_that_address_only(
    app: FastAPI, world: World, settings: Settings
) -> None:
    with TestClient(app, client=ATTACKER) as c:
        for n in range(settings.login_max_failures_per_address):
            assert _attempt(c, f"guess{n}@asean.test", "wrong-password!").status_code == 401
        refused = _attempt(c, world.member3, PASSWORD)
        assert refused.status_code == 429 and "from your address" in refused.text
    with TestClient(app, client=OWNER) as owner:
        assert _attempt(owner, world.member3, PASSWORD).status_code == 303


def test_the_second_factors_wrong_codes_do_not_lock_the_owner_out_either(
    app: FastAPI, world: World, settings: Settings, database: Database
) -> None:
    """Wrong codes are counted like wrong passwords: per account and address."""
    with database.transaction() as s:
        s.add_all(
            LoginAttempt(email=world.member, ip=ATTACKER[0], at=t)
            for t in [app.state.clock()] * (settings.login_max_failures + 2)
        )
    with TestClient(app, client=OWNER) as owner:
        assert _attempt(owner, world.member, PASSWORD).status_code == 303


def test_serve_believes_forwarded_headers_from_no_one_unless_told() -> None:
    assert proxy_options(Settings(mode="test")) == {
        "proxy_headers": False,
        "forwarded_allow_ips": None,
    }
    told = Settings(mode="test", forwarded_allow_ips="10.0.0.2, 10.0.0.3")
    assert proxy_options(told) == {
        "proxy_headers": True,
        "forwarded_allow_ips": "10.0.0.2, 10.0.0.3",
    }


@pytest.fixture
def served(app: FastAPI, settings: Settings) -> Iterator[str]:
    """The app under uvicorn configured as `zerodraft serve` configures it."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            **proxy_options(settings),
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start in 10 s"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_a_forged_x_forwarded_for_from_127_0_0_1_neither_escapes_nor_shifts_the_count(
    served: str, world: World, settings: Settings, database: Database
) -> None:
    with httpx.Client(base_url=served) as c:
        for n in range(settings.login_max_failures):
            c.headers["X-Forwarded-For"] = f"192.0.2.{n + 1}"
            assert _attempt(c, world.member, "wrong-password!").status_code == 401
        c.headers["X-Forwarded-For"] = "192.0.2.200"
        assert _attempt(c, world.member, PASSWORD).status_code == 429
    with database.transaction(write=False) as s:
        assert set(s.scalars(select(LoginAttempt.ip))) == {"127.0.0.1"}
