"""The combination rule that turns coded indicators into a screening result, pure.

The rule is data (CombinationRule: JSON-serialisable, versioned, frozen with the round that uses
it) and one evaluator (evaluate). Nothing here reads a database: the use case passes, for one case
study and one profile, each indicator's strength for that profile, its register dimension and its
status in the case.

The 2009 rule (ILO and European Commission, Operational indicators of trafficking in human beings,
2009), as ILO_2009 below:

- Indicators are grouped in dimensions. Each indicator has a strength (strong, medium, weak) for
  each profile (adult, child). "contextual" indicators, and indicators with no strength for the
  profile, never count towards a dimension (they help to interpret the others).
- A dimension is MET when its indicators present make up one of its sufficient combinations: two
  strong; one strong and one medium; one strong and one weak; three medium; two medium and one
  weak. A combination asks for at least so many indicators of each strength, and a stronger
  indicator may fill the place of a weaker one (so 1 strong + 2 medium meets "3 medium" too); each
  indicator fills one place only. Just not met: one strong alone, two medium, one medium and two
  weak, any number of weak indicators alone.
- The dimensions serve the three elements of the definition: the act (recruitment: deceptive
  recruitment DR, coercive recruitment CR or abuse of vulnerability AV), the purpose (exploitation:
  compelled criminal activity EX) and the means (coercion at destination CD or abuse of
  vulnerability AV). An element is met when ANY of its dimensions is met. The demo register has
  one abuse-of-vulnerability dimension where the 2009 text has two (at recruitment and at
  destination), so AV serves both the act and the means, as the demo's section "Assessing the
  indicators" says. The nexus (NX) serves no element: it does not decide identification.
- Identified when every element the profile requires is met: adults need the act, the purpose and
  the means; for a child the means are not needed (Palermo Protocol, article 3(c)).

Each indicator's status in a case is "present", "absent" or "unknown" (indicator_status combines
the codings of several facts). Unknown indicators give a range:

- the WORST case counts unknown indicators as absent, the BEST case as present;
- "identified" when even the worst case is identified, "not identified" when even the best case is
  not, and "insufficient" when the two differ: the missing facts would decide.

The rule is monotone (more indicators present never turns a met dimension into an unmet one), so
the best case is always at least the worst case.

Another rule (a draft of the secretariat: other thresholds, another grouping) is the same data with
other values: per dimension its own list of sufficient combinations, the elements each dimension
serves, and the elements each profile requires. to_json/from_json carry it; from_json and the
constructor refuse anything malformed with a ValueError whose message starts with the field
("dimensions[2].combinations[0]: ...").
"""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final, NamedTuple, cast

SCHEMA_VERSION: Final = 1
# Strongest first: the order in which places in a combination are filled.
STRENGTHS: Final = ("strong", "medium", "weak")
PROFILES: Final = ("adult", "child")


class Status(StrEnum):
    PRESENT = "present"
    ABSENT = "absent"
    UNKNOWN = "unknown"


class Result(StrEnum):
    IDENTIFIED = "identified"
    NOT_IDENTIFIED = "not identified"
    INSUFFICIENT = "insufficient"


class Coded(NamedTuple):
    """One indicator in one case: its strength for the profile (None or "contextual": does not
    count), its register dimension code (e.g. "DR") and its status in the case."""

    strength: str | None
    dimension: str
    status: str


def indicator_status(statuses: Iterable[str]) -> Status:
    """One indicator's status in a case from its codings on the case's facts: present when any
    fact shows it, otherwise unknown when any fact is coded unknown, otherwise absent (also when
    no fact was coded for it: nothing in the narrative shows it)."""
    seen = {Status(_status(s, "status")) for s in statuses}
    if Status.PRESENT in seen:
        return Status.PRESENT
    if Status.UNKNOWN in seen:
        return Status.UNKNOWN
    return Status.ABSENT


def _status(value: object, where: str) -> str:
    if value not in {s.value for s in Status}:
        raise ValueError(f"{where}: {value!r} is not one of present, absent, unknown")
    return str(value)


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: must be a non-empty text")
    return value


