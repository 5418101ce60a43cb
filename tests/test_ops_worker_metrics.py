"""The worker's passes and failures live in its own process: with ZERODRAFT_WORKER_METRICS_PORT
it answers GET /metrics there, to the metrics token only."""

import threading
import time

import httpx
from prometheus_client.parser import text_string_to_metric_families

from app import worker
from app.config import Settings
from app.db import Database
from tests.helpers import Clock, free_port

TOKEN = "worker-metrics-token-0123456789"


def _passes(text: str) -> float:
    return next(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "zerodraft_worker_passes_total"
    )


def test_the_worker_serves_its_passes_to_the_metrics_token(
    settings: Settings, database: Database, clock: Clock
) -> None:
    port = free_port()
    configured = settings.model_copy(update={"worker_metrics_port": port, "metrics_token": TOKEN})
    stop = threading.Event()
    lines: list[str] = []
    thread = threading.Thread(
        target=worker.run,
        args=(database, configured, lambda: clock.now),
        kwargs={"stop": stop, "interval": 0.05, "report": lines.append},
    )
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                first = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
                if first.status_code == 200 and _passes(first.text) > 0:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, lines
            time.sleep(0.05)
        assert httpx.get(f"{base}/metrics").status_code == 401
        assert (
            httpx.get(f"{base}/metrics", headers={"Authorization": "Bearer no"}).status_code == 401
        )
        assert httpx.get(f"{base}/other").status_code == 404
        time.sleep(0.3)
        later = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert "# TYPE zerodraft_worker_passes_total counter" in later.text
        assert _passes(later.text) > _passes(first.text)  # a pass every 0.05 s
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    # Stopped with the worker: the port is free again.
    try:
        httpx.get(f"{base}/metrics", timeout=1)
        raise AssertionError("the worker's metrics server still answers after it stopped")
    except httpx.TransportError:
        pass


def test_without_a_port_or_token_the_worker_does_not_listen() -> None:
    from app.ops import metrics

    assert metrics.serve_for_worker(0, TOKEN) is None
    assert metrics.serve_for_worker(free_port(), "") is None
