"""Plain names the tests share: the engine under test, the injected clock, logging in, filling in
forms, free ports. Fixtures and hooks live in tests/conftest.py, which imports from here; tests
import from here too, never from conftest (tests/test_test_suite.py checks)."""

import html as html_module
import os
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from alembic.config import Config
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.db import Base
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("ZERODRAFT_TEST_DATABASE_URL", "")
ENGINE = "postgresql" if PG_URL else "sqlite"
CHROMIUM = "/usr/bin/chromium"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# The eleven Member States are reference data that the migrations load: kept, as on SQLite
# (where every test starts from a copy of the migrated file); any other state a test added goes.
ASEAN_STATES = ("BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "TL", "VN")
# Every table but the Member States, children first: what a PostgreSQL test empties.
TABLES = ", ".join(
    t.name for t in reversed(Base.metadata.sorted_tables) if t.name != "member_states"
)

Fields = dict[str, str]


def alembic_config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.attributes["url"] = url
    cfg.attributes["configure_logger"] = False
    return cfg


def scratch_database(suffix: str) -> Iterator[str]:
    """A PostgreSQL database of this test process's own, beside the configured one, so that
    several test runs on one server never truncate each other's tables."""
    url = make_url(PG_URL)
    name = f"{url.database}_{suffix}_{os.getpid()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now, for a server a test starts."""
    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Clock:
    """An injected clock: tests move time instead of sleeping."""

    now: datetime = field(default_factory=lambda: datetime(2026, 3, 2, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def log_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Log in through the form as a person would; returns the session's CSRF token."""
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/account").text)


def logged_in(app: FastAPI, email: str) -> TestClient:
    """A second browser, logged in as `email` (the `client` fixture is the first)."""
    c = TestClient(app)
    log_in(c, email)
    return c


def browser_log_in(page: Any, base_url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/register.*"))


class _FormReader(HTMLParser):
    """What a browser would submit from the first form that `wanted` picks by its attributes."""

    def __init__(self, wanted: dict[str, str]) -> None:
        super().__init__()
        self.wanted = wanted
        self.inside = self.done = False
        self.fields: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and not self.done:
            self.inside = all(a.get(k) == v for k, v in self.wanted.items())
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            if a.get("type") in ("radio", "checkbox"):
                if "checked" in a:
                    self.fields[name] = a.get("value", "on")
            else:
                self.fields[name] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []
        elif tag == "select" and name:
            self._select = name
        elif (
            tag == "option"
            and self._select is not None
            and ("selected" in a or self._select not in self.fields)
        ):
            self.fields[self._select] = a.get("value", "")

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if not self.inside:
            return
        if tag == "textarea" and self._textarea is not None:
            # A browser drops the one line break that may follow <textarea>.
            self.fields[self._textarea] = "".join(self._text).removeprefix("\n")
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self.inside, self.done = False, True


def form_in(html: str, **wanted: str) -> Fields:
    """The fields a browser would submit from the first form whose attributes match `wanted`
    (a trailing underscore is dropped: class_="x")."""
    reader = _FormReader({k.rstrip("_"): v for k, v in wanted.items()})
    reader.feed(html)
    assert reader.done, f"no form with {wanted}"
    return reader.fields


def post(client: TestClient, path: str, fields: Fields) -> Any:
    """Submit a form as a browser without JavaScript does; the redirect is left to the test."""
    return client.post(path, data=fields, follow_redirects=False)


def summary(html: str) -> list[tuple[str, str]]:
    """(link target, message) of each line of the error summary."""
    block = html.split('id="error-summary"')[1].split("</div>")[0]
    return [
        (target, html_module.unescape(message))
        for target, message in re.findall(r'<a href="#([^"]+)">([^<]+)</a>', block)
    ]


def text_of(html: str) -> str:
    """The page's words, tags dropped and white space folded."""
    return html_module.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def fill_path(path: str, values: dict[str, str], *, default: str | None = None) -> str:
    """A route's path with each {parameter} replaced from `values`; one it does not know takes
    `default`, or fails the test when there is none."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        if name in values:
            return values[name]
        assert default is not None, f"no value for {{{name}}} in {path}"
        return default

    return re.sub(r"\{([^}]+)\}", one, path)


MEETING = {
    "title": "Third online meeting",
    "starts_at": "2026-03-10T14:00",
    "participants": ["PH-SOMTC", "ID-AICHR"],
}


def meeting_with_agenda(
    api: TestClient,
    sec: dict[str, str],
    agenda: list[str],
    *,
    current: str | None = None,
    **fields: Any,
) -> int:
    """A meeting the secretariat set up through the API (MEETING with `fields` changed), its
    agenda ordered and, if `current`, that point under discussion; its id."""
    m = api.post("/api/v1/meetings", json=MEETING | fields, headers=sec)
    assert m.status_code == 201, m.text
    url = f"/api/v1/meetings/{m.json()['id']}"
    r = api.put(
        f"{url}/agenda", json={"agenda": agenda}, headers=sec | {"If-Match": m.headers["ETag"]}
    )
    assert r.status_code == 200, r.text
    if current is not None:
        r = api.put(f"{url}/current", json={"ref": current}, headers=sec)
        assert r.status_code == 200, r.text
    return int(m.json()["id"])
