"""Comment anchors: where the words a person commented on sit in a text, and where they are after
the text is revised. Pure functions: no database, no web.

An anchor is the quoted words, their offsets and up to 32 characters of context on each side.
Offsets are Python string indices, i.e. Unicode code points (an emoji is one, a Thai vowel sign
is one), into the text exactly as stored.

`follow` re-anchors a comment after an edit:

1. The words of both versions are aligned by a minimal diff (diff-match-patch through
   app.text.diff; whitespace only separates words). If no edit touches the inside of the quoted
   span, the quote is where the diff puts it.
2. Diffs are ambiguous when words repeat ("the the the"): if the diff touched the span but an
   equally small diff keeps all its words (checked exactly within 64 words of the span), the
   quote goes where that diff puts it.
3. Otherwise the quote must still occur verbatim somewhere: among its occurrences, the one cut
   at word boundaries the way the quote was wins (whole words stay whole words), then the one
   whose surroundings best match the old context, then the one nearest to where a fuzzy search
   for the old context (diff-match-patch's bitap `match_main`) and the diff expect it.
4. If the exact words occur nowhere, the comment is outdated: None.

An anchor returned always satisfies `text[start:end] == quote`.
"""

import bisect
import functools
import re
import unicodedata
from dataclasses import dataclass

from app.text.diff import MATCH_MAX_BITS, fuzzy_find, sequence_diff

CONTEXT = 32  # characters of context kept on each side of a quote
WINDOW = 64  # words on each side of a touched quote among which step 2 re-aligns exactly
_MAX_CELLS = 200_000  # step 2 is skipped beyond this much work (a huge insertion next to it)


@dataclass(frozen=True, slots=True)
class Anchor:
    start: int  # character offset in the text where the quote begins
    end: int  # offset after the quote (text[start:end] == quote when anchored)
    quote: str  # the words the person selected, exactly as they were
    prefix: str  # up to 32 characters of context before the quote
    suffix: str  # up to 32 characters after


def make_anchor(text: str, start: int, end: int) -> Anchor:
    """The anchor of text[start:end]; the span must be non-empty and inside the text."""
    if not 0 <= start < end <= len(text):
        raise ValueError(
            f"a comment must select at least one character inside the text: got [{start}, {end}) "
            f"for a text of {len(text)} characters (need 0 <= start < end <= {len(text)})"
        )
    return _anchor_at(text, start, end - start)


def find_quote(
    text: str, quote: str, near: int | None = None, prefix: str = "", suffix: str = ""
) -> Anchor | None:
    """Anchor the exact words `quote` in `text`, or None if they do not occur (or are empty).

    With several occurrences: whole words first (an occurrence inside a longer word comes after
    whole-word ones), then the best match of the surroundings with `prefix`/`suffix` (empty
    means unknown), then the nearest to `near` (the first one when `near` is None). If the quote
    does not occur as sent but does in another Unicode normal form (NFC/NFD, e.g. Vietnamese
    typed on different systems), that occurrence is used and the anchor quotes the text's own
    spelling.
    """
    if not quote:
        return None
    for form in (None, "NFC", "NFD"):
        q, pre, suf = quote, prefix, suffix
        if form is not None:
            q, pre, suf = (unicodedata.normalize(form, s) for s in (quote, prefix, suffix))
            if q == quote:
                continue
        start = _pick(text, _occurrences(text, q), q, pre, suf, near, known_edges=False)
        if start is not None:
            return _anchor_at(text, start, len(q))
    return None


def follow(anchor: Anchor, old_text: str, new_text: str) -> Anchor | None:
    """Where the anchored words are in `new_text`, or None when they are gone (outdated).

    The returned anchor has the same quote, new offsets and context refreshed from `new_text`.
    It never raises: an anchor as stored (a plain record) whose offsets do not hold its quote in
    `old_text` is first looked up there by its context and nearness to the stored offset, and
    one with an empty quote has nothing to follow (None).
    """
    quote, start = anchor.quote, anchor.start
    if not quote:
        return None
    if start < 0 or old_text[start : anchor.end] != quote:
        start = max(0, start)
        found = _search(old_text, anchor, start)
        if found is None:
            return _anchor_or_none(new_text, _search(new_text, anchor, start), len(quote))
        start = found
    if old_text == new_text:
        return _anchor_at(new_text, start, len(quote))

    old_units, old_at = _units(old_text)
    new_units, new_at = _units(new_text)
    pairs_old, pairs_new = _alignment(old_units, new_units)
    first, last = _span_units(old_units, old_at, start, start + len(quote))
    near = _map_offset(start, first, old_at, new_at, pairs_old, pairs_new)

    def verbatim(j: int) -> int | None:  # the quote's start if its first unit sits at new unit j
        at = new_at[j] - (old_at[first] - start)
        return at if at >= 0 and new_text[at : at + len(quote)] == quote else None

    if first <= last:
        # 1. The diff keeps every unit of the span, in a row, and the text there is the quote.
        kept = dict(zip(pairs_old, pairs_new, strict=True))
        j = kept.get(first)
        if j is not None and all(kept.get(u) == j + u - first for u in range(first, last + 1)):
            at = verbatim(j)
            if at is not None:
                return _anchor_at(new_text, at, len(quote))
        # 2. An equally small diff keeps them.
        equal = _realign(old_units, new_units, pairs_old, pairs_new, first, last)
        starts = [at for at in map(verbatim, equal) if at is not None]
        if starts:
            best = _pick(new_text, starts, quote, anchor.prefix, anchor.suffix, near)
            return _anchor_or_none(new_text, best, len(quote))
    # 3. The words were touched: the same words elsewhere, or 4. none: outdated.
    return _anchor_or_none(new_text, _search(new_text, anchor, near), len(quote))


