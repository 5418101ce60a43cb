"""Live meeting streams under load (issue 19): what 100 and 500 open event streams cost one app
instance, and how long a change takes to reach all of them.

    .venv/bin/python bench/live.py [--database-url URL] [--listeners 100 500] [--changes 10]

Builds the tests' small working group in an empty database (a temporary SQLite file by default;
give a PostgreSQL URL of an empty database to measure there), starts zerodraft under uvicorn in
a process of its own (one worker), sets up a meeting, then for each number of listeners opens
that many `GET /api/v1/meetings/{id}/events` streams (raw asyncio connections, one member's
token) and reports:

- the server's resident memory before and with the streams open (and per stream);
- the database connections while they idle: in use (the app's own gauge,
  zerodraft_db_pool_checked_out: what the streams hold) and open (PostgreSQL: pg_stat_activity
  for the database; SQLite: the server's descriptors on the file), which is the pool keeping
  what the burst of connecting streams opened, up to its size;
- the delay from each change's answer (the chair moving the point under discussion) to its
  event arriving on every stream: p50, p99 and max over changes x listeners.
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app.db import Database  # noqa: E402
from tests.factories import World, build_world, token_for  # noqa: E402
from tests.helpers import free_port  # noqa: E402

METRICS_TOKEN = "live-bench-metrics-token-0123456789"
WAVE = 20


async def checked_out_now(port: int) -> int:
    """Connections in use by requests or work right now (the app's own gauge)."""
    async with httpx.AsyncClient(timeout=10) as client:
        r = await client.get(
            f"http://127.0.0.1:{port}/metrics",
            headers={"Authorization": f"Bearer {METRICS_TOKEN}"},
        )
    for line in r.text.splitlines():
        if line.startswith("zerodraft_db_pool_checked_out"):
            return int(float(line.split()[-1]))
    return -1


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def db_connections(url: str, pid: int) -> int:
    if url.startswith("sqlite"):
        path = os.path.realpath(url.split("///", 1)[1])
        count = 0
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd) == path:
                    count += 1

            except OSError:
                pass
        return count
    name = make_url(url).database
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = :d "
                        "AND pid <> pg_backend_pid()"
                    ),
                    {"d": name},
                ).scalar_one()
            )
    finally:
        engine.dispose()


class Listener:
    def __init__(self) -> None:
        self.arrived: dict[int, float] = {}  # event id -> monotonic time
        self.ready = asyncio.Event()


async def listen(port: int, path: str, token: str, who: Listener) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    try:
        while line := await reader.readline():
            if line.startswith(b": from"):
                who.ready.set()
            elif line.startswith(b"data: "):
                data = json.loads(line[6:])
                who.arrived[int(data["id"])] = time.monotonic()
    finally:
        writer.close()


async def run_level(
    port: int, url: str, pid: int, mid: int, tokens: dict[str, str], n: int, changes: int
) -> dict[str, float]:
    base = f"http://127.0.0.1:{port}"
    before = rss_kib(pid)
    listeners = [Listener() for _ in range(n)]
    tasks = []
    # People join over time, not in one instant: waves of WAVE connections, each wave open
    # before the next starts.
    path = f"/api/v1/meetings/{mid}/events"
    for start in range(0, n, WAVE):
        wave = listeners[start : start + WAVE]
        tasks += [asyncio.create_task(listen(port, path, tokens["member"], w)) for w in wave]
        await asyncio.wait_for(asyncio.gather(*(w.ready.wait() for w in wave)), 60)
    await asyncio.sleep(3)  # idle: the hub's own reads come and go
    idle_connections = db_connections(url, pid)
    checked_out = await checked_out_now(port)
    with_streams = rss_kib(pid)
    delays: list[float] = []
    refs = ["FC-CD-01", "FC-DR-01"]
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        for i in range(changes):
            r = await client.put(
                f"/api/v1/meetings/{mid}/current",
                json={"ref": refs[i % 2]},
                headers={"Authorization": f"Bearer {tokens['chair']}"},
            )
            answered = time.monotonic()
            r.raise_for_status()
            deadline = answered + 10
            while time.monotonic() < deadline:
                if all(len(w.arrived) > i for w in listeners):
                    break
                await asyncio.sleep(0.005)
            for w in listeners:
                if len(w.arrived) > i:
                    last = sorted(w.arrived)[i]
                    delays.append(max(0.0, w.arrived[last] - answered))
            await asyncio.sleep(0.3)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    delays.sort()
    expected = n * changes
    return {
        "listeners": n,
        "rss_before_mib": before / 1024,
        "rss_with_mib": with_streams / 1024,
        "kib_per_stream": (with_streams - before) / n,
        "db_connections_open": idle_connections,
        "checked_out_idle": checked_out,
        "delivered": len(delays) / expected * 100,
        "p50_ms": statistics.median(delays) * 1000 if delays else float("nan"),
        "p99_ms": delays[int(len(delays) * 0.99) - 1] * 1000 if delays else float("nan"),
        "max_ms": delays[-1] * 1000 if delays else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--listeners", type=int, nargs="+", default=[100, 500])
    parser.add_argument("--changes", type=int, default=10)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="zerodraft-live-bench-"))
    url = args.database_url or f"sqlite:///{folder / 'live.sqlite3'}"
    env = os.environ | {
        "ZERODRAFT_DATABASE_URL": url,
        "ZERODRAFT_MODE": "test",
        "ZERODRAFT_SECRET_KEY": "live-bench-secret-key-0123456789-abcdef",
        "ZERODRAFT_DATA_DIR": str(folder),
        "ZERODRAFT_METRICS_TOKEN": METRICS_TOKEN,
    }
    subprocess.run(
        [sys.executable, "-m", "app.cli", "db", "upgrade"], env=env, check=True, cwd=ROOT
    )
    now = datetime.now(UTC)
    database = Database(url)
    world = build_world(database, now)
    tokens = {
        "member": token_for(database, world.member, now),
        "chair": token_for(database, world.chair, now),
        "sec": token_for(database, World.secretariat, now),
    }
    database.dispose()
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:create_app",
            "--factory",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
        cwd=folder,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        sec = {"Authorization": f"Bearer {tokens['sec']}"}
        made = httpx.post(
            f"{base}/api/v1/meetings",
            json={
                "title": "Bench",
                "starts_at": "2026-03-10T14:00",
                "participants": ["PH-SOMTC", "ID-AICHR"],
            },
            headers=sec,
        )
        made.raise_for_status()
        mid = made.json()["id"]
        httpx.put(
            f"{base}/api/v1/meetings/{mid}/agenda",
            json={"agenda": ["FC-CD-01", "FC-DR-01"]},
            headers=sec | {"If-Match": made.headers["ETag"]},
        ).raise_for_status()
        engine = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        print(f"live event streams, one uvicorn worker, {engine}, {args.changes} changes each")
        print(
            f"{'streams':>8} {'RSS MiB':>15} {'KiB/stream':>11} {'DB open':>8} {'in use':>7} "
            f"{'delivered':>10} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}"
        )
        for n in args.listeners:
            row = asyncio.run(run_level(port, url, server.pid, mid, tokens, n, args.changes))
            print(
                f"{row['listeners']:>8} {row['rss_before_mib']:>6.1f} -> "
                f"{row['rss_with_mib']:>5.1f} {row['kib_per_stream']:>11.1f} "
                f"{row['db_connections_open']:>8} {row['checked_out_idle']:>7} "
                f"{row['delivered']:>9.1f}% {row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f} "
                f"{row['max_ms']:>8.1f}"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
