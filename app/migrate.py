"""Bring a database to the latest schema with Alembic, from code (CLI, tests, deployments)."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from app.db import make_engine
from app.errors import ServiceUnavailable

PACKAGE_PARENT = Path(__file__).resolve().parent.parent


def find_alembic_ini() -> Path:
    """alembic.ini beside the app package (a checkout), else in the working directory.

    An installed package (pip install .) lives in site-packages, away from alembic.ini and
    migrations/; the container runs from the folder that holds them.
    """
    for folder in (PACKAGE_PARENT, Path.cwd()):
        candidate = folder / "alembic.ini"
        if candidate.is_file():
            return candidate
    raise ServiceUnavailable(
        f"cannot find alembic.ini in {PACKAGE_PARENT} or {Path.cwd()}; run from the folder "
        "that holds alembic.ini and migrations/"
    )


def alembic_config(url: str) -> Config:
    config = Config(str(find_alembic_ini()))
    config.attributes["url"] = url
    return config


def current_revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def upgrade(url: str) -> tuple[str | None, str | None]:
    """Upgrade to head (nothing to do is fine); return the revisions before and after."""
    config = alembic_config(url)
    before = current_revision(url)
    command.upgrade(config, "head")
    return before, ScriptDirectory.from_config(config).get_current_head()
