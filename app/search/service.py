"""Search over the register, proposals and comments: what a person may see, best first.

The question is read as the index was written (app/search/index.py): words folded and stemmed,
phrases in double quotes kept in order, `word*` a prefix of words, `a OR b` either, runs of
Thai, Lao, Khmer or Myanmar matched inside the text. Every term must be found (AND is what a
space means). Visibility is the objects' own (app/comments/service.py's hidden_proposals and
hidden_comments): a private draft of another delegation, or a comment the person may not read,
is not found and not counted. The result whose reference is the question ("FC-DR-01", "P-12")
comes first, the rest by how often the terms are in the row itself (title words weigh more),
read from search_terms for words and prefixes, counted in the row for phrases. Snippets are
made for the page's rows only, around the passage that shows most of the terms.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import (
    Integer,
    String,
    and_,
    bindparam,
    case,
    column,
    func,
    literal,
    or_,
    select,
    table,
    union_all,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import Alias

from app.errors import InvalidInput, NotFound
from app.models import (
    Delegation,
    Dimension,
    ProposalState,
    Role,
    Round,
    SearchDocument,
    SearchTerm,
)
from app.models.search import STEM_CHARS
from app.models.workflow import DraftingState, Visibility
from app.principal import Principal
from app.search.index import (
    KINDS,
    NO_SPACE_CHAR,
    NO_SPACE_RUN,
    TITLE_WEIGHT,
    fold,
    fold_with_map,
    stem,
    word_tokens,
    write_pending,
)

MAX_QUERY = 200
# Each word is a join on PostgreSQL: fifty took its planner 2-3 s. A phrase's words count each.
MAX_WORDS = 12
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


class _Indexed(Alias):
    inherit_cache = True


@compiles(_Indexed, "sqlite")
def _indexed_by(element: _Indexed, compiler: Any, **kw: Any) -> str:
    sql = str(compiler.visit_alias(element, **kw))
    return f"{sql} INDEXED BY ix_search_documents_access" if kw.get("asfrom") else sql


_DOCUMENTS = SearchDocument.__table__
# SQLite's FTS5 tables (migration 0016; app/models/search.py's ENGINE_ONLY), as SQL names them.
_WORDS = table("search_words", column("rowid", Integer), column("search_words"))
_TRIGRAMS = table("search_trigrams", column("rowid", Integer), column("plain"))
_TERMS = SearchTerm.__table__
# The index rows as a search reads them. SQLite: through ix_search_documents_access, which holds
# every column a search filters and orders on but the texts; its planner would otherwise look
# each of the thousands of rows a common word matches up in the table, whose rows are wide
# (17 -> 8 ms of CPU for a word in 3,000 rows). PostgreSQL: the table, as it is.
INDEXED = _Indexed._construct(_DOCUMENTS, name="search_documents")
# Ties: by kind, then oldest first (the object's id: a row's own id changes each time the row is
# rewritten).
_TIES = (
    case({k: i for i, k in enumerate(KINDS)}, value=INDEXED.c.kind),
    INDEXED.c.object_id,
    INDEXED.c.id,
)
# A phrase in quotes, or a piece of the question between spaces.
_PIECE = re.compile(r'"([^"]*)"?|(\S+)')
_REF = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
OPERATORS = ("OR", "AND")


@dataclass(frozen=True, slots=True)
class Term:
    """One piece of a question: a phrase of stems (a single word is a phrase of one), or a word
    prefix (`traffick*`: its stems begin so), and the runs of the scripts written without spaces
    in it; a row must hold all of them."""

    stems: tuple[str, ...] = ()
    prefix: bool = False
    runs: tuple[str, ...] = ()

    def prefixes(self) -> tuple[str, ...]:
        """What a stem found by the prefix begins with: the word as typed, folded, or its own
        stem ("happy*": "happy" and "happi")."""
        typed = self.stems[0]
        stemmed = stem(typed)
        # The index holds stems ("recruitment" as "recruit"): the shorter of the two, when one
        # begins the other, finds all the other finds.
        if typed.startswith(stemmed):
            return (stemmed,)
        return (typed,) if stemmed.startswith(typed) else (typed, stemmed)


@dataclass(slots=True)
class Terms:
    """A question as the index reads it: clauses that must all be found, each a choice of terms
    (words joined by OR), and the reference asked, if it is one."""

    clauses: list[list[Term]] = field(default_factory=list)
    ref: str | None = None

    @property
    def terms(self) -> list[Term]:
        return [t for clause in self.clauses for t in clause]

    @property
    def runs(self) -> list[str]:
        return [r for t in self.terms for r in t.runs]


def _term(piece: str, quoted: bool) -> Term | None:
    folded = fold(piece)
    prefix = not quoted and folded.endswith("*")
    stems = [m.group() if prefix else stem(m.group()) for m in word_tokens(folded)]
    runs = tuple(NO_SPACE_RUN.findall(folded))
    if prefix and len(stems) == 1 and not runs:
        return Term(stems=(stems[0],), prefix=True)
    if prefix:  # "forced-labour*", "ค้า*": the prefix of a phrase is read as the phrase
        stems = [stem(s) for s in stems]
    return Term(stems=tuple(stems), runs=runs) if stems or runs else None


def parse(q: str) -> Terms:
    """The terms of a question: `"a phrase"` in quotes, `word*` a prefix, `a OR b` either (OR
    binds its neighbours: `forced labour OR work` is forced and either labour or work), AND
    between words is what a space means already."""
    terms = Terms()
    pieces = [
        (m.group(1), True) if m.group(1) is not None else (m.group(2), False)
        for m in _PIECE.finditer(q)
    ]
    either = False
    for i, (piece, quoted) in enumerate(pieces):
        between = 0 < i < len(pieces) - 1
        if not quoted and piece in OPERATORS and between:
            either = either or piece == "OR"
            continue
        term = _term(piece, quoted)
        if term is None:
            continue
        if either and terms.clauses:
            if term not in terms.clauses[-1]:
                terms.clauses[-1].append(term)
        elif [term] not in terms.clauses:
            terms.clauses.append([term])
        either = False
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
    if not terms.clauses:
        raise InvalidInput("the search has no words in it", field="q")
    if sum(len(t.stems) + len(t.runs) for t in terms.terms) > MAX_WORDS:
        raise InvalidInput(
            f"the search has more than {MAX_WORDS} words; keep the ones that matter most", field="q"
        )
    return q


# The filters' lookups, built once (the value a parameter).
_DIMENSION = select(Dimension.code).where(
    or_(func.upper(Dimension.code) == bindparam("value"), Dimension.prefix == bindparam("value"))
)
_DELEGATION = select(Delegation.code).where(Delegation.code == bindparam("value"))
_ROUND = select(Round.id).where(Round.symbol == bindparam("value"))
_ROUND_OR_ID = select(Round.id).where(
    or_(Round.symbol == bindparam("value"), Round.id == bindparam("id"))
)


def _dimension(session: Session, value: str) -> str:
    code = session.scalar(_DIMENSION, {"value": value.upper()})
    if code is None:
        raise NotFound(f"there is no dimension {value}", field="dimension")
    return code


def _delegation(session: Session, value: str) -> str:
    code = session.scalar(_DELEGATION, {"value": value.upper()})
    if code is None:
        raise NotFound(f"there is no delegation {value}", field="delegation")
    return code


def _round(session: Session, value: str) -> int:
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses (a 500).
    if value.isascii() and value.isdigit() and len(value) < 10:
        found = session.scalar(_ROUND_OR_ID, {"value": value, "id": int(value)})
    else:
        found = session.scalar(_ROUND, {"value": value})
    if found is None:
        raise NotFound(f"there is no round {value}", field="round")
    return found


def _audience(principal: Principal) -> tuple[tuple[bool, int], dict[str, Any]]:
    """The shape of the visibility condition (chairs or not, how many own delegations) and its
    values (the person, their delegations)."""
    own = sorted(d.id for d in principal.delegations)
    chairs = principal.role in (Role.CHAIR, Role.SECRETARIAT)
    values: dict[str, Any] = {"user_id": principal.user_id}
    if own:
        values |= {f"own_{k}": d for k, d in enumerate(own)}
    else:
        values["own"] = []
    return (chairs, len(own)), values


def _visible_to(chairs: bool, delegations: int) -> Any:
    """Another delegation's private draft and the comments the person may not read are not in
    the search at all: not found, not counted. The condition on the row's own columns
    (app/search/index.py copies them from the objects): hidden_proposals' and hidden_comments'
    rules, without their subqueries; the person and their delegations are parameters."""
    doc = INDEXED.c
    own: Any = (
        [bindparam(f"own_{k}", type_=Integer) for k in range(delegations)]
        if delegations
        else bindparam("own", expanding=True, type_=Integer)
    )
    user = bindparam("user_id", type_=Integer)
    thread = [
        doc.thread_visibility == Visibility.GROUP.value,
        doc.thread_author_id == user,
        and_(
            doc.thread_visibility != Visibility.CHAIRS.value,
            doc.thread_delegation_id.in_(own),
        ),
    ]
    if chairs:
        thread.append(doc.thread_visibility == Visibility.CHAIRS.value)
    return and_(or_(doc.draft_of.is_(None), doc.draft_of.in_(own)), or_(*thread))


def _count(words: Any, at: str, postgres: bool) -> Any:
    """How many times the phrase's stems stand in a row in a words column (app/search/index.py's
    phrase_count, a function of SQLite's connections; the same in SQL on PostgreSQL)."""
    if not postgres:
        return func.phrase_count(words, bindparam(f"phrase_{at}", type_=String), type_=Integer)
    spaced = literal(" ") + func.replace(words, " ", "  ") + literal(" ")
    pattern = bindparam(f"pattern_{at}", type_=String)
    removed = func.length(spaced) - func.length(func.replace(spaced, pattern, ""))
    # Integer division (SQLAlchemy's // would call FLOOR on every row).
    return removed.self_group().op("/", precedence=8)(bindparam(f"length_{at}", type_=Integer))


