"""search terms: each stem of a search_documents row with its weight there

A search ranks by how often each word asked is in a row (four times in the title, once in the
text). Counting them in the rows' texts read every matching row's words (3,000 rows for a common
word); search_terms holds the count of each stem of each row, weighted, keyed by stem: a word's
matches and their weights are one range of a B-tree. Ordered by code point on both engines
(PostgreSQL: collation "C"), so that a prefix is a range too. The access index gains object_id
(search orders ties by it), so that a search reads no row of search_documents but the page's.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-22 09:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Self-contained: imports nothing from the application (app/search/index.py's weights, as of
# this revision).
TITLE_WEIGHT = 4
STEM_CHARS = 100
ACCESS = [
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
]


def upgrade() -> None:
    op.create_table(
        "search_terms",
        sa.Column(
            "stem", sa.Text().with_variant(sa.Text(collation="C"), "postgresql"), nullable=False
        ),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["search_documents.id"],
            name=op.f("fk_search_terms_document_id_search_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("stem", "document_id", name=op.f("pk_search_terms")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_search_terms_document_id", "search_terms", ["document_id"])
    op.drop_index("ix_search_documents_access", table_name="search_documents")
    op.create_index(
        "ix_search_documents_access",
        "search_documents",
        [ACCESS[0], ACCESS[1], "object_id", *ACCESS[2:]],
    )
    _fill()


def _fill() -> None:
    conn = op.get_bind()
    terms = sa.table(
        "search_terms", sa.column("stem"), sa.column("document_id"), sa.column("weight")
    )
    rows = conn.execute(sa.text("SELECT id, words_title, words FROM search_documents"))
    batch: list[dict[str, object]] = []
    for id_, words_title, words in rows.all():
        weights: dict[str, int] = {}
        for column, weight in ((words_title or "", TITLE_WEIGHT), (words or "", 1)):
            for stem in column.split():
                key = stem[:STEM_CHARS]
                weights[key] = weights.get(key, 0) + weight
        batch.extend({"stem": s, "document_id": id_, "weight": w} for s, w in weights.items())
        if len(batch) >= 5000:
            conn.execute(terms.insert(), batch)
            batch = []
    if batch:
        conn.execute(terms.insert(), batch)


def downgrade() -> None:
    op.drop_index("ix_search_documents_access", table_name="search_documents")
    op.create_index("ix_search_documents_access", "search_documents", ACCESS)
    op.drop_index("ix_search_terms_document_id", table_name="search_terms")
    op.drop_table("search_terms")
