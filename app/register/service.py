"""Use cases of the register: list, read, create and revise indicators and prose sections.

Reads for lists select only the columns a page shows (no ORM objects per row); writes go through
an atomic compare-and-set on the item's version, so two people saving at once can never both win.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Select, and_, bindparam, case, func, or_, select, update
from sqlalchemy.orm import Session, aliased, attributes

from app.audit.service import Actor, record, vouch_for
from app.comments.follow import follow_revision
from app.errors import InvalidInput, NotFound, PreconditionFailed
from app.models import (
    Delegation,
    Dimension,
    Item,
    ItemKind,
    ItemStatus,
    MemberState,
    ProposalTarget,
    Revision,
    User,
)
from app.models.register import CONTENT_FIELDS
from app.paging import PER_PAGE, Page, clamp, slice_of
from app.text.diff import Chunk, word_diff

FIELD_LABELS = {
    "title": "Title",
    "text": "Text",
    "dimension_id": "Dimension",
    "element": "Element",
    "strength_adult": "Strength (adult)",
    "strength_child": "Strength (child)",
    "profiles": "Applies to",
    "crime_types": "Crime types",
    "intended_users": "Intended users",
    "guidance": "Guidance note",
    "information_sources": "Information sources",
    "references": "References",
    "rationale": "Rationale",
    "status": "Status",
}
SECTION_FIELDS = ("title", "text", "status")


@dataclass(frozen=True, slots=True)
class RegisterRow:
    code: str
    kind: ItemKind
    number: int | None
    revision: int
    title: str | None
    text: str
    dimension_code: str | None
    dimension_title: str | None
    strength_adult: str | None
    strength_child: str | None
    status: ItemStatus
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class RevisionView:
    """A revision with the names a reader needs, loaded in one query."""

    revision: Revision
    item: Item
    author_name: str | None
    delegation_code: str | None
    delegation_name: str | None
    dimension_code: str | None
    dimension_title: str | None

    # As a history line names them (the compare form takes either).
    @property
    def number(self) -> int:
        return self.revision.number

    @property
    def created_at(self) -> datetime:
        return self.revision.created_at


@dataclass(frozen=True, slots=True)
class HistoryLine:
    """A revision as an item's history table and compare form show it."""

    number: int
    created_at: datetime
    reason: str
    author_name: str | None
    delegation_name: str | None


@dataclass(frozen=True, slots=True)
class FieldDiff:
    field: str
    label: str
    changed: bool
    chunks: list[Chunk]


def current_revision_join() -> Any:
    return and_(Revision.item_id == Item.id, Revision.number == Item.version)


# What a register row shows (_row), read with the item and its current revision.
_ROW_COLUMNS = (
    Item.id,
    Item.code,
    Item.kind,
    Item.version,
    Revision.title,
    Revision.text,
    Dimension.code.label("dimension_code"),
    Dimension.title.label("dimension_title"),
    Revision.strength_adult,
    Revision.strength_child,
    Revision.status,
    Revision.created_at,
)


def _row(row: Any, number: int | None) -> RegisterRow:
    """A register row from a result row of rows_of."""
    return RegisterRow(
        code=row.code,
        kind=row.kind,
        number=number,
        revision=row.version,
        title=row.title,
        text=row.text,
        dimension_code=row.dimension_code,
        dimension_title=row.dimension_title,
        strength_adult=row.strength_adult,
        strength_child=row.strength_child,
        status=row.status,
        updated_at=row.created_at,
    )


@lru_cache(maxsize=16)
def _placed(kind: ItemKind, by_dimension: bool, status: ItemStatus | None) -> Any:
    """The places (_numbered) of the items of `kind` in the dimension bound as `dimension` (if
    `by_dimension`) and with a status (None: any), with `total`, how many there are; numbered
    as the whole draft is. Built once for each combination (building these window selects
    cost ~2 ms each request, more than running them)."""
    n = _numbered(kind)
    conditions: list[Any] = []
    if by_dimension:
        conditions.append(n.c.dimension_code == bindparam("dimension"))
    if status is not None:
        active = n.c.status == ItemStatus.ACTIVE
        conditions.append(active if status is ItemStatus.ACTIVE else ~active)
    return (
        select(n.c.id, n.c.seq, n.c.running, func.count().over().label("total"))
        .where(*conditions)
        .order_by(n.c.seq)
    )


