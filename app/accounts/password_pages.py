"""Pages for people who are not logged in: accepting an invitation, asking for a forgotten
password to be reset, and choosing the new one from the mailed link.

Their forms are protected against cross-site posting as the log-in form is: a random value in a
SameSite=Strict cookie, repeated in a hidden field (app/accounts/pages.py). A problem with a link
(unknown, used, replaced, expired, for a disabled account) is a page that says so and what to do,
never an error trace.
"""

import asyncio
import secrets
import time
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.accounts import invitations, password_service
from app.accounts.login_flow import client_ip, continue_log_in, secure_cookies
from app.accounts.passwords import digest
from app.config import Settings
from app.errors import InvalidInput
from app.models import AccountLink, User
from app.signing import equal
from app.web import forms
from app.web.deps import DbRoute, DbSession, Now, SettingsDep, cookie_name
from app.web.templating import render

router = APIRouter(route_class=DbRoute, include_in_schema=False)

FORM_CSRF_COOKIE = "zd_form_csrf"
EXPIRED_FORM = "The form had expired. Please try again."
Password = Annotated[str, Form(max_length=password_service.MAX_PASSWORD_LENGTH)]
CsrfField = Annotated[str, Form(max_length=200)]


def _page(
    request: Request,
    settings: Settings,
    template: str,
    context: dict[str, Any],
    status_code: int = 200,
) -> HTMLResponse:
    """A logged-out form page, with a fresh anti-forgery value in its cookie and hidden field."""
    token = secrets.token_urlsafe(24)
    response = render(request, template, {"csrf_token": token} | context, status_code)
    response.set_cookie(
        cookie_name(settings, FORM_CSRF_COOKIE),
        token,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request, settings),
    )
    return response


def _forged(request: Request, settings: Settings, submitted: str) -> bool:
    cookie = request.cookies.get(cookie_name(settings, FORM_CSRF_COOKIE), "")
    return not cookie or not equal(submitted, cookie)


def _refused(field: str | None, message: str) -> forms.Form:
    """A form shown again with one problem (None: the form as a whole)."""
    return forms.Form(problems=[forms.Problem(field, message)])


def _link_problem(
    request: Request, db: Session, token: str, problem: InvalidInput, *, invitation: bool
) -> HTMLResponse:
    """The page for a link that cannot be used: 404 for a token nobody issued, 410 for one that
    was used, replaced or has expired, 403 for a disabled account's."""
    known = 20 <= len(token) <= 200 and (
        db.scalar(select(AccountLink.id).where(AccountLink.token_hash == digest(token))) is not None
    )
    status = 404 if not known else 403 if "disabled" in problem.detail else 410
    what = "invitation" if invitation else "password reset link"
    return render(
        request,
        "link_problem.html",
        {
            "heading": f"This {what} cannot be used",
            "detail": problem.detail,
            "invitation": invitation,
        },
        status,
    )


# --- Accepting an invitation --------------------------------------------------------------


def _invitation_page(
    request: Request,
    db: Session,
    settings: Settings,
    *,
    token: str,
    link: AccountLink,
    person: User,
    form: forms.Form | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    form = form or forms.Form()
    return _page(
        request,
        settings,
        "invitation.html",
        {
            "token": token,
            "person": person,
            "delegations": invitations.delegations_of(db, person.id),
            "expires": link.expires_at,
            "needs_second_factor": person.role.value in settings.mfa_roles,
            "min_length": password_service.min_length_for(db, settings, person),
            "errors": form.errors,
            "problems": form.problems,
        },
        status_code,
    )


@router.get("/invitation/{token}")
def invitation_form(
    token: str, request: Request, db: DbSession, now: Now, settings: SettingsDep
) -> HTMLResponse:
    try:
        link, person = invitations.usable_invitation(db, token, now=now)
    except InvalidInput as problem:
        return _link_problem(request, db, token, problem, invitation=True)
    return _invitation_page(request, db, settings, token=token, link=link, person=person)


@router.post("/invitation/{token}")
def accept_invitation(
    token: str,
    request: Request,
    db: DbSession,
    now: Now,
    settings: SettingsDep,
    password: Password = "",
    repeat: Password = "",
    csrf_token: CsrfField = "",
) -> Response:
    try:
        link, person = invitations.usable_invitation(db, token, now=now)
    except InvalidInput as problem:
        return _link_problem(request, db, token, problem, invitation=True)
    if _forged(request, settings, csrf_token):
        return _invitation_page(
            request,
            db,
            settings,
            token=token,
            link=link,
            person=person,
            form=_refused(None, EXPIRED_FORM),
            status_code=403,
        )
    try:
        user = invitations.accept(
            db, token=token, password=password, repeat=repeat, now=now, settings=settings
        )
    except InvalidInput as problem:
        if problem.extra.get("field") == "token":  # used at this very moment in another tab
            return _link_problem(request, db, token, problem, invitation=True)
        return _invitation_page(
            request,
            db,
            settings,
            token=token,
            link=link,
            person=person,
            form=_refused(str(problem.extra.get("field")), problem.detail.capitalize() + "."),
            status_code=422,
        )
    response = continue_log_in(request, db, settings, now, user, "/register")
    response.delete_cookie(
        cookie_name(settings, FORM_CSRF_COOKIE), secure=secure_cookies(request, settings)
    )
    return response


# --- Forgotten password -------------------------------------------------------------------


def _forgot_page(
    request: Request,
    settings: Settings,
    *,
    email: str = "",
    sent: bool = False,
    form: forms.Form | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    form = form or forms.Form()
    return _page(
        request,
        settings,
        "password_forgot.html",
        {"email": email, "sent": sent, "errors": form.errors, "problems": form.problems},
        status_code,
    )


@router.get("/password/forgot")
def forgot_form(request: Request, settings: SettingsDep) -> HTMLResponse:
    return _forgot_page(request, settings)


# The least time the forgotten-password form takes to answer once it has looked the address up.
# Mailing a link (a link, a mail and an audit event written and committed) takes several
# milliseconds more than finding no account; measured from outside, that would tell which
# addresses have an account. Every answer waits until this much time has passed (on the event
# loop: no thread is held meanwhile).
FORGOT_ANSWER_SECONDS = 0.25


@router.post("/password/forgot")
async def forgot(
    request: Request,
    db: DbSession,
    now: Now,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=254)] = "",
    csrf_token: CsrfField = "",
) -> Response:
    if _forged(request, settings, csrf_token):
        return _forgot_page(
            request, settings, email=email, form=_refused(None, EXPIRED_FORM), status_code=403
        )
    started = time.monotonic()
    answer = await run_in_threadpool(_forgot, request, db, now, settings, email)
    return _SentAt(answer, started + FORGOT_ANSWER_SECONDS)


