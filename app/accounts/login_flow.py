"""The end of every way into a browser session: the log-in form, an accepted invitation, and
(app/accounts/mfa_pages.py) a second factor given or set up.

`continue_log_in` is called once the password is known to be right. Where the person's role
requires a second factor, or they have set one up, it is the place that sends them to give it
(or set it up) before any session exists; otherwise it opens the session and sets its cookie.
"""

from datetime import datetime
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from app.accounts import second_factor, service
from app.accounts.passwords import digest
from app.config import Settings
from app.models import User
from app.web.deps import always_secure, cookie_name, session_cookie

LOGIN_CSRF_COOKIE = "zd_login_csrf"
# The half-done log-in (second_factor.start_challenge): sent only to the /login pages.
CHALLENGE_COOKIE = "zd_login_challenge"
CHALLENGE_COOKIE_PATH = "/login"
# Why a half-done log-in sent the person back to the log-in page (/login?restart=<key>).
RESTART_MESSAGES = {
    "expired": "Your log-in was not finished in time, or was started again elsewhere. "
    "Please log in again.",
    "failed": "Too many wrong codes were entered. Please log in again.",
    "disabled": "This account has been disabled. If you think this is a mistake, contact the "
    "ASEAN Secretariat.",
}


def safe_next(target: str | None) -> str:
    """Only same-site paths; anything else (//evil, https://...) goes to the register."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/register"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/register"


def secure_cookies(request: Request, settings: Settings) -> bool:
    if always_secure(settings):
        return True
    if settings.secure_cookies is not None:
        return settings.secure_cookies
    return request.url.scheme == "https"


def login_csrf_cookie(settings: Settings) -> str:
    return cookie_name(settings, LOGIN_CSRF_COOKIE)


def challenge_cookie(settings: Settings) -> str:
    return cookie_name(settings, CHALLENGE_COOKIE, path=CHALLENGE_COOKIE_PATH)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def continue_log_in(
    request: Request,
    db: Session,
    settings: Settings,
    now: datetime,
    user: User,
    next_path: str,
) -> Response:
    """The answer once `user`'s password has been checked: on to the second factor (or its
    set-up, where the role requires one), or straight into a new session."""
    step = second_factor.next_step(db, settings, user)
    if step is None:
        return open_session_response(request, db, settings, now, user, next_path)
    cookie_value = second_factor.start_challenge(
        db,
        user,
        purpose=step,
        next_path=safe_next(next_path),
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
        now=now,
    )
    response = RedirectResponse(f"/login/{step}", status_code=303)
    response.set_cookie(
        challenge_cookie(settings),
        cookie_value,
        max_age=int(second_factor.CHALLENGE_LIFETIME.total_seconds()),
        path=CHALLENGE_COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request, settings),
    )
    return response


def open_session_response(
    request: Request,
    db: Session,
    settings: Settings,
    now: datetime,
    user: User,
    next_path: str,
    *,
    second_factor: str | None = None,
) -> Response:
    """Open the session, set its cookie, and go on to `next_path`."""
    outcome = service.open_session(
        db,
        user,
        now=now,
        settings=settings,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
        second_factor=second_factor,
    )
    assert outcome.cookie_value is not None
    # Whatever session id the browser came with (one planted by someone else, or an earlier
    # log-in) ends here: only the new one, issued now, is valid.
    previous = request.cookies.get(session_cookie(settings))
    if previous:
        service.log_out(db, digest(previous), now=now)
    response = RedirectResponse(safe_next(next_path), status_code=303)
    response.set_cookie(
        session_cookie(settings),
        outcome.cookie_value,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request, settings),
        max_age=settings.session_absolute_hours * 3600,
    )
    secure = secure_cookies(request, settings)
    response.delete_cookie(login_csrf_cookie(settings), secure=secure)
    response.delete_cookie(challenge_cookie(settings), path=CHALLENGE_COOKIE_PATH, secure=secure)
    return response