def _anchor_at(text: str, start: int, length: int) -> Anchor:
    end = start + length
    return Anchor(
        start=start,
        end=end,
        quote=text[start:end],
        prefix=text[max(0, start - CONTEXT) : start],
        suffix=text[end : end + CONTEXT],
    )


def _anchor_or_none(text: str, start: int | None, length: int) -> Anchor | None:
    return None if start is None else _anchor_at(text, start, length)


# Aligning the words of two versions


def _is_mark(ch: str) -> bool:
    return unicodedata.category(ch).startswith("M")


@functools.cache
def _unit_pattern() -> re.Pattern[str]:
    # Python's \w leaves out combining marks (Thai, Khmer and Burmese vowel signs, decomposed
    # Vietnamese accents): add the Basic Multilingual Plane's ones, built once, on first use.
    marks = "".join(chr(c) for c in range(0x300, 0x10000) if _is_mark(chr(c)))
    return re.compile(rf"[\w{marks}]+|[^\w\s{marks}]")


def _units(text: str) -> tuple[list[str], list[int]]:
    """The words (with their combining marks) and punctuation marks of `text`, and their offsets.

    Whitespace is left out: it only separates words, and aligning it would let a diff trade a
    kept word for a kept space.
    """
    units: list[str] = []
    offsets: list[int] = []
    for match in _unit_pattern().finditer(text):
        units.append(match.group())
        offsets.append(match.start())
    return units, offsets


def _alignment(old: list[str], new: list[str]) -> tuple[list[int], list[int]]:
    """The units a minimal diff keeps: increasing old indices and their new indices."""
    pairs_old: list[int] = []
    pairs_new: list[int] = []
    i = j = 0
    for op, count in sequence_diff(old, new):
        if op == "equal":
            pairs_old.extend(range(i, i + count))
            pairs_new.extend(range(j, j + count))
        if op != "insert":
            i += count
        if op != "delete":
            j += count
    return pairs_old, pairs_new


def _span_units(units: list[str], offsets: list[int], start: int, end: int) -> tuple[int, int]:
    """First and last index of the units overlapping text[start:end] (first > last if none)."""
    first = bisect.bisect_right(offsets, start) - 1
    if first < 0 or offsets[first] + len(units[first]) <= start:
        first += 1
    return first, bisect.bisect_left(offsets, end) - 1


def _map_offset(
    start: int,
    first: int,
    old_at: list[int],
    new_at: list[int],
    pairs_old: list[int],
    pairs_new: list[int],
) -> int:
    """Where the diff puts old offset `start`, whose unit (or the next one) is `first`: the same
    distance from the last unit kept at or before `first` as in the old text."""
    k = bisect.bisect_right(pairs_old, first) - 1
    at = start if k < 0 else new_at[pairs_new[k]] + (start - old_at[pairs_old[k]])
    return max(0, at)


def _lcs_lengths(a: list[str], b: list[str]) -> list[int]:
    """lengths[t] = length of the longest common subsequence of `a` and b[:t]."""
    previous = [0] * (len(b) + 1)
    for x in a:
        row = [0]
        for t, y in enumerate(b):
            row.append(previous[t] + 1 if x == y else max(previous[t + 1], row[t]))
        previous = row
    return previous


