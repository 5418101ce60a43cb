"""The statistics of a rating round, pure: answers in, numbers and verdicts out.

Scales. A 1-9 question (relevance, clarity) takes whole ratings 1 to 9; a strength question takes
one of the categories "strong", "medium", "weak". Anything else is a ValueError: the service
refuses bad answers with a 4xx before they get here, so one here is a bug.

Median and quartiles. Every percentile here (the median, the quartiles and the 30th/70th
percentiles of IPRAS) is the *linear interpolation between closest ranks*, the method of
Excel's PERCENTILE.INC / QUARTILE.INC, R's default (Hyndman and Fan type 7) and numpy's default,
so a secretariat can check any figure in a spreadsheet. For the sorted ratings x[0] .. x[n-1]
and a fraction p, h = (n - 1) * p; the percentile is x[floor(h)] + (h - floor(h)) *
(x[floor(h) + 1] - x[floor(h)]). The median is the usual one (the middle rating, or the mean of
the two middle ratings of an even panel). Worked examples, by hand:

- 1 2 3 4 5 6 7 8 9 (n = 9): h = 2 for Q1 -> 3; h = 4 -> median 5; h = 6 -> Q3 7; IQR 4.
- 2 4 6 8 (n = 4): Q1: h = 0.75 -> 2 + 0.75 * 2 = 3.5; median 5; Q3: h = 2.25 -> 6.5; IQR 3.
- 7 7 7 8 8 8 9 9 (n = 8): Q1: h = 1.75 -> 7; median (8 + 8) / 2 = 8; Q3: h = 5.25 -> 8.25.

Computation is exact (fractions), so a boundary is never missed by a rounding error; results are
floats. Nothing is rounded here: the pages, the CSV and the Word annex round for display.

Consensus rules (ConsensusRule, fixed with the round before the first answer):

- "threshold": consensus when the median is within [median_low, median_high] (default 7-9), at
  least min_percent_top % of the answers are 7-9 (default 70) and fewer than max_percent_bottom %
  are 1-3 (default 15; strictly fewer, as in "under 15 % rating 1-3"). One-sided: it finds
  indicators the panel validates; an item rated low is "no consensus".
- "rand_ucla": the RAND/UCLA Appropriateness Method (Fitch et al., The RAND/UCLA Appropriateness
  Method User's Manual, 2001, chapter 8). The median places an item in a three-point region:
  1-3 inappropriate, 4-6 uncertain, 7-9 appropriate; a median between regions (3.5 or 6.5, in an
  even panel) counts as uncertain, as it has not reached 7 (nor fallen to 3). The manual's table
  of DISAGREEMENT: panels of 8-10, at least 3 rate 1-3 and at least 3 rate 7-9; 11-13, at least 4
  each; 14-16, at least 5 each. AGREEMENT: 8-10, no more than 2 rate outside the region holding
  the median; 11-13, no more than 3; 14-16, no more than 4. Both steps are "a third of the
  panel", so for any panel of n >= 8 this module uses the formulas that give exactly that table:
  disagreement when at least floor((n + 1) / 3) rate 1-3 and as many rate 7-9; agreement when at
  most floor((n - 2) / 3) rate outside the median's region (n = 17: 6 and 5; n = 20: 7 and 6).
  Disagreement is checked first; an item with neither is "indeterminate". Consensus is
  agreement, in whatever region: agreement on "inappropriate" is the panel's settled view too,
  and the item leaves the next round. The region is given as the verdict's classification
  (appropriate / uncertain / inappropriate; "uncertain" with disagreement, as in the manual).
  Panels under 8: the manual defines no counts for them and this module invents none: the
  verdict is "indeterminate" (no consensus) and its reason says why; a round expecting small
  panels should choose "ipras", which the manual gives for any panel size.
- "ipras": the manual's interpercentile range adjusted for symmetry. IPR = P70 - P30; its
  central point IPRCP = (P30 + P70) / 2; asymmetry index AI = |5 - IPRCP|; IPRAS = 2.35 + 1.5 *
  AI. Disagreement when IPR > IPRAS, otherwise "agreement" (the manual's "without
  disagreement"), which is consensus; classification by the median as above.

Strength questions (every kind): consensus when one category holds at least
min_percent_category % of the answers (default 70).

Anonymity: a question's group statistics are shown to panellists only from MIN_SHOWN answers to
that question up. With fewer (a panel of three, say) nothing of the group is shown, not even n: with
three answers and your own known, the other two are nearly given away, and a count on a small panel
tells who did not answer. Only a secretariat the round shows its answers to sees everything
(app/rating/service.py's access rule).
"""

