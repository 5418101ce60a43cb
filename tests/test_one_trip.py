"""A plain handler's request goes to the thread pool once (app/web/deps.py, DbRoute): its
permission check, the handler, the answer's JSON and the session's end, in that order; a
refusal is still answered before an invalid request."""

from collections.abc import Callable
from typing import Any

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient


def _trips(monkeypatch: pytest.MonkeyPatch) -> list[Callable[..., Any]]:
    trips: list[Callable[..., Any]] = []
    run_sync = anyio.to_thread.run_sync

    async def counted(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        trips.append(func)
        return await run_sync(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    return trips


def test_a_read_and_a_write_go_to_the_thread_pool_once(
    client: TestClient, member: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    trips = _trips(monkeypatch)
    me = client.get("/api/v1/me", headers=member)
    assert me.status_code == 200 and me.json()["email"]
    assert len(trips) == 1

    trips.clear()
    added = client.post(
        "/api/v1/comments", headers=member, json={"item": "FC-CD-01", "body": "One trip."}
    )
    assert added.status_code == 201, added.text
    assert len(trips) == 1
    # Committed in that trip: the comment is there for the next request.
    assert client.get(f"/api/v1/comments/{added.json()['id']}", headers=member).status_code == 200


def test_the_refusal_is_answered_before_the_invalid_request(
    client: TestClient, member: dict[str, str]
) -> None:
    invalid = {"no": "such field"}
    assert client.post("/api/v1/comments", json=invalid).status_code == 401
    assert client.post("/api/v1/sections", headers=member, json=invalid).status_code == 403
    assert client.post("/api/v1/comments", headers=member, json=invalid).status_code == 422
