"""Read a returned copy of an exported round: which item each paragraph belongs to, what was
changed in it (tracked or not), what was commented, and what was added between items.

The export marks the copy (app/word/marks.py): a bookmark per item over its paragraphs, a point
bookmark per dimension heading, custom document properties naming the round and the variant, and
a manifest (a custom XML part) with a hash of every exported field and the signatures of the
export's own tracked changes and comments. The field a paragraph holds comes from its paragraph
style and its label run (ZDIndicatorText, ZDGuidance, "References: " ...).

Which tracked changes are the delegation's, not the export's: a redline carries tracked changes
of its own, and a copy may carry the export's comments. A change (or comment) is the export's
when its author and date (to the second, in UTC) are a pair the export wrote, as the manifest
lists them. Without a manifest, one dated at or before the export's `zerodraft.as_of` (the latest
date the export's content carries) is taken for the export's; an undated one never is. Every
other change is a returned change.

Each field is read in two views: `accepted` (every change accepted: what the delegation wants)
and `original` (the export's own changes accepted, the returned ones rejected: the text as
exported, unless someone edited it without Track Changes). `untracked` is true when `original`
differs from the exported text recorded in the manifest.

LibreOffice's ways are handled: it reuses `w:id="0"` across changes, comments and bookmarks (ids
are only matched within one kind), puts comment range starts inside insertions (a linear walk
over the text does not care), writes moves as `w:moveFrom`/`w:moveTo` (read as deletion and
insertion) and marks a joined or split paragraph by a deleted or inserted paragraph mark (a
deleted mark joins a field's lines; a paragraph inserted whole inside an item belongs to the
field it follows, outside items it is a new paragraph).

Only the returned changes' and new comments' authors are listed in `authors`. Comments the
export carried come back only when someone replied to them, flagged `exported` with their
`reference` (e.g. "C-5"); each reply says whether it is new.
"""

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Literal, Protocol

from app.word import marks
from app.word.incoming import (
    FoundComment,
    NewParagraph,
    ProposalEdit,
    ReturnedDocument,
    ReturnedField,
    ReturnedItem,
    ReturnedProposal,
    TrackedChange,
)
from app.word.xmlsafe import Element

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14_NS = "http://schemas.microsoft.com/office/word/2010/wordml"
W15_NS = "http://schemas.microsoft.com/office/word/2012/wordml"
DOCUMENT = "word/document.xml"
COMMENTS = "word/comments.xml"
COMMENTS_EXTENDED = "word/commentsExtended.xml"
STYLES = "word/styles.xml"
CUSTOM = "docProps/custom.xml"
TEXT_START = "_ZdText"


def w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


P, R, T, DEL_TEXT, TAB, BR = w("p"), w("r"), w("t"), w("delText"), w("tab"), w("br")
PPR, RPR, PSTYLE, RSTYLE, VAL = w("pPr"), w("rPr"), w("pStyle"), w("rStyle"), w("val")
INS, DEL, MOVE_FROM, MOVE_TO = w("ins"), w("del"), w("moveFrom"), w("moveTo")
BOOKMARK_START, BOOKMARK_END = w("bookmarkStart"), w("bookmarkEnd")
RANGE_START, RANGE_END, REFERENCE = (
    w("commentRangeStart"),
    w("commentRangeEnd"),
    w("commentReference"),
)
CHANGE_TAGS = (INS, DEL, MOVE_FROM, MOVE_TO)
INSERTS = (INS, MOVE_TO)

