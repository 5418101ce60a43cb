"""Native Word tracked changes and comments, written through python-docx's lxml layer.

python-docx 1.2 has no tracked-change API and stamps comments with the clock, so this module
writes the XML itself:

- a run of text as `w:r`, inside `w:ins` or `w:del` (deleted text in `w:delText`) when tracked,
  each change with `w:id`, `w:author` and `w:date` (taken from the data, never the clock);
- a whole inserted or deleted paragraph: its mark tracked in `w:pPr/w:rPr/w:ins|w:del` as well
  as its runs; a whole inserted or deleted table row: `w:trPr/w:ins|w:del`;
- comments anchored to a range (`w:commentRangeStart`/`End` and a `w:commentReference` run),
  with author, initials and date, and replies threaded through `word/commentsExtended.xml`
  (`w15:paraIdParent`), which Word shows as threads and other readers show in order;
- `<w:trackRevisions/>` in the settings, so that copies sent out keep tracking changes.

One counter gives every `w:id` in the document (changes, comments, bookmarks): Word treats
revision and comment ids as separate spaces, but files that share one stay valid everywhere.

`accept_all`, `reject_all` and `paragraph_texts` read such XML back (the same logic a reviewer's
"Accept all" / "Reject all" applies), for tests and for importing returned files.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from docx.opc.packuri import PackURI
from docx.opc.part import Part
from lxml import etree  # type: ignore[import-untyped]

from app.word.model import Op, Run

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14_NS = "http://schemas.microsoft.com/office/word/2010/wordml"
W15_NS = "http://schemas.microsoft.com/office/word/2012/wordml"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
XML_NS = "http://www.w3.org/XML/1998/namespace"
COMMENTS_EXTENDED_RT = "http://schemas.microsoft.com/office/2011/relationships/commentsExtended"
COMMENTS_EXTENDED_CT = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.commentsExtended+xml"
)

Element = Any  # lxml's _Element; lxml ships no type stubs here


def w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


P, R, T, DEL_TEXT, TAB, BR = w("p"), w("r"), w("t"), w("delText"), w("tab"), w("br")
PPR, RPR, PSTYLE, RSTYLE, RTL = w("pPr"), w("rPr"), w("pStyle"), w("rStyle"), w("rtl")
INS, DEL, VAL, ID, AUTHOR, DATE = w("ins"), w("del"), w("val"), w("id"), w("author"), w("date")
TR, TRPR, TBL, TC = w("tr"), w("trPr"), w("tbl"), w("tc")
RANGE_START = w("commentRangeStart")
SPACE = f"{{{XML_NS}}}space"
PARA_ID = f"{{{W14_NS}}}paraId"
TEXT_ID = f"{{{W14_NS}}}textId"

# XML 1.0 forbids these; lxml refuses them, and a title pasted from elsewhere may carry them.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_PIECES = re.compile(r"\t|\n|[^\t\n]+")
_RTL_CHAR = "\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc"
_RTL_SPAN = re.compile(f"[{_RTL_CHAR}](?:[{_RTL_CHAR}\\s\\d]*[{_RTL_CHAR}])?")


def clean(text: str) -> str:
    """Text as Word can hold it: XML-illegal characters dropped, line ends as "\\n"."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _ILLEGAL.sub("", text)


