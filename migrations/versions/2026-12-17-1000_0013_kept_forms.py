"""kept forms: the text of a form sent after its session had ended, kept until the person logs in

A person whose session ended while they typed gets the form back with their text once they have
logged in again. The text waits in this table for a short while (it must survive a restart and be
seen by every instance), under the SHA-256 of the key in their link.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-17 10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Self-contained: imports nothing from the application.
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "kept_forms",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=2000), nullable=False),
        sa.Column("page", sa.String(length=2000), nullable=True),
        sa.Column(
            "fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_kept_forms_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kept_forms")),
    )
    with op.batch_alter_table("kept_forms") as batch:
        batch.create_index(batch.f("ix_kept_forms_user_id"), ["user_id"], unique=False)
        batch.create_index(batch.f("ix_kept_forms_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("kept_forms") as batch:
        batch.drop_index(batch.f("ix_kept_forms_expires_at"))
        batch.drop_index(batch.f("ix_kept_forms_user_id"))
    op.drop_table("kept_forms")
