"""Read a draft written in Word without the platform: headings, prose, numbered indicators and
tables of indicators, as an AuthoredDocument for the import preview.

The text read is what "Accept all changes" would leave. The body is cut into blocks, one per
heading: a block holding indicators (numbered or bulleted paragraphs, or rows of a table whose
header names an indicator column) is a dimension, its prose before the first indicator the
dimension's description; a block of prose only is a section. What fits nowhere is returned in
`unplaced`, each with where it was ("paragraph 12: ...").

Word and LibreOffice name styles differently ("heading 1", "Heading 1", a localised id with
an English name, or only an outline level), so a paragraph's kind is read from the style's
name, its basedOn chain and outline levels, and from direct formatting, in that order.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Literal

from app.word.incoming import (
    AuthoredDimension,
    AuthoredDocument,
    AuthoredIndicator,
    AuthoredSection,
)
from app.word.reader import DOCUMENT, RefusedFile, WordPackage
from app.word.revisions import w
from app.word.xmlsafe import Element

P, T, TAB, BR, CR = w("p"), w("t"), w("tab"), w("br"), w("cr")
PPR, PSTYLE, NUMPR, ILVL, NUMID, OUTLINE = (
    w("pPr"),
    w("pStyle"),
    w("numPr"),
    w("ilvl"),
    w("numId"),
    w("outlineLvl"),
)
TBL, TR, TC, SDT, SDT_CONTENT = w("tbl"), w("tr"), w("tc"), w("sdt"), w("sdtContent")
VAL = w("val")
INS, DEL, MOVE_FROM, MOVE_TO = w("ins"), w("del"), w("moveFrom"), w("moveTo")
RPR, TRPR = w("rPr"), w("trPr")
# Children whose text is not the paragraph's own: text boxes, alternative renderings, field
# codes, deleted text left outside a deletion, footnote marks.
_SKIP = {
    w("txbxContent"),
    w("instrText"),
    w("delText"),
    w("delInstrText"),
    w("pPr"),
    w("rPr"),
    "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback",
}
_SYMBOL = {0xB7: "\u2022", 0xA7: "\u00a7", 0xB0: "\u00b0", 0xB1: "\u00b1", 0xD7: "\u00d7"}
_CORE_TITLE = "{http://purl.org/dc/elements/1.1/}title"

_STRENGTH = re.compile(r"\b(strong|medium|weak)\b", re.IGNORECASE)
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2212"
CODE = re.compile(
    rf"\b[A-Z]{{2,6}}(?:[-{_DASHES}][A-Z][A-Z0-9]{{0,5}})+[-{_DASHES}]\d{{1,4}}[a-z]?\b"
)
# Manual numbering at the start of a paragraph: "1.", "1.2", "1.2.", "1)", "(a)", "a)", "(iv)".
_MANUAL_NUMBER = re.compile(
    r"^\s*(?:\((\d{1,3}|[a-z]|[ivx]{1,5})\)"
    r"|(\d{1,3}(?:\.\d{1,3})*)[.)]"
    r"|(\d{1,3}(?:\.\d{1,3})+)"
    r"|([a-z])\))(?:\s+|$)"
)
_HEADING_NUMBER = re.compile(r"^\s*(?:\d{1,3}(?:\.\d{1,3})*\.?|[IVX]{1,5}\.|[A-Z]\.)\s+")
_CODE_AFTER = re.compile(r"^(.*\S)\s*[(\[]\s*([A-Z][A-Z0-9]{0,5})\s*[)\]]\s*$")
_CODE_BEFORE = re.compile(rf"^([A-Z][A-Z0-9]{{0,5}})\s*[:{_DASHES}-]\s+(\S.*)$")
_LEAD_SEPARATORS = f" \t:;.,-{_DASHES}"
_LABEL = re.compile(
    r"^\s*(guidance(?:\s+notes?)?|notes?|(?:information\s+)?sources?(?:\s+of\s+information)?"
    r"|references?|strength(?:\s*\((?:adults?|child(?:ren)?)\))?)\s*[:\u2013\u2014-]\s*(.*)$",
    re.IGNORECASE | re.DOTALL,
)

Column = Literal[
    "code",
    "text",
    "strength_adult",
    "strength_child",
    "guidance",
    "information_sources",
    "references",
    "dimension",
]


def read_authored(package: WordPackage) -> AuthoredDocument:
    """The draft in `package` as dimensions, sections and what could not be placed."""
    root = package.xml(DOCUMENT)
    if root is None or root.tag != w("document"):
        raise RefusedFile("the file has no Word document body: not a Word .docx file")
    accept_changes(root)
    styles = _Styles(package.xml("word/styles.xml"))
    numbering = _Numbering(package.xml("word/numbering.xml"))
    body = root.find(w("body"))
    reader = _Reader(styles, numbering)
    if body is not None:
        reader.read(body)
    title = reader.title or _core_title(package)
    return reader.document(title)


# Text


def accept_changes(root: Element) -> Element:
    """`root` (changed in place) as "Accept all changes" leaves it: insertions and move
    destinations kept, deletions and move sources gone, a paragraph whose mark was deleted
    joined to the next, a deleted table row removed. Unlike a strict reader it never fails on
    odd nesting (the file may be anything)."""
    ppr_rpr: set[Element] = set()
    joined: list[Element] = []
    rows: list[Element] = []
    for el in list(root.iter(INS, DEL, MOVE_FROM, MOVE_TO)):
        parent = el.getparent()
        if parent is None:
            continue
        goes = el.tag in (DEL, MOVE_FROM)
        holder = parent.getparent()
        if parent.tag == RPR and holder is not None and holder.tag == PPR:
            paragraph = holder.getparent()
            if goes and paragraph is not None and paragraph.tag == P:
                joined.append(paragraph)
            ppr_rpr.add(parent)
            parent.remove(el)
        elif parent.tag in (TRPR, RPR):
            if goes and parent.tag == TRPR and holder is not None:
                rows.append(holder)
            parent.remove(el)
        elif goes:
            parent.remove(el)
        else:
            at = parent.index(el)
            for child in reversed(list(el)):
                parent.insert(at, child)
            parent.remove(el)
    for tr in rows:
        if tr.getparent() is not None:
            tr.getparent().remove(tr)
    for p in dict.fromkeys(joined):
        parent = p.getparent()
        if parent is None:
            continue
        following = p.getnext()
        content = [c for c in p if c.tag != PPR]
        if following is not None and following.tag == P:
            ppr = following.find(PPR)
            at = 0 if ppr is None else following.index(ppr) + 1
            for child in reversed(content):
                following.insert(at, child)
            parent.remove(p)
    return root


def text_of(p: Element) -> str:
    """A paragraph's visible text: w:t, tabs, breaks, non-breaking hyphens and symbols."""
    out: list[str] = []
    stack = list(reversed(list(p)))
    while stack:
        el = stack.pop()
        tag = el.tag
        if not isinstance(tag, str) or tag in _SKIP:
            continue
        if tag == T:
            out.append(el.text or "")
        elif tag in (TAB, w("ptab")):
            out.append("\t")
        elif tag in (BR, CR):
            out.append("\n")
        elif tag == w("noBreakHyphen"):
            out.append("-")
        elif tag == w("sym"):
            out.append(_symbol(el.get(w("char")) or ""))
        elif tag == w("p"):  # a paragraph nested in a text box or the like
            continue
        else:
            stack.extend(reversed(list(el)))
    return "".join(out)


