"""Edit an exported .docx the way a delegation would, for round-trip tests of the importer.

- `edit_with_word_xml(docx, edits)` writes Word's own XML with lxml: tracked insertions and
  deletions (`w:ins`/`w:del` with author and date), comments with replies and the resolved flag
  (`word/commentsExtended.xml`), a struck-out item (runs and paragraph marks deleted), a new
  paragraph after an item (tracked or not), an untracked text change.
- `edit_with_libreoffice(docxs, jobs)` has LibreOffice convert each file to a flat ODT, makes
  the edits there in ODF's terms (text:tracked-changes with author and date, office:annotation)
  and has LibreOffice write the .docx again: LibreOffice's own XML, quirks and all. (Driving
  LibreOffice through UNO instead crashes the headless "nogui" build as soon as a document
  with comments gets a view.) Two soffice runs serve every file of a batch.

Edits find their place by an item's code (its zerodraft bookmark) and words in its text, so the
same edits apply to any variant of an export.
"""

import io
import os
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Sequence
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from app.word.marks import mark_name

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14_NS = "http://schemas.microsoft.com/office/word/2010/wordml"
W15_NS = "http://schemas.microsoft.com/office/word/2012/wordml"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
COMMENTS_RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments"
COMMENTS_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.comments+xml"
EXTENDED_RT = "http://schemas.microsoft.com/office/2011/relationships/commentsExtended"
EXTENDED_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.commentsExtended+xml"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# What a delegation does, in Word


@dataclass(frozen=True)
class Insert:
    """Type `text` right after `after` (words of the item) with Track Changes on."""

    code: str
    after: str
    text: str
    author: str
    date: datetime


@dataclass(frozen=True)
class Delete:
    code: str
    words: str
    author: str
    date: datetime


@dataclass(frozen=True)
class Reply:
    author: str
    initials: str
    date: datetime
    text: str


@dataclass(frozen=True)
class Comment:
    code: str
    words: str
    text: str
    author: str
    initials: str
    date: datetime
    replies: tuple[Reply, ...] = ()
    resolved: bool = False


@dataclass(frozen=True)
class ReplyTo:
    """A reply to a comment already in the file (one the export carried)."""

    starts_with: str  # the beginning of the comment's text, e.g. "C-5: "
    reply: Reply


@dataclass(frozen=True)
class Strike:
    """Delete the whole item, heading and all, with Track Changes on."""

    code: str
    author: str
    date: datetime


@dataclass(frozen=True)
class AddParagraph:
    """A new paragraph after the item's last paragraph (tracked unless `author` is None)."""

    after_code: str
    text: str
    author: str | None
    date: datetime | None
    style: str = "ZDIndicatorText"


@dataclass(frozen=True)
class Untracked:
    """Replace `old` by `new` in the item's text with Track Changes off."""

    code: str
    old: str
    new: str


@dataclass(frozen=True)
class JoinLines:
    """Delete, tracked, the line end of the paragraph holding `words` (joining the next)."""

    code: str
    words: str
    author: str
    date: datetime


@dataclass(frozen=True)
class Move:
    """Move `words`, tracked, to just after `after` (both in the item's fields)."""

    code: str
    words: str
    after: str
    author: str
    date: datetime


Edit = Insert | Delete | Comment | ReplyTo | Strike | AddParagraph | Untracked | JoinLines | Move


@dataclass
class _Doc:
    members: dict[str, bytes]
    body: Any
    comments: Any | None = None
    extended: Any | None = None
    next_id: int = 0
    next_para: int = 0x70000000
    added_parts: list[str] = field(default_factory=list)

    def new_id(self) -> str:
        self.next_id += 1
        return str(self.next_id)


def _open(data: bytes) -> _Doc:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        members = {n: z.read(n) for n in z.namelist()}
    doc = _Doc(members, etree.fromstring(members["word/document.xml"]))
    if "word/comments.xml" in members:
        doc.comments = etree.fromstring(members["word/comments.xml"])
    if "word/commentsExtended.xml" in members:
        doc.extended = etree.fromstring(members["word/commentsExtended.xml"])
    ids = [int(v) for v in doc.body.xpath("//@w:id", namespaces={"w": W_NS}) if v.isdigit()]
    if doc.comments is not None:
        ids += [int(c.get(w("id"))) for c in doc.comments.iter(w("comment"))]
    doc.next_id = max(ids, default=0) + 1000
    return doc


