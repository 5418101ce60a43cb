"""The working group's make-up: member states, sectoral bodies, delegations and dimensions.

These are data, not code, because the group adds bodies and delegations as it goes. Each addition
writes an audit event in the same transaction, like every other change.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.service import Actor, record
from app.errors import Conflict, InvalidInput, NotFound
from app.models import Body, Delegation, Dimension, Membership, MemberState, User

_STATE_CODE = re.compile(r"^[A-Z]{2}$")
_BODY_CODE = re.compile(r"^[A-Z][A-Z0-9]{1,15}$")
_DIMENSION_CODE = re.compile(r"^[A-Z]{2,8}$")
_PREFIX = re.compile(r"^[A-Z]{2,6}-[A-Z0-9]{1,8}$")


def _required(value: str, field: str, max_length: int) -> str:
    value = value.strip()
    if not value:
        raise InvalidInput(f"{field} must not be empty", field=field)
    if len(value) > max_length:
        raise InvalidInput(f"{field} must be at most {max_length} characters", field=field)
    return value


def add_member_state(
    session: Session, actor: Actor, *, code: str, name: str, now: datetime
) -> MemberState:
    code = code.strip().upper()
    if not _STATE_CODE.match(code):
        raise InvalidInput(f"{code!r} is not a two-letter country code", field="code")
    name = _required(name, "name", 80)
    if session.scalar(select(MemberState.id).where(MemberState.code == code)) is not None:
        raise Conflict(f"member state {code} already exists", field="code")
    if session.scalar(select(MemberState.id).where(MemberState.name == name)) is not None:
        raise Conflict(f"a member state named {name!r} already exists", field="name")
    state = MemberState(code=code, name=name)
    session.add(state)
    session.flush()
    record(
        session,
        actor,
        action="member_state.add",
        object_type="member_state",
        object_id=code,
        details={"name": name},
        at=now,
    )
    return state


def add_body(session: Session, actor: Actor, *, code: str, name: str, now: datetime) -> Body:
    code = code.strip().upper()
    if not _BODY_CODE.match(code):
        raise InvalidInput(
            f"{code!r} is not a body code (2 to 16 letters or digits, e.g. SOMTC)", field="code"
        )
    name = _required(name, "name", 200)
    if session.scalar(select(Body.id).where(Body.code == code)) is not None:
        raise Conflict(f"body {code} already exists", field="code")
    body = Body(code=code, name=name)
    session.add(body)
    session.flush()
    record(
        session,
        actor,
        action="body.add",
        object_type="body",
        object_id=code,
        details={"name": name},
        at=now,
    )
    return body


def delegation_code(state_code: str, body_code: str) -> str:
    return f"{state_code.strip().upper()}-{body_code.strip().upper()}"


def add_delegation(
    session: Session,
    actor: Actor,
    *,
    state_code: str,
    body_code: str,
    title: str | None = None,
    now: datetime,
) -> Delegation:
    """A member state speaking through a body; its code is STATE-BODY, e.g. PH-SOMTC."""
    state = session.scalar(
        select(MemberState).where(MemberState.code == state_code.strip().upper())
    )
    if state is None:
        raise NotFound(f"no member state with code {state_code.strip()!r}", field="state")
    body = session.scalar(select(Body).where(Body.code == body_code.strip().upper()))
    if body is None:
        raise NotFound(f"no body with code {body_code.strip()!r}", field="body")
    if body.retired_at is not None:
        raise Conflict(f"body {body.code} is retired: it takes no new delegations", field="body")
    code = delegation_code(state.code, body.code)
    existing = session.scalar(select(Delegation).where(Delegation.code == code))
    if existing is not None:
        hint = "; reinstate it instead" if existing.retired_at is not None else ""
        raise Conflict(f"delegation {code} already exists{hint}", field="code")
    title = _title(title)
    delegation = Delegation(code=code, state_id=state.id, body_id=body.id, title=title)
    session.add(delegation)
    session.flush()
    details: dict[str, str] = {"state": state.code, "body": body.code}
    if title:
        details["title"] = title
    record(
        session,
        actor,
        action="delegation.add",
        object_type="delegation",
        object_id=code,
        details=details,
        at=now,
    )
    return delegation


def add_dimension(
    session: Session,
    actor: Actor,
    *,
    code: str,
    prefix: str,
    title: str,
    description: str = "",
    position: int,
    now: datetime,
) -> Dimension:
    """A cluster of indicators. `prefix` starts the codes of its indicators (FC-DR -> FC-DR-01)."""
    code = code.strip().upper()
    prefix = prefix.strip().upper()
    if not _DIMENSION_CODE.match(code):
        raise InvalidInput(f"{code!r} is not a dimension code (2 to 8 letters)", field="code")
    if not _PREFIX.match(prefix):
        raise InvalidInput(f"{prefix!r} is not an indicator code prefix like FC-DR", field="prefix")
    title = _required(title, "title", 200)
    if position < 1:
        raise InvalidInput("position must be 1 or more", field="position")
    taken = session.scalar(
        select(Dimension.code).where((Dimension.code == code) | (Dimension.prefix == prefix))
    )
    if taken is not None:
        raise Conflict(f"dimension {taken} already uses code {code} or prefix {prefix}")
    dimension = Dimension(
        code=code, prefix=prefix, title=title, description=description.strip(), position=position
    )
    session.add(dimension)
    session.flush()
    record(
        session,
        actor,
        action="dimension.add",
        object_type="dimension",
        object_id=code,
        details={"prefix": prefix, "title": title, "position": position},
        at=now,
    )
    return dimension


# --- Renaming and retiring --------------------------------------------------------------------
# Nothing here is ever deleted: proposals, positions, comments, memberships and the audit trail
# refer to bodies and delegations, and an attributed history must keep saying who said what. A
# body or delegation added by mistake is retired (and can be reinstated if that was a mistake
# too); its code stays taken.


def _title(title: str | None) -> str | None:
    """A delegation's display name; empty means the default "<state> - <body code>"."""
    if title is None:
        return None
    title = " ".join(title.split())
    if len(title) > 200:
        raise InvalidInput("title must be at most 200 characters", field="title")
    return title or None