def _codes(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise ValueError(f"{where}: must be a list of codes")
    out = tuple(_text(v, f"{where}[{i}]") for i, v in enumerate(value))
    if len(set(out)) != len(out):
        raise ValueError(f"{where}: a code is listed twice")
    return out


@dataclass(frozen=True)
class Combination:
    """A sufficient combination: at least so many strong, medium and weak indicators present."""

    strong: int = 0
    medium: int = 0
    weak: int = 0

    def __post_init__(self) -> None:
        for name in STRENGTHS:
            n = getattr(self, name)
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise ValueError(f"{name}: {n!r} is not a whole number from 0")
        if self.strong + self.medium + self.weak == 0:
            raise ValueError("combination: needs at least one indicator")

    def satisfied_by(self, strong: int, medium: int, weak: int) -> bool:
        """Whether so many indicators of each strength fill this combination, a stronger one
        standing in for a weaker one (each filling one place): the places are filled strongest
        first, so it is enough that the indicators at least as strong as each level cover the
        places down to that level."""
        return (
            strong >= self.strong
            and strong + medium >= self.strong + self.medium
            and strong + medium + weak >= self.strong + self.medium + self.weak
        )

    def describe(self) -> str:
        parts = [f"{_number(getattr(self, s))} {s}" for s in STRENGTHS if getattr(self, s)]
        return " and ".join(parts)

    def to_json(self) -> dict[str, int]:
        return {s: getattr(self, s) for s in STRENGTHS if getattr(self, s)}

    @classmethod
    def from_json(cls, data: object, where: str = "combination") -> "Combination":
        if not isinstance(data, dict):
            raise ValueError(f'{where}: must be an object such as {{"strong": 2}}')
        unknown = set(data) - set(STRENGTHS)
        if unknown:
            raise ValueError(f"{where}: {sorted(unknown)[0]!r} is not one of strong, medium, weak")
        if not any(data.get(k) for k in STRENGTHS):
            raise ValueError(f"{where}: needs at least one indicator")
        try:
            return cls(**{k: data[k] for k in STRENGTHS if k in data})
        except ValueError as e:
            raise ValueError(f"{where}.{e}") from None


def _number(n: int) -> str:
    words = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
    return words[n] if n < len(words) else str(n)


@dataclass(frozen=True)
class RuleDimension:
    """A dimension the rule assesses: the register dimensions whose indicators it pools (usually
    one, its own code), its sufficient combinations (any one is enough) and the elements it
    serves."""

    code: str
    label: str
    sources: tuple[str, ...]
    combinations: tuple[Combination, ...]
    elements: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": self.label,
            "sources": list(self.sources),
            "combinations": [c.to_json() for c in self.combinations],
            "elements": list(self.elements),
        }

    @classmethod
    def from_json(cls, data: object, where: str) -> "RuleDimension":
        if not isinstance(data, dict):
            raise ValueError(f"{where}: must be an object")
        combinations = data.get("combinations")
        if not isinstance(combinations, list) or not combinations:
            raise ValueError(f"{where}.combinations: must be a non-empty list")
        return cls(
            code=_text(data.get("code"), f"{where}.code"),
            label=_text(data.get("label"), f"{where}.label"),
            sources=_codes(data.get("sources"), f"{where}.sources"),
            combinations=tuple(
                Combination.from_json(c, f"{where}.combinations[{i}]")
                for i, c in enumerate(combinations)
            ),
            elements=_codes(data.get("elements", []), f"{where}.elements"),
        )


