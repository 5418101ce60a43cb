"""Sensitivity, specificity, Wilson intervals and Cohen's kappa (app/screening/metrics.py) against
worked examples from the literature, each checked by hand below."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.screening.metrics import (
    MIN_REFERENCE_CASES,
    Interval,
    Reference,
    cohen_kappa,
    kappa_from_table,
    screening_metrics,
    wilson,
)

T = Reference.TRAFFICKED.value
N = Reference.NOT_TRAFFICKED.value
X = Reference.INSUFFICIENT.value


def close(interval: Interval | None, low: float, high: float) -> bool:
    assert interval is not None
    return math.isclose(interval.low, low, abs_tol=5e-5) and math.isclose(
        interval.high, high, abs_tol=5e-5
    )


@pytest.mark.parametrize(
    ("x", "n", "low", "high"),
    [
        # Newcombe (1998), Two-sided confidence intervals for the single proportion, Table I,
        # method 3 (Wilson score, no continuity correction)
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        # By hand, x = 0, n = 10, z^2 = 3.8415: centre = 1.9207 / 13.8415 = 0.13877; half-width
        # = 1.96 * sqrt(0 + 0.96037) / 13.8415 = 0.13877: 0 to 0.2775
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
    ],
)
def test_wilson_interval_matches_the_published_values(
    x: int, n: int, low: float, high: float
) -> None:
    assert close(wilson(x, n), low, high)


def test_wilson_edges() -> None:
    assert wilson(0, 0) is None
    with pytest.raises(ValueError, match=r"^successes: "):
        wilson(3, 2)


def test_sensitivity_and_specificity_by_hand() -> None:
    # 12 trafficked: 9 identified, 2 not, 1 insufficient (a miss by default)
    # 11 not trafficked: 8 not identified, 2 identified, 1 insufficient (not flagged)
    # 3 insufficient-information references: left out
    pairs = (
        [(T, "identified")] * 9
        + [(T, "not identified")] * 2
        + [(T, "insufficient")]
        + [(N, "not identified")] * 8
        + [(N, "identified")] * 2
        + [(N, "insufficient")]
        + [(X, "identified"), (X, "not identified"), (X, "insufficient")]
    )
    m = screening_metrics(pairs)
    assert (m.true_positive, m.false_negative, m.true_negative, m.false_positive) == (9, 3, 9, 2)
    assert m.sensitivity == pytest.approx(9 / 12)
    assert m.specificity == pytest.approx(9 / 11)
    assert m.excluded_references == 3
    assert m.insufficient_results == {T: 1, N: 1}
    assert m.insufficient_counted_as == "negative"
    assert not m.unreliable  # 12 and 11 cases, both at least 10
    assert close(m.sensitivity_interval, *_wilson_by_hand(9, 12))
    assert "sensitivity 75% (95% CI" in m.summary() and "n=12" in m.summary()
    assert "specificity 82%" in m.summary() and "unreliable" not in m.summary()

    # insufficient results left out instead
    e = screening_metrics(pairs, insufficient="excluded")
    assert (e.true_positive, e.false_negative, e.true_negative, e.false_positive) == (9, 2, 8, 2)
    assert e.sensitivity == pytest.approx(9 / 11)
    assert e.specificity == pytest.approx(8 / 10)
    assert e.insufficient_results == {T: 1, N: 1}
    assert not e.unreliable  # 11 and 10


def _wilson_by_hand(x: int, n: int) -> tuple[float, float]:
    z = 1.96
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def test_unreliable_below_ten_cases_of_either_reference() -> None:
    assert MIN_REFERENCE_CASES == 10
    ten_each = [(T, "identified")] * 10 + [(N, "not identified")] * 10
    assert not screening_metrics(ten_each).unreliable
    assert screening_metrics(ten_each[1:]).unreliable  # 9 trafficked
    assert screening_metrics(ten_each[:-1]).unreliable  # 9 not trafficked
    m = screening_metrics(ten_each[1:])
    assert m.sensitivity == 1.0
    assert close(m.sensitivity_interval, 0.7009, 1.0)  # 9/9: 100 % yet as low as 70 %
    assert "unreliable: fewer than 10" in m.summary()
    # an insufficient result excluded no longer counts towards the ten
    with_one_insufficient = [(T, "insufficient"), *ten_each[1:]]
    assert not screening_metrics(with_one_insufficient).unreliable
    assert screening_metrics(with_one_insufficient, insufficient="excluded").unreliable


def test_no_cases_gives_no_figures() -> None:
    m = screening_metrics([(X, "identified")])
    assert m.sensitivity is None and m.specificity is None
    assert m.sensitivity_interval is None and m.unreliable
    assert "sensitivity n/a (n=0)" in m.summary()


@pytest.mark.parametrize(
    ("pairs", "kwargs", "message"),
    [
        ([("victim", "identified")], {}, r"^reference: 'victim'"),
        ([(T, "positive")], {}, r"^result: 'positive'"),
        ([], {"insufficient": "positive"}, r"^insufficient: "),
    ],
)
def test_bad_input_names_the_field(
    pairs: list[tuple[str, str]], kwargs: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        screening_metrics(pairs, **kwargs)  # type: ignore[arg-type]


# --- Cohen's kappa ------------------------------------------------------------------------


def test_kappa_two_categories_by_hand() -> None:
    """50 units; A yes 25, B yes 30. po = (20 + 15) / 50 = 0.70; pe = 0.5 * 0.6 + 0.5 * 0.4 =
    0.50; kappa = 0.20 / 0.50 = 0.40 (the worked example of Cohen's kappa in most textbooks)."""
    k = kappa_from_table(
        {("yes", "yes"): 20, ("yes", "no"): 5, ("no", "yes"): 10, ("no", "no"): 15}
    )
    assert k.units == 50
    assert k.observed == pytest.approx(0.70)
    assert k.expected == pytest.approx(0.50)
    assert k.kappa == pytest.approx(0.40)
    assert k.interpretation() == "fair"


def test_cohens_1960_three_category_example() -> None:
    """Cohen (1960), A coefficient of agreement for nominal scales, table 1, as counts of 100:
    rows (A) .44 .07 .09 / .05 .20 .05 / .01 .03 .06; marginals A .60 .30 .10, B .50 .30 .20.
    po = .44 + .20 + .06 = .70; pe = .60 * .50 + .30 * .30 + .10 * .20 = .41;
    kappa = .29 / .59 = .4915."""
    cats = ("present", "absent", "unknown")
    rows = [[44, 7, 9], [5, 20, 5], [1, 3, 6]]
    table = {(a, b): rows[i][j] for i, a in enumerate(cats) for j, b in enumerate(cats)}
    k = kappa_from_table(table)
    assert k.observed == pytest.approx(0.70)
    assert k.expected == pytest.approx(0.41)
    assert k.kappa == pytest.approx(0.29 / 0.59)
    assert round(k.kappa or 0, 4) == 0.4915
    assert k.interpretation() == "moderate"


@pytest.mark.parametrize(
    ("rows", "po", "pe", "kappa"),
    [
        # Same agreement, different kappa (Feinstein and Cicchetti 1990's paradox):
        # A yes 60, B yes 70: pe = .6 * .7 + .4 * .3 = .54; kappa = (.60 - .54) / .46 = .1304
        ([[45, 15], [25, 15]], 0.60, 0.54, 0.06 / 0.46),
        # A yes 60, B yes 30: pe = .6 * .3 + .4 * .7 = .46; kappa = .14 / .54 = .2593
        ([[25, 35], [5, 35]], 0.60, 0.46, 0.14 / 0.54),
        # complete disagreement with even marginals: po 0, pe .5, kappa -1
        ([[0, 5], [5, 0]], 0.0, 0.5, -1.0),
    ],
)
def test_kappa_paradox_examples(rows: list[list[int]], po: float, pe: float, kappa: float) -> None:
    cats = ("present", "absent")
    table = {(a, b): rows[i][j] for i, a in enumerate(cats) for j, b in enumerate(cats)}
    k = kappa_from_table(table)
    assert k.observed == pytest.approx(po)
    assert k.expected == pytest.approx(pe)
    assert k.kappa == pytest.approx(kappa)


def test_kappa_over_facts_and_indicators() -> None:
    a = {
        (1, "FC-DR-01"): "present",
        (1, "FC-CD-01"): "absent",
        (2, "FC-DR-01"): "unknown",
        (2, "FC-CD-01"): "present",
        (3, "FC-EX-01"): "present",  # coder B did not code it
    }
    b = {
        (1, "FC-DR-01"): "present",
        (1, "FC-CD-01"): "absent",
        (2, "FC-DR-01"): "absent",
        (2, "FC-CD-01"): "present",
    }
    k = cohen_kappa(a, b)
    # 4 units, 3 agree: po = .75. A: present 2, absent 1, unknown 1; B: present 2, absent 2.
    # pe = (2*2 + 1*2 + 1*0) / 16 = 6/16 = .375; kappa = (.75 - .375) / .625 = .6
    assert k.units == 4 and k.only_one_coder == 1
    assert k.observed == pytest.approx(0.75)
    assert k.expected == pytest.approx(0.375)
    assert k.kappa == pytest.approx(0.6)
    assert k.table[("unknown", "absent")] == 1
    assert k.interpretation() == "moderate"


def test_kappa_undefined_when_expected_agreement_is_one() -> None:
    a = dict.fromkeys(range(7), "absent")
    k = cohen_kappa(a, dict(a))
    assert k.observed == 1.0 and k.expected == 1.0
    assert k.kappa is None
    assert k.interpretation() == "undefined"
    # one different coding makes it defined again (here: pe = 6/7 * 1, po = 6/7, kappa 0)
    b = {**a, 0: "present"}
    k = cohen_kappa(a, b)
    assert k.kappa == pytest.approx(0.0)


def test_kappa_with_nothing_in_common() -> None:
    k = cohen_kappa({1: "present"}, {2: "present"})
    assert (k.units, k.observed, k.expected, k.kappa) == (0, None, None, None)
    assert k.only_one_coder == 2
    assert k.interpretation() == "no units coded by both"


def test_kappa_refuses_an_unknown_category_naming_the_coder() -> None:
    with pytest.raises(ValueError, match=r"^coder_b: 'maybe'"):
        cohen_kappa({1: "present"}, {1: "maybe"})


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["present", "absent", "unknown"]),
            st.sampled_from(["present", "absent", "unknown"]),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_kappa_is_symmetric_and_bounded(pairs: list[tuple[str, str]]) -> None:
    a = {i: x for i, (x, _) in enumerate(pairs)}
    b = {i: y for i, (_, y) in enumerate(pairs)}
    k1, k2 = cohen_kappa(a, b), cohen_kappa(b, a)
    assert k1.observed == k2.observed
    if k1.kappa is None:
        assert k2.kappa is None and k1.observed == 1.0
    else:
        assert k2.kappa is not None
        assert k1.kappa == pytest.approx(k2.kappa)
        assert -1.0 - 1e-9 <= k1.kappa <= 1.0 + 1e-9
        if k1.observed == 1.0:
            assert k1.kappa == pytest.approx(1.0)
