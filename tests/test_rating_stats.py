"""The statistics of rating rounds (app/rating/stats.py) against worked examples computed by hand.

Percentiles are linear interpolation between closest ranks (Excel's PERCENTILE.INC): for sorted
x[0..n-1], h = (n - 1) * p, value x[floor h] + frac(h) * (x[floor h + 1] - x[floor h]).
RAND/UCLA counts are the manual's table (Fitch et al. 2001): disagreement 3/4/5 each in 1-3 and
7-9 for panels of 8-10/11-13/14-16; agreement at most 2/3/4 outside the median's region."""

import re
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from app.rating.stats import (
    DEFAULT_RULE,
    MIN_SHOWN,
    ConsensusRule,
    agreement_count,
    category_stats,
    category_verdict,
    disagreement_count,
    histogram_svg,
    ipras,
    iqr_change,
    median_change,
    percentile,
    scale_stats,
    shown_to_panel,
    stability,
    verdict,
)

RAND = ConsensusRule(kind="rand_ucla")
IPRAS = ConsensusRule(kind="ipras")

# -- median, quartiles, IQR --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "median", "q1", "q3", "iqr"),
    [
        # n = 1: everything is the one rating.
        ([5], 5, 5, 5, 0),
        # n = 2: Q1 h = 0.25 -> 3 + 0.25 * 6 = 4.5; median 6; Q3 h = 0.75 -> 3 + 4.5 = 7.5.
        ([3, 9], 6, 4.5, 7.5, 3),
        # n = 4 (even): Q1 h = 0.75 -> 2 + 0.75 * 2 = 3.5; median (4 + 6) / 2; Q3 h = 2.25 -> 6.5.
        ([2, 4, 6, 8], 5, 3.5, 6.5, 3),
        # n = 7 (odd), given unsorted: 1 3 5 5 7 8 9. Q1 h = 1.5 -> 3 + 0.5 * 2 = 4; median x3
        # = 5; Q3 h = 4.5 -> 7 + 0.5 * 1 = 7.5.
        ([9, 1, 5, 5, 3, 7, 8], 5, 4, 7.5, 3.5),
        # n = 8 (even), ties: 7 7 7 8 8 8 9 9. Q1 h = 1.75 -> 7 + 0.75 * 0 = 7; median (8 + 8) / 2;
        # Q3 h = 5.25 -> 8 + 0.25 * 1 = 8.25.
        ([7, 7, 7, 8, 8, 8, 9, 9], 8, 7, 8.25, 1.25),
        # n = 9 (odd): 1..9. Q1 x2 = 3, median x4 = 5, Q3 x6 = 7.
        ([1, 2, 3, 4, 5, 6, 7, 8, 9], 5, 3, 7, 4),
        # n = 10 (even): 1 2 2 3 5 7 8 8 9 9. Q1 h = 2.25 -> 2 + 0.25 * 1 = 2.25; median h = 4.5 ->
        # (5 + 7) / 2 = 6; Q3 h = 6.75 -> 8 + 0.75 * 0 = 8.
        ([1, 2, 2, 3, 5, 7, 8, 8, 9, 9], 6, 2.25, 8, 5.75),
        # all the same: no spread.
        ([7] * 5, 7, 7, 7, 0),
        # n = 6, median between regions: 6 6 6 7 7 7 -> (6 + 7) / 2 = 6.5; Q1 h = 1.25 -> 6;
        # Q3 h = 3.75 -> 7.
        ([6, 6, 6, 7, 7, 7], 6.5, 6, 7, 1),
    ],
)
def test_median_and_quartiles_worked_examples(
    values: list[int], median: float, q1: float, q3: float, iqr: float
) -> None:
    s = scale_stats(values)
    assert (s.n, s.median, s.q1, s.q3, s.iqr) == (len(values), median, q1, q3, iqr)


def test_counts_and_percentages() -> None:
    s = scale_stats([1, 2, 2, 3, 5, 7, 8, 8, 9, 9])
    assert s.counts == (1, 2, 1, 0, 1, 0, 1, 2, 2)
    assert s.percent_1_to_3 == 40.0
    assert s.percent_4_to_6 == 10.0
    assert s.percent_7_to_9 == 50.0
    assert s.count_in(7, 9) == 5