def _item_paragraphs(doc: _Doc, code: str) -> list[Any]:
    for kind in ("indicator", "section"):
        name = mark_name(kind, code)
        start = next(
            (b for b in doc.body.iter(w("bookmarkStart")) if b.get(w("name")) == name), None
        )
        if start is None:
            continue
        bid = start.get(w("id"))
        out = []
        p = start if start.tag == w("p") else next(start.iterancestors(w("p")))
        while p is not None:
            if p.tag == w("p"):
                out.append(p)
                if any(e.get(w("id")) == bid for e in p.iter(w("bookmarkEnd"))):
                    return out
            p = p.getnext()
        return out
    raise AssertionError(f"no item {code} in the file")


def _visible_runs(p: Any) -> list[Any]:
    """The paragraph's runs whose text shows (not deleted), in order."""
    gone = (w("del"), w("moveFrom"))
    return [r for r in p.iter(w("r")) if not any(a.tag in gone for a in r.iterancestors())]


def _text(r: Any) -> str:
    return "".join(
        (t.text or "") if t.tag == w("t") else "\t" for t in r if t.tag in (w("t"), w("tab"))
    )


def _split(r: Any, at: int) -> Any:
    """Cut a one-text run in two at `at`; returns the second half (placed after the first)."""
    t = r.find(w("t"))
    text = t.text or ""
    second = deepcopy(r)
    t.text = text[:at]
    second.find(w("t")).text = text[at:]
    for x in (t, second.find(w("t"))):
        x.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    r.addnext(second)
    return second


def _isolate(p: Any, start: int, end: int) -> list[Any]:
    """The runs covering exactly [start, end) of the paragraph's shown text."""
    pos = 0
    for r in _visible_runs(p):
        n = len(_text(r))
        if pos < start < pos + n:
            _split(r, start - pos)
            return _isolate(p, start, end)
        if pos < end < pos + n:
            _split(r, end - pos)
            return _isolate(p, start, end)
        pos += n
    out = []
    pos = 0
    for r in _visible_runs(p):
        n = len(_text(r))
        if start <= pos and pos + n <= end and n:
            out.append(r)
        pos += n
    return out


def _find(doc: _Doc, code: str, words: str) -> tuple[Any, int]:
    paragraphs = _item_paragraphs(doc, code)
    for p in paragraphs[1:] + paragraphs[:1]:  # the fields first, the heading last
        text = "".join(_text(r) for r in _visible_runs(p))
        at = text.find(words)
        if at >= 0:
            return p, at
    raise AssertionError(f"{words!r} not found in {code}")


def _change(doc: _Doc, tag: str, author: str, date: datetime) -> Any:
    return etree.Element(
        w(tag), {w("id"): doc.new_id(), w("author"): author, w("date"): _stamp(date)}
    )


def _delete_runs(doc: _Doc, runs: Sequence[Any], author: str, date: datetime) -> None:
    for r in runs:
        wrapper = _change(doc, "del", author, date)
        r.addprevious(wrapper)
        wrapper.append(r)
        for t in r.iter(w("t")):
            t.tag = w("delText")


def _new_run(text: str, like: Any | None = None) -> Any:
    r = etree.Element(w("r"))
    if like is not None and like.find(w("rPr")) is not None:
        rpr = deepcopy(like.find(w("rPr")))
        for style in rpr.findall(w("rStyle")):
            if style.get(w("val")) in ("ZDFieldLabel", "CommentReference"):
                rpr.remove(style)
        if len(rpr):
            r.append(rpr)
    t = etree.SubElement(r, w("t"))
    t.text = text
    t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return r


def _insert(doc: _Doc, edit: Insert) -> None:
    p, at = _find(doc, edit.code, edit.after)
    point = at + len(edit.after)
    runs = _isolate(p, at, point)
    last = runs[-1]
    wrapper = _change(doc, "ins", edit.author, edit.date)
    wrapper.append(_new_run(edit.text, last))
    anchor = last.getparent() if last.getparent().tag == w("ins") else last
    anchor.addnext(wrapper)


