"""Rating rounds (issue 20): setting up, answering (every bad input a clear 4xx), history, late
answers, the rule fixed once answered, round 2, reminders, proposals from a result, and
anonymity: no page or API answer lets a panellist learn another's answer."""

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.audit.service import Actor
from app.db import Database
from app.models import OutboxMessage, Proposal, RoundKind
from app.models.rating import RatingAnswer
from app.rating.service import NOT_SHOWN
from app.rounds import service as rounds
from tests.factories import World, bearer, token_for
from tests.helpers import Clock, csrf_of, log_in, text_of
from tests.payloads import XSS, scan

API = "/api/v1/rating-rounds"
FIVE = [World.member, World.member2, World.member3, World.chair, World.observer]
THREE = [World.member, World.member2, World.member3]
NAMES = {
    World.member: "Maria Santos",
    World.member2: "Budi Hartono",
    World.member3: "Somchai Wong",
    World.chair: "Chair Person",
    World.observer: "Olivia Observer",
}


def issue_round(database: Database, clock: Clock, symbol: str = "DWG-FC/ZD") -> None:
    with database.transaction() as s:
        created = rounds.create_round(
            s,
            Actor.system("test"),
            symbol=symbol,
            title="Zero Draft",
            kind=RoundKind.WRITTEN,
            time_zone="Asia/Jakarta",
            deadline=clock.now + timedelta(days=30),
            opens_at=None,
            instructions="",
            observers_may_comment=True,
            now=clock.now,
        )
        rounds.issue_round(s, Actor.system("test"), created.id, now=clock.now)