@lru_cache(maxsize=4096)
def stamp(moment: datetime) -> str:
    """A date as Word writes it (UTC, to the second)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def sub(parent: Element, tag: str, attrs: Mapping[str, str] | None = None) -> Element:
    return etree.SubElement(parent, tag, attrs) if attrs else etree.SubElement(parent, tag)


def _fill(run: Element, text: str, deleted: bool) -> None:
    text_tag = DEL_TEXT if deleted else T
    if "\t" not in text and "\n" not in text:  # the common case, without the regex
        t = etree.SubElement(run, text_tag)
        t.text = text
        if text[0] == " " or text[-1] == " ":
            t.set(SPACE, "preserve")
        return
    for piece in _PIECES.findall(text):
        if piece == "\t":
            etree.SubElement(run, TAB)
        elif piece == "\n":
            etree.SubElement(run, BR)
        else:
            t = etree.SubElement(run, text_tag)
            t.text = piece
            if piece[0] == " " or piece[-1] == " ":
                t.set(SPACE, "preserve")


def make_runs(text: str, *, style: str | None = None, deleted: bool = False) -> list[Element]:
    """`w:r` elements for a text; stretches of right-to-left script get `w:rtl`."""
    text = clean(text)
    if not text:
        return []
    spans = _spans(text)
    out = []
    for piece, rtl in spans:
        r = etree.Element(R)
        if style or rtl:
            rpr = etree.SubElement(r, RPR)
            if style:
                etree.SubElement(rpr, RSTYLE, {VAL: style})
            if rtl:
                etree.SubElement(rpr, RTL)
        _fill(r, piece, deleted)
        out.append(r)
    return out


def _attr(value: str) -> str:
    return quoteattr(clean(value))


def _spans(text: str) -> list[tuple[str, bool]]:
    """The text cut into (piece, right-to-left) stretches."""
    if _RTL_SPAN.search(text) is None:
        return [(text, False)]
    spans: list[tuple[str, bool]] = []
    at = 0
    for m in _RTL_SPAN.finditer(text):
        if m.start() > at:
            spans.append((text[at : m.start()], False))
        spans.append((m.group(), True))
        at = m.end()
    if at < len(text):
        spans.append((text[at:], False))
    return spans


def _runs_xml(text: str) -> str:
    """What make_runs builds, as XML text (comments are written as text)."""
    out = []
    for piece, rtl in _spans(clean(text)):
        out.append("<w:r><w:rPr><w:rtl/></w:rPr>" if rtl else "<w:r>")
        for part in _PIECES.findall(piece):
            if part == "\t":
                out.append("<w:tab/>")
            elif part == "\n":
                out.append("<w:br/>")
            else:
                out.append(f'<w:t xml:space="preserve">{escape(part)}</w:t>')
        out.append("</w:r>")
    return "".join(out)


def paragraph(style: str | None = None) -> Element:
    p = etree.Element(P)
    if style:
        etree.SubElement(etree.SubElement(p, PPR), PSTYLE, {VAL: style})
    return p


# The order of a paragraph's properties (CT_PPr): Word refuses a file whose pPr is out of order.
PPR_ORDER = [
    "pStyle",
    "keepNext",
    "keepLines",
    "pageBreakBefore",
    "framePr",
    "widowControl",
    "numPr",
    "suppressLineNumbers",
    "pBdr",
    "shd",
    "tabs",
    "suppressAutoHyphens",
    "kinsoku",
    "wordWrap",
    "overflowPunct",
    "topLinePunct",
    "autoSpaceDE",
    "autoSpaceDN",
    "bidi",
    "adjustRightInd",
    "snapToGrid",
    "spacing",
    "ind",
    "contextualSpacing",
    "mirrorIndents",
    "suppressOverlap",
    "jc",
    "textDirection",
    "textAlignment",
    "textboxTightWrap",
    "outlineLvl",
    "divId",
    "cnfStyle",
    "rPr",
    "sectPr",
    "pPrChange",
]


def set_property(p: Element, name: str, attrs: Mapping[str, str] | None = None) -> Element:
    """A paragraph property (keepNext, numPr ...) set directly on `p`, in schema order;
    returns it (an existing one is kept)."""
    ppr = p.find(PPR)
    if ppr is None:
        ppr = etree.Element(PPR)
        p.insert(0, ppr)
    found = ppr.find(w(name))
    if found is not None:
        return found
    rank = PPR_ORDER.index(name)
    el = etree.Element(w(name), attrs) if attrs else etree.Element(w(name))
    for n, child in enumerate(ppr):
        local = etree.QName(child).localname
        if local in PPR_ORDER and PPR_ORDER.index(local) > rank:
            ppr.insert(n, el)
            return el
    ppr.append(el)
    return el


class Revisions:
    """The tracked changes and comments of one document, with its one id counter."""

    def __init__(self, *, default_author: str, default_date: datetime) -> None:
        self.default_author = default_author
        self.default_date = default_date
        self._next_id = 0
        self._next_para = 0
        self._comments: list[str] = []  # XML of each w:comment
        self._threads: list[tuple[str, str | None, bool]] = []  # paraId, parent paraId, done
        self._para_of: dict[str, str] = {}  # comment id -> paraId of its last paragraph
        # (author, date stamp) of every change and comment written: the export's own, which
        # a reader of a returned copy tells apart from those made after (app/word/returned.py).
        self.change_signatures: set[tuple[str, str]] = set()
        self.comment_signatures: set[tuple[str, str]] = set()

    def next_id(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    def change_attrs(self, author: str | None, date: datetime | None) -> dict[str, str]:
        """The id, author and date of a new tracked change (a paragraph's properties ...)."""
        return self._attrs(author, date)

    def _attrs(self, author: str | None, date: datetime | None) -> dict[str, str]:
        attrs = {
            ID: self.next_id(),
            AUTHOR: clean(author or self.default_author),
            DATE: stamp(date or self.default_date),
        }
        self.change_signatures.add((attrs[AUTHOR], attrs[DATE]))
        return attrs

    # Tracked changes

    def change(
        self, op: Op, text: str, *, author: str | None, date: datetime | None, style: str | None
    ) -> list[Element]:
        """The elements for one run of text: plain runs, or one `w:ins` / `w:del`."""
        runs = make_runs(text, style=style, deleted=op == "delete")
        if op == "equal" or not runs:
            return runs
        wrapper = etree.Element(INS if op == "insert" else DEL, self._attrs(author, date))
        wrapper.extend(runs)
        return [wrapper]

    @staticmethod
    def _shown(show: Mapping[Op, str | None]) -> Any:
        def change(
            op: Op, text: str, *, author: str | None, date: datetime | None, style: str | None
        ) -> list[Element]:
            return make_runs(text, style=show.get(op) or style)

        return change

    def append_runs(
        self,
        parent: Element,
        runs: Iterable[Run],
        *,
        style: str | None = None,
        marks: Mapping[int, Sequence[Element]] | None = None,
        show: Mapping[Op, str | None] | None = None,
    ) -> None:
        """Append runs to a paragraph. `marks` puts elements (comment range starts and ends)
        at offsets of the text as it reads after the changes (deleted text has no width);
        runs are cut where a mark falls. With `show`, changes are not tracked but shown as
        plain runs in the character style `show` gives for their operation."""
        change = self.change if show is None else self._shown(show)
        if not marks:
            for run in runs:
                parent.extend(
                    change(run.op, run.text, author=run.author, date=run.date, style=style)
                )
            return
        # A range that starts where words were deleted starts after them, and one that ends
        # there ends before them: a comment covers the words it quotes, not the deletion.
        items = sorted(
            (
                (point, el.tag == RANGE_START, n, el)
                for point, els in marks.items()
                for n, el in enumerate(els)
            ),
            key=lambda item: item[:3],
        )
        i = 0
        pos = 0
        for run in runs:
            text = clean(run.text)
            if run.op == "delete":
                while i < len(items) and (
                    items[i][0] < pos or (items[i][0] == pos and not items[i][1])
                ):
                    parent.append(items[i][3])
                    i += 1
                parent.extend(change("delete", text, author=run.author, date=run.date, style=style))
                continue
            start = 0
            while True:
                while i < len(items) and items[i][0] <= pos + start:
                    parent.append(items[i][3])
                    i += 1
                cut = len(text) if i >= len(items) else min(len(text), items[i][0] - pos)
                if cut > start:
                    parent.extend(
                        change(
                            run.op, text[start:cut], author=run.author, date=run.date, style=style
                        )
                    )
                start = cut
                if start >= len(text):
                    break
            pos += len(text)
        for item in items[i:]:
            parent.append(item[3])

    def track_paragraph(
        self, p: Element, op: Op, *, author: str | None = None, date: datetime | None = None
    ) -> None:
        """Mark a paragraph's mark as inserted or deleted (its runs are tracked separately)."""
        if op == "equal":
            return
        ppr = p.find(PPR)
        if ppr is None:
            ppr = etree.Element(PPR)
            p.insert(0, ppr)
        rpr = ppr.find(RPR)
        if rpr is None:
            rpr = etree.Element(RPR)
            # rPr goes after the other paragraph properties, before sectPr and pPrChange.
            tail = [c for c in ppr if c.tag in (w("sectPr"), w("pPrChange"))]
            if tail:
                tail[0].addprevious(rpr)
            else:
                ppr.append(rpr)
        rpr.insert(0, etree.Element(INS if op == "insert" else DEL, self._attrs(author, date)))

    def track_row(
        self, tr: Element, op: Op, *, author: str | None = None, date: datetime | None = None
    ) -> None:
        if op == "equal":
            return
        trpr = tr.find(TRPR)
        if trpr is None:
            trpr = etree.Element(TRPR)
            tr.insert(1 if len(tr) and tr[0].tag == w("tblPrEx") else 0, trpr)
        trpr.append(etree.Element(INS if op == "insert" else DEL, self._attrs(author, date)))

    # Comments

    def comment(
        self,
        *,
        author: str,
        initials: str,
        date: datetime,
        body: str,
        parent: str | None = None,
        done: bool = False,
    ) -> str:
        """Add a comment (a reply when `parent` names the thread's comment id); returns its id,
        to anchor with `range_start`, `range_end` and `reference`. Comments are written as XML
        text and parsed once in `write_parts`: thousands of them cost little that way."""
        cid = self.next_id()
        self.comment_signatures.add((clean(author), stamp(date)))
        parts = [
            f'<w:comment w:id="{cid}" w:author={_attr(author)} w:date="{stamp(date)}" '
            f"w:initials={_attr(initials)}>"
        ]
        para_id = ""
        for n, line in enumerate(clean(body).split("\n")):
            self._next_para += 1
            para_id = f"{0x10000000 + self._next_para:08X}"
            parts.append(
                f'<w:p w14:paraId="{para_id}" w14:textId="77777777">'
                '<w:pPr><w:pStyle w:val="CommentText"/></w:pPr>'
            )
            if n == 0:
                parts.append(
                    '<w:r><w:rPr><w:rStyle w:val="CommentReference"/></w:rPr>'
                    "<w:annotationRef/></w:r>"
                )
            parts.append(_runs_xml(line))
            parts.append("</w:p>")
        parts.append("</w:comment>")
        self._comments.append("".join(parts))
        self._para_of[cid] = para_id
        self._threads.append((para_id, self._para_of[parent] if parent else None, done))
        return cid

    @staticmethod
    def range_start(cid: str) -> Element:
        return etree.Element(w("commentRangeStart"), {ID: cid})

    @staticmethod
    def range_end(cid: str) -> Element:
        return etree.Element(w("commentRangeEnd"), {ID: cid})

    @staticmethod
    def reference(cid: str) -> Element:
        r = etree.Element(R)
        etree.SubElement(etree.SubElement(r, RPR), RSTYLE, {VAL: "CommentReference"})
        etree.SubElement(r, w("commentReference"), {ID: cid})
        return r

    @property
    def has_comments(self) -> bool:
        return bool(self._comments)

    def write_parts(self, document: Any, *, track: bool = True) -> None:
        """Put the comments (and their threads) into the package and switch tracking on.
        `document` is a python-docx Document."""
        part = document.part
        if self._comments:
            comments = part._comments_part.element
            for old in list(comments):
                comments.remove(old)
            parsed = etree.fromstring(
                f'<w:comments xmlns:w="{W_NS}" xmlns:w14="{W14_NS}">'
                + "".join(self._comments)
                + "</w:comments>"
            )
            comments.extend(list(parsed))
            xml = _comments_extended(self._threads)
            existing = [rel for rel in part.rels.values() if rel.reltype == COMMENTS_EXTENDED_RT]
            if existing:
                existing[0].target_part._blob = xml
            else:
                ext = Part(
                    PackURI("/word/commentsExtended.xml"),
                    COMMENTS_EXTENDED_CT,
                    xml,
                    part.package,
                )
                part.relate_to(ext, COMMENTS_EXTENDED_RT)
        if track:
            settings = part._settings_part.element
            if settings.find(w("trackRevisions")) is None:
                # Schema order: trackRevisions follows the view/zoom/protection group.
                after = [
                    c
                    for c in settings
                    if etree.QName(c).localname
                    in (
                        "writeProtection",
                        "view",
                        "zoom",
                        "removePersonalInformation",
                        "removeDateAndTime",
                        "doNotDisplayPageBoundaries",
                        "displayBackgroundShape",
                        "printPostScriptOverText",
                        "printFractionalCharacterWidth",
                        "printFormsData",
                        "embedTrueTypeFonts",
                        "embedSystemFonts",
                        "saveSubsetFonts",
                        "saveFormsData",
                        "mirrorMargins",
                        "alignBordersAndEdges",
                        "bordersDoNotSurroundHeader",
                        "bordersDoNotSurroundFooter",
                        "gutterAtTop",
                        "hideSpellingErrors",
                        "hideGrammaticalErrors",
                        "activeWritingStyle",
                        "proofState",
                        "formsDesign",
                        "attachedTemplate",
                        "linkStyles",
                        "stylePaneFormatFilter",
                        "stylePaneSortMethod",
                        "documentType",
                        "mailMerge",
                        "revisionView",
                    )
                ]
                element = etree.Element(w("trackRevisions"))
                if after:
                    after[-1].addnext(element)
                else:
                    settings.insert(0, element)


def _comments_extended(threads: Sequence[tuple[str, str | None, bool]]) -> bytes:
    root = etree.Element(
        f"{{{W15_NS}}}commentsEx",
        nsmap={"w15": W15_NS, "mc": MC_NS},
    )
    root.set(f"{{{MC_NS}}}Ignorable", "w15")
    for para_id, parent, done in threads:
        attrs = {f"{{{W15_NS}}}paraId": para_id}
        if parent:
            attrs[f"{{{W15_NS}}}paraIdParent"] = parent
        attrs[f"{{{W15_NS}}}done"] = "1" if done else "0"
        etree.SubElement(root, f"{{{W15_NS}}}commentEx", attrs)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))


