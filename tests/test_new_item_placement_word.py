"""A new indicator proposed between two others, in Word (issue 15, item 3): the compilation
shows it right after the item it follows (read with python-docx, with lxml, and as LibreOffice
renders it), and a returned copy in which the delegation typed a new indicator between two
others makes a proposal placed there (Word's own XML, and a copy edited by LibreOffice), which,
once agreed, stands there in the register."""

import io
import subprocess
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import docx
import pytest
from fastapi.testclient import TestClient
from lxml import etree

from app.db import Database
from tests.factories import World, token_for
from tests.helpers import Clock
from tests.test_imports_api import ZD, confirm, issue, upload
from tests.test_new_item_placement_api import agree, order
from tests.test_workflow_api import Api
from tests.word_edits import (
    AddParagraph,
    LoEdit,
    edit_with_libreoffice,
    edit_with_word_xml,
    require_libreoffice,
)

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MARIA = "Maria Santos"
WHEN = datetime(2026, 3, 2, 10, 15, tzinfo=UTC)
BETWEEN = "Debt for travel and food imposed on arrival"
AT_END = "Wages withheld for months"


@pytest.fixture
def people(client: TestClient, world: World, database: Database, clock: Clock) -> dict[str, Api]:
    return {
        role: Api(client, token_for(database, email, clock.now))
        for role, email in {
            "ph": world.member,
            "id": world.member2,
            "sec": world.secretariat,
        }.items()
    }


def export(api: Api, variant: str) -> bytes:
    response = api.get(f"/rounds/{ZD}/export.docx", params={"variant": variant})
    assert response.status_code == 200, response.text
    return bytes(response.content)


def lines_python_docx(data: bytes) -> list[str]:
    return [p.text for p in docx.Document(io.BytesIO(data)).paragraphs if p.text.strip()]