class Panel:
    """Tokens of the world's people, by e-mail address."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self.database, self.clock = database, clock
        self._tokens: dict[str, dict[str, str]] = {}

    def __getitem__(self, email: str) -> dict[str, str]:
        if email not in self._tokens:
            self._tokens[email] = bearer(token_for(self.database, email, self.clock.now))
        return self._tokens[email]


@pytest.fixture
def people(world: World, database: Database, clock: Clock) -> Panel:
    issue_round(database, clock)
    return Panel(database, clock)


def make_round(
    client: TestClient,
    people: Panel,
    clock: Clock,
    panel: list[str],
    *,
    open_it: bool = True,
    **extra: Any,
) -> int:
    body = {
        "title": "Strength of the indicators",
        "round": "DWG-FC/ZD",
        "panellists": panel,
        "deadline": (clock.now + timedelta(days=7)).isoformat(),
    } | extra
    r = client.post(API, json=body, headers=people[World.secretariat])
    assert r.status_code == 201, r.text
    rr_id: int = r.json()["id"]
    if open_it:
        r = client.post(f"{API}/{rr_id}/open", headers=people[World.secretariat])
        assert r.status_code == 200, r.text
    return rr_id


def one(
    ref: str = "FC-CD-01", relevance: Any = 8, clarity: Any = 7, **extra: Any
) -> dict[str, Any]:
    return {"ref": ref, "relevance": relevance, "clarity": clarity} | extra


def answer(
    client: TestClient, people: Panel, rr_id: int, email: str, *answers: dict[str, Any]
) -> Any:
    return client.post(
        f"{API}/{rr_id}/answers", json={"answers": list(answers)}, headers=people[email]
    )


def current(client: TestClient, headers: dict[str, str], rr_id: int) -> dict[str, str]:
    """If-Match with the ETag of the round as it is now."""
    return {"If-Match": client.get(f"{API}/{rr_id}", headers=headers).headers["ETag"]}


def close(client: TestClient, people: Panel, rr_id: int) -> None:
    r = client.post(f"{API}/{rr_id}/close", headers=people[World.secretariat])
    assert r.status_code == 200, r.text


# --- The life of a round ----------------------------------------------------------------------


def test_five_panellists_rate_and_see_the_results_once_closed(
    client: TestClient, people: Panel, clock: Clock
) -> None:
    rr = make_round(client, people, clock, FIVE)
    got = client.get(f"{API}/{rr}", headers=people[World.member]).json()
    assert [i["ref"] for i in got["items"]] == ["FC-DR-01", "FC-CD-01", "FC-CD-02"]
    assert got["on_panel"] is True and got["panel"] is None
    for k, email in enumerate(FIVE):
        r = answer(
            client,
            people,
            rr,
            email,
            one("FC-CD-01", 8, 7, strength_adult="strong", comment=f"zz comment {k}"),
            one("FC-CD-02", 2 + k, 5, strength_child="weak"),
        )
        assert r.status_code == 200, r.text
        assert r.json() == {"stored": 2}
    # Never live: not to a panellist, not to the secretariat (it knows who answered when).
    for email in (World.member, World.secretariat):
        r = client.get(f"{API}/{rr}/results", headers=people[email])
        assert r.status_code == 409, r.text
        assert "closed" in r.json()["detail"]
    close(client, people, rr)
    rows = client.get(f"{API}/{rr}/results", headers=people[World.member]).json()["items"]
    by = {(row["ref"], row["question"]): row for row in rows}
    assert set(by) >= {("FC-CD-01", "relevance"), ("FC-CD-01", "clarity")}
    cd1 = by[("FC-CD-01", "relevance")]
    assert (cd1["n"], cd1["median"], cd1["iqr"], cd1["percent_7_to_9"]) == (5, 8.0, 0.0, 100.0)
    assert cd1["consensus"] is True and cd1["suppressed"] is False
    cd2 = by[("FC-CD-02", "relevance")]
    assert (cd2["median"], cd2["consensus"]) == (4.0, False)
    assert by[("FC-CD-01", "strength_adult")]["mode"] == "strong"
    assert by[("FC-CD-01", "strength_adult")]["consensus"] is True
    # FC-DR-01 was not rated by anyone: suppressed.
    dr = by[("FC-DR-01", "relevance")]
    assert dr["suppressed"] is True and dr["median"] is None and dr["consensus"] is False
    for row in rows:
        assert isinstance(row["consensus"], bool)
        if row["median"] is not None:
            assert 1 <= row["median"] <= 9
    # The results page, sortable, says the rule and shows the anonymous comments in text order.
    c = TestClient(client.app)
    log_in(c, World.member)
    page = c.get(f"/rating/{rr}/results?sort=median")
    assert page.status_code == 200
    words = text_of(page.text)
    assert NOT_SHOWN in words
    assert words.index("zz comment 0") < words.index("zz comment 4")
    assert c.get(f"/rating/{rr}/results?sort=nonsense").status_code == 200


def test_answering_again_replaces_the_answer_and_keeps_history(
    client: TestClient, people: Panel, clock: Clock, database: Database
) -> None:
    rr = make_round(client, people, clock, FIVE)
    assert answer(client, people, rr, World.member, one(relevance=3)).status_code == 200
    clock.advance(hours=1)
    assert answer(client, people, rr, World.member, one(relevance=9)).status_code == 200
    mine = client.get(f"{API}/{rr}", headers=people[World.member]).json()["my_answers"]
    assert [(a["ref"], a["relevance"]) for a in mine] == [("FC-CD-01", 9)]
    with database.transaction(write=False) as s:
        rows = s.scalars(select(RatingAnswer).order_by(RatingAnswer.id)).all()
        assert [(a.relevance, a.superseded_at is not None) for a in rows] == [(3, True), (9, False)]


@pytest.mark.parametrize(
    ("sent", "status", "field"),
    [
        (one(relevance=0), 422, "relevance"),
        (one(relevance=10), 422, "relevance"),
        (one(clarity=-1), 422, "clarity"),
        (one(relevance="high"), 422, "relevance"),
        (one(strength_adult="very strong"), 422, "strength_adult"),
        (one(strength_child="contextual"), 422, "strength_child"),
        (one(ref="FC-XX-99"), 422, "ref"),
        (one(comment="nul \x00 here"), 422, "answers"),
    ],
)
def test_answers_off_the_scale_are_refused_naming_the_field(
    client: TestClient, people: Panel, clock: Clock, sent: dict[str, Any], status: int, field: str
) -> None:
    rr = make_round(client, people, clock, FIVE)
    r = answer(client, people, rr, World.member, sent)
    assert r.status_code == status, r.text
    assert field in (r.json()["field"] or "") or field in r.json()["detail"], r.json()


def test_the_same_item_twice_and_no_item_are_refused(
    client: TestClient, people: Panel, clock: Clock
) -> None:
    rr = make_round(client, people, clock, FIVE)
    r = answer(client, people, rr, World.member, one(), one())
    assert (r.status_code, r.json()["field"]) == (422, "ref")
    r = answer(client, people, rr, World.member)
    assert (r.status_code, r.json()["field"]) == (422, "answers")


def test_someone_not_on_the_panel_is_refused(
    client: TestClient, people: Panel, clock: Clock
) -> None:
    rr = make_round(client, people, clock, THREE)
    r = answer(client, people, rr, World.observer, one())
    assert r.status_code == 403
    assert "not on the panel" in r.json()["detail"]
    # The secretariat's role does not answer at all.
    r = answer(client, people, rr, World.secretariat, one())
    assert r.status_code == 403


def test_a_draft_is_the_secretariats_alone_and_takes_no_answers(
    client: TestClient, people: Panel, clock: Clock
) -> None:
    rr = make_round(client, people, clock, THREE, open_it=False)
    assert client.get(f"{API}/{rr}", headers=people[World.member]).status_code == 404
    assert rr not in [x["id"] for x in client.get(API, headers=people[World.member]).json()]
    assert answer(client, people, rr, World.member, one()).status_code == 404
    assert client.get(f"{API}/{rr}", headers=people[World.secretariat]).status_code == 200


def test_after_the_deadline_only_accepted_late_answers_are_taken(
    client: TestClient, people: Panel, clock: Clock
) -> None:
    rr = make_round(client, people, clock, FIVE)
    clock.advance(days=8)
    r = answer(client, people, rr, World.member, one())
    assert r.status_code == 409
    assert "the deadline passed" in r.json()["detail"]
    r = client.post(
        f"{API}/{rr}/late", json={"email": World.member}, headers=people[World.secretariat]
    )
    assert r.status_code == 200, r.text
    assert answer(client, people, rr, World.member, one()).status_code == 200
    mine = client.get(f"{API}/{rr}", headers=people[World.member]).json()["my_answers"]
    assert mine[0]["late"] is True
    # Another panellist is still refused.
    assert answer(client, people, rr, World.member2, one()).status_code == 409
    # Late acceptance only for someone on the panel.
    r = client.post(
        f"{API}/{rr}/late", json={"email": World.admin}, headers=people[World.secretariat]
    )
    assert (r.status_code, r.json()["field"]) == (422, "email")


def test_the_rule_cannot_change_once_the_first_answer_is_in(
    client: TestClient, people: Panel, clock: Clock
) -> None:
    rr = make_round(client, people, clock, FIVE)
    sec = people[World.secretariat]
    r = client.patch(f"{API}/{rr}", json={"rule": {"kind": "rand_ucla"}}, headers=sec)
    assert r.status_code == 428  # say which version you read
    r = client.patch(
        f"{API}/{rr}", json={"rule": {"kind": "rand_ucla"}}, headers=sec | current(client, sec, rr)
    )
    assert r.status_code == 200, r.text
    assert r.json()["rule"]["kind"] == "rand_ucla"
    assert answer(client, people, rr, World.member, one()).status_code == 200
    r = client.patch(
        f"{API}/{rr}", json={"rule": {"kind": "threshold"}}, headers=sec | current(client, sec, rr)
    )
    assert r.status_code == 409
    assert r.json()["field"] == "rule"
    # Nor the items or panel of an open round.
    r = client.patch(
        f"{API}/{rr}", json={"items": ["FC-CD-01"]}, headers=sec | current(client, sec, rr)
    )
    assert (r.status_code, r.json()["field"]) == (409, "items")
    # A stale version is refused.
    r = client.patch(
        f"{API}/{rr}",
        json={"deadline": (clock.now + timedelta(days=9)).isoformat()},
        headers=sec | {"If-Match": f'"RR-{rr}.v1"'},
    )
    assert r.status_code == 412


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"round": "DWG-FC/NONE"}, 422, "round"),
        ({"items": ["FC-CD-77"]}, 422, "items"),
        ({"items": ["SEC-PURPOSE"]}, 422, "items"),
        ({"panellists": ["nobody@asean.test"]}, 422, "panellists"),
        ({"panellists": [World.secretariat]}, 422, "panellists"),
        ({"title": " "}, 422, "title"),
        ({"rule": {"kind": "threshold", "median_low": 9, "median_high": 7}}, 422, "rule"),
        ({"deadline": "2020-01-01T00:00:00+00:00"}, 422, "deadline"),
        ({"deadline": "9999-12-31T23:30:00+00:00"}, 422, "deadline"),
        ({"rule": {"kind": "majority"}}, 422, "rule"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(
    client: TestClient, people: Panel, body: dict[str, Any], status: int, field: str
) -> None:
    base = {"title": "T", "round": "DWG-FC/ZD", "panellists": THREE}
    r = client.post(API, json=base | body, headers=people[World.secretariat])
    assert r.status_code == status, r.text
    assert field in (r.json()["field"] or ""), r.json()


def test_a_round_in_preparation_is_not_rated_and_opening_needs_a_deadline(
    client: TestClient, people: Panel, database: Database, clock: Clock
) -> None:
    with database.transaction() as s:
        rounds.create_round(
            s,
            Actor.system("test"),
            symbol="DWG-FC/R1",
            title="Rev.1",
            kind=RoundKind.WRITTEN,
            time_zone="Asia/Jakarta",
            deadline=None,
            opens_at=None,
            instructions="",
            observers_may_comment=True,
            now=clock.now,
        )
    sec = people[World.secretariat]
    r = client.post(API, json={"title": "T", "round": "DWG-FC/R1"}, headers=sec)
    assert (r.status_code, r.json()["field"]) == (409, "round")
    r = client.post(
        API, json={"title": "T", "round": "DWG-FC/ZD", "panellists": THREE}, headers=sec
    )
    rr = r.json()["id"]
    r = client.post(f"{API}/{rr}/open", headers=sec)
    assert (r.status_code, r.json()["field"]) == (422, "deadline")
    # Closing a draft, or opening twice, is a conflict.
    assert client.post(f"{API}/{rr}/close", headers=sec).status_code == 409


def test_panel_from_delegations_members(client: TestClient, people: Panel, clock: Clock) -> None:
    rr = make_round(client, people, clock, [World.observer], delegations=["PH-SOMTC", "ID-AICHR"])
    panel = client.get(f"{API}/{rr}", headers=people[World.secretariat]).json()["panel"]
    assert sorted(p["email"] for p in panel) == sorted(
        [World.member, World.member2, World.chair, World.observer]
    )


# --- Anonymity --------------------------------------------------------------------------------


def _pages_of(c: TestClient, rr: int) -> list[str]:
    return [
        c.get(url).text
        for url in (
            "/rating",
            f"/rating/{rr}",
            f"/rating/{rr}/answer",
            f"/rating/{rr}/results",
            f"/rating/{rr}/results?sort=median",
        )
    ]


def test_during_an_open_round_a_panellist_sees_nothing_of_the_others(
    client: TestClient, app: Any, people: Panel, clock: Clock
) -> None:
    """Nothing a panellist can read changes when others answer: no count, no statistic, no
    comment, no name (so nothing can be worked out by watching it change)."""
    rr = make_round(client, people, clock, FIVE)
    c = TestClient(app)
    log_in(c, World.member)
    apis = (API, f"{API}/{rr}", f"{API}/{rr}/results")

    def everything() -> list[str]:
        return _pages_of(c, rr) + [
            client.get(url, headers=people[World.member]).text for url in apis
        ]

    before = everything()
    for k, email in enumerate(FIVE[1:]):
        r = answer(
            client,
            people,
            rr,
            email,
            one("FC-CD-01", 2 + k, 3, strength_adult="weak", comment=f"ZZSECRET{k}"),
        )
        assert r.status_code == 200
    assert everything() == before
    assert answer(client, people, rr, World.member, one(relevance=9)).status_code == 200
    for text in everything():
        for other in FIVE[1:]:
            assert NAMES[other] not in text and other not in text
        assert "ZZSECRET" not in text


def test_a_panel_of_three_shows_no_statistics_even_after_close(
    client: TestClient, app: Any, people: Panel, clock: Clock
) -> None:
    rr = make_round(client, people, clock, THREE)
    for k, email in enumerate(THREE):
        r = answer(client, people, rr, email, one("FC-CD-01", 3 + 3 * k, 5, comment=f"ZZC{k}"))
        assert r.status_code == 200
    close(client, people, rr)
    for email in (World.member, World.secretariat):
        rows = client.get(f"{API}/{rr}/results", headers=people[email]).json()["items"]
        for row in rows:
            assert row["suppressed"] is True, row
            assert row["median"] is None and row["iqr"] is None
            assert row["consensus"] is False
            # The count: not to a panellist; the secretariat sees who answered anyway.
            if email == World.member:
                assert row["n"] is None
        if email == World.secretariat:
            cd1 = [r["n"] for r in rows if r["ref"] == "FC-CD-01"]
            assert cd1 == [3, 3, 0, 0]  # relevance, clarity; no strength answers
    c = TestClient(app)
    log_in(c, World.member)
    page = text_of(c.get(f"/rating/{rr}/results").text)
    assert "Fewer than 5 answers: not shown, so no answer can be inferred" in page
    assert "ZZC" not in page


def test_the_secretariat_sees_names_only_where_the_round_says_so(
    client: TestClient, app: Any, people: Panel, clock: Clock
) -> None:
    hidden = make_round(client, people, clock, THREE)
    shown = make_round(client, people, clock, THREE, show_answers_to_secretariat=True)
    for rr in (hidden, shown):
        assert answer(client, people, rr, World.member2, one(relevance=2)).status_code == 200
    sec = people[World.secretariat]
    # Who answered, for reminders: always.
    panel = client.get(f"{API}/{hidden}", headers=sec).json()["panel"]
    assert {p["email"]: p["answered"] for p in panel}[World.member2] == 1
    # The answers: live and by name only where the round shows them.
    assert client.get(f"{API}/{hidden}/results", headers=sec).status_code == 409
    rows = client.get(f"{API}/{shown}/results", headers=sec).json()["items"]
    cd1 = next(r for r in rows if (r["ref"], r["question"]) == ("FC-CD-01", "relevance"))
    assert (cd1["n"], cd1["median"], cd1["suppressed"]) == (1, 2.0, False)
    c = TestClient(app)
    log_in(c, World.secretariat)
    assert "Budi Hartono" in text_of(c.get(f"/rating/{shown}/results").text)
    assert "Budi Hartono" not in text_of(c.get(f"/rating/{hidden}/results").text)
    # A panellist of the round that shows answers to the secretariat still sees nothing live.
    assert client.get(f"{API}/{shown}/results", headers=people[World.member]).status_code == 409


# --- Round 2, reminders, proposals ------------------------------------------------------------


def _closed_round_one(client: TestClient, people: Panel, clock: Clock) -> int:
    rr = make_round(client, people, clock, FIVE)
    for k, email in enumerate(FIVE):
        r = answer(
            client,
            people,
            rr,
            email,
            one("FC-CD-01", 8, 8, strength_child="strong", comment=f"Clear enough {k}"),
            one(
                "FC-CD-02",
                1 + 2 * k,
                6,
                comment=f"Too vague {k}",
                strength_adult="weak" if k == 4 else "medium",
            ),
            one("FC-DR-01", 5, 5),
        )
        assert r.status_code == 200, r.text
    close(client, people, rr)
    return rr


def test_round_two_keeps_the_items_without_consensus_and_shows_round_one(
    client: TestClient, app: Any, people: Panel, clock: Clock
) -> None:
    first = _closed_round_one(client, people, clock)
    sec = people[World.secretariat]
    r = client.post(
        f"{API}/{first}/next",
        json={"deadline": (clock.now + timedelta(days=7)).isoformat()},
        headers=sec,
    )
    assert r.status_code == 201, r.text
    second = r.json()
    assert second["number"] == 2 and second["previous_id"] == first
    assert [i["ref"] for i in second["items"]] == ["FC-DR-01", "FC-CD-02"]
    assert client.post(f"{API}/{first}/next", json={}, headers=sec).status_code == 409
    assert client.post(f"{API}/{second['id']}/open", headers=sec).status_code == 200
    c = TestClient(app)
    log_in(c, World.member2)
    page = c.get(f"/rating/{second['id']}/answer")
    assert page.status_code == 200
    words = text_of(page.text)
    # Own previous answer (member2 gave FC-CD-02 a 3), the group's median 5 and IQR 4.
    assert "Your answer: relevance 3" in words
    assert "median relevance 5, interquartile range 4" in words
    assert "Strength for adults: 0 strong, 4 medium, 1 weak" in words
    assert "Strength for children:" not in words  # nobody rated it
    assert "Too vague 0" in words and words.index("Too vague 0") < words.index("Too vague 4")
    assert "data:image/svg+xml" in page.text and "histogram-table" in page.text
    # Values kept on error: a rating off the form's scale comes back beside its field.
    csrf = csrf_of(page.text)
    bad = c.post(
        f"/rating/{second['id']}/answer",
        data={
            "csrf_token": csrf,
            "relevance-FC-CD-02": "12",
            "clarity-FC-CD-02": "4",
            "comment-FC-CD-02": "ZZKEPT",
        },
    )
    assert bad.status_code == 422
    assert "ZZKEPT" in bad.text and 'href="#relevance-FC-CD-02"' in bad.text
    ok = c.post(
        f"/rating/{second['id']}/answer",
        data={"csrf_token": csrf, "relevance-FC-CD-02": "6", "clarity-FC-CD-02": "4"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    close(client, people, second["id"])
    rows = client.get(f"{API}/{second['id']}/results", headers=sec).json()["items"]
    assert all(r["suppressed"] for r in rows)  # one answer only


def test_round_two_reports_stability_against_round_one(
    client: TestClient, people: Panel, clock: Clock
) -> None:
    """The share of answers changed and the change of the median and IQR, per indicator (API
    and results page): FC-CD-02 went from 1, 3, 5, 7, 9 (median 5, IQR 4) to 5, 5, 6, 7, 7
    (median 6, IQR 2); FC-DR-01 stayed at 5 from everyone."""
    first = _closed_round_one(client, people, clock)
    sec = people[World.secretariat]
    r = client.post(
        f"{API}/{first}/next",
        json={"deadline": (clock.now + timedelta(days=7)).isoformat()},
        headers=sec,
    )
    second = r.json()["id"]
    assert client.post(f"{API}/{second}/open", headers=sec).status_code == 200
    for k, email in enumerate(FIVE):
        again = [5, 5, 6, 7, 7][k]
        r = answer(client, people, second, email, one("FC-CD-02", again, 6), one("FC-DR-01", 5, 5))
        assert r.status_code == 200, r.text
    close(client, people, second)
    rows = {
        r["ref"]: r
        for r in client.get(f"{API}/{second}/results", headers=sec).json()["items"]
        if r["question"] == "relevance"
    }
    cd = rows["FC-CD-02"]
    assert (cd["median"], cd["iqr"]) == (6, 2)
    assert (cd["stability_percent_changed"], cd["median_change"], cd["iqr_change"]) == (80, 1, -2)
    dr = rows["FC-DR-01"]
    assert (dr["stability_percent_changed"], dr["median_change"], dr["iqr_change"]) == (0, 0, 0)
    c = TestClient(client.app)
    log_in(c, World.secretariat)
    words = text_of(c.get(f"/rating/{second}/results").text)
    assert "80 % of answers; median +1, IQR \N{MINUS SIGN}2" in words
    assert "0 % of answers; median 0, IQR 0" in words


def test_reminders_go_to_those_who_have_not_answered(
    client: TestClient, people: Panel, clock: Clock, database: Database
) -> None:
    rr = make_round(client, people, clock, THREE, items=["FC-CD-01"])
    assert answer(client, people, rr, World.member, one()).status_code == 200
    r = client.post(f"{API}/{rr}/reminders", headers=people[World.secretariat])
    assert r.status_code == 200, r.text
    assert sorted(r.json()["reminded"]) == ["Budi Hartono", "Somchai Wong"]
    with database.transaction(write=False) as s:
        to = sorted(
            m.to_address for m in s.scalars(select(OutboxMessage)) if m.kind == "rating_reminder"
        )
    assert to == sorted([World.member2, World.member3])


def test_a_result_becomes_a_proposal_attributed_to_the_round(
    client: TestClient, people: Panel, clock: Clock, database: Database
) -> None:
    rr = _closed_round_one(client, people, clock)
    sec = people[World.secretariat]
    body = {"ref": "FC-CD-02", "profile": "child", "delegation": "PH-SOMTC"}
    r = client.post(f"{API}/{rr}/proposals", json=body, headers=sec)
    assert r.status_code == 409  # no consensus on FC-CD-02's strength for children
    body["ref"] = "FC-CD-01"
    r = client.post(f"{API}/{rr}/proposals", json=body, headers=sec)
    assert r.status_code == 409  # already strong
    with database.transaction() as s:
        from app.register import service as register

        register.revise_item(
            s,
            Actor.system("test"),
            code="FC-CD-01",
            expected_revision=1,
            changes={"strength_child": "medium"},
            reason="Editorial",
            now=clock.now,
        )
    r = client.post(f"{API}/{rr}/proposals", json=body, headers=sec)
    assert r.status_code == 201, r.text
    with database.transaction(write=False) as s:
        p = s.get(Proposal, r.json()["proposal_id"])
        assert p is not None
        assert p.content == {"strength_child": "strong"}
        assert f"RR-{rr}" in p.rationale and "5 of 5" in p.rationale
        assert "for children" in p.rationale and "childs" not in p.rationale
    r = client.post(f"{API}/{rr}/proposals", json=body, headers=people[World.member])
    assert r.status_code == 403
    # A double submit: the second finds the first standing (409 naming it), one proposal only.
    with database.transaction(write=False) as s:
        made = [p.id for p in s.scalars(select(Proposal)) if f"RR-{rr}" in p.rationale]
    assert len(made) == 1
    again = client.post(f"{API}/{rr}/proposals", json=body, headers=sec)
    assert again.status_code == 409, again.text
    assert again.json()["field"] == "profile" and f"P-{made[0]}" in again.json()["detail"]
    with database.transaction(write=False) as s:
        assert [p.id for p in s.scalars(select(Proposal)) if f"RR-{rr}" in p.rationale] == made


def test_pages_for_the_secretariat(
    client: TestClient, app: Any, people: Panel, clock: Clock
) -> None:
    c = TestClient(app)
    log_in(c, World.secretariat)
    page = c.get("/rating/new")
    assert page.status_code == 200
    csrf = csrf_of(page.text)
    bad = c.post("/rating", data={"csrf_token": csrf, "title": "", "round": "DWG-FC/ZD"})
    assert bad.status_code == 422 and 'href="#title"' in bad.text
    made = c.post(
        "/rating",
        data={
            "csrf_token": csrf,
            "title": "Delphi 1",
            "round": "DWG-FC/ZD",
            "panellists": f"{World.member} {World.member2}",
            "deadline": (clock.now + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
            "kind": "threshold",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    url = made.headers["location"].split("?")[0]
    assert c.post(f"{url}/open", data={"csrf_token": csrf}).status_code == 200
    page = text_of(c.get(url).text)
    assert "Maria Santos" in page and "0 of 3" in page
    assert c.post(f"{url}/remind", data={"csrf_token": csrf}).status_code == 200
    assert 'href="/rating"' in c.get("/register").text


def test_hostile_text_is_text_on_every_rating_page(
    client: TestClient, app: Any, people: Panel, clock: Clock
) -> None:
    rr = make_round(client, people, clock, FIVE, title=f"Round {XSS}", instructions=f"Rate {XSS}")
    for email in FIVE:
        r = answer(client, people, rr, email, one(comment=f"C {XSS}", wording=f"W {XSS}"))
        assert r.status_code == 200, r.text
    close(client, people, rr)
    nxt = client.post(f"{API}/{rr}/next", json={}, headers=people[World.secretariat])
    assert nxt.status_code == 201 or nxt.status_code == 409, nxt.text
    for email in (World.member, World.secretariat):
        c = TestClient(app)
        log_in(c, email)
        urls = ["/rating", f"/rating/{rr}", f"/rating/{rr}/results"]
        if nxt.status_code == 201 and email == World.secretariat:  # a draft: theirs alone
            urls.append(f"/rating/{nxt.json()['id']}")
        for url in urls:
            page = c.get(url)
            assert page.status_code == 200, url
            problems, words = scan(page.text)
            assert problems == [], (url, problems)
            assert XSS in words, url


def test_the_worker_reminds_the_panel_once_two_days_before_the_deadline(
    client: TestClient, people: Panel, clock: Clock, database: Database, settings: Any
) -> None:
    from app.worker import run_once

    rr = make_round(client, people, clock, THREE, items=["FC-CD-01"])
    assert answer(client, people, rr, World.member, one()).status_code == 200

    def reminded() -> list[str]:
        with database.transaction(write=False) as s:
            return sorted(
                m.to_address
                for m in s.scalars(select(OutboxMessage))
                if m.kind == "rating_reminder"
            )

    assert not any("RR-" in line for line in run_once(database, settings, clock).reminders)
    clock.advance(days=5, hours=1)  # 47 hours before the deadline
    lines = run_once(database, settings, clock).reminders
    assert lines == [f"RR-{rr}: 48 hours before its deadline, reminded 2"]
    assert reminded() == sorted([World.member2, World.member3])
    clock.advance(hours=1)
    assert run_once(database, settings, clock).reminders == []
    assert len(reminded()) == 2


def test_a_draft_is_edited_on_its_page_and_a_stale_edit_is_refused(
    client: TestClient, app: Any, people: Panel, clock: Clock
) -> None:
    rr = make_round(client, people, clock, THREE, open_it=False)
    c = TestClient(app)
    log_in(c, World.secretariat)
    page = c.get(f"/rating/{rr}/edit")
    assert page.status_code == 200
    csrf = csrf_of(page.text)
    fields = {
        "csrf_token": csrf,
        "title": "Delphi round 1",
        "round": "DWG-FC/ZD",
        "items": "FC-CD-01 FC-CD-02",
        "panellists": f"{World.member} {World.observer}",
        "deadline": (clock.now + timedelta(days=4)).strftime("%Y-%m-%dT%H:%M"),
        "kind": "rand_ucla",
        "version": "1",
    }
    saved = c.post(f"/rating/{rr}/edit", data=fields, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    got = client.get(f"{API}/{rr}", headers=people[World.secretariat]).json()
    assert [i["ref"] for i in got["items"]] == ["FC-CD-01", "FC-CD-02"]
    assert sorted(p["email"] for p in got["panel"]) == sorted([World.member, World.observer])
    assert got["rule"]["kind"] == "rand_ucla" and got["version"] == 2
    # The same page sent again (version 1): refused, what was typed kept.
    stale = c.post(f"/rating/{rr}/edit", data=fields | {"title": "ZZTYPED"})
    assert stale.status_code == 412 and "ZZTYPED" in stale.text
    # A panel change alone moves the version on too.
    sec = people[World.secretariat]
    r = client.patch(
        f"{API}/{rr}", json={"panellists": [World.member]}, headers=sec | current(client, sec, rr)
    )
    assert r.json()["version"] == 3
    client.post(f"{API}/{rr}/open", headers=people[World.secretariat])
    assert c.get(f"/rating/{rr}/edit").status_code == 409


def test_moves_out_of_turn_are_conflicts(client: TestClient, people: Panel, clock: Clock) -> None:
    sec = people[World.secretariat]
    rr = make_round(client, people, clock, FIVE, items=["FC-CD-01"])
    assert client.post(f"{API}/{rr}/open", headers=sec).status_code == 409  # open already
    assert client.post(f"{API}/{rr}/next", json={}, headers=sec).status_code == 409  # not closed
    for email in FIVE:
        assert answer(client, people, rr, email, one(relevance=8)).status_code == 200
    close(client, people, rr)
    assert client.post(f"{API}/{rr}/close", headers=sec).status_code == 409
    assert client.post(f"{API}/{rr}/reminders", headers=sec).status_code == 409
    assert answer(client, people, rr, World.member, one()).status_code == 409
    # Every indicator reached consensus: no round 2.
    r = client.post(f"{API}/{rr}/next", json={}, headers=sec)
    assert (r.status_code, r.json()["field"]) == (409, "items")
    r = client.patch(f"{API}/{rr}", json={"title": "X"}, headers=sec | current(client, sec, rr))
    assert (r.status_code, r.json()["field"]) == (409, "state")


# --- Review findings (rating rounds) ----------------------------------------------------------


def test_round_two_does_not_reveal_a_hidden_round_one(
    client: TestClient, app: Any, people: Panel, clock: Clock
) -> None:
    """Round 1: four answers on FC-CD-01 (1, 3, 7, 9: hidden). Round 2: five. The change since
    round 1 (share changed, median and IQR change) with round 2's shown median would give round
    1's hidden median and IQR: not given to anyone who may not see everything, in the API, the
    page and the CSV."""
    rr = make_round(client, people, clock, FIVE)
    for k, email in enumerate(FIVE[:4]):
        r = answer(client, people, rr, email, one("FC-CD-01", [1, 3, 7, 9][k], 5))
        assert r.status_code == 200, r.text
    assert answer(client, people, rr, FIVE[4], one("FC-DR-01", 5, 5)).status_code == 200
    close(client, people, rr)
    sec = people[World.secretariat]
    r = client.post(
        f"{API}/{rr}/next",
        json={"deadline": (clock.now + timedelta(days=7)).isoformat()},
        headers=sec,
    )
    assert r.status_code == 201, r.text
    second = r.json()["id"]
    assert client.post(f"{API}/{second}/open", headers=sec).status_code == 200
    for k, email in enumerate(FIVE):
        r = answer(client, people, second, email, one("FC-CD-01", [5, 5, 6, 7, 7][k], 5))
        assert r.status_code == 200, r.text
    close(client, people, second)
    for email in (World.member, World.secretariat):
        rows = client.get(f"{API}/{second}/results", headers=people[email]).json()["items"]
        cd = next(x for x in rows if x["ref"] == "FC-CD-01" and x["question"] == "relevance")
        assert cd["suppressed"] is False and cd["median"] == 6
        assert cd["stability_percent_changed"] is None, cd
        assert cd["median_change"] is None and cd["iqr_change"] is None, cd
        csv_rows = client.get(f"{API}/{second}/results.csv", headers=people[email])
        assert csv_rows.status_code == 200
        text = csv_rows.content.decode("utf-8-sig")
        for row in csv.DictReader(io.StringIO(text)):
            if row["ref"] == "FC-CD-01":
                assert row["n_compared"] == row["percent_changed"] == "", row
                assert row["median_change"] == row["iqr_change"] == "", row
    c = TestClient(app)
    log_in(c, World.member)
    words = text_of(c.get(f"/rating/{second}/results").text)
    assert "of answers; median" not in words


def _positions(words: str, refs: list[str]) -> list[str]:
    return sorted(refs, key=words.index)


def test_sorting_does_not_order_hidden_rows_by_their_hidden_statistics(
    client: TestClient, app: Any, people: Panel, clock: Clock
) -> None:
    """A panel of three: every row hidden. Sorted by median, IQR or agreement, hidden rows come
    by ref, not in the order of their hidden medians (FC-CD-02 highest, FC-CD-01 lowest)."""
    rr = make_round(client, people, clock, THREE, items=["FC-CD-01", "FC-CD-02", "FC-DR-01"])
    for k, email in enumerate(THREE):
        r = answer(
            client,
            people,
            rr,
            email,
            one("FC-CD-01", 1 + k, 5),
            one("FC-CD-02", 9 - k % 2, 5),
            one("FC-DR-01", 4 + 2 * k, 5),
        )
        assert r.status_code == 200, r.text
    close(client, people, rr)
    c = TestClient(app)
    log_in(c, World.member)
    refs = ["FC-CD-01", "FC-CD-02", "FC-DR-01"]
    for sort in ("median", "iqr", "agreement", "ref"):
        page = c.get(f"/rating/{rr}/results?sort={sort}")
        assert page.status_code == 200
        table = page.text[page.text.index('id="results"') :]
        assert _positions(table, refs) == refs, sort


def test_a_patch_naming_one_part_of_the_panel_keeps_the_other(
    client: TestClient, people: Panel, clock: Clock
) -> None:
    """PATCH {"delegations": [...]} replaces the delegations' members and keeps the invited
    panellists; PATCH {"panellists": [...]} the reverse (None = unchanged)."""
    rr = make_round(
        client, people, clock, [World.observer], open_it=False, delegations=["ID-AICHR"]
    )
    sec = people[World.secretariat]

    def emails() -> list[str]:
        panel = client.get(f"{API}/{rr}", headers=sec).json()["panel"]
        return sorted(p["email"] for p in panel)

    assert emails() == sorted([World.member2, World.chair, World.observer])
    r = client.patch(
        f"{API}/{rr}", json={"delegations": ["PH-SOMTC"]}, headers=sec | current(client, sec, rr)
    )
    assert r.status_code == 200, r.text
    assert emails() == sorted([World.member, World.observer])
    r = client.patch(
        f"{API}/{rr}", json={"panellists": [World.member3]}, headers=sec | current(client, sec, rr)
    )
    assert r.status_code == 200, r.text
    assert emails() == sorted([World.member, World.member3])
    r = client.patch(
        f"{API}/{rr}",
        json={"delegations": [], "panellists": [World.observer]},
        headers=sec | current(client, sec, rr),
    )
    assert r.status_code == 200, r.text
    assert emails() == [World.observer]


def test_a_hidden_strength_result_does_not_become_a_proposal(
    client: TestClient, people: Panel, clock: Clock, database: Database
) -> None:
    """Attacker H1: a panel of three all rating weak; the proposal's rationale ("3 of 3 rated
    ... weak") would be read by everyone. Under MIN_SHOWN answers: 409 naming profile."""
    rr = make_round(client, people, clock, THREE)
    for email in THREE:
        r = answer(client, people, rr, email, one("FC-CD-01", strength_child="weak"))
        assert r.status_code == 200, r.text
    close(client, people, rr)
    body = {"ref": "FC-CD-01", "profile": "child", "delegation": "PH-SOMTC"}
    r = client.post(f"{API}/{rr}/proposals", json=body, headers=people[World.secretariat])
    assert r.status_code == 409, r.text
    assert r.json()["field"] == "profile"
    assert "children" in r.json()["detail"] and "childs" not in r.json()["detail"]
    with database.transaction(write=False) as s:
        assert not [p for p in s.scalars(select(Proposal)) if f"RR-{rr}" in p.rationale]


