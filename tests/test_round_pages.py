"""Draft rounds through their web pages, posting the forms as a browser without JavaScript would:
the secretariat creates, issues and moves a round; members break silence; everyone sees the
current round, its deadline in UTC and in the round's zone, and the comparison of two rounds."""

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.db import Database
from tests.factories import World, bearer, token_for
from tests.helpers import Clock, form_in, log_in, logged_in, post, summary, text_of


@pytest.fixture
def sec(client: TestClient, world: World) -> TestClient:
    log_in(client, world.secretariat)
    return client


def create_round(sec: TestClient, **values: str) -> Any:
    fields = form_in(sec.get("/rounds/new").text, action="/rounds/new")
    return post(sec, "/rounds/new", fields | values)


def move(client: TestClient, symbol: str, step: str) -> Any:
    """Press the round page's button; closing, consultation and settling first open a page
    saying what will happen, where the person confirms (settling: ticking every proposal and
    item it lists to carry them over)."""
    page = client.get(f"/rounds/{symbol}").text
    if f'href="/rounds/{symbol}/{step}"' in page:
        page = client.get(f"/rounds/{symbol}/{step}").text
        assert "What will happen" in page
    fields = form_in(page, action=f"/rounds/{symbol}/{step}")
    for name in ("carry_over_proposal", "carry_over_item"):
        ticked = re.findall(rf'name="{name}" value="([^"]+)"', page)
        if ticked:
            fields[name] = ticked
    return post(client, f"/rounds/{symbol}/{step}", fields)


def later(client: TestClient, clock: Clock, email: str, **delta: float) -> None:
    """Move the clock on; a person away that long logs in again."""
    clock.advance(**delta)
    log_in(client, email)


def test_secretariat_creates_and_issues_a_round(
    sec: TestClient, app: FastAPI, world: World
) -> None:
    listing = sec.get("/rounds").text
    assert "No rounds yet" in listing and 'href="/rounds/new"' in listing
    form = sec.get("/rounds/new").text
    assert 'type="datetime-local"' in form
    assert '<option value="Asia/Jakarta" selected>' in form
    assert 'value="RESTRICTED"' in form

    created = create_round(
        sec,
        symbol="DWG-FC/ZD",
        title="Zero Draft of the ASEAN Indicators",
        time_zone="Asia/Bangkok",
        deadline="2026-03-06T17:00",
        instructions="Send written proposals by the deadline.",
    )
    assert created.status_code == 303, created.text
    assert created.headers["location"] == "/rounds/DWG-FC/ZD?done=created"
    page = sec.get(created.headers["location"]).text
    assert "DWG-FC/ZD created" in page
    assert "In preparation" in page
    assert "Not frozen yet" in page
    words = text_of(page)
    assert "06 March 2026, 10:00 UTC (06 March 2026, 17:00 Asia/Bangkok, UTC+7)" in words

    issued = move(sec, "DWG-FC/ZD", "issue")
    assert issued.status_code == 303
    assert issued.headers["location"] == "/rounds/DWG-FC/ZD?done=issue"
    page = sec.get(issued.headers["location"]).text
    words = text_of(page)
    assert "DWG-FC/ZD issued" in words
    assert "Open for input" in words
    assert "4 days 1 hour left" in words
    assert re.search(r'id="content-hash">[0-9a-f]{64}<', page)
    assert "0 of 4 items agreed or deleted; 4 to go." in words
    assert "FC-CD-01" in page and "Passport or personal phone taken by the operators" in page
    assert 'href="/rounds/DWG-FC/ZD/close"' in page
    assert 'action="/rounds/DWG-FC/ZD/issue"' not in page

    # The banner on every page: the current round, its deadline in UTC and local time.
    register = text_of(sec.get("/register").text)
    assert "Current round: DWG-FC/ZD" in register
    assert (
        "Deadline for input: 06 March 2026, 10:00 UTC "
        "(06 March 2026, 17:00 Asia/Bangkok, UTC+7) 4 days 1 hour left"
    ) in register

    # A member reads the round but has no buttons, and cannot post them.
    member = logged_in(app, world.member)
    seen = member.get("/rounds/DWG-FC/ZD").text
    assert "Next step" not in seen and 'href="/rounds/DWG-FC/ZD/close"' not in seen
    assert member.get("/rounds/DWG-FC/ZD/close").status_code == 403
    token = form_in(seen, action="/logout")["csrf_token"]
    refused = post(member, "/rounds/DWG-FC/ZD/close", {"csrf_token": token})
    assert refused.status_code == 403


