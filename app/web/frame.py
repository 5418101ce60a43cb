"""What every page shows around its content (the unread count in the top bar, the current
round's banner), read by code before the template renders: templates never query the database.

Features contribute a `FramePart` each (registered by app/main.py, the one place that knows them
all); this module knows none of them. A part names the columns it needs, as scalar subqueries on
the signed-in person's id, and what it makes of them; every part's columns are read in ONE
statement per page (with the content version, when the page's fragment is cached: `frame_with`),
which cost three statements through the ORM before (~1.3 ms of a cached page's ~4 ms in
process). The column labels of all parts share one row: each part prefixes its own.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from fastapi import Request
from sqlalchemy import BindParameter, Integer, Label, Row, Select, bindparam, select
from sqlalchemy.orm import Session

from app.principal import Principal

# The signed-in person's id, as the parts' subqueries refer to it.
USER_ID: BindParameter[int] = bindparam("frame_user_id", type_=Integer)


@dataclass(frozen=True, slots=True)
class FramePart:
    """One feature's share of the frame: `columns(USER_ID)` gives labelled scalar subqueries,
    `read(row, now)` the names it adds to the page's `frame` from the row that holds them."""

    columns: Callable[[BindParameter[int]], Sequence[Label[Any]]]
    read: Callable[[Row[Any], datetime], Mapping[str, Any]]


@lru_cache(maxsize=32)
def _statement(parts: tuple[FramePart, ...], also: tuple[Label[Any], ...]) -> Select[Any]:
    # Built once per set of parts: building a select costs more than running this one.
    columns = [column for part in parts for column in part.columns(USER_ID)]
    return select(*columns, *also)


def frame_with(
    request: Request, also: tuple[Label[Any], ...] = ()
) -> tuple[dict[str, Any], Row[Any] | None]:
    """The frame of this request's page, and the row it was read from, which also holds the
    columns `also` (read in the same statement, before anything the page reads after). Empty
    (and no row) where nobody is signed in or the request's session is closed (the log-in
    page, error pages)."""
    principal: Principal | None = getattr(request.state, "principal", None)
    session: Session | None = getattr(request.state, "db", None)
    if principal is None or session is None:
        return {}, None
    parts: list[FramePart] = getattr(request.app.state, "frame_providers", [])
    if not parts and not also:
        return {}, None
    statement = _statement(tuple(parts), also)
    # Plain rows of labelled columns: the ORM's statement handling is not needed.
    row = session.connection().execute(statement, {USER_ID.key: principal.user_id}).one()
    now: datetime = request.app.state.clock()
    out: dict[str, Any] = {}
    for part in parts:
        out.update(part.read(row, now))
    request.state.frame = out
    return out, row


def frame(request: Request) -> dict[str, Any]:
    """The frame of this request's page (read once per request)."""
    known: dict[str, Any] | None = getattr(request.state, "frame", None)
    if known is not None:
        return known
    return frame_with(request)[0]
