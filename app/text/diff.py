"""Word-level diffs: the one place that talks to diff-match-patch.

Text is cut into tokens (words, runs of spaces, single punctuation marks); each distinct token is
mapped to one private-use character so that the character diff of the encoded strings is a word
diff. The C++ fast-diff-match-patch is used when installed, the pure-Python library otherwise;
both give the same operations.
"""

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import diff_match_patch

try:
    import fast_diff_match_patch as _fast
except ImportError:  # pragma: no cover - depends on the platform's wheels
    _fast = None

Op = Literal["equal", "insert", "delete"]
_OPS: dict[int, Op] = {0: "equal", 1: "insert", -1: "delete"}
_FAST_OPS: dict[str, Op] = {"=": "equal", "+": "insert", "-": "delete"}


def _marks() -> str:
    """A character class of every combining mark (Mn, Mc, Me), for `re`, which has no \\p{M}."""
    ranges: list[tuple[int, int]] = []
    for cp in range(0x300, 0x20000):
        if unicodedata.category(chr(cp)).startswith("M"):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    ranges.append((0xE0100, 0xE01EF))  # variation selectors supplement
    return "".join(
        re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in ranges
    )


_M = _marks()
# A token never splits a user-perceived character: a word keeps its combining marks (Thai, Lao,
# Khmer, Burmese vowels and tones; Vietnamese in NFD) and its zero-width joiners; an emoji keeps
# its modifiers and ZWJ sequence; a flag is one token of two regional indicators.
_TOKEN = re.compile(
    rf"(?:\w|[{_M}\u200c\u200d])+"
    r"|\s+"
    r"|[\U0001F1E6-\U0001F1FF]{2}"
    rf"|[^\w\s](?:[{_M}\U0001F3FB-\U0001F3FF]|\u200d[^\w\s])*",
)
_BASE = 0xF0000  # Supplementary Private Use Area-A: never in real draft text.


@dataclass(frozen=True, slots=True)
class Chunk:
    op: Op
    text: str


def _engine() -> diff_match_patch.diff_match_patch:
    dmp = diff_match_patch.diff_match_patch()
    # The default 1 s timeout silently degrades to "delete all, insert all" on large input.
    dmp.Diff_Timeout = 0
    return dmp


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _encode(a: str, b: str) -> tuple[str, str, list[str]]:
    table: dict[str, int] = {}
    tokens: list[str] = []

    def enc(text: str) -> str:
        out = []
        for token in tokenize(text):
            index = table.get(token)
            if index is None:
                index = table[token] = len(tokens)
                tokens.append(token)
            out.append(chr(_BASE + index))
        return "".join(out)

    return enc(a), enc(b), tokens


def _decode(encoded: str, tokens: list[str]) -> str:
    return "".join(tokens[ord(c) - _BASE] for c in encoded)


def _char_diff(a: str, b: str, cleanup: bool = True) -> list[tuple[Op, str]]:
    if _fast is not None:
        mode = "Semantic" if cleanup else "No"
        raw = _fast.diff(a, b, timelimit=0, checklines=False, cleanup=mode, as_patch=False)
        ops: list[tuple[Op, str]] = []
        pos_a = pos_b = 0
        for kind, length in raw:
            op = _FAST_OPS[kind]
            if op == "insert":
                ops.append((op, b[pos_b : pos_b + length]))
                pos_b += length
            else:
                ops.append((op, a[pos_a : pos_a + length]))
                pos_a += length
                if op == "equal":
                    pos_b += length
        return ops
    dmp = _engine()
    diffs = dmp.diff_main(a, b, False)
    if cleanup:
        dmp.diff_cleanupSemantic(diffs)
    return [(_OPS[op], text) for op, text in diffs]


def word_diff(old: str, new: str) -> list[Chunk]:
    """Operations that turn `old` into `new`, at word granularity, adjacent ones merged."""
    if old == new:
        return [Chunk("equal", old)] if old else []
    enc_a, enc_b, tokens = _encode(old, new)
    chunks: list[Chunk] = []
    for op, encoded in _char_diff(enc_a, enc_b):
        text = _decode(encoded, tokens)
        if not text:
            continue
        if chunks and chunks[-1].op == op:
            chunks[-1] = Chunk(op, chunks[-1].text + text)
        else:
            chunks.append(Chunk(op, text))
    return chunks


def apply_old(chunks: list[Chunk]) -> str:
    return "".join(c.text for c in chunks if c.op != "insert")


