"""JSON API: invite a person, and read or change one's own account."""

from typing import Annotated

from sqlalchemy.orm import Session

from app.accounts import invitations, profile
from app.accounts.account_schemas import AccountOut, AccountUpdate, InvitationCreate, InvitationOut
from app.accounts.permissions import Action
from app.accounts.schemas import DelegationOut
from app.accounts.service import delegation_refs
from app.config import Settings
from app.models import User
from app.web.api_common import api_router, errors
from app.web.deps import Context, RequestContext

router = api_router("", "accounts")

Owner = Annotated[RequestContext, Context(Action.READ_OWN_ACCOUNT)]
Manager = Annotated[RequestContext, Context(Action.MANAGE_PEOPLE)]


@router.post("/invitations", status_code=201, responses=errors(409))
def invite(body: InvitationCreate, ctx: Manager) -> InvitationOut:
    """Invite a person: their account is created without a password and a one-time link
    (valid 7 days) is mailed to them. The link's token is never in this answer."""
    user, _ = invitations.invite(
        ctx.db,
        ctx.actor,
        email=body.email,
        name=body.name,
        role=body.role,
        delegation_codes=body.delegations,
        now=ctx.now,
        settings=ctx.settings,
        inviter_role=ctx.principal.role,
    )
    ctx.db.flush()
    return InvitationOut(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        delegations=[
            DelegationOut(code=d.code, name=d.name)
            for d in invitations.delegations_of(ctx.db, user.id)
        ],
        invitation_expires_at=invitations.invitation_expiry(ctx.db, user.id, now=ctx.now),
    )


def _account_out(db: Session, user: User, settings: Settings) -> AccountOut:
    return AccountOut(
        email=user.email,
        name=user.name,
        role=user.role,
        delegations=[
            DelegationOut(code=d.code, name=d.name) for d in delegation_refs(db, [user.id])[user.id]
        ],
        time_zone=user.time_zone,
        effective_time_zone=user.time_zone or settings.time_zone,
        mail_frequency=user.mail_frequency,
        password_changed_at=user.password_changed_at,
    )


@router.get("/account", responses=errors())
def account(ctx: Owner) -> AccountOut:
    """Your account: name, time zone and mail preference."""
    user = ctx.db.get(User, ctx.principal.user_id)
    assert user is not None
    return _account_out(ctx.db, user, ctx.settings)


@router.patch("/account", responses=errors())
def update_account(body: AccountUpdate, ctx: Owner) -> AccountOut:
    """Change your name, time zone (null or "": the group's) or mail preference; fields left
    out stay as they are."""
    user = ctx.db.get(User, ctx.principal.user_id)
    assert user is not None
    given = body.model_fields_set
    profile.update_profile(
        ctx.db,
        ctx.actor,
        user=user,
        name=body.name if "name" in given else None,
        **({"time_zone": body.time_zone} if "time_zone" in given else {}),
        mail_frequency=body.mail_frequency if "mail_frequency" in given else None,
        now=ctx.now,
    )
    return _account_out(ctx.db, user, ctx.settings)
