"""Rating rounds (issue 20): use cases. The statistics are app/rating/stats.py's (pure).

Who sees what (the point of a Delphi survey is that nobody learns who answered what):

- The secretariat sets a round up (draft), opens it, closes it, starts round 2 and turns a
  result into a proposal. It sees who answered (for reminders). It sees the answers, with
  names and live, only where the round says `show_answers_to_secretariat`; otherwise it sees
  what panellists see, once the round is closed (it knows who answered when, so live counts or
  statistics would tell it each person's values by difference).
- Everyone who may read rating rounds sees an open or closed round (its items and rule); a
  draft only the secretariat. Only panellists answer (403 for anyone else).
- Group statistics and comments are shown only after the round is closed and only for an item
  with at least MIN_SHOWN answers; with fewer (a panel of three) nothing of the group is shown,
  not even the count. Comments are shown without author or time, sorted by their text.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from app.audit.service import Actor, record
from app.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from app.ids import is_id
from app.mail.outbox import enqueue, valid_address
from app.models import (
    AuditEvent,
    Delegation,
    Item,
    ItemKind,
    Membership,
    Proposal,
    ProposalKind,
    ProposalState,
    Revision,
    Role,
    Round,
    RoundItem,
    RoundState,
    User,
)
from app.models.rating import (
    CLOSED,
    DRAFT,
    OPEN,
    RatingAnswer,
    RatingItem,
    RatingPanellist,
    RatingRound,
)
from app.principal import DelegationRef, Principal
from app.proposals import service as proposals
from app.rating import stats
from app.rating.stats import (
    MIN_SHOWN,
    CategoryStats,
    ConsensusRule,
    ScaleStats,
    Stability,
    Verdict,
)
from app.register import service as register
from app.text.personal_data import GENERAL_KINDS, find_personal_data

TITLE_MAX = 200
TEXT_MAX = 4000
SCALE_QUESTIONS = ("relevance", "clarity")
STRENGTH_QUESTIONS = ("strength_adult", "strength_child")
NOT_SHOWN = "fewer than 5 answers: not shown, so no answer can be inferred"
assert MIN_SHOWN == 5, "NOT_SHOWN names the number"
PANEL_ROLES = frozenset({Role.MEMBER, Role.CHAIR, Role.OBSERVER})


# --- Reading ----------------------------------------------------------------------------------


def is_secretariat(principal: Principal) -> bool:
    return principal.role is Role.SECRETARIAT


def may_see(principal: Principal, rr: RatingRound) -> bool:
    return is_secretariat(principal) or (rr.state != DRAFT and principal.role is not Role.ADMIN)


def get(session: Session, principal: Principal, rr_id: int) -> RatingRound:
    rr = session.get(RatingRound, rr_id)
    if rr is None or not may_see(principal, rr):
        raise NotFound(f"no rating round RR-{rr_id}", field="rating_round")
    return rr


def listing(session: Session, principal: Principal) -> list[RatingRound]:
    rounds = session.scalars(select(RatingRound).order_by(RatingRound.id.desc())).all()
    return [r for r in rounds if may_see(principal, r)]


def panel_ids(session: Session, rr_id: int) -> set[int]:
    return set(
        session.scalars(
            select(RatingPanellist.user_id).where(RatingPanellist.rating_round_id == rr_id)
        )
    )


def on_panel(session: Session, principal: Principal, rr: RatingRound) -> bool:
    return principal.user_id in panel_ids(session, rr.id)


@dataclass(frozen=True, slots=True)
class ItemLine:
    """One rated item as the round froze it."""

    rating_item_id: int
    item_id: int
    ref: str
    revision: int
    text: str
    strength_adult: str | None
    strength_child: str | None


def items(session: Session, rr_id: int) -> list[ItemLine]:
    rows = session.execute(
        select(RatingItem, Item.code, Revision)
        .join(Item, Item.id == RatingItem.item_id)
        .join(
            Revision,
            and_(Revision.item_id == RatingItem.item_id, Revision.number == RatingItem.revision),
        )
        .where(RatingItem.rating_round_id == rr_id)
        .order_by(RatingItem.position)
    ).all()
    return [
        ItemLine(
            ri.id,
            ri.item_id,
            code,
            ri.revision,
            rev.text,
            getattr(rev.strength_adult, "value", rev.strength_adult),
            getattr(rev.strength_child, "value", rev.strength_child),
        )
        for ri, code, rev in rows
    ]


@dataclass(frozen=True, slots=True)
class PanellistLine:
    user_id: int
    name: str
    email: str
    answered: int  # items with a current answer
    late_accepted: bool
    late_answers: int


def panel(session: Session, rr: RatingRound) -> list[PanellistLine]:
    """The panel with how many items each has answered: for the secretariat only."""
    answered = dict(
        session.execute(
            select(RatingAnswer.user_id, func.count())
            .join(RatingItem, RatingItem.id == RatingAnswer.rating_item_id)
            .where(RatingItem.rating_round_id == rr.id, RatingAnswer.superseded_at.is_(None))
            .group_by(RatingAnswer.user_id)
        ).all()
    )
    late = dict(
        session.execute(
            select(RatingAnswer.user_id, func.count())
            .join(RatingItem, RatingItem.id == RatingAnswer.rating_item_id)
            .where(
                RatingItem.rating_round_id == rr.id,
                RatingAnswer.superseded_at.is_(None),
                RatingAnswer.late.is_(True),
            )
            .group_by(RatingAnswer.user_id)
        ).all()
    )
    rows = session.execute(
        select(User.id, User.name, User.email, RatingPanellist.late_accepted_at)
        .join(RatingPanellist, RatingPanellist.user_id == User.id)
        .where(RatingPanellist.rating_round_id == rr.id)
        .order_by(User.name, User.id)
    ).all()
    return [
        PanellistLine(
            uid, name, email, answered.get(uid, 0), accepted is not None, late.get(uid, 0)
        )
        for uid, name, email, accepted in rows
    ]


def answer_count(session: Session, rr_id: int) -> int:
    """The answers standing (replaced ones are history, not answers)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(RatingAnswer)
            .join(RatingItem, RatingItem.id == RatingAnswer.rating_item_id)
            .where(RatingItem.rating_round_id == rr_id, RatingAnswer.superseded_at.is_(None))
        )
        or 0
    )


