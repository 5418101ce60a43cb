"""Case studies through HTTP (issue 21): opening one with quasi-identifiers as bands only,
restricted visibility (404 to others, as if it did not exist), facts and their codings with
evidence from the fact's own words, 412 on a stale version, codings following a merge and a
split of indicators, and the personal-data gate on sharing."""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.cases import personal
from app.db import Database
from tests.factories import World, bearer, token_for
from tests.helpers import Clock, logged_in, text_of

CASE = {
    "title": "Customer-service job that led to a guarded compound",
    "summary": "A graduate answered an online job offer and was taken across a border.",
    "profile": "adult",
    "crime_form": "online_scam",
    "age_band": "18-24",
    "nationality": "Viet Nam",
    "place": "Myanmar border area",
    "period": "2023",
    "outcome": "trafficked_forced_criminality",
    "outcome_reasoning": "Deceptive recruitment, confinement and compelled fraud.",
}
FACT = {
    "text": "The recruiter took her passport on arrival and kept it in the office safe.",
    "phase": "exploitation",
    "source": "victim_interview",
}


class Api:
    def __init__(self, client: TestClient, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers

    def get(self, path: str) -> Any:
        return self.client.get(f"/api/v1{path}", headers=self.headers)

    def post(self, path: str, json: Any = None, headers: dict[str, str] | None = None) -> Any:
        return self.client.post(f"/api/v1{path}", json=json, headers=self.headers | (headers or {}))

    def patch(self, path: str, json: Any, headers: dict[str, str] | None = None) -> Any:
        return self.client.patch(
            f"/api/v1{path}", json=json, headers=self.headers | (headers or {})
        )

    def put(self, path: str, json: Any, headers: dict[str, str] | None = None) -> Any:
        return self.client.put(f"/api/v1{path}", json=json, headers=self.headers | (headers or {}))


@pytest.fixture
def people(client: TestClient, world: World, database: Database, clock: Clock) -> dict[str, Api]:
    return {
        who: Api(client, bearer(token_for(database, email, clock.now)))
        for who, email in {
            "sec": world.secretariat,
            "ph": world.member,
            "th": world.member3,
            "chair": world.chair,
            "observer": world.observer,
            "admin": world.admin,
        }.items()
    }


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def refused(response: Any, status: int, field: str | None = None) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    if field is not None:
        assert body.get("field") == field, body
    detail: str = body["detail"]
    return detail


def open_case(sec: Api, world: World, **extra: Any) -> Any:
    return ok(sec.post("/cases", CASE | {"contributors": [world.member]} | extra), 201)


def test_a_restricted_case_study_is_seen_by_the_secretariat_and_its_contributors_only(
    people: dict[str, Api], world: World
) -> None:
    sec, ph, th = people["sec"], people["ph"], people["th"]
    case = open_case(sec, world)
    assert case["reference"] == "CS-01"
    assert case["visibility"] == "restricted"
    assert (case["age_band"], case["period"], case["place"]) == ("18-24", "2023", CASE["place"])
    cid = case["id"]

    # The contributor reads and writes it; others get the same 404 as for a case that is not.
    assert ok(ph.get(f"/cases/{cid}"))["title"] == CASE["title"]
    missing = refused(th.get("/cases/999999"), 404)
    for who in ("th", "chair", "observer"):
        assert refused(people[who].get(f"/cases/{cid}"), 404) == missing.replace("999999", str(cid))
        assert ok(people[who].get("/cases")) == []
        assert refused(people[who].post(f"/cases/{cid}/facts", FACT), 404)
    assert refused(people["admin"].get(f"/cases/{cid}"), 403)
    assert [c["reference"] for c in ok(ph.get("/cases"))] == ["CS-01"]

    # Shared with the group: everyone with the read permission sees it; only writers write.
    etag = sec.get(f"/cases/{cid}").headers["ETag"]
    shared = ok(sec.patch(f"/cases/{cid}", {"visibility": "group"}, {"If-Match": etag}))
    assert shared["visibility"] == "group"
    for who in ("th", "chair", "observer"):
        assert ok(people[who].get(f"/cases/{cid}"))["reference"] == "CS-01"
    refused(th.post(f"/cases/{cid}/facts", FACT), 403)

    # Only the secretariat opens case studies and shares them.
    refused(ph.post("/cases", CASE), 403)
    etag = ph.get(f"/cases/{cid}").headers["ETag"]
    refused(ph.patch(f"/cases/{cid}", {"visibility": "restricted"}, {"If-Match": etag}), 403)


def test_edits_are_versioned_and_audited(people: dict[str, Api], world: World) -> None:
    sec, ph = people["sec"], people["ph"]
    case = open_case(sec, world)
    cid = case["id"]
    first = sec.get(f"/cases/{cid}").headers["ETag"]
    refused(ph.patch(f"/cases/{cid}", {"title": "x"}), 428)
    edited = ok(ph.patch(f"/cases/{cid}", {"period": "2022-2024"}, {"If-Match": first}))
    assert edited["period"] == "2022-2024"
    # The same ETag again: someone changed it meanwhile.
    refused(sec.patch(f"/cases/{cid}", {"title": "Another"}, {"If-Match": first}), 412)

    fact = ok(ph.post(f"/cases/{cid}/facts", FACT), 201)["facts"][0]
    assert fact["number"] == 1
    tag = f'"F-{fact["id"]}.v{fact["version"]}"'
    changed = ok(
        ph.patch(
            f"/cases/{cid}/facts/{fact['id']}",
            {"text": FACT["text"] + " She was told she owed a fee."},
            {"If-Match": tag},
        )
    )
    assert changed["facts"][0]["text"].endswith("owed a fee.")
    refused(ph.patch(f"/cases/{cid}/facts/{fact['id']}", {"phase": "exit"}, {"If-Match": tag}), 412)

    audit = ok(sec.get("/audit?object_type=case"))
    actions = [e["action"] for e in audit["events"]]
    assert {"case.create", "case.update", "case.fact.add", "case.fact.edit"} <= set(actions)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("age_band", "23"),
        ("age_band", "23 years"),
        ("age_band", "24-18"),
        ("period", "2023-05-14"),
        ("period", "14/05/2023"),
        ("period", "May 2023"),
        ("place", "12 Rue Pasteur"),
        ("nationality", "born 1999"),
        ("profile", "teenager"),
        ("crime_form", "smuggling"),
        ("outcome", "guilty"),
        ("visibility", "public"),
    ],
)
def test_exact_identifiers_and_unknown_choices_are_refused_naming_the_field(
    people: dict[str, Api], world: World, field: str, value: str
) -> None:
    detail = refused(people["sec"].post("/cases", CASE | {field: value}), 422, field)
    if field in ("age_band", "period"):
        assert "exact" in detail


