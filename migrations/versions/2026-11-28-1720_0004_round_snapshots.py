"""round snapshots

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 17:20
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Self-contained: UTC timestamps as the models declare them (app.db.UTCDateTime stores them
# in a timezone-aware DateTime); migrations never import the application.
UTC_DATETIME = sa.DateTime(timezone=True)


revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_approvals_round_id_rounds")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_approvals_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approvals")),
        sa.UniqueConstraint(
            "round_id",
            "user_id",
            "content_hash",
            name=op.f("uq_approvals_round_id_user_id_content_hash"),
        ),
    )
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_approvals_round_id"), ["round_id"], unique=False)

    op.create_table(
        "round_chairs",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_round_chairs_round_id_rounds")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_round_chairs_user_id_users")
        ),
        sa.PrimaryKeyConstraint("round_id", "user_id", name=op.f("pk_round_chairs")),
    )
    op.create_table(
        "round_items",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("item_state", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_round_items_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_round_items_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("round_id", "item_id", name=op.f("pk_round_items")),
    )
    op.create_table(
        "silence_breaks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("delegation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["delegation_id"],
            ["delegations.id"],
            name=op.f("fk_silence_breaks_delegation_id_delegations"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_silence_breaks_round_id_rounds")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_silence_breaks_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_silence_breaks")),
    )
    with op.batch_alter_table("silence_breaks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_silence_breaks_round_id"), ["round_id"], unique=False)

    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index("ix_audit_events_object", ["object_type", "object_id"], unique=False)

    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("marking", sa.String(length=64), server_default="RESTRICTED", nullable=False)
        )
        batch_op.add_column(sa.Column("previous_round_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("issued_at", UTC_DATETIME, nullable=True))
        batch_op.add_column(sa.Column("content_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("settled_at", UTC_DATETIME, nullable=True))
        batch_op.add_column(sa.Column("approved_at", UTC_DATETIME, nullable=True))
        batch_op.add_column(sa.Column("silence_until", UTC_DATETIME, nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_rounds_previous_round_id_rounds"),
            "rounds",
            ["previous_round_id"],
            ["id"],
        )


def downgrade() -> None:

    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_rounds_previous_round_id_rounds"), type_="foreignkey"
        )
        batch_op.drop_column("silence_until")
        batch_op.drop_column("approved_at")
        batch_op.drop_column("settled_at")
        batch_op.drop_column("content_hash")
        batch_op.drop_column("issued_at")
        batch_op.drop_column("previous_round_id")
        batch_op.drop_column("marking")

    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_object")
        batch_op.drop_index(batch_op.f("ix_audit_events_actor_id"))

    with op.batch_alter_table("silence_breaks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_silence_breaks_round_id"))

    op.drop_table("silence_breaks")
    op.drop_table("round_items")
    op.drop_table("round_chairs")
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_approvals_round_id"))

    op.drop_table("approvals")
