"""decision records: the consensus picture kept with each decision on a proposal (and its
acknowledgement, override and reopening), and what settling a round carried over

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-17 09:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Self-contained: imports nothing from the application.
UTC_DATETIME = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "decision_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("override_reason", sa.Text(), nullable=False),
        sa.Column("acknowledged", sa.Boolean(), nullable=False),
        sa.Column("consensus", JSON, nullable=False),
        sa.Column("reopened_at", UTC_DATETIME, nullable=True),
        sa.Column("reopened_by_id", sa.Integer(), nullable=True),
        sa.Column("reopen_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_id"], ["users.id"], name=op.f("fk_decision_records_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=op.f("fk_decision_records_proposal_id_proposals"),
        ),
        sa.ForeignKeyConstraint(
            ["reopened_by_id"], ["users.id"], name=op.f("fk_decision_records_reopened_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_records")),
    )
    with op.batch_alter_table("decision_records") as batch:
        batch.create_index(
            batch.f("ix_decision_records_proposal_id"), ["proposal_id"], unique=False
        )
    op.create_table(
        "round_settlements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("carried_over", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["by_id"], ["users.id"], name=op.f("fk_round_settlements_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_round_settlements_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_settlements")),
    )
    with op.batch_alter_table("round_settlements") as batch:
        batch.create_index(batch.f("ix_round_settlements_round_id"), ["round_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("round_settlements") as batch:
        batch.drop_index(batch.f("ix_round_settlements_round_id"))
    op.drop_table("round_settlements")
    with op.batch_alter_table("decision_records") as batch:
        batch.drop_index(batch.f("ix_decision_records_proposal_id"))
    op.drop_table("decision_records")
