"""Read a draft written in Word without the platform: headings, prose, numbered indicators and
tables of indicators, as an AuthoredDocument for the import preview.

The text read is the draft as it was before any tracked change ("Reject all changes"); each
author's tracked changes are read as that author's proposals (the draft read again with only
their changes accepted, compared indicator by indicator and section by section), and each Word
comment is tied to the indicator or section its words are in. The body is cut into blocks, one per
heading: a block holding indicators (numbered or bulleted paragraphs, or rows of a table whose
header names an indicator column) is a dimension, its prose before the first indicator the
dimension's description; a block of prose only is a section. What fits nowhere is returned in
`unplaced`, each with where it was ("paragraph 12: ...").

Word and LibreOffice name styles differently ("heading 1", "Heading 1", a localised id with
an English name, or only an outline level), so a paragraph's kind is read from the style's
name, its basedOn chain and outline levels, and from direct formatting, in that order.
"""

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from app.word.incoming import (
    AuthoredChange,
    AuthoredComment,
    AuthoredDimension,
    AuthoredDocument,
    AuthoredIndicator,
    AuthoredSection,
    ItemKind,
)
from app.word.reader import DOCUMENT, RefusedFile, WordPackage
from app.word.returned import parse_date
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
    """The draft in `package` as it was before its tracked changes: dimensions, sections, each
    author's changes, the comments and what could not be placed."""
    root = package.xml(DOCUMENT)
    if root is None or root.tag != w("document"):
        raise RefusedFile("the file has no Word document body: not a Word .docx file")
    styles = _Styles(package.xml("word/styles.xml"))
    numbering = _Numbering(package.xml("word/numbering.xml"))
    body = root.find(w("body"))
    if body is None:
        return AuthoredDocument(title=_core_title(package))
    changers = list(
        dict.fromkeys(el.get(w("author")) or "" for el in body.iter(INS, DEL, MOVE_FROM, MOVE_TO))
    )
    base = _read_view(body, lambda _: False, styles, numbering)
    views = {
        author: _read_view(body, _only(author), styles, numbering, base.seen) for author in changers
    }
    changes: list[AuthoredChange] = []
    notes: list[str] = []
    for author, view in views.items():
        found, said = _compare(base, view, author, _change_dates(body, author))
        changes += found
        notes += said
    comments, comment_notes = _comments(package, base, views)
    authors = list(dict.fromkeys([*changers, *(c.author for c in comments)]))
    for c in comments:
        authors += [r.author for r in c.replies if r.author not in authors]
    document = base.document
    return replace(
        document,
        title=document.title or _core_title(package),
        unplaced=(*document.unplaced, *notes, *comment_notes),
        changes=tuple(changes),
        comments=tuple(comments),
        authors=tuple(dict.fromkeys(authors)),
    )


# Tracked changes: the draft as each author would have it


def settle(root: Element, accepts: Callable[[str], bool]) -> Element:
    """`root` (changed in place) with the tracked changes of the authors `accepts` says yes to
    accepted and every other change rejected. Paragraphs are never joined or dropped and table
    rows only emptied, so that "paragraph 12" and "table 1 row 3" name the same place in every
    reading of the draft."""
    emptied: list[Element] = []
    for el in list(root.iter(INS, DEL, MOVE_FROM, MOVE_TO)):
        parent = el.getparent()
        if parent is None:
            continue
        accepted = accepts(el.get(w("author")) or "")
        inserting = el.tag in (INS, MOVE_TO)
        stays = accepted if inserting else not accepted
        if parent.tag in (RPR, TRPR):  # the mark of a paragraph, run or table row
            if parent.tag == TRPR and not stays and parent.getparent() is not None:
                emptied.append(parent.getparent())
            parent.remove(el)
        elif stays:
            if not inserting:  # a rejected deletion: its words are text again
                for gone in el.iter(w("delText"), w("delInstrText")):
                    gone.tag = T if gone.tag == w("delText") else w("instrText")
            at = parent.index(el)
            for child in reversed(list(el)):
                parent.insert(at, child)
            parent.remove(el)
        else:
            parent.remove(el)
    for tr in emptied:
        for p in list(tr.iter(P)):
            for child in list(p):
                if child.tag != PPR:
                    p.remove(child)
    return root


