"""An untouched export comes back as nothing (issue 15, item 1).

The round (tests/test_word_loader.py's story) has an indicator deleted since the round before,
so its redline shows that item's fields as the export's own tracked deletions inside the item's
bookmark, and other tracked changes by delegations and the secretariat. Every variant, with and
without comments, imported unedited (`zerodraft import --dry-run`, the upload API and the upload
page), and the same after an open-and-save in LibreOffice, must read `0 proposals, 0 comments`.
A delegation that rejects one of the redline's own tracked changes (Word's XML for a rejection:
the w:ins removed, the w:del unwrapped) proposes to keep the earlier text, and the proposal says
so and is the uploading delegation's, not an authorless untracked amendment."""

# ruff: noqa: F811

import io
import re
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import func, select
from typer.testing import CliRunner

from app.audit.service import Actor
from app.cli import app
from app.config import Settings
from app.db import Database
from app.models import Comment, Proposal, Round
from app.register import service as register
from app.rounds.export import MEDIA_TYPE, export_round
from app.word.changes import Rejected, rejected_changes
from app.word.marks import mark_name
from tests.factories import World
from tests.helpers import Clock, log_in
from tests.test_word_loader import Story, story  # noqa: F401 (the fixture)
from tests.word_edits import (
    Insert,
    _soffice,
    edit_with_libreoffice,
    edit_with_word_xml,
    require_libreoffice,
)

R1, R2 = "ADWG/FC/2026/R1", "ADWG/FC/2026/R2"
VARIANTS = ("clean", "redline", "compilation", "responses")
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
COUNTS = re.compile(r": (\d+) proposals, (\d+) comments$")

runner = CliRunner()


@pytest.fixture
def every_field(database: Database, world: World, clock: Clock) -> None:
    """FC-DR-01, which the story deletes before its second round, with every field filled."""
    with database.transaction() as s:
        register.revise_item(
            s,
            Actor.system("test"),
            code="FC-DR-01",
            expected_revision=1,
            changes={
                "strength_adult": "medium",
                "strength_child": "strong",
                "element": "means",
                "profiles": ["adult", "child"],
                "crime_types": ["online_fraud", "begging"],
                "guidance": "Ask how the job was advertised and who paid.",
                "information_sources": "Victim interview; the job advertisement",
                "references": "ILO 2009 operational indicators",
            },
            reason="Zero Draft text",
            now=clock.now,
        )


@pytest.fixture
def told(every_field: None, story: Story) -> Story:
    """tests/test_word_loader.py's story, its deleted indicator with every field."""
    return story


def w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


def exports(database: Database, round_id: int) -> dict[str, bytes]:
    """Every variant, without and with comments, signed with the key the command reads."""
    out: dict[str, bytes] = {}
    with database.transaction(write=False) as s:
        round_ = s.get(Round, round_id)
        assert round_ is not None
        for variant in VARIANTS:
            for comments in (False, True):
                out[f"{variant}{' with comments' if comments else ''}"] = export_round(
                    s,
                    round_,
                    variant,
                    working_group="ADWG",
                    signing_key=Settings().secret_key,
                    include_comments=comments,
                ).data
    return out


def dry_run(db_url: str, folder: Path, name: str, data: bytes) -> list[str]:
    path = folder / (re.sub(r"\W+", "-", name) + ".docx")
    path.write_bytes(data)
    result = runner.invoke(
        app,
        ["import", str(path), "--delegation", "PH-ACWC", "--dry-run", "--database", db_url],
    )
    assert result.exit_code == 0, (name, result.stdout, result.stderr)
    # The notes (the round's deadline has passed by the wall clock) are not the file's.
    return [line for line in result.stdout.splitlines() if not line.startswith("note: ")]


def counts(lines: list[str]) -> tuple[int, int]:
    found = COUNTS.search(lines[0])
    assert found, lines[0]
    return int(found.group(1)), int(found.group(2))


