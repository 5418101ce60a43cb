"""A form field longer than the form parser accepts (1 MB) is refused with a message about the
form, not advice to send JSON; a JSON request that cannot be read is still told to send UTF-8
JSON (found by an attacker streaming a 3 MB comment body without a Content-Length)."""

from collections.abc import Iterator

from fastapi.testclient import TestClient

from tests.factories import World
from tests.helpers import csrf_of, log_in


def streamed(prefix: bytes, size: int) -> Iterator[bytes]:
    """The body in chunks, as a client that sends no Content-Length does."""
    yield prefix
    chunk = b"a" * 65536
    for _ in range(size // len(chunk)):
        yield chunk


def test_an_oversized_form_field_is_refused_as_a_form_problem(
    client: TestClient, world: World
) -> None:
    log_in(client, world.member)
    token = csrf_of(client.get("/indicators/FC-CD-01").text)
    response = client.post(
        "/comments",
        content=streamed(f"csrf_token={token}&item=FC-CD-01&body=".encode(), 3 * 1024 * 1024 // 2),
        headers={"content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert response.status_code == 422
    assert (
        "A field is longer than the page accepts (at most 1 MB); shorten it and send the form"
        in response.text
    )
    assert "JSON" not in response.text
    assert "<html" in response.text.lower()


def test_a_json_request_that_cannot_be_read_is_still_told_to_send_json(
    client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    bad = client.post(
        "/api/v1/comments",
        content=b'{"item": "FC-CD-01", "body": "\xff"}',
        headers={"content-type": "application/json", **tokens["ph"]},
    )
    assert bad.status_code == 422
    assert bad.json()["detail"].endswith("; send UTF-8 JSON")
    assert bad.json()["field"] == "body"
