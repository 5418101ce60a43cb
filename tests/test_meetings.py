"""Meetings through the API (issue 19): set up by the secretariat, seen by the delegations
taking part, the agenda ordered under If-Match, the point under discussion moved by the
secretariat or a co-chair, bad input refused naming the field, every change audited."""

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.db import Database
from app.models import AuditEvent
from tests.factories import World
from tests.helpers import csrf_of, form_in, logged_in, post, summary, text_of

MEETING = {
    "title": "Third online meeting",
    "starts_at": "2026-03-10T14:00",
    "time_zone": "Asia/Manila",
    "video_url": "https://meet.example.org/dwg-3",
    "participants": ["PH-SOMTC", "ID-AICHR"],
}


def create(client: TestClient, headers: dict[str, str], **changes: Any) -> Any:
    return client.post("/api/v1/meetings", json=MEETING | changes, headers=headers)


def test_a_meeting_is_set_up_and_seen_by_those_taking_part(
    client: TestClient, tokens: dict[str, dict[str, str]], database: Database
) -> None:
    r = create(client, tokens["sec"])
    assert r.status_code == 201, r.text
    m = r.json()
    # 14:00 in Manila is 06:00 UTC; the meeting's own zone reads it back as written.
    assert datetime.fromisoformat(m["starts_at"]) == datetime(2026, 3, 10, 6, 0, tzinfo=UTC)
    assert m["starts_local"] == "10 Mar 2026 14:00 PST (UTC+8)"
    assert m["participants"] == ["ID-AICHR", "PH-SOMTC"]
    assert r.headers["ETag"] == f'"M-{m["id"]}.v1"'

    url = f"/api/v1/meetings/{m['id']}"
    assert client.get(url, headers=tokens["ph"]).status_code == 200
    assert client.get(url, headers=tokens["chair"]).status_code == 200
    # Not taking part, or an observer where observers are not invited: no such meeting.
    assert client.get(url, headers=tokens["th"]).status_code == 404
    assert client.get(url, headers=tokens["observer"]).status_code == 404
    assert [x["id"] for x in client.get("/api/v1/meetings", headers=tokens["th"]).json()] == []
    assert [x["id"] for x in client.get("/api/v1/meetings", headers=tokens["ph"]).json()] == [
        m["id"]
    ]
    # Members and co-chairs do not set meetings up.
    assert create(client, tokens["ph"]).status_code == 403
    assert create(client, tokens["chair"]).status_code == 403

    r = client.patch(
        url,
        json={"observers_invited": True},
        headers=tokens["sec"] | {"If-Match": r.headers["ETag"]},
    )
    assert r.status_code == 200, r.text
    assert client.get(url, headers=tokens["observer"]).status_code == 200
    with database.transaction() as s:
        actions = s.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_type == "meeting")
            .order_by(AuditEvent.id)
        ).all()
    assert actions == ["meeting.create", "meeting.update"]


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"video_url": "http://meet.example.org/x"}, 422, "video_url"),
        ({"video_url": "javascript:alert(1)"}, 422, "video_url"),
        ({"video_url": "https://user:pw@meet.example.org/x"}, 422, "video_url"),
        ({"time_zone": "Mars/Olympus"}, 422, "time_zone"),
        ({"starts_at": "next Tuesday"}, 422, "starts_at"),
        ({"starts_at": "9999-99-99T25:00"}, 422, "starts_at"),
        ({"title": "   "}, 422, "title"),
        ({"participants": ["XX-NONE"]}, 404, "participants"),
        ({"round": "NO/SUCH"}, 404, "round"),
        ({"duration_minutes": 0}, 422, "duration_minutes"),
        ({"colour": "red"}, 422, "colour"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    client: TestClient,
    tokens: dict[str, dict[str, str]],
    change: dict[str, Any],
    status: int,
    field: str,
) -> None:
    r = create(client, tokens["sec"], **change)
    assert r.status_code == status, r.text
    assert r.json()["field"] == field