# Runs that dress a field rather than hold it: labels, brackets, numbers, codes, state tags.
DECORATION = {
    "ZDFieldLabel",
    "ZDBracket",
    "ZDStateTag",
    "ZDIndicatorNumber",
    "ZDIndicatorCode",
    "CommentReference",
}
LABELS = {
    "Guidance note:": "guidance",
    "Information sources:": "information_sources",
    "References:": "references",
    "Element of the definition:": "element",
    "Applies to:": "profiles",
    "Crime types:": "crime_types",
    "Intended users:": "intended_users",
}
STRENGTH_ROWS = {"Adult": "strength_adult", "Child": "strength_child"}
FIELD_STYLES = {
    "ZDIndicatorText": "text",
    "ZDSectionText": "text",
    "ZDGuidance": "guidance",
}
# Paragraphs of the draft text that the export writes outside items: an untracked edit there
# is text that belongs to no item (unplaced), not a new indicator.
STRUCTURE = {
    "ZDDimensionHeading",
    "ZDDimensionDescription",
    "ZDPartHeading",
    "ZDProposalHeading",
    "ZDProposalText",
    "ZDProposalMeta",
    "ZDListBullet",
    "ZDPositions",
    "ZDEnd",
    "ZDContentsNote",
    "ZDSectionHeading",
}
# Paragraphs never inside an item.
CLOSERS = {"ZDDimensionHeading", "ZDPartHeading", "ZDProposalHeading", "ZDPositions", "ZDEnd"}
_SECTION_NUMBER = re.compile(r"^\s*\d+(?:\.\d+)*\.\s+")
_REFERENCE = re.compile(r"^([A-Z][A-Z0-9]*-\d+): ")

View = Literal["accepted", "original"]


class Package(Protocol):
    """What the reader needs of an opened Word file (app/word/reader.py's WordPackage)."""

    @property
    def parts(self) -> Mapping[str, bytes]: ...

    def xml(self, name: str) -> Element | None: ...


# Changes


def parse_date(value: str | None) -> datetime | None:
    """A w:date as an aware UTC datetime; naive dates are read as UTC."""
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@dataclass(slots=True)
class _Rules:
    """Tells the export's own changes and comments from returned ones."""

    changes: set[tuple[str, str]] | None
    comments: set[tuple[str, str]] | None
    as_of: datetime | None

    def _own(self, el: Element, signatures: set[tuple[str, str]] | None) -> bool:
        moment = parse_date(el.get(w("date")))
        if moment is None:
            return False
        if signatures is not None:
            return (el.get(w("author")) or "", marks.stamp(moment)) in signatures
        return self.as_of is not None and moment <= self.as_of

    def own_change(self, el: Element) -> bool:
        return self._own(el, self.changes)

    def own_comment(self, el: Element) -> bool:
        return self._own(el, self.comments)


def _kept(wrapper: Element, view: View, rules: _Rules) -> bool:
    """Whether what `wrapper` holds stays in the view."""
    insert = wrapper.tag in INSERTS
    if view == "accepted":
        return insert
    return insert == rules.own_change(wrapper)  # own changes accepted, returned ones rejected


def _change(wrapper: Element, text: str) -> TrackedChange:
    return TrackedChange(
        op="insert" if wrapper.tag in INSERTS else "delete",
        text=text,
        author=wrapper.get(w("author")),
        date=parse_date(wrapper.get(w("date"))),
    )


# Paragraphs


def _run_text(r: Element) -> str:
    out = []
    for el in r:
        tag = el.tag
        if tag in (T, DEL_TEXT):
            out.append(el.text or "")
        elif tag == TAB:
            out.append("\t")
        elif tag == BR:
            out.append("\n")
    return "".join(out)


@dataclass(slots=True)
class _Piece:
    text: str
    decoration: bool
    wrappers: tuple[Element, ...]  # the changes around it, innermost last
    style: str = ""  # the run's character style, e.g. "ZDIndicatorCode"


@dataclass(slots=True)
class _Para:
    el: Element
    style: str
    pieces: list[_Piece]
    mark: Element | None  # a tracked change of the paragraph mark
    item: "_Item | None" = None
    field: str | None = None
    in_text: bool = False  # at or after the start of the draft text
    in_table: bool = False  # in a table (the response table): never a new indicator
    dimension: str | None = None
    after: str | None = None

    def text(self, view: View, rules: _Rules, *, decoration: bool = True) -> str:
        return "".join(
            p.text
            for p in self.pieces
            if (decoration or not p.decoration) and all(_kept(x, view, rules) for x in p.wrappers)
        )

    def has_mark(self, view: View, rules: _Rules) -> bool:
        return self.mark is None or _kept(self.mark, view, rules)

    def label(self) -> str:
        return "".join(p.text for p in self.pieces if p.decoration).strip()


