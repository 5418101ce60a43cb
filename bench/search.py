"""Search latency at the working set: GET /api/v1/search and the /search page under load.

    .venv/bin/python bench/search.py --database-url sqlite:///bench.sqlite3 [--seconds 6]

The database must hold the working set of bench/generate.py (500 indicators, 2,000 proposals,
5,000 comments). zerodraft runs under uvicorn as in bench/run.py, next to bench/bare.py. The
questions asked in turn are made from the working set's own text: single words (stemmed or
not), two words, a phrase in quotes, a word with a filter (kind, dimension) and an indicator's
code, as a member of a delegation (so every visibility rule is applied). First the CPU one
search takes in process, alone (what the machine's other users change least); then
`--concurrency` clients (16) ask for `--seconds`; then as long against the bare endpoint
answering bodies of the same median size. Printed: requests per second, p50/p95/p99 latency,
the answers' size and the share of bare, and whether p95 meets the target (issue 18: <= 50 ms
under 16 clients).
"""

import argparse
import asyncio
import random
import re
import statistics
import sys
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import MEMBER  # noqa: E402
from bench.run import (  # noqa: E402
    WORKERS_HELP,
    Operation,
    Request,
    Server,
    api_token,
    bare_twin,
    load,
    log_in,
)

P95_TARGET_MS = 50.0
STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "that",
        "this",
        "from",
        "their",
        "they",
        "them",
        "have",
        "been",
        "were",
        "which",
        "when",
        "where",
        "into",
        "other",
        "than",
        "there",
        "these",
        "those",
        "such",
        "only",
        "also",
        "about",
        "after",
        "before",
        "under",
        "over",
    ]
)


def questions(url: str, count: int = 200, seed: int = 18) -> list[dict[str, str]]:
    """Questions as people ask them, made of the working set's words and codes."""
    from sqlalchemy import select

    from app.db import Database
    from app.models import Dimension, Item, ItemKind, Revision

    database = Database(url)
    try:
        with database.transaction(write=False) as s:
            rows = s.execute(
                select(Item.code, Revision.text)
                .join(Revision, (Revision.item_id == Item.id) & (Revision.number == Item.version))
                .where(Item.kind == ItemKind.INDICATOR)
            ).all()
            dimensions = list(s.scalars(select(Dimension.code)))
    finally:
        database.dispose()
    rng = random.Random(seed)
    out: list[dict[str, str]] = []
    while len(out) < count:
        code, text = rng.choice(rows)
        words = [w for w in re.findall(r"[A-Za-z]{4,}", text) if w.lower() not in STOP]
        if len(words) < 3:
            continue
        at = rng.randrange(len(words) - 1)
        shape = len(out) % 6
        if shape == 0:
            out.append({"q": words[at]})
        elif shape == 1:
            out.append({"q": words[at] + "s"})  # another form of the word
        elif shape == 2:
            out.append({"q": f"{words[at]} {rng.choice(words)}"})
        elif shape == 3:
            phrase = re.search(rf"\b{words[at]}\W+\w+", text)
            out.append({"q": f'"{phrase.group()}"' if phrase else words[at]})
        elif shape == 4:
            kind = rng.choice(("indicator", "proposal", "comment"))
            out.append({"q": words[at], "kind": kind, "dimension": rng.choice(dimensions)})
        else:
            out.append({"q": code})
    return out


def in_process(url: str, asked: list[dict[str, str]]) -> tuple[float, float]:
    """CPU milliseconds of one search in this process (app/search/service.py's search, as the
    bench member, no HTTP), mean and p95 over the questions, after one pass to warm up: the
    figure that does not depend on how many others share the machine."""
    import time

    from app.accounts import service as accounts
    from app.db import Database
    from app.search import service

    database = Database(url)
    try:
        with database.transaction(write=False) as s:
            principal = accounts.principal_for_user(s, accounts.get_user_by_email(s, MEMBER))
        spent: list[float] = []
        for _ in range(2):
            spent.clear()
            for asked_one in asked:
                params = dict(asked_one)
                q = params.pop("q")
                with database.transaction(write=False) as s:
                    start = time.process_time()
                    service.search(s, principal, q, filters=service.Filters(**params))
                    spent.append((time.process_time() - start) * 1000)
    finally:
        database.dispose()
    spent.sort()
    return statistics.mean(spent), spent[int(len(spent) * 0.95) - 1]


def operations(
    token: str, cookie: dict[str, str], asked: list[dict[str, str]]
) -> dict[str, Operation]:
    bearer = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def api(n: int) -> list[tuple[Request, int]]:
        query = urlencode(asked[n % len(asked)])
        return [(Request("GET", f"/api/v1/search?{query}", bearer), 200)]

    def page(n: int) -> list[tuple[Request, int]]:
        query = urlencode(asked[n % len(asked)])
        return [(Request("GET", f"/search?{query}", cookie), 200)]

    return {"search (JSON API)": api, "search page": page}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seconds", type=float, default=6.0, help="per operation and server")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1, help=WORKERS_HELP)
    args = parser.parse_args()

    asked = questions(args.database_url)
    mean, p95 = in_process(args.database_url, asked)
    print(
        f"CPU per search in process (no HTTP, one at a time): mean {mean:.1f} ms, p95 {p95:.1f} ms"
    )
    token = api_token(args.database_url)
    env = {
        "ZERODRAFT_DATABASE_URL": args.database_url,
        "ZERODRAFT_MODE": "development",
        "ZERODRAFT_LOGIN_MAX_FAILURES": "1000",
    }
    app = Server(["app.main:create_app", "--factory"], env, args.workers)
    bare = Server(["bench.bare:app"], {}, args.workers)
    missed = []
    try:
        cookie = asyncio.run(log_in(app.port))
        print(
            f"{len(asked)} questions in turn, {args.concurrency} concurrent clients, "
            f"{args.seconds:g} s per operation and server, {args.workers} uvicorn worker(s) "
            "each\n"
        )
        header = (
            f"{'operation':<22}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'KB':>6}   "
            f"{'bare req/s':>10}{'p95 ms':>8}   share of bare"
        )
        print(header)
        print("-" * len(header))
        for name, operation in operations(token, cookie, asked).items():
            ours = asyncio.run(
                load(name, app.port, operation, seconds=args.seconds, concurrency=args.concurrency)
            )
            theirs = asyncio.run(
                load(
                    f"bare {name}",
                    bare.port,
                    bare_twin(ours, operation),
                    seconds=args.seconds,
                    concurrency=args.concurrency,
                )
            )
            share = 100 * ours.rate / theirs.rate if theirs.rate else float("nan")
            size = statistics.median(ours.response_bytes) / 1024 if ours.response_bytes else 0
            errors = f"  ({ours.errors} failed)" if ours.errors else ""
            print(
                f"{name:<22}{ours.rate:>8.1f}{ours.percentile(50):>8.1f}"
                f"{ours.percentile(95):>8.1f}{ours.percentile(99):>8.1f}{size:>6.1f}   "
                f"{theirs.rate:>10.1f}{theirs.percentile(95):>8.1f}   "
                f"{share:5.1f} % of bare{errors}",
                flush=True,
            )
            if ours.percentile(95) > P95_TARGET_MS or ours.errors:
                missed.append(name)
    finally:
        app.stop()
        bare.stop()
    print(
        f"\ntarget: search p95 <= {P95_TARGET_MS:g} ms under {args.concurrency} clients "
        f"({args.workers} worker(s)): " + (f"MISSED by {', '.join(missed)}" if missed else "met")
    )


if __name__ == "__main__":
    main()
