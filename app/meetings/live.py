"""Live events: what changed, as it happens, to everyone who may see it, from any instance.

The events are the audit trail's. Every change the app makes records an audit event in the
same transaction (app/audit/guard.py checks it), and the trail's sequence numbers are taken in
commit order under the chain's lock: so "every event after N" is a complete, gap-free answer on
any instance, and a client that reconnects with Last-Event-ID: N misses nothing. No second
table to keep in step, and nothing that matters lives in a process's memory.

How an event travels:
- the transaction that writes audit events also runs `pg_notify('zerodraft_live')` on
  PostgreSQL (delivered to the listeners when, and only if, it commits), and pokes the hubs of
  its own process after the commit (SQLite: the only way; PostgreSQL: a little sooner);
- each process has one hub per event loop: one LISTEN connection (PostgreSQL) in a thread, and
  one task that, when poked (or every `live_poll_seconds`, for changes made by processes that
  do not notify, such as a CLI on SQLite), reads the new events once in a short read transaction,
  works out who may see each (its Audience), and hands them to the open streams;
- a stream (`stream`) is a small object with a queue: while idle it holds no database
  connection and no transaction. It reads the database only to catch up from Last-Event-ID,
  and (a meeting's stream) to re-read the meeting's agenda when the meeting changes.

What an event says is small: {"id", "type" (the audit action), "ref" (what changed: an item's
code, P-12, C-3, M-4, a round's symbol), "items" (the item codes it concerns), "meeting"}. The
page turns it into a fetch of the fragment it shows for that reference.
"""

import asyncio
import contextlib
import json
import logging
import random
import threading
import time
import weakref
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.accounts.permissions import Action, allowed
from app.db import Database
from app.errors import NotAuthenticated, NotFound
from app.ids import is_id
from app.meetings import service
from app.models import (
    AuditEvent,
    Comment,
    Item,
    Meeting,
    MeetingParticipant,
    Proposal,
    ProposalTarget,
    Role,
    Visibility,
)
from app.principal import Principal
from app.web.deps import authenticate

log = logging.getLogger("zerodraft.live")

CHANNEL = "zerodraft_live"
KEEPALIVE_SECONDS = 15.0  # a comment line, so that proxies and clients see the stream alive
# Who the reader is, looked up again at most this often (before an event is sent, and at each
# keep-alive): a stream ends soon after its session ends, its token is revoked or its person is
# disabled, and follows a change of delegations or of the meeting's participants.
RECHECK_SECONDS = 5.0
BATCH = 500  # events read at once
QUEUE_LIMIT = 5000  # a stream further behind than this is closed: the client resumes by id
# A client resuming from further back than this many trail events (a laptop opened after a
# week) is not replayed them one by one: it gets one "reset" event (what it shows is out of
# date: read it again) and the stream goes on from now.
CATCH_UP_LIMIT = 5000
OFFICERS = frozenset({Role.SECRETARIAT, Role.CHAIR, Role.ADMIN})
# The trail's object types that are the group's content, and who may see them; the rest
# (accounts, tokens, mail, imports in progress) never go out.
_EVERYONE = frozenset({"indicator", "section", "item", "round", "body", "delegation", "dimension"})


@dataclass(frozen=True, slots=True)
class Audience:
    everyone: bool = False
    roles: frozenset[Role] = frozenset()
    delegations: frozenset[int] = frozenset()
    users: frozenset[int] = frozenset()

    def admits(self, principal: Principal) -> bool:
        return (
            self.everyone
            or principal.role in self.roles
            or principal.user_id in self.users
            or any(d.id in self.delegations for d in principal.delegations)
        )


ALL = Audience(everyone=True)


@dataclass(frozen=True, slots=True)
class LiveEvent:
    id: int
    type: str
    ref: str
    items: tuple[str, ...]
    meeting: int | None
    audience: Audience

    def sse(self) -> str:
        data = {
            "id": self.id,
            "type": self.type,
            "ref": self.ref,
            "items": list(self.items),
            "meeting": self.meeting,
        }
        return f"id: {self.id}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


# --- Reading the trail as events --------------------------------------------------------------


def head(database: Database) -> int:
    with database.transaction(write=False) as s:
        return s.scalar(select(func.max(AuditEvent.id))) or 0


@dataclass(frozen=True, slots=True)
class Batch:
    events: list[LiveEvent]
    last: int  # the last row of the trail read (whether or not anyone may see it)
    full: bool  # there may be more


