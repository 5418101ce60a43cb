"""Meetings: setting one up (secretariat), reading it (whoever takes part), ordering its agenda
and moving through it in the room (secretariat or co-chair). Every change is audited like the
rest; the audit event is also what the live view's stream carries (app/meetings/live.py).

Times come in as the wall-clock time in the meeting's zone ("2026-03-10T14:00" in
Asia/Manila), or as a moment with its offset; they are stored in UTC and shown in each reader's
zone with the meeting's own beside it.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from app.audit.service import Actor, record
from app.errors import Conflict, InvalidInput, NotFound
from app.models import (
    AgendaEntry,
    Delegation,
    Item,
    ItemKind,
    Meeting,
    MeetingParticipant,
    Proposal,
    ProposalTarget,
    Revision,
    Round,
)
from app.principal import Principal
from app.rounds import service as rounds
from app.timezones import choosable_zones, known_zone

TITLE_MAX = 200
URL_MAX = 500
AGENDA_MAX = 200
_PROPOSAL_REF = re.compile(r"^P-?(\d{1,9})$", re.IGNORECASE)
_ITEM_REF = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")
_LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?$")


# --- Reading ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EntryView:
    ref: str
    kind: str  # "indicator", "section" or "proposal"
    words: str  # the item's title or first words; the proposal's delegation and item
    url: str
    item_code: str | None  # the item the point is about (a proposal's first target)


@dataclass(frozen=True, slots=True)
class MeetingView:
    meeting: Meeting
    round_symbol: str | None
    participants: list[str]  # delegation codes
    agenda: list[EntryView]

    @property
    def current(self) -> EntryView | None:
        return next((e for e in self.agenda if e.ref == self.meeting.current_ref), None)


def participant_ids(session: Session, meeting_id: int) -> set[int]:
    return set(
        session.scalars(
            select(MeetingParticipant.delegation_id).where(
                MeetingParticipant.meeting_id == meeting_id
            )
        )
    )


def may_see(session: Session, principal: Principal, meeting: Meeting) -> bool:
    return meeting.visible_to(
        principal.role,
        (d.id for d in principal.delegations),
        participant_ids(session, meeting.id),
    )


def get(session: Session, principal: Principal, meeting_id: int) -> Meeting:
    """The meeting, if the person may see it; one they may not see does not exist for them."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or not may_see(session, principal, meeting):
        raise NotFound(f"no meeting M-{meeting_id}", field="meeting")
    return meeting


def listing(session: Session, principal: Principal) -> list[Meeting]:
    """The meetings the person may see, soonest first."""
    meetings = session.scalars(select(Meeting).order_by(Meeting.starts_at, Meeting.id)).all()
    rows = session.execute(
        select(MeetingParticipant.meeting_id, MeetingParticipant.delegation_id)
    ).all()
    taking_part: dict[int, set[int]] = {}
    for meeting_id, delegation_id in rows:
        taking_part.setdefault(meeting_id, set()).add(delegation_id)
    own = [d.id for d in principal.delegations]
    return [m for m in meetings if m.visible_to(principal.role, own, taking_part.get(m.id, set()))]


def view(session: Session, meeting: Meeting) -> MeetingView:
    symbol = (
        session.scalar(select(Round.symbol).where(Round.id == meeting.round_id))
        if meeting.round_id
        else None
    )
    codes = sorted(
        session.scalars(
            select(Delegation.code)
            .join(MeetingParticipant, MeetingParticipant.delegation_id == Delegation.id)
            .where(MeetingParticipant.meeting_id == meeting.id)
        )
    )
    return MeetingView(meeting, symbol, codes, agenda(session, meeting.id))


