"""HTTP figures: zerodraft under uvicorn next to a bare FastAPI endpoint of the same response size.

    .venv/bin/python bench/run.py --database-url sqlite:///bench.sqlite3 [--seconds 6]

The database must hold the working set of bench/generate.py. Two servers run as separate
processes with the same uvicorn settings (127.0.0.1, no access log, one worker unless
--workers N): zerodraft on that database, and bench/bare.py, whose endpoints answer with a body
of a given size and do nothing else. For each operation the load generator (this process,
asyncio, keep-alive HTTP/1.1 connections) runs `--concurrency` clients for `--seconds` against
zerodraft, then as long against the bare endpoint with the same response sizes, and prints
requests per second, p50 and p99 latency, and zerodraft's throughput as a percentage of the bare
one's.

(Not bench/http.py: a script's folder comes first on sys.path, and a file named http.py there
would hide the standard library's http package from uvicorn and httpx.)
"""

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import MEMBER, PASSWORD, ROUND  # noqa: E402

# % of bare that a first view (every page rendered afresh, as after a change) must reach.
FIRST_VIEW_TARGET = 5.0
TARGETED = ("register list", "indicator page", "compilation view")
COLD = "no page cache: "  # operations measured on a second zerodraft with the page cache off
UVICORN = ["--host", "127.0.0.1", "--no-access-log", "--log-level", "warning"]
# Production runs `zerodraft serve --workers ${ZERODRAFT_WORKERS:-2}` (compose.yaml); the figures
# of the diary are of one worker, the default here, and --workers N runs zerodraft and the bare
# twin alike with N processes.
WORKERS_HELP = "uvicorn worker processes, for zerodraft and the bare app alike"


# --- A small HTTP/1.1 client: cheap enough that the server, not the client, is measured -------


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""

    def encode(self) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", "Host: 127.0.0.1"]
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        if self.body or self.method == "POST":
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


class Connection:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, request: bytes) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in header_lines:
            if ":" in line:
                name, value = line.split(":", 1)
                headers.setdefault(name.strip().lower(), value.strip())
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                parts.append(await self.reader.readexactly(size + 2))
                if size == 0:
                    break
            body = b"".join(p[:-2] for p in parts)
        else:
            body = b""
        if headers.get("connection") == "close":
            await self.close()
        return status, headers, body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


@dataclass
class Result:
    name: str
    operations: int
    seconds: float
    latencies: list[float]
    errors: int
    response_bytes: list[int]
    shares: list[float] = field(default_factory=list)  # of the bytes, by request

    @property
    def rate(self) -> float:
        return self.operations / self.seconds

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


# One operation: one or more requests made in turn (built fresh for each operation, so that
# writes can vary), with the status each must answer.
Operation = Callable[[int], list[tuple[Request, int]]]


async def load(
    name: str,
    port: int,
    operation: Operation,
    *,
    seconds: float,
    concurrency: int,
    prime: int = 0,
) -> Result:
    latencies: list[float] = []
    sizes: list[int] = []
    errors = 0
    counter = 0
    deadline = 0.0

    async def client() -> None:
        nonlocal errors, counter
        conn = Connection(port)
        try:
            while time.perf_counter() < deadline:
                counter += 1
                requests = operation(counter)
                started = time.perf_counter()
                ok = True
                size = 0
                for request, expected in requests:
                    status, _, body = await conn.send(request.encode())
                    size += len(body)
                    if status != expected:
                        ok = False
                        if errors < 3:
                            print(
                                f"  {name}: {request.method} {request.path} -> {status}: "
                                f"{body[:200]!r}",
                                file=sys.stderr,
                            )
                if ok:
                    latencies.append(time.perf_counter() - started)
                    sizes.append(size)
                else:
                    errors += 1
        finally:
            await conn.close()

    # Each of the operation's first `prime` variants asked for once (every indicator page seen
    # once: what is measured is the page seen again, the cache-off server measures first views),
    # then a short warm-up (imports, template compilation, connection set-up); neither counted.
    conn = Connection(port)
    for n in range(prime):
        for request, _ in operation(n):
            await conn.send(request.encode())
    await conn.close()
    deadline = time.perf_counter() + min(1.0, seconds / 4)
    await asyncio.gather(*(client() for _ in range(concurrency)))
    latencies.clear()
    sizes.clear()
    errors = 0
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return Result(name, len(latencies), elapsed, latencies, errors, sizes)


