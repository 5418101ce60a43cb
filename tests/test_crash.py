"""The server is killed with SIGKILL in the middle of a burst of writes and started again on the
same database: every write a client was told about is there exactly once, a write whose answer
was lost is there once or not at all, nothing is half-written, the schema is at head and the
audit chain verifies. Real uvicorn in a subprocess, on both engines."""

import random
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from alembic.script import ScriptDirectory

from app import migrate
from tests.helpers import ENGINE, alembic_config
from tests.servers import (
    Ledger,
    Lost,
    Person,
    Server,
    check_database,
    member_step,
    migrated_database,
    seed,
    tokens,
)

EDITED = "FC-CD-02"
BURST_LIMIT_SECONDS = 15
WRITES_BEFORE_KILL = 40


def _enough(ledger: Ledger) -> bool:
    with ledger.lock:
        kinds = Counter(a.kind for a in ledger.acked.values())
    return sum(kinds.values()) >= WRITES_BEFORE_KILL and all(
        kinds[k] >= 3 for k in ("proposal", "comment", "position", "revision")
    )


def test_sigkill_in_a_write_burst_loses_nothing_acknowledged(tmp_path: Path) -> None:
    with migrated_database(tmp_path, "crash") as url:
        seeded = seed(url, extra_indicators=3)
        world = seeded.world
        codes = [c for c in seeded.indicators if c != EDITED]
        keys = tokens(
            url, [world.member, world.member2, world.member3, world.secretariat, world.secretariat2]
        )
        server = Server(url, tmp_path)
        server.start()
        try:
            ledger = Ledger()
            proposals: list[int] = []
            stop = threading.Event()
            crashed = threading.Event()

            def delegate(email: str, name: str, delegation: str | None, seed_: int) -> None:
                person = Person(server.url, keys[email], ledger, name)
                rng = random.Random(seed_)
                try:
                    while not stop.is_set():
                        member_step(person, rng, codes, proposals, delegation=delegation, reads=0)
                except Lost:
                    assert crashed.is_set(), "a request failed before the server was killed"
                finally:
                    person.close()

            def editor() -> None:
                person = Person(server.url, keys[world.secretariat], ledger, "edit")
                try:
                    while not stop.is_set():
                        person.edit(EDITED)
                except Lost:
                    assert crashed.is_set()
                finally:
                    person.close()

            def decider() -> None:
                person = Person(server.url, keys[world.secretariat2], ledger, "decide")
                rng = random.Random(7)
                try:
                    while not stop.is_set():
                        if proposals:
                            person.decide(rng.choice(proposals[-10:]))
                        else:
                            time.sleep(0.01)
                except Lost:
                    assert crashed.is_set()
                finally:
                    person.close()

            threads = [
                threading.Thread(target=delegate, args=(world.member, "ph", "PH-SOMTC", 1)),
                threading.Thread(target=delegate, args=(world.member2, "id", None, 2)),
                threading.Thread(target=delegate, args=(world.member3, "th", None, 3)),
                threading.Thread(target=editor),
                threading.Thread(target=decider),
            ]
            for t in threads:
                t.start()
            # Kill once every kind of write has been acknowledged a few times (the machine may
            # be slow), while the burst goes on.
            until = time.monotonic() + BURST_LIMIT_SECONDS
            while time.monotonic() < until and not _enough(ledger):
                time.sleep(0.05)
            crashed.set()
            server.kill()
            stop.set()
            for t in threads:
                t.join(timeout=30)
            assert not any(t.is_alive() for t in threads)
            acked_before = len(ledger.acked)
            kinds = {a.kind for a in ledger.acked.values()}
            assert {"proposal", "comment", "position", "revision"} <= kinds, ledger.statuses
            assert ledger.server_errors == []

            server.start()
            with httpx.Client(base_url=server.url) as http:
                assert http.get("/healthz").status_code == 200
            # The restarted server takes writes again.
            after = Person(server.url, keys[world.member2], ledger, "after")
            assert after.propose(codes[0]) is not None
            after.close()
            server.stop()
            assert "Traceback" not in server.log(), server.log()[-3000:]

            written = check_database(url, ledger)
            head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
            assert migrate.current_revision(url) == head
            print(
                f"\ncrash on {ENGINE}: {ledger.requests} answered requests, "
                f"{acked_before} acknowledged writes before SIGKILL, "
                f"{len(ledger.in_doubt)} in flight when killed "
                f"({written.in_doubt_present} of them had committed); database holds "
                f"{written.proposals} proposals, {written.comments} comments, "
                f"{written.positions} positions, {written.revisions} revisions, "
                f"{written.decisions} decisions, {written.events} audit events (chain verified)"
            )
        finally:
            server.stop()
