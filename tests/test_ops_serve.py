"""`zerodraft serve` for production: several processes on one port whose metrics add up,
forwarded headers believed only from the proxies named, a graceful stop on SIGTERM, JSON logs."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from app.cli import app as cli
from tests.helpers import free_port

TOKEN = "serve-metrics-token-0123456789"
runner = CliRunner()


def test_serve_help_lists_the_production_options() -> None:
    result = runner.invoke(cli, ["serve", "--help"], env={"COLUMNS": "200"}, terminal_width=200)
    assert result.exit_code == 0
    for option in ("--workers", "--proxy-headers", "--forwarded-allow-ips", "--graceful-timeout"):
        assert option in result.stdout, option


@pytest.fixture
def uvicorn_run(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What `serve` hands uvicorn, without starting it."""
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda target, **kw: seen.update(kw, target=target))
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    monkeypatch.delenv("ZERODRAFT_FORWARDED_ALLOW_IPS", raising=False)
    return seen


def test_serve_passes_workers_proxies_and_graceful_timeout(
    uvicorn_run: dict[str, Any], db_url: str
) -> None:
    args = ["serve", "--database", db_url, "--workers", "3", "--forwarded-allow-ips", "10.0.0.2"]
    result = runner.invoke(cli, [*args, "--graceful-timeout", "20"])
    assert result.exit_code == 0, result.output
    assert uvicorn_run["workers"] == 3
    assert uvicorn_run["timeout_graceful_shutdown"] == 20
    assert uvicorn_run["proxy_headers"] is True
    assert uvicorn_run["forwarded_allow_ips"] == "10.0.0.2"
    assert uvicorn_run["factory"] is True
    # Several processes share their counters through a folder of their own, removed after.
    folder = os.environ.pop("PROMETHEUS_MULTIPROC_DIR")
    assert not Path(folder).exists()

    assert runner.invoke(cli, ["serve", "--database", db_url]).exit_code == 0
    assert uvicorn_run["workers"] == 1
    assert uvicorn_run["proxy_headers"] is False  # no proxy named: nobody's headers believed
    assert uvicorn_run["timeout_graceful_shutdown"] == 30
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ


def test_proxy_headers_without_the_proxies_addresses_is_refused(
    uvicorn_run: dict[str, Any], db_url: str
) -> None:
    result = runner.invoke(cli, ["serve", "--database", db_url, "--proxy-headers"])
    assert result.exit_code == 1
    assert "--forwarded-allow-ips" in result.stderr
    assert uvicorn_run == {}


def _requests(text: str, route: str) -> float:
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "zerodraft_http_requests_total" and s.labels.get("route") == route
    )


def test_two_processes_count_their_requests_together_and_stop_on_sigterm(
    db_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = os.environ | {
        "ZERODRAFT_MODE": "test",
        "ZERODRAFT_SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "ZERODRAFT_DATA_DIR": str(tmp_path),
        "ZERODRAFT_METRICS_TOKEN": TOKEN,
        "ZERODRAFT_LOG_FORMAT": "json",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    zerodraft = Path(sys.executable).parent / "zerodraft"
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(zerodraft), "serve", "--port", str(port), "--workers", "2", "--database", db_url],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        # New connections each time: the kernel spreads them over both processes.
        for _ in range(40):
            assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
        headers = {"Authorization": f"Bearer {TOKEN}"}
        scrapes = [httpx.get(f"{base}/metrics", headers=headers, timeout=5) for _ in range(6)]
        assert all(s.status_code == 200 for s in scrapes)
        # Whichever process answers, the scrape counts the requests of both.
        assert {_requests(s.text, "/healthz") for s in scrapes} == {40.0}
        assert "# TYPE zerodraft_outbox_pending gauge" in scrapes[0].text
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        code = process.wait(timeout=40)
    text = log.read_text()
    assert code == 0, text
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert any(line.get("route") == "/healthz" and line.get("status") == 200 for line in lines), (
        text
    )
    assert any("Shutting down" in str(line["message"]) for line in lines), text
