"""A meeting's record: generated on request from what the database says happened (who attended,
each agenda point with its text as it stands, the decisions taken, positions stated and items
marked (bracketed, agreed ad referendum...) there, the texts agreed, what is left in brackets or
ad referendum, the floor given, what remains to follow up), kept as text the secretariat edits,
approved by a co-chair, exported to Word (app/word/record.py).

Nothing is written that the tables and the audit trail do not hold. The record is seen by whoever
sees the meeting, the draft as well as the approved record: delegations read the draft to ask the
secretariat for corrections before the co-chair approves it, as a draft report is circulated
before adoption; each copy says which it is.

Two officers never overwrite each other: every change names the version it was made on (412
otherwise). A new generation never silently replaces edits: once the text was edited it is
refused (409) unless the caller says to replace them. Approval freezes the record (409 after).
Generation, edits and approval are audited on the meeting, so the live view hears of them.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from app.audit.service import record as audit
from app.errors import Conflict, InvalidInput, NotFound, PermissionDenied, PreconditionRequired
from app.meetings import service
from app.models import (
    AgendaEntry,
    Attendance,
    AuditEvent,
    DecisionRecord,
    Delegation,
    FloorRequest,
    Item,
    Meeting,
    MeetingAct,
    MeetingRecord,
    Position,
    Proposal,
    ProposalTarget,
    Revision,
    Role,
    Round,
    User,
)
from app.models.meeting_records import APPROVED
from app.models.workflow import DraftingState, Outcome, Stance
from app.principal import Principal
from app.timezones import in_zone
from app.word.record import MeetingRecordDocument

TEXT_MAX = 200_000

_OUTCOME = {
    Outcome.AGREED.value: "agreed",
    Outcome.AGREED_MODIFIED.value: "agreed with modifications",
    Outcome.MERGED.value: "merged",
    Outcome.NOT_RETAINED.value: "not retained",
    Outcome.UNDER_CONSIDERATION.value: "kept under consideration",
}
_AGREED = {Outcome.AGREED.value, Outcome.AGREED_MODIFIED.value, Outcome.MERGED.value}
_OPEN_STATES = {
    DraftingState.BRACKETED.value: "in brackets",
    DraftingState.ALTERNATIVES.value: "with alternatives in brackets",
    DraftingState.AGREED_AD_REF.value: "agreed ad referendum",
}
# A drafting state as the record words it.
_STATE_WORDS = {DraftingState.AGREED_AD_REF.value: "agreed ad referendum"}


@dataclass(frozen=True, slots=True)
class RecordView:
    record: MeetingRecord | None
    meeting: Meeting
    edited_by: str
    approved_by: str


# --- Reading ---------------------------------------------------------------------------------


def find(session: Session, meeting_id: int) -> MeetingRecord | None:
    return session.scalar(select(MeetingRecord).where(MeetingRecord.meeting_id == meeting_id))


def read(session: Session, principal: Principal, meeting_id: int) -> RecordView:
    """The meeting's record (None before the first generation), for whoever sees the meeting."""
    meeting = service.get(session, principal, meeting_id)
    rec = find(session, meeting.id)
    names = _names(session, rec.edited_by_id, rec.approved_by_id) if rec else {}
    return RecordView(
        rec,
        meeting,
        names.get(rec.edited_by_id or 0, "") if rec else "",
        names.get(rec.approved_by_id or 0, "") if rec else "",
    )


def existing(session: Session, principal: Principal, meeting_id: int) -> MeetingRecord:
    rec = read(session, principal, meeting_id).record
    if rec is None:
        raise NotFound(f"M-{meeting_id} has no record yet; generate it first", field="record")
    return rec


def _locked(session: Session, rec: MeetingRecord) -> MeetingRecord:
    """The record's row locked to the end of the transaction and read afresh (PostgreSQL;
    SQLite's write lock is taken at BEGIN): of two saves on one version the second waits, then
    sees the new version and is refused (412) with what its officer typed, never a clash."""
    locked = session.get(
        MeetingRecord, rec.id, with_for_update={"key_share": True}, populate_existing=True
    )
    if locked is None:  # pragma: no cover - a record is never deleted
        raise NotFound(f"M-{rec.meeting_id} has no record yet", field="record")
    return locked


