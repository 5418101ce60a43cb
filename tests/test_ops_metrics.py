"""/metrics: Prometheus text for the holder of the metrics token, nothing for anyone else;
requests counted by route template, the outbox read from the database at scrape time."""

from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from app.config import Settings
from app.db import Database
from app.mail.outbox import enqueue
from app.main import create_app
from app.ops import metrics
from tests.helpers import Clock

TOKEN = "metrics-token-0123456789abcdef"


@pytest.fixture
def watched(settings: Settings, clock: Clock) -> TestClient:
    app: FastAPI = create_app(settings.model_copy(update={"metrics_token": TOKEN}), clock=clock)
    return TestClient(app)


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_do_not_exist_without_a_token_configured(client: TestClient) -> None:
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 404
    assert "# TYPE" not in answer.text


def test_metrics_refuse_a_missing_or_wrong_token(watched: TestClient) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": f"Bearer {TOKEN}x"},
    ):
        answer = watched.get("/metrics", headers=headers)
        assert answer.status_code == 401, headers
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert "# TYPE" not in answer.text


def test_metrics_count_requests_by_route_template_and_read_the_outbox(
    watched: TestClient, database: Database, clock: Clock
) -> None:
    with database.transaction() as session:
        for minutes in (30, 5):
            enqueue(
                session,
                to="someone@example.org",
                subject="Reminder",
                text="body",
                kind="notification",
                now=clock.now - timedelta(minutes=minutes),
            )
    before = _samples(watched.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text)
    for number in (101, 102, 103):
        assert watched.get(f"/api/v1/proposals/{number}").status_code == 401
    assert watched.get("/healthz").status_code == 200
    answer = watched.get("/metrics", headers={"Authorization": f"bearer {TOKEN}"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    text = answer.text
    for name in (
        "zerodraft_http_requests_total",
        "zerodraft_http_request_duration_seconds",
        "zerodraft_db_pool_checked_out",
        "zerodraft_outbox_pending",
        "zerodraft_outbox_oldest_pending_age_seconds",
        "zerodraft_worker_passes_total",
        "zerodraft_jobs_total",
    ):
        assert f"# TYPE {name} " in text, name
    after = _samples(text)
    proposal = (
        "zerodraft_http_requests_total",
        (("method", "GET"), ("route", "/api/v1/proposals/{proposal_id}"), ("status", "401")),
    )
    assert after[proposal] - before.get(proposal, 0) == 3
    # The template, never the path itself.
    assert "/api/v1/proposals/101" not in text
    latency = (
        "zerodraft_http_request_duration_seconds_count",
        (("method", "GET"), ("route", "/api/v1/proposals/{proposal_id}")),
    )
    assert after[latency] - before.get(latency, 0) == 3
    assert after[("zerodraft_outbox_pending", ())] == 2
    assert after[("zerodraft_outbox_oldest_pending_age_seconds", ())] == 30 * 60


def test_an_unknown_path_is_counted_under_one_label(watched: TestClient) -> None:
    for n in range(3):
        assert watched.get(f"/no/such/page/{n}").status_code == 404
    text = watched.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    assert 'route="<unmatched>"' in text
    assert "/no/such/page" not in text


def test_observed_counts_and_times_imports_and_exports() -> None:
    @metrics.observed("export")
    def build(fail: bool) -> bytes:
        if fail:
            raise ValueError("no")
        return b"docx"

    ok = metrics.JOBS.labels("export", "ok")._value.get()
    failed = metrics.JOBS.labels("export", "error")._value.get()
    assert build(False) == b"docx"
    with pytest.raises(ValueError, match="no"):
        build(True)
    assert metrics.JOBS.labels("export", "ok")._value.get() == ok + 1
    assert metrics.JOBS.labels("export", "error")._value.get() == failed + 1
