from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache

from sqlalchemy import (
    Boolean,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime, utcnow
from app.models.types import str_enum


class Role(StrEnum):
    MEMBER = "member"
    SECRETARIAT = "secretariat"
    CHAIR = "chair"
    OBSERVER = "observer"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return {"secretariat": "Secretariat (ASEC)"}.get(self.value, self.value.capitalize())


class MailFrequency(StrEnum):
    """How a person receives notification mail. Account mail (invitation, reset, security
    notices) always goes at once, whatever this says."""

    IMMEDIATE = "immediate"
    DAILY = "daily"
    WEEKLY = "weekly"
    NONE = "none"

    @property
    def label(self) -> str:
        return {
            "immediate": "Every message at once",
            "daily": "A daily digest",
            "weekly": "A weekly digest",
            "none": "No notification mail",
        }[self.value]


class LinkPurpose(StrEnum):
    """What a one-time link in a mail is for."""

    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a purpose, not a secret


class MemberState(Base):
    __tablename__ = "member_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)


class Body(Base):
    """An ASEAN sectoral body (AICHR, SOMTC, ...): data, so the group can add bodies."""

    __tablename__ = "bodies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Retired bodies keep their history but take no new delegations.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Delegation(Base):
    """A member state speaking through a body, e.g. "Philippines - SOMTC" (PH-SOMTC)."""

    __tablename__ = "delegations"
    __table_args__ = (UniqueConstraint("state_id", "body_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    state_id: Mapped[int] = mapped_column(ForeignKey("member_states.id"))
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    # A name the group gives the delegation; None: "<state> - <body code>".
    title: Mapped[str | None] = mapped_column(String(200))
    # Retired delegations keep everything they said; nobody can act for them any more.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    state: Mapped[MemberState] = relationship(lazy="raise")
    body: Mapped[Body] = relationship(lazy="raise")

    @property
    def name(self) -> str:
        return self.title or f"{self.state.name} - {self.body.code}"

    @classmethod
    def name_column(cls) -> ColumnElement[str]:
        """The same name in SQL, for a query joined to member_states and bodies."""
        return _delegation_name()


@cache
def _delegation_name() -> ColumnElement[str]:
    # Built once: an expression is immutable, and building this one cost about as much as
    # running a small query (pages use it three times).
    return func.coalesce(Delegation.title, MemberState.name + " - " + Body.code)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # None: the group's time zone (ZERODRAFT_TIME_ZONE).
    time_zone: Mapped[str | None] = mapped_column(String(64))
    mail_frequency: Mapped[MailFrequency] = mapped_column(
        str_enum(MailFrequency, "mail_frequency"), default=MailFrequency.DAILY
    )
    # When the last digest went out (daily or weekly), so the worker knows when the next is due.
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # TOTP second factor: the base32 secret (set up when totp_enabled_at is set) and the last
    # time step used, so that a code cannot be replayed within its window.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    memberships: Mapped[list["Membership"]] = relationship(lazy="raise", back_populates="user")

    @property
    def initials(self) -> str:
        return "".join(part[0] for part in self.name.split()[:3]).upper()

    def disable(self, *, now: datetime) -> None:
        self.is_active = False
        self.disabled_at = now


class Membership(Base):
    """A person may speak for several delegations; each action names the one it is for."""

    __tablename__ = "memberships"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    delegation_id: Mapped[int] = mapped_column(ForeignKey("delegations.id"), primary_key=True)

    user: Mapped[User] = relationship(lazy="raise", back_populates="memberships")
    delegation: Mapped[Delegation] = relationship(lazy="raise")


class AuthSession(Base):
    """A browser log-in. Only the SHA-256 of the cookie value is stored."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    delegation_id: Mapped[int | None] = mapped_column(ForeignKey("delegations.id"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Shown on the account page so a person can tell their sessions apart.
    user_agent: Mapped[str | None] = mapped_column(String(300))
    ip: Mapped[str | None] = mapped_column(String(64))
    # How the second factor was given at log-in: "totp", "recovery", "passkey" or None.
    second_factor: Mapped[str | None] = mapped_column(String(16))
    # A pending WebAuthn registration challenge (base64url), for adding a passkey.
    webauthn_challenge: Mapped[str | None] = mapped_column(String(200))

    def is_live(self, *, now: datetime, idle: timedelta) -> bool:
        return self.ended_at is None and now < self.expires_at and now - self.last_seen_at < idle


class ApiToken(Base):
    """A personal token for scripts. Shown once; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Chosen when the token is made (at most a year on); it stops working then.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginAttempt(Base):
    """Failed log-ins, kept in the database so throttling holds across app instances."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_at", "email", "at"),
        Index("ix_login_attempts_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class AccountLink(Base):
    """A one-time link sent by mail (invitation, password reset). Only the SHA-256 of the
    token is stored; a link works once and until it expires."""

    __tablename__ = "account_links"
    __table_args__ = (Index("ix_account_links_user_purpose", "user_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    purpose: Mapped[LinkPurpose] = mapped_column(str_enum(LinkPurpose, "link_purpose"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A newer link of the same purpose (a resent invitation) revokes the older ones.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    def is_usable(self, *, now: datetime) -> bool:
        return self.used_at is None and self.revoked_at is None and now < self.expires_at


class RecoveryCode(Base):
    """One of a person's ten single-use recovery codes (SHA-256 stored)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Passkey(Base):
    """A WebAuthn credential registered by a person as their second factor."""

    __tablename__ = "passkeys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)  # base64url
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    transports: Mapped[str] = mapped_column(String(200), default="")
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginChallenge(Base):
    """A log-in half done: the password was right and the second factor (or its set-up, where
    the role requires one) is still to come. Only the SHA-256 of its cookie is stored."""

    __tablename__ = "login_challenges"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # "verify": give a second factor; "enrol": set one up before the first session.
    purpose: Mapped[str] = mapped_column(String(16))
    next_path: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    # The secret being set up (enrol) until it is confirmed, and a WebAuthn challenge.
    pending_totp_secret: Mapped[str | None] = mapped_column(String(64))
    webauthn_challenge: Mapped[str | None] = mapped_column(String(200))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
