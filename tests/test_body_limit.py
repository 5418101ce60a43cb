"""Request bodies are capped before the framework reads them: an ordinary request at 2 MB, a Word
upload at the import cap plus its multipart framing. Too large is 413 with a message, as JSON or
as a page, whether the size was declared or only discovered while reading (chunked)."""

from collections.abc import Iterator

from fastapi.testclient import TestClient

from app.web.middleware import MAX_BODY, UPLOAD_ENVELOPE
from tests.factories import World
from tests.helpers import log_in


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b"a" * min(size, total - sent)
        sent += size


def test_a_declared_oversized_json_body_is_refused_with_413(
    client: TestClient, world: World
) -> None:
    log_in(client, world.secretariat)
    response = client.post(
        "/api/v1/indicators",
        content=b" " * (MAX_BODY + 1),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"
    assert "2.0 MB" in response.json()["detail"]


def test_a_chunked_body_is_stopped_once_it_passes_the_cap(client: TestClient, world: World) -> None:
    csrf = log_in(client, world.member)
    response = client.post(
        "/account/delegation",
        content=_chunks(MAX_BODY + 10 * 1024),
        headers={"content-type": "application/x-www-form-urlencoded", "x-csrf-token": csrf},
    )
    assert response.status_code == 413
    assert "too large" in response.text


def test_an_upload_over_the_import_cap_is_refused_before_it_is_read(
    client: TestClient, world: World
) -> None:
    cap = client.app.state.settings.import_max_bytes  # type: ignore[attr-defined]
    log_in(client, world.secretariat)
    response = client.post(
        "/api/v1/imports",
        files={"file": ("big.docx", b"0" * (cap + UPLOAD_ENVELOPE + 1))},
        data={"delegation": "PH-SOMTC"},
    )
    assert response.status_code == 413
    assert response.json()["error"] in {"too_large", "file_too_large"}


def test_bodies_under_the_cap_pass(client: TestClient, world: World) -> None:
    csrf = log_in(client, world.secretariat)
    response = client.post(
        "/api/v1/indicators",
        json={"dimension": "CD", "text": "x" * 5000, "reason": "r" * 2000},
        headers={"x-csrf-token": csrf},
    )
    assert response.status_code == 201, response.text
