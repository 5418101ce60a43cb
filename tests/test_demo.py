"""The demo working group loads through the services, with full history and audit trail."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.passwords import verify_password
from app.db import Database
from app.demo import content
from app.demo.loader import DEMO_PASSWORD, is_empty, load_demo
from app.errors import Conflict
from app.models import AuditEvent, Item, ItemStatus, Membership, Revision, User
from app.register import service as register
from tests.conftest import Clock


@pytest.fixture
def demo_db(db_url: str, clock: Clock) -> Iterator[Database]:
    database = Database(db_url)
    with database.transaction() as session:
        load_demo(session, now=clock())
    yield database
    database.dispose()


def test_demo_loads_every_item_with_every_revision(demo_db: Database) -> None:
    expected = {
        entry["code"]: len(entry["revisions"]) for entry in content.SECTIONS + content.INDICATORS
    }
    with demo_db.transaction(write=False) as session:
        versions = dict(session.execute(select(Item.code, Item.version)).all())
        revisions = session.scalar(select(func.count()).select_from(Revision))
    assert versions == expected
    assert revisions == sum(expected.values())


def test_demo_revisions_keep_their_author_delegation_and_reason(demo_db: Database) -> None:
    indicator = next(i for i in content.INDICATORS if len(i["revisions"]) > 1)
    second = indicator["revisions"][1]
    with demo_db.transaction(write=False) as session:
        view = register.revision(session, indicator["code"], 2)
        author = session.get(User, view.revision.author_id)
    assert author is not None and author.email == second["author"]
    assert view.delegation_code == second.get("delegation")
    assert view.revision.reason == second["reason"]
    assert view.revision.text == second["text"]


def test_demo_withdrawn_indicator_is_withdrawn(demo_db: Database) -> None:
    withdrawn = [
        i["code"] for i in content.INDICATORS if i["revisions"][-1].get("status") == "withdrawn"
    ]
    with demo_db.transaction(write=False) as session:
        statuses = {code: register.current(session, code).revision.status for code in withdrawn}
    assert withdrawn
    assert set(statuses.values()) == {ItemStatus.WITHDRAWN}


def test_demo_writes_an_audit_event_per_change_in_time_order(
    demo_db: Database, clock: Clock
) -> None:
    with demo_db.transaction(write=False) as session:
        events = session.execute(
            select(AuditEvent.action, AuditEvent.occurred_at).order_by(AuditEvent.id)
        ).all()
        revisions = session.scalar(select(func.count()).select_from(Revision))
    actions = [a for a, _ in events]
    times = [t for _, t in events]
    assert sum(a.endswith((".create", ".revise", ".withdraw", ".reinstate")) for a in actions) == (
        revisions
    )
    assert actions.count("user.add") == len(content.PEOPLE)
    assert times == sorted(times)
    assert len(set(times)) == len(times)
    assert clock() - timedelta(weeks=8) < times[0] and times[-1] < clock()


def test_demo_accounts_share_the_demo_password(demo_db: Database) -> None:
    with demo_db.transaction(write=False) as session:
        hashes = session.scalars(select(User.password_hash)).all()
    assert len(hashes) == len(content.PEOPLE)
    assert all(verify_password(h, DEMO_PASSWORD) for h in hashes)


def test_demo_authors_speak_for_the_delegation_they_edit_for(demo_db: Database) -> None:
    with demo_db.transaction(write=False) as session:
        pairs = session.execute(
            select(Revision.author_id, Revision.delegation_id).where(
                Revision.delegation_id.is_not(None)
            )
        ).all()
        memberships = set(
            session.execute(select(Membership.user_id, Membership.delegation_id)).all()
        )
    assert pairs
    assert {tuple(p) for p in pairs} <= memberships


def test_demo_refuses_a_database_that_has_users(demo_db: Database, clock: Clock) -> None:
    with demo_db.transaction() as session:
        assert not is_empty(session)
        with pytest.raises(Conflict):
            load_demo(session, now=clock())
