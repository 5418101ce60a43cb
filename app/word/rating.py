"""A rating round's results as a Word annex, pure: a RoundResults in, the bytes of a .docx out.

RoundResults and ResultRow are the plain values the annex and the CSV (app/rating/csv_export.py)
take; the use case (app/rating/results.py) builds them from the database with the statistics of
app/rating/stats.py, so nothing here computes a median or decides a verdict: it lays out what it
is given. They live here, not in app/rating, because app/word imports nothing outside itself
(tests/test_layering.py).

The annex goes into the reference template like a meeting's record (record.in_house_style): the
same styles, header, footer and cover placeholders, the same deterministic package. Its body:
the round (what was rated, the panel), the consensus rule in words, then per item a heading (its
reference and text) and a table with a row per question (n, median, IQR, % rating 7-9, the
verdict) followed by a row with the distribution, the verdict's reason and, where given, the
stability since the previous round. A question with too few answers (row.shown false) says so
and shows nothing of the group, not even its n.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from app.word.cover import day, deadline_text, distribution, moment_text, typeset
from app.word.record import in_house_style
from app.word.revisions import (
    Element,
    clean,
    house_table,
    make_runs,
    paragraph,
    set_property,
    sub,
    w,
)

Scale = Literal["1-9", "strength"]
SCALE_LABELS = tuple(str(r) for r in range(1, 10))
STRENGTH_LABELS = ("strong", "medium", "weak")


@dataclass(frozen=True, slots=True)
class StabilityRow:
    """How a question's answers moved since the previous round, among those who answered both."""

    previous_round: str  # "Round 1"
    n_compared: int
    n_changed: int
    percent_changed: float | None
    median_change: float | None = None  # 1-9 questions
    iqr_change: float | None = None


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One question on one item. counts: nine for a 1-9 question (rating 1 first), three for a
    strength question (strong, medium, weak). shown: whether the group's statistics may be
    shown (n >= stats.MIN_SHOWN); when false, nothing of the group is written, not even n (on a
    small panel a count tells who did not answer)."""

    ref: str  # FC-CD-01
    question: str  # the question's key: "relevance", "clarity", "strength_adult", ...
    question_label: str  # "Relevance (1-9)"
    scale: Scale
    n: int
    shown: bool
    median: float | None
    iqr: float | None
    percent_7_to_9: float | None
    percent_1_to_3: float | None
    counts: tuple[int, ...]
    consensus: bool
    verdict: str  # the verdict's label: "consensus", "agreement", ...
    reason: str  # the verdict's reason
    classification: str | None = None
    mode: str | None = None  # strength questions: the category most chosen (None on a tie)
    mode_percent: float | None = None
    text: str = ""  # the indicator's text as rated
    stability: StabilityRow | None = None

    @property
    def count_labels(self) -> tuple[str, ...]:
        return SCALE_LABELS if self.scale == "1-9" else STRENGTH_LABELS


@dataclass(frozen=True, slots=True)
class RoundResults:
    reference: str  # the rating round's reference, e.g. "RR-2"
    title: str
    working_group: str
    round_label: str  # "Rating round 2 (second round of RR-1)"
    source_label: str  # the issued round the indicators were frozen from: "Round 2 (ZD/R2)"
    rule_text: str  # ConsensusRule.describe()
    # None: not written (a caller who may not see everything: on a small panel the number who
    # answered tells who did not).
    panel_size: int | None
    respondents: int | None  # panellists who answered at least one question
    date: datetime  # what the results show: the closing, or the moment they were read
    time_zone: str
    status: str  # "Closed on ..." / "Open: answers so far"
    rows: tuple[ResultRow, ...]
    min_shown: int = 5
    previous_label: str = ""  # the round stability is measured against, if any
    marking: str = ""
    deadline: datetime | None = None


# -- numbers as written ------------------------------------------------------------------------


def number(x: float | None, places: int = 2) -> str:
    """7.0 -> "7", 6.25 -> "6.25", 1/3 -> "0.33"; None -> "" (as in the CSV, a dot)."""
    if x is None:
        return ""
    text = f"{round(x, places):.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def percent(x: float | None) -> str:
    return "" if x is None else f"{number(x, 1)} %"


def signed(x: float | None) -> str:
    if x is None:
        return ""
    text = number(x)
    return text if text.startswith("-") or text == "0" else f"+{text}"


def distribution_text(row: ResultRow) -> str:
    """ "1: 0 · 2: 1 · ... · 9: 4" or "strong: 6 · medium: 2 · weak: 1"."""
    return "  \u00b7  ".join(
        f"{label}: {c}" for label, c in zip(row.count_labels, row.counts, strict=True)
    )


def stability_text(s: StabilityRow) -> str:
    if not s.n_compared:
        return f"Since {s.previous_round}: nobody answered both rounds."
    parts = [
        f"Since {s.previous_round}: {s.n_changed} of {s.n_compared} who answered both rounds "
        f"changed their answer ({percent(s.percent_changed)})"
    ]
    if s.median_change is not None:
        parts.append(f"median {signed(s.median_change)}")
    if s.iqr_change is not None:
        parts.append(f"IQR {signed(s.iqr_change)}")
    return "; ".join(parts) + "."


def verdict_text(row: ResultRow) -> str:
    text = row.verdict
    if row.classification:
        text += f" ({row.classification})"
    return text


# -- the document ------------------------------------------------------------------------------

COLUMNS = (  # heading, width in twentieths of a point (A4 portrait, the template's margins)
    ("Question", "2700"),
    ("n", "700"),
    ("Median", "1000"),
    ("IQR", "900"),
    ("% 7-9", "1000"),
    ("Verdict", "2726"),
)
WIDTHS = tuple(width for _, width in COLUMNS)


def _field(label: str, value: str) -> Element:
    p = paragraph("ZDField")
    p.extend(make_runs(label, style="ZDFieldLabel"))
    p.extend(make_runs(clean(value)))
    return p


def _text(style: str, value: str) -> Element:
    p = paragraph(style)
    p.extend(make_runs(clean(value)))
    return p


def _table() -> Element:
    tbl = house_table(WIDTHS)
    _row(tbl, [heading for heading, _ in COLUMNS], header=True)
    return tbl


def _row(tbl: Element, values: Sequence[str], *, header: bool = False) -> Element:
    tr = sub(tbl, w("tr"))
    trpr = sub(tr, w("trPr"))
    sub(trpr, w("cantSplit"))  # a row stands whole on one page
    if header:
        sub(trpr, w("tblHeader"))
    for value, width in zip(values, WIDTHS, strict=True):
        tc = sub(tr, w("tc"))
        sub(sub(tc, w("tcPr")), w("tcW"), {w("w"): width, w("type"): "dxa"})
        p = sub(tc, w("p"))
        p.extend(make_runs(clean(value)))
    return tr


def _wide_row(tbl: Element, lines: Sequence[str]) -> Element:
    """A row of one cell across the table: the distribution, the reason, the stability."""
    tr = sub(tbl, w("tr"))
    sub(sub(tr, w("trPr")), w("cantSplit"))
    tc = sub(tr, w("tc"))
    tc_pr = sub(tc, w("tcPr"))
    total = str(sum(int(x) for x in WIDTHS))
    sub(tc_pr, w("tcW"), {w("w"): total, w("type"): "dxa"})
    sub(tc_pr, w("gridSpan"), {w("val"): str(len(WIDTHS))})
    for line in lines:
        p = sub(tc, w("p"))
        p.extend(make_runs(clean(line)))
    return tr


def _question(tbl: Element, row: ResultRow, min_shown: int) -> None:
    if not row.shown:
        _row(tbl, [row.question_label, "", "", "", "", "not shown"])
        _wide_row(
            tbl,
            [
                f"Fewer than {min_shown} answers: the group's statistics are not shown, so that "
                "no answer can be told from them."
            ],
        )
        return
    if row.scale == "1-9":
        cells = [number(row.median), number(row.iqr), percent(row.percent_7_to_9)]
    else:
        cells = ["", "", ""]
    _row(tbl, [row.question_label, str(row.n), *cells, verdict_text(row)])
    lines = [f"Distribution: {distribution_text(row)}"]
    if row.scale == "strength" and row.mode_percent is not None:
        most = row.mode or "no single category (a tie)"
        lines.append(f"Most chosen: {most}, {percent(row.mode_percent)}")
    lines.append(row.reason)
    if row.stability is not None:
        lines.append(stability_text(row.stability))
    _wide_row(tbl, lines)


def body(results: RoundResults) -> list[Element]:
    out: list[Element] = [_text("ZDSectionHeading", "The round")]
    out.append(_field("Rating round: ", f"{results.reference}, {results.round_label}"))
    if results.source_label:
        out.append(_field("Indicators as issued in: ", results.source_label))
    if results.panel_size is not None and results.respondents is not None:
        out.append(
            _field(
                "Panel: ",
                f"{results.panel_size} panellists; {results.respondents} answered at least one "
                "question",
            )
        )
    out.append(_field("Results as at: ", moment_text(results.date, results.time_zone)))
    if results.previous_label:
        out.append(_field("Stability measured against: ", results.previous_label))
    out.append(_text("ZDSectionHeading", "Consensus rule"))
    out.append(_text("ZDSectionText", results.rule_text))
    out.append(
        _text(
            "ZDContentsNote",
            f"The rule was fixed before the first answer. Medians and quartiles are computed by "
            f"linear interpolation (as Excel's PERCENTILE.INC); IQR is the third quartile less "
            f"the first. The group's statistics are shown for a question with at least "
            f"{results.min_shown} answers.",
        )
    )
    out.append(_text("ZDSectionHeading", "Results"))
    if not results.rows:
        out.append(_text("ZDSectionText", "No items were rated in this round."))
        return out
    by_ref: dict[str, list[ResultRow]] = {}
    for row in results.rows:
        by_ref.setdefault(row.ref, []).append(row)
    for ref, rows in by_ref.items():
        heading = _text("ZDIndicatorHeading", ref)
        set_property(heading, "keepNext")
        out.append(heading)
        if rows[0].text:
            p = _text("ZDSectionText", rows[0].text)
            set_property(p, "keepNext")
            out.append(p)
        tbl = _table()
        for row in rows:
            _question(tbl, row, results.min_shown)
        out.append(tbl)
    # Word wants a paragraph between a table and the end of the body.
    out.append(paragraph("ZDField"))
    return out


def export_results(results: RoundResults) -> bytes:
    """The .docx of the annex; identical input, identical bytes."""
    values = {
        "WORKING_GROUP": typeset(results.working_group),
        "SYMBOL": results.reference,
        "TITLE": typeset(results.title),
        "VARIANT": "Results of the rating round",
        "ROUND": typeset(results.round_label),
        "DATE": day(results.date, results.time_zone),
        "DISTRIBUTION": distribution(results.marking),
        "STATUS": typeset(results.status),
        "MARKING": results.marking,
        "DEADLINE": deadline_text(results.deadline, results.time_zone),
    }
    return in_house_style(values, body(results))
