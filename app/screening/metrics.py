"""How well a screening run agrees with the experts, and two coders with each other: pure.

Sensitivity and specificity (screening_metrics). Each case study has a reference outcome agreed
by the experts ("trafficked_forced_criminality", "exploited_not_trafficked",
"insufficient_information", the values of app/models/cases.py) and a screening result
("identified", "not identified", "insufficient", app/screening/rule.py).

- A reference of insufficient information is no reference: such cases are left out of both
  figures and counted in `excluded_references`.
- An "insufficient" screening result is, by default, counted as NOT identified: the screening did
  not flag the person, so an officer using it would not have referred them (a trafficked case
  screened insufficient is a false negative, a not-trafficked one a true negative). With
  `insufficient="excluded"` those cases are left out instead (figures over decided results only).
  Either way `insufficient_results` says how many there were, split by reference.
- sensitivity = TP / (TP + FN), over the trafficked references; specificity = TN / (TN + FP), over
  the not-trafficked ones. None when there is no case to divide by.
- Each comes with its Wilson score 95 % interval (z = 1.959963984540054): for x successes in n,
  centre (x + z^2/2) / (n + z^2), half-width z * sqrt(x(n - x)/n + z^2/4) / (n + z^2). Unlike the
  plain p +- 1.96 sqrt(p(1-p)/n) it stays within 0-1 and is not zero-width at 0 % or 100 %.
- `unreliable` when fewer than MIN_REFERENCE_CASES (10) trafficked OR fewer than 10
  not-trafficked cases were counted: with 9 cases a 100 % sensitivity has a Wilson interval of
  70-100 %. The figures are still given; the page says they are unreliable.

Cohen's kappa (cohen_kappa) for two coders over the same units (a unit is one fact against one
indicator), categories present / absent / unknown: observed agreement po = share of units both
coded alike; expected agreement pe = sum over categories of (share coder A gave it) x (share
coder B gave it); kappa = (po - pe) / (1 - pe). When pe is 1 (both coders gave every unit one and
the same category) kappa is undefined (0 / 0): `kappa` is None, and po (1) still says they agreed
on everything. With no unit at all every figure is None. Only units both coders coded count.
"""

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal, TypeVar

Z95: Final = 1.959963984540054
MIN_REFERENCE_CASES: Final = 10
CATEGORIES: Final = ("present", "absent", "unknown")


class Reference(StrEnum):
    TRAFFICKED = "trafficked_forced_criminality"
    NOT_TRAFFICKED = "exploited_not_trafficked"
    INSUFFICIENT = "insufficient_information"


REFERENCE_LABELS: Final = {
    Reference.TRAFFICKED: "trafficked for forced criminality",
    Reference.NOT_TRAFFICKED: "exploited but not trafficked",
    Reference.INSUFFICIENT: "insufficient information",
}
RESULTS: Final = ("identified", "not identified", "insufficient")
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


def wilson(successes: int, n: int, z: float = Z95) -> Interval | None:
    """The Wilson score interval of a proportion (95 % by default); None when n is 0."""
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"successes: {successes} is not between 0 and n = {n}")
    if n == 0:
        return None
    z2 = z * z
    centre = (successes + z2 / 2) / (n + z2)
    half = z * math.sqrt(successes * (n - successes) / n + z2 / 4) / (n + z2)
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class ScreeningMetrics:
    """Confusion counts over the cases counted, the two figures with their intervals, and what was
    left out. `unreliable` when fewer than `min_cases` trafficked or not-trafficked cases were
    counted (positives = tp + fn, negatives = tn + fp)."""

    true_positive: int
    false_negative: int
    true_negative: int
    false_positive: int
    sensitivity: float | None
    specificity: float | None
    sensitivity_interval: Interval | None
    specificity_interval: Interval | None
    insufficient_results: Mapping[str, int]
    insufficient_counted_as: str
    excluded_references: int
    unreliable: bool
    min_cases: int

    @property
    def positives(self) -> int:
        return self.true_positive + self.false_negative

    @property
    def negatives(self) -> int:
        return self.true_negative + self.false_positive

    def summary(self) -> str:
        """One line, as the screen command prints it."""

        def pct(v: float | None, ci: Interval | None, n: int) -> str:
            if v is None or ci is None:
                return f"n/a (n={n})"
            return f"{v:.0%} (95% CI {ci.low:.0%}-{ci.high:.0%}, n={n})"

        line = (
            f"sensitivity {pct(self.sensitivity, self.sensitivity_interval, self.positives)}; "
            f"specificity {pct(self.specificity, self.specificity_interval, self.negatives)}"
        )
        if self.unreliable:
            line += f"; unreliable: fewer than {self.min_cases} cases of each reference"
        return line