def test_personal_data_in_a_comment_or_wording_is_refused_unless_checked(
    client: TestClient, app: Any, people: Panel, clock: Clock, database: Database
) -> None:
    """Browser review: "Call me on +63 917 555 0199" in a comment was shown to all after close.
    API: 422 naming answers[i].comment / .wording with the findings, unless checked; the audit
    event names the kinds confirmed, never the words. Page: typed values kept, findings beside
    the box, an "I checked" box."""
    from app.models import AuditEvent

    rr = make_round(client, people, clock, FIVE)
    phone = "Call me on +63 917 555 0199"
    r = answer(client, people, rr, World.member, one("FC-CD-01"), one("FC-CD-02", comment=phone))
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "answers[1].comment"
    assert r.json()["findings"] and "555 0199" in r.json()["findings"][0]["text"]
    r = answer(client, people, rr, World.member, one("FC-CD-01", wording=phone))
    assert r.status_code == 422 and r.json()["field"] == "answers[0].wording", r.text
    with database.transaction(write=False) as s:
        assert not s.scalars(select(RatingAnswer)).all()
    r = client.post(
        f"{API}/{rr}/answers",
        json={"answers": [one("FC-CD-01", comment=phone)], "personal_data_checked": True},
        headers=people[World.member],
    )
    assert r.status_code == 200, r.text
    with database.transaction(write=False) as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "rating.answer")).all()
        assert events[-1].details["personal_data_confirmed"] == ["phone"]
        assert "0199" not in str(events[-1].details)
    # The page form
    c = TestClient(app)
    log_in(c, World.member2)
    csrf = csrf_of(c.get(f"/rating/{rr}/answer").text)
    data = {
        "csrf_token": csrf,
        "relevance-FC-CD-01": "8",
        "clarity-FC-CD-01": "7",
        "comment-FC-CD-01": phone,
        "wording-FC-CD-01": "A plain wording",
    }
    page = c.post(f"/rating/{rr}/answer", data=data, follow_redirects=False)
    assert page.status_code == 422, page.text
    assert 'id="comment-FC-CD-01-findings"' in page.text
    assert 'name="personal_data_checked"' in page.text
    assert "I checked: this is not personal data" in page.text
    assert "A plain wording" in page.text and phone in page.text
    assert 'href="#comment-FC-CD-01"' in page.text
    assert 'aria-describedby="comment-FC-CD-01-error comment-FC-CD-01-findings"' in page.text
    done = c.post(
        f"/rating/{rr}/answer", data=data | {"personal_data_checked": "yes"}, follow_redirects=False
    )
    assert done.status_code == 303, done.text


