"""Sixteen people save the same indicator at the same moment: exactly one wins, nobody's edit is
silently lost, and no revision is duplicated. Real HTTP against uvicorn, on both engines."""

import threading

import httpx
from sqlalchemy import func, select

from app.db import Database
from app.models import AuditEvent, Item, Revision
from tests.factories import World, bearer, token_for
from tests.helpers import Clock

EDITORS = 16


def test_concurrent_saves_of_one_indicator(
    live_server: str, world: World, database: Database, clock: Clock
) -> None:
    headers = bearer(token_for(database, world.secretariat, clock.now))
    start = threading.Barrier(EDITORS)
    results: list[int] = []
    lock = threading.Lock()

    def editor(n: int) -> None:
        with httpx.Client(base_url=live_server, headers=headers, timeout=30) as http:
            etag = http.get("/api/v1/indicators/FC-CD-01").headers["etag"]
            start.wait()
            response = http.patch(
                "/api/v1/indicators/FC-CD-01",
                headers={"If-Match": etag},
                json={"text": f"Passport taken, version by editor {n}", "reason": f"editor {n}"},
            )
            with lock:
                results.append(response.status_code)

    threads = [threading.Thread(target=editor, args=(n,)) for n in range(EDITORS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert sorted(results).count(200) == 1, results
    assert all(code in (409, 412) for code in results if code != 200), results
    with database.transaction(write=False) as s:
        item = s.scalars(select(Item).where(Item.code == "FC-CD-01")).one()
        numbers = s.scalars(select(Revision.number).where(Revision.item_id == item.id)).all()
        assert item.version == 2
        assert sorted(numbers) == [1, 2]
        revisions_logged = s.scalar(
            select(func.count()).where(AuditEvent.action == "indicator.revise")
        )
        assert revisions_logged == 1