def _score(words_title: Any, words: Any, at: str, postgres: bool) -> Any:
    """A phrase's weight in a row: TITLE_WEIGHT for each time in the title, one in the text."""
    return TITLE_WEIGHT * _count(words_title, at, postgres) + _count(words, at, postgres)


def _after(prefix: str) -> str:
    """The least key that does not begin with the prefix (keys in code point order)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _term_shape(term: Term, postgres: bool) -> tuple[Any, ...]:
    """What a term's statement depends on besides its values: how it is found (a prefix and
    its number of ranges, a word, a phrase and its number of distinct words, runs alone) and,
    for each run, whether it is looked for in the folded text (PostgreSQL; SQLite under three
    characters) or through the trigram index."""
    if term.prefix:
        how: tuple[Any, ...] = ("prefix", len(term.prefixes()))
    elif len(term.stems) == 1:
        how = ("word",)
    elif term.stems:
        how = ("phrase", len(set(term.stems)) if postgres else 0)
    else:
        how = ("runs",)
    return (*how, tuple(postgres or len(run) < 3 for run in term.runs))


def _term_values(term: Term, postgres: bool, at: str) -> dict[str, Any]:
    """A term's values, under the names _found gives its parameters (`at`: clause_term)."""
    values: dict[str, Any] = {}
    if term.prefix:
        for k, p in enumerate(term.prefixes()):
            values[f"low_{at}_{k}"] = p[:STEM_CHARS]
            values[f"high_{at}_{k}"] = _after(p[:STEM_CHARS])
    elif len(term.stems) == 1:
        values[f"stem_{at}"] = term.stems[0][:STEM_CHARS]
    elif term.stems and postgres:
        for k, s in enumerate(sorted(set(term.stems))):
            values[f"every_{at}_{k}"] = s[:STEM_CHARS]
        values[f"joined_{at}"] = " ".join(term.stems)
        values[f"pattern_{at}"] = pattern = " " + "  ".join(term.stems) + " "
        values[f"length_{at}"] = len(pattern)
    elif term.stems:
        values[f"phrase_{at}"] = " ".join(term.stems)
        values[f"match_{at}"] = '"' + " ".join(term.stems) + '"'
    for k, run in enumerate(term.runs):
        values[f"run_{at}_{k}"] = f"%{run}%"
    return values