def test_make_the_proposal_asks_which_delegation_and_refusals_stay_on_the_results_page(
    client: TestClient, app: Any, people: Panel, clock: Clock, database: Database
) -> None:
    """Browser review: the form preselected the first delegation (the proposal and its support
    were filed in its name); errors landed on another page; the button was offered where the
    rated strength is already the indicator's; "Start round 2" where all reached consensus."""
    rr = _closed_round_one(client, people, clock)
    c = TestClient(app)
    log_in(c, World.secretariat)
    page = c.get(f"/rating/{rr}/results").text
    assert 'id="delegation-FC-CD-01-child"' not in page  # already strong: nothing to propose
    assert "childs" not in page
    with database.transaction() as s:
        from app.register import service as register

        register.revise_item(
            s,
            Actor.system("test"),
            code="FC-CD-01",
            expected_revision=1,
            changes={"strength_child": "medium"},
            reason="Editorial",
            now=clock.now,
        )
    page = c.get(f"/rating/{rr}/results").text
    assert 'id="delegation-FC-CD-01-child"' in page
    assert '<option value="" selected>Choose the delegation it is filed for</option>' in page
    assert 'value="PH-SOMTC" selected' not in page
    assert "filed in this delegation's name" in text_of(page)
    assert "for children: strong" in page
    csrf = csrf_of(page)
    form = {"csrf_token": csrf, "ref": "FC-CD-01", "profile": "child", "delegation": ""}
    refused = c.post(f"/rating/{rr}/propose", data=form, follow_redirects=False)
    assert refused.status_code == 422, refused.text
    assert "Results:" in refused.text and 'href="#delegation-FC-CD-01-child"' in refused.text
    assert 'id="delegation-FC-CD-01-child-error"' in refused.text
    r = client.post(
        f"{API}/{rr}/proposals",
        json={"ref": "FC-CD-01", "profile": "child", "delegation": ""},
        headers=people[World.secretariat],
    )
    assert r.status_code == 422 and r.json()["field"] == "delegation", r.text
    with database.transaction(write=False) as s:
        assert not [p for p in s.scalars(select(Proposal)) if f"RR-{rr}" in p.rationale]
    made = c.post(
        f"/rating/{rr}/propose", data=form | {"delegation": "PH-SOMTC"}, follow_redirects=False
    )
    assert made.status_code == 303 and made.headers["location"].startswith("/proposals/")
    again = c.post(
        f"/rating/{rr}/propose", data=form | {"delegation": "PH-SOMTC"}, follow_redirects=False
    )
    assert again.status_code == 409 and "Results:" in again.text
    # Round 2 is offered where some indicator lacks consensus, not where all reached it.
    assert "Start round 2" in c.get(f"/rating/{rr}").text
    whole = make_round(client, people, clock, FIVE, items=["FC-CD-01"])
    for email in FIVE:
        assert answer(client, people, whole, email, one("FC-CD-01", 8, 8)).status_code == 200
    close(client, people, whole)
    assert "Start round 2" not in c.get(f"/rating/{whole}").text


