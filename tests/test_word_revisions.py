"""The tracked-change and comment XML, element by element, and reading it back."""

import io
import zipfile
from datetime import UTC, datetime

import docx
from lxml import etree

from app.word import revisions as rv
from app.word.model import Run

WHEN = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
LATER = datetime(2026, 3, 9, 14, 0, tzinfo=UTC)


def body(*children: object) -> object:
    root = etree.Element(rv.w("body"), nsmap={"w": rv.W_NS})
    root.extend(children)
    return root


def xml(el: object) -> str:
    return etree.tostring(el, encoding="unicode")


def test_changes_carry_author_date_and_one_id_counter() -> None:
    r = rv.Revisions(default_author="ASEAN Secretariat", default_date=WHEN)
    p = rv.paragraph("ZDIndicatorText")
    r.append_runs(
        p,
        [
            Run("Passport "),
            Run("taken", "delete", "Philippines - SOMTC", LATER),
            Run("confiscated", "insert", "Philippines - SOMTC", LATER),
            Run(" by operators", "insert"),
        ],
    )
    dels = p.findall(rv.DEL)
    inss = p.findall(rv.INS)
    assert [d.get(rv.AUTHOR) for d in dels] == ["Philippines - SOMTC"]
    assert [i.get(rv.AUTHOR) for i in inss] == ["Philippines - SOMTC", "ASEAN Secretariat"]
    assert dels[0].get(rv.DATE) == "2026-03-09T14:00:00Z"
    assert inss[1].get(rv.DATE) == "2026-03-02T09:30:00Z"
    assert [e.get(rv.ID) for e in (dels[0], inss[0], inss[1])] == ["1", "2", "3"]
    assert dels[0].find(f"{rv.R}/{rv.DEL_TEXT}").text == "taken"
    assert dels[0].find(f"{rv.R}/{rv.T}") is None
    assert inss[1].find(f"{rv.R}/{rv.T}").get(rv.SPACE) == "preserve"


def test_accept_and_reject_give_each_side() -> None:
    r = rv.Revisions(default_author="S", default_date=WHEN)
    p = rv.paragraph()
    r.append_runs(p, [Run("a "), Run("old", "delete"), Run("new", "insert"), Run(" z")])
    assert rv.paragraph_texts(rv.accept_all(body(p))) == ["a new z"]
    p = rv.paragraph()
    r.append_runs(p, [Run("a "), Run("old", "delete"), Run("new", "insert"), Run(" z")])
    assert rv.paragraph_texts(rv.reject_all(body(p))) == ["a old z"]


def test_whole_paragraphs_and_rows_come_and_go_with_their_marks() -> None:
    def build() -> object:
        r = rv.Revisions(default_author="S", default_date=WHEN)
        first = rv.paragraph()
        r.append_runs(first, [Run("kept")])
        added = rv.paragraph()
        r.append_runs(added, [Run("added", "insert")])
        r.track_paragraph(added, "insert")
        gone = rv.paragraph()
        r.append_runs(gone, [Run("gone", "delete")])
        r.track_paragraph(gone, "delete")
        last = rv.paragraph()
        r.append_runs(last, [Run("end")])
        tbl = etree.Element(rv.TBL)
        for text, op in (("row old", "delete"), ("row new", "insert"), ("row same", "equal")):
            tr = rv.sub(tbl, rv.TR)
            tc = rv.sub(tr, rv.TC)
            cell_p = rv.sub(tc, rv.P)
            r.append_runs(cell_p, [Run(text, op)])
            r.track_row(tr, op)
        return body(first, added, gone, last, tbl, rv.paragraph())

    accepted = rv.paragraph_texts(rv.accept_all(build()))
    rejected = rv.paragraph_texts(rv.reject_all(build()))
    assert accepted == ["kept", "added", "end", "row new", "row same", ""]
    assert rejected == ["kept", "gone", "end", "row old", "row same", ""]


def test_paragraph_mark_goes_into_rpr_last_in_ppr() -> None:
    r = rv.Revisions(default_author="S", default_date=WHEN)
    p = rv.paragraph("Heading1")
    r.track_paragraph(p, "insert")
    ppr = p.find(rv.PPR)
    assert [etree.QName(c).localname for c in ppr] == ["pStyle", "rPr"]
    assert ppr.find(f"{rv.RPR}/{rv.INS}") is not None


