"""The combination rule (app/screening/rule.py) against worked cases, by hand.

ILO/EC 2009: a dimension is met by 2 strong, 1 strong + 1 medium, 1 strong + 1 weak, 3 medium, or
2 medium + 1 weak; an adult is identified when the act (DR, CR or AV), the purpose (EX) and the
means (CD or AV) are each met; a child needs no means. Unknown indicators give a worst case
(absent) and a best case (present); when they differ the result is insufficient."""

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.screening.rule import (
    ILO_2009,
    ILO_2009_POOLED,
    Change,
    Coded,
    Combination,
    CombinationRule,
    Result,
    Status,
    changes,
    evaluate,
    indicator_status,
)

S, M, W = "strong", "medium", "weak"


def dimension(dim: str, *strengths: str, status: str = "present") -> dict[str, Coded]:
    return {f"FC-{dim}-{i:02}": Coded(s, dim, status) for i, s in enumerate(strengths, 1)}


def met(*strengths: str) -> bool:
    """Whether the DR dimension is met with these indicators present."""
    return "DR" in evaluate(dimension("DR", *strengths), "adult").dimensions_met_worst


@pytest.mark.parametrize(
    "strengths",
    [
        (S, S),
        (S, M),
        (S, W),
        (M, M, M),
        (M, M, W),
        # a stronger indicator may fill a weaker one's place
        (S, M, M),
        (S, W, W),
        (S, S, S),
        (M, M, M, W),
    ],
)
def test_each_sufficient_combination_meets_the_dimension(strengths: tuple[str, ...]) -> None:
    assert met(*strengths)


@pytest.mark.parametrize(
    "strengths",
    [
        (),
        (S,),
        (M,),
        (W,),
        (M, M),
        (M, W),
        (M, W, W),
        (W, W),
        (W, W, W),
        (W, W, W, W, W),
        (M, W, W, W, W),
    ],
)
def test_just_insufficient_combinations_do_not(strengths: tuple[str, ...]) -> None:
    assert not met(*strengths)


def test_contextual_and_strengthless_indicators_never_count() -> None:
    assert not met(S, "contextual")
    case = {**dimension("DR", S), "FC-DR-09": Coded(None, "DR", "present")}
    result = evaluate(case, "adult")
    assert "DR" not in result.dimensions_met_worst
    assert result.ignored == ("FC-DR-09",)
    assert result.counted == ("FC-DR-01",)


def test_indicators_of_different_dimensions_are_not_pooled() -> None:
    # one strong in DR and one medium in CR: each dimension is assessed on its own (ILO 2009)
    case = {**dimension("DR", S), **dimension("CR", M)}
    result = evaluate(case, "adult")
    assert result.dimensions_met_worst == ()
    assert "act" not in result.elements_met_worst


def adult_case(**overrides: tuple[str, ...]) -> dict[str, Coded]:
    """A case meeting DR, EX and CD with two strong each, or what the overrides say."""
    dims = {"DR": (S, S), "EX": (S, S), "CD": (S, S), **overrides}
    case: dict[str, Coded] = {}
    for dim, strengths in dims.items():
        case.update(dimension(dim, *strengths))
    return case


def test_adult_identified_when_act_purpose_and_means_are_met() -> None:
    result = evaluate(adult_case(), "adult")
    assert result.result is Result.IDENTIFIED
    assert result.dimensions_met_worst == ("DR", "EX", "CD")
    assert result.dimensions_met_best == ("DR", "EX", "CD")
    assert result.elements_met_worst == ("act", "purpose", "means")
    assert result.identified_worst and result.identified_best


@pytest.mark.parametrize("missing", ["DR", "EX", "CD"])
def test_adult_not_identified_when_one_element_fails(missing: str) -> None:
    result = evaluate(adult_case(**{missing: (S,)}), "adult")
    assert result.result is Result.NOT_IDENTIFIED
    assert missing not in result.dimensions_met_best