def _count(body: Element) -> int:
    """How many body paragraphs the reader numbers ("paragraph n")."""
    return sum(1 for el in _children(body) if el.tag == P)


def _only(author: str) -> Callable[[str], bool]:
    return lambda who: who == author


def _change_dates(body: Element, author: str) -> datetime | None:
    """When the author's first tracked change was made, as the file says."""
    for el in body.iter(INS, DEL, MOVE_FROM, MOVE_TO):
        if (el.get(w("author")) or "") == author:
            found = parse_date(el.get(w("date")))
            if found is not None:
                return found
    return None


@dataclass(slots=True)
class _View:
    """One reading of the draft: the document, and what each comment is on."""

    document: AuthoredDocument
    # comment id -> (kind, target, field, where): kind "indicator" / "section" or None
    owners: dict[str, tuple[ItemKind | None, str | None, str | None, str]]
    quotes: dict[str, str]
    dimension_of: dict[str, str]  # indicator source -> its dimension's title
    order: list[str]  # indicator sources in reading order
    unplaced_keys: dict[str, str]  # a line on a table row that filled nothing -> the code
    seen: frozenset[str]  # the paragraphs with text


def _read_view(
    body: Element,
    accepts: Callable[[str], bool],
    styles: "_Styles",
    numbering: "_Numbering",
    before: frozenset[str] | None = None,
) -> _View:
    """The draft with the changes `accepts` says yes to; `before`: the paragraphs that had text
    before any change (one that has text only now is an author's new paragraph)."""
    view = settle(copy.deepcopy(body), accepts)
    reader = _Reader(styles, numbering.fresh())
    if before is not None:
        reader.fresh = frozenset(f"paragraph {n}" for n in range(1, _count(view) + 1)) - before
    reader.read(view)
    document = reader.document(reader.title)
    dimension_of = {
        i.source: d.title for d in document.dimensions for i in d.indicators if i.source
    }
    order = [i.source for d in document.dimensions for i in d.indicators]
    return _View(
        document,
        reader.resolved_owners(),
        _quotes(view),
        dimension_of,
        order,
        reader.unplaced_keys,
        frozenset(reader.seen),
    )


_FIELDS = (
    "text",
    "strength_adult",
    "strength_child",
    "guidance",
    "information_sources",
    "references",
)


def _indicator_fields(i: AuthoredIndicator) -> dict[str, str | None]:
    return {name: getattr(i, name) for name in _FIELDS}


def _compare(
    base: _View, view: _View, author: str, date: datetime | None
) -> tuple[list[AuthoredChange], list[str]]:
    """One author's changes, as proposals on indicators and sections, and what of them fits
    no proposal (a dimension's heading, the title, text outside any item)."""
    who = author or "an author the file does not name"
    changes: list[AuthoredChange] = []
    notes: list[str] = []
    was = {i.source: i for d in base.document.dimensions for i in d.indicators}
    now = {i.source: i for d in view.document.dimensions for i in d.indicators}
    for source in base.order:
        if source not in now:
            changes.append(AuthoredChange(author, "delete", "indicator", source, (), date=date))
            continue
        before, after = _indicator_fields(was[source]), _indicator_fields(now[source])
        changed = tuple((k, after[k]) for k in _FIELDS if (before[k] or "") != (after[k] or ""))
        if changed:
            changes.append(AuthoredChange(author, "amend", "indicator", source, changed, date=date))
    previous: str | None = None
    for source in view.order:
        if source in was:
            previous = source
            continue
        new = now[source]
        changes.append(
            AuthoredChange(
                author,
                "add",
                "indicator",
                source,
                tuple((k, v) for k, v in _indicator_fields(new).items() if v),
                dimension=view.dimension_of.get(source),
                after=previous
                if previous and base.dimension_of.get(previous) == view.dimension_of.get(source)
                else None,
                date=date,
            )
        )
    sections = {s.source: s for s in base.document.sections}
    theirs = {s.source: s for s in view.document.sections}
    for source, section in sections.items():
        other = theirs.get(source)
        if other is None:
            changes.append(AuthoredChange(author, "delete", "section", source, (), date=date))
        elif (other.title, other.text) != (section.title, section.text):
            fields = tuple(
                (k, getattr(other, k))
                for k in ("title", "text")
                if getattr(other, k) != getattr(section, k)
            )
            changes.append(AuthoredChange(author, "amend", "section", source, fields, date=date))
    for source, other in theirs.items():
        if source not in sections:
            changes.append(
                AuthoredChange(
                    author,
                    "add",
                    "section",
                    source,
                    (("title", other.title), ("text", other.text)),
                    date=date,
                )
            )
    if view.document.title != base.document.title:
        notes.append(
            f"tracked change by {who} to the title ({view.document.title!r}): the title is "
            "not a proposal; it is imported as it was before the change"
        )
    old_dims = {d.title: d for d in base.document.dimensions}
    for d in view.document.dimensions:
        old = old_dims.get(d.title)
        if old is None:
            notes.append(
                f"tracked change by {who}: a dimension heading {d.title!r}: a dimension is "
                "not a proposal; its heading is imported as it was before the change"
            )
        elif old.description != d.description:
            notes.append(
                f"tracked change by {who} to the description of dimension {d.title!r}: a "
                "dimension's description is not a proposal; it is imported as it was before "
                "the change"
            )
    # A row of a table of strengths names an indicator the author deleted: that is the deletion.
    deleted = {
        (was[c.target].code or "").upper()
        for c in changes
        if c.kind == "delete" and c.item_kind == "indicator" and c.target in was
    } - {""}
    for text in view.document.unplaced:
        if view.unplaced_keys.get(text, "").upper() in deleted:
            continue
        if text not in base.document.unplaced:
            notes.append(f"tracked change by {who} outside any indicator or section: {text}")
    return changes, notes


