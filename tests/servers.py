"""Real servers for the load and fault tests: zerodraft under uvicorn in a subprocess of its own
(so that it can be killed with SIGKILL like a crashed host would kill it), a TCP proxy that can
cut the app off from PostgreSQL without touching the machine's PostgreSQL, and the scratch
databases and seed data those tests start from."""

import os
import random
import re
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from alembic import command
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.service import Actor, verify_chain
from app.db import Database
from app.models import (
    AuditEvent,
    Comment,
    Item,
    ItemKind,
    Position,
    Proposal,
    ProposalTarget,
    Revision,
    RoundKind,
)
from app.rounds import service as rounds
from tests.factories import World, build_world, make_indicator, token_for
from tests.helpers import ENGINE, alembic_config, free_port, scratch_database

SECRET = "load-and-fault-tests-secret-key-0123456789"
ROUND = "DWG-FC/LD"


@contextmanager
def migrated_database(tmp_path: Path, name: str) -> Iterator[str]:
    """An empty database of the engine under test, built through the migrations: a SQLite file,
    or a PostgreSQL database of this test's own beside the configured one."""
    if ENGINE == "postgresql":
        for url in scratch_database(name):
            command.upgrade(alembic_config(url), "head")
            yield url
        return
    url = f"sqlite:///{tmp_path / f'{name}.sqlite3'}"
    command.upgrade(alembic_config(url), "head")
    yield url


@dataclass
class Seed:
    world: World
    indicators: list[str]


def seed(url: str, extra_indicators: int = 0) -> Seed:
    """The factories' small working group, a few more indicators, and an open round."""
    now = datetime.now(UTC)
    database = Database(url)
    try:
        world = build_world(database, now)
        with database.transaction() as s:
            for n in range(extra_indicators):
                make_indicator(s, "DR" if n % 2 else "CD", f"Load indicator {n} text", now=now)
            system = Actor.system("seed")
            rounds.create_round(
                s,
                system,
                symbol=ROUND,
                title="Load round",
                kind=RoundKind.NEGOTIATION,
                time_zone="Asia/Jakarta",
                deadline=None,
                opens_at=None,
                instructions="",
                observers_may_comment=False,
                now=now,
            )
            rounds.open_round(s, system, ROUND, now=now)
        with database.transaction(write=False) as s:
            codes = list(
                s.scalars(
                    select(Item.code).where(Item.kind == ItemKind.INDICATOR).order_by(Item.id)
                )
            )
    finally:
        database.dispose()
    return Seed(world, codes)


def tokens(url: str, emails: list[str]) -> dict[str, str]:
    database = Database(url)
    try:
        return {email: token_for(database, email, datetime.now(UTC)) for email in emails}
    finally:
        database.dispose()


