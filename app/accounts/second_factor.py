"""Second factors: codes from an authenticator app (TOTP), single-use recovery codes, passkeys
(WebAuthn), and the half-done log-in that waits for one of them.

A person whose role is in ZERODRAFT_MFA_REQUIRED_ROLES must have a factor (an authenticator app
or a passkey); anyone may set one up, and whoever has one gives it at every log-in
(app/accounts/login_flow.py). Recovery codes stand in for a lost factor. API tokens never ask
for a second factor.

Everything in flight lives in the database, never in process memory: the secret being set up at
enrolment and a log-in's WebAuthn challenge on the LoginChallenge, a passkey being added from a
logged-in session on its AuthSession, the last TOTP time step used on the User (so that a code
cannot be given twice), and wrong codes as LoginAttempt rows, counted with wrong passwords.
Every change to a person's factors is audited and mailed to them (app/accounts/notices.py).
"""

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from urllib.parse import urlsplit

import pyotp
import segno
from sqlalchemy import CursorResult, delete, func, or_, select, update
from sqlalchemy.orm import Session, attributes
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.parse_authentication_credential_json import (
    parse_authentication_credential_json,
)
from webauthn.helpers.parse_registration_credential_json import (
    parse_registration_credential_json,
)
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from app.accounts import service as accounts
from app.accounts.notices import security_notice
from app.accounts.passwords import digest, new_token, verify_password
from app.audit.service import Actor, record
from app.config import Settings
from app.errors import Conflict, InvalidInput, NotFound, TooManyRequests
from app.models import LoginAttempt, LoginChallenge, Passkey, RecoveryCode, User

ISSUER = "zerodraft"
TOTP_DIGITS = 6
TOTP_INTERVAL = 30  # seconds
TOTP_WINDOW = 1  # steps either side of the current one, for a phone's clock a little off
RECOVERY_CODE_COUNT = 10
# Base32 (RFC 4648) in lower case: no 0, 1, 8 or 9, so a code read aloud or copied by hand
# is unambiguous; those four digits typed by mistake are read as the letters they resemble.
RECOVERY_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
_LOOKALIKES = str.maketrans({"0": "o", "1": "l", "8": "b", "9": "g"})
CHALLENGE_LIFETIME = timedelta(minutes=10)
CHALLENGE_MAX_FAILURES = 5
PASSKEY_NAME_MAX = 100
WEBAUTHN_TIMEOUT_MS = 120_000

# What a log-in challenge waits for.
VERIFY = "verify"  # a second factor the person has
ENROL = "enrol"  # setting one up, as the person's role requires, before the first session

# How the second factor was given (AuthSession.second_factor, audit details).
TOTP = "totp"
RECOVERY = "recovery"
PASSKEY = "passkey"

# RecursionError: JSON nested thousands deep (the field takes 64,000 characters) overflows the
# parser's stack; it is a broken answer like any other, not a fault of the app.
_WEBAUTHN_ERRORS = (WebAuthnException, ValueError, TypeError, KeyError, RecursionError)


# --- Who needs what ---------------------------------------------------------------------------


def required_for(settings: Settings, user: User) -> bool:
    return user.role.value in settings.mfa_roles


def has_totp(user: User) -> bool:
    return user.totp_enabled_at is not None and bool(user.totp_secret)


def passkeys_of(session: Session, user_id: int) -> list[Passkey]:
    return list(
        session.scalars(select(Passkey).where(Passkey.user_id == user_id).order_by(Passkey.id))
    )


def _passkey_count(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).where(Passkey.user_id == user_id)) or 0


def has_factor(session: Session, user: User) -> bool:
    return has_totp(user) or _passkey_count(session, user.id) > 0


def recovery_codes_left(session: Session, user_id: int) -> int:
    return (
        session.scalar(
            select(func.count()).where(
                RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
            )
        )
        or 0
    )


