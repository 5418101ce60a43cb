"""Reading a draft written in Word without the platform: a python-docx document with a title,
prose sections, dimensions with real Word numbering and with manual numbering, a table of
indicators, tracked changes and special characters, checked field by field."""

import io
import time
from datetime import UTC, datetime

import docx
import pytest
from docx.enum.text import WD_BREAK
from docx.oxml import parse_xml as docx_xml
from docx.oxml.ns import nsdecls

from app.word.authored import accept_changes, read_authored, text_of
from app.word.incoming import (
    AuthoredChange,
    AuthoredDimension,
    AuthoredIndicator,
    AuthoredSection,
)
from app.word.reader import open_docx
from app.word.revisions import W_NS

ASEAN = "Debt bondage: ถูกบังคับให้ชดใช้หนี้ · ជំពាក់បំណុល · bị ép trả nợ"
WHEN = datetime(2026, 3, 5, 8, 0, tzinfo=UTC)


def tracked(paragraph: object, before: str, deleted: str, inserted: str, after: str) -> None:
    """Add "before [-deleted-][+inserted+] after" to a python-docx paragraph as tracked
    changes in Word's own XML."""
    p = paragraph._p  # type: ignore[attr-defined]
    stamp = WHEN.strftime("%Y-%m-%dT%H:%M:%SZ")
    who = f'w:author="Maria Santos" w:date="{stamp}"'
    for xml in (
        f'<w:r {nsdecls("w")}><w:t xml:space="preserve">{before}</w:t></w:r>',
        f'<w:del {nsdecls("w")} w:id="1" {who}><w:r><w:delText>{deleted}</w:delText></w:r></w:del>',
        f'<w:ins {nsdecls("w")} w:id="2" {who}><w:r><w:t>{inserted}</w:t></w:r></w:ins>',
        f'<w:r {nsdecls("w")}><w:t xml:space="preserve">{after}</w:t></w:r>',
    ):
        p.append(docx_xml(xml))


def special_runs(paragraph: object) -> None:
    """ "FC-CD-04" written with non-breaking hyphens, then a tab, a symbol bullet and a line
    break."""
    p = paragraph._p  # type: ignore[attr-defined]
    p.append(
        docx_xml(
            f"<w:r {nsdecls('w')}><w:t>FC</w:t><w:noBreakHyphen/><w:t>CD</w:t><w:noBreakHyphen/>"
            '<w:t>04</w:t><w:tab/><w:sym w:font="Symbol" w:char="F0B7"/>'
            '<w:t xml:space="preserve"> Made to recruit others</w:t><w:br/>'
            "<w:t>from home</w:t></w:r>"
        )
    )


def authored_docx() -> bytes:
    d = docx.Document()
    d.add_paragraph("RESTRICTED")  # 1: before the title, placed nowhere
    d.add_paragraph("Zero Draft ASEAN Indicators of Forced Criminality", style="Title")  # 2
    d.add_heading("1. Purpose", level=1)  # 3
    d.add_paragraph("These indicators help identify presumed victims.")  # 4
    d.add_paragraph("They are a guide, not a checklist.")  # 5
    d.add_heading("2. Scope", level=1)  # 6
    d.add_paragraph("Online fraud and drug trafficking.")  # 7
    d.add_heading("Indicators", level=1)  # 8: groups the dimensions below
    d.add_heading("Deceptive recruitment (DR)", level=2)  # 9
    d.add_paragraph("How people are lured abroad.")  # 10
    d.add_paragraph(  # 11
        "FC-DR-01: Offered a lawful job abroad but made to commit online fraud (strong)",
        style="List Number",
    )
    d.add_paragraph(  # 12
        "Recruiter paid travel and visa costs (adult: medium; child: strong)",
        style="List Number",
    )
    d.add_paragraph("Guidance: Ask who paid and how much.")  # 13
    d.add_heading("CD \u2013 Control at destination", level=2)  # 14
    d.add_paragraph(  # 15
        "3.\tPassport or personal phone confiscated by the operators [FC-CD-01]"
    )
    tracked(d.add_paragraph("4. "), "Confined to a ", "guarded", "fenced", " compound")  # 16
    d.add_paragraph(f"4.1 {ASEAN} (FC-CD-03)")  # 17
    special_runs(d.add_paragraph("(a) "))  # 18
    d.add_paragraph("The list above is not complete.")  # 19: prose after indicators
    page_break = d.add_paragraph()  # 20: empty
    page_break.add_run().add_break(WD_BREAK.PAGE)
    d.add_heading("Coercion into crime", level=2)  # 21
    table = d.add_table(rows=1, cols=7)
    headers = ("Code", "Indicator", "Strength (adult)", "Strength (Child)", "Guidance note")
    headers += ("Sources of information", "References")
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = text
    rows = (
        ("FC-CC-01", "Threatened with violence", "Strong", "strong", "Ask about threats.", "", ""),
        ("", "", "", "", "", "", ""),
        ("FC-CC-02", "Fined for missing targets", "medium", "", "", "Interviews", "ACTIP Art. 2"),
        ("FC-CC-03", "", "weak", "", "", "", ""),
    )
    for values in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, values, strict=True):
            cell.text = text
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def authored() -> object:
    return read_authored(open_docx(authored_docx(), "zero draft.docx"))


