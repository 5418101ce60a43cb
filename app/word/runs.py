"""Runs as the writer lays them out: on which side of a change they exist, an item's whole
change forced onto its fields, segments joined with separators, fields cut into lines.

A paragraph exists on the old side of a redline when it has text that is not inserted, on the
new side when it has text that is not deleted; one that exists on one side only is tracked
whole (app/word/revisions.py).
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from app.word.model import Change, Op, Run, Runs, new_text
from app.word.revisions import Element, clean

Segment = tuple[Runs, str | None]  # runs and their character style
_LINE_ENDS = re.compile("(\n)")


def sides(runs: Iterable[Run]) -> tuple[bool, bool]:
    """Whether the runs have text on the old side, and on the new side, of the change."""
    old = new = False
    for r in runs:
        if r.text:
            old = old or r.op != "insert"
            new = new or r.op != "delete"
    return old, new


def op_for(old: bool, new: bool) -> Op:
    """The change of something that exists on the old side, the new side, or both."""
    return "equal" if old == new else ("insert" if new else "delete")


def who(runs: Iterable[Run], op: Op) -> tuple[str | None, datetime | None]:
    """The author and date of the first run that made the change `op`."""
    for r in runs:
        if r.op == op and r.text:
            return r.author, r.date
    return None, None


def by(runs: Iterable[Run], op: Op) -> dict[str, Any]:
    """who() as the keyword arguments of Revisions.track_paragraph."""
    author, date = who(runs, op) if op != "equal" else (None, None)
    return {"author": author, "date": date}


def forced(runs: Runs, change: Change | None) -> Runs:
    """A field of an item inserted or deleted whole: every run carries the item's change."""
    if change is None:
        return runs
    return tuple(
        Run(r.text, change.op, change.author, change.date)
        for r in runs
        if r.text and r.op in ("equal", change.op)
    )


def shown(runs: Runs) -> str:
    """A field's text as the document shows it after the changes (comment offsets count in
    it)."""
    return clean(new_text(runs))


def suffixed(runs: Runs, suffix: str) -> Runs:
    return tuple(replace(r, text=r.text + suffix) for r in runs if r.text)


def presence(text: str, members: Sequence[Runs]) -> Runs:
    """`text` as one run that exists on a side of the change where any of `members` does (a
    heading over items that may come or go)."""
    old = any(sides(m)[0] for m in members)
    new = any(sides(m)[1] for m in members)
    op = op_for(old, new)
    flat = [r for m in members for r in m]
    author, date = who(flat, op) if op != "equal" else (None, None)
    return (Run(text, op, author, date),)


def joined(segments: Sequence[Segment], sep: str) -> list[Segment]:
    """Segments with separators between them; a separator exists on a side of the change when
    there is text on that side both before and after it."""
    out: list[Segment] = []
    before_old = before_new = False
    for runs, style in segments:
        old, new = sides(runs)
        if not (old or new):
            continue
        sep_old, sep_new = before_old and old, before_new and new
        if sep_old or sep_new:
            op = op_for(sep_old, sep_new)
            author, date = who(runs, op) if op != "equal" else (None, None)
            out.append(((Run(sep, op, author, date),), None))
        out.append((runs, style))
        before_old, before_new = before_old or old, before_new or new
    return out


def squeezed(runs: Runs, marks: dict[int, list[Element]]) -> tuple[Runs, dict[int, list[Element]]]:
    """The runs without blank lines, on either side of the change: no empty paragraph stands
    for a blank line, a line end that begins or ends the field, or one of several in a row. A
    line end needed on one side only becomes that side's (inserted or deleted); marks (offsets
    in the text after the changes) move with the text."""
    pieces: list[Run] = []
    for run in runs:
        text = clean(run.text)
        if "\n" not in text:
            if text:
                pieces.append(replace(run, text=text))
            continue
        for part in _LINE_ENDS.split(text):
            if part:
                pieces.append(replace(run, text=part))
    redundant: dict[int, set[str]] = {}
    for side, hidden in (("old", "insert"), ("new", "delete")):
        have_text = False
        last_kept: int | None = None
        for n, piece in enumerate(pieces):
            if piece.op == hidden:
                continue
            if piece.text != "\n":
                have_text = True
            elif have_text:
                last_kept, have_text = n, False
            else:
                redundant.setdefault(n, set()).add(side)
        if last_kept is not None and not have_text:
            redundant.setdefault(last_kept, set()).add(side)
    if not redundant:
        return runs, marks
    out: list[Run] = []
    removed: list[int] = []  # offsets (after the changes) of the line ends no longer there
    at = 0
    for n, piece in enumerate(pieces):
        shown_before = piece.op != "delete"
        if n in redundant:
            seen = {s for s, hidden in (("old", "insert"), ("new", "delete")) if piece.op != hidden}
            keep = seen - redundant[n]
            if not keep:
                piece = replace(piece, text="")
            elif keep != seen:
                piece = replace(piece, op="insert" if keep == {"new"} else "delete")
            if shown_before and (not piece.text or piece.op == "delete"):
                removed.append(at)
        if shown_before:
            at += len(pieces[n].text)
        if piece.text:
            out.append(piece)
    if not marks:
        return tuple(out), marks
    moved: dict[int, list[Element]] = {}
    for point, els in marks.items():
        moved.setdefault(point - sum(1 for r in removed if r < point), []).extend(els)
    return tuple(out), moved


@dataclass(slots=True)
class Line:
    runs: list[Run]
    marks: dict[int, list[Element]]
    end: Op
    author: str | None
    date: datetime | None


def lines(runs: Runs, marks: dict[int, list[Element]]) -> list[Line]:
    """Cut runs into paragraphs at line ends; a line end's change is the paragraph mark's.
    Marks (offsets in the text after the changes) move to the line they fall in."""
    out: list[Line] = []
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
        out.append(Line(current.copy(), local, end, author, date))
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
    return out
