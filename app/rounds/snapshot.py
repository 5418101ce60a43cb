"""A round's frozen snapshot: the exact revision of every item, its order, display number and
negotiation state, and the content hash that names it.

The hash is SHA-256 over a canonical serialisation (sorted-key JSON, UTF-8) of the round's
identity and every item's full content, so anyone holding the same content gets the same hash.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, and_, bindparam, select
from sqlalchemy.orm import Session

from app.models import Dimension, Item, ItemKind, ItemStatus, Revision, Round, RoundItem
from app.models.register import CONTENT_FIELDS
from app.paging import PER_PAGE, Page, clamp
from app.register import service as register

DELETED = "deleted"


@dataclass(frozen=True, slots=True)
class Entry:
    """One item as the round froze it."""

    item_id: int
    code: str
    kind: ItemKind
    position: int
    number: int | None
    item_state: str
    revision: int
    content: dict[str, Any]  # every content field; the dimension by code, enums by value

    def canonical(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "kind": self.kind.value,
            "position": self.position,
            "number": self.number,
            "item_state": self.item_state,
            "revision": self.revision,
            "content": self.content,
        }


def _plain(revision: Revision, dimension_code: str | None) -> dict[str, Any]:
    content: dict[str, Any] = {}
    for name in CONTENT_FIELDS:
        value = getattr(revision, name)
        if name == "dimension_id":
            content["dimension"] = dimension_code
            continue
        content[name] = getattr(value, "value", value)
    return content


def _entries(round_id: int) -> Any:
    return (
        select(RoundItem, Item.code, Item.kind, Revision, Dimension.code)
        .join(Item, Item.id == RoundItem.item_id)
        .join(
            Revision,
            and_(Revision.item_id == RoundItem.item_id, Revision.number == RoundItem.revision),
        )
        .outerjoin(Dimension, Dimension.id == Revision.dimension_id)
        .where(RoundItem.round_id == round_id)
        .order_by(RoundItem.position)
    )


def load(session: Session, round_id: int) -> list[Entry]:
    """The snapshot in reading order, in one query."""
    return _as_entries(session.execute(_entries(round_id)).all())


@dataclass(frozen=True, slots=True)
class Line:
    """One item as a round's page shows it: what the compilation view's row needs, read as
    plain columns (no ORM objects, not every content field)."""

    code: str
    section: bool
    number: int | None
    item_state: str
    revision: int
    title: str | None
    text: str
    dimension: str | None  # code
    dimension_title: str | None

    @property
    def href(self) -> str:
        return f"/{'sections' if self.section else 'indicators'}/{self.code}"

    @property
    def state_label(self) -> str:
        state = self.item_state
        return "Agreed ad ref" if state == "agreed_ad_ref" else state.capitalize()


# The page's fifty rows first, then their texts: joining every item's revision before the sort
# and the limit read and sorted the whole text of the round (four times the time). Built once:
# building the select cost more than running it.
_SHOWN = (
    select(RoundItem)
    .where(RoundItem.round_id == bindparam("round_id"))
    .order_by(RoundItem.position)
    .offset(bindparam("offset", type_=Integer))
    .limit(bindparam("limit", type_=Integer))
    .subquery()
)
_LINES = (
    select(
        Item.code,
        Item.kind,
        _SHOWN.c.number,
        _SHOWN.c.item_state,
        _SHOWN.c.revision,
        Revision.title,
        Revision.text,
        Dimension.code,
        Dimension.title,
    )
    .select_from(_SHOWN)
    .join(Item, Item.id == _SHOWN.c.item_id)
    .join(
        Revision, and_(Revision.item_id == _SHOWN.c.item_id, Revision.number == _SHOWN.c.revision)
    )
    .outerjoin(Dimension, Dimension.id == Revision.dimension_id)
    .order_by(_SHOWN.c.position)
)


def page_lines(session: Session, round_id: int, number: int, total: int) -> Page[Line]:
    """One page of the snapshot in reading order (app/paging.py) as Lines, in one query;
    `total` is the round's number of items (the caller has counted them by state)."""
    number = clamp(number, total)
    params = {"round_id": round_id, "offset": (number - 1) * PER_PAGE, "limit": PER_PAGE}
    lines = [
        Line(code, kind is ItemKind.SECTION, *rest)
        for code, kind, *rest in session.execute(_LINES, params)
    ]
    return Page(lines, number, total)


def _as_entries(rows: Any) -> list[Entry]:
    return [
        Entry(
            ri.item_id,
            code,
            kind,
            ri.position,
            ri.number,
            ri.item_state,
            ri.revision,
            _plain(rev, dim),
        )
        for ri, code, kind, rev, dim in rows
    ]


def canonical(round_: Round, entries: list[Entry]) -> bytes:
    document = {
        "symbol": round_.symbol,
        "title": round_.title,
        "items": [e.canonical() for e in entries],
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def content_hash(round_: Round, entries: list[Entry]) -> str:
    return hashlib.sha256(canonical(round_, entries)).hexdigest()


def freeze(session: Session, round_: Round, *, now: datetime) -> str:
    """Replace the round's snapshot by the register as it is now; returns the new hash.

    Items withdrawn since the previous round stay in the snapshot, marked deleted and unnumbered,
    so that delegations see what went; items withdrawn before that are left out."""
    round_.check_changeable()
    previous_ids: set[int] = set()
    if round_.previous_round_id is not None:
        previous_ids = set(
            session.scalars(
                select(RoundItem.item_id).where(RoundItem.round_id == round_.previous_round_id)
            )
        )
    for existing in session.scalars(select(RoundItem).where(RoundItem.round_id == round_.id)):
        session.delete(existing)
    session.flush()
    states = dict(session.execute(select(Item.code, Item.drafting_state)).all())
    ids = dict(session.execute(select(Item.code, Item.id)).all())
    position = 0
    for kind in (ItemKind.SECTION, ItemKind.INDICATOR):
        for row in register.list_items(session, kind):
            withdrawn = row.status is ItemStatus.WITHDRAWN
            if withdrawn and ids[row.code] not in previous_ids:
                continue
            position += 1
            session.add(
                RoundItem(
                    round_id=round_.id,
                    item_id=ids[row.code],
                    revision=row.revision,
                    position=position,
                    number=row.number,
                    item_state=DELETED if withdrawn else states[row.code],
                )
            )
    session.flush()
    round_.content_hash = content_hash(round_, load(session, round_.id))
    return round_.content_hash
