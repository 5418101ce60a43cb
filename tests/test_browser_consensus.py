"""Decisions the record can stand behind, in a real headless Chromium (issue 16): the decision
form shows where every delegation stands and asks for an acknowledgement that is recorded with
the decision; deciding, reopening a decision and settling a round each ask for confirmation on
a page that says what will happen; settling is blocked with the list of what is undecided or
unmarked until each is carried over."""

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import expect
from sqlalchemy import select

from app.audit.service import Actor
from app.db import Database
from app.models import DecisionRecord, RoundKind, Settlement
from app.rounds import service as rounds
from tests.factories import World
from tests.helpers import Clock, browser_log_in, log_in
from tests.test_accessibility import assert_no_serious_violations
from tests.test_proposal_pages import act, propose

pytestmark = pytest.mark.browser


def test_the_acknowledgement_is_asked_shown_and_recorded_with_the_decision(
    page: Any, live_server: str, world: World, app: FastAPI, database: Database
) -> None:
    with TestClient(app) as member:
        log_in(member, world.member)
        pid = propose(
            member, "Passport or personal phone confiscated by the operators", delegation="PH-SOMTC"
        )
    ref = f"P-{pid}"
    browser_log_in(page, live_server, world.secretariat)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server}/proposals/{pid}")

    # The form shows every delegation: here nobody has spoken yet, but the proposer supports
    # its own text.
    picture = page.locator("#decision-picture")
    expect(picture).to_contain_text("3 pending")
    expect(picture.locator('dd[data-standing="pending"]')).to_have_text(
        "ID-AICHR, PH-ACWC, TH-SOMTC"
    )
    expect(picture.locator('dd[data-standing="support"]')).to_have_text("PH-SOMTC (proposer)")
    page.get_by_label("Agreed", exact=True).check()
    page.get_by_label("Reason", exact=True).fill("Agreed at the second meeting")
    page.get_by_role("button", name="Continue").click()

    # Without the acknowledgement the form comes back, saying why, with the input kept.
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text(
        "3 delegations (ID-AICHR, PH-ACWC, TH-SOMTC) have not given a position yet."
    )
    expect(page.get_by_label("Reason", exact=True)).to_have_value("Agreed at the second meeting")
    summary.get_by_role("link").first.click()
    expect(page.locator("#decision-acknowledged")).to_be_focused()
    page.get_by_label("I know this, and I confirm the decision").check()
    page.get_by_role("button", name="Continue").click()

    # A page says what will happen; nothing is recorded yet.
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Record this decision on {ref}?")
    happens = page.locator("#what-will-happen")
    expect(happens).to_contain_text(f"{ref} will be agreed.")
    expect(happens).to_contain_text("FC-CD-01 gets a new revision")
    expect(happens).to_contain_text("You confirm that you know: 3 delegations")
    expect(happens.locator(".diff-text ins")).to_contain_text("confiscated")
    assert_no_serious_violations(page)
    with database.transaction() as s:
        assert s.scalars(select(DecisionRecord)).all() == []
    page.get_by_role("button", name="Yes, record the decision").click()

    expect(page).to_have_url(re.compile(rf"/proposals/{pid}\?done=decided$"))
    expect(page.locator("#confirmation")).to_contain_text(f"{ref} agreed")
    records = page.locator("#decision-records")
    expect(records).to_contain_text(
        "The decider confirmed knowing that ID-AICHR, PH-ACWC, TH-SOMTC had not given a position."
    )
    with database.transaction() as s:
        [record] = s.scalars(select(DecisionRecord)).all()
        assert record.acknowledged is True
        assert record.consensus["pending"] == ["ID-AICHR", "PH-ACWC", "TH-SOMTC"]
        assert record.consensus["support"] == ["PH-SOMTC"]

    # The secretariat reopens it, on a page that says what will happen, with a reason.
    page.get_by_role("link", name="Reopen this decision").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Reopen the decision on {ref}?")
    expect(page.locator("#what-will-happen")).to_contain_text(
        "FC-CD-01 gets a new revision with the text as it was before the decision"
    )
    assert_no_serious_violations(page)
    page.get_by_role("button", name="Yes, reopen the decision").click()
    expect(page.locator("#error-summary")).to_contain_text("Say why the decision is reopened")
    page.get_by_label("Why is the decision reopened?").fill("PH-ACWC asked for more time")
    page.get_by_role("button", name="Yes, reopen the decision").click()
    expect(page.locator("#confirmation")).to_contain_text(f"The decision on {ref} is reopened")
    expect(page.locator("#decision-records")).to_contain_text("Reopened on")
    page.goto(f"{live_server}/indicators/FC-CD-01")
    expect(page.locator("#indicator-text")).to_contain_text(
        "Passport or personal phone taken by the operators"
    )


