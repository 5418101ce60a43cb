"""comment written by: the Word author of a comment imported from a returned copy

A comment read from a delegation's returned copy is made by the person who confirmed the import
(author_id), on behalf of the delegation; the name Word gave its author ("Ana Reyes") is kept
here so that the comment is shown as "Ana Reyes (Philippines - SOMTC)". Null: the author account
wrote it (every comment made before this revision).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-18 09:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Self-contained: imports nothing from the application.


def upgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.add_column(sa.Column("written_by", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.drop_column("written_by")
