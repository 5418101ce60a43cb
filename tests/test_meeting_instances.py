"""Two app instances on one PostgreSQL database (issue 19): a change made through one reaches a
stream opened on the other, carried by LISTEN/NOTIFY. The instances are two processes (this
test's uvicorn thread and a uvicorn subprocess), so nothing in one process's memory can carry
the event. Both instances read the trail themselves only every POLL seconds (far longer than
the test), so a change that arrives within a second was carried by NOTIFY, not by that
reading."""

import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.db import Database
from tests.factories import World, bearer, token_for
from tests.servers import Server
from tests.test_meeting_events import MEETING, Stream

pytestmark = pytest.mark.postgres

POLL = 600.0


def test_a_change_through_one_instance_reaches_a_stream_on_the_other(
    app: FastAPI,
    live_server: str,
    db_url: str,
    world: World,
    database: Database,
    tmp_path: Path,
) -> None:
    # Read when the first stream opens (the hub's poll interval).
    app.state.settings = app.state.settings.model_copy(update={"live_poll_seconds": POLL})
    # The subprocess reads the real clock: tokens made now, not at the test clock's start.
    now = datetime.now(UTC)
    sec, chair, ph = (
        bearer(token_for(database, email, now))
        for email in (world.secretariat, world.chair, world.member)
    )
    other = Server(db_url, tmp_path, env={"ZERODRAFT_LIVE_POLL_SECONDS": str(POLL)})
    other.start()
    try:
        made = httpx.post(f"{other.url}/api/v1/meetings", json=MEETING, headers=sec)
        assert made.status_code == 201, made.text
        mid = made.json()["id"]
        agenda = httpx.put(
            f"{other.url}/api/v1/meetings/{mid}/agenda",
            json={"agenda": ["FC-CD-01", "FC-DR-01", "SEC-PURPOSE"]},
            headers=sec | {"If-Match": made.headers["ETag"]},
        )
        assert agenda.status_code == 200, agenda.text
        for watched, changed in ((live_server, other.url), (other.url, live_server)):
            stream = Stream(f"{watched}/api/v1/meetings/{mid}/events", ph)
            try:
                delays = []
                for ref in ("FC-CD-01", "FC-DR-01", "SEC-PURPOSE"):
                    r = httpx.put(
                        f"{changed}/api/v1/meetings/{mid}/current", json={"ref": ref}, headers=chair
                    )
                    # From the change's answer, not from before the request: on a loaded
                    # machine the request itself can take a second, which says nothing about
                    # how the event travelled (it may even arrive before the answer).
                    answered = time.monotonic()
                    assert r.status_code == 200, r.text
                    event = stream.next()
                    assert (event["type"], event["ref"]) == ("meeting.current", f"M-{mid}")
                    delays.append(event["at"] - answered)
                assert max(delays) < 1.0, delays
            finally:
                stream.close()
    finally:
        other.stop()
