"""The Word writer, without a database: every variant reopened with python-docx and with
docx2python (an independent reader), tracked changes resolved both ways, comments, determinism,
every ASEAN script, and safe download names."""

import io
import zipfile
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import docx
import pytest
from docx2python import docx2python
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from app.word import revisions as rv
from app.word.changes import Step, Uniform, attributed_runs, redline_between
from app.word.filename import download_filename
from app.word.model import (
    VARIANTS,
    ExportApproval,
    ExportComment,
    ExportDimension,
    ExportDocument,
    ExportIndicator,
    ExportPosition,
    ExportProposal,
    ExportResponseRow,
    ExportRound,
    ExportSection,
    ProposedField,
    Run,
    Variant,
    plain,
)
from app.word.writer import TEXT_BOOKMARK, export

R1_DATE = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
R2_DATE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DECIDED = datetime(2026, 2, 20, 7, 30, tzinfo=UTC)
DR = ExportDimension("DR", "Deceptive recruitment", "How people are lured abroad.", 1)
CD = ExportDimension("CD", "Control at destination", "How operators keep people working.", 2)
PH = "Philippines - SOMTC"
ASEAN_TEXT = (
    "Debt bondage: ถูกบังคับให้ชดใช้หนี้ · ជំពាក់បំណុល · ຖືກບັງຄັບໃຫ້ໃຊ້ໜີ້ · "
    "အကြွေးဖြင့်ချုပ်နှောင် · bị ép trả nợ · جاوي‎ · עברית"
)
HASH = "9f2c" * 16


def make_round(symbol: str, date: datetime, **fields: Any) -> ExportRound:
    values: dict[str, object] = {
        "working_group": "ASEAN Drafting Working Group on Forced Criminality",
        "symbol": symbol,
        "title": "Zero Draft ASEAN Indicators of Trafficking in Persons for Forced Criminality",
        "round_label": "Round 2 - written comments",
        "date": date,
        "status": "open for input",
        "marking": "RESTRICTED",
        "deadline": datetime(2026, 4, 15, 10, 0, tzinfo=UTC),
        "time_zone": "Asia/Jakarta",
        "instructions": "Send proposals through zerodraft.\nLate input needs the Secretariat's "
        "agreement.",
    }
    values.update(fields)
    return ExportRound(**values)


def indicator(
    code: str, number: int | None, dim: ExportDimension, text: str, **fields: str
) -> ExportIndicator:
    return ExportIndicator(
        code=code,
        number=plain(str(number) if number else ""),
        dimension=dim,
        text=plain(text),
        **{k: plain(v) for k, v in fields.items()},
    )


def section(code: str, number: int, title: str, text: str) -> ExportSection:
    return ExportSection(code, plain(str(number)), plain(title), plain(text))


def old_document() -> ExportDocument:
    return ExportDocument(
        round=make_round("ADWG/FC/2026/R1", R1_DATE, status="superseded"),
        sections=(
            section("SEC-PURPOSE", 1, "Purpose", "These indicators help identify victims."),
            section("SEC-SCOPE", 2, "Scope", "Online fraud.\nOther forced criminality."),
        ),
        indicators=(
            indicator(
                "FC-DR-01",
                1,
                DR,
                "Offered a lawful job abroad but told to run fraud",
                strength_adult="strong",
                profiles="adult",
                guidance="Ask how the job was advertised.",
            ),
            indicator(
                "FC-DR-02",
                2,
                DR,
                "Recruiter paid travel and visa costs",
                strength_adult="medium",
                strength_child="strong",
            ),
            indicator(
                "FC-CD-01",
                3,
                CD,
                "Passport or personal phone taken by the operators",
                strength_adult="strong",
                strength_child="strong",
                profiles="adult, child",
                crime_types="online fraud",
                references="ACTIP Art. 14(7)",
            ),
            indicator("FC-CD-02", 4, CD, "Confined to a guarded compound", strength_adult="strong"),
        ),
    )


