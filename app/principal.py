"""Who is asking: the person making a request and the delegations they may speak for.

Neutral: every layer (web dependencies, services, pages) passes a Principal around, so it lives
outside the feature packages and imports only the models, the errors and the audit actor."""

from dataclasses import dataclass, field

from app.audit.service import Actor
from app.errors import PermissionDenied
from app.models import Role


@dataclass(frozen=True, slots=True)
class DelegationRef:
    id: int
    code: str
    name: str


@dataclass(slots=True)
class Principal:
    """The person making a request, with the delegations they may speak for."""

    user_id: int
    email: str
    name: str
    role: Role
    delegations: list[DelegationRef] = field(default_factory=list)
    acting_delegation_id: int | None = None
    session_id: str | None = None
    csrf_token: str | None = None
    via_token: bool = False
    token_id: int | None = None
    needs_touch: bool = False
    # The person's own time zone (an IANA name); None: the group's (ZERODRAFT_TIME_ZONE).
    time_zone: str | None = None

    @property
    def acting_delegation(self) -> DelegationRef | None:
        for d in self.delegations:
            if d.id == self.acting_delegation_id:
                return d
        return self.delegations[0] if self.delegations else None

    def delegation_for(self, code: str | None) -> DelegationRef | None:
        """The delegation an action is taken for: the named one, which must be the person's own."""
        if code is None:
            return self.acting_delegation
        for d in self.delegations:
            if d.code == code:
                return d
        raise PermissionDenied(f"you do not speak for delegation {code}", field="delegation")

    def actor(self, request_id: str | None, delegation: DelegationRef | None = None) -> Actor:
        chosen = delegation or self.acting_delegation
        return Actor(self.user_id, chosen.id if chosen else None, request_id)