def _found(shape: tuple[Any, ...], at: str, postgres: bool) -> Any:
    """The rows that hold a term of this shape, each with the term's weight there (document_id,
    weight); its values are parameters named as _term_values names them.

    A row's relevance depends on the row alone: a word's count in the title (weighing
    TITLE_WEIGHT) and in the text. Nothing about other rows counts, so a row another person
    cannot see (a private draft) changes no one's order, and both engines order alike. (FTS5's
    bm25 weighs a word by how rare it is among all rows, hidden ones too: four private drafts
    turned two public comments round.) A word's weights are search_terms' entries, one range of
    its key; a phrase of several words is counted in the rows that hold it."""
    t, doc = _TERMS.c, _DOCUMENTS.c
    how, runs = shape[0], shape[-1]
    query: Any
    if how == "prefix":
        ranges = [
            and_(
                t.stem >= bindparam(f"low_{at}_{k}", type_=String),
                t.stem < bindparam(f"high_{at}_{k}", type_=String),
            )
            for k in range(shape[1])
        ]
        query = (
            select(t.document_id.label("document_id"), func.sum(t.weight).label("weight"))
            .where(or_(*ranges))
            .group_by(t.document_id)
        )
    elif how == "word":
        query = select(t.document_id.label("document_id"), t.weight.label("weight")).where(
            t.stem == bindparam(f"stem_{at}", type_=String)
        )
    elif how == "phrase" and postgres:
        # The rows that hold every word (search_terms, read first), then those where they stand
        # in a row: the GIN index over the tsvector recomputes each candidate's tsvector to
        # check the words' positions (148 ms for "guarded compound" at the working set).
        # A join, not an INTERSECT: the planner starts from the rarest word and looks the others
        # up by the primary key (stem, document_id), where INTERSECT read every word's list
        # whole ("FC-EX-016": 6,250 rows of "fc" for 5 documents, 6.4 -> 0.15 ms).
        first, *others = (_TERMS.alias() for _ in range(shape[1]))
        every = select(first.c.document_id).where(
            first.c.stem == bindparam(f"every_{at}_0", type_=String)
        )
        for k, other in enumerate(others, 1):
            every = every.join(
                other,
                and_(
                    other.c.document_id == first.c.document_id,
                    other.c.stem == bindparam(f"every_{at}_{k}", type_=String),
                ),
            )
        joined = bindparam(f"joined_{at}", type_=String)
        rows = (
            select(doc.id, doc.words_title, doc.words)
            # (the words in a row, as a substring: counted exactly below, on fewer rows)
            .where(
                doc.id.in_(every),
                or_(doc.words_title.contains(joined), doc.words.contains(joined)),
            )
            .cte()
            .prefix_with("MATERIALIZED")
        )
        score = _score(rows.c.words_title, rows.c.words, at, postgres)
        query = select(rows.c.id.label("document_id"), score.label("weight")).where(score > 0)
    elif how == "phrase":
        score = _score(doc.words_title, doc.words, at, postgres)
        query = select(doc.id.label("document_id"), score.label("weight")).where(
            doc.id.in_(
                select(_WORDS.c.rowid).where(
                    _WORDS.c.search_words.op("MATCH")(bindparam(f"match_{at}", type_=String))
                )
            )
        )
    else:
        query = select(doc.id.label("document_id"), literal(0).label("weight"))
    for k, plain in enumerate(runs):
        pattern = bindparam(f"run_{at}_{k}", type_=String)
        # SQLite's trigram index matches nothing for a pattern under 3 characters (ใน, ปี, ពល
        # are words): those are looked for in the folded text itself, as on PostgreSQL.
        if plain:
            held: Any = select(doc.id).where(doc.plain.like(pattern))
        else:
            held = select(_TRIGRAMS.c.rowid).where(_TRIGRAMS.c.plain.like(pattern))
        if how != "runs":
            query = query.where(query.selected_columns.document_id.in_(held))
        else:
            query = query.where(doc.id.in_(held))
    return query