def _where(dimension: str | None) -> dict[str, Any]:
    """The parameters of a _placed statement for `dimension`."""
    return {} if dimension is None else {"dimension": dimension.upper()}


@lru_cache(maxsize=16)
def _listed_rows(kind: ItemKind, by_dimension: bool, status: ItemStatus | None) -> Any:
    """Every row of _placed's items, their text with them (built once)."""
    return _numbered_rows(_placed(kind, by_dimension, status).subquery())


@lru_cache(maxsize=16)
def _page_rows(kind: ItemKind, by_dimension: bool, status: ItemStatus | None) -> Any:
    """A page of _placed's items (LIMIT `limit` OFFSET `offset`, chosen before their text is
    joined), their text with them (built once)."""
    places = (
        _placed(kind, by_dimension, status)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .subquery()
    )
    return _numbered_rows(places)


def _numbered_rows(places: Any) -> Any:
    """The register rows of the items `places` (a subquery of _placed), in reading order with
    their display numbers and `total`. Only those rows' text is read: a page of places is
    chosen first (its LIMIT inside `places`), then joined with the items' current revisions."""
    return (
        select(*_ROW_COLUMNS, places.c.running, places.c.total)
        .select_from(places)
        .join(Item, Item.id == places.c.id)
        .join(Revision, current_revision_join())
        .outerjoin(Dimension, Dimension.id == Revision.dimension_id)
        .order_by(places.c.seq)
    )


def _numbered_row(row: Any) -> RegisterRow:
    return _row(row, row.running if row.status is ItemStatus.ACTIVE else None)


def list_items(
    session: Session,
    kind: ItemKind,
    *,
    dimension: str | None = None,
    status: ItemStatus | None = None,
    q: str | None = None,
) -> list[RegisterRow]:
    """The register in reading order, numbered as the whole active draft is numbered
    (_numbered), in one query whatever its size."""
    query = _listed_rows(kind, dimension is not None, status)
    rows = [_numbered_row(row) for row in session.execute(query, _where(dimension)).all()]
    needle = (q or "").strip().casefold()
    if not needle:
        return rows
    return [
        r
        for r in rows
        if needle in r.text.casefold()
        or needle in r.code.casefold()
        or needle in (r.title or "").casefold()
    ]


def register_page(
    session: Session,
    kind: ItemKind,
    number: int,
    *,
    dimension: str | None = None,
    status: ItemStatus | None = None,
    q: str | None = None,
) -> Page[RegisterRow]:
    """One page of the register (app/paging.py), in one query: the numbering (_numbered) is
    counted by the database over every item, and only the page's rows come back, with their
    text and the rest. Words searched for are matched in Python, as list_items does, then
    paged."""
    if (q or "").strip():
        return slice_of(list_items(session, kind, dimension=dimension, status=status, q=q), number)
    by_dimension = dimension is not None
    query = _page_rows(kind, by_dimension, status)

    def page(n: int) -> Any:
        where = {**_where(dimension), "limit": PER_PAGE, "offset": (n - 1) * PER_PAGE}
        return session.execute(query, where).all()

    found = page(number)
    if not found and number > 1:
        # A page past the end shows the last page (a list that shrank since the link was made).
        total = session.scalar(
            select(func.count()).select_from(_placed(kind, by_dimension, status).subquery()),
            _where(dimension),
        )
        number = clamp(number, total or 0)
        found = page(number)
    return Page([_numbered_row(row) for row in found], number, found[0].total if found else 0)


