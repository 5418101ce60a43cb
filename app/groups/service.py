"""The working group's make-up: member states, sectoral bodies, delegations and dimensions.

These are data, not code, because the group adds bodies and delegations as it goes. Each addition
writes an audit event in the same transaction, like every other change.
"""

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import Actor, record
from app.errors import Conflict, InvalidInput, NotFound
from app.models import Body, Delegation, Dimension, MemberState

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
    session: Session, actor: Actor, *, state_code: str, body_code: str, now: datetime
) -> Delegation:
    """A member state speaking through a body; its code is STATE-BODY, e.g. PH-SOMTC."""
    state = session.scalar(select(MemberState).where(MemberState.code == state_code.upper()))
    if state is None:
        raise NotFound(f"no member state with code {state_code}", field="state")
    body = session.scalar(select(Body).where(Body.code == body_code.upper()))
    if body is None:
        raise NotFound(f"no body with code {body_code}", field="body")
    code = delegation_code(state.code, body.code)
    if session.scalar(select(Delegation.id).where(Delegation.code == code)) is not None:
        raise Conflict(f"delegation {code} already exists", field="code")
    delegation = Delegation(code=code, state_id=state.id, body_id=body.id)
    session.add(delegation)
    session.flush()
    record(
        session,
        actor,
        action="delegation.add",
        object_type="delegation",
        object_id=code,
        details={"state": state.code, "body": body.code},
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
