"""Starting from Word: a draft written in Word (headings, prose, a numbered list and a table of
indicators) becomes dimensions, indicators and sections, checked field by field; importing it
again creates nothing new."""

import io
from collections.abc import Callable

import docx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.db import Database
from app.models import AuditEvent, Dimension, Item, Role
from app.register import service as register
from app.rounds.export import MEDIA_TYPE
from tests.factories import bearer, make_user, token_for
from tests.helpers import Clock

SECRETARIAT = "asec@asean.test"


def draft(extra: Callable[[object], None] | None = None) -> bytes:
    d = docx.Document()
    d.add_heading("Zero Draft of the ASEAN Indicators", level=0)
    d.add_heading("Purpose", level=1)
    d.add_paragraph(
        "These indicators help identify presumed victims of trafficking for forced criminality."
    )
    d.add_heading("Deceptive recruitment (DR)", level=1)
    d.add_paragraph("Indicators of deception at recruitment.")
    d.add_paragraph(
        "FC-DR-01: Offered a lawful job abroad but told on arrival to run fraud",
        style="List Number",
    )
    d.add_paragraph(
        "Recruited through social media; the recruiter paid the travel", style="List Number"
    )
    d.add_heading("Control at destination (CD)", level=1)
    table = d.add_table(rows=1, cols=4)
    for cell, header in zip(
        table.rows[0].cells,
        ["Code", "Indicator", "Strength (adult)", "Strength (child)"],
        strict=True,
    ):
        cell.text = header
    for row in (
        (
            "FC-CD-01",
            "Confined to a guarded compound; release only against a fee",
            "strong",
            "strong",
        ),
        ("", "Passport or personal phone taken by the operators", "medium", "strong"),
    ):
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.text = value
    d.add_heading("Abuse of vulnerability", level=1)
    d.add_paragraph("In acute debt or irregular status when recruited", style="List Bullet")
    if extra is not None:
        extra(d)
    buffer = io.BytesIO()
    d.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def sec(database: Database, clock: Clock, client: TestClient) -> dict[str, str]:
    """An empty register with one secretariat officer."""
    with database.transaction() as s:
        make_user(s, SECRETARIAT, Role.SECRETARIAT, now=clock.now, name="Siti Secretariat")
    return bearer(token_for(database, SECRETARIAT, clock.now))


def imported(client: TestClient, headers: dict[str, str], data: bytes) -> dict[str, object]:
    response = client.post(
        "/api/v1/imports", files={"file": ("zero-draft.docx", data, MEDIA_TYPE)}, headers=headers
    )
    assert response.status_code in (200, 201), response.text
    body = response.json()
    if body["already_imported"]:
        return body  # type: ignore[no-any-return]
    done = client.post(
        f"/api/v1/imports/{body['id']}/confirm",
        headers=headers | {"If-Match": response.headers["ETag"]},
    )
    assert done.status_code == 200, done.text
    return done.json()  # type: ignore[no-any-return]


def test_a_word_draft_fills_the_register_field_by_field(
    client: TestClient, database: Database, clock: Clock, sec: dict[str, str]
) -> None:
    preview = client.post(
        "/api/v1/imports", files={"file": ("zero-draft.docx", draft(), MEDIA_TYPE)}, headers=sec
    )
    assert preview.status_code == 201, preview.text
    assert preview.json()["kind"] == "authored"
    assert preview.json()["counts"] == {"dimensions": 3, "indicators": 5, "sections": 1}
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Item)) == 0

    body = imported(client, sec, draft())
    assert body["created"] == {
        "dimensions": ["DR", "CD", "AV"],
        "indicators": ["FC-DR-01", "FC-DR-02", "FC-CD-01", "FC-CD-02", "FC-AV-01"],
        "sections": ["SEC-PURPOSE"],
        "proposals": [],
        "comments": [],
        "skipped": [],
        "title": "Zero Draft of the ASEAN Indicators",
    }
    with database.transaction(write=False) as s:
        dims = {d.code: d for d in s.scalars(select(Dimension))}
        assert (dims["DR"].title, dims["DR"].prefix, dims["DR"].description) == (
            "Deceptive recruitment",
            "FC-DR",
            "Indicators of deception at recruitment.",
        )
        assert (dims["AV"].title, dims["AV"].prefix) == ("Abuse of vulnerability", "FC-AV")
        assert [dims[c].position for c in ("DR", "CD", "AV")] == [1, 2, 3]

        def fields(code: str) -> tuple[object, ...]:
            r = register.current(s, code).revision
            return (
                r.text,
                register.current(s, code).dimension_code,
                r.strength_adult and r.strength_adult.value,
                r.strength_child and r.strength_child.value,
            )

        assert fields("FC-DR-01") == (
            "Offered a lawful job abroad but told on arrival to run fraud",
            "DR",
            None,
            None,
        )
        assert fields("FC-DR-02") == (
            "Recruited through social media; the recruiter paid the travel",
            "DR",
            None,
            None,
        )
        assert fields("FC-CD-01") == (
            "Confined to a guarded compound; release only against a fee",
            "CD",
            "strong",
            "strong",
        )
        assert fields("FC-CD-02") == (
            "Passport or personal phone taken by the operators",
            "CD",
            "medium",
            "strong",
        )
        assert fields("FC-AV-01")[:2] == ("In acute debt or irregular status when recruited", "AV")
        section = register.current(s, "SEC-PURPOSE").revision
        assert (section.title, section.text) == (
            "Purpose",
            "These indicators help identify presumed victims of trafficking for forced "
            "criminality.",
        )
        assert "zero-draft.docx" in section.reason
        stamped = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "word_import.created")
        ).all()
        assert len(stamped) == 9
        assert {e.details["sha256"] for e in stamped} == {body["sha256"]}


def test_importing_the_draft_again_creates_nothing_new(
    client: TestClient, database: Database, clock: Clock, sec: dict[str, str]
) -> None:
    data = draft()
    first = imported(client, sec, data)
    again = imported(client, sec, data)
    assert again["already_imported"] is True and again["id"] == first["id"]

    # A re-saved copy (other bytes) with one indicator more: only that one is new.
    def one_more(d: object) -> None:
        d.add_paragraph(  # type: ignore[attr-defined]
            "Daily targets with penalties for missing them", style="List Bullet"
        )

    changed = imported(client, sec, draft(one_more))
    assert changed["id"] != first["id"]
    assert changed["created"] == {
        "dimensions": [],
        "indicators": ["FC-AV-02"],
        "sections": [],
        "proposals": [],
        "comments": [],
        "skipped": [],
        "title": "Zero Draft of the ASEAN Indicators",
    }
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Item)) == 7
        assert s.scalar(select(func.count()).select_from(Dimension)) == 3


def test_a_member_cannot_import_a_draft(
    client: TestClient, database: Database, clock: Clock, sec: dict[str, str]
) -> None:
    with database.transaction() as s:
        from tests.factories import make_delegation

        make_delegation(s, ("PH", "Philippines"), ("SOMTC", "SOMTC"))
        make_user(s, "m@asean.test", Role.MEMBER, "PH-SOMTC", now=clock.now)
    member = bearer(token_for(database, "m@asean.test", clock.now))
    response = client.post(
        "/api/v1/imports", files={"file": ("zero-draft.docx", draft(), MEDIA_TYPE)}, headers=member
    )
    assert response.status_code == 403
    assert "only the secretariat" in response.json()["detail"]
