"""Items marked in the meeting (issue 19: "brackets text, marks items agreed ad referendum"):
the consensus service's mark, the same audited action with the same rule (agreed needs no
standing objection, or a co-chair's override with its reason), tied to the meeting with the
state it went from and to and the note; through the API and the secretariat's live view, and
in the meeting's record (text and Word)."""

import io
import re
from datetime import UTC, datetime
from typing import Any

import docx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.db import Database
from app.models import AuditEvent, Item, MeetingAct
from tests.factories import World, arranged
from tests.helpers import csrf_of, form_in, logged_in, meeting_with_agenda, post, summary, text_of

MEETING = {
    "title": "Third online meeting",
    "starts_at": "2026-03-10T14:00",
    "time_zone": "Asia/Manila",
    "participants": ["PH-SOMTC", "ID-AICHR"],
}


@pytest.fixture
def meeting(client: TestClient, tokens: dict[str, dict[str, str]]) -> int:
    """A meeting of PH and ID on FC-CD-01 and SEC-PURPOSE, FC-CD-01 under discussion."""
    agenda = ["FC-CD-01", "SEC-PURPOSE"]
    return meeting_with_agenda(client, tokens["sec"], agenda, current="FC-CD-01", **MEETING)


def marks_of(database: Database, meeting_id: int) -> list[tuple[str, str | None, str | None, str]]:
    with database.transaction() as s:
        return [
            (code, a.from_state, a.to_state, a.note or "")
            for a, code in s.execute(
                select(MeetingAct, Item.code)
                .join(Item, Item.id == MeetingAct.item_id)
                .where(MeetingAct.meeting_id == meeting_id, MeetingAct.kind == "mark")
                .order_by(MeetingAct.id)
            )
        ]


def events(database: Database, action: str) -> list[dict[str, Any]]:
    with database.transaction() as s:
        return [
            {"object_id": oid, **(d or {})}
            for oid, d in s.execute(
                select(AuditEvent.object_id, AuditEvent.details)
                .where(AuditEvent.action == action)
                .order_by(AuditEvent.id)
            )
        ]


def state_of(database: Database, code: str) -> tuple[str, str]:
    with database.transaction() as s:
        item = s.scalar(select(Item).where(Item.code == code))
        assert item is not None
        return item.drafting_state, item.drafting_note


# --- The API ---------------------------------------------------------------------------------


def test_the_secretariat_marks_an_item_in_the_meeting_audited_and_tied_to_it(
    client: TestClient, tokens: dict[str, dict[str, str]], database: Database, meeting: int
) -> None:
    url = f"/api/v1/meetings/{meeting}/marks"
    body = {"item": "fc-cd-01", "state": "bracketed", "note": "  wording of the verb "}
    r = client.post(url, json=body, headers=tokens["sec"])
    assert r.status_code == 201, r.text
    out = r.json()
    mark = {k: out["acts"][-1][k] for k in ("kind", "delegation", "ref", "what", "was")}
    assert mark == {
        "kind": "mark",
        "delegation": "",
        "ref": "FC-CD-01",
        "what": "bracketed",
        "was": "open",
    }
    assert out["acts"][-1]["statement"] == "wording of the verb"
    r = client.post(
        url, json=body | {"state": "agreed_ad_ref", "note": "pending ID"}, headers=tokens["sec"]
    )
    assert r.status_code == 201, r.text

    # The item's own state: the consensus service's mark, the same audited action...
    assert state_of(database, "FC-CD-01") == ("agreed_ad_ref", "pending ID")
    marked = events(database, "item.mark")
    assert [(e["object_id"], e["from"], e["to"], e["note"]) for e in marked] == [
        ("FC-CD-01", "open", "bracketed", "wording of the verb"),
        ("FC-CD-01", "bracketed", "agreed_ad_ref", "pending ID"),
    ]
    # ... tied to the meeting, with the state it went from and to and the note.
    assert marks_of(database, meeting) == [
        ("FC-CD-01", "open", "bracketed", "wording of the verb"),
        ("FC-CD-01", "bracketed", "agreed_ad_ref", "pending ID"),
    ]
    in_meeting = events(database, "meeting.mark")
    assert [(e["object_id"], e["item"], e["from"], e["to"]) for e in in_meeting] == [
        (str(meeting), "FC-CD-01", "open", "bracketed"),
        (str(meeting), "FC-CD-01", "bracketed", "agreed_ad_ref"),
    ]
    # Whoever sees the meeting reads it among the meeting's acts; an item off the agenda may be
    # marked too (as positions may be stated on it): the record lists it under other business.
    acts = client.get(f"/api/v1/meetings/{meeting}", headers=tokens["ph"]).json()["acts"]
    assert [(a["kind"], a["ref"], a["what"]) for a in acts] == [
        ("mark", "FC-CD-01", "bracketed"),
        ("mark", "FC-CD-01", "agreed_ad_ref"),
    ]
    r = client.post(url, json={"item": "FC-DR-01", "state": "open"}, headers=tokens["chair"])
    assert r.status_code == 201, r.text
    assert marks_of(database, meeting)[-1] == ("FC-DR-01", "open", "open", "")


