"""search index: one row per indicator, section, proposal and comment, and each engine's index

search_documents holds the words already stemmed and folded in Python (app/search/index.py), so
both engines match the same words. SQLite: two FTS5 tables over it (external content, kept by
triggers in the same transaction as every write): search_words (unicode61, diacritics removed)
over the words, search_trigrams (trigram) over the folded text, for the scripts written without
spaces. PostgreSQL: a GIN index over the words' tsvector (title weighted A, the rest D) and a
pg_trgm GIN index over the folded text.

Rows for what the database already holds are written by this migration (below), with the same
folding and stemming as the application's.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-20 09:00
"""

import json
import re
import unicodedata
from collections.abc import Iterator, Sequence
from typing import Any

import snowballstemmer  # type: ignore[import-untyped]
import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Self-contained: imports nothing from the application.

TSVECTOR = (
    "(setweight(to_tsvector('simple'::regconfig, words_title), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, words), 'D'))"
)


def upgrade() -> None:
    op.create_table(
        "search_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=40), nullable=False),
        sa.Column("dimension_code", sa.String(length=8), nullable=True),
        sa.Column("delegation_code", sa.String(length=32), nullable=True),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=32), nullable=False),
        # Who may see the row (search filters on these plain columns): a draft not yet submitted
        # is its delegation's; a comment is seen as its thread's first comment says.
        sa.Column("draft_of", sa.Integer(), nullable=True),
        sa.Column("thread_visibility", sa.String(length=24), nullable=False),
        sa.Column("thread_delegation_id", sa.Integer(), nullable=True),
        sa.Column("thread_author_id", sa.Integer(), nullable=True),
        # The long texts last: reading a row's filters never reads their overflow pages.
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("words_title", sa.Text(), nullable=False),
        sa.Column("words", sa.Text(), nullable=False),
        sa.Column("plain", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_documents")),
        sa.UniqueConstraint("kind", "object_id", name="uq_search_documents_object"),
    )
    op.create_index("ix_search_documents_ref", "search_documents", ["ref"])
    # What a search filters and orders on but the text (SQLite reads it instead of the rows).
    op.create_index(
        "ix_search_documents_access",
        "search_documents",
        [
            "id",
            "kind",
            "draft_of",
            "thread_visibility",
            "thread_delegation_id",
            "thread_author_id",
            "ref",
            "dimension_code",
            "delegation_code",
            "round_id",
            "state",
        ],
    )
    if op.get_context().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(f"CREATE INDEX ix_search_words_tsv ON search_documents USING gin ({TSVECTOR})")
        op.execute(
            "CREATE INDEX ix_search_plain_trgm ON search_documents USING gin (plain gin_trgm_ops)"
        )
    else:
        op.execute(
            "CREATE VIRTUAL TABLE search_words USING fts5(words_title, words, "
            "content='search_documents', content_rowid='id', "
            "tokenize='unicode61 remove_diacritics 2')"
        )
        op.execute(
            "CREATE VIRTUAL TABLE search_trigrams USING fts5(plain, "
            "content='search_documents', content_rowid='id', tokenize='trigram')"
        )
        insert = (
            "INSERT INTO search_words(rowid, words_title, words) "
            "VALUES (new.id, new.words_title, new.words); "
            "INSERT INTO search_trigrams(rowid, plain) VALUES (new.id, new.plain);"
        )
        delete = (
            "INSERT INTO search_words(search_words, rowid, words_title, words) "
            "VALUES ('delete', old.id, old.words_title, old.words); "
            "INSERT INTO search_trigrams(search_trigrams, rowid, plain) "
            "VALUES ('delete', old.id, old.plain);"
        )
        op.execute(
            f"CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN {insert} END"
        )
        op.execute(
            f"CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN {delete} END"
        )
        op.execute(
            "CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents "
            f"BEGIN {delete} {insert} END"
        )

    _fill()


