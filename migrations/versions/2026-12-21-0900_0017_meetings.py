"""meetings: online meetings, the delegations taking part, and their ordered agenda

The live events of a meeting are not stored here: they are the audit trail's events, read in the
order of their sequence numbers (app/meetings/live.py).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-21 09:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Self-contained: imports nothing from the application.


def upgrade() -> None:
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.Column("video_url", sa.String(length=500), nullable=False),
        sa.Column("observers_invited", sa.Boolean(), nullable=False),
        sa.Column("current_ref", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_meetings_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_meetings_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
    )
    op.create_table(
        "meeting_participants",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("delegation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delegation_id"],
            ["delegations.id"],
            name=op.f("fk_meeting_participants_delegation_id_delegations"),
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_participants_meeting_id_meetings"),
        ),
        sa.PrimaryKeyConstraint(
            "meeting_id", "delegation_id", name=op.f("pk_meeting_participants")
        ),
    )
    op.create_table(
        "meeting_agenda",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("proposal_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_meeting_agenda_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_agenda_meeting_id_meetings")
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name=op.f("fk_meeting_agenda_proposal_id_proposals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_agenda")),
        sa.UniqueConstraint("meeting_id", "ref", name=op.f("uq_meeting_agenda_meeting_id_ref")),
    )
    with op.batch_alter_table("meeting_agenda", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_agenda_meeting_id"), ["meeting_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("meeting_agenda", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_agenda_meeting_id"))

    op.drop_table("meeting_agenda")
    op.drop_table("meeting_participants")
    op.drop_table("meetings")
