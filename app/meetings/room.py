"""Positions stated, decisions taken and items marked in the room, tied to the meeting.

They are today's audited actions, made through the services that make them elsewhere: a
position stated orally is the consensus service's position, recorded by the secretariat on the
delegation's behalf (the trail names the officer and the delegation); a decision is the
proposals service's decision; an item bracketed or agreed ad referendum is the consensus
service's mark (agreed needs no standing objection, or a co-chair's override with its reason).
The meeting keeps which of them happened in it (MeetingAct), so that the live view and the
meeting's record can say "stated in the meeting", "marked in the meeting"."""

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.audit.service import record
from app.consensus import service as consensus
from app.errors import InvalidInput, NotFound, PermissionDenied
from app.meetings import service
from app.models import (
    DecisionRecord,
    Delegation,
    DraftingState,
    Item,
    Meeting,
    MeetingAct,
    Outcome,
    Position,
    Proposal,
    Stance,
)
from app.principal import DelegationRef, Principal
from app.proposals import display
from app.proposals import service as proposals


@dataclass(frozen=True, slots=True)
class ActView:
    kind: str  # "position", "decision" or "mark"
    delegation: str  # "" for a mark
    ref: str  # the item's code or the proposal's P-n
    what: str  # the stance, the outcome, or the drafting state marked
    statement: str  # what was said, the decision's reason, or the mark's note
    at: datetime
    was: str = ""  # a mark: the drafting state the item was in before


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


# What a meeting decides: the outcomes that record a decision and need nothing more typed.
ROOM_OUTCOMES = (Outcome.AGREED, Outcome.NOT_RETAINED)


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
    override_reason: str = "",
    now: datetime,
    request_id: str | None = None,
) -> Proposal:
    """Decide a proposal in the meeting: the proposals service's decision, tied to it. Agreed or
    not retained: the outcomes that record a decision (a text modified, a merge or keeping it
    under consideration are decided on the proposal's page)."""
    if outcome not in ROOM_OUTCOMES:
        raise InvalidInput(
            "in a meeting a proposal is agreed or not retained; decide other outcomes on the "
            "proposal's page",
            field="outcome",
        )
    meeting = service.get(session, principal, meeting_id)
    before = session.scalar(select(func.max(DecisionRecord.id))) or 0
    proposal = proposals.decide(
        session,
        principal,
        proposal_id,
        expected_version=expected_version,
        outcome=outcome,
        reason=reason,
        acknowledged=acknowledged,
        acknowledged_picture=acknowledged_picture,
        override_reason=override_reason,
        now=now,
        request_id=request_id,
    )
    # The decision this call wrote (never an earlier one of the same proposal).
    decision_id = session.scalar(
        select(DecisionRecord.id).where(
            DecisionRecord.proposal_id == proposal.id, DecisionRecord.id > before
        )
    )
    assert decision_id is not None  # agreed and not retained always record one
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


def _drafting_state(value: DraftingState | str) -> DraftingState:
    try:
        return DraftingState(value)
    except ValueError:
        known = ", ".join(s.value for s in DraftingState)
        raise InvalidInput(
            f"state {str(value)[:40]!r} is not a drafting state; use one of {known}",
            field="state",
        ) from None