def read_events(database: Database, after: int, limit: int = BATCH) -> Batch:
    """The events after `after`, oldest first, each with who may see it."""
    with database.transaction(write=False) as s:
        rows = s.execute(
            select(AuditEvent.id, AuditEvent.action, AuditEvent.object_type, AuditEvent.object_id)
            .where(AuditEvent.id > after)
            .order_by(AuditEvent.id)
            .limit(limit)
        ).all()
        last = rows[-1].id if rows else after
        return Batch(_resolve(s, rows), last, len(rows) == limit)


def _ints(values: Iterable[str]) -> list[int]:
    return [int(v) for v in values if is_id(v)]


def _resolve(s: Session, rows: Sequence[Any]) -> list[LiveEvent]:
    by_type: dict[str, set[str]] = {}
    for r in rows:
        by_type.setdefault(r.object_type, set()).add(r.object_id)
    proposals = _proposals(s, _ints(by_type.get("proposal", ())))
    comments = _comments(s, _ints(by_type.get("comment", ())))
    meetings = _meetings(s, _ints(by_type.get("meeting", ())))
    out: list[LiveEvent] = []
    for r in rows:
        kind, oid = r.object_type, r.object_id
        if kind in _EVERYONE:
            items = (oid,) if kind in ("indicator", "section", "item") else ()
            ref = oid if kind in ("indicator", "section", "item") else f"{kind}:{oid}"
            out.append(LiveEvent(r.id, r.action, ref, items, None, ALL))
        elif kind == "proposal" and is_id(oid) and int(oid) in proposals:
            codes, audience = proposals[int(oid)]
            out.append(LiveEvent(r.id, r.action, f"P-{oid}", codes, None, audience))
        elif kind == "comment" and is_id(oid) and int(oid) in comments:
            codes, audience = comments[int(oid)]
            out.append(LiveEvent(r.id, r.action, f"C-{oid}", codes, None, audience))
        elif kind == "meeting" and is_id(oid) and int(oid) in meetings:
            out.append(LiveEvent(r.id, r.action, f"M-{oid}", (), int(oid), meetings[int(oid)]))
    return out