def test_the_create_form_says_what_is_wrong_beside_each_field(sec: TestClient) -> None:
    response = create_round(
        sec, symbol="", title="", deadline="next friday", time_zone="Asia/Bangkok"
    )
    assert response.status_code == 422
    assert summary(response.text) == [
        ("symbol", "Enter the round's symbol, for example DWG-FC/Rev.1"),
        ("title", "Enter the round's title, for example Revised draft 1"),
        ("deadline", "Enter the deadline as a date and time, for example 2026-03-06 17:00"),
    ]
    assert 'id="deadline-error"' in response.text
    assert 'value="next friday"' in response.text
    create_round(sec, symbol="ZD", title="Zero Draft")
    again = create_round(sec, symbol="ZD", title="Zero Draft again")
    assert again.status_code == 422
    assert summary(again.text) == [("symbol", "A round with symbol ZD already exists")]
    backwards = create_round(
        sec, symbol="R1", title="t", opens_at="2026-03-06T10:00", deadline="2026-03-05T10:00"
    )
    assert summary(backwards.text) == [("deadline", "The deadline must be after the opening")]


def test_a_transition_in_the_wrong_order_is_explained_on_the_page(sec: TestClient) -> None:
    create_round(sec, symbol="ZD", title="Zero Draft")
    page = sec.get("/rounds/ZD").text
    token = form_in(page, action="/rounds/ZD/issue")["csrf_token"]
    refused = post(sec, "/rounds/ZD/settle", {"csrf_token": token})
    assert refused.status_code == 409
    [(target, message)] = summary(refused.text)
    assert target == "round-actions"
    assert message.startswith("round ZD is preparing; it cannot be settled")
    assert post(sec, "/rounds/ZD/dance", {"csrf_token": token}).status_code == 404


def test_the_silence_procedure_on_the_pages(
    sec: TestClient, app: FastAPI, world: World, clock: Clock
) -> None:
    create_round(sec, symbol="SP", title="Text for adoption", time_zone="Asia/Yangon")
    for step in ("issue", "close", "consultation", "settle"):
        assert move(sec, "SP", step).status_code == 303, step
    page = sec.get("/rounds/SP?done=settle").text
    assert "SP settled" in page
    silence = form_in(page, action="/rounds/SP/silence")
    # Offered: 72 hours from now, in Yangon time (UTC+6:30).
    assert silence["until"] == "2026-03-05T15:30"
    wrong = post(sec, "/rounds/SP/silence", silence | {"until": "2026-03-01T09:00"})
    assert wrong.status_code == 422
    assert summary(wrong.text) == [("until", "The silence deadline must be in the future")]
    placed = post(sec, "/rounds/SP/silence", silence)
    assert placed.headers["location"] == "/rounds/SP?done=silence"
    words = text_of(sec.get("/rounds/SP").text)
    assert "Under silence" in words
    # The reader (the group's zone, Jakarta) also sees their own time, as it differs.
    assert (
        "05 March 2026, 09:00 UTC (05 March 2026, 15:30 Asia/Yangon, UTC+6:30) "
        "· your time: 05 Mar 2026 16:00 WIB (UTC+7) 3 days left"
    ) in words

    member = logged_in(app, world.member)
    page = member.get("/rounds/SP").text
    fields = form_in(page, action="/rounds/SP/break-silence")
    assert fields["delegation"] == "PH-ACWC"  # the one they act for by default
    empty = post(member, "/rounds/SP/break-silence", fields | {"statement": " "})
    assert empty.status_code == 422
    assert summary(empty.text) == [
        ("statement", "Give your delegation's statement: why it breaks silence")
    ]
    later(member, clock, world.member, hours=72, seconds=-1)
    log_in(sec, world.secretariat)
    fields = form_in(member.get("/rounds/SP").text, action="/rounds/SP/break-silence")
    broken = post(
        member,
        "/rounds/SP/break-silence",
        fields | {"statement": "Paragraph 3 needs more time.", "delegation": "PH-SOMTC"},
    )
    assert broken.status_code == 303, broken.text
    after = text_of(sec.get("/rounds/SP").text)
    assert "In consultation" in after
    assert "PH-SOMTC Philippines - SOMTC Paragraph 3 needs more time. Maria Santos" in after
    assert "Under silence" not in after


