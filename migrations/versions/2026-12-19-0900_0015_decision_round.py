"""decision round: the round in which a decision was taken

A decision can be reopened only while the round in which it was taken is not settled; the round
that is current when a reopening is asked may be a later one (a new round in preparation), so the
decision keeps its own. Decisions recorded before this revision get the newest round created at
or before them (null: taken before any round).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-19 09:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
# No `rewrites`: the trail covers decision_records with round_id (app/audit/rows.py), so no
# digest of a decision record was recorded before this revision for the fill-in to contradict.

# Self-contained: imports nothing from the application.


def upgrade() -> None:
    with op.batch_alter_table("decision_records") as batch:
        batch.add_column(sa.Column("round_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_decision_records_round_id_rounds"), "rounds", ["round_id"], ["id"]
        )
    op.execute(
        "UPDATE decision_records SET round_id = (SELECT max(rounds.id) FROM rounds "
        "WHERE rounds.created_at <= decision_records.at)"
    )


def downgrade() -> None:
    with op.batch_alter_table("decision_records") as batch:
        batch.drop_constraint(batch.f("fk_decision_records_round_id_rounds"), type_="foreignkey")
        batch.drop_column("round_id")