def next_step(session: Session, settings: Settings, user: User) -> str | None:
    """What a log-in with the right password still needs: VERIFY, ENROL or nothing."""
    if has_factor(session, user):
        return VERIFY
    if required_for(settings, user):
        return ENROL
    return None


@dataclass(frozen=True, slots=True)
class Factors:
    """A person's second factors as their security page shows them."""

    required: bool
    totp_since: datetime | None
    passkeys: Sequence[Passkey]
    recovery_codes_left: int

    @property
    def any(self) -> bool:
        return self.totp_since is not None or bool(self.passkeys)

    @property
    def totp_removable(self) -> bool:
        return not self.required or bool(self.passkeys)

    @property
    def passkey_removable(self) -> bool:
        return not self.required or self.totp_since is not None or len(self.passkeys) > 1


def factors(session: Session, settings: Settings, user: User) -> Factors:
    return Factors(
        required=required_for(settings, user),
        totp_since=user.totp_enabled_at if has_totp(user) else None,
        passkeys=passkeys_of(session, user.id),
        recovery_codes_left=recovery_codes_left(session, user.id),
    )


# --- Authenticator app (TOTP, RFC 6238) ---------------------------------------------------------


def new_totp_secret() -> str:
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_INTERVAL).provisioning_uri(
        name=email, issuer_name=ISSUER
    )


def qr_image(uri: str) -> str:
    """The QR code of `uri` as an SVG data: URL for an <img> (the CSP allows data: images; no
    markup of ours is spliced into the page)."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2, dark="#000"))


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _six_digits(code: str) -> str | None:
    digits = "".join(code.split())
    ok = len(digits) == TOTP_DIGITS and digits.isascii() and digits.isdigit()
    return digits if ok else None


def looks_like_totp(code: str) -> bool:
    return _six_digits(code) is not None


def time_step(now: datetime) -> int:
    return int(now.timestamp()) // TOTP_INTERVAL


def matching_step(secret: str, code: str, now: datetime, *, after: int | None) -> int | None:
    """The time step (within the window around `now`) whose code `code` is, if it is later than
    `after`, the last step already used; None otherwise."""
    digits = _six_digits(code)
    if digits is None:
        return None
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_INTERVAL)
    current = time_step(now)
    found = None
    # Every step of the window is compared, in constant time, whatever matched first.
    for step in range(current - TOTP_WINDOW, current + TOTP_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), digits) and (after is None or step > after):
            found = step
    return found


def use_totp(session: Session, user: User, code: str, *, now: datetime) -> bool:
    """Whether `code` is a current code of the person's app that was not used before; a code
    given is used up (with every earlier one), even by two requests at the same moment."""
    if not has_totp(user):
        return False
    assert user.totp_secret is not None
    step = matching_step(user.totp_secret, code, now, after=user.totp_last_step)
    if step is None:
        return False
    # Conditional, so that of two requests giving the same code at once only one wins.
    result = cast(
        CursorResult[Any],
        session.execute(
            update(User)
            .where(
                User.id == user.id,
                or_(User.totp_last_step.is_(None), User.totp_last_step < step),
            )
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False)
        ),
    )
    if result.rowcount != 1:
        return False
    attributes.set_committed_value(user, "totp_last_step", step)
    return True


def _enable_totp(user: User, secret: str, step: int, now: datetime) -> None:
    user.totp_secret = secret
    user.totp_enabled_at = now
    user.totp_last_step = step


def _confirmed_step(secret: str, code: str, now: datetime) -> int:
    if not code.strip():
        raise InvalidInput("Enter the 6-digit code your authenticator app shows.", field="code")
    step = matching_step(secret, code, now, after=None)
    if step is None:
        raise InvalidInput(
            "That code does not match. Enter the 6-digit code the app shows now for zerodraft; "
            "if it still does not match, check that your phone's clock is set automatically.",
            field="code",
        )
    return step


# --- Recovery codes -----------------------------------------------------------------------------


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def _normalised_recovery_code(code: str) -> str | None:
    cleaned = "".join(c for c in code.lower() if c not in " -\t").translate(_LOOKALIKES)
    if len(cleaned) != 10 or any(c not in RECOVERY_ALPHABET for c in cleaned):
        return None
    return cleaned


def _recovery_digest(normalised: str) -> str:
    return hashlib.sha256(normalised.encode()).hexdigest()


def issue_recovery_codes(session: Session, user: User, *, now: datetime) -> list[str]:
    """Ten new codes, shown once; the person's earlier codes stop working."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    for code in codes:
        normalised = _normalised_recovery_code(code)
        assert normalised is not None
        session.add(
            RecoveryCode(user_id=user.id, code_hash=_recovery_digest(normalised), created_at=now)
        )
    session.flush()
    return codes


