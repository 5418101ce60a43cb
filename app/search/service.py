"""Search over the register, proposals and comments: what a person may see, best first.

The question is read as the index was written (app/search/index.py): words folded and stemmed,
phrases in double quotes kept in order, runs of Thai, Lao, Khmer or Myanmar matched inside the
text. Every term must be found. Visibility is the objects' own (app/comments/service.py's
hidden_proposals and hidden_comments): a private draft of another delegation, or a comment the
person may not read, is not found and not counted. The result whose reference is the question
("FC-DR-01", "P-12") comes first, the rest by how often the terms are in the row itself (title
words weigh more: `relevance`).
"""

import re
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import (
    Integer,
    and_,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.selectable import Alias

from app.errors import InvalidInput, NotFound
from app.models import Delegation, Dimension, ProposalState, Role, Round, SearchDocument
from app.models.workflow import DraftingState, Visibility
from app.principal import Principal
from app.search.index import KINDS, NO_SPACE_RUN, fold, fold_with_map, stem, word_tokens

MAX_QUERY = 200
MAX_PAGE = 10_000  # 200,000 results in: a larger number is a typo, or an OFFSET no engine stores
PAGE_SIZE = 20
SNIPPET_CHARS = 220
STATES = sorted(
    {s.value for s in DraftingState}
    | {s.value for s in ProposalState}
    | {"withdrawn", "open", "resolved"}
)
URLS = {
    "indicator": "/indicators/{ref}",
    "section": "/sections/{ref}",
    "proposal": "/proposals/{id}",
    "comment": "/comments/{id}",
}
# PostgreSQL: the expression the GIN index of migration 0016 is built on, word for word.
TSVECTOR: Any = literal_column(
    "(setweight(to_tsvector('simple'::regconfig, search_documents.words_title), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, search_documents.words), 'D'))"
)


class _Indexed(Alias):
    inherit_cache = True


@compiles(_Indexed, "sqlite")
def _indexed_by(element: _Indexed, compiler: Any, **kw: Any) -> str:
    sql = str(compiler.visit_alias(element, **kw))
    return f"{sql} INDEXED BY ix_search_documents_access" if kw.get("asfrom") else sql


# The index rows as a search reads them. SQLite: through ix_search_documents_access, which holds
# every column a search filters and orders on but the texts; its planner would otherwise look
# each of the thousands of rows a common word matches up in the table, whose rows are wide
# (17 -> 8 ms of CPU for a word in 3,000 rows). PostgreSQL: the table, as it is.
INDEXED = aliased(
    SearchDocument, _Indexed._construct(SearchDocument.__table__, name="search_documents")
)
_QUOTED = re.compile(r'"([^"]*)"?')
_REF = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")


@dataclass(slots=True)
class Terms:
    """A question as the index reads it: phrases of stems (a single word is a phrase of one),
    and runs of the scripts written without spaces, each to be found."""

    phrases: list[list[str]] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    ref: str | None = None

    @property
    def stems(self) -> set[str]:
        return {s for phrase in self.phrases for s in phrase}


def parse(q: str) -> Terms:
    terms = Terms()
    # Each phrase in quotes is one piece, so is each word outside them.
    pieces = _QUOTED.findall(q) + _QUOTED.sub(" ", q).split()
    for piece in pieces:
        folded = fold(piece)
        phrase = [stem(m.group()) for m in word_tokens(folded)]
        if phrase and phrase not in terms.phrases:
            terms.phrases.append(phrase)
        terms.runs.extend(r for r in NO_SPACE_RUN.findall(folded) if r not in terms.runs)
    candidate = q.strip().upper()
    if _REF.match(candidate):
        terms.ref = candidate
    return terms


@dataclass(frozen=True, slots=True)
class Filters:
    kind: str | None = None
    dimension: str | None = None
    delegation: str | None = None
    round: str | None = None
    state: str | None = None


@dataclass(frozen=True, slots=True)
class Hit:
    kind: str
    ref: str
    title: str
    snippet: Markup
    url: str
    state: str
    delegation: str | None
    dimension: str | None


@dataclass(frozen=True, slots=True)
class Results:
    hits: list[Hit]
    total: int
    page: int
    pages: int


def check(q: str | None, page: int, filters: Filters) -> str:
    """The question, or a refusal naming the field that is wrong."""
    q = (q or "").strip()
    if not q:
        raise InvalidInput("type something to search for", field="q")
    if len(q) > MAX_QUERY:
        raise InvalidInput(f"the search is longer than {MAX_QUERY} characters", field="q")
    if "\x00" in q:
        raise InvalidInput("the search contains a NUL character", field="q")
    if page < 1:
        raise InvalidInput("page starts at 1", field="page")
    if page > MAX_PAGE:
        raise InvalidInput(f"page is at most {MAX_PAGE}", field="page")
    for name in ("dimension", "delegation", "round"):
        if "\x00" in (getattr(filters, name) or ""):
            raise InvalidInput(f"the {name} contains a NUL character", field=name)
    if filters.kind is not None and filters.kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", field="kind")
    if filters.state is not None and filters.state not in STATES:
        raise InvalidInput(f"state must be one of {', '.join(STATES)}", field="state")
    terms = parse(q)
    if not terms.phrases and not terms.runs:
        raise InvalidInput("the search has no words in it", field="q")
    return q


def _dimension(session: Session, value: str) -> str:
    code = session.scalar(
        select(Dimension.code).where(
            or_(func.upper(Dimension.code) == value.upper(), Dimension.prefix == value.upper())
        )
    )
    if code is None:
        raise NotFound(f"there is no dimension {value}", field="dimension")
    return code


def _delegation(session: Session, value: str) -> str:
    code = session.scalar(select(Delegation.code).where(Delegation.code == value.upper()))
    if code is None:
        raise NotFound(f"there is no delegation {value}", field="delegation")
    return code


def _round(session: Session, value: str) -> int:
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses (a 500).
    by_id = (
        Round.id == int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None
    )
    found = session.scalar(
        select(Round.id).where(or_(Round.symbol == value, *([by_id] if by_id is not None else [])))
    )
    if found is None:
        raise NotFound(f"there is no round {value}", field="round")
    return found


def _visible(principal: Principal) -> Any:
    """Another delegation's private draft and the comments the person may not read are not in
    the search at all: not found, not counted."""
    own = tuple(sorted(d.id for d in principal.delegations))
    return _visible_to(principal.user_id, principal.role, own)


def _visible_to(user_id: int, role: Role, delegations: tuple[int, ...]) -> Any:
    """The condition for one audience, on the row's own columns (app/search/index.py copies
    them from the objects): hidden_proposals' and hidden_comments' rules, without their
    subqueries."""
    doc = INDEXED
    chairs = role in (Role.CHAIR, Role.SECRETARIAT)
    own = list(delegations)
    thread = [
        doc.thread_visibility == Visibility.GROUP.value,
        doc.thread_author_id == user_id,
        and_(
            doc.thread_visibility != Visibility.CHAIRS.value,
            doc.thread_delegation_id.in_(own),
        ),
    ]
    if chairs:
        thread.append(doc.thread_visibility == Visibility.CHAIRS.value)
    return and_(or_(doc.draft_of.is_(None), doc.draft_of.in_(own)), or_(*thread))


TITLE_WEIGHT = 4


def _count(words: Any, phrase: list[str], postgres: bool) -> Any:
    """How many times the phrase's stems stand in a row in a words column (app/search/index.py's
    phrase_count, a function of SQLite's connections; the same in SQL on PostgreSQL)."""
    if not postgres:
        return func.phrase_count(words, " ".join(phrase), type_=Integer)
    spaced = literal(" ") + func.replace(words, " ", "  ") + literal(" ")
    pattern = " " + "  ".join(phrase) + " "
    removed = func.length(spaced) - func.length(func.replace(spaced, pattern, ""))
    # Integer division (SQLAlchemy's // would call FLOOR on every row).
    return removed.self_group().op("/", precedence=8)(len(pattern))


def relevance(words_title: Any, words: Any, terms: Terms, postgres: bool) -> Any:
    """How well a row answers, from the row alone: each phrase's count in the title (weighing
    TITLE_WEIGHT) and in the text. Nothing about other rows counts, so a row another person
    cannot see (a private draft) changes no one's order, and both engines order alike. (FTS5's
    bm25 weighs a word by how rare it is among all rows, hidden ones too: four private drafts
    turned two public comments round.)"""
    total: Any = literal(0)
    for phrase in terms.phrases:
        title, text_ = _count(words_title, phrase, postgres), _count(words, phrase, postgres)
        total = total + TITLE_WEIGHT * title + text_
    return total


def _matching(session: Session, terms: Terms) -> tuple[list[Any], Any, Any]:
    """The conditions of the terms, the join that ranks (SQLite), and the score."""
    doc = INDEXED
    conditions: list[Any] = []
    score: Any = None
    ranked: Any = None
    postgres = session.get_bind().dialect.name == "postgresql"
    if terms.phrases:
        # From the row's own columns, read once it is found (the engines' own relevance
        # functions weigh a word by the whole collection or re-read the texts' words).
        score = relevance(doc.words_title, doc.words, terms, postgres)
        if postgres:
            query = " & ".join(" <-> ".join(f"'{s}'" for s in p) for p in terms.phrases)
            tsquery = func.to_tsquery(literal_column("'simple'::regconfig"), query)
            conditions.append(TSVECTOR.op("@@")(tsquery))
        else:
            match = " ".join('"' + " ".join(p) + '"' for p in terms.phrases)
            ranked = (
                text("SELECT rowid AS id FROM search_words WHERE search_words MATCH :match")
                .bindparams(match=match)
                .columns(id=Integer)
                # Matched once, first: otherwise SQLite may run the match again for every row
                # of a filter (a kind) it chose to read first.
                .cte("ranked")
                .prefix_with("MATERIALIZED")
            )
    for run in terms.runs:
        pattern = f"%{run}%"
        # SQLite's trigram index matches nothing for a pattern under 3 characters (ใน, ปี, ពល
        # are words): those are looked for in the folded text itself, as on PostgreSQL.
        if postgres or len(run) < 3:
            conditions.append(doc.plain.like(pattern))
        else:
            conditions.append(
                doc.id.in_(
                    text("SELECT rowid FROM search_trigrams WHERE plain LIKE :p")
                    .bindparams(p=pattern)
                    .columns(rowid=Integer)
                )
            )
    return conditions, ranked, score


def search(
    session: Session, principal: Principal, q: str, *, page: int = 1, filters: Filters = Filters()
) -> Results:
    q = check(q, page, filters)
    terms = parse(q)
    doc = INDEXED
    conditions, ranked, score = _matching(session, terms)
    conditions.append(_visible(principal))
    if filters.kind:
        conditions.append(doc.kind == filters.kind)
    if filters.dimension:
        conditions.append(doc.dimension_code == _dimension(session, filters.dimension))
    if filters.delegation:
        conditions.append(doc.delegation_code == _delegation(session, filters.delegation))
    if filters.round:
        conditions.append(doc.round_id == _round(session, filters.round))
    if filters.state:
        conditions.append(doc.state == filters.state)

    def base(*columns: Any) -> Any:
        query = select(*columns).select_from(doc)
        if ranked is not None:
            query = query.join(ranked, ranked.c.id == doc.id)
        return query.where(*conditions)

    order: list[Any] = []
    if terms.ref:
        order.append(case((doc.ref == terms.ref, 0), else_=1))
    if score is not None:
        order.append(score.desc())
    # Ties: by kind, then oldest first (the object's id: a row's own id changes each time the
    # row is rewritten).
    order += [case({k: i for i, k in enumerate(KINDS)}, value=doc.kind), doc.object_id, doc.id]
    # The page's ids (with the count of all, in the same pass), then their rows: sorting the
    # whole rows (texts and all) of every match would read them all.
    found = session.execute(
        base(doc.id, func.count().over())
        .order_by(*order)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    ids = [row[0] for row in found]
    # Past the last page there is no row to carry the count.
    total = found[0][1] if found else (session.scalar(base(func.count())) or 0)
    row = SearchDocument
    rows = {d.id: d for d in session.scalars(select(row).where(row.id.in_(ids)))} if ids else {}
    hits = [_hit(rows[i], terms) for i in ids]
    return Results(hits=hits, total=total, page=page, pages=max(1, -(-total // PAGE_SIZE)))


def _hit(d: SearchDocument, terms: Terms) -> Hit:
    url = URLS[d.kind].format(ref=d.ref, id=d.object_id)
    snippet = highlight(d.body, terms) if d.body.strip() else highlight(d.title, terms)
    return Hit(
        kind=d.kind,
        ref=d.ref,
        title=d.title,
        snippet=snippet,
        url=url,
        state=d.state,
        delegation=d.delegation_code,
        dimension=d.dimension_code,
    )


def _spans(text_: str, terms: Terms, size: int | None = None) -> list[tuple[int, int]]:
    """Where the words found are in the text as written (start, end); with a size, only those
    a piece of that size from the first word found can show (a long text is not stemmed past)."""
    folded, where = fold_with_map(text_)
    stems = terms.stems
    spans: list[tuple[int, int]] = []
    for m in word_tokens(folded):
        if size is not None and spans and where[m.start()] > spans[0][0] + size:
            break
        if stem(m.group()) in stems:
            spans.append((where[m.start()], where[m.end() - 1] + 1))
    for run in terms.runs:
        at = folded.find(run)
        while at >= 0:
            spans.append((where[at], where[at + len(run) - 1] + 1))
            at = folded.find(run, at + len(run))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(text_: str, terms: Terms, size: int = SNIPPET_CHARS) -> Markup:
    """A piece of the text around the first word found, HTML-escaped, the words found in
    <mark>."""
    flat = " ".join(text_.split())
    spans = _spans(flat, terms, size)
    start = 0
    if spans and spans[0][1] > size * 2 // 3:
        start = max(0, spans[0][0] - size // 3)
        space = flat.rfind(" ", 0, start)
        start = space + 1 if space >= 0 and start - space < 20 else start
    end = min(len(flat), start + size)
    if end < len(flat):
        space = flat.rfind(" ", start, end)
        end = space if space > start + size // 2 else end
    out = [Markup("…") if start else Markup("")]
    at = start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        out.append(escape(flat[at:s]))
        out.append(Markup("<mark>") + escape(flat[s:e]) + Markup("</mark>"))
        at = e
    out.append(escape(flat[at:end]))
    if end < len(flat):
        out.append(Markup("…"))
    return Markup("").join(out)
