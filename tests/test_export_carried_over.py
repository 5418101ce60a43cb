"""What an earlier round left pending is exported with the next one (issue 15, items 2 and 7):
a proposal made in round 1 and still submitted or under consideration appears in round 2's
compilation and its comment-response table (with its co-sponsors); an open comment thread of
round 1 on an item of round 2 is exported with round 2, every author named with a delegation or
the ASEAN Secretariat. Driven through `zerodraft export`; the files are read with python-docx."""

import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import docx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from app.cli import app
from app.comments import service as comments
from app.db import Database
from app.models import Outcome, ProposalKind, Role, Round
from app.principal import Principal
from app.proposals import service as proposals
from app.rounds import snapshot
from tests.factories import World, arranged, make_user
from tests.helpers import Clock
from tests.test_approved_exports import (
    SOMTC_CHAIR,
    STATEMENT,
    api,
    decide_not_retained,
    download,
    headers,
    status_line,
)
from tests.test_word_loader import agree, new_round, principal, propose

R1, R2 = "ADWG/FC/2026/R1", "ADWG/FC/2026/R2"
PH, TH, ID = "Philippines - SOMTC", "Thailand - SOMTC", "Indonesia - AICHR"

runner = CliRunner()


@dataclass
class Carried:
    submitted: str  # made in R1, still submitted, co-sponsored by Thailand
    considered: str  # made in R1, under consideration
    agreed: str  # made in R1, agreed there: nothing pending
    later: str  # made in R2, co-sponsored by the Philippines


def under_consideration(
    database: Database, sec: Principal, proposal_id: int, now: datetime
) -> None:
    with database.transaction() as s:
        p = proposals.get(s, sec, proposal_id)
        proposals.decide(
            s,
            sec,
            proposal_id,
            expected_version=p.version,
            outcome=Outcome.UNDER_CONSIDERATION,
            reason="To be discussed at the next meeting",
            now=now,
        )


@pytest.fixture
def carried(database: Database, world: World, clock: Clock) -> Carried:
    sec = principal(database, world.secretariat, clock.now)
    ph = principal(database, world.member, clock.now)
    idn = principal(database, world.member2, clock.now)
    th = principal(database, world.member3, clock.now)
    new_round(database, R1, clock.now)
    clock.advance(hours=1)
    submitted = propose(
        database,
        ph,
        ProposalKind.AMEND,
        ["FC-CD-01"],
        {"text": "Passport withheld by the operators"},
        "PH-SOMTC",
        clock.now,
    )
    considered = propose(
        database,
        idn,
        ProposalKind.AMEND,
        ["FC-CD-02"],
        {"guidance": "Look for locked gates and guards"},
        "ID-AICHR",
        clock.now,
    )
    under_consideration(database, sec, considered, clock.now)
    agreed = propose(
        database,
        th,
        ProposalKind.AMEND,
        ["FC-DR-01"],
        {"guidance": "Ask how the job was offered"},
        "TH-SOMTC",
        clock.now,
    )
    agree(database, sec, agreed, clock.now)
    with database.transaction() as s:
        proposals.sponsor(s, th, submitted, delegation_code="TH-SOMTC", now=clock.now)
        thread = comments.add(
            s,
            idn,
            body="Does 'guarded' cover locked rooms?",
            item_code="FC-CD-02",
            field_name="text",
            quote="guarded",
            delegation_code="ID-AICHR",
            now=clock.now,
        )
        comments.add(
            s,
            sec,
            body="The secretariat will suggest wording.",
            parent_id=thread.id,
            now=clock.now,
        )
        done = comments.add(
            s,
            th,
            body="Already settled in round 1.",
            item_code="FC-CD-01",
            delegation_code="TH-SOMTC",
            now=clock.now,
        )
        comments.set_resolved(s, th, done.id, resolved=True, now=clock.now)
        comments.add(
            s, sec, body="Round 1 note from the secretariat.", item_code="FC-CD-01", now=clock.now
        )
        comments.add(
            s,
            idn,
            body="Withheld or confiscated?",
            proposal_id=submitted,
            delegation_code="ID-AICHR",
            now=clock.now,
        )
        comments.add(
            s,
            idn,
            body="Fine by us.",
            proposal_id=agreed,
            delegation_code="ID-AICHR",
            now=clock.now,
        )
    clock.advance(days=3)
    new_round(database, R2, clock.now)
    clock.advance(hours=1)
    later = propose(
        database,
        th,
        ProposalKind.AMEND,
        ["FC-DR-01"],
        {"text": "Offered a lawful job abroad, then made to commit fraud"},
        "TH-SOMTC",
        clock.now,
    )
    with database.transaction() as s:
        proposals.sponsor(s, ph, later, delegation_code="PH-SOMTC", now=clock.now)
    return Carried(f"P-{submitted}", f"P-{considered}", f"P-{agreed}", f"P-{later}")


def exported(db_url: str, tmp_path: Path, symbol: str, variant: str, *more: str) -> docx.Document:
    out = tmp_path / f"{variant}.docx"
    args = ["export", symbol, "--variant", variant, *more, "-o", str(out), "--database", db_url]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    return docx.Document(str(out))


