"""Reading a returned copy (app/word/returned.py) of every export variant, edited the way Word
writes its XML (tests/word_edits.py): exact accepted texts, who changed what and when, comments
with their quoted words and replies, struck items, new paragraphs, untracked edits; the export's
own tracked changes and comments are never taken for the delegation's."""

import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import docx
import pytest
from lxml import etree

from app.word import marks
from app.word.incoming import ReturnedDocument, ReturnedField, ReturnedItem, TrackedChange
from app.word.model import VARIANTS, Variant
from app.word.returned import read_returned
from app.word.writer import export
from app.word.xmlsafe import Element, parse_xml
from tests.test_word_writer import CD, documents, indicator, new_document
from tests.word_edits import (
    AddParagraph,
    Comment,
    Delete,
    Edit,
    Insert,
    JoinLines,
    Move,
    Reply,
    ReplyTo,
    Strike,
    Untracked,
    edit_with_word_xml,
)

VN = "Nguyen Van A (Viet Nam - SOMTC)"
TH = "Somchai Wong (Thailand - SOMTC)"
EDITED = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 4, 2, 14, 30, tzinfo=UTC)
TEXT_VARIANTS: tuple[Variant, ...] = ("clean", "redline", "compilation")


@dataclass
class Package:
    """What app/word/reader.py's opener hands out: the parts, and a safe parse of each."""

    parts: Mapping[str, bytes]

    def xml(self, name: str) -> Element | None:
        data = self.parts.get(name)
        return None if data is None else parse_xml(data, name)


def package(data: bytes) -> Package:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return Package({n: z.read(n) for n in z.namelist() if n.endswith((".xml", ".rels"))})


def read(data: bytes) -> ReturnedDocument:
    found = read_returned(package(data))
    assert found is not None
    return found


def item(document: ReturnedDocument, code: str) -> ReturnedItem:
    return next(i for i in document.items if i.code == code)


def field_of(document: ReturnedDocument, code: str, name: str) -> ReturnedField:
    return next(f for f in item(document, code).fields if f.name == name)


EDITS: list[Edit] = [
    Insert("FC-CD-01", "Passport or personal phone", " or identity card", VN, EDITED),
    Delete("FC-CD-01", " by the operators", VN, EDITED),
    Comment(
        "FC-CD-02",
        "guarded compound",
        "Which compounds are meant?",
        TH,
        "SW",
        LATER,
        replies=(Reply(VN, "NVA", LATER, "Those with armed guards."),),
    ),
    Strike("FC-CD-03", TH, LATER),
    AddParagraph("FC-DR-01", "Promised high wages for online work", VN, EDITED),
    Untracked("SEC-PURPOSE", "presumed victims", "possible victims"),
    ReplyTo("C-5: ", Reply(TH, "SW", LATER, "We prefer seized.")),
]


@pytest.fixture(scope="module")
def exported() -> dict[Variant, bytes]:
    return {v: export(doc, v, include_comments=True) for v, doc in documents().items()}


@pytest.fixture(scope="module")
def returned(exported: dict[Variant, bytes]) -> dict[Variant, ReturnedDocument]:
    return {v: read(edit_with_word_xml(exported[v], EDITS)) for v in TEXT_VARIANTS}


# An export as it went out


@pytest.mark.parametrize("variant", VARIANTS)
def test_an_unedited_export_reads_back_with_no_changes(
    variant: Variant, exported: dict[Variant, bytes]
) -> None:
    found = read(exported[variant])
    assert found.round_symbol == "ADWG/FC/2026/R2"
    assert found.variant == variant
    assert found.exported_at == datetime(2026, 3, 6, 8, 0, tzinfo=UTC)  # the latest reply
    assert found.new_paragraphs == () and found.unplaced == () and found.comments == ()
    assert found.authors == ()
    for one in found.items:
        assert not one.struck and one.comments == ()
        for f in one.fields:
            assert f.changes == () and not f.untracked, (one.code, f)
            assert f.accepted == f.original
    if variant == "responses":
        assert found.items == ()
        return
    assert [i.code for i in found.items] == [
        "SEC-PURPOSE",
        "SEC-SCOPE",
        "FC-DR-01",
        "FC-CD-01",
        "FC-CD-02",
        "FC-CD-03",
    ]
    assert item(found, "FC-CD-01").dimension == "CD"
    fields = {f.name: f.accepted for f in item(found, "FC-CD-01").fields}
    assert fields == {
        "text": "Passport or personal phone confiscated by the operators",
        "strength_adult": "strong",
        "strength_child": "strong",
        "profiles": "adult, child",
        "crime_types": "online fraud",
        "references": "ACTIP Art. 14(7)",
    }
    assert {f.name: f.accepted for f in item(found, "SEC-SCOPE").fields} == {
        "title": "Scope",
        "text": "Online fraud and drug trafficking.\nOther forced criminality.",
    }
    assert field_of(found, "FC-DR-01", "guidance").accepted == (
        "Ask how the job was advertised and who paid."
    )


