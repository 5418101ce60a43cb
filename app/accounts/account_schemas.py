"""Request and answer bodies of the invitation and own-account API."""

from datetime import datetime

from pydantic import BaseModel, Field

from app.accounts.schemas import DelegationOut
from app.models import MailFrequency, Role
from app.schemas import Strict


class InvitationCreate(Strict):
    email: str = Field(max_length=254, description="The invitee's address; the link goes there")
    name: str = Field(max_length=200, description="Their name as the group knows it")
    role: str = Field(
        max_length=32, description="member, secretariat, chair, observer or admin (admin only)"
    )
    delegations: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Codes of the delegations they speak for (a member needs at least one)",
    )


class InvitationOut(BaseModel):
    id: int
    email: str
    name: str
    role: Role
    delegations: list[DelegationOut]
    invitation_expires_at: datetime | None = Field(
        description="When the mailed link stops working (UTC)"
    )


class AccountOut(BaseModel):
    email: str
    name: str
    role: Role
    delegations: list[DelegationOut]
    time_zone: str | None = Field(
        description="The person's own time zone (IANA name); null: the group's"
    )
    effective_time_zone: str = Field(description="The zone dates are shown in")
    mail_frequency: MailFrequency = Field(
        description="How notification mail is sent; account mail always goes at once"
    )
    password_changed_at: datetime | None


class AccountUpdate(Strict):
    name: str | None = Field(None, max_length=200)
    time_zone: str | None = Field(
        None, max_length=64, description="An IANA zone such as Asia/Manila; null or '': the group's"
    )
    mail_frequency: MailFrequency | None = None