def test_settling_is_blocked_with_the_list_until_each_is_carried_over(
    page: Any, live_server: str, world: World, app: FastAPI, database: Database, clock: Clock
) -> None:
    actor = Actor.system("test")
    with database.transaction() as s:
        rounds.create_round(
            s,
            actor,
            symbol="ZD",
            title="Zero Draft",
            kind=RoundKind.WRITTEN,
            time_zone="Asia/Manila",
            deadline=None,
            opens_at=None,
            instructions="",
            observers_may_comment=False,
            now=clock.now,
        )
        rounds.issue_round(s, actor, "ZD", now=clock.now)
    with TestClient(app) as member:
        log_in(member, world.member)
        pid = propose(
            member, "Passport or personal phone confiscated by the operators", delegation="PH-SOMTC"
        )
        log_in(member, world.member3)
        objected = act(member, pid, "position", stance="objection", statement="Too narrow")
        assert objected.status_code == 303, objected.text
    with database.transaction() as s:
        rounds.close_round(s, actor, "ZD", now=clock.now)
        rounds.consult_round(s, actor, "ZD", now=clock.now)

    browser_log_in(page, live_server, world.secretariat)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server}/rounds/ZD")
    page.get_by_role("link", name="Mark the text settled").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mark the text of ZD settled?")
    expect(page.locator("#what-will-happen")).to_contain_text(
        "Not decided: 1 proposal. Not marked: 4 items."
    )
    undecided = page.locator("#undecided")
    expect(undecided).to_contain_text(f"P-{pid} by PH-SOMTC on FC-CD-01")
    expect(undecided).to_contain_text("TH-SOMTC objects")
    expect(page.locator("#unmarked input[type=checkbox]")).to_have_count(4)
    assert_no_serious_violations(page)

    # Nothing ticked: refused, with the list; the round stays in consultation.
    page.get_by_role("button", name="Yes, settle the text").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text(
        f"ZD cannot be settled yet: 1 proposal is not decided (P-{pid}); 4 items are not "
        "marked (SEC-PURPOSE, FC-DR-01, FC-CD-01, FC-CD-02)."
    )
    with database.transaction() as s:
        assert rounds.get_round(s, "ZD").state.value == "consultation"
    assert_no_serious_violations(page)

    # Ticking only the items is not enough either; the refusal names what is left.
    for box in page.locator("#unmarked input[type=checkbox]").all():
        box.check()
    page.get_by_role("button", name="Yes, settle the text").click()
    expect(page.locator("#error-summary")).to_contain_text(f"1 proposal is not decided (P-{pid})")
    expect(page.locator("#unmarked input[type=checkbox]:checked")).to_have_count(4)
    page.get_by_label(re.compile(rf"Carry over P-{pid}")).check()
    page.get_by_role("button", name="Yes, settle the text").click()
    expect(page.get_by_role("status")).to_contain_text("ZD settled")
    with database.transaction() as s:
        [kept] = s.scalars(select(Settlement)).all()
        assert kept.carried_over == {
            "proposals": [f"P-{pid}"],
            "items": ["SEC-PURPOSE", "FC-DR-01", "FC-CD-01", "FC-CD-02"],
        }


def test_closing_a_round_early_asks_for_confirmation(
    page: Any, live_server: str, world: World, database: Database, clock: Clock
) -> None:
    actor = Actor.system("test")
    with database.transaction() as s:
        rounds.create_round(
            s,
            actor,
            symbol="ZD",
            title="Zero Draft",
            kind=RoundKind.WRITTEN,
            time_zone="Asia/Manila",
            deadline=clock.now + timedelta(days=3),
            opens_at=None,
            instructions="",
            observers_may_comment=False,
            now=clock.now,
        )
        rounds.issue_round(s, actor, "ZD", now=clock.now)
    browser_log_in(page, live_server, world.secretariat)
    page.goto(f"{live_server}/rounds/ZD")
    page.get_by_role("link", name="Close for input").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Close ZD for input?")
    happens = page.locator("#what-will-happen")
    expect(happens).to_contain_text("Input closes early: the deadline is")
    expect(happens).to_contain_text("Delegations can no longer send proposals or comments")
    assert_no_serious_violations(page)
    page.get_by_role("link", name="No, go back to ZD").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ZD")
    with database.transaction() as s:
        assert rounds.get_round(s, "ZD").state.value == "open"
    page.get_by_role("link", name="Close for input").click()
    page.get_by_role("button", name="Yes, close it for input").click()
    expect(page.get_by_role("status")).to_contain_text("ZD closed for input")