def _pieces(p: Element, styles: Mapping[str, str]) -> list[_Piece]:
    out: list[_Piece] = []

    def walk(el: Element, wrappers: tuple[Element, ...]) -> None:
        for child in el:
            tag = child.tag
            if tag in (P, PPR) or not isinstance(tag, str):
                continue
            if tag == R:
                text = _run_text(child)
                if text:
                    rstyle = child.find(f"{RPR}/{RSTYLE}")
                    name = styles.get(rstyle.get(VAL, ""), "") if rstyle is not None else ""
                    out.append(_Piece(text, _norm(name) in DECORATION, wrappers, _norm(name)))
            elif tag in CHANGE_TAGS:
                walk(child, (*wrappers, child))
            elif tag not in (w("txbxContent"), w("drawing"), w("pict")):
                walk(child, wrappers)

    walk(p, ())
    return out


def _norm(name: str) -> str:
    return name.replace(" ", "")


def _style_names(root: Element | None) -> dict[str, str]:
    """styleId -> the style's name without spaces ("ZD Indicator Text" -> "ZDIndicatorText");
    LibreOffice may rename ids, names stay."""
    out: dict[str, str] = {}
    if root is None:
        return out
    for style in root.iter(w("style")):
        sid = style.get(w("styleId"))
        name = style.find(w("name"))
        if sid:
            out[sid] = _norm(name.get(VAL, sid) if name is not None else sid)
    return out


def _paragraph(p: Element, styles: Mapping[str, str]) -> _Para:
    ppr = p.find(PPR)
    style = ""
    mark = None
    if ppr is not None:
        ps = ppr.find(PSTYLE)
        if ps is not None:
            sid = ps.get(VAL, "")
            style = styles.get(sid, _norm(sid))
        rpr = ppr.find(RPR)
        if rpr is not None:
            mark = next((c for c in rpr if c.tag in CHANGE_TAGS), None)
    return _Para(p, style, _pieces(p, styles), mark)


# Items


@dataclass(slots=True)
class _Item:
    code: str
    kind: Literal["indicator", "section"]
    dimension: str | None
    hashes: dict[str, str] | None  # field -> exported hash, when the manifest is there
    paragraphs: list[_Para] = field(default_factory=list)
    comments: list[FoundComment] = field(default_factory=list)
    copy: bool = False  # a second copy of an item already read (pasted again in Word)


def _heading_code(para: _Para) -> str | None:
    """The code an indicator heading shows in its code run ("3.  FC-CD-03  bracketed"),
    whatever was changed in it."""
    code = "".join(p.text for p in para.pieces if p.style == "ZDIndicatorCode").strip()
    return code if 0 < len(code) <= 64 and marks.readable(code) else None


def _field_of(para: _Para, previous: str | None) -> str | None:
    style = para.style
    if style == "ZDIndicatorHeading":
        return None
    if style == "ZDSectionHeading":
        return "title"
    if style == "ZDStrengthHeader":
        return "strength_header"
    if style == "ZDStrengthRow":
        head = "".join(p.text for p in para.pieces).split("\t", 1)[0].strip()
        return STRENGTH_ROWS.get(head, previous)
    if style in FIELD_STYLES:
        return FIELD_STYLES[style]
    label = LABELS.get(para.label())
    if label is not None:
        return label
    return previous or "text"


def _field_text(paras: list[_Para], name: str, view: View, rules: _Rules) -> str:
    """The field's lines in a view; a paragraph whose words and mark both go in it (a line
    inserted whole, seen with the insertion rejected) is not there at all."""
    lines: list[tuple[str, bool]] = []
    for n, para in enumerate(paras):
        text = para.text(view, rules, decoration=False)
        if n == 0 and name in STRENGTH_ROWS.values():
            text = text.split("\t", 1)[1] if "\t" in text else ""
        if n == 0 and name == "title":
            text = _SECTION_NUMBER.sub("", text).rstrip()
        mark = para.has_mark(view, rules)
        if text or mark:
            lines.append((text, mark))
    out = []
    for n, (text, mark) in enumerate(lines):
        out.append(text)
        if n < len(lines) - 1 and mark:
            out.append("\n")
    return "".join(out)