import html
import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any, Final, TypeVar

K = TypeVar("K", bound=Hashable)  # a panellist's key: any hashable, the same in both rounds

# The fewest answers for which an item's group statistics are shown to panellists.
MIN_SHOWN: Final = 5

SCALE: Final = range(1, 10)
CATEGORIES: Final = ("strong", "medium", "weak")
KINDS: Final = ("threshold", "rand_ucla", "ipras")
KIND_LABELS: Final = {
    "threshold": "Median and percentage thresholds",
    "rand_ucla": "RAND/UCLA agreement and disagreement by panel size",
    "ipras": "RAND/UCLA interpercentile range adjusted for symmetry (IPRAS)",
}
REGIONS: Final = {1: "inappropriate", 2: "uncertain", 3: "appropriate"}

# IPRAS constants of the manual: the IPR required for disagreement with perfect symmetry, and
# the correction factor for asymmetry.
IPR_R: Final = Fraction("2.35")
CFA: Final = Fraction("1.5")


def shown_to_panel(n: int) -> bool:
    """Whether panellists may see an item's group statistics with n answers."""
    return n >= MIN_SHOWN


def change_shown(n_previous: int, n_current: int, n_both: int) -> bool:
    """Whether the change between two rounds (stability, median and IQR change) may be shown to
    a caller who may not see everything: only when both rounds' counts and the number who
    answered both are at least MIN_SHOWN. Otherwise the change and the shown round's figures
    give away the hidden round's (4 answers in round 1, 5 in round 2: round 1's median)."""
    return min(n_previous, n_current, n_both) >= MIN_SHOWN


# -- 1-9 scales --------------------------------------------------------------------------------


def _check_scale(values: Sequence[int]) -> list[int]:
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int) or v not in SCALE:
            raise ValueError(f"rating: {v!r} is not a whole number from 1 to 9")
        out.append(v)
    return sorted(out)


def _percentile(ordered: Sequence[int], p: Fraction) -> Fraction:
    """Linear interpolation between closest ranks (PERCENTILE.INC) of sorted, non-empty data."""
    h = (len(ordered) - 1) * p
    lo = math.floor(h)
    frac = h - lo
    if frac == 0:
        return Fraction(ordered[lo])
    return ordered[lo] + frac * (ordered[lo + 1] - ordered[lo])


def percentile(values: Sequence[int], p: float) -> float | None:
    """The p-th fraction (0 <= p <= 1) of 1-9 ratings by the module's one method; None if empty."""
    if not 0 <= p <= 1:
        raise ValueError(f"p: {p!r} is not between 0 and 1")
    ordered = _check_scale(values)
    return float(_percentile(ordered, Fraction(str(p)))) if ordered else None


def _percent(k: int, n: int) -> float | None:
    return 100 * k / n if n else None


@dataclass(frozen=True, slots=True)
class ScaleStats:
    """The group's answers to one 1-9 question on one item. Everything but n and counts is None
    when nobody answered."""

    n: int
    median: float | None
    q1: float | None
    q3: float | None
    iqr: float | None
    percent_7_to_9: float | None
    percent_1_to_3: float | None
    counts: tuple[int, ...]  # nine counts, index 0 = rating 1
    percent_4_to_6: float | None = None

    def count_in(self, low: int, high: int) -> int:
        """How many rated from low to high, inclusive."""
        return sum(self.counts[low - 1 : high])


