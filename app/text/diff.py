"""Word-level diffs: the one place that talks to diff-match-patch.

Text is cut into tokens (words, runs of spaces, single punctuation marks); each distinct token is
mapped to one private-use character so that the character diff of the encoded strings is a word
diff. The C++ fast-diff-match-patch is used when installed, the pure-Python library otherwise;
both give the same operations.
"""

import re
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
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)
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


def _char_diff(a: str, b: str) -> list[tuple[Op, str]]:
    if _fast is not None:
        raw = _fast.diff(a, b, timelimit=0, checklines=False, cleanup="Semantic", as_patch=False)
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
