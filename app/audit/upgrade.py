"""Upgrading the schema without making the audit trail accuse the upgrade.

A migration that rewrites rows the trail covers (migration 0011 gives positions their item and
turns reservation comments into substantive ones) changes their digests outside the app, so
`zerodraft audit verify` would name every such row as edited in the database. Such a migration
says so in its module (`rewrites = ("positions", "comments")`), and `zerodraft db upgrade`
records one event for the upgrade that vouches for what the migrations wrote.

It vouches only when the whole trail verified before the upgrade (every covered row as the trail
last recorded it): what a migration derives, it derives from rows the trail vouches for. A row
edited or slipped in before the upgrade would otherwise be laundered (a planted reservation
comment becoming a reservation position, then deleted); in that case the upgrade vouches for
nothing and says so, and `audit verify` names the planted row and what was made from it.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from alembic.script import ScriptDirectory
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app import migrate
from app.audit import rows
from app.audit.chain import walk
from app.audit.guard import open_database
from app.audit.service import Actor, chain_of, record, row_problems, trail_events, vouch_for
from app.config import Settings


@dataclass(slots=True)
class Upgrade:
    before: str | None
    after: str | None
    vouched: dict[str, int] = field(default_factory=dict)  # table -> rows vouched for
    event_id: int | None = None
    not_vouched: str = ""  # why rows the migrations rewrote were not vouched for


def rewritten_tables(url: str, before: str | None) -> set[str]:
    """The covered tables that the migrations still to run say they rewrite."""
    if before is None:
        return set()
    script = ScriptDirectory.from_config(migrate.alembic_config(url))
    tables: set[str] = set()
    for revision in script.iterate_revisions("heads", before):
        if revision.revision == before:
            continue
        tables.update(getattr(revision.module, "rewrites", ()))
    unknown = tables - set(rows.COVERED)
    if unknown:
        raise ValueError(f"a migration rewrites tables the trail does not cover: {unknown}")
    return tables


def _digests(session: Session, tables: Iterable[str]) -> Iterator[tuple[str, int, str]]:
    for name in sorted(tables):
        table = rows.table_of(name)
        query = (
            select(*rows.covered_columns(name))
            .order_by(table.c.id)
            .execution_options(yield_per=2000)
        )
        for row in session.execute(query):
            yield name, row[0], rows.digest(row)


def upgrade(settings: Settings) -> Upgrade:
    """Migrate to the latest revision; when a migration rewrote covered rows, record one
    `database.upgrade` event vouching for the rows it changed or added."""
    url = settings.effective_database_url
    before = migrate.current_revision(url)
    tables = rewritten_tables(url, before)
    before_rows: dict[tuple[str, int], str] = {}  # rewritten tables as they stood, verified
    refused = ""
    if tables:
        database = open_database(settings, pool_size=1)
        try:
            with database.transaction(write=False) as session:
                found = walk(trail_events(session), chain_of(session).key)
                notes: list[str] = []
                if found.broken is not None:
                    refused = f"the audit chain is broken at event {found.broken.seq}"
                elif problems := row_problems(session, found, notes):
                    refused = "rows differ from the audit trail: " + "; ".join(problems)
                else:
                    before_rows = {(n, i): d for n, i, d in _digests(session, tables)}
        except DBAPIError:
            tables = set()  # a schema older than the digests: nothing recorded them yet
        finally:
            database.dispose()
    result = Upgrade(*migrate.upgrade(url))
    if refused:
        result.not_vouched = refused
        return result
    if not tables:
        return result
    database = open_database(settings, pool_size=1)
    try:
        with database.transaction() as session:
            changed: dict[str, set[int]] = {}
            gone = set(before_rows)
            for name, row_id, live in _digests(session, tables):
                gone.discard((name, row_id))
                if before_rows.get((name, row_id)) != live:
                    changed.setdefault(name, set()).add(row_id)
            for name, row_id in gone:  # a row the migration deleted: recorded as deleted
                changed.setdefault(name, set()).add(row_id)
            if changed:
                result.vouched = {name: len(ids) for name, ids in sorted(changed.items())}
                event = record(
                    session,
                    Actor.system(),
                    action="database.upgrade",
                    object_type="database",
                    object_id=result.after or "",
                    details={"from": before, "to": result.after, "rows": result.vouched},
                )
                vouch_for(session, changed)
        if changed:
            result.event_id = event.id  # numbered when the transaction committed
    finally:
        database.dispose()
    return result
