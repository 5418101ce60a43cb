"""Backup and restore of every table, portable between SQLite and PostgreSQL.

A backup is a zip file:

    manifest.json        format and version, the schema (Alembic) revision, when it was taken,
                         and per table, in dependency order: its columns, row count and SHA-256
    tables/<name>.jsonl  one JSON object per row, in primary-key order

Values are typed portably: datetimes as ISO 8601 in UTC, JSON columns as JSON, booleans as
booleans, enums by their stored value. A JSON column holding JSON `null` (rather than SQL NULL)
is named in the row's "$json_null" list, so that restoring keeps the difference.

The backup reads everything in one read transaction (REPEATABLE READ on PostgreSQL; on SQLite, in
WAL mode, one read transaction sees one snapshot while writers carry on), streaming rows so memory
stays bounded. A restore loads into an empty database of either engine in one transaction,
with explicit ids, then moves PostgreSQL's sequences past the highest id.
"""

import hashlib
import json
import os
import secrets
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import (
    JSON,
    Column,
    Connection,
    DateTime,
    Integer,
    Table,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError

import app.models  # noqa: F401  (registers every table on the metadata)
from app import migrate
from app.db import WRITE, Base, make_engine
from app.errors import Conflict, InvalidInput

FORMAT = "zerodraft-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MAX_MANIFEST = 1024 * 1024  # a table is ~200 bytes of it
BATCH = 1000
JSON_NULL = "$json_null"


@dataclass(frozen=True, slots=True)
class TableSummary:
    name: str
    rows: int
    sha256: str


@dataclass(frozen=True, slots=True)
class BackupSummary:
    path: Path
    schema_revision: str
    tables: list[TableSummary]
    created_at: datetime

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


def tables() -> list[Table]:
    """Every table, parents before children."""
    return list(Base.metadata.sorted_tables)


def _is_json(column: Column[Any]) -> bool:
    return isinstance(column.type, JSON)


def _is_datetime(column: Column[Any]) -> bool:
    return isinstance(column.type, DateTime) or isinstance(
        getattr(column.type, "impl", None), DateTime
    )


# --- Backup -----------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _line(row: dict[str, Any]) -> bytes:
    return json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() + (
        b"\n"
    )


def rows_of(conn: Connection, table: Table) -> Iterator[dict[str, Any]]:
    """The table's rows as portable values, in primary-key order, streamed."""
    json_columns = [c for c in table.columns if _is_json(c)]
    nullable_json = [c for c in json_columns if c.nullable]
    flags = [c.is_(None).label(f"{c.name}$sql_null") for c in nullable_json]
    query = select(*table.columns, *flags).order_by(*table.primary_key.columns)
    result = conn.execution_options(yield_per=BATCH).execute(query)
    names = [c.name for c in table.columns]
    for record in result:
        mapping = record._mapping
        row = {name: _plain(mapping[name]) for name in names}
        # None from a JSON column is JSON null unless the flag says SQL NULL (a NOT NULL column
        # can only hold JSON null).
        json_nulls = [
            c.name
            for c in json_columns
            if row[c.name] is None and not (c.nullable and mapping[f"{c.name}$sql_null"])
        ]
        if json_nulls:
            row[JSON_NULL] = sorted(json_nulls)
        yield row


def _schema_revision(conn: Connection) -> str:
    try:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError as exc:
        raise Conflict("the database has no zerodraft schema; nothing to back up") from exc
    if revision is None:
        raise Conflict("the database has no schema revision; run `zerodraft db upgrade` first")
    return str(revision)


def _snapshot_connection(engine: Engine) -> Connection:
    if engine.dialect.name == "postgresql":
        return engine.connect().execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        )
    return engine.connect()