# --- Servers ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    def __init__(self, target: list[str], env: dict[str, str], workers: int = 1) -> None:
        self.port = free_port()
        self.workers = workers
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", *target, *UVICORN),
                *("--workers", str(workers), "--port", str(self.port)),
            ],
            cwd=ROOT,
            env=os.environ | env,
        )
        try:
            asyncio.run(self._wait())
        except BaseException:
            # One that did not start in time was left running (and its workers) after the bench
            # had given up on it.
            self.stop()
            raise

    async def _wait(self) -> None:
        # Each worker imports the app itself: two took 18 s to start on the loaded machine.
        started = time.perf_counter()
        for _ in range(200 * self.workers):
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited with status {self.process.returncode}")
            try:
                conn = Connection(self.port)
                await conn.send(Request("GET", "/healthz", {}).encode())
                await conn.close()
                if self.workers > 1:
                    # The first worker answered; the others started with it and are given as
                    # long again, or the clients' kept-alive connections would all go to it.
                    await asyncio.sleep(time.perf_counter() - started)
                return
            except OSError:
                await asyncio.sleep(0.1)
        raise SystemExit(f"the server did not start within {20 * self.workers} s")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# --- Logging in and choosing what to ask for ---------------------------------------------------


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


async def log_in(port: int, email: str = MEMBER) -> dict[str, str]:
    """Log a bench person in through the form; returns the session cookie header."""
    conn = Connection(port)
    _, headers, body = await conn.send(Request("GET", "/login", {}).encode())
    pre = headers.get("set-cookie", "").split(";", 1)[0]
    form = f"email={quote(email)}&password={quote(PASSWORD)}&csrf_token={_csrf(body.decode())}"
    status, headers, body = await conn.send(
        Request(
            "POST",
            "/login",
            {"Content-Type": "application/x-www-form-urlencoded"}
            | ({"Cookie": pre} if pre else {}),
            form.encode(),
        ).encode()
    )
    await conn.close()
    if status != 303 or headers.get("location", "").startswith("/login"):
        # A second factor asked (ZERODRAFT_MFA_REQUIRED_ROLES) is a failed log-in here too.
        where = headers.get("location", "")
        raise SystemExit(f"log-in of {email} failed: {status} {where} {body[:300]!r}")
    return {"Cookie": headers["set-cookie"].split(";", 1)[0]}


def api_token(url: str, email: str = MEMBER) -> str:
    """A personal API token for a bench person, made as `zerodraft` would make one."""
    from datetime import UTC, datetime

    from app.accounts import service as accounts
    from app.audit.service import Actor
    from app.db import Database

    database = Database(url)
    try:
        with database.transaction() as s:
            user = accounts.get_user_by_email(s, email)
            _, raw = accounts.create_token(
                s, Actor.system("bench"), user=user, name="bench", now=datetime.now(UTC)
            )
    finally:
        database.dispose()
    return raw