def test_the_agenda_is_ordered_under_if_match_and_a_racing_change_gets_412(
    client: TestClient, tokens: dict[str, dict[str, str]], database: Database
) -> None:
    proposal = {
        "kind": "amend",
        "targets": ["FC-CD-01"],
        "content": {"text": "Passport or phone taken"},
        "rationale": "Shorter",
        "submit": True,
    }
    r = client.post("/api/v1/proposals", json=proposal, headers=tokens["ph"])
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    draft = client.post(
        "/api/v1/proposals", json=proposal | {"submit": False}, headers=tokens["ph"]
    ).json()["id"]

    m = create(client, tokens["sec"])
    tag = m.headers["ETag"]
    url = f"/api/v1/meetings/{m.json()['id']}"
    agenda = ["FC-CD-01", f"p-{pid}", "SEC-PURPOSE"]
    assert (
        client.put(f"{url}/agenda", json={"agenda": agenda}, headers=tokens["sec"]).status_code
        == 428
    )
    r = client.put(
        f"{url}/agenda", json={"agenda": agenda}, headers=tokens["sec"] | {"If-Match": tag}
    )
    assert r.status_code == 200, r.text
    assert [e["ref"] for e in r.json()["agenda"]] == ["FC-CD-01", f"P-{pid}", "SEC-PURPOSE"]
    assert r.json()["agenda"][1]["item"] == "FC-CD-01"
    fresh = r.headers["ETag"]
    # Another officer, who read the meeting before that change, reorders: refused, not lost.
    r = client.put(
        f"{url}/agenda", json={"agenda": ["SEC-PURPOSE"]}, headers=tokens["sec"] | {"If-Match": tag}
    )
    assert r.status_code == 412, r.text
    assert [e["ref"] for e in client.get(url, headers=tokens["sec"]).json()["agenda"]] == [
        "FC-CD-01",
        f"P-{pid}",
        "SEC-PURPOSE",
    ]
    # Reordered with the current ETag.
    r = client.put(
        f"{url}/agenda",
        json={"agenda": ["SEC-PURPOSE", "FC-CD-01", f"P-{pid}"]},
        headers=tokens["sec"] | {"If-Match": fresh},
    )
    assert r.status_code == 200
    assert [e["ref"] for e in r.json()["agenda"]] == ["SEC-PURPOSE", "FC-CD-01", f"P-{pid}"]
    fresh = r.headers["ETag"]
    for bad, status in (
        (["FC-XX-99"], 404),
        ([f"P-{draft}"], 404),  # a private draft never goes on an agenda: as if none
        (["FC-CD-01", "fc-cd-01"], 422),
        (["<script>"], 422),
    ):
        r = client.put(
            f"{url}/agenda", json={"agenda": bad}, headers=tokens["sec"] | {"If-Match": fresh}
        )
        assert (r.status_code, r.json()["field"]) == (status, "agenda"), r.text

    # The point under discussion: the secretariat or a co-chair; it must be on the agenda.
    assert (
        client.put(f"{url}/current", json={"ref": "FC-CD-01"}, headers=tokens["ph"]).status_code
        == 403
    )
    r = client.put(f"{url}/current", json={"ref": "fc-cd-01"}, headers=tokens["chair"])
    assert r.status_code == 200, r.text
    assert r.json()["current"] == "FC-CD-01"
    r = client.put(f"{url}/current", json={"ref": "FC-DR-01"}, headers=tokens["chair"])
    assert r.status_code == 404
    assert r.json()["field"] == "ref"
    with database.transaction() as s:
        actions = s.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_type == "meeting")
            .order_by(AuditEvent.id)
        ).all()
    assert actions == ["meeting.create", "meeting.agenda", "meeting.agenda", "meeting.current"]


