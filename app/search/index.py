"""What search finds, kept current: the language work on a text (folding, words, stems) and the
rows of search_documents, rewritten in the same transaction as every change.

Both engines index what this module writes, so they match the same words:

- folding: lower case (casefold), and the marks on Latin letters dropped ("người" -> "nguoi",
  "đ" -> "d"), never those of other scripts (a Thai vowel sign is part of the word);
- words: runs of letters and digits outside the scripts written without spaces, each reduced to
  its Snowball English stem ("passports" -> "passport", "recruited" -> "recruit"), which is the
  stemmer PostgreSQL's own English configuration uses;
- Thai, Lao, Khmer and Myanmar are matched as substrings of the folded text (trigram indexes),
  since their words are not separated by spaces.

A flush that writes an item's revision or state, a proposal (its text, state, targets) or a
comment notes those objects, and their rows are rewritten as the transaction commits (`install`,
called by app.audit.guard.open_database for the app, the command line and the worker). A
restore from backup carries the rows like every other table; SQLite's triggers and PostgreSQL's
indexes index them as they are loaded.
"""

import re
import sqlite3
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import snowballstemmer  # type: ignore[import-untyped]
from sqlalchemy import Connection, delete, event, func, insert, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, UOWTransaction, aliased

from app.models import (
    Comment,
    Delegation,
    Dimension,
    Item,
    ItemStatus,
    Proposal,
    ProposalTarget,
    Revision,
    SearchDocument,
    SearchTerm,
)
from app.models.register import TEXT_FIELDS
from app.models.search import STEM_CHARS

# Thai, Lao, Myanmar (and its extensions), Khmer (and its symbols).
_NO_SPACE = "\u0e00-\u0eff\u1000-\u109f\uaa60-\uaa7f\ua9e0-\ua9ff\u1780-\u17ff\u19e0-\u19ff"
NO_SPACE_RUN = re.compile(f"[{_NO_SPACE}]+")
NO_SPACE_CHAR = re.compile(f"[{_NO_SPACE}]")
_WORD = re.compile(r"[^\W_]+")
# Latin letters that carry their mark in the letter itself (no decomposition).
_LETTERS = str.maketrans(
    {"đ": "d", "ð": "d", "ø": "o", "ł": "l", "ħ": "h", "\u0131": "i", "æ": "ae"}
)

KINDS = ("indicator", "section", "proposal", "comment")
# A word in the title counts as this many in the text (search's relevance).
TITLE_WEIGHT = 4


def _latin(ch: str) -> bool:
    return ch.isascii() or "\u00c0" <= ch <= "\u024f" or "\u1e00" <= ch <= "\u1eff"


_ASCII_RUN = re.compile(r"[\x00-\x7f]+")


def fold_with_map(text: str) -> tuple[str, Sequence[int]]:
    """The folded text, and for each of its characters the index of the character of `text` it
    comes from (for highlighting the words found in the text as written)."""
    if text.isascii():
        # Most of what is written here: lower case is all its folding, character for character.
        return text.lower(), range(len(text))
    out: list[str] = []
    where: list[int] = []
    after_latin = False
    at = 0
    for run in _ASCII_RUN.finditer(text):
        if run.start() > at:
            after_latin = _fold_chars(text, at, run.start(), after_latin, out, where)
        # Plain ASCII, most of what is written here: lower case is all its folding.
        out.append(run.group().lower())
        where.extend(range(run.start(), run.end()))
        after_latin, at = True, run.end()
    if at < len(text):
        _fold_chars(text, at, len(text), after_latin, out, where)
    return "".join(out), where


def _fold_chars(
    text: str, start: int, end: int, after_latin: bool, out: list[str], where: list[int]
) -> bool:
    for i in range(start, end):
        parts, latin = _fold_char(text[i])
        if latin is None:  # a combining mark: dropped after a Latin letter, kept after others
            if after_latin:
                continue
        else:
            after_latin = latin
        out.append(parts)
        if len(parts) == 1:
            where.append(i)
        else:
            where.extend([i] * len(parts))
    return after_latin