@lru_cache(maxsize=1)
def _rows_of_query() -> Select[*tuple[Any, ...]]:
    # Built once, the ids bound as `ids` (the consensus grid reads its rows with it).
    return (
        select(*_ROW_COLUMNS)
        .join(Revision, current_revision_join())
        .outerjoin(Dimension, Dimension.id == Revision.dimension_id)
        .where(Item.id.in_(bindparam("ids", expanding=True)))
    )


def rows_of(
    session: Session, ids: Sequence[int], numbers: dict[int, int | None]
) -> list[RegisterRow]:
    """The register rows of the items `ids`, in that order, numbered by `numbers` (from
    reading_order): one query, whatever the number."""
    if not ids:
        return []
    found = {row.id: row for row in session.execute(_rows_of_query(), {"ids": list(ids)})}
    return [
        _row(row, numbers.get(item_id))
        for item_id in ids
        if (row := found.get(item_id)) is not None
    ]


def list_dimensions(session: Session) -> Sequence[Dimension]:
    return session.scalars(select(Dimension).order_by(Dimension.position)).all()


def get_dimension(session: Session, code: str) -> Dimension:
    dim = session.scalar(select(Dimension).where(Dimension.code == code.upper()))
    if dim is None:
        raise NotFound(f"no dimension with code {code!r}", field="dimension")
    return dim


@lru_cache(maxsize=4)
def _views_query(with_item: bool, of_one_item: bool) -> Select[*tuple[Any, ...]]:
    """The revisions-with-names select (built once: building it cost as much as running it);
    `of_one_item` restricts it to the revisions of the item bound as `item_id`."""
    author = aliased(User)
    query: Select[*tuple[Any, ...]] = (
        select(
            Revision,
            author.name,
            Delegation.code,
            MemberState.name,
            Dimension.code,
            Dimension.title,
            *((Item,) if with_item else ()),
        )
        .outerjoin(author, author.id == Revision.author_id)
        .outerjoin(Delegation, Delegation.id == Revision.delegation_id)
        .outerjoin(MemberState, MemberState.id == Delegation.state_id)
        .outerjoin(Dimension, Dimension.id == Revision.dimension_id)
        .order_by(Revision.number)
    )
    if with_item:
        query = query.join(Item, Item.id == Revision.item_id)
    if of_one_item:
        query = query.where(Revision.item_id == bindparam("item_id"))
    return query


def _revision_views(
    session: Session, *conditions: Any, item: Item | None = None
) -> list[RevisionView]:
    """Revisions with their names, oldest first; `item` when the caller holds the one item
    they are all of (its row is then not read again with every revision). With `item` and no
    conditions: all of that item's revisions."""
    if item is not None and not conditions:
        rows = session.execute(_views_query(False, True), {"item_id": item.id})
    else:
        rows = session.execute(_views_query(item is None, False).where(*conditions))
    views = []
    for rev, author_name, d_code, state, dim_code, dim_title, *of in rows:
        views.append(
            RevisionView(
                rev,
                of[0] if item is None else item,
                author_name,
                d_code,
                _delegation_name(d_code, state),
                dim_code,
                dim_title,
            )
        )
    return views


def _delegation_name(code: str | None, state: str | None) -> str | None:
    """The delegation a revision was saved for, by its state and body: "Thailand - SOMTC"."""
    body_code = code.split("-", 1)[1] if code and "-" in code else None
    return f"{state} - {body_code}" if state and body_code else None


_ITEM_BY_CODE = select(Item).where(Item.code == bindparam("code"))


def get_item(session: Session, code: str, kind: ItemKind | None = None) -> Item:
    item = session.scalar(_ITEM_BY_CODE, {"code": code.upper()})
    return _found(item, code, kind)


def _found(item: Item | None, code: str, kind: ItemKind | None) -> Item:
    if item is None or (kind is not None and item.kind is not kind):
        raise NotFound(f"no {kind.value if kind else 'item'} with code {code!r}")
    return item


