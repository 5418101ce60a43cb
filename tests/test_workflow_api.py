"""The drafting workflow through HTTP only: delegations propose, co-sponsor, object and comment;
the secretariat decides and answers; the register shows who changed what."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.db import Database
from tests.factories import World, bearer, token_for
from tests.helpers import Clock


class Api:
    """A person using the API with their own token."""

    def __init__(self, client: TestClient, token: str) -> None:
        self.client = client
        self.headers = bearer(token)

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(f"/api/v1{path}", headers=self.headers, **kw)

    def post(self, path: str, json: Any = None, headers: dict[str, str] | None = None) -> Any:
        return self.client.post(f"/api/v1{path}", json=json, headers=self.headers | (headers or {}))

    def patch(self, path: str, json: Any, headers: dict[str, str] | None = None) -> Any:
        return self.client.patch(
            f"/api/v1{path}", json=json, headers=self.headers | (headers or {})
        )


@pytest.fixture
def people(client: TestClient, world: World, database: Database, clock: Clock) -> dict[str, Api]:
    return {
        role: Api(client, token_for(database, email, clock.now))
        for role, email in {
            "ph": world.member,
            "id": world.member2,
            "th": world.member3,
            "sec": world.secretariat,
            "sec2": world.secretariat2,
            "chair": world.chair,
            "observer": world.observer,
        }.items()
    }


def amend(
    api: Api, text: str, *, submit: bool = True, delegation: str | None = None, **extra: Any
) -> Any:
    body = {
        "kind": "amend",
        "targets": ["FC-CD-01"],
        "content": {"text": text},
        "rationale": "Clearer wording",
        "submit": submit,
    } | extra
    if delegation:
        body["delegation"] = delegation
    return api.post("/proposals", body)


def etag(response: Any) -> dict[str, str]:
    return {"If-Match": response.headers["etag"]}


def test_end_to_end_three_delegations_and_the_secretariat(people: dict[str, Api]) -> None:
    ph, id_, th, sec = people["ph"], people["id"], people["th"], people["sec"]

    created = amend(
        ph, "Passport or personal phone confiscated by the operators", delegation="PH-SOMTC"
    )
    assert created.status_code == 201, created.text
    p = created.json()
    assert (p["reference"], p["state"], p["delegation"]) == (
        f"P-{p['id']}",
        "submitted",
        "PH-SOMTC",
    )
    assert {
        "field": "text",
        "ops": [
            {"op": "equal", "text": "Passport or personal phone "},
            {"op": "delete", "text": "taken"},
            {"op": "insert", "text": "confiscated"},
            {"op": "equal", "text": " by the operators"},
        ],
    } in p["changes"]

    assert id_.post(f"/proposals/{p['id']}/sponsors", {}).status_code == 200
    objection = th.post(
        "/positions", {"proposal_id": p["id"], "stance": "objection", "statement": "Too narrow"}
    )
    assert objection.status_code == 201
    assert objection.json()["stance"] == "objection"

    comment = th.post(
        "/comments",
        {
            "item": "FC-CD-01",
            "quote": "personal phone",
            "body": "Include SIM cards?",
            "kind": "substantive",
        },
    )
    assert comment.status_code == 201, comment.text
    anchor = comment.json()["anchor"]
    assert (anchor["quote"], anchor["start"], anchor["end"]) == ("personal phone", 12, 26)

    # While TH objects, the secretariat cannot agree; a chair can override with a reason.
    current = sec.get(f"/proposals/{p['id']}")
    refused = sec.post(
        f"/proposals/{p['id']}/decision",
        {"outcome": "agreed", "reason": "ok", "acknowledged": True},
        etag(current),
    )
    assert refused.status_code == 409
    assert "there is an objection from TH-SOMTC" in refused.json()["detail"]

    th.post("/positions", {"proposal_id": p["id"], "stance": "support", "statement": "Convinced"})
    history = th.get("/items/FC-CD-01/consensus").json()
    on_proposal = {x["delegation"]: x["stance"] for x in history["proposals"][0]["positions"]}
    assert on_proposal["TH-SOMTC"] == "support"

    current = sec.get(f"/proposals/{p['id']}")
    decided = sec.post(
        f"/proposals/{p['id']}/decision",
        {
            "outcome": "agreed",
            "reason": "Consensus at the 2nd meeting",
            "answer": "Accepted",
            "acknowledged": True,
        },
        etag(current),
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["state"] == "agreed"

    indicator = sec.get("/indicators/FC-CD-01").json()
    assert indicator["text"] == "Passport or personal phone confiscated by the operators"
    assert indicator["revision"] == 2
    assert indicator["last_change"]["delegation"] == "PH-SOMTC"
    assert indicator["last_change"]["reason"].startswith(f"P-{p['id']} agreed")

    # The comment moved with its words into the new revision.
    moved = th.get("/comments", params={"item": "FC-CD-01"}).json()[0]["anchor"]
    assert (moved["revision"], moved["start"], moved["outdated"]) == (2, 12, False)

    assert (
        sec.post(
            f"/comments/{comment.json()['id']}/answer", {"answer": "Noted for Rev.1"}
        ).status_code
        == 200
    )
    table = sec.get("/responses").json()
    assert [(r["reference"], r["delegation"], r["answer"], r["outcome"]) for r in table] == [
        (f"P-{p['id']}", "PH-SOMTC", "Accepted", "agreed"),
        (comment.json()["reference"], "TH-SOMTC", "Noted for Rev.1", "answered"),
    ]

    notes = ph.get("/notifications").json()
    assert any(n["kind"] == "proposal.decided" and "agreed" in n["message"] for n in notes)


def test_an_outdated_proposal_is_refused_until_rebased(people: dict[str, Api]) -> None:
    ph, id_, sec = people["ph"], people["id"], people["sec"]
    first = amend(ph, "Passport or personal phone confiscated by the operators").json()
    second = amend(id_, "Passport or personal phone taken by the operators or recruiters").json()
    sec.post(
        f"/proposals/{first['id']}/decision",
        {"outcome": "agreed", "acknowledged": True},
        etag(sec.get(f"/proposals/{first['id']}")),
    )

    stale = sec.get(f"/proposals/{second['id']}")
    assert stale.json()["outdated"] is True
    refused = sec.post(
        f"/proposals/{second['id']}/decision",
        {"outcome": "agreed", "acknowledged": True},
        etag(stale),
    )
    assert refused.status_code == 409
    assert "rebase" in refused.json()["detail"]

    rebased = id_.post(f"/proposals/{second['id']}/rebase", {}, etag(stale))
    assert rebased.status_code == 200, rebased.text
    assert rebased.json()["outdated"] is False
    assert rebased.json()["content"]["text"] == (
        "Passport or personal phone confiscated by the operators or recruiters"
    )
    agreed = sec.post(
        f"/proposals/{second['id']}/decision",
        {"outcome": "agreed", "acknowledged": True},
        etag(rebased),
    )
    assert agreed.status_code == 200
    assert sec.get("/indicators/FC-CD-01").json()["revision"] == 3


def test_a_conflicting_rebase_asks_for_a_resolution(people: dict[str, Api]) -> None:
    ph, id_, sec = people["ph"], people["id"], people["sec"]
    first = amend(ph, "Passport seized by the operators").json()
    second = amend(id_, "Passport withheld by the operators").json()
    sec.post(
        f"/proposals/{first['id']}/decision",
        {"outcome": "agreed", "acknowledged": True},
        etag(sec.get(f"/proposals/{first['id']}")),
    )
    stale = id_.get(f"/proposals/{second['id']}")
    conflict = id_.post(f"/proposals/{second['id']}/rebase", {}, etag(stale))
    assert conflict.status_code == 409
    assert conflict.json()["field"] == "text"
    resolved = id_.post(
        f"/proposals/{second['id']}/rebase",
        {"resolutions": {"text": "Passport seized or withheld by the operators"}},
        etag(stale),
    )
    assert resolved.status_code == 200
    assert resolved.json()["content"] == {"text": "Passport seized or withheld by the operators"}


def test_drafts_are_private_to_the_delegation(people: dict[str, Api]) -> None:
    ph, id_, sec = people["ph"], people["id"], people["sec"]
    draft = amend(ph, "Draft wording", submit=False).json()
    assert draft["state"] == "draft"
    assert id_.get(f"/proposals/{draft['id']}").status_code == 404
    assert sec.get(f"/proposals/{draft['id']}").status_code == 404
    assert all(p["id"] != draft["id"] for p in id_.get("/proposals").json()["items"])
    assert ph.get(f"/proposals/{draft['id']}").status_code == 200
    submitted = ph.post(f"/proposals/{draft['id']}/submit")
    assert submitted.json()["state"] == "submitted"
    assert id_.get(f"/proposals/{draft['id']}").status_code == 200


def test_only_the_proposing_delegation_revises_or_withdraws(people: dict[str, Api]) -> None:
    ph, id_ = people["ph"], people["id"]
    p = amend(ph, "Passport taken").json()
    current = id_.get(f"/proposals/{p['id']}")
    assert (
        id_.patch(f"/proposals/{p['id']}", {"rationale": "mine now"}, etag(current)).status_code
        == 403
    )
    assert id_.post(f"/proposals/{p['id']}/withdraw").status_code == 403
    revised = ph.patch(
        f"/proposals/{p['id']}", {"content": {"text": "Passport kept"}}, etag(current)
    )
    assert revised.status_code == 200
    stale = ph.patch(f"/proposals/{p['id']}", {"content": {"text": "Again"}}, etag(current))
    assert stale.status_code == 412
    assert ph.patch(f"/proposals/{p['id']}", {"content": {"text": "x"}}).status_code == 428
    assert ph.post(f"/proposals/{p['id']}/withdraw").json()["state"] == "withdrawn"


def test_members_act_only_for_their_own_delegations(people: dict[str, Api]) -> None:
    response = amend(people["ph"], "Passport taken", delegation="ID-AICHR")
    assert response.status_code == 403
    assert response.json()["field"] == "delegation"
    assert (
        amend(people["ph"], "Passport taken", delegation="PH-ACWC").json()["delegation"]
        == "PH-ACWC"
    )


def test_guarded_transitions_name_the_current_state(people: dict[str, Api]) -> None:
    ph, sec = people["ph"], people["sec"]
    p = amend(ph, "Passport taken away").json()
    ph.post(f"/proposals/{p['id']}/withdraw")
    current = sec.get(f"/proposals/{p['id']}")
    response = sec.post(
        f"/proposals/{p['id']}/decision", {"outcome": "agreed", "acknowledged": True}, etag(current)
    )
    assert response.status_code == 409
    assert "is withdrawn" in response.json()["detail"]
    again = ph.post(f"/proposals/{p['id']}/withdraw")
    assert again.status_code == 409


def test_not_retained_needs_a_reason_and_merged_needs_a_target(people: dict[str, Api]) -> None:
    ph, id_, sec = people["ph"], people["id"], people["sec"]
    a = amend(ph, "Passport taken away").json()
    b = amend(id_, "Passport taken from the person").json()
    current = sec.get(f"/proposals/{a['id']}")
    no_reason = sec.post(
        f"/proposals/{a['id']}/decision", {"outcome": "not_retained"}, etag(current)
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["field"] == "reason"
    merged = sec.post(
        f"/proposals/{a['id']}/decision",
        {"outcome": "merged", "merged_into": b["id"]},
        etag(current),
    )
    assert merged.json()["state"] == "merged"
    assert merged.json()["merged_into"] == b["id"]


def test_agreed_with_modifications_applies_the_secretariat_text(people: dict[str, Api]) -> None:
    ph, sec = people["ph"], people["sec"]
    p = amend(ph, "Passport taken by operators").json()
    current = sec.get(f"/proposals/{p['id']}")
    decided = sec.post(
        f"/proposals/{p['id']}/decision",
        {
            "outcome": "agreed_modified",
            "content": {"text": "Passport confiscated by operators"},
            "acknowledged": True,
        },
        etag(current),
    )
    assert decided.json()["state"] == "agreed_modified"
    assert decided.json()["applied_content"] == {"text": "Passport confiscated by operators"}
    assert sec.get("/indicators/FC-CD-01").json()["text"] == "Passport confiscated by operators"


def test_add_delete_and_merge_proposals_change_the_register(people: dict[str, Api]) -> None:
    ph, sec = people["ph"], people["sec"]
    add = ph.post(
        "/proposals",
        {
            "kind": "add",
            "dimension": "CD",
            "content": {
                "text": "Debt for travel and food imposed on arrival",
                "strength_adult": "medium",
            },
            "submit": True,
        },
    ).json()
    delete = ph.post(
        "/proposals", {"kind": "delete", "targets": ["FC-DR-01"], "submit": True}
    ).json()
    merge = ph.post(
        "/proposals",
        {
            "kind": "merge",
            "targets": ["FC-CD-01", "FC-CD-02"],
            "content": {"text": "Passport taken, or confined to a guarded compound"},
            "submit": True,
        },
    ).json()
    for p in (add, delete, merge):
        r = sec.post(
            f"/proposals/{p['id']}/decision",
            {"outcome": "agreed", "acknowledged": True},
            etag(sec.get(f"/proposals/{p['id']}")),
        )
        assert r.status_code == 200, r.text
    rows = {i["code"]: i for i in sec.get("/indicators").json()["items"]}
    assert rows["FC-CD-03"]["text"] == "Debt for travel and food imposed on arrival"
    assert rows["FC-DR-01"]["status"] == "withdrawn"
    assert rows["FC-CD-01"]["text"] == "Passport taken, or confined to a guarded compound"
    assert rows["FC-CD-02"]["status"] == "withdrawn"


def test_alternatives_are_listed_side_by_side(people: dict[str, Api]) -> None:
    amend(people["ph"], "Passport taken by operators", delegation="PH-SOMTC")
    amend(people["id"], "Identity documents taken by operators")
    consensus = people["th"].get("/items/FC-CD-01/consensus").json()
    assert [p["delegation"] for p in consensus["proposals"]] == ["PH-SOMTC", "ID-AICHR"]


def test_position_changes_keep_their_history(people: dict[str, Api], database: Database) -> None:
    from sqlalchemy import select

    from app.models import Position

    th = people["th"]
    th.post("/positions", {"item": "FC-CD-01", "stance": "reservation"})
    th.post(
        "/positions",
        {"item": "FC-CD-01", "stance": "ad_referendum", "statement": "Pending capital"},
    )
    picture = th.get("/items/FC-CD-01/consensus").json()["positions"]
    by_code = {p["delegation"]: p for p in picture}
    assert by_code["TH-SOMTC"]["stance"] == "ad_referendum"
    assert by_code["PH-SOMTC"]["stance"] is None  # pending
    with database.transaction(write=False) as s:
        rows = s.scalars(select(Position).order_by(Position.id)).all()
        assert [(r.stance.value, r.superseded_at is not None) for r in rows] == [
            ("reservation", True),
            ("ad_referendum", False),
        ]


def test_marking_agreed_needs_no_objection_or_a_chair_override(people: dict[str, Api]) -> None:
    th, sec, chair = people["th"], people["sec"], people["chair"]
    th.post("/positions", {"item": "FC-CD-01", "stance": "objection"})
    refused = sec.post("/items/FC-CD-01/state", {"state": "agreed"})
    assert refused.status_code == 409
    no_reason = chair.post("/items/FC-CD-01/state", {"state": "agreed"})
    assert no_reason.status_code == 409
    ok = chair.post(
        "/items/FC-CD-01/state", {"state": "agreed", "override_reason": "Chair's ruling"}
    )
    assert ok.json()["drafting_state"] == "agreed"
    assert (
        sec.post("/items/FC-CD-02/state", {"state": "agreed_ad_ref"}).json()["drafting_state"]
        == "agreed_ad_ref"
    )


def test_comment_visibility_threads_and_resolution(people: dict[str, Api]) -> None:
    ph, id_, sec, chair = people["ph"], people["id"], people["sec"], people["chair"]
    own = ph.post(
        "/comments", {"item": "FC-CD-01", "body": "Internal note", "visibility": "delegation"}
    ).json()
    chairs = ph.post(
        "/comments", {"item": "FC-CD-01", "body": "For chairs", "visibility": "chairs_secretariat"}
    ).json()
    public = ph.post("/comments", {"item": "FC-CD-01", "body": "Public"}).json()
    assert id_.get(f"/comments/{own['id']}").status_code == 404
    assert id_.get(f"/comments/{chairs['id']}").status_code == 404
    assert sec.get(f"/comments/{own['id']}").status_code == 404
    assert chair.get(f"/comments/{chairs['id']}").status_code == 200
    assert [c["id"] for c in id_.get("/comments", params={"item": "FC-CD-01"}).json()] == [
        public["id"]
    ]

    reply = id_.post("/comments", {"parent_id": public["id"], "body": "Agree"})
    assert reply.status_code == 201
    thread = ph.get(f"/comments/{public['id']}").json()
    assert [r["body"] for r in thread["replies"]] == ["Agree"]
    assert any(n["kind"] == "comment.reply" for n in ph.get("/notifications").json())

    assert id_.post(f"/comments/{public['id']}/resolve").status_code == 403
    assert ph.post(f"/comments/{public['id']}/resolve").json()["resolved"] is True
    assert sec.post(f"/comments/{public['id']}/reopen").json()["resolved"] is False

    current = ph.get(f"/comments/{public['id']}")
    assert id_.patch(f"/comments/{public['id']}", {"body": "x"}, etag(current)).status_code == 403
    assert (
        ph.patch(f"/comments/{public['id']}", {"body": "Public, edited"}, etag(current)).status_code
        == 200
    )
    withdrawn = ph.post(f"/comments/{public['id']}/withdraw").json()
    assert withdrawn["withdrawn"] is True


def test_comment_on_words_that_are_later_removed_becomes_outdated(people: dict[str, Api]) -> None:
    th, sec = people["th"], people["sec"]
    c = th.post("/comments", {"item": "FC-CD-01", "quote": "taken", "body": "Seized?"}).json()
    current = sec.get("/indicators/FC-CD-01")
    sec.patch(
        "/indicators/FC-CD-01",
        {"text": "Passport or phone seized by operators", "reason": "r"},
        etag(current),
    )
    anchor = th.get(f"/comments/{c['id']}").json()["anchor"]
    assert anchor["outdated"] is True
    assert anchor["quote"] == "taken"  # the original quote is kept


def test_observers_comment_only_where_the_round_allows(people: dict[str, Api]) -> None:
    obs, sec = people["observer"], people["sec"]
    assert obs.post("/comments", {"item": "FC-CD-01", "body": "Expert view"}).status_code == 403
    sec.post(
        "/rounds", {"symbol": "DWG-FC/ZD", "title": "Zero Draft", "observers_may_comment": True}
    )
    assert sec.post("/rounds/DWG-FC/ZD/open").status_code == 200
    opened = sec.get("/rounds").json()[0]
    assert opened["state"] == "open"
    assert obs.post("/comments", {"item": "FC-CD-01", "body": "Expert view"}).status_code == 201
    assert obs.post("/proposals", {"kind": "delete", "targets": ["FC-CD-01"]}).status_code == 403


def test_input_after_the_deadline_is_refused_unless_accepted_late(
    people: dict[str, Api], clock: Clock
) -> None:
    ph, sec = people["ph"], people["sec"]
    created = sec.post(
        "/rounds",
        {
            "symbol": "ZD",
            "title": "Zero Draft",
            "time_zone": "Asia/Bangkok",
            "deadline": "2026-03-06T10:00:00+00:00",
        },
    )
    assert created.status_code == 201, created.text
    sec.post("/rounds/ZD/open")
    assert amend(ph, "Passport taken early").status_code == 201
    clock.advance(days=5)
    late = amend(ph, "Passport taken late")
    assert late.status_code == 409
    detail = late.json()["detail"]
    assert "06 March 2026 10:00 UTC" in detail
    assert "06 March 2026 17:00 Asia/Bangkok" in detail
    grant = sec.post(
        "/rounds/ZD/late-input", {"delegation": "PH-SOMTC", "until": "2026-03-09T10:00:00Z"}
    )
    assert grant.status_code == 201, grant.text
    accepted = amend(ph, "Passport taken late", delegation="PH-SOMTC")
    assert accepted.status_code == 201
    assert accepted.json()["late"] is True
    rows = sec.get("/responses").json()
    assert [r["late"] for r in rows] == [False, True]


def test_csv_table_is_safe_in_a_spreadsheet(people: dict[str, Api]) -> None:
    ph, sec = people["ph"], people["sec"]
    ph.post("/comments", {"item": "FC-CD-01", "body": '=HYPERLINK("http://evil","click")'})
    response = sec.get("/responses.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "'=HYPERLINK" in response.text
    assert '"=HYPERLINK' not in response.text


def test_every_state_change_is_audited(people: dict[str, Api], database: Database) -> None:
    from sqlalchemy import select

    from app.models import AuditEvent

    ph, id_, sec = people["ph"], people["id"], people["sec"]
    p = amend(ph, "Passport taken over").json()
    id_.post(f"/proposals/{p['id']}/sponsors", {})
    sec.post(
        f"/proposals/{p['id']}/decision",
        {"outcome": "agreed", "acknowledged": True},
        etag(sec.get(f"/proposals/{p['id']}")),
    )
    with database.transaction(write=False) as s:
        actions = s.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.action.like("proposal.%"))
            .order_by(AuditEvent.id)
        ).all()
    assert actions == [
        "proposal.create",
        "proposal.submit",
        "proposal.sponsor",
        "proposal.decide.agreed",
    ]


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ({"text": {"a": 1}}, "text"),
        ({"text": ["a", "b"]}, "text"),
        ({"text": True}, "text"),
        ({"text": 10**30}, "text"),
        ({"strength_adult": "bogus"}, "strength_adult"),
        ({"element": "nonsense"}, "element"),
        ({"guidance": None}, "guidance"),
        ({"crime_types": "online_fraud"}, "crime_types"),
    ],
)
def test_proposed_values_are_checked_like_a_direct_edit(
    people: dict[str, Api], content: dict[str, Any], field: str
) -> None:
    response = people["ph"].post(
        "/proposals", {"kind": "amend", "targets": ["FC-CD-01"], "content": content, "submit": True}
    )
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field


def test_comments_on_a_private_draft_stay_with_its_delegation(people: dict[str, Api]) -> None:
    ph, th, sec, chair = people["ph"], people["th"], people["sec"], people["chair"]
    draft = amend(ph, "SECRET draft wording", submit=False, delegation="PH-SOMTC").json()
    note = ph.post(
        "/comments",
        {
            "proposal_id": draft["id"],
            "quote": "SECRET",
            "body": "SECRET note",
            "delegation": "PH-SOMTC",
        },
    )
    assert note.status_code == 201, note.text
    for other in (th, sec, chair):
        assert other.get(f"/comments/{note.json()['id']}").status_code == 404
        assert other.get("/comments", params={"proposal_id": draft["id"]}).status_code == 404
        assert "SECRET" not in other.get("/responses").text
        assert "SECRET" not in other.get("/responses.csv").text
    assert ph.get(f"/comments/{note.json()['id']}").status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body", "headers"),
    [
        ("GET", "/proposals/9223372036854775808", None, {}),
        ("GET", "/comments/" + "9" * 30, None, {}),
        ("POST", "/notifications/9223372036854775808/read", None, {}),
        ("GET", "/indicators/FC-CD-01/revisions/9223372036854775808", None, {}),
        ("GET", "/comments", None, {}),
        ("POST", "/positions", {"stance": "support", "proposal_id": 10**30}, {}),
        ("POST", "/comments", {"body": "b", "item": "FC-CD-01", "parent_id": 10**30}, {}),
        ("PATCH", "/indicators/FC-CD-01", {"text": "x", "reason": "r"}, {"If-Match": "9" * 5000}),
        ("GET", "/rounds/" + "9" * 25, None, {}),
        ("GET", "/rounds/%C2%B2", None, {}),
        (
            "POST",
            "/rounds",
            {"symbol": "R-A", "title": "t", "deadline": "9999-12-31T23:59:59-12:00"},
            {},
        ),
    ],
)
def test_hostile_numbers_get_a_clear_4xx_not_a_500(
    people: dict[str, Api], method: str, path: str, body: Any, headers: dict[str, str]
) -> None:
    api = people["sec"] if method == "PATCH" or path == "/rounds" else people["ph"]
    response = api.client.request(
        method, f"/api/v1{path}", json=body, headers=api.headers | headers
    )
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert response.json()["detail"]