def _changes(paras: list[_Para], rules: _Rules) -> list[TrackedChange]:
    """The returned changes in these paragraphs, in document order, neighbours with one author,
    date and operation joined."""
    found: list[tuple[Element, str]] = []
    for n, para in enumerate(paras):
        for piece in para.pieces:
            returned = [x for x in piece.wrappers if not rules.own_change(x)]
            if not returned:
                found.append((None, ""))  # unchanged text between changes
            for x in returned:
                found.append((x, piece.text))
        # A line end joined or split inside the text; the last one's is the next field's affair.
        if para.mark is not None and n < len(paras) - 1 and not rules.own_change(para.mark):
            found.append((para.mark, "\n"))
    out: list[TrackedChange] = []
    joinable = False
    for wrapper, text in found:
        if wrapper is None:
            joinable = False
            continue
        change = _change(wrapper, text)
        if joinable and _same(out[-1], change):
            prev = out[-1]
            out[-1] = TrackedChange(prev.op, prev.text + text, prev.author, prev.date)
        else:
            out.append(change)
        joinable = True
    return out


def _same(a: TrackedChange, b: TrackedChange) -> bool:
    return (a.op, a.author, a.date) == (b.op, b.author, b.date)


def _fields(item: _Item, rules: _Rules) -> tuple[list[ReturnedField], bool, TrackedChange | None]:
    groups: dict[str, list[_Para]] = {}
    for para in item.paragraphs:
        if para.field and para.field != "strength_header":
            groups.setdefault(para.field, []).append(para)
    out = []
    for name, paras in groups.items():
        accepted = _field_text(paras, name, "accepted", rules)
        original = _field_text(paras, name, "original", rules)
        untracked = False
        if item.hashes is not None:
            expected = item.hashes.get(name)
            untracked = (marks.short_hash(original) if original else None) != expected
        out.append(
            ReturnedField(
                name=name,
                accepted=accepted,
                changes=tuple(_changes(paras, rules)),
                untracked=untracked,
                original=original,
            )
        )
    heading = item.paragraphs[0] if item.paragraphs else None
    struck = False
    if heading is not None:
        # The heading's words deleted (its mark alone going only joins it to the next line),
        # or an indicator's whole text.
        gone = not heading.text("accepted", rules).strip()
        was = heading.text("original", rules).strip() != ""
        text = next((f for f in out if f.name == "text"), None)
        text_gone = text is not None and not text.accepted.strip() and text.original.strip()
        struck = (gone and was) or (item.kind == "indicator" and bool(text_gone))
    struck_by = None
    if struck:
        for change in _changes(item.paragraphs, rules):
            if change.op == "delete":
                struck_by = change
                break
    return out, struck, struck_by


# Comments


@dataclass(slots=True)
class _Comment:
    cid: str
    el: Element
    text: str
    para_id: str | None
    parent: str | None = None  # paraId of the comment it answers
    done: bool = False
    quote: str = ""
    where: _Para | None = None


def _comments(package: Package) -> dict[str, _Comment]:
    root = package.xml(COMMENTS)
    out: dict[str, _Comment] = {}
    if root is None:
        return out
    for c in root.iter(w("comment")):
        cid = c.get(w("id"))
        if cid is None:
            continue
        lines = []
        para_id = None
        for p in c.iter(P):
            lines.append(
                "".join(_run_text(r) for r in p.iter(R) if r.find(w("annotationRef")) is None)
            )
            para_id = p.get(f"{{{W14_NS}}}paraId") or para_id
        out[cid] = _Comment(cid, c, "\n".join(lines).strip(), para_id)
    extended = package.xml(COMMENTS_EXTENDED)
    if extended is not None:
        by_para = {c.para_id: c for c in out.values() if c.para_id}
        for ex in extended.iter(f"{{{W15_NS}}}commentEx"):
            comment = by_para.get(ex.get(f"{{{W15_NS}}}paraId"))
            if comment is not None:
                comment.parent = ex.get(f"{{{W15_NS}}}paraIdParent")
                comment.done = ex.get(f"{{{W15_NS}}}done") in ("1", "true")
    return out


