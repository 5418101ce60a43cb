"""JSON API: who am I, and personal API tokens. (The working group's delegations: app/groups.)"""

from typing import Annotated

from fastapi.responses import JSONResponse, Response

from app.accounts import service
from app.accounts.login_flow import client_ip
from app.accounts.permissions import Action
from app.accounts.schemas import (
    DelegationOut,
    MeOut,
    NewTokenOut,
    TokenCreate,
    TokenOut,
)
from app.errors import PermissionDenied
from app.models import ApiToken
from app.web.api_common import api_router, errors
from app.web.deps import Context, RequestContext, keep_writes

router = api_router("", "accounts")

Owner = Annotated[RequestContext, Context(Action.READ_OWN_ACCOUNT)]
TokenOwner = Annotated[RequestContext, Context(Action.MANAGE_OWN_TOKENS)]


@router.get("/me", responses=errors())
def me(ctx: Owner) -> MeOut:
    """The person behind the token or session, their role and delegations."""
    acting = ctx.principal.acting_delegation
    return MeOut(
        email=ctx.principal.email,
        name=ctx.principal.name,
        role=ctx.principal.role,
        delegations=[DelegationOut(code=d.code, name=d.name) for d in ctx.principal.delegations],
        acting_delegation=DelegationOut(code=acting.code, name=acting.name) if acting else None,
    )


def _token_out(token: ApiToken) -> TokenOut:
    return TokenOut(
        id=token.id,
        name=token.name,
        prefix=token.prefix,
        created_at=token.created_at,
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
    )


@router.get("/me/tokens", responses=errors())
def list_tokens(ctx: TokenOwner) -> list[TokenOut]:
    """Your personal API tokens (never the secret itself)."""
    return [_token_out(t) for t in service.list_tokens(ctx.db, ctx.principal.user_id)]


@router.post("/me/tokens", status_code=201, response_model=NewTokenOut, responses=errors(409, 429))
def create_token(body: TokenCreate, ctx: TokenOwner) -> Response:
    """Create a personal API token, from a browser session (not with a token: 403), giving
    your password unless you logged in within 10 minutes. The token is in this response only."""
    if ctx.principal.via_token:
        raise PermissionDenied("an API token cannot create API tokens; log in to create one")
    refused = service.reauthenticate(
        ctx.db,
        ctx.principal,
        password=body.password,
        ip=client_ip(ctx.request),
        now=ctx.now,
        settings=ctx.settings,
    )
    if refused is not None:
        # Returned, not raised: a wrong password is kept, for the throttle.
        keep_writes(ctx.request)
        status = 429 if refused.throttled else 422
        answer = JSONResponse(
            {
                "error": "too_many_requests" if refused.throttled else "invalid",
                "detail": refused.error,
            }
            | {"field": "password"},
            status_code=status,
        )
        if refused.retry_after is not None:
            answer.headers["Retry-After"] = str(refused.retry_after)
        return answer
    token, raw = service.create_token(
        ctx.db,
        ctx.actor,
        user=service.user_of(ctx.db, ctx.principal),
        name=body.name,
        now=ctx.now,
        days=body.expires_in_days,
        by=ctx.principal,
    )
    out = NewTokenOut(**_token_out(token).model_dump(), token=raw)
    return JSONResponse(out.model_dump(mode="json"), status_code=201)


@router.post("/me/tokens/{token_id}/revoke", responses=errors(404, 409))
def revoke_token(token_id: int, ctx: TokenOwner) -> TokenOut:
    """Revoke one of your API tokens; it stops working at once."""
    service.revoke_token(
        ctx.db, ctx.actor, user_id=ctx.principal.user_id, token_id=token_id, now=ctx.now
    )
    token = ctx.db.get(ApiToken, token_id)
    assert token is not None
    return _token_out(token)