def rule_of(rr: RatingRound) -> ConsensusRule:
    return ConsensusRule.from_json(rr.rule or {})


def current_answers(session: Session, rr_id: int) -> dict[int, list[RatingAnswer]]:
    """Each rating item's current answers (by its id), ordered by panellist: never shown in this
    order to a panellist (the pages sort comments by text)."""
    out: dict[int, list[RatingAnswer]] = {}
    for a in session.scalars(
        select(RatingAnswer)
        .join(RatingItem, RatingItem.id == RatingAnswer.rating_item_id)
        .where(RatingItem.rating_round_id == rr_id, RatingAnswer.superseded_at.is_(None))
        .order_by(RatingAnswer.user_id)
    ):
        out.setdefault(a.rating_item_id, []).append(a)
    return out


def own_answers(session: Session, rr_id: int, user_id: int) -> dict[int, RatingAnswer]:
    """A panellist's current answers, by rating item id."""
    return {
        a.rating_item_id: a
        for a in session.scalars(
            select(RatingAnswer)
            .join(RatingItem, RatingItem.id == RatingAnswer.rating_item_id)
            .where(
                RatingItem.rating_round_id == rr_id,
                RatingAnswer.user_id == user_id,
                RatingAnswer.superseded_at.is_(None),
            )
        )
    }


# --- Results ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemResult:
    item: ItemLine
    n: int
    shown: bool  # at least MIN_SHOWN answers: panellists may see the group's statistics
    relevance: ScaleStats
    relevance_verdict: Verdict
    clarity: ScaleStats
    clarity_verdict: Verdict
    adult: CategoryStats
    adult_verdict: Verdict
    child: CategoryStats
    child_verdict: Verdict
    comments: list[str]  # sorted by text: no author, time or order of entry
    wordings: list[str]
    stability: Stability | None  # relevance, against the previous round (same panellists)
    median_change: float | None  # relevance: this round's median - the previous round's
    iqr_change: float | None  # relevance: this round's IQR - the previous one's (< 0: converged)
    # The three above may be shown to a caller who may not see everything (stats.change_shown).
    change_shown: bool = False

    @property
    def ref(self) -> str:
        return self.item.ref