def test_two_officers_reordering_in_the_pages_never_overwrite_each_other(
    client: TestClient, app: Any, world: World, tokens: dict[str, dict[str, str]]
) -> None:
    m = create(client, tokens["sec"]).json()
    url = f"/meetings/{m['id']}"
    first, second = logged_in(app, world.secretariat), logged_in(app, world.secretariat2)
    for ref in ("FC-CD-01", "FC-DR-01", "SEC-PURPOSE"):
        page = first.get(url).text
        assert (
            post(first, f"{url}/agenda", form_in(page, id="agenda-add") | {"ref": ref}).status_code
            == 303
        )
    # Both read the page; the first moves SEC-PURPOSE up, the second (reading the old page)
    # takes FC-CD-01 off: refused, with the agenda shown as it is now.
    page_one, page_two = first.get(url).text, second.get(url).text
    up = {
        "csrf_token": csrf_of(page_one),
        "version": re.search(r'name="version" value="(\d+)"', page_one).group(1),  # type: ignore[union-attr]
        "ref": "SEC-PURPOSE",
        "action": "up",
    }
    assert post(first, f"{url}/agenda", up).status_code == 303
    off = up | {"csrf_token": csrf_of(page_two), "ref": "FC-CD-01", "action": "remove"}
    r = post(second, f"{url}/agenda", off)
    assert r.status_code == 412
    assert "Someone else changed this meeting's agenda meanwhile" in text_of(r.text)
    refs = re.findall(r'<li data-ref="([^"]+)"', r.text)
    assert refs == ["FC-CD-01", "SEC-PURPOSE", "FC-DR-01"]
    # A member reads the meeting (no forms) and its live view, which reloads itself without
    # JavaScript.
    member = logged_in(app, world.member)
    assert 'id="agenda-add"' not in member.get(url).text
    live = member.get(f"{url}/live").text
    assert '<noscript><meta http-equiv="refresh"' in live
    assert post(member, f"{url}/agenda", off | {"csrf_token": csrf_of(live)}).status_code == 403


def test_the_floor_is_asked_in_order_called_and_cleared_and_attendance_recorded(
    client: TestClient,
    app: Any,
    world: World,
    tokens: dict[str, dict[str, str]],
    database: Database,
) -> None:
    m = create(client, tokens["sec"]).json()
    url = f"/api/v1/meetings/{m['id']}"
    # The Indonesian delegation asks first, then the Philippine one.
    r = client.post(f"{url}/floor", json={}, headers=tokens["id"])
    assert r.status_code == 201, r.text
    r = client.post(f"{url}/floor", json={"delegation": "PH-SOMTC"}, headers=tokens["ph"])
    assert r.status_code == 201, r.text
    queue = r.json()["floor"]
    assert [f["delegation"] for f in queue] == ["ID-AICHR", "PH-SOMTC"]
    # Asking twice, for a delegation not taking part, for one not one's own, or in a meeting
    # one may not see: refused.
    r = client.post(f"{url}/floor", json={}, headers=tokens["id"])
    assert (r.status_code, r.json()["field"]) == (409, "delegation")
    r = client.post(f"{url}/floor", json={"delegation": "PH-ACWC"}, headers=tokens["ph"])
    assert (r.status_code, r.json()["field"]) == (403, "delegation")
    r = client.post(f"{url}/floor", json={"delegation": "ID-AICHR"}, headers=tokens["ph"])
    assert (r.status_code, r.json()["field"]) == (403, "delegation")
    assert client.post(f"{url}/floor", json={}, headers=tokens["th"]).status_code == 404
    assert client.post(f"{url}/floor", json={}, headers=tokens["sec"]).status_code == 403
    r = client.post(f"{url}/floor", json={"delegation": 7}, headers=tokens["ph"])
    assert (r.status_code, r.json()["field"]) == (422, "delegation")

    # The chair gives the floor to PH-SOMTC out of turn; it comes first while it speaks.
    ph_request = queue[1]["id"]
    assert client.post(f"{url}/floor/{ph_request}/call", headers=tokens["ph"]).status_code == 403
    r = client.post(f"{url}/floor/{ph_request}/call", headers=tokens["chair"])
    assert r.status_code == 200, r.text
    assert [(f["delegation"], f["called_at"] is not None) for f in r.json()["floor"]] == [
        ("PH-SOMTC", True),
        ("ID-AICHR", False),
    ]
    assert client.post(f"{url}/floor/{ph_request}/call", headers=tokens["chair"]).status_code == 409
    r = client.post(f"{url}/floor/{ph_request}/clear", headers=tokens["sec"])
    assert [f["delegation"] for f in r.json()["floor"]] == ["ID-AICHR"]
    assert client.post(f"{url}/floor/{ph_request}/clear", headers=tokens["sec"]).status_code == 409
    assert client.post(f"{url}/floor/999999/call", headers=tokens["sec"]).status_code == 404
    # Once cleared, PH-SOMTC may ask again.
    again = client.post(f"{url}/floor", json={"delegation": "PH-SOMTC"}, headers=tokens["ph"])
    assert again.status_code == 201

    # Attendance: joined, then left; the latest says where the delegation is.
    assert (
        client.post(
            f"{url}/attendance",
            json={"joined": True, "delegation": "PH-SOMTC"},
            headers=tokens["ph"],
        ).status_code
        == 201
    )
    r = client.post(
        f"{url}/attendance", json={"joined": False, "delegation": "PH-SOMTC"}, headers=tokens["ph"]
    )
    assert [(p["delegation"], p["joined"]) for p in r.json()["attendance"]] == [("PH-SOMTC", False)]
    r = client.post(f"{url}/attendance", json={}, headers=tokens["ph"])
    assert (r.status_code, r.json()["field"]) == (422, "joined")
    with database.transaction() as s:
        actions = s.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_type == "meeting")
            .order_by(AuditEvent.id)
        ).all()
    assert actions == [
        "meeting.create",
        "meeting.floor.ask",
        "meeting.floor.ask",
        "meeting.floor.call",
        "meeting.floor.clear",
        "meeting.floor.ask",
        "meeting.joined",
        "meeting.left",
    ]


