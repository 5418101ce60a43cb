"""The demo's case studies (issue 21): at least eight fictional cases of scam-compound and
drug-courier victims and near-misses, 5-10 facts each, every fact coded against the demo's
indicators with evidence from its own words, bands only, each reference outcome with reasoning;
the restricted ones seen only by the secretariat and their contributors."""

from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from app.cases import service as cases
from app.db import Database
from app.demo.loader import load_demo
from tests.factories import bearer, token_for
from tests.helpers import Clock


def demo(database: Database, now: datetime) -> None:
    with database.transaction() as session:
        load_demo(session, now=now)


pytestmark = pytest.mark.start_from.with_args(demo)

SECRETARIAT = "secretariat1@demo.zerodraft.org"


def test_the_demo_has_eight_coded_case_studies(
    client: TestClient, database: Database, clock: Clock
) -> None:
    sec = bearer(token_for(database, SECRETARIAT, clock.now))
    listed = client.get("/api/v1/cases", headers=sec).json()
    assert len(listed) >= 8
    assert {c["crime_form"] for c in listed} >= {"online_scam", "drug_courier"}
    assert {c["outcome"] for c in listed} == {
        "trafficked_forced_criminality",
        "exploited_not_trafficked",
        "insufficient_information",
    }
    assert {c["profile"] for c in listed} == {"adult", "child"}
    for summary in listed:
        case = client.get(f"/api/v1/cases/{summary['id']}", headers=sec).json()
        assert 5 <= len(case["facts"]) <= 10, case["reference"]
        assert case["outcome_reasoning"] and case["summary"]
        assert cases.age_band(case["age_band"]) == case["age_band"]
        assert cases.period(case["period"]) == case["period"]
        for fact in case["facts"]:
            assert fact["codings"], (case["reference"], fact["number"])
            for coding in fact["codings"]:
                assert coding["via"] is None
                assert coding["evidence_found"]
                if coding["status"] == "present":
                    assert coding["evidence"].casefold() in fact["text"].casefold()
        assert case["open_findings"] == 0 or case["visibility"] == "restricted"


def test_restricted_demo_cases_are_their_contributors_alone(
    client: TestClient, database: Database, clock: Clock
) -> None:
    sec = bearer(token_for(database, SECRETARIAT, clock.now))
    every = client.get("/api/v1/cases", headers=sec).json()
    restricted = [c for c in every if c["visibility"] == "restricted"]
    assert restricted
    observer = bearer(token_for(database, "observer@demo.zerodraft.org", clock.now))
    seen = {c["id"] for c in client.get("/api/v1/cases", headers=observer).json()}
    assert seen == {c["id"] for c in every if c["visibility"] == "group"}
    for c in restricted:
        assert client.get(f"/api/v1/cases/{c['id']}", headers=observer).status_code == 404
    # The double-coded case studies have two coders on every fact.
    singapore = bearer(token_for(database, "member.sg@demo.zerodraft.org", clock.now))
    mine = client.get("/api/v1/cases", headers=singapore).json()
    assert any(c["visibility"] == "restricted" for c in mine)