@lru_cache(maxsize=8192)
def _fold_char(ch: str) -> tuple[str, bool | None]:
    """One character folded, and whether it is a Latin letter (None: a combining mark, which
    the letter before decides about). The same few hundred characters come back in every text."""
    if unicodedata.combining(ch):
        return ch, None
    decomposed = unicodedata.normalize("NFKD", ch)
    latin = _latin(decomposed[0])
    if latin:
        decomposed = "".join(c for c in decomposed if not unicodedata.combining(c))
    return decomposed.casefold().translate(_LETTERS), latin


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    return fold_with_map(text)[0]


_stemmer = snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return str(_stemmer.stemWord(word))


def word_tokens(folded: str) -> Iterator[re.Match[str]]:
    """The words of a folded text that the word index holds (not those of no-space scripts)."""
    for match in _WORD.finditer(folded):
        if not NO_SPACE_CHAR.search(match.group()):
            yield match


def words(text: str) -> list[str]:
    return [stem(m.group()) for m in word_tokens(fold(text))]


def weights(words_title: str, words: str) -> dict[str, int]:
    """Each stem of a row's words columns with its weight: TITLE_WEIGHT for each time in the
    title, one for each time in the text (search_terms; a word's relevance in the row)."""
    out: dict[str, int] = {}
    for column, weight in ((words_title, TITLE_WEIGHT), (words, 1)):
        for s in column.split():
            key = s[:STEM_CHARS]
            out[key] = out.get(key, 0) + weight
    return out


def phrase_count(words: str | None, phrase: str) -> int:
    """How many times a phrase (stems joined by one space) stands in a words column, repeats
    next to each other counted each: each word is given spaces of its own on both sides.
    Search's relevance; app/db.py registers it on SQLite, PostgreSQL runs the same in SQL."""
    spaced = " " + (words or "").replace(" ", "  ") + " "
    return spaced.count(" " + phrase.replace(" ", "  ") + " ")


@dataclass(slots=True)
class Document:
    kind: str
    object_id: int
    ref: str
    title: str
    fields: list[str]
    extra_words: list[str] = field(default_factory=list)
    dimension_code: str | None = None
    delegation_code: str | None = None
    round_id: int | None = None
    state: str = ""
    draft_of: int | None = None
    thread_visibility: str = "group"
    thread_delegation_id: int | None = None
    thread_author_id: int | None = None

    def row(self) -> dict[str, Any]:
        body = "\n".join(f for f in self.fields if f)
        title_words = words(f"{self.ref} {self.title}")
        return {
            "kind": self.kind,
            "object_id": self.object_id,
            "ref": self.ref,
            "title": self.title,
            "body": body,
            "words_title": " ".join(title_words),
            "words": " ".join(words(body) + words(" ".join(self.extra_words))),
            "plain": fold(f"{self.title}\n{body}"),
            "dimension_code": self.dimension_code,
            "delegation_code": self.delegation_code,
            "round_id": self.round_id,
            "state": self.state,
            "draft_of": self.draft_of,
            "thread_visibility": self.thread_visibility,
            "thread_delegation_id": self.thread_delegation_id,
            "thread_author_id": self.thread_author_id,
        }


@event.listens_for(Engine, "connect")
def _register_sqlite_functions(dbapi_conn: Any, _record: Any) -> None:
    """SQLite counts phrases with phrase_count (PostgreSQL in SQL): registered on every new
    SQLite connection from here, so that general code (app/db.py) knows nothing of search."""
    if isinstance(dbapi_conn, sqlite3.Connection):
        dbapi_conn.create_function("phrase_count", 2, phrase_count, deterministic=True)