def scale_stats(values: Sequence[int]) -> ScaleStats:
    """n, median, quartiles, IQR, the shares of 7-9 and 1-3 and the nine counts of 1-9 ratings."""
    ordered = _check_scale(values)
    counts = tuple(ordered.count(r) for r in SCALE)
    n = len(ordered)
    if not n:
        return ScaleStats(0, None, None, None, None, None, None, counts, None)
    q1 = _percentile(ordered, Fraction(1, 4))
    q3 = _percentile(ordered, Fraction(3, 4))
    return ScaleStats(
        n=n,
        median=float(_percentile(ordered, Fraction(1, 2))),
        q1=float(q1),
        q3=float(q3),
        iqr=float(q3 - q1),
        percent_7_to_9=_percent(sum(counts[6:9]), n),
        percent_1_to_3=_percent(sum(counts[0:3]), n),
        counts=counts,
        percent_4_to_6=_percent(sum(counts[3:6]), n),
    )


# -- strong / medium / weak -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CategoryStats:
    """The group's answers to one strength question on one item."""

    n: int
    counts: dict[str, int]  # every category, in CATEGORIES' order
    mode: str | None  # the most chosen category; None when nobody answered or on a tie
    mode_percent: float | None  # the largest category's share (also on a tie); None if empty


def _check_categories(values: Sequence[str]) -> list[str]:
    for v in values:
        if v not in CATEGORIES:
            raise ValueError(f"strength: {v!r} is not one of strong, medium, weak")
    return list(values)


def category_stats(values: Sequence[str]) -> CategoryStats:
    answers = _check_categories(values)
    counts = {c: answers.count(c) for c in CATEGORIES}
    n = len(answers)
    if not n:
        return CategoryStats(0, counts, None, None)
    top = max(counts.values())
    leaders = [c for c in CATEGORIES if counts[c] == top]
    return CategoryStats(n, counts, leaders[0] if len(leaders) == 1 else None, 100 * top / n)


# -- consensus rules ---------------------------------------------------------------------------