def test_bands_are_written_one_way(people: dict[str, Api], world: World) -> None:
    case = open_case(people["sec"], world, age_band="under 18", period="2021 – 2022")
    assert (case["age_band"], case["period"]) == ("under 18", "2021-2022")
    case = open_case(people["sec"], world, age_band="35 and over", period="")
    assert (case["age_band"], case["reference"]) == ("35+", "CS-02")


def test_coding_a_fact_needs_its_own_words_as_evidence(
    people: dict[str, Api], world: World
) -> None:
    sec, ph = people["sec"], people["ph"]
    cid = open_case(sec, world)["id"]
    fact = ok(ph.post(f"/cases/{cid}/facts", FACT), 201)["facts"][0]
    path = f"/cases/{cid}/facts/{fact['id']}/codings"

    coded = ok(
        ph.post(
            path, {"indicator": "fc-cd-01", "status": "present", "evidence": "took her  passport"}
        ),
        201,
    )
    assert (coded["indicator"], coded["status"], coded["evidence"]) == (
        "FC-CD-01",
        "present",
        "took her passport",
    )
    assert coded["coder"] == "Maria Santos"
    refused(
        ph.post(path, {"indicator": "FC-CD-01", "status": "present", "evidence": "beaten"}),
        422,
        "evidence",
    )
    refused(ph.post(path, {"indicator": "FC-CD-01", "status": "present"}), 422, "evidence")
    refused(ph.post(path, {"indicator": "FC-ZZ-99", "status": "absent"}), 422, "indicator")
    refused(ph.post(path, {"indicator": "SEC-PURPOSE", "status": "absent"}), 422, "indicator")
    refused(ph.post(path, {"indicator": "FC-CD-01", "status": "maybe"}), 422, "status")
    refused(
        ph.post(
            f"/cases/{cid}/facts/999999/codings", {"indicator": "FC-CD-01", "status": "absent"}
        ),
        404,
    )

    # A second coder, and the first coder changing their mind: one current coding each.
    ok(sec.post(path, {"indicator": "FC-CD-01", "status": "unknown"}), 201)
    ok(ph.post(path, {"indicator": "FC-CD-01", "status": "absent"}), 201)
    codings = ok(ph.get(f"/cases/{cid}"))["facts"][0]["codings"]
    assert sorted((c["coder"], c["status"]) for c in codings) == [
        ("Maria Santos", "absent"),
        ("Siti Secretariat", "unknown"),
    ]
    # The replaced coding is kept, with when it was replaced.
    history = ok(ph.get(path))
    assert [(h["coder"], h["status"], h["superseded_at"] is None) for h in history] == [
        ("Maria Santos", "present", False),
        ("Siti Secretariat", "unknown", True),
        ("Maria Santos", "absent", True),
    ]
    refused(people["th"].get(path), 404)


