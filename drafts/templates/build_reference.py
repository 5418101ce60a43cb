"""Build drafts/templates/zerodraft-reference.docx, the house style of every Word export.

    .venv/bin/python drafts/templates/build_reference.py

The exports open this file and fill it: its named styles (fonts, colours, spacing), its page
set-up, its header and footer and its cover page are all taken from it, so the secretariat can
restyle the exports by editing the .docx in Word (keep the style names and the {{PLACEHOLDERS}})
or by changing this script and running it again. The output is byte-identical on every run.

Placeholders the writer fills: {{WORKING_GROUP}} {{SYMBOL}} {{TITLE}} {{VARIANT}} {{ROUND}}
{{DATE}} {{DISTRIBUTION}} {{STATUS}} {{MARKING}} {{DEADLINE}} {{INSTRUCTIONS}} {{APPROVAL}}
{{BODY}} (the last three must each be alone in their paragraph; {{BODY}} is where the text
goes).
"""

import io
import math
import struct
import sys
import zlib
from datetime import UTC, datetime
from pathlib import Path

import docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from docx.shared import Cm

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.word.package import save, set_core_properties  # noqa: E402

OUT = Path(__file__).with_name("zerodraft-reference.docx")
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = f'xmlns:w="{W}"'

NAVY = "1F3864"
INK = "1A1A1A"
GREY = "5F6368"
RULE = "BFC5D2"
TINT = "F2F4F8"
MARK = "9B1C1C"
FONT = "Arial"
MONO = "Courier New"
TEXT_WIDTH = 11906 - 2 * 1418  # A4 less the side margins, in twentieths of a point


def _para(
    style_id: str,
    name: str,
    *,
    based: str | None = "Normal",
    nxt: str | None = None,
    ppr: str = "",
    rpr: str = "",
    ui: int = 10,
    quick: bool = True,
) -> str:
    return (
        f'<w:style w:type="paragraph" w:customStyle="{1 if name.startswith("ZD") else 0}" '
        f'w:styleId="{style_id}"><w:name w:val="{name}"/>'
        + (f'<w:basedOn w:val="{based}"/>' if based else "")
        + (f'<w:next w:val="{nxt}"/>' if nxt else "")
        + f'<w:uiPriority w:val="{ui}"/>'
        + ("<w:qFormat/>" if quick else "")
        + (f"<w:pPr>{ppr}</w:pPr>" if ppr else "")
        + (f"<w:rPr>{rpr}</w:rPr>" if rpr else "")
        + "</w:style>"
    )


def _char(style_id: str, name: str, rpr: str, *, ui: int = 10) -> str:
    return (
        f'<w:style w:type="character" w:customStyle="{1 if name.startswith("ZD") else 0}" '
        f'w:styleId="{style_id}"><w:name w:val="{name}"/>'
        f'<w:basedOn w:val="DefaultParagraphFont"/><w:uiPriority w:val="{ui}"/>'
        f"<w:rPr>{rpr}</w:rPr></w:style>"
    )


def _border(side: str, size: int, color: str, space: int = 4) -> str:
    return f'<w:{side} w:val="single" w:sz="{size}" w:space="{space}" w:color="{color}"/>'


def _color(c: str) -> str:
    return f'<w:color w:val="{c}"/>'


def _sz(half_points: int) -> str:
    return f'<w:sz w:val="{half_points}"/><w:szCs w:val="{half_points}"/>'


def _spacing(before: int = 0, after: int = 0, line: int | None = None) -> str:
    extra = f' w:line="{line}" w:lineRule="auto"' if line else ""
    return f'<w:spacing w:before="{before}" w:after="{after}"{extra}/>'


BOLD = "<w:b/><w:bCs/>"
NOT_BOLD = '<w:b w:val="0"/><w:bCs w:val="0"/>'
KEEP = "<w:keepNext/><w:keepLines/>"


