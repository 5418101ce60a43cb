"""How export and list times grow with the draft: 125, 250, 500 and 1,000 indicators.

    .venv/bin/python bench/scaling.py [--database-url-base sqlite:///bench-scaling]
                                      [--sizes 125 250 500 1000]

For each size, bench/generate.py builds a working set (proposals and comments scaled with it)
in a database of its own: SQLite files under a temporary folder by default, or, with
--postgresql URL, that (empty) PostgreSQL database, emptied before each size. Then it times, in
this process, the best of --repeat runs of:
- the Word export of the round, clean variant, through app.rounds.export.export_round (loading
  from the database and writing the .docx);
- the register list: the /register page, through the app (TestClient, logged in as a member),
  with the page cache off (ZERODRAFT_PAGE_CACHE=false): each request renders the whole list,
  as the first view after a change does; a cached view costs about the same at every size.
The growth exponent is the slope of log(time) against log(indicators): 1 is linear.
"""

import argparse
import math
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from app.config import Settings  # noqa: E402
from app.db import Database  # noqa: E402
from app.main import create_app  # noqa: E402
from app.rounds.export import export_round  # noqa: E402
from app.rounds.service import get_round  # noqa: E402
from bench.generate import MEMBER, PASSWORD, ROUND, generate  # noqa: E402

WORKING_GROUP = "ASEAN Drafting Working Group on Forced Criminality"


def best(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def slope(xs: list[float], ys: list[float]) -> float:
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    num = sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True))
    den = sum((a - mx) ** 2 for a in lx)
    return num / den


def empty_postgresql(url: str) -> None:
    """Drop everything in the database's public schema (tables, types, the audit trigger)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def measure(url: str, repeat: int, tmp: Path) -> tuple[float, float, int]:
    database = Database(url)
    try:
        with database.transaction(write=False) as s:
            round_ = get_round(s, ROUND)

            def export() -> bytes:
                return export_round(
                    s, round_, "clean", working_group=WORKING_GROUP, signing_key="bench"
                ).data

            size = len(export())  # warm: imports, template
            export_s = best(repeat, export)
    finally:
        database.dispose()
    app = create_app(
        Settings(
            mode="development",
            database_url=url,
            data_dir=tmp,
            login_max_failures=1000,
            page_cache=False,
        )
    )
    try:
        with TestClient(app, base_url="http://testserver") as client:
            page = client.get("/login")
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert csrf
            client.post(
                "/login",
                data={"email": MEMBER, "password": PASSWORD, "csrf_token": csrf.group(1)},
                follow_redirects=False,
            )

            def register() -> None:
                response = client.get("/register")
                assert response.status_code == 200, response.text[:300]

            register()
            list_s = best(repeat, register)
    finally:
        app.state.database.dispose()
    return export_s, list_s, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[125, 250, 500, 1000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--postgresql", help="an empty PostgreSQL database to use (its tables are dropped)"
    )
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        engine = "PostgreSQL" if args.postgresql else "SQLite"
        print(
            f"Scaling on {engine}: Word export (clean) and register list (rendered, no page "
            f"cache), best of {args.repeat}\n"
        )
        header = (
            f"{'indicators':>10}{'proposals':>10}{'comments':>10}{'export s':>10}"
            f"{'DOCX KB':>9}{'list ms':>9}"
        )
        print(header)
        print("-" * len(header))
        for size in args.sizes:
            if args.postgresql:
                empty_postgresql(args.postgresql)
                url = args.postgresql
            else:
                url = f"sqlite:///{tmp / f'scaling-{size}.sqlite3'}"
            made = generate(url, size, quiet=True)
            export_s, list_s, docx = measure(url, args.repeat, tmp)
            rows.append((size, export_s, list_s))
            print(
                f"{size:>10}{made['proposals']:>10}{made['comments']:>10}{export_s:>10.2f}"
                f"{docx // 1024:>9}{list_s * 1000:>9.1f}",
                flush=True,
            )
    sizes = [float(r[0]) for r in rows]
    e = slope(sizes, [r[1] for r in rows])
    lst = slope(sizes, [r[2] for r in rows])
    verdict = "linear or better" if max(e, lst) <= 1.1 else "WORSE than linear"
    print(
        f"\ngrowth exponent (log-log slope; 1 = linear): export {e:.2f}, register list {lst:.2f}"
        f" -> {verdict}"
    )


if __name__ == "__main__":
    main()
