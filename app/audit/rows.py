"""Digests of the content rows the audit trail vouches for.

When a transaction that records audit events commits, the last of its events carries the digest
of every covered row the transaction wrote (`row_digests`, "comments/32" -> digest, None for a
deleted row), read back from the database after the final flush. `zerodraft audit verify` reads
every live row the same way and compares: a comment's body, a revision's text or a proposal's
state edited in the database, a row deleted or slipped in, is named.

The columns are listed, not taken from the tables: a later migration that adds a column does not
change the digest of every row. Adding a column here does, so a new column is covered under a
new table key ("comments.2") or left out; never edit a list in place.
"""

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from sqlalchemy import Enum as EnumType
from sqlalchemy import String, Table, inspect, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from app.db import Base

COVERED: dict[str, tuple[str, ...]] = {
    "comments": (
        "id", "round_id", "item_id", "proposal_id", "parent_id", "author_id", "delegation_id",
        "kind", "visibility", "body", "field", "revision", "quote", "prefix", "suffix",
        "anchor_revision", "anchor_start", "anchor_end", "outdated", "resolved_at",
        "resolved_by_id", "late", "withdrawn_at", "answer", "answered_by_id", "answered_at",
        "created_at", "edited_at", "version",
    ),
    "revisions": (
        "id", "item_id", "number", "author_id", "delegation_id", "reason", "created_at",
        "proposal_id", "title", "text", "dimension_id", "element", "strength_adult",
        "strength_child", "profiles", "crime_types", "intended_users", "guidance",
        "information_sources", "references", "rationale", "status",
    ),
    "proposals": (
        "id", "round_id", "kind", "state", "delegation_id", "author_id", "item_kind",
        "dimension_code", "content", "rationale", "late", "created_at", "submitted_at",
        "decided_at", "decided_by_id", "decision_reason", "override_reason", "merged_into_id",
        "applied_content", "answer", "answered_by_id", "answered_at", "version",
    ),
    "items": (
        "id", "kind", "code", "position", "version", "created_at", "drafting_state",
        "drafting_note",
    ),
    "positions": (
        "id", "proposal_id", "item_id", "delegation_id", "user_id", "stance", "statement",
        "created_at", "superseded_at",
    ),
    "sponsorships": ("id", "proposal_id", "delegation_id", "user_id", "created_at"),
    "rounds": (
        "id", "symbol", "title", "kind", "state", "time_zone", "opens_at", "deadline",
        "observers_may_comment", "instructions", "created_at", "version", "marking",
        "previous_round_id", "issued_at", "content_hash", "settled_at", "approved_at",
        "silence_until",
    ),
    "approvals": ("id", "round_id", "user_id", "content_hash", "reference", "created_at"),
    "silence_breaks": ("id", "round_id", "delegation_id", "user_id", "statement", "created_at"),
    # What a decider saw and acknowledged, and what a settlement carried over (migration 0012).
    "decision_records": (
        "id", "proposal_id", "outcome", "by_id", "at", "reason", "override_reason",
        "acknowledged", "consensus", "round_id", "reopened_at", "reopened_by_id", "reopen_reason",
    ),
    "round_settlements": ("id", "round_id", "by_id", "at", "carried_over"),
}  # fmt: skip


def row_key(table: str, row_id: int) -> str:
    return f"{table}/{row_id}"


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def digest(values: Iterable[Any]) -> str:
    """128 bits of SHA-256 over the row's listed columns, in their order."""
    text = json.dumps(
        [_plain(v) for v in values], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def table_of(name: str) -> Table:
    return Base.metadata.tables[name]


def covered_columns(name: str) -> list[ColumnElement[Any]]:
    """The listed columns of a covered table, to select. An enumerated column is read as its
    stored text (what its digest is made of anyway), so that a row a migration has yet to bring
    to today's values (a kind since removed) can still be read and vouched for."""
    table = table_of(name)
    return [
        type_coerce(table.c[c], String()) if isinstance(table.c[c].type, EnumType) else table.c[c]
        for c in COVERED[name]
    ]


def digests_of(session: Session, written: Mapping[str, set[int]]) -> dict[str, str | None]:
    """The digest of each written row as it stands in this transaction; None if it is gone."""
    found: dict[str, str | None] = {}
    for name, ids in written.items():
        if not ids:
            continue
        table = table_of(name)
        columns = covered_columns(name)
        ordered = sorted(ids)
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            # On the connection: the rows as flushed, without the ORM's per-statement work.
            query = select(*columns).where(table.c.id.in_(chunk))
            for row in session.connection().execute(query):
                found[row_key(name, row[0])] = digest(row)
        for row_id in ids:
            found.setdefault(row_key(name, row_id), None)
    return dict(sorted(found.items()))


def live_digests(session: Session) -> Iterator[tuple[str, str]]:
    """Every covered row in the database with its digest, table by table."""
    present = set(inspect(session.connection()).get_table_names())
    for name in COVERED:
        if name not in present:
            continue  # a schema older than the table (verifying before `db upgrade`)
        table = table_of(name)
        columns = covered_columns(name)
        query = select(*columns).order_by(table.c.id).execution_options(yield_per=2000)
        for row in session.execute(query):
            yield row_key(name, row[0]), digest(row)
