"""case studies: anonymised narratives in numbered facts, their codings against the
indicators, and what the personal-data check found in them (issue 21)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-24 09:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Self-contained: imports nothing from the application.


def upgrade() -> None:
    op.create_table(
        "case_studies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("profile", sa.String(length=8), nullable=False),
        sa.Column("crime_form", sa.String(length=16), nullable=False),
        sa.Column("age_band", sa.String(length=16), nullable=False),
        sa.Column("nationality", sa.String(length=64), nullable=False),
        sa.Column("place", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("outcome_reasoning", sa.Text(), nullable=False),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("double_coding", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_case_studies_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_studies")),
        sa.UniqueConstraint("reference", name=op.f("uq_case_studies_reference")),
    )
    op.create_table(
        "case_contributors",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_studies.id"], name=op.f("fk_case_contributors_case_id_case_studies")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_case_contributors_user_id_users")
        ),
        sa.PrimaryKeyConstraint("case_id", "user_id", name=op.f("pk_case_contributors")),
    )
    op.create_table(
        "case_facts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_studies.id"], name=op.f("fk_case_facts_case_id_case_studies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_facts")),
    )
    op.create_index(op.f("ix_case_facts_case_id"), "case_facts", ["case_id"], unique=False)
    op.create_table(
        "case_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("fact_id", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("span_start", sa.Integer(), nullable=False),
        sa.Column("span_end", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dismissed_by_id", sa.Integer(), nullable=True),
        sa.Column("dismiss_reason", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_studies.id"], name=op.f("fk_case_findings_case_id_case_studies")
        ),
        sa.ForeignKeyConstraint(
            ["fact_id"], ["case_facts.id"], name=op.f("fk_case_findings_fact_id_case_facts")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["users.id"], name=op.f("fk_case_findings_resolved_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["dismissed_by_id"], ["users.id"], name=op.f("fk_case_findings_dismissed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_findings")),
    )
    op.create_index(op.f("ix_case_findings_case_id"), "case_findings", ["case_id"], unique=False)
    op.create_table(
        "fact_codings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fact_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("coder_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["coder_id"], ["users.id"], name=op.f("fk_fact_codings_coder_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["fact_id"], ["case_facts.id"], name=op.f("fk_fact_codings_fact_id_case_facts")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_fact_codings_item_id_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fact_codings")),
    )
    op.create_index(op.f("ix_fact_codings_fact_id"), "fact_codings", ["fact_id"], unique=False)
    op.create_index(op.f("ix_fact_codings_item_id"), "fact_codings", ["item_id"], unique=False)
    # One current coding per fact, indicator and coder; superseded ones are the history.
    op.create_index(
        "uq_fact_codings_current",
        "fact_codings",
        ["fact_id", "item_id", "coder_id"],
        unique=True,
        sqlite_where=sa.text("superseded_at IS NULL"),
        postgresql_where=sa.text("superseded_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("fact_codings")
    op.drop_table("case_findings")
    op.drop_table("case_facts")
    op.drop_table("case_contributors")
    op.drop_table("case_studies")