def test_a_file_without_zerodraft_marks_gives_none() -> None:
    plain = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("1. Offered a lawful job abroad")
    document.save(plain)
    assert read_returned(package(plain.getvalue())) is None


def test_the_marks_are_hidden_bookmarks_and_properties(exported: dict[Variant, bytes]) -> None:
    data = exported["clean"]
    body = etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml"))
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    names = [b.get(f"{w}name") for b in body.iter(f"{w}bookmarkStart")]
    ours = [n for n in names if n.startswith("zd_")]
    assert ours == [
        "zd_s_SEC_PURPOSE",
        "zd_s_SEC_SCOPE",
        "zd_d_DR",
        "zd_i_FC_DR_01",
        "zd_d_CD",
        "zd_i_FC_CD_01",
        "zd_i_FC_CD_02",
        "zd_i_FC_CD_03",
    ]
    assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,39}", n) for n in ours)
    props = marks.read_custom_properties(package(data).xml("docProps/custom.xml"))
    assert props["zerodraft.round"] == "ADWG/FC/2026/R2"
    assert props["zerodraft.variant"] == "clean"
    assert props["zerodraft.as_of"] == "2026-03-06T08:00:00Z"
    assert re.fullmatch("[0-9a-f]{64}", props["zerodraft.text_hash"])
    # Nothing of it shows: the document's text is the same as without comments or marks.
    assert "zd_" not in "".join(body.itertext())


def test_an_odd_code_gets_a_hashed_mark_found_through_the_manifest() -> None:
    odd = indicator("FC_CD.9 (draft)", 9, CD, "Made to recruit relatives")
    document = new_document(indicators=(*new_document().indicators, odd))
    name = marks.mark_name("indicator", "FC_CD.9 (draft)")
    assert re.fullmatch(r"zd_hi_[0-9a-f]{16}", name)
    assert marks.parse_mark(name) == ("indicator", None)
    data = edit_with_word_xml(
        export(document, "clean"),
        [Insert("FC_CD.9 (draft)", "recruit", " or exploit", VN, EDITED)],
    )
    f = field_of(read(data), "FC_CD.9 (draft)", "text")
    assert f.accepted == "Made to recruit or exploit relatives"
    assert f.changes == (TrackedChange("insert", " or exploit", VN, EDITED),)


# Word's edits, in every variant with draft text


@pytest.mark.parametrize("variant", TEXT_VARIANTS)
def test_tracked_changes_come_back_with_author_and_date(
    variant: Variant, returned: dict[Variant, ReturnedDocument]
) -> None:
    found = returned[variant]
    text = field_of(found, "FC-CD-01", "text")
    assert text.accepted == "Passport or personal phone or identity card confiscated"
    assert text.changes == (
        TrackedChange("insert", " or identity card", VN, EDITED),
        TrackedChange("delete", " by the operators", VN, EDITED),
    )
    assert not text.untracked
    assert text.original == "Passport or personal phone confiscated by the operators"
    others = [(i.code, f.name) for i in found.items for f in i.fields if f.changes]
    assert others == [("FC-CD-01", "text"), ("FC-CD-03", "text")]
    assert set(found.authors) == {VN, TH}


def test_the_redlines_own_changes_are_not_the_delegations(
    returned: dict[Variant, ReturnedDocument],
) -> None:
    found = returned["redline"]
    # FC-CD-01's "taken" -> "confiscated" and the whole of FC-CD-03 are the export's changes.
    authors = {c.author for i in found.items for f in i.fields for c in f.changes}
    assert authors == {VN, TH}
    guidance = field_of(found, "FC-DR-01", "guidance")
    assert guidance.accepted == "Ask how the job was advertised and who paid."
    assert guidance.changes == () and not guidance.untracked


@pytest.mark.parametrize("variant", TEXT_VARIANTS)
def test_comments_come_back_with_their_words_field_and_replies(
    variant: Variant, returned: dict[Variant, ReturnedDocument]
) -> None:
    found = returned[variant]
    (comment,) = item(found, "FC-CD-02").comments
    assert (comment.author, comment.initials, comment.date) == (TH, "SW", LATER)
    assert comment.text == "Which compounds are meant?"
    assert comment.quote == "guarded compound"
    assert comment.field == "text"
    assert not comment.exported and not comment.resolved
    (reply,) = comment.replies
    assert (reply.author, reply.text, reply.date) == (VN, "Those with armed guards.", LATER)
    # The export's own thread comes back only for the new reply in it.
    (thread,) = item(found, "FC-CD-01").comments
    assert thread.exported and thread.reference == "C-5"
    assert thread.quote == "confiscated"
    assert [(r.author, r.text, r.exported) for r in thread.replies] == [
        ("Siti Secretariat (ASEAN Secretariat)", "C-8: It follows ACTIP.", True),
        (TH, "We prefer seized.", False),
    ]


