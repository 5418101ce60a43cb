"""Edges of a meeting's input and of racing changes (review findings of issue 19): ids beyond
what the database holds, wall-clock times a zone skips, starts answered in UTC, two agenda
changes sent with the same ETag at the same moment (the second gets 412, never a 409 from the
database), and the live view's script never pasting a log-in page into the view."""

import re
import threading
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from tests.factories import World
from tests.helpers import browser_log_in

MEETING = {"title": "Third online meeting", "starts_at": "2026-03-10T14:00"}


@pytest.mark.parametrize("path", ["/api/v1/meetings/2147483648", "/api/v1/meetings/0"])
def test_ids_the_database_cannot_hold_are_refused_naming_the_field(
    client: TestClient, sec: dict[str, str], path: str
) -> None:
    r = client.get(path, headers=sec)
    assert (r.status_code, r.json()["field"]) == (422, "meeting_id")
    r = client.post(f"{path}/floor/99999999999/call", headers=sec)
    assert r.status_code == 422


def test_starts_are_answered_in_utc_and_skipped_wall_clock_times_refused(
    client: TestClient, sec: dict[str, str]
) -> None:
    made = client.post(
        "/api/v1/meetings", json=MEETING | {"time_zone": "Asia/Manila"}, headers=sec
    ).json()
    assert made["starts_at"] == "2026-03-10T06:00:00Z"
    assert (
        client.get(f"/api/v1/meetings/{made['id']}", headers=sec).json()["starts_at"]
        == (made["starts_at"])
    )
    # 02:30 on 8 March 2026 does not exist in New York (the clocks go from 02:00 to 03:00).
    r = client.post(
        "/api/v1/meetings",
        json=MEETING | {"time_zone": "America/New_York", "starts_at": "2026-03-08T02:30"},
        headers=sec,
    )
    assert (r.status_code, r.json()["field"]) == (422, "starts_at")
    assert "does not exist in America/New_York" in r.json()["detail"]
    r = client.post(
        "/api/v1/meetings", json=MEETING | {"starts_at": "2999-12-31T23:30-09:00"}, headers=sec
    )
    assert (r.status_code, r.json()["field"]) == (422, "starts_at")


def test_two_agenda_changes_with_the_same_etag_at_once_give_one_412(
    app: FastAPI, sec: dict[str, str]
) -> None:
    client = TestClient(app)
    made = client.post("/api/v1/meetings", json=MEETING, headers=sec)
    url = f"/api/v1/meetings/{made.json()['id']}/agenda"
    tag = made.headers["ETag"]
    answers: list[Any] = []
    barrier = threading.Barrier(2)

    def put(agenda: list[str]) -> None:
        barrier.wait()
        answers.append(
            TestClient(app).put(url, json={"agenda": agenda}, headers=sec | {"If-Match": tag})
        )

    runs = [
        threading.Thread(target=put, args=(["FC-CD-01", "SEC-PURPOSE"],)),
        threading.Thread(target=put, args=(["SEC-PURPOSE", "FC-CD-01"],)),
    ]
    for t in runs:
        t.start()
    for t in runs:
        t.join(30)
    assert sorted(r.status_code for r in answers) == [200, 412], [r.text for r in answers]


@pytest.mark.browser
def test_the_live_view_goes_to_log_in_when_the_session_ends_instead_of_pasting_it(
    page: Any, live_server: str, world: World, app: FastAPI, sec: dict[str, str]
) -> None:
    client = TestClient(app)
    made = client.post(
        "/api/v1/meetings", json=MEETING | {"participants": ["PH-SOMTC"]}, headers=sec
    )
    mid = made.json()["id"]
    client.put(
        f"/api/v1/meetings/{mid}/agenda",
        json={"agenda": ["FC-CD-01"]},
        headers=sec | {"If-Match": made.headers["ETag"]},
    )
    browser_log_in(page, live_server, world.member)
    page.goto(f"{live_server}/meetings/{mid}/live")
    expect(page.locator("#live-status")).to_have_attribute("data-live", "on")
    # The session is gone (here: its cookie); the next event's fragment answers with the
    # log-in page, which the view must not show inside itself.
    page.context.clear_cookies()
    client.put(f"/api/v1/meetings/{mid}/current", json={"ref": "FC-CD-01"}, headers=sec)
    expect(page).to_have_url(re.compile(r"/login"), timeout=5000)
    expect(page.locator("#live")).to_have_count(0)