def use_recovery_code(session: Session, user: User, code: str, *, now: datetime) -> bool:
    """Whether `code` is one of the person's unused recovery codes; it is used up if so."""
    normalised = _normalised_recovery_code(code)
    if normalised is None:
        return False
    candidate = _recovery_digest(normalised)
    unused = session.execute(
        select(RecoveryCode.id, RecoveryCode.code_hash).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    ).all()
    match = None
    for code_id, code_hash in unused:  # every code compared, in constant time
        if hmac.compare_digest(code_hash, candidate):
            match = code_id
    if match is None:
        return False
    result = cast(
        CursorResult[Any],
        session.execute(
            update(RecoveryCode)
            .where(RecoveryCode.id == match, RecoveryCode.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        ),
    )
    return result.rowcount == 1


# --- Passkeys (WebAuthn) ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RelyingParty:
    """zerodraft as WebAuthn knows it: the host and origin of ZERODRAFT_BASE_URL, which must be
    the address people open (a passkey is bound to it)."""

    id: str
    origin: str
    name: str = ISSUER

    @classmethod
    def of(cls, settings: Settings) -> "RelyingParty":
        parts = urlsplit(settings.base_url)
        host = (parts.hostname or "").lower()
        default_port = {"http": 80, "https": 443}.get(parts.scheme)
        port = parts.port if parts.port not in (None, default_port) else None
        netloc = f"[{host}]" if ":" in host else host
        origin = f"{parts.scheme}://{netloc}" + (f":{port}" if port else "")
        return cls(id=host, origin=origin)

    @property
    def usable(self) -> bool:
        """Browsers offer passkeys only to a domain name (never an IP address), over https or
        on localhost."""
        try:
            ipaddress.ip_address(self.id)
        except ValueError:
            local = self.id == "localhost" or self.id.endswith(".localhost")
            return bool(self.id) and (self.origin.startswith("https://") or local)
        return False


def _user_handle(settings: Settings, user: User) -> bytes:
    # Opaque and stable: the authenticator stores it, and it must not reveal who the person is.
    return hmac.new(
        settings.secret_key.encode(), f"webauthn-user\x00{user.id}".encode(), hashlib.sha256
    ).digest()


def _descriptor(passkey: Passkey) -> PublicKeyCredentialDescriptor:
    known = {t.value for t in AuthenticatorTransport}
    transports = [AuthenticatorTransport(t) for t in passkey.transports.split(",") if t in known]
    return PublicKeyCredentialDescriptor(
        id=base64url_to_bytes(passkey.credential_id), transports=transports or None
    )


def registration_options(session: Session, settings: Settings, user: User) -> tuple[str, str]:
    """The options for navigator.credentials.create() as JSON, and their challenge (base64url)
    for the caller to keep in the database until the answer comes."""
    rp = RelyingParty.of(settings)
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=_user_handle(settings, user),
        user_name=user.email,
        user_display_name=user.name,
        timeout=WEBAUTHN_TIMEOUT_MS,
        # The person's other passkeys: the browser says so instead of registering one twice.
        exclude_credentials=[_descriptor(p) for p in passkeys_of(session, user.id)],
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    return options_to_json(options), bytes_to_base64url(options.challenge)


def _passkey_name(name: str) -> str:
    name = " ".join(name.split())
    if len(name) > PASSKEY_NAME_MAX:
        raise InvalidInput(
            f"The passkey's name must be at most {PASSKEY_NAME_MAX} characters.", field="name"
        )
    return name or "Passkey"


def _expected_challenge(challenge: str | None) -> bytes:
    if not challenge:
        raise InvalidInput(
            "The passkey request was not started or has already been answered; try again.",
            field="credential",
        )
    return base64url_to_bytes(challenge)


def register_passkey(
    session: Session,
    settings: Settings,
    user: User,
    *,
    credential: str,
    challenge: str | None,
    name: str,
    now: datetime,
) -> Passkey:
    """Check the browser's answer to registration_options and keep the new passkey."""
    name = _passkey_name(name)
    rp = RelyingParty.of(settings)
    expected = _expected_challenge(challenge)
    try:
        parsed = parse_registration_credential_json(credential)
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=expected,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
        )
    except _WEBAUTHN_ERRORS as exc:
        raise InvalidInput(
            f"The passkey could not be added: {exc or 'the answer could not be read'}.",
            field="credential",
        ) from exc
    credential_id = bytes_to_base64url(verified.credential_id)
    if session.scalar(select(Passkey.id).where(Passkey.credential_id == credential_id)):
        raise Conflict("This passkey is already registered.", field="credential")
    passkey = Passkey(
        user_id=user.id,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=",".join(t.value for t in parsed.response.transports or []),
        name=name,
        created_at=now,
    )
    session.add(passkey)
    session.flush()
    return passkey