@pytest.mark.parametrize("variant", TEXT_VARIANTS)
def test_a_struck_indicator_is_a_proposed_deletion(
    variant: Variant, returned: dict[Variant, ReturnedDocument]
) -> None:
    struck = item(returned[variant], "FC-CD-03")
    assert struck.struck
    assert struck.struck_by is not None
    assert (struck.struck_by.op, struck.struck_by.author, struck.struck_by.date) == (
        "delete",
        TH,
        LATER,
    )
    assert field_of(returned[variant], "FC-CD-03", "text").accepted == ""
    assert [i.code for i in returned[variant].items if i.struck] == ["FC-CD-03"]


@pytest.mark.parametrize("variant", TEXT_VARIANTS)
def test_a_new_paragraph_after_an_indicator_is_found_with_its_place(
    variant: Variant, returned: dict[Variant, ReturnedDocument]
) -> None:
    (new,) = returned[variant].new_paragraphs
    assert new.text == "Promised high wages for online work"
    assert (new.after, new.dimension) == ("FC-DR-01", "DR")
    assert (new.tracked, new.author, new.date) == (True, VN, EDITED)
    assert returned[variant].unplaced == ()


@pytest.mark.parametrize("variant", TEXT_VARIANTS)
def test_an_untracked_edit_is_flagged(
    variant: Variant, returned: dict[Variant, ReturnedDocument]
) -> None:
    text = field_of(returned[variant], "SEC-PURPOSE", "text")
    assert text.accepted == "These indicators help identify possible victims of trafficking."
    assert text.changes == ()
    assert text.untracked
    assert not field_of(returned[variant], "SEC-PURPOSE", "title").untracked


def test_an_untracked_new_paragraph_and_one_at_the_start_of_a_dimension(
    exported: dict[Variant, bytes],
) -> None:
    data = edit_with_word_xml(
        exported["clean"],
        [
            AddParagraph("FC-CD-02", "Made to recruit others", None, None),
            AddParagraph("FC-DR-01", "Debts inflated by fees", TH, LATER, style="Normal"),
        ],
    )
    found = read(data)
    assert [(n.text, n.after, n.dimension, n.tracked, n.author) for n in found.new_paragraphs] == [
        ("Debts inflated by fees", "FC-DR-01", "DR", True, TH),
        ("Made to recruit others", "FC-CD-02", "CD", False, None),
    ]
    assert all(not f.untracked for i in found.items for f in i.fields)


def test_joined_lines_and_moved_words(exported: dict[Variant, bytes]) -> None:
    data = edit_with_word_xml(
        exported["clean"],
        [
            JoinLines("SEC-SCOPE", "Online fraud and drug trafficking.", VN, EDITED),
            Move("FC-CD-02", "guarded ", "Confined to a ", TH, LATER),
        ],
    )
    found = read(data)
    scope = field_of(found, "SEC-SCOPE", "text")
    assert scope.accepted == "Online fraud and drug trafficking.Other forced criminality."
    assert scope.original == "Online fraud and drug trafficking.\nOther forced criminality."
    assert scope.changes == (TrackedChange("delete", "\n", VN, EDITED),)
    assert not scope.untracked
    moved = field_of(found, "FC-CD-02", "text")
    assert moved.accepted == "Confined to a guarded compound with armed guards"
    assert moved.changes == (
        TrackedChange("insert", "guarded ", TH, LATER),
        TrackedChange("delete", "guarded ", TH, LATER),
    )


def test_ids_reused_as_libreoffice_does_change_nothing(exported: dict[Variant, bytes]) -> None:
    data = edit_with_word_xml(exported["redline"], EDITS)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        members = {n: z.read(n) for n in z.namelist()}
    body = members["word/document.xml"].decode()
    # Every tracked change gets w:id="0", as LibreOffice writes them beside comments and
    # bookmarks numbered from 0 too.
    body = re.sub(r'(<w:(?:ins|del|moveFrom|moveTo) w:id=")\d+"', r'\g<1>0"', body)
    members["word/document.xml"] = body.encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, content in members.items():
            z.writestr(name, content)
    assert read(out.getvalue()) == read(data)


