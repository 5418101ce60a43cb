"""A rating round's results as a Word annex (app/word/rating.py) and as CSV
(app/rating/csv_export.py), from plain values: read back by python-docx, lxml and LibreOffice, and
by the csv module. The numbers come from app/rating/results.py over a small made-up panel."""

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import docx
import pytest
from docx2python import docx2python

from app.rating.csv_export import HEADER, filename, results_csv, safe
from app.rating.results import QUESTIONS, ItemAnswers, RoundResults, result_rows
from app.rating.stats import DEFAULT_RULE, ConsensusRule
from app.word.rating import export_results, number
from tests.test_new_item_placement_word import lines_libreoffice, lines_lxml

# Ten panellists rate FC-CD-01 in round 2; eight of them rated it in round 1 as well.
ROUND2 = {
    f"p{n}": {"relevance": r, "clarity": c, "strength_adult": a, "strength_child": k}
    for n, (r, c, a, k) in enumerate(
        [
            (9, 8, "strong", "strong"),
            (8, 8, "strong", "strong"),
            (8, 7, "strong", "strong"),
            (7, 9, "strong", "medium"),
            (9, 6, "medium", "strong"),
            (8, 7, "strong", "strong"),
            (7, 8, "strong", "strong"),
            (8, 5, "weak", "strong"),
            (6, 7, "strong", None),
            (9, 8, "medium", "weak"),
        ]
    )
}
# Round 1: p0-p7 answered; p2 and p5 rated relevance lower then.
ROUND1 = {
    who: a | ({"relevance": 4} if who in ("p2", "p5") else {})
    for who, a in ROUND2.items()
    if who not in ("p8", "p9")
}
# FC-CD-02: only three answers, so nothing of the group is shown.
SMALL = {f"q{n}": {"relevance": r, "clarity": 8} for n, r in enumerate([2, 9, 9])}


def results(rule: ConsensusRule = DEFAULT_RULE, *, show_all: bool = False) -> RoundResults:
    rows = result_rows(
        rule,
        [
            ItemAnswers(
                "FC-CD-01",
                "The person was made to commit crimes = to pay a debt",
                ROUND2,
                previous=ROUND1,
            ),
            ItemAnswers("FC-CD-02", "Threats against family", SMALL, previous={}),
        ],
        previous_label="Round 1 (RR-1)",
        show_all=show_all,
    )
    return RoundResults(
        reference="RR-2",
        title="Validation of the forced-criminality indicators",
        working_group="ASEAN Drafting Working Group",
        round_label="Rating round 2 of 2",
        source_label="Round 2 (ZD/R2)",
        rule_text=rule.describe(),
        panel_size=14,
        respondents=13,
        date=datetime(2026, 11, 30, 10, 0, tzinfo=UTC),
        time_zone="Asia/Jakarta",
        status="Closed on 30 November 2026",
        rows=rows,
        previous_label="Round 1 (RR-1)",
        deadline=datetime(2026, 11, 28, 16, 59, tzinfo=UTC),
    )


def annex_tables(document: Any) -> list[Any]:
    """The results' tables (the template's cover has one of its own)."""
    return [t for t in document.tables if t.style.style_id == "ZDResponseTable"]


def test_the_rows_hold_the_worked_statistics() -> None:
    rows = {(r.ref, r.question): r for r in results().rows}
    assert len(rows) == 2 * len(QUESTIONS)
    rel = rows["FC-CD-01", "relevance"]
    # 6 7 7 8 8 8 8 9 9 9: median (8 + 8) / 2 = 8; Q1 h = 2.25 -> 7 + 0.25 * 1 = 7.25;
    # Q3 h = 6.75 -> 8 + 0.75 * 1 = 8.75; IQR 1.5.
    assert (rel.n, rel.median, rel.iqr, rel.percent_7_to_9) == (10, 8.0, 1.5, 90.0)
    assert rel.counts == (0, 0, 0, 0, 0, 1, 2, 4, 3)
    assert (rel.consensus, rel.verdict, rel.shown) == (True, "consensus", True)
    s = rel.stability
    assert s is not None
    # Of p0-p7 (both rounds), p2 and p5 changed: 2 of 8. Round 1's 4 4 7 7 8 8 9 9: median 7.5,
    # Q1 h = 1.75 -> 4 + 0.75 * 3 = 6.25, Q3 h = 5.25 -> 8.25, IQR 2; now 8 and 1.5.
    assert (s.n_compared, s.n_changed, s.percent_changed) == (8, 2, 25.0)
    assert (s.median_change, s.iqr_change) == (0.5, -0.5)
    child = rows["FC-CD-01", "strength_child"]
    assert (child.n, child.counts, child.mode) == (9, (7, 1, 1), "strong")
    assert (child.consensus, child.classification) == (True, "strong")
    small = rows["FC-CD-02", "relevance"]
    assert (small.n, small.shown) == (3, False)
    assert rows["FC-CD-02", "strength_adult"].n == 0