class Server:
    """`uvicorn app.main:create_app --factory` in its own process group, on 127.0.0.1."""

    def __init__(
        self,
        database_url: str,
        log_dir: Path,
        *,
        workers: int = 1,
        env: dict[str, str] | None = None,
    ) -> None:
        self.database_url = database_url
        self.env = env or {}
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"uvicorn-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, timeout: float = 60) -> None:
        env = (
            os.environ
            | {
                "ZERODRAFT_DATABASE_URL": self.database_url,
                "ZERODRAFT_MODE": "test",
                "ZERODRAFT_SECRET_KEY": SECRET,
                "ZERODRAFT_DATA_DIR": str(self.log_path.parent),
            }
            | self.env
        )
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"--- start {self.starts}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "app.main:create_app",
                    "--factory",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--workers",
                    str(self.workers),
                    "--log-level",
                    "warning",
                    "--no-access-log",
                ],
                cwd=self.log_path.parent,  # away from any .env file in the checkout
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: SIGKILL reaches every worker
            )
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        ready = 0
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {self.process.returncode}:\n{self.log()}")
            try:
                # With several workers, ask a few times so that more than one has started.
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    ready += 1
                    if ready >= 2 * self.workers:
                        return
                    continue
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"uvicorn did not answer /healthz in {timeout} s:\n{self.log()}")

    def kill(self) -> None:
        """What a crash, an OOM kill or a pulled plug does to the process: no clean-up."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a database server. `cut()` drops every connection and
    refuses new ones, as a database that went away does; `blackhole()` accepts connections but
    never answers, as an unreachable host does; `restore()` forwards again, on the same port."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = free_port()
        self.mode = "forward"
        self._listener: socket.socket | None = None
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._held: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stopping = False
        self._wake_r, self._wake_w = socket.socketpair()
        self._thread = threading.Thread(target=self._run, name="tcp-proxy", daemon=True)

    def __enter__(self) -> "TcpProxy":
        self._listen()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stopping = True
        self._wake()
        self._thread.join(timeout=5)
        self._drop_all()
        if self._listener is not None:
            self._listener.close()
        self._wake_r.close()
        self._wake_w.close()

    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.setblocking(False)
        self._listener = listener

    def _wake(self) -> None:
        self._wake_w.send(b"x")

    def _drop_all(self) -> None:
        with self._lock:
            for a, b in self._pairs:
                for s in (a, b):
                    with suppress(OSError):
                        s.shutdown(socket.SHUT_RDWR)
                    s.close()
            for s in self._held:
                s.close()
            self._pairs.clear()
            self._held.clear()

    def cut(self) -> None:
        with self._lock:
            self.mode = "cut"
            if self._listener is not None:
                self._listener.close()  # new connections: refused
                self._listener = None
        self._drop_all()
        self._wake()

    def blackhole(self) -> None:
        with self._lock:
            self.mode = "blackhole"
            if self._listener is None:
                self._listen()
        self._drop_all()
        self._wake()

    def restore(self) -> None:
        with self._lock:
            self.mode = "forward"
            if self._listener is None:
                self._listen()
            for s in self._held:
                s.close()
            self._held.clear()
        self._wake()

    def _run(self) -> None:
        while not self._stopping:
            selector = selectors.DefaultSelector()
            selector.register(self._wake_r, selectors.EVENT_READ, "wake")
            with self._lock:
                if self._listener is not None:
                    selector.register(self._listener, selectors.EVENT_READ, "accept")
                for a, b in self._pairs:
                    selector.register(a, selectors.EVENT_READ, b)
                    selector.register(b, selectors.EVENT_READ, a)
            for key, _ in selector.select(timeout=0.5):
                if key.data == "wake":
                    self._wake_r.recv(1024)
                elif key.data == "accept":
                    self._accept(key.fileobj)  # type: ignore[arg-type]
                else:
                    self._pump(key.fileobj, key.data)  # type: ignore[arg-type]
            selector.close()

    def _accept(self, listener: socket.socket) -> None:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        with self._lock:
            if self.mode == "blackhole":
                self._held.append(client)
                return
        try:
            upstream = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            client.close()
            return
        client.setblocking(True)
        upstream.setblocking(True)
        with self._lock:
            self._pairs.append((client, upstream))

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            data = source.recv(65536)
            if data:
                target.sendall(data)
                return
        except OSError:
            pass
        with self._lock:
            self._pairs = [p for p in self._pairs if source not in p]
        for s in (source, target):
            with suppress(OSError):
                s.close()


# --- Traffic with a ledger of acknowledgements ---------------------------------------------


@dataclass
class Ack:
    kind: str  # proposal, comment, position, revision, decision
    key: str  # the id the server returned (or code/number, or proposal/outcome)
    rid: str


@dataclass
class Ledger:
    """What the clients were told: every acknowledged write (by the X-Request-ID it was sent
    with, which the server stores on its audit events and the test puts in the written text),
    and the writes whose answer never came back (in doubt: present once or not at all)."""

    acked: dict[str, Ack] = field(default_factory=dict)
    in_doubt: set[str] = field(default_factory=set)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    latencies: list[tuple[str, float]] = field(default_factory=list)  # (label, seconds)
    transport_errors: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ack(self, kind: str, key: object, rid: str) -> None:
        with self.lock:
            assert rid not in self.acked, f"request id {rid} acknowledged twice"
            self.acked[rid] = Ack(kind, str(key), rid)

    def of(self, kind: str) -> list[Ack]:
        return [a for a in self.acked.values() if a.kind == kind]

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    def percentile(self, p: float, label: str | None = None) -> float:
        ordered = sorted(t for name, t in self.latencies if label in (None, name))
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


class Lost(Exception):
    """The connection failed: the server may or may not have done the write."""


class Person:
    """Someone using the API with a personal token; every call is logged in the ledger."""

    def __init__(self, base_url: str, token: str, ledger: Ledger, name: str) -> None:
        self.http = httpx.Client(
            base_url=f"{base_url}/api/v1",
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(60, connect=10),
        )
        self.ledger = ledger
        self.name = name
        self.seq = 0

    def close(self) -> None:
        self.http.close()

    def rid(self) -> str:
        self.seq += 1
        return f"zd-{self.name}-{self.seq}"

    def call(
        self, label: str, method: str, path: str, *, rid: str | None = None, **kw: Any
    ) -> httpx.Response:
        headers = dict(kw.pop("headers", {}))
        if rid:
            headers["X-Request-ID"] = rid
        started = time.perf_counter()
        try:
            response = self.http.request(method, path, headers=headers, **kw)
        except httpx.TransportError as exc:
            with self.ledger.lock:
                self.ledger.transport_errors.append(f"{label} {path}: {exc!r}")
                if rid:
                    self.ledger.in_doubt.add(rid)
            raise Lost(label) from exc
        elapsed = time.perf_counter() - started
        with self.ledger.lock:
            self.ledger.statuses[(label, response.status_code)] += 1
            self.ledger.latencies.append((label, elapsed))
            if rid and response.status_code == 503:
                # The commit itself may have been what failed: done or not, nobody knows.
                self.ledger.in_doubt.add(rid)
            if response.status_code >= 500:
                self.ledger.server_errors.append(
                    f"{label} {method} {path} -> {response.status_code}: {response.text[:300]}"
                )
        return response

    # Writes. Each puts its request id in the text it writes, so that the database can be
    # searched for every write a client asked for, acknowledged or not.

    def propose(self, code: str, delegation: str | None = None) -> int | None:
        rid = self.rid()
        body: dict[str, Any] = {
            "kind": "amend",
            "targets": [code],
            "content": {"text": f"Amended wording {rid}"},
            "rationale": "Clearer",
            "submit": True,
        }
        if delegation:
            body["delegation"] = delegation
        r = self.call("propose", "POST", "/proposals", rid=rid, json=body)
        if r.status_code == 201:
            self.ledger.ack("proposal", r.json()["id"], rid)
            return int(r.json()["id"])
        return None

    def comment(self, code: str, delegation: str | None = None) -> None:
        rid = self.rid()
        body: dict[str, Any] = {"item": code, "body": f"Comment {rid}"}
        if delegation:
            body["delegation"] = delegation
        r = self.call("comment", "POST", "/comments", rid=rid, json=body)
        if r.status_code == 201:
            self.ledger.ack("comment", r.json()["id"], rid)

    def position(
        self,
        stance: str,
        *,
        item: str | None = None,
        proposal_id: int | None = None,
        delegation: str | None = None,
    ) -> None:
        rid = self.rid()
        body: dict[str, Any] = {"stance": stance, "statement": f"Position {rid}"}
        body |= {"item": item} if item else {"proposal_id": proposal_id}
        if delegation:
            body["delegation"] = delegation
        r = self.call("position", "POST", "/positions", rid=rid, json=body)
        if r.status_code == 201:
            self.ledger.ack("position", rid, rid)

    def edit(self, code: str) -> None:
        current = self.call("read indicator", "GET", f"/indicators/{code}")
        if current.status_code != 200:
            return
        rid = self.rid()
        r = self.call(
            "edit",
            "PATCH",
            f"/indicators/{code}",
            rid=rid,
            json={"text": f"Edited wording {rid}", "reason": f"Edit {rid}"},
            headers={"If-Match": current.headers["etag"]},
        )
        if r.status_code == 200:
            self.ledger.ack("revision", f"{code}#{r.json()['revision']}", rid)

    def decide(self, proposal_id: int) -> None:
        current = self.call("read proposal", "GET", f"/proposals/{proposal_id}")
        if current.status_code != 200 or current.json()["state"] != "submitted":
            return
        outdated = current.json()["outdated"]
        outcome = "not_retained" if outdated else "agreed"
        rid = self.rid()
        r = self.call(
            "decide",
            "POST",
            f"/proposals/{proposal_id}/decision",
            rid=rid,
            json={"outcome": outcome, "reason": f"Decision {rid}", "acknowledged": True},
            headers={"If-Match": current.headers["etag"]},
        )
        if r.status_code == 200:
            self.ledger.ack("decision", f"{proposal_id}:{outcome}", rid)


READS = {
    "read register": "/indicators",
    "read indicator": "/indicators/{code}",
    "read proposals": "/proposals?item={code}",
    "read comments": "/comments?item={code}",
    "read round": f"/rounds/{ROUND}",
}


def member_step(
    person: Person,
    rng: random.Random,
    codes: Sequence[str],
    proposals: list[int],
    *,
    delegation: str | None = None,
    reads: float = 0.6,
) -> None:
    """One thing a delegate does: mostly reading; else proposing, commenting or taking a
    position on an indicator or on a recent proposal."""
    code = rng.choice(codes)
    if rng.random() < reads:
        label = rng.choice(list(READS))
        person.call(label, "GET", READS[label].format(code=code))
        return
    roll = rng.random()
    if roll < 0.35:
        proposal_id = person.propose(code, delegation)
        if proposal_id is not None:
            proposals.append(proposal_id)
    elif roll < 0.65:
        person.comment(code, delegation)
    else:
        stance = rng.choice(("support", "support", "support", "reservation"))
        if roll < 0.8 or not proposals:
            person.position(stance, item=code, delegation=delegation)
        else:
            recent = proposals[-20:]
            person.position(stance, proposal_id=rng.choice(recent), delegation=delegation)


# --- What the database must hold afterwards ------------------------------------------------

_RID = re.compile(r"zd-[A-Za-z0-9]+-\d+")


def _rid_in(text: str | None) -> str | None:
    match = _RID.search(text or "")
    return match.group(0) if match else None


@dataclass
class Written:
    proposals: int
    comments: int
    positions: int
    revisions: int
    decisions: int
    events: int
    in_doubt_present: int  # writes whose answer was lost but which committed


def check_database(url: str, ledger: Ledger, *, database: Database | None = None) -> Written:
    """Every acknowledged write is there exactly once; nothing is there that no client was told
    about (unless its answer was lost); nothing is half-written; the audit chain verifies.
    `database`: one opened with the servers' audit key (app.audit.guard.open_database), for
    servers in production mode; by default the development key's."""
    if database is not None:
        with database.transaction(write=False) as s:
            return _check(s, ledger)
    database = Database(url)
    try:
        with database.transaction(write=False) as s:
            return _check(s, ledger)
    finally:
        database.dispose()


