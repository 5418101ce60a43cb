"""Delegation positions and the consensus picture. ASEAN decides by consensus, not by vote: what
matters is who supports, who reserves, who objects and who has not yet spoken."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
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
    Role,
    Stance,
    User,
)
from app.principal import Principal
from app.rounds import service as rounds


@dataclass(frozen=True, slots=True)
class PositionView:
    delegation_code: str
    delegation_name: str
    stance: Stance | None  # None: no position yet (pending)
    statement: str
    by: str | None
    at: datetime | None
    proposal_id: int | None = None


def _delegations(session: Session) -> list[tuple[int, str, str]]:
    rows = session.execute(
        select(Delegation.id, Delegation.code, Delegation.name_column())
        .join(MemberState, MemberState.id == Delegation.state_id)
        .join(Body, Body.id == Delegation.body_id)
        .order_by(Delegation.code)
    ).all()
    return [(i, code, name) for i, code, name in rows]


def delegations(session: Session) -> list[tuple[str, str]]:
    """Every delegation of the group: (code, name), in code order."""
    return [(code, name) for _, code, name in _delegations(session)]


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
    """Record a delegation's stance; the previous one is kept as history, marked superseded."""
    if (proposal_id is None) == (item_code is None):
        raise InvalidInput("give either a proposal or an indicator", field="target")
    delegation = principal.delegation_for(delegation_code)
    if delegation is None:
        raise PermissionDenied("positions are taken by a delegation, and you do not speak for one")
    item_id = None
    if proposal_id is not None:
        proposal = session.get(Proposal, proposal_id)
        if proposal is None or proposal.submitted_at is None:
            raise NotFound(f"no proposal P-{proposal_id}")
        if not proposal.state.is_open:
            raise Conflict(
                f"proposal {proposal.reference} is {proposal.state.label}; positions are taken "
                "on open proposals"
            )
    else:
        item = session.scalar(select(Item).where(Item.code == str(item_code).upper()))
        if item is None:
            raise NotFound(f"no item with code {item_code!r}")
        item_id = item.id
    target = (
        Position.proposal_id == proposal_id
        if proposal_id is not None
        else Position.item_id == item_id
    )
    # Two members of one delegation may answer at the same moment: lock the delegation's row so
    # that the second one's UPDATE sees (and supersedes) the first one's position instead of
    # both staying current. (SQLite serialises write transactions at BEGIN IMMEDIATE already.)
    session.execute(select(Delegation.id).where(Delegation.id == delegation.id).with_for_update())
    standing = list(
        session.scalars(
            select(Position.id).where(
                target, Position.delegation_id == delegation.id, Position.superseded_at.is_(None)
            )
        )
    )
    if standing:
        session.execute(update(Position).where(Position.id.in_(standing)).values(superseded_at=now))
        # Written with SQL the ORM does not see: their new state goes into the trail too.
        vouch_for(session, {"positions": standing})
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


def _current(session: Session, condition: object) -> list[tuple[Position, str, str, str]]:
    """Standing positions: each with its delegation's code and name and who recorded it."""
    return [
        (p, code, by, delegation_name)
        for p, code, by, delegation_name in session.execute(
            select(Position, Delegation.code, User.name, Delegation.name_column())
            .join(Delegation, Delegation.id == Position.delegation_id)
            .join(MemberState, MemberState.id == Delegation.state_id)
            .join(Body, Body.id == Delegation.body_id)
            .join(User, User.id == Position.user_id)
            .where(condition, Position.superseded_at.is_(None))  # type: ignore[arg-type]
            .order_by(Delegation.code)
        )
    ]


def picture(
    session: Session, *, item_id: int | None = None, proposal_id: int | None = None
) -> list[PositionView]:
    """Every delegation of the group with its current stance; those without one are pending."""
    condition = (
        Position.item_id == item_id if item_id is not None else Position.proposal_id == proposal_id
    )
    current = {p.delegation_id: (p, by) for p, _, by, _ in _current(session, condition)}
    out = []
    for d_id, code, name in _delegations(session):
        found = current.get(d_id)
        if found:
            p, by = found
            out.append(
                PositionView(code, name, p.stance, p.statement, by, p.created_at, proposal_id)
            )
        else:
            out.append(PositionView(code, name, None, "", None, None, proposal_id))
    return out


def pictures_of_items(session: Session, item_ids: Sequence[int]) -> dict[int, list[PositionView]]:
    """picture() of many items, in two queries whatever their number."""
    current: dict[int, dict[int, tuple[Position, str]]] = {i: {} for i in item_ids}
    if item_ids:
        for p, _, by, _ in _current(session, Position.item_id.in_(item_ids)):
            assert p.item_id is not None
            current[p.item_id][p.delegation_id] = (p, by)
    group = _delegations(session)
    out: dict[int, list[PositionView]] = {}
    for item_id in item_ids:
        views = []
        for d_id, code, name in group:
            found = current[item_id].get(d_id)
            if found:
                p, by = found
                views.append(PositionView(code, name, p.stance, p.statement, by, p.created_at))
            else:
                views.append(PositionView(code, name, None, "", None, None))
        out[item_id] = views
    return out


def positions_on_proposals(
    session: Session, proposal_ids: Sequence[int]
) -> dict[int, list[PositionView]]:
    out: dict[int, list[PositionView]] = {pid: [] for pid in proposal_ids}
    if not proposal_ids:
        return out
    for p, code, by, name in _current(session, Position.proposal_id.in_(proposal_ids)):
        assert p.proposal_id is not None
        out[p.proposal_id].append(
            PositionView(
                code,
                name,
                p.stance,
                p.statement,
                by,
                p.created_at,
                p.proposal_id,
            )
        )
    return out


def history(
    session: Session, *, item_id: int | None = None, proposal_id: int | None = None
) -> list[PositionView]:
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
    return [
        PositionView(
            code, names.get(code, code), p.stance, p.statement, by, p.created_at, p.proposal_id
        )
        for p, code, by in rows
    ]


def objecting_delegations(
    session: Session, *, proposal_id: int | None = None, item_id: int | None = None
) -> list[str]:
    condition = (
        Position.item_id == item_id if item_id is not None else Position.proposal_id == proposal_id
    )
    return [code for p, code, _, _ in _current(session, condition) if p.stance is Stance.OBJECTION]


def proposals_objected_to(session: Session) -> list[int]:
    """Ids of the proposals with at least one standing objection (one query)."""
    return list(
        session.scalars(
            select(Position.proposal_id)
            .where(
                Position.proposal_id.is_not(None),
                Position.stance == Stance.OBJECTION,
                Position.superseded_at.is_(None),
            )
            .distinct()
        )
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
    item = session.scalar(select(Item).where(Item.code == code.upper()))
    if item is None:
        raise NotFound(f"no item with code {code!r}")
    if state is DraftingState.AGREED:
        objecting = objecting_delegations(session, item_id=item.id)
        if objecting and (principal.role is not Role.CHAIR or not override_reason.strip()):
            raise Conflict(
                f"{', '.join(objecting)} object to {item.code}; it cannot be marked agreed while "
                "an objection stands unless a chair overrides with a recorded reason",
                field="override_reason",
            )
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
        | ({"override_reason": override_reason.strip()} if override_reason.strip() else {}),
        at=now,
    )
    return item
