"""From two clean texts to a redline: which items came, went or stayed, and who changed which
words. Pure; the writer renders the result without knowing any diff.

Words are attributed through a chain of versions: `attributed_runs(base, steps)` diffs each
version against the next (app.text.diff.word_diff) and carries every word's origin along, so a
word inserted by one delegation's proposal and later reworded by the secretariat shows as the
secretariat's, and a base word deleted at any step shows as deleted by that step's author.
"""

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from difflib import SequenceMatcher
from typing import Any, Literal, Protocol, TypeVar

from app.text.diff import word_diff
from app.word.model import (
    Change,
    ExportDocument,
    ExportIndicator,
    ExportSection,
    Run,
    Runs,
    new_text,
)

K = TypeVar("K")


@dataclass(frozen=True, slots=True)
class Step:
    """One version of a text and who made it, when."""

    text: str
    author: str
    date: datetime


def _merge(runs: list[Run]) -> Runs:
    out: list[Run] = []
    for r in runs:
        if not r.text:
            continue
        if out and (out[-1].op, out[-1].author, out[-1].date) == (r.op, r.author, r.date):
            out[-1] = replace(out[-1], text=out[-1].text + r.text)
        else:
            out.append(r)
    return tuple(out)


def attributed_runs(base: str, steps: Sequence[Step]) -> Runs:
    """Runs from `base` to the last step's text: old_text(runs) == base and
    new_text(runs) == steps[-1].text, each change attributed to the step that made it."""
    runs: list[Run] = [Run(base)] if base else []
    for step in steps:
        current = new_text(runs)
        if step.text == current:
            continue
        runs = _apply(runs, word_diff(current, step.text), step)
    return _merge(runs)


def _apply(runs: list[Run], chunks: Sequence[object], step: Step) -> list[Run]:
    out: list[Run] = []
    queue = list(runs)
    i = 0  # index into queue
    offset = 0  # characters of queue[i] already consumed

    def flush_dead() -> None:
        nonlocal i, offset
        while i < len(queue) and queue[i].op == "delete":
            out.append(queue[i])
            i += 1
            offset = 0

    for chunk in chunks:
        op, text = chunk.op, chunk.text  # type: ignore[attr-defined]
        if op == "insert":
            out.append(Run(text, "insert", step.author, step.date))
            continue
        need = len(text)
        while need:
            flush_dead()
            live = queue[i]
            take = min(need, len(live.text) - offset)
            piece = live.text[offset : offset + take]
            if op == "equal":
                out.append(replace(live, text=piece))
            elif live.op == "equal":  # a base word goes: deleted by this step
                out.append(Run(piece, "delete", step.author, step.date))
            # else: words inserted by an earlier step and now deleted were never in the base
            need -= take
            offset += take
            if offset == len(live.text):
                i += 1
                offset = 0
    out.extend(queue[i:] if offset == 0 else [replace(queue[i], text=queue[i].text[offset:])])
    return out


Presence = Literal["both", "old", "new"]


