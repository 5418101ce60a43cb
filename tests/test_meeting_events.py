"""The live event stream (issue 19) under a real uvicorn: a change reaches an open stream within a
second; a stream resumed with Last-Event-ID misses nothing; a private draft's change reaches only
its delegation; a meeting one may not see has no stream; idle streams hold no database
connection."""

import contextlib
import http.client
import json
import queue
import socket
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.db import Database
from app.meetings import live
from app.models import Role, User
from tests.factories import World, bearer, make_user, token_for
from tests.helpers import Clock

MEETING = {
    "title": "Third online meeting",
    "starts_at": "2026-03-10T14:00",
    "time_zone": "Asia/Manila",
    "participants": ["PH-SOMTC", "ID-AICHR"],
}


class Stream:
    """An open text/event-stream, read in a thread: each event's id and JSON data. Closing it
    closes the socket, as a browser leaving the page does."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
        self.conn.request(
            "GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers
        )
        self.response = self.conn.getresponse()
        self.status = self.response.status
        self.ready = threading.Event()
        self.ended = threading.Event()  # the server closed the stream
        if self.status == 200:
            threading.Thread(target=self._read, daemon=True).start()
            assert self.ready.wait(5), "the stream did not start"

    def _read(self) -> None:
        last_id = None
        try:
            while line := self.response.readline().decode():
                line = line.rstrip("\n")
                if line.startswith((": from", "retry:")):
                    self.ready.set()
                if line.startswith("id: "):
                    last_id = int(line[4:])
                elif line.startswith("data: "):
                    self.ready.set()
                    data = json.loads(line[6:])
                    assert data["id"] == last_id
                    self.events.put(data | {"at": time.monotonic()})
        except (OSError, ValueError, AttributeError, http.client.HTTPException):
            # The socket closed under the reader (close()): the stream is over.
            pass
        finally:
            self.ended.set()

    def next(self, timeout: float = 3.0) -> dict[str, Any]:
        return self.events.get(timeout=timeout)

    def drain(self, wait: float = 0.5) -> list[dict[str, Any]]:
        time.sleep(wait)
        out = []
        while not self.events.empty():
            out.append(self.events.get_nowait())
        return out

    def close(self) -> None:
        if self.conn.sock is not None:
            with contextlib.suppress(OSError):
                self.conn.sock.shutdown(socket.SHUT_RDWR)
        self.conn.close()


@pytest.fixture
def api(app: FastAPI) -> TestClient:
    return TestClient(app)


def _meeting(api: TestClient, sec: dict[str, str]) -> tuple[int, str]:
    r = api.post("/api/v1/meetings", json=MEETING, headers=sec)
    assert r.status_code == 201, r.text
    mid = r.json()["id"]
    r = api.put(
        f"/api/v1/meetings/{mid}/agenda",
        json={"agenda": ["FC-CD-01", "SEC-PURPOSE"]},
        headers=sec | {"If-Match": r.headers["ETag"]},
    )
    assert r.status_code == 200, r.text
    return mid, r.headers["ETag"]


def test_a_change_reaches_the_stream_within_a_second_and_resuming_misses_nothing(
    live_server: str, api: TestClient, tokens: dict[str, dict[str, str]], database: Database
) -> None:
    mid, _ = _meeting(api, tokens["sec"])
    url = f"{live_server}/api/v1/meetings/{mid}/events"
    delegate = Stream(url, tokens["ph"])
    try:
        # Open and idle: no connection of the pool is held for it.
        time.sleep(0.3)
        assert database.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        started = time.monotonic()
        r = api.put(
            f"/api/v1/meetings/{mid}/current", json={"ref": "FC-CD-01"}, headers=tokens["chair"]
        )
        assert r.status_code == 200
        event = delegate.next()
        assert event["type"] == "meeting.current"
        assert event["ref"] == f"M-{mid}"
        assert event["meeting"] == mid
        assert event["at"] - started < 1.0, f"{event['at'] - started:.3f} s"
        seen = event["id"]
    finally:
        delegate.close()

    # Two changes while the delegate is away: a position on the point under discussion and
    # the next point. Resuming from the last event received gives both, in order.
    r = api.post(
        "/api/v1/positions",
        json={"item": "FC-CD-01", "stance": "support", "statement": "We can accept it"},
        headers=tokens["id"],
    )
    assert r.status_code in (200, 201), r.text
    api.put(f"/api/v1/meetings/{mid}/current", json={"ref": "SEC-PURPOSE"}, headers=tokens["chair"])
    back = Stream(url, tokens["ph"] | {"Last-Event-ID": str(seen)})
    try:
        missed = [back.next(), back.next()]
        assert [(e["type"], e["ref"]) for e in missed] == [
            ("position.set", "FC-CD-01"),
            ("meeting.current", f"M-{mid}"),
        ]
        assert missed[0]["id"] > seen
        assert missed[1]["id"] > missed[0]["id"]
        # Something outside the meeting's agenda is not on the meeting's stream.
        api.post(
            "/api/v1/positions",
            json={"item": "FC-DR-01", "stance": "support", "statement": ""},
            headers=tokens["id"],
        )
        assert back.drain() == []
    finally:
        back.close()


def test_a_private_draft_reaches_only_its_delegation(
    live_server: str, api: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    ph = Stream(f"{live_server}/api/v1/events", tokens["ph"])
    other = Stream(f"{live_server}/api/v1/events", tokens["id"])
    try:
        draft = {
            "kind": "amend",
            "targets": ["FC-CD-01"],
            "content": {"text": "Passport taken"},
            "rationale": "Shorter",
            "submit": False,
        }
        r = api.post("/api/v1/proposals", json=draft, headers=tokens["ph"])
        assert r.status_code == 201, r.text
        ref = f"P-{r.json()['id']}"
        mine = ph.next()
        assert (mine["ref"], mine["items"]) == (ref, ["FC-CD-01"])
        # Then a change everyone sees: the other delegation gets that one, never the draft.
        _meeting(api, tokens["sec"])
        theirs = other.next()
        assert theirs["ref"] != ref
        assert ref not in [e["ref"] for e in other.drain()]
    finally:
        ph.close()
        other.close()


def test_a_stream_is_refused_where_the_meeting_may_not_be_seen(
    live_server: str, api: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    mid, _ = _meeting(api, tokens["sec"])
    with httpx.Client(timeout=5) as c:
        r = c.get(f"{live_server}/api/v1/meetings/{mid}/events", headers=tokens["th"])
        assert r.status_code == 404
        assert r.json()["field"] == "meeting"
        assert c.get(f"{live_server}/api/v1/events").status_code == 401
        assert (
            c.get(
                f"{live_server}/api/v1/meetings/{mid + 99}/events", headers=tokens["ph"]
            ).status_code
            == 404
        )


def test_a_stream_ends_when_its_reader_may_no_longer_read(
    live_server: str,
    api: TestClient,
    tokens: dict[str, dict[str, str]],
    database: Database,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Disabled (or logged out, or the token revoked): the open stream is closed before the next
    event reaches it, not kept for the life of the connection."""
    monkeypatch.setattr(live, "RECHECK_SECONDS", 0.0)
    stream = Stream(f"{live_server}/api/v1/events", tokens["id"])
    try:
        _meeting(api, tokens["sec"])
        assert stream.next()["type"].startswith("meeting.")
        with database.transaction(write=False) as s:
            me = s.scalar(select(User.id).where(User.email == world.member2))
        person = api.get(f"/api/v1/people/{me}", headers=tokens["sec"])
        r = api.patch(
            f"/api/v1/people/{me}",
            json={"active": False},
            headers=tokens["sec"] | {"If-Match": person.headers["ETag"]},
        )
        assert r.status_code == 200, r.text
        stream.drain(0.2)
        r = api.post("/api/v1/meetings", json=MEETING, headers=tokens["sec"])
        assert r.status_code == 201
        assert stream.ended.wait(5), "the stream of a disabled person stayed open"
        assert [e for e in stream.drain(0.1) if e["ref"] == f"M-{r.json()['id']}"] == []
    finally:
        stream.close()


