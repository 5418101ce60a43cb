"""Decisions the record can stand behind, through the HTTP API (issue 16): agreeing while
delegations are pending or hold a reservation needs an explicit acknowledgement, kept with the
decision and its audit event; "agreed with modifications" can change any field the proposal
touched; the secretariat can reopen a decision until the round is settled; a co-sponsorship can
be withdrawn; settling a round needs every undecided proposal and unmarked item carried over."""

from typing import Any

from sqlalchemy import select

from app.db import Database
from app.models import AuditEvent, Round, Settlement
from tests import test_workflow_api
from tests.factories import arranged
from tests.helpers import Clock
from tests.test_workflow_api import Api, amend, etag

people = test_workflow_api.people  # the fixture: one API client per person of the world

P = "/proposals"


def submitted(api: Api, text: str, **extra: Any) -> dict[str, Any]:
    created = amend(api, text, delegation="PH-SOMTC", **extra)
    assert created.status_code == 201, created.text
    return dict(created.json())


def position(api: Api, pid: int, stance: str, delegation: str | None = None) -> None:
    body: dict[str, Any] = {"proposal_id": pid, "stance": stance}
    if delegation:
        body["delegation"] = delegation
    response = api.post("/positions", body)
    assert response.status_code == 201, response.text


def decide(sec: Api, pid: int, **body: Any) -> Any:
    return sec.post(f"{P}/{pid}/decision", body, etag(sec.get(f"{P}/{pid}")))


def events(database: Database, action: str, object_id: str) -> list[AuditEvent]:
    with database.transaction() as s:
        return list(
            s.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == action, AuditEvent.object_id == object_id)
                .order_by(AuditEvent.id)
            )
        )


def test_agreeing_with_delegations_pending_needs_the_acknowledgement_and_records_it(
    people: dict[str, Api], database: Database
) -> None:
    ph, id_, sec = people["ph"], people["id"], people["sec"]
    p = submitted(ph, "Passport or personal phone confiscated by the operators")
    pid = p["id"]
    position(id_, pid, "support")

    refused = decide(sec, pid, outcome="agreed", reason="Consensus")
    assert refused.status_code == 422
    body = refused.json()
    assert body["field"] == "acknowledged"
    # PH-SOMTC proposed it: it supports its own text (app/consensus/service.py).
    assert body["detail"].startswith(
        "2 delegations (PH-ACWC, TH-SOMTC) have not given a position yet."
    )
    assert sec.get(f"{P}/{pid}").json()["state"] == "submitted"  # nothing was recorded

    # An explicit false is the same as none.
    assert decide(sec, pid, outcome="agreed", acknowledged=False).status_code == 422

    agreed = decide(sec, pid, outcome="agreed", reason="Consensus", acknowledged=True)
    assert agreed.status_code == 200, agreed.text
    out = agreed.json()
    assert out["state"] == "agreed"
    [record] = out["decisions"]
    assert record["outcome"] == "agreed" and record["acknowledged"] is True
    assert record["consensus"] == {
        "support": ["ID-AICHR", "PH-SOMTC"],
        "ad_referendum": [],
        "reservation": [],
        "objection": [],
        "pending": ["PH-ACWC", "TH-SOMTC"],
    }
    [event] = events(database, "proposal.decide.agreed", str(pid))
    assert event.details["acknowledged"] is True
    assert event.details["consensus"]["pending"] == ["PH-ACWC", "TH-SOMTC"]


def test_a_standing_reservation_needs_the_acknowledgement_too(people: dict[str, Api]) -> None:
    ph, id_, th, sec = people["ph"], people["id"], people["th"], people["sec"]
    pid = submitted(ph, "Passport or personal phone confiscated by the operators")["id"]
    position(ph, pid, "support", "PH-SOMTC")
    position(ph, pid, "support", "PH-ACWC")
    position(id_, pid, "ad_referendum")
    position(th, pid, "reservation")

    refused = decide(sec, pid, outcome="agreed_modified", content={"text": "Passport kept"})
    assert refused.status_code == 422
    assert refused.json()["field"] == "acknowledged"
    assert refused.json()["detail"].startswith("1 delegation (TH-SOMTC) has a reservation.")

    # Not retaining a proposal claims no consensus: no acknowledgement is asked.
    kept = decide(sec, pid, outcome="not_retained", reason="Covered by FC-CD-02")
    assert kept.status_code == 200, kept.text
    [record] = kept.json()["decisions"]
    assert record["acknowledged"] is False and record["consensus"]["reservation"] == ["TH-SOMTC"]