# The rows for what the database holds, written as app/search/index.py writes them (a copy as of
# this revision: folding, words, stems, titles); tests/test_search.py checks they are the same.
_NO_SPACE = "\u0e00-\u0eff\u1000-\u109f\uaa60-\uaa7f\ua9e0-\ua9ff\u1780-\u17ff\u19e0-\u19ff"
_NO_SPACE_CHAR = re.compile(f"[{_NO_SPACE}]")
_WORD = re.compile(r"[^\W_]+")
_LETTERS = str.maketrans(
    {"đ": "d", "ð": "d", "ø": "o", "ł": "l", "ħ": "h", "\u0131": "i", "æ": "ae"}
)
_STEMMER = snowballstemmer.stemmer("english")
TEXT_FIELDS = ("title", "text", "guidance", "information_sources", "references", "rationale")
LISTS = ("element", "strength_adult", "strength_child", "profiles", "crime_types", "intended_users")
JSON_LISTS = ("profiles", "crime_types", "intended_users")
VERBS = {"add": "Add", "amend": "Amend", "delete": "Delete", "merge": "Merge"}


def _latin(ch: str) -> bool:
    return ch.isascii() or "\u00c0" <= ch <= "\u024f" or "\u1e00" <= ch <= "\u1eff"


def _fold(text: str) -> str:
    out: list[str] = []
    after_latin = False
    for ch in text:
        if unicodedata.combining(ch):
            if not after_latin:
                out.append(ch)
            continue
        decomposed = unicodedata.normalize("NFKD", ch)
        after_latin = _latin(decomposed[0])
        if after_latin:
            decomposed = "".join(c for c in decomposed if not unicodedata.combining(c))
        out.append(decomposed.casefold().translate(_LETTERS))
    return "".join(out)


def _words(text: str) -> list[str]:
    return [
        str(_STEMMER.stemWord(m.group()))
        for m in _WORD.finditer(_fold(text))
        if not _NO_SPACE_CHAR.search(m.group())
    ]