def test_bad_input_is_refused_naming_the_field_and_nothing_is_marked(
    client: TestClient, tokens: dict[str, dict[str, str]], database: Database, meeting: int
) -> None:
    url = f"/api/v1/meetings/{meeting}/marks"
    good = {"item": "FC-CD-01", "state": "bracketed", "note": ""}
    for body, status, field in (
        (good | {"state": "maybe"}, 422, "state"),
        (good | {"state": "Agreed"}, 422, "state"),
        ({"item": "FC-CD-01"}, 422, "state"),
        (good | {"state": None}, 422, "state"),
        (good | {"item": ""}, 422, "item"),
        (good | {"item": "   "}, 422, "item"),
        (good | {"item": "XX-NO-01"}, 404, "item"),
        (good | {"item": "x" * 33}, 422, "item"),
        (good | {"note": "x" * 5001}, 422, "note"),
        (good | {"override_reason": 7}, 422, "override_reason"),
        (good | {"extra": 1}, 422, "extra"),
    ):
        r = client.post(url, json=body, headers=tokens["sec"])
        assert (r.status_code, r.json().get("field")) == (status, field), (body, r.text)
        assert r.json()["detail"], r.text
    r = client.post(url, json=good | {"state": "maybe"}, headers=tokens["sec"])
    assert "state" in r.text
    r = client.post("/api/v1/meetings/99999/marks", json=good, headers=tokens["sec"])
    assert (r.status_code, r.json()["field"]) == (404, "meeting")
    r = client.post("/api/v1/meetings/0/marks", json=good, headers=tokens["sec"])
    assert (r.status_code, r.json()["field"]) == (422, "meeting_id")
    # Members (of a delegation taking part or not) and observers may not mark: 403.
    for who in ("ph", "id", "th", "observer"):
        r = client.post(url, json=good, headers=tokens[who])
        assert r.status_code == 403, (who, r.text)
        assert "only the secretariat and the co-chairs can mark" in r.json()["detail"].lower()
    assert client.post(url, json=good).status_code == 401
    assert marks_of(database, meeting) == []
    assert events(database, "item.mark") == [] and events(database, "meeting.mark") == []
    assert state_of(database, "FC-CD-01") == ("open", "")