def test_when_every_delegation_supports_no_acknowledgement_is_asked(
    people: dict[str, Api],
) -> None:
    ph, id_, th, sec = people["ph"], people["id"], people["th"], people["sec"]
    pid = submitted(ph, "Passport or personal phone confiscated by the operators")["id"]
    for api, delegation in ((ph, "PH-SOMTC"), (ph, "PH-ACWC"), (id_, None), (th, None)):
        position(api, pid, "support", delegation)
    agreed = decide(sec, pid, outcome="agreed")
    assert agreed.status_code == 200, agreed.text
    assert agreed.json()["decisions"][0]["acknowledged"] is False


def test_agreed_with_modifications_can_restore_a_field_the_proposal_cleared(
    people: dict[str, Api],
) -> None:
    ph, sec = people["ph"], people["sec"]
    # The proposal clears the adult strength (today "strong") and rewords the text.
    p = submitted(
        ph,
        "Passport or personal phone confiscated by the operators",
        content={
            "text": "Passport or personal phone confiscated by the operators",
            "strength_adult": None,
        },
    )
    assert p["content"]["strength_adult"] is None
    agreed = decide(
        sec,
        p["id"],
        outcome="agreed_modified",
        content={
            "text": "Passport or personal phone confiscated by the operators",
            "strength_adult": "medium",
            "crime_types": ["online_fraud", "theft"],
        },
        acknowledged=True,
    )
    assert agreed.status_code == 200, agreed.text
    item = sec.get("/indicators/FC-CD-01").json()
    assert item["strength_adult"] == "medium"
    assert item["crime_types"] == ["online_fraud", "theft"]
    assert item["text"] == "Passport or personal phone confiscated by the operators"


def test_the_secretariat_reopens_a_decision_and_the_register_goes_back(
    people: dict[str, Api], database: Database
) -> None:
    ph, sec, chair = people["ph"], people["sec"], people["chair"]
    pid = submitted(ph, "Passport or personal phone confiscated by the operators")["id"]
    assert decide(sec, pid, outcome="agreed", acknowledged=True).status_code == 200
    assert sec.get("/indicators/FC-CD-01").json()["text"].endswith("confiscated by the operators")

    url = f"{P}/{pid}/decision/reopen"
    current = sec.get(f"{P}/{pid}")
    assert chair.post(url, {"reason": "x"}, etag(current)).status_code == 403
    missing = sec.post(url, {"reason": ""}, etag(current))
    assert missing.status_code == 422 and missing.json()["field"] == "reason"
    assert sec.post(url, {"reason": "x"}).status_code == 428  # If-Match is needed

    reopened = sec.post(url, {"reason": "PH-ACWC asked for more time"}, etag(current))
    assert reopened.status_code == 200, reopened.text
    out = reopened.json()
    assert out["state"] == "under_consideration"
    assert out["outdated"] is False  # based on the restored text: it can be agreed again
    assert out["decisions"][0]["reopen_reason"] == "PH-ACWC asked for more time"
    item = sec.get("/indicators/FC-CD-01").json()
    assert item["text"] == "Passport or personal phone taken by the operators"
    [event] = events(database, "proposal.reopen", str(pid))
    assert event.details["reason"] == "PH-ACWC asked for more time"
    assert event.details["undone"] == ["FC-CD-01"]

    # Reopened, it can be decided again; both decisions stay on record.
    again = decide(sec, pid, outcome="agreed", acknowledged=True)
    assert again.status_code == 200, again.text
    assert [d["reopened_at"] is None for d in again.json()["decisions"]] == [False, True]


def test_a_decision_cannot_be_reopened_once_the_round_is_settled(people: dict[str, Api]) -> None:
    ph, sec = people["ph"], people["sec"]
    assert sec.post("/rounds", {"symbol": "ZD", "title": "Zero Draft"}).status_code == 201
    assert sec.post("/rounds/ZD/issue").status_code == 200
    pid = submitted(ph, "Passport or personal phone confiscated by the operators")["id"]
    assert decide(sec, pid, outcome="agreed", acknowledged=True).status_code == 200
    for step in ("close", "consultation"):
        assert sec.post(f"/rounds/ZD/{step}").status_code == 200
    left = sec.get("/rounds/ZD/outstanding").json()
    settled = sec.post(
        "/rounds/ZD/settle", {"carry_over_items": [u["code"] for u in left["unmarked"]]}
    )
    assert settled.status_code == 200, settled.text

    refused = sec.post(
        f"{P}/{pid}/decision/reopen", {"reason": "Late"}, etag(sec.get(f"{P}/{pid}"))
    )
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        "ZD is settled. A decision can be reopened only until its round is settled"
    )
    assert sec.get(f"{P}/{pid}").json()["state"] == "agreed"