def current(session: Session, code: str, kind: ItemKind | None = None) -> RevisionView:
    item = get_item(session, code, kind)
    (view,) = _revision_views(
        session, Revision.item_id == item.id, Revision.number == item.version, item=item
    )
    return view


def items_by_codes(session: Session, codes: Sequence[str]) -> Sequence[Item]:
    if not codes:
        return []
    return session.scalars(select(Item).where(Item.code.in_(codes))).all()


def _numbered(kind: ItemKind) -> Any:
    """Every item of `kind` in reading order (dimension, position, id): its place (`seq`), its
    status, its dimension's code and `running`, the number of active items up to and including
    it, which is its display number when it is active. The one definition of the draft's
    numbering, counted by the database (a subquery)."""
    order = (Dimension.position, Item.position, Item.id)
    active = case((Revision.status == ItemStatus.ACTIVE, 1), else_=0)
    return (
        select(
            Item.id.label("id"),
            Revision.status.label("status"),
            Dimension.code.label("dimension_code"),
            Item.drafting_state.label("drafting_state"),
            func.row_number().over(order_by=order).label("seq"),
            func.sum(active).over(order_by=order, rows=(None, 0)).label("running"),
        )
        .join(Revision, current_revision_join())
        .outerjoin(Dimension, Dimension.id == Revision.dimension_id)
        .where(Item.kind == kind)
        .subquery()
    )


class Placed(NamedTuple):
    """An item's place in the draft (reading_order)."""

    id: int
    number: int | None  # its display number; None when withdrawn
    dimension_code: str | None
    drafting_state: str | None  # open, bracketed, agreed...


@lru_cache(maxsize=4)
def _reading_order_query(kind: ItemKind) -> Select[int, int | None, str | None, str | None]:
    # Built once per kind: the consensus grid reads both kinds' orders on every view. The
    # number (running when active, as _number) is chosen by the database: no status to
    # convert to an enum for each of the draft's items.
    n = _numbered(kind)
    number = case((n.c.status == ItemStatus.ACTIVE, n.c.running))
    return select(n.c.id, number, n.c.dimension_code, n.c.drafting_state).order_by(n.c.seq)


def reading_order(session: Session, kind: ItemKind) -> list[Placed]:
    """Every item of `kind` in reading order (dimension, position, id), numbered by _numbered,
    with its dimension and drafting state. Small rows, one query."""
    return [Placed._make(row) for row in session.execute(_reading_order_query(kind))]


@lru_cache(maxsize=4)
def _number_of(kind: ItemKind) -> Select[Any, Any]:
    # Built once per kind (the window select cost ~2 ms to build, more than it takes to run).
    n = _numbered(kind)
    return select(n.c.status, n.c.running).where(n.c.id == bindparam("item_id"))


def display_number(session: Session, item: Item) -> int | None:
    """The item's number in the draft, as the register numbers it (None when withdrawn): one
    small row, counted by the database (_numbered)."""
    found = session.execute(_number_of(item.kind), {"item_id": item.id}).first()
    return None if found is None else _number(found.status, found.running)


def _number(status: ItemStatus | None, running: int | None) -> int | None:
    return int(running) if status is ItemStatus.ACTIVE and running is not None else None


@lru_cache(maxsize=4)
def _item_and_number(kind: ItemKind) -> Select[Any, Any]:
    # The item by its code with display_number's row, in one statement built once per kind.
    n = _numbered(kind)
    return (
        select(Item, n.c.status, n.c.running)
        .outerjoin(n, n.c.id == Item.id)
        .where(Item.code == bindparam("code"))
    )


@dataclass(frozen=True, slots=True)
class ItemRecord:
    """What an item's page shows of the register, read once: the item, its current revision
    with its names, a history line for every revision (oldest first), the revisions whose
    content the page shows (the current one and the bases of proposals on the item) and its
    display number."""

    item: Item
    current: RevisionView
    history: list[HistoryLine]
    revisions: list[Revision]
    number: int | None