def test_positions_stated_and_decisions_taken_in_the_room_are_tied_to_the_meeting(
    client: TestClient, tokens: dict[str, dict[str, str]], database: Database
) -> None:
    proposal = {
        "kind": "amend",
        "targets": ["FC-CD-01"],
        "content": {"text": "Passport or phone taken"},
        "rationale": "Shorter",
        "submit": True,
        "delegation": "PH-SOMTC",
    }
    pid = client.post("/api/v1/proposals", json=proposal, headers=tokens["ph"]).json()["id"]
    m = create(client, tokens["sec"]).json()
    url = f"/api/v1/meetings/{m['id']}"
    stated = {"delegation": "ID-AICHR", "stance": "support", "proposal_id": pid}
    # Only the secretariat records a position on a delegation's behalf.
    assert client.post(f"{url}/positions", json=stated, headers=tokens["chair"]).status_code == 403
    r = client.post(
        f"{url}/positions",
        json=stated | {"statement": "Indonesia supports the amendment"},
        headers=tokens["sec"],
    )
    assert r.status_code == 201, r.text
    assert [(a["kind"], a["delegation"], a["ref"], a["what"]) for a in r.json()["acts"]] == [
        ("position", "ID-AICHR", f"P-{pid}", "support")
    ]
    # It is the delegation's position like any other.
    positions = client.get(f"/api/v1/proposals/{pid}", headers=tokens["id"]).json()["positions"]
    assert ("ID-AICHR", "support") in [(x["delegation"], x["stance"]) for x in positions]
    for bad, status, field in (
        (stated | {"delegation": "TH-SOMTC"}, 403, "delegation"),  # not taking part
        (stated | {"delegation": "XX-NONE"}, 404, "delegation"),
        (stated | {"stance": "maybe"}, 422, "stance"),
        ({"delegation": "ID-AICHR", "stance": "support"}, 422, "target"),
    ):
        r = client.post(f"{url}/positions", json=bad, headers=tokens["sec"])
        assert (r.status_code, r.json().get("field")) == (status, field), r.text

    tag = client.get(f"/api/v1/proposals/{pid}", headers=tokens["sec"]).headers["ETag"]
    decision = {"proposal_id": pid, "outcome": "agreed", "reason": "Agreed in the room"}
    r = client.post(
        f"{url}/decisions", json=decision | {"acknowledged": True}, headers=tokens["chair"]
    )
    assert r.status_code == 428
    # Kept under consideration records no decision: never tied to the meeting (an earlier
    # decision of the proposal would have been), refused naming the outcome.
    r = client.post(
        f"{url}/decisions",
        json=decision | {"outcome": "under_consideration"},
        headers=tokens["chair"] | {"If-Match": tag},
    )
    assert (r.status_code, r.json().get("field")) == (422, "outcome"), r.text
    r = client.post(
        f"{url}/decisions",
        json=decision | {"acknowledged": True},
        headers=tokens["chair"] | {"If-Match": tag},
    )
    assert r.status_code == 200, r.text
    assert r.json()["acts"][-1] == r.json()["acts"][-1] | {
        "kind": "decision",
        "ref": f"P-{pid}",
        "what": "agreed",
        "delegation": "PH-SOMTC",
    }
    # Deciding again with the old ETag: the proposal moved on.
    r = client.post(f"{url}/decisions", json=decision, headers=tokens["chair"] | {"If-Match": tag})
    assert r.status_code == 412, r.text
    with database.transaction() as s:
        actions = s.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_type == "meeting")
            .order_by(AuditEvent.id)
        ).all()
    assert actions == ["meeting.create", "meeting.position", "meeting.decision"]