@dataclass(frozen=True)
class CombinationRule:
    """A combination rule as data. `elements` maps each element's code to its label, in order;
    `required` each profile to the elements it needs. `version` is the rule's own version (a
    revised draft gets a new one); SCHEMA_VERSION is that of the JSON layout."""

    name: str
    version: int
    dimensions: tuple[RuleDimension, ...]
    elements: Mapping[str, str]
    required: Mapping[str, tuple[str, ...]]
    source: str = ""
    _by_source: Mapping[str, tuple[RuleDimension, ...]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        _text(self.name, "name")
        if isinstance(self.version, bool) or not isinstance(self.version, int) or self.version < 1:
            raise ValueError(f"version: {self.version!r} is not a whole number from 1")
        if not isinstance(self.source, str):
            raise ValueError("source: must be a text")
        if not self.dimensions:
            raise ValueError("dimensions: must not be empty")
        if not self.elements:
            raise ValueError("elements: must not be empty")
        for code, label in self.elements.items():
            _text(code, "elements")
            _text(label, f"elements.{code}")
        codes: set[str] = set()
        by_source: dict[str, list[RuleDimension]] = {}
        for i, d in enumerate(self.dimensions):
            where = f"dimensions[{i}]"
            if d.code in codes:
                raise ValueError(f"{where}.code: {d.code!r} is listed twice")
            codes.add(d.code)
            if not d.sources:
                raise ValueError(f"{where}.sources: must name at least one register dimension")
            if not d.combinations:
                raise ValueError(f"{where}.combinations: must be a non-empty list")
            for e in d.elements:
                if e not in self.elements:
                    raise ValueError(f"{where}.elements: {e!r} is not one of the rule's elements")
            for s in d.sources:
                by_source.setdefault(s, []).append(d)
        for profile in PROFILES:
            if profile not in self.required:
                raise ValueError(f"required.{profile}: missing")
        for profile, needed in self.required.items():
            if profile not in PROFILES:
                raise ValueError(f"required: {profile!r} is not one of adult, child")
            if not needed:
                raise ValueError(f"required.{profile}: must name at least one element")
            for e in needed:
                if e not in self.elements:
                    raise ValueError(f"required.{profile}: {e!r} is not one of the rule's elements")
                if not any(e in d.elements for d in self.dimensions):
                    raise ValueError(f"required.{profile}: no dimension serves {e!r}")
        object.__setattr__(self, "_by_source", {k: tuple(v) for k, v in by_source.items()})

    def dimensions_for(self, register_dimension: str) -> tuple[RuleDimension, ...]:
        """The rule's dimensions that pool the indicators of this register dimension."""
        return self._by_source.get(register_dimension, ())

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_VERSION,
            "name": self.name,
            "version": self.version,
            "source": self.source,
            "elements": [{"code": c, "label": label} for c, label in self.elements.items()],
            "dimensions": [d.to_json() for d in self.dimensions],
            "required": {p: list(self.required[p]) for p in PROFILES},
        }

    def dumps(self) -> str:
        """The JSON text, keys in a fixed order (what a round freezes)."""
        return json.dumps(self.to_json(), ensure_ascii=False)

    @classmethod
    def from_json(cls, data: object) -> "CombinationRule":
        """The rule from to_json's shape (a dict, or its JSON text). ValueError naming the field
        ("dimensions[1].combinations[0].strong: ...") when anything is malformed."""
        if isinstance(data, str | bytes):
            try:
                data = json.loads(data)
            except ValueError:
                raise ValueError("rule: is not valid JSON") from None
        if not isinstance(data, dict):
            raise ValueError("rule: must be an object")
        if data.get("schema") != SCHEMA_VERSION:
            raise ValueError(f"schema: {data.get('schema')!r} is not {SCHEMA_VERSION}")
        elements = data.get("elements")
        if not isinstance(elements, list) or not elements:
            raise ValueError("elements: must be a non-empty list")
        parsed_elements: dict[str, str] = {}
        for i, e in enumerate(elements):
            if not isinstance(e, dict):
                raise ValueError(f"elements[{i}]: must be an object")
            code = _text(e.get("code"), f"elements[{i}].code")
            if code in parsed_elements:
                raise ValueError(f"elements[{i}].code: {code!r} is listed twice")
            parsed_elements[code] = _text(e.get("label"), f"elements[{i}].label")
        dimensions = data.get("dimensions")
        if not isinstance(dimensions, list) or not dimensions:
            raise ValueError("dimensions: must be a non-empty list")
        required = data.get("required")
        if not isinstance(required, dict):
            raise ValueError("required: must be an object with adult and child")
        return cls(
            name=_text(data.get("name"), "name"),
            version=cast(int, data.get("version")),
            source=data.get("source", ""),
            elements=parsed_elements,
            dimensions=tuple(
                RuleDimension.from_json(d, f"dimensions[{i}]") for i, d in enumerate(dimensions)
            ),
            required={p: _codes(v, f"required.{p}") for p, v in required.items()},
        )

    def describe(self) -> str:
        """The rule in plain English, for the rule's page and the Word annex."""
        lines = [f"{self.name} (version {self.version})."]
        if self.source:
            lines.append(f"Source: {self.source}.")
        lines.append(
            "Only strong, medium and weak indicators count; a stronger indicator may take the "
            "place of a weaker one, and each indicator counts once."
        )
        for d in self.dimensions:
            combos = "; ".join(c.describe() for c in d.combinations)
            pooled = ""
            if d.sources != (d.code,):
                pooled = f" (indicators of {', '.join(d.sources)})"
            lines.append(
                f"{d.label}{pooled} is met by any of: {combos} (at least so many present)."
            )
        for code, label in self.elements.items():
            served = [d.label for d in self.dimensions if code in d.elements]
            if served:
                lines.append(f"{label} is met when any of these is met: {', '.join(served)}.")
        for profile in PROFILES:
            needed = [self.elements[e] for e in self.required[profile]]
            who = "An adult" if profile == "adult" else "A child"
            lines.append(f"{who} is identified when {_and(needed)} are each met.")
        lines.append(
            "When some indicators are unknown, the worst case counts them as absent and the best "
            "case as present; if the two differ the result is insufficient."
        )
        return "\n".join(lines)


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _ilo_combinations() -> tuple[Combination, ...]:
    return (
        Combination(strong=2),
        Combination(strong=1, medium=1),
        Combination(strong=1, weak=1),
        Combination(medium=3),
        Combination(medium=2, weak=1),
    )


