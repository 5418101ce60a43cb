"""Web pages: log in and log out. (The account page: app/accounts/account_pages.py.)"""

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts import password_policy, service
from app.accounts.login_flow import (
    RESTART_MESSAGES,
    client_ip,
    continue_log_in,
    login_csrf_cookie,
    safe_next,
    secure_cookies,
)
from app.accounts.permissions import Action
from app.signing import equal
from app.web.deps import (
    Context,
    DbRoute,
    DbSession,
    Now,
    RequestContext,
    SettingsDep,
    keep_writes,
    session_cookie,
)
from app.web.templating import render

router = APIRouter(route_class=DbRoute, include_in_schema=False)

Owner = Annotated[RequestContext, Context(Action.READ_OWN_ACCOUNT)]


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
        {"csrf_token": token, "next": safe_next(next_), "email": email, "error": error},
        status_code,
    )
    response.set_cookie(
        login_csrf_cookie(settings),
        token,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request, settings),
    )
    return response


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/register", status_code=303)


@router.get("/login")
def login_form(
    request: Request, settings: SettingsDep, next: str = "/register", restart: str = ""
) -> HTMLResponse:
    # `restart`: why a half-done log-in (app/accounts/mfa_pages.py) sent the person back here.
    return _login_page(request, settings, next_=next, error=RESTART_MESSAGES.get(restart))


@router.post("/login")
def login(
    request: Request,
    db: DbSession,
    now: Now,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=password_policy.MAX_LENGTH)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/register",
) -> Response:
    cookie = request.cookies.get(login_csrf_cookie(settings), "")
    if not cookie or not equal(csrf_token, cookie):
        return _login_page(
            request,
            settings,
            next_=next,
            email=email,
            error="The log-in form had expired. Please try again.",
            status_code=403,
        )
    user, refused = service.check_password(
        db, email=email, password=password, ip=client_ip(request), now=now, settings=settings
    )
    if user is None:
        assert refused is not None
        # Returned, not raised: the failed attempt must be committed for throttling to work.
        keep_writes(request)
        page = _login_page(
            request,
            settings,
            next_=next,
            email=email,
            error=refused.error,
            status_code=429 if refused.throttled else 401,
        )
        if refused.retry_after is not None:
            page.headers["Retry-After"] = str(refused.retry_after)
        return page
    return continue_log_in(request, db, settings, now, user, next)


@router.post("/logout")
def logout(ctx: Owner) -> RedirectResponse:
    if ctx.principal.session_id:
        service.log_out(ctx.db, ctx.principal.session_id, now=ctx.now)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(
        session_cookie(ctx.settings), secure=secure_cookies(ctx.request, ctx.settings)
    )
    return response
