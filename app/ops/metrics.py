"""Prometheus metrics (the text format of prometheus-client).

Counted in each process: requests, worker passes, imports and exports (Prometheus adds up the
instances it scrapes). Read from the database when scraped: the outbox's length and the age of
its oldest mail, the same whichever instance answers.

`zerodraft serve --workers N` (N > 1) runs N processes behind one port; a scrape reaches one of
them, so the counters are then kept in files shared by the N (prometheus-client's multiprocess
mode, PROMETHEUS_MULTIPROC_DIR, set by `zerodraft serve`) and every scrape sums them all."""

import functools
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any, ParamSpec, TypeVar
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app import signing
from app.db import Database
from app.ops import service

P = ParamSpec("P")
R = TypeVar("R")

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# No *_created series beside each counter: twice the lines for nothing a dashboard uses.
disable_created_metrics()  # type: ignore[no-untyped-call]
REQUESTS = Counter(
    "zerodraft_http_requests",
    "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "zerodraft_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
POOL_CHECKED_OUT = Gauge(
    "zerodraft_db_pool_checked_out",
    "Database connections in use by requests or work, now",
    multiprocess_mode="livesum",
)
POOL_SIZE = Gauge(
    "zerodraft_db_pool_size",
    "Database connections each process keeps open (pool size), summed over processes",
    multiprocess_mode="livesum",
)
WORKER_PASSES = Counter("zerodraft_worker_passes", "Background worker passes run")
WORKER_FAILURES = Counter(
    "zerodraft_worker_failures", "Background worker steps or passes that failed", ["step"]
)
BACKUP_LAST_SUCCESS = Gauge(
    "zerodraft_backup_last_success_timestamp_seconds",
    "When the last scheduled backup was completed, by any worker (Unix time; from the database)",
    multiprocess_mode="max",
)
JOBS = Counter(
    "zerodraft_jobs", "Word imports confirmed and exports made, by outcome", ["job", "outcome"]
)
JOB_SECONDS = Histogram(
    "zerodraft_job_duration_seconds",
    "Time to confirm a Word import or build an export",
    ["job"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)


def observed(job: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Counts the calls of a function (ok or error) and times them: `@observed("export")`."""

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(function)
        def timed(*args: P.args, **kwargs: P.kwargs) -> R:
            started = time.perf_counter()
            outcome = "error"
            try:
                result = function(*args, **kwargs)
                outcome = "ok"
                return result
            finally:
                JOBS.labels(job, outcome).inc()
                JOB_SECONDS.labels(job).observe(time.perf_counter() - started)

        return timed

    return decorate


def worker_pass(failures: Iterable[str]) -> None:
    """One pass of the worker; each failed step by its name ("delivery: ..." -> delivery)."""
    WORKER_PASSES.inc()
    for failure in failures:
        WORKER_FAILURES.labels(failure.split(":", 1)[0]).inc()


def watch_pool(engine: Engine, pool_size: int) -> None:
    """Connections checked out of this engine's pool, kept in POOL_CHECKED_OUT."""
    POOL_SIZE.inc(pool_size)
    event.listen(engine, "checkout", lambda *_: POOL_CHECKED_OUT.inc())
    event.listen(engine, "checkin", lambda *_: POOL_CHECKED_OUT.dec())


class DatabaseCollector(Collector):
    """What every instance shares, read from the database when scraped."""

    def __init__(self, read: Callable[[], service.Outbox]) -> None:
        self.read = read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        outbox = self.read()
        yield GaugeMetricFamily(
            "zerodraft_outbox_pending", "Mails in the outbox waiting to be sent", outbox.pending
        )
        yield GaugeMetricFamily(
            "zerodraft_outbox_oldest_pending_age_seconds",
            "How long the oldest mail waiting in the outbox has waited (0: none waits)",
            outbox.oldest_age_seconds,
        )


def multiprocess_mode() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


def render(database_read: Callable[[], service.Outbox]) -> bytes:
    """The whole scrape: this process's (or, with several, all processes') counters, then the
    values read from the database now."""
    if multiprocess_mode():
        shared = CollectorRegistry()
        multiprocess.MultiProcessCollector(shared)  # type: ignore[no-untyped-call]
        counted = generate_latest(shared)
    else:
        counted = generate_latest(REGISTRY)
    now_read = CollectorRegistry()
    now_read.register(DatabaseCollector(database_read))
    return counted + generate_latest(now_read)


def outbox_reader(
    database: Database, clock: Callable[[], datetime]
) -> Callable[[], service.Outbox]:
    return lambda: service.outbox(database, clock())


class SharedMetrics:
    """The folder where the processes of `zerodraft serve --workers N` keep their counters."""

    def __init__(self, folder: Path | None, made: bool) -> None:
        self.folder = folder
        self.made = made

    def close(self) -> None:
        if self.folder is not None and self.made:
            shutil.rmtree(self.folder, ignore_errors=True)


def prepare_processes(workers: int) -> SharedMetrics:
    """Before uvicorn starts N > 1 processes: a folder for their shared counters
    (PROMETHEUS_MULTIPROC_DIR, given or a new temporary one), emptied of any earlier run's."""
    if workers <= 1:
        return SharedMetrics(None, made=False)
    given = os.environ.get(MULTIPROC_ENV)
    folder = Path(given) if given else Path(tempfile.mkdtemp(prefix="zerodraft-metrics-"))
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.db"):
        old.unlink()
    os.environ[MULTIPROC_ENV] = str(folder)
    return SharedMetrics(folder, made=not given)


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve_for_worker(port: int, token: str) -> ThreadingWSGIServer | None:
    """The worker's own /metrics (its passes and failures live in its process): a small HTTP
    server in a daemon thread, answering only to `Authorization: Bearer <token>`."""
    if not port or not token:
        return None

    def answer(environ: dict[str, Any], start: Callable[..., Any]) -> list[bytes]:
        scheme, _, given = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        if environ.get("PATH_INFO") != "/metrics":
            start("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found\n"]
        if scheme.lower() != "bearer" or not signing.equal(given.strip(), token):
            start("401 Unauthorized", [("WWW-Authenticate", 'Bearer realm="metrics"')])
            return [b"a valid metrics token is required\n"]
        start("200 OK", [("Content-Type", CONTENT_TYPE)])
        return [generate_latest(REGISTRY)]

    server = make_server("0.0.0.0", port, answer, ThreadingWSGIServer, handler_class=_Quiet)  # noqa: S104
    threading.Thread(target=server.serve_forever, name="worker-metrics", daemon=True).start()
    return server
