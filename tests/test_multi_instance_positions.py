"""Found by tests/test_multi_instance.py (two instances, a burst of writes): agreeing a proposal
carries the positions on it to the item's text, and a delegation that had taken one took a
position on that text at the same moment; on PostgreSQL both the carried position and the
delegation's new one stayed current. Made likely here by holding the audit chain's lock, which
every writer takes last, at commit, in the order that lost the answer: the delegation's answer
waits there, holding its delegation, while the decision reads the positions on the text and
carries its own. The decision must wait for the answer and supersede it, not pass it by; and
the other way round, the answer waits for the decision and supersedes the carried position."""

import threading
import time

import httpx
import pytest
from sqlalchemy import create_engine, func, select, text

from app.audit.service import _CHAIN_LOCK
from app.db import Database
from app.models import Item, Position
from tests.factories import World, bearer, token_for
from tests.helpers import Clock

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize("first", ["answer", "decision"])
def test_a_position_taken_while_a_decision_carries_positions_leaves_one_current(
    live_server: str, world: World, database: Database, clock: Clock, db_url: str, first: str
) -> None:
    member = bearer(token_for(database, world.member, clock.now))  # PH-SOMTC, PH-ACWC
    other = bearer(token_for(database, world.member2, clock.now))  # ID-AICHR
    officer = bearer(token_for(database, world.secretariat, clock.now))
    api = f"{live_server}/api/v1"
    made = httpx.post(
        f"{api}/proposals",
        headers=member,
        json={
            "kind": "amend",
            "targets": [world.indicator],
            "content": {"text": "Passport taken by the operators, as amended"},
            "rationale": "Clearer",
            "submit": True,
            "delegation": "PH-SOMTC",
        },
    )
    assert made.status_code == 201, made.text
    proposal = made.json()["id"]
    took = httpx.post(
        f"{api}/positions",
        headers=other,
        json={"proposal_id": proposal, "stance": "support", "statement": "On the proposal"},
    )
    assert took.status_code == 201, took.text
    etag = httpx.get(f"{api}/proposals/{proposal}", headers=officer).headers["etag"]

    answers: dict[str, int] = {}

    def decide() -> None:
        answers["decide"] = httpx.post(
            f"{api}/proposals/{proposal}/decision",
            headers=officer | {"If-Match": etag},
            json={"outcome": "agreed", "reason": "Agreed", "acknowledged": True},
            timeout=60,
        ).status_code

    def answer() -> None:
        answers["position"] = httpx.post(
            f"{api}/positions",
            headers=other,
            json={"item": world.indicator, "stance": "reservation", "statement": "On the text"},
            timeout=60,
        ).status_code

    engine = create_engine(db_url)
    try:
        with engine.connect() as holder, engine.connect() as watcher:

            def waiting(n: int) -> None:
                """Until `n` requests of this test wait for a lock (at most a few seconds: a
                request may also be held up elsewhere, and the order is then only likely)."""
                query = text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
                deadline = time.monotonic() + 5
                while watcher.execute(query).scalar_one() < n and time.monotonic() < deadline:
                    time.sleep(0.02)
                watcher.rollback()

            holder.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
            # The first waits at its commit; the second, for the first's locks (or, unlocked,
            # at its commit too, having read the positions without the first's).
            threads = [threading.Thread(target=answer), threading.Thread(target=decide)]
            if first == "decision":
                threads.reverse()
            for n, thread in enumerate(threads, start=1):
                thread.start()
                waiting(n)
            holder.rollback()
            for thread in threads:
                thread.join(timeout=60)
    finally:
        engine.dispose()

    assert answers == {"decide": 200, "position": 201}
    with database.transaction(write=False) as s:
        item_id = s.scalar(select(Item.id).where(Item.code == world.indicator))
        current = s.execute(
            select(Position.delegation_id, func.count())
            .where(
                Position.item_id == item_id,
                Position.proposal_id.is_(None),
                Position.superseded_at.is_(None),
            )
            .group_by(Position.delegation_id)
        ).all()
    assert all(n == 1 for _, n in current), f"two current positions on the text: {current}"