def _found(
    c: _Comment, rules: _Rules, replies: tuple[FoundComment, ...] = (), *, reply: bool = False
) -> FoundComment:
    exported = rules.own_comment(c.el)
    reference = None
    if exported:
        m = _REFERENCE.match(c.text)
        reference = m.group(1) if m else None
    item = c.where.item if c.where is not None else None
    return FoundComment(
        author=c.el.get(w("author")),
        initials=c.el.get(w("initials")),
        date=parse_date(c.el.get(w("date"))),
        text=c.text,
        quote="" if reply else c.quote.strip(),
        field=c.where.field if c.where is not None and item is not None and not reply else None,
        replies=replies,
        resolved=c.done,
        exported=exported,
        reference=reference,
    )


# The document


def _manifest(package: Package) -> marks.Manifest | None:
    for name in sorted(package.parts):
        if re.fullmatch(r"customXml/item\d+\.xml", name):
            root = package.xml(name)
            found = marks.Manifest.from_xml(root) if root is not None else None
            if found is not None:
                return found
    return None


def _walk(body: Element) -> Iterator[Element]:
    """Paragraphs, bookmark marks and comment references, in document order (a paragraph
    before what it holds)."""
    yield from body.iter(P, BOOKMARK_START, BOOKMARK_END, REFERENCE)


