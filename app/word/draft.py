"""Steps that write the draft text: the sections, the indicators grouped by dimension, the
threads on nothing the text shows, the end mark and the contents before it all.

Each item is a heading with its fields under it, bookmarked as one (app/word/marks.py); a
variant that shows proposals puts the pending ones under the item they concern
(app/word/compilation.py).
"""

from collections.abc import Sequence
from dataclasses import replace

from app.word import layout
from app.word import template as tpl
from app.word.build import Build
from app.word.compilation import proposals_under
from app.word.marks import mark_name
from app.word.model import (
    ExportDimension,
    ExportIndicator,
    ExportSection,
    Run,
    Runs,
    new_text,
    old_text,
)
from app.word.revisions import PPR, Element, make_runs, paragraph, set_property, sub, w
from app.word.runs import by, forced, joined, op_for, presence, shown, sides, who

FIELD_LABELS = (
    ("element", "Element of the definition: "),
    ("profiles", "Applies to: "),
    ("crime_types", "Crime types: "),
    ("intended_users", "Intended users: "),
)


def sections(b: Build) -> None:
    """The prose sections: headings numbered I., II. ... and their paragraphs 1., 2. ... by
    Word lists (app/word/template.py LISTS)."""
    count = 0
    for section in b.data.sections:
        number = forced(section.number, section.change)
        present = sides(forced(section.title, section.change))[1]
        count += bool(present and new_text(number).strip())
        _section(b, section, tpl.roman(count) + "." if present else "")


def indicators(b: Build) -> None:
    """The part heading, then each dimension's heading and its indicators, in the dimensions'
    order."""
    ordered = sorted(b.data.indicators, key=lambda i: i.dimension.position)
    groups: list[tuple[ExportDimension, list[ExportIndicator]]] = []
    for ind in ordered:
        if groups and groups[-1][0].code == ind.dimension.code:
            groups[-1][1].append(ind)
        else:
            groups.append((ind.dimension, [ind]))
    if ordered:
        part = presence("Indicators", [_heading_runs(i) for i in ordered])
        b.out.append(b.heading("ZDPartHeading", [(part, None)], level=1))
    for dimension, members in groups:
        _dimension(b, dimension, members)


def numbered(b: Build, p: Element, list_name: str, heading: Runs, number: Runs) -> bool:
    """Number an item's heading by a Word list, not by text: the register numbers the items
    that are in the draft 1, 2, 3 ... in reading order, the order they stand in here, so the
    list shows the round's numbers and, in a redline, derives each side's from the paragraphs
    there. An item that comes or goes renumbers the others without a tracked change of theirs;
    only an item that keeps its heading but gains or loses its number (withdrawn in the round)
    carries a tracked change of its numbering. Returns whether the heading is numbered now."""
    old, new = sides(heading)
    was, now = bool(old_text(number).strip()), bool(new_text(number).strip())
    current = now if new else was
    former = was if old else current
    if current:
        num = set_property(p, "numPr")
        sub(num, w("ilvl"), {w("val"): "0"})
        sub(num, w("numId"), {w("val"): b.list_id(list_name)})
    if former != current:
        author, date = who(number, "delete" if was else "insert")
        change = set_property(p, "pPrChange", b.rev.change_attrs(author, date))
        before = sub(change, PPR)
        style = p.find(f"{PPR}/{w('pStyle')}")
        if style is not None:
            sub(before, w("pStyle"), {w("val"): style.get(w("val"))})
        if former:
            num = sub(before, w("numPr"))
            sub(num, w("ilvl"), {w("val"): "0"})
            sub(num, w("numId"), {w("val"): b.list_id(list_name)})
    return current


def other_comments(b: Build) -> None:
    """Threads on nothing this text shows, each anchored to a line naming its target."""
    rest = [t for ts in b.threads.values() for t in ts]
    b.threads.clear()
    if not rest:
        return
    b.out.append(b.heading("ZDPartHeading", [((Run("Comments on other matters"),), None)], level=1))
    for thread in rest:
        p = paragraph("ZDField")
        ids = b.open_threads(p, [thread])
        p.extend(make_runs(f"{thread.reference} ({thread.target or 'general'})"))
        b.close_threads(p, ids)
        b.out.append(p)


def end_mark(b: Build) -> None:
    end = paragraph("ZDEnd")
    end.extend(make_runs("* * *"))
    b.out.append(end)


def contents(b: Build) -> None:
    """Before the text: the contents (the headings, each with its page number) and the
    variant's note."""
    b.out[0:0] = _contents(b, b.toc) + _note(b)


def page_numbers(b: Build) -> None:
    """The contents' page numbers, as the laid-out body gives them (app/word/layout.py): the
    result each PAGEREF field shows until it is updated."""
    if not b.page_refs:
        return
    pages = layout.heading_pages(b.body, b.doc.part._styles_part.element)
    for bookmark, shown_text in b.page_refs:
        shown_text.text = str(pages.get(bookmark, 1))


# An item


def _section(b: Build, section: ExportSection, label: str) -> None:
    """A section; `label` is what the sections' list shows for it, for the contents."""
    ch = section.change
    title = forced(section.title, ch)
    text = forced(section.text, ch)
    segments = joined([(title, None), (forced(section.item_state, ch), "ZDStateTag")], " ")
    fields = {"title": shown(title), "text": shown(text)}
    number = forced(section.number, ch)
    heading, marks = b.item_heading(
        "ZDSectionHeading",
        segments,
        section.code,
        fields,
        level=1,
        number=label if new_text(number).strip() else "",
    )
    numbered(b, heading, "sections", title, number)
    first = len(b.out)
    b.out.append(heading)
    b.block(text, "ZDSectionText", marks=marks.get("text"), numbered="paragraphs")
    b.mark_item(first, "section", section.code, None, fields, ch)
    proposals_under(b, section.code)
    b.item_done()


