"""Reading the audit trail: filtered pages of events, newest first, and the check of the chain.

A page is one query over the columns it shows, bounded by a limit and keyed on the sequence number
(`before`), so reading never loads the whole trail and deep pages cost what the first one costs.

The trail shows what its reader may see of the objects themselves: an event about a proposal, a
comment or an import the reader would get 404 on (another delegation's private draft, a comment
kept to a delegation, an import still that delegation's own, a case study kept to the
secretariat and its contributors) is left out, as if it were not there; so are who answered a
rating round and whose answers were taken late, for everyone but the secretariat. One rule
(`_about_hidden`) serves the page and the API alike.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, cast, false, func, or_, select
from sqlalchemy.orm import Session

from app.accounts.service import normalise_email
from app.audit.service import verify_chain
from app.cases.visibility import hidden_cases
from app.comments.service import hidden_comments, hidden_proposals
from app.models import AuditEvent, Delegation, Role, User
from app.models.imports import WordImport
from app.principal import Principal

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


@dataclass(frozen=True, slots=True)
class TrailFilter:
    action: str | None = None  # a prefix: "round." matches every round event
    object_type: str | None = None
    object_id: str | None = None
    actor: str | None = None  # e-mail address
    since: datetime | None = None
    until: datetime | None = None

    @property
    def active(self) -> bool:
        return any(getattr(self, name) for name in self.__slots__)


@dataclass(frozen=True, slots=True)
class TrailRow:
    seq: int
    occurred_at: datetime
    actor_email: str | None
    actor_name: str | None
    delegation_code: str | None
    action: str
    object_type: str
    object_id: str
    revision_before: int | None
    revision_after: int | None
    request_id: str | None
    # Only when asked for (the API); the page does not show them.
    details: dict[str, Any] | None = None
    prev_hash: str | None = None
    hash: str | None = None


@dataclass(frozen=True, slots=True)
class TrailPage:
    rows: list[TrailRow]
    next_before: int | None  # pass as `before` for the next, older page; None at the end


@dataclass(frozen=True, slots=True)
class ChainCheck:
    events: int  # in the trail
    verified: int  # good events before the first break (all of them when ok)
    first_bad_event: int | None
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.first_bad_event is None


_SHOWN = (
    AuditEvent.id,
    AuditEvent.occurred_at,
    User.email,
    User.name,
    Delegation.code,
    AuditEvent.action,
    AuditEvent.object_type,
    AuditEvent.object_id,
    AuditEvent.revision_before,
    AuditEvent.revision_after,
    AuditEvent.request_id,
)
_CHAIN = (AuditEvent.details, AuditEvent.prev_hash, AuditEvent.hash)


def _ids(query: Any) -> Any:
    """An id subquery as the text the trail keeps its object ids in."""
    subquery = query.subquery()
    return select(cast(subquery.c.id, String))


def _hidden_imports(viewer: Principal) -> Any:
    """The imports `viewer` may not see, in SQL (app/imports/service.py, _may_see): all of them
    but the secretariat's and a member's own delegation's."""
    query = select(WordImport.id)
    if viewer.role is Role.SECRETARIAT:
        return query.where(false())
    if viewer.role is not Role.MEMBER:
        return query
    own = [d.id for d in viewer.delegations]
    return query.where(
        or_(WordImport.delegation_id.is_(None), WordImport.delegation_id.not_in(own))
    )


# Who answered a rating round, and whose answers were taken late: the secretariat's alone (it
# sends the reminders). To anyone else (a co-chair may be a panellist) they would name each
# panellist with when and how much they answered.
SECRETARIAT_ONLY_ACTIONS = ("rating.answer", "rating.accept_late")


def _about_hidden(viewer: Principal) -> ColumnElement[bool]:
    """Whether an event is about an object `viewer` may not see, or is one only the secretariat
    reads. A case study's events (facts, codings and findings included) are `case` events of
    the case study: left out where the viewer may not see it."""
    secretariat_only = (
        AuditEvent.action.in_(SECRETARIAT_ONLY_ACTIONS)
        if viewer.role is not Role.SECRETARIAT
        else false()
    )
    return or_(
        secretariat_only,
        (AuditEvent.object_type == "case") & AuditEvent.object_id.in_(_ids(hidden_cases(viewer))),
        (AuditEvent.object_type == "proposal")
        & AuditEvent.object_id.in_(_ids(hidden_proposals(viewer))),
        (AuditEvent.object_type == "comment")
        & AuditEvent.object_id.in_(_ids(hidden_comments(viewer))),
        (AuditEvent.object_type == "word_import")
        & AuditEvent.object_id.in_(_ids(_hidden_imports(viewer))),
    )


def page(
    session: Session,
    filters: TrailFilter,
    viewer: Principal,
    *,
    limit: int = DEFAULT_LIMIT,
    before: int | None = None,
    with_chain: bool = False,
) -> TrailPage:
    """Events matching every given filter that `viewer` may see, newest first; `before` a
    sequence number."""
    limit = max(1, min(limit, MAX_LIMIT))
    query = (
        select(*_SHOWN, *(_CHAIN if with_chain else ()))
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .outerjoin(Delegation, Delegation.id == AuditEvent.delegation_id)
        .where(~_about_hidden(viewer))
        .order_by(AuditEvent.id.desc())
        .limit(limit + 1)
    )
    if before is not None:
        query = query.where(AuditEvent.id < before)
    if filters.action:
        query = query.where(AuditEvent.action.startswith(filters.action, autoescape=True))
    if filters.object_type:
        query = query.where(AuditEvent.object_type == filters.object_type)
    if filters.object_id:
        query = query.where(AuditEvent.object_id == filters.object_id)
    if filters.actor:
        query = query.where(User.email == normalise_email(filters.actor))
    if filters.since is not None:
        query = query.where(AuditEvent.occurred_at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEvent.occurred_at <= filters.until)
    rows = [TrailRow(*row) for row in session.execute(query).all()]
    more = len(rows) > limit
    rows = rows[:limit]
    return TrailPage(rows, rows[-1].seq if more else None)


def check_chain(session: Session) -> ChainCheck:
    total = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    verified, broken = verify_chain(session)
    if broken is None:
        return ChainCheck(total, verified, None, None)
    return ChainCheck(total, verified, broken.seq, broken.problem)
