"""api token expiry: every personal API token stops working at a date chosen when it is made

Tokens made before this revision get 90 days from the upgrade, the default for new ones.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-15 09:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Self-contained: imports nothing from the application.
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", UTC_DATETIME, nullable=True))
    expires = datetime.now(UTC) + timedelta(days=90)
    if op.get_bind().dialect.name == "sqlite":
        expires = expires.replace(tzinfo=None)  # stored as naive UTC there, as the app does
    tokens = sa.table("api_tokens", sa.column("expires_at", UTC_DATETIME))
    op.execute(tokens.update().values(expires_at=expires))
    with op.batch_alter_table("api_tokens") as batch:
        batch.alter_column("expires_at", existing_type=UTC_DATETIME, nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("expires_at")
