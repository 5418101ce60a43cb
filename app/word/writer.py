"""Export a draft round to Word: pure, an ExportDocument in, the bytes of a .docx out.

Variants:
- clean: cover page, contents, prose sections, indicators grouped by dimension;
- redline: the same with native tracked changes (app/word/revisions.py) from the runs of each
  field: "Accept all" gives the clean text of the round, "Reject all" that of the earlier one;
- compilation: the clean text with every pending proposal under the item it concerns;
- responses: the cover and a landscape comment-response table.
Any variant may carry the open comment threads as native Word comments. Every variant is
marked so that a copy edited in Word or LibreOffice can be read back (app/word/marks.py): a
bookmark per item and dimension, custom document properties and a manifest part.

The body is built with lxml directly (python-docx's per-paragraph objects cost more than the
XML); python-docx opens the template, holds the package and saves it. The output is
deterministic: no clock is read, ids come from counters, and the zip is normalised.
"""

import io
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import docx
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from lxml import etree  # type: ignore[import-untyped]

from app.word import marks, package
from app.word import template as tpl
from app.word.model import (
    SECRETARIAT,
    VARIANTS,
    Change,
    ExportComment,
    ExportDimension,
    ExportDocument,
    ExportIndicator,
    ExportProposal,
    ExportRound,
    ExportSection,
    Op,
    Run,
    Runs,
    Variant,
    new_text,
)
from app.word.package import set_core_properties
from app.word.revisions import (
    BR,
    PPR,
    TAB,
    Element,
    R,
    Revisions,
    T,
    clean,
    make_runs,
    paragraph,
    sub,
    w,
)

TemplateSource = bytes | str | os.PathLike[str] | None
Progress = Callable[[int, int], None]

TEXT_BOOKMARK = "_ZdText"  # where the draft text begins (after cover and contents)
VARIANT_LABELS: dict[Variant, str] = {
    "clean": "Clean text",
    "redline": "Changes shown as tracked changes",
    "compilation": "Compilation text: the draft with pending proposals",
    "responses": "Comment-response table",
}
FIELD_LABELS = (
    ("element", "Element of the definition: "),
    ("profiles", "Applies to: "),
    ("crime_types", "Crime types: "),
    ("intended_users", "Intended users: "),
)
SHOW_PROPOSED: dict[Op, str | None] = {
    "equal": None,
    "insert": "ZDProposalInsert",
    "delete": "ZDProposalDelete",
}
_PROGRESS_EVERY = 25