# Reading back: what "Accept all" and "Reject all" leave.


def _resolve(root: Element, keep: str, drop: str) -> Element:
    """Apply one side of every tracked change under `root` (in place) and return it: first
    the runs, then the table rows, then the paragraph marks (a paragraph whose mark goes joins
    the next paragraph, or goes if it is empty and no paragraph follows)."""
    keep_tag, drop_tag = w(keep), w(drop)
    marks: list[tuple[Element, bool]] = []  # (paragraph, its mark goes)
    rows: list[tuple[Element, bool]] = []
    for el in list(root.iter(keep_tag, drop_tag)):
        parent = el.getparent()
        if parent is None:  # the root itself: nothing around it to resolve into
            continue
        goes = el.tag == drop_tag
        if parent.tag == RPR and parent.getparent() is not None and parent.getparent().tag == PPR:
            marks.append((parent.getparent().getparent(), goes))
            parent.remove(el)
        elif parent.tag == TRPR:
            rows.append((parent.getparent(), goes))
            parent.remove(el)
        elif goes:
            parent.remove(el)
        else:
            index = parent.index(el)
            for child in reversed(list(el)):
                parent.insert(index, child)
            parent.remove(el)
    # An uploaded file may mark one paragraph or row twice: act once on each.
    for tr in _once(tr for tr, goes in rows if goes):
        tbl = tr.getparent()
        if tbl is None:
            continue
        tbl.remove(tr)
        if tbl.find(TR) is None and tbl.getparent() is not None:
            tbl.getparent().remove(tbl)
    for p in _once(p for p, goes in marks if goes):
        if p is not None and p.getparent() is not None:
            _join_with_next(p)
    for text in root.iter(DEL_TEXT):  # only inside deletions kept by reject_all
        text.tag = T
    return root


