"""Sixteen delegations submit proposals and positions on one indicator at the same moment, and
two secretariat officers decide the same proposal at the same moment: every input is recorded
exactly once and exactly one decision wins. Real HTTP against uvicorn, on both engines."""

import threading
from collections.abc import Callable

import httpx
from sqlalchemy import func, select

from app.db import Database
from app.models import AuditEvent, Position, Proposal, Revision, Role
from tests.factories import World, bearer, make_delegation, make_user, token_for
from tests.helpers import Clock

DELEGATIONS = 16


def _all_at_once(workers: list[Callable[[], int]]) -> list[int]:
    start = threading.Barrier(len(workers))
    results: list[int] = []
    lock = threading.Lock()

    def run(work: Callable[[], int]) -> None:
        start.wait()
        code = work()
        with lock:
            results.append(code)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_simultaneous_inputs_and_decisions(
    live_server: str, world: World, database: Database, clock: Clock
) -> None:
    with database.transaction() as s:
        for n in range(DELEGATIONS):
            make_delegation(s, (f"Z{n:02d}", f"State {n}"), ("SOMTC", "SOMTC"))
            make_user(s, f"m{n}@asean.test", Role.MEMBER, f"Z{n:02d}-SOMTC", now=clock.now)
    tokens = [token_for(database, f"m{n}@asean.test", clock.now) for n in range(DELEGATIONS)]

    def propose(n: int) -> Callable[[], int]:
        def work() -> int:
            with httpx.Client(base_url=live_server, headers=bearer(tokens[n]), timeout=60) as http:
                proposal = http.post(
                    "/api/v1/proposals",
                    json={
                        "kind": "amend",
                        "targets": ["FC-CD-01"],
                        "content": {"text": f"Passport taken, wording {n}"},
                        "submit": True,
                    },
                )
                position = http.post(
                    "/api/v1/positions",
                    json={"item": "FC-CD-01", "stance": "support", "statement": f"from {n}"},
                )
                return 200 if (proposal.status_code, position.status_code) == (201, 201) else 500

        return work

    results = _all_at_once([propose(n) for n in range(DELEGATIONS)])
    assert results == [200] * DELEGATIONS
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Proposal)) == DELEGATIONS
        assert s.scalar(select(func.count()).select_from(Position)) == DELEGATIONS
        texts = {p["text"] for p in s.scalars(select(Proposal.content))}
        assert len(texts) == DELEGATIONS
        submitted = s.scalar(select(func.count()).where(AuditEvent.action == "proposal.submit"))
        assert submitted == DELEGATIONS

    officers = [token_for(database, e, clock.now) for e in (world.secretariat, world.secretariat2)]
    with httpx.Client(base_url=live_server, headers=bearer(officers[0])) as http:
        etag = http.get("/api/v1/proposals/1").headers["etag"]

    def decide(token: str) -> Callable[[], int]:
        def work() -> int:
            with httpx.Client(base_url=live_server, headers=bearer(token), timeout=60) as http:
                return http.post(
                    "/api/v1/proposals/1/decision",
                    json={"outcome": "agreed", "reason": "Consensus", "acknowledged": True},
                    headers={"If-Match": etag},
                ).status_code

        return work

    decisions = _all_at_once([decide(t) for t in officers])
    assert sorted(decisions)[0] == 200
    assert sorted(decisions)[1] in (409, 412)
    with database.transaction(write=False) as s:
        applied = s.scalars(select(Revision).where(Revision.proposal_id == 1)).all()
        assert len(applied) == 1
        decided = s.scalar(
            select(func.count()).where(AuditEvent.action == "proposal.decide.agreed")
        )
        assert decided == 1
