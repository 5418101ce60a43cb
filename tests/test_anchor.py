"""Comment anchors follow the words they quote through revisions, or are marked outdated (None)."""

import time
from dataclasses import dataclass
from functools import cache

import pytest
from hypothesis import event, example, given, note, settings
from hypothesis import strategies as st

from app.text import diff
from app.text.anchor import Anchor, find_quote, follow, make_anchor


def anchor_on(text: str, quote: str, occurrence: int = 0) -> Anchor:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(quote, start + 1)
    return make_anchor(text, start, start + len(quote))


def assert_on_quote(anchor: Anchor | None, text: str, start: int) -> None:
    assert anchor is not None
    assert (anchor.start, anchor.end) == (start, start + len(anchor.quote))
    assert text[anchor.start : anchor.end] == anchor.quote
    assert anchor.prefix == text[max(0, anchor.start - 32) : anchor.start]
    assert anchor.suffix == text[anchor.end : anchor.end + 32]


# make_anchor and find_quote


def test_make_anchor_keeps_quote_and_32_characters_of_context() -> None:
    text = "x" * 40 + "passport confiscated" + "y" * 40
    anchor = make_anchor(text, 40, 48)
    assert anchor == Anchor(40, 48, "passport", "x" * 32, " confiscated" + "y" * 20)


def test_make_anchor_at_the_very_start_and_end() -> None:
    assert make_anchor("abc", 0, 3) == Anchor(0, 3, "abc", "", "")
    assert make_anchor("abc", 2, 3) == Anchor(2, 3, "c", "ab", "")


@pytest.mark.parametrize(("start", "end"), [(-1, 2), (2, 2), (3, 2), (0, 4), (4, 5)])
def test_make_anchor_rejects_empty_or_outside_spans(start: int, end: int) -> None:
    with pytest.raises(ValueError, match=r"at least one character inside the text: got"):
        make_anchor("abc", start, end)


def test_nothing_can_be_selected_in_an_empty_text() -> None:
    with pytest.raises(ValueError, match=r"need 0 <= start < end <= 0"):
        make_anchor("", 0, 0)


def test_find_quote_absent_or_empty() -> None:
    assert find_quote("passport taken", "wages") is None
    assert find_quote("", "wages") is None
    assert find_quote("passport taken", "") is None


def test_find_quote_prefers_context_then_nearness() -> None:
    text = "by the operators; paid by the operators; held by the operators"
    starts = [i for i in range(len(text)) if text.startswith("the operators", i)]
    assert find_quote(text, "the operators").start == starts[0]  # type: ignore[union-attr]
    assert find_quote(text, "the operators", prefix="paid by ").start == starts[1]  # type: ignore[union-attr]
    assert find_quote(text, "the operators", near=len(text)).start == starts[2]  # type: ignore[union-attr]
    # Context outranks nearness.
    found = find_quote(text, "the operators", near=len(text), prefix="; paid by ")
    assert_on_quote(found, text, starts[1])


def test_find_quote_accepts_another_unicode_normal_form() -> None:
    import unicodedata

    text = unicodedata.normalize("NFC", "Hộ chiếu bị tịch thu")
    quote = unicodedata.normalize("NFD", "tịch thu")
    assert quote not in text
    found = find_quote(text, quote)
    assert found is not None
    assert found.quote == "tịch thu" == text[found.start : found.end]


# follow: hand examples


def test_word_inserted_before_the_quote_shifts_it() -> None:
    old = "Passport taken by operators"
    anchor = anchor_on(old, "taken")
    new = "Passport forcibly taken by operators"
    assert_on_quote(follow(anchor, old, new), new, new.index("taken"))


def test_edits_after_the_quote_or_touching_its_edges_leave_it_in_place() -> None:
    old = "Passport taken by operators"
    anchor = anchor_on(old, "taken by")
    for new in ("Passport taken by the operators", "The passport taken by them"):
        assert_on_quote(follow(anchor, old, new), new, new.index("taken by"))
    assert follow(anchor, old, old) == anchor


