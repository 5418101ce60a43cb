"""Writing the audit trail. Every use case that changes something calls `record` in the same
transaction as the change, so a change and its audit event commit or fail together.

`record` takes the event's sequence number at once (appends are serialised until commit) but
the events of a transaction are hashed and written when it commits: the last of them then
carries the digests of the content rows the transaction wrote, read back after the final flush
(app/audit/rows.py), and every hash is keyed with the installation's audit key
(app/audit/chain.py). After the commit the newest event is appended to the anchor file
(app/audit/anchor.py). The key and the anchor file come with the engine (`use_chain`, called by
`app.audit.guard.open_database`); an engine opened otherwise (a test's bare Database) uses the
development key and no anchor.
"""

import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, select, text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.util import find_tables

from app.audit import anchor, rows
from app.audit.chain import GENESIS, Break, Walk, keyed_hash, walk
from app.config import Settings
from app.db import utcnow, wrote_nothing
from app.models import AuditEvent

DEVELOPMENT_KEY = str(Settings.model_fields["audit_key"].default).encode()


@dataclass(frozen=True, slots=True)
class Actor:
    """Who does something, for which delegation, in which request."""

    user_id: int | None
    delegation_id: int | None = None
    request_id: str | None = None

    @classmethod
    def system(cls, request_id: str | None = None) -> "Actor":
        return cls(user_id=None, delegation_id=None, request_id=request_id)


@dataclass(slots=True)
class Chain:
    """The key an engine's events are hashed with, and where their head is anchored."""

    key: bytes
    anchor: Path | None = None
    trail: str | None = None  # learnt at the first commit that anchors


_CHAINS: "weakref.WeakKeyDictionary[Dialect, Chain]" = weakref.WeakKeyDictionary()
_DEFAULT = Chain(DEVELOPMENT_KEY)


def use_chain(engine: Engine, *, key: bytes, anchor: Path | None) -> None:
    """Hash the events written through `engine` with `key`; anchor them in `anchor`."""
    # The dialect: one per engine, shared by the engine's execution_options() copies (the
    # write sessions' bind), never replaced by dispose().
    _CHAINS[engine.dialect] = Chain(key, anchor)


def chain_of(session: Session) -> Chain:
    return _CHAINS.get(session.get_bind().dialect, _DEFAULT)


