"""All ORM models, imported here so that Alembic and the app see one metadata."""

from app.models.accounts import (
    ApiToken,
    AuthSession,
    Body,
    Delegation,
    LoginAttempt,
    Membership,
    MemberState,
    Role,
    User,
)
from app.models.audit import AuditEvent
from app.models.register import (
    Dimension,
    Element,
    Item,
    ItemKind,
    ItemStatus,
    Revision,
    Strength,
)

__all__ = [
    "ApiToken",
    "AuditEvent",
    "AuthSession",
    "Body",
    "Delegation",
    "Dimension",
    "Element",
    "Item",
    "ItemKind",
    "ItemStatus",
    "LoginAttempt",
    "MemberState",
    "Membership",
    "Revision",
    "Role",
    "Strength",
    "User",
]