def text_of(document: docx.Document) -> str:
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.extend(cell.text for cell in row.cells)
    return "\n".join(lines)


def test_the_compilation_has_every_pending_proposal_whatever_round_made_it(
    db_url: str, tmp_path: Path, carried: Carried
) -> None:
    text = text_of(exported(db_url, tmp_path, R2, "compilation"))
    for reference in (carried.submitted, carried.considered, carried.later):
        assert f"{reference}:" in text, reference
    assert f"{carried.agreed}:" not in text  # decided: nothing pending
    # Where it comes from, and who stands behind it.
    assert f"carried over from {R1}" in text
    assert f"{PH}, co-sponsored by {TH}" in text


def test_an_earlier_round_does_not_show_the_proposals_of_a_later_one(
    db_url: str, tmp_path: Path, carried: Carried
) -> None:
    text = text_of(exported(db_url, tmp_path, R1, "compilation"))
    assert f"{carried.submitted}:" in text and f"{carried.considered}:" in text
    assert carried.later not in text
    assert "carried over" not in text


def test_the_response_table_lists_carried_over_proposals_and_co_sponsors(
    db_url: str, tmp_path: Path, carried: Carried
) -> None:
    document = exported(db_url, tmp_path, R2, "responses")
    (table,) = document.tables[-1:]
    rows = {}
    for row in table.rows[1:]:
        cells = [c.text for c in row.cells]
        reference = cells[0].split("\n")[1]
        rows[reference] = cells
    assert set(rows) >= {carried.submitted, carried.considered, carried.later}
    assert carried.agreed not in rows  # an input of R1, decided there
    assert rows[carried.submitted][1] == f"{PH}\nCo-sponsors: {TH}"
    assert rows[carried.later][1] == f"{TH}\nCo-sponsors: {PH}"
    assert rows[carried.considered][1] == ID
    assert rows[carried.submitted][3].startswith(f"Carried over from {R1}: ")
    assert rows[carried.considered][5] == "under consideration"
    # Numbered 1..n in the order shown.
    assert [cells[0].split("\n")[0] for cells in rows.values()] == [
        str(n) for n in range(1, len(rows) + 1)
    ]


def test_open_threads_of_earlier_rounds_are_exported_with_their_authors_named(
    db_url: str, tmp_path: Path, carried: Carried
) -> None:
    document = exported(db_url, tmp_path, R2, "clean", "--comments")
    notes = {c.text: c.author for c in document.comments}
    by_body = {text.split(": ", 1)[-1]: author for text, author in notes.items()}
    assert by_body["Does 'guarded' cover locked rooms?"] == f"Budi Hartono ({ID})"
    assert by_body["The secretariat will suggest wording."] == (
        "Siti Secretariat (ASEAN Secretariat)"
    )
    assert by_body["Round 1 note from the secretariat."] == "Siti Secretariat (ASEAN Secretariat)"
    assert "Already settled in round 1." not in by_body  # resolved: not open
    # On a proposal carried over, the thread comes with it; on one decided in R1, it stays there.
    assert by_body[f"On proposal {carried.submitted}: Withheld or confiscated?"] == (
        f"Budi Hartono ({ID})"
    )
    assert not any("Fine by us." in text for text in by_body)
    compiled = exported(db_url, tmp_path, R2, "compilation", "--comments")
    assert "Withheld or confiscated?" in {c.text.split(": ", 1)[-1] for c in compiled.comments}


def test_a_decision_on_a_carried_over_proposal_after_the_approval_dates_the_copies(
    client: TestClient, carried: Carried, world: World, database: Database, clock: Clock
) -> None:
    """Over the HTTP export: R2 approved by both co-chairs shows R1's pending proposal; when the
    secretariat decides it after the approval, the copies say from when they show the state."""
    with database.transaction() as s:
        make_user(s, SOMTC_CHAIR, Role.CHAIR, "TH-SOMTC", now=clock.now, name="Thida Chair")
    clock.advance(days=1)
    with arranged(database) as s:
        r = s.scalars(select(Round).where(Round.symbol == R2)).one()
        r.close()
        r.consult()
        r.settle(now=clock.now)
        content_hash = snapshot.freeze(s, r, now=clock.now)
    for chair in (world.chair, SOMTC_CHAIR):
        clock.advance(minutes=30)
        response = client.post(
            f"{api(R2)}/approvals",
            json={"content_hash": content_hash, "reference": "DWG-FC 3rd meeting, decision 4"},
            headers=headers(database, clock, chair),
        )
        assert response.status_code == 201, response.text
    auth = headers(database, clock, world.member)
    before = download(client, auth, "compilation", False)
    assert status_line(before) == "approved"
    assert f"{carried.submitted}:" in text_of(docx.Document(io.BytesIO(before)))

    clock.advance(days=2)
    decide_not_retained(client, database, clock, world, int(carried.submitted[2:]))
    auth = headers(database, clock, world.member)
    for variant in ("compilation", "responses"):
        data = download(client, auth, variant, False)
        assert STATEMENT in status_line(data), variant
        assert f"{carried.submitted}:" not in text_of(docx.Document(io.BytesIO(data)))