def _symbol(code: str) -> str:
    try:
        value = int(code, 16)
    except ValueError:
        return ""
    if 0xF000 <= value <= 0xF0FF:  # a symbol font's private-use mapping
        return _SYMBOL.get(value - 0xF000, "")
    if value < 0x20 or 0xD800 <= value <= 0xDFFF or value > 0x10FFFF:
        return ""
    return chr(value)


def _tidy(text: str) -> str:
    lines = [" ".join(line.replace("\t", " ").split()) for line in text.split("\n")]
    return "\n".join(line for line in lines if line).strip()


def _core_title(package: WordPackage) -> str:
    core = package.xml("docProps/core.xml")
    found = None if core is None else core.find(_CORE_TITLE)
    return _tidy(found.text or "") if found is not None else ""


# Styles and numbering


@dataclass(frozen=True, slots=True)
class _Style:
    name: str
    based_on: str | None
    outline: int | None
    num_id: str | None
    ilvl: int


class _Styles:
    def __init__(self, root: Element | None) -> None:
        self.styles: dict[str, _Style] = {}
        if root is None:
            return
        for el in root.iter(w("style")):
            if el.get(w("type")) not in (None, "paragraph"):
                continue
            ident = el.get(w("styleId")) or ""
            name_el, based_el = el.find(w("name")), el.find(w("basedOn"))
            ppr = el.find(PPR)
            outline = num_id = None
            ilvl = 0
            if ppr is not None:
                outline = _int(ppr.find(OUTLINE))
                numpr = ppr.find(NUMPR)
                if numpr is not None:
                    num = numpr.find(NUMID)
                    num_id = None if num is None else num.get(VAL)
                    ilvl = _int(numpr.find(ILVL)) or 0
            self.styles[ident] = _Style(
                name=(name_el.get(VAL) if name_el is not None else ident) or ident,
                based_on=None if based_el is None else based_el.get(VAL),
                outline=outline,
                num_id=num_id,
                ilvl=ilvl,
            )

    def chain(self, ident: str | None) -> Iterator[tuple[str, _Style | None]]:
        """The style and the ones it is based on (each name once, at most ten)."""
        seen: set[str] = set()
        while ident and ident not in seen and len(seen) < 10:
            seen.add(ident)
            style = self.styles.get(ident)
            yield ident, style
            ident = style.based_on if style is not None else None

    def heading_level(self, ident: str | None) -> int | None:
        """0 for a Title, 1-9 for a heading, None otherwise."""
        for key, style in self.chain(ident):
            for name in (style.name if style else None, key):
                if not name:
                    continue
                folded = name.strip().lower().replace("_", " ")
                if folded == "title":
                    return 0
                found = re.fullmatch(r"heading\s*([1-9])", folded)
                if found:
                    return int(found.group(1))
            if style is not None and style.outline is not None and 0 <= style.outline < 9:
                return style.outline + 1
        return None

    def is_contents(self, ident: str | None) -> bool:
        """A paragraph of a generated table of contents (TOC 1, TOC Heading ...)."""
        for key, style in self.chain(ident):
            name = ((style.name if style else None) or key).strip().lower()
            if name.startswith(("toc", "table of contents", "contents ")):
                return True
        return False

    def list_of(self, ident: str | None) -> tuple[str | None, int, bool]:
        """(numId, level, is a list style) that a paragraph gets from its style."""
        listy = False
        for key, style in self.chain(ident):
            name = ((style.name if style else None) or key).strip().lower()
            listy = listy or (name.startswith("list") and "table" not in name)
            if style is not None and style.num_id is not None:
                return style.num_id, style.ilvl, True
        return None, 0, listy


