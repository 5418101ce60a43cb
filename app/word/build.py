"""One export being built: what its steps share, and the paragraphs they all make.

A variant of the export is a Recipe (app/word/writer.py lists them): its label, and the steps
that write it, in order. A step is a function of the Build: the python-docx document, the data,
the body written so far (`front`: what stands before the draft text; `out`: the text), the
contents entries, the open comment threads still to anchor, the bookmarks and the manifest
(app/word/marks.py), and the Revisions that give every change, comment and bookmark its id.
Ids are handed out in document order, so the steps run in the order of the document.
"""

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

from app.word import marks
from app.word import template as tpl
from app.word.model import (
    SECRETARIAT,
    Change,
    ExportComment,
    ExportDocument,
    ExportProposal,
    Run,
    Runs,
    Variant,
    new_text,
)
from app.word.revisions import (
    PPR,
    Element,
    Revisions,
    clean,
    make_runs,
    paragraph,
    set_property,
    sub,
    w,
)
from app.word.runs import Segment, by, lines, op_for, sides, squeezed

Progress = Callable[[int, int], None]
Step = Callable[["Build"], None]
Marks = dict[int, list[Element]]  # comment marks at offsets of a field's shown text
_PROGRESS_EVERY = 25


def items(data: ExportDocument) -> int:
    return len(data.sections) + len(data.indicators)


@dataclass(frozen=True, slots=True)
class Recipe:
    """One variant of the export: what it is called and the steps that write it, in order."""

    label: str  # on the cover and in the document's subject
    steps: tuple[Step, ...]
    label_since: str = ""  # the cover's label when the data names a base round ({base})
    note: str = ""  # under the contents ({base}, {symbol} filled in)
    proposals: bool = False  # pending proposals stand under their items, with their threads
    brackets: frozenset[str] = frozenset()  # item states whose indicator text stands in [ ]
    counts: Callable[[ExportDocument], int] = items  # what progress reports, of how many