def test_empty_input() -> None:
    s = scale_stats([])
    assert s.n == 0
    assert s.counts == (0,) * 9
    assert (s.median, s.q1, s.q3, s.iqr, s.percent_7_to_9, s.percent_1_to_3) == (None,) * 6
    assert percentile([], 0.5) is None
    v = verdict(DEFAULT_RULE, [])
    assert (v.consensus, v.label) == (False, "no consensus")
    assert verdict(RAND, []).label == "indeterminate"
    assert verdict(IPRAS, []).consensus is False
    assert ipras([]) is None


@pytest.mark.parametrize("bad", [0, 10, -1, 5.5, True, "7", None])
def test_out_of_range_ratings_are_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="rating"):
        scale_stats([5, bad])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="rating"):
        verdict(DEFAULT_RULE, [bad])  # type: ignore[list-item]


@given(st.lists(st.integers(1, 9), min_size=2, max_size=40))
def test_the_method_is_excels_percentile_inc(values: list[int]) -> None:
    """Python's statistics.quantiles(method="inclusive") is the same type-7 interpolation."""
    s = scale_stats(values)
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    assert s.q1 == pytest.approx(q1)
    assert s.median == pytest.approx(median) == statistics.median(values)
    assert s.q3 == pytest.approx(q3)
    assert s.iqr is not None and s.iqr >= 0


# -- the threshold rule ------------------------------------------------------------------------


def test_threshold_exactly_seventy_percent_is_consensus() -> None:
    # 7 of 10 rate 8 (70 %), 3 rate 5: median 8, nobody in 1-3.
    v = verdict(DEFAULT_RULE, [8] * 7 + [5] * 3)
    assert (v.consensus, v.label) == (True, "consensus")
    assert "7 of 10 rated 7-9" in v.reason


def test_threshold_just_under_seventy_percent_is_not() -> None:
    # 9 of 13 = 69.2 %.
    v = verdict(DEFAULT_RULE, [8] * 9 + [5] * 4)
    assert (v.consensus, v.label) == (False, "no consensus")
    assert "9 of 13 rated 7-9" in v.reason


def test_threshold_fifteen_percent_in_one_to_three_is_too_many() -> None:
    # 3 of 20 = 15 % rate 1: "under 15 %" fails, though 85 % rate 8 and the median is 8.
    v = verdict(DEFAULT_RULE, [8] * 17 + [1] * 3)
    assert not v.consensus
    assert "3 of 20 rated 1-3" in v.reason
    # 2 of 20 = 10 %.
    assert verdict(DEFAULT_RULE, [8] * 18 + [1] * 2).consensus


def test_threshold_median_between_regions_is_not_in_seven_to_nine() -> None:
    # 6 6 6 6 7 7 7 7: median 6.5, outside 7-9 though half rate 7-9 and the rule asks 50 %.
    rule = ConsensusRule(min_percent_top=50.0)
    v = verdict(rule, [6, 6, 6, 6, 7, 7, 7, 7])
    assert not v.consensus
    assert "median 6.5 is outside 7-9" in v.reason
    assert verdict(rule, [6, 6, 6, 7, 7, 7, 7, 7]).consensus  # median 7, 62.5 %


# -- RAND/UCLA by panel size -------------------------------------------------------------------

MANUAL_TABLE = {8: (3, 2), 9: (3, 2), 10: (3, 2), 11: (4, 3), 12: (4, 3), 13: (4, 3)}
MANUAL_TABLE |= {14: (5, 4), 15: (5, 4), 16: (5, 4)}


@pytest.mark.parametrize(("n", "counts"), sorted(MANUAL_TABLE.items()))
def test_the_formulas_give_the_manuals_table(n: int, counts: tuple[int, int]) -> None:
    assert (disagreement_count(n), agreement_count(n)) == counts


def test_beyond_the_table_the_formulas_go_on_in_steps_of_three() -> None:
    assert (disagreement_count(17), agreement_count(17)) == (6, 5)
    assert (disagreement_count(19), agreement_count(19)) == (6, 5)
    assert (disagreement_count(20), agreement_count(20)) == (7, 6)