def mark_item(
    session: Session,
    principal: Principal,
    meeting_id: int,
    *,
    item_code: str,
    state: DraftingState | str,
    note: str,
    override_reason: str = "",
    now: datetime,
    request_id: str | None = None,
) -> MeetingAct:
    """Mark an item's drafting state in the meeting (brackets, alternatives, agreed ad
    referendum, agreed, open again): the consensus service's mark, the same audited action with
    the same rule (agreed needs no standing objection, or a co-chair's override with its
    reason), tied to the meeting with the state it went from and to and the note."""
    meeting = service.get(session, principal, meeting_id)
    marked = _drafting_state(state)
    code = item_code.strip().upper()
    if not code:
        raise InvalidInput("item must name an indicator or section (FC-CD-01)", field="item")
    # Locked before its state is read: two marks at once each record the state the other left.
    item = consensus.lock_item(session, code)
    if item is None:
        raise NotFound(f"no indicator or section {item_code.strip()[:32]!r}", field="item")
    was = item.drafting_state or DraftingState.OPEN.value
    consensus.mark_item(
        session,
        principal,
        code=item.code,
        state=marked,
        note=note,
        override_reason=override_reason,
        now=now,
        request_id=request_id,
    )
    # Agreed with objections standing (read under the lock the mark took) was a co-chair's override.
    overridden = marked is DraftingState.AGREED and bool(
        consensus.objecting_delegations(session, item_id=item.id)
    )
    # The override is part of what happened in the room: the live view and the record say it.
    said = item.drafting_note
    if overridden:
        said = f"{said} (co-chair's override: {override_reason.strip()})".strip()
    act = MeetingAct.mark(meeting.id, item.id, was=was, to=marked.value, note=said, at=now)
    session.add(act)
    session.flush()
    record(
        session,
        principal.actor(request_id),
        action="meeting.mark",
        object_type="meeting",
        object_id=meeting.id,
        details={"item": item.code, "from": was, "to": marked.value, "note": item.drafting_note}
        | ({"override_reason": override_reason.strip()} if overridden else {}),
        at=now,
    )
    return act


def marks(session: Session, meeting_id: int, item_id: int | None = None) -> list[ActView]:
    """The items marked in the meeting (only `item_id`'s, if given), in order."""
    query = (
        select(MeetingAct, Item.code)
        .join(Item, Item.id == MeetingAct.item_id)
        .where(MeetingAct.meeting_id == meeting_id, MeetingAct.kind == "mark")
        .order_by(MeetingAct.at, MeetingAct.id)
    )
    if item_id is not None:
        query = query.where(MeetingAct.item_id == item_id)
    return [
        ActView("mark", "", code, a.to_state or "", a.note or "", a.at, was=a.from_state or "")
        for a, code in session.execute(query)
    ]


def acts(session: Session, meeting_id: int) -> list[ActView]:
    """What was stated, decided and marked in the meeting, in order."""
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
    out += marks(session, meeting_id)
    return sorted(out, key=lambda a: a.at)


def _item_codes(session: Session, ids: set[int]) -> dict[int, str]:
    return dict(session.execute(select(Item.id, Item.code).where(Item.id.in_(ids))).all())


def on_the_point(
    session: Session, view: service.MeetingView, panel: dict[str, Any]
) -> dict[str, Any]:
    """The item's panel as the meeting sees it: the positions of the delegations taking part
    (not every delegation of the group as pending), as just decided only a decision taken
    during this meeting, not the last one ever taken on the item, and as just marked the item's
    last mark in this meeting. The item page's own mark form is not offered: in the meeting the
    item is marked in the meeting (the live view's form)."""
    wf = panel["workflow"]
    taking_part = set(view.participants)
    picture = [x for x in wf["picture"] if x.delegation_code in taking_part]
    here = decided_in(session, view.meeting, [v.proposal.id for v in wf["closed"]])
    decided = [v for v in wf["closed"] if v.proposal.id in here]
    narrowed = wf | {
        "picture": picture,
        "counts": display.stance_counts(picture),
        "can_mark": False,
    }
    marked = marks(session, view.meeting.id, wf["item"].id)
    return panel | {
        "workflow": narrowed,
        "just_decided": decided[-1] if decided else None,
        "just_marked": marked[-1] if marked else None,
    }


def decided_in(session: Session, meeting: Meeting, proposal_ids: list[int]) -> set[int]:
    """Which of these proposals were decided during the meeting: tied to it, or at or after
    its start."""
    if not proposal_ids:
        return set()
    tied = select(MeetingAct.decision_id).where(
        MeetingAct.meeting_id == meeting.id, MeetingAct.decision_id.is_not(None)
    )
    return set(
        session.scalars(
            select(DecisionRecord.proposal_id).where(
                DecisionRecord.proposal_id.in_(proposal_ids),
                or_(DecisionRecord.id.in_(tied), DecisionRecord.at >= meeting.starts_at),
            )
        )
    )