def _codes_of_proposals(s: Session, ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    codes: dict[int, list[str]] = {}
    for pid, code in s.execute(
        select(ProposalTarget.proposal_id, Item.code)
        .join(Item, Item.id == ProposalTarget.item_id)
        .where(ProposalTarget.proposal_id.in_(list(ids)))
        .order_by(ProposalTarget.proposal_id, ProposalTarget.position)
    ):
        codes.setdefault(pid, []).append(code)
    return {pid: tuple(c) for pid, c in codes.items()}


def _proposal_audience(p: Proposal) -> Audience:
    # A private draft is its delegation's alone (Proposal.visible_to).
    return ALL if p.submitted_at is not None else Audience(delegations=frozenset({p.delegation_id}))


def _proposals(s: Session, ids: list[int]) -> dict[int, tuple[tuple[str, ...], Audience]]:
    if not ids:
        return {}
    found = s.scalars(select(Proposal).where(Proposal.id.in_(ids))).all()
    codes = _codes_of_proposals(s, ids)
    return {p.id: (codes.get(p.id, ()), _proposal_audience(p)) for p in found}


def _comments(s: Session, ids: list[int]) -> dict[int, tuple[tuple[str, ...], Audience]]:
    """A comment's audience is its thread's (app/comments/service.py visible): the first
    comment's visibility, within the proposal's."""
    if not ids:
        return {}
    found = list(s.scalars(select(Comment).where(Comment.id.in_(ids))))
    roots = {c.id: c for c in found}
    parent_ids = [c.parent_id for c in found if c.parent_id and c.parent_id not in roots]
    if parent_ids:
        roots.update(
            {c.id: c for c in s.scalars(select(Comment).where(Comment.id.in_(parent_ids)))}
        )
    proposal_ids = {c.proposal_id for c in roots.values() if c.proposal_id}
    proposals = {p.id: p for p in s.scalars(select(Proposal).where(Proposal.id.in_(proposal_ids)))}
    proposal_codes = _codes_of_proposals(s, proposal_ids)
    item_ids = {c.item_id for c in roots.values() if c.item_id}
    item_codes = dict(s.execute(select(Item.id, Item.code).where(Item.id.in_(item_ids))).all())
    out: dict[int, tuple[tuple[str, ...], Audience]] = {}
    for c in found:
        root = roots.get(c.parent_id or c.id)
        if root is None:
            continue
        if root.visibility is Visibility.GROUP:
            audience = ALL
        elif root.visibility is Visibility.CHAIRS:
            audience = Audience(roles=frozenset({Role.CHAIR, Role.SECRETARIAT}))
        else:
            audience = Audience(
                delegations=frozenset({root.delegation_id} if root.delegation_id else ())
            )
        if root.author_id is not None:
            audience = Audience(
                audience.everyone,
                audience.roles,
                audience.delegations,
                audience.users | {root.author_id},
            )
        proposal = proposals.get(root.proposal_id or 0)
        if proposal is not None and proposal.submitted_at is None:
            # On a private draft, within the drafting delegation only: the comment's own audience
            # narrowed to it (a chairs-only one there is its author's, as the comment's page has).
            drafting = proposal.delegation_id
            shared = root.visibility is Visibility.GROUP or (
                root.visibility is Visibility.DELEGATION and root.delegation_id == drafting
            )
            audience = Audience(
                delegations=frozenset({drafting} if shared else ()),
                users=frozenset({root.author_id} if root.author_id is not None else ()),
            )
        codes = proposal_codes.get(root.proposal_id or 0) or (
            (item_codes[root.item_id],) if root.item_id in item_codes else ()
        )
        out[c.id] = (codes, audience)
    return out


def meeting_audience(meeting: Meeting, participants: Iterable[int]) -> Audience:
    roles = OFFICERS | ({Role.OBSERVER} if meeting.observers_invited else frozenset())
    return Audience(roles=frozenset(roles), delegations=frozenset(participants))


def _meetings(s: Session, ids: list[int]) -> dict[int, Audience]:
    if not ids:
        return {}
    taking_part: dict[int, set[int]] = {}
    for mid, did in s.execute(
        select(MeetingParticipant.meeting_id, MeetingParticipant.delegation_id).where(
            MeetingParticipant.meeting_id.in_(ids)
        )
    ):
        taking_part.setdefault(mid, set()).add(did)
    return {
        m.id: meeting_audience(m, taking_part.get(m.id, set()))
        for m in s.scalars(select(Meeting).where(Meeting.id.in_(ids)))
    }


def meeting_scope(database: Database, meeting_id: int) -> frozenset[str]:
    """The references a meeting's stream follows: its agenda's points and the items they are
    about (a proposal's targets)."""
    with database.transaction(write=False) as s:
        return frozenset(
            ref
            for e in service.agenda(s, meeting_id)
            for ref in (e.ref, e.item_code)
            if ref is not None
        )


# --- Announcing a commit ----------------------------------------------------------------------

_HUBS: "weakref.WeakSet[Hub]" = weakref.WeakSet()
_WROTE = "zerodraft_live_wrote"


def _after_flush(session: Session, _context: Any) -> None:
    if session.info.get(_WROTE) or not any(isinstance(o, AuditEvent) for o in session.new):
        return
    session.info[_WROTE] = True
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # Delivered to every listener when this transaction commits, and never if it does not.
        connection.exec_driver_sql(f"SELECT pg_notify('{CHANNEL}', '')")


def _after_commit(session: Session) -> None:
    if session.info.pop(_WROTE, False):
        for hub in list(_HUBS):
            hub.poke()


def _after_rollback(session: Session) -> None:
    session.info.pop(_WROTE, None)


def install() -> None:
    """Announce every commit that writes audit events (once per process)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)


# --- The hub: one reader of the trail per process and event loop ------------------------------


class _Closed:
    """Put in a stream's queue when it fell too far behind: it ends, the client resumes."""


CLOSED = _Closed()


@dataclass(eq=False)
class Listener:
    principal: Principal
    queue: "asyncio.Queue[LiveEvent | _Closed]" = field(
        default_factory=lambda: asyncio.Queue(QUEUE_LIMIT)
    )

    def offer(self, e: LiveEvent) -> None:
        if not e.audience.admits(self.principal):
            return
        try:
            self.queue.put_nowait(e)
        except asyncio.QueueFull:
            self.queue = asyncio.Queue(1)
            self.queue.put_nowait(CLOSED)


class Hub:
    def __init__(
        self, database: Database, loop: asyncio.AbstractEventLoop, poll_seconds: float = 2.0
    ) -> None:
        self.database = database
        # A change no NOTIFY announced still arrives within this (settings.live_poll_seconds).
        self.poll_seconds = poll_seconds
        self.loop = loop
        self.listeners: set[Listener] = set()
        self.wake = asyncio.Event()
        self.last_id: int | None = None
        self.task: asyncio.Task[None] | None = None
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        # A meeting's scope as read after one event: read once for every stream that asks.
        self.scopes: dict[tuple[int, int], asyncio.Future[frozenset[str]]] = {}
        _HUBS.add(self)

    async def scope(self, meeting_id: int, as_of: int) -> frozenset[str]:
        """The meeting's scope (meeting_scope) as it stood after event `as_of`: read once,
        however many streams of that meeting ask (500 streams, one read)."""
        key = (meeting_id, as_of)
        found = self.scopes.get(key)
        if found is None or (found.done() and found.exception() is not None):
            found = asyncio.ensure_future(
                run_in_threadpool(meeting_scope, self.database, meeting_id)
            )
            # Only the newest reading of each meeting is kept.
            for old in [k for k in self.scopes if k[0] == meeting_id and k[1] < as_of]:
                del self.scopes[old]
            self.scopes[key] = found
        return await asyncio.shield(found)

    def poke(self) -> None:
        """Read the trail now (from any thread)."""
        try:
            self.loop.call_soon_threadsafe(self.wake.set)
        except RuntimeError:  # the loop is closed: nobody listens here any more
            _HUBS.discard(self)

    def add(self, listener: Listener, read_to: int) -> None:
        """Hand `listener` every event after the point this hub has read to; a hub that was
        idle starts at `read_to` (the trail's end, as the listener read it)."""
        if self.last_id is None:
            self.last_id = read_to
        self.listeners.add(listener)
        if self.task is None or self.task.done():
            self.task = self.loop.create_task(self._run())
        if self.thread is None and self.database.engine.dialect.name == "postgresql":
            self.thread = threading.Thread(
                target=self._listen, name="zerodraft-live-listen", daemon=True
            )
            self.thread.start()

    def remove(self, listener: Listener) -> None:
        self.listeners.discard(listener)

    async def _run(self) -> None:
        while not self.stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), self.poll_seconds)
            self.wake.clear()
            if not self.listeners:
                self.last_id = None  # nobody to read for: start again from the head
                continue
            try:
                await self._read()
            except Exception:
                log.exception("reading live events failed; trying again")

    async def _read(self) -> None:
        if self.last_id is None:
            self.last_id = await run_in_threadpool(head, self.database)
        while True:
            batch = await run_in_threadpool(read_events, self.database, self.last_id)
            for e in batch.events:
                for listener in list(self.listeners):
                    listener.offer(e)
            self.last_id = batch.last
            if not batch.full:
                return

    def _listen(self) -> None:
        """LISTEN on a connection of its own (never one of the pool's), poking on each NOTIFY."""
        import psycopg  # PostgreSQL only

        url = self.database.engine.url.set(drivername="postgresql")
        conninfo = url.render_as_string(hide_password=False)
        while not self.stopping.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.poke()  # whatever was missed while not listening
                    while not self.stopping.is_set():
                        for _ in conn.notifies(timeout=1.0, stop_after=1):
                            self.poke()
            except psycopg.Error as exc:
                log.warning("live events: LISTEN connection lost (%s); polling meanwhile", exc)
                self.stopping.wait(2.0)

    def stop(self) -> None:
        self.stopping.set()
        if self.task is not None:
            self.task.cancel()
        _HUBS.discard(self)