def _once(elements: Iterable[Element]) -> list[Element]:
    seen: set[int] = set()
    out = []
    for el in elements:
        if id(el) not in seen:
            seen.add(id(el))
            out.append(el)
    return out


def _join_with_next(p: Element) -> None:
    following = p.getnext()
    content = [c for c in p if c.tag != PPR]
    parent = p.getparent()
    if following is not None and following.tag == P:
        ppr = following.find(PPR)
        at = 0 if ppr is None else following.index(ppr) + 1
        for child in reversed(content):
            following.insert(at, child)
        parent.remove(p)
    elif not "".join(p.itertext()):
        parent.remove(p)


def accept_all(root: Element) -> Element:
    return _resolve(root, "ins", "del")


def reject_all(root: Element) -> Element:
    return _resolve(root, "del", "ins")


def paragraph_text(p: Element, *, deleted: bool = True) -> str:
    """A paragraph's text, tabs and breaks as characters; with deleted=False, without the
    text of its tracked deletions (its text once they are accepted)."""
    out = []
    for el in p.iter(*((T, DEL_TEXT, TAB, BR) if deleted else (T, TAB, BR))):
        if el.tag == TAB:
            if el.getparent().tag != w("tabs"):  # not a tab stop of the paragraph's
                out.append("\t")
        elif el.tag == BR:
            out.append("\n")
        else:
            out.append(el.text or "")
    return "".join(out)


def paragraph_texts(root: Element) -> list[str]:
    """The text of every paragraph under `root`, in document order (table cells included)."""
    return [paragraph_text(p) for p in root.iter(P)]


def house_table(widths: Sequence[str]) -> Element:
    """An empty table in the house style (the reference template's ZDResponseTable: full width,
    fixed layout, header row banded) with its columns of `widths` (twentieths of a point), for
    the comment-response table and the rating annex alike."""
    tbl = etree.Element(w("tbl"))
    tbl_pr = sub(tbl, w("tblPr"))
    sub(tbl_pr, w("tblStyle"), {w("val"): "ZDResponseTable"})
    sub(tbl_pr, w("tblW"), {w("w"): "5000", w("type"): "pct"})
    sub(tbl_pr, w("tblLayout"), {w("type"): "fixed"})
    look = {"val": "04A0", "firstRow": "1", "lastRow": "0", "firstColumn": "0"}
    look |= {"lastColumn": "0", "noHBand": "0", "noVBand": "1"}
    sub(tbl_pr, w("tblLook"), {w(k): v for k, v in look.items()})
    grid = sub(tbl, w("tblGrid"))
    for width in widths:
        sub(grid, w("gridCol"), {w("w"): width})
    return tbl
