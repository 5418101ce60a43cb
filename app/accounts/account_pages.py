"""The person's own account page: their details (name, time zone), mail preference, password,
live sessions, the delegation they act for and their API tokens.

Each form posts to its own address and, done, goes back to the page with a message (`?done=`),
so that reloading the page never sends a form twice; a refused form is shown again with what
was wrong.
"""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app.accounts import password_service, profile, service
from app.accounts.login_flow import client_ip
from app.accounts.permissions import Action
from app.config import Settings
from app.errors import InvalidInput, NotFound, PermissionDenied
from app.models import MailFrequency
from app.principal import Principal
from app.timezones import zone_choices
from app.web.deps import Allow, DbRoute, DbSession, Now, SettingsDep, actor_for, keep_writes
from app.web.templating import render

router = APIRouter(route_class=DbRoute, include_in_schema=False)

Owner = Annotated[Principal, Allow(Action.READ_OWN_ACCOUNT)]
Password = Annotated[str, Form(max_length=password_service.MAX_PASSWORD_LENGTH)]

TOKEN_LIFETIMES = [(30, "30 days"), (90, "90 days"), (180, "180 days"), (365, "A year")]

DONE_MESSAGES = {
    "details": "Your details were saved.",
    "zone": "Your details were saved. Dates and deadlines are now shown in your time zone.",
    "mail": "Your mail preference was saved.",
    "password": "Your password was changed. Your other sessions were logged out, and we sent "
    "you a mail to confirm the change.",
    "session": "The session was ended.",
    "sessions": "Your other sessions were ended.",
    "no_sessions": "You had no other sessions.",
}


