"""word imports

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 18:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Self-contained: UTC timestamps as the models declare them (app.db.UTCDateTime stores them
# in a timezone-aware DateTime); migrations never import the application.
UTC_DATETIME = sa.DateTime(timezone=True)


revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "word_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "returned",
                "authored",
                name="import_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.Column("delegation_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "previewed",
                "confirmed",
                "discarded",
                name="import_state",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "preview",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "created",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("confirmed_at", UTC_DATETIME, nullable=True),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("discarded_at", UTC_DATETIME, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"], ["users.id"], name=op.f("fk_word_imports_confirmed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["delegation_id"],
            ["delegations.id"],
            name=op.f("fk_word_imports_delegation_id_delegations"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_word_imports_round_id_rounds")
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_word_imports_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_word_imports")),
        sa.UniqueConstraint(
            "sha256", "kind", "scope", name=op.f("uq_word_imports_sha256_kind_scope")
        ),
    )
    with op.batch_alter_table("word_imports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_word_imports_delegation_id"), ["delegation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_word_imports_sha256"), ["sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("word_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_word_imports_sha256"))
        batch_op.drop_index(batch_op.f("ix_word_imports_delegation_id"))

    op.drop_table("word_imports")
