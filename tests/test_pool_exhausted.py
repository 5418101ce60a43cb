"""Every connection of the database pool busy for the pool's whole timeout (a burst of requests
larger than the pool) is answered 503 with Retry-After and a message that names the problem,
as when the database is away: a reason to try again shortly, never a 500 or a traceback."""

from contextlib import ExitStack

from fastapi.testclient import TestClient

from app.db import Database


def test_a_request_that_finds_no_free_connection_is_answered_503(
    client: TestClient, database: Database, member: dict[str, str]
) -> None:
    pool = database.engine.pool
    assert client.get("/api/v1/dimensions", headers=member).status_code == 200
    with ExitStack() as held:
        # Take every connection the pool will give, and wait a moment at most for one more.
        pool._timeout = 0.2  # type: ignore[attr-defined]
        taken = 0
        while pool.checkedout() < pool.size() + pool._max_overflow:  # type: ignore[attr-defined]
            held.enter_context(database.engine.connect())
            taken += 1
        assert taken > 0
        response = client.get("/api/v1/dimensions", headers=member)
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    assert response.json() == {
        "error": "unavailable",
        "detail": "the database is unavailable; try again in a moment",
    }
    # The connections back in the pool, the same request is served again.
    assert client.get("/api/v1/dimensions", headers=member).status_code == 200