def _names(session: Session, *ids: int | None) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(wanted))).all())


# --- Changing --------------------------------------------------------------------------------


def generate(
    session: Session,
    principal: Principal,
    meeting_id: int,
    *,
    expected_version: int | None,
    replace_edits: bool,
    now: datetime,
    request_id: str | None = None,
) -> MeetingRecord:
    """Write the record from what happened (the secretariat). The first time it is made; after
    that it is made again only on the version read, and only over edits if told to."""
    meeting = service.get(session, principal, meeting_id)
    rec = find(session, meeting.id)
    if rec is not None:
        rec = _locked(session, rec)
    text = compose(session, meeting)
    if rec is None:
        rec = MeetingRecord(
            meeting_id=meeting.id,
            state="draft",
            text=text,
            generated_text=text,
            generated_at=now,
            generated_by_id=principal.user_id,
        )
        session.add(rec)
    else:
        rec.check_open()
        if expected_version is None:
            raise PreconditionRequired(
                f"the record of {meeting.reference} exists; send If-Match with the ETag you "
                "read so that nobody's change is silently overwritten"
            )
        rec.check_version(expected_version)
        if rec.edited and not replace_edits:
            raise Conflict(
                f"the record of {meeting.reference} was edited since it was generated; "
                "generating it again would replace those edits. Send replace_edits: true to "
                "replace them",
                field="replace_edits",
            )
        rec.text = text
        rec.generated_text = text
        rec.generated_at = now
        rec.generated_by_id = principal.user_id
        flag_modified(rec, "generated_at")  # a new version even when nothing else changed
    session.flush()
    _audit(session, principal, meeting, rec, "meeting.record.generate", now, request_id)
    return rec


def edit(
    session: Session,
    principal: Principal,
    meeting_id: int,
    text: str,
    *,
    expected_version: int,
    now: datetime,
    request_id: str | None = None,
) -> MeetingRecord:
    """The secretariat's text of the record, on the version it read."""
    rec = _locked(session, existing(session, principal, meeting_id))
    rec.check_open()
    rec.check_version(expected_version)
    rec.text = _text(text)
    rec.edited_at = now
    rec.edited_by_id = principal.user_id
    flag_modified(rec, "edited_at")  # a new version even when the text is the same
    session.flush()
    meeting = service.get(session, principal, meeting_id)
    _audit(session, principal, meeting, rec, "meeting.record.edit", now, request_id)
    return rec


def may_approve(principal: Principal) -> bool:
    """Who approves a meeting's record: a co-chair."""
    return principal.role is Role.CHAIR


def approve(
    session: Session,
    principal: Principal,
    meeting_id: int,
    *,
    expected_version: int,
    now: datetime,
    request_id: str | None = None,
) -> MeetingRecord:
    """A co-chair approves the record as it is (the version read): it is frozen from then on."""
    if not may_approve(principal):
        raise PermissionDenied("only a co-chair approves a meeting's record", field="role")
    rec = _locked(session, existing(session, principal, meeting_id))
    rec.check_open()
    rec.check_version(expected_version)
    rec.state = APPROVED
    rec.approved_at = now
    rec.approved_by_id = principal.user_id
    session.flush()
    meeting = service.get(session, principal, meeting_id)
    _audit(session, principal, meeting, rec, "meeting.record.approve", now, request_id)
    return rec


def _text(value: str) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if not value.strip():
        raise InvalidInput("text must not be empty", field="text")
    if len(value) > TEXT_MAX:
        raise InvalidInput(f"text must be at most {TEXT_MAX} characters", field="text")
    if any(ord(c) < 32 and c not in "\n\t" for c in value):
        raise InvalidInput("text must not hold control characters", field="text")
    return value


