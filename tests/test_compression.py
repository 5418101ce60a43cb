"""Text answers over 1 KB are compressed by the app itself (issue 13): brotli where the client
accepts it, gzip otherwise; small answers and clients that accept neither get plain bytes."""

import gzip

import brotli
from fastapi.testclient import TestClient

from app.db import Database
from tests.factories import World, bearer, token_for
from tests.helpers import Clock, log_in


def _raw(
    client: TestClient, path: str, encoding: str, **headers: str
) -> tuple[int, dict[str, str], bytes]:
    """The answer's status, headers and body as sent on the wire (not decoded by the client)."""
    with client.stream("GET", path, headers={"Accept-Encoding": encoding, **headers}) as response:
        body = b"".join(response.iter_raw())
        return response.status_code, dict(response.headers), body


def test_pages_are_gzipped_for_a_client_that_accepts_gzip(client: TestClient, world: World) -> None:
    log_in(client, world.member)
    plain_status, plain_headers, plain = _raw(client, "/consensus", "identity")
    assert plain_status == 200 and "content-encoding" not in plain_headers
    assert len(plain) > 1024
    status, headers, body = _raw(client, "/consensus", "gzip")
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert "accept-encoding" in headers.get("vary", "").lower()
    text = gzip.decompress(body)
    assert b"<html" in text and len(body) < len(text) / 3


def test_brotli_is_preferred_when_accepted(client: TestClient, world: World) -> None:
    log_in(client, world.member)
    status, headers, body = _raw(client, "/register", "gzip, deflate, br, zstd")
    assert status == 200
    assert headers["content-encoding"] == "br"  # zstd is not used even when offered
    assert b"</html>" in brotli.decompress(body)


def test_json_over_one_kilobyte_is_compressed(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    token = token_for(database, world.member, clock.now)
    status, headers, plain = _raw(
        client, "/api/v1/indicators?limit=200", "identity", **bearer(token)
    )
    assert status == 200 and "content-encoding" not in headers
    # The small world's register is under 1 KB as JSON: the API's own description is not.
    status, headers, plain = _raw(client, "/openapi.json", "identity")
    assert status == 200 and len(plain) > 1024 and "content-encoding" not in headers
    status, headers, body = _raw(client, "/openapi.json", "gzip")
    assert headers["content-type"].startswith("application/json")
    assert headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == plain


def test_small_answers_stay_plain(client: TestClient) -> None:
    status, headers, body = _raw(client, "/healthz", "gzip, br")
    assert status == 200 and len(body) < 1024
    assert "content-encoding" not in headers