def test_a_far_off_deadline_is_refused_and_the_pages_keep_working(
    client: TestClient, app: Any, people: Panel, clock: Clock
) -> None:
    """Attacker M3: 9999-12-31T23:30Z was accepted; then /rating, the round's pages and the
    annex failed (local time overflow) for everyone, for good. At most two years ahead."""
    sec = people[World.secretariat]
    rr = make_round(client, people, clock, THREE)
    far = {"deadline": "9999-12-31T23:30:00Z"}
    r = client.patch(f"{API}/{rr}", json=far, headers=sec | current(client, sec, rr))
    assert r.status_code == 422 and r.json()["field"] == "deadline", r.text
    late = {"deadline": (clock.now + timedelta(days=800)).isoformat()}
    r = client.patch(f"{API}/{rr}", json=late, headers=sec | current(client, sec, rr))
    assert r.status_code == 422 and r.json()["field"] == "deadline", r.text
    fine = {"deadline": (clock.now + timedelta(days=700)).isoformat()}
    r = client.patch(f"{API}/{rr}", json=fine, headers=sec | current(client, sec, rr))
    assert r.status_code == 200, r.text
    c = TestClient(app)
    log_in(c, World.secretariat)
    csrf = csrf_of(c.get("/rating/new").text)
    form = {
        "csrf_token": csrf,
        "title": "Far off",
        "round": "DWG-FC/ZD",
        "panellists": World.member,
        "deadline": "9999-12-31T23:30",
        "kind": "threshold",
    }
    page = c.post("/rating", data=form, follow_redirects=False)
    assert page.status_code == 422 and 'href="#deadline"' in page.text, page.text[:500]
    for url in ("/rating", f"/rating/{rr}", f"/rating/{rr}/results"):
        assert c.get(url).status_code == 200, url


def test_the_close_event_counts_standing_answers_not_replaced_ones(
    client: TestClient, people: Panel, clock: Clock, database: Database
) -> None:
    """Attacker L2: rating.close's {"answers": N} counted replaced answers too."""
    from app.models import AuditEvent

    rr = make_round(client, people, clock, THREE)
    for relevance in (3, 5, 8):
        assert (
            answer(client, people, rr, World.member, one("FC-CD-01", relevance)).status_code == 200
        )
    assert answer(client, people, rr, World.member2, one("FC-CD-01")).status_code == 200
    close(client, people, rr)
    with database.transaction(write=False) as s:
        event = s.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "rating.close", AuditEvent.object_id == str(rr)
            )
        ).one()
        assert event.details["answers"] == 2
