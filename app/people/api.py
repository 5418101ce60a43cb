"""JSON API of people administration: the list with filters, one person, changes to their
role, delegations and account, a fresh invitation, a reset second factor. (New people:
POST /api/v1/invitations.)"""

from typing import Annotated

from fastapi import Header, Query
from fastapi.responses import JSONResponse

from app.accounts.permissions import Action
from app.errors import PreconditionFailed, PreconditionRequired
from app.models import Role
from app.people import service
from app.people.schemas import (
    HistoryOut,
    MembershipOut,
    PeopleOut,
    PersonDetailOut,
    PersonOut,
    PersonUpdate,
    SecondFactorReset,
)
from app.people.service import LastSeen, PeopleFilter, PersonState
from app.web.api_common import api_router, errors
from app.web.deps import Context, RequestContext

router = api_router("/people", "people")

Manager = Annotated[RequestContext, Context(Action.MANAGE_PEOPLE)]
IfMatch = Annotated[
    str | None, Header(description="The ETag of the person you read (their version)")
]


def _memberships(refs: list[service.MembershipRef]) -> list[MembershipOut]:
    return [MembershipOut(code=d.code, name=d.name, retired=d.retired) for d in refs]


def etag(person: service.Person) -> str:
    return f'"U-{person.user.id}.{person.version}"'


def version_from(if_match: str | None, user_id: int) -> str:
    """The version an If-Match header names: the ETag read (`"U-<id>.<version>"`) or the bare
    version. Missing: 428; naming another person: 412."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired(
            "send If-Match with the ETag you read, so that nobody's change is silently overwritten"
        )
    value = if_match.strip().removeprefix("W/").strip('"')
    prefix, dot, version = value.rpartition(".")
    if dot and prefix != f"U-{user_id}":
        raise PreconditionFailed(f"If-Match {if_match!r} names another person's version")
    return version if dot else value


def person_out(person: service.Person) -> PersonDetailOut:
    user = person.user
    return PersonDetailOut(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        state=person.state,
        delegations=_memberships(person.delegations),
        last_seen=person.last_seen,
        mfa=person.mfa,
        created_at=user.created_at,
        version=person.version,
        totp_since=person.totp_since,
        passkeys=person.passkeys,
        recovery_codes_left=person.recovery_codes_left,
        live_sessions=person.live_sessions,
        active_tokens=person.active_tokens,
        invitation_expires=person.invitation_expires,
        history=[
            HistoryOut(at=h.at, action=h.action, by=h.actor, details=h.details)
            for h in person.history
        ],
    )


def _answer(ctx: RequestContext, user_id: int) -> JSONResponse:
    ctx.db.flush()
    person = service.get_person(ctx.db, user_id, now=ctx.now, settings=ctx.settings)
    return JSONResponse(person_out(person).model_dump(mode="json"), headers={"ETag": etag(person)})


@router.get("", responses=errors())
def list_people(
    ctx: Manager,
    role: Role | None = None,
    delegation: Annotated[str | None, Query(max_length=32)] = None,
    state: PersonState | None = None,
    seen: Annotated[
        LastSeen | None, Query(description="never, week (within 7 days), over_month")
    ] = None,
    mfa: Annotated[bool | None, Query(description="A second factor is set up")] = None,
    q: Annotated[str, Query(max_length=200, description="Words of the name or e-mail")] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = service.PER_PAGE,
) -> PeopleOut:
    """Everyone with an account, by name, filtered and one page at a time."""
    found = service.people(
        ctx.db,
        PeopleFilter(role=role, delegation=delegation, state=state, seen=seen, mfa=mfa, q=q),
        now=ctx.now,
        page=page,
        per_page=per_page,
    )
    return PeopleOut(
        people=[
            PersonOut(
                id=r.id,
                email=r.email,
                name=r.name,
                role=r.role,
                state=r.state,
                delegations=_memberships(r.delegations),
                last_seen=r.last_seen,
                mfa=r.mfa,
                created_at=r.created_at,
            )
            for r in found.rows
        ],
        total=found.total,
        page=found.page,
        per_page=found.per_page,
        pages=found.pages,
        counts=found.counts,
    )


@router.get("/{user_id}", responses=errors(404), response_model=PersonDetailOut)
def one_person(user_id: int, ctx: Manager) -> JSONResponse:
    """One person's account; the ETag is their version, for If-Match when changing them."""
    return _answer(ctx, user_id)


@router.patch("/{user_id}", responses=errors(404, 412, 428), response_model=PersonDetailOut)
def update_person(
    user_id: int,
    body: PersonUpdate,
    ctx: Manager,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Change a person's role, delegations (the full list) or whether the account is enabled
    (disabling ends their sessions and stops their tokens). Only an admin grants or removes
    the admin role; nobody changes their own role or disables themselves."""
    service.update_person(
        ctx.db,
        ctx.principal,
        user_id=user_id,
        expected_version=version_from(if_match, user_id),
        role=body.role,
        delegation_codes=body.delegations,
        active=body.active,
        now=ctx.now,
        request_id=ctx.request_id,
    )
    return _answer(ctx, user_id)


@router.post(
    "/{user_id}/second-factor/reset", responses=errors(404), response_model=PersonDetailOut
)
def reset_second_factor(
    user_id: int,
    body: SecondFactorReset,
    ctx: Manager,
) -> JSONResponse:
    """Admin only: remove the person's authenticator app, passkeys and recovery codes, end their
    sessions and mail them a notice; the reason is recorded in the audit trail."""
    service.reset_second_factor(
        ctx.db,
        ctx.principal,
        user_id=user_id,
        reason=body.reason,
        now=ctx.now,
        settings=ctx.settings,
        request_id=ctx.request_id,
    )
    return _answer(ctx, user_id)


@router.post("/{user_id}/invitation", responses=errors(404), response_model=PersonDetailOut)
def resend_invitation(user_id: int, ctx: Manager) -> JSONResponse:
    """Mail a fresh invitation link to a person who has not accepted theirs; earlier links stop
    working."""
    service.resend_invitation(
        ctx.db,
        ctx.principal,
        user_id=user_id,
        now=ctx.now,
        settings=ctx.settings,
        request_id=ctx.request_id,
    )
    return _answer(ctx, user_id)