def test_facts_are_reordered_under_the_case_version(people: dict[str, Api], world: World) -> None:
    sec = people["sec"]
    cid = open_case(sec, world)["id"]
    for words in ("First fact.", "Second fact.", "Third fact."):
        ok(sec.post(f"/cases/{cid}/facts", FACT | {"text": words}), 201)
    read = sec.get(f"/cases/{cid}")
    ids = [f["id"] for f in read.json()["facts"]]
    moved = ok(
        sec.put(
            f"/cases/{cid}/facts/order", {"order": ids[::-1]}, {"If-Match": read.headers["ETag"]}
        )
    )
    assert [f["text"] for f in moved["facts"]] == ["Third fact.", "Second fact.", "First fact."]
    assert [f["number"] for f in moved["facts"]] == [1, 2, 3]
    refused(
        sec.put(f"/cases/{cid}/facts/order", {"order": ids}, {"If-Match": read.headers["ETag"]}),
        412,
    )
    etag = sec.get(f"/cases/{cid}").headers["ETag"]
    refused(
        sec.put(f"/cases/{cid}/facts/order", {"order": ids[:2]}, {"If-Match": etag}), 422, "order"
    )


def _decide(sec: Api, proposal_id: int) -> None:
    current = sec.get(f"/proposals/{proposal_id}")
    ok(
        sec.post(
            f"/proposals/{proposal_id}/decision",
            {"outcome": "agreed", "reason": "Agreed", "acknowledged": True},
            {"If-Match": current.headers["etag"]},
        )
    )


def test_codings_follow_a_merge_and_a_split_of_indicators(
    people: dict[str, Api], world: World
) -> None:
    sec, ph = people["sec"], people["ph"]
    cid = open_case(sec, world)["id"]
    fact = ok(
        ph.post(
            f"/cases/{cid}/facts",
            FACT
            | {"text": "Her phone and passport were taken and she was kept in a guarded compound."},
        ),
        201,
    )["facts"][0]
    path = f"/cases/{cid}/facts/{fact['id']}/codings"
    ok(
        ph.post(
            path,
            {
                "indicator": "FC-CD-01",
                "status": "present",
                "evidence": "phone and passport were taken",
            },
        ),
        201,
    )
    ok(
        ph.post(
            path,
            {
                "indicator": "FC-CD-02",
                "status": "present",
                "evidence": "kept in a guarded compound",
            },
        ),
        201,
    )

    # FC-CD-02 is merged into FC-CD-01; a new indicator is split from FC-CD-01.
    merge = ok(
        ph.post(
            "/proposals",
            {
                "kind": "merge",
                "targets": ["FC-CD-01", "FC-CD-02"],
                "content": {"text": "Passport or phone taken, or confined to a guarded compound"},
                "delegation": "PH-SOMTC",
                "submit": True,
            },
        ),
        201,
    )["id"]
    split = ok(
        ph.post(
            "/proposals",
            {
                "kind": "add",
                "targets": ["FC-CD-01"],
                "dimension": "CD",
                "content": {"text": "Personal phone or SIM card taken by the operators"},
                "delegation": "PH-SOMTC",
                "submit": True,
            },
        ),
        201,
    )["id"]
    _decide(sec, merge)
    _decide(sec, split)
    new_code = ok(sec.get(f"/proposals/{split}"))
    indicators = {i["code"] for i in ok(sec.get("/indicators?dimension=CD&status=active"))["items"]}
    added = sorted(indicators - {"FC-CD-01", "FC-CD-02"})
    assert added, (indicators, new_code)
    new = added[-1]

    codings = ok(ph.get(f"/cases/{cid}"))["facts"][0]["codings"]
    seen = sorted((c["indicator"], c["coded_as"], c["via"]) for c in codings)
    assert seen == [
        ("FC-CD-01", "FC-CD-01", None),
        ("FC-CD-01", "FC-CD-02", "merged"),
        (new, "FC-CD-01", "split"),
    ]
    # Nothing was lost: every coding is still there, with its evidence.
    assert all(c["evidence"] and c["evidence_found"] for c in codings)
    # One piece of evidence does not become two indicators: on the item split off, the coding
    # counts as unknown until someone codes the fact against the new wording.
    status = {(c["indicator"], c["coded_as"]): (c["status"], c["needs_recoding"]) for c in codings}
    assert status[("FC-CD-01", "FC-CD-01")] == ("present", False)
    assert status[("FC-CD-01", "FC-CD-02")] == ("present", False)
    assert status[(new, "FC-CD-01")] == ("unknown", True)
    assert {c["coded_status"] for c in codings} == {"present"}
    # FC-CD-02 is withdrawn now: new codings go to the indicator that absorbed it.
    refused(ph.post(path, {"indicator": "FC-CD-02", "status": "absent"}), 422, "indicator")


