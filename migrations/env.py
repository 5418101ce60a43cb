from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

import app.models  # noqa: F401  (registers every table on the metadata)
from app.config import get_settings
from app.db import Base, make_engine
from app.models.search import compared

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _url() -> str:
    return str(config.attributes.get("url") or get_settings().effective_database_url)


def _sqlite_foreign_keys(connection: Connection, on: bool) -> None:
    """SQLite checks foreign keys on every statement (app/db.py turns them on), and a batch
    migration rebuilds a table by copying it, dropping it and renaming the copy: a reply's
    parent_id then points into a table that is momentarily gone. Alembic's recipe: checks off
    around the migrations (the pragma only takes effect outside a transaction, so on the driver's
    connection before ours begins), and `PRAGMA foreign_key_check` before committing."""
    connection.connection.driver_connection.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=sqlite,
        compare_type=True,
        include_object=compared,
    )
    if sqlite and not connection.in_transaction():
        _sqlite_foreign_keys(connection, on=False)
    try:
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migrations left broken references: {broken[:10]}")
    finally:
        if sqlite and not connection.in_transaction():
            _sqlite_foreign_keys(connection, on=True)


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