def results(session: Session, rr: RatingRound) -> list[ItemResult]:
    """Every item's statistics and verdicts under the round's rule, unfiltered: what the caller
    may show is decided by `visible_results`."""
    rule = rule_of(rr)
    answers = current_answers(session, rr.id)
    previous: dict[int, list[RatingAnswer]] = {}
    previous_item: dict[int, int] = {}
    if rr.previous_id is not None:
        previous = current_answers(session, rr.previous_id)
        previous_item = dict(
            session.execute(
                select(RatingItem.item_id, RatingItem.id).where(
                    RatingItem.rating_round_id == rr.previous_id
                )
            ).all()
        )
    out = []
    for line in items(session, rr.id):
        given = answers.get(line.rating_item_id, [])
        relevance = [a.relevance for a in given]
        clarity = [a.clarity for a in given]
        adult = [a.strength_adult for a in given if a.strength_adult]
        child = [a.strength_child for a in given if a.strength_child]
        before = previous.get(previous_item.get(line.item_id, -1), [])
        stability = change = spread = None
        change_ok = False
        if rr.previous_id is not None:
            stability = stats.stability(
                {a.user_id: a.relevance for a in before}, {a.user_id: a.relevance for a in given}
            )
            earlier, now_ = (
                stats.scale_stats([a.relevance for a in before]),
                stats.scale_stats(relevance),
            )
            change = stats.median_change(earlier, now_)
            spread = stats.iqr_change(earlier, now_)
            change_ok = stats.change_shown(len(before), len(given), stability.n_compared)
        out.append(
            ItemResult(
                item=line,
                n=len(given),
                shown=stats.shown_to_panel(len(given)),
                relevance=stats.scale_stats(relevance),
                relevance_verdict=stats.verdict(rule, relevance),
                clarity=stats.scale_stats(clarity),
                clarity_verdict=stats.verdict(rule, clarity),
                adult=stats.category_stats(adult),
                adult_verdict=stats.category_verdict(rule, adult),
                child=stats.category_stats(child),
                child_verdict=stats.category_verdict(rule, child),
                comments=sorted(a.comment for a in given if a.comment),
                wordings=sorted(a.wording for a in given if a.wording),
                stability=stability,
                median_change=change,
                iqr_change=spread,
                change_shown=change_ok,
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class Access:
    """What the caller may see of a round's results."""

    results: bool  # the results at all (False: "after the round closes")
    everything: bool  # every item whatever its count, and the answers with names
    why_not: str = ""


def access(principal: Principal, rr: RatingRound) -> Access:
    if is_secretariat(principal) and rr.show_answers_to_secretariat:
        return Access(True, True)
    if rr.state != CLOSED:
        return Access(
            False,
            False,
            "The group's answers are shown only after the round closes, so that no change "
            "while it is open can tell anyone who answered what.",
        )
    return Access(True, False)


def visible_results(session: Session, principal: Principal, rr: RatingRound) -> list[ItemResult]:
    """The results the caller may see; refused (409) while the round is open, except for a
    secretariat the round shows its answers to."""
    allowed = access(principal, rr)
    if not allowed.results:
        raise Conflict(
            f"RR-{rr.id} is {rr.state}: its results are shown once it is closed", field="state"
        )
    return results(session, rr)


@dataclass(frozen=True, slots=True)
class NamedAnswer:
    name: str
    ref: str
    answer: RatingAnswer


def named_answers(session: Session, principal: Principal, rr: RatingRound) -> list[NamedAnswer]:
    """Who answered what: the secretariat, only where the round says so."""
    if not (is_secretariat(principal) and rr.show_answers_to_secretariat):
        raise PermissionDenied(
            "this round does not show the answers to the secretariat", field="answers"
        )
    refs = {line.rating_item_id: line.ref for line in items(session, rr.id)}
    names = dict(session.execute(select(User.id, User.name)).all())
    rows = []
    for rating_item_id, given in current_answers(session, rr.id).items():
        for a in given:
            rows.append(NamedAnswer(names.get(a.user_id, "?"), refs[rating_item_id], a))
    rows.sort(key=lambda r: (r.ref, r.name))
    return rows


@dataclass(frozen=True, slots=True)
class Feedback:
    """Round 1 as a panellist answering round 2 sees it beside an item."""

    own: RatingAnswer | None
    result: ItemResult | None  # None: fewer than MIN_SHOWN answers (not shown)


def feedback(session: Session, principal: Principal, rr: RatingRound) -> dict[int, Feedback]:
    """For round 2 and later: per rating item id of `rr`, the person's own previous answer and
    the previous round's group result where it may be shown."""
    if rr.previous_id is None:
        return {}
    previous = session.get(RatingRound, rr.previous_id)
    if previous is None or previous.state != CLOSED:
        return {}
    by_item = {r.item.item_id: r for r in results(session, previous)}
    own = own_answers(session, previous.id, principal.user_id)
    out = {}
    for line in items(session, rr.id):
        r = by_item.get(line.item_id)
        if r is None:
            continue
        out[line.rating_item_id] = Feedback(own.get(r.item.rating_item_id), r if r.shown else None)
    return out


# --- Setting a round up -----------------------------------------------------------------------


@dataclass(slots=True)
class Setup:
    """A rating round's settings as given; None: unchanged (on an edit)."""

    title: str | None = None
    round: str | None = None
    items: list[str] | None = None  # indicator codes; empty on create: every indicator
    delegations: list[str] | None = None  # every member of these is on the panel
    panellists: list[str] | None = None  # e-mail addresses (invited observers, experts)
    deadline: datetime | None = None
    rule: dict[str, Any] | None = None
    show_answers_to_secretariat: bool | None = None
    instructions: str | None = None
    changed: set[str] = field(default_factory=set)  # fields given (a deadline may be cleared)


def _text(value: str, name: str, limit: int) -> str:
    value = value.strip()
    if "\x00" in value:
        raise InvalidInput(f"{name} contains a NUL character", field=name)
    if len(value) > limit:
        raise InvalidInput(f"{name} must be {limit:,} characters or fewer", field=name)
    return value


def _title(value: str) -> str:
    value = _text(value, "title", TITLE_MAX)
    if not value:
        raise InvalidInput("title: give the rating round a title", field="title")
    return value


def _rule(value: dict[str, Any] | None) -> dict[str, Any]:
    try:
        return ConsensusRule.from_json(value or {}).to_json()
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"rule: {exc}", field="rule") from exc


def _issued_round(session: Session, ref: str | None) -> Round:
    ref = (ref or "").strip()
    if not ref:
        raise InvalidInput("round: name the issued round whose indicators are rated", field="round")
    found = session.scalar(select(Round).where(Round.symbol == ref))
    if found is None and is_id(ref) and len(ref) < 10:
        found = session.get(Round, int(ref))
    if found is None:
        raise InvalidInput(f"round: no round {ref!r}", field="round")
    if found.state is RoundState.PREPARING:
        raise Conflict(
            f"round: {found.symbol} is in preparation; rate the indicators of an issued round",
            field="round",
        )
    return found


def _round_items(session: Session, round_id: int, codes: Sequence[str]) -> list[tuple[int, int]]:
    """(item id, frozen revision) of the chosen indicators of the issued round, in its order."""
    rows = session.execute(
        select(Item.code, RoundItem.item_id, RoundItem.revision)
        .join(Item, Item.id == RoundItem.item_id)
        .where(
            RoundItem.round_id == round_id,
            Item.kind == ItemKind.INDICATOR,
            RoundItem.item_state != "deleted",
        )
        .order_by(RoundItem.position)
    ).all()
    if not codes:
        chosen = [(item_id, rev) for _, item_id, rev in rows]
    else:
        wanted = [c.strip().upper() for c in codes if c.strip()]
        known = {code: (item_id, rev) for code, item_id, rev in rows}
        missing = [c for c in wanted if c not in known]
        if missing:
            raise InvalidInput(
                f"items: {', '.join(missing[:5])} is not an indicator of the round rated",
                field="items",
            )
        order = {code: i for i, (code, _, _) in enumerate(rows)}
        chosen = [known[c] for c in sorted(set(wanted), key=order.__getitem__)]
    if not chosen:
        raise InvalidInput("items: choose at least one indicator to rate", field="items")
    return chosen


def _panel(session: Session, delegations: Sequence[str], emails: Sequence[str]) -> list[int]:
    ids: list[int] = []
    for code in delegations:
        delegation = session.scalar(select(Delegation).where(Delegation.code == code.strip()))
        if delegation is None:
            raise InvalidInput(f"delegations: no delegation {code!r}", field="delegations")
        ids += session.scalars(
            select(User.id)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.delegation_id == delegation.id, User.is_active.is_(True))
            .order_by(User.id)
        )
    for email in emails:
        email = email.strip()
        if not email:
            continue
        user = session.scalar(select(User).where(func.lower(User.email) == email.lower()))
        if user is None or not user.is_active:
            shown = email if valid_address(email) else "that address"
            raise InvalidInput(f"panellists: nobody has the address {shown}", field="panellists")
        if user.role not in PANEL_ROLES:
            raise InvalidInput(
                f"panellists: {user.email} is {user.role.value}; the panel is delegation members, "
                "co-chairs and observers",
                field="panellists",
            )
        ids.append(user.id)
    return list(dict.fromkeys(ids))


