"""The migrations build exactly the schema the models declare, and go down and up again."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from app.db import Base, make_engine
from tests.conftest import ENGINE, alembic_config, scratch_database


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
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
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
