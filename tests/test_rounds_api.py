"""Draft rounds through HTTP: the Zero Draft is issued and frozen, delegations send input, the
secretariat decides, Rev.1 is issued from the decided text, settled and approved by both
co-chairs, after which nothing about it can change; the comparison of the two texts and the
concordance are exactly right. Then the silence procedure and deadlines, with an injected clock."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from app.audit.service import Actor
from app.cli import app as cli
from app.db import Database
from app.errors import InvalidTransition
from app.models import AuditEvent, Role
from app.rounds import service as rounds
from tests.factories import World, bearer, make_indicator, make_user, token_for
from tests.helpers import Clock

CHAIR2 = "chair.somtc@asean.test"


class Api:
    """A person using the API with their own token."""

    def __init__(self, client: TestClient, token: str) -> None:
        self.client = client
        self.headers = bearer(token)

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(f"/api/v1{path}", headers=self.headers, **kw)

    def post(self, path: str, json: Any = None, headers: dict[str, str] | None = None) -> Any:
        return self.client.post(f"/api/v1{path}", json=json, headers=self.headers | (headers or {}))


@pytest.fixture
def people(client: TestClient, world: World, database: Database, clock: Clock) -> dict[str, Api]:
    with database.transaction() as s:
        make_user(s, CHAIR2, Role.CHAIR, "TH-SOMTC", now=clock.now, name="Second Co-Chair")
        for dimension, text in (
            ("DR", "Recruited through social media; the recruiter paid for travel"),
            ("CD", "Threatened with being reported to the police or immigration"),
            ("CD", "Released only against a ransom paid by the family"),
            ("CD", "Recruitment debt increased by fees imposed on arrival"),
        ):
            make_indicator(s, dimension, text, now=clock.now)
    return {
        role: Api(client, token_for(database, email, clock.now))
        for role, email in {
            "ph": world.member,
            "id": world.member2,
            "th": world.member3,
            "sec": world.secretariat,
            "chair": world.chair,
            "chair2": CHAIR2,
            "observer": world.observer,
        }.items()
    }


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def settle(sec: Api, symbol: str) -> Any:
    """Settle a round, carrying over every undecided proposal and unmarked item explicitly."""
    left = ok(sec.get(f"/rounds/{symbol}/outstanding"))
    return sec.post(
        f"/rounds/{symbol}/settle",
        {
            "carry_over_proposals": [u["id"] for u in left["undecided"]],
            "carry_over_items": [u["code"] for u in left["unmarked"]],
        },
    )


def refused(response: Any, status: int = 409) -> str:
    assert response.status_code == status, response.text
    detail: str = response.json()["detail"]
    return detail


def create(sec: Api, symbol: str, title: str, **extra: Any) -> Any:
    return ok(sec.post("/rounds", {"symbol": symbol, "title": title} | extra), 201)


def propose(api: Api, **body: Any) -> int:
    created = ok(api.post("/proposals", body | {"submit": True}), 201)
    assert created["state"] == "submitted"
    return int(created["id"])


def agree(sec: Api, proposal_id: int) -> None:
    current = sec.get(f"/proposals/{proposal_id}")
    decided = sec.post(
        f"/proposals/{proposal_id}/decision",
        {
            "outcome": "agreed",
            "reason": "Agreed at the second online meeting",
            "acknowledged": True,
        },
        {"If-Match": current.headers["etag"]},
    )
    assert decided.status_code == 200, decided.text


def mark(sec: Api, code: str, state: str) -> None:
    ok(sec.post(f"/items/{code}/state", {"state": state}))


def numbers(snapshot: dict[str, Any]) -> dict[str, tuple[int | None, str]]:
    return {i["code"]: (i["number"], i["item_state"]) for i in snapshot["items"]}


def test_zero_draft_to_approved_rev1_and_the_comparison(
    people: dict[str, Api], database: Database, clock: Clock
) -> None:
    ph, id_, th, sec = people["ph"], people["id"], people["th"], people["sec"]

    zd = create(
        sec,
        "DWG-FC/ZD",
        "Zero Draft",
        time_zone="Asia/Jakarta",
        deadline="2026-03-09T10:00:00+00:00",
        instructions="Send proposals by the deadline.",
    )
    assert (zd["state"], zd["content_hash"], zd["marking"]) == ("preparing", None, "RESTRICTED")
    detail = refused(sec.post("/rounds/DWG-FC/ZD/close"))
    assert "DWG-FC/ZD is preparing" in detail and "cannot be closed" in detail
    assert "is preparing" in refused(sec.post("/rounds/DWG-FC/ZD/settle"))

    issued = ok(sec.post("/rounds/DWG-FC/ZD/issue"))
    assert issued["state"] == "open"
    assert issued["item_states"]["open"] == issued["items"] == 8
    zd_hash = issued["content_hash"]
    assert len(zd_hash) == 64
    assert issued["deadline_at"]["local"].startswith("2026-03-09T17:00:00+07:00")
    assert issued["deadline_at"]["remaining"] == "7 days 1 hour left"
    assert "is open for input" in refused(sec.post("/rounds/DWG-FC/ZD/issue"))
    zd_items = ok(sec.get("/rounds/DWG-FC/ZD/items"))
    assert numbers(zd_items) == {
        "SEC-PURPOSE": (1, "open"),
        "FC-DR-01": (1, "open"),
        "FC-DR-02": (2, "open"),
        "FC-CD-01": (3, "open"),
        "FC-CD-02": (4, "open"),
        "FC-CD-03": (5, "open"),
        "FC-CD-04": (6, "open"),
        "FC-CD-05": (7, "open"),
    }

    # Delegations send their input while the round is open.
    reword = propose(
        ph,
        kind="amend",
        targets=["FC-CD-01"],
        content={"text": "Passport or identity documents confiscated by the operators"},
        delegation="PH-SOMTC",
    )
    delete = propose(id_, kind="delete", targets=["FC-DR-02"])
    merge = propose(
        th,
        kind="merge",
        targets=["FC-CD-02", "FC-CD-03"],
        content={
            "text": "Confined to a guarded compound and threatened with being reported to the "
            "police or immigration if they leave"
        },
    )
    split = propose(
        ph,
        kind="add",
        targets=["FC-CD-01"],
        dimension="CD",
        content={"text": "Personal phone or SIM card taken by the operators"},
        delegation="PH-SOMTC",
    )
    move = propose(id_, kind="amend", targets=["FC-CD-05"], dimension="DR", content={})

    ok(sec.post("/rounds/DWG-FC/ZD/close"))
    late = ph.post("/proposals", {"kind": "delete", "targets": ["FC-CD-04"], "submit": True})
    assert "is closed" in refused(late)

    for proposal_id in (reword, delete, merge, split, move):
        agree(sec, proposal_id)

    # The Zero Draft's snapshot is frozen: the decided register does not change it.
    again = ok(sec.get("/rounds/DWG-FC/ZD/items"))
    assert again == zd_items
    assert ok(sec.get("/rounds/DWG-FC/ZD"))["content_hash"] == zd_hash

    # Rev.1 is issued from the decided text; the Zero Draft is superseded.
    rev1 = create(sec, "DWG-FC/Rev.1", "Revised draft 1", deadline="2026-03-20T10:00:00+00:00")
    assert rev1["state"] == "preparing"
    assert ok(sec.post("/rounds/DWG-FC/Rev.1/issue"))["previous_round"] == "DWG-FC/ZD"
    assert ok(sec.get("/rounds/DWG-FC/ZD"))["state"] == "superseded"
    assert "superseded" in refused(sec.post("/rounds/DWG-FC/ZD/consultation"))
    assert numbers(ok(sec.get("/rounds/DWG-FC/Rev.1/items"))) == {
        "SEC-PURPOSE": (1, "open"),
        "FC-DR-01": (1, "open"),
        "FC-DR-02": (None, "deleted"),
        "FC-CD-05": (2, "open"),
        "FC-CD-01": (3, "open"),
        "FC-CD-02": (4, "open"),
        "FC-CD-03": (None, "deleted"),
        "FC-CD-04": (5, "open"),
        "FC-CD-06": (6, "open"),
    }

    ok(sec.post("/rounds/DWG-FC/Rev.1/close"))
    assert "cannot be settled" in refused(sec.post("/rounds/DWG-FC/Rev.1/settle"))
    ok(sec.post("/rounds/DWG-FC/Rev.1/consultation"))
    mark(sec, "FC-CD-04", "agreed")
    settled = ok(settle(sec, "DWG-FC/Rev.1"))
    assert settled["state"] == "settled"
    assert settled["item_states"] == {
        "bracketed": 0,
        "alternatives": 0,
        "agreed_ad_ref": 0,
        "agreed": 1,
        "deleted": 2,
        "open": 6,
    }
    seen_hash = settled["content_hash"]

    # A chair opened the page; then the secretariat marked an item: the approval is refused.
    mark(sec, "FC-CD-01", "agreed_ad_ref")
    current = ok(sec.get("/rounds/DWG-FC/Rev.1"))
    assert current["content_hash"] != seen_hash
    assert current["item_states"]["agreed_ad_ref"] == 1
    stale = people["chair"].post(
        "/rounds/DWG-FC/Rev.1/approvals",
        {"content_hash": seen_hash, "reference": "3rd meeting, 12 March 2026"},
    )
    assert stale.status_code == 412, stale.text

    # Both co-chairs approve the text they see.
    for chair in ("chair", "chair2"):
        approval = people[chair].post(
            "/rounds/DWG-FC/Rev.1/approvals",
            {"content_hash": current["content_hash"], "reference": "3rd meeting, 12 March 2026"},
        )
        assert approval.status_code == 201, approval.text
    approved = ok(sec.get("/rounds/DWG-FC/Rev.1"))
    assert approved["state"] == "approved"
    assert approved["content_hash"] == current["content_hash"]

    # Nothing about the approved round can change any more.
    for step in ("settle", "consultation", "close", "open", "issue"):
        detail = refused(sec.post(f"/rounds/DWG-FC/Rev.1/{step}"))
        assert "DWG-FC/Rev.1 is approved" in detail, step
    until = (clock.now + timedelta(days=3)).isoformat()
    assert "is approved" in refused(sec.post("/rounds/DWG-FC/Rev.1/silence", {"until": until}))
    with database.transaction() as s, pytest.raises(InvalidTransition, match="no longer change"):
        rounds.freeze(s, rounds.get_round(s, "DWG-FC/Rev.1"), now=clock.now)
    mark(sec, "FC-DR-01", "bracketed")
    assert ok(sec.get("/rounds/DWG-FC/Rev.1"))["content_hash"] == current["content_hash"]
    assert ok(sec.get("/rounds/DWG-FC/Rev.1/hash"))["matches"] is True

    # The comparison, for anyone.
    c = ok(people["observer"].get("/rounds/compare", params={"from": "1", "to": "DWG-FC/Rev.1"}))
    assert c["to_round"] == "DWG-FC/Rev.1"
    assert [(a["code"], a["number"], a["split_from"]) for a in c["added"]] == [
        ("FC-CD-06", 6, "FC-CD-01")
    ]
    assert [(x["code"], x["number"], x["merged_into"]) for x in c["removed"]] == [
        ("FC-DR-02", 2, None),
        ("FC-CD-03", 5, "FC-CD-02"),
    ]
    assert [
        (m["code"], m["old_dimension"], m["new_dimension"], m["old_number"], m["new_number"])
        for m in c["moved"]
    ] == [("FC-CD-05", "CD", "DR", 7, 2)]
    assert [(n["code"], n["old_number"], n["new_number"]) for n in c["renumbered"]] == [
        ("FC-CD-05", 7, 2),
        ("FC-CD-04", 6, 5),
    ]
    assert [(ch["code"], [f["field"] for f in ch["fields"]]) for ch in c["changed"]] == [
        ("FC-CD-01", ["text"]),
        ("FC-CD-02", ["text"]),
    ]
    ops = c["changed"][0]["fields"][0]["ops"]
    assert "".join(o["text"] for o in ops if o["op"] != "insert") == (
        "Passport or personal phone taken by the operators"
    )
    assert "".join(o["text"] for o in ops if o["op"] != "delete") == (
        "Passport or identity documents confiscated by the operators"
    )
    assert {"op": "insert", "text": "identity documents confiscated"} in ops
    assert [
        (
            r["kind"],
            r["old_number"],
            r["old_code"],
            r["new_number"],
            r["new_code"],
            r["outcome"],
            r["merged_into"],
            r["split_from"],
            r["split_into"],
        )
        for r in c["concordance"]
    ] == [
        ("section", 1, "SEC-PURPOSE", 1, "SEC-PURPOSE", "same number", None, None, []),
        ("indicator", 1, "FC-DR-01", 1, "FC-DR-01", "same number", None, None, []),
        ("indicator", 2, "FC-DR-02", None, None, "deleted", None, None, []),
        ("indicator", 3, "FC-CD-01", 3, "FC-CD-01", "same number", None, None, ["FC-CD-06"]),
        ("indicator", 4, "FC-CD-02", 4, "FC-CD-02", "same number", None, None, []),
        ("indicator", 5, "FC-CD-03", None, None, "merged", "FC-CD-02", None, []),
        ("indicator", 6, "FC-CD-04", 5, "FC-CD-04", "renumbered", None, None, []),
        ("indicator", 7, "FC-CD-05", 2, "FC-CD-05", "renumbered", None, None, []),
        ("indicator", None, None, 6, "FC-CD-06", "split", None, "FC-CD-01", []),
    ]

    with database.transaction(write=False) as s:
        actions = s.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_type == "round")
            .order_by(AuditEvent.id)
        ).all()
    assert actions == [
        "round.create",
        "round.issue",
        "round.close",
        "round.create",
        "round.supersede",
        "round.issue",
        "round.close",
        "round.consult",
        "round.settle",
        "round.approval",
        "round.approval",
        "round.approve",
    ]


def test_compare_refuses_a_round_in_preparation_and_unknown_rounds(
    people: dict[str, Api],
) -> None:
    sec = people["sec"]
    create(sec, "ZD", "Zero Draft")
    sec.post("/rounds/ZD/issue")
    create(sec, "R1", "Rev.1")
    assert "in preparation" in refused(
        sec.get("/rounds/compare", params={"from": "ZD", "to": "R1"})
    )
    refused(sec.get("/rounds/compare", params={"from": "ZD", "to": "nope"}), 404)
    same = ok(sec.get("/rounds/compare", params={"from": "ZD", "to": "ZD"}))
    assert (same["added"], same["removed"], same["changed"]) == ([], [], [])


# --- Silence procedure and deadlines --------------------------------------------------------


def settled_round(sec: Api, symbol: str = "DWG-FC/SP") -> None:
    create(sec, symbol, "Text for adoption", kind="silence_procedure", time_zone="Asia/Bangkok")
    for step in ("issue", "close", "consultation"):
        ok(sec.post(f"/rounds/{symbol}/{step}"))
    ok(settle(sec, symbol))


def under_silence(sec: Api, clock: Clock, hours: int = 72) -> str:
    settled_round(sec)
    until = clock.now + timedelta(hours=hours)
    placed = ok(sec.post("/rounds/DWG-FC/SP/silence", {"until": until.isoformat()}))
    assert placed["silence"]["remaining"] == "3 days left"
    assert placed["silence"]["local"].startswith("2026-03-05T16:00:00+07:00")
    return until.isoformat()


def test_silence_unbroken_adopts_the_text_on_a_plain_read(
    people: dict[str, Api], clock: Clock, database: Database
) -> None:
    sec = people["sec"]
    until = under_silence(sec, clock)
    clock.advance(hours=71, minutes=59)
    assert ok(sec.get("/rounds/DWG-FC/SP"))["state"] == "settled"
    clock.advance(minutes=1)
    adopted = ok(people["observer"].get("/rounds/DWG-FC/SP"))
    assert (adopted["state"], adopted["adopted_by_silence"]) == ("approved", True)
    assert datetime.fromisoformat(adopted["approved_at"]) == datetime.fromisoformat(until)
    with database.transaction(write=False) as s:
        events = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "round.adopted_by_silence")
        ).all()
    assert [(e.object_id, e.actor_id, e.details["silence_until"]) for e in events] == [
        ("DWG-FC/SP", None, until)
    ]
    assert "is approved" in refused(sec.post("/rounds/DWG-FC/SP/consultation"))


def tick_command(db_url: str) -> Any:
    # The command uses the real clock, which is long past these March 2026 deadlines.
    assert datetime.now(UTC) > datetime(2026, 3, 10, tzinfo=UTC)
    result = CliRunner().invoke(cli, ["rounds", "tick", "--database", db_url])
    assert result.exit_code == 0, result.output
    return result


def test_zerodraft_rounds_tick_adopts_a_text_nobody_objected_to(
    people: dict[str, Api], clock: Clock, db_url: str
) -> None:
    sec = people["sec"]
    under_silence(sec, clock)
    assert tick_command(db_url).stdout.splitlines() == [
        "DWG-FC/SP: adopted by silence; no delegation broke silence by "
        "05 March 2026 09:00 UTC (05 March 2026 16:00 Asia/Bangkok)"
    ]
    clock.advance(hours=1)  # before the deadline in the app's clock: the tick already applied
    assert ok(sec.get("/rounds/DWG-FC/SP"))["state"] == "approved"
    again = tick_command(db_url)
    assert again.stdout == ""
    assert "no round" in again.stderr


def test_zerodraft_rounds_tick_closes_a_round_past_its_deadline(
    people: dict[str, Api], clock: Clock, db_url: str
) -> None:
    sec = people["sec"]
    create(sec, "ZD", "Zero Draft", deadline="2026-03-06T10:00:00+00:00", time_zone="Asia/Manila")
    ok(sec.post("/rounds/ZD/issue"))
    assert tick_command(db_url).stdout.splitlines() == [
        "ZD: closed for input; its deadline passed "
        "(06 March 2026 10:00 UTC (06 March 2026 18:00 Asia/Manila))"
    ]
    assert ok(sec.get("/rounds/ZD"))["state"] == "closed"


def test_an_objection_one_second_before_the_deadline_breaks_silence(
    people: dict[str, Api], clock: Clock
) -> None:
    sec, ph = people["sec"], people["ph"]
    under_silence(sec, clock)
    clock.advance(hours=72, seconds=-1)
    broken = ph.post(
        "/rounds/DWG-FC/SP/break-silence",
        {"statement": "Our capital has not yet cleared paragraph 3.", "delegation": "PH-ACWC"},
    )
    assert broken.status_code == 201, broken.text
    body = broken.json()
    assert (body["state"], body["silence_until"]) == ("consultation", None)
    clock.advance(days=1)
    seen = ok(people["th"].get("/rounds/DWG-FC/SP"))
    assert seen["state"] == "consultation"
    assert [
        (b["delegation"], b["delegation_name"], b["by"], b["statement"])
        for b in seen["silence_breaks"]
    ] == [
        (
            "PH-ACWC",
            "Philippines - ACWC",
            "Maria Santos",
            "Our capital has not yet cleared paragraph 3.",
        )
    ]
    # Settled again, the text can go under silence once more.
    ok(settle(sec, "DWG-FC/SP"))
    until = (clock.now + timedelta(hours=72)).isoformat()
    assert ok(sec.post("/rounds/DWG-FC/SP/silence", {"until": until}))["state"] == "settled"


def test_silence_cannot_be_broken_at_or_after_the_deadline(
    people: dict[str, Api], clock: Clock
) -> None:
    sec, ph = people["sec"], people["ph"]
    under_silence(sec, clock)
    clock.advance(hours=72)
    detail = refused(ph.post("/rounds/DWG-FC/SP/break-silence", {"statement": "Too late?"}))
    assert "ended on 05 March 2026 09:00 UTC" in detail and "adopted" in detail
    assert ok(ph.get("/rounds/DWG-FC/SP"))["silence_breaks"] == []
    assert ok(ph.get("/rounds/DWG-FC/SP"))["state"] == "approved"


def test_who_may_break_silence_and_how(people: dict[str, Api], clock: Clock) -> None:
    sec, ph = people["sec"], people["ph"]
    settled_round(sec)
    detail = refused(ph.post("/rounds/DWG-FC/SP/break-silence", {"statement": "No"}))
    assert "not under a silence procedure" in detail
    past = (clock.now - timedelta(minutes=1)).isoformat()
    assert "future" in refused(sec.post("/rounds/DWG-FC/SP/silence", {"until": past}))
    until = (clock.now + timedelta(hours=72)).isoformat()
    ok(sec.post("/rounds/DWG-FC/SP/silence", {"until": until}))
    assert "already under silence" in refused(
        sec.post("/rounds/DWG-FC/SP/silence", {"until": until})
    )
    refused(sec.post("/rounds/DWG-FC/SP/break-silence", {"statement": "x"}), 403)
    refused(people["chair"].post("/rounds/DWG-FC/SP/break-silence", {"statement": "x"}), 403)
    refused(ph.post("/rounds/DWG-FC/SP/break-silence", {"statement": ""}), 422)
    other = ph.post("/rounds/DWG-FC/SP/break-silence", {"statement": "x", "delegation": "ID-AICHR"})
    assert refused(other, 403) == "you do not speak for delegation ID-AICHR"
    assert ok(ph.get("/rounds/DWG-FC/SP"))["state"] == "settled"


def test_the_input_deadline_closes_the_round_on_read(
    people: dict[str, Api], clock: Clock, database: Database
) -> None:
    sec, ph = people["sec"], people["ph"]
    create(sec, "ZD", "Zero Draft", deadline=(clock.now + timedelta(days=1)).isoformat())
    ok(sec.post("/rounds/ZD/issue"))
    clock.advance(days=1)
    assert ok(ph.get("/rounds/ZD"))["state"] == "open"  # up to and including the deadline
    clock.advance(seconds=1)
    listed = ok(ph.get("/rounds"))
    assert [(r["symbol"], r["state"], r["accepts_input"]) for r in listed] == [
        ("ZD", "closed", False)
    ]
    with database.transaction(write=False) as s:
        closing = s.scalars(select(AuditEvent).where(AuditEvent.action == "round.close")).one()
    assert (closing.actor_id, closing.details["automatic"]) == (None, True)
    # Late input accepted by the secretariat still counts, even though the round closed.
    grant = sec.post(
        "/rounds/ZD/late-input",
        {"delegation": "PH-SOMTC", "until": (clock.now + timedelta(days=1)).isoformat()},
    )
    assert grant.status_code == 201, grant.text
    late = ph.post(
        "/proposals",
        {"kind": "delete", "targets": ["FC-CD-02"], "submit": True, "delegation": "PH-SOMTC"},
    )
    assert ok(late, 201)["late"] is True


def test_a_transition_applies_passed_deadlines_first(people: dict[str, Api], clock: Clock) -> None:
    sec = people["sec"]
    create(sec, "ZD", "Zero Draft", deadline=(clock.now + timedelta(hours=1)).isoformat())
    ok(sec.post("/rounds/ZD/issue"))
    clock.advance(hours=2)
    # Nothing read the round since its deadline; closing it finds it closed already.
    assert "ZD is closed" in refused(sec.post("/rounds/ZD/close"))
    assert ok(sec.post("/rounds/ZD/consultation"))["state"] == "consultation"


def test_creating_a_round_checks_its_fields(people: dict[str, Api]) -> None:
    sec = people["sec"]
    assert refused(
        sec.post("/rounds", {"symbol": "ZD", "title": "t", "time_zone": "Mars/Base"}), 422
    )
    naive = sec.post("/rounds", {"symbol": "ZD", "title": "t", "deadline": "2026-03-09T10:00:00"})
    assert refused(naive, 422) == "give the deadline with its UTC offset"
    backwards = sec.post(
        "/rounds",
        {
            "symbol": "ZD",
            "title": "t",
            "opens_at": "2026-03-09T10:00:00Z",
            "deadline": "2026-03-08T10:00:00Z",
        },
    )
    assert refused(backwards, 422) == "the deadline must be after the opening"
    create(sec, "ZD", "Zero Draft", marking="CONFIDENTIAL")
    assert ok(sec.get("/rounds/ZD"))["marking"] == "CONFIDENTIAL"
    assert "already exists" in refused(sec.post("/rounds", {"symbol": "ZD", "title": "again"}))
    refused(people["ph"].post("/rounds/ZD/issue"), 403)


def test_the_service_refuses_to_refreeze_a_superseded_round(
    people: dict[str, Api], database: Database, clock: Clock
) -> None:
    sec = people["sec"]
    create(sec, "ZD", "Zero Draft")
    ok(sec.post("/rounds/ZD/issue"))
    create(sec, "R1", "Rev.1")
    ok(sec.post("/rounds/R1/issue"))
    with database.transaction() as s, pytest.raises(InvalidTransition, match="superseded"):
        rounds.freeze(s, rounds.get_round(s, "ZD"), now=clock.now)
    with database.transaction() as s:
        assert rounds.tick(s, clock.now) == []
        assert rounds.due(s, clock.now + timedelta(days=999)) == []
        assert rounds.get_round(s, "R1").state.value == "open"
        assert rounds.close_round(s, Actor.system(), "R1", now=clock.now).state.value == "closed"
