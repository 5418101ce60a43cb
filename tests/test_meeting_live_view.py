"""What the live view shows of the point under discussion (review findings 2, 4): as just
decided only a decision taken during this meeting (tied to it, or at or after its start), never
the last one ever taken on the item; as positions, only the delegations taking part."""

import re
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.db import Database
from app.models import AuditEvent
from tests.factories import World, bearer, token_for
from tests.helpers import Clock, form_in, logged_in, post, text_of


def _proposal(api: TestClient, headers: dict[str, str], text: str) -> int:
    r = api.post(
        "/api/v1/proposals",
        json={
            "kind": "amend",
            "targets": ["FC-CD-01"],
            "content": {"text": text},
            "rationale": "Clearer",
            "submit": True,
        },
        headers=headers,
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _decide(api: TestClient, sec: dict[str, str], pid: int, url: str | None = None) -> None:
    tag = api.get(f"/api/v1/proposals/{pid}", headers=sec).headers["ETag"]
    decision: dict[str, Any] = {"outcome": "not_retained", "reason": f"Not retained {pid}"}
    if url is None:
        r = api.post(
            f"/api/v1/proposals/{pid}/decision", json=decision, headers=sec | {"If-Match": tag}
        )
    else:
        r = api.post(url, json=decision | {"proposal_id": pid}, headers=sec | {"If-Match": tag})
    assert r.status_code == 200, r.text


def _just_decided(html: str) -> str | None:
    found = re.search(r'<p[^>]*id="just-decided"[^>]*>(.*?)</p>', html, re.S)
    return text_of(found.group(1)) if found else None


def test_just_decided_is_a_decision_of_this_meeting_and_positions_its_delegations(
    app: FastAPI, world: World, database: Database, clock: Clock
) -> None:
    api = TestClient(app)
    sec = bearer(token_for(database, world.secretariat, clock.now))
    ph = bearer(token_for(database, world.member, clock.now))
    # Decided a week before the meeting, on another proposal.
    before = _proposal(api, ph, "Passport taken by the operators of the compound")
    _decide(api, sec, before)

    r = api.post(
        "/api/v1/meetings",
        json={
            "title": "Sixth online meeting",
            "starts_at": "2026-03-10T14:00",
            "time_zone": "Asia/Manila",
            "participants": ["PH-SOMTC", "ID-AICHR"],
        },
        headers=sec,
    )
    assert r.status_code == 201, r.text
    mid = r.json()["id"]
    r = api.put(
        f"/api/v1/meetings/{mid}/agenda",
        json={"agenda": ["FC-CD-01"]},
        headers=sec | {"If-Match": r.headers["ETag"]},
    )
    assert r.status_code == 200, r.text
    api.put(f"/api/v1/meetings/{mid}/current", json={"ref": "FC-CD-01"}, headers=sec)

    browser = logged_in(app, world.member)
    fragment = f"/meetings/{mid}/live/fragment"
    html = browser.get(fragment).text
    assert _just_decided(html) is None, _just_decided(html)
    # Only the two delegations taking part are waited for; not TH-SOMTC nor PH-ACWC.
    pending = re.search(r'id="positions-pending">(.*?)</p>', html, re.S)
    assert pending is not None
    assert re.findall(r"<abbr[^>]*>([^<]+)</abbr>", pending.group(1)) == ["ID-AICHR", "PH-SOMTC"]
    assert "TH-SOMTC" not in text_of(browser.get(f"/meetings/{mid}/live").text)

    # Decided in the meeting (tied to it, even ahead of its start): it is just decided.
    tied = _proposal(api, ph, "Passport withheld by the operators")
    _decide(api, sec, tied, f"/api/v1/meetings/{mid}/decisions")
    assert f"P-{tied}" in str(_just_decided(browser.get(fragment).text))

    # Once the meeting has started, a decision taken on the item's page counts too.
    clock.advance(days=9)
    sec = bearer(token_for(database, world.secretariat, clock.now))
    ph = bearer(token_for(database, world.member, clock.now))
    browser = logged_in(app, world.member)
    later = _proposal(api, ph, "Passport kept by the operators")
    _decide(api, sec, later)
    assert f"P-{later}" in str(_just_decided(browser.get(fragment).text))
    assert f"P-{before}" not in str(_just_decided(browser.get(fragment).text))


def _meeting(api: TestClient, sec: dict[str, str], participants: list[str]) -> int:
    r = api.post(
        "/api/v1/meetings",
        json={"title": "Seventh online meeting", "starts_at": "2026-03-01T10:00"}
        | {"participants": participants},
        headers=sec,
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_a_delegate_withdraws_their_own_request_for_the_floor(
    app: FastAPI, world: World, database: Database, clock: Clock
) -> None:
    """Review finding 5, through the API and the page's form (without JavaScript)."""
    api = TestClient(app)
    sec = bearer(token_for(database, world.secretariat, clock.now))
    ph = bearer(token_for(database, world.member, clock.now))
    indonesia = bearer(token_for(database, world.member2, clock.now))
    mid = _meeting(api, sec, ["PH-SOMTC", "ID-AICHR"])
    url = f"/api/v1/meetings/{mid}/floor"
    assert api.post(url, json={}, headers=ph).status_code == 201
    # Nobody withdraws another delegation's request; nor one never made.
    r = api.post(f"{url}/withdraw", json={"delegation": "PH-SOMTC"}, headers=indonesia)
    assert r.status_code == 403 and r.json()["field"] == "delegation", r.text
    r = api.post(f"{url}/withdraw", json={}, headers=indonesia)
    assert r.status_code == 409 and r.json()["field"] == "delegation", r.text
    r = api.post(f"{url}/withdraw", json={}, headers=ph)
    assert r.status_code == 200, r.text
    assert r.json()["floor"] == []
    assert api.post(f"{url}/withdraw", json={}, headers=ph).status_code == 409

    # The page: asked, then "Withdraw my request".
    browser = logged_in(app, world.member)
    page = browser.get(f"/meetings/{mid}/live").text
    r = post(browser, f"/meetings/{mid}/floor", form_in(page, action=f"/meetings/{mid}/floor"))
    assert r.status_code == 303, r.text
    page = browser.get(f"/meetings/{mid}/live").text
    assert "PH-SOMTC has asked for the floor." in text_of(page)
    fields = form_in(page, action=f"/meetings/{mid}/floor/withdraw")
    assert "Withdraw my request" in text_of(page)
    r = post(browser, f"/meetings/{mid}/floor/withdraw", fields)
    assert r.status_code == 303, r.text
    page = browser.get(f"/meetings/{mid}/live").text
    assert "Nobody has asked for the floor." in text_of(page)
    with database.transaction() as s:
        events = s.execute(
            select(AuditEvent.action, AuditEvent.details)
            .where(AuditEvent.object_type == "meeting", AuditEvent.object_id == str(mid))
            .order_by(AuditEvent.id)
        ).all()
    withdrawn = [d for a, d in events if a == "meeting.floor.withdraw"]
    assert [d["delegation"] for d in withdrawn] == ["PH-SOMTC", "PH-SOMTC"]


def test_a_person_in_two_delegations_taking_part_chooses_which_one_they_act_for(
    app: FastAPI, world: World, database: Database, clock: Clock
) -> None:
    """Review finding 6: Maria is in PH-SOMTC and PH-ACWC; both take part."""
    api = TestClient(app)
    sec = bearer(token_for(database, world.secretariat, clock.now))
    mid = _meeting(api, sec, ["PH-SOMTC", "PH-ACWC", "ID-AICHR"])
    browser = logged_in(app, world.member)
    page = browser.get(f"/meetings/{mid}/live").text
    options = re.findall(r'<option value="([^"]+)"', page)
    assert sorted(options) == ["PH-ACWC", "PH-SOMTC"]
    fields = form_in(page, id="speak-for") | {"delegation": "PH-ACWC"}
    assert post(browser, f"/meetings/{mid}/floor", fields).status_code == 303
    fields = fields | {"joined": "yes"}
    assert post(browser, f"/meetings/{mid}/attendance", fields).status_code == 303
    meeting = api.get(f"/api/v1/meetings/{mid}", headers=sec).json()
    assert [f["delegation"] for f in meeting["floor"]] == ["PH-ACWC"]
    assert [(p["delegation"], p["joined"]) for p in meeting["attendance"]] == [("PH-ACWC", True)]
    page = browser.get(f"/meetings/{mid}/live").text
    assert "Withdraw my request for PH-ACWC" in text_of(page)