def test_out_of_scale_answers_are_refused() -> None:
    bad = ItemAnswers("FC-CD-03", "", {"x": {"relevance": 10}})
    with pytest.raises(ValueError, match="rating"):
        result_rows(DEFAULT_RULE, [bad])
    bad = ItemAnswers("FC-CD-03", "", {"x": {"relevance": "8"}})
    with pytest.raises(ValueError, match="relevance"):
        result_rows(DEFAULT_RULE, [bad])
    bad = ItemAnswers("FC-CD-03", "", {"x": {"relevance": 8, "strength_child": "huge"}})
    with pytest.raises(ValueError, match="strength"):
        result_rows(DEFAULT_RULE, [bad])


def test_the_annex_in_the_house_style() -> None:
    data = export_results(results())
    assert export_results(results()) == data  # deterministic
    document = docx.Document(io.BytesIO(data))
    styled = {p.text: p.style.style_id for p in document.paragraphs if p.text.strip()}
    assert styled["Results of the rating round"] == "ZDCoverVariant"
    assert styled["The round"] == styled["Consensus rule"] == "ZDSectionHeading"
    assert styled["FC-CD-01"] == "ZDIndicatorHeading"
    assert styled[DEFAULT_RULE.describe()] == "ZDSectionText"
    text = "\n".join(lines_lxml(data))
    assert "Panel: 14 panellists; 13 answered at least one question" in text
    assert "Rating round: RR-2, Rating round 2 of 2" in text
    assert "Stability measured against: Round 1 (RR-1)" in text
    assert "28 November 2026, 23:59 Asia/Jakarta time (UTC+07:00)" in text

    first, second = annex_tables(document)
    header = [c.text for c in first.rows[0].cells]
    assert header == ["Question", "n", "Median", "IQR", "% 7-9", "Verdict"]
    assert [c.text for c in first.rows[1].cells] == [
        "Relevance (1-9)",
        "10",
        "8",
        "1.5",
        "90 %",
        "consensus",
    ]
    wide = first.rows[2].cells[0].text
    assert "Distribution: 1: 0  \u00b7  2: 0" in wide
    assert "9: 3" in wide
    assert "Consensus: median 8, 9 of 10 rated 7-9, 0 rated 1-3." in wide
    assert (
        "Since Round 1 (RR-1): 2 of 8 who answered both rounds changed their answer (25 %); "
        "median +0.5; IQR -0.5." in wide
    )
    strength = [c.text for c in first.rows[7].cells]
    assert strength == [QUESTIONS[3].label, "9", "", "", "", "consensus (strong)"]
    assert "strong: 7  \u00b7  medium: 1  \u00b7  weak: 1" in first.rows[8].cells[0].text

    # FC-CD-02: three answers, nothing of the group.
    assert [c.text for c in second.rows[1].cells] == [
        "Relevance (1-9)",
        "",
        "",
        "",
        "",
        "not shown",
    ]
    assert second.rows[2].cells[0].text.startswith("Fewer than 5 answers")
    assert "9: " not in "\n".join(c.text for r in second.rows for c in r.cells)