def merge_order(old: Sequence[K], new: Sequence[K]) -> list[tuple[K, Presence]]:
    """One reading order holding both sequences: an item kept in place is "both"; one only in
    the old text (or moved away from here) is "old", one only in the new text is "new". Each
    side keeps its own order."""
    out: list[tuple[K, Presence]] = []
    matcher = SequenceMatcher(a=list(old), b=list(new), autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            out.extend((k, "both") for k in old[a0:a1])
            continue
        out.extend((k, "old") for k in old[a0:a1])
        out.extend((k, "new") for k in new[b0:b1])
    return out


class Attribution(Protocol):
    def field(self, code: str, name: str, old: str, new: str) -> Runs:
        """The runs from old to new of one field of one item."""
        ...

    def item(self, code: str, op: Literal["insert", "delete"]) -> tuple[str, datetime]:
        """Who added or removed a whole item, and when."""
        ...


@dataclass(frozen=True, slots=True)
class Uniform:
    """Every change by one author at one date."""

    author: str
    date: datetime

    def field(self, code: str, name: str, old: str, new: str) -> Runs:
        return attributed_runs(old, [Step(new, self.author, self.date)])

    def item(self, code: str, op: Literal["insert", "delete"]) -> tuple[str, datetime]:
        return self.author, self.date


_SECTION_FIELDS = ("number", "title", "text", "item_state")
_INDICATOR_FIELDS = tuple(
    f.name for f in fields(ExportIndicator) if f.name not in ("code", "dimension", "change")
)


def redline_between(
    old: ExportDocument, new: ExportDocument, attribution: Attribution
) -> ExportDocument:
    """The redline of two clean texts: the new round's document (its proposals, comments and
    responses included) whose items carry the changes from the old one. An indicator that
    changed dimension is removed from the old one and added to the new one."""
    old_sections = {s.code: s for s in old.sections}
    new_sections = {s.code: s for s in new.sections}
    sections: list[ExportSection] = []
    for code, presence in merge_order(list(old_sections), list(new_sections)):
        if presence == "both":
            a, b = old_sections[code], new_sections[code]
            changed: dict[str, Any] = {
                name: attribution.field(
                    code, name, new_text(getattr(a, name)), new_text(getattr(b, name))
                )
                for name in _SECTION_FIELDS
            }
            sections.append(replace(b, **changed))
        else:
            section = (old_sections if presence == "old" else new_sections)[code]
            sections.append(replace(section, change=_whole(attribution, code, presence)))

    def key(i: ExportIndicator) -> tuple[str, str]:
        return i.dimension.code, i.code

    old_ind = {key(i): i for i in old.indicators}
    new_ind = {key(i): i for i in new.indicators}
    indicators: list[ExportIndicator] = []
    for k, presence in merge_order(list(old_ind), list(new_ind)):
        if presence == "both":
            ai, bi = old_ind[k], new_ind[k]
            changed_ind: dict[str, Any] = {
                name: attribution.field(
                    k[1], name, new_text(getattr(ai, name)), new_text(getattr(bi, name))
                )
                for name in _INDICATOR_FIELDS
            }
            indicators.append(replace(bi, **changed_ind))
        else:
            indicator = (old_ind if presence == "old" else new_ind)[k]
            indicators.append(replace(indicator, change=_whole(attribution, k[1], presence)))
    return replace(
        new,
        sections=tuple(sections),
        indicators=tuple(indicators),
        base_label=old.round.symbol,
    )


def _whole(attribution: Attribution, code: str, presence: Presence) -> Change:
    op: Literal["insert", "delete"] = "insert" if presence == "new" else "delete"
    author, date = attribution.item(code, op)
    return Change(op, author, date)


# Reading back: the export's own changes rejected


@dataclass(frozen=True, slots=True)
class Rejected:
    """The export's own tracked changes that a returned text rejects: words the export showed
    as inserted that are gone, and words it showed as deleted that are back."""

    inserted: tuple[str, ...]  # insertions rejected (the words are not in the returned text)
    deleted: tuple[str, ...]  # deletions rejected (the words are kept)

    def describe(self) -> str:
        """'the insertion of "confiscated" and the deletion of "taken"'."""
        parts = [f"the insertion of {_quoted(t)}" for t in self.inserted]
        parts += [f"the deletion of {_quoted(t)}" for t in self.deleted]
        if len(parts) <= 1:
            return "".join(parts)
        return ", ".join(parts[:-1]) + " and " + parts[-1]


# How many of the export's changes in one field are tried in every combination (2**n texts); a
# field with more is matched only with all of them, or a single one, rejected.
_COMBINED = 10


def rejected_changes(earlier: str, exported: str, returned: str) -> Rejected | None:
    """Which of the changes a redline showed from `earlier` to `exported` (a word diff, as the
    redline writes them) the `returned` text rejects, or None when it is not `exported` with
    some of them rejected (and nothing else changed). Spacing is not compared. None too when
    `returned` reads as `exported` (nothing rejected)."""
    chunks = [c for c in word_diff(earlier, exported) if c.text]
    changed = [n for n, c in enumerate(chunks) if c.op != "equal"]
    if not changed or _folded(returned) == _folded(exported):
        return None
    if len(changed) <= _COMBINED:
        choices: list[frozenset[int]] = [
            frozenset(n for bit, n in enumerate(changed) if mask >> bit & 1)
            for mask in range(1, 2 ** len(changed))
        ]
    else:
        choices = [frozenset(changed), *(frozenset([n]) for n in changed)]
    target = _folded(returned)
    for chosen in sorted(choices, key=len):
        text = "".join(
            c.text
            for n, c in enumerate(chunks)
            if (c.op == "equal") or ((c.op == "insert") != (n in chosen))
        )
        if _folded(text) == target:
            return Rejected(
                inserted=tuple(
                    chunks[n].text.strip() for n in sorted(chosen) if chunks[n].op == "insert"
                ),
                deleted=tuple(
                    chunks[n].text.strip() for n in sorted(chosen) if chunks[n].op == "delete"
                ),
            )
    return None


def _folded(text: str) -> str:
    return " ".join(text.split())


def _quoted(text: str, limit: int = 60) -> str:
    words = " ".join(text.split())
    if len(words) > limit:
        cut = words[:limit].rsplit(" ", 1)[0] or words[:limit]
        words = cut + "…"
    return f"“{words}”"
