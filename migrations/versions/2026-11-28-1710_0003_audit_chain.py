"""audit chain: every event hashed and linked to the one before; PostgreSQL refuses changes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 17:10
"""

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64
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


def _canonical(row: dict[str, Any]) -> bytes:
    """An event's content as the chain hashed it when this migration was written (a frozen copy
    of app/audit/chain.py of that day: migrations never import the application)."""
    occurred = row["occurred_at"]
    if isinstance(occurred, str):  # SQLite without type information
        occurred = datetime.fromisoformat(occurred)
    if occurred.tzinfo is None:
        occurred = occurred.replace(tzinfo=UTC)
    details = row["details"]
    if isinstance(details, str):
        details = json.loads(details)
    content = {
        "seq": row["id"],
        "occurred_at": occurred.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor_id": row["actor_id"],
        "delegation_id": row["delegation_id"],
        "action": row["action"],
        "object_type": row["object_type"],
        "object_id": row["object_id"],
        "revision_before": row["revision_before"],
        "revision_after": row["revision_after"],
        "request_id": row["request_id"],
        "details": details or {},
        "prev_hash": row["prev_hash"],
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _backfill() -> None:
    """Chain the events written before the chain existed, in sequence order."""
    events = sa.table(
        "audit_events",
        *(
            sa.column(name)
            for name in (
                "id",
                "occurred_at",
                "actor_id",
                "delegation_id",
                "action",
                "object_type",
                "object_id",
                "revision_before",
                "revision_after",
                "request_id",
                "details",
                "prev_hash",
                "hash",
            )
        ),
    )
    bind = op.get_bind()
    prev = GENESIS
    for found in bind.execute(sa.select(events).order_by(events.c.id)).mappings().all():
        row = dict(found) | {"prev_hash": prev}
        digest = hashlib.sha256(_canonical(row)).hexdigest()
        bind.execute(
            events.update().where(events.c.id == row["id"]).values(prev_hash=prev, hash=digest)
        )
        prev = digest


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