@lru_cache(maxsize=1)
def _history_query() -> Select[*tuple[Any, ...]]:
    """The revisions of the item bound as `item_id` as history lines with their names, each
    also read whole (an entity, every text field) only where the page shows its content: the
    current one (bound as `version`) and those a proposal on the item was written against.
    About ten revisions an item, most of them only a line in the table. Built once."""
    author = aliased(User)
    whole = aliased(Revision)
    bases = select(ProposalTarget.base_revision).where(
        ProposalTarget.item_id == bindparam("item_id")
    )
    shown = or_(Revision.number == bindparam("version"), Revision.number.in_(bases))
    return (
        select(
            Revision.number,
            Revision.created_at,
            Revision.reason,
            author.name,
            Delegation.code,
            MemberState.name,
            Dimension.code,
            Dimension.title,
            whole,
        )
        .outerjoin(author, author.id == Revision.author_id)
        .outerjoin(Delegation, Delegation.id == Revision.delegation_id)
        .outerjoin(MemberState, MemberState.id == Delegation.state_id)
        .outerjoin(Dimension, Dimension.id == Revision.dimension_id)
        .outerjoin(whole, and_(whole.id == Revision.id, shown))
        .where(Revision.item_id == bindparam("item_id"))
        .order_by(Revision.number)
    )


def item_record(session: Session, code: str, kind: ItemKind) -> ItemRecord:
    row = session.execute(_item_and_number(kind), {"code": code.upper()}).first()
    item = _found(row[0] if row else None, code, kind)
    number = _number(row.status, row.running) if row else None
    lines, revisions, current = [], [], None
    for n, at, reason, author_name, d_code, state, dim_code, dim_title, whole in session.execute(
        _history_query(), {"item_id": item.id, "version": item.version}
    ):
        delegation_name = _delegation_name(d_code, state)
        lines.append(HistoryLine(n, at, reason, author_name, delegation_name))
        if whole is not None:
            revisions.append(whole)
            if n == item.version:
                current = RevisionView(
                    whole, item, author_name, d_code, delegation_name, dim_code, dim_title
                )
    assert current is not None, "an item always has its current revision"
    return ItemRecord(item, current, lines, revisions, number)


def history(session: Session, code: str, kind: ItemKind | None = None) -> list[RevisionView]:
    item = get_item(session, code, kind)
    return _revision_views(session, item=item)


def revision(
    session: Session, code: str, number: int, kind: ItemKind | None = None
) -> RevisionView:
    item = get_item(session, code, kind)
    views = _revision_views(
        session, Revision.item_id == item.id, Revision.number == number, item=item
    )
    if not views:
        raise NotFound(f"{item.code} has no revision {number}; it has 1 to {item.version}")
    return views[0]


def _display(name: str, value: Any, dimensions: dict[int, str]) -> str:
    if value is None:
        return ""
    if name == "dimension_id":
        return dimensions.get(value, str(value))
    if isinstance(value, list):
        return ", ".join(str(v).replace("_", " ") for v in value)
    return str(value)


def diff(
    session: Session, code: str, old: int, new: int, kind: ItemKind | None = None
) -> list[FieldDiff]:
    """Field-by-field word diff between two revisions of one item."""
    item = get_item(session, code, kind)
    for n in (old, new):
        if not 1 <= n <= item.version:
            raise NotFound(f"{item.code} has no revision {n}; it has 1 to {item.version}")
    by_number = {
        r.number: r
        for r in session.scalars(
            select(Revision).where(Revision.item_id == item.id, Revision.number.in_([old, new]))
        )
    }
    dimensions = {d.id: f"{d.code} {d.title}" for d in list_dimensions(session)}
    fields = SECTION_FIELDS if item.kind is ItemKind.SECTION else CONTENT_FIELDS
    out = []
    for name in fields:
        a = _display(name, getattr(by_number[old], name), dimensions)
        b = _display(name, getattr(by_number[new], name), dimensions)
        if name == "title" and item.kind is ItemKind.INDICATOR:
            continue
        out.append(FieldDiff(name, FIELD_LABELS[name], a != b, word_diff(a, b)))
    return out


