"""The training pack (issue 21): a Word file of chosen case studies, pure (app/word/training.py:
plain dataclasses in, bytes out, in the reference template's house style), read back with
python-docx and LibreOffice; and its route, the secretariat's, over the demo's case studies."""

import io
from datetime import UTC, datetime

import docx
import pytest
from fastapi.testclient import TestClient

from app.db import Database
from app.demo.loader import DEMO_PASSWORD, load_demo
from app.word.training import (
    TrainingCase,
    TrainingFact,
    TrainingIndicator,
    TrainingPack,
    export_training,
)
from tests.factories import bearer, token_for
from tests.helpers import Clock, log_in
from tests.test_new_item_placement_word import lines_libreoffice

SECRETARIAT = "secretariat1@demo.zerodraft.org"


def pack() -> TrainingPack:
    return TrainingPack(
        title="Case studies on forced criminality: a training pack",
        working_group="ASEAN Drafting Working Group",
        date=datetime(2026, 12, 7, 9, tzinfo=UTC),
        time_zone="Asia/Jakarta",
        cases=[
            TrainingCase(
                reference="CS-01",
                title="Customer-service offer, guarded compound",
                profile="adult",
                crime_form="online scams",
                bands=[("Age band", "18-24"), ("Nationality", "Viet Nam"), ("Period", "2023")],
                summary="A graduate answered an advertisement for customer-service work.",
                facts=[
                    TrainingFact(
                        1,
                        "recruitment",
                        "She answered an advertisement on a social media jobs group.",
                        [TrainingIndicator("FC-DR-02", "Recruited online", "social media jobs")],
                    ),
                    TrainingFact(2, "exit", "She was released in a police operation.", []),
                ],
                outcome="trafficked for forced criminality",
                reasoning="Deception, confinement and compelled fraud: all three elements.",
                screening="identified under the 2009 rule",
            )
        ],
    )


def test_the_pack_in_the_house_style() -> None:
    data = export_training(pack())
    assert export_training(pack()) == data  # deterministic
    document = docx.Document(io.BytesIO(data))
    styled = {p.text: p.style.style_id for p in document.paragraphs if p.text.strip()}
    assert styled["CS-01: Customer-service offer, guarded compound"] == "ZDPartHeading"
    assert styled["FC-DR-02 (Recruited online): \u201csocial media jobs\u201d"] == "ZDListBullet"
    assert styled["No indicator applies."] == "ZDListBullet"
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Fact 1 (recruitment): She answered an advertisement" in text
    assert "Reference outcome: trafficked for forced criminality" in text
    assert "Reasoning: Deception, confinement and compelled fraud" in text
    assert "Age band: 18-24" in text


def test_libreoffice_reads_the_pack() -> None:
    rendered = [" ".join(x.split()) for x in lines_libreoffice(export_training(pack()))]
    assert "CS-01: Customer-service offer, guarded compound" in rendered
    assert any("social media jobs" in x for x in rendered), rendered
    assert any(x.startswith("Reference outcome:") for x in rendered)


def test_an_empty_pack() -> None:
    document = docx.Document(
        io.BytesIO(export_training(TrainingPack("T", "WG", pack().date, "UTC")))
    )
    assert "No case study was chosen." in [p.text for p in document.paragraphs]


def demo(database: Database, now: datetime) -> None:
    with database.transaction() as session:
        load_demo(session, now=now)


@pytest.mark.start_from.with_args(demo)
def test_the_secretariat_downloads_a_pack_of_chosen_case_studies(
    client: TestClient, database: Database, clock: Clock
) -> None:
    log_in(client, SECRETARIAT, DEMO_PASSWORD)
    assert 'id="training-form"' in client.get("/training-pack").text
    listed = client.get("/api/v1/cases").json()
    chosen = [c for c in listed if c["reference"] in ("CS-01", "CS-09")]
    answer = client.get("/training-pack.docx", params={"case": [c["id"] for c in chosen]})
    assert answer.status_code == 200, answer.text
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(answer.content)).paragraphs)
    assert "CS-01: Customer-service offer that ended in a guarded scam compound" in text
    assert "CS-09: Hotel job offer" in text and "CS-02" not in text
    assert "FC-CD-01" in text and "Reference outcome: trafficked for forced criminality" in text
    # CS-09 is not shared with the group: the cover says the pack is restricted.
    document = docx.Document(io.BytesIO(answer.content))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    everything = "\n".join([text, *cells])
    assert "Restricted" in everything and "CS-09 not shared with the working group" in everything
    only_shared = client.get("/training-pack.docx", params={"case": chosen[0]["id"]})
    shared_doc = docx.Document(io.BytesIO(only_shared.content))
    shared_cells = [c.text for t in shared_doc.tables for row in t.rows for c in row.cells]
    shared_text = "\n".join([*(p.text for p in shared_doc.paragraphs), *shared_cells])
    assert "Restricted" not in shared_text and "General" in shared_text
    # A personal-data finding still open keeps the case study out of any pack.
    cs09 = next(c for c in chosen if c["reference"] == "CS-09")
    fact = {"text": "She was told to call +66 81 234 5678.", "phase": "exit", "source": "other"}
    sec = bearer(token_for(database, SECRETARIAT, clock.now))
    added = client.post(f"/api/v1/cases/{cs09['id']}/facts", json=fact, headers=sec)
    assert added.status_code in (200, 201), added.text
    refused = client.get("/training-pack.docx", params={"case": [cs09["id"]]})
    assert refused.status_code == 409 and "CS-09" in refused.text, refused.text
    assert client.get("/training-pack.docx").status_code == 422
    assert client.get("/training-pack.docx", params={"case": 999999}).status_code == 404
    # Not for a member.
    client.post("/logout")
    log_in(client, "member.vn@demo.zerodraft.org", DEMO_PASSWORD)
    assert client.get("/training-pack").status_code == 403
