"""meeting marks: an item's drafting state marked in a meeting (bracketed, agreed ad
referendum...) is an act of the meeting, with the state it went from and to and the note

meeting_acts gains the item, the two states and the note (nullable: positions and decisions have
none), and a rule holding each kind of act to its own columns. Acts written before this revision
are positions and decisions that name exactly their position or decision, so they keep to it.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-26 09:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Self-contained: imports nothing from the application. The drafting states as they are at this
# revision (app.models.workflow.DraftingState); the model builds the same rule from the enum.
RULE = (
    "(kind = 'position' AND position_id IS NOT NULL AND decision_id IS NULL"
    " AND item_id IS NULL AND to_state IS NULL)"
    " OR (kind = 'decision' AND decision_id IS NOT NULL AND position_id IS NULL"
    " AND item_id IS NULL AND to_state IS NULL)"
    " OR (kind = 'mark' AND item_id IS NOT NULL AND position_id IS NULL AND decision_id IS NULL"
    " AND from_state IS NOT NULL AND note IS NOT NULL"
    " AND to_state IN ('open', 'bracketed', 'alternatives', 'agreed_ad_ref', 'agreed'))"
)


def upgrade() -> None:
    with op.batch_alter_table("meeting_acts") as batch:
        batch.add_column(sa.Column("item_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("from_state", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("to_state", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_meeting_acts_item_id_items"), "items", ["item_id"], ["id"]
        )
        batch.create_check_constraint(batch.f("ck_meeting_acts_kind_columns"), sa.text(RULE))


def downgrade() -> None:
    op.execute("DELETE FROM meeting_acts WHERE kind = 'mark'")
    with op.batch_alter_table("meeting_acts") as batch:
        batch.drop_constraint(batch.f("ck_meeting_acts_kind_columns"), type_="check")
        batch.drop_constraint(batch.f("fk_meeting_acts_item_id_items"), type_="foreignkey")
        batch.drop_column("note")
        batch.drop_column("to_state")
        batch.drop_column("from_state")
        batch.drop_column("item_id")
