"""The search index: one row per thing a person can find (an indicator, a section, a proposal,
a comment), written by app/search/index.py in the same transaction as the change it reflects.

The text columns hold the language work already done in Python, the same on both engines:
`words_title` and `words` are the stemmed, case- and diacritic-folded words (what the word
index matches), `plain` the folded text (what the substring index matches, for Thai, Lao, Khmer
and Myanmar, written without spaces). The engines' own indexes over them are made by migration
0016 and are not on this metadata: on SQLite two FTS5 tables fed by triggers (search_words,
unicode61; search_trigrams, trigram), on PostgreSQL a GIN index over the tsvector of the words
and a pg_trgm GIN index over `plain`."""

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

# The engine-only parts that migration 0016 makes beside the table (SQLite's FTS5 tables and
# their shadow tables, PostgreSQL's GIN indexes): not on the metadata, so a schema comparison
# (`alembic check`, the migration tests) must leave them out rather than call them drift.
ENGINE_ONLY = ("search_words", "search_trigrams", "ix_search_words_tsv", "ix_search_plain_trgm")


def compared(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic's include_object: False for the search index's engine-only parts."""
    return not (reflected and compare_to is None and (name or "").startswith(ENGINE_ONLY))


ACCESS = (
    "id",
    "kind",
    "object_id",
    "draft_of",
    "thread_visibility",
    "thread_delegation_id",
    "thread_author_id",
    "ref",
    "dimension_code",
    "delegation_code",
    "round_id",
    "state",
)


class SearchDocument(Base):
    __tablename__ = "search_documents"
    __table_args__ = (
        UniqueConstraint("kind", "object_id", name="uq_search_documents_object"),
        Index("ix_search_documents_ref", "ref"),
        # Everything a search filters and orders on but the text: SQLite checks the thousands of
        # rows a common word matches in this index (app/search/service.py names it), never
        # reading the wide rows themselves (17 -> 8 ms for a word in 3,000 rows).
        Index("ix_search_documents_access", *ACCESS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # indicator, section, proposal or comment; object_id is the item's, proposal's or comment's
    kind: Mapped[str] = mapped_column(String(16))
    object_id: Mapped[int] = mapped_column(Integer)
    ref: Mapped[str] = mapped_column(String(40))
    # What the filters ask about.
    dimension_code: Mapped[str | None] = mapped_column(String(8))
    delegation_code: Mapped[str | None] = mapped_column(String(32))
    round_id: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(32))
    # Who may see the row, copied from the objects so that search filters on plain columns
    # (app/comments/service.py hidden_proposals/hidden_comments say the same in subqueries):
    # a draft not yet submitted is its delegation's alone (the proposal, and every comment of a
    # thread on it); a comment is seen as its thread's first comment says (visibility 'group',
    # 'chairs_secretariat' or 'delegation', that comment's delegation and author). Indicators
    # and sections: NULL draft, 'group'.
    draft_of: Mapped[int | None] = mapped_column(Integer)
    thread_visibility: Mapped[str] = mapped_column(String(24))
    thread_delegation_id: Mapped[int | None] = mapped_column(Integer)
    thread_author_id: Mapped[int | None] = mapped_column(Integer)
    # The long texts last (SQLite: reading a row's filters never reads their overflow pages).
    title: Mapped[str] = mapped_column(Text)
    # The text as written, field by field, for the snippet.
    body: Mapped[str] = mapped_column(Text)
    words_title: Mapped[str] = mapped_column(Text)
    words: Mapped[str] = mapped_column(Text)
    plain: Mapped[str] = mapped_column(Text)


# A stem's key is cut at this many characters (PostgreSQL's B-tree refuses entries of a few
# kilobytes: a pasted run of letters with no space must not make the edit that holds it fail).
STEM_CHARS = 100


class SearchTerm(Base):
    """Each stem of a search_documents row with its weight there (TITLE_WEIGHT times its count in
    the title, plus its count in the text): the relevance of a word, read from one B-tree
    entry instead of counting it in the row's text (app/search/index.py writes them with the
    row; deleting the row deletes them). Ordered by code point on both engines (PostgreSQL:
    collation "C"), so that a prefix (`traffick*`) is a range of the key."""

    __tablename__ = "search_terms"
    __table_args__ = (
        PrimaryKeyConstraint("stem", "document_id"),
        Index("ix_search_terms_document_id", "document_id"),
        {"sqlite_with_rowid": False},
    )

    stem: Mapped[str] = mapped_column(Text().with_variant(Text(collation="C"), "postgresql"))
    document_id: Mapped[int] = mapped_column(ForeignKey("search_documents.id", ondelete="CASCADE"))
    weight: Mapped[int] = mapped_column(Integer)
