"""Steps that write the draft text: the sections, the indicators grouped by dimension, the
threads on nothing the text shows, the end mark and the contents before it all.

Each item is a heading with its fields under it, bookmarked as one (app/word/marks.py); a
variant that shows proposals puts the pending ones under the item they concern
(app/word/compilation.py).
"""

from collections.abc import Sequence
from dataclasses import replace

from app.word.build import Build
from app.word.compilation import proposals_under
from app.word.marks import mark_name
from app.word.model import ExportDimension, ExportIndicator, ExportSection, Run, Runs, new_text
from app.word.revisions import Element, R, make_runs, paragraph, sub, w
from app.word.runs import by, forced, joined, op_for, presence, shown, sides, suffixed

FIELD_LABELS = (
    ("element", "Element of the definition: "),
    ("profiles", "Applies to: "),
    ("crime_types", "Crime types: "),
    ("intended_users", "Intended users: "),
)


def sections(b: Build) -> None:
    for section in b.data.sections:
        _section(b, section)


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
    """Before the text: the contents (a TOC field listing the headings) and the variant's
    note."""
    b.out[0:0] = _contents(b.toc) + _note(b)


# An item


def _section(b: Build, section: ExportSection) -> None:
    ch = section.change
    title = forced(section.title, ch)
    text = forced(section.text, ch)
    segments = joined(
        [
            (suffixed(forced(section.number, ch), "."), None),
            (title, None),
            (forced(section.item_state, ch), "ZDStateTag"),
        ],
        " ",
    )
    fields = {"title": shown(title), "text": shown(text)}
    heading, marks = b.item_heading("ZDSectionHeading", segments, section.code, fields, level=1)
    first = len(b.out)
    b.out.append(heading)
    b.block(text, "ZDSectionText", marks=marks.get("text"))
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
    ch = ind.change
    text = forced(ind.text, ch)
    guidance = forced(ind.guidance, ch)
    sources = forced(ind.information_sources, ch)
    references = forced(ind.references, ch)
    segments = joined(
        [
            (suffixed(forced(ind.number, ch), "."), "ZDIndicatorNumber"),
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
    first = len(b.out)
    b.out.append(heading)
    bracketed = new_text(ind.item_state) in b.recipe.brackets
    b.block(text, "ZDIndicatorText", marks=marks.get("text"), brackets=bracketed)
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
    b.block(header, "ZDStrengthHeader")
    for label, runs in present:
        old, new = sides(runs)
        op = op_for(old, new)
        made_by = by(runs, op)
        b.block((Run(label, op, made_by["author"], made_by["date"]), *runs), "ZDStrengthRow")


# Before the text


def _note(b: Build) -> list[Element]:
    if not b.recipe.note:
        return []
    p = paragraph("ZDContentsNote")
    base = b.data.base_label or "the earlier round"
    p.extend(make_runs(b.recipe.note.format(base=base, symbol=b.data.round.symbol)))
    return [p]


def _contents(toc: Sequence[tuple[int, str, str]]) -> list[Element]:
    heading = paragraph("TOCHeading")
    heading.extend(make_runs("Contents"))
    entries = toc or [(1, "", "")]
    out = [heading]
    for n, (level, text, bookmark) in enumerate(entries):
        p = paragraph(f"TOC{level}")
        if n == 0:
            for kind in ("begin", "instr", "separate"):
                r = sub(p, R)
                if kind == "instr":
                    it = sub(r, w("instrText"))
                    it.text = ' TOC \\o "1-2" \\h \\z \\u '
                    it.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
                elif kind == "begin":
                    sub(r, w("fldChar"), {w("fldCharType"): kind, w("dirty"): "true"})
                else:
                    sub(r, w("fldChar"), {w("fldCharType"): kind})
        if bookmark:
            # Entries without page numbers: Word fills them in when it updates the field (it
            # is marked dirty); other readers show the list as it is.
            link = sub(p, w("hyperlink"), {w("anchor"): bookmark, w("history"): "1"})
            link.extend(make_runs(text))
        if n == len(entries) - 1:
            r = sub(p, R)
            sub(r, w("fldChar"), {w("fldCharType"): "end"})
        out.append(p)
    return out
