"""Web pages of the second factor: giving it at log-in (/login/verify), setting it up where the
role requires one (/login/enrol), and the account's security page (/account/security).

The /login pages come before any session: the half-done log-in's cookie (CHALLENGE_COOKIE,
sent only to /login) is what lets them in, and their forms carry a token derived from that
cookie, so another site can neither read nor forge it. Everything works without JavaScript
except passkeys, which app/static/passkeys.js adds where the browser offers them.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app.accounts import password_policy, service
from app.accounts import second_factor as mfa
from app.accounts.login_flow import (
    CHALLENGE_COOKIE_PATH,
    challenge_cookie,
    client_ip,
    open_session_response,
)
from app.accounts.permissions import Action
from app.accounts.second_factor import ChallengeGone, Refusal
from app.audit.service import Actor
from app.config import Settings
from app.errors import DomainError, InvalidInput
from app.models import AuthSession, LoginChallenge, User
from app.principal import Principal
from app.signing import equal, sign, unsign
from app.web import forms
from app.web.deps import (
    Context,
    DbRoute,
    DbSession,
    Now,
    RequestContext,
    SettingsDep,
    always_secure,
    keep_writes,
    request_id,
)
from app.web.templating import render

router = APIRouter(route_class=DbRoute, include_in_schema=False)

Owner = Annotated[RequestContext, Context(Action.READ_OWN_ACCOUNT)]
Code = Annotated[str, Form(max_length=100)]
Csrf = Annotated[str, Form(max_length=200)]
# A WebAuthn answer is a few hundred bytes of JSON; attestation certificates make it larger.
Credential = Annotated[str, Form(max_length=64_000)]
Proof = Annotated[str, Form(max_length=password_policy.MAX_LENGTH)]
Name = Annotated[str, Form(max_length=400)]

EXPIRED_FORM = "The form had expired. Please try again."


# --- The half-done log-in -----------------------------------------------------------------------


def _form_token(settings: Settings, cookie_value: str) -> str:
    return hmac.new(
        settings.secret_key.encode(), f"login-challenge\x00{cookie_value}".encode(), hashlib.sha256
    ).hexdigest()


@dataclass(slots=True)
class HalfDone:
    challenge: LoginChallenge
    user: User
    csrf_token: str

    def actor(self, request: Request) -> Actor:
        return Actor(self.user.id, None, request_id(request))


def _restart(reason: str, next_path: str, settings: Settings) -> RedirectResponse:
    query = urlencode({"restart": reason, "next": next_path})
    response = RedirectResponse(f"/login?{query}", status_code=303)
    response.delete_cookie(
        challenge_cookie(settings), path=CHALLENGE_COOKIE_PATH, secure=always_secure(settings)
    )
    return response


def _half_done(
    request: Request,
    db: Session,
    settings: Settings,
    now: datetime,
    purpose: str,
    *,
    as_json: bool = False,
) -> HalfDone | Response:
    """The live challenge of this browser for `purpose`, or where to go instead: the log-in page
    (nothing to go on with) or the other /login page (the challenge is for the other purpose)."""
    cookie_value = request.cookies.get(challenge_cookie(settings))
    try:
        challenge, user = mfa.live_challenge(db, cookie_value, now=now)
        if _set_up_elsewhere(db, challenge, user):
            raise ChallengeGone("expired", challenge.next_path)
    except ChallengeGone as gone:
        if as_json:
            query = urlencode({"restart": gone.reason, "next": gone.next_path})
            return JSONResponse(
                {"detail": "Your log-in has expired.", "restart": f"/login?{query}"},
                status_code=401,
            )
        return _restart(gone.reason, gone.next_path, settings)
    if challenge.purpose != purpose:
        if as_json:
            return JSONResponse({"detail": "This page does not belong here."}, status_code=409)
        return RedirectResponse(f"/login/{challenge.purpose}", status_code=303)
    assert cookie_value is not None
    return HalfDone(challenge, user, _form_token(settings, cookie_value))


def _set_up_elsewhere(db: Session, challenge: LoginChallenge, user: User) -> bool:
    """An enrolment whose person has meanwhile got a second factor another way (a script with
    their API token, another session): the factor must be given, not skipped by "finishing"
    this enrolment. An enrolment drops its pending app secret once it sets a factor up
    (enrol_totp, enrol_passkey below), so a factor while the secret is pending came from
    elsewhere."""
    return (
        challenge.purpose == mfa.ENROL
        and challenge.pending_totp_secret is not None
        and mfa.has_factor(db, user)
    )


def _forged(found: HalfDone, submitted: str | None) -> bool:
    return not submitted or not equal(submitted, found.csrf_token)


def _refused(field: str, message: str, **values: str) -> forms.Form:
    """A form shown again: one problem beside its field, and what was typed (never a code
    or password that was refused)."""
    return forms.Form(dict(values), [forms.Problem(field, message)])


def _verify_page(
    request: Request,
    db: Session,
    settings: Settings,
    found: HalfDone,
    *,
    form: forms.Form | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    passkeys = mfa.passkeys_of(db, found.user.id)
    return render(
        request,
        "login_verify.html",
        {
            "csrf_token": found.csrf_token,
            "has_totp": mfa.has_totp(found.user),
            "has_passkeys": bool(passkeys),
            "passkeys_usable": mfa.RelyingParty.of(settings).usable,
            "errors": form.errors if form else {},
        },
        status_code,
    )


@router.get("/login/verify")
def verify_form(request: Request, db: DbSession, now: Now, settings: SettingsDep) -> Response:
    found = _half_done(request, db, settings, now, mfa.VERIFY)
    if isinstance(found, Response):
        return found
    return _verify_page(request, db, settings, found)


def _after_verification(
    request: Request,
    db: Session,
    settings: Settings,
    now: datetime,
    found: HalfDone,
    outcome: str | Refusal,
    field: str,
) -> Response:
    if isinstance(outcome, Refusal):
        # Returned, not raised: the failure must be committed for the count to hold.
        keep_writes(request)
        if outcome.gone:
            return _restart("failed", found.challenge.next_path, settings)
        status_code = 429 if outcome.retry_after is not None else 401
        page = _verify_page(
            request,
            db,
            settings,
            found,
            form=_refused(field, outcome.message),
            status_code=status_code,
        )
        if outcome.retry_after is not None:
            page.headers["Retry-After"] = str(outcome.retry_after)
        return page
    return open_session_response(
        request, db, settings, now, found.user, found.challenge.next_path, second_factor=outcome
    )


@router.post("/login/verify")
def verify(
    request: Request,
    db: DbSession,
    now: Now,
    settings: SettingsDep,
    code: Code = "",
    csrf_token: Csrf = "",
) -> Response:
    found = _half_done(request, db, settings, now, mfa.VERIFY)
    if isinstance(found, Response):
        return found
    if _forged(found, csrf_token):
        return _verify_page(
            request, db, settings, found, form=_refused("code", EXPIRED_FORM), status_code=403
        )
    outcome = mfa.give_code(
        db,
        settings,
        found.challenge,
        found.user,
        code,
        actor=found.actor(request),
        ip=client_ip(request),
        now=now,
    )
    return _after_verification(request, db, settings, now, found, outcome, "code")


def _options_answer(options: str) -> Response:
    return Response(options, media_type="application/json")


def _json_refusal(exc: DomainError) -> JSONResponse:
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)


@router.post("/login/verify/passkey/options")
def verify_passkey_options(
    request: Request, db: DbSession, now: Now, settings: SettingsDep
) -> Response:
    """The WebAuthn request options for the person's passkeys (passkeys.js asks for them)."""
    found = _half_done(request, db, settings, now, mfa.VERIFY, as_json=True)
    if isinstance(found, Response):
        return found
    if _forged(found, request.headers.get("x-csrf-token")):
        return JSONResponse({"detail": EXPIRED_FORM}, status_code=403)
    try:
        options, challenge = mfa.authentication_options(db, settings, found.user)
    except DomainError as exc:
        return _json_refusal(exc)
    found.challenge.webauthn_challenge = challenge
    return _options_answer(options)


