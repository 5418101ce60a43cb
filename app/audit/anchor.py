"""The head of the audit trail, written outside the database after every commit that appends to
it, so that `zerodraft audit verify` finds a cut tail: events removed from the end leave a chain
that is unbroken, but the anchor file still names an event the database no longer has, or names
it with another hash.

One line per commit, appended with a single write (O_APPEND), so that several processes or app
instances sharing a data folder can append to one file without locks:

    <trail> <event id> <event hash> <UTC time>

`trail` is the first 16 characters of the hash of event 1: it tells this database's lines from
those of another database anchored in the same file (a test database, a database recreated from
scratch), which are ignored. The same line goes to the log (logger zerodraft.audit.anchor).
Lines are not fsync'd: a crash may lose the last ones, which only lets the anchor lag behind.
"""

import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

log = logging.getLogger("zerodraft.audit.anchor")

TRAIL_LENGTH = 16


@dataclass(frozen=True, slots=True)
class Anchored:
    line: int
    seq: int
    hash: str


def trail_of(first_hash: str) -> str:
    return first_hash[:TRAIL_LENGTH]


def append(path: Path, trail: str, seq: int, digest: str, at: datetime) -> None:
    line = f"{trail} {seq} {digest} {at:%Y-%m-%dT%H:%M:%S.%fZ}\n"
    log.info("audit head: %s", line.rstrip())
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)
    except OSError as exc:
        # The change is committed; refusing it now would not undo it. Say what to fix.
        log.error("audit anchor not written to %s (%s): event %d %s", path, exc, seq, digest)


def read(path: Path) -> list[tuple[str, Anchored]]:
    """Every well-formed line of the file: its trail and what it anchors."""
    found: list[tuple[str, Anchored]] = []
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            parts = line.split()
            if len(parts) >= 3 and parts[1].isdigit():
                found.append((parts[0], Anchored(number, int(parts[1]), parts[2])))
    return found