def test_a_co_sponsorship_can_be_withdrawn_while_the_proposal_is_open(
    people: dict[str, Api], database: Database
) -> None:
    ph, id_, th, sec = people["ph"], people["id"], people["th"], people["sec"]
    pid = submitted(ph, "Passport or personal phone confiscated by the operators")["id"]
    assert id_.post(f"{P}/{pid}/sponsors", {}).json()["sponsors"] == ["ID-AICHR"]
    not_one = th.post(f"{P}/{pid}/sponsors/withdraw", {})
    assert not_one.status_code == 409
    assert not_one.json()["detail"] == f"TH-SOMTC does not co-sponsor P-{pid}"

    withdrawn = id_.post(f"{P}/{pid}/sponsors/withdraw", {})
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["sponsors"] == []
    [event] = events(database, "proposal.unsponsor", str(pid))
    assert event.details == {"delegation": "ID-AICHR"}

    assert id_.post(f"{P}/{pid}/sponsors", {}).status_code == 200
    assert decide(sec, pid, outcome="not_retained", reason="Covered").status_code == 200
    late = id_.post(f"{P}/{pid}/sponsors/withdraw", {})
    assert late.status_code == 409
    assert "cannot change now" in late.json()["detail"]


def test_settling_is_refused_with_the_list_until_each_is_carried_over(
    people: dict[str, Api], database: Database
) -> None:
    ph, th, sec = people["ph"], people["th"], people["sec"]
    assert sec.post("/rounds", {"symbol": "ZD", "title": "Zero Draft"}).status_code == 201
    assert sec.post("/rounds/ZD/issue").status_code == 200
    open_one = submitted(ph, "Passport or personal phone confiscated by the operators")["id"]
    position(th, open_one, "objection")
    for step in ("close", "consultation"):
        assert sec.post(f"/rounds/ZD/{step}").status_code == 200

    left = sec.get("/rounds/ZD/outstanding").json()
    assert left["undecided"] == [
        {
            "id": open_one,
            "reference": f"P-{open_one}",
            "delegation": "PH-SOMTC",
            "targets": ["FC-CD-01"],
            "objections": ["TH-SOMTC"],
        }
    ]
    codes = [u["code"] for u in left["unmarked"]]
    assert "FC-CD-01" in codes and "SEC-PURPOSE" in codes

    refused = sec.post("/rounds/ZD/settle")
    assert refused.status_code == 409
    body = refused.json()
    assert body["field"] == "carry_over"
    assert body["undecided"] == [f"P-{open_one}"] and body["unmarked"] == codes
    assert body["detail"].startswith(
        f"ZD cannot be settled yet: 1 proposal is not decided (P-{open_one}); "
    )

    partly = sec.post("/rounds/ZD/settle", {"carry_over_items": codes})
    assert partly.status_code == 409
    assert (partly.json()["undecided"], partly.json()["unmarked"]) == ([f"P-{open_one}"], [])
    assert sec.get("/rounds/ZD").json()["state"] == "consultation"

    settled = sec.post(
        "/rounds/ZD/settle",
        {"carry_over_items": codes, "carry_over_proposals": [open_one]},
    )
    assert settled.status_code == 200, settled.text
    with database.transaction() as s:
        [kept] = s.scalars(select(Settlement)).all()
        assert kept.carried_over == {"proposals": [f"P-{open_one}"], "items": codes}
    [event] = events(database, "round.settle", "ZD")
    assert event.details["carried_over"] == {"proposals": [f"P-{open_one}"], "items": codes}
    # Carried over, the proposal is still open for the next round.
    assert sec.get(f"{P}/{open_one}").json()["state"] == "submitted"