def _ilo_dimension(code: str, label: str, *elements: str) -> RuleDimension:
    return RuleDimension(code, label, (code,), _ilo_combinations(), elements)


ILO_2009: Final = CombinationRule(
    name="ILO/European Commission 2009",
    version=1,
    source=(
        "ILO and European Commission, Operational indicators of trafficking in human beings, "
        "2009; dimensions as in the draft's register"
    ),
    elements={
        "act": "Recruitment (the act)",
        "purpose": "Exploitation (the purpose)",
        "means": "Coercion or abuse of vulnerability (the means)",
    },
    dimensions=(
        _ilo_dimension("DR", "Deceptive recruitment", "act"),
        _ilo_dimension("CR", "Coercive recruitment", "act"),
        _ilo_dimension("AV", "Abuse of vulnerability", "act", "means"),
        _ilo_dimension("EX", "Compelled criminal activity", "purpose"),
        _ilo_dimension("CD", "Control at destination", "means"),
        _ilo_dimension("NX", "Nexus between the offence and the trafficking"),
    ),
    required={"adult": ("act", "purpose", "means"), "child": ("act", "purpose")},
)


def _pooled(code: str, label: str, sources: tuple[str, ...], element: str) -> RuleDimension:
    return RuleDimension(code, label, sources, _ilo_combinations(), (element,))


# A variant the secretariat may choose, not the 2009 text: the same thresholds over the indicators
# of each element pooled (one strong of deceptive and one medium of coercive recruitment meet the
# act together, where ILO_2009 needs either dimension met on its own). Abuse of vulnerability
# counts for the act and for the means, as in ILO_2009.
ILO_2009_POOLED: Final = CombinationRule(
    name="ILO/European Commission 2009 thresholds, indicators pooled per element",
    version=1,
    source="a variant of ILO_2009 for comparison: one assessment per element",
    elements=ILO_2009.elements,
    dimensions=(
        _pooled("REC", "Recruitment", ("DR", "CR", "AV"), "act"),
        _pooled("EXP", "Exploitation", ("EX",), "purpose"),
        _pooled("MEANS", "Coercion or abuse of vulnerability", ("CD", "AV"), "means"),
    ),
    required=ILO_2009.required,
)


@dataclass(frozen=True)
class DimensionOutcome:
    """One rule dimension in one case: met in the worst and best case, the combination met (its
    describe(), "" when none), and the counting indicators present and unknown."""

    code: str
    label: str
    met_worst: bool
    met_best: bool
    combination_worst: str
    combination_best: str
    present: tuple[str, ...]
    unknown: tuple[str, ...]


@dataclass(frozen=True)
class ScreeningResult:
    """The screening of one case under one rule and profile.

    result: identified when the worst case (unknowns absent) is identified; not identified when
    even the best case (unknowns present) is not; insufficient when they differ.
    dimensions_met_worst / _best: the codes of the rule's dimensions met in each case, in the
    rule's order; elements_met_worst / _best likewise for the elements.
    counted: the indicators present that count (a strength for the profile, a dimension of the
    rule); counted_if_known: the unknown ones that would count; ignored: the present or unknown
    indicators that cannot count (contextual, no strength, or a dimension the rule has not)."""

    result: Result
    profile: str
    rule: str
    rule_version: int
    dimensions_met_worst: tuple[str, ...]
    dimensions_met_best: tuple[str, ...]
    elements_met_worst: tuple[str, ...]
    elements_met_best: tuple[str, ...]
    identified_worst: bool
    identified_best: bool
    counted: tuple[str, ...]
    counted_if_known: tuple[str, ...]
    ignored: tuple[str, ...]
    dimensions: tuple[DimensionOutcome, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "result": self.result.value,
            "profile": self.profile,
            "rule": self.rule,
            "rule_version": self.rule_version,
            "dimensions_met_worst": list(self.dimensions_met_worst),
            "dimensions_met_best": list(self.dimensions_met_best),
            "elements_met_worst": list(self.elements_met_worst),
            "elements_met_best": list(self.elements_met_best),
            "counted": list(self.counted),
            "counted_if_known": list(self.counted_if_known),
            "ignored": list(self.ignored),
        }


def _met(combinations: tuple[Combination, ...], counts: dict[str, int]) -> Combination | None:
    for c in combinations:
        if c.satisfied_by(counts["strong"], counts["medium"], counts["weak"]):
            return c
    return None