def authentication_options(session: Session, settings: Settings, user: User) -> tuple[str, str]:
    """The options for navigator.credentials.get() with the person's passkeys, and their
    challenge, as registration_options."""
    passkeys = passkeys_of(session, user.id)
    if not passkeys:
        raise InvalidInput("You have no passkey; enter a code instead.", field="credential")
    options = generate_authentication_options(
        rp_id=RelyingParty.of(settings).id,
        timeout=WEBAUTHN_TIMEOUT_MS,
        allow_credentials=[_descriptor(p) for p in passkeys],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return options_to_json(options), bytes_to_base64url(options.challenge)


def verify_passkey(
    session: Session,
    settings: Settings,
    user: User,
    *,
    credential: str,
    challenge: str | None,
    now: datetime,
) -> Passkey:
    """Check the browser's answer to authentication_options: one of the person's passkeys."""
    rp = RelyingParty.of(settings)
    expected = _expected_challenge(challenge)
    try:
        parsed = parse_authentication_credential_json(credential)
    except _WEBAUTHN_ERRORS as exc:
        raise InvalidInput(
            "The browser's answer could not be read; try the passkey again.", field="credential"
        ) from exc
    passkey = session.scalar(
        select(Passkey).where(
            Passkey.user_id == user.id,
            Passkey.credential_id == bytes_to_base64url(parsed.raw_id),
        )
    )
    if passkey is None:
        raise InvalidInput("That passkey is not registered to your account.", field="credential")
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=expected,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
        )
    except _WEBAUTHN_ERRORS as exc:
        raise InvalidInput(
            f"The passkey's answer could not be verified: {exc}.", field="credential"
        ) from exc
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = now
    return passkey


# --- The half-done log-in -----------------------------------------------------------------------


class ChallengeGone(Exception):
    """The half-done log-in cannot go on: the person starts again from the log-in page.
    `reason` keys the message there (app/accounts/login_flow.py RESTART_MESSAGES)."""

    def __init__(self, reason: str, next_path: str = "/register") -> None:
        super().__init__(reason)
        self.reason = reason
        self.next_path = next_path


@dataclass(frozen=True, slots=True)
class Refusal:
    """A second factor not accepted. `gone`: the challenge is used up (too many wrong
    codes); `retry_after`: seconds to wait (throttled)."""

    message: str
    gone: bool = False
    retry_after: int | None = None


