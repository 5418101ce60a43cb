"""A rating round's results as plain values, pure: each item's answers in, ResultRows out.

ResultRow, StabilityRow and RoundResults are defined in app/word/rating.py (app/word imports
nothing outside itself) and re-exported here; the Word annex (app/word/rating.export_results)
and the CSV (app/rating/csv_export.results_csv) take a RoundResults. The service reads the
answers and calls result_rows:

    rows = result_rows(rule, [ItemAnswers(ref, text, {user_id: answer_dict, ...},
                                          previous={user_id: answer_dict, ...} or None), ...])
    RoundResults(reference=rr.reference, ..., rule_text=rule.describe(), rows=rows)

where answer_dict maps each question's key (QUESTIONS) to the panellist's current answer (None
where not answered: a strength question is optional). Who answered is only a key: nothing of it
reaches a row.
"""

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.rating import stats
from app.word.rating import ResultRow, RoundResults, Scale, StabilityRow

__all__ = [
    "QUESTIONS",
    "ItemAnswers",
    "Question",
    "ResultRow",
    "RoundResults",
    "StabilityRow",
    "result_rows",
]

Answer = Mapping[str, int | str | None]


@dataclass(frozen=True, slots=True)
class Question:
    key: str  # the answer's column: relevance, clarity, strength_adult, strength_child
    label: str
    scale: Scale


QUESTIONS: tuple[Question, ...] = (
    Question("relevance", "Relevance (1-9)", "1-9"),
    Question("clarity", "Clarity (1-9)", "1-9"),
    Question("strength_adult", "Strength, adult victims (strong/medium/weak)", "strength"),
    Question("strength_child", "Strength, child victims (strong/medium/weak)", "strength"),
)


@dataclass(frozen=True, slots=True)
class ItemAnswers:
    """One item's current answers, by panellist (any key), and, in a second or later round,
    the previous round's on the same item (None in a first round)."""

    ref: str
    text: str
    answers: Mapping[Any, Answer]  # keyed by panellist (any hashable key)
    previous: Mapping[Any, Answer] | None = None


def _values(answers: Mapping[Any, Answer], key: str) -> dict[Hashable, int | str]:
    return {who: v for who, a in answers.items() if (v := a.get(key)) is not None}


def question_row(
    rule: stats.ConsensusRule,
    item: ItemAnswers,
    question: Question,
    *,
    previous_label: str = "",
    show_all: bool = False,
) -> ResultRow:
    """One question on one item; shown only from stats.MIN_SHOWN answers unless show_all (the
    secretariat's own view). Raises ValueError for an answer off the question's scale."""
    current = _values(item.answers, question.key)
    stability: StabilityRow | None = None
    if question.scale == "1-9":
        ratings = [int(v) for v in current.values() if _rating(v)]
        if len(ratings) != len(current):
            raise ValueError(f"{question.key}: an answer is not a whole number from 1 to 9")
        s = stats.scale_stats(ratings)
        v = stats.verdict(rule, ratings)
        if item.previous is not None:
            before = _values(item.previous, question.key)
            moved = stats.stability(before, current)
            earlier = stats.scale_stats([int(x) for x in before.values() if _rating(x)])
            if show_all or stats.change_shown(len(before), len(current), moved.n_compared):
                stability = StabilityRow(
                    previous_label,
                    moved.n_compared,
                    moved.n_changed,
                    moved.percent_changed,
                    stats.median_change(earlier, s),
                    stats.iqr_change(earlier, s),
                )
        return ResultRow(
            ref=item.ref,
            question=question.key,
            question_label=question.label,
            scale="1-9",
            n=s.n,
            shown=show_all or stats.shown_to_panel(s.n),
            median=s.median,
            iqr=s.iqr,
            percent_7_to_9=s.percent_7_to_9,
            percent_1_to_3=s.percent_1_to_3,
            counts=s.counts,
            consensus=v.consensus,
            verdict=v.label,
            reason=v.reason,
            classification=v.classification,
            text=item.text,
            stability=stability,
        )
    categories = [str(x) for x in current.values()]
    c = stats.category_stats(categories)
    cv = stats.category_verdict(rule, categories)
    if item.previous is not None:
        before_c = _values(item.previous, question.key)
        moved = stats.stability(before_c, current)
        if show_all or stats.change_shown(len(before_c), len(current), moved.n_compared):
            stability = StabilityRow(
                previous_label, moved.n_compared, moved.n_changed, moved.percent_changed
            )
    return ResultRow(
        ref=item.ref,
        question=question.key,
        question_label=question.label,
        scale="strength",
        n=c.n,
        shown=show_all or stats.shown_to_panel(c.n),
        median=None,
        iqr=None,
        percent_7_to_9=None,
        percent_1_to_3=None,
        counts=tuple(c.counts[k] for k in stats.CATEGORIES),
        consensus=cv.consensus,
        verdict=cv.label,
        reason=cv.reason,
        classification=cv.classification,
        mode=c.mode,
        mode_percent=c.mode_percent,
        text=item.text,
        stability=stability,
    )


def _rating(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def result_rows(
    rule: stats.ConsensusRule,
    items: Sequence[ItemAnswers],
    *,
    questions: Sequence[Question] = QUESTIONS,
    previous_label: str = "",
    show_all: bool = False,
) -> tuple[ResultRow, ...]:
    """Every item's rows, one per question, in the items' order then the questions'."""
    return tuple(
        question_row(rule, item, q, previous_label=previous_label, show_all=show_all)
        for item in items
        for q in questions
    )