def backup(url: str, path: Path, *, now: datetime, replace: bool = True) -> BackupSummary:
    """Write a backup of the database at `url` to `path` (replaced if it exists, only once the
    new backup is complete). With replace=False an existing file is never touched: the backup
    goes to the first free `<stem>-N.zip` instead (the summary's path says where)."""
    # Named for this writer alone: two writers of the same file never write into one another.
    partial = path.with_name(f"{path.name}.{secrets.token_hex(4)}.partial")
    try:
        # Readable by its owner alone whatever the umask, before a byte is written: a backup
        # holds e-mail addresses and password hashes.
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.chmod(partial, 0o600)
    except OSError as exc:
        raise InvalidInput(f"cannot write the backup to {path}: {exc.strerror or exc}") from exc
    engine = make_engine(url)
    summaries: list[TableSummary] = []
    try:
        with _snapshot_connection(engine) as conn, conn.begin():
            revision = _schema_revision(conn)
            with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for table in tables():
                    digest, count = hashlib.sha256(), 0
                    member = f"tables/{table.name}.jsonl"
                    with archive.open(member, "w", force_zip64=True) as out:
                        for row in rows_of(conn, table):
                            line = _line(row)
                            digest.update(line)
                            out.write(line)
                            count += 1
                    summaries.append(TableSummary(table.name, count, digest.hexdigest()))
                manifest = {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "schema_revision": revision,
                    "created_at": now.astimezone(UTC).isoformat(),
                    "source_engine": engine.dialect.name,
                    "tables": [
                        {
                            "name": s.name,
                            "columns": [c.name for c in table.columns],
                            "rows": s.rows,
                            "sha256": s.sha256,
                        }
                        for s, table in zip(summaries, tables(), strict=True)
                    ],
                }
                archive.writestr(MANIFEST, json.dumps(manifest, indent=2) + "\n")
        with partial.open("rb") as written:
            os.fsync(written.fileno())
        if replace:
            partial.replace(path)
        else:
            path = _link_beside(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        engine.dispose()
    partial.unlink(missing_ok=True)
    return BackupSummary(path, revision, summaries, now)


def _link_beside(partial: Path, path: Path) -> Path:
    """Put `partial` in place as `path`, or as `<stem>-2.zip`, `-3`... if that exists: a link
    fails when the name is taken, so no other file (yesterday's backup restored and still
    wanted, another writer's) is ever replaced."""
    for n in range(1, 1000):
        candidate = path if n == 1 else path.with_name(f"{path.stem}-{n}{path.suffix}")
        try:
            os.link(partial, candidate)
        except FileExistsError:
            continue
        except OSError as exc:
            raise InvalidInput(
                f"cannot write the backup to {candidate}: {exc.strerror or exc}"
            ) from exc
        return candidate
    raise InvalidInput(f"cannot write the backup to {path}: every suffixed name is taken")


# --- Restore ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RestoreSummary:
    schema_revision: str
    tables: int
    rows: int
    migrated: bool


def read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        # Its size first: listing the folder must not read a huge member into memory.
        if archive.getinfo(MANIFEST).file_size > MAX_MANIFEST:
            raise InvalidInput(f"not a zerodraft backup: its manifest is over {MAX_MANIFEST} bytes")
        manifest: dict[str, Any] = json.loads(archive.read(MANIFEST))
    except KeyError as exc:
        raise InvalidInput("not a zerodraft backup: it has no manifest.json") from exc
    except ValueError as exc:
        raise InvalidInput(f"the backup's manifest is not valid JSON: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise InvalidInput("not a zerodraft backup: its manifest names another format")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise InvalidInput(
            f"the backup is in format version {manifest.get('format_version')}; "
            f"this zerodraft reads version {FORMAT_VERSION}"
        )
    return manifest


def head_revision(url: str) -> str:
    head = ScriptDirectory.from_config(migrate.alembic_config(url)).get_current_head()
    assert head is not None
    return head


# Reference data the migrations load into every database (the ASEAN Member States): it does
# not make a database "used", and a restore replaces it with the backup's own rows.
REFERENCE_TABLES = frozenset({"member_states"})


def _rows_in_use(engine: Engine) -> tuple[str, int] | None:
    """The first table of ours, reference data aside, that has rows, with its count."""
    existing = set(sa_inspect(engine).get_table_names())
    with engine.connect() as conn:
        for table in tables():
            if table.name in existing and table.name not in REFERENCE_TABLES:
                count = conn.execute(select(func.count()).select_from(table)).scalar() or 0
                if count:
                    return table.name, count
    return None


def _refuse_if_used(engine: Engine, url: str) -> None:
    used = _rows_in_use(engine)
    if used is not None:
        shown = make_url(url).render_as_string(hide_password=True)
        raise Conflict(
            f"the database {shown} is not empty (table {used[0]} has {used[1]} rows); "
            "restore only into an empty database"
        )


def _decoder(column: Column[Any]) -> Callable[[Any], Any]:
    if _is_datetime(column):
        return lambda v: None if v is None else datetime.fromisoformat(v)
    return lambda v: v


def _insert_statement(table: Table) -> Any:
    """An INSERT of every column, with JSON columns bound so that None is SQL NULL and
    JSON.NULL is JSON null, whatever the model's column says."""
    json_type = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
    values = {
        c.name: bindparam(c.name, type_=json_type) if _is_json(c) else bindparam(c.name)
        for c in table.columns
    }
    return table.insert().values(values)


def _self_references(table: Table) -> dict[str, str]:
    """Columns referring to the table itself (replies, merges, previous rounds), and the column
    they refer to."""
    return {fk.parent.name: fk.column.name for fk in table.foreign_keys if fk.column.table is table}


def _load_table(
    conn: Connection, archive: zipfile.ZipFile, table: Table, expected: dict[str, Any]
) -> int:
    member = f"tables/{table.name}.jsonl"
    try:
        stream = archive.open(member)
    except KeyError as exc:
        raise InvalidInput(f"the backup is damaged: {member} is missing") from exc
    decoders = {c.name: _decoder(c) for c in table.columns}
    json_columns = {c.name for c in table.columns if _is_json(c)}
    pk = [c.name for c in table.primary_key.columns]
    self_refs = _self_references(table) if len(pk) == 1 else {}
    insert = _insert_statement(table)
    digest, count = hashlib.sha256(), 0
    batch: list[dict[str, Any]] = []
    # Rows come in primary-key order, so a reference to an earlier row can go in at once; one to
    # a later row (or the row itself) is set once the whole table is in.
    later: list[dict[str, Any]] = []
    with stream:
        for raw in stream:
            digest.update(raw)
            try:
                row = json.loads(raw)
                params = {name: decode(row[name]) for name, decode in decoders.items()}
            except (ValueError, KeyError, TypeError) as exc:
                raise InvalidInput(
                    f"the backup is damaged: row {count + 1} of {table.name} cannot be read"
                ) from exc
            for name in row.get(JSON_NULL, ()):
                if name in json_columns:
                    params[name] = JSON.NULL
            for column, target in self_refs.items():
                value = params[column]
                if value is not None and (target != pk[0] or value >= params[pk[0]]):
                    later.append({"_pk": params[pk[0]], "_value": value, "_column": column})
                    params[column] = None
            batch.append(params)
            count += 1
            if len(batch) >= BATCH:
                conn.execute(insert, batch)
                batch = []
    if batch:
        conn.execute(insert, batch)
    for column in self_refs:
        updates = [
            {"_pk": u["_pk"], "_value": u["_value"]} for u in later if u["_column"] == column
        ]
        if updates:
            conn.execute(
                table.update()
                .where(table.c[pk[0]] == bindparam("_pk"))
                .values({column: bindparam("_value")}),
                updates,
            )
    if count != expected.get("rows") or digest.hexdigest() != expected.get("sha256"):
        raise InvalidInput(
            f"the backup is damaged: table {table.name} does not match its manifest "
            f"({count} rows read, {expected.get('rows')} expected)"
        )
    return count


def _reset_sequences(conn: Connection) -> None:
    """Move each serial/identity sequence past the highest id restored, so that new rows do not
    collide with restored ones."""
    for table in tables():
        columns = list(table.primary_key.columns)
        if len(columns) != 1 or not isinstance(columns[0].type, Integer):
            continue
        column = columns[0]
        sequence = conn.execute(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": table.name, "column": column.name},
        ).scalar()
        if sequence is None:
            continue
        highest = conn.execute(select(func.max(column))).scalar()
        conn.execute(
            text("SELECT setval(:sequence, :value, :called)"),
            {"sequence": sequence, "value": highest or 1, "called": highest is not None},
        )


def restore(url: str, path: Path) -> RestoreSummary:
    """Load the backup at `path` into the empty database at `url`, creating the schema first if
    it is missing. Refuses a non-empty database and a backup of another schema revision."""
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError as exc:
        raise InvalidInput(f"no backup file {path}") from exc
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidInput(f"{path} is not a zerodraft backup ({exc})") from exc
    with archive:
        manifest = read_manifest(archive)
        head = head_revision(url)
        if manifest.get("schema_revision") != head:
            raise Conflict(
                f"the backup is of schema revision {manifest.get('schema_revision')} and this "
                f"zerodraft is at {head}; restore it with the zerodraft version that wrote it"
            )
        listed = {t["name"]: t for t in manifest.get("tables", [])}
        expected = {t.name for t in tables()}
        if set(listed) != expected:
            raise InvalidInput(
                "the backup's tables do not match the schema: "
                + ", ".join(sorted(set(listed) ^ expected))
            )
        engine = make_engine(url)
        try:
            _refuse_if_used(engine, url)
            migrated = migrate.current_revision(url) != head
            if migrated:
                migrate.upgrade(url)
            rows = 0
            with engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
                if conn.dialect.name == "postgresql":
                    names = ", ".join(t.name for t in tables())
                    conn.execute(text(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE"))
                # Checked again inside the transaction that fills the tables.
                for table in tables():
                    if table.name in REFERENCE_TABLES:
                        continue
                    if conn.execute(select(func.count()).select_from(table)).scalar():
                        raise Conflict(
                            f"the database is not empty (table {table.name} has rows); "
                            "restore only into an empty database"
                        )
                for table in tables():
                    if table.name in REFERENCE_TABLES:
                        conn.execute(table.delete())
                for table in tables():
                    rows += _load_table(conn, archive, table, listed[table.name])
                if conn.dialect.name == "postgresql":
                    _reset_sequences(conn)
        finally:
            engine.dispose()
    return RestoreSummary(head, len(expected), rows, migrated)