def get_body(session: Session, code: str) -> Body:
    body = session.scalar(select(Body).where(Body.code == code.strip().upper()))
    if body is None:
        raise NotFound(f"no body with code {code.strip()!r}", field="body")
    return body


def get_delegation(session: Session, code: str) -> Delegation:
    delegation = session.scalar(select(Delegation).where(Delegation.code == code.strip().upper()))
    if delegation is None:
        raise NotFound(f"no delegation with code {code.strip()!r}", field="delegation")
    return delegation


def rename_body(session: Session, actor: Actor, *, code: str, name: str, now: datetime) -> Body:
    """A body's name; its code never changes, as delegation codes are made of it."""
    body = get_body(session, code)
    name = _required(name, "name", 200)
    if name == body.name:
        return body
    before = body.name
    body.name = name
    record(
        session,
        actor,
        action="body.rename",
        object_type="body",
        object_id=body.code,
        details={"name": name, "before": before},
        at=now,
    )
    return body


def retire_body(session: Session, actor: Actor, *, code: str, now: datetime) -> Body:
    """The body takes no new delegations; its delegations carry on until each is retired."""
    body = get_body(session, code)
    if body.retired_at is not None:
        raise Conflict(f"body {body.code} is already retired", field="body")
    body.retired_at = now
    record(session, actor, action="body.retire", object_type="body", object_id=body.code, at=now)
    return body


def reinstate_body(session: Session, actor: Actor, *, code: str, now: datetime) -> Body:
    body = get_body(session, code)
    if body.retired_at is None:
        raise Conflict(f"body {body.code} is not retired", field="body")
    body.retired_at = None
    record(session, actor, action="body.reinstate", object_type="body", object_id=body.code, at=now)
    return body


def rename_delegation(
    session: Session, actor: Actor, *, code: str, title: str | None, now: datetime
) -> Delegation:
    """The name the group gives a delegation; None or empty: back to "<state> - <body code>"."""
    delegation = get_delegation(session, code)
    title = _title(title)
    if title == delegation.title:
        return delegation
    before = delegation.title
    delegation.title = title
    record(
        session,
        actor,
        action="delegation.rename",
        object_type="delegation",
        object_id=delegation.code,
        details={"title": title, "before": before},
        at=now,
    )
    return delegation


