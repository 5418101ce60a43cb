"""Delegation positions and the consensus picture. ASEAN decides by consensus, not by vote: what
matters is who supports, who reserves, who objects and who has not yet spoken.

One model of a position (app/models/workflow.py Position): every position is about an item's
text, either the text as it stands or the text a given proposal would make. `standing_on_items`
is the one reader of where each delegation stands on an item: the consensus grid, the indicator
page, the API and the Word exports read it.

A delegation that proposed or co-sponsored a text supports it unless it said otherwise: the
readers count it as support of that proposal's text ("support (proposer)"), from when it put its
name to it, without a row being written; a position it takes on that text says otherwise."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Integer, Select, and_, bindparam, or_, select, update
from sqlalchemy.orm import Session

from app.audit.service import Actor, record, vouch_for
from app.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from app.models import (
    Body,
    Delegation,
    DraftingState,
    Item,
    MemberState,
    Position,
    Proposal,
    ProposalState,
    ProposalTarget,
    Revision,
    Role,
    Sponsorship,
    Stance,
    User,
)
from app.principal import Principal
from app.rounds import service as rounds

# Positions on a proposal count for its item while the proposal is before the group.
OPEN_SUBMITTED = (ProposalState.SUBMITTED, ProposalState.UNDER_CONSIDERATION)
AGREED = (ProposalState.AGREED, ProposalState.AGREED_MODIFIED)


@dataclass(frozen=True, slots=True)
class PositionView:
    delegation_code: str
    delegation_name: str
    stance: Stance | None  # None: no position yet (pending)
    statement: str
    by: str | None
    at: datetime | None
    proposal_id: int | None = None  # the text a proposal would make; None: the text as it stands
    # "proposer" / "co-sponsor": support the delegation gave by putting its name to the
    # proposal, not a position it took; "" for a position taken.
    implied: str = ""

    @property
    def label(self) -> str:
        """The standing in words: "support", "support (proposer)", "pending"."""
        return standing_label(self.stance, self.implied)

    @property
    def about(self) -> str:
        """Which text the position is on, in words."""
        if self.stance is None:
            return ""
        return f"P-{self.proposal_id}" if self.proposal_id is not None else "the text as it stands"


def standing_label(stance: Stance | None, implied: str) -> str:
    """PositionView.label from its two fields (the consensus grid keys its cells on them)."""
    if stance is None:
        return "pending"
    return f"{stance.label} ({implied})" if implied else stance.label


# The statements every item page and the consensus grid send are built once, with bound
# parameters (an expanding one for a list of ids): building a select with its joins cost more
# than running it, and SQLAlchemy caches the compiled form whoever built it.


@cache
def _group_query() -> Select[int, str, str]:
    return (
        select(Delegation.id, Delegation.code, Delegation.name_column())
        .join(MemberState, MemberState.id == Delegation.state_id)
        .join(Body, Body.id == Delegation.body_id)
        .order_by(Delegation.code)
    )


def _delegations(session: Session) -> list[tuple[int, str, str]]:
    return [(i, code, name) for i, code, name in session.execute(_group_query())]


def delegations(session: Session) -> list[tuple[str, str]]:
    """Every delegation of the group: (code, name), in code order."""
    return [(code, name) for _, code, name in _delegations(session)]


Group = list[tuple[int, str, str]]  # every delegation: (id, code, name), in code order


def group(session: Session) -> Group:
    """Every delegation of the group, for a page that reads several pictures (pass it to each:
    one query instead of one a picture)."""
    return _delegations(session)


def first_target(session: Session, proposal_id: int) -> int | None:
    """The item whose text a proposal changes (a merge's first item); None for a new item."""
    return session.scalar(
        select(ProposalTarget.item_id)
        .where(ProposalTarget.proposal_id == proposal_id)
        .order_by(ProposalTarget.position, ProposalTarget.item_id)
        .limit(1)
    )


def _serialised(session: Session) -> bool:
    """SQLite serialises write transactions at BEGIN IMMEDIATE already: no row lock to take."""
    return session.get_bind().dialect.name == "sqlite"


def _lock_delegation(session: Session, delegation_id: int) -> None:
    # Two members of one delegation may answer at the same moment: lock the delegation's row so
    # that the second one's UPDATE sees (and supersedes) the first one's position instead of
    # both staying current. (SQLite serialises write transactions at BEGIN IMMEDIATE already.)
    # FOR NO KEY UPDATE, as _lock_delegations: FOR UPDATE would also wait for the key-share lock
    # that a decision's earlier insert naming the delegation holds (its new revision), while that
    # decision waits for the delegations locked ahead of this one: a deadlock on PostgreSQL.
    if _serialised(session):
        return
    session.execute(
        select(Delegation.id).where(Delegation.id == delegation_id).with_for_update(key_share=True)
    )


def _lock_delegations(session: Session) -> None:
    # Every delegation, in id order (one order: no deadlock between two decisions); see
    # carry_agreed. FOR NO KEY UPDATE waits for set_position's lock but not for the key-share
    # locks that any insert naming a delegation takes, so it waits for no other writer.
    # (SQLAlchemy spells FOR NO KEY UPDATE key_share=True.)
    if _serialised(session):
        return
    session.execute(select(Delegation.id).order_by(Delegation.id).with_for_update(key_share=True))


def _supersede(session: Session, condition: object, now: datetime) -> list[int]:
    standing = list(
        session.scalars(
            select(Position.id).where(condition, Position.superseded_at.is_(None))  # type: ignore[arg-type]
        )
    )
    if standing:
        session.execute(update(Position).where(Position.id.in_(standing)).values(superseded_at=now))
        # Written with SQL the ORM does not see: their new state goes into the trail too.
        vouch_for(session, {"positions": standing})
    return standing


def set_position(
    session: Session,
    principal: Principal,
    *,
    stance: Stance,
    statement: str,
    proposal_id: int | None = None,
    item_code: str | None = None,
    delegation_code: str | None = None,
    now: datetime,
    request_id: str | None = None,
) -> Position:
    """Record a delegation's stance on an item's text: the text as it stands (`item_code`) or
    the text a proposal would make (`proposal_id`). The previous one on the same text is kept
    as history, marked superseded."""
    if (proposal_id is None) == (item_code is None):
        raise InvalidInput("give either a proposal or an indicator", field="target")
    delegation = principal.delegation_for(delegation_code)
    if delegation is None:
        raise PermissionDenied("positions are taken by a delegation, and you do not speak for one")
    if proposal_id is not None:
        proposal = session.get(Proposal, proposal_id)
        if proposal is None or proposal.submitted_at is None:
            raise NotFound(f"no proposal P-{proposal_id}")
        if not proposal.state.is_open:
            raise Conflict(
                f"proposal {proposal.reference} is {proposal.state.label}; positions are taken "
                "on open proposals"
            )
        item_id = first_target(session, proposal_id)
        same_text = Position.proposal_id == proposal_id
    else:
        item = session.scalar(select(Item).where(Item.code == str(item_code).upper()))
        if item is None:
            raise NotFound(f"no item with code {item_code!r}")
        item_id = item.id
        same_text = and_(Position.item_id == item_id, Position.proposal_id.is_(None))
    _lock_delegation(session, delegation.id)
    _supersede(session, and_(same_text, Position.delegation_id == delegation.id), now)
    position = Position(
        proposal_id=proposal_id,
        item_id=item_id,
        delegation_id=delegation.id,
        user_id=principal.user_id,
        stance=stance,
        statement=statement.strip(),
        created_at=now,
    )
    session.add(position)
    session.flush()
    record(
        session,
        Actor(principal.user_id, delegation.id, request_id),
        action="position.set",
        object_type="proposal" if proposal_id is not None else "item",
        object_id=proposal_id if proposal_id is not None else str(item_code).upper(),
        details={"stance": stance.value, "statement": statement.strip()},
        at=now,
    )
    return position


def carry_agreed(
    session: Session, proposal: Proposal, *, now: datetime, request_id: str | None = None
) -> int:
    """A proposal was agreed: the text it made is now the item's text as it stands, so the
    standing positions on it become positions on that text (each delegation's earlier position
    on the text as it stands is superseded by it). The positions on the proposal itself stay,
    the record of where delegations stood when it was agreed. The proposing and co-sponsoring
    delegations, where they took no position on it, support the text they put forward. Returns how
    many positions the text as it stands received."""
    if proposal.state not in AGREED:
        return 0
    # The item the agreement wrote: the new item of an addition, else the first target.
    item_id = session.scalar(
        select(Revision.item_id)
        .where(Revision.proposal_id == proposal.id)
        .order_by(Revision.id)
        .limit(1)
    )
    if item_id is None:
        return 0
    # The positions written below supersede the delegations' positions on the item: a
    # delegation taking one at the same moment (set_position, which locks its delegation) must
    # either come first, and see its position superseded here, or wait and supersede the one
    # carried here. Unlocked, each transaction missed the other's new row on PostgreSQL and
    # both stayed current. Which delegations is known only once read, so all are locked, before
    # any position is read or written.
    _lock_delegations(session)
    if proposal.kind.value == "add":
        # Positions on a proposed new item had no item: now they have one (their history too).
        unplaced = list(
            session.scalars(
                select(Position.id).where(
                    Position.proposal_id == proposal.id, Position.item_id.is_(None)
                )
            )
        )
        if unplaced:
            session.execute(
                update(Position).where(Position.id.in_(unplaced)).values(item_id=item_id)
            )
            vouch_for(session, {"positions": unplaced})
    on_proposal = list(
        session.scalars(
            select(Position)
            .where(Position.proposal_id == proposal.id, Position.superseded_at.is_(None))
            .order_by(Position.id)
        )
    )
    # The proposing and co-sponsoring delegations put their names to the text: where they took
    # no position on it, they support the text they made.
    spoke = {p.delegation_id for p in on_proposal}
    sponsors = [(proposal.delegation_id, proposal.author_id, f"Proposed {proposal.reference}.")]
    sponsors += [
        (d, u, f"Co-sponsored {proposal.reference}.")
        for d, u in session.execute(
            select(Sponsorship.delegation_id, Sponsorship.user_id)
            .where(Sponsorship.proposal_id == proposal.id)
            .order_by(Sponsorship.id)
        )
    ]
    for d, u, statement in sponsors:
        if d not in spoke:
            spoke.add(d)
            on_proposal.append(
                Position(delegation_id=d, user_id=u, stance=Stance.SUPPORT, statement=statement)
            )
    delegation_ids = [p.delegation_id for p in on_proposal]
    _supersede(
        session,
        and_(
            Position.item_id == item_id,
            Position.proposal_id.is_(None),
            Position.delegation_id.in_(delegation_ids),
        ),
        now,
    )
    for p in on_proposal:
        session.add(
            Position(
                proposal_id=None,
                item_id=item_id,
                delegation_id=p.delegation_id,
                user_id=p.user_id,
                stance=p.stance,
                statement=p.statement,
                created_at=now,
            )
        )
    session.flush()
    code = session.scalar(select(Item.code).where(Item.id == item_id))
    record(
        session,
        Actor(proposal.decided_by_id, None, request_id),
        action="position.carry",
        object_type="proposal",
        object_id=proposal.id,
        details={"item": code, "positions": len(on_proposal)},
        at=now,
    )
    return len(on_proposal)


class _Said(NamedTuple):
    """A standing position as the readers need it: plain columns, no ORM object (the consensus
    grid reads some two thousand of them)."""

    item_id: int | None
    proposal_id: int | None
    delegation_id: int
    stance: Stance
    statement: str
    created_at: datetime
    code: str  # the delegation's
    by: str
    name: str  # the delegation's
    proposal_state: ProposalState | None  # of the proposal it is on (None: on the text)


@cache
def _said_query() -> Select[*tuple[Any, ...]]:
    return (
        select(
            Position.item_id,
            Position.proposal_id,
            Position.delegation_id,
            Position.stance,
            Position.statement,
            Position.created_at,
            Delegation.code,
            User.name,
            Delegation.name_column(),
            Proposal.state,
        )
        .join(Delegation, Delegation.id == Position.delegation_id)
        .join(MemberState, MemberState.id == Delegation.state_id)
        .join(Body, Body.id == Delegation.body_id)
        .join(User, User.id == Position.user_id)
        .outerjoin(Proposal, Proposal.id == Position.proposal_id)
        .where(Position.superseded_at.is_(None))
        .order_by(Position.created_at, Position.id)
    )


def _current(
    session: Session, condition: ColumnElement[bool], params: dict[str, Any] | None = None
) -> list[_Said]:
    """Standing positions: each with its delegation's code, who recorded it and the
    delegation's name, oldest first."""
    return [_Said._make(row) for row in session.execute(_said_query().where(condition), params)]


@cache
def _said_on_item_and_proposals() -> Select[*tuple[Any, ...]]:
    """The standing positions an item page shows: on_items for the item `item_id`, and those
    on the proposals `proposal_ids` (any state)."""
    on_item = and_(
        Position.item_id == bindparam("item_id"),
        or_(Position.proposal_id.is_(None), Proposal.state.in_(OPEN_SUBMITTED)),
    )
    on_proposals = Position.proposal_id.in_(bindparam("proposal_ids", expanding=True))
    return _said_query().where(or_(on_item, on_proposals))


def _view(p: _Said | Position, code: str, name: str, by: str) -> PositionView:
    return PositionView(code, name, p.stance, p.statement, by, p.created_at, p.proposal_id)


def _pending(code: str, name: str) -> PositionView:
    return PositionView(code, name, None, "", None, None)


@dataclass(frozen=True, slots=True)
class _Named:
    """A delegation that put its name to a submitted proposal: who did, and when."""

    proposal_id: int
    delegation_id: int
    by: str
    at: datetime
    role: str  # "proposer" / "co-sponsor"


def _named(session: Session, proposal_ids: Sequence[int]) -> list[_Named]:
    """The proposing and co-sponsoring delegations of the submitted proposals among
    `proposal_ids` (two queries): the proposer from the proposal's submission, a co-sponsor from
    when it co-sponsored (or the submission, if later)."""
    if not proposal_ids:
        return []
    proposers, sponsors = _named_queries()
    ids = {"proposal_ids": list(proposal_ids)}
    out = [
        _Named(pid, d, by, _submitted(at), "proposer")
        for pid, d, by, at in session.execute(proposers, ids)
    ]
    out += [
        _Named(pid, d, by, max(at, _submitted(submitted)), "co-sponsor")
        for pid, d, by, at, submitted in session.execute(sponsors, ids)
    ]
    return out


@cache
def _named_queries() -> tuple[
    Select[int, int, str, datetime | None], Select[int, int, str, datetime, datetime | None]
]:
    ids = bindparam("proposal_ids", type_=Integer, expanding=True)
    proposers = (
        select(Proposal.id, Proposal.delegation_id, User.name, Proposal.submitted_at)
        .join(User, User.id == Proposal.author_id)
        .where(Proposal.id.in_(ids), Proposal.submitted_at.is_not(None))
    )
    sponsors = (
        select(
            Sponsorship.proposal_id,
            Sponsorship.delegation_id,
            User.name,
            Sponsorship.created_at,
            Proposal.submitted_at,
        )
        .join(Proposal, Proposal.id == Sponsorship.proposal_id)
        .join(User, User.id == Sponsorship.user_id)
        .where(Sponsorship.proposal_id.in_(ids), Proposal.submitted_at.is_not(None))
        .order_by(Sponsorship.id)
    )
    return proposers, sponsors


def _submitted(at: datetime | None) -> datetime:
    assert at is not None  # the queries above read submitted proposals only
    return at


def _implied(named: _Named, code: str, name: str) -> PositionView:
    return PositionView(
        code, name, Stance.SUPPORT, "", named.by, named.at, named.proposal_id, named.role
    )


def _first_targets(session: Session, item_ids: Sequence[int]) -> dict[int, int]:
    """The open proposals on these items, each with the item its positions are on (its first
    target, as first_target gives), in one query."""
    rows = session.execute(_first_targets_query(), {"item_ids": list(item_ids)}).all()
    first: dict[int, tuple[int, int]] = {}
    for pid, item_id, position in rows:
        if pid not in first or (position, item_id) < first[pid]:
            first[pid] = (position, item_id)
    wanted = set(item_ids)
    return {pid: item for pid, (_, item) in first.items() if item in wanted}


@cache
def _first_targets_query() -> Select[int, int, int]:
    on_them = select(ProposalTarget.proposal_id).where(
        ProposalTarget.item_id.in_(bindparam("item_ids", expanding=True))
    )
    return (
        select(ProposalTarget.proposal_id, ProposalTarget.item_id, ProposalTarget.position)
        .join(Proposal, Proposal.id == ProposalTarget.proposal_id)
        .where(Proposal.state.in_(OPEN_SUBMITTED), ProposalTarget.proposal_id.in_(on_them))
    )


def on_items() -> ColumnElement[bool]:
    """Positions that count for the items bound as `item_ids`: on their text as it stands, or on
    a proposal to them that is before the group (a draft has none; a decided or withdrawn one no
    longer counts)."""
    return and_(
        Position.item_id.in_(bindparam("item_ids", expanding=True)),
        or_(Position.proposal_id.is_(None), Proposal.state.in_(OPEN_SUBMITTED)),
    )


def standing_on_items(
    session: Session, item_ids: Sequence[int], *, group: Group | None = None
) -> dict[int, list[PositionView]]:
    """THE reader of where delegations stand on items: for each item, every delegation of the
    group with the last thing it said about the item's text (the text as it stands, or an open
    proposal's text, `proposal_id` naming which); those who said nothing are pending.
    Proposing or co-sponsoring an open proposal on the item is saying something: support of its
    text, from then on, unless the delegation took a position on that text. Five queries
    whatever the number of items (four with `group`)."""
    group = _delegations(session) if group is None else group
    if not item_ids:
        return {}
    targets = _first_targets(session, item_ids)
    # The delegations' codes and names from the group, not joined to each of the positions
    # (some 500 on a page of the grid: three lookups a row). _standing shows the group's
    # delegations only, so a position of a delegation outside it is not needed.
    names = {d_id: (code, name) for d_id, code, name in group}
    said = [
        _Said(item_id, pid, d_id, stance, statement, at, found[0], by, found[1], state)
        for item_id, pid, d_id, stance, statement, at, by, state in session.execute(
            _said_on_items(), {"item_ids": list(item_ids)}
        )
        if (found := names.get(d_id)) is not None
    ]
    return _standing(item_ids, group, targets, _named(session, list(targets)), said)


@cache
def _said_on_items() -> Select[*tuple[Any, ...]]:
    """_said_query's standing positions for on_items() (the items bound as `item_ids`),
    without the delegation's code and name (built once)."""
    return (
        select(
            Position.item_id,
            Position.proposal_id,
            Position.delegation_id,
            Position.stance,
            Position.statement,
            Position.created_at,
            User.name.label("by"),
            Proposal.state.label("proposal_state"),
        )
        .join(User, User.id == Position.user_id)
        .outerjoin(Proposal, Proposal.id == Position.proposal_id)
        .where(Position.superseded_at.is_(None), on_items())
        .order_by(Position.created_at, Position.id)
    )


def _counts_for_items(p: _Said, item_ids: set[int]) -> bool:
    """Whether a standing position is one of on_items() for `item_ids`, in Python."""
    return p.item_id in item_ids and (p.proposal_id is None or p.proposal_state in OPEN_SUBMITTED)


def _standing(
    item_ids: Sequence[int],
    group: Group,
    targets: dict[int, int],
    named_ones: list["_Named"],
    said: Iterable[_Said],
) -> dict[int, list[PositionView]]:
    """standing_on_items from the open proposals on the items (`targets`: each with the item
    its positions are on), who put their names to them and the standing positions `said` on
    them (on_items, oldest first)."""
    latest: dict[int, dict[int, tuple[datetime | None, PositionView]]] = {i: {} for i in item_ids}
    names = {d_id: (code, name) for d_id, code, name in group}
    spoke: set[tuple[int | None, int]] = set()
    for p in said:
        assert p.item_id is not None
        # Oldest first: the last one stays.
        latest[p.item_id][p.delegation_id] = (p.created_at, _view(p, p.code, p.name, p.by))
        spoke.add((p.proposal_id, p.delegation_id))
    for named in named_ones:
        if named.proposal_id not in targets:
            continue  # not a proposal before the group on these items
        if (named.proposal_id, named.delegation_id) in spoke:
            continue  # it said what it thinks of the text it put forward
        if named.delegation_id not in names:
            continue
        here = latest[targets[named.proposal_id]]
        before = here.get(named.delegation_id)
        if before is None or (before[0] is not None and before[0] < named.at):
            here[named.delegation_id] = (named.at, _implied(named, *names[named.delegation_id]))
    # One pending view per delegation, shared by every item it has not spoken on (frozen): on
    # the consensus grid most cells are pending, and a view made per cell cost more than the
    # rest of this function.
    pending = [(d_id, _pending(code, name)) for d_id, code, name in group]
    out: dict[int, list[PositionView]] = {}
    for item_id in item_ids:
        spoken = latest[item_id]
        out[item_id] = [found[1] if (found := spoken.get(d_id)) else view for d_id, view in pending]
    return out


def item_and_proposals(
    session: Session, item_id: int, proposal_ids: Sequence[int]
) -> tuple[list[PositionView], dict[int, list[PositionView]]]:
    """What an item's page shows: where each delegation stands on the item (standing_on_items)
    and the positions on each of the proposals (positions_on_proposals), reading the group, the
    proposers and co-sponsors and the standing positions once for both (five queries)."""
    group = _delegations(session)
    targets = _first_targets(session, [item_id])
    named_ones = _named(session, sorted(set(targets) | set(proposal_ids)))
    wanted = set(proposal_ids)
    said = [
        _Said._make(row)
        for row in session.execute(
            _said_on_item_and_proposals(),
            {"item_id": item_id, "proposal_ids": list(proposal_ids)},
        )
    ]
    on_item = {item_id}
    picture = _standing(
        [item_id], group, targets, named_ones, [p for p in said if _counts_for_items(p, on_item)]
    )[item_id]
    on_proposals = _on_proposals(
        proposal_ids,
        group,
        [n for n in named_ones if n.proposal_id in wanted],
        [p for p in said if p.proposal_id in wanted],
    )
    return picture, on_proposals


def picture(
    session: Session, *, item_id: int | None = None, proposal_id: int | None = None
) -> list[PositionView]:
    """Every delegation of the group with its current stance on an item (standing_on_items) or
    on one proposal's text; those without one are pending."""
    if item_id is not None:
        return standing_on_items(session, [item_id])[item_id]
    pid = proposal_id or 0
    group = _delegations(session)
    taken = positions_on_proposals(session, [pid], group=group)[pid]
    current = {v.delegation_code: v for v in taken}
    return [current.get(code) or _pending(code, name) for _, code, name in group]


def positions_on_proposals(
    session: Session, proposal_ids: Sequence[int], *, group: Group | None = None
) -> dict[int, list[PositionView]]:
    """The standing positions on each proposal's text, by delegation code: those taken, and the
    support of its proposing and co-sponsoring delegations that took none on it."""
    if not proposal_ids:
        return {}
    group = _delegations(session) if group is None else group
    said = _current(session, Position.proposal_id.in_(proposal_ids))
    return _on_proposals(proposal_ids, group, _named(session, proposal_ids), said)


def _on_proposals(
    proposal_ids: Sequence[int], group: Group, named_ones: list["_Named"], said: Iterable[_Said]
) -> dict[int, list[PositionView]]:
    """The positions on the proposals from their proposers and co-sponsors and the standing
    positions `said` on them (oldest first)."""
    out: dict[int, list[PositionView]] = {pid: [] for pid in proposal_ids}
    if not proposal_ids:
        return out
    spoke: set[tuple[int, int]] = set()
    for p in said:
        assert p.proposal_id is not None
        out[p.proposal_id].append(_view(p, p.code, p.name, p.by))
        spoke.add((p.proposal_id, p.delegation_id))
    names = {d_id: (code, name) for d_id, code, name in group}
    for named in named_ones:
        key = (named.proposal_id, named.delegation_id)
        if key not in spoke and named.delegation_id in names:
            spoke.add(key)
            out[named.proposal_id].append(_implied(named, *names[named.delegation_id]))
    for views in out.values():
        views.sort(key=lambda v: v.delegation_code)
    return out


def history(
    session: Session, *, item_id: int | None = None, proposal_id: int | None = None
) -> list[PositionView]:
    """Every position ever taken on a proposal's text, or on an item's (any version of it)."""
    condition = (
        Position.item_id == item_id if item_id is not None else Position.proposal_id == proposal_id
    )
    rows = session.execute(
        select(Position, Delegation.code, User.name)
        .join(Delegation, Delegation.id == Position.delegation_id)
        .join(User, User.id == Position.user_id)
        .where(condition)
        .order_by(Position.id)
    )
    names = {code: name for _, code, name in _delegations(session)}
    return [_view(p, code, names.get(code, code), by) for p, code, by in rows]


def objecting_delegations(
    session: Session, *, proposal_id: int | None = None, item_id: int | None = None
) -> list[str]:
    """Delegations objecting to a proposal's text, or to an item's text as it stands."""
    condition = (
        and_(Position.item_id == item_id, Position.proposal_id.is_(None))
        if item_id is not None
        else Position.proposal_id == proposal_id
    )
    return sorted({p.code for p in _current(session, condition) if p.stance is Stance.OBJECTION})


def objecting(session: Session, proposal_ids: Sequence[int]) -> dict[int, list[str]]:
    """The delegations with a standing objection on each proposal's text, by code: one query.
    (Of positions_on_proposals' views, only those taken can be objections; the support implied
    by proposing or co-sponsoring never is.)"""
    out: dict[int, list[str]] = {pid: [] for pid in proposal_ids}
    if not proposal_ids:
        return out
    rows = session.execute(_objecting_query(), {"proposal_ids": list(proposal_ids)})
    for proposal_id, code in rows:
        assert proposal_id is not None
        out[proposal_id].append(code)
    for codes in out.values():
        codes.sort()  # in Python, as the positions' views are: not the database's collation
    return out


@cache
def _objecting_query() -> Select[int | None, str]:
    return (
        select(Position.proposal_id, Delegation.code)
        .join(Delegation, Delegation.id == Position.delegation_id)
        .where(
            Position.proposal_id.in_(bindparam("proposal_ids", expanding=True)),
            Position.stance == Stance.OBJECTION,
            Position.superseded_at.is_(None),
        )
    )


@cache
def objected_to() -> Select[int | None]:
    """The proposals with at least one standing objection, as a query of their ids (to filter
    proposals by in the database, not with a list of hundreds of ids read first)."""
    return select(Position.proposal_id).where(
        Position.proposal_id.is_not(None),
        Position.stance == Stance.OBJECTION,
        Position.superseded_at.is_(None),
    )


def mark_item(
    session: Session,
    principal: Principal,
    *,
    code: str,
    state: DraftingState,
    note: str,
    override_reason: str,
    now: datetime,
    request_id: str | None = None,
) -> Item:
    """Mark where an item stands. Agreed needs no standing objection, or a chair's override."""
    item = lock_item(session, code)
    if item is None:
        raise NotFound(f"no item with code {code!r}")
    overridden = False
    if state is DraftingState.AGREED:
        # An objection recorded at the same moment (set_position locks its delegation) either
        # comes first and is seen here, or waits for this mark: unlocked, both committed on
        # PostgreSQL and the item stood agreed over an objection nobody overrode.
        _lock_delegations(session)
        objecting = objecting_delegations(session, item_id=item.id)
        if objecting and (principal.role is not Role.CHAIR or not override_reason.strip()):
            then = (
                "To mark it agreed all the same, give your reason for overriding the objection"
                if principal.role is Role.CHAIR
                else "Only a co-chair can mark it agreed now, giving the reason"
            )
            raise Conflict(
                f"{item.code} cannot be marked agreed: there is an objection from "
                f"{', '.join(objecting)}. {then}",
                field="override_reason",
            )
        overridden = bool(objecting)
    before = item.drafting_state
    item.drafting_state = state.value
    item.drafting_note = note.strip()
    rounds.note_item_state(session, item.id, state.value)
    record(
        session,
        Actor(principal.user_id, None, request_id),
        action="item.mark",
        object_type=item.kind.value,
        object_id=item.code,
        details={"from": before, "to": state.value, "note": note.strip()}
        # Only an override that happened: a reason sent where nothing was overridden is not one.
        | ({"override_reason": override_reason.strip()} if overridden else {}),
        at=now,
    )
    return item


def lock_item(session: Session, code: str) -> Item | None:
    """The item with its row locked for this transaction (read afresh): whoever marks it next
    waits, and sees the state this transaction leaves."""
    return session.scalar(
        select(Item)
        .where(Item.code == code.upper())
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
