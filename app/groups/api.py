"""JSON API of the working group's make-up: member states (read only), bodies and delegations."""

from typing import Annotated

from sqlalchemy.orm import Session

from app.accounts.permissions import Action
from app.errors import NotFound
from app.groups import service
from app.groups.schemas import (
    BodyCreate,
    BodyOut,
    BodyUpdate,
    DelegationCreate,
    DelegationOut,
    DelegationUpdate,
    MemberStateOut,
)
from app.web.api_common import api_router, errors
from app.web.deps import Context, RequestContext

router = api_router("", "group")

Reader = Annotated[RequestContext, Context(Action.READ_GROUP)]
Manager = Annotated[RequestContext, Context(Action.MANAGE_GROUP)]


def _body_out(db: Session, code: str) -> BodyOut:
    for row in service.bodies(db, code=code):
        return BodyOut(
            code=row.code, name=row.name, retired_at=row.retired_at, delegations=row.delegations
        )
    raise NotFound(f"no body with code {code!r}", field="body")


def _delegation_out(row: service.DelegationRow) -> DelegationOut:
    return DelegationOut(
        code=row.code,
        name=row.name,
        title=row.title,
        state=row.state_name,
        state_code=row.state_code,
        body=row.body_code,
        retired_at=row.retired_at,
        members=row.members,
    )


def _one_delegation(db: Session, code: str) -> DelegationOut:
    for row in service.delegations(db, code=code):
        return _delegation_out(row)
    raise NotFound(f"no delegation with code {code!r}", field="delegation")


@router.get("/member-states", responses=errors())
def member_states(ctx: Reader) -> list[MemberStateOut]:
    """The ASEAN Member States: reference data, loaded by the database migrations."""
    return [
        MemberStateOut(code=s.code, name=s.name, delegations=s.delegations)
        for s in service.member_states(ctx.db)
    ]


@router.get("/bodies", responses=errors())
def bodies(ctx: Reader) -> list[BodyOut]:
    """The sectoral bodies, retired ones last."""
    return [
        BodyOut(code=b.code, name=b.name, retired_at=b.retired_at, delegations=b.delegations)
        for b in service.bodies(ctx.db)
    ]


@router.post("/bodies", status_code=201, responses=errors())
def add_body(body: BodyCreate, ctx: Manager) -> BodyOut:
    """Add a sectoral body (code and name)."""
    added = service.add_body(ctx.db, ctx.actor, code=body.code, name=body.name, now=ctx.now)
    ctx.db.flush()
    return _body_out(ctx.db, added.code)


@router.patch("/bodies/{code}", responses=errors(404))
def update_body(code: str, body: BodyUpdate, ctx: Manager) -> BodyOut:
    """Rename a body, retire it (it takes no new delegations) or reinstate it. Its code never
    changes. Bodies are never deleted."""
    db, actor, now = ctx.db, ctx.actor, ctx.now
    current = service.get_body(db, code)
    if body.name is not None:
        service.rename_body(db, actor, code=current.code, name=body.name, now=now)
    if body.retired is True and current.retired_at is None:
        service.retire_body(db, actor, code=current.code, now=now)
    elif body.retired is False and current.retired_at is not None:
        service.reinstate_body(db, actor, code=current.code, now=now)
    db.flush()
    return _body_out(db, current.code)


@router.get("/delegations", responses=errors())
def delegations(ctx: Reader, include_retired: bool = False) -> list[DelegationOut]:
    """The delegations of the working group (member state + body); retired ones only with
    include_retired=true."""
    return [
        _delegation_out(row) for row in service.delegations(ctx.db, include_retired=include_retired)
    ]


@router.post("/delegations", status_code=201, responses=errors(404))
def add_delegation(body: DelegationCreate, ctx: Manager) -> DelegationOut:
    """Add a delegation: a member state speaking through a body; its code is STATE-BODY."""
    added = service.add_delegation(
        ctx.db, ctx.actor, state_code=body.state, body_code=body.body, title=body.title, now=ctx.now
    )
    ctx.db.flush()
    return _one_delegation(ctx.db, added.code)


@router.patch("/delegations/{code}", responses=errors(404))
def update_delegation(
    code: str,
    body: DelegationUpdate,
    ctx: Manager,
) -> DelegationOut:
    """Rename a delegation (title; null for the default name), retire it (nobody can act for
    it or join it any more; everything it said stays) or reinstate it. Never deleted."""
    db, actor, now = ctx.db, ctx.actor, ctx.now
    current = service.get_delegation(db, code)
    if "title" in body.model_fields_set:
        service.rename_delegation(db, actor, code=current.code, title=body.title, now=now)
    if body.retired is True and current.retired_at is None:
        service.retire_delegation(db, actor, code=current.code, now=now)
    elif body.retired is False and current.retired_at is not None:
        service.reinstate_delegation(db, actor, code=current.code, now=now)
    db.flush()
    return _one_delegation(db, current.code)