def export(
    document: ExportDocument,
    variant: Variant,
    *,
    template: TemplateSource = None,
    include_comments: bool = False,
    progress: Progress | None = None,
) -> bytes:
    """The .docx of one variant of the round, as bytes; identical input, identical bytes."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; use one of {', '.join(VARIANTS)}")
    doc = docx.Document(io.BytesIO(_template_bytes(template)))
    _Export(doc, document, variant, include_comments, progress).run()
    return package.save(doc)


def _template_bytes(template: TemplateSource) -> bytes:
    if template is None:
        return tpl.reference_bytes()
    if isinstance(template, bytes):
        return template
    return Path(template).read_bytes()


# Runs: presence on each side, whole-item changes, joining segments


def _sides(runs: Iterable[Run]) -> tuple[bool, bool]:
    old = new = False
    for r in runs:
        if r.text:
            old = old or r.op != "insert"
            new = new or r.op != "delete"
    return old, new


def _op(old: bool, new: bool) -> Op:
    return "equal" if old == new else ("insert" if new else "delete")


def _who(runs: Iterable[Run], op: Op) -> tuple[str | None, datetime | None]:
    for r in runs:
        if r.op == op and r.text:
            return r.author, r.date
    return None, None


def _force(runs: Runs, change: Change | None) -> Runs:
    if change is None:
        return runs
    return tuple(
        Run(r.text, change.op, change.author, change.date)
        for r in runs
        if r.text and r.op in ("equal", change.op)
    )


def _shown(runs: Runs) -> str:
    """A field's text as the document shows it after the changes (comment offsets count in
    it)."""
    return clean(new_text(runs))


def _suffix(runs: Runs, suffix: str) -> Runs:
    return tuple(replace(r, text=r.text + suffix) for r in runs if r.text)


Segment = tuple[Runs, str | None]


def _join(segments: Sequence[Segment], sep: str) -> list[Segment]:
    """Segments with separators between them; a separator exists on a side of the change when
    there is text on that side both before and after it."""
    out: list[Segment] = []
    before_old = before_new = False
    for runs, style in segments:
        old, new = _sides(runs)
        if not (old or new):
            continue
        sep_old, sep_new = before_old and old, before_new and new
        if sep_old or sep_new:
            op = _op(sep_old, sep_new)
            author, date = _who(runs, op) if op != "equal" else (None, None)
            out.append(((Run(sep, op, author, date),), None))
        out.append((runs, style))
        before_old, before_new = before_old or old, before_new or new
    return out


@dataclass(slots=True)
class _Line:
    runs: list[Run]
    marks: dict[int, list[Element]]
    end: Op
    author: str | None
    date: datetime | None


def _lines(runs: Runs, marks: dict[int, list[Element]]) -> list[_Line]:
    """Cut runs into paragraphs at line ends; a line end's change is the paragraph mark's.
    Marks (offsets in the text after the changes) move to the line they fall in."""
    lines: list[_Line] = []
    current: list[Run] = []
    start = pos = 0
    points = sorted(marks)
    taken = 0

    def close(end: Op, author: str | None, date: datetime | None) -> None:
        nonlocal taken
        local: dict[int, list[Element]] = {}
        while taken < len(points) and points[taken] <= pos:
            local[points[taken] - start] = marks[points[taken]]
            taken += 1
        lines.append(_Line(current.copy(), local, end, author, date))
        current.clear()

    for run in runs:
        text = clean(run.text)
        if "\n" not in text:
            current.append(replace(run, text=text))
            if run.op != "delete":
                pos += len(text)
            continue
        pieces = text.split("\n")
        for n, piece in enumerate(pieces):
            if piece:
                current.append(replace(run, text=piece))
                if run.op != "delete":
                    pos += len(piece)
            if n < len(pieces) - 1:
                close(run.op, run.author, run.date)
                if run.op != "delete":
                    pos += 1
                start = pos
    close("equal", None, None)
    return lines


# Dates


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def day(moment: datetime, zone: str = "UTC") -> str:
    local = moment.astimezone(_zone(zone)) if moment.tzinfo else moment
    return f"{local.day} {local:%B %Y}"


def deadline_text(deadline: datetime | None, zone: str) -> str:
    if deadline is None:
        return "None set"
    utc = deadline.astimezone(UTC) if deadline.tzinfo else deadline.replace(tzinfo=UTC)
    local = utc.astimezone(_zone(zone))
    offset = local.strftime("%z") or "+0000"
    return (
        f"{local.day} {local:%B %Y, %H:%M} {zone} time (UTC{offset[:3]}:{offset[3:]}), "
        f"that is {utc.day} {utc:%B %Y, %H:%M} UTC"
    )


# Comments: where each open thread is anchored


def _locate(thread: ExportComment, text: str) -> tuple[int, int] | None:
    quote = thread.quote
    if not quote:
        return None
    s, e = thread.start, thread.end
    if s is not None and e is not None and 0 <= s < e <= len(text) and text[s:e] == quote:
        return s, e
    found = text.find(quote)
    if found < 0:
        return None
    if s is not None:  # the occurrence nearest to where it was
        best = found
        while found >= 0:
            if abs(found - s) < abs(best - s):
                best = found
            found = text.find(quote, found + 1)
        found = best
    return found, found + len(quote)


class _Export:
    def __init__(
        self,
        doc: Any,
        data: ExportDocument,
        variant: Variant,
        include_comments: bool,
        progress: Progress | None,
    ) -> None:
        self.doc = doc
        self.data = data
        self.variant = variant
        self.progress = progress
        self.rev = Revisions(default_author=SECRETARIAT, default_date=data.round.date)
        self.body = doc.element.body
        self.out: list[Element] = []
        self.toc: list[tuple[int, str, str]] = []
        self.done = 0
        self.total = (
            len(data.responses)
            if variant == "responses"
            else len(data.sections) + len(data.indicators)
        )
        self.threads: dict[str, list[ExportComment]] = defaultdict(list)
        if include_comments:
            pending = {p.reference: p.target for p in data.proposals}
            for thread in data.comments:
                target = thread.target
                if variant != "compilation" and target in pending:
                    # The proposal is not shown: the thread goes to the item it concerns.
                    thread = replace(
                        thread,
                        target=pending[target],
                        field=None,
                        body=f"On proposal {target}: {thread.body}",
                    )
                self.threads[thread.target].append(thread)
        self.manifest = marks.Manifest(
            round_symbol=clean(data.round.symbol), variant=variant, as_of=""
        )
        self.in_items: set[int] = set()  # id() of the paragraphs inside an item's bookmark
        self.marked: set[str] = set()  # bookmark names given
        self.proposals: dict[str, list[ExportProposal]] = defaultdict(list)
        if variant == "compilation":
            for proposal in data.proposals:
                self.proposals[proposal.target].append(proposal)

    # The whole document

    def run(self) -> None:
        tpl.ensure_styles(self.doc)
        tpl.ensure_header_footer(self.doc)
        values = self._cover_values()
        for rel in self.doc.part.rels.values():
            if rel.reltype in (RT.HEADER, RT.FOOTER):
                tpl.fill_placeholders(rel.target_part.element, values)
        body_marker = tpl.block_placeholder(self.body, "BODY")
        blocks = [
            (marker, build)
            for name, build in (("INSTRUCTIONS", self._instructions), ("APPROVAL", self._approval))
            if (marker := tpl.block_placeholder(self.body, name)) is not None
        ]
        # Placeholders are filled in the template's own text only, never in the draft's.
        tpl.fill_placeholders(self.body, values)
        for marker, build in blocks:
            tpl.replace_block(marker, build(marker))
        cover: list[Element] = []
        if body_marker is None:
            cover = self._default_cover(values)
        if self.variant == "responses":
            self._responses()
        else:
            self._text()
        content = cover + self.out
        if body_marker is not None:
            tpl.replace_block(body_marker, content)
        else:
            sect_pr = self.body.find(tpl.SECT_PR)
            for el in content:
                if sect_pr is not None:
                    sect_pr.addprevious(el)
                else:
                    self.body.append(el)
        if self.variant == "responses":
            self._landscape()
        self.rev.write_parts(self.doc)
        self._write_marks()
        r = self.data.round
        set_core_properties(
            self.doc,
            title=clean(f"{r.symbol} {r.title}"),
            subject=clean(VARIANT_LABELS[self.variant]),
            author=SECRETARIAT,
            keywords=clean(f"{r.symbol}; {self.variant}; {r.marking}"),
            when=r.date,
        )
        self._tick(force=True)

    def _tick(self, force: bool = False) -> None:
        if self.progress is None:
            return
        if force or self.done % _PROGRESS_EVERY == 0:
            self.progress(min(self.done, self.total), self.total)

    def _cover_values(self) -> dict[str, str]:
        r: ExportRound = self.data.round
        variant = VARIANT_LABELS[self.variant]
        if self.variant == "redline" and self.data.base_label:
            variant = f"Changes since {self.data.base_label}, shown as tracked changes"
        if self.threads:
            variant += ", with open comments"
        values = {
            "WORKING_GROUP": r.working_group,
            "SYMBOL": r.symbol,
            "TITLE": r.title,
            "VARIANT": variant,
            "ROUND": r.round_label,
            "DATE": day(r.date, r.time_zone),
            "STATUS": r.status,
            "MARKING": r.marking,
            "DEADLINE": deadline_text(r.deadline, r.time_zone),
        }
        return {k: clean(v).replace("\n", " ") for k, v in values.items()}

    def _instructions(self, marker: Element) -> list[Element]:
        text = clean(self.data.round.instructions).strip()
        return [tpl.styled_copy(marker, line) for line in text.split("\n") if line.strip()]

    def _approval(self, marker: Element) -> list[Element]:
        r = self.data.round
        if not r.approvals:
            return []
        out = [tpl.styled_copy(marker, "Approved text")]
        for a in r.approvals:
            p = paragraph("ZDListBullet")
            p.extend(make_runs(f"Approved by {a.chair} on {day(a.date, r.time_zone)}, reference "))
            p.extend(make_runs(a.reference, style="ZDFieldLabel"))
            out.append(p)
        if r.content_hash:
            p = paragraph("ZDField")
            p.extend(make_runs("Content hash (SHA-256) of the approved text:"))
            out.append(p)
            h = paragraph("ZDHash")
            h.extend(make_runs(r.content_hash))
            out.append(h)
        return out

    def _default_cover(self, values: dict[str, str]) -> list[Element]:
        """A cover built from the styles, for a template without a {{BODY}} placeholder."""
        out = []
        for style, key in (
            ("ZDCoverGroup", "WORKING_GROUP"),
            ("ZDCoverSymbol", "SYMBOL"),
            ("Title", "TITLE"),
            ("ZDCoverVariant", "VARIANT"),
            ("ZDMarking", "MARKING"),
        ):
            p = paragraph(style)
            p.extend(make_runs(values[key]))
            out.append(p)
        for label, key in (
            ("Round: ", "ROUND"),
            ("Date: ", "DATE"),
            ("Status: ", "STATUS"),
            ("Deadline for input: ", "DEADLINE"),
        ):
            p = paragraph("ZDField")
            p.extend(make_runs(label, style="ZDFieldLabel"))
            p.extend(make_runs(values[key]))
            out.append(p)
        marker = paragraph("ZDInstructions")
        out.extend(self._instructions(marker))
        out.extend(self._approval(paragraph("ZDApproval")))
        return out

    # The draft text

    def _text(self) -> None:
        toc_at = len(self.out)
        note = self._note()
        sections = self.data.sections
        for section in sections:
            self._section(section)
        indicators = sorted(self.data.indicators, key=lambda i: i.dimension.position)
        groups: list[tuple[ExportDimension, list[ExportIndicator]]] = []
        for ind in indicators:
            if groups and groups[-1][0].code == ind.dimension.code:
                groups[-1][1].append(ind)
            else:
                groups.append((ind.dimension, [ind]))
        if indicators:
            part_runs = self._presence_runs(
                "Indicators", [self._heading_runs(i) for i in indicators]
            )
            p = self._heading("ZDPartHeading", [(part_runs, None)], level=1)
            self.out.append(p)
        dimension_codes = set()
        for dimension, members in groups:
            dimension_codes.add(dimension.code)
            self._dimension(dimension, members)
        if self.variant == "compilation":
            self._other_proposals(
                {s.code for s in sections} | {i.code for i in indicators} | dimension_codes
            )
        self._other_comments()
        end = paragraph("ZDEnd")
        end.extend(make_runs("* * *"))
        self.out.append(end)
        self._mark_text_start(toc_at)
        self.out[toc_at:toc_at] = self._contents() + note

    def _note(self) -> list[Element]:
        texts = {
            "redline": (
                "Changes since {base} are shown as tracked changes, each attributed to the "
                "delegation whose proposal produced it, or to the ASEAN Secretariat. Accepting "
                "all changes gives the text of {symbol}; rejecting all gives that of {base}."
            ),
            "compilation": (
                "Pending proposals are shown under the item they concern, in square brackets: "
                "underlined words would be added and struck-through words removed. Competing "
                "amendments of one item are numbered Alt 1, Alt 2, and so on."
            ),
        }
        text = texts.get(self.variant)
        if text is None:
            return []
        p = paragraph("ZDContentsNote")
        base = self.data.base_label or "the earlier round"
        p.extend(make_runs(text.format(base=base, symbol=self.data.round.symbol)))
        return [p]

    def _contents(self) -> list[Element]:
        heading = paragraph("TOCHeading")
        heading.extend(make_runs("Contents"))
        entries = self.toc or [(1, "", "")]
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
                # Entries without page numbers: Word fills them in when it updates the field
                # (it is marked dirty); other readers show the list as it is.
                link = sub(p, w("hyperlink"), {w("anchor"): bookmark, w("history"): "1"})
                link.extend(make_runs(text))
            if n == len(entries) - 1:
                r = sub(p, R)
                sub(r, w("fldChar"), {w("fldCharType"): "end"})
            out.append(p)
        return out

    def _heading(
        self,
        style: str,
        segments: Sequence[Segment],
        *,
        level: int | None,
        threads: Sequence[ExportComment] = (),
    ) -> Element:
        """A heading paragraph: its segments, a bookmark for the contents, comments anchored to
        the whole of it, its paragraph mark tracked when all of it comes or goes."""
        p = paragraph(style)
        runs = [r for seg, _ in segments for r in seg]
        old, new = _sides(runs)
        bookmark = None
        if level is not None and new:
            bookmark = f"_TocZD{len(self.toc) + 1:05d}"
            self.toc.append((level, new_text(runs), bookmark))
            bid = self._bookmark(p, bookmark)
        ids = self._open_threads(p, threads)
        for seg, seg_style in segments:
            self.rev.append_runs(p, seg, style=seg_style)
        self._close_threads(p, ids)
        if bookmark is not None:
            sub(p, w("bookmarkEnd"), {w("id"): bid})
        op = _op(old, new)
        if op != "equal":
            self.rev.track_paragraph(p, op, **_by(runs, op))
        return p

    def _mark_item(
        self,
        first: int,
        kind: Any,
        code: str,
        dimension: str | None,
        fields: dict[str, str],
        change: Change | None,
    ) -> None:
        """A bookmark over the item's paragraphs (self.out[first:]) and its manifest entry.
        A copy the export itself strikes out (a deleted or moved item in a redline) is not
        marked: it is no longer in the round."""
        name = marks.mark_name(kind, code)
        paragraphs = [el for el in self.out[first:] if el.tag == w("p")]
        if (change is not None and change.op == "delete") or not paragraphs:
            return
        if name in self.marked:
            return
        self.marked.add(name)
        head, last = paragraphs[0], paragraphs[-1]
        bid = self.rev.next_id()
        ppr = head.find(PPR)
        head.insert(
            0 if ppr is None else 1,
            etree.Element(w("bookmarkStart"), {w("id"): bid, w("name"): name}),
        )
        sub(last, w("bookmarkEnd"), {w("id"): bid})
        self.in_items.update(id(p) for p in paragraphs)
        hashes = {k: marks.short_hash(v) for k, v in fields.items() if v}
        self.manifest.items.append(marks.ItemEntry(name, kind, code, dimension, hashes))

    def _write_marks(self) -> None:
        """The custom properties and the manifest (app/word/marks.py)."""
        r = self.data.round
        manifest = self.manifest
        manifest.changes = set(self.rev.change_signatures)
        manifest.comments = set(self.rev.comment_signatures)
        dates = [marks.stamp(r.date)] + [d for _, d in manifest.changes | manifest.comments]
        manifest.as_of = max(dates)
        for el in self.out:
            for p in el.iter(w("p")):
                if id(p) not in self.in_items:
                    text = exported_text(p)
                    if text.strip():
                        manifest.other.add(marks.short_hash(text))
        values = {
            "zerodraft.format": marks.FORMAT,
            "zerodraft.round": clean(r.symbol),
            "zerodraft.variant": self.variant,
            "zerodraft.as_of": manifest.as_of,
            "zerodraft.text_hash": manifest.text_hash(),
        }
        if r.round_id is not None:
            values["zerodraft.round_id"] = str(r.round_id)
        if r.content_hash:
            values["zerodraft.content_hash"] = clean(r.content_hash)
        package_ = self.doc.part.package
        keep: list[Element] = []
        for rel in list(package_.rels.values()):
            if rel.reltype == RT.CUSTOM_PROPERTIES and not rel.is_external:
                try:
                    old = etree.fromstring(rel.target_part.blob)
                except etree.XMLSyntaxError:
                    old = None
                if old is not None:
                    keep = [
                        el for el in old if not str(el.get("name", "")).startswith(marks.PREFIX)
                    ]
                package_.rels.pop(rel.rId)
        custom = Part(
            PackURI("/docProps/custom.xml"),
            CT.OFC_CUSTOM_PROPERTIES,
            marks.custom_properties_xml(values, keep),
            package_,
        )
        package_.relate_to(custom, RT.CUSTOM_PROPERTIES)
        part = self.doc.part
        for rel in list(part.rels.values()):  # a manifest left in the template by an export
            if (
                rel.reltype == RT.CUSTOM_XML
                and not rel.is_external
                and marks.NS.encode() in rel.target_part.blob[:400]
            ):
                part.drop_rel(rel.rId)
        item = Part(
            package_.next_partname("/customXml/item%d.xml"),
            "application/xml",
            manifest.to_xml(),
            package_,
        )
        guid = marks.short_hash(f"{r.symbol}\t{self.variant}").upper()
        item_id = f"{{{guid[:8]}-{guid[8:12]}-{guid[12:16]}-0000-000000000000}}"
        props = Part(
            PackURI(item.partname.replace("/item", "/itemProps")),
            CT.OFC_CUSTOM_XML_PROPERTIES,
            (
                '<?xml version="1.0" encoding="UTF-8" standalone="no"?>'
                f'<ds:datastoreItem ds:itemID="{item_id}" xmlns:ds='
                '"http://schemas.openxmlformats.org/officeDocument/2006/customXml">'
                "<ds:schemaRefs/></ds:datastoreItem>"
            ).encode(),
            package_,
        )
        item.relate_to(props, RT.CUSTOM_XML_PROPS)
        part.relate_to(item, RT.CUSTOM_XML)

    def _bookmark(self, p: Element, name: str) -> str:
        bid = self.rev.next_id()
        sub(p, w("bookmarkStart"), {w("id"): bid, w("name"): name})
        return bid

    def _mark_text_start(self, at: int) -> None:
        """A bookmark where the draft text begins (tests and readers find the text by it)."""
        p = next(el for el in self.out[at:] if el.tag == w("p"))
        bid = self.rev.next_id()
        ppr = p.find(PPR)
        index = 0 if ppr is None else 1
        p.insert(index, etree.Element(w("bookmarkEnd"), {w("id"): bid}))
        p.insert(index, etree.Element(w("bookmarkStart"), {w("id"): bid, w("name"): TEXT_BOOKMARK}))

    def _open_threads(self, p: Element, threads: Sequence[ExportComment]) -> list[str]:
        ids: list[str] = []
        for thread in threads:
            for cid in self._comment_ids(thread):
                p.append(self.rev.range_start(cid))
                ids.append(cid)
        return ids

    def _close_threads(self, p: Element, ids: Sequence[str]) -> None:
        for cid in ids:
            p.append(self.rev.range_end(cid))
            p.append(self.rev.reference(cid))

    def _comment_ids(self, thread: ExportComment) -> list[str]:
        root = self.rev.comment(
            author=thread.author,
            initials=thread.initials,
            date=thread.date,
            body=_body(thread),
            done=thread.resolved,
        )
        ids = [root]
        for reply in thread.replies:
            ids.append(
                self.rev.comment(
                    author=reply.author,
                    initials=reply.initials,
                    date=reply.date,
                    body=_body(reply),
                    parent=root,
                    done=thread.resolved,
                )
            )
        return ids

    def _item_heading(
        self,
        style: str,
        segments: Sequence[Segment],
        target: str,
        fields: dict[str, str],
        *,
        level: int | None,
    ) -> tuple[Element, dict[str, dict[int, list[Element]]]]:
        """An item's heading, with the threads on no field (or whose words are gone) anchored
        to it; returns it with the comment marks of the item's fields."""
        on_heading: list[ExportComment] = []
        anchored: list[tuple[str, ExportComment, tuple[int, int]]] = []
        # Threads go to the item where it stands in this round: not to the struck-out copy of
        # an item that moved, nor to an item that went (those end under "other matters").
        present = _sides(r for seg, _ in segments for r in seg)[1]
        for thread in self.threads.pop(target, []) if present else []:
            text = fields.get(thread.field or "")
            span = _locate(thread, text) if text is not None else None
            if span is None:
                on_heading.append(thread)
            else:
                anchored.append((thread.field or "", thread, span))
        p = self._heading(style, segments, level=level, threads=on_heading)
        # Comment ids follow document order: the heading's threads, then the fields'.
        starts: dict[str, dict[int, list[Element]]] = defaultdict(lambda: defaultdict(list))
        ends: dict[str, dict[int, list[Element]]] = defaultdict(lambda: defaultdict(list))
        for name, thread, (start, end) in anchored:
            for cid in self._comment_ids(thread):
                starts[name][start].append(self.rev.range_start(cid))
                ends[name][end].extend([self.rev.range_end(cid), self.rev.reference(cid)])
        marks: dict[str, dict[int, list[Element]]] = {}
        for name in set(starts) | set(ends):
            marks[name] = {
                point: ends[name].get(point, []) + starts[name].get(point, [])
                for point in set(starts[name]) | set(ends[name])
            }
        return p, marks

    def _block(
        self,
        runs: Runs,
        style: str,
        *,
        label: str | None = None,
        marks: dict[int, list[Element]] | None = None,
        brackets: bool = False,
    ) -> None:
        """A field as one or more paragraphs (one per line), with an optional label; when the
        field exists on one side of the change only, its paragraphs are tracked whole."""
        old, new = _sides(runs)
        if not (old or new):
            return
        op = _op(old, new)
        who = _by(runs, op)
        lines = _lines(runs, marks or {})
        for n, line in enumerate(lines):
            p = paragraph(style)
            if n == 0 and label:
                self.rev.append_runs(
                    p, [Run(label, op, who["author"], who["date"])], style="ZDFieldLabel"
                )
            if n == 0 and brackets:
                p.extend(make_runs("[", style="ZDBracket"))
            self.rev.append_runs(p, line.runs, marks=line.marks)
            if n == len(lines) - 1:
                if brackets:
                    p.extend(make_runs("]", style="ZDBracket"))
                if op != "equal":
                    self.rev.track_paragraph(p, op, **who)
            elif line.end != "equal":
                self.rev.track_paragraph(p, line.end, author=line.author, date=line.date)
            self.out.append(p)

    def _section(self, section: ExportSection) -> None:
        ch = section.change
        title = _force(section.title, ch)
        text = _force(section.text, ch)
        segments = _join(
            [
                (_suffix(_force(section.number, ch), "."), None),
                (title, None),
                (_force(section.item_state, ch), "ZDStateTag"),
            ],
            " ",
        )
        fields = {"title": _shown(title), "text": _shown(text)}
        heading, marks = self._item_heading(
            "ZDSectionHeading", segments, section.code, fields, level=1
        )
        first = len(self.out)
        self.out.append(heading)
        self._block(text, "ZDSectionText", marks=marks.get("text"))
        self._mark_item(first, "section", section.code, None, fields, ch)
        if self.variant == "compilation":
            self._proposal_list(self.proposals.get(section.code, []))
        self.done += 1
        self._tick()

    def _heading_runs(self, ind: ExportIndicator) -> Runs:
        return _force((Run(ind.code),), ind.change)

    @staticmethod
    def _presence_runs(text: str, members: Sequence[Runs]) -> Runs:
        old = any(_sides(m)[0] for m in members)
        new = any(_sides(m)[1] for m in members)
        op = _op(old, new)
        flat = [r for m in members for r in m]
        author, date = _who(flat, op) if op != "equal" else (None, None)
        return (Run(text, op, author, date),)

    def _dimension(self, dimension: ExportDimension, members: list[ExportIndicator]) -> None:
        title = self._presence_runs(dimension.title, [self._heading_runs(i) for i in members])
        code = (replace(title[0], text=f" ({dimension.code})"),)
        heading = self._heading("ZDDimensionHeading", [(title, None), (code, None)], level=2)
        name = marks.mark_name("dimension", dimension.code)
        if name not in self.manifest.dimensions and _sides(title)[1]:
            self.manifest.dimensions[name] = dimension.code
            bid = self._bookmark(heading, name)
            sub(heading, w("bookmarkEnd"), {w("id"): bid})
        self.out.append(heading)
        if dimension.description:
            self._block((replace(title[0], text=dimension.description),), "ZDDimensionDescription")
        for ind in members:
            self._indicator(ind)
        if self.variant == "compilation":
            self._proposal_list(self.proposals.get(dimension.code, []), new_items=True)

    def _indicator(self, ind: ExportIndicator) -> None:
        ch = ind.change
        text = _force(ind.text, ch)
        guidance = _force(ind.guidance, ch)
        sources = _force(ind.information_sources, ch)
        references = _force(ind.references, ch)
        segments = _join(
            [
                (_suffix(_force(ind.number, ch), "."), "ZDIndicatorNumber"),
                (self._heading_runs(ind), "ZDIndicatorCode"),
                (_force(ind.item_state, ch), "ZDStateTag"),
            ],
            "  ",
        )
        fields = {
            "text": _shown(text),
            "guidance": _shown(guidance),
            "information_sources": _shown(sources),
            "references": _shown(references),
        }
        heading, marks = self._item_heading(
            "ZDIndicatorHeading", segments, ind.code, fields, level=None
        )
        first = len(self.out)
        self.out.append(heading)
        bracketed = self.variant == "compilation" and new_text(ind.item_state) in (
            "bracketed",
            "alternatives",
        )
        self._block(text, "ZDIndicatorText", marks=marks.get("text"), brackets=bracketed)
        self._strength_rows(_force(ind.strength_adult, ch), _force(ind.strength_child, ch))
        for name, label in FIELD_LABELS:
            self._block(_force(getattr(ind, name), ch), "ZDField", label=label)
        self._block(guidance, "ZDGuidance", label="Guidance note: ", marks=marks.get("guidance"))
        self._block(
            sources,
            "ZDReferences",
            label="Information sources: ",
            marks=marks.get("information_sources"),
        )
        self._block(references, "ZDReferences", label="References: ", marks=marks.get("references"))
        for name in ("strength_adult", "strength_child", *(n for n, _ in FIELD_LABELS)):
            fields[name] = _shown(_force(getattr(ind, name), ch))
        self._mark_item(first, "indicator", ind.code, ind.dimension.code, fields, ch)
        if self.variant == "compilation":
            self._proposal_list(self.proposals.get(ind.code, []))
        self.done += 1
        self._tick()

    def _strength_rows(self, adult: Runs, child: Runs) -> None:
        """The small strength table, one paragraph per row (ZD Strength Header / Row styles
        draw it). Rows come and go with their value, the header with the last row."""
        rows = [("Adult\t", adult), ("Child\t", child)]
        present = [(label, runs) for label, runs in rows if any(_sides(runs))]
        if not present:
            return
        header = self._presence_runs("Profile\tStrength", [runs for _, runs in present])
        self._block(header, "ZDStrengthHeader")
        for label, runs in present:
            old, new = _sides(runs)
            op = _op(old, new)
            who = _by(runs, op)
            self._block((Run(label, op, who["author"], who["date"]), *runs), "ZDStrengthRow")

    # The compilation

    def _proposal_list(self, proposals: Sequence[ExportProposal], new_items: bool = False) -> None:
        for proposal in proposals:
            self._proposal(proposal, new_item=new_items)

    def _proposal(self, proposal: ExportProposal, *, new_item: bool) -> None:
        fields = {f.name: _shown(f.runs) for f in proposal.fields}
        head: list[Segment] = []
        if proposal.alternative is not None:
            head.append(((Run(f"Alt {proposal.alternative}"),), "ZDAlternative"))
        title = f"{proposal.reference}: {proposal.kind}"
        if new_item:
            title = f"{proposal.reference}: new indicator proposed"
        head.append(((Run(title),), None))
        by = proposal.delegation
        if proposal.co_sponsors:
            by += ", co-sponsored by " + ", ".join(proposal.co_sponsors)
        head.append(((Run(by),), None))
        head.append(((Run(proposal.state),), "ZDStateTag"))
        heading, marks = self._item_heading(
            "ZDProposalHeading",
            _join(head, "  \u00b7  "),
            proposal.reference,
            fields,
            level=None,
        )
        self.out.append(heading)
        for f in proposal.fields:
            p = paragraph("ZDProposalText")
            p.extend(make_runs(f"{f.label}: ", style="ZDFieldLabel"))
            p.extend(make_runs("[", style="ZDBracket"))
            self.rev.append_runs(p, f.runs, marks=marks.get(f.name), show=SHOW_PROPOSED)
            p.extend(make_runs("]", style="ZDBracket"))
            self.out.append(p)
        if proposal.rationale:
            p = paragraph("ZDProposalMeta")
            p.extend(make_runs("Rationale: ", style="ZDFieldLabel"))
            p.extend(make_runs(proposal.rationale))
            self.out.append(p)
        for position in proposal.positions:
            p = paragraph("ZDListBullet")
            p.extend(make_runs(f"{position.delegation}: ", style="ZDFieldLabel"))
            statement = f" \u2013 {position.statement}" if position.statement else ""
            p.extend(make_runs(position.stance + statement))
            self.out.append(p)

    def _other_proposals(self, shown: set[str]) -> None:
        rest = [p for t, ps in self.proposals.items() if t not in shown for p in ps]
        if not rest:
            return
        self.out.append(
            self._heading("ZDPartHeading", [((Run("Other proposals"),), None)], level=1)
        )
        self._proposal_list(rest)

    def _other_comments(self) -> None:
        """Threads on nothing this text shows, each anchored to a line naming its target."""
        rest = [t for ts in self.threads.values() for t in ts]
        self.threads.clear()
        if not rest:
            return
        self.out.append(
            self._heading("ZDPartHeading", [((Run("Comments on other matters"),), None)], level=1)
        )
        for thread in rest:
            p = paragraph("ZDField")
            ids = self._open_threads(p, [thread])
            p.extend(make_runs(f"{thread.reference} ({thread.target or 'general'})"))
            self._close_threads(p, ids)
            self.out.append(p)

    # The comment-response table

    def _responses(self) -> None:
        self.out.append(self._section_break())
        heading = self._heading(
            "ZDSectionHeading",
            [((Run("Comment-response table"),), None)],
            level=None,
        )
        self.out.append(heading)
        rows = self.data.responses
        intro = paragraph("ZDContentsNote")
        intro.extend(
            make_runs(
                f"Every proposal and comment received in {self.data.round.symbol}, with the "
                "secretariat's answer and what became of it."
                if rows
                else f"No proposals or comments were received in {self.data.round.symbol}."
            )
        )
        self.out.append(intro)
        if rows:
            self.out.append(self._response_table())
            self.out.append(paragraph("ZDField"))
        self.out.append(self._threads_paragraph())
        self._mark_text_start(1)

    def _threads_paragraph(self) -> Element:
        p = paragraph("ZDField")
        threads = [t for ts in self.threads.values() for t in ts]
        ids = self._open_threads(p, threads)
        if threads:
            p.extend(make_runs(f"Open comment threads: {len(threads)}"))
        self._close_threads(p, ids)
        return p

    def _response_table(self) -> Element:
        widths = ("1134", "1985", "1417", "4253", "3827", "1417")
        heads = ("No.", "Delegation", "Item", "Summary of input", "Answer", "Outcome")
        tbl = etree.Element(w("tbl"))
        tbl_pr = sub(tbl, w("tblPr"))
        sub(tbl_pr, w("tblStyle"), {w("val"): "ZDResponseTable"})
        sub(tbl_pr, w("tblW"), {w("w"): "5000", w("type"): "pct"})
        sub(tbl_pr, w("tblLayout"), {w("type"): "fixed"})
        sub(
            tbl_pr,
            w("tblLook"),
            {
                w("val"): "04A0",
                w("firstRow"): "1",
                w("lastRow"): "0",
                w("firstColumn"): "0",
                w("lastColumn"): "0",
                w("noHBand"): "0",
                w("noVBand"): "1",
            },
        )
        grid = sub(tbl, w("tblGrid"))
        for width in widths:
            sub(grid, w("gridCol"), {w("w"): width})
        self._plain_row(tbl, heads, widths, header=True)
        # A thread is anchored to the summary of the row that lists it.
        by_reference = {t.reference: t for ts in self.threads.values() for t in ts}
        for row in self.data.responses:
            tr = self._plain_row(
                tbl,
                (
                    f"{row.number}\n{row.reference}",
                    row.delegation,
                    row.item,
                    row.summary,
                    row.answer,
                    row.outcome,
                ),
                widths,
            )
            thread = by_reference.get(row.reference)
            if thread is not None:
                self.threads[thread.target].remove(thread)
                summary = tr.findall(w("tc"))[3].find(w("p"))  # a cell paragraph: no pPr
                ids = self._comment_ids(thread)
                for cid in reversed(ids):
                    summary.insert(0, self.rev.range_start(cid))
                self._close_threads(summary, ids)
            self.done += 1
            self._tick()
        return tbl

    @staticmethod
    def _plain_row(
        tbl: Element, values: Sequence[str], widths: Sequence[str], *, header: bool = False
    ) -> Element:
        tr = sub(tbl, w("tr"))
        if header:
            sub(sub(tr, w("trPr")), w("tblHeader"))
        for value, width in zip(values, widths, strict=True):
            tc = sub(tr, w("tc"))
            sub(sub(tc, w("tcPr")), w("tcW"), {w("w"): width, w("type"): "dxa"})
            p = sub(tc, w("p"))
            p.extend(make_runs(value))
        return tr

    def _section_break(self) -> Element:
        """The end of the cover's (portrait) section."""
        p = paragraph()
        sect_pr = self.body.find(tpl.SECT_PR)
        if sect_pr is not None:
            ppr = p.find(PPR)
            if ppr is None:
                ppr = sub(p, PPR)
            ppr.append(etree.fromstring(etree.tostring(sect_pr)))
        return p

    def _landscape(self) -> None:
        sect_pr = self.body.find(tpl.SECT_PR)
        if sect_pr is not None:
            sect_pr.addprevious(tpl.landscape_copy(sect_pr))
            self.body.remove(sect_pr)


def exported_text(p: Element) -> str:
    """A paragraph's text with its tracked changes accepted (tabs and breaks as characters)."""
    out = []
    for el in p.iter(T, TAB, BR):
        if el.tag == TAB:
            out.append("\t")
        elif el.tag == BR:
            out.append("\n")
        else:
            out.append(el.text or "")
    return "".join(out)


def _body(comment: ExportComment) -> str:
    return f"{comment.reference}: {comment.body}" if comment.reference else comment.body


def _by(runs: Iterable[Run], op: Op) -> dict[str, Any]:
    author, date = _who(runs, op) if op != "equal" else (None, None)
    return {"author": author, "date": date}