def test_agreed_over_a_standing_objection_only_by_a_chair_with_the_reason(
    client: TestClient, tokens: dict[str, dict[str, str]], database: Database, meeting: int
) -> None:
    base = f"/api/v1/meetings/{meeting}"
    stated = {"delegation": "ID-AICHR", "stance": "objection", "item": "FC-CD-01"}
    assert client.post(f"{base}/positions", json=stated, headers=tokens["sec"]).status_code == 201
    agreed = {"item": "FC-CD-01", "state": "agreed", "note": "agreed in the room"}
    r = client.post(f"{base}/marks", json=agreed, headers=tokens["sec"])
    assert (r.status_code, r.json()["field"]) == (409, "override_reason"), r.text
    assert "objection from ID-AICHR" in r.json()["detail"]
    # The secretariat's reason changes nothing: only a co-chair overrides.
    r = client.post(
        f"{base}/marks", json=agreed | {"override_reason": "I say so"}, headers=tokens["sec"]
    )
    assert (r.status_code, r.json()["field"]) == (409, "override_reason"), r.text
    r = client.post(f"{base}/marks", json=agreed, headers=tokens["chair"])
    assert (r.status_code, r.json()["field"]) == (409, "override_reason"), r.text
    r = client.post(
        f"{base}/marks", json=agreed | {"override_reason": "   "}, headers=tokens["chair"]
    )
    assert r.status_code == 409, r.text
    assert marks_of(database, meeting) == []
    assert state_of(database, "FC-CD-01") == ("open", "")
    # Anything short of agreed needs no override.
    r = client.post(
        f"{base}/marks",
        json=agreed | {"state": "agreed_ad_ref", "override_reason": "nothing to override"},
        headers=tokens["sec"],
    )
    assert r.status_code == 201, r.text
    # A reason sent where nothing was overridden is not written as an override.
    assert "override_reason" not in events(database, "item.mark")[-1]
    assert "override_reason" not in events(database, "meeting.mark")[-1]
    reason = {"override_reason": "Indonesia will not block the consensus"}
    r = client.post(f"{base}/marks", json=agreed | reason, headers=tokens["chair"])
    assert r.status_code == 201, r.text
    assert state_of(database, "FC-CD-01") == ("agreed", "agreed in the room")
    assert marks_of(database, meeting) == [
        ("FC-CD-01", "open", "agreed_ad_ref", "agreed in the room"),
        (
            "FC-CD-01",
            "agreed_ad_ref",
            "agreed",
            "agreed in the room (co-chair's override: Indonesia will not block the consensus)",
        ),
    ]
    assert events(database, "item.mark")[-1]["override_reason"] == reason["override_reason"]
    assert events(database, "meeting.mark")[-1]["override_reason"] == reason["override_reason"]


# --- The live view's form ----------------------------------------------------------------------


def acts_shown(html: str) -> list[str]:
    block = html.split('id="meeting-acts"')[1].split("</ul>")[0] if "meeting-acts" in html else ""
    return [text_of(li).strip() for li in re.findall(r"<li>(.*?)</li>", block, re.S)]


