from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
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


class Delegation(Base):
    """A member state speaking through a body, e.g. "Philippines - SOMTC" (PH-SOMTC)."""

    __tablename__ = "delegations"
    __table_args__ = (UniqueConstraint("state_id", "body_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    state_id: Mapped[int] = mapped_column(ForeignKey("member_states.id"))
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))

    state: Mapped[MemberState] = relationship(lazy="raise")
    body: Mapped[Body] = relationship(lazy="raise")

    @property
    def name(self) -> str:
        return f"{self.state.name} - {self.body.code}"


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