# Each case written out: (ratings, label, classification). d each in 1-3 and 7-9 is
# disagreement, d - 1 is not; a outside the median's region is agreement, a + 1 is not.
RAND_CASES = [
    # n = 8: d = 3, a = 2.
    ([2, 2, 2, 5, 5, 8, 8, 8], "disagreement", "uncertain"),
    ([2, 2, 5, 5, 5, 5, 8, 8], "indeterminate", "uncertain"),  # 2 and 2: no; median 5, 4 out
    ([4, 4, 8, 8, 8, 8, 8, 8], "agreement", "appropriate"),  # 2 outside 7-9
    ([4, 4, 4, 8, 8, 8, 8, 8], "indeterminate", "appropriate"),  # 3 outside
    # n = 10: d = 3, a = 2.
    ([1, 2, 3, 5, 5, 5, 5, 7, 8, 9], "disagreement", "uncertain"),
    ([1, 2, 5, 5, 5, 5, 5, 7, 8, 9], "indeterminate", "uncertain"),  # 2 and 3; 5 outside 4-6
    ([5, 5, 9, 9, 9, 9, 9, 9, 9, 9], "agreement", "appropriate"),
    ([5, 5, 5, 9, 9, 9, 9, 9, 9, 9], "indeterminate", "appropriate"),
    # n = 11: d = 4, a = 3.
    ([1, 1, 1, 1, 5, 5, 5, 9, 9, 9, 9], "disagreement", "uncertain"),
    ([1, 1, 1, 5, 5, 5, 5, 9, 9, 9, 9], "indeterminate", "uncertain"),
    ([1, 1, 1, 2, 2, 2, 2, 2, 5, 5, 5], "agreement", "inappropriate"),  # median 2, 3 outside
    ([1, 1, 1, 2, 2, 2, 2, 5, 5, 5, 5], "indeterminate", "inappropriate"),
    # n = 13: d = 4, a = 3.
    ([3, 3, 3, 3, 5, 5, 5, 5, 5, 7, 7, 7, 7], "disagreement", "uncertain"),
    ([3, 3, 3, 5, 5, 5, 5, 5, 5, 7, 7, 7, 7], "indeterminate", "uncertain"),
    ([6, 6, 6, 7, 7, 7, 8, 8, 8, 8, 9, 9, 9], "agreement", "appropriate"),
    ([6, 6, 6, 6, 7, 7, 8, 8, 8, 8, 9, 9, 9], "indeterminate", "appropriate"),
    # n = 14: d = 5, a = 4.
    ([1, 1, 1, 1, 1, 5, 5, 5, 5, 9, 9, 9, 9, 9], "disagreement", "uncertain"),
    ([1, 1, 1, 1, 5, 5, 5, 5, 5, 9, 9, 9, 9, 9], "indeterminate", "uncertain"),
    ([4, 4, 4, 4, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8], "agreement", "appropriate"),
    ([4, 4, 4, 4, 4, 8, 8, 8, 8, 8, 8, 8, 8, 8], "indeterminate", "appropriate"),
    # n = 16: d = 5, a = 4.
    ([2] * 5 + [5] * 6 + [8] * 5, "disagreement", "uncertain"),
    ([2] * 4 + [5] * 7 + [8] * 5, "indeterminate", "uncertain"),
    ([1] * 2 + [9] * 2 + [5] * 12, "agreement", "uncertain"),  # median 5, 4 outside 4-6
    ([1] * 2 + [9] * 3 + [5] * 11, "indeterminate", "uncertain"),
    # n = 17 (beyond the table): d = 6, a = 5.
    ([2] * 6 + [5] * 5 + [8] * 6, "disagreement", "uncertain"),
    ([2] * 5 + [5] * 6 + [8] * 6, "indeterminate", "uncertain"),
    ([5] * 5 + [8] * 12, "agreement", "appropriate"),
    ([5] * 6 + [8] * 11, "indeterminate", "appropriate"),
]


@pytest.mark.parametrize(("values", "label", "classification"), RAND_CASES)
def test_rand_ucla_at_the_panel_size_boundaries(
    values: list[int], label: str, classification: str
) -> None:
    v = verdict(RAND, values)
    assert (v.label, v.classification) == (label, classification), v.reason
    assert v.consensus is (label == "agreement")
    assert str(len(values)) in v.reason


def test_rand_ucla_reasons_give_the_counts() -> None:
    v = verdict(RAND, [2, 2, 2, 5, 5, 8, 8, 8])
    assert v.reason == (
        "Disagreement: 3 of 8 rated 1-3 and 3 rated 7-9 "
        "(at least 3 each is disagreement for a panel of 8)."
    )
    v = verdict(RAND, [4, 4, 8, 8, 8, 8, 8, 8])
    assert "2 of 8 rated outside 7-9 (at most 2 for a panel of 8)" in v.reason


