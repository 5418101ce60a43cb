"""Web pages: log in, log out, and the person's own account (delegation, API tokens)."""

import hmac
import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts import service
from app.accounts.passwords import digest
from app.accounts.permissions import Action
from app.accounts.service import Principal
from app.models import User
from app.web.deps import SESSION_COOKIE, Allow, DbRoute, DbSession, Now, SettingsDep, actor_for
from app.web.templating import render

router = APIRouter(route_class=DbRoute, include_in_schema=False)
LOGIN_CSRF_COOKIE = "zd_login_csrf"


def _safe_next(target: str | None) -> str:
    """Only same-site paths; anything else (//evil, https://...) goes to the register."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/register"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/register"


def _secure(request: Request, settings: SettingsDep) -> bool:
    if settings.secure_cookies is not None:
        return settings.secure_cookies
    return request.url.scheme == "https"


def _login_page(
    request: Request,
    settings: SettingsDep,
    *,
    next_: str,
    email: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        {"csrf_token": token, "next": _safe_next(next_), "email": email, "error": error},
        status_code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure(request, settings),
    )
    return response


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/register", status_code=303)


@router.get("/login")
def login_form(request: Request, settings: SettingsDep, next: str = "/register") -> HTMLResponse:
    return _login_page(request, settings, next_=next)


@router.post("/login")
def login(
    request: Request,
    db: DbSession,
    now: Now,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/register",
) -> Response:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, csrf_token):
        return _login_page(
            request,
            settings,
            next_=next,
            email=email,
            error="The log-in form had expired. Please try again.",
            status_code=403,
        )
    ip = request.client.host if request.client else "unknown"
    outcome = service.log_in(db, email=email, password=password, ip=ip, now=now, settings=settings)
    if outcome.principal is None or outcome.cookie_value is None:
        # Returned, not raised: the failed attempt must be committed for throttling to work.
        page = _login_page(
            request,
            settings,
            next_=next,
            email=email,
            error=outcome.error,
            status_code=429 if outcome.throttled else 401,
        )
        if outcome.retry_after is not None:
            page.headers["Retry-After"] = str(outcome.retry_after)
        return page
    # Whatever session id the browser came with (one planted by someone else, or an earlier
    # log-in) ends here: only the new one, issued now, is valid.
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:
        service.log_out(db, digest(previous), now=now)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        outcome.cookie_value,
        httponly=True,
        samesite="lax",
        secure=_secure(request, settings),
        max_age=settings.session_absolute_hours * 3600,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(
    db: DbSession,
    now: Now,
    principal: Annotated[Principal, Allow(Action.READ_OWN_ACCOUNT)],
) -> RedirectResponse:
    if principal.session_id:
        service.log_out(db, principal.session_id, now=now)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _account_page(
    request: Request,
    db: DbSession,
    principal: Principal,
    *,
    new_token: str | None = None,
    message: str | None = None,
) -> HTMLResponse:
    return render(
        request,
        "account.html",
        {
            "tokens": service.list_tokens(db, principal.user_id),
            "new_token": new_token,
            "message": message,
        },
    )


@router.get("/account")
def account(
    request: Request,
    db: DbSession,
    principal: Annotated[Principal, Allow(Action.READ_OWN_ACCOUNT)],
) -> HTMLResponse:
    return _account_page(request, db, principal)


@router.post("/account/delegation")
def switch_delegation(
    request: Request,
    db: DbSession,
    principal: Annotated[Principal, Allow(Action.READ_OWN_ACCOUNT)],
    delegation: Annotated[str, Form(max_length=32)],
) -> HTMLResponse:
    chosen = service.switch_delegation(db, principal, delegation)
    return _account_page(request, db, principal, message=f"You now act for {chosen.name}.")


@router.post("/account/tokens")
def create_token(
    request: Request,
    db: DbSession,
    now: Now,
    principal: Annotated[Principal, Allow(Action.MANAGE_OWN_TOKENS)],
    name: Annotated[str, Form(max_length=100)] = "API token",
) -> HTMLResponse:
    user = db.get(User, principal.user_id)
    assert user is not None
    _, raw = service.create_token(db, actor_for(principal, request), user=user, name=name, now=now)
    return _account_page(request, db, principal, new_token=raw)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(
    token_id: int,
    request: Request,
    db: DbSession,
    now: Now,
    principal: Annotated[Principal, Allow(Action.MANAGE_OWN_TOKENS)],
) -> HTMLResponse:
    service.revoke_token(
        db, actor_for(principal, request), user_id=principal.user_id, token_id=token_id, now=now
    )
    return _account_page(request, db, principal, message="The token was revoked.")