# Comments

COMMENT_START, COMMENT_END, COMMENT_REF = (
    w("commentRangeStart"),
    w("commentRangeEnd"),
    w("commentReference"),
)
_W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
_W15 = "http://schemas.microsoft.com/office/word/2012/wordml"


def _comment_ids(el: Element) -> list[str]:
    return [
        c.get(w("id")) or ""
        for c in el.iter(COMMENT_START, COMMENT_REF)
        if c.tag == COMMENT_START or c.get(w("id")) is not None
    ]


def _quotes(body: Element) -> dict[str, str]:
    """The words between each comment's range start and end, as this reading has them."""
    open_: dict[str, list[str]] = {}
    quotes: dict[str, str] = {}
    for el in body.iter(P, T, TAB, COMMENT_START, COMMENT_END):
        if el.tag == COMMENT_START:
            open_[el.get(w("id")) or ""] = []
        elif el.tag == COMMENT_END:
            words = open_.pop(el.get(w("id")) or "", None)
            if words is not None:
                quotes[el.get(w("id")) or ""] = " ".join("".join(words).split())
        elif open_:
            text = " " if el.tag in (P, TAB) else (el.text or "")
            for words in open_.values():
                words.append(text)
    return quotes


def _comments(
    package: WordPackage, base: _View, views: dict[str, _View]
) -> tuple[list[AuthoredComment], list[str]]:
    """The file's comments, each tied to what it is on (looked for in the draft as it was,
    then in each author's reading: a comment on an inserted paragraph is on that proposal),
    with replies under their thread; and a line for each that is on nothing."""
    root = package.xml("word/comments.xml")
    if root is None:
        return [], []
    found: dict[str, AuthoredComment] = {}
    para_of: dict[str, str] = {}
    parent_of: dict[str, str] = {}
    done: set[str] = set()
    for c in root.iter(w("comment")):
        cid = c.get(w("id"))
        if cid is None or cid in found:
            continue
        lines = [_tidy(text_of(p)) for p in c.iter(P)]
        for p in c.iter(P):
            para = p.get(f"{{{_W14}}}paraId")
            if para:
                para_of[para] = cid
        owner: tuple[ItemKind | None, str | None, str | None, str] | None = None
        quote = ""
        for view in (base, *views.values()):
            if cid in view.owners and (owner is None or owner[0] is None):
                owner = view.owners[cid]
                quote = view.quotes.get(cid, quote)
        kind, target, name, where = owner or (None, None, None, "no place in the text")
        found[cid] = AuthoredComment(
            author=c.get(w("author")) or "",
            date=parse_date(c.get(w("date"))),
            text="\n".join(line for line in lines if line),
            quote=quote or base.quotes.get(cid, ""),
            target_kind=kind,
            target=target,
            field=name,
            where=where,
        )
    extended = package.xml("word/commentsExtended.xml")
    if extended is not None:
        for ex in extended.iter(f"{{{_W15}}}commentEx"):
            cid = para_of.get(ex.get(f"{{{_W15}}}paraId") or "")
            if cid is None:
                continue
            parent = para_of.get(ex.get(f"{{{_W15}}}paraIdParent") or "")
            if parent is not None and parent != cid:
                parent_of[cid] = parent
            if ex.get(f"{{{_W15}}}done") in ("1", "true"):
                done.add(cid)
    threads: list[AuthoredComment] = []
    notes: list[str] = []
    for cid, comment in found.items():
        if cid in parent_of and parent_of[cid] in found:
            continue
        replies = tuple(found[r] for r, p in parent_of.items() if p == cid and r in found)
        thread = replace(comment, replies=replies, resolved=cid in done)
        if not thread.text and not replies:
            continue
        if thread.target_kind is None:
            notes.append(
                f"comment by {thread.author or 'an unnamed author'} on {thread.where}: "
                f"{clip_text(thread.text)!r} is on no indicator or section, so it has nowhere "
                "to go"
            )
        threads.append(thread)
    return threads, notes