_CODE = re.compile(r"^[A-Z]{2,6}(-[A-Z0-9]{1,16}){1,3}$")


def _next_code(session: Session, prefix: str) -> str:
    codes = session.scalars(select(Item.code).where(Item.code.like(f"{prefix}-%"))).all()
    numbers = [int(c.rsplit("-", 1)[1]) for c in codes if c.rsplit("-", 1)[1].isdigit()]
    return f"{prefix}-{max(numbers, default=0) + 1:02d}"


def _next_position(session: Session, kind: ItemKind) -> int:
    return (session.scalar(select(func.max(Item.position)).where(Item.kind == kind)) or 0) + 10


def _position_after(session: Session, kind: ItemKind, after: Item) -> int:
    """Make room right after `after` in reading order (dimension, position, id) and return the
    position there: every item of `kind` after it moves on by 10, the order of the others is
    kept. The items of the kind are locked first, so that two new items placed at once cannot
    interleave with stale positions (on PostgreSQL; SQLite writes one at a time anyway)."""
    positions = dict(
        session.execute(
            select(Item.id, Item.position).where(Item.kind == kind).with_for_update()
        ).all()
    )
    at = positions[after.id]
    session.execute(
        update(Item)
        .where(
            Item.kind == kind,
            or_(Item.position > at, and_(Item.position == at, Item.id > after.id)),
        )
        .values(position=Item.position + 10)
        .execution_options(synchronize_session="fetch")
    )
    return at + 1


def _clean(content: dict[str, Any]) -> dict[str, Any]:
    cleaned = {}
    for name, value in content.items():
        if isinstance(value, str) and not isinstance(value, Enum):
            value = value.strip()
        if isinstance(value, list):
            value = sorted(dict.fromkeys(value))
        cleaned[name] = value
    return cleaned


def create_item(
    session: Session,
    actor: Actor,
    *,
    kind: ItemKind,
    content: dict[str, Any],
    reason: str,
    now: datetime,
    code: str | None = None,
    dimension_code: str | None = None,
    proposal_id: int | None = None,
    after_item_id: int | None = None,
) -> Item:
    """A new item, at the end of its dimension (of the sections, for a section), or right after
    the item `after_item_id` when that is still an item of the same kind and dimension."""
    if not reason.strip():
        raise InvalidInput("give a reason for the change", field="reason")
    content = dict.fromkeys(CONTENT_FIELDS) | _clean(content)
    content["status"] = ItemStatus.ACTIVE
    for name in ("profiles", "crime_types", "intended_users"):
        content[name] = content[name] or []
    for name in ("guidance", "information_sources", "references", "rationale"):
        content[name] = content[name] or ""
    if kind is ItemKind.INDICATOR:
        if dimension_code is None:
            raise InvalidInput("an indicator needs a dimension", field="dimension")
        dim = get_dimension(session, dimension_code)
        content["dimension_id"] = dim.id
        content["title"] = None
        code = code.upper() if code else _next_code(session, dim.prefix)
        if not code.startswith(dim.prefix + "-"):
            raise InvalidInput(f"code {code} must start with {dim.prefix}-", field="code")
    else:
        code = (code or "").upper()
        if not code:
            raise InvalidInput("a section needs a code, e.g. SEC-SCOPE", field="code")
    if not _CODE.match(code):
        raise InvalidInput(f"code {code!r} is not of the form ABC-DEF-01", field="code")
    Revision.validate_content(kind, content)
    if session.scalar(select(Item.id).where(Item.code == code)) is not None:
        raise InvalidInput(f"code {code} is already in use", field="code")
    after = _placed_after(session, kind, after_item_id, content["dimension_id"])
    position = _position_after(session, kind, after) if after else _next_position(session, kind)
    item = Item(kind=kind, code=code, position=position, version=1, created_at=now)
    session.add(item)
    session.flush()
    session.add(
        Revision(
            item_id=item.id,
            number=1,
            author_id=actor.user_id,
            delegation_id=actor.delegation_id,
            reason=reason.strip(),
            created_at=now,
            proposal_id=proposal_id,
            **content,
        )
    )
    record(
        session,
        actor,
        action=f"{kind.value}.create",
        object_type=kind.value,
        object_id=code,
        revision_after=1,
        details={"reason": reason.strip()}
        | ({"proposal_id": proposal_id} if proposal_id else {})
        | ({"after": after.code} if after else {}),
        at=now,
    )
    return item