def _new_panel(session: Session, rr: RatingRound, setup: Setup, given: set[str]) -> list[int]:
    """The panel after an edit. The two parts are replaced only when sent: delegations only
    keeps the invited panellists, panellists only keeps the delegations' members. Which part
    a panellist came from is not stored, so it is read from now: a current panellist who is a
    member of a delegation belongs to the delegations' part, anyone else (observers, experts
    without a delegation) to the invited part."""
    sent = _panel(session, setup.delegations or [], setup.panellists or [])
    if "delegations" in given and "panellists" in given:
        return sent
    current = sorted(panel_ids(session, rr.id))
    members = set(
        session.scalars(select(Membership.user_id).where(Membership.user_id.in_(current)))
    )
    if "delegations" in given:  # keep the invited part
        kept = [uid for uid in current if uid not in members]
    else:  # panellists only: keep the delegations' part
        kept = [uid for uid in current if uid in members]
    return list(dict.fromkeys(sent + kept))


def _set_items(session: Session, rr: RatingRound, chosen: list[tuple[int, int]]) -> None:
    for existing in session.scalars(select(RatingItem).where(RatingItem.rating_round_id == rr.id)):
        session.delete(existing)
    session.flush()
    for position, (item_id, revision) in enumerate(chosen, start=1):
        session.add(
            RatingItem(rating_round_id=rr.id, item_id=item_id, revision=revision, position=position)
        )


def _set_panel(session: Session, rr: RatingRound, user_ids: list[int]) -> None:
    for existing in session.scalars(
        select(RatingPanellist).where(RatingPanellist.rating_round_id == rr.id)
    ):
        session.delete(existing)
    session.flush()
    for uid in user_ids:
        session.add(RatingPanellist(rating_round_id=rr.id, user_id=uid))


DEADLINE_AHEAD_MAX = timedelta(days=730)


def _deadline(value: datetime | None, now: datetime) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise InvalidInput("deadline: give the time with its offset (UTC)", field="deadline")
    if value <= now:
        raise InvalidInput("deadline: the deadline must be in the future", field="deadline")
    if value > now + DEADLINE_AHEAD_MAX:
        # A far-off date (9999-12-31T23:30Z) overflows when shown in a local time zone: every
        # page of the round would fail for everyone, and a closed round cannot be edited.
        raise InvalidInput(
            f"deadline: at most {DEADLINE_AHEAD_MAX.days // 365} years from now "
            f"(before {now + DEADLINE_AHEAD_MAX:%Y-%m-%d})",
            field="deadline",
        )
    return value


def create(session: Session, actor: Actor, setup: Setup, *, now: datetime) -> RatingRound:
    round_ = _issued_round(session, setup.round)
    rr = RatingRound(
        title=_title(setup.title or ""),
        round_id=round_.id,
        number=1,
        state=DRAFT,
        deadline=_deadline(setup.deadline, now),
        rule=_rule(setup.rule),
        show_answers_to_secretariat=bool(setup.show_answers_to_secretariat),
        instructions=_text(setup.instructions or "", "instructions", TEXT_MAX),
        created_by_id=actor.user_id,
        created_at=now,
    )
    chosen = _round_items(session, round_.id, setup.items or [])
    panel_ids_ = _panel(session, setup.delegations or [], setup.panellists or [])
    session.add(rr)
    session.flush()
    _set_items(session, rr, chosen)
    _set_panel(session, rr, panel_ids_)
    session.flush()
    record(
        session,
        actor,
        action="rating.create",
        object_type="rating_round",
        object_id=rr.id,
        details={"round": round_.symbol, "items": len(chosen), "panel": len(panel_ids_)},
        at=now,
    )
    return rr