def styles_xml() -> str:
    styles = [
        # Defaults: every script falls back through the complex-script font slot.
        "<w:docDefaults><w:rPrDefault><w:rPr>"
        f'<w:rFonts w:ascii="{FONT}" w:hAnsi="{FONT}" w:eastAsia="{FONT}" w:cs="{FONT}"/>'
        f'{_color(INK)}{_sz(21)}<w:lang w:val="en-GB" w:eastAsia="en-GB" w:bidi="th-TH"/>'
        "</w:rPr></w:rPrDefault><w:pPrDefault><w:pPr>"
        f"{_spacing(0, 120, 264)}"
        "</w:pPr></w:pPrDefault></w:docDefaults>",
        # Normal sets no colour: a paragraph style would override the tables' header colours.
        '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/>'
        "<w:qFormat/></w:style>",
        '<w:style w:type="character" w:default="1" w:styleId="DefaultParagraphFont">'
        '<w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/>'
        "<w:unhideWhenUsed/></w:style>",
        '<w:style w:type="table" w:default="1" w:styleId="TableNormal">'
        '<w:name w:val="Normal Table"/><w:uiPriority w:val="99"/><w:semiHidden/>'
        '<w:unhideWhenUsed/><w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar>'
        '<w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/>'
        '<w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/>'
        "</w:tblCellMar></w:tblPr></w:style>",
        '<w:style w:type="numbering" w:default="1" w:styleId="NoList"><w:name w:val="No List"/>'
        '<w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/></w:style>',
        # Headings: the TOC and the navigation pane follow their outline levels.
        _para(
            "Heading1",
            "heading 1",
            nxt="Normal",
            ui=9,
            ppr=f'{KEEP}{_spacing(360, 120)}<w:outlineLvl w:val="0"/>',
            rpr=f"{BOLD}{_color(NAVY)}{_sz(30)}",
        ),
        _para(
            "Heading2",
            "heading 2",
            nxt="Normal",
            ui=9,
            ppr=f'{KEEP}{_spacing(280, 80)}<w:outlineLvl w:val="1"/>',
            rpr=f"{BOLD}{_color(NAVY)}{_sz(25)}",
        ),
        _para(
            "Heading3",
            "heading 3",
            nxt="Normal",
            ui=9,
            ppr=f'{KEEP}{_spacing(240, 60)}<w:outlineLvl w:val="2"/>',
            rpr=f"{BOLD}{_color(NAVY)}{_sz(21)}",
        ),
        _para(
            "Title",
            "Title",
            nxt="Normal",
            ppr=f"{KEEP}{_spacing(0, 160, 240)}",
            rpr=f"{BOLD}{_color(INK)}{_sz(34)}",
        ),
        _para("Subtitle", "Subtitle", ppr=_spacing(0, 360), rpr=f"{_color(GREY)}{_sz(28)}"),
        _para(
            "Header",
            "header",
            ui=99,
            quick=False,
            ppr=f'{_spacing(0, 0)}<w:jc w:val="center"/>',
            rpr=f"{BOLD}<w:caps/>{_color(MARK)}{_sz(17)}",
        ),
        _para(
            "Footer",
            "footer",
            ui=99,
            quick=False,
            ppr=f'{_spacing(0, 0)}<w:jc w:val="center"/>',
            rpr=f"{_color(GREY)}{_sz(16)}",
        ),
        _para(
            "TOCHeading",
            "TOC Heading",
            based="Heading1",
            nxt="Normal",
            ui=39,
            ppr='<w:pageBreakBefore/><w:outlineLvl w:val="9"/>',
        ),
        _para(
            "TOC1",
            "toc 1",
            ui=39,
            quick=False,
            ppr=f'<w:tabs><w:tab w:val="right" w:leader="dot" w:pos="{TEXT_WIDTH}"/></w:tabs>'
            + _spacing(120, 40),
            rpr=BOLD,
        ),
        _para(
            "TOC2",
            "toc 2",
            ui=39,
            quick=False,
            ppr=f'<w:tabs><w:tab w:val="right" w:leader="dot" w:pos="{TEXT_WIDTH}"/></w:tabs>'
            f'{_spacing(0, 20)}<w:ind w:left="284"/>',
        ),
        _char("Hyperlink", "Hyperlink", _color(NAVY), ui=99),
        # Comments: python-docx's comments part refers to these.
        _para("CommentText", "annotation text", ui=99, quick=False, rpr=_sz(20)),
        _para(
            "CommentSubject",
            "annotation subject",
            based="CommentText",
            nxt="CommentText",
            ui=99,
            quick=False,
            rpr=BOLD,
        ),
        _char("CommentReference", "annotation reference", _sz(16), ui=99),
        # Cover page
        _para("ZDLogo", "ZD Logo", ppr=_spacing(0, 480)),
        # The masthead, as a UN document's first page has it: the emblem and the symbol over
        # a heavy rule, then the distribution block (distribution, date, original language)
        # on the right, the body's name and the session on the left, and the title.
        _para(
            "ZDCoverSymbol",
            "ZD Cover Symbol",
            ppr=(
                f"<w:pBdr>{_border('bottom', 24, INK, 4)}</w:pBdr>"
                f'<w:tabs><w:tab w:val="right" w:pos="{TEXT_WIDTH}"/></w:tabs>'
                f"{_spacing(0, 120, 240)}"
            ),
            rpr=f"{BOLD}{_color(INK)}{_sz(28)}",
        ),
        _para(
            "ZDCoverDistribution",
            "ZD Cover Distribution",
            ppr=f'{_spacing(0, 0, 240)}<w:ind w:left="{TEXT_WIDTH - 2835}"/>',
            rpr=_sz(20),
        ),
        _para(
            "ZDCoverGroup",
            "ZD Cover Group",
            ppr=f"{_spacing(360, 60)}",
            rpr=f"{BOLD}{_color(NAVY)}{_sz(24)}",
        ),
        _para(
            "ZDCoverSession",
            "ZD Cover Session",
            ppr=_spacing(0, 480),
            rpr=_sz(20),
        ),
        _para(
            "ZDCoverVariant",
            "ZD Cover Variant",
            based="Subtitle",
            ppr=_spacing(0, 480),
        ),
        _para(
            "ZDMarking",
            "ZD Marking",
            ppr=f'{_spacing(0, 360)}<w:jc w:val="left"/>',
            rpr=f"{BOLD}<w:caps/>{_color(MARK)}<w:spacing w:val='20'/>{_sz(22)}",
        ),
        _para(
            "ZDInstructions",
            "ZD Instructions",
            ppr=(
                f"<w:pBdr>{_border('left', 18, NAVY, 8)}</w:pBdr>"
                f'<w:shd w:val="clear" w:color="auto" w:fill="{TINT}"/>'
                f'{_spacing(240, 0, 276)}<w:ind w:left="170" w:right="170"/>'
                "<w:contextualSpacing/>"
            ),
            rpr=_sz(20),
        ),
        _para(
            "ZDApproval",
            "ZD Approval",
            ppr=(
                f"<w:pBdr>{_border('top', 6, NAVY)}{_border('bottom', 6, NAVY)}</w:pBdr>"
                f"{_spacing(240, 60)}"
            ),
            rpr=f"{BOLD}{_color(NAVY)}",
        ),
        _para(
            "ZDHash",
            "ZD Hash",
            ppr=_spacing(0, 120),
            rpr=f'<w:rFonts w:ascii="{MONO}" w:hAnsi="{MONO}" w:cs="{MONO}"/>{_sz(17)}',
        ),
        # The text
        _para("ZDSectionHeading", "ZD Section Heading", based="Heading1", nxt="ZDSectionText"),
        _para("ZDSectionText", "ZD Section Text", ppr=_spacing(0, 160, 276)),
        _para(
            "ZDPartHeading",
            "ZD Part Heading",
            based="Heading1",
            nxt="ZDDimensionHeading",
            ppr="<w:pageBreakBefore/>",
        ),
        _para(
            "ZDDimensionHeading",
            "ZD Dimension Heading",
            based="Heading2",
            nxt="ZDDimensionDescription",
            ppr=f"<w:pBdr>{_border('bottom', 4, RULE, 4)}</w:pBdr>",
        ),
        _para(
            "ZDDimensionDescription",
            "ZD Dimension Description",
            ppr=_spacing(0, 160),
            rpr=f"<w:i/><w:iCs/>{_color(GREY)}",
        ),
        _para(
            "ZDIndicatorHeading",
            "ZD Indicator Heading",
            based="Heading3",
            nxt="ZDIndicatorText",
        ),
        _para("ZDIndicatorText", "ZD Indicator Text", ppr=_spacing(0, 100, 276), rpr=_sz(22)),
        _para(
            "ZDField",
            "ZD Field",
            ppr=_spacing(0, 40),
            rpr=f"{_color('3C4043')}{_sz(18)}",
        ),
        _para(
            "ZDGuidance",
            "ZD Guidance",
            ppr=(
                f"<w:pBdr>{_border('left', 12, NAVY, 6)}</w:pBdr>"
                f'<w:shd w:val="clear" w:color="auto" w:fill="{TINT}"/>'
                f'{_spacing(80, 80, 264)}<w:ind w:left="113" w:right="113"/>'
            ),
            rpr=_sz(19),
        ),
        _para("ZDReferences", "ZD References", ppr=_spacing(0, 60), rpr=f"{_color(GREY)}{_sz(17)}"),
        # The strength of an indicator: rows of a small table drawn as paragraphs (a tab stop
        # and borders), so that a tracked insertion or deletion of a whole indicator comes and
        # goes cleanly in Word and LibreOffice alike (a tracked paragraph just before a real
        # table survives "Accept all" in LibreOffice).
        _para(
            "ZDStrengthHeader",
            "ZD Strength Header",
            nxt="ZDStrengthRow",
            ppr=(
                f"{KEEP}<w:pBdr>{_border('bottom', 8, NAVY, 1)}</w:pBdr>"
                f'<w:tabs><w:tab w:val="left" w:pos="1418"/></w:tabs>{_spacing(40, 0, 240)}'
                f'<w:ind w:left="0" w:right="{TEXT_WIDTH - 3969}"/>'
            ),
            rpr=f"{BOLD}{_color(NAVY)}{_sz(18)}",
        ),
        _para(
            "ZDStrengthRow",
            "ZD Strength Row",
            ppr=(
                f"<w:keepNext/><w:pBdr>{_border('bottom', 4, RULE, 1)}"
                f"{_border('between', 4, RULE, 1)}</w:pBdr>"
                f'<w:tabs><w:tab w:val="left" w:pos="1418"/></w:tabs>{_spacing(20, 100, 240)}'
                f'<w:ind w:left="0" w:right="{TEXT_WIDTH - 3969}"/><w:contextualSpacing/>'
            ),
            rpr=_sz(18),
        ),
        _para("ZDEnd", "ZD End", ppr=f'{_spacing(480, 0)}<w:jc w:val="center"/>', rpr=_color(GREY)),
        _para(
            "ZDContentsNote",
            "ZD Contents Note",
            ppr=_spacing(0, 200),
            rpr=f"<w:i/><w:iCs/>{_color(GREY)}{_sz(18)}",
        ),
        # The compilation
        _para(
            "ZDProposalHeading",
            "ZD Proposal Heading",
            nxt="ZDProposalText",
            ppr=(
                f"{KEEP}<w:pBdr>{_border('top', 4, RULE, 4)}</w:pBdr>{_spacing(140, 40)}"
                '<w:ind w:left="284"/>'
            ),
            rpr=f"{BOLD}{_color(NAVY)}{_sz(19)}",
        ),
        _para(
            "ZDProposalText",
            "ZD Proposal Text",
            ppr=f'{_spacing(0, 60, 264)}<w:ind w:left="284"/>',
            rpr=_sz(20),
        ),
        _para(
            "ZDProposalMeta",
            "ZD Proposal Meta",
            ppr=f'{_spacing(0, 40)}<w:ind w:left="284"/>',
            rpr=f"{_color(GREY)}{_sz(18)}",
        ),
        _para(
            "ZDPositions",
            "ZD Positions",
            ppr=f'{_spacing(60, 60)}<w:ind w:left="284"/>',
            rpr=f"{_color(GREY)}{_sz(18)}",
        ),
        _para(
            "ZDListBullet",
            "ZD List Bullet",
            ppr=(
                '<w:numPr><w:numId w:val="1"/></w:numPr>'
                f'{_spacing(0, 20)}<w:ind w:left="568" w:hanging="284"/>'
            ),
            rpr=_sz(18),
        ),
        _char("ZDIndicatorNumber", "ZD Indicator Number", f"{BOLD}{_color(NAVY)}"),
        _char("ZDIndicatorCode", "ZD Indicator Code", f"{NOT_BOLD}{_color(GREY)}{_sz(18)}"),
        _char(
            "ZDStateTag",
            "ZD State Tag",
            f"{NOT_BOLD}<w:smallCaps/>{_color('8A4B00')}{_sz(18)}",
        ),
        _char("ZDFieldLabel", "ZD Field Label", f"{BOLD}{_color(INK)}"),
        _char("ZDProposalInsert", "ZD Proposal Insert", f'{_color(NAVY)}<w:u w:val="single"/>'),
        _char("ZDProposalDelete", "ZD Proposal Delete", f"<w:strike/>{_color('8A8F98')}"),
        _char("ZDAlternative", "ZD Alternative", f"{BOLD}{_color(NAVY)}"),
        _char("ZDBracket", "ZD Bracket", f"{BOLD}{_color(MARK)}"),
        # Tables
        '<w:style w:type="table" w:customStyle="1" w:styleId="ZDResponseTable">'
        '<w:name w:val="ZD Response Table"/><w:basedOn w:val="TableNormal"/>'
        '<w:uiPriority w:val="10"/><w:pPr><w:spacing w:before="40" w:after="40" '
        f'w:line="240" w:lineRule="auto"/></w:pPr><w:rPr>{_sz(17)}</w:rPr>'
        '<w:tblPr><w:tblStyleRowBandSize w:val="1"/><w:tblBorders>'
        f"{_border('top', 4, RULE, 0)}{_border('left', 4, RULE, 0)}"
        f"{_border('bottom', 4, RULE, 0)}{_border('right', 4, RULE, 0)}"
        f"{_border('insideH', 4, RULE, 0)}{_border('insideV', 4, RULE, 0)}"
        "</w:tblBorders><w:tblCellMar>"
        '<w:left w:w="85" w:type="dxa"/><w:right w:w="85" w:type="dxa"/></w:tblCellMar>'
        '</w:tblPr><w:tblStylePr w:type="firstRow"><w:rPr>'
        f"{BOLD}{_color('FFFFFF')}</w:rPr><w:tcPr>"
        f'<w:shd w:val="clear" w:color="auto" w:fill="{NAVY}"/></w:tcPr></w:tblStylePr>'
        '<w:tblStylePr w:type="band2Horz"><w:tcPr>'
        f'<w:shd w:val="clear" w:color="auto" w:fill="{TINT}"/></w:tcPr></w:tblStylePr>'
        "</w:style>",
        '<w:style w:type="table" w:customStyle="1" w:styleId="ZDCoverTable">'
        '<w:name w:val="ZD Cover Table"/><w:basedOn w:val="TableNormal"/>'
        '<w:uiPriority w:val="10"/><w:pPr><w:spacing w:before="60" w:after="60"/></w:pPr>'
        "<w:tblPr><w:tblBorders>"
        f"{_border('top', 4, RULE, 0)}{_border('bottom', 4, RULE, 0)}"
        f"{_border('insideH', 4, RULE, 0)}</w:tblBorders><w:tblCellMar>"
        '<w:left w:w="0" w:type="dxa"/><w:right w:w="113" w:type="dxa"/></w:tblCellMar>'
        '</w:tblPr><w:tblStylePr w:type="firstCol"><w:rPr>'
        f"{_color(GREY)}{_sz(18)}</w:rPr></w:tblStylePr></w:style>",
    ]
    return f"<w:styles {NS}>{''.join(styles)}</w:styles>"