def _int(el: Element | None) -> int | None:
    if el is None:
        return None
    try:
        return int(el.get(VAL) or "")
    except ValueError:
        return None


_ROMAN: tuple[tuple[int, str], ...] = (
    (1000, "m"),
    (900, "cm"),
    (500, "d"),
    (400, "cd"),
    (100, "c"),
    (90, "xc"),
    (50, "l"),
    (40, "xl"),
    (10, "x"),
    (9, "ix"),
    (5, "v"),
    (4, "iv"),
    (1, "i"),
)


def _format(value: int, kind: str) -> str:
    if kind in ("lowerLetter", "upperLetter"):
        letters = ""
        n = value
        while n > 0:
            n, rest = divmod(n - 1, 26)
            letters = chr(ord("a") + rest) + letters
        return letters.upper() if kind == "upperLetter" else letters
    if kind in ("lowerRoman", "upperRoman") and 0 < value < 4000:
        roman = ""
        n = value
        for size, digits in _ROMAN:
            while n >= size:
                roman += digits
                n -= size
        return roman.upper() if kind == "upperRoman" else roman
    return str(value)


@dataclass(slots=True)
class _Level:
    start: int = 1
    kind: str = "decimal"
    text: str = "%1."


class _Numbering:
    """The numbers Word shows for w:numPr lists, counted as the document goes."""

    def __init__(self, root: Element | None) -> None:
        self.levels: dict[str, dict[int, _Level]] = {}
        self.counters: dict[str, list[int]] = {}
        if root is None:
            return
        abstract: dict[str, dict[int, _Level]] = {}
        for el in root.iter(w("abstractNum")):
            abstract[el.get(w("abstractNumId")) or ""] = {
                _int_attr(lvl, w("ilvl")): _level(lvl) for lvl in el.iter(w("lvl"))
            }
        for el in root.iter(w("num")):
            ref = el.find(w("abstractNumId"))
            levels = dict(abstract.get("" if ref is None else ref.get(VAL) or "", {}))
            for override in el.iter(w("lvlOverride")):
                n = _int_attr(override, w("ilvl"))
                start = _int(override.find(w("startOverride")))
                if start is not None and n in levels:
                    levels[n] = _Level(start, levels[n].kind, levels[n].text)
            self.levels[el.get(w("numId")) or ""] = levels

    def number(self, num_id: str, ilvl: int) -> str | None:
        """The next number of list `num_id` at level `ilvl`, as shown ("3", "1.2", "b");
        None for a bullet."""
        levels = self.levels.get(num_id, {})
        ilvl = max(0, min(ilvl, 8))
        counts = self.counters.setdefault(num_id, [0] * 9)
        level = levels.get(ilvl, _Level())
        counts[ilvl] = (counts[ilvl] or level.start - 1) + 1
        for deeper in range(ilvl + 1, 9):
            counts[deeper] = 0
        if level.kind in ("bullet", "none"):
            return None

        def value(match: re.Match[str]) -> str:
            n = int(match.group(1)) - 1
            if not 0 <= n <= ilvl:
                return ""
            shown = levels.get(n, _Level())
            return _format(counts[n] or shown.start, shown.kind)

        shown = re.sub(r"%([1-9])", value, level.text)
        return shown.strip(" .)(:\t") or None


