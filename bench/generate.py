"""Build a large working set in a database, for the benchmarks.

    .venv/bin/python bench/generate.py --database-url sqlite:///bench.sqlite3 [--indicators 500]

The database is built through the migrations (alembic upgrade head) and must be empty. The
group's set-up (member states, bodies, delegations, people, dimensions, the round) goes through
the services, so it is what real use writes, audit trail included. The bulk (indicators with 10
revisions each, proposals with targets, sponsors and positions, comments and replies,
notifications) goes in with multi-row INSERTs of the same rows the services would write: that is
what makes 500 indicators take seconds instead of minutes. Those bulk rows have no audit events.

At --indicators N: N indicators over 6 dimensions, 6 prose sections, 10 revisions per item,
4N proposals (several per indicator, from several delegations; drafts, submitted, under
consideration and decided), positions on most of them and on every tenth indicator (with history),
10N comments (three quarters threads anchored to words of the current text or on a proposal,
a quarter replies), 60 people in 30 delegations, and an issued round with its frozen snapshot,
open for input until a month from now. Everyone's password is PASSWORD below.
"""

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import migrate  # noqa: E402
from app.db import Database  # noqa: E402

# The working set itself is app/demo/working_set.py (tests/test_sql_counts.py builds it too);
# bench/run.py, meeting.py and scaling.py import these names from here.
from app.demo.working_set import MEMBER, PASSWORD, ROUND, SECRETARIAT, populate  # noqa: E402

__all__ = ["MEMBER", "PASSWORD", "ROUND", "SECRETARIAT", "generate", "populate"]


def generate(url: str, indicators: int, *, seed: int = 2026, quiet: bool = False) -> dict[str, Any]:
    """Build the working set into the (empty) database at `url`; returns what was made."""
    started = time.perf_counter()
    migrate.upgrade(url)
    database = Database(url)
    try:
        with database.transaction() as session:
            made: dict[str, Any] = populate(
                session, indicators, now=datetime.now(UTC).replace(microsecond=0), seed=seed
            )
        # The tables as a database in service has them (autovacuum vacuums and analyses a
        # table after enough changes, minutes after a bulk load): without the planner's
        # statistics PostgreSQL plans a search's word as a nested loop (32 ms instead of 9),
        # and without the visibility map an index-only scan reads the table's pages as well (a
        # one-word search 7.5 -> 6.6 ms); the first minutes of a benchmark would measure what
        # no running server does. (SQLite is left as a server leaves it: nothing runs ANALYZE.)
        if database.engine.dialect.name == "postgresql":
            with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM (ANALYZE)")
    finally:
        database.dispose()
    made["seconds"] = round(time.perf_counter() - started, 1)
    if not quiet:
        print(", ".join(f"{v} {k}" for k, v in made.items()))
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True, help="an empty SQLite file or PostgreSQL")
    parser.add_argument("--indicators", type=int, default=500)
    args = parser.parse_args()
    if args.indicators < 6:
        parser.error("--indicators: at least 6 (one per dimension)")
    generate(args.database_url, args.indicators)


if __name__ == "__main__":
    main()