def test_a_change_dated_before_the_export_by_another_author_is_still_returned(
    exported: dict[Variant, bytes],
) -> None:
    early = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a wrong clock on the delegate's computer
    data = edit_with_word_xml(
        exported["redline"], [Insert("FC-CD-02", "guarded compound", " gated", VN, early)]
    )
    assert field_of(read(data), "FC-CD-02", "text").changes == (
        TrackedChange("insert", " gated", VN, early),
    )


def test_without_the_manifest_the_export_date_tells_the_exports_changes(
    exported: dict[Variant, bytes],
) -> None:
    data = edit_with_word_xml(exported["redline"], EDITS[:2])
    parts = {n: b for n, b in package(data).parts.items() if not n.startswith("customXml/")}
    found = read_returned(Package(parts))
    assert found is not None
    text = next(f for f in item(found, "FC-CD-01").fields if f.name == "text")
    assert [(c.op, c.author) for c in text.changes] == [("insert", VN), ("delete", VN)]
    assert not text.untracked  # no exported hashes to compare with: the service compares


def test_the_reader_works_on_the_safe_openers_package(exported: dict[Variant, bytes]) -> None:
    from app.word.reader import open_docx

    data = edit_with_word_xml(exported["compilation"], EDITS)
    found = read_returned(open_docx(data, "returned.docx"))
    assert found is not None
    assert found.round_symbol == "ADWG/FC/2026/R2"
    ours = read(data)
    assert [i.code for i in found.items] == [i.code for i in ours.items]
    assert field_of(found, "FC-CD-01", "text").changes == field_of(ours, "FC-CD-01", "text").changes
    assert found.new_paragraphs == ours.new_paragraphs
    assert item(found, "FC-CD-02").comments == item(ours, "FC-CD-02").comments
    assert found == ours  # the opener keeps the manifest: untracked edits are flagged too
    assert field_of(found, "SEC-PURPOSE", "text").untracked


def test_compilation_proposals_are_not_taken_for_new_indicators(
    returned: dict[Variant, ReturnedDocument], exported: dict[Variant, bytes]
) -> None:
    found = read(exported["compilation"])
    assert found.new_paragraphs == () and found.unplaced == ()
    codes = [i.code for i in returned["compilation"].items]
    assert not any(c.startswith("P-") for c in codes)


def test_an_exported_copy_reexported_as_a_template_keeps_one_manifest() -> None:
    first = export(new_document(), "clean")
    again = export(replace(new_document()), "clean", template=first)
    with zipfile.ZipFile(io.BytesIO(again)) as z:
        manifests = [n for n in z.namelist() if re.fullmatch(r"customXml/item\d+\.xml", n)]
        assert len(manifests) == 1
        custom = z.read("docProps/custom.xml").decode()
    assert custom.count('name="zerodraft.round"') == 1


def test_an_item_whose_bookmark_lost_its_end_stops_at_the_next_heading(
    exported: dict[Variant, bytes],
) -> None:
    data = edit_with_word_xml(exported["clean"], EDITS)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        members = {n: z.read(n) for n in z.namelist()}
    body = members["word/document.xml"].decode()
    bid = re.search(r'<w:bookmarkStart w:id="(\d+)" w:name="zd_i_FC_DR_01"/>', body)
    assert bid is not None
    body = body.replace(f'<w:bookmarkEnd w:id="{bid.group(1)}"/>', "")
    members["word/document.xml"] = body.encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, content in members.items():
            z.writestr(name, content)
    found = read(out.getvalue())
    # The new paragraph after FC-DR-01 (in the indicator text's style) now reads as a line
    # of its text; the next dimension's heading and description stay out of the item.
    text = field_of(found, "FC-DR-01", "text")
    assert text.accepted == (
        "Offered a lawful job abroad but made to commit online fraud\n"
        "Promised high wages for online work"
    )
    assert text.changes == (
        TrackedChange("insert", "Promised high wages for online work", VN, EDITED),
    )
    assert found.new_paragraphs == ()
    assert text.original == "Offered a lawful job abroad but made to commit online fraud"
    assert not text.untracked
    assert [f.name for f in item(found, "FC-DR-01").fields] == [
        "text",
        "strength_adult",
        "profiles",
        "guidance",
    ]
    assert item(found, "FC-CD-01").dimension == "CD"


def test_an_edit_in_the_response_table_is_unplaced_never_a_new_indicator(
    exported: dict[Variant, bytes],
) -> None:
    with zipfile.ZipFile(io.BytesIO(exported["responses"])) as z:
        members = {n: z.read(n) for n in z.namelist()}
    body = members["word/document.xml"].decode()
    assert "Taken into account" in body
    members["word/document.xml"] = body.replace("Taken into account", "Noted", 1).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, content in members.items():
            z.writestr(name, content)
    found = read(out.getvalue())
    assert found.items == () and found.new_paragraphs == ()
    assert found.unplaced == ("Noted",)