def test_each_recruitment_dimension_gives_the_act_and_vulnerability_gives_the_means() -> None:
    for act in ("DR", "CR", "AV"):
        case = adult_case(**{"DR": (), act: (S, M)})
        assert evaluate(case, "adult").result is Result.IDENTIFIED, act
    # abuse of vulnerability alone serves both the act and the means
    case = {**dimension("AV", M, M, W), **dimension("EX", S, W)}
    result = evaluate(case, "adult")
    assert result.elements_met_worst == ("act", "purpose", "means")
    assert result.result is Result.IDENTIFIED


def test_the_nexus_decides_nothing() -> None:
    case = adult_case(CD=(), NX=(S, S))
    result = evaluate(case, "adult")
    assert "NX" in result.dimensions_met_worst
    assert result.result is Result.NOT_IDENTIFIED


def test_child_profile_needs_no_means() -> None:
    case = adult_case(CD=())
    assert evaluate(case, "adult").result is Result.NOT_IDENTIFIED
    child = evaluate(case, "child")
    assert child.result is Result.IDENTIFIED
    assert child.elements_met_worst == ("act", "purpose")
    # but the act and the purpose are still needed
    assert evaluate(adult_case(CD=(), EX=(M, M)), "child").result is Result.NOT_IDENTIFIED
    assert evaluate(adult_case(CD=(), DR=(W, W, W)), "child").result is Result.NOT_IDENTIFIED


def test_the_profile_chooses_the_strength_given_by_the_caller() -> None:
    # FC-DR-02 is medium for adults, strong for children in the demo: the caller passes the one
    # of the profile, so the same facts meet DR for a child only
    adult = {"FC-DR-01": Coded(M, "DR", "present"), "FC-DR-02": Coded(M, "DR", "present")}
    child = {"FC-DR-01": Coded(M, "DR", "present"), "FC-DR-02": Coded(S, "DR", "present")}
    assert evaluate(adult, "adult").dimensions_met_worst == ()
    assert evaluate(child, "child").dimensions_met_worst == ("DR",)


def test_unknown_facts_give_a_range_and_an_insufficient_result() -> None:
    # CD has one strong present and one medium unknown: met only in the best case
    case = adult_case(CD=(S,))
    case["FC-CD-02"] = Coded(M, "CD", "unknown")
    result = evaluate(case, "adult")
    assert result.result is Result.INSUFFICIENT
    assert result.dimensions_met_worst == ("DR", "EX")
    assert result.dimensions_met_best == ("DR", "EX", "CD")
    assert not result.identified_worst and result.identified_best
    assert result.counted_if_known == ("FC-CD-02",)
    cd = next(d for d in result.dimensions if d.code == "CD")
    assert (cd.present, cd.unknown) == (("FC-CD-01",), ("FC-CD-02",))
    assert (cd.combination_worst, cd.combination_best) == ("", "one strong and one medium")


def test_unknowns_that_cannot_change_the_result_leave_it_decided() -> None:
    # identified already: an unknown only adds
    case = adult_case()
    case["FC-AV-01"] = Coded(W, "AV", "unknown")
    assert evaluate(case, "adult").result is Result.IDENTIFIED
    # not identified even in the best case: two unknown weak indicators cannot meet CD
    case = adult_case(CD=())
    case.update(dimension("CD", W, W, status="unknown"))
    result = evaluate(case, "adult")
    assert result.result is Result.NOT_IDENTIFIED
    assert "CD" not in result.dimensions_met_best


def test_absent_indicators_count_for_nothing() -> None:
    case = adult_case(CD=())
    case.update(dimension("CD", S, S, status="absent"))
    result = evaluate(case, "adult")
    assert result.result is Result.NOT_IDENTIFIED
    assert "FC-CD-01" not in result.counted + result.counted_if_known + result.ignored