def evaluate(
    indicators: Mapping[str, Coded | tuple[str | None, str, str]],
    profile: str,
    rule: CombinationRule = ILO_2009,
) -> ScreeningResult:
    """Screen one case: `indicators` maps each indicator's code to (its strength for this
    profile, its register dimension, its status in the case). Indicators absent from the mapping
    are absent. The result is identified / not identified / insufficient, with the best case
    (unknown indicators counted as present) and the worst case (counted as absent); when the two
    differ the result is insufficient. ValueError naming the field for a bad profile, strength or
    status."""
    if profile not in PROFILES:
        raise ValueError(f"profile: {profile!r} is not one of adult, child")
    worst = {d.code: dict.fromkeys(STRENGTHS, 0) for d in rule.dimensions}
    best = {d.code: dict.fromkeys(STRENGTHS, 0) for d in rule.dimensions}
    present: dict[str, list[str]] = {d.code: [] for d in rule.dimensions}
    unknown: dict[str, list[str]] = {d.code: [] for d in rule.dimensions}
    counted: list[str] = []
    counted_if_known: list[str] = []
    ignored: list[str] = []
    for code in sorted(indicators):
        strength, dimension, status = Coded(*indicators[code])
        _status(status, f"indicators.{code}.status")
        if strength is not None and strength not in (*STRENGTHS, "contextual"):
            raise ValueError(
                f"indicators.{code}.strength: {strength!r} is not one of strong, medium, weak, "
                "contextual"
            )
        if status == Status.ABSENT:
            continue
        targets = rule.dimensions_for(dimension)
        if strength not in STRENGTHS or not targets:
            ignored.append(code)
            continue
        assert strength is not None
        (counted if status == Status.PRESENT else counted_if_known).append(code)
        for d in targets:
            best[d.code][strength] += 1
            if status == Status.PRESENT:
                worst[d.code][strength] += 1
                present[d.code].append(code)
            else:
                unknown[d.code].append(code)
    outcomes = []
    for d in rule.dimensions:
        w = _met(d.combinations, worst[d.code])
        b = _met(d.combinations, best[d.code])
        outcomes.append(
            DimensionOutcome(
                code=d.code,
                label=d.label,
                met_worst=w is not None,
                met_best=b is not None,
                combination_worst=w.describe() if w else "",
                combination_best=b.describe() if b else "",
                present=tuple(present[d.code]),
                unknown=tuple(unknown[d.code]),
            )
        )

    def elements_met(best_case: bool) -> tuple[str, ...]:
        met = {
            e
            for o, d in zip(outcomes, rule.dimensions, strict=True)
            if (o.met_best if best_case else o.met_worst)
            for e in d.elements
        }
        return tuple(e for e in rule.elements if e in met)

    elements_worst = elements_met(False)
    elements_best = elements_met(True)
    needed = rule.required[profile]
    identified_worst = all(e in elements_worst for e in needed)
    identified_best = all(e in elements_best for e in needed)
    if identified_worst:
        result = Result.IDENTIFIED
    elif not identified_best:
        result = Result.NOT_IDENTIFIED
    else:
        result = Result.INSUFFICIENT
    return ScreeningResult(
        result=result,
        profile=profile,
        rule=rule.name,
        rule_version=rule.version,
        dimensions_met_worst=tuple(o.code for o in outcomes if o.met_worst),
        dimensions_met_best=tuple(o.code for o in outcomes if o.met_best),
        elements_met_worst=elements_worst,
        elements_met_best=elements_best,
        identified_worst=identified_worst,
        identified_best=identified_best,
        counted=tuple(counted),
        counted_if_known=tuple(counted_if_known),
        ignored=tuple(ignored),
        dimensions=tuple(outcomes),
    )


@dataclass(frozen=True)
class Change:
    """A case whose result differs between two screenings (two rules, or the indicators before
    and after a proposal)."""

    case: str
    before: Result
    after: Result

    def to_json(self) -> dict[str, str]:
        return {"case": self.case, "before": self.before.value, "after": self.after.value}


def changes(
    before: Mapping[str, ScreeningResult], after: Mapping[str, ScreeningResult]
) -> list[Change]:
    """The cases whose result differs, in the order of `before`; only the result counts (not the
    dimensions met). ValueError naming the case when a case is screened in one run only."""
    alone = sorted(set(before) ^ set(after))
    if alone:
        raise ValueError(f"case: {alone[0]!r} is screened in one run only")
    return [
        Change(case, before[case].result, after[case].result)
        for case in before
        if before[case].result is not after[case].result
    ]
