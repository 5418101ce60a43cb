"""An estimate of the page each heading lands on, for the page numbers the contents carries.

The contents lists each heading with a PAGEREF field to the heading's bookmark. LibreOffice
computes such a field when it lays the document out (a field inside a TOC field it does not: it
shows the result stored in the file, measured with LibreOffice 7.4). Word shows the stored result
until the reader updates the fields. So the stored result is this estimate: the body laid out
line by line with the widths of Arial (the house font; Liberation Sans, its metric twin, is what
LibreOffice draws with), the styles' sizes, spacing, indents, page breaks and keep-with-next.
It is an estimate, not Word's layout: tests/test_word_layout.py measures it against the pages
LibreOffice gives.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace

from app.word.revisions import BR, DEL_TEXT, PPR, PSTYLE, RPR, TAB, TBL, TC, TR, Element, P, T, w

# Advance widths (1/1000 em) of Liberation Sans, Arial's metric twin, for " " to "~".
_REGULAR = (
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722,
    722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722,
    667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556,
    556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500,
    500, 334, 260, 334, 584,
)  # fmt: skip
_BOLD = (
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722,
    722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722,
    667, 944, 667, 667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611,
    611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556,
    500, 389, 280, 389, 584,
)  # fmt: skip
_OTHER = 556  # any other character: an average letter
# A single line of Arial, in ems: its ascent and descent (1.117; with its line gap, 1.149).
# Measured against LibreOffice 7.4's pages of the test drafts (tests/test_word_layout.py), the
# first puts 81 of 81 headings on their page, the second 79: lines laid a little tighter than
# the font's full height, as LibreOffice lays them.
_LINE = 1.117
_TAB = 720  # default tab stop, twips
_EXTENT = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}extent"
_NUMBER_INDENT = 567  # a numbered paragraph's indent when its list gives none we read


@dataclass(frozen=True, slots=True)
class _Props:
    size: float = 11.0  # points
    bold: bool = False
    before: int = 0  # twips
    after: int = 0
    line: int = 240
    rule: str = "auto"
    left: int = 0
    right: int = 0
    first: int = 0  # first-line indent (negative: hanging)
    keep_next: bool = False
    keep_lines: bool = False
    break_before: bool = False
    contextual: bool = False


def _on(el: Element | None) -> bool | None:
    if el is None:
        return None
    return el.get(w("val"), "true") not in ("0", "false", "off")


def _twips(el: Element, name: str) -> int | None:
    value = el.get(w(name))
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _apply(props: _Props, ppr: Element | None, rpr: Element | None) -> _Props:
    changes: dict[str, object] = {}
    if rpr is not None:
        sz = rpr.find(w("sz"))
        if sz is not None and (half := _twips(sz, "val")) is not None:
            changes["size"] = half / 2
        if (bold := _on(rpr.find(w("b")))) is not None:
            changes["bold"] = bold
    if ppr is not None:
        spacing = ppr.find(w("spacing"))
        if spacing is not None:
            for attr, key in (("before", "before"), ("after", "after"), ("line", "line")):
                if (value := _twips(spacing, attr)) is not None:
                    changes[key] = value
            if spacing.get(w("lineRule")):
                changes["rule"] = spacing.get(w("lineRule"))
        ind = ppr.find(w("ind"))
        if ind is not None:
            for attr, key in (("left", "left"), ("start", "left"), ("right", "right")):
                if (value := _twips(ind, attr)) is not None:
                    changes[key] = value
            if (value := _twips(ind, "hanging")) is not None:
                changes["first"] = -value
            elif (value := _twips(ind, "firstLine")) is not None:
                changes["first"] = value
        for tag, key in (
            ("keepNext", "keep_next"),
            ("keepLines", "keep_lines"),
            ("pageBreakBefore", "break_before"),
            ("contextualSpacing", "contextual"),
        ):
            if (on := _on(ppr.find(w(tag)))) is not None:
                changes[key] = on
    return replace(props, **changes) if changes else props  # type: ignore[arg-type]


class _Styles:
    """Paragraph and character styles, resolved through their basedOn chains."""

    def __init__(self, styles: Element | None) -> None:
        self.by_id: dict[str, Element] = {}
        self.default = _Props()
        self.cache: dict[str, _Props] = {}
        if styles is None:
            return
        for style in styles.iter(w("style")):
            self.by_id[style.get(w("styleId")) or ""] = style
        defaults = styles.find(w("docDefaults"))
        if defaults is not None:
            self.default = _apply(
                self.default,
                defaults.find(f"{w('pPrDefault')}/{PPR}"),
                defaults.find(f"{w('rPrDefault')}/{RPR}"),
            )
        normal = next(
            (s for s in self.by_id.values() if s.get(w("default")) == "1" and _is_para(s)), None
        )
        self.normal = normal.get(w("styleId")) if normal is not None else "Normal"

    def paragraph(self, style_id: str | None) -> _Props:
        key = style_id or self.normal or ""
        if key not in self.cache:
            chain: list[Element] = []
            at = self.by_id.get(key)
            while at is not None and len(chain) < 20:
                chain.append(at)
                based = at.find(w("basedOn"))
                at = self.by_id.get(based.get(w("val"))) if based is not None else None
            props = self.default
            for style in reversed(chain):
                props = _apply(props, style.find(PPR), style.find(RPR))
            self.cache[key] = props
        return self.cache[key]


def _is_para(style: Element) -> bool:
    return bool(style.get(w("type")) == "paragraph")


@dataclass(slots=True)
class _Block:
    """A paragraph (or a table row) as it stands on a page: its lines' heights and the
    bookmarks in it."""

    lines: list[int]
    before: int
    after: int
    keep_next: bool = False
    keep_lines: bool = False
    break_before: bool = False
    bookmarks: tuple[str, ...] = ()
    style: str = ""
    contextual: bool = False


def _text_width(text: str, size: float, bold: bool) -> float:
    table = _BOLD if bold else _REGULAR
    units = 0
    for ch in text:
        code = ord(ch)
        units += table[code - 32] if 32 <= code < 127 else _OTHER
    return units * size * 20 / 1000  # twips


def _lines(p: Element, props: _Props, width: int) -> tuple[int, bool]:
    """How many lines the paragraph takes at this width; whether it breaks the page."""
    pieces: list[str] = []
    page_break = False
    for el in p.iter(T, DEL_TEXT, TAB, BR, w("drawing")):
        if el.tag == TAB:
            pieces.append("\t")
        elif el.tag == BR:
            if el.get(w("type")) == "page":
                page_break = True
            else:
                pieces.append("\n")
        elif el.tag == w("drawing"):
            continue
        else:
            pieces.append(el.text or "")
    text = "".join(pieces)
    count = 0
    for line in text.split("\n"):
        count += _wrapped(line, props, width)
    return max(count, 1), page_break


def _wrapped(line: str, props: _Props, width: int) -> int:
    first = max(width - props.left - props.right - props.first, 1)
    rest = max(width - props.left - props.right, 1)
    space = _text_width(" ", props.size, props.bold)
    lines, room, x = 1, first, 0.0
    for word in line.split(" "):
        if "\t" in word:  # a tab moves to the next default stop
            parts = word.split("\t")
            size = 0.0
            for n, part in enumerate(parts):
                size += _text_width(part, props.size, props.bold)
                if n < len(parts) - 1:
                    size = (math.floor((x + size) / _TAB) + 1) * _TAB - x
        else:
            size = _text_width(word, props.size, props.bold)
        if x and x + size > room:
            lines += 1
            room, x = rest, 0.0
        while size > room:  # a word longer than the line
            size -= room
            lines += 1
            room = rest
        x += size + space
    return lines


def _line_height(props: _Props) -> int:
    single = props.size * 20 * _LINE
    if props.rule == "exact":
        return props.line
    if props.rule == "atLeast":
        return max(props.line, round(single))
    return round(single * props.line / 240)


def _drawing_height(p: Element) -> int:
    tallest = 0
    for extent in p.iter(_EXTENT):
        try:
            tallest = max(tallest, int(extent.get("cy", "0")) // 635)
        except ValueError:
            continue
    return tallest


def _paragraph(p: Element, styles: _Styles, width: int) -> tuple[_Block, bool, bool]:
    """The paragraph as a block; whether it breaks the page after it (a section ends, or a
    page break in its text)."""
    ppr = p.find(PPR)
    style = ppr.find(PSTYLE) if ppr is not None else None
    style_id = style.get(w("val")) if style is not None else None
    props = styles.paragraph(style_id)
    run_props = next((r for r in p.iter(RPR) if r.getparent().tag == w("r")), None)
    props = _apply(props, ppr, None)
    if run_props is not None and run_props.find(w("sz")) is not None:
        props = _apply(props, None, run_props)
    if ppr is not None and ppr.find(w("numPr")) is not None and ppr.find(w("ind")) is None:
        props = replace(props, left=max(props.left, _NUMBER_INDENT))
    count, page_break = _lines(p, props, width)
    height = _line_height(props)
    lines = [height] * count
    drawing = _drawing_height(p)
    if drawing:
        lines[0] = max(lines[0], drawing)
    bookmarks = tuple(b.get(w("name")) or "" for b in p.iter(w("bookmarkStart")))
    block = _Block(
        lines,
        props.before,
        props.after,
        props.keep_next,
        props.keep_lines,
        props.break_before,
        bookmarks,
        style_id or "",
        props.contextual,
    )
    section_end = ppr is not None and ppr.find(w("sectPr")) is not None
    return block, page_break, section_end


def _row(tr: Element, styles: _Styles, width: int) -> _Block:
    cells = tr.findall(TC)
    heights = [0]
    bookmarks: list[str] = []
    for tc in cells:
        tcw = tc.find(f"{w('tcPr')}/{w('tcW')}")
        cell_width = width // max(len(cells), 1)
        if tcw is not None and tcw.get(w("type"), "dxa") == "dxa":
            cell_width = _twips(tcw, "w") or cell_width
        cell_width = max(cell_width - 216, 200)  # the cell's margins
        total = 0
        for p in tc.iter(P):
            block, _, _ = _paragraph(p, styles, cell_width)
            total += block.before + sum(block.lines) + block.after
            bookmarks.extend(block.bookmarks)
        heights.append(total)
    cant_split = tr.find(f"{w('trPr')}/{w('cantSplit')}") is not None
    return _Block([max(heights)], 0, 0, keep_lines=cant_split, bookmarks=tuple(bookmarks))


def _blocks(body: Element, styles: _Styles, width: int) -> Iterable[_Block | None]:
    """The body's blocks in order; None where a page must break."""
    for el in body:
        if el.tag == P:
            block, page_break, section_end = _paragraph(el, styles, width)
            yield block
            if page_break or section_end:
                yield None
        elif el.tag == TBL:
            for tr in el.iter(TR):
                yield _row(tr, styles, width)