def _account_page(
    request: Request,
    db: Session,
    principal: Principal,
    now: datetime,
    settings: Settings,
    *,
    new_token: str | None = None,
    message: str | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    user = service.user_of(db, principal)
    errors = errors or {}
    asean, other = zone_choices(now)
    shown = {"name": user.name, "time_zone": user.time_zone or ""} | (values or {})
    return render(
        request,
        "account.html",
        {
            "user": user,
            "tokens": service.list_tokens(db, principal.user_id),
            "new_token": new_token,
            "message": message,
            "errors": errors,
            "problems": [(f, m) for f, m in errors.items()],
            "values": shown,
            "asean_zones": asean,
            "other_zones": other,
            "frequencies": list(MailFrequency),
            "sessions": profile.live_sessions(
                db, user.id, current=principal.session_id, now=now, settings=settings
            ),
            "min_length": password_service.min_length_for(db, settings, user),
            "now": now,
            "token_lifetimes": TOKEN_LIFETIMES,
            "default_token_days": service.TOKEN_DAYS,
            "recent_minutes": int(service.RECENT_LOG_IN.total_seconds() // 60),
        },
        status_code,
    )


def _done(key: str) -> RedirectResponse:
    return RedirectResponse(f"/account?done={key}", status_code=303)


def _sentence(problem: InvalidInput | NotFound) -> str:
    return problem.detail[:1].upper() + problem.detail[1:] + "."


@router.get("/account")
def account(
    request: Request,
    db: DbSession,
    now: Now,
    settings: SettingsDep,
    principal: Owner,
    done: str = "",
) -> HTMLResponse:
    return _account_page(request, db, principal, now, settings, message=DONE_MESSAGES.get(done))


@router.post("/account/details")
def save_details(
    request: Request,
    db: DbSession,
    now: Now,
    settings: SettingsDep,
    principal: Owner,
    name: Annotated[str, Form(max_length=1000)] = "",
    time_zone: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        changed = profile.update_profile(
            db,
            actor_for(principal, request),
            user=service.user_of(db, principal),
            name=name,
            time_zone=time_zone,
            now=now,
        )
    except InvalidInput as problem:
        field = str(problem.extra.get("field"))
        return _account_page(
            request,
            db,
            principal,
            now,
            settings,
            errors={field: _sentence(problem)},
            values={"name": name, "time_zone": time_zone},
            status_code=422,
        )
    return _done("zone" if "time_zone" in changed else "details")


@router.post("/account/mail")
def save_mail_preference(
    request: Request,
    db: DbSession,
    now: Now,
    settings: SettingsDep,
    principal: Owner,
    mail_frequency: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    try:
        if not mail_frequency:
            raise InvalidInput("choose how you want to receive mail", field="mail_frequency")
        profile.update_profile(
            db,
            actor_for(principal, request),
            user=service.user_of(db, principal),
            mail_frequency=mail_frequency,
            now=now,
        )
    except InvalidInput as problem:
        return _account_page(
            request,
            db,
            principal,
            now,
            settings,
            errors={"mail_frequency": _sentence(problem)},
            status_code=422,
        )
    return _done("mail")


@router.post("/account/password")
def change_password(
    request: Request,
    db: DbSession,
    now: Now,
    settings: SettingsDep,
    principal: Owner,
    current: Password = "",
    password: Password = "",
    repeat: Password = "",
) -> Response:
    def refused(field: str, message: str, status_code: int) -> HTMLResponse:
        return _account_page(
            request, db, principal, now, settings, errors={field: message}, status_code=status_code
        )

    if not current:
        return refused("current", "Enter your current password.", 422)
    # The current password is checked as a log-in is, throttle included: a stolen session
    # cannot be used to guess it. Returned, not raised: the failure must be kept.
    user, refusal = service.check_password(
        db,
        email=principal.email,
        password=current,
        ip=client_ip(request),
        now=now,
        settings=settings,
    )
    if user is None:
        assert refusal is not None
        keep_writes(request)
        if refusal.throttled:
            page = refused("current", refusal.error or "Too many attempts.", 429)
            page.headers["Retry-After"] = str(refusal.retry_after or 60)
            return page
        return refused("current", "Your current password is not correct.", 422)
    try:
        password_service.change_password(
            db,
            actor_for(principal, request),
            user=user,
            new=password,
            repeat=repeat,
            keep_session=principal.session_id,
            ip=client_ip(request),
            now=now,
            settings=settings,
        )
    except InvalidInput as problem:
        return refused(str(problem.extra.get("field")), _sentence(problem), 422)
    return _done("password")


@router.post("/account/sessions/{handle}/end")
def end_session(
    handle: str,
    request: Request,
    db: DbSession,
    now: Now,
    settings: SettingsDep,
    principal: Owner,
) -> Response:
    try:
        profile.end_session(
            db,
            actor_for(principal, request),
            user_id=principal.user_id,
            handle=handle,
            current=principal.session_id,
            now=now,
        )
    except (InvalidInput, NotFound) as problem:
        status = 404 if isinstance(problem, NotFound) else 422
        return _account_page(
            request,
            db,
            principal,
            now,
            settings,
            errors={"sessions": _sentence(problem)},
            status_code=status,
        )
    return _done("session")


@router.post("/account/sessions/end-others")
def end_other_sessions(
    request: Request, db: DbSession, now: Now, principal: Owner
) -> RedirectResponse:
    ended = profile.end_all_other_sessions(
        db,
        actor_for(principal, request),
        user_id=principal.user_id,
        current=principal.session_id,
        now=now,
    )
    return _done("sessions" if ended else "no_sessions")


@router.post("/account/delegation")
def switch_delegation(
    request: Request,
    db: DbSession,
    now: Now,
    settings: SettingsDep,
    principal: Owner,
    delegation: Annotated[str, Form(max_length=32)],
) -> HTMLResponse:
    chosen = service.switch_delegation(db, principal, delegation)
    return _account_page(
        request, db, principal, now, settings, message=f"You now act for {chosen.name}."
    )


@router.post("/account/tokens")
def create_token(
    request: Request,
    db: DbSession,
    now: Now,
    settings: SettingsDep,
    principal: Annotated[Principal, Allow(Action.MANAGE_OWN_TOKENS)],
    name: Annotated[str, Form(max_length=100)] = "API token",
    expires_in_days: Annotated[int, Form(ge=1, le=service.MAX_TOKEN_DAYS)] = service.TOKEN_DAYS,
    password: Password = "",
) -> HTMLResponse:
    if principal.via_token:
        raise PermissionDenied("an API token cannot create API tokens; log in to create one")
    refused = service.reauthenticate(
        db, principal, password=password, ip=client_ip(request), now=now, settings=settings
    )
    if refused is not None:
        # Returned, not raised: a wrong password is kept, for the throttle.
        keep_writes(request)
        page = _account_page(
            request,
            db,
            principal,
            now,
            settings,
            errors={"token-password": refused.error or "Enter your password."},
            status_code=429 if refused.throttled else 422,
        )
        if refused.retry_after is not None:
            page.headers["Retry-After"] = str(refused.retry_after)
        return page
    _, raw = service.create_token(
        db,
        actor_for(principal, request),
        user=service.user_of(db, principal),
        name=name,
        now=now,
        days=expires_in_days,
        by=principal,
    )
    return _account_page(request, db, principal, now, settings, new_token=raw)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(
    token_id: int,
    request: Request,
    db: DbSession,
    now: Now,
    settings: SettingsDep,
    principal: Annotated[Principal, Allow(Action.MANAGE_OWN_TOKENS)],
) -> HTMLResponse:
    service.revoke_token(
        db, actor_for(principal, request), user_id=principal.user_id, token_id=token_id, now=now
    )
    return _account_page(request, db, principal, now, settings, message="The token was revoked.")
