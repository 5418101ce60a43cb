"""JSON API: who am I, and personal API tokens. (The working group's delegations: app/groups.)"""

from typing import Annotated

from fastapi import Request
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
from app.principal import Principal
from app.web.api_common import api_router, errors
from app.web.deps import Allow, DbSession, Now, SettingsDep, actor_for, keep_writes

router = api_router("", "accounts")


@router.get("/me", responses=errors())
def me(principal: Annotated[Principal, Allow(Action.READ_OWN_ACCOUNT)]) -> MeOut:
    """The person behind the token or session, their role and delegations."""
    acting = principal.acting_delegation
    return MeOut(
        email=principal.email,
        name=principal.name,
        role=principal.role,
        delegations=[DelegationOut(code=d.code, name=d.name) for d in principal.delegations],
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
def list_tokens(
    db: DbSession, principal: Annotated[Principal, Allow(Action.MANAGE_OWN_TOKENS)]
) -> list[TokenOut]:
    """Your personal API tokens (never the secret itself)."""
    return [_token_out(t) for t in service.list_tokens(db, principal.user_id)]


@router.post("/me/tokens", status_code=201, response_model=NewTokenOut, responses=errors(409, 429))
def create_token(
    body: TokenCreate,
    request: Request,
    db: DbSession,
    now: Now,
    settings: SettingsDep,
    principal: Annotated[Principal, Allow(Action.MANAGE_OWN_TOKENS)],
) -> Response:
    """Create a personal API token, from a browser session (not with a token: 403), giving
    your password unless you logged in within 10 minutes. The token is in this response only."""
    if principal.via_token:
        raise PermissionDenied("an API token cannot create API tokens; log in to create one")
    refused = service.reauthenticate(
        db, principal, password=body.password, ip=client_ip(request), now=now, settings=settings
    )
    if refused is not None:
        # Returned, not raised: a wrong password is kept, for the throttle.
        keep_writes(request)
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
        db,
        actor_for(principal, request),
        user=service.user_of(db, principal),
        name=body.name,
        now=now,
        days=body.expires_in_days,
        by=principal,
    )
    out = NewTokenOut(**_token_out(token).model_dump(), token=raw)
    return JSONResponse(out.model_dump(mode="json"), status_code=201)


@router.post("/me/tokens/{token_id}/revoke", responses=errors(404, 409))
def revoke_token(
    token_id: int,
    request: Request,
    db: DbSession,
    now: Now,
    principal: Annotated[Principal, Allow(Action.MANAGE_OWN_TOKENS)],
) -> TokenOut:
    """Revoke one of your API tokens; it stops working at once."""
    service.revoke_token(
        db, actor_for(principal, request), user_id=principal.user_id, token_id=token_id, now=now
    )
    token = db.get(ApiToken, token_id)
    assert token is not None
    return _token_out(token)