def test_reopening_does_not_undo_a_later_change_of_the_item(people: dict[str, Api]) -> None:
    ph, sec = people["ph"], people["sec"]
    pid = submitted(ph, "Passport or personal phone confiscated by the operators")["id"]
    assert decide(sec, pid, outcome="agreed", acknowledged=True).status_code == 200
    item = sec.get("/indicators/FC-CD-01")
    edited = sec.patch(
        "/indicators/FC-CD-01",
        {"text": "Passport or phone confiscated by the operators", "reason": "Editorial"},
        {"If-Match": item.headers["etag"]},
    )
    assert edited.status_code == 200, edited.text
    current = sec.get(f"{P}/{pid}")
    refused = sec.post(f"{P}/{pid}/decision/reopen", {"reason": "Asked again"}, etag(current))
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith(
        f"FC-CD-01 changed after P-{pid} was agreed. Reopening would lose that change"
    )
    assert sec.get(f"{P}/{pid}").json()["state"] == "agreed"
    assert sec.get("/indicators/FC-CD-01").json()["text"] == (
        "Passport or phone confiscated by the operators"
    )


def settle_zd(sec: Api, carried: list[int]) -> None:
    """Zero Draft closed, taken to consultation and settled, `carried` carried over undecided."""
    for step in ("close", "consultation"):
        assert sec.post(f"/rounds/ZD/{step}").status_code == 200
    left = sec.get("/rounds/ZD/outstanding").json()
    settled = sec.post(
        "/rounds/ZD/settle",
        {
            "carry_over_items": [u["code"] for u in left["unmarked"]],
            "carry_over_proposals": carried,
        },
    )
    assert settled.status_code == 200, settled.text


def test_a_settled_rounds_decisions_stay_when_the_next_round_is_prepared(
    people: dict[str, Api],
) -> None:
    ph, sec = people["ph"], people["sec"]
    assert sec.post("/rounds", {"symbol": "ZD", "title": "Zero Draft"}).status_code == 201
    assert sec.post("/rounds/ZD/issue").status_code == 200
    agreed = submitted(ph, "Passport or personal phone confiscated by the operators")["id"]
    carried = submitted(ph, "Passport kept by the operators")["id"]
    assert decide(sec, agreed, outcome="agreed", acknowledged=True).status_code == 200
    settle_zd(sec, [carried])
    hash_of_zd = sec.get("/rounds/ZD").json()["content_hash"]

    # The next round being prepared is the current round; ZD's decisions are still settled.
    assert sec.post("/rounds", {"symbol": "Rev.1", "title": "Revision 1"}).status_code == 201
    refused = sec.post(
        f"{P}/{agreed}/decision/reopen", {"reason": "Late"}, etag(sec.get(f"{P}/{agreed}"))
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"] == (
        "ZD is settled. A decision can be reopened only until its round is settled"
    )
    assert sec.get(f"{P}/{agreed}").json()["state"] == "agreed"
    assert sec.get("/indicators/FC-CD-01").json()["text"] == (
        "Passport or personal phone confiscated by the operators"
    )
    assert sec.get("/rounds/ZD").json()["content_hash"] == hash_of_zd

    # The proposal carried over is decided in the new round, and that decision can be reopened
    # while the new round is not settled.
    done = decide(sec, carried, outcome="not_retained", reason="Covered by FC-CD-01")
    assert done.status_code == 200, done.text
    again = sec.post(
        f"{P}/{carried}/decision/reopen", {"reason": "Asked again"}, etag(sec.get(f"{P}/{carried}"))
    )
    assert again.status_code == 200, again.text
    assert again.json()["state"] == "under_consideration"


def test_a_carried_over_proposal_is_not_decided_while_the_round_is_settled(
    people: dict[str, Api],
) -> None:
    ph, sec = people["ph"], people["sec"]
    assert sec.post("/rounds", {"symbol": "ZD", "title": "Zero Draft"}).status_code == 201
    assert sec.post("/rounds/ZD/issue").status_code == 200
    carried = submitted(ph, "Passport kept by the operators")["id"]
    settle_zd(sec, [carried])
    hash_of_zd = sec.get("/rounds/ZD").json()["content_hash"]

    for outcome in ("agreed", "not_retained", "under_consideration"):
        refused = decide(sec, carried, outcome=outcome, reason="After settling", acknowledged=True)
        assert refused.status_code == 409, refused.text
        assert refused.json()["detail"] == (
            "ZD is settled: its text is frozen and no proposal can be decided now. A proposal "
            "carried over is decided in the next round"
        )
    assert sec.get(f"{P}/{carried}").json()["state"] == "submitted"
    assert sec.get("/indicators/FC-CD-01").json()["text"] != "Passport kept by the operators"
    assert sec.get("/rounds/ZD").json()["content_hash"] == hash_of_zd

    # Under a silence procedure the text is still frozen.
    until = "2030-01-01T00:00:00+00:00"
    assert sec.post("/rounds/ZD/silence", {"until": until}).status_code == 200
    silent = decide(sec, carried, outcome="not_retained", reason="During silence")
    assert silent.status_code == 409
    assert silent.json()["detail"].startswith("ZD is settled and under a silence procedure:")

    # In the next round the carried-over proposal is decided.
    assert sec.post("/rounds", {"symbol": "Rev.1", "title": "Revision 1"}).status_code == 201
    agreed = decide(sec, carried, outcome="agreed", acknowledged=True)
    assert agreed.status_code == 200, agreed.text
    assert sec.get("/indicators/FC-CD-01").json()["text"] == "Passport kept by the operators"


