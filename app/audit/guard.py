"""The rule every change follows, checked at commit: a transaction that writes what pages show
also appends to the audit trail.

The fragment cache (app/web/cache.py) trusts the newest audit event to say whether anything a
page shows changed, and the trail is the group's record of who changed what. Both hold only if
no use case forgets `record(...)`. `install` watches every statement an engine runs and, when a
transaction commits, compares the tables it wrote with the audit trail: a write to a table that
pages show, without an audit event in the same transaction, raises `Unaudited` before the
commit (development and test: nothing is kept, and the test that did it fails) or logs an error
(production: the change is kept, the log says what to fix).

Bookkeeping that no page shows (sessions, throttles, tokens' last use, notifications read,
mail on its way out) is written without an event: listed below, table by table, and for two
tables column by column.
"""

import logging
import re
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import Connection

from app.audit.service import use_chain
from app.config import Settings
from app.db import Database
from app.search import index as search_index

log = logging.getLogger("zerodraft.audit")

AUDIT_TABLE = "audit_events"
# Whole tables of bookkeeping: no page shows their rows as content.
UNAUDITED_TABLES = frozenset(
    {
        AUDIT_TABLE,
        "auth_sessions",  # log-ins: session.login / session.logout are audited where they matter
        "api_tokens",  # last_used_at; creating and revoking a token are audited
        "login_attempts",  # throttling
        "login_challenges",  # half-done log-ins (the second factor)
        "account_links",  # one-time links; inviting and resetting are audited
        "notifications",  # per person: read, mailed
        "outbox",  # mail on its way out
        "sent_reminders",  # reminders already sent
        "kept_forms",  # a form's text kept while its sender logs in again (app/web/kept.py)
    }
)
# Columns of bookkeeping in tables whose other columns pages show: an UPDATE that sets only
# these is not a change of content.
UNAUDITED_COLUMNS = {
    "users": frozenset({"last_digest_at", "totp_last_step"}),
    "passkeys": frozenset({"sign_count", "last_used_at"}),
}

_WRITE = re.compile(r'^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
_SET = re.compile(r"\bSET\s+(.*?)(?:\s+WHERE\b|\s+RETURNING\b|$)", re.IGNORECASE | re.DOTALL)
_ASSIGNED = re.compile(r'"?(\w+)"?\s*=')
_KEY = "zerodraft_audit_guard"


class Unaudited(RuntimeError):
    """A transaction wrote content without an audit event."""


def _content_table(statement: str) -> str | None:
    """The table a writing statement changes, if that is a change of content."""
    found = _WRITE.match(statement)
    if found is None:
        return None
    verb, table = found.group(1).upper(), found.group(2).lower()
    if table in UNAUDITED_TABLES:
        return table if table == AUDIT_TABLE else None
    if verb == "UPDATE" and table in UNAUDITED_COLUMNS:
        assigned = _SET.search(statement)
        columns = {c.lower() for c in _ASSIGNED.findall(assigned.group(1))} if assigned else set()
        if columns and columns <= UNAUDITED_COLUMNS[table]:
            return None
    return table


def _on_execute(conn: Connection, _cursor: Any, statement: str, *_: Any) -> None:
    table = _content_table(statement)
    if table is not None:
        conn.info.setdefault(_KEY, set()).add(table)


def _take(conn: Connection) -> set[str]:
    """The tables this transaction wrote, forgotten as it ends. A connection the database
    dropped (invalidated) has nothing to give: asking it would raise, and its transaction is
    gone with it."""
    if conn.invalidated:
        return set()
    written: set[str] = conn.info.pop(_KEY, set())
    return written


def _checker(strict: bool) -> Any:
    def on_commit(conn: Connection) -> None:
        written = _take(conn)
        content = written - {AUDIT_TABLE}
        if content and AUDIT_TABLE not in written:
            problem = (
                f"a transaction wrote {', '.join(sorted(content))} without an audit event: "
                "call app.audit.service.record(...) in the use case that makes the change"
            )
            if strict:
                raise Unaudited(problem)
            log.error(problem)

    return on_commit


def _on_rollback(conn: Connection) -> None:
    _take(conn)


def install(engine: Engine, *, strict: bool) -> None:
    """Check every transaction `engine` commits; `strict` raises, otherwise it logs."""
    if event.contains(engine, "before_cursor_execute", _on_execute):
        return
    event.listen(engine, "before_cursor_execute", _on_execute)
    event.listen(engine, "commit", _checker(strict))
    event.listen(engine, "rollback", _on_rollback)


def open_database(settings: Settings, pool_size: int | None = None) -> Database:
    """The database of `settings`, with the rule above checked on every commit and its audit
    events keyed and anchored as the settings say: the one way the app, the command line and
    the worker open it."""
    database = Database(settings.effective_database_url, pool_size or settings.database_pool_size)
    install(database.engine, strict=settings.mode != "production")
    use_chain(database.engine, key=settings.audit_key.encode(), anchor=settings.audit_anchor_path)
    # The search index is rewritten in the transaction of every change it reflects.
    search_index.install()
    return database
