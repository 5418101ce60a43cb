"""screening rules: the combination rule as JSON, versioned, drafted by the secretariat and
frozen with the round it belongs to (issue 21)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-27 09:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Self-contained: imports nothing from the application.


def upgrade() -> None:
    op.create_table(
        "screening_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "body",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_screening_rules_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_screening_rules_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_rules")),
        sa.UniqueConstraint("name", "version", name=op.f("uq_screening_rules_name_version")),
        sa.UniqueConstraint("round_id", name=op.f("uq_screening_rules_round_id")),
    )


def downgrade() -> None:
    op.drop_table("screening_rules")