def new_document(**changes: Any) -> ExportDocument:
    document = ExportDocument(
        round=make_round("ADWG/FC/2026/R2", R2_DATE),
        sections=(
            section(
                "SEC-PURPOSE",
                1,
                "Purpose",
                "These indicators help identify presumed victims of trafficking.",
            ),
            section(
                "SEC-SCOPE",
                2,
                "Scope",
                "Online fraud and drug trafficking.\nOther forced criminality.",
            ),
        ),
        indicators=(
            indicator(
                "FC-DR-01",
                1,
                DR,
                "Offered a lawful job abroad but made to commit online fraud",
                strength_adult="strong",
                profiles="adult",
                guidance="Ask how the job was advertised and who paid.",
                item_state="agreed ad ref",
            ),
            indicator(
                "FC-CD-01",
                2,
                CD,
                "Passport or personal phone confiscated by the operators",
                strength_adult="strong",
                strength_child="strong",
                profiles="adult, child",
                crime_types="online fraud",
                references="ACTIP Art. 14(7)",
            ),
            indicator(
                "FC-CD-02",
                3,
                CD,
                "Confined to a guarded compound with armed guards",
                strength_adult="strong",
                strength_child="medium",
                item_state="bracketed",
            ),
            indicator("FC-CD-03", 4, CD, ASEAN_TEXT),
        ),
        proposals=(
            ExportProposal(
                "P-12",
                "FC-CD-02",
                PH,
                ("Thailand - SOMTC",),
                "amend",
                "submitted",
                (
                    ProposedField(
                        "text",
                        "Text",
                        (
                            Run("Confined to a "),
                            Run("fenced and ", "insert"),
                            Run("guarded compound"),
                            Run(" with armed guards", "delete"),
                        ),
                    ),
                ),
                rationale="Compounds are fenced.",
                alternative=1,
                positions=(
                    ExportPosition("Indonesia - AICHR", "support"),
                    ExportPosition("Thailand - SOMTC", "reservation", "Prefers guarded."),
                ),
            ),
            ExportProposal(
                "P-13",
                "FC-CD-02",
                "Indonesia - AICHR",
                (),
                "amend",
                "under consideration",
                (ProposedField("text", "Text", (Run("Held in a compound", "insert"),)),),
                alternative=2,
            ),
            ExportProposal(
                "P-14",
                "CD",
                "Thailand - SOMTC",
                (),
                "add",
                "submitted",
                (ProposedField("text", "Text", (Run("Made to recruit others", "insert"),)),),
            ),
        ),
        comments=(
            ExportComment(
                "C-5",
                "Maria Santos (Philippines - SOMTC)",
                "MS",
                datetime(2026, 3, 5, 8, 0, tzinfo=UTC),
                "Is this too legal a word?",
                "FC-CD-01",
                "text",
                "confiscated",
                25,
                36,
                replies=(
                    ExportComment(
                        "C-8",
                        "Siti Secretariat (ASEAN Secretariat)",
                        "SS",
                        datetime(2026, 3, 6, 8, 0, tzinfo=UTC),
                        "It follows ACTIP.",
                    ),
                ),
            ),
            ExportComment(
                "C-6",
                "Budi Hartono (Indonesia - AICHR)",
                "BH",
                datetime(2026, 3, 5, 9, 0, tzinfo=UTC),
                "Add the Thai term.",
                "FC-CD-03",
            ),
            ExportComment(
                "C-7",
                "Somchai Wong (Thailand - SOMTC)",
                "SW",
                datetime(2026, 3, 5, 10, 0, tzinfo=UTC),
                "Why fenced?",
                "P-12",
                "text",
                "fenced",
                14,
                20,
            ),
        ),
        responses=tuple(
            ExportResponseRow(
                n,
                f"P-{10 + n}",
                PH,
                "FC-CD-02",
                'Amend: "Confined to a fenced compound"',
                "Taken into account" if n % 2 else "",
                "pending" if n % 3 else "agreed",
            )
            for n in range(1, 41)
        ),
    )
    return replace(document, **changes)


def redline_document() -> ExportDocument:
    return redline_between(old_document(), new_document(), Uniform(PH, DECIDED))


def documents() -> dict[Variant, ExportDocument]:
    return {
        "clean": new_document(),
        "redline": redline_document(),
        "compilation": new_document(),
        "responses": new_document(),
    }


# Reading the package back


def part(data: bytes, name: str) -> Any:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return etree.fromstring(z.read(name))


def draft_text(root: Any) -> list[str]:
    """Paragraph texts from the start of the draft text (after cover and contents)."""
    paragraphs = list(root.iter(rv.P))
    for n, p in enumerate(paragraphs):
        for mark in p.iter(rv.w("bookmarkStart")):
            if mark.get(rv.w("name")) == TEXT_BOOKMARK:
                return [rv.paragraph_text(q) for q in paragraphs[n:]]
    raise AssertionError("no start-of-text bookmark")