def lines_lxml(data: bytes) -> list[str]:
    """The body's paragraphs in document order, straight from word/document.xml."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        body = etree.fromstring(z.read("word/document.xml")).find(f"{{{W_NS}}}body")
    out = []
    for p in body.iter(f"{{{W_NS}}}p"):
        text = "".join(t.text or "" for t in p.iter(f"{{{W_NS}}}t"))
        if text.strip():
            out.append(text)
    return out


def lines_libreoffice(data: bytes) -> list[str]:
    """The document as LibreOffice reads and renders it to plain text."""
    soffice = require_libreoffice()
    with tempfile.TemporaryDirectory(prefix="zd-place-") as tmp:
        work = Path(tmp)
        source = work / "compilation.docx"
        source.write_bytes(data)
        result = subprocess.run(
            [
                soffice,
                f"-env:UserInstallation={(work / 'profile').as_uri()}",
                "--headless",
                "--norestore",
                "--convert-to",
                "txt:Text (encoded):UTF8",
                "--outdir",
                str(work),
                str(source),
            ],
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        made = work / "compilation.txt"
        assert made.exists(), f"LibreOffice did not convert: {result.stdout}{result.stderr}"
        text = made.read_text(encoding="utf-8-sig")
    return [line for line in text.splitlines() if line.strip()]


def where(lines: list[str], *needles: str) -> int:
    """The index of the first line holding all `needles`, after the contents."""
    start = next(n for n, line in enumerate(lines) if line.strip() == "Indicators")
    for n, line in enumerate(lines[start:], start):
        if all(needle in line for needle in needles):
            return n
    raise AssertionError(f"no line with {needles!r} in {lines[start:]!r}")


def propose(api: Api, body: dict[str, Any]) -> int:
    created = api.post("/proposals", body | {"submit": True})
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def test_the_compilation_shows_a_new_indicator_after_the_item_it_follows(
    people: dict[str, Api], database: Database, clock: Clock
) -> None:
    ph, id_, sec = people["ph"], people["id"], people["sec"]
    issue(database, clock)
    amendment = propose(
        ph, {"kind": "amend", "targets": ["FC-CD-01"], "content": {"text": "Passport taken"}}
    )
    between = propose(
        ph,
        {"kind": "add", "dimension": "CD", "after": "FC-CD-01", "content": {"text": BETWEEN}},
    )
    at_end = propose(id_, {"kind": "add", "dimension": "CD", "content": {"text": AT_END}})
    data = export(sec, "compilation")
    for read in (lines_python_docx, lines_lxml, lines_libreoffice):
        lines = read(data)
        cd01, cd02 = where(lines, "FC-CD-01"), where(lines, "FC-CD-02")
        amended = where(lines, f"P-{amendment}:")
        new_between = where(lines, f"P-{between}: new indicator proposed")
        new_last = where(lines, f"P-{at_end}: new indicator proposed")
        # FC-CD-01, the amendment of it, the new indicator after it, then FC-CD-02, then the
        # new indicator placed at the end of the dimension.
        assert cd01 < amended < new_between < cd02 < new_last, (read.__name__, lines)
        assert BETWEEN in " ".join(lines[new_between:cd02]), read.__name__
        assert AT_END in " ".join(lines[new_last:]), read.__name__


def _returned_copy_places_the_new_indicator(
    people: dict[str, Api], database: Database, edited: bytes
) -> None:
    sec, ph = people["sec"], people["ph"]
    client, headers = sec.client, sec.headers
    uploaded = upload(client, headers, edited)
    assert uploaded.status_code == 201, uploaded.text
    body = uploaded.json()
    done = confirm(client, headers, body)
    assert done.status_code == 200, done.text
    added = [p for p in done.json()["created"]["proposals"] if p["kind"] == "add"]
    assert len(added) == 1, done.json()
    proposal = ph.get(f"/proposals/{added[0]['id']}").json()
    assert proposal["content"]["text"] == BETWEEN
    assert (proposal["dimension"], proposal["after"]) == ("CD", "FC-CD-01")

    lines = lines_lxml(export(sec, "compilation"))
    assert (
        where(lines, "FC-CD-01")
        < where(lines, f"{proposal['reference']}: new indicator proposed")
        < where(lines, "FC-CD-02")
    ), lines

    assert agree(sec, proposal["id"]).status_code == 200
    assert order(sec) == [("FC-DR-01", 1), ("FC-CD-01", 2), ("FC-CD-03", 3), ("FC-CD-02", 4)]
    assert sec.get("/indicators/FC-CD-03").json()["text"] == BETWEEN


def test_a_new_indicator_typed_between_two_others_in_word_is_placed_there(
    people: dict[str, Api], database: Database, clock: Clock
) -> None:
    issue(database, clock)
    edited = edit_with_word_xml(
        export(people["sec"], "clean"),
        [AddParagraph("FC-CD-01", text=BETWEEN, author=MARIA, date=WHEN)],
    )
    _returned_copy_places_the_new_indicator(people, database, edited)


def test_a_new_indicator_typed_between_two_others_in_libreoffice_is_placed_there(
    people: dict[str, Api], database: Database, clock: Clock
) -> None:
    issue(database, clock)
    (edited,) = edit_with_libreoffice(
        [export(people["sec"], "clean")],
        [[LoEdit("paragraph", words="online fraud", text=BETWEEN, author=MARIA, date=WHEN)]],
    )
    _returned_copy_places_the_new_indicator(people, database, edited)


def test_the_next_round_and_its_redline_show_the_agreed_indicator_in_its_place(
    people: dict[str, Api], database: Database, clock: Clock
) -> None:
    ph, sec = people["ph"], people["sec"]
    issue(database, clock)
    pid = propose(
        ph, {"kind": "add", "dimension": "CD", "after": "FC-CD-01", "content": {"text": BETWEEN}}
    )
    clock.advance(days=1)
    assert agree(sec, pid).status_code == 200
    clock.advance(days=1)
    issue(database, clock, "DWG-FC/Rev.1")
    for variant in ("clean", "redline"):
        data = sec.get("/rounds/DWG-FC/Rev.1/export.docx", params={"variant": variant})
        assert data.status_code == 200, data.text
        # python-docx leaves out tracked insertions: the redline is read with lxml (every w:t,
        # none of the deleted text: the text as accepted).
        readers = (lines_python_docx, lines_lxml) if variant == "clean" else (lines_lxml,)
        for read in readers:
            lines = read(data.content)
            new = where(lines, "FC-CD-03")
            assert where(lines, "FC-CD-01") < new < where(lines, "FC-CD-02"), (variant, lines)
            assert BETWEEN in lines[new + 1], (variant, read.__name__, lines[new : new + 3])
