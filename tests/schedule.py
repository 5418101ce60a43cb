"""The order in which the test files are run: the longest first.

`make test` runs two workers that take one whole file at a time (`--dist loadfile`, so that a
module's fixtures, e.g. one LibreOffice run, are made once) from one queue. pytest-xdist orders
that queue by the number of tests in a file, which put the files with few but long tests (the
schemathesis run, the browser and LibreOffice files, the servers killed and restarted) last: one
worker then ran them alone while the other had finished. Here the files are sorted by the
seconds each took in a recorded run (tests/file_seconds.json, per engine; PostgreSQL falls back
to the SQLite figure), longest first, and the Makefile passes `--no-loadscope-reorder` so that
xdist keeps this order. A file the record does not know counts as half a second a test. The
order changes no test: every file still runs whole, in its own order, and each test starts from
its own database.

To record the figures again (they need only be roughly right, to put the long files first):
`ZERODRAFT_RECORD_SECONDS=tests/file_seconds.json make test` (or `make test-pg`) writes each
file's seconds (setup, call and teardown of its tests, summed) for the engine it ran on, keeping
the files it did not run. Record from a whole run: a file run in part (-k, --deselect) records
only that part.
"""

import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ENGINE

RECORD = Path(__file__).resolve().parent / "file_seconds.json"
UNKNOWN_SECONDS_PER_TEST = 0.5


def _read(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    recorded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return recorded


def _file(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    recorded = _read(RECORD)
    known: dict[str, float] = recorded.get("sqlite", {}) | recorded.get(ENGINE, {})
    by_file: dict[str, list[pytest.Item]] = defaultdict(list)
    for item in items:
        by_file[_file(item.nodeid)].append(item)

    def seconds(name: str) -> float:
        return known.get(name, UNKNOWN_SECONDS_PER_TEST * len(by_file[name]))

    # sorted() is stable: files of equal weight keep the order they were collected in.
    order = sorted(by_file, key=lambda name: -seconds(name))
    items[:] = [item for name in order for item in by_file[name]]


_spent: defaultdict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if os.environ.get("ZERODRAFT_RECORD_SECONDS"):
        _spent[_file(report.nodeid)] += report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = os.environ.get("ZERODRAFT_RECORD_SECONDS")
    # Written once, by the process that saw every file: the controller, not an xdist worker.
    if not target or hasattr(session.config, "workerinput") or not _spent:
        return
    path = Path(target)
    recorded = _read(path)
    seconds = recorded.get(ENGINE, {}) | {name: round(s, 1) for name, s in _spent.items()}
    recorded[ENGINE] = dict(sorted(seconds.items()))
    path.write_text(json.dumps(recorded, indent=1) + "\n", encoding="utf-8")