def _clause(shapes: tuple[tuple[Any, ...], ...], i: int, postgres: bool) -> Any:
    """The rows that hold one of a clause's terms, each with the weights of those it holds."""
    if len(shapes) == 1:
        return _found(shapes[0], f"{i}_0", postgres).subquery()
    either = union_all(
        *(_found(shape, f"{i}_{j}", postgres) for j, shape in enumerate(shapes))
    ).subquery()
    return (
        select(either.c.document_id, func.sum(either.c.weight).label("weight"))
        .group_by(either.c.document_id)
        .subquery()
    )


# Which filters a search has, in this order (each a parameter of the same name).
_FILTERS = ("kind", "dimension", "delegation", "round", "state")


@dataclass(frozen=True, slots=True)
class _Shape:
    """All a search's statement depends on besides its parameters' values: one statement is
    built per shape (and compiled once, by SQLAlchemy's cache keyed on the statement), and a
    question costs binding its values."""

    postgres: bool
    clauses: tuple[tuple[tuple[Any, ...], ...], ...]
    ref: bool
    filters: tuple[bool, ...]
    audience: tuple[bool, int]


@lru_cache(maxsize=1024)
def _statement(shape: _Shape, count: bool) -> Any:
    """The page's ids with the count of all (or, with count, the count alone) for a shape."""
    doc = INDEXED.c
    conditions: list[Any] = [_visible_to(*shape.audience)]
    columns = (
        doc.kind,
        doc.dimension_code,
        doc.delegation_code,
        doc.round_id,
        doc.state,
    )
    conditions += [
        column == bindparam(name, type_=column.type)
        for name, column, present in zip(_FILTERS, columns, shape.filters, strict=True)
        if present
    ]
    clauses = [_clause(c, i, shape.postgres) for i, c in enumerate(shape.clauses)]
    if count:
        query = select(func.count()).select_from(INDEXED)
    else:
        query = select(doc.id, func.count().over()).select_from(INDEXED)
    for found in clauses:
        query = query.join(found, found.c.document_id == doc.id)
    query = query.where(*conditions)
    if count:
        return query
    score: Any = literal(0)
    for found in clauses:
        score = score + found.c.weight
    order: list[Any] = []
    if shape.ref:
        order.append(case((doc.ref == bindparam("ref", type_=String), 0), else_=1))
    order += [score.desc(), *_TIES]
    return query.order_by(*order).limit(PAGE_SIZE).offset(bindparam("offset", type_=Integer))