def test_rand_ucla_panels_under_eight_get_no_verdict() -> None:
    # Seven unanimous 9s: the manual's counts start at 8, so no verdict (and no consensus).
    v = verdict(RAND, [9] * 7)
    assert (v.consensus, v.label) == (False, "indeterminate")
    assert "start at 8" in v.reason
    assert v.classification == "appropriate"
    assert verdict(RAND, [9] * 8).label == "agreement"


def test_rand_ucla_median_between_regions_is_uncertain() -> None:
    # 3 x 5, 7 x 5: median (3 + 7) / 2 = 5; 5 in 1-3 and 5 in 7-9 (>= 3 each): disagreement.
    assert verdict(RAND, [3] * 5 + [7] * 5).label == "disagreement"
    # 6 x 4, 7 x 4 (n = 8): median 6.5 counts as 4-6; outside it 4 (the 7s) > 2: indeterminate.
    v = verdict(RAND, [6] * 4 + [7] * 4)
    assert (v.label, v.classification) == ("indeterminate", "uncertain")


# -- IPRAS -------------------------------------------------------------------------------------


def test_ipras_without_disagreement() -> None:
    # 1 1 1 7 7 7 7 8 9 9 9 (n = 11): P30 h = 3 -> 7; P70 h = 7 -> 8; IPR 1; midpoint 7.5,
    # AI 2.5, IPRAS 2.35 + 3.75 = 6.1; 1 <= 6.1.
    values = [1, 1, 1, 7, 7, 7, 7, 8, 9, 9, 9]
    f = ipras(values)
    assert f is not None
    assert (f.p30, f.p70, f.ipr, f.asymmetry) == (7, 8, 1, 2.5)
    assert f.ipras == pytest.approx(6.1)
    assert not f.disagreement
    v = verdict(IPRAS, values)
    assert (v.consensus, v.label, v.classification) == (True, "agreement", "appropriate")


def test_ipras_with_disagreement() -> None:
    # 1 1 2 3 5 7 8 9 9 9 (n = 10): P30 h = 2.7 -> 2 + 0.7 = 2.7; P70 h = 6.3 -> 8 + 0.3 = 8.3;
    # IPR 5.6; midpoint 5.5, AI 0.5, IPRAS 2.35 + 0.75 = 3.1; 5.6 > 3.1.
    f = ipras([1, 1, 2, 3, 5, 7, 8, 9, 9, 9])
    assert f is not None
    assert (f.p30, f.p70) == (pytest.approx(2.7), pytest.approx(8.3))
    assert f.ipr == pytest.approx(5.6)
    assert f.ipras == pytest.approx(3.1)
    assert f.disagreement
    v = verdict(IPRAS, [1, 1, 2, 3, 5, 7, 8, 9, 9, 9])
    assert (v.consensus, v.label) == (False, "disagreement")


def test_ipras_symmetric_and_small_panels() -> None:
    # 3 4 4 5 5 5 6 6 7 (n = 9): P30 h = 2.4 -> 4.4; P70 h = 5.6 -> 5.6; IPR 1.2, AI 0,
    # IPRAS 2.35: agreement that it is uncertain (median 5).
    f = ipras([3, 4, 4, 5, 5, 5, 6, 6, 7])
    assert f is not None and f.ipr == pytest.approx(1.2) and f.asymmetry == pytest.approx(0)
    v = verdict(IPRAS, [3, 4, 4, 5, 5, 5, 6, 6, 7])
    assert (v.label, v.classification) == ("agreement", "uncertain")
    # 2 8 (n = 2): P30 3.8, P70 6.2, IPR 2.4 > 2.35 + 1.5 * 0: disagreement at any size.
    assert verdict(IPRAS, [2, 8]).label == "disagreement"
    # 3 7: P30 4.2, P70 5.8, IPR 1.6: no disagreement.
    assert verdict(IPRAS, [3, 7]).label == "agreement"


# -- strength categories -----------------------------------------------------------------------


