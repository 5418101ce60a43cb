"""The current round's banner at the top of every page, as a part of the page's frame
(app/web/frame.py): the round's few shown columns, read with the rest of the frame."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Label, Row, select

from app.models import Round, RoundState
from app.rounds.pages import round_url
from app.rounds.service import Moment
from app.web.frame import FramePart


@dataclass(frozen=True, slots=True)
class BannerRound:
    """What the banner shows of the round (as `Round` names it: the templates' macros take
    either)."""

    symbol: str
    title: str
    state: RoundState
    silence_until: datetime | None


@dataclass(frozen=True, slots=True)
class Banner:
    round: BannerRound
    url: str
    deadline: Moment | None
    silence: Moment | None


_SHOWN = (
    Round.symbol,
    Round.title,
    Round.state,
    Round.time_zone,
    Round.deadline,
    Round.silence_until,
)


def _columns(_user_id: BindParameter[int]) -> Sequence[Label[Any]]:
    # The newest round not superseded, as app.rounds.service.current_round; one small lookup
    # per column, in the frame's one statement.
    current = (
        select(Round.id)
        .where(Round.state != RoundState.SUPERSEDED)
        .order_by(Round.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return [
        select(column).where(Round.id == current).scalar_subquery().label(f"round_{column.key}")
        for column in _SHOWN
    ]


def _read(row: Row[Any], now: datetime) -> Mapping[str, Any]:
    if row.round_symbol is None:
        return {"banner": None}
    shown = BannerRound(row.round_symbol, row.round_title, row.round_state, row.round_silence_until)
    zone = row.round_time_zone
    return {
        "banner": Banner(
            shown,
            round_url(shown.symbol),
            Moment.of(row.round_deadline, zone, now),
            Moment.of(shown.silence_until, zone, now),
        )
    }


BANNER = FramePart(_columns, _read)
