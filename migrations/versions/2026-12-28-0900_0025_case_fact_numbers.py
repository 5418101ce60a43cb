"""case facts: one fact per number in a case study (unique case_id, number), so that two saves
at the same moment cannot give two facts the same number (issue 21, review)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-28 09:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Self-contained: imports nothing from the application.


def upgrade() -> None:
    # Facts that already share a number (a race before this constraint): their case study's
    # facts are renumbered 1..n in the order they have (number, then id).
    bind = op.get_bind()
    twins = bind.execute(
        sa.text(
            "SELECT DISTINCT case_id FROM case_facts GROUP BY case_id, number HAVING COUNT(*) > 1"
        )
    ).scalars()
    for case_id in list(twins):
        rows = bind.execute(
            sa.text("SELECT id FROM case_facts WHERE case_id = :c ORDER BY number, id"),
            {"c": case_id},
        ).scalars()
        for number, fact_id in enumerate(list(rows), start=1):
            bind.execute(
                sa.text("UPDATE case_facts SET number = :n WHERE id = :i"),
                {"n": number, "i": fact_id},
            )
    with op.batch_alter_table("case_facts") as batch:
        batch.create_unique_constraint(op.f("uq_case_facts_case_id_number"), ["case_id", "number"])


def downgrade() -> None:
    with op.batch_alter_table("case_facts") as batch:
        batch.drop_constraint(op.f("uq_case_facts_case_id_number"), type_="unique")