def search(
    session: Session, principal: Principal, q: str, *, page: int = 1, filters: Filters = Filters()
) -> Results:
    q = check(q, page, filters)
    write_pending(session)
    terms = parse(q)
    postgres = session.get_bind().dialect.name == "postgresql"
    audience, values = _audience(principal)
    chosen = {
        "kind": filters.kind or None,
        "dimension": _dimension(session, filters.dimension) if filters.dimension else None,
        "delegation": _delegation(session, filters.delegation) if filters.delegation else None,
        "round": _round(session, filters.round) if filters.round else None,
        "state": filters.state or None,
    }
    values |= {name: value for name, value in chosen.items() if value is not None}
    for i, clause in enumerate(terms.clauses):
        for j, term in enumerate(clause):
            values |= _term_values(term, postgres, f"{i}_{j}")
    if terms.ref:
        values["ref"] = terms.ref
    shape = _Shape(
        postgres=postgres,
        clauses=tuple(tuple(_term_shape(t, postgres) for t in c) for c in terms.clauses),
        ref=terms.ref is not None,
        filters=tuple(chosen[name] is not None for name in _FILTERS),
        audience=audience,
    )
    # The page's ids (with the count of all, in the same pass), then their rows: sorting the
    # whole rows (texts and all) of every match would read them all. (A separate count, only
    # when the page is full, cost more: one statement more for most questions.)
    found_ids = session.execute(
        _statement(shape, False), values | {"offset": (page - 1) * PAGE_SIZE}
    ).all()
    ids = [row[0] for row in found_ids]
    # Past the last page there is no row to carry the count.
    total = found_ids[0][1] if found_ids else (session.scalar(_statement(shape, True), values) or 0)
    # Plain rows of the columns a result shows (not the words columns, nor ORM objects), by a
    # statement built once for each number of rows.
    rows = (
        {d.id: d for d in session.execute(_shown(len(ids)), dict(zip(_IDS, ids, strict=False)))}
        if ids
        else {}
    )
    # Under READ COMMITTED an edit may rewrite a row (delete, insert: a new id) between the two
    # statements: its old id finds no row and is left out of this page (the total, counted
    # with the ids, still counts the document, which exists under its new id).
    hits = [_hit(rows[i], terms) for i in ids if i in rows]
    return Results(hits=hits, total=total, page=page, pages=max(1, -(-total // PAGE_SIZE)))


_COLUMNS = _DOCUMENTS.c
_IDS = tuple(f"id_{k}" for k in range(PAGE_SIZE))


@lru_cache(maxsize=PAGE_SIZE)
def _shown(n: int) -> Any:
    """The columns a result shows of n rows (the ids as n parameters: an expanding list is
    rewritten on every execution)."""
    return select(
        *(
            _COLUMNS[name]
            for name in (
                "id",
                "kind",
                "object_id",
                "ref",
                "title",
                "body",
                "state",
                "delegation_code",
                "dimension_code",
            )
        )
    ).where(_COLUMNS.id.in_([bindparam(name, type_=Integer) for name in _IDS[:n]]))


def _hit(d: Row[Any], terms: Terms) -> Hit:
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


# What may join two words found into one mark: "FC-DR-01", "forced/compelled" (not a space).
_JOINED = re.compile("[-/.:_'\u2019]+")


# A word of a folded text, from where it starts (letters and digits, not after one).
_WORD_AT = re.compile(r"(?<![^\W_])[^\W_]+")


@lru_cache(maxsize=256)
def _starts(stems: tuple[str, ...], prefixes: tuple[str, ...]) -> tuple[str, ...]:
    """What the words of a folded text that may be found begin with (the stems checked after):
    a stem less its last letter (Snowball writes "policy" as "polici")."""
    return tuple(sorted({s[:-1] if len(s) > 3 else s for s in (*stems, *prefixes)}))


def _candidates(folded: str, starts: tuple[str, ...]) -> list[re.Match[str]]:
    """The words of a folded text that begin as one of `starts` does, in the text's order. Each
    start is looked for with str.find (a few places in a text) and kept where a word begins: a
    pattern of the starts as alternatives tried them at every character of the text, most of
    the snippet's time."""
    found: dict[int, re.Match[str]] = {}
    for start in starts:
        at = folded.find(start)
        while at >= 0:
            word = found.get(at) or _WORD_AT.match(folded, at)
            if word is None:
                at = folded.find(start, at + 1)
            else:
                found[at] = word
                at = folded.find(start, word.end())
    return [found[at] for at in sorted(found)]


def _which(word: str, exact: dict[str, int], prefixes: list[tuple[str, int]]) -> int:
    """The term that finds a word of a folded text (its number), or -1."""
    # A word with letters of the scripts written without spaces is not a word of the index.
    if NO_SPACE_CHAR.search(word) is not None:
        return -1
    word_stem = stem(word)
    n = exact.get(word_stem, -1)
    if n < 0:
        n = next((k for p, k in prefixes if word_stem.startswith(p) or word.startswith(p)), -1)
    return n


def _spans(text_: str, terms: Terms) -> list[tuple[int, int, int]]:
    """Where the words found are in the text as written (start, end, which term found it),
    those joined by a hyphen or a slash as one ("FC-DR-01")."""
    folded, where = fold_with_map(text_)
    every = terms.terms
    exact = {s: n for n, t in enumerate(every) if not t.prefix for s in t.stems}
    prefixes = [(p, n) for n, t in enumerate(every) if t.prefix for p in t.prefixes()]
    spans: list[tuple[int, int, int]] = []
    # Which term found each word (-1: none), worked out once per distinct word of the text.
    found: dict[str, int] = {}
    for m in _candidates(folded, _starts(tuple(exact), tuple(p for p, _ in prefixes))):
        word = m.group()
        n = found.get(word)
        if n is None:
            n = found[word] = _which(word, exact, prefixes)
        if n >= 0:
            spans.append((where[m.start()], where[m.end() - 1] + 1, n))
    for n, term in enumerate(every):
        for run in term.runs:
            at = folded.find(run)
            while at >= 0:
                spans.append((where[at], where[at + len(run) - 1] + 1, n))
                at = folded.find(run, at + len(run))
    merged: list[tuple[int, int, int]] = []
    for start, end, n in sorted(spans):
        if merged and (
            start <= merged[-1][1] or _JOINED.fullmatch(text_, merged[-1][1], start) is not None
        ):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]), merged[-1][2])
        else:
            merged.append((start, end, n))
    return merged