@router.post("/login/verify/passkey")
def verify_passkey(
    request: Request,
    db: DbSession,
    now: Now,
    settings: SettingsDep,
    credential: Credential = "",
    csrf_token: Csrf = "",
) -> Response:
    found = _half_done(request, db, settings, now, mfa.VERIFY)
    if isinstance(found, Response):
        return found
    if _forged(found, csrf_token):
        return _verify_page(
            request,
            db,
            settings,
            found,
            form=_refused("credential", EXPIRED_FORM),
            status_code=403,
        )
    outcome = mfa.give_passkey(
        db,
        settings,
        found.challenge,
        found.user,
        credential,
        actor=found.actor(request),
        ip=client_ip(request),
        now=now,
    )
    return _after_verification(request, db, settings, now, found, outcome, "credential")


# --- Setting up a second factor at log-in -------------------------------------------------------


def _enrol_page(
    request: Request,
    db: Session,
    settings: Settings,
    found: HalfDone,
    *,
    form: forms.Form | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    secret = found.challenge.pending_totp_secret
    done = mfa.has_factor(db, found.user)
    return render(
        request,
        "login_enrol.html",
        {
            "csrf_token": found.csrf_token,
            "done": done,
            "role": found.user.role,
            "totp": _totp_setup(secret, found.user.email) if secret and not done else None,
            "passkeys_usable": mfa.RelyingParty.of(settings).usable,
            "errors": form.errors if form else {},
            "values": form.values if form else {},
        },
        status_code,
    )


def _totp_setup(secret: str, email: str) -> dict[str, str]:
    return {"qr": mfa.qr_image(mfa.provisioning_uri(secret, email)), "secret": mfa.grouped(secret)}


def _codes_page(
    request: Request,
    codes: list[str],
    *,
    continue_action: str | None = None,
    csrf_token: str | None = None,
    heading: str = "Save your recovery codes",
) -> HTMLResponse:
    return render(
        request,
        "recovery_codes.html",
        {
            "codes": codes,
            "continue_action": continue_action,
            "csrf_token": csrf_token,
            "heading": heading,
        },
    )


@router.get("/login/enrol")
def enrol_form(request: Request, db: DbSession, now: Now, settings: SettingsDep) -> Response:
    found = _half_done(request, db, settings, now, mfa.ENROL)
    if isinstance(found, Response):
        return found
    return _enrol_page(request, db, settings, found)


@router.post("/login/enrol/totp")
def enrol_totp(
    request: Request,
    db: DbSession,
    now: Now,
    settings: SettingsDep,
    code: Code = "",
    csrf_token: Csrf = "",
) -> Response:
    found = _half_done(request, db, settings, now, mfa.ENROL)
    if isinstance(found, Response):
        return found
    if _forged(found, csrf_token):
        return _enrol_page(
            request, db, settings, found, form=_refused("code", EXPIRED_FORM), status_code=403
        )
    try:
        codes = mfa.enrol_totp(
            db,
            settings,
            found.challenge,
            found.user,
            code,
            actor=found.actor(request),
            ip=client_ip(request),
            now=now,
        )
    except DomainError as exc:
        return _enrol_page(
            request,
            db,
            settings,
            found,
            form=_refused("code", exc.detail, code=code),
            status_code=exc.status_code,
        )
    return _codes_page(
        request, codes, continue_action="/login/enrol/done", csrf_token=found.csrf_token
    )


@router.post("/login/enrol/passkey/options")
def enrol_passkey_options(
    request: Request, db: DbSession, now: Now, settings: SettingsDep
) -> Response:
    """The WebAuthn creation options for a first passkey (passkeys.js asks for them)."""
    found = _half_done(request, db, settings, now, mfa.ENROL, as_json=True)
    if isinstance(found, Response):
        return found
    if _forged(found, request.headers.get("x-csrf-token")):
        return JSONResponse({"detail": EXPIRED_FORM}, status_code=403)
    options, challenge = mfa.registration_options(db, settings, found.user)
    found.challenge.webauthn_challenge = challenge
    return _options_answer(options)


@router.post("/login/enrol/passkey")
def enrol_passkey(
    request: Request,
    db: DbSession,
    now: Now,
    settings: SettingsDep,
    credential: Credential = "",
    name: Name = "",
    csrf_token: Csrf = "",
) -> Response:
    found = _half_done(request, db, settings, now, mfa.ENROL)
    if isinstance(found, Response):
        return found
    if _forged(found, csrf_token):
        return _enrol_page(
            request, db, settings, found, form=_refused("credential", EXPIRED_FORM), status_code=403
        )
    try:
        codes = mfa.enrol_passkey(
            db,
            settings,
            found.challenge,
            found.user,
            credential=credential,
            name=name,
            actor=found.actor(request),
            ip=client_ip(request),
            now=now,
        )
    except DomainError as exc:
        # The WebAuthn challenge is spent whatever went wrong.
        found.challenge.webauthn_challenge = None
        keep_writes(request)
        field = exc.extra.get("field") or "credential"
        return _enrol_page(
            request,
            db,
            settings,
            found,
            form=_refused(field, exc.detail, name=name),
            status_code=exc.status_code,
        )
    # Set up here: the app secret offered beside the passkey is no longer pending.
    found.challenge.pending_totp_secret = None
    return _codes_page(
        request, codes, continue_action="/login/enrol/done", csrf_token=found.csrf_token
    )


@router.post("/login/enrol/done")
def enrol_done(
    request: Request, db: DbSession, now: Now, settings: SettingsDep, csrf_token: Csrf = ""
) -> Response:
    found = _half_done(request, db, settings, now, mfa.ENROL)
    if isinstance(found, Response):
        return found
    if _forged(found, csrf_token):
        return _enrol_page(
            request, db, settings, found, form=_refused("code", EXPIRED_FORM), status_code=403
        )
    try:
        method = mfa.finish_enrolment(db, found.challenge, found.user, now=now)
    except DomainError as exc:
        return _enrol_page(
            request,
            db,
            settings,
            found,
            form=_refused("code", exc.detail),
            status_code=exc.status_code,
        )
    return open_session_response(
        request, db, settings, now, found.user, found.challenge.next_path, second_factor=method
    )


# --- The account's security page ----------------------------------------------------------------

DONE_MESSAGES = {
    "totp": "Your authenticator app is set up. Use its codes from your next log-in.",
    "totp_off": "The authenticator app was turned off.",
    "passkey_added": "The passkey was added. You can use it from your next log-in.",
    "passkey_renamed": "The passkey was renamed.",
    "passkey_removed": "The passkey was removed.",
}


def _security_page(
    ctx: RequestContext,
    *,
    message: str | None = None,
    form: forms.Form | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    user = service.user_of(ctx.db, ctx.principal)
    return render(
        ctx.request,
        "account_security.html",
        {
            "factors": mfa.factors(ctx.db, ctx.settings, user),
            "passkeys_usable": mfa.RelyingParty.of(ctx.settings).usable,
            "message": message,
            "errors": form.errors if form else {},
            "values": form.values if form else {},
        },
        status_code,
    )


@router.get("/account/security")
def security(ctx: Owner, done: str = "") -> HTMLResponse:
    return _security_page(ctx, message=DONE_MESSAGES.get(done))


def _done(key: str) -> RedirectResponse:
    return RedirectResponse(f"/account/security?done={key}", status_code=303)


# Setting up (or replacing) the app: the new secret travels in the form, signed, until a code
# confirms it; nothing is stored before that.
_SECRET_PURPOSE = "totp-setup"  # noqa: S105 - a signing purpose, not a secret


def _totp_page(
    ctx: RequestContext,
    secret: str,
    *,
    form: forms.Form | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    user = service.user_of(ctx.db, ctx.principal)
    return render(
        ctx.request,
        "account_totp.html",
        {
            "totp": _totp_setup(secret, user.email),
            "secret_token": sign(ctx.settings.secret_key, _SECRET_PURPOSE, f"{user.id}:{secret}"),
            "replacing": mfa.has_totp(user),
            "errors": form.errors if form else {},
        },
        status_code,
    )


@router.get("/account/security/totp")
def totp_form(ctx: Owner) -> HTMLResponse:
    return _totp_page(ctx, mfa.new_totp_secret())


@router.post("/account/security/totp")
def set_up_totp(
    ctx: Owner,
    secret_token: Annotated[str, Form(max_length=400)] = "",
    code: Code = "",
    proof: Proof = "",
) -> Response:
    value = unsign(ctx.settings.secret_key, _SECRET_PURPOSE, secret_token)
    owner, _, secret = (value or "").partition(":")
    if owner != str(ctx.principal.user_id) or not secret:
        return RedirectResponse("/account/security/totp", status_code=303)
    user = service.user_of(ctx.db, ctx.principal)
    ip = client_ip(ctx.request)
    try:
        step = mfa.check_new_totp(secret, code, now=ctx.now)
        mfa.confirm_identity(ctx.db, ctx.settings, user, proof, ip=ip, now=ctx.now)
    except DomainError as exc:
        # Kept: a wrong password or code is a failed attempt, counted for throttling.
        keep_writes(ctx.request)
        field = exc.extra.get("field") or "code"
        return _totp_page(
            ctx,
            secret,
            form=_refused(field, exc.detail),
            status_code=exc.status_code,
        )
    codes = mfa.set_up_totp(
        ctx.db, ctx.settings, ctx.actor, user, secret=secret, step=step, ip=ip, now=ctx.now
    )
    if codes:
        return _codes_page(ctx.request, codes, heading="Your authenticator app is set up")
    return _done("totp")


def _confirm_page(
    ctx: RequestContext,
    kind: str,
    *,
    action: str,
    subject: str = "",
    blocked: str | None = None,
    form: forms.Form | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        ctx.request,
        "account_security_confirm.html",
        {
            "kind": kind,
            "action": action,
            "subject": subject,
            "blocked": blocked,
            "errors": form.errors if form else {},
        },
        status_code,
    )


def _totp_off_blocked(db: Session, settings: Settings, user: User) -> str | None:
    factors = mfa.factors(db, settings, user)
    if factors.totp_since is None:
        return "You have no authenticator app set up."
    if not factors.totp_removable:
        return (
            f"Your role ({user.role.label}) requires a second factor. Add a passkey first, or "
            "set up a new authenticator app instead of turning this one off."
        )
    return None


@router.get("/account/security/totp/off")
def totp_off_form(ctx: Owner) -> HTMLResponse:
    blocked = _totp_off_blocked(ctx.db, ctx.settings, service.user_of(ctx.db, ctx.principal))
    return _confirm_page(ctx, "totp_off", action="/account/security/totp/off", blocked=blocked)


@router.post("/account/security/totp/off")
def totp_off(ctx: Owner, proof: Proof = "") -> Response:
    user = service.user_of(ctx.db, ctx.principal)
    ip = client_ip(ctx.request)
    action = "/account/security/totp/off"
    blocked = _totp_off_blocked(ctx.db, ctx.settings, user)
    if blocked:
        return _confirm_page(ctx, "totp_off", action=action, blocked=blocked, status_code=409)
    try:
        mfa.confirm_identity(ctx.db, ctx.settings, user, proof, ip=ip, now=ctx.now)
    except DomainError as exc:
        keep_writes(ctx.request)  # a wrong password is a failed attempt, counted
        return _confirm_page(
            ctx,
            "totp_off",
            action=action,
            form=_refused("proof", exc.detail),
            status_code=exc.status_code,
        )
    mfa.turn_off_totp(ctx.db, ctx.settings, ctx.actor, user, ip=ip, now=ctx.now)
    return _done("totp_off")


@router.get("/account/security/recovery-codes")
def recovery_codes_form(ctx: Owner) -> HTMLResponse:
    user = service.user_of(ctx.db, ctx.principal)
    blocked = None if mfa.has_factor(ctx.db, user) else _NO_FACTOR_FOR_CODES
    return _confirm_page(
        ctx, "recovery_codes", action="/account/security/recovery-codes", blocked=blocked
    )


_NO_FACTOR_FOR_CODES = (
    "Recovery codes stand in for a second factor: set up an authenticator app or a passkey "
    "first, and you will get them then."
)


@router.post("/account/security/recovery-codes")
def regenerate_recovery_codes(ctx: Owner, proof: Proof = "") -> Response:
    user = service.user_of(ctx.db, ctx.principal)
    ip = client_ip(ctx.request)
    action = "/account/security/recovery-codes"
    if not mfa.has_factor(ctx.db, user):
        return _confirm_page(
            ctx, "recovery_codes", action=action, blocked=_NO_FACTOR_FOR_CODES, status_code=409
        )
    try:
        mfa.confirm_identity(ctx.db, ctx.settings, user, proof, ip=ip, now=ctx.now)
    except DomainError as exc:
        keep_writes(ctx.request)  # a wrong password is a failed attempt, counted
        return _confirm_page(
            ctx,
            "recovery_codes",
            action=action,
            form=_refused("proof", exc.detail),
            status_code=exc.status_code,
        )
    codes = mfa.regenerate_recovery_codes(ctx.db, ctx.settings, ctx.actor, user, ip=ip, now=ctx.now)
    return _codes_page(ctx.request, codes, heading="Your new recovery codes")


def _browser_session(db: Session, principal: Principal) -> AuthSession:
    auth = db.get(AuthSession, principal.session_id) if principal.session_id else None
    if auth is None:
        raise InvalidInput(
            "Passkeys are added from a browser, on this page, not with an API token.",
            field="credential",
        )
    return auth


@router.post("/account/security/passkeys/options")
def add_passkey_options(ctx: Owner) -> Response:
    """The WebAuthn creation options for another passkey (passkeys.js asks for them)."""
    try:
        auth = _browser_session(ctx.db, ctx.principal)
    except DomainError as exc:
        return _json_refusal(exc)
    options, challenge = mfa.registration_options(
        ctx.db, ctx.settings, service.user_of(ctx.db, ctx.principal)
    )
    auth.webauthn_challenge = challenge
    return _options_answer(options)


@router.post("/account/security/passkeys")
def add_passkey(
    ctx: Owner, name: Name = "", credential: Credential = "", proof: Proof = ""
) -> Response:
    user = service.user_of(ctx.db, ctx.principal)
    ip = client_ip(ctx.request)
    auth = _browser_session(ctx.db, ctx.principal)
    # Spent whatever happens next: a new attempt starts a new ceremony.
    expected, auth.webauthn_challenge = auth.webauthn_challenge, None
    values = {"name": name}
    try:
        mfa.confirm_identity(ctx.db, ctx.settings, user, proof, ip=ip, now=ctx.now)
    except DomainError as exc:
        keep_writes(ctx.request)  # a wrong password is a failed attempt, counted
        return _security_page(
            ctx,
            form=_refused("proof", exc.detail, **values),
            status_code=exc.status_code,
        )
    try:
        _, codes = mfa.add_passkey(
            ctx.db,
            ctx.settings,
            ctx.actor,
            user,
            credential=credential,
            challenge=expected,
            name=name,
            ip=ip,
            now=ctx.now,
        )
    except DomainError as exc:
        _browser_session(ctx.db, ctx.principal).webauthn_challenge = None
        keep_writes(ctx.request)
        field = exc.extra.get("field") or "credential"
        return _security_page(
            ctx,
            form=_refused(field, exc.detail, **values),
            status_code=exc.status_code,
        )
    if codes:
        return _codes_page(ctx.request, codes, heading="Your passkey is added")
    return _done("passkey_added")


@router.post("/account/security/passkeys/{passkey_id}/rename")
def rename_passkey(passkey_id: int, ctx: Owner, name: Name = "") -> Response:
    try:
        mfa.rename_passkey(
            ctx.db,
            ctx.actor,
            service.user_of(ctx.db, ctx.principal),
            passkey_id,
            name=name,
            now=ctx.now,
        )
    except DomainError as exc:
        return _security_page(
            ctx,
            form=_refused(f"passkey-{passkey_id}", exc.detail),
            status_code=exc.status_code,
        )
    return _done("passkey_renamed")


def _remove_page(
    ctx: RequestContext,
    user: User,
    passkey_id: int,
    *,
    form: forms.Form | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    factors = mfa.factors(ctx.db, ctx.settings, user)
    passkey = next((p for p in factors.passkeys if p.id == passkey_id), None)
    if passkey is None:
        return render(
            ctx.request,
            "error.html",
            {"status": 404, "error": "not_found", "detail": f"You have no passkey {passkey_id}."},
            404,
        )
    blocked = None
    if not factors.passkey_removable:
        blocked = (
            f"Your role ({user.role.label}) requires a second factor. Set up an authenticator "
            "app or add another passkey before you remove this one."
        )
    return _confirm_page(
        ctx,
        "passkey_remove",
        action=f"/account/security/passkeys/{passkey_id}/remove",
        subject=passkey.name,
        blocked=blocked,
        form=form,
        status_code=status_code,
    )


@router.get("/account/security/passkeys/{passkey_id}/remove")
def remove_passkey_form(passkey_id: int, ctx: Owner) -> HTMLResponse:
    return _remove_page(ctx, service.user_of(ctx.db, ctx.principal), passkey_id)


@router.post("/account/security/passkeys/{passkey_id}/remove")
def remove_passkey(passkey_id: int, ctx: Owner, proof: Proof = "") -> Response:
    user = service.user_of(ctx.db, ctx.principal)
    ip = client_ip(ctx.request)
    factors = mfa.factors(ctx.db, ctx.settings, user)
    if not any(p.id == passkey_id for p in factors.passkeys):
        return _remove_page(ctx, user, passkey_id)  # its 404
    if not factors.passkey_removable:
        return _remove_page(ctx, user, passkey_id, status_code=409)
    try:
        mfa.confirm_identity(ctx.db, ctx.settings, user, proof, ip=ip, now=ctx.now)
    except DomainError as exc:
        keep_writes(ctx.request)  # a wrong password is a failed attempt, counted
        return _remove_page(
            ctx, user, passkey_id, form=_refused("proof", exc.detail), status_code=exc.status_code
        )
    mfa.remove_passkey(ctx.db, ctx.settings, ctx.actor, user, passkey_id, ip=ip, now=ctx.now)
    return _done("passkey_removed")
