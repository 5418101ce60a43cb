"""Steps of the comment-response table: the cover stays portrait, then a landscape table with a
row per proposal or comment received (its thread anchored to the row's summary), then a line
holding the threads no row lists."""

from collections.abc import Sequence

from lxml import etree  # type: ignore[import-untyped]

from app.word import template as tpl
from app.word.build import Build
from app.word.model import Run
from app.word.revisions import PPR, Element, house_table, make_runs, paragraph, sub, w

COLUMNS = (  # heading, width in twentieths of a point
    ("No.", "1134"),
    ("Delegation", "1985"),
    ("Item", "1417"),
    ("Summary of input", "4253"),
    ("Answer", "3827"),
    ("Outcome", "1417"),
)


def portrait_end(b: Build) -> None:
    """The end of the cover's (portrait) section, before the text."""
    p = paragraph()
    sect_pr = b.body.find(tpl.SECT_PR)
    if sect_pr is not None:
        ppr = p.find(PPR)
        if ppr is None:
            ppr = sub(p, PPR)
        ppr.append(etree.fromstring(etree.tostring(sect_pr)))
    b.front.append(p)


def response_table(b: Build) -> None:
    b.out.append(
        b.heading("ZDSectionHeading", [((Run("Comment-response table"),), None)], level=None)
    )
    rows = b.data.responses
    symbol = b.data.round.symbol
    intro = paragraph("ZDContentsNote")
    intro.extend(
        make_runs(
            f"Every proposal and comment received in {symbol}, with the secretariat's answer "
            "and what became of it."
            if rows
            else f"No proposals or comments were received in {symbol}."
        )
    )
    b.out.append(intro)
    if rows:
        b.out.append(_table(b))


def open_threads(b: Build) -> None:
    """One line holding every thread no row lists, when there are some. Without it the table
    ends the text, and the document: Word wants a paragraph between a table and the end of
    the body, so an empty one closes it then (and only then)."""
    p = paragraph("ZDField")
    threads = [t for ts in b.threads.values() for t in ts]
    if threads:
        ids = b.open_threads(p, threads)
        p.extend(make_runs(f"Open comment threads: {len(threads)}"))
        b.close_threads(p, ids)
        b.out.append(p)
    elif b.out and b.out[-1].tag == w("tbl"):
        b.out.append(p)


def _table(b: Build) -> Element:
    widths = tuple(width for _, width in COLUMNS)
    tbl = house_table(widths)
    _row(tbl, [heading for heading, _ in COLUMNS], widths, header=True)
    # A thread is anchored to the summary of the row that lists it.
    by_reference = {t.reference: t for ts in b.threads.values() for t in ts}
    for row in b.data.responses:
        tr = _row(
            tbl,
            (
                f"{row.number}\n{row.reference}",
                row.delegation
                + (f"\nCo-sponsors: {', '.join(row.co_sponsors)}" if row.co_sponsors else ""),
                row.item,
                (f"Carried over from {row.carried_from}: " if row.carried_from else "")
                + row.summary,
                row.answer,
                row.outcome,
            ),
            widths,
        )
        thread = by_reference.get(row.reference)
        if thread is not None:
            b.threads[thread.target].remove(thread)
            summary = tr.findall(w("tc"))[3].find(w("p"))  # a cell paragraph: no pPr
            ids = b.comment_ids(thread)
            for cid in reversed(ids):
                summary.insert(0, b.rev.range_start(cid))
            b.close_threads(summary, ids)
        b.item_done()
    return tbl


def _row(
    tbl: Element, values: Sequence[str], widths: Sequence[str], *, header: bool = False
) -> Element:
    tr = sub(tbl, w("tr"))
    trpr = sub(tr, w("trPr"))
    sub(trpr, w("cantSplit"))  # a row stands whole on one page
    if header:
        sub(trpr, w("tblHeader"))
    for value, width in zip(values, widths, strict=True):
        tc = sub(tr, w("tc"))
        sub(sub(tc, w("tcPr")), w("tcW"), {w("w"): width, w("type"): "dxa"})
        p = sub(tc, w("p"))
        p.extend(make_runs(value))
    return tr