def read_returned(package: Package) -> ReturnedDocument | None:
    """The returned copy's items, changes, comments and new paragraphs; None when the file
    carries no zerodraft marks (then it is not an exported round)."""
    custom = package.xml(CUSTOM) if CUSTOM in package.parts else None
    props = marks.read_custom_properties(custom) if custom is not None else {}
    manifest = _manifest(package)
    symbol = props.get("zerodraft.round") or (manifest.round_symbol if manifest else "")
    body_root = package.xml(DOCUMENT)
    if not symbol or body_root is None:
        return None
    body = body_root.find(w("body"))
    if body is None:
        return None
    as_of = parse_date(props.get("zerodraft.as_of") or (manifest.as_of if manifest else None))
    rules = _Rules(
        changes=manifest.changes if manifest else None,
        comments=manifest.comments if manifest else None,
        as_of=as_of,
    )
    styles = _style_names(package.xml(STYLES) if STYLES in package.parts else None)
    by_mark = {i.mark: i for i in manifest.items} if manifest else {}
    by_code = {i.code: i for i in manifest.items} if manifest else {}
    dimensions = manifest.dimensions if manifest else {}

    items: dict[str, _Item] = {}
    order: list[_Item] = []
    paragraphs: list[_Para] = []
    open_marks: dict[str, _Item] = {}  # bookmark id -> item
    # Bookmark starts already handled, held so that their id() stays theirs (lxml's proxies
    # are made afresh, and their ids reused, once nothing holds them).
    started: dict[int, Element] = {}
    current: _Item | None = None
    in_text = False
    dimension: str | None = None
    after: str | None = None
    previous_field: str | None = None
    para_of: dict[int, _Para] = {}
    references: list[tuple[str, _Para | None]] = []  # (comment id, its paragraph)
    copies: list[_Item] = []

    def open_item(start: Element) -> None:
        started[id(start)] = start
        open_mark(start.get(w("name")) or "", start.get(w("id")) or "")

    def open_mark(name: str, bookmark_id: str | None) -> None:
        nonlocal current, dimension, after, in_text, previous_field
        if name == TEXT_START:
            in_text = True
            return
        parsed = marks.parse_mark(name)
        if parsed is None:
            return
        kind, code = parsed
        if kind == "dimension":
            dimension = dimensions.get(name) or code
            after, current = None, None
            return
        entry = by_mark.get(name)
        if entry is not None and code is not None and entry.code != code:
            entry = None  # a manifest naming another item than the bookmark does: not believed
        code = entry.code if entry is not None else code
        if code is None:
            return
        item = items.get(name)
        if item is None:
            item = _Item(
                code=code,
                kind=kind,
                dimension=(entry.dimension if entry is not None else None)
                or (dimension if kind == "indicator" else None),
                hashes=entry.fields if entry is not None else None,
            )
            items[name] = item
            order.append(item)
        elif item is not current and item.paragraphs:
            # The item's paragraphs again, after other text: a copy pasted in Word. Reading
            # both as one field would run them together; the copy is shown, not used.
            item = _Item(code=item.code, kind=item.kind, dimension=item.dimension, hashes=None)
            item.copy = True
            copies.append(item)
        if bookmark_id is not None:
            open_marks[bookmark_id] = item
        current = item
        previous_field = None

    def recover_item(para: _Para) -> None:
        """An indicator whose bookmark was deleted in Word (cutting and pasting its heading
        does it) is found again by the code its heading shows, when the manifest lists it."""
        code = _heading_code(para)
        if code is None or (current is not None and current.code == code):
            return
        if code not in by_code:  # only items the export marked (and listed) are found again
            return
        open_mark(by_code[code].mark, None)

    for el in _walk(body):
        tag = el.tag
        if tag == P:
            # The paragraph's own bookmark starts open before it is read.
            for start in el.iter(BOOKMARK_START):
                if id(start) not in started:
                    open_item(start)
            para = _paragraph(el, styles)
            if para.style == "ZDIndicatorHeading":
                recover_item(para)
            para_of[id(el)] = para
            para.in_text = in_text
            para.in_table = next(el.iterancestors(w("tbl")), None) is not None
            para.dimension = dimension
            if current is not None and para.style in CLOSERS:
                # An item whose bookmark lost its end (LibreOffice can write a start twice
                # and one end) stops where the export's own structure goes on.
                after, current = current.code, None
            if current is not None:
                para.item = current
                para.field = _field_of(para, previous_field)
                if para.field not in (None, "strength_header"):
                    previous_field = para.field
                current.paragraphs.append(para)
            else:
                para.after = after
            paragraphs.append(para)
        elif tag == BOOKMARK_START:
            if id(el) not in started:
                open_item(el)
        elif tag == BOOKMARK_END:
            item = open_marks.pop(el.get(w("id")) or "", None)
            if item is not None:
                if current is item:
                    current = None
                after = item.code
        else:
            owner = el.getparent()
            while owner is not None and owner.tag != P:
                owner = owner.getparent()
            references.append((el.get(w("id")) or "", para_of.get(id(owner))))

    if not order and manifest is None and "zerodraft.round" not in props:
        return None

    # Comments: where each is anchored, and the words it quotes (as accepted).
    comments = _comments(package)
    _anchor(body, comments, para_of, rules)
    for cid, where in references:  # a comment on a point, without a range
        c = comments.get(cid)
        if c is not None and c.where is None:
            c.where = where
    doc_comments: list[FoundComment] = []
    proposal_of = _proposal_paragraphs(paragraphs, rules)
    children: dict[str, list[_Comment]] = {}
    para_ids = {c.para_id for c in comments.values() if c.para_id}
    for c in comments.values():
        if c.parent:
            children.setdefault(c.parent, []).append(c)
    new_authors: list[str] = []
    for c in comments.values():
        if c.parent and c.parent in para_ids:
            continue  # a reply: it comes with its thread
        replies = tuple(
            _found(r, rules, reply=True) for r in children.get(c.para_id or "", []) if r is not c
        )
        thread = _found(c, rules, replies)
        if thread.exported and all(r.exported for r in replies):
            continue  # nothing new in this thread
        for one in (thread, *replies):
            if not one.exported and one.author:
                new_authors.append(one.author)
        item = c.where.item if c.where is not None else None
        if item is not None and not item.copy:
            item.comments.append(thread)
        else:
            on = proposal_of.get(id(c.where)) if c.where is not None else None
            doc_comments.append(replace(thread, proposal=on) if on else thread)

    # Items
    returned_items = []
    for item in order:
        fields, struck, struck_by = _fields(item, rules)
        for f in fields:
            new_authors.extend(ch.author for ch in f.changes if ch.author)
        returned_items.append(
            ReturnedItem(
                code=item.code,
                kind=item.kind,
                fields=tuple(fields),
                struck=struck,
                struck_by=struck_by,
                comments=tuple(item.comments),
                dimension=item.dimension,
            )
        )

    # A compilation's proposals, and then the other paragraphs outside items
    edited_proposals, shown_proposals = _proposals(paragraphs, rules, manifest)
    for edited in edited_proposals:
        new_authors.extend(c.author for f in edited.fields for c in f.changes if c.author)
    new_paragraphs: list[NewParagraph] = []
    unplaced: list[str] = []
    for copy in copies:
        text = " ".join(
            t for t in (p.text("accepted", rules).strip() for p in copy.paragraphs) if t
        )
        unplaced.append(
            f"{copy.code} appears a second time in the file; that copy is left out: {text}"
        )
    for para in paragraphs:
        if para.item is not None or not para.in_text or id(para) in shown_proposals:
            continue
        accepted = para.text("accepted", rules).strip()
        if not accepted:
            continue
        original = para.text("original", rules)
        changes = _changes([para], rules)
        inserted_mark = para.mark is not None and not para.has_mark("original", rules)
        if para.in_table:
            known = manifest is not None and marks.short_hash(original) in manifest.other
            if changes or (manifest is not None and not known):
                unplaced.append(accepted)
                new_authors.extend(c.author for c in changes if c.author)
            continue
        if inserted_mark or (not original.strip() and changes):
            first = next((c for c in changes if c.op == "insert"), None)
            new_paragraphs.append(
                NewParagraph(
                    text=accepted,
                    after=para.after,
                    dimension=para.dimension,
                    tracked=True,
                    author=first.author if first else None,
                    date=first.date if first else None,
                )
            )
            new_authors.extend(c.author for c in changes if c.author)
            continue
        if changes:
            unplaced.append(accepted)
            new_authors.extend(c.author for c in changes if c.author)
            continue
        known = manifest is not None and marks.short_hash(original) in manifest.other
        if known or (manifest is None and para.style not in FIELD_STYLES):
            continue
        if para.style in STRUCTURE:
            unplaced.append(accepted)
        else:
            new_paragraphs.append(
                NewParagraph(
                    text=accepted, after=para.after, dimension=para.dimension, tracked=False
                )
            )

    round_id = props.get("zerodraft.round_id")
    return ReturnedDocument(
        round_symbol=symbol,
        variant=props.get("zerodraft.variant") or (manifest.variant if manifest else ""),
        exported_at=as_of,
        items=tuple(returned_items),
        new_paragraphs=tuple(new_paragraphs),
        unplaced=tuple(unplaced),
        authors=tuple(dict.fromkeys(new_authors)),
        comments=tuple(doc_comments),
        proposals=tuple(edited_proposals),
        # "²" passes isdigit() but not int(), and a 5,000-digit number no int() either.
        round_id=int(round_id)
        if round_id and round_id.isascii() and round_id.isdigit() and len(round_id) <= 10
        else None,
        text_hash=props.get("zerodraft.text_hash"),
        signed_properties=marks.signed_properties(props),
        signature=props.get(marks.SIGNATURE) or None,
        signed_manifest=marks.signed_manifest(manifest) if manifest is not None else None,
        manifest_signature=props.get(marks.MANIFEST_SIGNATURE) or None,
        threads=frozenset(manifest.threads) if manifest is not None else None,
        shown=frozenset(manifest.other) if manifest is not None else None,
    )