def _int_attr(el: Element, name: str) -> int:
    try:
        return int(el.get(name) or "0")
    except ValueError:
        return 0


def _level(el: Element) -> _Level:
    fmt, text = el.find(w("numFmt")), el.find(w("lvlText"))
    return _Level(
        start=_int(el.find(w("start"))) or 1,
        kind=(fmt.get(VAL) if fmt is not None else None) or "decimal",
        text=(text.get(VAL) if text is not None else None) or "",
    )


# Reading the body


@dataclass(slots=True)
class _Dimension:
    title: str
    code: str | None
    description: list[str] = field(default_factory=list)
    indicators: list[AuthoredIndicator] = field(default_factory=list)


@dataclass(slots=True)
class _Block:
    """What follows one heading, until the next heading."""

    title: str
    level: int
    source: str
    prose: list[tuple[str, str]] = field(default_factory=list)  # (text, source)
    dimensions: list[_Dimension] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)
    indicators_seen: bool = False


class _Reader:
    def __init__(self, styles: _Styles, numbering: _Numbering) -> None:
        self.styles = styles
        self.numbering = numbering
        self.title = ""
        self.blocks: list[_Block] = []
        self.front = _Block("", 0, "")  # what comes before the first heading
        self.paragraphs = 0
        self.tables = 0

    @property
    def block(self) -> _Block:
        return self.blocks[-1] if self.blocks else self.front

    def read(self, body: Element) -> None:
        for el in _children(body):
            if el.tag == P:
                self.paragraphs += 1
                self.paragraph(el, f"paragraph {self.paragraphs}")
            elif el.tag == TBL:
                self.tables += 1
                self.table(el, self.tables)

    # paragraphs

    def paragraph(self, p: Element, source: str) -> None:
        text = _tidy(text_of(p))
        if not text:
            return
        ppr = p.find(PPR)
        style_el = None if ppr is None else ppr.find(PSTYLE)
        style = None if style_el is None else style_el.get(VAL)
        level = self.styles.heading_level(style)
        direct_outline = None if ppr is None else _int(ppr.find(OUTLINE))
        if direct_outline is not None:
            level = direct_outline + 1 if 0 <= direct_outline < 9 else None
        if self.styles.is_contents(style):
            return
        if level == 0 and not self.title:
            self.title = text
            return
        if level is not None:
            self.blocks.append(_Block(text, max(level, 1), source))
            return
        number = self.list_number(ppr, style)
        if number is not None:
            self.indicator(text, number or None, source)
            return
        manual = _MANUAL_NUMBER.match(text)
        if manual is not None and text[manual.end() :].strip():
            found = next(g for g in manual.groups() if g)
            self.indicator(text[manual.end() :], found, source)
            return
        self.prose(text, source)

    def list_number(self, ppr: Element | None, style: str | None) -> str | None:
        """ "" for an unnumbered list item, the number shown for a numbered one, None when the
        paragraph is not in a list."""
        num_id, ilvl, listy = self.styles.list_of(style)
        numpr = None if ppr is None else ppr.find(NUMPR)
        if numpr is not None:
            direct = numpr.find(NUMID)
            if direct is not None:
                num_id = direct.get(VAL)
            ilvl = _int(numpr.find(ILVL)) or 0
        if num_id is not None and num_id != "0":
            return self.numbering.number(num_id, ilvl) or ""
        return "" if listy and num_id is None else None

    def indicator(self, text: str, number: str | None, source: str) -> None:
        whole = text
        code, text = _split_code(text)
        adult, child, text = _split_strengths(text)
        if not text:  # a code or a strength alone is no indicator
            return self.prose(whole, source)
        self.add(
            AuthoredIndicator(
                text=text,
                code=code,
                number=number,
                strength_adult=adult,
                strength_child=child,
                source=source,
            )
        )

    def add(self, found: AuthoredIndicator, dimension: _Dimension | None = None) -> None:
        block = self.block
        if dimension is None:
            if not block.dimensions:
                title, code = _dimension_title(block.title)
                block.dimensions.append(_Dimension(title, code))
            dimension = block.dimensions[-1]
        dimension.indicators.append(found)
        block.indicators_seen = True

    def prose(self, text: str, source: str) -> None:
        block = self.block
        if not block.indicators_seen:
            block.prose.append((text, source))
            return
        label = _LABEL.match(text)
        dimension = block.dimensions[-1]
        if label is not None and dimension.indicators:
            last = dimension.indicators[-1]
            dimension.indicators[-1] = _with_label(last, label.group(1), label.group(2))
            return
        block.unplaced.append(f"{source}: {text}")

    # tables

    def table(self, tbl: Element, number: int) -> None:
        rows = [tr for tr in _children(tbl) if tr.tag == TR]
        if not rows:
            return
        columns = _columns([_cell_text(tc) for tc in _cells(rows[0])])
        if "text" not in columns.values():
            for n, tr in enumerate(rows, 1):
                cells = [c for c in (_cell_text(tc) for tc in _cells(tr)) if c]
                if cells:
                    self.prose_or_unplaced(" | ".join(cells), f"table {number} row {n}")
            return
        current: _Dimension | None = None
        for n, tr in enumerate(rows[1:], 2):
            source = f"table {number} row {n}"
            cells = [_cell_text(tc) for tc in _cells(tr)]
            values: dict[str, str] = {}
            for i, text in enumerate(cells):
                name = columns.get(i)
                if name is not None and text:
                    values[name] = f"{values[name]}\n{text}" if name in values else text
            filled = [c for c in cells if c]
            if not filled:
                continue
            merged = len(cells) == 1 < len(columns)
            if merged or (len(filled) == 1 and "text" not in values and not CODE.search(filled[0])):
                title, code = _dimension_title(filled[0])
                current = _Dimension(title, code)
                self.block.dimensions.append(current)
                continue
            if "dimension" in values:
                current = self.dimension_named(values["dimension"])
            code_text = values.get("code", "")
            code_found = CODE.search(_dash(code_text))
            code, text = _split_code(values.get("text", ""))
            if code_found is not None:
                code = code_found.group(0)
            if not text:
                self.block.unplaced.append(f"{source}: {' | '.join(filled)}")
                continue
            number_shown = code_text.strip(" .") if code_text and code_found is None else None
            self.add(
                AuthoredIndicator(
                    text=text,
                    code=code,
                    number=number_shown or None,
                    strength_adult=_strength(values.get("strength_adult", "")),
                    strength_child=_strength(values.get("strength_child", "")),
                    guidance=values.get("guidance", ""),
                    information_sources=values.get("information_sources", ""),
                    references=values.get("references", ""),
                    source=source,
                ),
                current,
            )

    def prose_or_unplaced(self, text: str, source: str) -> None:
        block = self.block
        if block.indicators_seen or not self.blocks:
            block.unplaced.append(f"{source}: {text}")
        else:
            block.prose.append((text, source))

    def dimension_named(self, heading: str) -> _Dimension:
        title, code = _dimension_title(heading)
        for dimension in self.block.dimensions:
            if (code and dimension.code == code) or dimension.title == title:
                return dimension
        made = _Dimension(title, code)
        self.block.dimensions.append(made)
        return made

    # the result

    def document(self, title: str) -> AuthoredDocument:
        sections: list[AuthoredSection] = []
        dimensions: list[AuthoredDimension] = []
        unplaced = [f"{source}: {text}" for text, source in self.front.prose]
        unplaced += self.front.unplaced
        for dimension in self.front.dimensions:
            dimensions.append(_finished(dimension))
        for n, block in enumerate(self.blocks):
            if block.dimensions:
                first = block.dimensions[0]
                first.description = [text for text, _ in block.prose]
                dimensions.extend(_finished(d) for d in block.dimensions)
            elif block.prose:
                title_text = _HEADING_NUMBER.sub("", block.title, count=1).strip() or block.title
                text = "\n".join(text for text, _ in block.prose)
                sections.append(AuthoredSection(title=title_text, text=text))
            else:
                following = self.blocks[n + 1] if n + 1 < len(self.blocks) else None
                if following is None or following.level <= block.level:
                    unplaced.append(f"{block.source}: {block.title}")
            unplaced += block.unplaced
        return AuthoredDocument(
            title=title,
            sections=tuple(sections),
            dimensions=tuple(dimensions),
            unplaced=tuple(unplaced),
        )


