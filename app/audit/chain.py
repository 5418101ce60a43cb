"""The audit trail as a hash chain: each event stores the hash of the event before it and the
hash of its own canonical content, so an edited, deleted, inserted or reordered event breaks the
chain at that event and `verify` names it."""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
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
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(event: AuditEvent) -> str:
    return hashlib.sha256(canonical(event)).hexdigest()


@dataclass(frozen=True, slots=True)
class Break:
    seq: int
    problem: str


def verify(events: Iterable[AuditEvent]) -> tuple[int, Break | None]:
    """Walk the chain in sequence order; the number of good events and the first break."""
    expected_seq, expected_prev, count = 1, GENESIS, 0
    for event in events:
        if event.id != expected_seq:
            if event.id > expected_seq:
                return count, Break(expected_seq, f"event {expected_seq} is missing (deleted)")
            return count, Break(event.id, f"event {event.id} is out of order or duplicated")
        if event.prev_hash != expected_prev:
            return count, Break(
                event.id,
                f"event {event.id} does not follow event {event.id - 1} "
                "(inserted, reordered, or the one before it was replaced)",
            )
        if event.hash != event_hash(event):
            return count, Break(event.id, f"event {event.id} was edited after it was written")
        expected_seq, expected_prev, count = event.id + 1, event.hash, count + 1
    return count, None