def _anchor(
    body: Element, comments: dict[str, _Comment], para_of: Mapping[int, _Para], rules: _Rules
) -> None:
    """Each comment's quote: the accepted text between its range start and end."""
    open_: dict[str, list[str]] = {}
    for p in body.iter(P):
        para = para_of.get(id(p))
        if para is None:
            continue
        for el in p.iter(R, RANGE_START, RANGE_END):
            if el.tag == RANGE_START:
                cid = el.get(w("id")) or ""
                open_[cid] = []
                c = comments.get(cid)
                if c is not None and c.where is None:
                    c.where = para
            elif el.tag == RANGE_END:
                cid = el.get(w("id")) or ""
                words = open_.pop(cid, None)
                c = comments.get(cid)
                if c is not None and words is not None:
                    c.quote = "".join(words)
            elif open_:
                owner = el.getparent()
                wrappers = []
                while owner is not None and owner is not p:
                    if owner.tag in CHANGE_TAGS:
                        wrappers.append(owner)
                    owner = owner.getparent()
                if all(_kept(x, "accepted", rules) for x in wrappers):
                    text = _run_text(el)
                    for words in open_.values():
                        words.append(text)
        if open_ and para.has_mark("accepted", rules):
            for words in open_.values():
                words.append("\n")


# Proposals shown in a compilation