def the_redline_deletes_an_item(data: bytes, code: str, *, in_its_bookmark: bool = True) -> None:
    """The situation of the issue: the item's fields are the export's own tracked deletions
    inside its bookmark (LibreOffice writes the bookmark elsewhere, the deletions stay)."""
    body = body_of(data)
    where = item_paragraphs(body, code) if in_its_bookmark else [body]
    deleted = "".join(t.text or "" for p in where for t in p.iter(w("delText")))
    assert "Offered a lawful job abroad but told to run fraud" in deleted


def body_of(data: bytes) -> Any:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return etree.fromstring(z.read("word/document.xml"))


def item_paragraphs(body: Any, code: str) -> list[Any]:
    """The paragraphs an item's bookmark spans."""
    name = mark_name("indicator", code)
    out: list[Any] = []
    bookmark: str | None = None
    for p in body.iter(w("p")):
        if bookmark is None:
            start = next((b for b in p.iter(w("bookmarkStart")) if b.get(w("name")) == name), None)
            if start is None:
                continue
            bookmark = start.get(w("id"))
        out.append(p)
        if any(e.get(w("id")) == bookmark for e in p.iter(w("bookmarkEnd"))):
            return out
    raise AssertionError(f"no bookmark for {code}")


def reject(data: bytes, code: str, accept: Callable[[str, str], bool]) -> bytes:
    """Word's XML after "Reject Change" on each of the export's tracked changes in an item for
    which `accept(op, text)` is true: an insertion is removed with its words, a deletion
    unwrapped (its runs stay, w:delText becoming w:t)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    body = etree.fromstring(parts["word/document.xml"])
    done = 0
    for p in item_paragraphs(body, code):
        for change in list(p.iter(w("ins"), w("del"))):
            if change.getparent().tag == w("rPr"):
                continue  # a paragraph mark's change: left as it is
            op = "insert" if change.tag == w("ins") else "delete"
            text = "".join(change.itertext())
            if not accept(op, text):
                continue
            parent = change.getparent()
            if op == "insert":
                parent.remove(change)
            else:
                at = parent.index(change)
                for n, run in enumerate(list(change)):
                    for t in run.iter(w("delText")):
                        t.tag = w("t")
                    parent.insert(at + n, run)
                parent.remove(change)
            done += 1
    assert done, f"no tracked change to reject in {code}"
    parts["word/document.xml"] = etree.tostring(body, xml_declaration=True, encoding="UTF-8")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in parts.items():
            z.writestr(name, content)
    return out.getvalue()


def reject_in_libreoffice(data: bytes, words: tuple[str, ...], folder: Path) -> bytes:
    """LibreOffice converts the file to a flat ODT, where each tracked change whose words are
    among `words` is rejected in ODF's terms (an insertion's words removed, a deletion's kept,
    and its text:changed-region gone), and LibreOffice writes the .docx again."""
    soffice = require_libreoffice()
    for name in ("in", "flat", "out"):
        (folder / name).mkdir(parents=True)
    (folder / "in" / "copy.docx").write_bytes(data)
    _soffice(soffice, folder / "profile", "fodt", folder / "flat", [folder / "in" / "copy.docx"])
    root = etree.fromstring((folder / "flat" / "copy.fodt").read_bytes())

    def t(tag: str) -> str:
        return f"{{{TEXT_NS}}}{tag}"

    def drop(el: Any, keep_tail: bool = True) -> None:
        parent, before = el.getparent(), el.getprevious()
        tail = (el.tail or "") if keep_tail else ""
        if before is not None:
            before.tail = (before.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
        parent.remove(el)

    regions = {r.get(t("id")): r for r in root.iter(t("changed-region"))}
    done = 0
    for start in list(root.iter(t("change-start"))):
        rid = start.get(t("change-id"))
        end = next(e for e in root.iter(t("change-end")) if e.get(t("change-id")) == rid)
        if end.getparent() is not start.getparent():
            continue  # over paragraphs: not one of these
        between = []
        sibling = start.getnext()
        while sibling is not None and sibling is not end:
            between.append(sibling)
            sibling = sibling.getnext()
        spanned = (start.tail or "") + "".join(
            "".join(el.itertext()) + (el.tail or "") for el in between
        )
        if spanned.strip() not in words:
            continue
        if regions[rid].find(t("insertion")) is not None:
            start.tail = None
            for el in between:
                el.getparent().remove(el)
        drop(start)
        drop(end)
        regions[rid].getparent().remove(regions[rid])
        done += 1
    assert done == len(words), f"rejected {done} of {words}"
    edited = folder / "out" / "copy.fodt"
    edited.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    _soffice(soffice, folder / "profile", "docx:MS Word 2007 XML", folder / "out", [edited])
    return (folder / "out" / "copy.docx").read_bytes()


def count(database: Database, model: type) -> int:
    with database.transaction(write=False) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


# Untouched


def test_every_untouched_export_comes_back_as_nothing(
    db_url: str, database: Database, told: Story, tmp_path: Path
) -> None:
    files = exports(database, told.r2)
    the_redline_deletes_an_item(files["redline"], "FC-DR-01")
    found = {name: dry_run(db_url, tmp_path, name, data) for name, data in files.items()}
    assert {name: counts(lines) for name, lines in found.items()} == dict.fromkeys(files, (0, 0)), {
        name: lines for name, lines in found.items() if counts(lines) != (0, 0)
    }
    for lines in found.values():
        assert lines[1:] == ["dry run: nothing was changed"]  # no problem, nothing unplaced


def test_every_untouched_export_saved_again_by_libreoffice_comes_back_as_nothing(
    db_url: str, database: Database, told: Story, tmp_path: Path
) -> None:
    files = exports(database, told.r2)
    resaved = edit_with_libreoffice(list(files.values()), [None] * len(files))
    saved = dict(zip(files, resaved, strict=True))
    the_redline_deletes_an_item(saved["redline"], "FC-DR-01", in_its_bookmark=False)
    found = {name: dry_run(db_url, tmp_path, name, data) for name, data in saved.items()}
    assert {name: counts(lines) for name, lines in found.items()} == dict.fromkeys(files, (0, 0)), {
        name: lines for name, lines in found.items() if counts(lines) != (0, 0)
    }
    for lines in found.values():
        assert lines[1:] == ["dry run: nothing was changed"]


def test_an_untouched_redline_uploaded_as_the_user_does_creates_nothing(
    client: TestClient, database: Database, world: World, told: Story, sec: dict[str, str]
) -> None:
    csrf = log_in(client, world.secretariat)
    downloaded = client.get(f"/rounds/{R2}/export", params={"variant": "redline"})
    assert downloaded.status_code == 200, downloaded.text
    the_redline_deletes_an_item(downloaded.content, "FC-DR-01")
    (resaved,) = edit_with_libreoffice([downloaded.content], [None])
    the_redline_deletes_an_item(resaved, "FC-DR-01", in_its_bookmark=False)
    proposals, comments = count(database, Proposal), count(database, Comment)
    for n, data in enumerate((downloaded.content, resaved)):
        # The API, as a script does.
        response = client.post(
            "/api/v1/imports",
            files={"file": (f"redline-{n}.docx", data, MEDIA_TYPE)},
            data={"delegation": "PH-ACWC"},
            headers=sec,
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["counts"] == {"proposals": 0, "comments": 0}, body["preview"]
        assert body["preview"]["problems"] == [] and body["preview"]["unplaced"] == []
        # The upload page, as a person does.
        page = client.post(
            "/imports",
            data={"csrf_token": csrf, "delegation": "PH-ACWC"},
            files={"file": (f"redline-{n}.docx", data, MEDIA_TYPE)},
        )
        assert page.status_code == 200, page.text
        assert "FC-DR-01" not in page.text and "Untracked edit" not in page.text
    assert (count(database, Proposal), count(database, Comment)) == (proposals, comments)


# Rejecting the export's own changes


def test_rejecting_a_tracked_change_of_the_redline_proposes_to_keep_the_earlier_text(
    client: TestClient,
    database: Database,
    world: World,
    told: Story,
    sec: dict[str, str],
    db_url: str,
    tmp_path: Path,
) -> None:
    redline = exports(database, told.r2)["redline"]
    # The Philippines' agreed amendment changed "taken" to "confiscated"; the delegation
    # rejects both halves of it.
    edited = reject(redline, "FC-CD-01", lambda op, text: text in ("taken", "confiscated"))
    lines = dry_run(db_url, tmp_path, "rejected", edited)
    assert counts(lines) == (1, 0), lines
    assert lines[1] == "  amend FC-CD-01"  # neither [untracked] nor a Word author
    assert lines[2].startswith("    text: ") and "taken" in lines[2], lines

    # The same rejection in a copy downloaded and uploaded over HTTP.
    downloaded = client.get(
        f"/api/v1/rounds/{R2}/export.docx", params={"variant": "redline"}, headers=sec
    )
    assert downloaded.status_code == 200, downloaded.text
    edited = reject(
        downloaded.content, "FC-CD-01", lambda op, text: text in ("taken", "confiscated")
    )
    response = client.post(
        "/api/v1/imports",
        files={"file": ("rejected.docx", edited, MEDIA_TYPE)},
        data={"delegation": "PH-ACWC"},
        headers=sec,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["counts"] == {"proposals": 1, "comments": 0}, body["preview"]
    (plan,) = body["preview"]["proposals"]
    assert plan["untracked"] is False and plan["authors"] == []
    done = client.post(
        f"/api/v1/imports/{body['id']}/confirm",
        headers=sec | {"If-Match": f'"I-{body["id"]}.v{body["version"]}"'},
    )
    assert done.status_code == 200, done.text
    (made,) = done.json()["created"]["proposals"]
    got = client.get(f"/api/v1/proposals/{made['id']}", headers=sec).json()
    assert got["kind"] == "amend" and got["delegation"] == "PH-ACWC"
    assert got["content"] == {"text": "Passport or personal phone taken by the operators"}
    rationale = got["rationale"]
    assert "keep the earlier text of FC-CD-01" in rationale, rationale
    assert "“confiscated”" in rationale and "“taken”" in rationale

    # Rejecting the deletion of the indicator the round deletes: keep it, and say so.
    kept = reject(downloaded.content, "FC-DR-01", lambda op, text: True)
    csrf = log_in(client, world.secretariat)
    page = client.post(
        "/imports",
        data={"csrf_token": csrf, "delegation": "PH-ACWC"},
        files={"file": ("kept.docx", kept, MEDIA_TYPE)},
        follow_redirects=False,
    )
    assert page.status_code == 303, page.text
    preview = client.get(page.headers["location"])
    assert "Proposes to keep FC-DR-01, which this round deletes, with its earlier text" in (
        preview.text
    )
    assert "Untracked edit" not in preview.text
    number = page.headers["location"].rsplit("/", 1)[1]
    response = client.get(f"/api/v1/imports/{number}", headers=sec)
    assert response.status_code == 200, response.text
    (plan,) = response.json()["preview"]["proposals"]
    assert (plan["item"], plan["kind"], plan["untracked"]) == ("FC-DR-01", "amend", False)
    assert plan["fields"]["text"] == "Offered a lawful job abroad but told to run fraud"
    assert plan["rationale"] == (
        "Proposes to keep FC-DR-01, which this round deletes, with its earlier text: rejects "
        "the deletion the exported redline showed."
    )


def test_rejecting_part_of_a_change_the_deletion_of_an_item_or_the_insertion_of_one(
    db_url: str, database: Database, told: Story, tmp_path: Path
) -> None:
    redline = exports(database, told.r2)["redline"]
    # Only the insertion of "confiscated" rejected: the deletion of "taken" stays accepted.
    one = reject(redline, "FC-CD-01", lambda op, text: op == "insert" and text == "confiscated")
    lines = dry_run(db_url, tmp_path, "one", one)
    assert counts(lines) == (1, 0) and lines[1] == "  amend FC-CD-01", lines
    # The secretariat's words added to FC-CD-02 rejected.
    words = reject(redline, "FC-CD-02", lambda op, text: "armed guards" in text)
    lines = dry_run(db_url, tmp_path, "words", words)
    assert counts(lines) == (1, 0) and lines[1] == "  amend FC-CD-02", lines
    # Every tracked change of the deleted FC-DR-01 rejected: keep the item as it was.
    kept = reject(redline, "FC-DR-01", lambda op, text: True)
    lines = dry_run(db_url, tmp_path, "kept", kept)
    assert counts(lines) == (1, 0), lines
    assert lines[1] == "  amend FC-DR-01", lines
    assert "Offered a lawful job abroad but told to run fraud" in "\n".join(lines)
    # Every tracked insertion of FC-DR-02, which the round adds, rejected: go without it.
    gone = reject(redline, "FC-DR-02", lambda op, text: True)
    lines = dry_run(db_url, tmp_path, "gone", gone)
    assert counts(lines) == (1, 0), lines
    assert lines[1] == "  delete FC-DR-02" and not any("could not place" in x for x in lines)


def test_a_rejection_and_a_tracked_edit_of_the_delegations_in_one_field(
    db_url: str, database: Database, told: Story, tmp_path: Path
) -> None:
    redline = exports(database, told.r2)["redline"]
    rejected = reject(redline, "FC-CD-01", lambda op, text: text in ("taken", "confiscated"))
    when = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    edited = edit_with_word_xml(
        rejected, [Insert("FC-CD-01", "personal phone", " or SIM card", "Ana Reyes", when)]
    )
    lines = dry_run(db_url, tmp_path, "both", edited)
    assert counts(lines) == (1, 0), lines
    assert lines[1] == "  amend FC-CD-01 by Ana Reyes", lines  # not [untracked]
    assert "SIM card" in lines[2] and "taken" in lines[2], lines


def test_a_change_rejected_in_libreoffice_keeps_the_earlier_text(
    db_url: str, database: Database, told: Story, tmp_path: Path
) -> None:
    redline = exports(database, told.r2)["redline"]
    edited = reject_in_libreoffice(redline, ("taken", "confiscated"), tmp_path / "lo")
    lines = dry_run(db_url, tmp_path, "rejected in LibreOffice", edited)
    assert counts(lines) == (1, 0), lines
    assert lines[1] == "  amend FC-CD-01", lines  # neither [untracked] nor a Word author
    assert lines[2].startswith("    text: ") and "taken" in lines[2], lines
    assert not any("could not place" in line for line in lines), lines


def test_which_of_the_redlines_changes_a_text_rejects() -> None:
    earlier = "Passport or personal phone taken by the operators"
    exported = "Passport or identity card taken by the armed operators"
    assert rejected_changes(earlier, exported, exported) is None  # nothing rejected
    assert rejected_changes(earlier, exported, earlier) == Rejected(
        inserted=("identity card", "armed"), deleted=("personal phone",)
    )
    one = rejected_changes(earlier, exported, "Passport or identity card taken by the operators")
    assert one == Rejected(inserted=("armed",), deleted=())
    assert one.describe() == "the insertion of “armed”"
    two = rejected_changes(
        earlier, exported, "Passport or  personal phone taken by the armed operators"
    )
    assert two == Rejected(
        inserted=("identity card",), deleted=("personal phone",)
    )  # spacing aside
    assert two.describe() == "the insertion of “identity card” and the deletion of “personal phone”"
    # Words of the delegation's own are no rejection: an untracked edit.
    assert rejected_changes(earlier, exported, "Passport seized by the operators") is None
    assert rejected_changes(earlier, earlier, "Passport") is None  # no change to reject
