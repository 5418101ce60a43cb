"""The migrations build exactly the schema the models declare, and go down and up again."""

import ast
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, Table, inspect, select

from app.audit.chain import GENESIS, event_hash, verify
from app.db import Base, Database, make_engine
from app.models import AuditEvent
from app.models.search import compared
from tests.helpers import ENGINE, ROOT, alembic_config, scratch_database


@pytest.fixture
def empty_url(tmp_path: Path) -> Iterator[str]:
    if ENGINE == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    yield from scratch_database("migrations")


def _drift(url: str) -> list[object]:
    engine = make_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": compared}
            ),
            Base.metadata,
        )
    engine.dispose()
    return diff


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    names = set(inspect(engine).get_table_names())
    engine.dispose()
    return names


def test_upgrade_builds_the_models_schema_without_drift(empty_url: str) -> None:
    command.upgrade(alembic_config(empty_url), "head")
    assert _drift(empty_url) == []


def test_downgrade_to_base_and_upgrade_again(empty_url: str) -> None:
    config = alembic_config(empty_url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    assert _tables(empty_url) <= {"alembic_version"}
    command.upgrade(config, "head")
    assert set(Base.metadata.tables) <= _tables(empty_url)
    assert _drift(empty_url) == []


def test_migrations_import_nothing_from_the_application() -> None:
    """An old migration must do what it did when it was written, whatever the code becomes."""
    offenders = []
    for path in sorted((ROOT / "migrations" / "versions").glob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            offenders += [f"{path.name}: {n}" for n in names if n == "app" or n.startswith("app.")]
    assert offenders == []


def test_the_chain_backfill_hashes_events_as_the_application_does(empty_url: str) -> None:
    """0003 chains events written before the chain existed, with its own frozen copy of the
    hash: it must agree with app/audit/chain.py for events of that time."""
    config = alembic_config(empty_url)
    command.upgrade(config, "0002")
    engine = make_engine(empty_url)
    events = Table("audit_events", MetaData(), autoload_with=engine)
    at = datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC)
    with engine.begin() as conn:
        for seq, details in ((1, {"name": "Lao PDR", "scripts": "ພາສາລາວ"}), (2, {})):
            conn.execute(
                events.insert().values(
                    id=seq,
                    occurred_at=at if ENGINE == "postgresql" else at.replace(tzinfo=None),
                    actor_id=None,
                    delegation_id=None,
                    action="member_state.add",
                    object_type="member_state",
                    object_id="LA",
                    revision_before=None,
                    revision_after=seq,
                    request_id="r-1",
                    details=details,
                )
            )
    engine.dispose()
    command.upgrade(config, "0003")
    command.upgrade(config, "head")  # the model reads columns added since (0008: row_digests)
    database = Database(empty_url)
    with database.transaction(write=False) as s:
        stored = list(s.scalars(select(AuditEvent).order_by(AuditEvent.id)))
        assert stored[0].prev_hash == GENESIS and len(stored) == 2
        assert all(e.hash == event_hash(e) for e in stored)
        assert verify(stored) == (2, None)
    database.dispose()