def test_the_title_comes_from_the_title_style(authored: object) -> None:
    assert authored.title == "Zero Draft ASEAN Indicators of Forced Criminality"  # type: ignore[attr-defined]


def test_headings_followed_by_prose_are_sections_without_their_numbers(authored: object) -> None:
    assert authored.sections == (  # type: ignore[attr-defined]
        AuthoredSection(
            "Purpose",
            "These indicators help identify presumed victims.\nThey are a guide, not a checklist.",
        ),
        AuthoredSection("Scope", "Online fraud and drug trafficking."),
    )


def test_word_numbered_list_items_are_indicators_with_codes_and_strengths(
    authored: object,
) -> None:
    dr = authored.dimensions[0]  # type: ignore[attr-defined]
    assert (dr.title, dr.code, dr.description) == (
        "Deceptive recruitment",
        "DR",
        "How people are lured abroad.",
    )
    assert dr.indicators == (
        AuthoredIndicator(
            text="Offered a lawful job abroad but made to commit online fraud",
            code="FC-DR-01",
            number="1",
            strength_adult="strong",
            source="paragraph 11",
        ),
        AuthoredIndicator(
            text="Recruiter paid travel and visa costs",
            number="2",
            strength_adult="medium",
            strength_child="strong",
            guidance="Ask who paid and how much.",
            source="paragraph 12",
        ),
    )


def test_manually_numbered_paragraphs_are_indicators_with_the_text_before_the_changes(
    authored: object,
) -> None:
    cd = authored.dimensions[1]  # type: ignore[attr-defined]
    assert (cd.title, cd.code, cd.description) == ("Control at destination", "CD", "")
    assert cd.indicators == (
        AuthoredIndicator(
            text="Passport or personal phone confiscated by the operators",
            code="FC-CD-01",
            number="3",
            source="paragraph 15",
        ),
        AuthoredIndicator(text="Confined to a guarded compound", number="4", source="paragraph 16"),
        AuthoredIndicator(text=ASEAN, code="FC-CD-03", number="4.1", source="paragraph 17"),
        AuthoredIndicator(
            text="\u2022 Made to recruit others\nfrom home",
            code="FC-CD-04",
            number="a",
            source="paragraph 18",
        ),
    )
    # The tracked change is Maria Santos's proposal, not the imported text.
    assert authored.changes == (  # type: ignore[attr-defined]
        AuthoredChange(
            "Maria Santos",
            "amend",
            "indicator",
            "paragraph 16",
            (("text", "Confined to a fenced compound"),),
            date=WHEN,
        ),
    )
    assert authored.authors == ("Maria Santos",)  # type: ignore[attr-defined]


def test_a_table_with_an_indicator_column_gives_one_indicator_a_row(authored: object) -> None:
    cc = authored.dimensions[2]  # type: ignore[attr-defined]
    assert cc == AuthoredDimension(
        title="Coercion into crime",
        code="CC",  # the codes' shared middle part
        indicators=(
            AuthoredIndicator(
                text="Threatened with violence",
                code="FC-CC-01",
                strength_adult="strong",
                strength_child="strong",
                guidance="Ask about threats.",
                source="table 1 row 2",
            ),
            AuthoredIndicator(
                text="Fined for missing targets",
                code="FC-CC-02",
                strength_adult="medium",
                information_sources="Interviews",
                references="ACTIP Art. 2",
                source="table 1 row 4",
            ),
        ),
    )
    assert len(authored.dimensions) == 3  # type: ignore[attr-defined]


def test_what_fits_nowhere_is_listed_with_where_it_was(authored: object) -> None:
    assert authored.unplaced == (  # type: ignore[attr-defined]
        "paragraph 1: RESTRICTED",
        "paragraph 19: The list above is not complete.",
        "table 1 row 5: FC-CC-03 | weak: no indicator of the draft has the code or number "
        "'FC-CC-03', so these values fill nothing",
    )


def test_libreoffice_style_names_and_outline_levels_are_headings() -> None:
    d = docx.Document()
    styles = d.styles.element
    styles.append(
        docx_xml(
            f'<w:style {nsdecls("w")} w:type="paragraph" w:styleId="Titre1">'
            '<w:name w:val="Heading 1"/><w:basedOn w:val="Normal"/></w:style>'
        )
    )
    styles.append(
        docx_xml(
            f'<w:style {nsdecls("w")} w:type="paragraph" w:styleId="MyDimension">'
            '<w:name w:val="My dimension"/><w:pPr><w:outlineLvl w:val="1"/></w:pPr></w:style>'
        )
    )
    body = d.element.body
    for style, text in (
        ("Titre1", "Background"),
        (None, "Written in LibreOffice."),
        ("MyDimension", "FI: Financial control"),
        ("ListBullet", "Wages withheld"),
    ):
        pstyle = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
        body.insert(
            len(body) - 1,
            docx_xml(f"<w:p {nsdecls('w')}>{pstyle}<w:r><w:t>{text}</w:t></w:r></w:p>"),
        )
    out = io.BytesIO()
    d.save(out)
    found = read_authored(open_docx(out.getvalue()))
    assert found.sections == (AuthoredSection("Background", "Written in LibreOffice."),)
    assert found.dimensions == (
        AuthoredDimension(
            "Financial control",
            "FI",
            indicators=(AuthoredIndicator("Wages withheld", source="paragraph 4"),),
        ),
    )
    assert found.unplaced == ()


