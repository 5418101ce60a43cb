"""The compilation says where the delegations stand on each item's text as it stands (issue 16,
one position model): under each item, before its proposals, one line in the ZD Positions style
("Positions on this text: Support: ...; Reservation: ... ("statement"); Objection: ...; Pending:
N delegations"), read with the positions on proposals through app/consensus/service.py. A
returned copy's reader passes over that line as the export's own: an unedited compilation
imports as nothing, an edit in the line is not taken for a delegation's new text."""

import io
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from lxml import etree  # type: ignore[import-untyped]

from app.word import returned as rd
from app.word.reader import open_docx
from tests.helpers import Clock
from tests.test_cli_import import zerodraft
from tests.test_imports_api import ZD, issue
from tests.test_workflow_api import Api, amend, people  # noqa: F401  (the fixture)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def compilation(api: Api) -> bytes:
    got = api.get(f"/rounds/{ZD}/export.docx", params={"variant": "compilation"})
    assert got.status_code == 200, got.text
    return bytes(got.content)


def _text(p: etree._Element) -> str:
    return "".join(t.text or "" for t in p.iter(f"{W}t"))


def blocks(data: bytes) -> dict[str, str]:
    """The ZD Positions line under each item, by the code of the item heading before it, read
    from the document's XML with lxml."""
    body = etree.fromstring(_part(data, "word/document.xml")).find(f"{W}body")
    out: dict[str, str] = {}
    code = ""
    for p in body.iter(f"{W}p"):
        style = p.find(f"{W}pPr/{W}pStyle")
        name = style.get(f"{W}val") if style is not None else ""
        if name in ("ZDIndicatorHeading", "ZDSectionHeading"):
            code = next(
                (c for c in ("FC-CD-01", "FC-CD-02", "FC-DR-01", "SEC-PURPOSE") if c in _text(p)),
                "",
            )
            if name == "ZDSectionHeading":
                code = "SEC-PURPOSE"
        elif name == "ZDPositions":
            assert code and code not in out, (code, _text(p))
            out[code] = _text(p)
    return out


def _part(data: bytes, name: str) -> bytes:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read(name)


@pytest.fixture
def positions(people: dict[str, Api], clock: Clock, database: object) -> dict[str, Api]:  # noqa: F811
    issue(database, clock)  # type: ignore[arg-type]
    ph, id_, th = people["ph"], people["id"], people["th"]
    taken = [
        th.post("/positions", {"item": "FC-CD-01", "stance": "support"}),
        id_.post(
            "/positions",
            {
                "item": "FC-CD-01",
                "stance": "reservation",
                "statement": "Subject to  our capital's review",
            },
        ),
        ph.post(
            "/positions",
            {"item": "FC-CD-01", "stance": "objection", "delegation": "PH-ACWC"},
        ),
        ph.post(
            "/positions",
            {"item": "SEC-PURPOSE", "stance": "ad_referendum", "delegation": "PH-SOMTC"},
        ),
    ]
    assert [t.status_code for t in taken] == [201] * 4, [t.text for t in taken]
    return people


def test_the_compilation_shows_the_positions_on_each_items_text(
    positions: dict[str, Api],
) -> None:
    data = compilation(positions["sec"])
    found = blocks(data)
    assert found["FC-CD-01"] == (
        "Positions on this text: Support: TH-SOMTC; Reservation: ID-AICHR "
        "(\u201cSubject to our capital's review\u201d); Objection: PH-ACWC; "
        "Pending: 1 delegation"
    )
    assert found["SEC-PURPOSE"] == (
        "Positions on this text: Ad referendum: PH-SOMTC; Pending: 3 delegations"
    )
    assert found["FC-CD-02"] == "Positions on this text: Pending: 4 delegations"
    assert set(found) == {"FC-CD-01", "FC-CD-02", "FC-DR-01", "SEC-PURPOSE"}
    # As python-docx reads it: the named style the secretariat can change.
    styled = [
        p
        for p in docx.Document(io.BytesIO(data)).paragraphs
        if p.style is not None and p.style.name == "ZD Positions"
    ]
    assert len(styled) == 4
    # The clean text and the comment-response table do not show it.
    for variant in ("clean", "responses"):
        got = positions["sec"].get(f"/rounds/{ZD}/export.docx", params={"variant": variant})
        assert got.status_code == 200
        assert b"ZDPositions" not in _part(got.content, "word/document.xml")


def test_the_line_sits_outside_the_items_bookmark(positions: dict[str, Api]) -> None:
    body = etree.fromstring(_part(compilation(positions["sec"]), "word/document.xml"))
    open_: set[str] = set()
    for el in body.iter(f"{W}bookmarkStart", f"{W}bookmarkEnd", f"{W}p"):
        if el.tag == f"{W}bookmarkStart" and str(el.get(f"{W}name")).startswith("zd_"):
            open_.add(el.get(f"{W}id") or "")
        elif el.tag == f"{W}bookmarkEnd":
            open_.discard(el.get(f"{W}id") or "")
        elif el.tag == f"{W}p":
            style = el.find(f"{W}pPr/{W}pStyle")
            if style is not None and style.get(f"{W}val") == "ZDPositions":
                # bookmarkStart of an item sits inside its first paragraph: none is open here
                assert not open_, _text(el)


def test_an_unedited_compilation_imports_as_nothing(
    positions: dict[str, Api], db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = compilation(positions["sec"])
    package = open_docx(data)
    document = rd.read_returned(package)
    assert document is not None
    assert list(document.unplaced) == []
    assert list(document.new_paragraphs) == []
    assert all(not f.changes for item in document.items for f in item.fields)
    path = tmp_path / "compilation.docx"
    path.write_bytes(data)
    # The command reads its settings from the environment: the same key as the server's.
    monkeypatch.setenv("ZERODRAFT_SECRET_KEY", "test-secret-key-that-is-long-enough-0123456789")
    code, out, err = zerodraft(
        "import", str(path), "--delegation", "PH-SOMTC", "--dry-run", "--database", db_url
    )
    assert code == 0, err + out
    assert "0 proposals, 0 comments" in out.splitlines()[0], out
    assert out.splitlines()[-1] == "dry run: nothing was changed"


def test_libreoffice_shows_the_line(positions: dict[str, Api], tmp_path: Path) -> None:
    soffice, pdftotext = shutil.which("soffice"), shutil.which("pdftotext")
    assert soffice and pdftotext, "LibreOffice and poppler are needed for this test"
    path = tmp_path / "compilation.docx"
    path.write_bytes(compilation(positions["sec"]))
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(path),
        ],
        capture_output=True,
        timeout=180,
        check=True,
    )
    text = subprocess.run(
        [pdftotext, str(tmp_path / "compilation.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    flat = " ".join(text.split())
    assert "Positions on this text: Support: TH-SOMTC; Reservation: ID-AICHR" in flat
    assert "Pending: 4 delegations" in flat
