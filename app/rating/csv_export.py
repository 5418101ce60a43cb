"""A rating round's results as CSV, pure: a RoundResults in, bytes out.

One row per item per question, after a header row; UTF-8 with a byte-order mark, so that Excel
opens the indicators' texts in any script as they are; CRLF line ends; numbers with a dot as
the decimal separator and at most two places (percentages one), empty where there is none.
A text cell that a spreadsheet would run as a formula (one starting with = + - @, a tab, a
carriage return, | or %) is written after an apostrophe, as app/responses/service.py does for
the comment-response table (OWASP's CSV injection); numbers are written as numbers.

A question with too few answers for its statistics to be shown (row.shown false) keeps only its
item and question: every other cell is empty, n too (on a small panel a count tells who did not
answer), and "shown" says "no", in the CSV as on the pages.
"""

import csv
import io

from app.word.rating import STRENGTH_LABELS, ResultRow, RoundResults, number

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "|", "%")

HEADER = (
    "ref",
    "question",
    "question_label",
    "n",
    "shown",
    "median",
    "iqr",
    "percent_7_to_9",
    "percent_1_to_3",
    "most_chosen",
    "most_chosen_percent",
    "consensus",
    "verdict",
    "classification",
    *(f"count_{r}" for r in range(1, 10)),
    *(f"count_{c}" for c in STRENGTH_LABELS),
    "compared_with",
    "n_compared",
    "percent_changed",
    "median_change",
    "iqr_change",
    "reason",
    "text",
)


def safe(value: str) -> str:
    """A text cell a spreadsheet will never run as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _pct(x: float | None) -> str:
    return number(x, 1)


def _cells(row: ResultRow) -> list[str]:
    nine = row.scale == "1-9"
    stats = row.shown
    counts = [str(c) for c in row.counts] if stats else [""] * len(row.counts)
    s = row.stability if stats else None
    return [
        safe(row.ref),
        safe(row.question),
        safe(row.question_label),
        str(row.n) if stats else "",
        "yes" if stats else "no",
        number(row.median) if stats and nine else "",
        number(row.iqr) if stats and nine else "",
        _pct(row.percent_7_to_9) if stats and nine else "",
        _pct(row.percent_1_to_3) if stats and nine else "",
        safe(row.mode or "") if stats and not nine else "",
        _pct(row.mode_percent) if stats and not nine else "",
        ("yes" if row.consensus else "no") if stats else "",
        safe(row.verdict) if stats else "",
        safe(row.classification or "") if stats else "",
        *(counts if nine else [""] * 9),
        *([""] * 3 if nine else counts),
        safe(s.previous_round) if s else "",
        str(s.n_compared) if s else "",
        _pct(s.percent_changed) if s else "",
        number(s.median_change) if s else "",
        number(s.iqr_change) if s else "",
        safe(row.reason) if stats else "",
        safe(row.text),
    ]


def results_csv(results: RoundResults) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in results.rows:
        writer.writerow(_cells(row))
    return out.getvalue().encode("utf-8-sig")


def filename(results: RoundResults) -> str:
    """ "RR-2_results.csv": the reference only (ASCII, no quoting needed in a header)."""
    ref = "".join(c for c in results.reference if c.isascii() and (c.isalnum() or c in "-_"))
    return f"{ref or 'rating'}_results.csv"
