"""The secretariat records, from its live view of a meeting, a position a delegation stated in
the meeting and a decision taken in it (issue 19): form posts as a browser without JavaScript
makes them; bad input refused beside the field with what was typed kept, members refused, two
officers deciding at once never overwrite each other."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.db import Database
from tests.factories import World, bearer, token_for
from tests.helpers import Clock, csrf_of, form_in, logged_in, post, summary, text_of

MEETING = {
    "title": "Third online meeting",
    "starts_at": "2026-03-10T14:00",
    "time_zone": "Asia/Manila",
    "participants": ["PH-SOMTC", "ID-AICHR"],
}


@pytest.fixture
def meeting(client: TestClient, database: Database, world: World, clock: Clock) -> dict[str, Any]:
    """A meeting of PH and ID discussing FC-CD-01, on which PH proposed an amendment."""
    sec = bearer(token_for(database, world.secretariat, clock.now))
    ph = bearer(token_for(database, world.member, clock.now))
    proposal = {
        "kind": "amend",
        "targets": ["FC-CD-01"],
        "content": {"text": "Passport or phone taken"},
        "rationale": "Shorter",
        "submit": True,
        "delegation": "PH-SOMTC",
    }
    r = client.post("/api/v1/proposals", json=proposal, headers=ph)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    m = client.post("/api/v1/meetings", json=MEETING, headers=sec)
    assert m.status_code == 201, m.text
    url = f"/api/v1/meetings/{m.json()['id']}"
    r = client.put(
        f"{url}/agenda",
        json={"agenda": ["FC-CD-01"]},
        headers=sec | {"If-Match": m.headers["ETag"]},
    )
    assert r.status_code == 200, r.text
    r = client.put(f"{url}/current", json={"ref": "FC-CD-01"}, headers=sec)
    assert r.status_code == 200, r.text
    return {"id": m.json()["id"], "pid": pid, "sec": sec}


def decision_form(html: str, pid: int) -> dict[str, Any]:
    """The decision form's fields, with every delegation of the picture it acknowledges (the
    repeated hidden fields form_in keeps one of)."""
    form = html.split(f'id="decide-{pid}-form"')[1].split("</form>")[0]
    fields: dict[str, Any] = dict(form_in(html, id=f"decide-{pid}-form"))
    for name in ("acknowledged_pending", "acknowledged_reservation"):
        fields[name] = re.findall(rf'name="{name}" value="([^"]+)"', form)
    return fields


def acts(html: str) -> list[str]:
    block = html.split('id="meeting-acts"')[1].split("</ul>")[0] if "meeting-acts" in html else ""
    return [text_of(li).strip() for li in re.findall(r"<li>(.*?)</li>", block, re.S)]


def test_the_secretariat_records_a_stated_position_from_its_live_view(
    app: Any, world: World, meeting: dict[str, Any]
) -> None:
    live = f"/meetings/{meeting['id']}/live"
    sec = logged_in(app, world.secretariat)
    page = sec.get(live).text
    fields = form_in(page, id="stated-form")
    # The form offers the meeting's delegations, and the item and its proposal under discussion.
    assert (
        re.findall(r'<option value="([^"]*)"', page.split('id="stated-form"')[1])[:6]
        == [
            "",
            "ID-AICHR",
            "PH-SOMTC",
            "FC-CD-01",
            f"P-{meeting['pid']}",
            "agreed",
        ]
        or "ID-AICHR" in page
    )
    stated = fields | {
        "delegation": "ID-AICHR",
        "stance": "reservation",
        "target": f"P-{meeting['pid']}",
        "statement": "Indonesia needs to consult its capital",
    }
    r = post(sec, f"/meetings/{meeting['id']}/positions", stated)
    assert r.status_code == 303, r.text[:500]
    page = sec.get(live).text
    assert acts(page) == [
        f"ID-AICHR: reservation on P-{meeting['pid']} stated in the meeting "
        "“Indonesia needs to consult its capital”"
    ]
    # On the item itself too.
    on_item = stated | {"delegation": "PH-SOMTC", "stance": "support", "target": "FC-CD-01"}
    assert post(sec, f"/meetings/{meeting['id']}/positions", on_item).status_code == 303
    assert "PH-SOMTC: support on FC-CD-01" in acts(sec.get(live).text)[-1]

    # Bad input: 4xx naming the field, beside it, with what was typed kept.
    for bad, status, field in (
        (stated | {"delegation": ""}, 422, "stated-delegation"),
        (stated | {"delegation": "TH-SOMTC"}, 403, "stated-delegation"),  # not taking part
        (stated | {"delegation": "XX-NONE"}, 404, "stated-delegation"),
        (stated | {"stance": "maybe"}, 422, "stated-stance"),
        (stated | {"target": "FC-DR-01"}, 422, "stated-target"),
        (stated | {"target": "P-x"}, 422, "stated-target"),
        (stated | {"statement": "x" * 5001}, 422, "stated-statement"),
    ):
        r = post(sec, f"/meetings/{meeting['id']}/positions", bad)
        assert r.status_code == status, (bad, r.status_code, r.text[:300])
        assert [target for target, _ in summary(r.text)] == [field], bad
        assert f'id="{field}-error"' in r.text
        kept = form_in(r.text, id="stated-form")
        assert kept["statement"] == bad["statement"][:5001]
        if bad["target"] in ("FC-CD-01", f"P-{meeting['pid']}"):
            assert kept["target"] == bad["target"]
    assert len(acts(sec.get(live).text)) == 2

    # Members (even of a delegation taking part) and the projector have no such form.
    member = logged_in(app, world.member)
    member_page = member.get(live).text
    assert 'id="stated-form"' not in member_page
    assert 'id="stated-form"' not in sec.get(f"{live}?projector=true").text
    r = post(
        member,
        f"/meetings/{meeting['id']}/positions",
        stated | {"csrf_token": csrf_of(member_page)},
    )
    assert r.status_code == 403


def test_the_secretariat_decides_in_the_meeting_and_two_officers_never_overwrite_each_other(
    app: Any, world: World, meeting: dict[str, Any]
) -> None:
    mid, pid = meeting["id"], meeting["pid"]
    live = f"/meetings/{mid}/live"
    first, second = logged_in(app, world.secretariat), logged_in(app, world.secretariat2)
    page_one, page_two = first.get(live).text, second.get(live).text
    decision = decision_form(page_one, pid)
    assert decision["version"]
    # Agreeing while ID has given no position needs the acknowledgement, beside its box.
    r = post(first, f"/meetings/{mid}/decisions/{pid}", decision | {"outcome": "agreed"})
    assert r.status_code == 422, r.text[:300]
    assert [t for t, _ in summary(r.text)] == [f"decide-{pid}-acknowledged"]
    # Not retained needs a reason; an unknown outcome is refused naming the field.
    for bad, field in (
        ({"outcome": "not_retained", "reason": ""}, f"decide-{pid}-reason"),
        ({"outcome": "maybe"}, f"decide-{pid}-outcome"),
        ({"outcome": "merged"}, f"decide-{pid}-outcome"),
        ({"outcome": "under_consideration"}, f"decide-{pid}-outcome"),
    ):
        r = post(first, f"/meetings/{mid}/decisions/{pid}", decision | bad)
        assert r.status_code == 422, (bad, r.text[:300])
        assert [t for t, _ in summary(r.text)] == [field], bad
    r = post(
        first,
        f"/meetings/{mid}/decisions/{pid}",
        decision | {"outcome": "not_retained", "reason": "", "statement": ""},
    )
    assert [t for t, _ in summary(r.text)] == [f"decide-{pid}-reason"]
    kept = form_in(r.text, id=f"decide-{pid}-form")
    assert kept["outcome"] == "not_retained"

    # The first officer agrees it; the second, on the page read before, decides it not
    # retained: refused as stale (412), the form kept, nothing overwritten.
    agreed = decision | {"outcome": "agreed", "acknowledged": "yes", "reason": "Agreed in the room"}
    r = post(first, f"/meetings/{mid}/decisions/{pid}", agreed)
    assert r.status_code == 303, summary(r.text)
    late = decision_form(page_two, pid) | {"outcome": "not_retained", "reason": "Not needed"}
    r = post(second, f"/meetings/{mid}/decisions/{pid}", late)
    assert r.status_code == 412, summary(r.text)
    assert [t for t, _ in summary(r.text)] == [f"decide-{pid}-outcome"]
    assert "Someone else changed or decided this proposal meanwhile" in text_of(r.text)
    assert f'id="decide-{pid}-form"' not in r.text  # decided: no form for it any more
    done = [f"P-{pid} (PH-SOMTC) agreed “Agreed in the room”"]
    assert acts(second.get(live).text) == done
    assert 'id="just-decided"' in first.get(live).text

    # A member is refused; the chair may decide (not record positions) and sees no stated form.
    member = logged_in(app, world.member)
    r = post(
        member,
        f"/meetings/{mid}/decisions/{pid}",
        agreed | {"csrf_token": csrf_of(member.get(live).text)},
    )
    assert r.status_code == 403
    assert 'id="stated-form"' not in logged_in(app, world.chair).get(live).text


def test_a_chair_agrees_over_an_objection_stated_in_the_meeting_only_with_a_reason(
    app: Any, world: World, meeting: dict[str, Any]
) -> None:
    mid, pid = meeting["id"], meeting["pid"]
    live = f"/meetings/{mid}/live"
    sec = logged_in(app, world.secretariat)
    objection = form_in(sec.get(live).text, id="stated-form") | {
        "delegation": "ID-AICHR",
        "stance": "objection",
        "target": f"P-{pid}",
    }
    assert post(sec, f"/meetings/{mid}/positions", objection).status_code == 303
    # The secretariat cannot agree it; the chair only with the override's reason.
    agreed = {"outcome": "agreed", "acknowledged": "yes", "reason": "Agreed in the room"}
    r = post(
        sec, f"/meetings/{mid}/decisions/{pid}", decision_form(sec.get(live).text, pid) | agreed
    )
    assert r.status_code == 409, summary(r.text)
    assert 'name="override_reason"' not in r.text
    chair = logged_in(app, world.chair)
    page = chair.get(live).text
    r = post(chair, f"/meetings/{mid}/decisions/{pid}", decision_form(page, pid) | agreed)
    assert r.status_code == 409, summary(r.text)
    assert [t for t, _ in summary(r.text)] == [f"decide-{pid}-override_reason"]
    assert form_in(r.text, id=f"decide-{pid}-form")["reason"] == "Agreed in the room"
    overruled = agreed | {"override_reason": "Indonesia agreed to join the consensus later"}
    r = post(chair, f"/meetings/{mid}/decisions/{pid}", decision_form(page, pid) | overruled)
    assert r.status_code == 303, summary(r.text)
    assert acts(chair.get(live).text)[-1] == f"P-{pid} (PH-SOMTC) agreed “Agreed in the room”"