def _text(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _first_words(text: str, n: int = 12) -> str:
    parts = text.split()
    return " ".join(parts[:n]) + (" …" if len(parts) > n else "")


def _item_documents(session: Session, ids: set[int] | None) -> Iterator[Document]:
    query = (
        select(Item, Revision, Dimension.code)
        .join(Revision, (Revision.item_id == Item.id) & (Revision.number == Item.version))
        .outerjoin(Dimension, Dimension.id == Revision.dimension_id)
    )
    if ids is not None:
        query = query.where(Item.id.in_(ids))
    for item, rev, dimension in session.execute(query):
        extra = [
            _text(getattr(rev, name))
            for name in (
                "element",
                "strength_adult",
                "strength_child",
                "profiles",
                "crime_types",
                "intended_users",
            )
        ]
        yield Document(
            kind=item.kind.value,
            object_id=item.id,
            ref=item.code,
            title=rev.title or _first_words(rev.text),
            fields=[getattr(rev, name) or "" for name in TEXT_FIELDS if name != "title"],
            extra_words=[e.replace("_", " ") for e in extra],
            dimension_code=dimension,
            state="withdrawn" if rev.status is ItemStatus.WITHDRAWN else item.drafting_state,
        )


def _targets(session: Session, proposal_ids: set[int] | None) -> dict[int, list[tuple[str, str]]]:
    """Each proposal's target items: (code, dimension code), in order."""
    query = (
        select(ProposalTarget.proposal_id, Item.code, Dimension.code)
        .join(Item, Item.id == ProposalTarget.item_id)
        .join(Revision, (Revision.item_id == Item.id) & (Revision.number == Item.version))
        .outerjoin(Dimension, Dimension.id == Revision.dimension_id)
        .order_by(ProposalTarget.proposal_id, ProposalTarget.position)
    )
    if proposal_ids is not None:
        query = query.where(ProposalTarget.proposal_id.in_(proposal_ids))
    out: dict[int, list[tuple[str, str]]] = {}
    for pid, code, dimension in session.execute(query):
        out.setdefault(pid, []).append((code, dimension))
    return out


_VERBS = {"add": "Add", "amend": "Amend", "delete": "Delete", "merge": "Merge"}


def _proposal_documents(session: Session, ids: set[int] | None) -> Iterator[Document]:
    query = select(Proposal, Delegation.code).join(
        Delegation, Delegation.id == Proposal.delegation_id
    )
    if ids is not None:
        query = query.where(Proposal.id.in_(ids))
    rows = list(session.execute(query).all())
    targets = _targets(session, {p.id for p, _ in rows} if ids is not None else None)
    for p, delegation in rows:
        on = targets.get(p.id, [])
        codes = [code for code, _ in on]
        content = p.content or {}
        verb = _VERBS.get(p.kind.value, p.kind.value)
        title = f"{verb} {', '.join(codes)}" if codes else f"{verb} a new {p.item_kind}"
        fields = [_text(content.get(name)) for name in TEXT_FIELDS] + [p.rationale or ""]
        yield Document(
            kind="proposal",
            object_id=p.id,
            ref=p.reference,
            title=title,
            fields=fields,
            extra_words=[delegation, *codes],
            dimension_code=p.dimension_code or (on[0][1] if on else None),
            delegation_code=delegation,
            round_id=p.round_id,
            state=p.state.value,
            draft_of=p.delegation_id if p.submitted_at is None else None,
        )


def _comment_documents(session: Session, ids: set[int] | None) -> Iterator[Document]:
    root = aliased(Comment)
    query = (
        select(
            Comment,
            Delegation.code,
            Item.code,
            Dimension.code,
            root.visibility,
            root.delegation_id,
            root.author_id,
            Proposal.submitted_at,
            Proposal.delegation_id,
        )
        .outerjoin(Delegation, Delegation.id == Comment.delegation_id)
        .outerjoin(Item, Item.id == Comment.item_id)
        .outerjoin(Revision, (Revision.item_id == Item.id) & (Revision.number == Item.version))
        .outerjoin(Dimension, Dimension.id == Revision.dimension_id)
        # A comment is seen as its thread's first comment, and only where its proposal is.
        .join(root, root.id == func.coalesce(Comment.parent_id, Comment.id))
        .outerjoin(Proposal, Proposal.id == root.proposal_id)
    )
    if ids is not None:
        query = query.where(Comment.id.in_(ids))
    rows = list(session.execute(query).all())
    proposal_ids = {c.proposal_id for c, *_ in rows if c.proposal_id}
    targets = _targets(session, proposal_ids) if proposal_ids else {}
    for (
        c,
        delegation,
        item_code,
        item_dimension,
        visibility,
        thread_delegation,
        author,
        submitted,
        draft_delegation,
    ) in rows:
        dimension: str | None = item_dimension
        # A withdrawn comment's words are no longer shown on its page: nothing to find.
        if c.withdrawn_at is not None:
            continue
        on = item_code or (f"P-{c.proposal_id}" if c.proposal_id else "the draft")
        if c.proposal_id and not dimension:
            found = targets.get(c.proposal_id, [])
            dimension = found[0][1] if found else None
        yield Document(
            kind="comment",
            object_id=c.id,
            ref=c.reference,
            title=f"{'Reply' if c.parent_id else 'Comment'} on {on}",
            fields=[c.body or "", c.answer or ""],
            extra_words=[delegation or "", on],
            dimension_code=dimension,
            delegation_code=delegation,
            round_id=c.round_id,
            state="resolved" if c.resolved_at is not None else "open",
            draft_of=draft_delegation if submitted is None else None,
            thread_visibility=str(visibility.value),
            thread_delegation_id=thread_delegation,
            thread_author_id=author,
        )


def _write_terms(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Write the stems' weights of these rows (just written) afresh: search_terms."""
    doc = SearchDocument
    for kind in KINDS:
        of_kind = {r["object_id"]: r for r in rows if r["kind"] == kind}
        objects = sorted(of_kind)
        for start in range(0, len(objects), 500):
            ids = conn.execute(
                select(doc.id, doc.object_id)
                .where(doc.kind == kind, doc.object_id.in_(objects[start : start + 500]))
                .order_by(doc.id)
            ).all()
            conn.execute(delete(SearchTerm).where(SearchTerm.document_id.in_([i for i, _ in ids])))
            terms = [
                {"stem": stem_, "document_id": id_, "weight": weight}
                for id_, object_id in ids
                for stem_, weight in weights(
                    of_kind[object_id]["words_title"], of_kind[object_id]["words"]
                ).items()
            ]
            if terms:
                conn.execute(insert(SearchTerm), terms)


def refresh(
    session: Session,
    *,
    items: Iterable[int] = (),
    proposals: Iterable[int] = (),
    comments: Iterable[int] = (),
) -> None:
    """Rewrite the rows of these objects from what the database holds now (in this transaction)."""
    wanted = {"item": set(items), "proposal": set(proposals), "comment": set(comments)}
    conn = session.connection()
    if wanted["item"]:
        # The proposals on an item and the comments on it carry its code and dimension (the
        # dimension filter reads them): an indicator moved to another dimension moves them too.
        wanted["proposal"] |= set(
            conn.scalars(
                select(ProposalTarget.proposal_id).where(ProposalTarget.item_id.in_(wanted["item"]))
            )
        )
        wanted["comment"] |= set(
            conn.scalars(select(Comment.id).where(Comment.item_id.in_(wanted["item"])))
        )
    if wanted["proposal"] or wanted["comment"]:
        # Who sees a comment is decided by its thread's first comment and that one's proposal:
        # the replies of a changed comment and the threads on a changed proposal are rewritten.
        threads = select(Comment.id).where(
            or_(Comment.id.in_(wanted["comment"]), Comment.proposal_id.in_(wanted["proposal"]))
        )
        wanted["comment"] |= set(
            conn.scalars(
                select(Comment.id).where(
                    or_(Comment.parent_id.in_(threads), Comment.proposal_id.in_(wanted["proposal"]))
                )
            )
        )
    docs: list[Document] = []
    if wanted["item"]:
        docs.extend(_item_documents(session, wanted["item"]))
    if wanted["proposal"]:
        docs.extend(_proposal_documents(session, wanted["proposal"]))
    if wanted["comment"]:
        docs.extend(_comment_documents(session, wanted["comment"]))
    # Rows are rewritten in place (an upsert, in one order), and only the rows of what is no
    # longer found (a withdrawn comment) deleted: two transactions rewriting one row wait for each
    # other instead of the second inserting a row the first has just inserted.
    found = {(_GROUP[d.kind], d.object_id) for d in docs}
    for kinds, group in (
        (("indicator", "section"), "item"),
        (("proposal",), "proposal"),
        (("comment",), "comment"),
    ):
        gone = sorted(i for i in wanted[group] if (group, i) not in found)
        if gone:
            conn.execute(
                delete(SearchDocument).where(
                    SearchDocument.kind.in_(kinds), SearchDocument.object_id.in_(gone)
                )
            )
    if docs:
        docs.sort(key=lambda d: (d.kind, d.object_id))
        rows = [d.row() for d in docs]
        _upsert(conn, rows)
        _write_terms(conn, rows)


_GROUP = {"indicator": "item", "section": "item", "proposal": "proposal", "comment": "comment"}


def _upsert(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert the rows, or rewrite the one a (kind, object_id) already has."""
    dialect = conn.dialect.name
    statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(SearchDocument)
    columns = [name for name in rows[0] if name not in ("kind", "object_id")]
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["kind", "object_id"],
            set_={name: statement.excluded[name] for name in columns},
        ),
        rows,
    )


def rebuild(session: Session) -> int:
    """Write every row afresh (a database filled without the application's sessions)."""
    conn = session.connection()
    conn.execute(delete(SearchTerm))
    conn.execute(delete(SearchDocument))
    docs = [
        *_item_documents(session, None),
        *_proposal_documents(session, None),
        *_comment_documents(session, None),
    ]
    for start in range(0, len(docs), 500):
        rows = [d.row() for d in docs[start : start + 500]]
        conn.execute(insert(SearchDocument), rows)
        _write_terms(conn, rows)
    return len(docs)


def _changed(session: Session) -> tuple[set[int], set[int], set[int]]:
    items: set[int] = set()
    proposals: set[int] = set()
    comments: set[int] = set()
    # Deleted objects too: a target taken off a proposal changes its title and dimension, and a
    # deleted row's words must not be found.
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Revision):
            items.add(obj.item_id)
        elif isinstance(obj, Item):
            items.add(obj.id)
        elif isinstance(obj, Proposal):
            proposals.add(obj.id)
        elif isinstance(obj, ProposalTarget):
            proposals.add(obj.proposal_id)
        elif isinstance(obj, Comment):
            comments.add(obj.id)
    return items, proposals, comments


# The objects a transaction changed, noted at each flush and written once, at commit.
_PENDING = "search.pending"


def _after_flush(session: Session, _context: UOWTransaction) -> None:
    items, proposals, comments = _changed(session)
    if items or proposals or comments:
        pending = session.info.setdefault(_PENDING, (set(), set(), set()))
        pending[0].update(items)
        pending[1].update(proposals)
        pending[2].update(comments)


def write_pending(session: Session) -> None:
    """Rewrite the rows of what this transaction changed so far. Called at commit, after every
    other write of the transaction (and after the audit trail is sealed), so that a transaction
    holds its rows' locks only at its very end: one that rewrote rows early and went on to update
    an item could wait for a transaction waiting for those rows (a deadlock on PostgreSQL). A
    search within the transaction calls it first, to find what the transaction wrote."""
    if _PENDING not in session.info:
        return
    session.flush()
    items, proposals, comments = session.info.pop(_PENDING, (set(), set(), set()))
    refresh(session, items=items, proposals=proposals, comments=comments)


def _forget(session: Session, *_: Any) -> None:
    session.info.pop(_PENDING, None)


def install() -> None:
    """Keep the index current in every ORM session's transactions (once per process); listeners
    added after the audit trail's, so that the rows are written after its seal."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "before_commit", write_pending)
        event.listen(Session, "after_rollback", _forget)