def screening_metrics(
    pairs: Iterable[tuple[str, str]],
    *,
    insufficient: Literal["negative", "excluded"] = "negative",
    min_cases: int = MIN_REFERENCE_CASES,
) -> ScreeningMetrics:
    """Sensitivity and specificity of (reference outcome, screening result) pairs, one per case.
    See the module's docstring for how insufficient references and results count. ValueError
    naming the field for an unknown reference or result."""
    if insufficient not in ("negative", "excluded"):
        raise ValueError(f"insufficient: {insufficient!r} is not negative or excluded")
    tp = fn = tn = fp = excluded = 0
    insufficient_results = {Reference.TRAFFICKED.value: 0, Reference.NOT_TRAFFICKED.value: 0}
    for reference, result in pairs:
        if reference not in {r.value for r in Reference}:
            raise ValueError(f"reference: {reference!r} is not one of {', '.join(Reference)}")
        if result not in RESULTS:
            raise ValueError(f"result: {result!r} is not one of {', '.join(RESULTS)}")
        if reference == Reference.INSUFFICIENT:
            excluded += 1
            continue
        if result == "insufficient":
            insufficient_results[reference] += 1
            if insufficient == "excluded":
                continue
        identified = result == "identified"
        if reference == Reference.TRAFFICKED:
            tp, fn = tp + identified, fn + (not identified)
        else:
            fp, tn = fp + identified, tn + (not identified)
    return ScreeningMetrics(
        true_positive=tp,
        false_negative=fn,
        true_negative=tn,
        false_positive=fp,
        sensitivity=tp / (tp + fn) if tp + fn else None,
        specificity=tn / (tn + fp) if tn + fp else None,
        sensitivity_interval=wilson(tp, tp + fn),
        specificity_interval=wilson(tn, tn + fp),
        insufficient_results=insufficient_results,
        insufficient_counted_as=insufficient,
        excluded_references=excluded,
        unreliable=tp + fn < min_cases or tn + fp < min_cases,
        min_cases=min_cases,
    )


@dataclass(frozen=True)
class Kappa:
    """Agreement of two coders. `table[(a, b)]` counts the units coder A put in category a and
    coder B in b. observed / expected / kappa are None with no unit; kappa alone is None when
    expected is 1 (undefined: both coders used one and the same category throughout)."""

    units: int
    observed: float | None
    expected: float | None
    kappa: float | None
    table: Mapping[tuple[str, str], int]
    only_one_coder: int

    def interpretation(self) -> str:
        """Landis and Koch's (1977) words for the value, as a guide, not a verdict."""
        if self.kappa is None:
            return "undefined" if self.units else "no units coded by both"
        k = self.kappa
        if k < 0:
            return "poor"
        for bound, word in (
            (0.2, "slight"),
            (0.4, "fair"),
            (0.6, "moderate"),
            (0.8, "substantial"),
        ):
            if k <= bound:
                return word
        return "almost perfect"


def cohen_kappa(
    coder_a: Mapping[K, str],
    coder_b: Mapping[K, str],
    categories: tuple[str, ...] = CATEGORIES,
) -> Kappa:
    """Cohen's kappa of two coders' codings, each a mapping unit -> category (a unit is e.g.
    (fact id, indicator id)). Only units both coded count; `only_one_coder` says how many one
    coder coded and the other did not. ValueError naming the coder for a category not in
    `categories`."""
    for name, coder in (("coder_a", coder_a), ("coder_b", coder_b)):
        for unit, category in coder.items():
            if category not in categories:
                raise ValueError(
                    f"{name}: {category!r} for {unit!r} is not one of {', '.join(categories)}"
                )
    both = [u for u in coder_a if u in coder_b]
    only_one = len(set(coder_a) ^ set(coder_b))
    table: Counter[tuple[str, str]] = Counter((coder_a[u], coder_b[u]) for u in both)
    n = len(both)
    if n == 0:
        return Kappa(0, None, None, None, {}, only_one)
    observed = sum(table[(c, c)] for c in categories) / n
    a = Counter(coder_a[u] for u in both)
    b = Counter(coder_b[u] for u in both)
    expected = sum(a[c] * b[c] for c in categories) / (n * n)
    # exact: expected is 1 only when both coders used a single, common category
    undefined = sum(a[c] * b[c] for c in categories) == n * n
    kappa = None if undefined else (observed - expected) / (1 - expected)
    return Kappa(n, observed, expected, kappa, dict(table), only_one)


def kappa_from_table(table: Mapping[tuple[str, str], int]) -> Kappa:
    """Cohen's kappa from a contingency table (coder A's category, coder B's) -> count, as the
    literature gives its examples. Same rules as cohen_kappa."""
    coder_a: dict[int, str] = {}
    coder_b: dict[int, str] = {}
    unit = 0
    categories = tuple(dict.fromkeys(c for pair in table for c in pair))
    for (x, y), count in table.items():
        if count < 0:
            raise ValueError(f"table: count {count} for {(x, y)!r} is negative")
        for _ in range(count):
            coder_a[unit], coder_b[unit] = x, y
            unit += 1
    return cohen_kappa(coder_a, coder_b, categories)