def styles_of(root: Any) -> list[str]:
    return [s.get(rv.VAL) for s in root.iter(rv.PSTYLE)]


def reopen(data: bytes) -> tuple[Any, str]:
    """python-docx's Document and docx2python's text of the same file."""
    document = docx.Document(io.BytesIO(data))
    with docx2python(io.BytesIO(data)) as content:
        text = content.text
    return document, text


@pytest.fixture(scope="module")
def exported() -> dict[Variant, bytes]:
    return {
        variant: export(doc, variant, include_comments=True) for variant, doc in documents().items()
    }


# Every variant


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_reopens_with_both_readers(variant: str, exported: dict[str, bytes]) -> None:
    document, text = reopen(exported[variant])
    cover = "\n".join(p.text for p in document.paragraphs[:12])
    assert "ADWG/FC/2026/R2" in cover
    assert "Zero Draft ASEAN Indicators" in cover
    assert "{{" not in text
    for expected in (
        "RESTRICTED",
        "2 March 2026",
        "Round 2 \u2013 written comments",
        "open for input",
        "Send proposals through zerodraft.",
    ):
        assert expected in text
    assert "15 April 2026, 17:00 Asia/Jakarta time (UTC+07:00)" in text
    assert "15 April 2026, 10:00 UTC" in text
    headers = part(exported[variant], "word/header1.xml")
    footers = part(exported[variant], "word/footer1.xml")
    assert "RESTRICTED" in "".join(rv.paragraph_texts(headers))
    instructions = [i.text for i in footers.iter(rv.w("instrText"))]
    assert [i.strip() for i in instructions] == ["PAGE", "NUMPAGES"]
    assert "ADWG/FC/2026/R2" in "".join(rv.paragraph_texts(footers))
    assert "Page 1 of 1" in "".join(rv.paragraph_texts(footers))


@pytest.mark.parametrize("variant", ["clean", "redline", "compilation"])
def test_indicators_are_grouped_numbered_and_coded_in_named_styles(
    variant: str, exported: dict[str, bytes]
) -> None:
    document, text = reopen(exported[variant])
    by_style: dict[str, list[str]] = {}
    for p in document.paragraphs:
        by_style.setdefault(p.style.name, []).append(p.text)
    # python-docx hides tracked text; docx2python shows it accepted.
    assert by_style["ZD Dimension Heading"] == [
        "Deceptive recruitment (DR)",
        "Control at destination (CD)",
    ]
    # The numbers are a Word list's (I., II. for sections; 1., 2. for indicators), derived
    # from the order: no text of their own (tests/test_word_layout.py renders them).
    assert by_style["ZD Section Heading"][:2] == ["Purpose", "Scope"]
    if variant != "redline":
        assert by_style["ZD Indicator Heading"] == [
            "FC-DR-01  agreed ad ref",
            "FC-CD-01",
            "FC-CD-02  bracketed",
            "FC-CD-03",
        ]
    headings = [
        p
        for p in part(exported[variant], "word/document.xml").iter(rv.P)
        if styles_of(p)[:1] in (["ZDSectionHeading"], ["ZDIndicatorHeading"])
    ]
    assert headings and all(p.find(f"{rv.PPR}/{rv.w('numPr')}") is not None for p in headings)
    for name in ("ZD Indicator Text", "ZD Guidance", "ZD Field", "ZD Section Text"):
        assert name in by_style
    assert "Guidance note: Ask how the job was advertised and who paid." in text
    assert "Applies to: adult, child" in text
    body = part(exported[variant], "word/document.xml")
    assert {"ZDPartHeading", "TOCHeading", "TOC1", "TOC2"} <= set(styles_of(body))
    assert styles_of(body).count("ZDStrengthHeader") == (4 if variant == "redline" else 3)
    assert "Child\tstrong" in [p.text for p in document.paragraphs]
    # Direct formatting is left to the template: runs carry only a character style (or the
    # right-to-left flag), never fonts, sizes or colours.
    for rpr in body.iter(rv.RPR):
        if rpr.getparent().tag == rv.R:
            assert {etree.QName(c).localname for c in rpr} <= {"rStyle", "rtl"}