@pytest.fixture
def detector() -> Iterator[None]:
    """A stand-in for app/text/personal_data.py: phone numbers and 'passport no. X'."""
    pattern = re.compile(r"\+?\d[\d -]{7,}\d|passport no\. ?[A-Z]\d+")
    personal.use(
        lambda text: [
            personal.Found("phone_number" if m.group()[0] != "p" else "passport_number", *m.span())
            for m in pattern.finditer(text)
        ]
    )
    yield
    personal.use(None)


def test_a_case_with_open_personal_data_is_not_shared(
    people: dict[str, Api], world: World, detector: None
) -> None:
    sec, ph, th = people["sec"], people["ph"], people["th"]
    cid = open_case(sec, world)["id"]
    fact = ok(
        ph.post(
            f"/cases/{cid}/facts",
            FACT | {"text": "She called her brother on +84 912 345 678 from a guard's phone."},
        ),
        201,
    )
    assert fact["open_findings"] == 1
    (finding,) = fact["findings"]
    assert (finding["kind"], finding["words"], finding["where"], finding["state"]) == (
        "phone_number",
        "+84 912 345 678",
        "fact 1",
        "open",
    )
    etag = sec.get(f"/cases/{cid}").headers["ETag"]
    detail = refused(
        sec.patch(f"/cases/{cid}", {"visibility": "group"}, {"If-Match": etag}), 409, "visibility"
    )
    assert "personal-data finding" in detail
    assert refused(th.get(f"/cases/{cid}"), 404)

    # Generalised: the next save finds it no more, and the finding is resolved.
    f = ok(ph.get(f"/cases/{cid}"))["facts"][0]
    fixed = ok(
        ph.patch(
            f"/cases/{cid}/facts/{f['id']}",
            {"text": "She called her brother from a guard's phone."},
            {"If-Match": f'"F-{f["id"]}.v{f["version"]}"'},
        )
    )
    assert fixed["open_findings"] == 0
    assert fixed["findings"][0]["state"] == "resolved"

    # In the narrative: dismissed as not personal data, it is not raised again.
    etag = sec.get(f"/cases/{cid}").headers["ETag"]
    summary = "The compound's hotline 0800 555 0199 was printed on every desk."
    narrated = ok(sec.patch(f"/cases/{cid}", {"summary": summary}, {"If-Match": etag}))
    (opened,) = [x for x in narrated["findings"] if x["state"] == "open"]
    assert opened["where"] == "summary"
    refused(th.post(f"/cases/{cid}/findings/{opened['id']}/dismiss"), 404)
    dismissed = ok(ph.post(f"/cases/{cid}/findings/{opened['id']}/dismiss"))
    assert (dismissed["state"], dismissed["reason"]) == ("dismissed", "not personal data")
    refused(ph.post(f"/cases/{cid}/findings/{opened['id']}/dismiss"), 409, "finding")
    etag = sec.get(f"/cases/{cid}").headers["ETag"]
    again = ok(sec.patch(f"/cases/{cid}", {"summary": summary + " "}, {"If-Match": etag}))
    assert again["open_findings"] == 0
    etag = sec.get(f"/cases/{cid}").headers["ETag"]
    assert (
        ok(sec.patch(f"/cases/{cid}", {"visibility": "group"}, {"If-Match": etag}))["visibility"]
        == "group"
    )
    assert ok(th.get(f"/cases/{cid}"))["reference"] == "CS-01"