class _SentAt(Response):
    """An answer sent no sooner than `at` (time.monotonic()). The wait is in the sending, after
    the request's session has ended and its place among the requests at work is free
    (app/web/deps.py), so clients asking again and again hold neither."""

    def __init__(self, answer: Response, at: float) -> None:
        self.answer = answer
        self.at = at
        self.status_code = answer.status_code
        self.background = None
        self.raw_headers = answer.raw_headers

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await asyncio.sleep(max(0.0, self.at - time.monotonic()))
        await self.answer(scope, receive, send)


def _forgot(
    request: Request, db: Session, now: datetime, settings: Settings, email: str
) -> HTMLResponse:
    try:
        password_service.request_reset(
            db, email=email, ip=client_ip(request), now=now, settings=settings
        )
    except InvalidInput as problem:
        return _forgot_page(
            request,
            settings,
            email=email,
            form=_refused("email", problem.detail.capitalize() + "."),
            status_code=422,
        )
    # Committed here, not after the answer (DbRoute), so that the time it takes is inside the
    # wait above.
    db.commit()
    # The same answer whether or not the address has an account, and whether or not a mail
    # went (the hourly limit).
    return _forgot_page(request, settings, email=email.strip(), sent=True)


# --- Choosing the new password from the mailed link ----------------------------------------


def _reset_page(
    request: Request,
    db: Session,
    settings: Settings,
    *,
    token: str,
    person: User,
    form: forms.Form | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    form = form or forms.Form()
    return _page(
        request,
        settings,
        "password_reset.html",
        {
            "token": token,
            "person": person,
            "min_length": password_service.min_length_for(db, settings, person),
            "errors": form.errors,
            "problems": form.problems,
        },
        status_code,
    )


@router.get("/password/reset/{token}")
def reset_form(
    token: str, request: Request, db: DbSession, now: Now, settings: SettingsDep
) -> HTMLResponse:
    try:
        _, person = password_service.usable_reset_link(db, token, now=now)
    except InvalidInput as problem:
        return _link_problem(request, db, token, problem, invitation=False)
    return _reset_page(request, db, settings, token=token, person=person)


@router.post("/password/reset/{token}")
def reset(
    token: str,
    request: Request,
    db: DbSession,
    now: Now,
    settings: SettingsDep,
    password: Password = "",
    repeat: Password = "",
    csrf_token: CsrfField = "",
) -> Response:
    try:
        _, person = password_service.usable_reset_link(db, token, now=now)
    except InvalidInput as problem:
        return _link_problem(request, db, token, problem, invitation=False)
    if _forged(request, settings, csrf_token):
        return _reset_page(
            request,
            db,
            settings,
            token=token,
            person=person,
            form=_refused(None, EXPIRED_FORM),
            status_code=403,
        )
    try:
        password_service.reset_password(
            db,
            token=token,
            new=password,
            repeat=repeat,
            ip=client_ip(request),
            now=now,
            settings=settings,
        )
    except InvalidInput as problem:
        if problem.extra.get("field") == "token":
            return _link_problem(request, db, token, problem, invitation=False)
        return _reset_page(
            request,
            db,
            settings,
            token=token,
            person=person,
            form=_refused(str(problem.extra.get("field")), problem.detail.capitalize() + "."),
            status_code=422,
        )
    # To the log-in form rather than straight in: every session has just ended, and logging in
    # with the new password is the same path (second factor included) as every other day, and
    # shows the person at once that the new password works.
    response = RedirectResponse("/login?done=reset", status_code=303)
    response.delete_cookie(
        cookie_name(settings, FORM_CSRF_COOKIE), secure=secure_cookies(request, settings)
    )
    return response
