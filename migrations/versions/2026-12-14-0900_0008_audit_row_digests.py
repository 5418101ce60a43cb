"""audit row digests: an event records the digest of each content row its transaction wrote

`zerodraft audit verify` compares every live row of the covered tables (comments, revisions,
proposals ...) with the newest digest the trail holds for it. Events written before this column
existed have none (NULL), and their hash is computed exactly as before.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-14 09:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("row_digests", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("row_digests")