def apply_new(chunks: list[Chunk]) -> str:
    return "".join(c.text for c in chunks if c.op != "delete")


def sequence_diff(old: Sequence[str], new: Sequence[str]) -> list[tuple[Op, int]]:
    """A minimal diff of two token sequences, as runs of (operation, number of tokens).

    No cleanup: it keeps as many tokens in place as possible, so a token it keeps is one no edit
    needs to have touched (what following a comment through a revision needs; `word_diff`'s
    cleaned-up output is for showing changes to people).
    """
    table: dict[str, str] = {}
    enc_a = "".join(table.setdefault(t, chr(_BASE + len(table))) for t in old)
    enc_b = "".join(table.setdefault(t, chr(_BASE + len(table))) for t in new)
    return [(op, len(run)) for op, run in _char_diff(enc_a, enc_b, cleanup=False) if run]


MATCH_MAX_BITS = 32  # diff-match-patch's bitap matcher handles patterns up to this length.


def fuzzy_find(
    text: str, pattern: str, loc: int, *, distance: int = 1000, threshold: float = 0.5
) -> int | None:
    """Start of the best approximate occurrence of `pattern` in `text` near `loc`, or None.

    diff-match-patch's `match_main` (bitap): a candidate scores errors / len(pattern) plus
    |position - loc| / distance and is kept only if the score is at most `threshold`. Patterns
    are limited to MATCH_MAX_BITS characters. Only the stretch of text that can score under
    the threshold is searched, so long texts cost no more than short ones.
    """
    if not pattern:
        raise ValueError("fuzzy_find needs a non-empty pattern")
    if len(pattern) > MATCH_MAX_BITS:
        raise ValueError(f"fuzzy_find patterns are limited to {MATCH_MAX_BITS} characters")
    loc = max(0, min(loc, len(text)))
    reach = int(threshold * distance) + 1
    low = max(0, loc - reach)
    high = min(len(text), loc + reach + len(pattern))
    dmp = _engine()
    dmp.Match_Distance = distance
    dmp.Match_Threshold = threshold
    found: int = dmp.match_main(text[low:high], pattern, loc - low)
    return None if found == -1 else low + found


def rebase_text(base: str, proposed: str, current: str) -> str | None:
    """`proposed` was written against `base`; return the same change applied to `current`, or
    None when a part of it no longer applies cleanly (the person must resolve it)."""
    if proposed == base:
        return current
    if current == base:
        return proposed
    dmp = _engine()
    dmp.Match_Threshold = 0.3
    dmp.Patch_DeleteThreshold = 0.3
    patches = dmp.patch_make(base, proposed)
    result, applied = dmp.patch_apply(patches, current)
    return str(result) if all(applied) else None


def replay(base: str, proposed: str, current: str, *, context: int = 8) -> str | None:
    """The change from `base` to `proposed` made on `current`, a text that holds `base`'s words
    around each change but may hold more (or other) words elsewhere: each changed stretch is
    found in `current` by itself and up to `context` tokens of `base` on each side (fewer at
    `base`'s start or end, where `current` may go on), and must be found exactly once; None
    when a stretch is not. Unlike `rebase_text` a change at `base`'s very start or end applies
    to a text that goes on beyond it, and nothing is placed by approximation."""
    if proposed == base:
        return current
    hunks: list[tuple[int, int, str]] = []  # in base: start, end, replacement
    at = 0
    for chunk in word_diff(base, proposed):
        if chunk.op == "equal":
            at += len(chunk.text)
            continue
        start = at
        if chunk.op == "delete":
            at += len(chunk.text)
        if hunks and hunks[-1][1] == start:
            old_start, _, text = hunks[-1]
            hunks[-1] = (old_start, at, text + (chunk.text if chunk.op == "insert" else ""))
        else:
            hunks.append((start, at, chunk.text if chunk.op == "insert" else ""))
    placed: list[tuple[int, int, str]] = []
    for start, end, text in hunks:
        before = "".join(tokenize(base[:start])[-context:])
        after = "".join(tokenize(base[end:])[:context])
        pattern = before + base[start:end] + after
        if not pattern.strip():
            return None
        found = [m.start() for m in re.finditer(f"(?={re.escape(pattern)})", current)]
        if len(found) != 1:
            return None
        begin = found[0] + len(before)
        if placed and begin < placed[-1][1]:
            return None  # out of order with, or overlapping, the change before it
        placed.append((begin, begin + end - start, text))
    out = current
    for begin, finish, text in reversed(placed):
        out = out[:begin] + text + out[finish:]
    return out