def _heading_runs(ind: ExportIndicator) -> Runs:
    return forced((Run(ind.code),), ind.change)


def _dimension(b: Build, dimension: ExportDimension, members: list[ExportIndicator]) -> None:
    title = presence(dimension.title, [_heading_runs(i) for i in members])
    code = (replace(title[0], text=f" ({dimension.code})"),)
    heading = b.heading("ZDDimensionHeading", [(title, None), (code, None)], level=2)
    name = mark_name("dimension", dimension.code)
    if name not in b.manifest.dimensions and sides(title)[1]:
        b.manifest.dimensions[name] = dimension.code
        bid = b.bookmark(heading, name)
        sub(heading, w("bookmarkEnd"), {w("id"): bid})
    b.out.append(heading)
    if dimension.description:
        b.block((replace(title[0], text=dimension.description),), "ZDDimensionDescription")
    for ind in members:
        _indicator(b, ind)
    proposals_under(b, dimension.code, new_items=True)


def _indicator(b: Build, ind: ExportIndicator) -> None:
    """An indicator: its heading (numbered by the indicators' list), text and strength kept
    together on a page, then its other fields."""
    ch = ind.change
    text = forced(ind.text, ch)
    guidance = forced(ind.guidance, ch)
    sources = forced(ind.information_sources, ch)
    references = forced(ind.references, ch)
    segments = joined(
        [
            (_heading_runs(ind), "ZDIndicatorCode"),
            (forced(ind.item_state, ch), "ZDStateTag"),
        ],
        "  ",
    )
    fields = {
        "text": shown(text),
        "guidance": shown(guidance),
        "information_sources": shown(sources),
        "references": shown(references),
    }
    heading, marks = b.item_heading("ZDIndicatorHeading", segments, ind.code, fields, level=None)
    numbered(b, heading, "indicators", _heading_runs(ind), forced(ind.number, ch))
    set_property(heading, "keepNext")
    first = len(b.out)
    b.out.append(heading)
    bracketed = new_text(ind.item_state) in b.recipe.brackets
    b.block(text, "ZDIndicatorText", marks=marks.get("text"), brackets=bracketed, keep=True)
    _strength_rows(b, forced(ind.strength_adult, ch), forced(ind.strength_child, ch))
    for name, label in FIELD_LABELS:
        b.block(forced(getattr(ind, name), ch), "ZDField", label=label)
    b.block(guidance, "ZDGuidance", label="Guidance note: ", marks=marks.get("guidance"))
    b.block(
        sources,
        "ZDReferences",
        label="Information sources: ",
        marks=marks.get("information_sources"),
    )
    b.block(references, "ZDReferences", label="References: ", marks=marks.get("references"))
    for name in ("strength_adult", "strength_child", *(n for n, _ in FIELD_LABELS)):
        fields[name] = shown(forced(getattr(ind, name), ch))
    b.mark_item(first, "indicator", ind.code, ind.dimension.code, fields, ch)
    proposals_under(b, ind.code)
    b.item_done()


def _strength_rows(b: Build, adult: Runs, child: Runs) -> None:
    """The small strength table, one paragraph per row (ZD Strength Header / Row styles draw
    it). Rows come and go with their value, the header with the last row."""
    rows = [("Adult\t", adult), ("Child\t", child)]
    present = [(label, runs) for label, runs in rows if any(sides(runs))]
    if not present:
        return
    header = presence("Profile\tStrength", [runs for _, runs in present])
    b.block(header, "ZDStrengthHeader", keep=True)
    for n, (label, runs) in enumerate(present):
        old, new = sides(runs)
        op = op_for(old, new)
        made_by = by(runs, op)
        row = (Run(label, op, made_by["author"], made_by["date"]), *runs)
        b.block(row, "ZDStrengthRow", keep=n < len(present) - 1)


# Before the text


def _note(b: Build) -> list[Element]:
    if not b.recipe.note:
        return []
    p = paragraph("ZDContentsNote")
    base = b.data.base_label or "the earlier round"
    p.extend(make_runs(b.recipe.note.format(base=base, symbol=b.data.round.symbol)))
    return [p]


def _contents(b: Build, toc: Sequence[tuple[int, str, str]]) -> list[Element]:
    """The contents: a line per heading, a link to it, and its page number as a PAGEREF field
    to its bookmark. Not a TOC field: LibreOffice shows a TOC field's stored lines as they are
    but computes a PAGEREF standing alone, and Word shows the stored result of both; the
    stored result is the page the layout estimate gives (page_numbers, at the end)."""
    heading = paragraph("TOCHeading")
    heading.extend(make_runs("Contents"))
    out = [heading]
    for level, text, bookmark in toc:
        p = paragraph(f"TOC{level}")
        if "\t" in text:  # a numbered heading: its number, a tab, its title
            tabs = set_property(p, "tabs")
            sub(tabs, w("tab"), {w("val"): "left", w("pos"): "567"})
        link = sub(p, w("hyperlink"), {w("anchor"): bookmark, w("history"): "1"})
        link.extend(make_runs(text + "\t"))
        for kind in ("begin", "instr", "separate", "result", "end"):
            r = sub(link, w("r"))
            if kind == "instr":
                it = sub(r, w("instrText"))
                it.text = f" PAGEREF {bookmark} \\h "
                it.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            elif kind == "result":
                shown_text = sub(r, w("t"))
                shown_text.text = "1"
                b.page_refs.append((bookmark, shown_text))
            else:
                sub(r, w("fldChar"), {w("fldCharType"): kind})
        out.append(p)
    return out