def test_the_contents_lists_the_headings_with_page_references(exported: dict[str, bytes]) -> None:
    body = part(exported["clean"], "word/document.xml")
    instructions = [i.text.strip() for i in body.iter(rv.w("instrText"))]
    assert not any(i.startswith("TOC ") for i in instructions)
    entries = [rv.paragraph_text(p) for p in body.iter(rv.P) if styles_of(p)[:1] == ["TOC1"]]
    # The number the list gives the heading, its title, and the page the PAGEREF shows.
    assert entries[:3] == ["I.\tPurpose\t2", "II.\tScope\t2", "Indicators\t3"]
    refs = [i.split()[1] for i in instructions if i.startswith("PAGEREF ")]
    assert len(refs) == 5
    names = {b.get(rv.w("name")) for b in body.iter(rv.w("bookmarkStart"))}
    anchors = {h.get(rv.w("anchor")) for h in body.iter(rv.w("hyperlink"))}
    assert anchors and anchors <= names


# Redline


def test_redline_changes_are_attributed_and_dated(exported: dict[str, bytes]) -> None:
    body = part(exported["redline"], "word/document.xml")
    changes = list(body.iter(rv.INS, rv.DEL))
    assert changes
    assert {c.get(rv.AUTHOR) for c in changes} == {PH}
    assert {c.get(rv.DATE) for c in changes} == {"2026-02-20T07:30:00Z"}
    ids = [int(e.get(rv.ID)) for e in body.iter(rv.INS, rv.DEL, rv.w("bookmarkStart"))]
    assert len(ids) == len(set(ids))
    deleted = "".join(t.text for t in body.iter(rv.DEL_TEXT))
    assert "taken" in deleted and "Recruiter paid travel" in deleted
    settings_xml = part(exported["redline"], "word/settings.xml")
    assert settings_xml.find(rv.w("trackRevisions")) is not None
    # The deleted indicator: the marks of its paragraphs (heading, text, strength header and
    # rows) are tracked too.
    marks = [m for m in body.iter(rv.DEL) if m.getparent().tag == rv.RPR]
    assert len(marks) == 5


def test_accept_all_and_reject_all_give_the_two_rounds(exported: dict[str, bytes]) -> None:
    redline = export(redline_document(), "redline")
    clean_new = draft_text(part(export(new_document(), "clean"), "word/document.xml"))
    clean_old = draft_text(part(export(old_document(), "clean"), "word/document.xml"))
    assert draft_text(rv.accept_all(part(redline, "word/document.xml"))) == clean_new
    assert draft_text(rv.reject_all(part(redline, "word/document.xml"))) == clean_old
    assert clean_new != clean_old
    # docx2python reads tracked changes as accepted: an independent check of the same.
    with docx2python(io.BytesIO(redline)) as content:
        assert "Passport or personal phone confiscated by the operators" in content.text
        assert "Recruiter paid travel" not in content.text


def test_comments_do_not_change_the_text(exported: dict[str, bytes]) -> None:
    with_comments = exported["redline"]
    without = export(redline_document(), "redline")
    assert draft_text(rv.accept_all(part(with_comments, "word/document.xml"))) == draft_text(
        rv.accept_all(part(without, "word/document.xml"))
    )


def test_attribution_by_several_authors_survives_the_round_trip() -> None:
    old, new = old_document(), new_document()
    chain = [
        Step("Passport taken by the operators", "Thailand - SOMTC", DECIDED),
        Step("Passport or personal phone confiscated by the operators", PH, R2_DATE),
    ]
    runs = attributed_runs("Passport or personal phone taken by the operators", chain)
    indicators = list(redline_between(old, new, Uniform(PH, DECIDED)).indicators)
    at = next(n for n, i in enumerate(indicators) if i.code == "FC-CD-01")
    indicators[at] = replace(indicators[at], text=runs)
    data = export(replace(new, indicators=tuple(indicators)), "redline")
    body = part(data, "word/document.xml")
    authors = {c.get(rv.AUTHOR) for c in body.iter(rv.INS, rv.DEL)}
    assert {"Thailand - SOMTC", PH} <= authors


# Hypothesis: any edits, accept gives the new text and reject the old


VOCAB = [
    "passport",
    "taken",
    "phone",
    "compound",
    "ถูกยึด",
    "ជំពាក់",
    "ຖືກ",
    "အကြွေး",
    "nợ",
    "جاوي",
    ",",
    "(",
    "\n",
    "debt",
]
TEXT = st.lists(st.sampled_from(VOCAB), min_size=1, max_size=10).map(" ".join)
OPTIONAL = st.one_of(st.just(""), TEXT)