def test_a_decision_in_the_room_takes_the_override_and_the_picture_as_elsewhere(
    client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    """The meeting's decision is the proposals service's: a co-chair agrees over an objection
    with the reason, and a picture acknowledged before a delegation turned pending is refused."""
    proposal = {
        "kind": "amend",
        "targets": ["FC-CD-01"],
        "content": {"text": "Passport or phone taken"},
        "rationale": "Shorter",
        "submit": True,
        "delegation": "PH-SOMTC",
    }
    pid = client.post("/api/v1/proposals", json=proposal, headers=tokens["ph"]).json()["id"]
    url = f"/api/v1/meetings/{create(client, tokens['sec']).json()['id']}"
    objection = {"delegation": "ID-AICHR", "stance": "objection", "proposal_id": pid}
    assert client.post(f"{url}/positions", json=objection, headers=tokens["sec"]).status_code == 201

    def tag() -> dict[str, str]:
        etag = client.get(f"/api/v1/proposals/{pid}", headers=tokens["sec"]).headers["ETag"]
        return tokens["chair"] | {"If-Match": etag}

    decision = {"proposal_id": pid, "outcome": "agreed", "acknowledged": True}
    r = client.post(f"{url}/decisions", json=decision, headers=tag())
    assert (r.status_code, r.json().get("field")) == (409, "override_reason"), r.text
    # The picture the chair saw named nobody pending: others are, so it is refused to be seen.
    seen = {"pending": [], "reservation": []}
    r = client.post(
        f"{url}/decisions",
        json=decision | {"override_reason": "Consensus minus one", "acknowledged_picture": seen},
        headers=tag(),
    )
    assert r.status_code == 409 and "picture changed" in r.json()["detail"], r.text
    r = client.post(
        f"{url}/decisions",
        json=decision | {"override_reason": "Consensus minus one"},
        headers=tag(),
    )
    assert r.status_code == 200, r.text
    assert r.json()["acts"][-1]["what"] == "agreed"
    decided = client.get(f"/api/v1/proposals/{pid}", headers=tokens["sec"]).json()
    assert decided["override_reason"] == "Consensus minus one"


def test_digits_that_are_not_ascii_are_refused_on_the_forms_naming_the_field(
    app: FastAPI, world: World
) -> None:
    """ "²" passes str.isdigit() but not int(): the form says what is wrong instead of a 500."""
    sec = logged_in(app, world.secretariat)
    csrf = csrf_of(sec.get("/meetings/new").text)
    fields = {
        "title": "Fourth online meeting",
        "starts_at": "2026-04-10T14:00",
        "time_zone": "Asia/Manila",
        "duration_minutes": "\u00b2",
        "round": "",
        "video_url": "",
        "csrf_token": csrf,
    }
    page = sec.post("/meetings", data=fields)
    assert page.status_code == 422, page.text[:300]
    assert [target for target, _ in summary(page.text)] == ["duration_minutes"]
    created = sec.post("/meetings", data=fields | {"duration_minutes": "90"})
    assert created.status_code == 200, created.text[:300]
    mid = int(str(created.url).rstrip("/").split("/")[-1].split("?")[0])
    for path in (f"/meetings/{mid}/edit", f"/meetings/{mid}/agenda"):
        response = sec.post(path, data=fields | {"duration_minutes": "90", "version": "\u00b2"})
        assert response.status_code < 500, (path, response.status_code)