def start_challenge(
    session: Session,
    user: User,
    *,
    purpose: str,
    next_path: str,
    ip: str | None,
    user_agent: str | None,
    now: datetime,
) -> str:
    """A half-done log-in for `user`, whose password was right; returns the cookie value (only
    its SHA-256 is stored). One per person: a new one ends any other."""
    session.execute(
        update(LoginChallenge)
        .where(LoginChallenge.user_id == user.id, LoginChallenge.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(LoginChallenge).where(
            LoginChallenge.user_id == user.id, LoginChallenge.expires_at < now - timedelta(days=1)
        )
    )
    cookie_value = new_token()
    session.add(
        LoginChallenge(
            id=digest(cookie_value),
            user_id=user.id,
            purpose=purpose,
            next_path=next_path[:2000],
            created_at=now,
            expires_at=now + CHALLENGE_LIFETIME,
            failures=0,
            # Chosen now, in a write transaction, so the enrolment page (a read) shows it.
            pending_totp_secret=new_totp_secret() if purpose == ENROL else None,
            ip=ip[:64] if ip else None,
            user_agent=user_agent[:300] if user_agent else None,
        )
    )
    return cookie_value


def live_challenge(
    session: Session, cookie_value: str | None, *, now: datetime
) -> tuple[LoginChallenge, User]:
    """The half-done log-in of this cookie and its person, or ChallengeGone."""
    challenge = session.get(LoginChallenge, digest(cookie_value)) if cookie_value else None
    if challenge is None:
        raise ChallengeGone("expired")
    if challenge.used_at is not None or now >= challenge.expires_at:
        reason = "failed" if challenge.failures >= CHALLENGE_MAX_FAILURES else "expired"
        raise ChallengeGone(reason, challenge.next_path)
    user = session.get(User, challenge.user_id)
    if user is None or not user.is_active:
        raise ChallengeGone("disabled", challenge.next_path)
    if user.password_changed_at is not None and user.password_changed_at > challenge.created_at:
        raise ChallengeGone("expired", challenge.next_path)
    if challenge.purpose == VERIFY and not has_factor(session, user):
        # The factor was reset meanwhile: log in again, to set one up if the role needs it.
        raise ChallengeGone("expired", challenge.next_path)
    return challenge, user


def _throttled(
    session: Session, settings: Settings, user: User, ip: str, now: datetime
) -> Refusal | None:
    # The password's own throttle: a wrong code is recorded as a failed log-in, so one count
    # bounds guessing a password and a code alike, across challenges and app instances.
    outcome = accounts.throttle(session, email=user.email, ip=ip[:64], now=now, settings=settings)
    if outcome is None:
        return None
    return Refusal(outcome.error or "Too many failed log-ins.", retry_after=outcome.retry_after)


def _failed(
    session: Session,
    challenge: LoginChallenge,
    user: User,
    message: str,
    *,
    actor: Actor,
    ip: str,
    now: datetime,
) -> Refusal:
    session.add(LoginAttempt(email=user.email, ip=ip[:64], at=now))
    challenge.failures += 1
    if challenge.failures >= CHALLENGE_MAX_FAILURES:
        challenge.used_at = now
        record(
            session,
            actor,
            action="mfa.verify_refused",
            object_type="user",
            object_id=user.id,
            details={"failures": challenge.failures},
            at=now,
        )
        return Refusal(message, gone=True)
    left = CHALLENGE_MAX_FAILURES - challenge.failures
    return Refusal(
        f"{message} {left} more tr{'ies' if left != 1 else 'y'} before you must log in again."
    )


def _verified(
    session: Session,
    challenge: LoginChallenge,
    user: User,
    method: str,
    *,
    actor: Actor,
    now: datetime,
) -> str:
    challenge.used_at = now
    challenge.webauthn_challenge = None
    record(
        session,
        actor,
        action="mfa.verify",
        object_type="user",
        object_id=user.id,
        details={"method": method},
        at=now,
    )
    return method


def give_code(
    session: Session,
    settings: Settings,
    challenge: LoginChallenge,
    user: User,
    code: str,
    *,
    actor: Actor,
    ip: str,
    now: datetime,
) -> str | Refusal:
    """A code from the person's app or one of their recovery codes, given at log-in: the method
    (TOTP or RECOVERY) when it is right, a Refusal otherwise."""
    if not code.strip():
        return Refusal("Enter the 6-digit code from your authenticator app, or a recovery code.")
    throttled = _throttled(session, settings, user, ip, now)
    if throttled is not None:
        return throttled
    if looks_like_totp(code):
        if use_totp(session, user, code, now=now):
            return _verified(session, challenge, user, TOTP, actor=actor, now=now)
        message = (
            "That code is not correct, or was already used. Wait for the app to show a new "
            "code and enter that."
            if has_totp(user)
            else "You have no authenticator app set up; use a passkey or a recovery code."
        )
        return _failed(session, challenge, user, message, actor=actor, ip=ip, now=now)
    if use_recovery_code(session, user, code, now=now):
        left = recovery_codes_left(session, user.id)
        record(
            session,
            actor,
            action="mfa.recovery_code_used",
            object_type="user",
            object_id=user.id,
            details={"left": left},
            at=now,
        )
        return _verified(session, challenge, user, RECOVERY, actor=actor, now=now)
    return _failed(
        session,
        challenge,
        user,
        "That is neither a current code from your authenticator app nor an unused recovery code.",
        actor=actor,
        ip=ip,
        now=now,
    )


def give_passkey(
    session: Session,
    settings: Settings,
    challenge: LoginChallenge,
    user: User,
    credential: str,
    *,
    actor: Actor,
    ip: str,
    now: datetime,
) -> str | Refusal:
    """A passkey's answer at log-in: PASSKEY when it checks out, a Refusal otherwise. The
    WebAuthn challenge is used up either way."""
    throttled = _throttled(session, settings, user, ip, now)
    if throttled is not None:
        return throttled
    expected, challenge.webauthn_challenge = challenge.webauthn_challenge, None
    try:
        verify_passkey(session, settings, user, credential=credential, challenge=expected, now=now)
    except InvalidInput as exc:
        return _failed(session, challenge, user, exc.detail, actor=actor, ip=ip, now=now)
    return _verified(session, challenge, user, PASSKEY, actor=actor, now=now)


def enrol_totp(
    session: Session,
    settings: Settings,
    challenge: LoginChallenge,
    user: User,
    code: str,
    *,
    actor: Actor,
    ip: str,
    now: datetime,
) -> list[str]:
    """Confirm the app set up at enrolment with a code it shows; returns the recovery codes."""
    if challenge.pending_totp_secret is None:
        raise Conflict("The set-up has already been confirmed.", field="code")
    step = _confirmed_step(challenge.pending_totp_secret, code, now)
    _enable_totp(user, challenge.pending_totp_secret, step, now)
    challenge.pending_totp_secret = None
    return _enrolled(session, settings, user, TOTP, actor=actor, ip=ip, now=now)


def enrol_passkey(
    session: Session,
    settings: Settings,
    challenge: LoginChallenge,
    user: User,
    *,
    credential: str,
    name: str,
    actor: Actor,
    ip: str,
    now: datetime,
) -> list[str]:
    """Register a passkey at enrolment; returns the recovery codes."""
    expected, challenge.webauthn_challenge = challenge.webauthn_challenge, None
    passkey = register_passkey(
        session, settings, user, credential=credential, challenge=expected, name=name, now=now
    )
    return _enrolled(session, settings, user, PASSKEY, actor=actor, ip=ip, now=now, passkey=passkey)


def _enrolled(
    session: Session,
    settings: Settings,
    user: User,
    method: str,
    *,
    actor: Actor,
    ip: str,
    now: datetime,
    passkey: Passkey | None = None,
) -> list[str]:
    codes = issue_recovery_codes(session, user, now=now)
    details: dict[str, Any] = {"method": method}
    if passkey is not None:
        details |= {"passkey_id": passkey.id, "name": passkey.name}
    record(
        session,
        actor,
        action="mfa.enrol",
        object_type="user",
        object_id=user.id,
        details=details,
        at=now,
    )
    detail = (
        "The new second factor is an authenticator app."
        if passkey is None
        else f'The new second factor is a passkey named "{passkey.name}".'
    )
    security_notice(
        session, user, what="second_factor_added", detail=detail, ip=ip, now=now, settings=settings
    )
    return codes


def finish_enrolment(
    session: Session, challenge: LoginChallenge, user: User, *, now: datetime
) -> str:
    """The enrolment is over (the person saw their recovery codes): the method set up, for the
    session that opens now."""
    if not has_factor(session, user):
        raise Conflict("Set up an authenticator app or a passkey first.", field="code")
    challenge.used_at = now
    if user.totp_enabled_at is not None and user.totp_enabled_at >= challenge.created_at:
        return TOTP
    return PASSKEY


# --- Changes from the account's security page ------------------------------------------------


def confirm_identity(
    session: Session, settings: Settings, user: User, proof: str, *, ip: str, now: datetime
) -> None:
    """Before a change to the second factors: the person's current password, or a current code
    from their app. A wrong one counts as a failed log-in (the caller keeps it: return, not
    roll back)."""
    if not proof.strip():
        raise InvalidInput(
            "Enter your current password, or a code from your authenticator app.", field="proof"
        )
    throttled = _throttled(session, settings, user, ip, now)
    if throttled is not None:
        raise TooManyRequests(throttled.message, field="proof")
    if has_totp(user) and looks_like_totp(proof):
        ok = use_totp(session, user, proof, now=now)
    else:
        ok = verify_password(user.password_hash, proof)
    if not ok:
        session.add(LoginAttempt(email=user.email, ip=ip[:64], at=now))
        raise InvalidInput(
            "That is neither your current password nor a current code from your authenticator app.",
            field="proof",
        )


def check_new_totp(secret: str, code: str, *, now: datetime) -> int:
    """The time step of `code` for a secret being set up; InvalidInput if it does not match.
    Checked before the person's identity, so a mistyped code costs no attempt."""
    return _confirmed_step(secret, code, now)


def set_up_totp(
    session: Session,
    settings: Settings,
    actor: Actor,
    user: User,
    *,
    secret: str,
    step: int,
    ip: str,
    now: datetime,
) -> list[str] | None:
    """Make `secret` (confirmed with a code of time step `step`) the person's app, replacing any
    other; returns new recovery codes when the person had none left."""
    replacing = has_totp(user)
    _enable_totp(user, secret, step, now)
    codes = None
    if recovery_codes_left(session, user.id) == 0:
        codes = issue_recovery_codes(session, user, now=now)
    record(
        session,
        actor,
        action="mfa.totp_replaced" if replacing else "mfa.totp_set_up",
        object_type="user",
        object_id=user.id,
        details={"recovery_codes_issued": codes is not None},
        at=now,
    )
    detail = (
        "The new second factor is an authenticator app; codes from the one used before no "
        "longer work."
        if replacing
        else "The new second factor is an authenticator app."
    )
    security_notice(
        session, user, what="second_factor_added", detail=detail, ip=ip, now=now, settings=settings
    )
    return codes


def _forget_recovery_codes_if_no_factor(session: Session, user: User) -> None:
    # Without a factor, recovery codes stand in for nothing; kept, they would come back to life
    # when a factor is set up again.
    if not has_factor(session, user):
        session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def turn_off_totp(
    session: Session, settings: Settings, actor: Actor, user: User, *, ip: str, now: datetime
) -> None:
    if not has_totp(user):
        raise Conflict("You have no authenticator app set up.")
    if required_for(settings, user) and _passkey_count(session, user.id) == 0:
        raise Conflict(
            f"Your role ({user.role.label}) requires a second factor: add a passkey before "
            "you turn off the authenticator app, or set up a new app instead.",
            field="proof",
        )
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.flush()
    _forget_recovery_codes_if_no_factor(session, user)
    record(session, actor, action="mfa.totp_removed", object_type="user", object_id=user.id, at=now)
    security_notice(
        session,
        user,
        what="second_factor_removed",
        detail="It was the authenticator app: its codes are no longer asked for or accepted.",
        ip=ip,
        now=now,
        settings=settings,
    )


def regenerate_recovery_codes(
    session: Session, settings: Settings, actor: Actor, user: User, *, ip: str, now: datetime
) -> list[str]:
    if not has_factor(session, user):
        raise Conflict(
            "Recovery codes stand in for a second factor: set up an authenticator app or a "
            "passkey first."
        )
    codes = issue_recovery_codes(session, user, now=now)
    record(
        session,
        actor,
        action="mfa.recovery_codes_issued",
        object_type="user",
        object_id=user.id,
        at=now,
    )
    security_notice(
        session,
        user,
        what="recovery_codes_renewed",
        detail="Your earlier recovery codes no longer work.",
        ip=ip,
        now=now,
        settings=settings,
    )
    return codes


def add_passkey(
    session: Session,
    settings: Settings,
    actor: Actor,
    user: User,
    *,
    credential: str,
    challenge: str | None,
    name: str,
    ip: str,
    now: datetime,
) -> tuple[Passkey, list[str] | None]:
    """Register a passkey from the security page; new recovery codes when there were none."""
    passkey = register_passkey(
        session, settings, user, credential=credential, challenge=challenge, name=name, now=now
    )
    codes = None
    if recovery_codes_left(session, user.id) == 0:
        codes = issue_recovery_codes(session, user, now=now)
    record(
        session,
        actor,
        action="mfa.passkey_added",
        object_type="passkey",
        object_id=passkey.id,
        details={"user_id": user.id, "name": passkey.name},
        at=now,
    )
    security_notice(
        session,
        user,
        what="second_factor_added",
        detail=f'The new second factor is a passkey named "{passkey.name}".',
        ip=ip,
        now=now,
        settings=settings,
    )
    return passkey, codes


def _own_passkey(session: Session, user: User, passkey_id: int) -> Passkey:
    passkey = session.get(Passkey, passkey_id)
    if passkey is None or passkey.user_id != user.id:
        raise NotFound(f"You have no passkey {passkey_id}.")
    return passkey


def rename_passkey(
    session: Session, actor: Actor, user: User, passkey_id: int, *, name: str, now: datetime
) -> Passkey:
    passkey = _own_passkey(session, user, passkey_id)
    before, passkey.name = passkey.name, _passkey_name(name)
    record(
        session,
        actor,
        action="mfa.passkey_renamed",
        object_type="passkey",
        object_id=passkey.id,
        details={"before": before, "after": passkey.name},
        at=now,
    )
    return passkey


def remove_passkey(
    session: Session,
    settings: Settings,
    actor: Actor,
    user: User,
    passkey_id: int,
    *,
    ip: str,
    now: datetime,
) -> Passkey:
    passkey = _own_passkey(session, user, passkey_id)
    alone = not has_totp(user) and _passkey_count(session, user.id) <= 1
    if required_for(settings, user) and alone:
        raise Conflict(
            f"Your role ({user.role.label}) requires a second factor: set up an "
            "authenticator app or add another passkey before you remove this one.",
            field="proof",
        )
    session.delete(passkey)
    session.flush()
    _forget_recovery_codes_if_no_factor(session, user)
    record(
        session,
        actor,
        action="mfa.passkey_removed",
        object_type="passkey",
        object_id=passkey.id,
        details={"user_id": user.id, "name": passkey.name},
        at=now,
    )
    security_notice(
        session,
        user,
        what="second_factor_removed",
        detail=f'It was the passkey named "{passkey.name}".',
        ip=ip,
        now=now,
        settings=settings,
    )
    return passkey