def test_moved_and_deleted_text_is_read_as_accepted() -> None:
    p = docx_xml(
        f'<w:p xmlns:w="{W_NS}"><w:moveFrom w:id="1" w:author="A"><w:r><w:t>gone </w:t></w:r>'
        '</w:moveFrom><w:r><w:t xml:space="preserve">kept </w:t></w:r>'
        '<w:moveTo w:id="2" w:author="A"><w:r><w:t>moved</w:t></w:r></w:moveTo>'
        "<w:r><w:instrText>PAGE</w:instrText><w:delText>old</w:delText></w:r></w:p>"
    )
    accept_changes(p)
    assert text_of(p) == "kept moved"


def test_five_hundred_indicators_are_read_in_well_under_a_second() -> None:
    d = docx.Document()
    d.add_paragraph("Big draft", style="Title")
    for dim in range(10):
        d.add_heading(f"Dimension {dim} (D{dim})", level=1)
        for n in range(50):
            d.add_paragraph(
                f"FC-D{dim}-{n + 1:02d}: Indicator {n} of dimension {dim} with some words "
                "describing what a first responder sees (strong)",
                style="List Number",
            )
    out = io.BytesIO()
    d.save(out)
    data = out.getvalue()
    started = time.process_time()  # CPU time: other processes on the machine do not count
    found = read_authored(open_docx(data))
    elapsed = time.process_time() - started
    assert sum(len(dim.indicators) for dim in found.dimensions) == 500
    assert found.dimensions[9].indicators[49] == AuthoredIndicator(
        text="Indicator 49 of dimension 9 with some words describing what a first responder sees",
        code="FC-D9-50",
        number="500",  # Word's List Number style counts on through the document
        strength_adult="strong",
        source="paragraph 511",
    )
    assert elapsed < 1.0, elapsed


def test_word_numbering_is_shown_as_word_shows_it() -> None:
    d = docx.Document()
    numbering = d.part.numbering_part.element
    levels = (("decimal", "%1.", 3), ("decimal", "%1.%2", 1), ("lowerRoman", "(%3)", 1))
    numbering.append(
        docx_xml(
            f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90">'
            + "".join(
                f'<w:lvl w:ilvl="{n}"><w:start w:val="{start}"/><w:numFmt w:val="{fmt}"/>'
                f'<w:lvlText w:val="{text}"/></w:lvl>'
                for n, (fmt, text, start) in enumerate(levels)
            )
            + "</w:abstractNum>"
        )
    )
    numbering.append(
        docx_xml(
            f'<w:abstractNum {nsdecls("w")} w:abstractNumId="91"><w:lvl w:ilvl="0">'
            '<w:numFmt w:val="bullet"/><w:lvlText w:val="\u2022"/></w:lvl></w:abstractNum>'
        )
    )
    for num, abstract in (("90", "90"), ("91", "91")):
        numbering.append(
            docx_xml(
                f'<w:num {nsdecls("w")} w:numId="{num}">'
                f'<w:abstractNumId w:val="{abstract}"/></w:num>'
            )
        )
    d.add_heading("Exploitation (EX)", level=1)
    items = (("90", 0), ("90", 1), ("90", 1), ("90", 2), ("90", 0), ("90", 1), ("91", 0))
    for n, (num, level) in enumerate(items):
        p = d.add_paragraph(f"Item {n}")
        p._p.get_or_add_pPr().append(
            docx_xml(
                f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/>'
                f'<w:numId w:val="{num}"/></w:numPr>'
            )
        )
    off = d.add_paragraph("Not numbered after all", style="List Number")
    off._p.get_or_add_pPr().append(
        docx_xml(f'<w:numPr {nsdecls("w")}><w:numId w:val="0"/></w:numPr>')
    )
    out = io.BytesIO()
    d.save(out)
    found = read_authored(open_docx(out.getvalue()))
    (dimension,) = found.dimensions
    assert (dimension.title, dimension.code) == ("Exploitation", "EX")
    assert [(i.text, i.number) for i in dimension.indicators] == [
        ("Item 0", "3"),
        ("Item 1", "3.1"),
        ("Item 2", "3.2"),
        ("Item 3", "i"),
        ("Item 4", "4"),
        ("Item 5", "4.1"),
        ("Item 6", None),
    ]
    assert found.unplaced == ("paragraph 9: Not numbered after all",)
