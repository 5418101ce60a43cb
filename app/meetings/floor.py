"""In the room: delegations ask for the floor (a queue in the order asked, which the chair or the
secretariat calls and clears) and say when they join and leave. Each change is an audit event of
the meeting, so it reaches the live view like any other."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import Actor, record
from app.errors import Conflict, NotFound, PermissionDenied
from app.meetings import service
from app.models import Attendance, Delegation, FloorRequest, Meeting
from app.principal import DelegationRef, Principal


@dataclass(frozen=True, slots=True)
class FloorView:
    id: int
    delegation: str
    requested_at: datetime
    called_at: datetime | None


@dataclass(frozen=True, slots=True)
class PresenceView:
    delegation: str
    joined: bool
    at: datetime


def _speaking_for(
    session: Session, principal: Principal, meeting: Meeting, code: str | None
) -> DelegationRef:
    """The delegation the member acts for (named, else their first one taking part), which
    must take part in the meeting."""
    taking_part = service.participant_ids(session, meeting.id)
    if code is None:
        code = next((d.code for d in principal.delegations if d.id in taking_part), None)
    delegation = principal.delegation_for(code)
    if delegation is None:
        raise PermissionDenied("you do not speak for a delegation", field="delegation")
    if delegation.id not in taking_part:
        raise PermissionDenied(
            f"{delegation.code} does not take part in {meeting.reference}", field="delegation"
        )
    return delegation


def queue(session: Session, meeting_id: int) -> list[FloorView]:
    """The open requests: the one given the floor first, then the others in the order asked."""
    rows = session.execute(
        select(FloorRequest, Delegation.code)
        .join(Delegation, Delegation.id == FloorRequest.delegation_id)
        .where(FloorRequest.meeting_id == meeting_id, FloorRequest.cleared_at.is_(None))
        .order_by(FloorRequest.called_at.is_(None), FloorRequest.requested_at, FloorRequest.id)
    ).all()
    return [FloorView(r.id, code, r.requested_at, r.called_at) for r, code in rows]


def ask(
    session: Session,
    principal: Principal,
    meeting_id: int,
    *,
    delegation_code: str | None,
    now: datetime,
    request_id: str | None = None,
) -> FloorRequest:
    meeting = service.get(session, principal, meeting_id)
    delegation = _speaking_for(session, principal, meeting, delegation_code)
    waiting = session.scalar(
        select(FloorRequest.id).where(
            FloorRequest.meeting_id == meeting.id,
            FloorRequest.delegation_id == delegation.id,
            FloorRequest.cleared_at.is_(None),
        )
    )
    if waiting is not None:
        raise Conflict(f"{delegation.code} has already asked for the floor", field="delegation")
    request = FloorRequest(
        meeting_id=meeting.id,
        delegation_id=delegation.id,
        requested_by_id=principal.user_id,
        requested_at=now,
    )
    session.add(request)
    session.flush()
    record(
        session,
        principal.actor(request_id, delegation),
        action="meeting.floor.ask",
        object_type="meeting",
        object_id=meeting.id,
        details={"delegation": delegation.code, "request": request.id},
        at=now,
    )
    return request


def _open_request(session: Session, meeting_id: int, request_id: int) -> FloorRequest:
    # Locked and read afresh: of two officers clearing (or one calling, one clearing) at once,
    # the second waits and finds it cleared, instead of both acting on it.
    request = session.get(
        FloorRequest, request_id, with_for_update={"key_share": True}, populate_existing=True
    )
    if request is None or request.meeting_id != meeting_id:
        raise NotFound(f"no request for the floor {request_id} in M-{meeting_id}", field="request")
    if request.cleared_at is not None:
        raise Conflict("this request for the floor is already cleared", field="request")
    return request


def call(
    session: Session, actor: Actor, meeting_id: int, request_id: int, *, now: datetime
) -> FloorRequest:
    """Give the floor to a delegation that asked for it."""
    request = _open_request(session, meeting_id, request_id)
    if request.called_at is not None:
        raise Conflict("this delegation has the floor already", field="request")
    request.called_at = now
    _record(session, actor, request, "meeting.floor.call", now)
    return request


def clear(
    session: Session, actor: Actor, meeting_id: int, request_id: int, *, now: datetime
) -> FloorRequest:
    """Take a request off the queue: the delegation has spoken, or no longer asks."""
    request = _open_request(session, meeting_id, request_id)
    request.cleared_at = now
    _record(session, actor, request, "meeting.floor.clear", now)
    return request


def withdraw(
    session: Session,
    principal: Principal,
    meeting_id: int,
    *,
    delegation_code: str | None,
    now: datetime,
    request_id: str | None = None,
) -> FloorRequest:
    """A delegation takes back its own request for the floor (its member says so)."""
    meeting = service.get(session, principal, meeting_id)
    delegation = _speaking_for(session, principal, meeting, delegation_code)
    request = session.scalar(
        select(FloorRequest)
        .where(
            FloorRequest.meeting_id == meeting.id,
            FloorRequest.delegation_id == delegation.id,
            FloorRequest.cleared_at.is_(None),
        )
        .with_for_update()
    )
    if request is None:
        raise Conflict(f"{delegation.code} has not asked for the floor", field="delegation")
    request.cleared_at = now
    _record(
        session, principal.actor(request_id, delegation), request, "meeting.floor.withdraw", now
    )
    return request


def _record(
    session: Session, actor: Actor, request: FloorRequest, action: str, now: datetime
) -> None:
    session.flush()
    code = session.scalar(select(Delegation.code).where(Delegation.id == request.delegation_id))
    record(
        session,
        actor,
        action=action,
        object_type="meeting",
        object_id=request.meeting_id,
        details={"delegation": code, "request": request.id},
        at=now,
    )


def attend(
    session: Session,
    principal: Principal,
    meeting_id: int,
    *,
    joined: bool,
    delegation_code: str | None,
    now: datetime,
    request_id: str | None = None,
) -> Attendance:
    """A delegation joins or leaves the meeting (its member says so)."""
    meeting = service.get(session, principal, meeting_id)
    delegation = _speaking_for(session, principal, meeting, delegation_code)
    row = Attendance(
        meeting_id=meeting.id,
        delegation_id=delegation.id,
        user_id=principal.user_id,
        joined=joined,
        at=now,
    )
    session.add(row)
    session.flush()
    record(
        session,
        principal.actor(request_id, delegation),
        action="meeting.joined" if joined else "meeting.left",
        object_type="meeting",
        object_id=meeting.id,
        details={"delegation": delegation.code},
        at=now,
    )
    return row


def presence(session: Session, meeting_id: int) -> list[PresenceView]:
    """Each delegation that said anything: whether it is in the meeting now, and since when."""
    latest: dict[str, PresenceView] = {}
    for row, code in session.execute(
        select(Attendance, Delegation.code)
        .join(Delegation, Delegation.id == Attendance.delegation_id)
        .where(Attendance.meeting_id == meeting_id)
        .order_by(Attendance.at, Attendance.id)
    ):
        latest[code] = PresenceView(code, row.joined, row.at)
    return sorted(latest.values(), key=lambda p: p.delegation)