def _found(kind: str, rows: list[tuple[str | None, str]], ledger: Ledger) -> set[str]:
    """The request ids of the rows written by the clients; fails on a missing acknowledged
    write, on a duplicate, and on a write that no client was told about."""
    seen: dict[str, str] = {}
    for rid, key in rows:
        if rid is None:
            continue
        assert rid not in seen, f"{kind} written twice for request {rid}: {seen[rid]} and {key}"
        seen[rid] = key
    for ack in ledger.of(kind):
        assert ack.rid in seen, f"acknowledged {kind} {ack.key} (request {ack.rid}) is missing"
        assert seen[ack.rid] == ack.key, (
            f"{kind} of {ack.rid}: told {ack.key}, stored {seen[ack.rid]}"
        )
    extra = sorted(set(seen) - set(ledger.acked) - ledger.in_doubt)
    assert not extra, f"{kind} written but never acknowledged nor lost in transit: {extra[:5]}"
    return set(seen)


def _check(s: Session, ledger: Ledger) -> Written:
    stored: set[str] = set()
    proposals = s.execute(select(Proposal.id, Proposal.content, Proposal.kind)).all()
    stored |= _found(
        "proposal", [(_rid_in(p.content.get("text")), str(p.id)) for p in proposals], ledger
    )
    comments = s.execute(select(Comment.id, Comment.body)).all()
    stored |= _found("comment", [(_rid_in(c.body), str(c.id)) for c in comments], ledger)
    positions = s.execute(
        select(Position.statement, Position.proposal_id, Position.delegation_id)
    ).all()
    # Agreeing a proposal carries its positions to the item's text as it stands (copies with the
    # same statement, recorded by one position.carry event): a client wrote the original only.
    on_proposals = {(p.delegation_id, p.statement) for p in positions if p.proposal_id}
    originals = [
        p for p in positions if p.proposal_id or (p.delegation_id, p.statement) not in on_proposals
    ]
    stored |= _found(
        "position", [(_rid_in(p.statement), _rid_in(p.statement) or "") for p in originals], ledger
    )
    revisions = s.execute(
        select(
            Item.code, Revision.number, Revision.reason, Revision.proposal_id, Revision.item_id
        ).join(Item, Item.id == Revision.item_id)
    ).all()
    stored |= _found(
        "revision",
        [
            (_rid_in(r.reason) if r.proposal_id is None else None, f"{r.code}#{r.number}")
            for r in revisions
        ],
        ledger,
    )
    decided = s.execute(
        select(Proposal.id, Proposal.state, Proposal.decision_reason).where(
            Proposal.decided_at.is_not(None)
        )
    ).all()
    stored |= _found(
        "decision",
        [(_rid_in(d.decision_reason), f"{d.id}:{d.state.value}") for d in decided],
        ledger,
    )

    # Nothing half-written.
    targets = Counter(s.scalars(select(ProposalTarget.proposal_id)))
    for p in proposals:
        assert targets[p.id] == 1, f"proposal {p.id} has {targets[p.id]} targets, not 1"
    events = s.execute(
        select(
            AuditEvent.action,
            AuditEvent.object_type,
            AuditEvent.object_id,
            AuditEvent.revision_after,
            AuditEvent.request_id,
        )
    ).all()
    by_object = Counter((e.action, e.object_id) for e in events)
    for p in proposals:
        assert by_object[("proposal.create", str(p.id))] == 1, f"proposal {p.id}: create event"
        assert by_object[("proposal.submit", str(p.id))] == 1, f"proposal {p.id}: submit event"
    for c in comments:
        assert by_object[("comment.add", str(c.id))] == 1, f"comment {c.id}: no audit event"
    # ... and the support it records for the proposing and co-sponsoring delegations.
    sponsoring = [
        p
        for p in originals
        if not p.proposal_id and re.fullmatch(r"(Proposed|Co-sponsored) P-\d+\.", p.statement)
    ]
    set_events = by_object_total(events, "position.set")
    assert set_events == len(originals) - len(sponsoring), "positions vs their events"
    revised = Counter(
        (e.object_id, e.revision_after)
        for e in events
        if e.object_type == "indicator" and (e.revision_after or 0) > 1
    )
    numbers: dict[int, list[int]] = {}
    for r in revisions:
        numbers.setdefault(r.item_id, []).append(r.number)
        if r.number > 1:
            assert revised[(r.code, r.number)] == 1, f"revision {r.code}#{r.number}: no event"
    assert sum(revised.values()) == sum(1 for r in revisions if r.number > 1)
    versions = {row.id: row.version for row in s.execute(select(Item.id, Item.version))}
    for item_id, found in numbers.items():
        assert sorted(found) == list(range(1, versions[item_id] + 1)), (
            f"item {item_id} at version {versions[item_id]} has revisions {sorted(found)}"
        )
    applied = Counter(r.proposal_id for r in revisions if r.proposal_id is not None)
    decisions = Counter(e.object_id for e in events if e.action.startswith("proposal.decide."))
    for d in decided:
        assert decisions[str(d.id)] == 1, f"proposal {d.id} decided {decisions[str(d.id)]} times"
        agreed = d.state.value in ("agreed", "agreed_modified")
        assert applied[d.id] == (1 if agreed else 0), f"proposal {d.id}: {applied[d.id]} revisions"
    assert len(decisions) == len(decided)
    current = Counter(
        (p.proposal_id, p.item_id, p.delegation_id)
        for p in s.execute(
            select(Position.proposal_id, Position.item_id, Position.delegation_id).where(
                Position.superseded_at.is_(None)
            )
        )
    )
    doubled = [k for k, n in current.items() if n > 1]
    assert not doubled, f"a delegation holds two current positions on one target: {doubled[:5]}"

    # The audit trail: the project's own verifier, and no two events claiming one predecessor.
    count, broken = verify_chain(s)
    assert broken is None, f"audit chain broken at {broken.seq}: {broken.problem}"
    forks = s.execute(
        select(AuditEvent.prev_hash).group_by(AuditEvent.prev_hash).having(func.count() > 1)
    ).all()
    assert not forks, f"audit chain forks: {forks[:3]}"
    assert count == len(events)
    return Written(
        proposals=len(proposals),
        comments=len(comments),
        positions=len(positions),
        revisions=len(revisions),
        decisions=len(decided),
        events=count,
        in_doubt_present=len(stored & ledger.in_doubt),
    )


def by_object_total(events: Sequence[Any], action: str) -> int:
    return sum(1 for e in events if e.action == action)