def test_category_stats_and_ties() -> None:
    s = category_stats(["strong", "weak", "strong", "medium"])
    assert s.counts == {"strong": 2, "medium": 1, "weak": 1}
    assert (s.n, s.mode, s.mode_percent) == (4, "strong", 50.0)
    tie = category_stats(["strong", "weak", "strong", "weak"])
    assert (tie.mode, tie.mode_percent) == (None, 50.0)
    empty = category_stats([])
    assert (empty.n, empty.mode, empty.mode_percent) == (0, None, None)
    assert empty.counts == {"strong": 0, "medium": 0, "weak": 0}


@pytest.mark.parametrize("bad", ["Strong", "", "very strong", 1, None])
def test_unknown_categories_are_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="strength"):
        category_stats(["strong", bad])  # type: ignore[list-item]


def test_category_verdict_boundaries() -> None:
    # 7 of 10 = 70 %: consensus.
    v = category_verdict(DEFAULT_RULE, ["strong"] * 7 + ["medium"] * 2 + ["weak"])
    assert (v.consensus, v.label, v.classification) == (True, "consensus", "strong")
    assert v.reason == "Consensus: 7 of 10 rated it strong (needs 70 %)."
    # 9 of 13 = 69.2 %: none.
    v = category_verdict(DEFAULT_RULE, ["weak"] * 9 + ["medium"] * 4)
    assert (v.consensus, v.classification) == (False, None)
    assert v.reason == "No consensus: 0 strong, 4 medium, 9 weak of 13 (one category needs 70 %)."
    # A tie is never consensus, even under a rule asking only 40 %.
    rule = ConsensusRule(min_percent_category=40.0)
    assert not category_verdict(rule, ["strong", "strong", "weak", "weak", "medium"]).consensus
    assert not category_verdict(DEFAULT_RULE, []).consensus


# -- the rule as stored ------------------------------------------------------------------------


def test_rule_round_trips_and_defaults() -> None:
    rule = ConsensusRule(kind="rand_ucla", median_low=6, min_percent_top=66.5)
    stored = rule.to_json()
    assert stored == {
        "kind": "rand_ucla",
        "median_low": 6,
        "median_high": 9,
        "min_percent_top": 66.5,
        "max_percent_bottom": 15.0,
        "min_percent_category": 70.0,
    }
    assert ConsensusRule.from_json(stored) == rule
    assert ConsensusRule.from_json({}) == DEFAULT_RULE
    assert ConsensusRule.from_json({"min_percent_top": 80}).min_percent_top == 80.0


@pytest.mark.parametrize(
    ("stored", "field"),
    [
        ({"kind": "majority"}, "kind"),
        ({"kind": 3}, "kind"),
        ({"median_low": 0}, "median_low"),
        ({"median_high": 10}, "median_high"),
        ({"median_low": 7.0}, "median_low"),
        ({"median_low": True}, "median_low"),
        ({"median_low": 9, "median_high": 7}, "median_low"),
        ({"min_percent_top": 101}, "min_percent_top"),
        ({"max_percent_bottom": -1}, "max_percent_bottom"),
        ({"min_percent_category": float("nan")}, "min_percent_category"),
        ({"min_percent_top": "70"}, "min_percent_top"),
        ({"quorum": 5}, "quorum"),
    ],
)
def test_invalid_rules_name_the_field(stored: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=rf"^{field}:"):
        ConsensusRule.from_json(stored)


def test_rules_in_words() -> None:
    assert DEFAULT_RULE.describe() == (
        "Consensus on a 1-9 question when the median rating is from 7 to 9, at least 70 % of the "
        "panel rate it 7-9 and fewer than 15 % rate it 1-3. For strong/medium/weak questions, "
        "consensus when at least 70 % of the answers choose the same category."
    )
    custom = ConsensusRule(median_low=8, min_percent_top=66.5, min_percent_category=80)
    assert "from 8 to 9, at least 66.5 %" in custom.describe()
    assert "at least 80 % of the answers" in custom.describe()
    rand = RAND.describe()
    assert "3 each of 8-10 panellists, 4 of 11-13, 5 of 14-16" in rand
    assert "fewer than 8 answers" in rand
    assert "2.35 + 1.5" in IPRAS.describe()


# -- stability ---------------------------------------------------------------------------------


def test_stability_counts_only_those_who_answered_both() -> None:
    previous = {"a": 5, "b": 7, "c": 8}
    current = {"a": 5, "b": 8, "d": 9}
    s = stability(previous, current)
    assert (s.n_compared, s.n_changed, s.percent_changed) == (2, 1, 50.0)
    assert stability({1: "strong"}, {1: "weak", 2: "weak"}).percent_changed == 100.0
    assert stability({}, {"a": 5}).percent_changed is None