def _text(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _json(value: Any, decoded: bool) -> Any:
    """A JSON column's value: PostgreSQL's driver has decoded it already (a JSON string comes back
    as a str); SQLite hands back the text. Text that is not JSON counts as no value."""
    if decoded or not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return None


def _row(
    kind: str,
    object_id: int,
    ref: str,
    title: str,
    fields: list[str],
    extra: list[str],
    dimension: str | None,
    delegation: str | None,
    round_id: int | None,
    state: str,
    seen: tuple[int | None, str, int | None, int | None] = (None, "group", None, None),
) -> dict[str, Any]:
    body = "\n".join(f for f in fields if f)
    return {
        "kind": kind,
        "object_id": object_id,
        "ref": ref,
        "title": title,
        "body": body,
        "words_title": " ".join(_words(f"{ref} {title}")),
        "words": " ".join(_words(body) + _words(" ".join(extra))),
        "plain": _fold(f"{title}\n{body}"),
        "dimension_code": dimension,
        "delegation_code": delegation,
        "round_id": round_id,
        "state": state,
        "draft_of": seen[0],
        "thread_visibility": seen[1],
        "thread_delegation_id": seen[2],
        "thread_author_id": seen[3],
    }


def _first_words(text: str, n: int = 12) -> str:
    parts = text.split()
    return " ".join(parts[:n]) + (" …" if len(parts) > n else "")


def _rows(conn: Any) -> Iterator[dict[str, Any]]:
    decoded = conn.dialect.name == "postgresql"
    current = (
        "JOIN revisions r ON r.item_id = i.id AND r.number = i.version "
        "LEFT JOIN dimensions d ON d.id = r.dimension_id"
    )
    for row in conn.execute(
        sa.text(f"SELECT i.*, r.*, i.id AS iid, d.code AS dim FROM items i {current}")  # noqa: S608
    ).mappings():
        extra = [
            _text(_json(row[name], decoded) if name in JSON_LISTS else row[name]).replace("_", " ")
            for name in LISTS
        ]
        yield _row(
            row["kind"],
            row["iid"],
            row["code"],
            row["title"] or _first_words(row["text"]),
            [row[name] or "" for name in TEXT_FIELDS if name != "title"],
            extra,
            row["dim"],
            None,
            None,
            "withdrawn" if row["status"] == "withdrawn" else row["drafting_state"],
        )
    targets: dict[int, list[tuple[str, str | None]]] = {}
    for pid, code, dim in conn.execute(
        sa.text(
            f"SELECT t.proposal_id, i.code, d.code FROM proposal_targets t JOIN items i ON "  # noqa: S608
            f"i.id = t.item_id {current} ORDER BY t.proposal_id, t.position"
        )
    ):
        targets.setdefault(pid, []).append((code, dim))
    for p in conn.execute(
        sa.text(
            "SELECT p.*, g.code AS delegation FROM proposals p JOIN delegations g ON g.id = p.delegation_id"
        )
    ).mappings():
        on = targets.get(p["id"], [])
        codes = [code for code, _ in on]
        content = _json(p["content"], decoded)
        if not isinstance(content, dict):  # a proposal's fields are an object; anything else: none
            content = {}
        verb = VERBS.get(p["kind"], p["kind"])
        title = f"{verb} {', '.join(codes)}" if codes else f"{verb} a new {p['item_kind']}"
        yield _row(
            "proposal",
            p["id"],
            f"P-{p['id']}",
            title,
            [_text(content.get(name)) for name in TEXT_FIELDS] + [p["rationale"] or ""],
            [p["delegation"], *codes],
            p["dimension_code"] or (on[0][1] if on else None),
            p["delegation"],
            p["round_id"],
            p["state"],
            (p["delegation_id"] if p["submitted_at"] is None else None, "group", None, None),
        )
    for c in conn.execute(
        sa.text(
            "SELECT c.*, g.code AS delegation, i.code AS item_code, d.code AS dim, "
            "t.visibility AS t_visibility, t.delegation_id AS t_delegation, "
            "t.author_id AS t_author, tp.submitted_at AS tp_submitted, "
            "tp.delegation_id AS tp_delegation FROM comments c "
            "LEFT JOIN delegations g ON g.id = c.delegation_id LEFT JOIN items i ON i.id = c.item_id "
            "LEFT JOIN revisions r ON r.item_id = i.id AND r.number = i.version "
            "LEFT JOIN dimensions d ON d.id = r.dimension_id "
            # A comment is seen as its thread's first comment, and only where its proposal is.
            "JOIN comments t ON t.id = COALESCE(c.parent_id, c.id) "
            "LEFT JOIN proposals tp ON tp.id = t.proposal_id "
            "WHERE c.withdrawn_at IS NULL"
        )
    ).mappings():
        on = c["item_code"] or (f"P-{c['proposal_id']}" if c["proposal_id"] else "the draft")
        dimension = c["dim"]
        if c["proposal_id"] and not dimension:
            found = targets.get(c["proposal_id"], [])
            dimension = found[0][1] if found else None
        yield _row(
            "comment",
            c["id"],
            f"C-{c['id']}",
            f"{'Reply' if c['parent_id'] else 'Comment'} on {on}",
            [c["body"] or "", c["answer"] or ""],
            [c["delegation"] or "", on],
            dimension,
            c["delegation"],
            c["round_id"],
            "resolved" if c["resolved_at"] is not None else "open",
            (
                c["tp_delegation"] if c["tp_submitted"] is None else None,
                c["t_visibility"],
                c["t_delegation"],
                c["t_author"],
            ),
        )


def _fill() -> None:
    conn = op.get_bind()
    table = sa.table(
        "search_documents",
        *(
            sa.column(name)
            for name in (
                "kind",
                "object_id",
                "ref",
                "title",
                "body",
                "words_title",
                "words",
                "plain",
                "dimension_code",
                "delegation_code",
                "round_id",
                "state",
                "draft_of",
                "thread_visibility",
                "thread_delegation_id",
                "thread_author_id",
            )
        ),
    )
    batch: list[dict[str, Any]] = []
    for row in _rows(conn):
        batch.append(row)
        if len(batch) == 500:
            conn.execute(table.insert(), batch)
            batch = []
    if batch:
        conn.execute(table.insert(), batch)


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_search_plain_trgm")
        op.execute("DROP INDEX IF EXISTS ix_search_words_tsv")
    else:
        for trigger in ("search_documents_ai", "search_documents_ad", "search_documents_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS search_trigrams")
        op.execute("DROP TABLE IF EXISTS search_words")
    op.drop_index("ix_search_documents_access", table_name="search_documents")
    op.drop_index("ix_search_documents_ref", table_name="search_documents")
    op.drop_table("search_documents")