def test_an_adopted_text_has_no_controls_left(
    sec: TestClient, app: FastAPI, world: World, clock: Clock
) -> None:
    create_round(sec, symbol="SP", title="Text for adoption")
    for step in ("issue", "close", "consultation", "settle"):
        move(sec, "SP", step)
    silence = form_in(sec.get("/rounds/SP").text, action="/rounds/SP/silence")
    post(sec, "/rounds/SP/silence", silence)
    later(sec, clock, world.secretariat, days=3)
    page = sec.get("/rounds/SP").text
    assert "Adopted by silence" in page
    assert "Next step" not in page
    assert re.findall(r'<form method="post" action="([^"]+)"', page) == ["/logout"]
    member = logged_in(app, world.member)
    late = member.get("/rounds/SP").text
    assert "Break silence" not in late
    assert re.findall(r'<form method="post" action="([^"]+)"', late) == ["/logout"]


def test_the_input_deadline_closes_the_round_when_its_page_is_read(
    sec: TestClient, clock: Clock, world: World
) -> None:
    create_round(sec, symbol="ZD", title="Zero Draft", deadline="2026-03-03T09:00")
    move(sec, "ZD", "issue")
    later(sec, clock, world.secretariat, days=1, seconds=1)
    listing = text_of(sec.get("/rounds").text)
    assert "ZD Zero Draft Written comments State: Closed for input" in listing
    page = sec.get("/rounds/ZD").text
    assert 'href="/rounds/ZD/consultation"' in page
    assert 'action="/rounds/ZD/reopen"' in page


def test_the_compare_page_shows_the_changes_and_the_concordance(
    sec: TestClient, database: Database, clock: Clock, world: World
) -> None:
    api = bearer(token_for(database, world.secretariat, clock.now))
    create_round(sec, symbol="ZD", title="Zero Draft")
    move(sec, "ZD", "issue")
    edited = sec.patch(
        "/api/v1/indicators/FC-CD-01",
        json={"text": "Passport or personal phone confiscated by the operators", "reason": "r"},
        headers=api | {"If-Match": "1"},
    )
    assert edited.status_code == 200, edited.text
    create_round(sec, symbol="R1", title="Revised draft 1")
    move(sec, "R1", "issue")
    page = sec.get("/rounds/R1").text
    assert 'href="/rounds/compare?from=ZD&amp;to=R1"' in page
    compared = sec.get("/rounds/compare").text  # defaults: the current round and its previous
    assert "Changes from ZD to R1" in compared
    item = compared.split('id="changed-FC-CD-01"')[1].split("</article>")[0]
    assert re.findall(r"<ins>(.*?)</ins>", item) == [
        '<span class="visually-hidden">[inserted: </span>confiscated'
        '<span class="visually-hidden">]</span>'
    ]
    assert "taken" in "".join(re.findall(r"<del>(.*?)</del>", item))
    concordance = text_of(compared.split('id="concordance"')[1])
    assert "§1 SEC-PURPOSE §1 SEC-PURPOSE Same number" in concordance
    assert "1 FC-DR-01 1 FC-DR-01 Same number" in concordance
    assert compared.count('class="compare-section"') == 6
    refused = sec.get("/rounds/compare", params={"from": "ZD", "to": "nope"})
    assert refused.status_code == 404


def test_the_banner_is_on_every_page_once_logged_in(
    client: TestClient, sec: TestClient, app: FastAPI
) -> None:
    assert "Current round" not in sec.get("/register").text
    create_round(sec, symbol="ZD", title="Zero Draft")
    assert "Current round: ZD" in text_of(sec.get("/proposals").text)
    assert "In preparation" in text_of(sec.get("/consensus").text)
    anonymous = TestClient(app)
    assert "Current round" not in anonymous.get("/login").text