def _locked(session: Session, rr_id: int) -> RatingRound:
    rr = session.scalar(
        select(RatingRound)
        .where(RatingRound.id == rr_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if rr is None:
        raise NotFound(f"no rating round RR-{rr_id}", field="rating_round")
    return rr


def update(
    session: Session,
    actor: Actor,
    rr_id: int,
    setup: Setup,
    *,
    expected_version: int | None,
    now: datetime,
) -> RatingRound:
    """Change a draft's settings. Once open, only the deadline, and the rule until the first
    answer; a closed round is not changed."""
    rr = _locked(session, rr_id)
    rr.check_version(expected_version)
    given = setup.changed
    if rr.state == CLOSED:
        raise Conflict(f"RR-{rr.id} is closed; a closed rating round is not changed", field="state")
    if rr.state == OPEN:
        fixed = given - {"deadline", "rule"}
        if fixed:
            name = sorted(fixed)[0]
            raise Conflict(f"{name}: RR-{rr.id} is open; only its deadline changes now", field=name)
        if "rule" in given and answer_count(session, rr.id):
            raise Conflict(
                f"rule: RR-{rr.id} has answers; the consensus rule is fixed once the first "
                "answer is in",
                field="rule",
            )
    changed: list[str] = []
    # Items and panel first: replacing them flushes, and the round's row must be written once
    # (each UPDATE moves its version on).
    round_id = rr.round_id
    if "round" in given or "items" in given:
        if "round" in given:
            round_id = _issued_round(session, setup.round).id
        _set_items(session, rr, _round_items(session, round_id, setup.items or []))
        changed.append("items")
    if "delegations" in given or "panellists" in given:
        _set_panel(session, rr, _new_panel(session, rr, setup, given))
        changed.append("panel")
    rr.round_id = round_id
    if "title" in given:
        rr.title = _title(setup.title or "")
        changed.append("title")
    if "deadline" in given:
        if setup.deadline is None and rr.state == OPEN:
            raise InvalidInput("deadline: an open rating round keeps a deadline", field="deadline")
        rr.deadline = _deadline(setup.deadline, now)
        changed.append("deadline")
    if "rule" in given:
        rr.rule = _rule(setup.rule)
        changed.append("rule")
    if "show_answers_to_secretariat" in given:
        rr.show_answers_to_secretariat = bool(setup.show_answers_to_secretariat)
        changed.append("show_answers_to_secretariat")
    if "instructions" in given:
        rr.instructions = _text(setup.instructions or "", "instructions", TEXT_MAX)
        changed.append("instructions")
    # The row is written even when only its items or panel changed, so its version moves on
    # (the ORM adds 1 on every UPDATE): an ETag read before is stale.
    flag_modified(rr, "title")
    session.flush()
    record(
        session,
        actor,
        action="rating.update",
        object_type="rating_round",
        object_id=rr.id,
        details={"changed": changed},
        at=now,
    )
    return rr


def open_(
    session: Session, actor: Actor, rr_id: int, *, expected_version: int | None, now: datetime
) -> RatingRound:
    rr = _locked(session, rr_id)
    rr.check_version(expected_version)
    if rr.state != DRAFT:
        raise Conflict(f"RR-{rr.id} is {rr.state}; only a draft is opened", field="state")
    if rr.deadline is None:
        raise InvalidInput("deadline: set a deadline before opening the round", field="deadline")
    if rr.deadline <= now:
        raise InvalidInput("deadline: the deadline has passed; set a later one", field="deadline")
    if not panel_ids(session, rr.id):
        raise InvalidInput("panel: the round has nobody on its panel", field="panel")
    if not items(session, rr.id):
        raise InvalidInput("items: the round has no indicator to rate", field="items")
    rr.rule = _rule(rr.rule)
    rr.state = OPEN
    rr.opened_at = now
    session.flush()
    record(
        session,
        actor,
        action="rating.open",
        object_type="rating_round",
        object_id=rr.id,
        details={"rule": rr.rule, "deadline": rr.deadline.isoformat()},
        at=now,
    )
    return rr


def close(
    session: Session, actor: Actor, rr_id: int, *, expected_version: int | None, now: datetime
) -> RatingRound:
    rr = _locked(session, rr_id)
    rr.check_version(expected_version)
    if rr.state != OPEN:
        raise Conflict(f"RR-{rr.id} is {rr.state}; only an open round is closed", field="state")
    rr.state = CLOSED
    rr.closed_at = now
    session.flush()
    record(
        session,
        actor,
        action="rating.close",
        object_type="rating_round",
        object_id=rr.id,
        details={"answers": answer_count(session, rr.id)},
        at=now,
    )
    return rr


def accept_late(
    session: Session, actor: Actor, rr_id: int, *, email: str, now: datetime
) -> RatingPanellist:
    """Take a panellist's answers after the deadline (they are marked late)."""
    rr = _locked(session, rr_id)
    if rr.state != OPEN:
        raise Conflict(f"RR-{rr.id} is {rr.state}; late answers go to an open round", field="state")
    user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    member = session.get(RatingPanellist, (rr.id, user.id)) if user is not None else None
    if user is None or member is None:
        raise InvalidInput("email: nobody on the panel has that address", field="email")
    member.late_accepted_at = now
    session.flush()
    record(
        session,
        actor,
        action="rating.accept_late",
        object_type="rating_round",
        object_id=rr.id,
        details={"user": user.id},
        at=now,
    )
    return member


# --- Answering --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AnswerIn:
    ref: str
    relevance: Any
    clarity: Any
    strength_adult: Any = None
    strength_child: Any = None
    comment: str = ""
    wording: str = ""


def _scale(value: Any, name: str, ref: str) -> int:
    if isinstance(value, str) and is_id(value.strip()) and len(value.strip()) == 1:
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 9:
        raise InvalidInput(
            f"{name} of {ref}: {value!r} is not a whole number from 1 to 9"
            if value not in (None, "")
            else f"{name} of {ref}: choose a rating from 1 to 9",
            field=name,
            item=ref,
        )
    return value


def _category(value: Any, name: str, ref: str) -> str | None:
    if value in (None, ""):
        return None
    if value not in stats.CATEGORIES:
        raise InvalidInput(
            f"{name} of {ref}: {value!r} is not strong, medium or weak", field=name, item=ref
        )
    return str(value)


def _check_personal_data(given: Sequence[AnswerIn], *, checked: bool) -> list[str]:
    """What in the comments and wordings looks like personal data (GENERAL_KINDS, as for
    comments). Unless checked, any finding refuses the answers: 422 naming the first field
    (`answers[i].comment`), with its findings, and every field with findings in `problems`
    (the form shows each beside its box). Returns the kinds confirmed, never the words."""
    problems: list[dict[str, Any]] = []
    kinds: set[str] = set()
    for i, a in enumerate(given):
        ref = str(a.ref or "").strip().upper()
        for question in ("comment", "wording"):
            found = find_personal_data(getattr(a, question) or "", kinds=GENERAL_KINDS)
            if not found:
                continue
            kinds.update(f.kind for f in found)
            problems.append(
                {
                    "field": f"answers[{i}].{question}",
                    "item": ref,
                    "question": question,
                    "findings": [f.as_json() for f in found],
                }
            )
    if problems and not checked:
        first = problems[0]
        labels = ", ".join(dict.fromkeys(f["label"] for p in problems for f in p["findings"]))
        raise InvalidInput(
            f"{first['field']} of {first['item']}: the text may hold personal data ({labels}): "
            "remove or generalise it, or confirm that it is not personal data "
            "(personal_data_checked)",
            field=first["field"],
            item=first["item"],
            question=first["question"],
            findings=first["findings"],
            problems=problems,
        )
    return sorted(kinds)


def answer(
    session: Session,
    principal: Principal,
    rr_id: int,
    given: Sequence[AnswerIn],
    *,
    now: datetime,
    request_id: str | None = None,
    personal_data_checked: bool = False,
) -> int:
    """Store a panellist's answers. Answering an item again replaces the earlier answer (kept,
    superseded). Returns how many answers were stored. Comments and suggested wordings are
    shown to the panel once the round closes: each is checked for personal data (422 naming
    `answers[i].comment` or `answers[i].wording` with the findings) unless the panellist says
    they checked (`personal_data_checked`)."""
    rr = get(session, principal, rr_id)
    member = session.get(RatingPanellist, (rr.id, principal.user_id))
    if member is None:
        raise PermissionDenied(
            f"you are not on the panel of RR-{rr.id}; the secretariat chooses the panel",
            field="panel",
        )
    rr = _locked(session, rr_id)
    if rr.state != OPEN:
        raise Conflict(f"RR-{rr.id} is {rr.state} and takes no answers", field="state")
    late = False
    if rr.deadline is not None and now > rr.deadline:
        if member.late_accepted_at is None:
            raise Conflict(
                f"the deadline passed ({rr.deadline:%Y-%m-%d %H:%M} UTC); ask the secretariat "
                "to accept your answers late",
                field="deadline",
            )
        late = True
    if not given:
        raise InvalidInput("answers: rate at least one indicator", field="answers")
    lines = {line.ref: line for line in items(session, rr.id)}
    seen: set[str] = set()
    checked: list[tuple[ItemLine, AnswerIn, int, int, str | None, str | None]] = []
    for a in given:
        ref = str(a.ref or "").strip().upper()
        line = lines.get(ref)
        if line is None:
            raise InvalidInput(f"ref: {a.ref!r} is not an indicator of RR-{rr.id}", field="ref")
        if ref in seen:
            raise InvalidInput(f"ref: {ref} is answered twice", field="ref", item=ref)
        seen.add(ref)
        checked.append(
            (
                line,
                a,
                _scale(a.relevance, "relevance", ref),
                _scale(a.clarity, "clarity", ref),
                _category(a.strength_adult, "strength_adult", ref),
                _category(a.strength_child, "strength_child", ref),
            )
        )
        _text(a.comment or "", "comment", TEXT_MAX)
        _text(a.wording or "", "wording", TEXT_MAX)
    confirmed = _check_personal_data(given, checked=personal_data_checked)
    mine = own_answers(session, rr.id, principal.user_id)
    for line, a, relevance, clarity, adult, child in checked:
        before = mine.get(line.rating_item_id)
        if before is not None:
            before.superseded_at = now
        session.add(
            RatingAnswer(
                rating_item_id=line.rating_item_id,
                user_id=principal.user_id,
                relevance=relevance,
                clarity=clarity,
                strength_adult=adult,
                strength_child=child,
                comment=_text(a.comment or "", "comment", TEXT_MAX),
                wording=_text(a.wording or "", "wording", TEXT_MAX),
                answered_at=now,
                late=late,
            )
        )
    session.flush()
    # Who answered, not what: the values are not in the trail.
    record(
        session,
        Actor(principal.user_id, None, request_id),
        action="rating.answer",
        object_type="rating_round",
        object_id=rr.id,
        details={"items": len(checked), "late": late}
        | ({"personal_data_confirmed": confirmed} if confirmed else {}),
        at=now,
    )
    return len(checked)


def history(session: Session, rr_id: int, user_id: int) -> list[RatingAnswer]:
    """Every answer a panellist gave in a round, superseded ones included, oldest first."""
    return list(
        session.scalars(
            select(RatingAnswer)
            .join(RatingItem, RatingItem.id == RatingAnswer.rating_item_id)
            .where(RatingItem.rating_round_id == rr_id, RatingAnswer.user_id == user_id)
            .order_by(RatingAnswer.id)
        )
    )


# --- Round 2, reminders, proposals ------------------------------------------------------------


def next_of(session: Session, rr: RatingRound) -> int | None:
    """The id of the round started from this one, if any (one at most)."""
    return session.scalar(select(RatingRound.id).where(RatingRound.previous_id == rr.id))


def carried_over(session: Session, rr: RatingRound) -> list[ItemResult]:
    """What a next round would rate again: the items without consensus on relevance."""
    return [r for r in results(session, rr) if not r.relevance_verdict.consensus]


def needs_next(session: Session, rr: RatingRound) -> bool:
    """Whether a next round has something to rate: a closed round with an item left without
    consensus on relevance (what start_next carries over)."""
    return rr.state == CLOSED and bool(carried_over(session, rr))


def start_next(
    session: Session,
    actor: Actor,
    rr_id: int,
    *,
    deadline: datetime | None,
    title: str | None,
    now: datetime,
) -> RatingRound:
    """The next round of a closed one: the items without consensus on relevance, the same panel
    and rule, as a draft the secretariat opens."""
    rr = _locked(session, rr_id)
    if rr.state != CLOSED:
        raise Conflict(
            f"RR-{rr.id} is {rr.state}; the next round starts from a closed one", field="state"
        )
    if next_of(session, rr) is not None:
        raise Conflict(f"RR-{rr.id} already has a next round", field="previous")
    left = carried_over(session, rr)
    if not left:
        raise Conflict(
            f"every indicator of RR-{rr.id} reached consensus on relevance; no round follows",
            field="items",
        )
    base = rr.title.split(" (round ")[0]
    nxt = RatingRound(
        title=_title(title or f"{base} (round {rr.number + 1})"),
        round_id=rr.round_id,
        number=rr.number + 1,
        previous_id=rr.id,
        state=DRAFT,
        deadline=_deadline(deadline, now),
        rule=dict(rr.rule),
        show_answers_to_secretariat=rr.show_answers_to_secretariat,
        instructions=rr.instructions,
        created_by_id=actor.user_id,
        created_at=now,
    )
    session.add(nxt)
    session.flush()
    _set_items(session, nxt, [(r.item.item_id, r.item.revision) for r in left])
    _set_panel(session, nxt, sorted(panel_ids(session, rr.id)))
    session.flush()
    record(
        session,
        actor,
        action="rating.next_round",
        object_type="rating_round",
        object_id=nxt.id,
        details={"previous": rr.id, "items": [r.ref for r in left]},
        at=now,
    )
    return nxt


def remind(
    session: Session, actor: Actor, rr_id: int, *, base_url: str, now: datetime
) -> list[str]:
    """Mail every panellist who has not answered every item; returns their names."""
    rr = _locked(session, rr_id)
    if rr.state != OPEN:
        raise Conflict(
            f"RR-{rr.id} is {rr.state}; reminders go out for an open round", field="state"
        )
    total = len(items(session, rr.id))
    due = f"{rr.deadline:%d %B %Y, %H:%M} UTC" if rr.deadline else "soon"
    names = []
    for p in panel(session, rr):
        if p.answered >= total or not valid_address(p.email):
            continue
        enqueue(
            session,
            to=p.email,
            subject=f"Reminder: rate the indicators of {rr.title} by {due}",
            text=(
                f"Dear {p.name},\n\nYou have rated {p.answered} of the {total} indicators of the "
                f'rating round "{rr.title}". The deadline is {due}.\n\n'
                f"Answer here: {base_url.rstrip('/')}/rating/{rr.id}/answer\n\n"
                "Your answers are anonymous: other panellists never see who answered what.\n"
            ),
            kind="rating_reminder",
            user_id=p.user_id,
            now=now,
        )
        names.append(p.name)
    record(
        session,
        actor,
        action="rating.remind",
        object_type="rating_round",
        object_id=rr.id,
        details={"reminded": len(names)},
        at=now,
    )
    return names


PROFILE_PLURAL = {"adult": "adults", "child": "children"}

STANDING = (ProposalState.DRAFT, ProposalState.SUBMITTED, ProposalState.UNDER_CONSIDERATION)


def _standing_proposal(
    session: Session, rr_id: int, ref: str, profile: str, strength: str
) -> int | None:
    """A proposal this round already made for the same item, profile and strength that still
    stands (not decided or withdrawn), found through the round's rating.propose events."""
    made = session.scalars(
        select(AuditEvent.details).where(
            AuditEvent.action == "rating.propose",
            AuditEvent.object_type == "rating_round",
            AuditEvent.object_id == str(rr_id),
        )
    ).all()
    for details in made:
        if details.get("item") != ref or details.get("profile") != profile:
            continue
        proposal = session.get(Proposal, details.get("proposal"))
        if proposal is None or proposal.state not in STANDING:
            continue
        if proposal.content.get(f"strength_{profile}") == strength:
            return proposal.id
    return None


def proposable(session: Session, found: Sequence[ItemResult]) -> dict[tuple[str, str], str]:
    """(ref, profile) -> the rated strength, where a proposal may be made from it: the question
    is shown (at least MIN_SHOWN answers), reached consensus, and the rated category differs
    from the indicator's strength now (what `propose_strength` checks)."""
    out: dict[tuple[str, str], str] = {}
    for r in found:
        for profile in ("adult", "child"):
            category = r.adult if profile == "adult" else r.child
            verdict = r.adult_verdict if profile == "adult" else r.child_verdict
            if not (stats.shown_to_panel(category.n) and verdict.consensus and category.mode):
                continue
            now_value = getattr(register.current(session, r.ref).revision, f"strength_{profile}")
            if getattr(now_value, "value", now_value) != category.mode:
                out[(r.ref, profile)] = category.mode
    return out


def propose_strength(
    session: Session,
    principal: Principal,
    rr_id: int,
    *,
    ref: str,
    profile: str,
    delegation: str,
    now: datetime,
    request_id: str | None = None,
) -> int:
    """Propose setting an indicator's strength for a profile to the category the panel rated,
    on behalf of `delegation`, attributed to the rating round; returns the proposal's id.
    The round's row is locked, so a double submit waits for the first and then finds its
    proposal: 409 naming it while it stands."""
    get(session, principal, rr_id)
    rr = _locked(session, rr_id)
    if rr.state != CLOSED:
        raise Conflict(
            f"RR-{rr.id} is {rr.state}; propose from a closed round's result", field="state"
        )
    if profile not in ("adult", "child"):
        raise InvalidInput(f"profile: {profile!r} is not adult or child", field="profile")
    found = next((r for r in results(session, rr) if r.ref == ref.strip().upper()), None)
    if found is None:
        raise InvalidInput(f"ref: {ref!r} is not an indicator of RR-{rr.id}", field="ref")
    verdict = found.adult_verdict if profile == "adult" else found.child_verdict
    category = found.adult if profile == "adult" else found.child
    people = PROFILE_PLURAL[profile]
    if not stats.shown_to_panel(category.n):
        # The rationale is read by everyone: with fewer than MIN_SHOWN answers its counts (or
        # even the mode) would give the panellists' answers away, so there is nothing to propose.
        raise Conflict(
            f"{found.ref}'s strength for {people} has fewer than {MIN_SHOWN} answers: not "
            "shown, so it cannot become a proposal",
            field="profile",
        )
    if not verdict.consensus or category.mode is None:
        raise Conflict(
            f"the panel reached no consensus on {found.ref}'s strength for {people} "
            f"({verdict.reason})",
            field="profile",
        )
    current = register.current(session, found.ref)
    now_value = getattr(current.revision, f"strength_{profile}", None)
    if getattr(now_value, "value", now_value) == category.mode:
        raise Conflict(
            f"{found.ref}'s strength for {people} is already {category.mode}", field="profile"
        )
    standing = _standing_proposal(session, rr.id, found.ref, profile, category.mode)
    if standing is not None:
        raise Conflict(
            f"proposal P-{standing} already proposes {found.ref}'s strength for {people} "
            f"as {category.mode} from RR-{rr.id}",
            field="profile",
            proposal=standing,
        )
    if not delegation.strip():
        raise InvalidInput(
            "delegation: choose the delegation the proposal is filed for (it is filed in its "
            "name and counts as its support)",
            field="delegation",
        )
    target = session.scalar(select(Delegation).where(Delegation.code == delegation.strip()))
    if target is None:
        raise InvalidInput(f"delegation: no delegation {delegation!r}", field="delegation")
    acting = Principal(
        user_id=principal.user_id,
        email=principal.email,
        name=principal.name,
        role=principal.role,
        delegations=[DelegationRef(target.id, target.code, target.code)],
        acting_delegation_id=target.id,
    )
    counts = category.counts
    rationale = (
        f'As rated by the panel of rating round RR-{rr.id} "{rr.title}" (round {rr.number}): '
        f"{counts.get(category.mode, 0)} of {category.n} rated {found.ref} {category.mode} for "
        f"{people}. {verdict.reason}"
    )
    proposal = proposals.create(
        session,
        acting,
        kind=ProposalKind.AMEND,
        targets=[found.ref],
        base_revisions=None,
        content={f"strength_{profile}": category.mode},
        rationale=rationale,
        delegation_code=target.code,
        submit=True,
        now=now,
        request_id=request_id,
    )
    record(
        session,
        Actor(principal.user_id, target.id, request_id),
        action="rating.propose",
        object_type="rating_round",
        object_id=rr.id,
        details={
            "proposal": proposal.id,
            "item": found.ref,
            "profile": profile,
            "strength": category.mode,
        },
        at=now,
    )
    return proposal.id


REMIND_HOURS_BEFORE = 48


def send_due_reminders(session: Session, now: datetime, *, base_url: str) -> list[str]:
    """Run by the worker: remind the panellists of every open rating round whose deadline is
    48 hours away or less, once per round and deadline (a key in sent_reminders, like the
    rounds' reminders), unless it opened within those hours. One line per round reminded."""
    from app.notifications.reminders import claim_once

    soon = now + timedelta(hours=REMIND_HOURS_BEFORE)
    due = session.scalars(
        select(RatingRound)
        .where(
            RatingRound.state == OPEN,
            RatingRound.deadline.is_not(None),
            RatingRound.deadline > now,
            RatingRound.deadline <= soon,
        )
        .order_by(RatingRound.id)
    ).all()
    sent: list[str] = []
    for rr in due:
        assert rr.deadline is not None
        window = rr.deadline - timedelta(hours=REMIND_HOURS_BEFORE)
        if rr.opened_at is not None and rr.opened_at >= window:
            continue
        key = f"rating:{rr.id}:deadline-{REMIND_HOURS_BEFORE}h:{rr.deadline:%Y%m%dT%H%MZ}"
        if not claim_once(session, key, now):
            continue
        names = remind(session, Actor.system("worker"), rr.id, base_url=base_url, now=now)
        sent.append(
            f"RR-{rr.id}: {REMIND_HOURS_BEFORE} hours before its deadline, reminded {len(names)}"
        )
    return sent
