"""ZERODRAFT_LOG_FORMAT=json: each log line one JSON object with the time, level, message,
request id, the person's user id and the route's template; never a password, a token or the
text someone wrote."""

import json
import logging
import sys
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.config import Settings
from app.db import Database
from app.main import create_app
from app.models import User
from app.ops import logs
from tests.factories import World, bearer, token_for
from tests.helpers import Clock


@pytest.fixture
def json_client(settings: Settings, clock: Clock) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"log_format": "json"}), clock=clock)
    with TestClient(app, base_url="http://testserver") as client:
        yield client
    app.state.database.dispose()
    # Back to the text logs the rest of the suite expects.
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not isinstance(h, logs._Stderr)]


def _lines(err: str) -> list[dict[str, object]]:
    """The server's lines (not those of the test's own HTTP client, httpx)."""
    parsed = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    return [line for line in parsed if line["logger"] != "httpx"]


def test_a_request_writes_one_json_line_with_its_id_user_and_route(
    json_client: TestClient,
    database: Database,
    world: World,
    clock: Clock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    token = token_for(database, world.member, clock.now)
    secret_text = "A confidential remark about indicator wording 7731"
    capsys.readouterr()
    answer = json_client.post(
        "/api/v1/comments",
        json={"item": "NO-SUCH-ITEM", "body": secret_text},
        headers=bearer(token) | {"X-Request-ID": "probe-0001"},
    )
    assert answer.status_code == 404, answer.text
    err = capsys.readouterr().err
    requests = [line for line in _lines(err) if line["logger"] == "zerodraft.request"]
    assert len(requests) == 1, err
    line = requests[0]
    assert line["request_id"] == "probe-0001"
    with database.transaction(write=False) as session:
        user_id = session.scalar(select(User.id).where(User.email == world.member))
    assert line["user_id"] == user_id
    assert line["route"] == "/api/v1/comments"
    assert line["method"] == "POST"
    assert line["status"] == 404
    assert line["level"] == "info"
    assert isinstance(line["duration_ms"], float)
    assert str(line["time"]).endswith("+00:00")
    assert line["message"] == "POST /api/v1/comments 404"
    # Nothing the person sent, and not their credential.
    assert secret_text not in err
    assert token not in json.dumps(_lines(err))


def test_a_path_with_a_one_time_link_is_logged_by_its_template(
    json_client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    secret = "not-a-real-invitation-token-5f1e"
    json_client.get(f"/invitation/{secret}")
    err = capsys.readouterr().err
    routes = [line["route"] for line in _lines(err) if line["logger"] == "zerodraft.request"]
    assert routes == ["/invitation/{token}"], err
    assert secret not in json.dumps(_lines(err))


def test_an_exception_is_logged_by_its_type_and_stack_not_its_message() -> None:
    secret = "hunter" + "2"
    try:
        raise ValueError(f"password={secret}")
    except ValueError:
        record = logging.LogRecord(
            "zerodraft", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    line = json.loads(logs.JsonFormatter().format(record))
    assert line["exception"] == "ValueError"
    assert "raise ValueError" in line["stack"]
    assert "hunter2" not in json.dumps(line)
    assert line["message"] == "failed"
    assert "request_id" not in line  # outside a request