def record(
    session: Session,
    actor: Actor,
    *,
    action: str,
    object_type: str,
    object_id: str | int,
    revision_before: int | None = None,
    revision_after: int | None = None,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Add an event to this transaction; it is numbered, hashed and written at commit.

    Its number waits for the commit too: taking the chain's place (a lock that serialises every
    writer on PostgreSQL) here, in the middle of a transaction that goes on to update rows,
    deadlocked with a writer that had updated those rows first and then waited for the chain
    (a decision that carries positions, beside a delegation changing its position)."""
    unit = _unit(session)
    event = AuditEvent(
        occurred_at=at or utcnow(),
        actor_id=actor.user_id,
        delegation_id=actor.delegation_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        revision_before=revision_before,
        revision_after=revision_after,
        request_id=actor.request_id,
        details=details or {},
    )
    unit.pending.append(event)
    unit.recorded = True
    return event


def vouch_for(session: Session, written: Mapping[str, Iterable[int]]) -> None:
    """Rows of covered tables this transaction wrote with SQL the ORM did not see (a bulk
    INSERT or UPDATE statement): their digests go into the trail with the ORM's own at commit.
    Without this, `zerodraft audit verify` reports them as changed outside the app."""
    unit = _unit(session)
    for table, ids in written.items():
        if table not in rows.COVERED:
            raise ValueError(f"{table} is not a table the audit trail covers")
        unit.written.setdefault(table, set()).update(ids)


# Any number: the key of the PostgreSQL advisory lock that serialises appends to the chain.
_CHAIN_LOCK = 727_001
_UNIT = "zerodraft_audit_unit"
_AUDIT_TABLE = AuditEvent.__table__


@dataclass(slots=True)
class _Unit:
    """The audit work of one transaction."""

    transaction: SessionTransaction | None
    chain: Chain
    next_seq: int | None = None
    prev: str = GENESIS
    pending: list[AuditEvent] = field(default_factory=list)
    recorded: bool = False
    written: dict[str, set[int]] = field(default_factory=dict)  # covered rows, since sealing
    head: tuple[int, str] | None = None


def _unit(session: Session) -> _Unit:
    transaction = session.get_transaction()
    if transaction is None:
        session.connection()  # begin the transaction this unit belongs to
        transaction = session.get_transaction()
    unit: _Unit | None = session.info.get(_UNIT)
    if unit is None or unit.transaction is not transaction:
        unit = _Unit(transaction, chain_of(session))
        session.info[_UNIT] = unit
    return unit


def _tail(session: Session) -> tuple[int, str]:
    """The next sequence number and the last event's hash, with appends serialised until commit
    so that concurrent writers can never fork the chain. (SQLite write transactions already hold
    the database's write lock from BEGIN IMMEDIATE.)"""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
    last = session.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    if last is None:
        return 1, GENESIS
    return last[0] + 1, last[1]


def _seal(session: Session, unit: _Unit) -> None:
    """Hash and write the transaction's pending events, the last one with the digests of the
    covered rows written since the previous seal."""
    session.flush()
    if unit.written and not unit.pending and unit.recorded:
        # Rows written after this transaction's events were already sealed (someone read the
        # trail in between): one more event vouches for them.
        record(session, Actor.system(), action="audit.rows", object_type="audit", object_id="")
    events, unit.pending = unit.pending, []
    if not events:
        return
    written, unit.written = unit.written, {}
    digests = rows.digests_of(session, written)
    events[-1].row_digests = digests or None
    # The chain's place is taken last, once this transaction's own rows are all written.
    if unit.next_seq is None:
        unit.next_seq, unit.prev = _tail(session)
    for pending in events:
        pending.id, unit.next_seq = unit.next_seq, unit.next_seq + 1
    chain = unit.chain
    if chain.anchor is not None and chain.trail is None and events[0].id != 1:
        first = session.scalar(select(AuditEvent.hash).where(AuditEvent.id == 1))
        chain.trail = anchor.trail_of(first) if first else None
    prev = unit.prev
    for pending in events:
        pending.prev_hash = prev
        pending.hash = prev = keyed_hash(pending, chain.key)
    if chain.anchor is not None and chain.trail is None and events[0].id == 1:
        chain.trail = anchor.trail_of(events[0].hash)
    unit.prev = prev
    session.add_all(events)
    session.flush()
    unit.head = (events[-1].id, events[-1].hash)


@event.listens_for(Session, "after_flush")
def _note_written(session: Session, _context: Any) -> None:
    if not (session.new or session.dirty or session.deleted):
        return
    unit: _Unit | None = None
    for changed in (session.new, session.dirty, session.deleted):
        for obj in changed:
            name = getattr(obj, "__tablename__", None)
            if name in rows.COVERED:
                unit = unit or _unit(session)
                unit.written.setdefault(name, set()).add(obj.id)


@event.listens_for(Session, "do_orm_execute")
def _seal_before_reading_the_trail(state: ORMExecuteState) -> None:
    unit: _Unit | None = state.session.info.get(_UNIT)
    if unit is None or not unit.pending or not state.is_select:
        return
    if unit.transaction is not state.session.get_transaction():
        return
    statement = state.statement
    if isinstance(statement, ClauseElement) and _AUDIT_TABLE in find_tables(
        statement, include_joins=True
    ):
        _seal(state.session, unit)


@event.listens_for(Session, "before_commit")
def _seal_at_commit(session: Session) -> None:
    unit: _Unit | None = session.info.get(_UNIT)
    if unit is not None and unit.transaction is session.get_transaction():
        _seal(session, unit)


@event.listens_for(Session, "after_commit")
def _anchor_after_commit(session: Session) -> None:
    unit: _Unit | None = session.info.pop(_UNIT, None)
    if unit is None or unit.head is None:
        return
    chain = unit.chain
    if chain.anchor is not None and chain.trail is not None:
        anchor.append(chain.anchor, chain.trail, *unit.head, utcnow())


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_UNIT, None)


def head(session: Session) -> dict[str, Any] | None:
    """The newest event written before this transaction's: its sequence number and hash, for a
    record kept elsewhere (an approval). Read on the connection, so that asking does not seal
    the events this transaction has recorded so far."""
    last = (
        session.connection()
        .execute(select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
        .first()
    )
    return None if last is None else {"event": last[0], "hash": last[1]}


def events_for(session: Session, object_type: str, object_id: str | int) -> Sequence[AuditEvent]:
    return session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id))
        .order_by(AuditEvent.id)
    ).all()


def trail_events(session: Session) -> Any:
    return session.scalars(
        select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=2000)
    )


def verify_chain(session: Session) -> tuple[int, Break | None]:
    """Check the whole trail's chain; streams events so a long trail needs little memory."""
    found = walk(trail_events(session), chain_of(session).key)
    return found.count, found.broken