def _audit(
    session: Session,
    principal: Principal,
    meeting: Meeting,
    rec: MeetingRecord,
    action: str,
    now: datetime,
    request_id: str | None,
) -> None:
    audit(
        session,
        principal.actor(request_id),
        action=action,
        object_type="meeting",
        object_id=meeting.id,
        details={"record_version": rec.version, "state": rec.state, "edited": rec.edited},
        at=now,
    )


# --- Composing -------------------------------------------------------------------------------


def compose(session: Session, meeting: Meeting) -> str:
    """The record's text from the tables and the audit trail (app/word/record.py's
    conventions: "## " opens a part, "- " a point)."""
    zone = meeting.time_zone

    def at(moment: datetime) -> str:
        return f"{in_zone(moment, zone):%H:%M}"

    codes = dict(session.execute(select(Delegation.id, Delegation.code)).all())
    lines: list[str] = [f"## {meeting.title}"]
    symbol = (
        session.scalar(select(Round.symbol).where(Round.id == meeting.round_id))
        if meeting.round_id
        else None
    )
    lines.append(
        f"Meeting {meeting.reference}, {in_zone(meeting.starts_at, zone):%d %B %Y, %H:%M} "
        f"({zone}), {meeting.duration_minutes} minutes"
        + (f", on round {symbol}." if symbol else ".")
    )

    # Attendance: each delegation's joins and leaves, as they said them.
    lines += ["", "## Attendance"]
    spans: dict[str, list[str]] = {}
    for row in session.scalars(
        select(Attendance)
        .where(Attendance.meeting_id == meeting.id)
        .order_by(Attendance.at, Attendance.id)
    ):
        spans.setdefault(codes[row.delegation_id], []).append(
            f"{'joined' if row.joined else 'left'} {at(row.at)}"
        )
    for code in sorted(spans):
        lines.append(f"- {code}: {', '.join(spans[code])}")
    absent = sorted(
        codes[d] for d in service.participant_ids(session, meeting.id) if codes[d] not in spans
    )
    if not spans:
        lines.append("No delegation recorded its attendance.")
    if absent:
        lines.append(f"Taking part but not recorded as attending: {', '.join(absent)}.")

    # What was done in the room.
    positions = session.execute(
        select(MeetingAct.at, Position)
        .join(Position, Position.id == MeetingAct.position_id)
        .where(MeetingAct.meeting_id == meeting.id)
        .order_by(MeetingAct.at, MeetingAct.id)
    ).all()
    decisions = session.execute(
        select(MeetingAct.at, DecisionRecord, Proposal.delegation_id)
        .join(DecisionRecord, DecisionRecord.id == MeetingAct.decision_id)
        .join(Proposal, Proposal.id == DecisionRecord.proposal_id)
        .where(MeetingAct.meeting_id == meeting.id)
        .order_by(MeetingAct.at, MeetingAct.id)
    ).all()
    marks = session.scalars(
        select(MeetingAct)
        .where(MeetingAct.meeting_id == meeting.id, MeetingAct.kind == "mark")
        .order_by(MeetingAct.at, MeetingAct.id)
    ).all()
    proposal_ids = {d.proposal_id for _, d, _ in decisions} | {
        p.proposal_id for _, p in positions if p.proposal_id
    }
    targets: dict[int, set[int]] = {}
    for pid, iid in session.execute(
        select(ProposalTarget.proposal_id, ProposalTarget.item_id).where(
            ProposalTarget.proposal_id.in_(proposal_ids)
        )
    ):
        targets.setdefault(pid, set()).add(iid)

    entries = session.scalars(
        select(AgendaEntry)
        .where(AgendaEntry.meeting_id == meeting.id)
        .order_by(AgendaEntry.position, AgendaEntry.id)
    ).all()
    # The agenda's items, and those marked in the meeting (on the agenda or not): what is left
    # in brackets or ad referendum is said of each of them.
    item_ids = (
        {e.item_id for e in entries if e.item_id}
        | {i for e in entries if e.proposal_id for i in targets.get(e.proposal_id, set())}
        | {a.item_id for a in marks if a.item_id is not None}
    )
    items = {
        i.id: (i, title, text, number)
        for i, title, text, number in session.execute(
            select(Item, Revision.title, Revision.text, Revision.number)
            .join(Revision, (Revision.item_id == Item.id) & (Revision.number == Item.version))
            .where(Item.id.in_(item_ids))
        )
    }
    taken_up: dict[str, list[datetime]] = {}
    for occurred, details in session.execute(
        select(AuditEvent.occurred_at, AuditEvent.details)
        .where(
            AuditEvent.object_type == "meeting",
            AuditEvent.object_id == str(meeting.id),
            AuditEvent.action == "meeting.current",
        )
        .order_by(AuditEvent.id)
    ):
        ref = (details or {}).get("current")
        if isinstance(ref, str):
            taken_up.setdefault(ref, []).append(occurred)

    def about(entry: AgendaEntry, proposal_id: int | None, item_id: int | None) -> bool:
        if entry.proposal_id is not None:
            return proposal_id == entry.proposal_id
        return item_id == entry.item_id or (
            proposal_id is not None and entry.item_id in targets.get(proposal_id, set())
        )

    placed_positions: set[int] = set()
    placed_decisions: set[int] = set()
    placed_marks: set[int] = set()
    lines += ["", "## Agenda"]
    if not entries:
        lines.append("The agenda had no point.")
    for n, entry in enumerate(entries, 1):
        lines += ["", f"## {n}. {entry.ref}"]
        if entry.ref in taken_up:
            times = ", ".join(at(t) for t in taken_up[entry.ref])
            lines.append(f"Taken up at {times}.")
        else:
            lines.append("Not taken up under discussion.")
        item_id = entry.item_id
        if item_id is None and entry.proposal_id is not None:
            item_id = min(targets.get(entry.proposal_id, set()), default=None)
        if item_id in items:
            item, title, text, number = items[item_id]
            heading = f"{item.code}{': ' + title if title else ''} (revision {number})"
            lines.append(f"Text as it stands, {heading}:")
            lines.append(" ".join(text.split()))
            state = DraftingState(item.drafting_state).label
            lines.append(f"State: {state}.")
        for moment, d, delegation_id in decisions:
            if about(entry, d.proposal_id, None):
                placed_decisions.add(d.id)
                lines.append(_decision_line(d, codes.get(delegation_id, ""), at(moment)))
        for moment, p in positions:
            if about(entry, p.proposal_id, p.item_id):
                placed_positions.add(p.id)
                lines.append(_position_line(p, codes[p.delegation_id], at(moment), items))
        for act in marks:
            if about(entry, None, act.item_id):
                placed_marks.add(act.id)
                lines.append(_mark_line(act, _code(items, act.item_id), at(act.at)))
    rest_d = [(m, d, dl) for m, d, dl in decisions if d.id not in placed_decisions]
    rest_p = [(m, p) for m, p in positions if p.id not in placed_positions]
    rest_m = [a for a in marks if a.id not in placed_marks]
    if rest_d or rest_p or rest_m:
        lines += ["", "## Other business"]
        for moment, d, delegation_id in rest_d:
            lines.append(_decision_line(d, codes.get(delegation_id, ""), at(moment)))
        for moment, p in rest_p:
            lines.append(_position_line(p, codes[p.delegation_id], at(moment), items))
        for act in rest_m:
            lines.append(_mark_line(act, _code(items, act.item_id), at(act.at)))
    # Each item's last mark in the meeting: the list of what is left says which it still has.
    last_mark = {a.item_id: a.to_state for a in marks}

    # Texts agreed; items left in brackets or ad referendum.
    lines += ["", "## Texts agreed"]
    agreed = [f"- P-{d.proposal_id}" for _, d, _ in decisions if d.outcome in _AGREED]
    agreed += [
        f"- {i.code}" for i, *_ in items.values() if i.drafting_state == DraftingState.AGREED.value
    ]
    lines += agreed or ["None."]
    lines += ["", "## Left in brackets or ad referendum"]
    left = [
        f"- {i.code}: {_OPEN_STATES[i.drafting_state]}"
        + (", marked in the meeting" if last_mark.get(i.id) == i.drafting_state else "")
        + (f" ({' '.join(i.drafting_note.split())})" if i.drafting_note.strip() else "")
        for i, *_ in sorted(items.values(), key=lambda r: r[0].code)
        if i.drafting_state in _OPEN_STATES
    ]
    lines += left or ["None."]

    # The floor given, in order.
    lines += ["", "## The floor"]
    given = session.execute(
        select(FloorRequest.delegation_id, FloorRequest.called_at)
        .where(FloorRequest.meeting_id == meeting.id, FloorRequest.called_at.is_not(None))
        .order_by(FloorRequest.called_at, FloorRequest.id)
    ).all()
    lines += [f"- {codes[d]} was given the floor at {at(t)}" for d, t in given if t] or [
        "The floor was not given to any delegation."
    ]

    # What remains to follow up.
    lines += ["", "## Follow-up"]
    follow: list[str] = []
    for _, d, _ in decisions:
        if d.outcome == Outcome.UNDER_CONSIDERATION.value:
            follow.append(f"- P-{d.proposal_id} is kept under consideration")
    for _, p in positions:
        who = codes[p.delegation_id]
        on = f"P-{p.proposal_id}" if p.proposal_id else _code(items, p.item_id)
        if p.stance is Stance.AD_REFERENDUM:
            follow.append(f"- {who} to confirm its position on {on} (ad referendum)")
        elif p.stance in (Stance.RESERVATION, Stance.OBJECTION):
            follow.append(f"- {who}'s {p.stance.value} on {on} stands")
    follow += [
        f"- {i.code} to be confirmed (agreed ad referendum)"
        for i, *_ in sorted(items.values(), key=lambda r: r[0].code)
        if i.drafting_state == DraftingState.AGREED_AD_REF.value
    ]
    lines += follow or ["None."]
    return "\n".join(lines)