def _placed_after(
    session: Session, kind: ItemKind, after_item_id: int | None, dimension_id: int | None
) -> Item | None:
    """The item a new one is placed after, if it is still of the same kind and dimension (an
    item moved to another dimension since leaves the new one at the end of its own)."""
    if after_item_id is None:
        return None
    after = session.get(Item, after_item_id)
    if after is None or after.kind is not kind:
        return None
    if kind is ItemKind.INDICATOR:
        where = session.scalar(
            select(Revision.dimension_id).where(
                Revision.item_id == after.id, Revision.number == after.version
            )
        )
        if where != dimension_id:
            return None
    return after


def revise_item(
    session: Session,
    actor: Actor,
    *,
    code: str,
    expected_revision: int,
    changes: dict[str, Any],
    reason: str,
    now: datetime,
    kind: ItemKind | None = None,
    dimension_code: str | None = None,
    proposal_id: int | None = None,
) -> Revision:
    """Write a new revision from the current one plus `changes`, if nobody saved in between."""
    if not reason.strip():
        raise InvalidInput("give a reason for the change", field="reason")
    item = get_item(session, code, kind)
    item.check_version(expected_revision)
    base = session.scalar(
        select(Revision).where(Revision.item_id == item.id, Revision.number == item.version)
    )
    assert base is not None
    content = base.content() | _clean(changes)
    if dimension_code is not None and item.kind is ItemKind.INDICATOR:
        content["dimension_id"] = get_dimension(session, dimension_code).id
    if content == base.content():
        raise InvalidInput(
            "nothing changed: the text and fields are the same as the current revision"
        )
    Revision.validate_content(item.kind, content)
    # Compare-and-set: only one of several concurrent savers moves the version on.
    moved = session.execute(
        update(Item)
        .where(Item.id == item.id, Item.version == expected_revision)
        .values(version=expected_revision + 1)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        session.expire(item)
        raise PreconditionFailed(
            f"{item.code} was changed by someone else while you were editing; "
            f"your edit was based on revision {expected_revision}",
            current_revision=session.scalar(select(Item.version).where(Item.id == item.id)),
        )
    # The row is written: the object takes the value as loaded, not as a change to flush again
    # (a second UPDATE, and a flush before the new revision exists would re-index the item and
    # everything on it twice). The trail gets the row's digest as for any other write.
    attributes.set_committed_value(item, "version", expected_revision + 1)
    vouch_for(session, {"items": [item.id]})
    follow_revision(session, item_id=item.id, old=base.content(), new=content, number=item.version)
    new = Revision(
        item_id=item.id,
        number=item.version,
        author_id=actor.user_id,
        delegation_id=actor.delegation_id,
        reason=reason.strip(),
        created_at=now,
        proposal_id=proposal_id,
        **content,
    )
    session.add(new)
    session.flush()
    action = "revise"
    if content["status"] != base.status:
        action = "withdraw" if content["status"] == ItemStatus.WITHDRAWN else "reinstate"
    record(
        session,
        actor,
        action=f"{item.kind.value}.{action}",
        object_type=item.kind.value,
        object_id=item.code,
        revision_before=expected_revision,
        revision_after=item.version,
        details={
            "reason": reason.strip(),
            "fields": [n for n in CONTENT_FIELDS if content[n] != getattr(base, n)],
            **({"proposal_id": proposal_id} if proposal_id else {}),
        },
        at=now,
    )
    return new
