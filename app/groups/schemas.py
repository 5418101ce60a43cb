from datetime import datetime

from pydantic import BaseModel, Field

from app.schemas import Strict


class MemberStateOut(BaseModel):
    code: str = Field(description="Two letters, e.g. PH")
    name: str
    delegations: int = Field(description="How many delegations speak for it, retired included")


class BodyOut(BaseModel):
    code: str = Field(description="e.g. SOMTC; delegation codes are made of it")
    name: str
    retired_at: datetime | None = Field(description="Set: the body takes no new delegations")
    delegations: int = Field(description="Its delegations that are not retired")


class BodyCreate(Strict):
    code: str = Field(min_length=2, max_length=16, description="2 to 16 letters or digits")
    name: str = Field(min_length=1, max_length=200)


class BodyUpdate(Strict):
    name: str | None = Field(None, min_length=1, max_length=200, description="A new name")
    retired: bool | None = Field(
        None, description="true: retire (no new delegations); false: reinstate"
    )


class DelegationOut(BaseModel):
    code: str = Field(description="STATE-BODY, e.g. PH-SOMTC")
    name: str = Field(description="Its title, or '<member state> - <body code>'")
    title: str | None = Field(description="The name the group gave it, if any")
    state: str = Field(description="The member state's name")
    state_code: str
    body: str = Field(description="The body's code")
    retired_at: datetime | None = Field(description="Set: nobody can act for it any more")
    members: int = Field(description="Active people who belong to it")


class DelegationCreate(Strict):
    state: str = Field(min_length=2, max_length=2, description="Member state code, e.g. PH")
    body: str = Field(min_length=2, max_length=16, description="Body code, e.g. SOMTC")
    title: str | None = Field(None, max_length=200, description="Optional display name")


class DelegationUpdate(Strict):
    title: str | None = Field(
        None, max_length=200, description="A display name; null or empty: the default name"
    )
    retired: bool | None = Field(
        None, description="true: retire (nobody can act for it); false: reinstate"
    )