def test_median_and_iqr_change() -> None:
    before = scale_stats([1, 2, 2, 3, 5, 7, 8, 8, 9, 9])  # median 6, IQR 5.75
    after = scale_stats([7, 7, 7, 8, 8, 8, 9, 9])  # median 8, IQR 1.25
    assert median_change(before, after) == 2.0
    assert iqr_change(before, after) == -4.5
    assert median_change(scale_stats([]), after) is None
    assert iqr_change(before, scale_stats([])) is None


# -- the histogram -----------------------------------------------------------------------------


def test_histogram_is_accessible_escaped_and_grey() -> None:
    svg = histogram_svg([0, 1, 3], ["weak", "medium", "<b>strong</b>"], 'Child "strength" & co')
    root = etree.fromstring(svg.encode())  # well-formed
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    assert root.get("role") == "img"
    label = root.get("aria-label")
    assert label == 'Child "strength" & co. 4 answers. weak: 0, medium: 1, <b>strong</b>: 3'
    assert root.findtext(f"{ns}title") == label
    assert "<b>" not in svg
    assert len(root.findall(f"{ns}rect")) == 2  # no bar for zero
    texts = [t.text for t in root.findall(f"{ns}text")]
    assert texts[0] == 'Child "strength" & co'
    assert {"0", "1", "3", "weak", "medium", "<b>strong</b>"} <= set(texts)
    for colour in re.findall(r'(?:fill|stroke)="(#[0-9a-f]{6})"', svg):
        assert colour[1:3] == colour[3:5] == colour[5:7]  # greys only


def test_histogram_edge_cases() -> None:
    svg = histogram_svg([0] * 9, [str(r) for r in range(1, 10)], "Relevance")
    root = etree.fromstring(svg.encode())
    assert root.get("aria-label", "").startswith("Relevance. 0 answers. 1: 0, 2: 0")
    assert "<rect" not in svg
    with pytest.raises(ValueError, match="labels"):
        histogram_svg([1, 2], ["a"], "t")
    with pytest.raises(ValueError, match="counts"):
        histogram_svg([1, -2], ["a", "b"], "t")


def test_min_shown() -> None:
    assert MIN_SHOWN == 5
    assert not shown_to_panel(3)
    assert not shown_to_panel(4)
    assert shown_to_panel(5)


def test_ipras_at_its_boundary_is_exact() -> None:
    # 1 1 3 3 6 6 6 (n = 7): P30 h = 1.8 -> 1 + 0.8 * 2 = 2.6; P70 h = 4.2 -> 6; IPR 3.4;
    # midpoint 4.3, AI 0.7, IPRAS 2.35 + 1.05 = 3.4: IPR equals IPRAS, so no disagreement (the
    # manual's "IPR > IPRAS"). Computed in fractions, equality is equality (in floats IPRAS
    # comes out as 3.4000000000000004).
    f = ipras([1, 1, 3, 3, 6, 6, 6])
    assert f is not None
    assert (f.p30, f.p70) == (2.6, 6)
    assert f.ipr == pytest.approx(f.ipras)
    assert not f.disagreement
    # 1 1 2 3 6 6 6: P30 1 + 0.8 * 1 = 1.8; IPR 4.2; AI 1.1, IPRAS 4.0: disagreement.
    g = ipras([1, 1, 2, 3, 6, 6, 6])
    assert g is not None and g.disagreement
    assert g.ipras == pytest.approx(4.0)


@given(st.lists(st.integers(1, 9), max_size=30))
def test_verdicts_hold_together(values: list[int]) -> None:
    s = scale_stats(values)
    assert sum(s.counts) == s.n == len(values)
    threshold = verdict(DEFAULT_RULE, values)
    if threshold.consensus:
        assert s.median is not None and s.median >= 7
        assert s.percent_7_to_9 is not None and s.percent_7_to_9 >= 70
        assert s.percent_1_to_3 is not None and s.percent_1_to_3 < 15
    for rule in (RAND, IPRAS):
        v = verdict(rule, values)
        assert v.label in {"agreement", "disagreement", "indeterminate"}
        assert v.consensus is (v.label == "agreement")
    if len(values) < 8:
        assert verdict(RAND, values).label == "indeterminate"
