from datetime import datetime

from pydantic import BaseModel, Field

from app.models import Role
from app.schemas import Strict


class DelegationOut(BaseModel):
    code: str
    name: str


class MeOut(BaseModel):
    email: str
    name: str
    role: Role
    delegations: list[DelegationOut]
    acting_delegation: DelegationOut | None


class TokenCreate(Strict):
    name: str = Field("API token", min_length=1, max_length=100)
    expires_in_days: int = Field(
        90, ge=1, le=365, description="How long the token works: 1 to 365 days (default 90)"
    )
    password: str = Field(
        "",
        max_length=128,
        description="Your password, unless you logged in within the last 10 minutes (a token "
        "cannot create tokens: this needs a browser session)",
    )


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime = Field(description="When the token stops working (UTC)")
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(description="Shown once; only its hash is kept")
