from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.models import Role
from app.people.service import PersonState
from app.schemas import Strict


class MembershipOut(BaseModel):
    code: str
    name: str
    retired: bool = Field(description="A retired delegation: kept as history, not acted for")


class PersonOut(BaseModel):
    id: int
    email: str
    name: str
    role: Role
    state: PersonState = Field(description="active, pending (invited, no password yet), disabled")
    delegations: list[MembershipOut]
    last_seen: datetime | None = Field(description="Last page in a session or API token use")
    mfa: bool = Field(description="An authenticator app or a passkey is set up")
    created_at: datetime


class PeopleOut(BaseModel):
    people: list[PersonOut]
    total: int = Field(description="People matching the filters")
    page: int
    per_page: int
    pages: int
    counts: dict[PersonState, int] = Field(description="Everyone, by state, whatever the filters")


class HistoryOut(BaseModel):
    at: datetime
    action: str
    by: str | None = Field(description="Who did it; null: the system or the command line")
    details: dict[str, Any]


class PersonDetailOut(PersonOut):
    version: str = Field(description="Send it back in If-Match to change the person")
    totp_since: datetime | None
    passkeys: int
    recovery_codes_left: int
    live_sessions: int
    active_tokens: int
    invitation_expires: datetime | None = Field(
        description="While the invitation is pending: when its link stops working"
    )
    history: list[HistoryOut] = Field(description="The latest changes to the account")


class PersonUpdate(Strict):
    role: Role | None = None
    delegations: list[str] | None = Field(
        None,
        max_length=50,
        description="The full list of delegation codes the person belongs to",
    )
    active: bool | None = Field(None, description="false: disable (ends sessions); true: enable")


class SecondFactorReset(Strict):
    reason: str = Field(
        min_length=1,
        max_length=500,
        description="Why, e.g. how the person's identity was checked; recorded and mailed",
    )