@st.composite
def drafts(draw: st.DrawFn) -> tuple[ExportDocument, ExportDocument]:
    codes = [f"FC-X-{n:02d}" for n in range(6)]
    dims = [DR, CD]

    def version(present: list[str], symbol: str, date: datetime) -> ExportDocument:
        inds = []
        for number, code in enumerate(present, 1):
            dim = draw(st.sampled_from(dims))
            inds.append(
                ExportIndicator(
                    code=code,
                    number=plain(str(number)),
                    dimension=dim,
                    text=plain(draw(TEXT)),
                    strength_adult=plain(draw(st.sampled_from(["", "strong", "weak"]))),
                    strength_child=plain(draw(st.sampled_from(["", "medium"]))),
                    guidance=plain(draw(OPTIONAL)),
                    references=plain(draw(OPTIONAL)),
                    item_state=plain(draw(st.sampled_from(["", "bracketed"]))),
                )
            )
        inds.sort(key=lambda i: i.dimension.position)
        secs = tuple(
            section(f"SEC-{n}", n, draw(TEXT), draw(TEXT))
            for n in draw(st.lists(st.integers(1, 3), unique=True, max_size=3))
        )
        return ExportDocument(round=make_round(symbol, date), sections=secs, indicators=tuple(inds))

    old_codes = draw(st.lists(st.sampled_from(codes), unique=True, max_size=5))
    new_codes = draw(st.lists(st.sampled_from(codes), unique=True, max_size=5))
    return version(old_codes, "R1", R1_DATE), version(new_codes, "R2", R2_DATE)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pair=drafts())
def test_any_edits_accept_to_the_new_text_and_reject_to_the_old(
    pair: tuple[ExportDocument, ExportDocument],
) -> None:
    old, new = pair
    redline = export(redline_between(old, new, Uniform(PH, DECIDED)), "redline")
    clean_new = draft_text(part(export(new, "clean"), "word/document.xml"))
    clean_old = draft_text(part(export(old, "clean"), "word/document.xml"))
    assert draft_text(rv.accept_all(part(redline, "word/document.xml"))) == clean_new
    assert draft_text(rv.reject_all(part(redline, "word/document.xml"))) == clean_old


# Compilation


def test_compilation_shows_pending_proposals_under_their_item(exported: dict[str, bytes]) -> None:
    document, _ = reopen(exported["compilation"])
    paragraphs = [(p.style.name, p.text) for p in document.paragraphs]
    texts = [t for _, t in paragraphs]
    at = texts.index("FC-CD-02  bracketed")
    assert texts[at + 1] == "[Confined to a guarded compound with armed guards]"
    headings = [t for s, t in paragraphs if s == "ZD Proposal Heading"]
    assert headings[0] == (
        "Alt 1  ·  P-12: amend  ·  Philippines - SOMTC, co-sponsored by Thailand - SOMTC"
        "  ·  submitted"
    )
    assert headings[1].startswith("Alt 2  ·  P-13: amend  ·  Indonesia - AICHR")
    assert texts.index(headings[0]) > at
    assert "Text: [Confined to a fenced and guarded compound with armed guards]" in texts
    assert "Rationale: Compounds are fenced." in texts
    positions = [t for s, t in paragraphs if s == "ZD List Bullet"]
    assert positions == [
        "Indonesia - AICHR: support",
        "Thailand - SOMTC: reservation \u2013 Prefers guarded.",
    ]
    new_item = next(t for t in headings if t.startswith("P-14"))
    assert texts.index(new_item) > texts.index("FC-CD-03")  # end of its dimension
    body = part(exported["compilation"], "word/document.xml")
    shown = {r.get(rv.VAL) for r in body.iter(rv.RSTYLE)}
    assert {"ZDProposalInsert", "ZDProposalDelete", "ZDAlternative", "ZDBracket"} <= shown
    assert next(body.iter(rv.INS), None) is None  # proposals are shown, never tracked


# Comments


def comment_anchors(data: bytes) -> dict[str, str]:
    """Comment id -> the text between its range start and end."""
    body = part(data, "word/document.xml")
    out: dict[str, str] = {}
    open_: dict[str, list[str]] = {}
    for el in body.iter():
        if el.tag == rv.w("commentRangeStart"):
            open_[el.get(rv.ID)] = []
        elif el.tag == rv.w("commentRangeEnd"):
            out[el.get(rv.ID)] = "".join(open_.pop(el.get(rv.ID)))
        elif el.tag in (rv.T, rv.DEL_TEXT) and el.text:
            for parts in open_.values():
                parts.append(el.text)
    return out