def test_the_secretariat_marks_the_point_from_its_live_view(
    app: Any, world: World, client: TestClient, tokens: dict[str, dict[str, str]], meeting: int
) -> None:
    live = f"/meetings/{meeting}/live"
    sec = logged_in(app, world.secretariat)
    page = sec.get(live).text
    fields = form_in(page, id="room-mark-form")
    assert fields["item"] == "FC-CD-01"
    # The item page's own mark form (which leaves the meeting) is not offered here.
    assert 'id="mark-form"' not in page
    assert 'name="override_reason"' not in page.split('id="room-mark-form"')[1].split("</form>")[0]

    marked = fields | {"state": "agreed_ad_ref", "note": "pending TH-SOMTC"}
    r = post(sec, f"/meetings/{meeting}/marks", marked)
    assert r.status_code == 303, summary(r.text) if r.status_code != 303 else ""
    page = sec.get(live).text
    assert acts_shown(page) == [
        "FC-CD-01 marked agreed ad ref in the meeting (was open) “pending TH-SOMTC”"
    ]
    just = text_of(page.split('id="just-marked"')[1].split("</p>")[0])
    assert "FC-CD-01 agreed ad ref, was open (“pending TH-SOMTC”)" in just
    assert "Agreed ad ref" in text_of(page.split('id="drafting"')[1].split("</p>")[0])
    # A delegate's view and the projector show it too, without any form.
    member = logged_in(app, world.member)
    member_page = member.get(live).text
    assert 'id="just-marked"' in member_page and 'id="room-mark-form"' not in member_page
    projector = sec.get(f"{live}?projector=true").text
    assert 'id="just-marked"' in projector and 'id="room-mark-form"' not in projector
    r = post(member, f"/meetings/{meeting}/marks", marked | {"csrf_token": csrf_of(member_page)})
    assert r.status_code == 403

    # Bad input: beside the field, with what was typed kept.
    for bad, status, field in (
        (fields | {"state": "", "note": "kept"}, 422, "room-mark-state"),
        (fields | {"state": "maybe", "note": "kept"}, 422, "room-mark-state"),
        (fields | {"state": "open", "note": "x" * 5001}, 422, "room-mark-note"),
        (fields | {"state": "open", "item": "FC-DR-01", "note": "kept"}, 409, "room-mark-state"),
    ):
        r = post(sec, f"/meetings/{meeting}/marks", bad)
        assert r.status_code == status, (bad, r.status_code, summary(r.text))
        assert [t for t, _ in summary(r.text)] == [field], bad
        assert f'id="{field}-error"' in r.text
        assert form_in(r.text, id="room-mark-form")["note"] == bad["note"]
    assert "no longer the point under discussion" in text_of(r.text)
    assert len(acts_shown(sec.get(live).text)) == 1

    # Agreed over a standing objection: the secretariat is refused beside the state; the chair
    # sees the override's field, is refused without a reason and marks it with one.
    stated = {"delegation": "ID-AICHR", "stance": "objection", "item": "FC-CD-01"}
    base = f"/api/v1/meetings/{meeting}"
    assert client.post(f"{base}/positions", json=stated, headers=tokens["sec"]).status_code == 201
    agreed = {"state": "agreed", "note": "in the room"}
    r = post(sec, f"/meetings/{meeting}/marks", fields | agreed)
    assert r.status_code == 409
    assert [t for t, _ in summary(r.text)] == ["room-mark-state"]
    assert "objection from ID-AICHR" in text_of(r.text)
    chair = logged_in(app, world.chair)
    page = chair.get(live).text
    assert 'name="override_reason"' in page.split('id="room-mark-form"')[1].split("</form>")[0]
    r = post(chair, f"/meetings/{meeting}/marks", form_in(page, id="room-mark-form") | agreed)
    assert r.status_code == 409
    assert [t for t, _ in summary(r.text)] == ["room-mark-override_reason"]
    assert "give your reason for overriding the objection" in text_of(r.text)
    assert form_in(r.text, id="room-mark-form")["note"] == "in the room"
    overridden = agreed | {"override_reason": "ID will join the consensus"}
    r = post(chair, f"/meetings/{meeting}/marks", form_in(page, id="room-mark-form") | overridden)
    assert r.status_code == 303, summary(r.text)
    assert acts_shown(chair.get(live).text)[-1] == (
        "FC-CD-01 marked agreed in the meeting (was agreed ad ref) "
        "“in the room (co-chair's override: ID will join the consensus)”"
    )
    # The marks stay in the meeting's list whatever is under discussion next, or nothing.
    for ref in ("SEC-PURPOSE", None):
        assert client.put(f"{base}/current", json={"ref": ref}, headers=tokens["sec"]).is_success
        for view in (live, f"{live}?projector=true", f"{live}/fragment"):
            r = member.get(view)
            assert r.status_code == 200, (ref, view)
            shown = acts_shown(r.text)
            assert any(x.startswith("FC-CD-01 marked agreed ad ref") for x in shown), (ref, view)
            assert 'id="just-marked"' not in r.text


# --- The record --------------------------------------------------------------------------------