def test_the_secretariats_annex_shows_small_panels_and_the_rand_rule() -> None:
    rule = ConsensusRule(kind="rand_ucla")
    document = docx.Document(io.BytesIO(export_results(results(rule, show_all=True))))
    first, second = annex_tables(document)
    assert [c.text for c in second.rows[1].cells][:3] == ["Relevance (1-9)", "3", "9"]
    assert "Disagreement" not in second.rows[2].cells[0].text
    assert "start at 8 panellists" in second.rows[2].cells[0].text
    assert first.rows[1].cells[5].text == "agreement (appropriate)"


def test_an_empty_round() -> None:
    empty = replace(results(), rows=())
    lines = lines_lxml(export_results(empty))
    assert "No items were rated in this round." in lines
    assert results_csv(empty).decode("utf-8-sig").splitlines() == [",".join(HEADER)]


def test_libreoffice_reads_the_annex() -> None:
    rendered = [" ".join(x.split()) for x in lines_libreoffice(export_results(results()))]
    assert "Results of the rating round" in rendered
    assert "FC-CD-01" in rendered
    assert "Relevance (1-9)" in rendered
    assert any(x.startswith("Fewer than 5 answers") for x in rendered), rendered
    assert any("Consensus: median 8, 9 of 10 rated 7-9" in x for x in rendered)


def test_the_csv() -> None:
    data = results_csv(results())
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM, for Excel
    assert b"\r\n" in data
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 2 * len(QUESTIONS)
    rel = rows[0]
    assert (rel["ref"], rel["question"], rel["n"], rel["shown"]) == (
        "FC-CD-01",
        "relevance",
        "10",
        "yes",
    )
    assert (rel["median"], rel["iqr"], rel["percent_7_to_9"]) == ("8", "1.5", "90")
    assert (rel["consensus"], rel["verdict"]) == ("yes", "consensus")
    assert [rel[f"count_{r}"] for r in range(1, 10)] == [
        "0",
        "0",
        "0",
        "0",
        "0",
        "1",
        "2",
        "4",
        "3",
    ]
    assert rel["count_strong"] == ""
    assert (rel["n_compared"], rel["percent_changed"], rel["median_change"]) == ("8", "25", "0.5")
    assert rel["iqr_change"] == "-0.5"  # a number, not neutralised
    # The indicator's text starts with no formula sign here, but would be written safely.
    assert rel["text"] == "The person was made to commit crimes = to pay a debt"
    child = rows[3]
    assert (child["most_chosen"], child["most_chosen_percent"]) == ("strong", "77.8")
    assert (child["count_strong"], child["count_medium"], child["count_weak"]) == ("7", "1", "1")
    assert child["median"] == "" and child["count_9"] == ""
    small = rows[4]
    assert (small["ref"], small["n"], small["shown"]) == ("FC-CD-02", "", "no")
    assert small["median"] == small["count_9"] == small["consensus"] == small["reason"] == ""
    assert small["n_compared"] == ""
    assert filename(results()) == "RR-2_results.csv"


@pytest.mark.parametrize("cell", ['=HYPERLINK("x")', "+1", "-1+2", "@SUM(A1)", "\tx", "|x", "%x"])
def test_formula_cells_are_neutralised(cell: str) -> None:
    assert safe(cell) == "'" + cell
    rows = result_rows(DEFAULT_RULE, [ItemAnswers(cell, cell, {})])
    hostile = replace(results(), rows=rows)
    parsed = list(csv.reader(io.StringIO(results_csv(hostile).decode("utf-8-sig"))))
    assert parsed[1][0] == parsed[1][-1] == "'" + cell


def test_numbers_are_written_with_a_dot() -> None:
    assert [number(x) for x in (8.0, 6.25, 1 / 3, -0.5, 0.0, None)] == [
        "8",
        "6.25",
        "0.33",
        "-0.5",
        "0",
        "",
    ]


def test_an_independent_reader_sees_the_same_tables() -> None:
    """docx2python reads the file without python-docx's model: the same cells, in order."""
    with docx2python(io.BytesIO(export_results(results()))) as content:
        text = content.text
    for cell in ("Relevance (1-9)", "1.5", "90 %", "consensus (strong)", "Fewer than 5 answers"):
        assert cell in text
    assert text.index("FC-CD-01") < text.index("FC-CD-02")