@dataclass(slots=True)
class TrailCheck:
    """What `zerodraft audit verify` found: problems make it fail, notes are said."""

    walk: Walk
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def check_trail(
    session: Session, anchors: Sequence[Path], *, require_anchor: bool = False
) -> TrailCheck:
    """The chain (keyed), the anchor files (a cut tail), and every covered content row against
    the digest the trail last recorded for it."""
    # The files first, then the database as of one moment: a line is written after its commit,
    # so every line read names an event the snapshot holds (unless the trail was cut).
    files = {path: anchor.read(path) for path in anchors if path.is_file()}
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    first = session.scalar(select(AuditEvent.hash).where(AuditEvent.id == 1))
    trail = anchor.trail_of(first) if first else None
    anchored: dict[int, list[tuple[Path, anchor.Anchored]]] = {}
    notes: list[str] = []
    anchor_problems: list[str] = []
    foreign = 0  # lines of other trails
    for path in anchors:
        if path not in files:
            message = f"no anchor file at {path}: events removed from the end cannot be found"
            (anchor_problems if require_anchor and first else notes).append(message)
            continue
        mine = [line for line_trail, line in files[path] if line_trail == trail]
        others = len(files[path]) - len(mine)
        for line in mine:
            anchored.setdefault(line.seq, []).append((path, line))
        foreign += others
        if others:
            notes.append(f"{path}: {others} line(s) of other databases' trails ignored")
        if first and not mine:
            message = (
                f"{path} has no line for this trail: events removed from the end cannot be found"
            )
            (anchor_problems if require_anchor else notes).append(message)
    found = walk(trail_events(session), chain_of(session).key, want=frozenset(anchored))
    check = TrailCheck(found, notes=notes)
    if found.broken is not None:
        check.problems.append(
            f"audit chain broken at event {found.broken.seq}: {found.broken.problem} "
            f"({found.count} events good)"
        )
    elif found.count and found.first_keyed is None:
        # Only commits of keyed events are anchored: an anchor line, of this trail or (if event
        # 1 was rewritten too) of another, means the key was in use here.
        if anchored or foreign:
            check.problems.append(
                f"no event of the trail's {found.count} is keyed with this installation's audit "
                "key, but the anchor file names keyed events: the trail was rewritten without "
                "the key, or ZERODRAFT_AUDIT_KEY is not the key it was written with"
            )
        else:
            check.notes.append(
                f"none of the trail's {found.count} events is keyed yet (written before the "
                "audit key); the next change made through zerodraft seals them"
            )
    check.problems += anchor_problems
    check.problems += _against_anchors(found, anchored)
    if found.broken is None:
        check.problems += row_problems(session, found, check.notes)
    return check


def _ids(ids: Sequence[int], limit: int = 20) -> str:
    shown = ", ".join(str(i) for i in ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def _against_anchors(
    found: Walk, anchored: dict[int, list[tuple[Path, anchor.Anchored]]]
) -> list[str]:
    missing, differing = [], []
    for seq in sorted(anchored):
        stored = found.hashes.get(seq)
        if stored is None:
            missing.append(seq)
        elif any(line.hash != stored for _, line in anchored[seq]):
            differing.append(seq)
    problems = []
    if missing:
        last = found.head[0] if found.head else 0
        problems.append(
            f"event(s) {_ids(missing)} named in the anchor file are missing from the trail, "
            f"which now ends at event {last}: events were removed from the end"
        )
    if differing:
        problems.append(
            f"event(s) {_ids(differing)} differ from the hash the anchor file recorded: the "
            "trail was rewritten up to there"
        )
    return problems


def row_problems(session: Session, found: Walk, notes: list[str]) -> list[str]:
    """Every covered row against the digest the trail last recorded for it: what differs, is
    missing, came back or was never recorded (a note, not a problem, before the audit key)."""
    differ: list[str] = []
    unknown: list[str] = []
    revived: list[str] = []
    seen: set[str] = set()
    for key, live in rows.live_digests(session):
        seen.add(key)
        recorded = found.rows.get(key)
        if recorded is None:
            unknown.append(key)
        elif recorded[1] is None:
            revived.append(f"{key} (deleted by event {recorded[0]})")
        elif recorded[1] != live:
            differ.append(f"{key} (event {recorded[0]})")
    gone = [
        f"{key} (event {seq})"
        for key, (seq, digest) in found.rows.items()
        if digest is not None and key not in seen
    ]
    problems = []
    if differ:
        problems.append(f"row(s) differ from what the trail last recorded: {_names(differ)}")
    if gone:
        problems.append(f"row(s) the trail records are missing (deleted): {_names(gone)}")
    if revived:
        problems.append(f"row(s) the trail records as deleted exist: {_names(revived)}")
    if unknown and found.unkeyed == 0:
        problems.append(f"row(s) no event recorded (written outside the app): {_names(unknown)}")
    elif unknown:
        notes.append(
            f"{len(unknown)} content row(s) not yet recorded by the trail (last written before "
            "the audit key)"
        )
    return problems


def _names(keys: list[str], limit: int = 20) -> str:
    shown = ", ".join(keys[:limit])
    return shown + (f" and {len(keys) - limit} more" if len(keys) > limit else "")


def wrote(session: Session) -> bool:
    """Whether ending `session`'s transaction without a commit could lose anything. False only
    when it is known that nothing was written: no changes waiting to be flushed, no audit events
    recorded (they are written at commit) or rows vouched for, and the driver shows that the
    transaction wrote nothing (app.db.wrote_nothing)."""
    if session.new or session.dirty or session.deleted:
        return True
    unit: _Unit | None = session.info.get(_UNIT)
    if unit is not None and (unit.pending or unit.written):
        return True
    if not session.in_transaction():
        return False
    return not wrote_nothing(session.connection())
