"""Decisions the record can stand behind, through the web pages posting forms as a browser
without JavaScript would (issue 16): the confirmation page can send the person back to the form
with everything kept; "agreed with modifications" offers every field the proposal touched; a
co-sponsorship is withdrawn from the proposal page; a decision cannot be reopened once its
round is settled."""

from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.audit.service import Actor
from app.db import Database
from app.models import RoundKind
from app.rounds import service as rounds
from tests.factories import World
from tests.helpers import log_in, logged_in, post, summary
from tests.test_proposal_pages import act, decide, page_form, propose
from tests.test_register_pages import form_fields


def test_going_back_from_the_confirmation_keeps_what_was_chosen(
    client: TestClient, world: World
) -> None:
    log_in(client, world.member)
    pid = propose(client, "Passport taken away")
    log_in(client, world.secretariat)
    fields = page_form(client, pid, "decision") | {
        "outcome": "not_retained",
        "reason": "Covered by FC-CD-02",
    }
    confirm = post(client, f"/proposals/{pid}/decision", fields)
    assert confirm.status_code == 200
    assert "Record this decision on" in confirm.text
    assert f"P-{pid} will be <strong>not retained</strong>. The register does not change." in (
        confirm.text
    )
    hidden = form_fields(confirm.text, f"/proposals/{pid}/decision")
    back = post(client, f"/proposals/{pid}/decision", hidden | {"confirm": "no"})
    assert back.status_code == 200
    assert "Covered by FC-CD-02</textarea>" in back.text
    assert 'value="not_retained" checked' in back.text
    assert client.get(f"/api/v1/proposals/{pid}").json()["state"] == "submitted"


def test_agreed_with_modifications_sets_a_choice_the_proposal_cleared(
    client: TestClient, world: World
) -> None:
    log_in(client, world.member)
    pid = propose(client, "Passport taken by operators", strength_adult="")
    log_in(client, world.secretariat)
    fields = page_form(client, pid, "decision")
    # Every field the proposal touched is offered: the text and the cleared strength.
    assert fields["modified_text"] == "Passport taken by operators"
    assert fields["modified_strength_adult"] == ""
    done = decide(
        client, pid, "agreed_modified", modified_strength_adult="medium", reason="Kept medium"
    )
    assert done.status_code == 303, done.text
    indicator = client.get("/api/v1/indicators/FC-CD-01").json()
    assert indicator["strength_adult"] == "medium"
    assert indicator["text"] == "Passport taken by operators"


def test_a_co_sponsoring_delegation_withdraws_from_the_proposal_page(
    client: TestClient, world: World, app: FastAPI
) -> None:
    log_in(client, world.member)
    pid = propose(client, "Passport taken away", delegation="PH-SOMTC")
    other = logged_in(app, world.member2)
    assert act(other, pid, "sponsor").status_code == 303
    page = other.get(f"/proposals/{pid}").text
    assert "Withdraw ID-AICHR's co-sponsorship" in page
    done = act(other, pid, "unsponsor")
    assert done.status_code == 303
    assert done.headers["location"] == f"/proposals/{pid}?done=unsponsored"
    html = other.get(done.headers["location"]).text
    assert f"You no longer co-sponsor P-{pid}" in html
    assert client.get(f"/api/v1/proposals/{pid}").json()["sponsors"] == []


def test_reopening_is_refused_on_its_page_once_the_round_is_settled(
    client: TestClient, world: World, database: Database, app: FastAPI
) -> None:
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    actor = Actor.system("test")
    with database.transaction() as s:
        rounds.create_round(
            s,
            actor,
            symbol="ZD",
            title="Zero Draft",
            kind=RoundKind.WRITTEN,
            time_zone="Asia/Jakarta",
            deadline=None,
            opens_at=None,
            instructions="",
            observers_may_comment=False,
            now=now,
        )
        rounds.issue_round(s, actor, "ZD", now=now)
    log_in(client, world.member)
    pid = propose(client, "Passport taken away")
    log_in(client, world.secretariat)
    assert decide(client, pid, "not_retained", reason="Covered").status_code == 303

    # Before the round is settled, the page offers the reopening with its consequences.
    page = client.get(f"/proposals/{pid}/reopen")
    assert page.status_code == 200
    assert "The register does not change." in page.text
    fields = form_fields(page.text, f"/proposals/{pid}/reopen")
    refused = post(client, f"/proposals/{pid}/reopen", fields)
    assert refused.status_code == 422
    assert summary(refused.text) == [("reopen-reason", "Say why the decision is reopened")]

    with database.transaction() as s:
        for move in (rounds.close_round, rounds.consult_round):
            move(s, actor, "ZD", now=now)
        left = rounds.outstanding(s, rounds.get_round(s, "ZD"))
        rounds.settle_round(s, actor, "ZD", now=now, carry_over=rounds.CarryOver.everything(left))

    settled = client.get(f"/proposals/{pid}/reopen")
    assert settled.status_code == 409
    assert "<p>ZD is settled. A decision can be reopened only until its round is settled</p>" in (
        settled.text
    )
    assert 'id="reopen-form"' not in settled.text
    assert client.get(f"/proposals/{pid}/reopen").status_code == 409
    chair = logged_in(app, world.chair)
    assert chair.get(f"/proposals/{pid}/reopen").status_code == 403


