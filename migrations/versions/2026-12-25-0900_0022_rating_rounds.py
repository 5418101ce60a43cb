"""rating rounds (issue 20): a panel rates an issued round's indicators in a Delphi survey;
answers are kept with their history (superseded_at)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-25 09:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Self-contained: imports nothing from the application.


def upgrade() -> None:
    op.create_table(
        "rating_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("previous_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "rule",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("show_answers_to_secretariat", sa.Boolean(), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_rating_rounds_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["previous_id"],
            ["rating_rounds.id"],
            name=op.f("fk_rating_rounds_previous_id_rating_rounds"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_rating_rounds_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_rounds")),
    )
    with op.batch_alter_table("rating_rounds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rating_rounds_round_id"), ["round_id"], unique=False)

    op.create_table(
        "rating_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rating_round_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_rating_items_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["rating_round_id"],
            ["rating_rounds.id"],
            name=op.f("fk_rating_items_rating_round_id_rating_rounds"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_items")),
        sa.UniqueConstraint(
            "rating_round_id", "item_id", name=op.f("uq_rating_items_rating_round_id_item_id")
        ),
    )
    with op.batch_alter_table("rating_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rating_items_rating_round_id"), ["rating_round_id"], unique=False
        )

    op.create_table(
        "rating_panellists",
        sa.Column("rating_round_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("late_accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["rating_round_id"],
            ["rating_rounds.id"],
            name=op.f("fk_rating_panellists_rating_round_id_rating_rounds"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_rating_panellists_user_id_users")
        ),
        sa.PrimaryKeyConstraint("rating_round_id", "user_id", name=op.f("pk_rating_panellists")),
    )
    op.create_table(
        "rating_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rating_item_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("relevance", sa.Integer(), nullable=False),
        sa.Column("clarity", sa.Integer(), nullable=False),
        sa.Column("strength_adult", sa.String(length=8), nullable=True),
        sa.Column("strength_child", sa.String(length=8), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("wording", sa.Text(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["rating_item_id"],
            ["rating_items.id"],
            name=op.f("fk_rating_answers_rating_item_id_rating_items"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_rating_answers_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_answers")),
    )
    with op.batch_alter_table("rating_answers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rating_answers_item_user", ["rating_item_id", "user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("rating_answers", schema=None) as batch_op:
        batch_op.drop_index("ix_rating_answers_item_user")

    op.drop_table("rating_answers")
    op.drop_table("rating_panellists")
    with op.batch_alter_table("rating_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rating_items_rating_round_id"))

    op.drop_table("rating_items")
    with op.batch_alter_table("rating_rounds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rating_rounds_round_id"))

    op.drop_table("rating_rounds")
