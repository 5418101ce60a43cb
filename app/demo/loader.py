"""Fill an empty database with the demo working group from app/demo/content.py.

Everything goes through the same services as real use, so the demo has the revisions and audit
trail that real work would leave: the zero draft first, then each later revision as an edit of
the one before it, dated over the past weeks in the order the edits were made; then the two
rounds of app/demo/story.py (DWG-FC/ZD decided, DWG-FC/Rev.1 open for input), the rating
rounds of app/demo/rating.py, then the case studies of app/demo/cases.py.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.passwords import hash_password
from app.accounts.service import add_user
from app.audit.service import Actor
from app.demo import cases, content, rating, screening, story
from app.errors import Conflict
from app.groups.service import add_body, add_delegation, add_dimension, add_member_state
from app.models import Element, ItemKind, ItemStatus, MemberState, Role, Strength, User
from app.register.service import create_item, revise_item

# Shared by every demo account. The demo is for trying zerodraft out, never for real drafting.
DEMO_PASSWORD = "asean-demo-2026"  # noqa: S105
DEMO_REQUEST_ID = "demo"
DEFAULT_AUTHOR = "secretariat1@demo.zerodraft.org"
# The demo's story starts this long before `now`: set-up, then the zero draft, then the edits.
STORY = timedelta(weeks=6)
ZERO_DRAFT_AFTER = timedelta(days=2)
EDITS_AFTER = timedelta(days=9)
# The register edits end this long before `now`; the rounds (app/demo/story.py) come after.
LAST_EDIT_BEFORE_NOW = timedelta(days=28)

# The rating rounds (app/demo/rating.py) run between the rounds' story and the case studies.
RATING_FROM = timedelta(hours=60)
RATING_UNTIL = timedelta(hours=13)

INDICATOR_TEXT_FIELDS = ("guidance", "information_sources", "references", "rationale")
INDICATOR_LIST_FIELDS = ("profiles", "crime_types", "intended_users")


@dataclass(frozen=True, slots=True)
class DemoLogin:
    email: str
    name: str
    role: Role
    delegations: tuple[str, ...]


DEMO_LOGINS = [
    DemoLogin(p["email"], p["name"], Role(p["role"]), tuple(p["delegations"]))
    for p in content.PEOPLE
]


def is_empty(session: Session) -> bool:
    return session.scalar(select(User.id).limit(1)) is None


def demo_logins(session: Session) -> list[DemoLogin]:
    """The demo accounts that exist and are active, e.g. to remind people how to log in."""
    active = set(
        session.scalars(
            select(User.email).where(
                User.email.in_([d.email for d in DEMO_LOGINS]), User.is_active.is_(True)
            )
        )
    )
    return [d for d in DEMO_LOGINS if d.email in active]


@dataclass(frozen=True, slots=True)
class _Edit:
    kind: ItemKind
    code: str
    number: int
    revision: dict[str, Any]
    dimension: str | None


def _indicator_content(rev: dict[str, Any]) -> dict[str, Any]:
    def strength(name: str) -> Strength | None:
        return Strength(rev[name]) if rev.get(name) else None

    return {
        "text": rev["text"],
        "element": Element(rev["element"]) if rev.get("element") else None,
        "strength_adult": strength("strength_adult"),
        "strength_child": strength("strength_child"),
        **{name: list(rev.get(name, [])) for name in INDICATOR_LIST_FIELDS},
        **{name: rev.get(name, "") for name in INDICATOR_TEXT_FIELDS},
        "status": ItemStatus(rev.get("status", ItemStatus.ACTIVE)),
    }


def _section_content(rev: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": rev["title"],
        "text": rev["text"],
        "status": ItemStatus(rev.get("status", ItemStatus.ACTIVE)),
    }


def _edits() -> tuple[list[_Edit], list[_Edit]]:
    """First revisions (the zero draft) and later ones, each list in the order they were made."""
    items = [
        (ItemKind.SECTION, section["code"], section["revisions"], None)
        for section in content.SECTIONS
    ] + [
        (ItemKind.INDICATOR, indicator["code"], indicator["revisions"], indicator["dimension"])
        for indicator in content.INDICATORS
    ]
    all_edits = [
        _Edit(kind, code, number, rev, dimension)
        for kind, code, revisions, dimension in items
        for number, rev in enumerate(revisions, start=1)
    ]
    first = [e for e in all_edits if e.number == 1]
    # Later edits come round by round: every second revision before any third one.
    later = sorted((e for e in all_edits if e.number > 1), key=lambda e: e.number)
    return first, later


def load_demo(session: Session, *, now: datetime) -> list[DemoLogin]:
    """Create the demo working group in an empty database; return the log-ins it made."""
    if not is_empty(session):
        raise Conflict("the database already has users; the demo loads only into an empty one")
    start = now.replace(second=0, microsecond=0) - STORY
    system = Actor.system(request_id=DEMO_REQUEST_ID)
    minute = timedelta(minutes=1)
    tick = 0

    def setup_time() -> datetime:
        nonlocal tick
        tick += 1
        return start + tick * minute

    # The eleven states are reference data (migration 0007); add only what a database lacks.
    present = set(session.scalars(select(MemberState.code)))
    for code, name in content.MEMBER_STATES:
        if code not in present:
            add_member_state(session, system, code=code, name=name, now=setup_time())
    for code, name in content.BODIES:
        add_body(session, system, code=code, name=name, now=setup_time())
    delegation_ids: dict[str, int] = {}
    for state_code, body_code in content.DELEGATIONS:
        delegation = add_delegation(
            session, system, state_code=state_code, body_code=body_code, now=setup_time()
        )
        delegation_ids[delegation.code] = delegation.id
    # One argon2 hash for all: hashing takes ~0.2 s, and tests load the demo often.
    password_hash = hash_password(DEMO_PASSWORD)
    user_ids: dict[str, int] = {}
    for login in DEMO_LOGINS:
        user = add_user(
            session,
            system,
            email=login.email,
            name=login.name,
            role=login.role,
            password=None,
            delegation_codes=login.delegations,
            now=setup_time(),
        )
        user.password_hash = password_hash
        user_ids[user.email] = user.id
    for position, dim in enumerate(content.DIMENSIONS, start=1):
        add_dimension(
            session,
            system,
            code=dim["code"],
            prefix=dim["prefix"],
            title=dim["title"],
            description=dim.get("description", ""),
            position=position,
            now=setup_time(),
        )

    def actor_for(rev: dict[str, Any]) -> Actor:
        delegation = rev.get("delegation")
        return Actor(
            user_ids[rev.get("author", DEFAULT_AUTHOR)],
            delegation_ids[delegation] if delegation else None,
            DEMO_REQUEST_ID,
        )

    def content_of(edit: _Edit) -> dict[str, Any]:
        if edit.kind is ItemKind.SECTION:
            return _section_content(edit.revision)
        return _indicator_content(edit.revision)

    first, later = _edits()
    zero_draft_at = start + ZERO_DRAFT_AFTER
    for i, edit in enumerate(first):
        create_item(
            session,
            actor_for(edit.revision),
            kind=edit.kind,
            code=edit.code,
            dimension_code=edit.dimension,
            content=content_of(edit),
            reason=edit.revision["reason"],
            now=zero_draft_at + i * minute,
        )
    edits_from = start + EDITS_AFTER
    step = (now - LAST_EDIT_BEFORE_NOW - edits_from) / max(len(later), 1)
    for i, edit in enumerate(later, start=1):
        revise_item(
            session,
            actor_for(edit.revision),
            code=edit.code,
            kind=edit.kind,
            expected_revision=edit.number - 1,
            changes=content_of(edit),
            reason=edit.revision["reason"],
            now=(edits_from + i * step).replace(microsecond=0),
        )
    story.play(session, register_done=now - LAST_EDIT_BEFORE_NOW, now=now)
    rating.load(
        session, start=now - RATING_FROM, end=now - RATING_UNTIL, request_id=DEMO_REQUEST_ID
    )
    cases.load(session, now=now, request_id=DEMO_REQUEST_ID)
    screening.load(session, now=now, request_id=DEMO_REQUEST_ID)
    return list(DEMO_LOGINS)
