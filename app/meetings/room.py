"""Positions stated and decisions taken in the room, tied to the meeting.

They are today's audited actions, made through the services that make them elsewhere: a
position stated orally is the consensus service's position, recorded by the secretariat on the
delegation's behalf (the trail names the officer and the delegation); a decision is the
proposals service's decision. The meeting keeps which of them happened in it (MeetingAct), so
that the live view and the meeting's record can say "stated in the meeting"."""

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import record
from app.consensus import service as consensus
from app.errors import NotFound, PermissionDenied
from app.meetings import service
from app.models import (
    DecisionRecord,
    Delegation,
    Item,
    MeetingAct,
    Outcome,
    Position,
    Proposal,
    Stance,
)
from app.principal import DelegationRef, Principal
from app.proposals import service as proposals


@dataclass(frozen=True, slots=True)
class ActView:
    kind: str  # "position" or "decision"
    delegation: str
    ref: str  # the item's code or the proposal's P-n
    what: str  # the stance, or the outcome
    statement: str
    at: datetime


def state_position(
    session: Session,
    principal: Principal,
    meeting_id: int,
    *,
    delegation_code: str,
    stance: Stance,
    statement: str,
    proposal_id: int | None,
    item_code: str | None,
    now: datetime,
    request_id: str | None = None,
) -> Position:
    """A position a delegation announced orally, recorded by the secretariat on its behalf."""
    meeting = service.get(session, principal, meeting_id)
    delegation = session.scalar(
        select(Delegation).where(Delegation.code == delegation_code.strip().upper())
    )
    if delegation is None:
        raise NotFound(f"no delegation {delegation_code.strip()!r}", field="delegation")
    if delegation.id not in service.participant_ids(session, meeting.id):
        raise PermissionDenied(
            f"{delegation.code} does not take part in {meeting.reference}", field="delegation"
        )
    ref = DelegationRef(delegation.id, delegation.code, delegation.code)
    on_behalf = dataclasses.replace(principal, delegations=[ref], acting_delegation_id=ref.id)
    position = consensus.set_position(
        session,
        on_behalf,
        stance=stance,
        statement=statement,
        proposal_id=proposal_id,
        item_code=item_code,
        delegation_code=delegation.code,
        now=now,
        request_id=request_id,
    )
    session.add(MeetingAct(meeting_id=meeting.id, kind="position", position_id=position.id, at=now))
    session.flush()
    record(
        session,
        principal.actor(request_id, ref),
        action="meeting.position",
        object_type="meeting",
        object_id=meeting.id,
        details={
            "delegation": delegation.code,
            "stance": stance.value,
            "on": f"P-{proposal_id}" if proposal_id is not None else str(item_code).upper(),
            "stated_in_meeting": True,
        },
        at=now,
    )
    return position


def decide(
    session: Session,
    principal: Principal,
    meeting_id: int,
    proposal_id: int,
    *,
    expected_version: int,
    outcome: Outcome,
    reason: str,
    acknowledged: bool,
    acknowledged_picture: Mapping[str, list[str]] | None = None,
    now: datetime,
    request_id: str | None = None,
) -> Proposal:
    """Decide a proposal in the meeting: the proposals service's decision, tied to it."""
    meeting = service.get(session, principal, meeting_id)
    proposal = proposals.decide(
        session,
        principal,
        proposal_id,
        expected_version=expected_version,
        outcome=outcome,
        reason=reason,
        acknowledged=acknowledged,
        acknowledged_picture=acknowledged_picture,
        now=now,
        request_id=request_id,
    )
    decision_id = session.scalar(
        select(DecisionRecord.id)
        .where(DecisionRecord.proposal_id == proposal.id)
        .order_by(DecisionRecord.id.desc())
        .limit(1)
    )
    session.add(MeetingAct(meeting_id=meeting.id, kind="decision", decision_id=decision_id, at=now))
    session.flush()
    record(
        session,
        principal.actor(request_id),
        action="meeting.decision",
        object_type="meeting",
        object_id=meeting.id,
        details={"proposal": proposal.reference, "outcome": outcome.value},
        at=now,
    )
    return proposal


def acts(session: Session, meeting_id: int) -> list[ActView]:
    """What was stated and decided in the meeting, in order."""
    out: list[ActView] = []
    positions = session.execute(
        select(MeetingAct.at, Position, Delegation.code)
        .join(Position, Position.id == MeetingAct.position_id)
        .join(Delegation, Delegation.id == Position.delegation_id)
        .where(MeetingAct.meeting_id == meeting_id)
    ).all()
    codes = _item_codes(session, {p.item_id for _, p, _ in positions if p.item_id})
    for at, p, code in positions:
        ref = f"P-{p.proposal_id}" if p.proposal_id else codes.get(p.item_id or 0, "")
        out.append(ActView("position", code, ref, p.stance.value, p.statement, at))
    for at, d, code in session.execute(
        select(MeetingAct.at, DecisionRecord, Delegation.code)
        .join(DecisionRecord, DecisionRecord.id == MeetingAct.decision_id)
        .join(Proposal, Proposal.id == DecisionRecord.proposal_id)
        .join(Delegation, Delegation.id == Proposal.delegation_id)
        .where(MeetingAct.meeting_id == meeting_id)
    ):
        out.append(ActView("decision", code, f"P-{d.proposal_id}", d.outcome, d.reason, at))
    return sorted(out, key=lambda a: a.at)


def _item_codes(session: Session, ids: set[int]) -> dict[int, str]:
    return dict(session.execute(select(Item.id, Item.code).where(Item.id.in_(ids))).all())