def _window(spans: list[tuple[int, int, int]], size: int) -> int:
    """Where the piece of the text shown starts: the piece that shows the most of the terms
    asked (then the most words found, then the earliest), a third of it before the first."""
    best, start = (0, 0), 0
    inside: Counter[int] = Counter()
    j = 0
    for i, (first, _, _) in enumerate(spans):
        while j < len(spans) and spans[j][1] <= first + size * 2 // 3:
            inside[spans[j][2]] += 1
            j += 1
        score = (len(inside), j - i)
        if score > best:
            best, start = score, first
        if j > i:
            inside[spans[i][2]] -= 1
            if not inside[spans[i][2]]:
                del inside[spans[i][2]]
        else:
            j = i + 1
    return start


def _escape(piece: str) -> str:
    """markupsafe's escape, without making a Markup of each piece that has nothing to escape
    (most of them)."""
    if "&" in piece or "<" in piece or ">" in piece or "'" in piece or '"' in piece:
        return str(escape(piece))
    return piece


def highlight(text_: str, terms: Terms, size: int = SNIPPET_CHARS) -> Markup:
    """A piece of the text where the words found are, HTML-escaped, the words found in
    <mark>."""
    flat = " ".join(text_.split())
    spans = _spans(flat, terms)
    start = 0
    first = _window(spans, size)
    if spans and first + (size // 3) > size * 2 // 3:
        start = max(0, first - size // 3)
        space = flat.rfind(" ", 0, start)
        start = space + 1 if space >= 0 and start - space < 20 else start
    end = min(len(flat), start + size)
    if end < len(flat):
        space = flat.rfind(" ", start, end)
        end = space if space > start + size // 2 else end
    # Plain strings escaped piece by piece, one Markup at the end (a Markup per piece cost a
    # third of the snippet's time).
    out = ["…" if start else ""]
    at = start
    for s, e, _ in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        out += (_escape(flat[at:s]), "<mark>", _escape(flat[s:e]), "</mark>")
        at = e
    out.append(_escape(flat[at:end]))
    if end < len(flat):
        out.append("…")
    return Markup("".join(out))  # noqa: S704 (every piece of text is escaped above)
