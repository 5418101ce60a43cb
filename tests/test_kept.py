"""The one cache's kept(): a value built at a version read from the database first, per database,
at most N versions, one build at a time per version (app/cache.py)."""

import threading
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from app.cache import forget, kept

VERSION = text("SELECT max(n) FROM t")


def database(file: Path) -> Session:
    engine = create_engine(f"sqlite:///{file}")
    with engine.begin() as c:
        c.execute(text("CREATE TABLE t (n INTEGER)"))
        c.execute(text("INSERT INTO t VALUES (1)"))
    return Session(engine)


def total(session: Session, builds: list[int | None], before: int | None = None) -> int:
    builds.append(before)
    return int(session.execute(text("SELECT sum(n) FROM t")).scalar_one())


def test_a_value_is_built_again_only_when_its_version_changes_and_per_database(
    tmp_path: Path,
) -> None:
    one, other = database(tmp_path / "one.db"), database(tmp_path / "other.db")
    builds: list[int | None] = []
    answer = lambda s: kept(s, "test total", VERSION, lambda b: total(s, builds, b))  # noqa: E731
    assert answer(one) == 1 and answer(one) == 1 and builds == [None]
    # Another database at the same version has a value of its own.
    other.execute(text("UPDATE t SET n = 1"))
    assert answer(other) == 1 and builds == [None, None]
    one.execute(text("INSERT INTO t VALUES (5)"))
    assert answer(one) == 6 and builds == [None, None, 1]  # built from the one before
    forget("test total")
    assert answer(one) == 6 and builds[-1] is None


def test_requests_arriving_during_a_build_wait_for_it(tmp_path: Path) -> None:
    engine = database(tmp_path / "db").get_bind()
    builds: list[int] = []

    def slow(_: int | None) -> int:
        builds.append(1)
        time.sleep(0.2)
        return 7

    got: list[int] = []

    def ask() -> None:
        with Session(engine) as s:
            got.append(kept(s, "test slow", VERSION, slow))

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert got == [7] * 6 and len(builds) == 1