def _code(items: dict[int, tuple[Item, str | None, str, int]], item_id: int | None) -> str:
    if item_id is not None and item_id in items:
        return items[item_id][0].code
    return "an item"


def _decision_line(d: DecisionRecord, delegation: str, at: str) -> str:
    outcome = _OUTCOME.get(d.outcome, d.outcome)
    reason = f": {' '.join(d.reason.split())}" if d.reason.strip() else ""
    return f"- Decision at {at}: P-{d.proposal_id} ({delegation}) {outcome}{reason}"


def _state_words(state: str | None) -> str:
    value = state or DraftingState.OPEN.value
    return _STATE_WORDS.get(value, DraftingState(value).label)


def _mark_line(act: MeetingAct, code: str, at: str) -> str:
    note = f" ({' '.join((act.note or '').split())})" if (act.note or "").strip() else ""
    return (
        f"- Drafting state at {at}: {code} marked {_state_words(act.to_state)} in the meeting, "
        f"was {_state_words(act.from_state)}{note}"
    )


def _position_line(
    p: Position, delegation: str, at: str, items: dict[int, tuple[Item, str | None, str, int]]
) -> str:
    on = f"P-{p.proposal_id}" if p.proposal_id else _code(items, p.item_id)
    said = f': "{" ".join(p.statement.split())}"' if p.statement.strip() else ""
    return f"- Position stated at {at}: {delegation}, {p.stance.label} on {on}{said}"


# --- Word ------------------------------------------------------------------------------------


def document(
    session: Session, principal: Principal, meeting_id: int, working_group: str
) -> MeetingRecordDocument:
    """What the Word file of the record holds."""
    v = read(session, principal, meeting_id)
    if v.record is None:
        raise NotFound(f"M-{meeting_id} has no record yet; generate it first", field="record")
    meeting = v.meeting
    symbol = (
        session.scalar(select(Round.symbol).where(Round.id == meeting.round_id))
        if meeting.round_id
        else None
    )
    return MeetingRecordDocument(
        reference=meeting.reference,
        title=meeting.title,
        working_group=working_group,
        round_label=f"Round {symbol}" if symbol else "",
        starts_at=meeting.starts_at,
        time_zone=meeting.time_zone,
        text=v.record.text,
        approved_at=v.record.approved_at,
        approved_by=v.approved_by,
    )