def clip_text(text: str, size: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1] + "\u2026"


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

    def fresh(self) -> "_Numbering":
        """The same lists, counted again from their start (for another reading)."""
        other = _Numbering(None)
        other.levels = self.levels
        return other

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
class _Patch:
    """A row of a table that gives fields (strengths ...) of indicators found elsewhere in the
    draft, by code or number: "Code | Adult | Child"."""

    key: str
    values: dict[str, str]
    source: str
    cells: str


# What a comment is on, as the reader sees it: ("indicator", source, field), ("block", n, field)
# for a heading or the prose under it, ("patch", n, field) for a row of a table of fields, or
# (None, None, None) with where it was.
_Owner = tuple[str | None, str | int | None, str | None, str]


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
    fields_seen: bool = False  # it holds a table of fields of indicators ("Code | Adult ...")


class _Reader:
    def __init__(self, styles: _Styles, numbering: _Numbering) -> None:
        self.styles = styles
        self.numbering = numbering
        self.title = ""
        self.blocks: list[_Block] = []
        self.front = _Block("", 0, "")  # what comes before the first heading
        self.paragraphs = 0
        self.tables = 0
        self.patches: list[_Patch] = []
        self.owners: dict[str, _Owner] = {}
        self.pending: list[str] = []  # the comments in the paragraph being read
        self.seen: set[str] = set()  # the paragraphs with text in this reading
        self.fresh: frozenset[str] = frozenset()  # paragraphs with no text before the changes
        self.placed: dict[int, str] = {}  # patch index -> source of the indicator it filled
        self.unplaced_keys: dict[str, str] = {}  # a line on a row that filled nothing -> its key

    def own(self, kind: str | None, key: str | int | None, name: str | None, where: str) -> None:
        for cid in self.pending:
            self.owners.setdefault(cid, (kind, key, name, where))
        self.pending = []

    def own_block(self, name: str, where: str) -> None:
        if self.blocks:
            self.own("block", len(self.blocks) - 1, name, where)
        else:
            self.own(None, None, None, f"{where}, before the first heading")

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
        self.pending = _comment_ids(p)
        if not text:
            self.own(None, None, None, f"{source} (empty)")
            return
        self.seen.add(source)
        ppr = p.find(PPR)
        style_el = None if ppr is None else ppr.find(PSTYLE)
        style = None if style_el is None else style_el.get(VAL)
        level = self.styles.heading_level(style)
        direct_outline = None if ppr is None else _int(ppr.find(OUTLINE))
        if direct_outline is not None:
            level = direct_outline + 1 if 0 <= direct_outline < 9 else None
        if self.styles.is_contents(style):
            self.own(None, None, None, f"{source}, in the table of contents")
            return
        if level == 0 and not self.title:
            self.title = text
            self.own(None, None, None, f"{source}, the title")
            return
        if level is not None:
            self.blocks.append(_Block(text, max(level, 1), source))
            self.own_block("title", source)
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
        self.own("indicator", source, "text", source)
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
            self.own_block("text", source)
            return
        label = _LABEL.match(text)
        dimension = block.dimensions[-1]
        if label is None and source in self.fresh:
            # A whole paragraph an author added among indicators, numbered or not: a new one.
            code, rest = _split_code(text)
            adult, child, rest = _split_strengths(rest)
            if rest:
                self.own("indicator", source, "text", source)
                self.add(AuthoredIndicator(rest, code, None, adult, child, source=source))
                return
        if label is not None and dimension.indicators:
            last = dimension.indicators[-1]
            dimension.indicators[-1] = _with_label(last, label.group(1), label.group(2))
            self.own("indicator", last.source, _label_field(label.group(1)), source)
            return
        block.unplaced.append(f"{source}: {text}")
        self.own(None, None, None, f"{source}, text placed nowhere")

    # tables

    def table(self, tbl: Element, number: int) -> None:
        rows = [tr for tr in _children(tbl) if tr.tag == TR]
        if not rows:
            return
        columns = _columns([_cell_text(tc) for tc in _cells(rows[0])])
        self.pending = _comment_ids(rows[0])
        self.own(None, None, None, f"table {number} row 1, the header")
        fills = {"strength_adult", "strength_child", "guidance"}
        fills |= {"information_sources", "references"}
        if (
            "text" not in columns.values()
            and "code" in columns.values()
            and (fills & set(columns.values()))
        ):
            self.field_table(rows, columns, number)
            return
        if "text" not in columns.values():
            for n, tr in enumerate(rows, 1):
                cells = [c for c in (_cell_text(tc) for tc in _cells(tr)) if c]
                self.pending = _comment_ids(tr)
                if cells:
                    self.prose_or_unplaced(" | ".join(cells), f"table {number} row {n}")
                else:
                    self.own(None, None, None, f"table {number} row {n} (empty)")
            return
        current: _Dimension | None = None
        for n, tr in enumerate(rows[1:], 2):
            source = f"table {number} row {n}"
            cells = [_cell_text(tc) for tc in _cells(tr)]
            self.pending = []
            for i, tc in enumerate(_cells(tr)):
                for cid in _comment_ids(tc):
                    self.owners.setdefault(
                        cid, ("indicator", source, _field_of_column(columns.get(i)), source)
                    )
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
            if not text and code and fills & set(values):
                self.patches.append(_Patch(code, values, source, " | ".join(filled)))
                self.retag(source, len(self.patches) - 1)
                continue
            if not text:
                self.block.unplaced.append(f"{source}: {' | '.join(filled)}")
                self.retag(source, None)
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

    def retag(self, source: str, patch: int | None) -> None:
        """The comments of a table row that turned out to be no indicator."""
        for cid, (kind, key, name, where) in list(self.owners.items()):
            if kind == "indicator" and key == source:
                lost: _Owner = (None, None, None, where)
                self.owners[cid] = ("patch", patch, name, where) if patch is not None else lost

    def field_table(self, rows: list[Element], columns: dict[int, Column], number: int) -> None:
        """A table giving fields of indicators named by code or number: "Code | Adult |
        Child"; each row fills the indicator it names, wherever it is in the draft."""
        self.block.fields_seen = True
        for n, tr in enumerate(rows[1:], 2):
            source = f"table {number} row {n}"
            values: dict[str, str] = {}
            for i, tc in enumerate(_cells(tr)):
                name = columns.get(i)
                text = _cell_text(tc)
                if name is not None and text and name not in values:
                    values[name] = text
                for cid in _comment_ids(tc):
                    self.owners.setdefault(
                        cid, ("patch", len(self.patches), _field_of_column(name), source)
                    )
            filled = [c for c in (_cell_text(tc) for tc in _cells(tr)) if c]
            if not filled:
                continue
            key = values.pop("code", "")
            found = CODE.search(_dash(key))
            self.patches.append(
                _Patch(
                    found.group(0) if found else key.strip(" ."), values, source, " | ".join(filled)
                )
            )

    def prose_or_unplaced(self, text: str, source: str) -> None:
        block = self.block
        if block.indicators_seen or not self.blocks:
            block.unplaced.append(f"{source}: {text}")
            self.own(None, None, None, f"{source}, text placed nowhere")
        else:
            block.prose.append((text, source))
            self.own_block("text", source)

    def dimension_named(self, heading: str) -> _Dimension:
        title, code = _dimension_title(heading)
        for dimension in self.block.dimensions:
            if (code and dimension.code == code) or dimension.title == title:
                return dimension
        made = _Dimension(title, code)
        self.block.dimensions.append(made)
        return made

    # the result

    def apply_patches(self) -> list[str]:
        """Fill the indicators the rows of tables of fields name; what names none is listed."""
        unplaced: list[str] = []
        every = [
            (d, n)
            for block in (self.front, *self.blocks)
            for d in block.dimensions
            for n in range(len(d.indicators))
        ]
        for at, patch in enumerate(self.patches):
            key = patch.key.upper()
            hits = [(d, n) for d, n in every if (d.indicators[n].code or "").upper() == key]
            if not hits:
                hits = [(d, n) for d, n in every if d.indicators[n].number == patch.key]
            if len(hits) != 1:
                why = "no indicator of the draft" if not hits else f"{len(hits)} indicators"
                line = (
                    f"{patch.source}: {patch.cells}: {why} has the code or number "
                    f"{patch.key!r}, so these values fill nothing"
                )
                unplaced.append(line)
                self.unplaced_keys[line] = key
                continue
            dimension, n = hits[0]
            found = dimension.indicators[n]
            updates: dict[str, str | None] = {}
            for name, value in patch.values.items():
                if name in ("strength_adult", "strength_child"):
                    updates[name] = _strength(value) or value.strip()
                elif name in ("guidance", "information_sources", "references"):
                    updates[name] = value
            dimension.indicators[n] = replace(found, **updates)  # type: ignore[arg-type]
            self.placed[at] = found.source
        return unplaced

    def resolved_owners(self) -> dict[str, tuple[ItemKind | None, str | None, str | None, str]]:
        """What each comment is on: an indicator or section (by source), or nothing."""
        out: dict[str, tuple[ItemKind | None, str | None, str | None, str]] = {}
        for cid, (kind, key, name, where) in self.owners.items():
            if kind == "indicator" and isinstance(key, str):
                out[cid] = ("indicator", key, name, where)
            elif kind == "patch" and isinstance(key, int) and key in self.placed:
                out[cid] = ("indicator", self.placed[key], name, where)
            elif kind == "block" and isinstance(key, int):
                block = self.blocks[key]
                if block.dimensions:
                    out[cid] = (
                        None,
                        None,
                        None,
                        f"{where}, the heading or description of dimension "
                        f"{block.dimensions[0].title!r}",
                    )
                elif block.prose:
                    out[cid] = ("section", block.source, name, where)
                else:
                    out[cid] = (None, None, None, f"{where}, the heading {block.title!r}")
            else:
                out[cid] = (None, None, None, where)
        return out

    def document(self, title: str) -> AuthoredDocument:
        sections: list[AuthoredSection] = []
        dimensions: list[AuthoredDimension] = []
        patched = self.apply_patches()
        unplaced = [f"{source}: {text}" for text, source in self.front.prose]
        unplaced += self.front.unplaced
        for dimension in self.front.dimensions:
            dimensions.append(_finished(dimension))
        for n, block in enumerate(self.blocks):
            if block.dimensions:
                first = block.dimensions[0]
                first.description = [text for text, _ in block.prose]
                dimensions.extend(_finished(d) for d in block.dimensions)
            elif block.prose and not block.fields_seen:
                title_text = _HEADING_NUMBER.sub("", block.title, count=1).strip() or block.title
                text = "\n".join(text for text, _ in block.prose)
                sections.append(AuthoredSection(title=title_text, text=text, source=block.source))
            elif not block.fields_seen:
                following = self.blocks[n + 1] if n + 1 < len(self.blocks) else None
                if following is None or following.level <= block.level:
                    unplaced.append(f"{block.source}: {block.title}")
            unplaced += block.unplaced
        unplaced += patched
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


def _field_of_column(column: Column | None) -> str | None:
    return column if column not in (None, "code", "dimension") else "text"


def _label_field(label: str) -> str:
    folded = label.lower()
    if folded.startswith("strength"):
        return "strength_child" if "child" in folded else "strength_adult"
    if "source" in folded:
        return "information_sources"
    if folded.startswith("reference"):
        return "references"
    return "guidance"


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
