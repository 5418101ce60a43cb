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


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(description="Shown once; only its hash is kept")
