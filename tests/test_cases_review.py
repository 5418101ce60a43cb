"""Defects an independent review of case studies found (issue 21), each pinned by a test:
personal data added after a case study is shared, a split turning one coding into two
indicators for the agreement, kappa over the pairs either coder coded, and the detector
imported directly (the check must not fail open)."""

import sys
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from app.cases import personal
from app.cases.service import CodingView, agreement
from app.db import Database
from app.models.audit import AuditEvent
from tests.factories import World
from tests.test_cases_api import CASE, FACT, Api, ok, open_case, refused
from tests.test_cases_api import people as people

PHONE = "She called her brother on +84 912 345 678 from a guard's phone."


def _shared(sec: Api, world: World) -> int:
    cid: int = open_case(sec, world)["id"]
    etag = sec.get(f"/cases/{cid}").headers["ETag"]
    ok(sec.patch(f"/cases/{cid}", {"visibility": "group"}, {"If-Match": etag}))
    return cid


def test_share_then_add_personal_data_is_refused_unless_confirmed(
    people: dict[str, Api],
    world: World,
    database: Database,
) -> None:
    sec, ph, th = people["sec"], people["ph"], people["th"]
    cid = _shared(sec, world)

    # A contributor adds a fact with a phone number: refused, naming the field, with findings.
    response = ph.post(f"/cases/{cid}/facts", FACT | {"text": PHONE})
    refused(response, 422, "text")
    body: dict[str, Any] = response.json()
    assert [(f["kind"], f["text"]) for f in body["findings"]] == [("phone", "+84 912 345 678")]
    assert "+84" not in body["detail"]
    # Nothing reached the group: the other delegation's member reads no fact.
    assert ok(th.get(f"/cases/{cid}"))["facts"] == []

    # Confirmed as not personal data: saved, the finding dismissed in the writer's name.
    saved = ok(
        ph.post(f"/cases/{cid}/facts", FACT | {"text": PHONE, "personal_data_checked": True}), 201
    )
    assert saved["open_findings"] == 0
    (finding,) = saved["findings"]
    assert finding["state"] == "dismissed"
    with database.session(write=False) as s:
        details = s.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "case.fact.add")
        ).all()
    assert [d.get("personal_data_confirmed") for d in details] == [[finding["id"]]]

    # Editing a shared fact to add personal data: refused the same way.
    f = ok(ph.get(f"/cases/{cid}"))["facts"][0]
    refused(
        ph.patch(
            f"/cases/{cid}/facts/{f['id']}",
            {"text": "Her sister's number was +66 81 234 5678."},
            {"If-Match": f'"F-{f["id"]}.v{f["version"]}"'},
        ),
        422,
        "text",
    )
    # And the narrative.
    etag = sec.get(f"/cases/{cid}").headers["ETag"]
    refused(
        ph.patch(
            f"/cases/{cid}", {"summary": "The boss's number: +84 912 345 999."}, {"If-Match": etag}
        ),
        422,
        "summary",
    )
    case = ok(th.get(f"/cases/{cid}"))
    assert "+84 912 345 999" not in case["summary"]
    assert case["open_findings"] == 0


def test_a_restricted_case_study_still_takes_findings_without_asking(
    people: dict[str, Api],
    world: World,
) -> None:
    """Unchanged for a case only its contributors see: saved, the finding open, sharing gated."""
    sec, ph = people["sec"], people["ph"]
    cid = open_case(sec, world)["id"]
    assert ok(ph.post(f"/cases/{cid}/facts", FACT | {"text": PHONE}), 201)["open_findings"] == 1


def _view(coder: int, fact: int, indicator: str, status: str, via: str | None = None) -> CodingView:
    return CodingView(
        id=coder * 100 + fact,
        fact_id=fact,
        indicator=indicator,
        coded_as=indicator if via is None else "FC-CD-01",
        via=via,
        status="unknown" if via == "split" else status,
        evidence="",
        evidence_found=True,
        coder=f"coder {coder}",
        coder_id=coder,
        at=datetime(2026, 12, 1, tzinfo=UTC),
        coded_status=status if via == "split" else "",
    )


def test_kappa_counts_the_pairs_either_coder_coded_uncoded_as_absent() -> None:
    """Worked example. Coder 1: fact 1 FC-CD-01 present, fact 2 FC-CD-02 absent, fact 3
    FC-DR-01 present. Coder 2: the first two alike, fact 3 left uncoded (absent, as screening
    reads it). Over the 3 pairs: observed 2/3; coder 1 present 2 absent 1, coder 2 present 1
    absent 2; expected (2*1 + 1*2)/9 = 4/9; kappa = (2/3 - 4/9) / (1 - 4/9) = 0.4. Over the two
    pairs both coded (as before) it read 1.0."""
    coded = {
        1: [_view(1, 1, "FC-CD-01", "present"), _view(2, 1, "FC-CD-01", "present")],
        2: [_view(1, 2, "FC-CD-02", "absent"), _view(2, 2, "FC-CD-02", "absent")],
        3: [_view(1, 3, "FC-DR-01", "present")],
    }
    result = agreement(coded)
    assert result is not None
    assert result.kappa.units == 3
    assert result.kappa.only_one_coder == 1
    assert result.kappa.kappa == pytest.approx(0.4)
    assert result.kappa.table[("present", "absent")] == 1


