"""A rating round's results for the Word annex and the CSV: the use case that reads them from the
database (through the service's queries) and hands plain values to the pure writers
(app/word/rating.py, app/rating/csv_export.py).

Who gets what is the service's rule (service.access): nobody before the round closes, except a
secretariat the round shows its answers to; then a question's group statistics only from
stats.MIN_SHOWN answers to that question (a strength question is optional, so its count can be
smaller than the item's), unless the caller may see everything. The files hold no name and no
single answer.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Conflict
from app.models import Round
from app.models.rating import CLOSED, RatingAnswer, RatingItem, RatingRound
from app.principal import Principal
from app.rating import service
from app.rating.csv_export import filename, results_csv
from app.rating.results import ItemAnswers, RoundResults, result_rows
from app.word.cover import moment_text
from app.word.rating import export_results

__all__ = ["RoundResults", "csv_bytes", "docx_bytes", "filename", "round_results"]


def _answer(a: RatingAnswer) -> dict[str, int | str | None]:
    return {
        "relevance": a.relevance,
        "clarity": a.clarity,
        "strength_adult": a.strength_adult,
        "strength_child": a.strength_child,
    }


def _by_item(session: Session, rr_id: int) -> dict[int, dict[int, dict[str, int | str | None]]]:
    """The round's current answers by the rated item's id (items.id), then by panellist."""
    item_of = dict(
        session.execute(
            select(RatingItem.id, RatingItem.item_id).where(RatingItem.rating_round_id == rr_id)
        ).all()
    )
    out: dict[int, dict[int, dict[str, int | str | None]]] = {}
    for rating_item_id, given in service.current_answers(session, rr_id).items():
        out[item_of[rating_item_id]] = {a.user_id: _answer(a) for a in given}
    return out


def round_results(
    session: Session, principal: Principal, rr: RatingRound, *, working_group: str, now: datetime
) -> RoundResults:
    """What the annex and the CSV of `rr` hold for this caller; 409 (field state) while the
    round is open and the caller may not see answers yet."""
    allowed = service.access(principal, rr)
    if not allowed.results:
        raise Conflict(
            f"RR-{rr.id} is {rr.state}: its results are shown once it is closed", field="state"
        )
    rule = service.rule_of(rr)
    lines = service.items(session, rr.id)
    current = _by_item(session, rr.id)
    previous: dict[int, dict[int, dict[str, int | str | None]]] | None = None
    previous_label = ""
    if rr.previous_id is not None:
        before = session.get(RatingRound, rr.previous_id)
        if before is not None:
            previous = _by_item(session, before.id)
            previous_label = f"Round {before.number} ({before.reference})"
    rows = result_rows(
        rule,
        [
            ItemAnswers(
                line.ref,
                line.text,
                current.get(line.item_id, {}),
                previous=None if previous is None else previous.get(line.item_id, {}),
            )
            for line in lines
        ],
        previous_label=previous_label,
        show_all=allowed.everything,
    )
    issued = session.get(Round, rr.round_id)
    respondents = len({who for answers in current.values() for who in answers})
    secretariat = service.is_secretariat(principal)
    closed = rr.state == CLOSED and rr.closed_at is not None
    when = rr.closed_at if closed and rr.closed_at is not None else now
    zone = issued.time_zone if issued is not None else "UTC"
    return RoundResults(
        reference=rr.reference,
        title=rr.title,
        working_group=working_group,
        round_label=f"Rating round {rr.number}",
        source_label=f"{issued.title} ({issued.symbol})" if issued is not None else "",
        rule_text=rule.describe(),
        # The panel's size and how many answered: the secretariat's (it sees who answered);
        # to a panellist, on a small panel, the count tells who did not answer.
        panel_size=len(service.panel_ids(session, rr.id)) if secretariat else None,
        respondents=respondents if secretariat else None,
        date=when,
        time_zone=zone,
        status=(
            f"Closed on {moment_text(when, zone)}"
            if closed
            else f"{rr.state.capitalize()}: the answers so far"
        ),
        rows=rows,
        previous_label=previous_label,
        marking=issued.marking if issued is not None else "",
        deadline=rr.deadline,
    )


def docx_bytes(results: RoundResults) -> bytes:
    return export_results(results)


def csv_bytes(results: RoundResults) -> bytes:
    return results_csv(results)