def test_fact_codings_combine_into_the_indicator_status() -> None:
    assert indicator_status(["absent", "unknown", "present"]) is Status.PRESENT
    assert indicator_status(["absent", "unknown"]) is Status.UNKNOWN
    assert indicator_status(["absent", "absent"]) is Status.ABSENT
    assert indicator_status([]) is Status.ABSENT
    with pytest.raises(ValueError, match=r"^status: 'maybe'"):
        indicator_status(["maybe"])


@pytest.mark.parametrize(
    ("case", "profile", "message"),
    [
        ({}, "elder", r"^profile: "),
        ({"X": ("very", "DR", "present")}, "adult", r"^indicators\.X\.strength: "),
        ({"X": ("strong", "DR", "yes")}, "adult", r"^indicators\.X\.status: "),
    ],
)
def test_bad_input_names_the_field(case: dict[str, Any], profile: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        evaluate(case, profile)


# --- rules as data ------------------------------------------------------------------------


def test_the_ilo_rule_round_trips_through_json() -> None:
    text = ILO_2009.dumps()
    again = CombinationRule.from_json(text)
    assert again == ILO_2009
    assert CombinationRule.from_json(json.loads(text)) == ILO_2009
    assert again.dumps() == text
    data = ILO_2009.to_json()
    assert data["schema"] == 1 and data["version"] == 1
    assert data["required"] == {"adult": ["act", "purpose", "means"], "child": ["act", "purpose"]}
    dr = data["dimensions"][0]
    assert dr["code"] == "DR" and dr["sources"] == ["DR"] and dr["elements"] == ["act"]
    assert dr["combinations"] == [
        {"strong": 2},
        {"strong": 1, "medium": 1},
        {"strong": 1, "weak": 1},
        {"medium": 3},
        {"medium": 2, "weak": 1},
    ]


def test_the_rule_in_plain_english() -> None:
    text = ILO_2009.describe()
    assert "Deceptive recruitment is met by any of: two strong; one strong and one medium;" in text
    assert "three medium; two medium and one weak" in text
    assert "A child is identified when Recruitment (the act) and Exploitation" in text
    assert "best case" in text and "insufficient" in text


def draft(**changes: Any) -> dict[str, Any]:
    data = ILO_2009.to_json()
    data.update(changes)
    return data


def test_a_draft_rule_with_other_thresholds_and_pooled_recruitment() -> None:
    data = draft(name="Secretariat draft: stricter", version=2)
    # recruitment pooled from DR, CR and AV; two strong needed everywhere
    data["dimensions"] = [
        {
            "code": "REC",
            "label": "Recruitment",
            "sources": ["DR", "CR", "AV"],
            "combinations": [{"strong": 2}],
            "elements": ["act"],
        },
        {
            "code": "EX",
            "label": "Exploitation",
            "sources": ["EX"],
            "combinations": [{"strong": 2}, {"medium": 4}],
            "elements": ["purpose"],
        },
        {
            "code": "CD",
            "label": "Coercion",
            "sources": ["CD", "AV"],
            "combinations": [{"strong": 1}],
            "elements": ["means"],
        },
    ]
    rule = CombinationRule.from_json(data)
    assert CombinationRule.from_json(rule.dumps()) == rule
    assert "Recruitment (indicators of DR, CR, AV) is met by any of: two strong" in rule.describe()
    case = {
        **dimension("DR", S),
        **dimension("CR", S),
        **dimension("EX", M, M, M, M),
        **dimension("CD", S),
    }
    # ILO 2009: DR and CR each have one strong alone: no act
    assert evaluate(case, "adult").result is Result.NOT_IDENTIFIED
    result = evaluate(case, "adult", rule)
    assert result.result is Result.IDENTIFIED
    assert result.dimensions_met_worst == ("REC", "EX", "CD")
    assert (result.rule, result.rule_version) == ("Secretariat draft: stricter", 2)


def without(data: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != key}


def dims(**change: Any) -> list[dict[str, Any]]:
    out = ILO_2009.to_json()["dimensions"]
    out[1] = {**out[1], **change}
    return list(out)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("{not json", r"^rule: is not valid JSON"),
        ([], r"^rule: must be an object"),
        (draft(schema=2), r"^schema: 2 is not 1"),
        (draft(name=""), r"^name: "),
        (without(draft(), "version"), r"^version: None"),
        (draft(version=0), r"^version: 0 "),
        (draft(version="1"), r"^version: '1' "),
        (draft(elements=[]), r"^elements: "),
        (draft(elements=[{"code": "act"}]), r"^elements\[0\]\.label: "),
        (draft(dimensions=[]), r"^dimensions: "),
        (draft(dimensions=dims(combinations=[])), r"^dimensions\[1\]\.combinations: "),
        (draft(dimensions=dims(combinations=[{}])), r"^dimensions\[1\]\.combinations\[0\]: "),
        (
            draft(dimensions=dims(combinations=[{"strong": -1}])),
            r"^dimensions\[1\]\.combinations\[0\]\.strong: -1",
        ),
        (
            draft(dimensions=dims(combinations=[{"strong": 1, "medium": True}])),
            r"^dimensions\[1\]\.combinations\[0\]\.medium: True",
        ),
        (
            draft(dimensions=dims(combinations=[{"strongish": 1}])),
            r"^dimensions\[1\]\.combinations\[0\]: 'strongish'",
        ),
        (draft(dimensions=dims(code="DR")), r"^dimensions\[1\]\.code: 'DR' is listed twice"),
        (draft(dimensions=dims(label=" ")), r"^dimensions\[1\]\.label: "),
        (draft(dimensions=dims(sources=[])), r"^dimensions\[1\]\.sources: "),
        (draft(dimensions=dims(sources="CR")), r"^dimensions\[1\]\.sources: "),
        (draft(dimensions=dims(elements=["intent"])), r"^dimensions\[1\]\.elements: 'intent'"),
        (draft(required=[]), r"^required: "),
        (draft(required={"adult": ["act"]}), r"^required\.child: missing"),
        (draft(required={"adult": ["act"], "child": []}), r"^required\.child: "),
        (
            draft(required={"adult": ["act"], "child": ["act"], "elder": ["act"]}),
            r"^required: 'elder'",
        ),
        (
            draft(required={"adult": ["intent"], "child": ["act"]}),
            r"^required\.adult: 'intent'",
        ),
    ],
)
def test_a_malformed_rule_is_refused_naming_the_field(data: Any, message: str) -> None:
    if not isinstance(data, str):
        data = json.loads(json.dumps(data))
    with pytest.raises(ValueError, match=message):
        CombinationRule.from_json(data)


