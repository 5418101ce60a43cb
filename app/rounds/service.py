"""Draft rounds: which round is current, whether it takes input, and how a round moves from
preparation to approval.

Until the first round exists the register itself is open for input, with no deadline.

Deadlines are evaluated whenever a round is read or changed, never only by a scheduler: every
transition here first runs `tick`, reads run it in a short write transaction of their own when
`due` finds something (app/rounds/api.py, pages.py), and `zerodraft rounds tick` and `zerodraft
worker` run it from the command line. So an input deadline closes its round, and a silence
procedure nobody broke adopts its text, whether or not anything was running at that moment.
Whoever applies a change tells the group in the same transaction (app/notifications).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from app.audit.service import Actor, record
from app.db import UTCDateTime
from app.errors import Conflict, InvalidInput, InvalidTransition, NotFound, PermissionDenied
from app.ids import is_id
from app.models import (
    Body,
    Delegation,
    Item,
    ItemKind,
    ItemStatus,
    LateAcceptance,
    MemberState,
    Proposal,
    ProposalState,
    ProposalTarget,
    Round,
    RoundItem,
    RoundKind,
    RoundState,
    Settlement,
    SilenceBreak,
    User,
)
from app.notifications import messages
from app.notifications.service import group, notify
from app.principal import Principal
from app.register import service as register
from app.rounds import snapshot

DEFAULT_MARKING = "RESTRICTED"
# Where an item of a round stands, in the order a chair reads them: furthest from clean first.
ITEM_STATES = ("bracketed", "alternatives", "agreed_ad_ref", "agreed", "deleted", "open")
ITEM_STATE_LABELS = {
    "bracketed": "Bracketed",
    "alternatives": "Alternatives",
    "agreed_ad_ref": "Agreed ad ref",
    "agreed": "Agreed",
    "deleted": "Deleted",
    "open": "Open (not yet marked)",
}
FINAL_STATES = (RoundState.APPROVED, RoundState.SUPERSEDED)
TAKES_LATE_INPUT = (RoundState.OPEN, RoundState.CLOSED)


# --- Time ---------------------------------------------------------------------------------


def deadline_text(round_: Round) -> str:
    if round_.deadline is None:
        return "no deadline"
    return moment_text(round_.deadline, round_.time_zone)


def moment_text(value: datetime, zone: str) -> str:
    local = value.astimezone(ZoneInfo(zone))
    return f"{value:%d %B %Y %H:%M} UTC ({local:%d %B %Y %H:%M} {zone})"


def time_left(deadline: datetime | None, now: datetime) -> str:
    """'2 days 3 hours left', '45 minutes left', or 'passed'."""
    if deadline is None:
        return ""
    seconds = int((deadline - now).total_seconds())
    if seconds <= 0:
        return "passed"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [
        f"{n} {unit}{'' if n == 1 else 's'}"
        for n, unit in ((days, "day"), (hours, "hour"), (minutes, "minute"))
        if n
    ]
    return (" ".join(parts[:2]) if parts else "less than a minute") + " left"


@dataclass(frozen=True, slots=True)
class Moment:
    """A deadline as people in different capitals read it."""

    utc: datetime
    local: datetime
    time_zone: str
    remaining: str
    passed: bool
    seconds_left: int

    @property
    def offset(self) -> str:
        """The zone's offset at that moment: 'UTC+7', 'UTC+6:30'."""
        minutes = int((self.local.utcoffset() or timedelta(0)).total_seconds() // 60)
        hours, rest = divmod(abs(minutes), 60)
        return f"UTC{'-' if minutes < 0 else '+'}{hours}" + (f":{rest:02d}" if rest else "")

    @classmethod
    def of(cls, value: datetime | None, zone: str, now: datetime) -> "Moment | None":
        if value is None:
            return None
        seconds = int((value - now).total_seconds())
        return cls(
            utc=value,
            local=value.astimezone(ZoneInfo(zone)),
            time_zone=zone,
            remaining=time_left(value, now),
            passed=seconds <= 0,
            seconds_left=max(seconds, 0),
        )


# --- Reading ------------------------------------------------------------------------------


# Statements read on every page (the banner) or every round page, built once: building a
# select costs more than running it on these small tables.
_CURRENT = select(Round).where(Round.state != RoundState.SUPERSEDED).order_by(Round.id.desc())
_BY_ID = select(Round).where(Round.id == bindparam("ref"))
_BY_SYMBOL = select(Round).where(Round.symbol == bindparam("ref"))


def current_round(session: Session) -> Round | None:
    return session.scalar(_CURRENT)


def list_rounds(session: Session) -> Sequence[Round]:
    return session.scalars(select(Round).order_by(Round.id.desc())).all()


def get_round(session: Session, ref: str | int, *, lock: bool = False) -> Round:
    """A round by id or symbol; `lock` holds its row until commit (PostgreSQL), so two people
    moving the same round at once take turns."""
    by_id = isinstance(ref, int) or is_id(str(ref))
    query = _BY_ID if by_id else _BY_SYMBOL
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    found = session.scalar(query, {"ref": int(ref) if by_id else ref})
    if found is None:
        raise NotFound(f"no round {ref!r}")
    return found


_ISSUED_BEFORE = (
    select(Round.symbol)
    .where(
        Round.id != bindparam("round_id"),
        Round.state != RoundState.PREPARING,
        Round.created_at <= bindparam("created_at"),
    )
    .order_by(Round.id.desc())
)


def issued_before(session: Session, round_: Round) -> list[str]:
    """The symbols of the issued rounds created before this one, newest first (those a redline
    of it can be compared with), in one query of symbols."""
    params = {"round_id": round_.id, "created_at": round_.created_at}
    return list(session.scalars(_ISSUED_BEFORE, params))


_STATE_COUNTS = (
    select(RoundItem.item_state, func.count())
    .where(RoundItem.round_id == bindparam("round_id"))
    .group_by(RoundItem.item_state)
)


def item_state_counts(session: Session, round_id: int) -> dict[str, int]:
    rows = session.execute(_STATE_COUNTS, {"round_id": round_id}).all()
    counts = dict.fromkeys(ITEM_STATES, 0)
    for state, count in rows:
        counts[state] = counts.get(state, 0) + count
    return counts


@dataclass(frozen=True, slots=True)
class SilenceBreakView:
    delegation_code: str
    delegation_name: str
    by: str
    statement: str
    at: datetime


def silence_breaks(session: Session, round_id: int) -> list[SilenceBreakView]:
    rows = session.execute(
        select(SilenceBreak, Delegation.code, Delegation.name_column(), User.name)
        .join(Delegation, Delegation.id == SilenceBreak.delegation_id)
        .join(MemberState, MemberState.id == Delegation.state_id)
        .join(Body, Body.id == Delegation.body_id)
        .join(User, User.id == SilenceBreak.user_id)
        .where(SilenceBreak.round_id == round_id)
        .order_by(SilenceBreak.id)
    ).all()
    return [
        SilenceBreakView(code, name, by, b.statement, b.created_at) for b, code, name, by in rows
    ]


@dataclass(frozen=True, slots=True)
class RoundDetails:
    """Everything the round page and the API show about one round."""

    round: Round
    previous_symbol: str | None
    deadline: Moment | None
    opens: Moment | None
    silence: Moment | None
    counts: dict[str, int]
    breaks: list[SilenceBreakView]
    accepts_input: bool

    @property
    def item_count(self) -> int:
        return sum(self.counts.values())

    @property
    def adopted_by_silence(self) -> bool:
        r = self.round
        return r.state is RoundState.APPROVED and r.silence_until is not None


_SYMBOL = select(Round.symbol).where(Round.id == bindparam("ref"))


def details(session: Session, round_: Round, now: datetime) -> RoundDetails:
    previous = (
        session.scalar(_SYMBOL, {"ref": round_.previous_round_id})
        if round_.previous_round_id is not None
        else None
    )
    return RoundDetails(
        round=round_,
        previous_symbol=previous,
        deadline=Moment.of(round_.deadline, round_.time_zone, now),
        opens=Moment.of(round_.opens_at, round_.time_zone, now),
        silence=Moment.of(round_.silence_until, round_.time_zone, now),
        counts=item_state_counts(session, round_.id),
        # Silence is placed only on a settled text (Round.place_under_silence), and settled_at
        # stays once set: a round never settled has no breaks to read.
        breaks=silence_breaks(session, round_.id) if round_.settled_at is not None else [],
        accepts_input=round_.accepts_input(now),
    )


def input_gate(
    session: Session, now: datetime, *, delegation_id: int | None
) -> tuple[Round | None, bool]:
    """The round new input belongs to, and whether it is late. Refuses input when the round is
    not open or its deadline has passed, unless the secretariat accepted late input from the
    delegation."""
    round_ = current_round(session)
    if round_ is None or round_.accepts_input(now):
        return round_, False
    # A round closes by itself at its deadline; input the secretariat accepted late is still
    # taken until the round goes to consultation.
    if delegation_id is not None and round_.state in TAKES_LATE_INPUT:
        accepted = session.scalar(
            select(LateAcceptance.id).where(
                LateAcceptance.round_id == round_.id,
                LateAcceptance.delegation_id == delegation_id,
                LateAcceptance.until >= now,
            )
        )
        if accepted is not None:
            return round_, True
    passed = round_.deadline is not None and now > round_.deadline
    if round_.state in TAKES_LATE_INPUT and passed:
        raise Conflict(
            f"the deadline for input to {round_.symbol} passed on {deadline_text(round_)}; "
            "ask the secretariat to accept late input",
            field="deadline",
        )
    raise Conflict(
        f"{round_.symbol} is {round_.state.label} and does not take input "
        f"(deadline: {deadline_text(round_)})"
    )


# --- Deadlines ----------------------------------------------------------------------------


def _due(now: datetime | ColumnElement[datetime]) -> Any:
    # An open round takes input up to and including its deadline (Round.accepts_input); a
    # silence can be broken only before its deadline (Round.break_silence).
    return or_(
        and_(Round.state == RoundState.OPEN, Round.deadline.is_not(None), Round.deadline < now),
        and_(
            Round.state == RoundState.SETTLED,
            Round.silence_until.is_not(None),
            Round.silence_until <= now,
        ),
    )


def due(session: Session, now: datetime) -> list[Round]:
    """Rounds whose deadline has passed but whose state does not show it yet. Read-only."""
    return list(session.scalars(select(Round).where(_due(now)).order_by(Round.id)))


_ANY_DUE = select(Round.id).where(_due(bindparam("now", type_=UTCDateTime))).limit(1)


def any_due(session: Session, now: datetime) -> bool:
    """Whether a round has a passed deadline its state does not show yet (read before every
    rounds page: one prepared statement of ids)."""
    return session.scalar(_ANY_DUE, {"now": now}) is not None


def tick(session: Session, now: datetime, *, request_id: str | None = None) -> list[str]:
    """Apply every passed deadline: close open rounds past their input deadline, adopt texts
    whose silence procedure ended unbroken. Returns one line per round changed."""
    actor = Actor.system(request_id)
    changed: list[str] = []
    # FOR UPDATE: of two requests ticking at once, the second waits and then finds nothing due.
    for round_ in session.scalars(
        select(Round)
        .where(_due(now))
        .order_by(Round.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ):
        if round_.state is RoundState.OPEN:
            assert round_.deadline is not None
            round_.close()
            record(
                session,
                actor,
                action="round.close",
                object_type="round",
                object_id=round_.symbol,
                details={"automatic": True, "deadline": round_.deadline.isoformat()},
                at=now,
            )
            notify(
                session, group(session), messages.round_closed(round_, at_deadline=True), now=now
            )
            changed.append(
                f"{round_.symbol}: closed for input; its deadline passed ({deadline_text(round_)})"
            )
        else:
            until = round_.silence_until
            assert until is not None
            round_.approve(now=until)
            record(
                session,
                actor,
                action="round.adopted_by_silence",
                object_type="round",
                object_id=round_.symbol,
                details={"silence_until": until.isoformat(), "content_hash": round_.content_hash},
                at=now,
            )
            notify(session, group(session), messages.adopted_by_silence(round_), now=now)
            changed.append(
                f"{round_.symbol}: adopted by silence; no delegation broke silence by "
                f"{moment_text(until, round_.time_zone)}"
            )
    session.flush()
    return changed


# --- Creating and moving rounds -----------------------------------------------------------


def _zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"unknown time zone {name!r}", field="time_zone") from exc


def _aware(value: datetime | None, field: str) -> None:
    if value is not None and value.tzinfo is None:
        raise InvalidInput(f"give the {field.replace('_', ' ')} with its UTC offset", field=field)


def create_round(
    session: Session,
    actor: Actor,
    *,
    symbol: str,
    title: str,
    kind: RoundKind,
    time_zone: str,
    deadline: datetime | None,
    opens_at: datetime | None,
    instructions: str,
    observers_may_comment: bool,
    now: datetime,
    marking: str | None = None,
) -> Round:
    """A round in preparation. It follows the current round, whose text it will supersede
    when it is issued."""
    symbol = symbol.strip()
    _zone(time_zone)
    _aware(deadline, "deadline")
    _aware(opens_at, "opens_at")
    if deadline is not None and opens_at is not None and deadline <= opens_at:
        raise InvalidInput("the deadline must be after the opening", field="deadline")
    if session.scalar(select(Round.id).where(Round.symbol == symbol)) is not None:
        raise Conflict(f"a round with symbol {symbol} already exists", field="symbol")
    previous = current_round(session)
    round_ = Round(
        symbol=symbol,
        title=title.strip(),
        kind=kind,
        state=RoundState.PREPARING,
        time_zone=time_zone,
        deadline=deadline,
        opens_at=opens_at,
        instructions=instructions.strip(),
        observers_may_comment=observers_may_comment,
        created_at=now,
        marking=(marking or "").strip() or DEFAULT_MARKING,
        previous_round_id=previous.id if previous else None,
    )
    session.add(round_)
    session.flush()
    record(
        session,
        actor,
        action="round.create",
        object_type="round",
        object_id=symbol,
        details={
            "kind": kind.value,
            "previous": previous.symbol if previous else None,
            "deadline": deadline.isoformat() if deadline else None,
        },
        at=now,
    )
    return round_


def freeze(session: Session, round_: Round, *, now: datetime) -> str:
    """Freeze the round's snapshot from the register as it is now; refused for ever once the
    round is approved or superseded."""
    round_.check_changeable()
    return snapshot.freeze(session, round_, now=now)


def _transition(
    session: Session,
    actor: Actor,
    ref: str | int,
    *,
    now: datetime,
    action: str,
    change: Callable[[Round], dict[str, Any]],
) -> Round:
    tick(session, now, request_id=actor.request_id)
    round_ = get_round(session, ref, lock=True)
    before = round_.state
    extra = change(round_)
    session.flush()
    record(
        session,
        actor,
        action=f"round.{action}",
        object_type="round",
        object_id=round_.symbol,
        details={"from": before.value, "to": round_.state.value} | extra,
        at=now,
    )
    return round_


def _supersede_previous(session: Session, actor: Actor, round_: Round, now: datetime) -> str | None:
    if round_.previous_round_id is None:
        return None
    previous = get_round(session, round_.previous_round_id, lock=True)
    # An approved text stays approved; a round never issued has nothing to supersede.
    if previous.state in (RoundState.PREPARING, *FINAL_STATES):
        return None
    before = previous.state
    previous.supersede()
    record(
        session,
        actor,
        action="round.supersede",
        object_type="round",
        object_id=previous.symbol,
        details={"from": before.value, "to": previous.state.value, "by": round_.symbol},
        at=now,
    )
    return previous.symbol


def issue_round(session: Session, actor: Actor, ref: str | int, *, now: datetime) -> Round:
    """Circulate a round in preparation: its snapshot is frozen now and input opens. The round
    it follows is superseded, unless it was approved."""

    def change(r: Round) -> dict[str, Any]:
        r.issue(now=now)
        content_hash = freeze(session, r, now=now)
        superseded = _supersede_previous(session, actor, r, now)
        return {"content_hash": content_hash, "superseded": superseded}

    round_ = _transition(session, actor, ref, now=now, action="issue", change=change)
    notify(session, group(session), messages.round_issued(round_), now=now, skip=actor.user_id)
    return round_


def reopen_round(session: Session, actor: Actor, ref: str | int, *, now: datetime) -> Round:
    """Take input again on a closed round."""

    def change(r: Round) -> dict[str, Any]:
        r.open()
        return {}

    round_ = _transition(session, actor, ref, now=now, action="reopen", change=change)
    notify(session, group(session), messages.round_reopened(round_), now=now, skip=actor.user_id)
    return round_


def open_round(session: Session, actor: Actor, ref: str | int, *, now: datetime) -> Round:
    """Open a round for input: issue it if it is in preparation, reopen it if it is closed."""
    tick(session, now, request_id=actor.request_id)
    if get_round(session, ref).state is RoundState.PREPARING:
        return issue_round(session, actor, ref, now=now)
    return reopen_round(session, actor, ref, now=now)


def close_round(session: Session, actor: Actor, ref: str | int, *, now: datetime) -> Round:
    def change(r: Round) -> dict[str, Any]:
        r.close()
        return {}

    round_ = _transition(session, actor, ref, now=now, action="close", change=change)
    notify(
        session,
        group(session),
        messages.round_closed(round_, at_deadline=False),
        now=now,
        skip=actor.user_id,
    )
    return round_


def consult_round(session: Session, actor: Actor, ref: str | int, *, now: datetime) -> Round:
    """Take a closed round, or a settled text, to consultation."""

    def change(r: Round) -> dict[str, Any]:
        cancelled = r.silence_until
        r.consult()
        return {"silence_cancelled": cancelled.isoformat()} if cancelled else {}

    return _transition(session, actor, ref, now=now, action="consult", change=change)


@dataclass(frozen=True, slots=True)
class Undecided:
    """A submitted proposal still waiting for a decision."""

    id: int
    delegation: str
    targets: list[str]
    objections: list[str]

    @property
    def reference(self) -> str:
        return f"P-{self.id}"


@dataclass(frozen=True, slots=True)
class Unmarked:
    """An item of the round's text nobody has marked (bracketed, agreed ...) yet."""

    code: str
    kind: str
    number: int | None


@dataclass(frozen=True, slots=True)
class Outstanding:
    """What settling a round leaves open: each must be decided, marked, or carried over."""

    undecided: list[Undecided]
    unmarked: list[Unmarked]

    def __bool__(self) -> bool:
        return bool(self.undecided or self.unmarked)


@dataclass(frozen=True, slots=True)
class CarryOver:
    """What the secretariat carries over to the next round, undecided or unmarked."""

    proposals: frozenset[int] = frozenset()
    items: frozenset[str] = frozenset()

    @classmethod
    def everything(cls, left: Outstanding) -> "CarryOver":
        """Every undecided proposal and unmarked item of `left`, named one by one."""
        return cls(
            frozenset(u.id for u in left.undecided), frozenset(u.code for u in left.unmarked)
        )


def outstanding(session: Session, round_: Round) -> Outstanding:
    """The submitted proposals not yet decided, and the items of the round's text still unmarked
    ("open"), in the order of the text. Three queries whatever their number."""
    from app.consensus import picture  # builds on this module (app.consensus.service)

    rows = session.execute(
        select(Proposal.id, Delegation.code)
        .join(Delegation, Delegation.id == Proposal.delegation_id)
        .where(
            Proposal.state.in_((ProposalState.SUBMITTED, ProposalState.UNDER_CONSIDERATION)),
            Proposal.submitted_at.is_not(None),
            or_(Proposal.round_id.is_(None), Proposal.round_id <= round_.id),
        )
        .order_by(Proposal.id)
    ).all()
    ids = [pid for pid, _ in rows]
    targets: dict[int, list[str]] = {pid: [] for pid in ids}
    if ids:
        for pid, code in session.execute(
            select(ProposalTarget.proposal_id, Item.code)
            .join(Item, Item.id == ProposalTarget.item_id)
            .where(ProposalTarget.proposal_id.in_(ids))
            .order_by(ProposalTarget.proposal_id, ProposalTarget.position)
        ):
            targets[pid].append(code)
    pictures = picture.of_proposals(session, ids)
    undecided = [Undecided(pid, code, targets[pid], pictures[pid].objections) for pid, code in rows]
    # The text settling freezes is the register's (snapshot.freeze): its active items still
    # unmarked, in reading order.
    states = dict(session.execute(select(Item.code, Item.drafting_state)).all())
    unmarked = [
        Unmarked(row.code, kind.value, row.number)
        for kind in (ItemKind.SECTION, ItemKind.INDICATOR)
        for row in register.list_items(session, kind, status=ItemStatus.ACTIVE)
        if states.get(row.code) == "open"
    ]
    return Outstanding(undecided, unmarked)


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """'1 proposal', '3 proposals': a number with its noun in the right form."""
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"


def _some(names: list[str], limit: int = 12) -> str:
    if len(names) <= limit:
        return ", ".join(names)
    return f"{', '.join(names[:limit])} and {len(names) - limit} more"


def check_carry_over(
    session: Session, round_: Round, carry: CarryOver
) -> tuple[Outstanding, dict[str, list[str]]]:
    """Refuses (409, with the lists) while anything outstanding is neither decided, marked nor
    carried over; returns what is outstanding and what is carried over."""
    left = outstanding(session, round_)
    undecided = [u.reference for u in left.undecided if u.id not in carry.proposals]
    unmarked = [u.code for u in left.unmarked if u.code not in carry.items]
    if undecided or unmarked:
        parts = []
        if undecided:
            verb = "is" if len(undecided) == 1 else "are"
            what = counted(len(undecided), "proposal")
            parts.append(f"{what} {verb} not decided ({_some(undecided)})")
        if unmarked:
            verb = "is" if len(unmarked) == 1 else "are"
            parts.append(f"{counted(len(unmarked), 'item')} {verb} not marked ({_some(unmarked)})")
        raise Conflict(
            f"{round_.symbol} cannot be settled yet: {'; '.join(parts)}. Decide or mark each "
            "one, or carry it over to the next round",
            field="carry_over",
            undecided=undecided,
            unmarked=unmarked,
        )
    carried = {
        "proposals": [u.reference for u in left.undecided],
        "items": [u.code for u in left.unmarked],
    }
    return left, carried


def settle_round(
    session: Session,
    actor: Actor,
    ref: str | int,
    *,
    now: datetime,
    carry_over: CarryOver | None = None,
) -> Round:
    """The text is settled: the snapshot is frozen again from the register, which now holds the
    decided text. Every undecided proposal and unmarked item must be carried over explicitly
    (`carry_over`); what is carried over is recorded with the settlement."""

    def change(r: Round) -> dict[str, Any]:
        carried: dict[str, list[str]] = {}
        if r.state is RoundState.CONSULTATION:  # otherwise settle() says why it cannot be
            # Checked before anything changes: a refused settlement leaves the round as it was.
            _, carried = check_carry_over(session, r, carry_over or CarryOver())
        r.settle(now=now)
        session.add(Settlement(round_id=r.id, by_id=actor.user_id, at=now, carried_over=carried))
        return {"content_hash": freeze(session, r, now=now), "carried_over": carried}

    round_ = _transition(session, actor, ref, now=now, action="settle", change=change)
    # The settled text awaits the co-chairs' approval (app/approvals says who they are; imported
    # here because it builds on this module).
    from app.approvals.service import ask_co_chairs

    ask_co_chairs(session, actor, round_, now=now)
    return round_


def place_under_silence(
    session: Session, actor: Actor, ref: str | int, *, until: datetime, now: datetime
) -> Round:
    _aware(until, "until")

    def change(r: Round) -> dict[str, Any]:
        r.place_under_silence(until=until, now=now)
        return {"until": until.isoformat(), "content_hash": r.content_hash}

    round_ = _transition(session, actor, ref, now=now, action="silence", change=change)
    notify(session, group(session), messages.silence_started(round_), now=now, skip=actor.user_id)
    return round_


def break_silence(
    session: Session,
    principal: Principal,
    ref: str | int,
    *,
    statement: str,
    delegation_code: str | None,
    now: datetime,
    request_id: str | None = None,
) -> SilenceBreak:
    """A delegation objects before the silence deadline: the round goes back to consultation,
    and its statement is shown to everyone."""
    if not statement.strip():
        raise InvalidInput(
            "give your delegation's statement: why it breaks silence", field="statement"
        )
    delegation = principal.delegation_for(delegation_code)
    if delegation is None:
        raise PermissionDenied(
            "silence is broken by a delegation, and you do not speak for one", field="delegation"
        )
    actor = Actor(principal.user_id, delegation.id, request_id)
    tick(session, now, request_id=request_id)
    round_ = get_round(session, ref, lock=True)
    if round_.state is RoundState.APPROVED and round_.silence_until is not None:
        raise InvalidTransition(
            f"the silence procedure of {round_.symbol} ended on "
            f"{moment_text(round_.silence_until, round_.time_zone)} with no objection; "
            "the text was adopted"
        )
    round_.break_silence(now=now)
    broken = SilenceBreak(
        round_id=round_.id,
        delegation_id=delegation.id,
        user_id=principal.user_id,
        statement=statement.strip(),
        created_at=now,
    )
    session.add(broken)
    session.flush()
    record(
        session,
        actor,
        action="round.break_silence",
        object_type="round",
        object_id=round_.symbol,
        details={"delegation": delegation.code, "statement": statement.strip()},
        at=now,
    )
    notify(
        session,
        group(session),
        messages.silence_broken(round_, delegation.code),
        now=now,
        skip=principal.user_id,
    )
    return broken


def note_item_state(session: Session, item_id: int, state: str) -> None:
    """Carry an item's new drafting state into the current round's snapshot (and its hash),
    unless that round's text is final."""
    round_ = current_round(session)
    if round_ is None or round_.state in FINAL_STATES or round_.content_hash is None:
        return
    row = session.get(RoundItem, (round_.id, item_id))
    if row is None or row.item_state in (snapshot.DELETED, state):
        return
    row.item_state = state
    session.flush()
    round_.content_hash = snapshot.content_hash(round_, snapshot.load(session, round_.id))


def accept_late(
    session: Session,
    actor: Actor,
    ref: str | int,
    *,
    delegation_code: str,
    until: datetime,
    reason: str,
    now: datetime,
) -> LateAcceptance:
    tick(session, now, request_id=actor.request_id)
    round_ = get_round(session, ref)
    if round_.state not in TAKES_LATE_INPUT:
        raise Conflict(
            f"{round_.symbol} is {round_.state.label}; late input is accepted only while it is "
            "open or closed, before consultation"
        )
    if until <= now:
        raise InvalidInput("the extension must end in the future", field="until")
    delegation = session.scalar(
        select(Delegation).where(Delegation.code == delegation_code.upper())
    )
    if delegation is None:
        raise NotFound(f"no delegation with code {delegation_code}", field="delegation")
    assert actor.user_id is not None
    grant = LateAcceptance(
        round_id=round_.id,
        delegation_id=delegation.id,
        until=until,
        granted_by_id=actor.user_id,
        reason=reason.strip(),
        created_at=now,
    )
    session.add(grant)
    session.flush()
    record(
        session,
        actor,
        action="round.accept_late",
        object_type="round",
        object_id=round_.symbol,
        details={"delegation": delegation.code, "until": until.isoformat(), "reason": reason},
        at=now,
    )
    return grant