@pytest.mark.parametrize("variant", VARIANTS)
def test_open_threads_are_native_comments_with_replies(
    variant: str, exported: dict[str, bytes]
) -> None:
    data = exported[variant]
    document = docx.Document(io.BytesIO(data))
    found = [(c.author, c.initials, c.text) for c in document.comments]
    assert ("Maria Santos (Philippines - SOMTC)", "MS", "C-5: Is this too legal a word?") in found
    assert ("Siti Secretariat (ASEAN Secretariat)", "SS", "C-8: It follows ACTIP.") in found
    comments = part(data, "word/comments.xml")
    dates = {c.get(rv.AUTHOR): c.get(rv.DATE) for c in comments.iter(rv.w("comment"))}
    assert dates["Maria Santos (Philippines - SOMTC)"] == "2026-03-05T08:00:00Z"
    ids = {c.get(rv.w("initials")): c.get(rv.ID) for c in comments.iter(rv.w("comment"))}
    anchors = comment_anchors(data)
    if variant in ("clean", "redline", "compilation"):
        assert anchors[ids["MS"]] == "confiscated"
        assert anchors[ids["SS"]] == "confiscated"  # a reply shares its thread's words
        assert anchors[ids["BH"]].endswith("FC-CD-03")  # no words quoted: the heading
    if variant == "compilation":
        assert anchors[ids["SW"]] == "fenced"
    with docx2python(io.BytesIO(data)) as content:
        authors = {c[1] for c in content.comments}
    assert "Somchai Wong (Thailand - SOMTC)" in authors
    extended = part(data, "word/commentsExtended.xml")
    entries = list(extended)
    parents = [e.get(f"{{{rv.W15_NS}}}paraIdParent") for e in entries]
    assert sum(p is not None for p in parents) == 1


def test_a_thread_listed_in_the_response_table_is_anchored_to_its_row() -> None:
    row = ExportResponseRow(1, "C-5", PH, "FC-CD-01", "Is this too legal a word?", "", "open")
    data = export(new_document(responses=(row,)), "responses", include_comments=True)
    comments = part(data, "word/comments.xml")
    ids = {c.get(rv.w("initials")): c.get(rv.ID) for c in comments.iter(rv.w("comment"))}
    anchors = comment_anchors(data)
    assert anchors[ids["MS"]] == "Is this too legal a word?"
    assert anchors[ids["SS"]] == "Is this too legal a word?"
    assert "Open comment threads: 2" in anchors[ids["BH"]]


def test_threads_on_items_not_shown_go_under_other_matters() -> None:
    stray = ExportComment(
        "C-9", "Budi Hartono (Indonesia - AICHR)", "BH", R2_DATE, "Where did it go?", "FC-ZZ-99"
    )
    data = export(new_document(comments=(stray,)), "clean", include_comments=True)
    document, _ = reopen(data)
    texts = [p.text for p in document.paragraphs]
    assert "Comments on other matters" in texts
    assert "C-9 (FC-ZZ-99)" in texts
    (anchor,) = comment_anchors(data).values()
    assert anchor == "C-9 (FC-ZZ-99)"


def test_a_moved_indicator_takes_its_comments_where_it_now_stands() -> None:
    old = old_document()
    moved = replace(new_document().indicators[1], dimension=DR)  # FC-CD-01 moves to DR
    new = new_document(indicators=(new_document().indicators[0], moved))
    doc = redline_between(old, new, Uniform(PH, DECIDED))
    codes = [(i.code, i.change.op if i.change else None) for i in doc.indicators]
    assert ("FC-CD-01", "delete") in codes and ("FC-CD-01", "insert") in codes
    data = export(doc, "redline", include_comments=True)
    comments = part(data, "word/comments.xml")
    ids = {c.get(rv.w("initials")): c.get(rv.ID) for c in comments.iter(rv.w("comment"))}
    assert comment_anchors(data)[ids["MS"]] == "confiscated"
    body = part(data, "word/document.xml")
    start = next(e for e in body.iter(rv.w("commentRangeStart")) if e.get(rv.ID) == ids["MS"])
    assert start.getparent().find(f"{rv.PPR}/{rv.RPR}/{rv.INS}") is not None  # the new copy
    clean_new = draft_text(part(export(new, "clean"), "word/document.xml"))
    clean_old = draft_text(part(export(old, "clean"), "word/document.xml"))
    assert draft_text(rv.accept_all(part(export(doc, "redline"), "word/document.xml"))) == (
        clean_new
    )
    assert draft_text(rv.reject_all(part(export(doc, "redline"), "word/document.xml"))) == (
        clean_old
    )