def test_a_required_element_no_dimension_serves_is_refused() -> None:
    data = draft()
    data["dimensions"] = [d for d in data["dimensions"] if "purpose" not in d["elements"]]
    with pytest.raises(ValueError, match=r"^required\.adult: no dimension serves 'purpose'"):
        CombinationRule.from_json(data)


# --- properties -----------------------------------------------------------------------------

strength = st.sampled_from([S, M, W, "contextual", None])
status = st.sampled_from(["present", "absent", "unknown"])
dim = st.sampled_from(["DR", "CR", "AV", "EX", "CD", "NX", "ZZ"])
cases = st.dictionaries(
    st.text("ABCDEFGH", min_size=1, max_size=3), st.tuples(strength, dim, status), max_size=14
)


@given(cases, st.sampled_from(["adult", "child"]))
def test_best_case_is_never_below_the_worst_and_the_result_follows(
    case: dict[str, tuple[str | None, str, str]], profile: str
) -> None:
    result = evaluate(case, profile)
    assert set(result.dimensions_met_worst) <= set(result.dimensions_met_best)
    assert not result.identified_worst or result.identified_best
    known_worst = {k: (s, d, "absent" if t == "unknown" else t) for k, (s, d, t) in case.items()}
    known_best = {k: (s, d, "present" if t == "unknown" else t) for k, (s, d, t) in case.items()}
    worst = evaluate(known_worst, profile)
    best = evaluate(known_best, profile)
    assert worst.dimensions_met_worst == result.dimensions_met_worst
    assert best.dimensions_met_worst == result.dimensions_met_best
    expected = (
        Result.IDENTIFIED
        if worst.result is Result.IDENTIFIED
        else Result.NOT_IDENTIFIED
        if best.result is Result.NOT_IDENTIFIED
        else Result.INSUFFICIENT
    )
    assert result.result is expected
    if profile == "adult" and result.identified_worst:
        assert evaluate(case, "child").identified_worst