def heading_pages(body: Element, styles: Element | None) -> dict[str, int]:
    """The page (1 for the first) each bookmark in the body begins on, as estimated."""
    sect = body.find(w("sectPr"))
    size = sect.find(w("pgSz")) if sect is not None else None
    margins = sect.find(w("pgMar")) if sect is not None else None
    page_w = (_twips(size, "w") if size is not None else None) or 11906
    page_h = (_twips(size, "h") if size is not None else None) or 16838
    top = bottom = left = right = 1440
    if margins is not None:
        top = abs(_twips(margins, "top") or top)
        bottom = abs(_twips(margins, "bottom") or bottom)
        left = _twips(margins, "left") or left
        right = _twips(margins, "right") or right
    width = page_w - left - right
    height = page_h - top - bottom
    blocks = list(_blocks(body, _Styles(styles), width))
    pages: dict[str, int] = {}
    page, y = 1, 0
    previous: _Block | None = None
    for n, block in enumerate(blocks):
        if block is None:
            page, y, previous = page + 1, 0, None
            continue
        if block.break_before and y > 0:
            page, y, previous = page + 1, 0, None
        before = block.before
        if previous is not None and block.contextual and previous.style == block.style:
            before = 0
        # What must stand on this page with the block's first line: its other lines (keep
        # lines), and the paragraphs it keeps with (keep with next), up to their first line.
        need = before + (sum(block.lines) if block.keep_lines else block.lines[0])
        at, current = n, block
        while current.keep_next and at + 1 < len(blocks):
            following = blocks[at + 1]
            if following is None:
                break
            if at == n:
                need = before + sum(block.lines) + block.after
            need += following.before + following.lines[0]
            if following.keep_next:
                need += sum(following.lines[1:]) + following.after
            at, current = at + 1, following
            if need > height:
                break
        if y > 0 and y + need > height and need <= height:
            page, y = page + 1, 0
            before = 0
        for name in block.bookmarks:
            pages.setdefault(name, page)
        y += before
        for line in block.lines:
            if y > 0 and y + line > height:
                page, y = page + 1, 0
            y += line
        y += block.after
        previous = block
    return pages
