"""Test data from small plain functions. Everything goes through the services where one exists,
so the data is what real use would have written (revisions, audit events)."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.accounts.passwords import hash_password
from app.audit.service import Actor, record
from app.db import Database
from app.models import Body, Delegation, Dimension, ItemKind, MemberState, Role
from app.register import service as register

PASSWORD = "correct-horse-battery"


def make_delegation(session: Session, state: tuple[str, str], body: tuple[str, str]) -> Delegation:
    ms = session.query(MemberState).filter_by(code=state[0]).one_or_none()
    if ms is None:
        ms = MemberState(code=state[0], name=state[1])
        session.add(ms)
    b = session.query(Body).filter_by(code=body[0]).one_or_none()
    if b is None:
        b = Body(code=body[0], name=body[1])
        session.add(b)
    session.flush()
    d = Delegation(code=f"{state[0]}-{body[0]}", state_id=ms.id, body_id=b.id)
    session.add(d)
    session.flush()
    return d


def make_dimension(session: Session, code: str, title: str, position: int) -> Dimension:
    d = Dimension(code=code, prefix=f"FC-{code}", title=title, description="", position=position)
    session.add(d)
    session.flush()
    return d


@cache
def password_hash() -> str:
    # Hashed once, at the cost the test settings choose (password_hashing="minimal").
    return hash_password(PASSWORD)


def make_user(
    session: Session, email: str, role: Role, *delegations: str, now: datetime, name: str = ""
) -> None:
    user = accounts.add_user(
        session,
        Actor.system("test"),
        email=email,
        name=name or email.split("@")[0].replace(".", " ").title(),
        role=role,
        password=None,
        delegation_codes=delegations,
        now=now,
    )
    user.password_hash = password_hash()


def make_indicator(
    session: Session, dimension: str, text: str, *, now: datetime, **fields: Any
) -> str:
    item = register.create_item(
        session,
        Actor.system("test"),
        kind=ItemKind.INDICATOR,
        content={"text": text, **fields},
        reason="Zero Draft text",
        now=now,
        dimension_code=dimension,
    )
    return item.code


@dataclass(frozen=True)
class World:
    """A small working group: three delegations, one person per role, two dimensions."""

    secretariat: str = "sec@asean.test"
    secretariat2: str = "sec2@asean.test"
    member: str = "member.ph@asean.test"
    member2: str = "member.id@asean.test"
    member3: str = "member.th@asean.test"
    chair: str = "chair@asean.test"
    observer: str = "observer@asean.test"
    admin: str = "admin@asean.test"
    indicator: str = "FC-CD-01"
    section: str = "SEC-PURPOSE"


def build_world(database: Database, now: datetime) -> World:
    w = World()
    with database.transaction() as s:
        make_delegation(s, ("PH", "Philippines"), ("SOMTC", "Senior Officials Meeting on TC"))
        make_delegation(s, ("ID", "Indonesia"), ("AICHR", "Intergovernmental Commission on HR"))
        make_delegation(s, ("TH", "Thailand"), ("SOMTC", "Senior Officials Meeting on TC"))
        make_delegation(s, ("PH", "Philippines"), ("ACWC", "Commission on Women and Children"))
        make_dimension(s, "DR", "Deceptive recruitment", 1)
        make_dimension(s, "CD", "Control at destination", 2)
        make_user(s, w.secretariat, Role.SECRETARIAT, now=now, name="Siti Secretariat")
        make_user(s, w.secretariat2, Role.SECRETARIAT, now=now, name="Second Officer")
        make_user(s, w.member, Role.MEMBER, "PH-SOMTC", "PH-ACWC", now=now, name="Maria Santos")
        make_user(s, w.member2, Role.MEMBER, "ID-AICHR", now=now, name="Budi Hartono")
        make_user(s, w.member3, Role.MEMBER, "TH-SOMTC", now=now, name="Somchai Wong")
        make_user(s, w.chair, Role.CHAIR, "ID-AICHR", now=now, name="Chair Person")
        make_user(s, w.observer, Role.OBSERVER, now=now, name="Olivia Observer")
        make_user(s, w.admin, Role.ADMIN, now=now, name="Adam Admin")
        make_indicator(
            s,
            "CD",
            "Passport or personal phone taken by the operators",
            now=now,
            strength_adult="strong",
            strength_child="strong",
            profiles=["adult", "child"],
            crime_types=["online_fraud"],
        )
        make_indicator(s, "CD", "Confined to a guarded compound", now=now, strength_adult="strong")
        make_indicator(s, "DR", "Offered a lawful job abroad but told to run fraud", now=now)
        register.create_item(
            s,
            Actor.system("test"),
            kind=ItemKind.SECTION,
            content={
                "title": "Purpose",
                "text": "These indicators help identify presumed victims.",
            },
            reason="Zero Draft text",
            now=now,
            code="SEC-PURPOSE",
        )
    return w


def token_for(database: Database, email: str, now: datetime) -> str:
    with database.transaction() as s:
        user = accounts.get_user_by_email(s, email)
        _, raw = accounts.create_token(s, Actor.system("test"), user=user, name="test", now=now)
    return raw


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def arranged(database: Database) -> Iterator[Session]:
    """A transaction that puts the database in the state a test needs by writing rows directly,
    not through a use case: recorded as such in the audit trail, as the commit guard
    (app/audit/guard.py) requires of every change to what pages show."""
    with database.transaction() as session:
        yield session
        record(
            session,
            Actor.system("test"),
            action="test.arrange",
            object_type="test",
            object_id="-",
        )