def retire_delegation(session: Session, actor: Actor, *, code: str, now: datetime) -> Delegation:
    """Nobody can act for the delegation any more, nor be added to it; everything it said stays,
    attributed to it. Its members keep their other delegations."""
    delegation = get_delegation(session, code)
    if delegation.retired_at is not None:
        raise Conflict(f"delegation {delegation.code} is already retired", field="delegation")
    delegation.retired_at = now
    record(
        session,
        actor,
        action="delegation.retire",
        object_type="delegation",
        object_id=delegation.code,
        at=now,
    )
    return delegation


def reinstate_delegation(session: Session, actor: Actor, *, code: str, now: datetime) -> Delegation:
    """Undo a retirement; its members may act for it again. Not for a retired body's delegation:
    that body takes no delegations."""
    delegation = get_delegation(session, code)
    if delegation.retired_at is None:
        raise Conflict(f"delegation {delegation.code} is not retired", field="delegation")
    body = session.get(Body, delegation.body_id)
    if body is not None and body.retired_at is not None:
        raise Conflict(
            f"body {body.code} is retired; reinstate the body before its delegation",
            field="delegation",
        )
    delegation.retired_at = None
    record(
        session,
        actor,
        action="delegation.reinstate",
        object_type="delegation",
        object_id=delegation.code,
        at=now,
    )
    return delegation


# --- Reading ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StateRow:
    code: str
    name: str
    delegations: int


@dataclass(frozen=True, slots=True)
class BodyRow:
    code: str
    name: str
    retired_at: datetime | None
    delegations: int


@dataclass(frozen=True, slots=True)
class DelegationRow:
    code: str
    name: str
    title: str | None
    state_code: str
    state_name: str
    body_code: str
    retired_at: datetime | None
    members: int  # active people who belong to it


def member_states(session: Session) -> list[StateRow]:
    """The member states (reference data, loaded by the migrations) with their delegations."""
    counts = (
        select(Delegation.state_id, func.count().label("n"))
        .group_by(Delegation.state_id)
        .subquery()
    )
    rows = session.execute(
        select(MemberState.code, MemberState.name, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.state_id == MemberState.id)
        .order_by(MemberState.name)
    ).all()
    return [StateRow(code, name, n) for code, name, n in rows]


def bodies(session: Session, *, code: str | None = None) -> list[BodyRow]:
    counts = (
        select(Delegation.body_id, func.count().label("n"))
        .where(Delegation.retired_at.is_(None))
        .group_by(Delegation.body_id)
        .subquery()
    )
    stmt = (
        select(Body.code, Body.name, Body.retired_at, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.body_id == Body.id)
        .order_by(Body.retired_at.is_not(None), Body.code)
    )
    if code is not None:
        stmt = stmt.where(Body.code == code)
    rows = session.execute(stmt).all()
    return [BodyRow(code, name, retired, n) for code, name, retired, n in rows]


def delegations(
    session: Session, *, include_retired: bool = True, code: str | None = None
) -> list[DelegationRow]:
    """Delegations, active ones first, each with how many active people belong to it."""
    members = (
        select(Membership.delegation_id, func.count().label("n"))
        .join(User, User.id == Membership.user_id)
        .where(User.is_active.is_(True))
        .group_by(Membership.delegation_id)
        .subquery()
    )
    stmt = (
        select(
            Delegation.code,
            Delegation.title,
            Delegation.retired_at,
            MemberState.code,
            MemberState.name,
            Body.code,
            func.coalesce(members.c.n, 0),
        )
        .join(MemberState, MemberState.id == Delegation.state_id)
        .join(Body, Body.id == Delegation.body_id)
        .outerjoin(members, members.c.delegation_id == Delegation.id)
        .order_by(Delegation.retired_at.is_not(None), Delegation.code)
    )
    if not include_retired:
        stmt = stmt.where(Delegation.retired_at.is_(None))
    if code is not None:
        stmt = stmt.where(Delegation.code == code)
    return [
        DelegationRow(
            code=code,
            name=title or f"{state_name} - {body_code}",
            title=title,
            state_code=state_code,
            state_name=state_name,
            body_code=body_code,
            retired_at=retired,
            members=n,
        )
        for code, title, retired, state_code, state_name, body_code, n in session.execute(stmt)
    ]