def test_quote_at_the_very_start_and_end() -> None:
    old = "Passport taken by operators"
    first, last = anchor_on(old, "Passport"), anchor_on(old, "operators")
    new = "Passport was taken by the operators"
    assert_on_quote(follow(first, old, new), new, 0)
    assert_on_quote(follow(last, old, new), new, len(new) - len("operators"))
    new = "Old passport taken by operators today"
    assert follow(first, old, new) is None  # "Passport" with a capital P is gone
    assert_on_quote(follow(last, old, new), new, new.index("operators"))


def test_edit_inside_the_quote_moves_it_to_the_same_words_elsewhere() -> None:
    old = "The passport was taken. Later the passport was taken again."
    anchor = anchor_on(old, "passport was taken", 0)
    new = "The passport was quickly taken. Later the passport was taken again."
    assert_on_quote(follow(anchor, old, new), new, new.index("passport was taken"))


def test_quote_deleted_or_reworded_is_outdated() -> None:
    old = "Passport taken by operators. Wages withheld."
    anchor = anchor_on(old, "taken by operators")
    assert follow(anchor, old, "Passport. Wages withheld.") is None
    assert follow(anchor, old, "Passport confiscated by operators. Wages withheld.") is None
    assert follow(anchor, old, "Passport taken by the operators. Wages withheld.") is None
    assert follow(anchor, old, "") is None


def test_empty_old_text_or_stale_offsets() -> None:
    stale = Anchor(0, 5, "taken", "", " by")
    assert_on_quote(follow(stale, "", "Passport taken"), "Passport taken", 9)
    assert follow(stale, "", "") is None
    # The stored offsets no longer match old_text: the quote is found there by its context.
    old = "taken twice: taken by operators"
    stale = Anchor(2, 7, "taken", "twice: ", " by operators")
    new = "taken twice: passport taken by operators"
    assert_on_quote(follow(stale, old, new), new, new.index("taken by"))


@pytest.mark.parametrize(
    "stored",
    [Anchor(0, 0, "", "", ""), Anchor(-4, -1, "tor", "", ""), Anchor(5, 2, "taken", "", "")],
)
def test_anchors_as_stored_never_make_follow_raise(stored: Anchor) -> None:
    old, new = "Passport taken by operators", "Passport taken by the operators"
    moved = follow(stored, old, new)
    if stored.quote:
        assert_on_quote(moved, new, new.index(stored.quote))
    else:
        assert moved is None


def test_repeated_quote_stays_on_the_occurrence_it_was_on() -> None:
    old = "Passports kept by the operators. Wages withheld by the operators."
    second = anchor_on(old, "the operators", 1)
    new = (
        "Passports kept by the operators. Debts imposed by the operators."
        " Wages withheld by the operators."
    )
    assert_on_quote(follow(second, old, new), new, new.rindex("the operators"))
    first = anchor_on(old, "the operators", 0)
    assert_on_quote(follow(first, old, new), new, new.index("the operators"))


def test_repeated_words_the_the_the() -> None:
    old = "the the the"
    middle = anchor_on(old, "the", 1)
    assert_on_quote(follow(middle, old, "the the the the"), "the the the the", 4)
    assert_on_quote(follow(middle, old, "x the the the"), "x the the the", 6)
    assert_on_quote(follow(middle, old, "the x the the"), "the x the the", 6)
    # The middle word itself is replaced: it moves to one of the identical words left.
    moved = follow(middle, old, "the cat the")
    assert moved is not None
    assert moved.start in (0, 8)


def test_whole_words_go_before_the_same_letters_inside_a_longer_word() -> None:
    old = "the cat sat"
    anchor = anchor_on(old, "the")
    new = "bathe cat sat. the dog"  # "the" in "bathe" is nearer and has the old suffix
    assert_on_quote(follow(anchor, old, new), new, new.index(" the ") + 1)
    assert_on_quote(follow(anchor, old, "bathe cat sat"), "bathe cat sat", 2)  # all that is left