def hub_for(request: Request) -> Hub:
    loop = asyncio.get_running_loop()
    hubs: dict[int, Hub] | None = getattr(request.app.state, "live_hubs", None)
    if hubs is None:
        hubs = request.app.state.live_hubs = {}
    hub = hubs.get(id(loop))
    if hub is None or hub.loop is not loop:
        state = request.app.state
        hub = hubs[id(loop)] = Hub(state.database, loop, state.settings.live_poll_seconds)
    return hub


def stop_all(state: Any) -> None:
    for hub in (getattr(state, "live_hubs", None) or {}).values():
        hub.stop()


# --- A stream ---------------------------------------------------------------------------------


def _after(last_event_id: str | None) -> int | None:
    value = (last_event_id or "").strip()
    return int(value) if is_id(value) else None


def _reset(after: int, now_at: int) -> str:
    data = {"id": now_at, "type": "reset", "ref": "", "items": [], "meeting": None}
    data |= {"skipped_after": after}
    return f"id: {now_at}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


async def _events(
    request: Request, principal: Principal, after: int | None, meeting_id: int | None
) -> AsyncIterator[str]:
    hub = hub_for(request)
    database = hub.database
    listener = Listener(principal)
    getting: asyncio.Future[LiveEvent | _Closed] | None = None
    # The client going away ends the stream at once, not at the next keep-alive.
    gone = asyncio.ensure_future(_disconnected(request))
    try:
        yield "retry: 1000\n\n"
        # The trail's end now. The hub hands over what comes after the point it has read to
        # (at least this); what lies between `after` and that point is read here, so the
        # two overlap and nothing falls between them (repeats are dropped by id).
        now_at = await run_in_threadpool(head, database)
        if after is None or after > now_at:
            # No id, or one beyond the trail's end (a client that saw a database since restored
            # from a backup): from now on, instead of waiting for ids that will never come.
            after = now_at
            yield f": from {after}\n\n"
        elif now_at - after > CATCH_UP_LIMIT:
            yield _reset(after, now_at)
            after = now_at
        hub.add(listener, now_at)
        scope: frozenset[str] = frozenset()
        if meeting_id is not None:
            scope = await hub.scope(meeting_id, now_at)

        def wanted(e: LiveEvent) -> bool:
            if meeting_id is None:
                return True
            return e.meeting == meeting_id or e.ref in scope or bool(scope.intersection(e.items))

        while True:  # catch up from the client's last event, batch by batch
            batch = await run_in_threadpool(read_events, database, after)
            for e in batch.events:
                if e.audience.admits(principal) and wanted(e):
                    yield e.sse()
            after = batch.last
            if not batch.full:
                break
        checked = _recheck_from()
        # A stream lives so long, then ends; the browser reconnects with Last-Event-ID and misses
        # nothing. Behind a balancer the streams so spread again over the instances, and an
        # instance being replaced is left by its streams within that time.
        ends = time.monotonic() + request.app.state.settings.live_stream_seconds
        while True:
            left = ends - time.monotonic()
            if left <= 0:
                return
            getting = asyncio.ensure_future(listener.queue.get())
            done, _ = await asyncio.wait(
                {getting, gone},
                timeout=min(KEEPALIVE_SECONDS, left),
                return_when=asyncio.FIRST_COMPLETED,
            )
            if gone in done:
                return
            if getting not in done and time.monotonic() >= ends:
                return
            if time.monotonic() - checked >= RECHECK_SECONDS or getting not in done:
                now_principal = await run_in_threadpool(reader_now, database, request, meeting_id)
                if now_principal is None:
                    return
                principal = listener.principal = now_principal
                checked = _recheck_from()
            if getting not in done:
                getting.cancel()
                yield ": keep-alive\n\n"
                continue
            got = getting.result()
            if isinstance(got, _Closed):
                return
            if got.id <= after or not got.audience.admits(principal):
                continue
            after = got.id
            if meeting_id is not None and got.meeting == meeting_id:
                scope = await hub.scope(meeting_id, got.id)
            if wanted(got):
                yield got.sse()
    finally:
        gone.cancel()
        if getting is not None:
            getting.cancel()
        hub.remove(listener)


