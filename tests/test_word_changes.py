"""Attributing each changed word to the revision that made it, and merging two reading orders."""

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from app.word.changes import Step, attributed_runs, merge_order
from app.word.model import Run, new_text, old_text

D1 = datetime(2026, 2, 1, tzinfo=UTC)
D2 = datetime(2026, 2, 8, tzinfo=UTC)
D3 = datetime(2026, 2, 15, tzinfo=UTC)
PH, TH, SEC = "Philippines - SOMTC", "Thailand - SOMTC", "ASEAN Secretariat"


def test_one_step_is_a_word_diff_attributed_to_its_author() -> None:
    runs = attributed_runs(
        "Passport taken by operators", [Step("Passport confiscated by operators", PH, D1)]
    )
    assert runs == (
        Run("Passport "),
        Run("taken", "delete", PH, D1),
        Run("confiscated", "insert", PH, D1),
        Run(" by operators"),
    )


def test_each_word_keeps_the_author_who_last_touched_it() -> None:
    runs = attributed_runs(
        "Confined to a compound",
        [
            Step("Confined to a guarded compound", PH, D1),
            Step("Confined to a guarded compound with armed guards", TH, D2),
            Step("Kept in a guarded compound with armed guards", SEC, D3),
        ],
    )
    assert old_text(runs) == "Confined to a compound"
    assert new_text(runs) == "Kept in a guarded compound with armed guards"
    inserted = {r.text: r.author for r in runs if r.op == "insert"}
    deleted = {r.text: r.author for r in runs if r.op == "delete"}
    assert inserted["guarded "] == PH
    assert inserted[" with armed guards"] == TH
    assert deleted == {"Confined to": SEC}
    assert inserted["Kept in"] == SEC


def test_words_added_then_removed_never_show() -> None:
    runs = attributed_runs(
        "Debt imposed",
        [Step("Debt imposed by recruiters", PH, D1), Step("Debt imposed", TH, D2)],
    )
    assert runs == (Run("Debt imposed"),)


def test_empty_sides() -> None:
    assert attributed_runs("", [Step("new text", PH, D1)]) == (Run("new text", "insert", PH, D1),)
    assert attributed_runs("old text", [Step("", PH, D1)]) == (Run("old text", "delete", PH, D1),)
    assert attributed_runs("same", []) == (Run("same"),)


WORDS = st.sampled_from(
    ["passport", "taken", "ถูกยึด", "ជំពាក់", "ຖືກບັງຄັບ", "အကြွေး", "bị", "tịch", "جاوي", ",", "\n"]
)
TEXTS = st.lists(WORDS, max_size=12).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(base=TEXTS, versions=st.lists(TEXTS, min_size=1, max_size=4))
def test_any_chain_gives_exactly_the_base_and_the_last_version(
    base: str, versions: list[str]
) -> None:
    steps = [Step(text, f"author {n}", D1) for n, text in enumerate(versions)]
    runs = attributed_runs(base, steps)
    assert old_text(runs) == base
    assert new_text(runs) == versions[-1]
    authors = {r.author for r in runs if r.op != "equal"}
    assert authors <= {s.author for s in steps}


def test_merge_order_keeps_both_orders() -> None:
    merged = merge_order(["a", "b", "c", "d"], ["a", "c", "e", "b"])
    assert [k for k, p in merged if p != "new"] == ["a", "b", "c", "d"]
    assert [k for k, p in merged if p != "old"] == ["a", "c", "e", "b"]
    moved = {k for k, p in merged if p == "old"} & {k for k, p in merged if p == "new"}
    assert moved in ({"b"}, {"c"})  # a moved item goes from one place and comes in another


@given(
    old=st.lists(st.integers(0, 8), unique=True, max_size=8),
    new=st.lists(st.integers(0, 8), unique=True, max_size=8),
)
def test_merge_order_on_any_sequences(old: list[int], new: list[int]) -> None:
    merged = merge_order(old, new)
    assert [k for k, p in merged if p != "new"] == old
    assert [k for k, p in merged if p != "old"] == new