def test_context_outranks_nearness_when_the_quoted_words_were_edited() -> None:
    old = "Report: wages were withheld by the employer. Note: fees were withheld by the agency."
    anchor = anchor_on(old, "withheld by the employer")
    new = (
        "Report: wages were withheld, by the employer. Note: fees were withheld by the employer."
        " Annex: wages were withheld by the employer."
    )
    # Its own words got a comma; of the two identical quotes left, the nearer one follows
    # "fees were", the farther one "wages were" as the comment's did.
    assert_on_quote(follow(anchor, old, new), new, new.rindex("withheld by the employer"))


def test_a_moved_sentence_keeps_the_comment_where_the_diff_aligns_it() -> None:
    # Documented limitation: when the diff keeps the quoted words in place, they are followed
    # there, even if a sentence move makes the old context fit another occurrence better.
    old = "Passports were taken by the recruiter. Wages were withheld by the employer."
    anchor = anchor_on(old, "the employer")
    new = "Wages were withheld by the employer every month. Passports were taken by the employer."
    assert_on_quote(follow(anchor, old, new), new, new.rindex("the employer"))


@pytest.mark.parametrize(
    ("old", "quote", "new"),
    [
        ("หนังสือเดินทางถูกยึด", "ถูกยึด", "หนังสือเดินทางของแรงงานถูกยึด"),
        ("Hộ chiếu bị tịch thu", "tịch thu", "Hộ chiếu đã bị tịch thu"),
        ("លិខិតឆ្លងដែនត្រូវបានរឹបអូស", "រឹបអូស", "លិខិតឆ្លងដែនរបស់គាត់ត្រូវបានរឹបអូស"),
        ("နိုင်ငံကူးလက်မှတ် သိမ်းဆည်းခံရ", "သိမ်းဆည်း", "နိုင်ငံကူးလက်မှတ်ကို သိမ်းဆည်းခံရ"),
        (
            "Passport 🛂 taken 👮🏽‍♀️ by operators",
            "taken 👮🏽‍♀️",
            "🚨 Passport 🛂 taken 👮🏽‍♀️ by operators",
        ),
    ],
)
def test_asean_scripts_and_emoji(old: str, quote: str, new: str) -> None:
    anchor = anchor_on(old, quote)
    assert_on_quote(follow(anchor, old, new), new, new.index(quote))


def test_thai_without_spaces_edit_inside_the_quote() -> None:
    old = "หนังสือเดินทางถูกยึดโดยนายจ้าง"
    anchor = anchor_on(old, "ถูกยึดโดย")
    assert follow(anchor, old, "หนังสือเดินทางถูกเก็บโดยนายจ้าง") is None


def test_offsets_are_code_points_with_astral_characters() -> None:
    old = "🛂🛂 passport"
    anchor = anchor_on(old, "passport")
    assert anchor.start == 3
    new = "🛂🛂🛂 passport"
    assert_on_quote(follow(anchor, old, new), new, 4)


def test_pure_python_engine_gives_the_same_anchor(monkeypatch: pytest.MonkeyPatch) -> None:
    old = "Passports kept by the operators. Wages withheld by the operators."
    new = "Passports kept by the operators. Debts imposed by the operators. Wages withheld."
    anchor = anchor_on(old, "the operators", 1)
    fast = follow(anchor, old, new)
    monkeypatch.setattr(diff, "_fast", None)
    assert follow(anchor, old, new) == fast


def test_ten_thousand_words_finish() -> None:
    # Not a timed assertion: it proves a long text is followed at all (it takes milliseconds).
    words = ["the", "operators", "took", "passports", "and", "withheld", "wages", "of", "workers"]
    old = " ".join(words[i % len(words)] for i in range(10_000))
    anchor = anchor_on(old, "withheld wages", 700)
    new = "Preamble added. " + old[:30_000] + " one more clause " + old[30_000:]
    began = time.perf_counter()
    moved = follow(anchor, old, new)
    print(f"10,000 words followed in {time.perf_counter() - began:.3f} s")
    assert_on_quote(moved, new, anchor.start + len("Preamble added. ") + len(" one more clause "))
    rewritten = new.replace("withheld wages", "kept wages")
    assert follow(anchor, old, rewritten) is None