def test_kappa_leaves_out_codings_carried_to_a_split_off_item() -> None:
    """Two coders agree on one pair; a split carried each coding to the new item too. Counted,
    each pair would count twice; left out, the agreement is over the one pair coded."""
    coded = {
        1: [
            _view(1, 1, "FC-CD-01", "present"),
            _view(1, 1, "FC-CD-09", "present", via="split"),
            _view(2, 1, "FC-CD-01", "absent"),
            _view(2, 1, "FC-CD-09", "absent", via="split"),
        ]
    }
    result = agreement(coded)
    assert result is not None
    assert result.kappa.units == 1
    assert dict(result.kappa.table) == {("present", "absent"): 1}


def test_the_detector_is_imported_directly_not_failing_open(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Were app.text.personal_data not importable at check time, the check used to find
    nothing; it is bound when app.cases.personal is imported."""
    monkeypatch.setitem(sys.modules, "app.text.personal_data", None)
    personal.use(None)
    assert [f.kind for f in personal.check(PHONE)] == ["phone"]


def test_a_fact_number_is_unique_in_its_case_study_and_reordering_swaps_numbers(
    people: dict[str, Api],
    world: World,
    database: Database,
) -> None:
    sec, ph = people["sec"], people["ph"]
    cid = open_case(sec, world)["id"]
    for words in ("First fact.", "Second fact.", "Third fact."):
        ok(ph.post(f"/cases/{cid}/facts", FACT | {"text": words}), 201)
    facts = ok(ph.get(f"/cases/{cid}"))["facts"]
    # A full reversal swaps numbers 1 and 3 (each checked row by row): no conflict.
    etag = ph.get(f"/cases/{cid}").headers["ETag"]
    order = [f["id"] for f in reversed(facts)]
    after = ok(ph.put(f"/cases/{cid}/facts/order", {"order": order}, {"If-Match": etag}))
    assert [(f["number"], f["text"]) for f in after["facts"]] == [
        (1, "Third fact."),
        (2, "Second fact."),
        (3, "First fact."),
    ]
    moved = {f["id"]: f["version"] for f in after["facts"]}
    assert moved[facts[0]["id"]] == facts[0]["version"] + 1  # one change, one version
    assert moved[facts[1]["id"]] == facts[1]["version"]  # it did not move
    # The database refuses a second fact with a number already taken.
    from sqlalchemy.exc import IntegrityError

    from app.models import CaseFact

    with database.session(write=True) as s:
        twin = s.get(CaseFact, facts[1]["id"])
        assert twin is not None
        twin.number = 1
        with pytest.raises(IntegrityError):
            s.flush()
        s.rollback()


def test_two_case_studies_opened_at_once_get_the_next_reference(
    people: dict[str, Api],
    world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The second of two opened at the same moment read the same last number: its insert is
    tried again with the next one; if that keeps failing, a clear 409 'try again'."""
    from app.cases import service

    sec = people["sec"]
    assert open_case(sec, world)["reference"] == "CS-01"
    real = service._next_reference
    calls: list[str] = []

    def stale(session: Any) -> str:
        calls.append("x")
        return "CS-01" if len(calls) == 1 else real(session)

    monkeypatch.setattr(service, "_next_reference", stale)
    assert open_case(sec, world)["reference"] == "CS-02"
    monkeypatch.setattr(service, "_next_reference", lambda session: "CS-01")
    detail = refused(sec.post("/cases", CASE), 409, "reference")
    assert "try again" in detail


def test_on_the_page_a_shared_case_study_asks_before_personal_data_is_saved(
    client: Any, world: World
) -> None:
    from tests.helpers import form_in, log_in, post, summary
    from tests.test_cases_pages import _open

    log_in(client, world.secretariat)
    url = _open(client)
    page = client.get(url).text
    share = form_in(page, id="case-share")
    assert post(client, f"{url}/visibility", share | {"visibility": "group"}).status_code == 303
    page = client.get(url).text
    fact = form_in(page, id="fact") | {
        "text": PHONE,
        "phase": "exploitation",
        "source": "victim_interview",
    }
    fact.pop("personal_data_checked", None)
    listed = page.count('<li id="fact-')
    refused_page = post(client, f"{url}/facts", fact)
    assert refused_page.status_code == 422
    # The service had written the fact before it refused: the page shows what is stored
    # (RequestContext.discard_refused), not the refused fact as if it had been added.
    assert refused_page.text.count('<li id="fact-') == listed
    assert summary(refused_page.text)[0][0] == "fact-text"
    assert 'name="personal_data_checked"' in refused_page.text
    assert "on +84 912 345 678 from" in refused_page.text  # what was typed is kept
    saved = post(client, f"{url}/facts", fact | {"personal_data_checked": "yes"})
    assert saved.status_code == 303


def test_nationality_and_place_are_checked_for_personal_data(
    people: dict[str, Api], world: World
) -> None:
    """The attacker stored a name and an e-mail address as a case study's nationality, shared
    with the group at once: the band fields are checked like the narrative."""
    sec, th = people["sec"], people["th"]
    posted = sec.post(
        "/cases",
        CASE
        | {
            "contributors": [world.member],
            "visibility": "group",
            "nationality": "Ms Nguyen Thi Lan, nguyen.lan@example.com",
        },
    )
    refused(posted, 409, "visibility")  # not shared while personal data is open
    assert [c["reference"] for c in ok(th.get("/cases"))] == []
    case = open_case(sec, world, place="the house of Ms Nguyen Thi Lan in Phnom Penh")
    assert case["open_findings"] >= 1
    assert [f["where"] for f in case["findings"]] == ["place"], case["findings"]