def _delete(doc: _Doc, edit: Delete) -> None:
    p, at = _find(doc, edit.code, edit.words)
    _delete_runs(doc, _isolate(p, at, at + len(edit.words)), edit.author, edit.date)


def _comments_part(doc: _Doc) -> Any:
    if doc.comments is None:
        doc.comments = etree.Element(w("comments"), nsmap={"w": W_NS, "w14": W14_NS})
        doc.added_parts.append("comments")
    return doc.comments


def _add_comment(
    doc: _Doc,
    author: str,
    initials: str,
    date: datetime,
    text: str,
    parent_para: str | None,
    done: bool,
) -> tuple[str, str]:
    cid = doc.new_id()
    doc.next_para += 1
    para_id = f"{doc.next_para:08X}"
    c = etree.SubElement(
        _comments_part(doc),
        w("comment"),
        {w("id"): cid, w("author"): author, w("date"): _stamp(date), w("initials"): initials},
    )
    p = etree.SubElement(c, w("p"), {f"{{{W14_NS}}}paraId": para_id})
    ref = etree.SubElement(p, w("r"))
    etree.SubElement(ref, w("annotationRef"))
    p.append(_new_run(text))
    if doc.extended is None:
        doc.extended = etree.Element(f"{{{W15_NS}}}commentsEx", nsmap={"w15": W15_NS})
        doc.added_parts.append("extended")
    attrs = {f"{{{W15_NS}}}paraId": para_id, f"{{{W15_NS}}}done": "1" if done else "0"}
    if parent_para:
        attrs[f"{{{W15_NS}}}paraIdParent"] = parent_para
    etree.SubElement(doc.extended, f"{{{W15_NS}}}commentEx", attrs)
    return cid, para_id


def _reference_run(cid: str) -> Any:
    r = etree.Element(w("r"))
    etree.SubElement(etree.SubElement(r, w("rPr")), w("rStyle"), {w("val"): "CommentReference"})
    etree.SubElement(r, w("commentReference"), {w("id"): cid})
    return r


def _comment(doc: _Doc, edit: Comment) -> None:
    p, at = _find(doc, edit.code, edit.words)
    runs = _isolate(p, at, at + len(edit.words))
    cid, para = _add_comment(
        doc, edit.author, edit.initials, edit.date, edit.text, None, edit.resolved
    )
    ids = [cid]
    for reply in edit.replies:
        rid, _ = _add_comment(
            doc, reply.author, reply.initials, reply.date, reply.text, para, edit.resolved
        )
        ids.append(rid)
    for one in ids:
        runs[0].addprevious(etree.Element(w("commentRangeStart"), {w("id"): one}))
    at_end = runs[-1]
    for one in reversed(ids):
        at_end.addnext(_reference_run(one))
        at_end.addnext(etree.Element(w("commentRangeEnd"), {w("id"): one}))


def _reply_to(doc: _Doc, edit: ReplyTo) -> None:
    assert doc.comments is not None, "the file has no comments to reply to"
    target = next(
        c
        for c in doc.comments.iter(w("comment"))
        if "".join(c.itertext()).startswith(edit.starts_with)
    )
    para = target.findall(w("p"))[-1].get(f"{{{W14_NS}}}paraId")
    r = edit.reply
    cid, _ = _add_comment(doc, r.author, r.initials, r.date, r.text, para, False)
    old = target.get(w("id"))
    start = next(e for e in doc.body.iter(w("commentRangeStart")) if e.get(w("id")) == old)
    end = next(e for e in doc.body.iter(w("commentRangeEnd")) if e.get(w("id")) == old)
    start.addnext(etree.Element(w("commentRangeStart"), {w("id"): cid}))
    end.addnext(_reference_run(cid))
    end.addnext(etree.Element(w("commentRangeEnd"), {w("id"): cid}))


def _mark(doc: _Doc, p: Any, tag: str, author: str, date: datetime) -> None:
    ppr = p.find(w("pPr"))
    if ppr is None:
        ppr = etree.Element(w("pPr"))
        p.insert(0, ppr)
    rpr = ppr.find(w("rPr"))
    if rpr is None:
        rpr = etree.SubElement(ppr, w("rPr"))
    rpr.insert(0, _change(doc, tag, author, date))