PROPOSAL_HEADING, PROPOSAL_TEXT = "ZDProposalHeading", "ZDProposalText"
# The item's words a proposal removes, shown struck through in a character style (not tracked).
SHOWN_REMOVED = "ZDProposalDelete"
_PROPOSAL_REFERENCE = re.compile(r"(?:^|\s)(P-\d{1,12}):\s")


def _proposal_words(para: _Para, view: View, rules: _Rules) -> str:
    """A proposal's field as its paragraph ("Text: [...]") shows it, in a view: without the
    label and brackets, and without the item's words the proposal removes, unless a returned
    tracked insertion is what put them there (typed next to them, words take their style)."""
    out = []
    for piece in para.pieces:
        if piece.decoration or not all(_kept(x, view, rules) for x in piece.wrappers):
            continue
        typed = any(x.tag in INSERTS and not rules.own_change(x) for x in piece.wrappers)
        if piece.style == SHOWN_REMOVED and not typed:
            continue
        out.append(piece.text)
    return "".join(out)


def _proposal_label(para: _Para) -> str:
    label = next((p.text for p in para.pieces if p.style == "ZDFieldLabel"), "")
    return label.strip().removesuffix(":").strip()


def _proposal_paragraphs(paragraphs: list[_Para], rules: _Rules) -> dict[int, str]:
    """id() of each paragraph that shows a proposal (its heading, its fields) -> its reference,
    for the comments made on it."""
    out: dict[int, str] = {}
    reference: str | None = None
    for para in paragraphs:
        if para.item is not None or not para.in_text:
            reference = None
            continue
        if para.style == PROPOSAL_HEADING:
            found = _PROPOSAL_REFERENCE.search(para.text("original", rules))
            reference = found.group(1) if found else None
        elif para.style != PROPOSAL_TEXT:
            reference = None
        if reference is not None:
            out[id(para)] = reference
    return out


def _proposals(
    paragraphs: list[_Para], rules: _Rules, manifest: marks.Manifest | None
) -> tuple[list[ReturnedProposal], set[int]]:
    """The compilation's proposals whose words were changed (tracked, or without Track Changes
    where the manifest knows the exported paragraph), and the id() of every paragraph that
    shows a proposal's field (read here, not as text outside items)."""
    out: list[ReturnedProposal] = []
    shown: set[int] = set()
    reference: str | None = None
    edits: list[ProposalEdit] = []

    def close() -> None:
        if reference is not None and edits:
            out.append(ReturnedProposal(reference=reference, fields=tuple(edits)))

    for para in paragraphs:
        if para.item is not None or not para.in_text:
            continue
        if para.style == PROPOSAL_HEADING:
            close()
            found = _PROPOSAL_REFERENCE.search(para.text("original", rules))
            reference, edits = (found.group(1) if found else None), []
            continue
        if para.style != PROPOSAL_TEXT or reference is None:
            close()
            reference, edits = None, []
            continue
        shown.add(id(para))
        changes = tuple(_changes([para], rules))
        known = manifest is None or marks.short_hash(para.text("original", rules)) in (
            manifest.other
        )
        if not changes and known:
            continue
        edits.append(
            ProposalEdit(
                label=_proposal_label(para),
                accepted=_proposal_words(para, "accepted", rules),
                original=_proposal_words(para, "original", rules),
                changes=changes,
                untracked=not known,
            )
        )
    close()
    return out, shown