def _int_field(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in SCALE:
        raise ValueError(f"{name}: {value!r} is not a whole number from 1 to 9")
    return value


def _percent_field(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name}: {value!r} is not a number")
    if not math.isfinite(value) or not 0 <= value <= 100:
        raise ValueError(f"{name}: {value!r} is not a percentage from 0 to 100")
    return float(value)


def _pct(value: float) -> str:
    """70.0 -> "70 %", 66.5 -> "66.5 %"."""
    return f"{value:g} %"


@dataclass(frozen=True, slots=True)
class ConsensusRule:
    """How a round decides consensus; stored with the round (to_json) before the first answer.
    Invalid values raise ValueError naming the field, on construction and in from_json."""

    kind: str = "threshold"
    median_low: int = 7
    median_high: int = 9
    min_percent_top: float = 70.0
    max_percent_bottom: float = 15.0
    min_percent_category: float = 70.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind: {self.kind!r} is not one of {', '.join(KINDS)}")
        _int_field("median_low", self.median_low)
        _int_field("median_high", self.median_high)
        if self.median_low > self.median_high:
            raise ValueError("median_low: must not be above median_high")
        for name in ("min_percent_top", "max_percent_bottom", "min_percent_category"):
            object.__setattr__(self, name, _percent_field(name, getattr(self, name)))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "ConsensusRule":
        """A rule from its stored JSON; a missing field takes its default, an unknown one is
        refused (ValueError naming it), like any invalid value."""
        if not isinstance(d, Mapping):
            raise ValueError("rule: not an object")
        known = set(cls.__dataclass_fields__)
        for key in d:
            if key not in known:
                raise ValueError(f"{key}: not a field of a consensus rule")
        if "kind" in d and not isinstance(d["kind"], str):
            raise ValueError(f"kind: {d['kind']!r} is not one of {', '.join(KINDS)}")
        return cls(**d)

    def describe(self) -> str:
        """The rule in plain English, stored and shown with the round."""
        category = (
            f" For strong/medium/weak questions, consensus when at least "
            f"{_pct(self.min_percent_category)} of the answers choose the same category."
        )
        if self.kind == "threshold":
            median = (
                f"is {self.median_low}"
                if self.median_low == self.median_high
                else f"is from {self.median_low} to {self.median_high}"
            )
            return (
                f"Consensus on a 1-9 question when the median rating {median}, at least "
                f"{_pct(self.min_percent_top)} of the panel rate it 7-9 and fewer than "
                f"{_pct(self.max_percent_bottom)} rate it 1-3." + category
            )
        if self.kind == "rand_ucla":
            return (
                "RAND/UCLA Appropriateness Method (Fitch et al. 2001): a median of 1-3 is "
                "inappropriate, 4-6 uncertain, 7-9 appropriate. Disagreement when at least a "
                "third of the panel rate 1-3 and as many rate 7-9 (3 each of 8-10 panellists, 4 "
                "of 11-13, 5 of 14-16; floor((n + 1) / 3) for any n). Agreement, which is "
                "consensus, when no more than 2 of 8-10 panellists (3 of 11-13, 4 of 14-16; "
                "floor((n - 2) / 3)) rate outside the three-point region holding the median. "
                "With fewer than 8 answers the rule gives no verdict." + category
            )
        return (
            "RAND/UCLA interpercentile range adjusted for symmetry (Fitch et al. 2001): "
            "disagreement when the range between the 30th and 70th percentiles is wider than "
            "2.35 + 1.5 x the distance of its midpoint from 5; otherwise agreement, which is "
            "consensus. A median of 1-3 is inappropriate, 4-6 uncertain, 7-9 appropriate."
            + category
        )


DEFAULT_RULE: Final = ConsensusRule()


@dataclass(frozen=True, slots=True)
class Verdict:
    """consensus: whether the item reached consensus under the round's rule; label: "consensus" /
    "no consensus" (threshold, strength questions) or "agreement" / "disagreement" /
    "indeterminate" (RAND/UCLA, IPRAS); reason: one sentence with the figures that decided it;
    classification: the RAND/UCLA region (appropriate, uncertain, inappropriate) or, for a
    strength question with consensus, the category."""

    consensus: bool
    label: str
    reason: str
    classification: str | None = None


def _at_least(k: int, n: int, percent: float) -> bool:
    """k / n >= percent %, exactly (percent read as the decimal it was written as)."""
    return 100 * k >= Fraction(str(percent)) * n


def _below(k: int, n: int, percent: float) -> bool:
    return 100 * k < Fraction(str(percent)) * n


def region_of(median: float) -> int:
    """1 (1-3), 2 (4-6) or 3 (7-9); a median between regions (3.5, 6.5) is in 2."""
    if median <= 3:
        return 1
    if median >= 7:
        return 3
    return 2


def _region_text(region: int) -> str:
    return {1: "1-3", 2: "4-6", 3: "7-9"}[region]


def _num(x: float) -> str:
    return f"{x:g}"


def disagreement_count(n: int) -> int:
    """RAND/UCLA: at least this many in 1-3 and as many in 7-9 is disagreement (n >= 8)."""
    return (n + 1) // 3


def agreement_count(n: int) -> int:
    """RAND/UCLA: at most this many outside the median's region is agreement (n >= 8)."""
    return (n - 2) // 3


def _threshold(rule: ConsensusRule, s: ScaleStats) -> Verdict:
    assert s.median is not None
    top, bottom = s.count_in(7, 9), s.count_in(1, 3)
    misses = []
    if not rule.median_low <= s.median <= rule.median_high:
        window = f"{rule.median_low}-{rule.median_high}"
        misses.append(f"the median {_num(s.median)} is outside {window}")
    if not _at_least(top, s.n, rule.min_percent_top):
        misses.append(f"{top} of {s.n} rated 7-9 (needs {_pct(rule.min_percent_top)})")
    if not _below(bottom, s.n, rule.max_percent_bottom):
        misses.append(f"{bottom} of {s.n} rated 1-3 (needs under {_pct(rule.max_percent_bottom)})")
    if misses:
        return Verdict(False, "no consensus", "No consensus: " + "; ".join(misses) + ".")
    return Verdict(
        True,
        "consensus",
        f"Consensus: median {_num(s.median)}, {top} of {s.n} rated 7-9, {bottom} rated 1-3.",
    )


def _rand_ucla(s: ScaleStats) -> Verdict:
    assert s.median is not None
    region = region_of(s.median)
    name = REGIONS[region]
    if s.n < 8:
        return Verdict(
            False,
            "indeterminate",
            f"No verdict: {s.n} answers; the RAND/UCLA definitions by panel size start at 8 "
            "panellists.",
            name,
        )
    bottom, top = s.count_in(1, 3), s.count_in(7, 9)
    d = disagreement_count(s.n)
    if bottom >= d and top >= d:
        return Verdict(
            False,
            "disagreement",
            f"Disagreement: {bottom} of {s.n} rated 1-3 and {top} rated 7-9 "
            f"(at least {d} each is disagreement for a panel of {s.n}).",
            "uncertain",
        )
    low, high = {1: (1, 3), 2: (4, 6), 3: (7, 9)}[region]
    outside = s.n - s.count_in(low, high)
    a = agreement_count(s.n)
    if outside <= a:
        return Verdict(
            True,
            "agreement",
            f"Agreement: median {_num(s.median)} ({name}), {outside} of {s.n} rated outside "
            f"{_region_text(region)} (at most {a} for a panel of {s.n}).",
            name,
        )
    return Verdict(
        False,
        "indeterminate",
        f"Neither agreement nor disagreement: median {_num(s.median)} ({name}), {outside} of "
        f"{s.n} rated outside {_region_text(region)} (agreement allows {a}), {bottom} rated 1-3 "
        f"and {top} rated 7-9 (disagreement needs {d} each).",
        name,
    )


@dataclass(frozen=True, slots=True)
class Ipras:
    """The IPRAS figures of one item's 1-9 ratings."""

    p30: float
    p70: float
    ipr: float
    asymmetry: float
    ipras: float
    disagreement: bool


def ipras(values: Sequence[int]) -> Ipras | None:
    """IPR = P70 - P30, AI = |5 - (P30 + P70) / 2|, IPRAS = 2.35 + 1.5 * AI; disagreement when
    IPR > IPRAS. None when nobody answered."""
    ordered = _check_scale(values)
    if not ordered:
        return None
    p30 = _percentile(ordered, Fraction(3, 10))
    p70 = _percentile(ordered, Fraction(7, 10))
    ipr = p70 - p30
    ai = abs(5 - (p30 + p70) / 2)
    limit = IPR_R + CFA * ai
    return Ipras(float(p30), float(p70), float(ipr), float(ai), float(limit), ipr > limit)


def _ipras(s: ScaleStats, values: Sequence[int]) -> Verdict:
    assert s.median is not None
    figures = ipras(values)
    assert figures is not None
    name = REGIONS[region_of(s.median)]
    detail = (
        f"IPR {_num(round(figures.ipr, 2))} (30th-70th percentile {_num(round(figures.p30, 2))}-"
        f"{_num(round(figures.p70, 2))}), IPRAS {_num(round(figures.ipras, 2))}"
    )
    if figures.disagreement:
        return Verdict(False, "disagreement", f"Disagreement: {detail}.", "uncertain")
    return Verdict(True, "agreement", f"Agreement: {detail}; median {_num(s.median)}.", name)


def verdict(rule: ConsensusRule, values: Sequence[int]) -> Verdict:
    """The verdict on one item's 1-9 ratings under the rule (see the module's docstring)."""
    s = scale_stats(values)
    if s.n == 0:
        label = "no consensus" if rule.kind == "threshold" else "indeterminate"
        return Verdict(False, label, "No answers.")
    if rule.kind == "threshold":
        return _threshold(rule, s)
    if rule.kind == "rand_ucla":
        return _rand_ucla(s)
    return _ipras(s, values)


def category_verdict(rule: ConsensusRule, values: Sequence[str]) -> Verdict:
    """Consensus when one category holds at least min_percent_category % of the answers."""
    s = category_stats(values)
    if s.n == 0:
        return Verdict(False, "no consensus", "No answers.")
    top = max(s.counts.values())
    leader = next(c for c in CATEGORIES if s.counts[c] == top)
    if s.mode is not None and _at_least(top, s.n, rule.min_percent_category):
        return Verdict(
            True,
            "consensus",
            f"Consensus: {top} of {s.n} rated it {leader} (needs "
            f"{_pct(rule.min_percent_category)}).",
            leader,
        )
    spread = ", ".join(f"{s.counts[c]} {c}" for c in CATEGORIES)
    return Verdict(
        False,
        "no consensus",
        f"No consensus: {spread} of {s.n} (one category needs {_pct(rule.min_percent_category)}).",
    )


# -- stability between rounds ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stability:
    """How the answers of the panellists who answered an item in both rounds moved."""

    n_compared: int  # panellists who answered in both rounds
    n_changed: int  # of those, how many gave another answer
    percent_changed: float | None  # None when nobody answered both


def stability(previous: Mapping[K, int | str], current: Mapping[K, int | str]) -> Stability:
    """Keys are panellists (any id), values their answer to one question on one item in each
    round; panellists who answered only one round are left out."""
    both = [k for k in current if k in previous]
    changed = sum(1 for k in both if previous[k] != current[k])
    return Stability(len(both), changed, _percent(changed, len(both)))


def median_change(previous: ScaleStats, current: ScaleStats) -> float | None:
    """current median - previous median; None unless both rounds have answers."""
    if previous.median is None or current.median is None:
        return None
    return current.median - previous.median


def iqr_change(previous: ScaleStats, current: ScaleStats) -> float | None:
    """current IQR - previous IQR (negative: the panel converged); None unless both answered."""
    if previous.iqr is None or current.iqr is None:
        return None
    return current.iqr - previous.iqr


# -- the histogram -----------------------------------------------------------------------------

BAR = 36  # width of a bar's slot, wider for long labels
PLOT_H = 120
TOP = 34  # room for the title and the value labels
BOTTOM = 30  # room for the labels under the bars
LEFT = 8


def histogram_svg(counts: Sequence[int], labels: Sequence[str], title: str) -> str:
    """An accessible bar chart of counts: role="img" with an aria-label that says every count and
    a <title>; each bar carries its value above it and its label below, so nothing depends on
    colour (dark bars with an outline on white, readable in greyscale and when printed). The
    pages put a table of the same counts behind it. Every text is escaped."""
    if len(counts) != len(labels):
        raise ValueError("labels: one label per count")
    if any(isinstance(c, bool) or not isinstance(c, int) or c < 0 for c in counts):
        raise ValueError("counts: whole numbers from 0 up")
    total = sum(counts)
    bar = max(BAR, 7 * max((len(label) for label in labels), default=0) + 8)
    tallest = max(counts, default=0)
    width = LEFT * 2 + bar * len(counts)
    height = TOP + PLOT_H + BOTTOM
    summary = ", ".join(f"{label}: {c}" for label, c in zip(labels, counts, strict=True))
    aria = f"{title}. {total} answers. {summary}" if counts else f"{title}. No answers."
    esc = html.escape
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="histogram" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-label="{esc(aria)}">',
        f"<title>{esc(aria)}</title>",
        f'<text x="{LEFT}" y="14" font-size="12" font-weight="bold" fill="#000">'
        f"{esc(title)}</text>",
        f'<line x1="{LEFT}" y1="{TOP + PLOT_H}" x2="{width - LEFT}" y2="{TOP + PLOT_H}" '
        'stroke="#000" stroke-width="1"/>',
    ]
    for i, (label, c) in enumerate(zip(labels, counts, strict=True)):
        h = round(PLOT_H * c / tallest) if tallest else 0
        x = LEFT + i * bar
        mid = x + bar / 2
        if h:
            parts.append(
                f'<rect x="{x + 4}" y="{TOP + PLOT_H - h}" width="{bar - 8}" height="{h}" '
                'fill="#3a3a3a" stroke="#000" stroke-width="1"/>'
            )
        parts.append(
            f'<text x="{mid:g}" y="{TOP + PLOT_H - h - 4}" font-size="12" text-anchor="middle" '
            f'fill="#000">{c}</text>'
        )
        parts.append(
            f'<text x="{mid:g}" y="{TOP + PLOT_H + 16}" font-size="12" text-anchor="middle" '
            f'fill="#000">{esc(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
