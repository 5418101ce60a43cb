"""The audit trail as a keyed hash chain: each event stores the hash of the event before it and
an HMAC of its own canonical content under a key kept outside the database (ZERODRAFT_AUDIT_KEY),
so an edited, deleted, inserted or reordered event breaks the chain at that event, and someone
who can write to the database but does not hold the key cannot re-compute the hashes after an
edit. `walk` names the first bad event.

Events written before the chain was keyed carry a plain SHA-256 (`event_hash`); they are accepted
only as an unbroken prefix: once an event is keyed every later one must be, and the first keyed
event's link to the one before it seals that prefix. A trail that has events but no keyed one is
reported (it was written before the key and never since, or rewritten without it).

A cut tail leaves an unbroken chain; the anchor file (app/audit/anchor.py) catches it.
"""

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from app.models import AuditEvent

GENESIS = "0" * 64


def canonical(event: AuditEvent) -> bytes:
    content: dict[str, Any] = {
        "seq": event.id,
        "occurred_at": event.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor_id": event.actor_id,
        "delegation_id": event.delegation_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "revision_before": event.revision_before,
        "revision_after": event.revision_after,
        "request_id": event.request_id,
        "details": event.details or {},
        "prev_hash": event.prev_hash,
    }
    # Absent, not null, in events without row digests: the content of every event written
    # before the digests existed is hashed exactly as it was then.
    if event.row_digests is not None:
        content["row_digests"] = event.row_digests
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(event: AuditEvent) -> str:
    """The unkeyed hash of the events written before the chain was keyed."""
    return hashlib.sha256(canonical(event)).hexdigest()


def keyed_hash(event: AuditEvent, key: bytes) -> str:
    return hmac.new(key, canonical(event), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Break:
    seq: int
    problem: str


@dataclass(slots=True)
class Walk:
    """What one pass over the trail found."""

    count: int = 0  # good events, from the first
    broken: Break | None = None
    first_keyed: int | None = None  # None: no keyed event
    head: tuple[int, str] | None = None  # the last good event
    # For each content row ("comments/32"), the newest event that recorded it and its digest.
    rows: dict[str, tuple[int, str | None]] = field(default_factory=dict)
    # The stored hash of each event asked for (the anchor file's events).
    hashes: dict[int, str] = field(default_factory=dict)

    @property
    def unkeyed(self) -> int:
        """Events before the first keyed one (written before the key)."""
        return self.count if self.first_keyed is None else self.first_keyed - 1


def walk(
    events: Iterable[AuditEvent], key: bytes | None, *, want: frozenset[int] = frozenset()
) -> Walk:
    """Walk the chain in sequence order up to its first break; collect the row digests and the
    stored hashes of the events in `want` on the way (up to the end, break or not)."""
    found = Walk()
    expected_seq, expected_prev = 1, GENESIS
    for event in events:
        if event.id in want:
            found.hashes[event.id] = event.hash
        if found.broken is not None:
            continue
        found.broken = _break(event, expected_seq, expected_prev, key, found.first_keyed)
        if found.broken is not None:
            continue
        if found.first_keyed is None and key is not None and event.hash != event_hash(event):
            found.first_keyed = event.id
        for row, digest in (event.row_digests or {}).items():
            found.rows[row] = (event.id, digest)
        found.head = (event.id, event.hash)
        expected_seq, expected_prev = event.id + 1, event.hash
        found.count += 1
    return found


def _break(
    event: AuditEvent, seq: int, prev: str, key: bytes | None, first_keyed: int | None
) -> Break | None:
    if event.id != seq:
        if event.id > seq:
            return Break(seq, f"event {seq} is missing (deleted)")
        return Break(event.id, f"event {event.id} is out of order or duplicated")
    if event.prev_hash != prev:
        return Break(
            seq,
            f"event {seq} does not follow event {seq - 1} "
            "(inserted, reordered, or the one before it was replaced)",
        )
    if key is not None and hmac.compare_digest(event.hash, keyed_hash(event, key)):
        return None
    if first_keyed is None and event.row_digests is None and event.hash == event_hash(event):
        return None  # written before the key
    if first_keyed is not None and event.hash == event_hash(event):
        return Break(
            seq,
            f"event {seq} was edited after it was written: its hash was re-computed without "
            f"the audit key (the events from {first_keyed} on are keyed)",
        )
    if first_keyed is None and key is not None:
        return Break(
            seq,
            f"event {seq} was edited after it was written, or ZERODRAFT_AUDIT_KEY is not the "
            "key the trail was written with",
        )
    return Break(seq, f"event {seq} was edited after it was written")


def verify(events: Iterable[AuditEvent], key: bytes | None = None) -> tuple[int, Break | None]:
    """Walk the chain in sequence order; the number of good events and the first break."""
    found = walk(events, key)
    return found.count, found.broken