def zero_draft(database: Database, *steps: str, carry: bool = True) -> None:
    """Zero Draft created and issued, then moved through `steps` (close, consult, settle: with
    everything outstanding carried over)."""
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    actor = Actor.system("test")
    with database.transaction() as s:
        if "create" in steps:
            rounds.create_round(
                s,
                actor,
                symbol="ZD",
                title="Zero Draft",
                kind=RoundKind.WRITTEN,
                time_zone="Asia/Jakarta",
                deadline=None,
                opens_at=None,
                instructions="",
                observers_may_comment=False,
                now=now,
            )
            rounds.issue_round(s, actor, "ZD", now=now)
        if "settle" in steps:
            rounds.close_round(s, actor, "ZD", now=now)
            rounds.consult_round(s, actor, "ZD", now=now)
            left = rounds.outstanding(s, rounds.get_round(s, "ZD"))
            rounds.settle_round(
                s, actor, "ZD", now=now, carry_over=rounds.CarryOver.everything(left)
            )
        if "next" in steps:
            rounds.create_round(
                s,
                actor,
                symbol="Rev.1",
                title="Revision 1",
                kind=RoundKind.WRITTEN,
                time_zone="Asia/Jakarta",
                deadline=None,
                opens_at=None,
                instructions="",
                observers_may_comment=False,
                now=now,
            )


def test_a_settled_round_freezes_its_decisions_and_the_carried_over_proposals(
    client: TestClient, world: World, database: Database
) -> None:
    zero_draft(database, "create")
    log_in(client, world.member)
    decided = propose(client, "Passport taken away")
    carried = propose(client, "Passport kept by the operators")
    log_in(client, world.secretariat)
    assert decide(client, decided, "not_retained", reason="Covered").status_code == 303
    form = page_form(client, carried, "decision")  # opened before the round is settled
    zero_draft(database, "settle")

    # Deciding the carried-over proposal is refused on the page, with the form kept.
    refused = post(
        client,
        f"/proposals/{carried}/decision",
        form | {"outcome": "not_retained", "reason": "Late"},
    )
    assert refused.status_code == 409
    assert (
        "<p>ZD is settled: its text is frozen and no proposal can be decided now. A proposal "
        "carried over is decided in the next round</p>"
    ) in refused.text
    assert "Late</textarea>" in refused.text
    assert client.get(f"/api/v1/proposals/{carried}").json()["state"] == "submitted"

    # Once the next round is being prepared: ZD's decision stays, the carried one is decided.
    zero_draft(database, "next")
    reopen = client.get(f"/proposals/{decided}/reopen")
    assert reopen.status_code == 409
    assert "<p>ZD is settled. A decision can be reopened only until its round is settled</p>" in (
        reopen.text
    )
    assert 'id="reopen-form"' not in reopen.text
    assert decide(client, carried, "not_retained", reason="Covered").status_code == 303
    assert client.get(f"/proposals/{carried}/reopen").status_code == 200


def test_the_decision_is_refused_when_a_reservation_appears_after_the_confirmation_page(
    client: TestClient, world: World, app: FastAPI
) -> None:
    log_in(client, world.member)
    pid = propose(client, "Passport taken away", delegation="PH-SOMTC")
    log_in(client, world.secretariat)
    html = client.get(f"/proposals/{pid}").text
    assert "have not given a position yet" in html
    fields = page_form(client, pid, "decision") | {"outcome": "agreed", "acknowledged": "yes"}
    confirm = post(client, f"/proposals/{pid}/decision", fields)
    assert confirm.status_code == 200 and "Record this decision on" in confirm.text
    confirmed = form_fields(confirm.text, f"/proposals/{pid}/decision") | {"confirm": "yes"}

    # Between the confirmation page and "Yes", Indonesia enters a reservation.
    indonesia = logged_in(app, world.member2)
    assert act(indonesia, pid, "position", stance="reservation").status_code == 303

    refused = post(client, f"/proposals/{pid}/decision", confirmed)
    assert refused.status_code == 409
    message = (
        "The consensus picture changed since you looked: 1 delegation (ID-AICHR) has a "
        "reservation. Look at it again and confirm that you know"
    )
    assert summary(refused.text) == [("decision-acknowledged", message)]
    # The page shows the picture as it is now, and asks for the acknowledgement again.
    assert "1 delegation (ID-AICHR) has a reservation." in refused.text
    assert 'name="acknowledged" value="yes" checked' not in refused.text
    assert client.get(f"/api/v1/proposals/{pid}").json()["state"] == "submitted"

    # Confirming again, having seen the reservation, records it.
    assert decide(client, pid, "agreed").status_code == 303
    record = client.get(f"/api/v1/proposals/{pid}").json()["decisions"][0]
    assert record["acknowledged"] is True and record["consensus"]["reservation"] == ["ID-AICHR"]


def test_the_confirmation_page_shows_a_reservation_that_appeared_after_the_form(
    client: TestClient, world: World, app: FastAPI
) -> None:
    log_in(client, world.member)
    pid = propose(client, "Passport taken away", delegation="PH-SOMTC")
    log_in(client, world.secretariat)
    fields = page_form(client, pid, "decision") | {"outcome": "agreed", "acknowledged": "yes"}
    indonesia = logged_in(app, world.member2)
    assert act(indonesia, pid, "position", stance="reservation").status_code == 303
    refused = post(client, f"/proposals/{pid}/decision", fields)
    assert refused.status_code == 409
    assert "Record this decision on" not in refused.text
    assert summary(refused.text)[0][0] == "decision-acknowledged"