def test_an_acknowledgement_covers_only_the_delegations_the_decider_saw(
    people: dict[str, Api],
) -> None:
    ph, id_, th, sec = people["ph"], people["id"], people["th"], people["sec"]
    pid = submitted(ph, "Passport or personal phone confiscated by the operators")["id"]
    # What the decider saw: these delegations pending, none reserving. Indonesia was pending:
    # its reservation is new to them.
    saw = {"pending": ["ID-AICHR", "PH-ACWC", "PH-SOMTC", "TH-SOMTC"], "reservation": []}

    # Before they confirm, Indonesia enters a reservation.
    position(id_, pid, "reservation")
    refused = decide(sec, pid, outcome="agreed", acknowledged=True, acknowledged_picture=saw)
    assert refused.status_code == 409, refused.text
    assert refused.json()["field"] == "acknowledged"
    assert refused.json()["detail"] == (
        "The consensus picture changed since you looked: 1 delegation (ID-AICHR) has a "
        "reservation. Look at it again and confirm that you know"
    )
    assert sec.get(f"{P}/{pid}").json()["state"] == "submitted"

    # Seen now; a delegation that speaks in the meantime (no longer pending) needs no new look.
    now_seen = {"pending": saw["pending"], "reservation": ["ID-AICHR"]}
    position(th, pid, "support")
    agreed = decide(sec, pid, outcome="agreed", acknowledged=True, acknowledged_picture=now_seen)
    assert agreed.status_code == 200, agreed.text
    [record] = agreed.json()["decisions"]
    assert record["acknowledged"] is True
    assert record["consensus"]["reservation"] == ["ID-AICHR"]
    assert "TH-SOMTC" in record["consensus"]["support"]


def test_the_acknowledged_picture_is_checked_as_input(people: dict[str, Api]) -> None:
    ph, sec = people["ph"], people["sec"]
    pid = submitted(ph, "Passport or personal phone confiscated by the operators")["id"]
    for bad in ("x", {"pending": "PH-ACWC"}, {"pending": ["X" * 40]}, {"support": []}):
        refused = decide(sec, pid, outcome="agreed", acknowledged=True, acknowledged_picture=bad)
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.json()["field"].startswith("acknowledged_picture"), refused.text
    assert sec.get(f"{P}/{pid}").json()["state"] == "submitted"


def test_a_decision_after_the_approval_belongs_to_the_next_round(
    people: dict[str, Api], database: Database, clock: Clock
) -> None:
    ph, sec = people["ph"], people["sec"]
    assert sec.post("/rounds", {"symbol": "ZD", "title": "Zero Draft"}).status_code == 201
    assert sec.post("/rounds/ZD/issue").status_code == 200
    earlier = submitted(ph, "Passport or personal phone confiscated by the operators")["id"]
    carried = submitted(ph, "Passport kept by the operators")["id"]
    assert decide(sec, earlier, outcome="not_retained", reason="Covered").status_code == 200
    settle_zd(sec, [carried])
    clock.advance(hours=1)
    with arranged(database) as s:  # both co-chairs approved (tests/test_approvals.py)
        s.scalars(select(Round).where(Round.symbol == "ZD")).one().approve(now=clock.now)
    clock.advance(hours=1)

    # The approved text is frozen for ever; the register moves on towards the next round.
    done = decide(sec, carried, outcome="not_retained", reason="Settled by the approved text")
    assert done.status_code == 200, done.text
    refused = sec.post(
        f"{P}/{earlier}/decision/reopen", {"reason": "Late"}, etag(sec.get(f"{P}/{earlier}"))
    )
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        "ZD is approved. A decision can be reopened only until its round is settled"
    )
    reopened = sec.post(
        f"{P}/{carried}/decision/reopen", {"reason": "Asked again"}, etag(sec.get(f"{P}/{carried}"))
    )
    assert reopened.status_code == 200, reopened.text