def _strike(doc: _Doc, edit: Strike) -> None:
    for p in _item_paragraphs(doc, edit.code):
        _delete_runs(doc, _visible_runs(p), edit.author, edit.date)
        _mark(doc, p, "del", edit.author, edit.date)


def _add_paragraph(doc: _Doc, edit: AddParagraph) -> None:
    last = _item_paragraphs(doc, edit.after_code)[-1]
    p = etree.Element(w("p"))
    etree.SubElement(etree.SubElement(p, w("pPr")), w("pStyle"), {w("val"): edit.style})
    run = _new_run(edit.text)
    if edit.author is not None and edit.date is not None:
        _mark(doc, p, "ins", edit.author, edit.date)
        wrapper = _change(doc, "ins", edit.author, edit.date)
        wrapper.append(run)
        p.append(wrapper)
    else:
        p.append(run)
    last.addnext(p)


def _untracked(doc: _Doc, edit: Untracked) -> None:
    p, at = _find(doc, edit.code, edit.old)
    runs = _isolate(p, at, at + len(edit.old))
    runs[0].find(w("t")).text = edit.new
    for r in runs[1:]:
        r.getparent().remove(r)


def _join_lines(doc: _Doc, edit: JoinLines) -> None:
    p, _ = _find(doc, edit.code, edit.words)
    _mark(doc, p, "del", edit.author, edit.date)


def _move(doc: _Doc, edit: Move) -> None:
    p, at = _find(doc, edit.code, edit.words)
    runs = _isolate(p, at, at + len(edit.words))
    source = _change(doc, "moveFrom", edit.author, edit.date)
    runs[0].addprevious(source)
    for r in runs:
        source.append(r)
    q, to = _find(doc, edit.code, edit.after)
    last = _isolate(q, to, to + len(edit.after))[-1]
    target = _change(doc, "moveTo", edit.author, edit.date)
    target.append(_new_run(edit.words, last))
    last.addnext(target)
    for r in runs:  # what moved away shows no more
        for t in r.iter(w("t")):
            t.tag = w("delText")