def _finished(dimension: _Dimension) -> AuthoredDimension:
    code = dimension.code
    if code is None:  # the codes' shared middle part: FC-CD-01, FC-CD-02 -> CD
        middles = {i.code.split("-")[-2] for i in dimension.indicators if i.code}
        if len(middles) == 1 and all(i.code for i in dimension.indicators):
            code = middles.pop()
    return AuthoredDimension(
        title=dimension.title,
        code=code,
        description="\n".join(dimension.description),
        indicators=tuple(dimension.indicators),
    )


def _children(parent: Element) -> Iterator[Element]:
    """Block-level children, looking through content controls and custom XML wrappers."""
    for el in parent:
        if el.tag in (SDT, w("customXml")):
            content = el.find(SDT_CONTENT) if el.tag == SDT else el
            if content is not None:
                yield from _children(content)
        elif isinstance(el.tag, str):
            yield el


def _cells(tr: Element) -> list[Element]:
    return [tc for tc in _children(tr) if tc.tag == TC]


def _cell_text(tc: Element) -> str:
    texts = [_tidy(text_of(p)) for p in _children(tc) if p.tag == P]
    return "\n".join(t for t in texts if t)


_HEADER_RULES: tuple[tuple[str, Column], ...] = (
    ("adult", "strength_adult"),
    ("child", "strength_child"),
    ("strength", "strength_adult"),
    ("guidance", "guidance"),
    ("note", "guidance"),
    ("source", "information_sources"),
    ("reference", "references"),
    ("dimension", "dimension"),
    ("code", "code"),
    ("indicator", "text"),
    ("text", "text"),
    ("description", "text"),
)
_NUMBER_HEADERS = {"id", "no", "no.", "nr", "#", "number", "ref", "ref.", "n°", "item"}