def test_a_double_coded_case_study_shows_the_coders_agreement(
    people: dict[str, Api], world: World, app: FastAPI
) -> None:
    sec, ph = people["sec"], people["ph"]
    cid = open_case(sec, world, double_coding=True)["id"]
    assert ok(sec.get(f"/cases/{cid}"))["agreement"] is None
    texts = [
        "Her passport was taken by the operators.",
        "She was kept in a guarded compound.",
        "She was told to defraud people online.",
    ]
    for words in texts:
        ok(ph.post(f"/cases/{cid}/facts", FACT | {"text": words}), 201)
    facts = ok(sec.get(f"/cases/{cid}"))["facts"]
    first = {"FC-CD-01": "present", "FC-CD-02": "absent", "FC-DR-01": "absent"}
    second = {"FC-CD-01": "present", "FC-CD-02": "present", "FC-DR-01": "absent"}
    for coder, statuses in ((sec, first), (ph, second)):
        for fact, (code, status) in zip(facts, statuses.items(), strict=True):
            evidence = fact["text"].split()[-2] if status == "present" else ""
            body = {"indicator": code, "status": status, "evidence": evidence}
            ok(coder.post(f"/cases/{cid}/facts/{fact['id']}/codings", body), 201)
    agreement = ok(sec.get(f"/cases/{cid}"))["agreement"]
    assert agreement["units"] == 3
    assert agreement["only_one_coder"] == 0
    # Observed 2/3; expected (1*2 + 2*1)/9 = 4/9; kappa = (2/3 - 4/9) / (1 - 4/9) = 0.4.
    assert agreement["kappa"] == pytest.approx(0.4)
    assert agreement["interpretation"] == "fair"
    assert sorted(agreement["coders"]) == ["Maria Santos", "Siti Secretariat"]
    # The page says the observed agreement beside kappa (kappa alone read as disagreement where
    # nearly every coding is the same: the browser review).
    page = logged_in(app, world.secretariat).get(f"/cases/{cid}")
    assert "they agree on 67 % of the pairs; Cohen's kappa 0.40 (fair" in text_of(page.text)


def test_the_check_of_app_text_personal_data_runs_on_entry(
    people: dict[str, Api], world: World
) -> None:
    """With the app's own detector (no stand-in): a name and a date of birth in a fact are
    found, with what to write instead; the case study is not shared until they are gone."""
    sec, ph = people["sec"], people["ph"]
    cid = open_case(sec, world)["id"]
    text = "Ms Nguyen Thi Hoa, born on 14 March 2001, answered the advertisement."
    case = ok(ph.post(f"/cases/{cid}/facts", FACT | {"text": text}), 201)
    found = {(f["kind"], f["words"]): f["suggestion"] for f in case["findings"]}
    assert found[("date_of_birth", "14 March 2001")] == "born 2000-2004"
    assert ("name", "Ms Nguyen Thi Hoa") in found
    etag = sec.get(f"/cases/{cid}").headers["ETag"]
    refused(sec.patch(f"/cases/{cid}", {"visibility": "group"}, {"If-Match": etag}), 409)
    f = case["facts"][0]
    fixed = ok(
        ph.patch(
            f"/cases/{cid}/facts/{f['id']}",
            {"text": "The woman, born 2000-2004, answered the advertisement."},
            {"If-Match": f'"F-{f["id"]}.v{f["version"]}"'},
        )
    )
    assert fixed["open_findings"] == 0
    etag = sec.get(f"/cases/{cid}").headers["ETag"]
    assert (
        ok(sec.patch(f"/cases/{cid}", {"visibility": "group"}, {"If-Match": etag}))["visibility"]
        == "group"
    )