# The diff-layer helpers anchoring uses


def test_fuzzy_find_tolerates_small_edits_near_the_expected_place() -> None:
    text = "Passports were confiscated by the recruiter on arrival"
    assert diff.fuzzy_find(text, "confiscatd by", 10) == text.index("confiscated")
    assert diff.fuzzy_find(text, "wages withheld", 10) is None
    far = "x" * 5000 + text
    assert diff.fuzzy_find(far, "confiscated by", 0) is None  # too far from where it was expected
    with pytest.raises(ValueError, match="32 characters"):
        diff.fuzzy_find(text, "x" * 33, 0)


@pytest.mark.skipif(diff._fast is None, reason="the C++ engine is not installed here")
@settings(max_examples=200, deadline=None)
@given(
    old=st.lists(st.sampled_from(["the", "the", "ยึด", "🛂", ","]), max_size=30),
    new=st.lists(st.sampled_from(["the", "the", "ยึด", "🛂", ","]), max_size=30),
)
def test_both_engines_align_words_alike(old: list[str], new: list[str]) -> None:
    fast = diff.sequence_diff(old, new)
    assert sum(n for op, n in fast if op != "insert") == len(old)
    assert sum(n for op, n in fast if op != "delete") == len(new)
    saved, diff._fast = diff._fast, None
    try:
        assert diff.sequence_diff(old, new) == fast
    finally:
        diff._fast = saved


# follow: the property

VOCABULARY = [
    "the",
    "then",
    "other",
    "operators",
    "passport",
    "taken",
    "by",
    ",",
    "ถูกยึด",
    "หนังสือเดินทาง",
    "Hộ",
    "chiếu",
    "រឹបអូស",
    "သိမ်းဆည်း",
    "🛂",
]


@dataclass
class Scenario:
    old_words: list[str]
    span: tuple[int, int]  # [first, last + 1) word indices of the quote in old_words
    new_words: list[str]
    origin: list[int | None]  # for each new word, its index in old_words if it is untouched


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    # Half the time a vocabulary of one to three words, so that the same words repeat a lot.
    small = st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=3, unique=True)
    vocabulary = draw(st.one_of(st.just(VOCABULARY), small))
    old_words = draw(st.lists(st.sampled_from(vocabulary), min_size=1, max_size=25))
    size = draw(st.integers(1, min(5, len(old_words))))
    first = draw(st.integers(0, len(old_words) - size))
    words: list[tuple[str, int | None]] = [(w, i) for i, w in enumerate(old_words)]
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["insert", "delete", "replace"]))
        quoted = [
            i for i, (_, o) in enumerate(words) if o is not None and first <= o < first + size
        ]
        if quoted and draw(st.booleans()):  # aim at the quote or right next to it
            at = draw(st.integers(max(0, quoted[0] - 1), min(len(words), quoted[-1] + 2)))
        else:
            at = draw(st.integers(0, len(words)))
        if kind == "insert":
            fresh = draw(st.lists(st.sampled_from(vocabulary), min_size=1, max_size=3))
            words[at:at] = [(w, None) for w in fresh]
        elif at < len(words):
            if kind == "delete":
                del words[at : at + draw(st.integers(1, 2))]
            else:
                words[at] = (draw(st.sampled_from(vocabulary)), None)
    return Scenario(old_words, (first, first + size), [w for w, _ in words], [o for _, o in words])


def word_starts(words: list[str]) -> list[int]:
    starts, offset = [], 0
    for word in words:
        starts.append(offset)
        offset += len(word) + 1
    return starts