def numbering_xml() -> str:
    levels = "".join(
        f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="bullet"/>'
        f'<w:lvlText w:val="{sym}"/><w:lvlJc w:val="left"/><w:pPr>'
        f'<w:ind w:left="{568 + 284 * i}" w:hanging="284"/></w:pPr>'
        f'<w:rPr><w:rFonts w:ascii="{FONT}" w:hAnsi="{FONT}"/>{_color(NAVY)}</w:rPr></w:lvl>'
        for i, sym in enumerate(["\u2022", "\u2013", "\u2022"])
    )
    return (
        f'<w:numbering {NS}><w:abstractNum w:abstractNumId="1">'
        f'<w:multiLevelType w:val="hybridMultilevel"/>{levels}</w:abstractNum>'
        '<w:num w:numId="1"><w:abstractNumId w:val="1"/></w:num></w:numbering>'
    )


def logo_png(size: int = 240) -> bytes:
    """A calm placeholder emblem (two navy rings): replace it with the real logo in Word
    (right-click, Change Picture) or here."""
    rows = []
    c = (size - 1) / 2
    navy = (0x1F, 0x38, 0x64)
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            d = math.hypot(x - c, y - c)
            a = 0.0
            for r0, r1 in ((0.40 * size, 0.48 * size), (0.22 * size, 0.30 * size)):
                a = max(a, min(1.0, d - r0 + 0.5, r1 - d + 0.5))
            row += bytes([*navy, int(255 * max(0.0, a))])
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def _field(instr: str, shown: str) -> str:
    return (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        f'<w:r><w:instrText xml:space="preserve"> {instr} </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        f"<w:r><w:t>{shown}</w:t></w:r>"
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )


def build() -> bytes:
    document = docx.Document()
    part = document.part
    # A clean package: no thumbnail of an empty page, no sample bibliography, no legacy styles.
    package_rels = part.package.rels
    for rid, rel in list(package_rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            del package_rels[rid]
    for rid, rel in list(part.rels.items()):
        if rel.reltype == RT.CUSTOM_XML or rel.reltype.endswith("/stylesWithEffects"):
            del part.rels[rid]
    styles_part = part._styles_part
    styles_part._element = parse_xml(styles_xml().encode())
    numbering_part = part.numbering_part
    numbering_part._element = parse_xml(numbering_xml().encode())

    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin, section.bottom_margin = Cm(2.5), Cm(2.2)
    section.header_distance, section.footer_distance = Cm(1.2), Cm(1.1)

    header = section.header.paragraphs[0]
    header.style = document.styles["header"]
    header.add_run("{{MARKING}}")
    footer = section.footer.paragraphs[0]
    footer.style = document.styles["footer"]
    footer._p.append(
        parse_xml(
            f'<w:r {NS}><w:t xml:space="preserve">{{{{SYMBOL}}}}   \u00b7   Page </w:t></w:r>'
        )
    )
    for run in parse_xml(f"<w:p {NS}>{_field('PAGE', '1')}</w:p>"):
        footer._p.append(run)
    footer._p.append(parse_xml(f'<w:r {NS}><w:t xml:space="preserve"> of </w:t></w:r>'))
    for run in parse_xml(f"<w:p {NS}>{_field('NUMPAGES', '1')}</w:p>"):
        footer._p.append(run)

    masthead = document.add_paragraph(style="ZD Cover Symbol")
    masthead.add_run().add_picture(io.BytesIO(logo_png()), width=Cm(1.6))
    masthead.add_run("\t{{SYMBOL}}")
    document.add_paragraph("Distr.: {{DISTRIBUTION}}", style="ZD Cover Distribution")
    document.add_paragraph("{{DATE}}", style="ZD Cover Distribution")
    original = document.add_paragraph("Original: English", style="ZD Cover Distribution")
    original.paragraph_format.space_before = Cm(0.35)
    document.add_paragraph("{{WORKING_GROUP}}", style="ZD Cover Group")
    document.add_paragraph("{{ROUND}}", style="ZD Cover Session")
    document.add_paragraph("{{TITLE}}", style="Title")
    document.add_paragraph("{{VARIANT}}", style="ZD Cover Variant")
    document.add_paragraph("{{MARKING}}", style="ZD Marking")
    table = document.add_table(rows=0, cols=2)
    table.style = document.styles["ZD Cover Table"]
    table.autofit = False
    for label, value in (
        ("Status", "{{STATUS}}"),
        ("Deadline for input", "{{DEADLINE}}"),
    ):
        row = table.add_row()
        # A row stands whole on one page.
        row._tr.get_or_add_trPr().append(parse_xml(f"<w:cantSplit {NS}/>"))
        cells = row.cells
        cells[0].width, cells[1].width = Cm(4.2), Cm(11.8)
        cells[0].paragraphs[0].text = label
        cells[1].paragraphs[0].text = value
    for col, width in zip(table._tbl.tblGrid.iterchildren(), ("2381", "6689"), strict=True):
        col.set(f"{{{W}}}w", width)
    look = table._tbl.tblPr.find(f"{{{W}}}tblLook")
    for name, value in (
        ("val", "0080"),
        ("firstRow", "0"),
        ("firstColumn", "1"),
        ("noHBand", "1"),
        ("noVBand", "1"),
    ):
        look.set(f"{{{W}}}{name}", value)
    document.add_paragraph("{{INSTRUCTIONS}}", style="ZD Instructions")
    document.add_paragraph("{{APPROVAL}}", style="ZD Approval")
    document.add_paragraph("{{BODY}}", style="Normal")

    set_core_properties(
        document,
        title="zerodraft reference template",
        subject="House style of zerodraft Word exports",
        author="ASEAN Secretariat",
        keywords="zerodraft",
        when=datetime(2026, 1, 1, tzinfo=UTC),
    )
    return save(document)


def main() -> None:
    OUT.write_bytes(build())
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