def sample_indicators(url: str, count: int) -> list[tuple[str, int, str]]:
    """Indicators with the typical number of proposals and comments: (code, revision, text)."""
    from sqlalchemy import func, select

    from app.db import Database
    from app.models import Comment, Item, ItemKind, ProposalTarget, Revision

    database = Database(url)
    try:
        with database.transaction(write=False) as s:
            rows = s.execute(
                select(Item.code, Item.version, Revision.text)
                .join(Revision, (Revision.item_id == Item.id) & (Revision.number == Item.version))
                .where(Item.kind == ItemKind.INDICATOR)
                .order_by(Item.id)
            ).all()
            proposals = s.scalar(select(func.count()).select_from(ProposalTarget))
            comments = s.scalar(select(func.count()).select_from(Comment))
    finally:
        database.dispose()
    step = max(1, len(rows) // count)
    print(
        f"working set: {len(rows)} indicators, {proposals} proposals, {comments} comments; "
        f"the indicator pages asked for: {min(count, len(rows))} of them in turn"
    )
    return [(c, v, t) for c, v, t in rows[::step][:count]]


# --- The operations ---------------------------------------------------------------------------


def operations(
    cookie: dict[str, str], token: str, indicators: list[tuple[str, int, str]]
) -> dict[str, Operation]:
    bearer = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    rnd = quote(ROUND, safe="/")

    def page(path: str) -> Operation:
        return lambda n: [(Request("GET", path, cookie), 200)]

    def indicator_page(n: int) -> list[tuple[Request, int]]:
        code = indicators[n % len(indicators)][0]
        return [(Request("GET", f"/indicators/{code}", cookie), 200)]

    def indicator_json(n: int) -> list[tuple[Request, int]]:
        # What a script needs for the same page: the indicator, its proposals, its comments.
        code = indicators[n % len(indicators)][0]
        return [
            (Request("GET", f"/api/v1/indicators/{code}", bearer), 200),
            (Request("GET", f"/api/v1/proposals?item={code}", bearer), 200),
            (Request("GET", f"/api/v1/comments?item={code}", bearer), 200),
        ]

    def submit(n: int) -> list[tuple[Request, int]]:
        code, _, text = indicators[n % len(indicators)]
        body = {
            "kind": "amend",
            "targets": [code],
            "content": {"text": f"{text} (bench amendment {n})"},
            "rationale": "Clearer wording for first-line officers.",
            "submit": True,
        }
        headers = bearer | {"Content-Type": "application/json"}
        return [(Request("POST", "/api/v1/proposals", headers, json.dumps(body).encode()), 201)]

    return {
        # Not a page: the cheapest signed-in request (who am I), i.e. the share of the bare
        # endpoint that any request paying for a log-in check and a database session can reach.
        "signed-in floor (/api/v1/me)": lambda n: [(Request("GET", "/api/v1/me", bearer), 200)],
        "register list": page("/register"),
        "register list (JSON)": lambda n: [(Request("GET", "/api/v1/indicators", bearer), 200)],
        "indicator page": indicator_page,
        "indicator page (JSON)": indicator_json,
        "compilation view": page(f"/rounds/{rnd}"),
        # The same two pages from a server with ZERODRAFT_PAGE_CACHE=false: every view rendered
        # afresh, as the first view of each page after a change is.
        COLD + "register list": page("/register"),
        COLD + "indicator page": indicator_page,
        COLD + "compilation view": page(f"/rounds/{rnd}"),
        # Last: every submission adds a proposal to the pages measured above.
        "proposal submission": submit,
    }


def bare_twin(result: Result, operation: Operation) -> Operation:
    """The same requests (method, count, body) against the bare app, answered with bodies of the
    median size zerodraft answered each with."""
    sample = operation(0)
    sizes = _median_sizes(result, len(sample))

    def twin(n: int) -> list[tuple[Request, int]]:
        out = []
        for (request, status), size in zip(operation(n), sizes, strict=True):
            kind = "json" if request.path.startswith("/api/") else "html"
            headers = {"Content-Type": "application/json"} if request.method == "POST" else {}
            out.append((Request(request.method, f"/{kind}/{size}", headers, request.body), status))
        return out

    return twin


def _median_sizes(result: Result, parts: int) -> list[int]:
    """The median bytes of zerodraft's answers to the operation, split between its requests in
    the proportions probe_shares found."""
    total = int(statistics.median(result.response_bytes)) if result.response_bytes else 1000
    shares = result.shares or [1 / parts] * parts
    return [max(16, int(total * s)) for s in shares]


async def probe_shares(port: int, operation: Operation) -> list[float]:
    """How a multi-request operation's bytes split between its requests."""
    conn = Connection(port)
    sizes = []
    for request, _ in operation(0):
        _, _, body = await conn.send(request.encode())
        sizes.append(len(body))
    await conn.close()
    total = sum(sizes) or 1
    return [s / total for s in sizes]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seconds", type=float, default=6.0, help="per operation and server")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--only", action="append", help="measure only this operation")
    parser.add_argument("--workers", type=int, default=1, help=WORKERS_HELP)
    args = parser.parse_args()

    indicators = sample_indicators(args.database_url, 50)
    token = api_token(args.database_url)
    env = {
        "ZERODRAFT_DATABASE_URL": args.database_url,
        "ZERODRAFT_MODE": "development",
        "ZERODRAFT_LOGIN_MAX_FAILURES": "1000",
    }
    app = Server(["app.main:create_app", "--factory"], env, args.workers)
    cold = Server(
        ["app.main:create_app", "--factory"],
        env | {"ZERODRAFT_PAGE_CACHE": "false"},
        args.workers,
    )
    bare = Server(["bench.bare:app"], {}, args.workers)
    results: list[tuple[Result, Result]] = []
    try:
        cookie = asyncio.run(log_in(app.port))
        ops = operations(cookie, token, indicators)
        cold_ops = operations(asyncio.run(log_in(cold.port)), token, indicators)
        print(
            f"{args.concurrency} concurrent clients, {args.seconds:g} s per operation and "
            f"server, uvicorn {' '.join(UVICORN)} --workers {args.workers}\n"
        )
        header = (
            f"{'operation':<30}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'KB':>7}   "
            f"{'bare req/s':>10}{'p50 ms':>9}{'p99 ms':>9}   share of bare"
        )
        print(header)
        print("-" * len(header))
        for name, operation in ops.items():
            if args.only and name not in args.only:
                continue
            server = cold if name.startswith(COLD) else app
            if name.startswith(COLD):
                operation = cold_ops[name]
            shares = asyncio.run(probe_shares(server.port, operation))
            reads = all(request.method == "GET" for request, _ in operation(0))
            prime = len(indicators) if reads else 0
            ours = asyncio.run(
                load(
                    name,
                    server.port,
                    operation,
                    seconds=args.seconds,
                    concurrency=args.concurrency,
                    prime=prime,
                )
            )
            ours.shares = shares
            theirs = asyncio.run(
                load(
                    f"bare {name}",
                    bare.port,
                    bare_twin(ours, operation),
                    seconds=args.seconds,
                    concurrency=args.concurrency,
                    prime=prime,
                )
            )
            results.append((ours, theirs))
            share = 100 * ours.rate / theirs.rate if theirs.rate else float("nan")
            size = statistics.median(ours.response_bytes) / 1024 if ours.response_bytes else 0
            errors = f"  ({ours.errors} failed)" if ours.errors else ""
            print(
                f"{name:<30}{ours.rate:>9.1f}{ours.percentile(50):>9.1f}"
                f"{ours.percentile(99):>9.1f}{size:>7.0f}   {theirs.rate:>10.1f}"
                f"{theirs.percentile(50):>9.1f}{theirs.percentile(99):>9.1f}   "
                f"{share:5.1f} % of bare{errors}",
                flush=True,
            )
            if name.startswith(COLD):
                # Every view rendered afresh: what each participant meets after a change.
                print(
                    f"first view: {name.removeprefix(COLD)}: {ours.rate:.1f} req/s, "
                    f"p50 {ours.percentile(50):.0f} ms, {share:.1f} % of bare{errors}",
                    flush=True,
                )
    finally:
        app.stop()
        cold.stop()
        bare.stop()
    below = [
        ours.name.removeprefix(COLD)
        for ours, theirs in results
        if ours.name.startswith(COLD)
        and ours.name.removeprefix(COLD) in TARGETED
        and 100 * ours.rate / max(theirs.rate, 1e-9) < FIRST_VIEW_TARGET
    ]
    measured = {ours.name.removeprefix(COLD) for ours, _ in results if ours.name.startswith(COLD)}
    if measured & set(TARGETED):
        print(
            f"\ntarget: first views of the register list, the indicator page and the compilation"
            f" view at >= {FIRST_VIEW_TARGET:g} % of bare: "
            + (f"MISSED by {', '.join(below)}" if below else "met")
        )


if __name__ == "__main__":
    main()
