"""A meeting day in miniature: 32 people at once against uvicorn with two workers on PostgreSQL,
for ZERODRAFT_LOAD_SECONDS (30 by default). Delegates read the register, indicators, proposals,
comments and the round, and propose, comment and take positions; secretariat officers decide
proposals and edit one indicator, all with If-Match. Afterwards: no 5xx, every acknowledged
write is in the database exactly once and nothing else is, no update was lost, and the audit
chain verifies with no fork. Run with -s to see the figures."""

import os
import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from app.db import Database
from app.models import Item, Position, Role
from tests.factories import World, bearer, make_delegation, make_user, token_for
from tests.helpers import ENGINE, Clock
from tests.servers import (
    READS,
    Ledger,
    Person,
    Server,
    check_database,
    member_step,
    migrated_database,
    seed,
    tokens,
)

SECONDS = float(os.environ.get("ZERODRAFT_LOAD_SECONDS", "30"))
DELEGATIONS = 11  # two members each: 22 delegates
DECIDERS = 4
EDITORS = 4
READERS = 2  # the chair and an observer
EDITED = "FC-CD-02"

Step = Callable[[Person, random.Random], None]


def _people(url: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(email, delegation) of each delegate, and the secretariat officers."""
    now = datetime.now(UTC)
    database = Database(url)
    delegates: list[tuple[str, str]] = []
    officers: list[str] = []
    try:
        with database.transaction() as s:
            for n in range(DELEGATIONS):
                code = f"Z{n:02d}"
                make_delegation(s, (code, f"State {n}"), ("SOMTC", "SOMTC"))
                for seat in "ab":
                    email = f"m{n}{seat}@asean.test"
                    make_user(s, email, Role.MEMBER, f"{code}-SOMTC", now=now)
                    delegates.append((email, f"{code}-SOMTC"))
            for n in range(DECIDERS + EDITORS):
                email = f"officer{n}@asean.test"
                make_user(s, email, Role.SECRETARIAT, now=now)
                officers.append(email)
    finally:
        database.dispose()
    return delegates, officers


@pytest.mark.postgres
def test_thirty_two_people_for_thirty_seconds(tmp_path: Path) -> None:
    with migrated_database(tmp_path, "load") as url:
        seeded = seed(url, extra_indicators=12)
        codes = [c for c in seeded.indicators if c != EDITED]
        delegates, officers = _people(url)
        readers = [seeded.world.chair, seeded.world.observer]
        keys = tokens(url, [e for e, _ in delegates] + officers + readers)
        assert len(delegates) + len(officers) + len(readers) == 32

        server = Server(url, tmp_path, workers=2)
        server.start()
        ledger = Ledger()
        proposals: list[int] = []
        start = threading.Barrier(32, timeout=120)
        deadline = 0.0

        def run(email: str, name: str, step: Step) -> None:
            person = Person(server.url, keys[email], ledger, name)
            rng = random.Random(name)
            start.wait()
            try:
                while time.monotonic() < deadline:
                    step(person, rng)
            finally:
                person.close()

        def read(person: Person, rng: random.Random) -> None:
            label = rng.choice(list(READS))
            person.call(label, "GET", READS[label].format(code=rng.choice(codes)))

        def decide(person: Person, rng: random.Random) -> None:
            if rng.random() < 0.5 or not proposals:
                read(person, rng)
            else:
                person.decide(rng.choice(proposals[-30:]))

        def edit(person: Person, rng: random.Random) -> None:
            if rng.random() < 0.5:
                read(person, rng)
            else:
                person.edit(EDITED)

        def delegate(delegation: str) -> Step:
            return lambda person, rng: member_step(
                person, rng, codes, proposals, delegation=delegation
            )

        threads = [
            threading.Thread(target=run, args=(email, f"d{n}", delegate(delegation)))
            for n, (email, delegation) in enumerate(delegates)
        ]
        threads += [
            threading.Thread(target=run, args=(email, f"s{n}", decide if n < DECIDERS else edit))
            for n, email in enumerate(officers)
        ]
        threads += [
            threading.Thread(target=run, args=(email, f"r{n}", read))
            for n, email in enumerate(readers)
        ]
        try:
            deadline = time.monotonic() + SECONDS
            began = time.monotonic()
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=SECONDS + 120)
            elapsed = time.monotonic() - began
            assert not any(t.is_alive() for t in threads), "a client never finished"
        finally:
            server.stop()

        assert ledger.transport_errors == []
        # The server's log says why a request failed (a 503 is logged as "database unavailable").
        assert ledger.server_errors == [], (ledger.server_errors[:5], server.log()[-3000:])
        assert "Traceback" not in server.log(), server.log()[-3000:]
        written = check_database(url, ledger)
        database = Database(url)
        try:
            with database.transaction(write=False) as s:
                edits = s.query(Item).filter_by(code=EDITED).one().version - 1
                # Concurrent editors with If-Match: each acknowledged save is one revision.
                assert edits == len(
                    [a for a in ledger.of("revision") if a.key.startswith(f"{EDITED}#")]
                )
        finally:
            database.dispose()

        writes = len(ledger.acked)
        kinds = {a.kind for a in ledger.acked.values()}
        assert kinds == {"proposal", "comment", "position", "revision", "decision"}, kinds
        by_label: dict[str, dict[int, int]] = {}
        for (label, status), n in sorted(ledger.statuses.items()):
            by_label.setdefault(label, {})[status] = n
        print(
            f"\nload on {ENGINE}, uvicorn --workers 2, 32 clients, {elapsed:.1f} s: "
            f"{ledger.requests} requests ({ledger.requests / elapsed:.0f} req/s), "
            f"{writes} acknowledged writes ({writes / elapsed:.1f}/s), "
            f"p50 {ledger.percentile(0.5) * 1000:.0f} ms, "
            f"p99 {ledger.percentile(0.99) * 1000:.0f} ms"
        )
        for label, statuses in by_label.items():
            shown = ", ".join(f"{status}: {n}" for status, n in statuses.items())
            p50, p99 = (ledger.percentile(p, label) * 1000 for p in (0.5, 0.99))
            print(f"  {label:<16} p50 {p50:5.0f} ms  p99 {p99:5.0f} ms  {shown}")
        print(
            f"  database: {written.proposals} proposals, {written.comments} comments, "
            f"{written.positions} positions, {written.revisions} revisions "
            f"({edits} by concurrent edits of {EDITED}), "
            f"{written.decisions} decisions, {written.events} audit events, chain verified"
        )


def test_members_of_one_delegation_answering_at_once_leave_one_current_position(
    live_server: str, world: World, database: Database, clock: Clock
) -> None:
    """Found by the load test: two members of one delegation taking a position on the same
    indicator at the same moment both stayed current on PostgreSQL."""
    members = [world.member2] + [f"id{n}@asean.test" for n in range(3)]
    with database.transaction() as s:
        for email in members[1:]:
            make_user(s, email, Role.MEMBER, "ID-AICHR", now=clock.now)
    heads = [bearer(token_for(database, email, clock.now)) for email in members]
    start = threading.Barrier(len(members), timeout=60)
    codes: list[int] = []
    lock = threading.Lock()

    def member(n: int) -> None:
        with httpx.Client(base_url=live_server, headers=heads[n], timeout=60) as http:
            for attempt in range(5):
                start.wait()
                code = http.post(
                    "/api/v1/positions",
                    json={
                        "item": world.indicator,
                        "stance": "support",
                        "statement": f"{n}/{attempt}",
                    },
                ).status_code
                with lock:
                    codes.append(code)

    threads = [threading.Thread(target=member, args=(n,)) for n in range(len(members))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert codes == [201] * 5 * len(members)
    with database.transaction(write=False) as s:
        rows = s.execute(select(Position.superseded_at)).all()
        assert len(rows) == len(codes)
        assert sum(1 for r in rows if r.superseded_at is None) == 1