def test_comments_are_left_out_unless_asked_for() -> None:
    data = export(new_document(), "clean")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert "word/comments.xml" not in z.namelist()
    assert not comment_anchors(data)


# Responses


def test_responses_are_a_landscape_table(exported: dict[str, bytes]) -> None:
    body = part(exported["responses"], "word/document.xml")
    sections = list(body.iter(rv.w("sectPr")))
    assert len(sections) == 2
    first, last = (s.find(rv.w("pgSz")) for s in sections)
    assert int(first.get(rv.w("w"))) < int(first.get(rv.w("h")))
    assert last.get(rv.w("orient")) == "landscape"
    assert int(last.get(rv.w("w"))) > int(last.get(rv.w("h")))
    document = docx.Document(io.BytesIO(exported["responses"]))
    table = next(t for t in document.tables if t.style.name == "ZD Response Table")
    assert len(table.rows) == 41
    assert [c.text for c in table.rows[0].cells] == [
        "No.",
        "Delegation",
        "Item",
        "Summary of input",
        "Answer",
        "Outcome",
    ]
    assert [c.text for c in table.rows[1].cells] == [
        "1\nP-11",
        PH,
        "FC-CD-02",
        'Amend: "Confined to a fenced compound"',
        "Taken into account",
        "pending",
    ]
    assert table.rows[0]._tr.find(f"{rv.TRPR}/{rv.w('tblHeader')}") is not None


def test_responses_without_input_say_so() -> None:
    _, text = reopen(export(new_document(responses=()), "responses"))
    assert "No proposals or comments were received in ADWG/FC/2026/R2." in text


# The round's state


def test_an_approved_round_carries_its_hash_and_approvals() -> None:
    approved = make_round(
        "ADWG/FC/2026/R2",
        R2_DATE,
        status="approved",
        content_hash=HASH,
        approvals=(
            ExportApproval("Chair Person", "SOMTC-21/2026/3", datetime(2026, 5, 12, tzinfo=UTC)),
            ExportApproval("Co-Chair Two", "AICHR-9/2026", datetime(2026, 5, 13, tzinfo=UTC)),
        ),
    )
    _, text = reopen(export(new_document(round=approved), "clean"))
    assert HASH in text
    assert "Approved by Chair Person on 12 May 2026, reference SOMTC-21/2026/3" in text
    assert "Approved by Co-Chair Two on 13 May 2026, reference AICHR-9/2026" in text
    _, text = reopen(export(new_document(), "clean"))
    assert "Approved" not in text and "{{APPROVAL}}" not in text


def test_no_deadline_and_an_unknown_time_zone() -> None:
    odd = make_round("R", R2_DATE, deadline=None, time_zone="Mars/Olympus", instructions="")
    _, text = reopen(export(new_document(round=odd), "clean"))
    assert "None set" in text


# Determinism, scripts, templates


def test_two_exports_are_byte_identical() -> None:
    for variant, doc in documents().items():
        first = export(doc, variant, include_comments=True)
        second = export(doc, variant, include_comments=True)
        assert first == second, variant
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert z.namelist()[0] == "[Content_Types].xml"
        core = z.read("docProps/core.xml").decode()
    assert "2026-03-02T09:00:00Z" in core


def test_every_asean_script_survives_and_control_characters_go() -> None:
    dirty = indicator("FC-CD-09", 9, CD, "Bad\x00 \x0bchars\x1f kept: " + ASEAN_TEXT)
    doc = new_document(indicators=(*new_document().indicators, dirty))
    for variant in ("clean", "compilation"):
        data = export(doc, variant)
        document, text = reopen(data)
        assert ASEAN_TEXT in text
        assert "Bad chars kept: " + ASEAN_TEXT in text
        assert ASEAN_TEXT in [p.text for p in document.paragraphs]
    body = part(export(doc, "clean"), "word/document.xml")
    rtl = [
        "".join(t.text for t in r.iter(rv.T))
        for r in body.iter(rv.R)
        if r.find(f"{rv.RPR}/{rv.RTL}") is not None
    ]
    assert "جاوي" in rtl and "עברית" in rtl


