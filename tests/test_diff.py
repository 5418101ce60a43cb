"""The one diff module: word granularity, and both sides recoverable from the operations."""

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from app.text import diff
from app.text.diff import Chunk, apply_new, apply_old, rebase_text, word_diff


def test_changes_are_whole_words() -> None:
    assert word_diff("Passport taken by operators", "Passport confiscated by operators") == [
        Chunk("equal", "Passport "),
        Chunk("delete", "taken"),
        Chunk("insert", "confiscated"),
        Chunk("equal", " by operators"),
    ]


def test_identical_and_empty_texts() -> None:
    assert word_diff("same", "same") == [Chunk("equal", "same")]
    assert word_diff("", "") == []
    assert word_diff("", "new") == [Chunk("insert", "new")]


def test_asean_scripts_survive() -> None:
    old = "หนังสือเดินทางถูกยึด Hộ chiếu bị tịch thu"
    new = "หนังสือเดินทางถูกยึดไว้ Hộ chiếu đã bị tịch thu"
    chunks = word_diff(old, new)
    assert apply_old(chunks) == old
    assert apply_new(chunks) == new


def test_pure_python_fallback_gives_the_same_operations(monkeypatch: object) -> None:
    a = "Recruited through social media; recruiter paid travel; route changed"
    b = "Recruited online or through social media; the recruiter paid travel; destination changed"
    fast = word_diff(a, b)
    monkeypatch.setattr(diff, "_fast", None)  # type: ignore[attr-defined]
    assert word_diff(a, b) == fast


words = st.lists(
    st.sampled_from(["the", "passport", "was", "taken", ",", "by", "operators", "ยึด", "Hộ", " "]),
    max_size=40,
).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(old=words, new=words)
def test_operations_rebuild_both_texts(old: str, new: str) -> None:
    chunks = word_diff(old, new)
    assert apply_old(chunks) == old
    assert apply_new(chunks) == new
    assert all(c.text for c in chunks)
    assert all(a.op != b.op for a, b in itertools.pairwise(chunks))


def test_rebase_carries_a_change_over_to_a_newer_text() -> None:
    base = "Passport or personal phone taken by the operators"
    proposed = "Passport or personal phone taken by the operators or recruiters"
    current = "Passport or personal phone confiscated by the operators"
    assert rebase_text(base, proposed, current) == (
        "Passport or personal phone confiscated by the operators or recruiters"
    )


def test_rebase_refuses_when_both_changed_the_same_words() -> None:
    assert rebase_text("Passport taken", "Passport seized", "Passport withheld") is None
    assert rebase_text("same", "same", "newer") == "newer"
    assert rebase_text("same", "mine", "same") == "mine"