def reader_now(database: Database, request: Request, meeting_id: int | None) -> Principal | None:
    """The stream's reader as the database says now; None if they may no longer read it (the
    session ended, the token was revoked, the person disabled, the meeting no longer theirs)."""
    app = request.app
    with database.transaction(write=False) as s:
        try:
            principal = authenticate(request, s, app.state.clock(), app.state.settings)
            if meeting_id is not None:
                service.get(s, principal, meeting_id)
        except (NotAuthenticated, NotFound):
            return None
    return principal if allowed(principal.role, Action.READ_MEETINGS) else None


def _recheck_from() -> float:
    """When the reader was last looked up, for the next look-up's timing: now, less up to half
    the interval, so that streams opened together (a meeting's start, a reconnect) fall due at
    different events instead of all at one (500 look-ups queued behind the thread pool), and
    none waits longer than RECHECK_SECONDS."""
    return time.monotonic() - random.uniform(0, RECHECK_SECONDS / 2)


async def _disconnected(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass


def stream(
    request: Request, principal: Principal, last_event_id: str | None, *, meeting_id: int | None
) -> StreamingResponse:
    """The events `principal` may see, from after `last_event_id` (else from now on). The
    request's own database session has ended before the first byte is sent (DbRoute)."""
    after = _after(last_event_id or request.query_params.get("last_event_id"))
    return StreamingResponse(
        _events(request, principal, after, meeting_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