def test_a_restricted_comment_on_a_private_draft_reaches_only_its_author(
    live_server: str,
    api: TestClient,
    tokens: dict[str, dict[str, str]],
    database: Database,
    clock: Clock,
) -> None:
    with database.transaction() as s:
        make_user(s, "ph.two@asean.test", Role.MEMBER, "PH-SOMTC", now=clock.now)
    colleague = bearer(token_for(database, "ph.two@asean.test", clock.now))
    draft = {"kind": "amend", "targets": ["FC-CD-01"], "content": {"text": "Passport kept"}}
    draft |= {"submit": False, "delegation": "PH-SOMTC"}
    r = api.post("/api/v1/proposals", json=draft, headers=tokens["ph"])
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    author = Stream(f"{live_server}/api/v1/events", tokens["ph"])
    other = Stream(f"{live_server}/api/v1/events", colleague)
    try:
        for visibility, colleague_sees in (("chairs_secretariat", False), ("group", True)):
            r = api.post(
                "/api/v1/comments",
                json={
                    "proposal_id": pid,
                    "body": "A note",
                    "visibility": visibility,
                    "delegation": "PH-SOMTC",
                },
                headers=tokens["ph"],
            )
            assert r.status_code == 201, r.text
            ref = f"C-{r.json()['id']}"
            assert author.next()["ref"] == ref
            seen = [e["ref"] for e in other.drain()]
            assert (ref in seen) is colleague_sees, (visibility, seen)
            # The comment's own page agrees with the stream.
            shown = api.get(f"/api/v1/comments/{r.json()['id']}", headers=colleague)
            assert (shown.status_code == 200) is colleague_sees, shown.text
    finally:
        author.close()
        other.close()