def test_the_record_says_what_was_marked_under_its_point_and_what_is_left(
    client: TestClient, tokens: dict[str, dict[str, str]], meeting: int
) -> None:
    base = f"/api/v1/meetings/{meeting}"
    for body in (
        {"item": "FC-CD-01", "state": "alternatives", "note": ""},
        {"item": "SEC-PURPOSE", "state": "bracketed", "note": "wording of  the purpose"},
        {"item": "FC-DR-01", "state": "agreed_ad_ref", "note": "pending TH-SOMTC"},  # off agenda
        {"item": "FC-CD-01", "state": "agreed_ad_ref", "note": "subject to ID's capital"},
    ):
        r = client.post(f"{base}/marks", json=body, headers=tokens["sec"])
        assert r.status_code == 201, r.text
    # After the meeting, one item is marked again outside it: the record says where it stands.
    r = client.post(
        "/api/v1/items/SEC-PURPOSE/state",
        json={"state": "alternatives", "note": "two wordings"},
        headers=tokens["sec"],
    )
    assert r.status_code == 200, r.text

    r = client.post(f"{base}/record", json={}, headers=tokens["sec"])
    assert r.status_code == 201, r.text
    lines = r.json()["text"].splitlines()
    first, second = lines.index("## 1. FC-CD-01"), lines.index("## 2. SEC-PURPOSE")
    under_first = [x for x in lines[first:second] if x.startswith("- Drafting state at ")]
    assert [x.split(": ", 1)[1] for x in under_first] == [
        "FC-CD-01 marked alternatives in the meeting, was open",
        "FC-CD-01 marked agreed ad referendum in the meeting, was alternatives "
        "(subject to ID's capital)",
    ]
    other = lines.index("## Other business")
    under_second = [x for x in lines[second:other] if x.startswith("- Drafting state at ")]
    assert [x.split(": ", 1)[1] for x in under_second] == [
        "SEC-PURPOSE marked bracketed in the meeting, was open (wording of the purpose)"
    ]
    agreed = lines.index("## Texts agreed")
    assert [x.split(": ", 1)[1] for x in lines[other:agreed] if x.startswith("- ")] == [
        "FC-DR-01 marked agreed ad referendum in the meeting, was open (pending TH-SOMTC)"
    ]
    left = lines.index("## Left in brackets or ad referendum")
    floor = lines.index("## The floor")
    assert lines[left + 1 : floor - 1] == [
        "- FC-CD-01: agreed ad referendum, marked in the meeting (subject to ID's capital)",
        "- FC-DR-01: agreed ad referendum, marked in the meeting (pending TH-SOMTC)",
        "- SEC-PURPOSE: with alternatives in brackets (two wordings)",
    ]
    follow = lines.index("## Follow-up")
    assert lines[follow + 1 :] == [
        "- FC-CD-01 to be confirmed (agreed ad referendum)",
        "- FC-DR-01 to be confirmed (agreed ad referendum)",
    ]

    # The Word file says the same, in the house style.
    r = client.get(f"{base}/record.docx", headers=tokens["ph"])
    assert r.status_code == 200, r.text
    document = docx.Document(io.BytesIO(r.content))
    styled = {p.text: p.style.style_id for p in document.paragraphs if p.text.strip()}
    marked = [t for t in styled if t.startswith("Drafting state at ")]
    assert len(marked) == 4 and all(styled[t] == "ZDListBullet" for t in marked)
    assert any(
        t.endswith(
            "FC-DR-01 marked agreed ad referendum in the meeting, was open (pending TH-SOMTC)"
        )
        for t in marked
    )
    assert styled["FC-DR-01: agreed ad referendum, marked in the meeting (pending TH-SOMTC)"] == (
        "ZDListBullet"
    )
    assert styled["Left in brackets or ad referendum"] == "ZDPartHeading"


# --- The rule on the table ---------------------------------------------------------------------


def insert(database: Database, act: MeetingAct) -> None:
    with arranged(database) as s:
        s.add(act)
        s.flush()


def test_the_database_holds_each_kind_of_act_to_its_columns(
    database: Database, meeting: int
) -> None:
    """A mark names an item and a known state; a position or decision names nothing of a mark."""
    with database.transaction() as s:
        item_id = s.scalar(select(Item.id).where(Item.code == "FC-CD-01"))
    assert item_id is not None
    at = datetime.now(UTC)
    for bad in (
        {"kind": "mark", "from_state": "open", "to_state": "agreed", "note": ""},  # no item
        {"kind": "mark", "item_id": item_id, "from_state": "open", "to_state": "done", "note": ""},
        {"kind": "mark", "item_id": item_id, "to_state": "agreed", "note": ""},  # no state before
        {"kind": "position", "item_id": item_id, "to_state": "agreed"},  # no position
        {"kind": "marked", "item_id": item_id, "from_state": "open", "to_state": "open"},
    ):
        with pytest.raises(IntegrityError):
            insert(database, MeetingAct(meeting_id=meeting, at=at, **bad))
    with pytest.raises(ValueError, match="state"):
        MeetingAct.mark(meeting, item_id, was="open", to="done", note="", at=at)
    insert(database, MeetingAct.mark(meeting, item_id, was="", to="bracketed", note="", at=at))
    assert marks_of(database, meeting) == [("FC-CD-01", "open", "bracketed", "")]