def test_another_template_is_filled_and_given_the_missing_styles() -> None:
    plain_template = io.BytesIO()
    docx.Document().save(plain_template)  # python-docx's own: no placeholders, no ZD styles
    data = export(new_document(), "compilation", template=plain_template.getvalue())
    document, text = reopen(data)
    names = {s.name for s in document.styles}
    assert {"ZD Indicator Text", "ZD Indicator Heading", "ZD List Bullet", "ZD Guidance"} <= names
    assert "ADWG/FC/2026/R2" in text and "Confined to a guarded compound" in text
    header = document.sections[0].header.paragraphs[0].text
    assert header == "RESTRICTED"
    numbering = part(data, "word/numbering.xml")
    styles = part(data, "word/styles.xml")
    bullet = next(s for s in styles.iter(rv.w("style")) if s.get(rv.w("styleId")) == "ZDListBullet")
    num_id = bullet.find(f"{rv.PPR}/{rv.w('numPr')}/{rv.w('numId')}").get(rv.VAL)
    assert num_id in {n.get(rv.w("numId")) for n in numbering.iter(rv.w("num"))}


def test_placeholders_split_over_runs_are_filled(tmp_path: object) -> None:
    from app.word.template import reference_bytes

    source = docx.Document(io.BytesIO(reference_bytes()))
    title = next(p for p in source.paragraphs if p.text == "{{TITLE}}")
    title.runs[0].text = "Draft: {{TI"
    title.add_run("TLE}} (")
    title.add_run("for input)")
    out = io.BytesIO()
    source.save(out)
    document, _ = reopen(export(new_document(), "clean", template=out.getvalue()))
    texts = [p.text for p in document.paragraphs]
    assert (
        "Draft: Zero Draft ASEAN Indicators of Trafficking in Persons for Forced Criminality "
        "(for input)" in texts
    )


def test_placeholders_in_the_data_stay_as_written() -> None:
    odd = make_round("R9", R2_DATE, instructions="Quote {{SYMBOL}} in replies.")
    doc = new_document(
        round=odd, indicators=(indicator("FC-CD-01", 1, CD, "Typed {{MARKING}} here"),)
    )
    _, text = reopen(export(doc, "clean"))
    assert "Quote {{SYMBOL}} in replies." in text
    assert "Typed {{MARKING}} here" in text


def test_progress_is_reported_up_to_the_total() -> None:
    seen: list[tuple[int, int]] = []
    export(new_document(), "clean", progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (6, 6)
    seen.clear()
    export(new_document(), "responses", progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (40, 40)


def test_an_unknown_variant_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown variant"):
        export(new_document(), "pdf")


# Download names


@pytest.mark.parametrize(
    ("symbol", "ascii_name"),
    [
        ("ADWG/FC/2026/R2", "ADWG-FC-2026-R2_redline.docx"),
        ('x"\r\nSet-Cookie: a=b/../..\\', "x-Set-Cookie-a-b-redline.docx"),
        ("ร่างที่ 2 / Bản thảo", "2-Ban-thao_redline.docx"),
        ("", "redline.docx"),
    ],
)
def test_download_names_are_safe(symbol: str, ascii_name: str) -> None:
    name, header = download_filename(symbol, "redline")
    assert name == ascii_name
    for bad in ("\r", "\n", "/", "\\", ";"):
        assert bad not in name
    assert header.startswith(f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''")
    assert header.count('"') == 2
    assert "\r" not in header and "\n" not in header


def test_download_names_keep_every_script_in_the_utf8_form() -> None:
    from urllib.parse import unquote

    _, header = download_filename("ร่างที่ 2 ជំពាក់ ຖືກ အကြွေး Bản thảo", "clean")
    assert unquote(header.split("''", 1)[1]) == "ร่างที่ 2 ជំពាក់ ຖືກ အကြွေး Bản thảo_clean.docx"


@given(st.text(max_size=80))
def test_any_symbol_gives_a_header_safe_name(symbol: str) -> None:
    name, header = download_filename(symbol, "clean")
    assert name.isascii() and name.endswith(".docx")
    assert all(c.isalnum() or c in "._()-" for c in name)
    assert header.isascii()
    assert all(32 <= ord(c) < 127 for c in header)