def test_an_id_beyond_the_trail_resumes_from_now_instead_of_waiting_forever(
    live_server: str, api: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    """A browser that saw a database since restored from a backup sends an id the trail has not
    reached: the stream goes on from now."""
    stream = Stream(f"{live_server}/api/v1/events", tokens["ph"] | {"Last-Event-ID": "100000"})
    try:
        r = api.post("/api/v1/meetings", json=MEETING, headers=tokens["sec"])
        assert r.status_code == 201
        assert stream.next()["ref"] == f"M-{r.json()['id']}"
    finally:
        stream.close()


def test_a_client_far_behind_gets_one_reset_instead_of_the_whole_trail(
    live_server: str,
    api: TestClient,
    tokens: dict[str, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Resuming from further back than live.CATCH_UP_LIMIT events is not replayed event by
    event (Last-Event-ID: 1 read the whole trail): one "reset" tells the page to read what it
    shows again, and the stream goes on from now."""
    monkeypatch.setattr(live, "CATCH_UP_LIMIT", 3)
    for _ in range(3):
        assert api.post("/api/v1/meetings", json=MEETING, headers=tokens["sec"]).status_code == 201
    stream = Stream(f"{live_server}/api/v1/events", tokens["ph"] | {"Last-Event-ID": "1"})
    try:
        reset = stream.next()
        assert (reset["type"], reset["ref"], reset["skipped_after"]) == ("reset", "", 1)
        r = api.post("/api/v1/meetings", json=MEETING, headers=tokens["sec"])
        after = stream.next()
        assert after["ref"] == f"M-{r.json()['id']}" and after["id"] > reset["id"]
        assert stream.drain() == []
    finally:
        stream.close()


def test_a_stream_ends_after_its_life_and_the_next_one_resumes_without_loss(
    app: FastAPI, live_server: str, api: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    # Two seconds: long enough for the change below to reach it on a loaded machine.
    app.state.settings = app.state.settings.model_copy(update={"live_stream_seconds": 2.0})
    first = Stream(f"{live_server}/api/v1/events", tokens["ph"])
    try:
        r = api.post("/api/v1/meetings", json=MEETING, headers=tokens["sec"])
        seen = first.next()
        assert seen["ref"] == f"M-{r.json()['id']}"
        assert first.ended.wait(10), "the stream outlived its life"
    finally:
        first.close()
    r = api.post("/api/v1/meetings", json=MEETING, headers=tokens["sec"])
    again = Stream(
        f"{live_server}/api/v1/events", tokens["ph"] | {"Last-Event-ID": str(seen["id"])}
    )
    try:
        assert again.next()["ref"] == f"M-{r.json()['id']}"
    finally:
        again.close()