class Build:
    def __init__(
        self,
        doc: Any,
        data: ExportDocument,
        variant: Variant,
        recipe: Recipe,
        *,
        include_comments: bool,
        progress: Progress | None,
    ) -> None:
        self.doc = doc
        self.data = data
        self.variant = variant
        self.recipe = recipe
        self.progress = progress
        self.rev = Revisions(default_author=SECRETARIAT, default_date=data.round.date)
        self.body = doc.element.body
        self.body_marker: Element | None = None  # the template's {{BODY}} paragraph, if any
        self.front: list[Element] = []  # before the draft text: a cover the template lacks
        self.out: list[Element] = []  # the draft text
        self.toc: list[tuple[int, str, str]] = []  # (level, text, bookmark) of the contents
        # The contents' page numbers: each PAGEREF's shown result, filled once laid out.
        self.page_refs: list[tuple[str, Element]] = []
        self.lists: dict[str, str] = {}  # a list's name -> its numId in the numbering part
        self.done = 0
        self.total = recipe.counts(data)
        self.threads = _threads(data, recipe.proposals) if include_comments else {}
        self.manifest = marks.Manifest(
            round_symbol=clean(data.round.symbol), variant=variant, as_of=""
        )
        self.in_items: set[int] = set()  # id() of the paragraphs inside an item's bookmark
        self.marked: set[str] = set()  # bookmark names given
        self.proposals: dict[str, list[ExportProposal]] = defaultdict(list)
        if recipe.proposals:
            for proposal in data.proposals:
                self.proposals[proposal.target].append(proposal)
        # Where the delegations stand on each item's text as it stands, where proposals show.
        self.standing = {s.target: s for s in data.standing} if recipe.proposals else {}

    def run(self) -> None:
        for step in self.recipe.steps:
            step(self)

    def tick(self, force: bool = False) -> None:
        if self.progress is None:
            return
        if force or self.done % _PROGRESS_EVERY == 0:
            self.progress(min(self.done, self.total), self.total)

    def item_done(self) -> None:
        self.done += 1
        self.tick()

    # Paragraphs

    def heading(
        self,
        style: str,
        segments: Sequence[Segment],
        *,
        level: int | None,
        threads: Sequence[ExportComment] = (),
        number: str = "",
    ) -> Element:
        """A heading paragraph: its segments, a bookmark for the contents, comments anchored to
        the whole of it, its paragraph mark tracked when all of it comes or goes. `number` is
        what a list numbering the heading shows, for its line in the contents."""
        p = paragraph(style)
        runs = [r for seg, _ in segments for r in seg]
        old, new = sides(runs)
        bookmark = None
        if level is not None and new:
            bookmark = f"_TocZD{len(self.toc) + 1:05d}"
            label = f"{number}\t" if number else ""
            self.toc.append((level, label + new_text(runs), bookmark))
            bid = self.bookmark(p, bookmark)
        ids = self.open_threads(p, threads)
        for seg, seg_style in segments:
            self.rev.append_runs(p, seg, style=seg_style)
        self.close_threads(p, ids)
        if bookmark is not None:
            sub(p, w("bookmarkEnd"), {w("id"): bid})
        op = op_for(old, new)
        if op != "equal":
            self.rev.track_paragraph(p, op, **by(runs, op))
        return p

    def item_heading(
        self,
        style: str,
        segments: Sequence[Segment],
        target: str,
        fields: dict[str, str],
        *,
        level: int | None,
        number: str = "",
    ) -> tuple[Element, dict[str, Marks]]:
        """An item's heading, with the threads on no field (or whose words are gone) anchored
        to it; returns it with the comment marks of the item's fields."""
        on_heading: list[ExportComment] = []
        anchored: list[tuple[str, ExportComment, tuple[int, int]]] = []
        # Threads go to the item where it stands in this round: not to the struck-out copy of
        # an item that moved, nor to an item that went (those end under "other matters").
        present = sides(r for seg, _ in segments for r in seg)[1]
        for thread in self.threads.pop(target, []) if present else []:
            text = fields.get(thread.field or "")
            span = _locate(thread, text) if text is not None else None
            if span is None:
                on_heading.append(thread)
            else:
                anchored.append((thread.field or "", thread, span))
        p = self.heading(style, segments, level=level, threads=on_heading, number=number)
        # Comment ids follow document order: the heading's threads, then the fields'.
        starts: dict[str, Marks] = defaultdict(lambda: defaultdict(list))
        ends: dict[str, Marks] = defaultdict(lambda: defaultdict(list))
        for name, thread, (start, end) in anchored:
            for cid in self.comment_ids(thread):
                starts[name][start].append(self.rev.range_start(cid))
                ends[name][end].extend([self.rev.range_end(cid), self.rev.reference(cid)])
        field_marks: dict[str, Marks] = {}
        for name in set(starts) | set(ends):
            field_marks[name] = {
                point: ends[name].get(point, []) + starts[name].get(point, [])
                for point in set(starts[name]) | set(ends[name])
            }
        return p, field_marks

    def block(
        self,
        runs: Runs,
        style: str,
        *,
        label: str | None = None,
        marks: Marks | None = None,
        brackets: bool = False,
        numbered: str | None = None,
        keep: bool = False,
    ) -> None:
        """A field as one or more paragraphs (one per line, blank lines left out), with an
        optional label; when the field exists on one side of the change only, its paragraphs
        are tracked whole. `numbered` names the list that numbers each paragraph; `keep` keeps
        the field's paragraphs with the next (a labelled field's lines are kept together)."""
        runs, marks = squeezed(runs, marks or {})
        old, new = sides(runs)
        if not (old or new):
            return
        op = op_for(old, new)
        made_by = by(runs, op)
        cut = lines(runs, marks)
        for n, line in enumerate(cut):
            p = paragraph(style)
            if numbered is not None:
                num = set_property(p, "numPr")
                sub(num, w("ilvl"), {w("val"): "0"})
                sub(num, w("numId"), {w("val"): self.list_id(numbered)})
            if keep or (label and n < len(cut) - 1):
                set_property(p, "keepNext")
            if n == 0 and label:
                self.rev.append_runs(
                    p, [Run(label, op, made_by["author"], made_by["date"])], style="ZDFieldLabel"
                )
            if n == 0 and brackets:
                p.extend(make_runs("[", style="ZDBracket"))
            self.rev.append_runs(p, line.runs, marks=line.marks)
            if n == len(cut) - 1:
                if brackets:
                    p.extend(make_runs("]", style="ZDBracket"))
                if op != "equal":
                    self.rev.track_paragraph(p, op, **made_by)
            elif line.end != "equal":
                self.rev.track_paragraph(p, line.end, author=line.author, date=line.date)
            self.out.append(p)

    # Marks

    def mark_item(
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
        shown = {k: visible_lines(v) for k, v in fields.items()}
        hashes = {k: marks.short_hash(v) for k, v in shown.items() if v}
        self.manifest.items.append(marks.ItemEntry(name, kind, code, dimension, hashes))

    def list_id(self, name: str) -> str:
        """The numId of one of the export's lists (app/word/template.py LISTS), added to the
        numbering part the first time it is asked for."""
        if name not in self.lists:
            self.lists[name] = tpl.add_list(self.doc, name)
        return self.lists[name]

    def bookmark(self, p: Element, name: str) -> str:
        bid = self.rev.next_id()
        sub(p, w("bookmarkStart"), {w("id"): bid, w("name"): name})
        return bid

    # Comments

    def open_threads(self, p: Element, threads: Sequence[ExportComment]) -> list[str]:
        ids: list[str] = []
        for thread in threads:
            for cid in self.comment_ids(thread):
                p.append(self.rev.range_start(cid))
                ids.append(cid)
        return ids

    def close_threads(self, p: Element, ids: Sequence[str]) -> None:
        for cid in ids:
            p.append(self.rev.range_end(cid))
            p.append(self.rev.reference(cid))

    def comment_ids(self, thread: ExportComment) -> list[str]:
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


def visible_lines(text: str) -> str:
    """A field's text as its paragraphs hold it: without the blank lines (Build.block writes no
    empty paragraph), as a copy read back gives it."""
    return "\n".join(line for line in text.split("\n") if line)


def _threads(data: ExportDocument, proposals_shown: bool) -> dict[str, list[ExportComment]]:
    """The open threads by what they are anchored to: an item's code, or a proposal's reference
    where the variant shows the proposal (elsewhere the thread goes to the item it concerns)."""
    threads: dict[str, list[ExportComment]] = defaultdict(list)
    pending = {p.reference: p.target for p in data.proposals}
    for thread in data.comments:
        target = thread.target
        if not proposals_shown and target in pending:
            thread = replace(
                thread,
                target=pending[target],
                field=None,
                body=f"On proposal {target}: {thread.body}",
            )
        threads[thread.target].append(thread)
    return threads


def _locate(thread: ExportComment, text: str) -> tuple[int, int] | None:
    """Where a thread's quote stands in its field's text, or None."""
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


def _body(comment: ExportComment) -> str:
    return f"{comment.reference}: {comment.body}" if comment.reference else comment.body
