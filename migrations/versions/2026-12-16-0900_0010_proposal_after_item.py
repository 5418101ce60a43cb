"""proposal after item: a proposed new item records the item it follows

A delegation proposing a new indicator puts it somewhere: after an item of its dimension. The
compilation and the pages show it there, and agreeing it places the new item there. Null: at the
end of its dimension (every proposal made before this revision).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-16 09:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Self-contained: imports nothing from the application.


def upgrade() -> None:
    with op.batch_alter_table("proposals") as batch:
        batch.add_column(sa.Column("after_item_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_proposals_after_item_id_items"), "items", ["after_item_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("proposals") as batch:
        batch.drop_constraint(batch.f("fk_proposals_after_item_id_items"), type_="foreignkey")
        batch.drop_column("after_item_id")
