"""A returned copy written by LibreOffice: exports edited through a flat ODT (tracked changes and
annotations in ODF's own terms, tests/word_edits.py) and turned back into .docx by LibreOffice,
read back with every change's author, date and text and every comment's words exact. One batch
of files, two soffice runs for the module.

In CI (CI=true) a missing LibreOffice fails these tests; elsewhere they are skipped.
"""

import io
import re
import zipfile
from datetime import UTC, datetime

import pytest

from app.word.incoming import ReturnedDocument, TrackedChange
from app.word.model import Variant
from app.word.writer import export
from tests.test_word_returned import field_of, item, read
from tests.test_word_writer import documents
from tests.word_edits import LoEdit, edit_with_libreoffice

VN = "Nguyen Van A"
TH = "Somchai Wong"
EDITED = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 4, 2, 14, 30, tzinfo=UTC)

FULL = [
    LoEdit("replace", "confiscated", "seized", VN, EDITED),
    LoEdit("insert", "Confined to a", " fenced", TH, LATER),
    LoEdit("delete", " with armed guards", "", VN, EDITED),
    LoEdit("comment", "guarded compound", "Which compounds are meant?", TH, LATER, initials="SW"),
    LoEdit("paragraph", "Ask how the job was advertised", "Promised high wages abroad", VN, EDITED),
    LoEdit("replace", "presumed victims", "possible victims", VN, tracked=False),
]
# A redline's changed words are the export's tracked changes: edit around them.
ON_REDLINE = [
    LoEdit("delete", "Passport or personal ", "", VN, EDITED),
    LoEdit("insert", "Confined to a", " fenced", TH, LATER),
    LoEdit("comment", "guarded compound", "Which compounds are meant?", TH, LATER, initials="SW"),
    LoEdit("paragraph", "Ask how the job was advertised", "Promised high wages abroad", VN, EDITED),
]
FILES: list[tuple[str, Variant, list[LoEdit] | None]] = [
    ("clean", "clean", FULL),
    ("compilation", "compilation", FULL),
    ("redline", "redline", ON_REDLINE),
    ("redline-untouched", "redline", []),  # through the flat ODT with no edit
    ("redline-resaved", "redline", None),  # opened and saved as .docx
]


@pytest.fixture(scope="module")
def returned() -> dict[str, tuple[bytes, ReturnedDocument]]:
    docs = documents()
    sources = [export(docs[variant], variant, include_comments=True) for _, variant, _ in FILES]
    written = edit_with_libreoffice(sources, [edits for _, _, edits in FILES])
    return {name: (data, read(data)) for (name, _, _), data in zip(FILES, written, strict=True)}


def comment_check(found: ReturnedDocument) -> None:
    (comment,) = item(found, "FC-CD-02").comments
    assert (comment.author, comment.initials, comment.date) == (TH, "SW", LATER)
    assert comment.text == "Which compounds are meant?"
    assert comment.quote == "guarded compound"
    assert comment.field == "text"
    assert not comment.exported
    (new,) = found.new_paragraphs
    assert (new.text, new.after, new.dimension) == ("Promised high wages abroad", "FC-DR-01", "DR")
    assert (new.tracked, new.author, new.date) == (True, VN, EDITED)


@pytest.mark.parametrize("name", ["clean", "compilation"])
def test_libreoffice_changes_and_comments_come_back_exactly(
    name: str, returned: dict[str, tuple[bytes, ReturnedDocument]]
) -> None:
    _, found = returned[name]
    assert found.round_symbol == "ADWG/FC/2026/R2"
    text = field_of(found, "FC-CD-01", "text")
    assert text.accepted == "Passport or personal phone seized by the operators"
    assert text.changes == (
        TrackedChange("delete", "confiscated", VN, EDITED),
        TrackedChange("insert", "seized", VN, EDITED),
    )
    compound = field_of(found, "FC-CD-02", "text")
    assert compound.accepted == "Confined to a fenced guarded compound"
    assert compound.changes == (
        TrackedChange("insert", " fenced", TH, LATER),
        TrackedChange("delete", " with armed guards", VN, EDITED),
    )
    comment_check(found)
    # The words changed without tracking read as they now stand (the flat ODT keeps no
    # manifest, so the flag is the service's to set by comparing with the round's text).
    purpose = field_of(found, "SEC-PURPOSE", "text")
    assert purpose.accepted == "These indicators help identify possible victims of trafficking."
    assert purpose.changes == ()
    changed = sorted((i.code, f.name) for i in found.items for f in i.fields if f.changes)
    assert changed == [("FC-CD-01", "text"), ("FC-CD-02", "text")]
    assert set(found.authors) == {VN, TH}
    assert found.unplaced == ()


def test_libreoffice_edits_of_a_redline_leave_its_own_changes_aside(
    returned: dict[str, tuple[bytes, ReturnedDocument]],
) -> None:
    _, found = returned["redline"]
    text = field_of(found, "FC-CD-01", "text")
    assert text.accepted == "phone confiscated by the operators"
    assert text.changes == (TrackedChange("delete", "Passport or personal ", VN, EDITED),)
    compound = field_of(found, "FC-CD-02", "text")
    assert compound.accepted == "Confined to a fenced guarded compound with armed guards"
    assert compound.changes == (TrackedChange("insert", " fenced", TH, LATER),)
    comment_check(found)
    authors = {c.author for i in found.items for f in i.fields for c in f.changes}
    assert authors == {VN, TH}


@pytest.mark.parametrize("name", ["redline-untouched", "redline-resaved"])
def test_a_copy_libreoffice_only_saved_has_no_changes(
    name: str, returned: dict[str, tuple[bytes, ReturnedDocument]]
) -> None:
    _, found = returned[name]
    assert found.variant == "redline" and found.round_symbol == "ADWG/FC/2026/R2"
    assert len(found.items) == 6
    for one in found.items:
        assert not one.struck and one.comments == ()
        for f in one.fields:
            assert f.changes == () and not f.untracked, (one.code, f)
    assert found.new_paragraphs == () and found.unplaced == () and found.authors == ()
    assert field_of(found, "FC-CD-01", "text").accepted == (
        "Passport or personal phone confiscated by the operators"
    )


def test_libreoffice_keeps_the_properties_and_the_manifest(
    returned: dict[str, tuple[bytes, ReturnedDocument]],
) -> None:
    data, _ = returned["redline-resaved"]
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
        custom = z.read("docProps/custom.xml").decode()
        manifests = [z.read(n) for n in names if re.fullmatch(r"customXml/item\d+\.xml", n)]
    assert "zerodraft.round" in custom and "ADWG/FC/2026/R2" in custom
    assert any(b"urn:zerodraft:export:1" in m for m in manifests)