def _columns(headers: list[str]) -> dict[int, Column]:
    """Which column holds what, from the header row (case and punctuation do not matter;
    the first column for each field wins)."""
    found: dict[int, Column] = {}
    for i, header in enumerate(headers):
        folded = " ".join(header.lower().split())
        name: Column | None = "code" if folded in _NUMBER_HEADERS else None
        for word, column in _HEADER_RULES:
            if name is None and word in folded:
                name = column
        if name is not None and name not in found.values():
            found[i] = name
    return found


def _dash(text: str) -> str:
    return re.sub(f"[{_DASHES}]", "-", text)


def _split_code(text: str) -> tuple[str | None, str]:
    """The indicator code found in `text`, and the text without it when it was a label at
    the start or end ("FC-CD-03: text", "text (FC-CD-03)")."""
    found = CODE.search(text)
    if found is None:
        return None, text.strip()
    code = _dash(found.group(0))
    before, after = text[: found.start()], text[found.end() :]
    if not before.strip(_LEAD_SEPARATORS + "[("):
        return code, after.lstrip(_LEAD_SEPARATORS + "])").strip()
    if not after.strip(" \t.;)]"):
        return code, before.rstrip(" \t:;,-[(" + _DASHES).strip()
    return code, text.strip()


_TRAILING_STRENGTH = re.compile(
    r"\s*[(\[]\s*(?:strength\s*:?\s*)?(strong|medium|weak)\s*[)\]]\s*\.?$", re.IGNORECASE
)
_AGE_STRENGTH = re.compile(
    r"\b(adults?|child(?:ren)?)\s*[:=\u2013-]\s*(strong|medium|weak)\b", re.IGNORECASE
)


