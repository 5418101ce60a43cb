"""A text cut into pieces for display, so that the words comments are anchored to can be marked.

Anchors may overlap or nest: the text is cut at every start and end, and each piece lists the
comments whose words cover it. Offsets are code points, as in app.text.anchor. Pure functions.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise


@dataclass(frozen=True, slots=True)
class Span:
    """The words of one comment: text[start:end]."""

    comment_id: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Segment:
    start: int  # code-point offset of the piece in the whole text
    text: str
    comment_ids: tuple[int, ...]  # comments whose words cover the piece, oldest first
    ending: tuple[int, ...]  # comments whose words end with this piece

    @property
    def marked(self) -> bool:
        return bool(self.comment_ids)


def segments(text: str, spans: Iterable[Span]) -> list[Segment]:
    """`text` in consecutive pieces that together are exactly `text`. Spans outside the text or
    empty are ignored."""
    valid = sorted(
        (s for s in spans if 0 <= s.start < s.end <= len(text)), key=lambda s: s.comment_id
    )
    cuts = sorted({0, len(text)} | {s.start for s in valid} | {s.end for s in valid})
    out = []
    for a, b in pairwise(cuts):
        covering = tuple(s.comment_id for s in valid if s.start <= a and b <= s.end)
        ending = tuple(s.comment_id for s in valid if s.end == b)
        out.append(Segment(a, text[a:b], covering, ending))
    return out
