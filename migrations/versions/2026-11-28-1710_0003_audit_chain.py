"""audit chain: every event hashed and linked to the one before; PostgreSQL refuses changes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 17:10
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlalchemy.orm
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGGER_FUNCTION = """
CREATE FUNCTION audit_events_are_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % refused on event %', TG_OP, OLD.id
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""
TRIGGER = """
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_are_append_only()
"""


def _backfill() -> None:
    """Chain the events written before the chain existed, in sequence order."""
    from app.audit.chain import GENESIS, event_hash
    from app.models import AuditEvent

    bind = op.get_bind()
    session = sa.orm.Session(bind=bind)
    prev = GENESIS
    for event in session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)):
        event.prev_hash = prev
        event.hash = event_hash(event)
        prev = event.hash
    session.flush()


def upgrade() -> None:
    _backfill()
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_audit_events_hash"), ["hash"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(TRIGGER_FUNCTION)
        op.execute(TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION audit_events_are_append_only()")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_events_hash"), type_="unique")
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=True)