@given(st.integers(0, 4), st.integers(0, 4), st.integers(0, 5))
def test_combination_check_matches_a_brute_force_assignment(s: int, m: int, w: int) -> None:
    """Substitution: a present indicator fills one place of its own strength or a weaker one."""
    rank = {S: 0, M: 1, W: 2}
    have = [S] * s + [M] * m + [W] * w
    for combo in ILO_2009.dimensions[0].combinations:
        places = [S] * combo.strong + [M] * combo.medium + [W] * combo.weak

        def fill(places: list[str], have: list[str]) -> bool:
            if not places:
                return True
            p, rest = places[0], places[1:]
            return any(
                rank[h] <= rank[p] and fill(rest, have[:i] + have[i + 1 :])
                for i, h in enumerate(have)
            )

        assert combo.satisfied_by(s, m, w) == fill(places, have), (combo, s, m, w)


def test_combination_describes_itself() -> None:
    assert Combination(strong=1, weak=1).describe() == "one strong and one weak"
    assert Combination(medium=12).describe() == "12 medium"
    with pytest.raises(ValueError, match=r"^combination: "):
        Combination()


def test_the_pooled_variant_counts_an_elements_indicators_together() -> None:
    case = {**dimension("DR", S), **dimension("CR", M), **dimension("EX", S, S)}
    case.update(dimension("CD", M, M, W))
    separate = evaluate(case, "adult")
    pooled = evaluate(case, "adult", ILO_2009_POOLED)
    assert separate.result is Result.NOT_IDENTIFIED and "act" not in separate.elements_met_worst
    assert pooled.result is Result.IDENTIFIED
    assert pooled.dimensions_met_worst == ("REC", "EXP", "MEANS")
    # abuse of vulnerability counts for both the act and the means
    av = {**dimension("AV", S, W), **dimension("EX", S, M)}
    assert evaluate(av, "adult", ILO_2009_POOLED).dimensions_met_worst == ("REC", "EXP", "MEANS")
    assert CombinationRule.from_json(ILO_2009_POOLED.dumps()) == ILO_2009_POOLED
    assert "Recruitment (indicators of DR, CR, AV) is met by any of" in ILO_2009_POOLED.describe()


def test_changes_lists_the_cases_whose_result_flips() -> None:
    cases = {
        "CS-01": {**dimension("DR", S), **dimension("CR", M), **dimension("EX", S, S)}
        | dimension("CD", S, S),
        "CS-02": adult_case(),
        "CS-03": adult_case(CD=(S,)) | {"FC-CD-09": Coded(M, "CD", "unknown")},
    }
    before = {ref: evaluate(case, "adult") for ref, case in cases.items()}
    after = {ref: evaluate(case, "adult", ILO_2009_POOLED) for ref, case in cases.items()}
    assert changes(before, after) == [
        Change("CS-01", Result.NOT_IDENTIFIED, Result.IDENTIFIED),
    ]
    assert changes(before, after)[0].to_json() == {
        "case": "CS-01",
        "before": "not identified",
        "after": "identified",
    }
    assert changes(before, before) == []
    with pytest.raises(ValueError, match=r"^case: 'CS-03' is screened in one run only"):
        changes(before, {k: v for k, v in after.items() if k != "CS-03"})