def _save(doc: _Doc) -> bytes:
    members = dict(doc.members)
    members["word/document.xml"] = etree.tostring(
        doc.body, xml_declaration=True, encoding="UTF-8", standalone=True
    )
    rels = etree.fromstring(members["word/_rels/document.xml.rels"])
    types = etree.fromstring(members["[Content_Types].xml"])
    for kind, data, name, rt, ct in (
        ("comments", doc.comments, "comments.xml", COMMENTS_RT, COMMENTS_CT),
        ("extended", doc.extended, "commentsExtended.xml", EXTENDED_RT, EXTENDED_CT),
    ):
        if data is None:
            continue
        members[f"word/{name}"] = etree.tostring(
            data, xml_declaration=True, encoding="UTF-8", standalone=True
        )
        if kind in doc.added_parts:
            etree.SubElement(
                rels,
                f"{{{REL_NS}}}Relationship",
                {"Id": f"rIdZdEdit{kind}", "Type": rt, "Target": name},
            )
            etree.SubElement(
                types, f"{{{CT_NS}}}Override", {"PartName": f"/word/{name}", "ContentType": ct}
            )
    members["word/_rels/document.xml.rels"] = etree.tostring(
        rels, xml_declaration=True, encoding="UTF-8", standalone=True
    )
    members["[Content_Types].xml"] = etree.tostring(
        types, xml_declaration=True, encoding="UTF-8", standalone=True
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


def edit_with_word_xml(docx: bytes, edits: Sequence[Edit]) -> bytes:
    """The file with the edits made as Word writes them."""
    doc = _open(docx)
    actions: dict[type, Any] = {
        Insert: _insert,
        Delete: _delete,
        Comment: _comment,
        ReplyTo: _reply_to,
        Strike: _strike,
        AddParagraph: _add_paragraph,
        Untracked: _untracked,
        JoinLines: _join_lines,
        Move: _move,
    }
    for edit in edits:
        actions[type(edit)](doc, edit)
    return _save(doc)


# LibreOffice


@dataclass(frozen=True)
class LoEdit:
    """One edit in a flat ODT that LibreOffice turns into .docx. `op`: "replace" (`words` ->
    `text`), "insert" (`text` after `words`), "delete" (`words`), "comment" (on `words`, body
    `text`), "paragraph" (a new paragraph `text` after the one holding `words`). Tracked with
    `author` and `date` unless `tracked` is false. `words` must lie in one stretch of text."""

    op: str
    words: str
    text: str = ""
    author: str = "LibreOffice User"
    date: datetime = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
    tracked: bool = True
    initials: str = ""


TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
DC_NS = "http://purl.org/dc/elements/1.1/"
META_NS = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"


def _t(tag: str) -> str:
    return f"{{{TEXT_NS}}}{tag}"


def _o(tag: str) -> str:
    return f"{{{OFFICE_NS}}}{tag}"


def _odf_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


class _Fodt:
    def __init__(self, data: bytes) -> None:
        self.root = etree.fromstring(data)
        self.text = next(self.root.iter(_o("text")))
        changes = self.text.find(_t("tracked-changes"))
        if changes is None:
            changes = etree.Element(_t("tracked-changes"))
            self.text.insert(0, changes)
        changes.set(_t("track-changes"), "true")
        self.changes = changes
        self.count = 0

    def region(self, kind: str, author: str, date: datetime) -> str:
        self.count += 1
        rid = f"ctzd{self.count}"
        region = etree.SubElement(self.changes, _t("changed-region"), {XML_ID: rid, _t("id"): rid})
        info = etree.SubElement(etree.SubElement(region, _t(kind)), _o("change-info"))
        etree.SubElement(info, f"{{{DC_NS}}}creator").text = author
        etree.SubElement(info, f"{{{DC_NS}}}date").text = _odf_date(date)
        return rid

    def paragraphs(self) -> list[Any]:
        return [
            p
            for p in self.text.iter(_t("p"), _t("h"))
            if not any(
                a.tag in (_o("annotation"), _t("tracked-changes")) for a in p.iterancestors()
            )
        ]

    def find(self, words: str) -> tuple[Any, Any, str, int]:
        """(paragraph, node, "text" or "tail", index) of the first stretch holding `words`."""
        for p in self.paragraphs():
            for el in p.iter():
                if el is not p and any(a.tag == _o("annotation") for a in el.iterancestors()):
                    continue
                if el.tag == _o("annotation"):
                    candidates = ["tail"]
                else:
                    candidates = ["text", "tail"] if el is not p else ["text"]
                for attr in candidates:
                    value = getattr(el, attr) or ""
                    at = value.find(words)
                    if at >= 0:
                        return p, el, attr, at
        raise AssertionError(f"{words!r} not found in one stretch of text")

    @staticmethod
    def put(node: Any, attr: str, at: int, cut: int, parts: list[tuple[Any, str]]) -> str:
        """Replace node's text [at, at+cut) by `parts` (element, its tail); the text after goes
        to the tail of the last part. Returns the text cut out."""
        value = getattr(node, attr) or ""
        before, gone, after = value[:at], value[at : at + cut], value[at + cut :]
        setattr(node, attr, before)
        parts[-1] = (parts[-1][0], parts[-1][1] + after)
        for el, tail in parts:
            el.tail = tail
        if attr == "text":
            for n, (el, _) in enumerate(parts):
                node.insert(n, el)
        else:
            anchor = node
            for el, _ in parts:
                anchor.addnext(el)
                anchor = el
        return gone

    def span(self, rid: str) -> tuple[Any, Any]:
        return (
            etree.Element(_t("change-start"), {_t("change-id"): rid}),
            etree.Element(_t("change-end"), {_t("change-id"): rid}),
        )

    def apply(self, edit: LoEdit) -> None:
        p, node, attr, at = self.find(edit.words)
        n = len(edit.words)
        if edit.op == "comment":
            self.count += 1
            name = f"__Annotation__zd{self.count}"
            note = etree.Element(_o("annotation"), {_o("name"): name})
            etree.SubElement(note, f"{{{DC_NS}}}creator").text = edit.author
            etree.SubElement(note, f"{{{DC_NS}}}date").text = _odf_date(edit.date)
            if edit.initials:
                etree.SubElement(note, f"{{{META_NS}}}creator-initials").text = edit.initials
            etree.SubElement(note, _t("p")).text = edit.text
            end = etree.Element(_o("annotation-end"), {_o("name"): name})
            self.put(node, attr, at, n, [(note, edit.words), (end, "")])
            return
        if not edit.tracked:
            new = {"replace": edit.text, "insert": edit.words + edit.text, "delete": ""}[edit.op]
            value = getattr(node, attr)
            setattr(node, attr, value[:at] + new + value[at + n :])
            return
        if edit.op == "paragraph":
            rid = self.region("insertion", edit.author, edit.date)
            start, end = self.span(rid)
            p.append(start)
            new_p = etree.Element(p.tag, {k: v for k, v in p.attrib.items() if "style" in k})
            new_p.text = edit.text
            new_p.append(end)
            p.addnext(new_p)
            return
        parts: list[tuple[Any, str]] = []
        if edit.op in ("replace", "delete"):
            rid = self.region("deletion", edit.author, edit.date)
            start, end = self.span(rid)
            parts += [(start, edit.words), (end, "")]
        else:
            parts.append((etree.Element(_t("s"), {_t("c"): "0"}), edit.words))
        if edit.op in ("replace", "insert"):
            rid = self.region("insertion", edit.author, edit.date)
            start, end = self.span(rid)
            parts += [(start, edit.text), (end, "")]
        if edit.op == "insert":  # no placeholder element: the words stay as they were
            parts = parts[1:]
            self.put(node, attr, at + n, 0, parts)
            return
        self.put(node, attr, at, n, parts)

    def bytes(self) -> bytes:
        return bytes(etree.tostring(self.root, xml_declaration=True, encoding="UTF-8"))


def require_libreoffice() -> str:
    """soffice's path; skip (fail in CI) when LibreOffice is missing."""
    found = shutil.which("soffice")
    if found is None:
        message = "soffice missing: install libreoffice-writer-nogui (.ci/run does)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return found


def _soffice(soffice: str, profile: Path, target: str, out: Path, sources: list[Path]) -> None:
    result = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            target,
            "--outdir",
            str(out),
            *map(str, sources),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    for source in sources:
        made = out / (source.stem + "." + target.split(":")[0])
        assert made.exists(), f"LibreOffice did not convert {source.name}: {result.stderr}"


def edit_with_libreoffice(
    docxs: Sequence[bytes], jobs: Sequence[Sequence[LoEdit] | None]
) -> list[bytes]:
    """Each file converted by LibreOffice to a flat ODT, edited there in ODF's own terms
    (text:tracked-changes, office:annotation) and converted back to .docx by LibreOffice: the
    .docx is LibreOffice's writing, quirks and all. A job of None opens the .docx and saves it
    again as .docx, as a person who opens and saves it in LibreOffice does. Two soffice runs
    serve every file."""
    soffice = require_libreoffice()
    assert len(docxs) == len(jobs)
    with tempfile.TemporaryDirectory(prefix="zd-lo-") as tmp:
        work = Path(tmp)
        profile = work / "profile"
        for folder in ("in", "flat", "out"):
            (work / folder).mkdir()
        sources = []
        for n, data in enumerate(docxs):
            source = work / "in" / f"doc{n}.docx"
            source.write_bytes(data)
            sources.append(source)
        to_edit = [sources[n] for n, edits in enumerate(jobs) if edits is not None]
        if to_edit:
            _soffice(soffice, profile, "fodt", work / "flat", to_edit)
        second = []
        for n, edits in enumerate(jobs):
            if edits is None:
                second.append(sources[n])
                continue
            document = _Fodt((work / "flat" / f"doc{n}.fodt").read_bytes())
            for edit in edits:
                document.apply(edit)
            edited = work / "flat" / f"doc{n}.edited.fodt"
            edited.write_bytes(document.bytes())
            renamed = work / "flat" / f"doc{n}.fodt"
            edited.replace(renamed)
            second.append(renamed)
        _soffice(soffice, profile, "docx:MS Word 2007 XML", work / "out", second)
        return [(work / "out" / f"doc{n}.docx").read_bytes() for n in range(len(docxs))]
