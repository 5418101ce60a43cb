"""Statements and CPU per request, in process: a measure the machine's load barely moves.

    .venv/bin/python bench/inprocess.py --database-url sqlite:///bench.sqlite3 [--n 30]
        [--writes] [--profile "indicator page"]

The database must hold the working set of bench/generate.py; with --writes it is changed (a
decision, a position and a comment per round: use a copy). The app runs with the page cache
off (every page rendered in full, as the first view after a change) and is driven through ASGI
in this thread, the thread pool's work run inline, so that `time.process_time` counts the
request's own CPU and cProfile sees all of it. For each page (a member's view; search: the
page and the JSON API over bench/search.py's questions in turn, --n of them) and, with
--writes, each change of bench/meeting.py's writer: the SQL statements it sent (as
tests/test_sql_counts.py counts them) and the CPU milliseconds it took, median and least of
--n requests, and the answer's size.
"""

import argparse
import asyncio
import cProfile
import os
import pstats
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import anyio.to_thread
import httpx
from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.config import Settings  # noqa: E402
from app.main import create_app  # noqa: E402
from bench.generate import MEMBER, PASSWORD, ROUND, SECRETARIAT  # noqa: E402
from bench.meeting import AGENDA, decision_candidates  # noqa: E402
from bench.run import api_token, sample_indicators  # noqa: E402
from bench.search import questions  # noqa: E402


async def _inline(func: Callable[..., Any], *args: Any, **_: Any) -> Any:
    return func(*args)


class Client:
    """An HTTP client on the app's ASGI interface, in this thread."""

    def __init__(self, app: Any) -> None:
        self.runner = asyncio.Runner()
        transport = httpx.ASGITransport(app=app)
        self.http = httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1")

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.runner.run(self.http.get(path, **kw))

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.runner.run(self.http.post(path, **kw))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--n", type=int, default=30, help="requests of each kind")
    parser.add_argument("--writes", action="store_true", help="also measure the writer's changes")
    parser.add_argument(
        "--profile",
        help="cProfile this one (CPU time); PROFILE_SORT, PROFILE_TOP choose the listing",
    )
    args = parser.parse_args()
    url = args.database_url

    anyio.to_thread.run_sync = _inline  # type: ignore[assignment]
    settings = Settings(
        mode="development",
        database_url=url,
        data_dir=Path(os.environ.get("TMPDIR", "/tmp")),
        page_cache=False,
        mfa_required_roles="",
        password_hashing="minimal",
    )
    app = create_app(settings)
    sent: list[str] = []

    @event.listens_for(app.state.database.engine, "before_cursor_execute")
    def _count(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    client = Client(app)

    def measure(name: str, request: Callable[[int], httpx.Response]) -> None:
        request(0)  # imports, templates, connections
        profile = cProfile.Profile(time.process_time) if args.profile == name else None
        cpu: list[float] = []
        counts: list[int] = []
        for n in range(args.n):
            sent.clear()
            started = time.process_time()
            if profile is not None:
                profile.enable()
            answer = request(n + 1)
            if profile is not None:
                profile.disable()
            cpu.append(1000 * (time.process_time() - started))
            counts.append(len(sent))
            if answer.status_code >= 300:
                raise SystemExit(f"{name}: {answer.status_code} {answer.text[:300]}")
        cpu.sort()
        print(
            f"{name:<16} statements {min(counts)}-{max(counts)}, CPU ms median "
            f"{cpu[len(cpu) // 2]:.1f} least {cpu[0]:.1f}, {len(answer.content) // 1024} KB"
        )
        if profile is not None:
            order = os.environ.get("PROFILE_SORT", "cumulative")
            top = int(os.environ.get("PROFILE_TOP", "40"))
            pstats.Stats(profile).sort_stats(order).print_stats(top)

    agenda = [code for code, _, _ in sample_indicators(url, AGENDA)]
    login = client.get("/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login)
    assert csrf is not None
    client.post(
        "/login",
        data={"email": "member1@bench.zerodraft.test", "password": PASSWORD, "csrf_token": csrf[1]},
    )
    measure("register list", lambda n: client.get("/register"))
    measure("indicator page", lambda n: client.get(f"/indicators/{agenda[n % len(agenda)]}"))
    measure("round page", lambda n: client.get(f"/rounds/{quote(ROUND, safe='/')}"))
    measure("consensus grid", lambda n: client.get("/consensus"))
    # bench/search.py's questions in turn, the page and the JSON API (issue 18's target).
    asked = [urlencode(q) for q in questions(url)]
    bearer = {"Authorization": f"Bearer {api_token(url, MEMBER)}"}
    measure("search page", lambda n: client.get(f"/search?{asked[n % len(asked)]}"))
    measure(
        "search (JSON API)",
        lambda n: client.get(f"/api/v1/search?{asked[n % len(asked)]}", headers=bearer),
    )
    if not args.writes:
        return
    candidates = decision_candidates(url, agenda)
    sec = {"Authorization": f"Bearer {api_token(url, SECRETARIAT)}"}
    member = {"Authorization": f"Bearer {api_token(url, 'member1@bench.zerodraft.test')}"}
    if len(candidates) < args.n + 1:
        raise SystemExit(f"only {len(candidates)} proposals to decide: use a fresh working set")

    def decide(_: int) -> httpx.Response:
        pid, version = candidates.pop(0)
        body = {"outcome": "agreed", "reason": "Agreed in the meeting.", "acknowledged": True}
        tag = {"If-Match": f'"P-{pid}.v{version}"'}
        return client.post(f"/api/v1/proposals/{pid}/decision", json=body, headers=sec | tag)

    stances = ("support", "reservation", "ad_referendum")
    measure("decision", decide)
    measure(
        "position",
        lambda n: client.post(
            "/api/v1/positions",
            json={"item": agenda[n % len(agenda)], "stance": stances[n % 3], "statement": "b"},
            headers=member,
        ),
    )
    measure(
        "comment",
        lambda n: client.post(
            "/api/v1/comments",
            json={"item": agenda[n % len(agenda)], "body": f"Meeting note {n}: check this."},
            headers=sec,
        ),
    )


if __name__ == "__main__":
    main()