def _realign(
    old: list[str],
    new: list[str],
    pairs_old: list[int],
    pairs_new: list[int],
    first: int,
    last: int,
) -> list[int]:
    """New unit indices where old units first..last can sit, together and in order, in a diff
    that keeps as many units as the minimal one, changing it only within WINDOW units of them."""
    size = last - first + 1
    low, high = max(0, first - WINDOW), min(len(old), last + 1 + WINDOW)
    k_low, k_high = bisect.bisect_left(pairs_old, low), bisect.bisect_left(pairs_old, high)
    # The diff aligns old[low:high] with new[new_low:new_high], keeping k_high - k_low units.
    new_low = pairs_new[k_low - 1] + 1 if k_low > 0 else 0
    new_high = pairs_new[k_high] if k_high < len(pairs_old) else len(new)
    window = new[new_low:new_high]
    if (high - low) * len(window) > _MAX_CELLS:
        return []
    quoted = old[first : last + 1]
    before = _lcs_lengths(old[low:first], window)
    after = _lcs_lengths(old[last + 1 : high][::-1], window[::-1])
    return [
        new_low + t
        for t in range(len(window) - size + 1)
        if window[t : t + size] == quoted
        and before[t] + size + after[len(window) - t - size] >= k_high - k_low
    ]


# Choosing among occurrences of the quote


def _occurrences(text: str, quote: str) -> list[int]:
    found = []
    i = text.find(quote)
    while i != -1:
        found.append(i)
        i = text.find(quote, i + 1)  # overlapping: "aa" occurs twice in "aaa"
    return found


def _char_class(ch: str) -> str:
    if ch.isalnum() or ch == "_" or _is_mark(ch):
        return "word"
    return "space" if ch.isspace() else "other"  # punctuation, symbols, emoji


def _is_boundary(text: str, i: int) -> bool:
    """Whether a word can begin or end at offset i: not inside a word or a run of spaces."""
    if i <= 0 or i >= len(text):
        return True
    before, after = _char_class(text[i - 1]), _char_class(text[i])
    return before != after or before == "other"


def _context_score(
    text: str, start: int, length: int, prefix: str, suffix: str, known_edges: bool
) -> int:
    """Characters of `prefix` matching right before `start` plus characters of `suffix` matching
    right after the quote, plus a point for each side whose whole window matches. With
    `known_edges`, a context shorter than 32 characters means the text started or ended there,
    and a whole-window match must start or end there too; otherwise empty means unknown."""
    before = text[max(0, start - CONTEXT) : start]
    after = text[start + length : start + length + CONTEXT]
    prefix, suffix = prefix[-CONTEXT:], suffix[:CONTEXT]
    score = 0
    for x, y in zip(reversed(before), reversed(prefix), strict=False):
        if x != y:
            break
        score += 1
    for x, y in zip(after, suffix, strict=False):
        if x != y:
            break
        score += 1
    if (known_edges or prefix) and before == prefix:
        score += 1
    if (known_edges or suffix) and after == suffix:
        score += 1
    return score


def _fuzzy_estimate(text: str, quote: str, prefix: str, suffix: str, near: int) -> int:
    """Where the quote probably starts, from a bitap search near `near` for a 32-character window
    of the old context around the quote's start (it tolerates small edits in the context);
    `near` if the search finds nothing."""
    left = prefix[-(MATCH_MAX_BITS // 2) :]
    window = left + (quote + suffix)[: MATCH_MAX_BITS - len(left)]
    found = fuzzy_find(text, window, near - len(left))
    return near if found is None else found + len(left)


def _search(text: str, anchor: Anchor, near: int) -> int | None:
    """The best occurrence of the anchor's quote in `text` (None if none) for `near`."""
    quote = anchor.quote
    return _pick(text, _occurrences(text, quote), quote, anchor.prefix, anchor.suffix, near)


def _pick(
    text: str,
    starts: list[int],
    quote: str,
    prefix: str,
    suffix: str,
    near: int | None,
    *,
    known_edges: bool = True,
) -> int | None:
    """The best of `starts` (offsets where `quote` occurs in `text`), or None if there are none.

    `known_edges`: the context was cut from the old text (as in an Anchor), so a context shorter
    than 32 characters means that text started or ended there; otherwise empty means unknown.
    """
    if len(starts) <= 1:
        return starts[0] if starts else None
    where = 0 if near is None else max(0, min(near, len(text)))
    estimate = where if near is None else _fuzzy_estimate(text, quote, prefix, suffix, where)
    # Whether the quote began and ended on word boundaries, as the person selected it.
    whole_start = _is_boundary(prefix + quote, len(prefix))
    whole_end = _is_boundary(quote + suffix, len(quote))

    def rank(start: int) -> tuple[int, int, int, int, int]:
        end = start + len(quote)
        cut = (_is_boundary(text, start) == whole_start) + (_is_boundary(text, end) == whole_end)
        context = _context_score(text, start, len(quote), prefix, suffix, known_edges)
        return (-cut, -context, abs(start - estimate), abs(start - where), start)

    return min(starts, key=rank)