def _first_words(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def agenda(session: Session, meeting_id: int) -> list[EntryView]:
    entries = session.scalars(
        select(AgendaEntry)
        .where(AgendaEntry.meeting_id == meeting_id)
        .order_by(AgendaEntry.position, AgendaEntry.id)
    ).all()
    item_ids = {e.item_id for e in entries if e.item_id is not None}
    proposals = {
        p.id: p
        for p in session.scalars(
            select(Proposal).where(
                Proposal.id.in_([e.proposal_id for e in entries if e.proposal_id is not None])
            )
        )
    }
    targets: dict[int, int] = {}
    for proposal_id, item_id in session.execute(
        select(ProposalTarget.proposal_id, ProposalTarget.item_id)
        .where(ProposalTarget.proposal_id.in_(list(proposals)))
        .order_by(ProposalTarget.proposal_id, ProposalTarget.position)
    ):
        targets.setdefault(proposal_id, item_id)
        item_ids.add(item_id)
    words = _item_words(session, item_ids)
    delegations = dict(
        session.execute(
            select(Delegation.id, Delegation.code).where(
                Delegation.id.in_([p.delegation_id for p in proposals.values()])
            )
        ).all()
    )
    out: list[EntryView] = []
    for e in entries:
        if e.item_id is not None:
            kind, item_code, text = words.get(e.item_id, ("indicator", e.ref, ""))
            path = "/sections" if kind == ItemKind.SECTION.value else "/indicators"
            out.append(EntryView(e.ref, kind, text, f"{path}/{item_code}", item_code))
        elif e.proposal_id is not None and e.proposal_id in proposals:
            p = proposals[e.proposal_id]
            target = targets.get(p.id)
            code: str | None = words[target][1] if target is not None and target in words else None
            on = f" on {code}" if code else f" (new {p.item_kind})"
            who = delegations.get(p.delegation_id, "")
            out.append(EntryView(e.ref, "proposal", f"{who}{on}", f"/proposals/{p.id}", code))
    return out


def _item_words(session: Session, item_ids: set[int]) -> dict[int, tuple[str, str, str]]:
    if not item_ids:
        return {}
    rows = session.execute(
        select(Item.id, Item.kind, Item.code, Revision.title, Revision.text)
        .join(Revision, (Revision.item_id == Item.id) & (Revision.number == Item.version))
        .where(Item.id.in_(item_ids))
    ).all()
    return {
        r.id: (ItemKind(r.kind).value, r.code, _first_words(r.title or r.text or "")) for r in rows
    }


# --- Checking input --------------------------------------------------------------------------


def _title(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise InvalidInput("title must not be empty", field="title")
    if len(value) > TITLE_MAX:
        raise InvalidInput(f"title must be at most {TITLE_MAX} characters", field="title")
    return value


def _zone(value: str) -> str:
    value = value.strip()
    if value not in choosable_zones():
        raise InvalidInput(
            f"{value!r} is not a time zone; give an IANA name such as Asia/Manila",
            field="time_zone",
        )
    return value


def starts_at(value: str | datetime, zone: str) -> datetime:
    """The moment a meeting starts: a wall-clock time read in `zone`, or an aware moment."""
    if isinstance(value, datetime):
        moment = value
    else:
        text = value.strip()
        problem = InvalidInput(
            f"{value!r} is not a date and time; write it as 2026-03-10T14:00", field="starts_at"
        )
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise problem from None
        if moment.tzinfo is None and not _LOCAL.match(text):
            raise problem
    if moment.tzinfo is None:
        tz = known_zone(zone)
        if tz is None:
            raise InvalidInput(f"{zone!r} is not a time zone", field="time_zone")
        wall = moment
        moment = moment.replace(tzinfo=tz)
        # A wall-clock time the zone skips (the hour clocks go forward) does not exist there.
        if moment.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != wall:
            raise InvalidInput(
                f"{wall:%Y-%m-%d %H:%M} does not exist in {zone} (the clocks go forward then)",
                field="starts_at",
            )
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise InvalidInput("starts_at is out of range", field="starts_at") from None
    if not 2000 <= moment.year <= 2999:
        raise InvalidInput("starts_at must be a date between 2000 and 2999", field="starts_at")
    return moment


def video_url(value: str) -> str:
    """The video call's address: https only (a delegate clicks it), no credentials in it."""
    value = value.strip()
    if not value:
        return ""
    if len(value) > URL_MAX:
        raise InvalidInput(f"video_url must be at most {URL_MAX} characters", field="video_url")
    try:
        parts = urlsplit(value)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
        parts = urlsplit("")
    if (
        parts.scheme != "https"
        or not parts.hostname
        or not port_ok
        or parts.username is not None
        or any(c.isspace() or ord(c) < 32 for c in value)
    ):
        raise InvalidInput(
            "video_url must be an https:// address of the video call (e.g. "
            "https://meet.example.org/dwg-3)",
            field="video_url",
        )
    return value


def _duration(value: int) -> int:
    if not 5 <= value <= 24 * 60:
        raise InvalidInput("duration_minutes must be between 5 and 1440", field="duration_minutes")
    return value


def _round_id(session: Session, ref: str | None) -> int | None:
    if ref is None or not str(ref).strip():
        return None
    try:
        return rounds.get_round(session, str(ref).strip()).id
    except NotFound:
        raise NotFound(f"no round {str(ref).strip()!r}", field="round") from None


def _delegations(session: Session, codes: Sequence[str]) -> list[Delegation]:
    wanted = [c.strip().upper() for c in codes if c.strip()]
    if len(wanted) > 200:
        raise InvalidInput("at most 200 participants", field="participants")
    found = {
        d.code: d for d in session.scalars(select(Delegation).where(Delegation.code.in_(wanted)))
    }
    for code in wanted:
        if code not in found:
            raise NotFound(f"no delegation with code {code!r}", field="participants")
        if found[code].retired_at is not None:
            raise Conflict(f"delegation {code} is retired", field="participants")
    return [found[c] for c in dict.fromkeys(wanted)]


# --- Changing --------------------------------------------------------------------------------


@dataclass(slots=True)
class Details:
    """What a meeting is; None in an update leaves that part as it is."""

    title: str | None = None
    starts_at: str | datetime | None = None
    time_zone: str | None = None
    duration_minutes: int | None = None
    round: str | None = None
    video_url: str | None = None
    participants: Sequence[str] | None = None
    observers_invited: bool | None = None


def _apply(session: Session, meeting: Meeting, d: Details) -> dict[str, object]:
    changed: dict[str, object] = {}
    if d.title is not None:
        meeting.title = changed["title"] = _title(d.title)
    if d.time_zone is not None:
        meeting.time_zone = changed["time_zone"] = _zone(d.time_zone)
    if d.starts_at is not None:
        meeting.starts_at = starts_at(d.starts_at, meeting.time_zone)
        changed["starts_at"] = meeting.starts_at.isoformat()
    if d.duration_minutes is not None:
        meeting.duration_minutes = changed["duration_minutes"] = _duration(d.duration_minutes)
    if d.round is not None:
        meeting.round_id = _round_id(session, d.round)
        changed["round"] = d.round.strip()
    if d.video_url is not None:
        meeting.video_url = changed["video_url"] = video_url(d.video_url)
    if d.observers_invited is not None:
        meeting.observers_invited = changed["observers_invited"] = d.observers_invited
    return changed


def _set_participants(session: Session, meeting: Meeting, codes: Sequence[str]) -> list[str]:
    delegations = _delegations(session, codes)
    session.execute(delete(MeetingParticipant).where(MeetingParticipant.meeting_id == meeting.id))
    session.add_all(
        MeetingParticipant(meeting_id=meeting.id, delegation_id=d.id) for d in delegations
    )
    return [d.code for d in delegations]


def create(session: Session, actor: Actor, details: Details, *, now: datetime) -> Meeting:
    if details.title is None:
        raise InvalidInput("title is required", field="title")
    if details.starts_at is None:
        raise InvalidInput("starts_at is required", field="starts_at")
    meeting = Meeting(
        title="",
        starts_at=now,
        time_zone=_zone(details.time_zone or "Asia/Jakarta"),
        duration_minutes=120,
        video_url="",
        observers_invited=False,
        created_at=now,
        created_by_id=actor.user_id,
    )
    changed = _apply(session, meeting, details)
    session.add(meeting)
    session.flush()
    if details.participants:
        changed["participants"] = _set_participants(session, meeting, details.participants)
    record(
        session,
        actor,
        action="meeting.create",
        object_type="meeting",
        object_id=meeting.id,
        details=changed,
        at=now,
    )
    return meeting


def _locked(session: Session, meeting_id: int, expected_version: int | None) -> Meeting:
    """The meeting, its row locked to the end of the transaction (PostgreSQL; SQLite's write
    lock is taken at BEGIN), read afresh: of two changes sent with the same version, the
    second waits, then sees the new version and is refused (412), never a clash of rows."""
    # FOR NO KEY UPDATE: it still excludes a second change of the meeting, but not the key-share
    # locks that delegates' floor requests, attendance and the room's acts take on it.
    meeting = session.get(
        Meeting, meeting_id, with_for_update={"key_share": True}, populate_existing=True
    )
    if meeting is None:
        raise NotFound(f"no meeting M-{meeting_id}", field="meeting")
    if expected_version is not None:
        meeting.check_version(expected_version)
    return meeting


def update(
    session: Session,
    actor: Actor,
    meeting_id: int,
    details: Details,
    *,
    expected_version: int,
    now: datetime,
) -> Meeting:
    meeting = _locked(session, meeting_id, expected_version)
    changed = _apply(session, meeting, details)
    if details.participants is not None:
        changed["participants"] = _set_participants(session, meeting, details.participants)
    _touch(meeting)
    session.flush()
    record(
        session,
        actor,
        action="meeting.update",
        object_type="meeting",
        object_id=meeting.id,
        details=changed,
        at=now,
    )
    return meeting


def _touch(meeting: Meeting) -> None:
    """A change that must count as one to the meeting row (its version goes up), even when it
    only touched rows of its own (participants, agenda)."""
    flag_modified(meeting, "title")


def _resolve(session: Session, ref: str) -> tuple[str, int | None, int | None]:
    """(canonical ref, item id, proposal id) of one agenda point as people write it."""
    text = ref.strip().upper()
    found = _PROPOSAL_REF.match(text)
    if found:
        proposal = session.get(Proposal, int(found.group(1)))
        # Only text the whole group can see goes on an agenda: not a private draft.
        if proposal is None or proposal.submitted_at is None:
            raise NotFound(f"no submitted proposal {text}", field="agenda")
        return proposal.reference, None, proposal.id
    if not _ITEM_REF.match(text):
        raise InvalidInput(
            f"{ref!r} is neither an item's code (FC-CD-01, SEC-PURPOSE) nor a proposal (P-12)",
            field="agenda",
        )
    item = session.scalar(select(Item).where(Item.code == text))
    if item is None:
        raise NotFound(f"no indicator or section {text}", field="agenda")
    return item.code, item.id, None


def set_agenda(
    session: Session,
    actor: Actor,
    meeting_id: int,
    refs: Sequence[str],
    *,
    expected_version: int,
    now: datetime,
) -> Meeting:
    """The agenda in the order given: points kept, added, moved or taken off in one change.
    A point under discussion that is taken off leaves no point under discussion."""
    meeting = _locked(session, meeting_id, expected_version)
    if len(refs) > AGENDA_MAX:
        raise InvalidInput(f"an agenda has at most {AGENDA_MAX} points", field="agenda")
    resolved = [_resolve(session, r) for r in refs]
    seen: set[str] = set()
    for canonical, _, _ in resolved:
        if canonical in seen:
            raise InvalidInput(f"{canonical} is on the agenda twice", field="agenda")
        seen.add(canonical)
    existing = {
        e.ref: e
        for e in session.scalars(select(AgendaEntry).where(AgendaEntry.meeting_id == meeting.id))
    }
    for ref, entry in existing.items():
        if ref not in seen:
            session.delete(entry)
    session.flush()
    for position, (canonical, item_id, proposal_id) in enumerate(resolved, start=1):
        kept = existing.get(canonical)
        if kept is None:
            session.add(
                AgendaEntry(
                    meeting_id=meeting.id,
                    position=position,
                    ref=canonical,
                    item_id=item_id,
                    proposal_id=proposal_id,
                )
            )
        elif kept.position != position:
            kept.position = position
    if meeting.current_ref is not None and meeting.current_ref not in seen:
        meeting.current_ref = None
    _touch(meeting)
    session.flush()
    record(
        session,
        actor,
        action="meeting.agenda",
        object_type="meeting",
        object_id=meeting.id,
        details={"agenda": [c for c, _, _ in resolved]},
        at=now,
    )
    return meeting


def agenda_refs(session: Session, meeting_id: int) -> list[str]:
    return list(
        session.scalars(
            select(AgendaEntry.ref)
            .where(AgendaEntry.meeting_id == meeting_id)
            .order_by(AgendaEntry.position, AgendaEntry.id)
        )
    )


def set_current(
    session: Session,
    actor: Actor,
    meeting_id: int,
    ref: str | None,
    *,
    expected_version: int | None = None,
    now: datetime,
) -> Meeting:
    """Bring a point of the agenda under discussion (None: none, e.g. a break)."""
    meeting = _locked(session, meeting_id, expected_version)
    if ref is not None and ref.strip():
        wanted = ref.strip().upper()
        refs = agenda_refs(session, meeting.id)
        match = next((r for r in refs if r.upper() == wanted), None)
        if match is None:
            raise NotFound(
                f"{ref.strip()} is not on the agenda of {meeting.reference}", field="ref"
            )
        meeting.current_ref = match
    else:
        meeting.current_ref = None
    _touch(meeting)
    session.flush()
    record(
        session,
        actor,
        action="meeting.current",
        object_type="meeting",
        object_id=meeting.id,
        details={"current": meeting.current_ref},
        at=now,
    )
    return meeting


def next_ref(session: Session, meeting: Meeting) -> str | None:
    """The point after the one under discussion (the first when none is)."""
    refs = agenda_refs(session, meeting.id)
    if not refs:
        return None
    if meeting.current_ref not in refs:
        return refs[0]
    at = refs.index(meeting.current_ref)
    return refs[at + 1] if at + 1 < len(refs) else None