def test_marks_cut_runs_at_offsets_of_the_new_text() -> None:
    r = rv.Revisions(default_author="S", default_date=WHEN)
    p = rv.paragraph()
    start, end = r.range_start("9"), r.range_end("9")
    # new text: "Passport confiscated by operators"; comment on "confiscated by"
    r.append_runs(
        p,
        [Run("Passport "), Run("taken", "delete"), Run("confiscated by", "insert"), Run(" ops")],
        marks={9: [start], 23: [end]},
    )
    kinds = [etree.QName(c).localname for c in p]
    # The range starts after the deleted word: it covers what it quotes.
    assert kinds == ["r", "del", "commentRangeStart", "ins", "commentRangeEnd", "r"]
    inside = p[p.index(start) + 1 : p.index(end)]
    assert "".join(rv.paragraph_text(e) for e in inside if e.tag == rv.INS) == "confiscated by"


def test_a_range_ending_where_words_were_deleted_ends_before_them() -> None:
    r = rv.Revisions(default_author="S", default_date=WHEN)
    p = rv.paragraph()
    r.append_runs(
        p,
        [Run("kept"), Run(" gone", "delete"), Run(" more")],
        marks={0: [r.range_start("1")], 4: [r.range_end("1"), r.reference("1")]},
    )
    kinds = [etree.QName(c).localname for c in p]
    assert kinds == ["commentRangeStart", "r", "commentRangeEnd", "r", "del", "r"]


def test_marks_at_the_end_and_split_inside_a_run() -> None:
    r = rv.Revisions(default_author="S", default_date=WHEN)
    p = rv.paragraph()
    r.append_runs(p, [Run("abcdef")], marks={2: [r.range_start("1")], 6: [r.range_end("1")]})
    assert [etree.QName(c).localname for c in p] == [
        "r",
        "commentRangeStart",
        "r",
        "commentRangeEnd",
    ]
    assert rv.paragraph_text(p) == "abcdef"


def test_control_characters_are_dropped_and_breaks_kept() -> None:
    r = rv.Revisions(default_author="S\x00ec", default_date=WHEN)
    p = rv.paragraph()
    r.append_runs(p, [Run("line one\r\nline\x0b two\ttab"), Run("x\x01", "insert")])
    assert rv.paragraph_text(p) == "line one\nline two\ttabx"
    assert p.find(rv.INS).get(rv.AUTHOR) == "Sec"
    etree.tostring(p)  # serialises


def test_right_to_left_stretches_are_marked() -> None:
    runs = rv.make_runs("Jawi: جاوي text")
    assert [r.find(f"{rv.RPR}/{rv.RTL}") is not None for r in runs] == [False, True, False]
    assert "".join(rv.paragraph_text(r) for r in runs) == "Jawi: جاوي text"


def test_comments_with_replies_and_tracking_in_a_real_package() -> None:
    document = docx.Document()
    r = rv.Revisions(default_author="S", default_date=WHEN)
    root = r.comment(author="Maria Santos", initials="MS", date=WHEN, body="Too narrow.\nSee §2")
    reply = r.comment(author="Budi Hartono", initials="BH", date=LATER, body="Agree", parent=root)
    p = document.add_paragraph()._p
    p.append(r.range_start(root))
    p.append(r.range_start(reply))
    r.append_runs(p, [Run("quoted words")])
    p.append(r.range_end(root))
    p.append(r.reference(root))
    p.append(r.range_end(reply))
    p.append(r.reference(reply))
    r.write_parts(document)
    out = io.BytesIO()
    document.save(out)
    with zipfile.ZipFile(out) as z:
        comments = etree.fromstring(z.read("word/comments.xml"))
        extended = etree.fromstring(z.read("word/commentsExtended.xml"))
        settings = etree.fromstring(z.read("word/settings.xml"))
        types = z.read("[Content_Types].xml").decode()
        rels = z.read("word/_rels/document.xml.rels").decode()
    found = comments.findall(rv.w("comment"))
    assert [(c.get(rv.AUTHOR), c.get(rv.w("initials"))) for c in found] == [
        ("Maria Santos", "MS"),
        ("Budi Hartono", "BH"),
    ]
    assert found[0].get(rv.DATE) == "2026-03-02T09:30:00Z"
    assert [rv.paragraph_text(q) for q in found[0].findall(rv.P)] == ["Too narrow.", "See §2"]
    entries = extended.findall(f"{{{rv.W15_NS}}}commentEx")
    last_para = found[0].findall(rv.P)[-1].get(rv.PARA_ID)
    assert entries[0].get(f"{{{rv.W15_NS}}}paraId") == last_para
    assert entries[1].get(f"{{{rv.W15_NS}}}paraIdParent") == last_para
    assert settings.find(rv.w("trackRevisions")) is not None
    assert rv.COMMENTS_EXTENDED_CT in types
    assert rv.COMMENTS_EXTENDED_RT in rels
    reopened = docx.Document(io.BytesIO(out.getvalue()))
    assert [c.author for c in reopened.comments] == ["Maria Santos", "Budi Hartono"]
