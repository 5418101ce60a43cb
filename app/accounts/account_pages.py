"""The person's own account page: their details (name, time zone), mail preference, password,
live sessions, the delegation they act for and their API tokens.

Each form posts to its own address and, done, goes back to the page with a message (`?done=`),
so that reloading the page never sends a form twice; a refused form is shown again with what
was wrong.
"""

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts import password_service, profile, service
from app.accounts.login_flow import client_ip
from app.accounts.permissions import Action
from app.errors import InvalidInput, NotFound, PermissionDenied
from app.models import MailFrequency
from app.timezones import zone_choices
from app.web import forms
from app.web.deps import Context, DbRoute, RequestContext, keep_writes
from app.web.templating import render

router = APIRouter(route_class=DbRoute, include_in_schema=False)

Owner = Annotated[RequestContext, Context(Action.READ_OWN_ACCOUNT)]
TokenOwner = Annotated[RequestContext, Context(Action.MANAGE_OWN_TOKENS)]
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
    ctx: RequestContext,
    *,
    new_token: str | None = None,
    message: str | None = None,
    form: forms.Form | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    user = service.user_of(ctx.db, ctx.principal)
    form = form or forms.Form()
    asean, other = zone_choices(ctx.now)
    shown = {"name": user.name, "time_zone": user.time_zone or ""} | form.values
    return render(
        ctx.request,
        "account.html",
        {
            "user": user,
            "tokens": service.list_tokens(ctx.db, ctx.principal.user_id),
            "new_token": new_token,
            "message": message,
            "errors": form.errors,
            "problems": form.problems,
            "values": shown,
            "asean_zones": asean,
            "other_zones": other,
            "frequencies": list(MailFrequency),
            "sessions": profile.live_sessions(
                ctx.db,
                user.id,
                current=ctx.principal.session_id,
                now=ctx.now,
                settings=ctx.settings,
            ),
            "min_length": password_service.min_length_for(ctx.db, ctx.settings, user),
            "now": ctx.now,
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


def _refused(field: str, message: str, **values: str) -> forms.Form:
    """The account page's form shown again: one problem, and what was typed (not passwords)."""
    return forms.Form(dict(values), [forms.Problem(field, message)])


@router.get("/account")
def account(ctx: Owner, done: str = "") -> HTMLResponse:
    return _account_page(ctx, message=DONE_MESSAGES.get(done))


@router.post("/account/details")
def save_details(
    ctx: Owner,
    name: Annotated[str, Form(max_length=1000)] = "",
    time_zone: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        changed = profile.update_profile(
            ctx.db,
            ctx.actor,
            user=service.user_of(ctx.db, ctx.principal),
            name=name,
            time_zone=time_zone,
            now=ctx.now,
        )
    except InvalidInput as problem:
        field = str(problem.extra.get("field"))
        return _account_page(
            ctx,
            form=_refused(field, _sentence(problem), name=name, time_zone=time_zone),
            status_code=422,
        )
    return _done("zone" if "time_zone" in changed else "details")


@router.post("/account/mail")
def save_mail_preference(
    ctx: Owner, mail_frequency: Annotated[str, Form(max_length=32)] = ""
) -> Response:
    try:
        if not mail_frequency:
            raise InvalidInput("choose how you want to receive mail", field="mail_frequency")
        profile.update_profile(
            ctx.db,
            ctx.actor,
            user=service.user_of(ctx.db, ctx.principal),
            mail_frequency=mail_frequency,
            now=ctx.now,
        )
    except InvalidInput as problem:
        return _account_page(
            ctx,
            form=_refused("mail_frequency", _sentence(problem)),
            status_code=422,
        )
    return _done("mail")


@router.post("/account/password")
def change_password(
    ctx: Owner, current: Password = "", password: Password = "", repeat: Password = ""
) -> Response:
    def refused(field: str, message: str, status_code: int) -> HTMLResponse:
        return _account_page(ctx, form=_refused(field, message), status_code=status_code)

    if not current:
        return refused("current", "Enter your current password.", 422)
    # The current password is checked as a log-in is, throttle included: a stolen session
    # cannot be used to guess it. Returned, not raised: the failure must be kept.
    user, refusal = service.check_password(
        ctx.db,
        email=ctx.principal.email,
        password=current,
        ip=client_ip(ctx.request),
        now=ctx.now,
        settings=ctx.settings,
    )
    if user is None:
        assert refusal is not None
        keep_writes(ctx.request)
        if refusal.throttled:
            page = refused("current", refusal.error or "Too many attempts.", 429)
            page.headers["Retry-After"] = str(refusal.retry_after or 60)
            return page
        return refused("current", "Your current password is not correct.", 422)
    try:
        password_service.change_password(
            ctx.db,
            ctx.actor,
            user=user,
            new=password,
            repeat=repeat,
            keep_session=ctx.principal.session_id,
            ip=client_ip(ctx.request),
            now=ctx.now,
            settings=ctx.settings,
        )
    except InvalidInput as problem:
        return refused(str(problem.extra.get("field")), _sentence(problem), 422)
    return _done("password")


@router.post("/account/sessions/{handle}/end")
def end_session(handle: str, ctx: Owner) -> Response:
    try:
        profile.end_session(
            ctx.db,
            ctx.actor,
            user_id=ctx.principal.user_id,
            handle=handle,
            current=ctx.principal.session_id,
            now=ctx.now,
        )
    except (InvalidInput, NotFound) as problem:
        status = 404 if isinstance(problem, NotFound) else 422
        return _account_page(
            ctx,
            form=_refused("sessions", _sentence(problem)),
            status_code=status,
        )
    return _done("session")


@router.post("/account/sessions/end-others")
def end_other_sessions(ctx: Owner) -> RedirectResponse:
    ended = profile.end_all_other_sessions(
        ctx.db,
        ctx.actor,
        user_id=ctx.principal.user_id,
        current=ctx.principal.session_id,
        now=ctx.now,
    )
    return _done("sessions" if ended else "no_sessions")


@router.post("/account/delegation")
def switch_delegation(ctx: Owner, delegation: Annotated[str, Form(max_length=32)]) -> HTMLResponse:
    chosen = service.switch_delegation(ctx.db, ctx.principal, delegation)
    return _account_page(ctx, message=f"You now act for {chosen.name}.")


@router.post("/account/tokens")
def create_token(
    ctx: TokenOwner,
    name: Annotated[str, Form(max_length=100)] = "API token",
    expires_in_days: Annotated[int, Form(ge=1, le=service.MAX_TOKEN_DAYS)] = service.TOKEN_DAYS,
    password: Password = "",
) -> HTMLResponse:
    if ctx.principal.via_token:
        raise PermissionDenied("an API token cannot create API tokens; log in to create one")
    refused = service.reauthenticate(
        ctx.db,
        ctx.principal,
        password=password,
        ip=client_ip(ctx.request),
        now=ctx.now,
        settings=ctx.settings,
    )
    if refused is not None:
        # Returned, not raised: a wrong password is kept, for the throttle.
        keep_writes(ctx.request)
        page = _account_page(
            ctx,
            # What the person chose is kept for their second try.
            form=_refused(
                "token-password",
                refused.error or "Enter your password.",
                token_name=name,
                token_days=str(expires_in_days),
            ),
            status_code=429 if refused.throttled else 422,
        )
        if refused.retry_after is not None:
            page.headers["Retry-After"] = str(refused.retry_after)
        return page
    _, raw = service.create_token(
        ctx.db,
        ctx.actor,
        user=service.user_of(ctx.db, ctx.principal),
        name=name,
        now=ctx.now,
        days=expires_in_days,
        by=ctx.principal,
    )
    return _account_page(ctx, new_token=raw)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(token_id: int, ctx: TokenOwner) -> HTMLResponse:
    service.revoke_token(
        ctx.db, ctx.actor, user_id=ctx.principal.user_id, token_id=token_id, now=ctx.now
    )
    return _account_page(ctx, message="The token was revoked.")