def _split_strengths(text: str) -> tuple[str | None, str | None, str]:
    """Strengths written into an indicator paragraph: "... (strong)" or "(adult: strong;
    child: medium)" at its end."""
    adult = child = None
    tail = re.search(r"\s*[(\[]([^()\[\]]*)[)\]]\s*\.?$", text)
    if tail is not None and _AGE_STRENGTH.search(tail.group(1)):
        for who, value in _AGE_STRENGTH.findall(tail.group(1)):
            if who.lower().startswith("adult"):
                adult = value.lower()
            else:
                child = value.lower()
        return adult, child, text[: tail.start()].strip()
    single = _TRAILING_STRENGTH.search(text)
    if single is not None:
        return single.group(1).lower(), None, text[: single.start()].strip()
    return None, None, text


def _strength(text: str) -> str | None:
    found = _STRENGTH.search(text)
    return found.group(1).lower() if found else None


def _dimension_title(heading: str) -> tuple[str, str | None]:
    """A heading's title and the dimension code it gives: "Control at destination (CD)",
    "CD - Control at destination", "CD: Control at destination"."""
    heading = _HEADING_NUMBER.sub("", heading, count=1).strip()
    after = _CODE_AFTER.match(heading)
    if after is not None:
        return after.group(1).strip(), after.group(2)
    before = _CODE_BEFORE.match(heading)
    if before is not None:
        return before.group(2).strip(), before.group(1)
    return heading, None


def _with_label(indicator: AuthoredIndicator, label: str, value: str) -> AuthoredIndicator:
    """An indicator with a labelled paragraph that follows it ("Guidance: ...") added."""
    folded = label.lower()
    value = value.strip()

    def joined(old: str) -> str:
        return f"{old}\n{value}" if old else value

    if folded.startswith("strength"):
        adult, child, _ = _split_strengths(f"({value})")
        if adult is None and child is None:
            strength = _strength(value)
            if "child" in folded:
                return replace(indicator, strength_child=strength)
            return replace(indicator, strength_adult=strength)
        return replace(
            indicator,
            strength_adult=adult or indicator.strength_adult,
            strength_child=child or indicator.strength_child,
        )
    if "source" in folded:
        return replace(indicator, information_sources=joined(indicator.information_sources))
    if folded.startswith("reference"):
        return replace(indicator, references=joined(indicator.references))
    return replace(indicator, guidance=joined(indicator.guidance))