def lcs(a: list[str], b: list[str]) -> int:
    """Longest common subsequence of two word lists: the most words an edit can leave alone."""

    @cache
    def length(i: int, j: int) -> int:
        if i == len(a) or j == len(b):
            return 0
        if a[i] == b[j]:
            return 1 + length(i + 1, j + 1)
        return max(length(i + 1, j), length(i, j + 1))

    return length(0, 0)


def kept_through(s: Scenario, landed: int) -> int:
    """The most words an edit can leave alone while the quoted words land, untouched and in a
    row, at new word index `landed` (-1 if the words there are not the quoted ones)."""
    first, last = s.span
    size = last - first
    if s.new_words[landed : landed + size] != s.old_words[first:last]:
        return -1
    before = lcs(s.old_words[:first], s.new_words[:landed])
    return before + size + lcs(s.old_words[last:], s.new_words[landed + size :])


def scenario(old: str, span: tuple[int, int], new: str, origin: list[int | None]) -> Scenario:
    return Scenario(old.split(), span, new.split(), origin)


# Ambiguous edits random search found only rarely; each one broke an earlier version.
@example(scenario("the", (0, 1), "then the then", [None, 0, None]))
@example(scenario("the the", (0, 2), "the then the the", [None, None, 0, 1]))
@example(scenario("then then the", (1, 2), "the then then", [None, 0, 1]))
@example(
    scenario("the the the then the the the", (6, 7), "the the the then the the", [0, 1, 2, 3, 5, 6])
)
@example(
    scenario(
        "the the the the the", (3, 5), "the the the the then the the", [None, 0, 1, 2, None, 3, 4]
    )
)
@example(
    scenario(
        "other the by the",
        (1, 2),
        "the the the by other other the",
        [None, None, 1, 2, None, None, 3],
    )
)
@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_followed_comments_land_on_their_words_or_are_outdated(s: Scenario) -> None:
    old, new = " ".join(s.old_words), " ".join(s.new_words)
    first, last = s.span
    old_starts, new_starts = word_starts(s.old_words), word_starts(s.new_words)
    start = old_starts[first]
    quote = " ".join(s.old_words[first:last])
    anchor = make_anchor(old, start, start + len(quote))
    note(f"{old!r} -> {new!r}, quote {quote!r} at {start}")

    moved = follow(anchor, old, new)  # none is dropped: it returns, an Anchor or None

    assert moved is None or isinstance(moved, Anchor)
    if moved is not None:
        assert moved.quote == quote
        assert new[moved.start : moved.end] == quote
        assert moved.prefix == new[max(0, moved.start - 32) : moved.start]
        assert moved.suffix == new[moved.end : moved.end + 32]
    positions = [s.origin.index(o) if o in s.origin else None for o in range(first, last)]
    survived = positions[0] is not None and positions == list(
        range(positions[0], positions[0] + last - first)
    )
    if survived:
        assert positions[0] is not None
        expected = new_starts[positions[0]]
        assert moved is not None, "the quoted words survived, the comment must follow them"
        # The texts alone cannot always tell which of several identical words survived: the
        # comment may land on other identical words if an edit as small as the smallest one
        # (keeping as many words) leaves them there. If the real edit was not a smallest one
        # and no smallest edit keeps the quoted words, they look touched: any exact occurrence.
        most = lcs(s.old_words, s.new_words)
        minimal = [j for j in range(len(s.new_words)) if kept_through(s, j) == most]
        if moved.start == expected:
            event("survived: on its own words")
        elif minimal:
            assert moved.start in new_starts, "landed inside a word, not on the same words"
            landed = new_starts.index(moved.start)
            assert kept_through(s, landed) == most, f"landed on other words; ok: {minimal}"
            event("survived: on identical words an equally small edit keeps")
        else:
            event("survived only through a larger edit than needed: moved as if touched")
    elif quote in new:
        event("touched: moved to identical words")
        assert moved is not None, "the exact words still occur: the comment must follow them"
    else:
        event("gone: outdated")
        assert moved is None
