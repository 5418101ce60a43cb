"""The demo working group loads through the services, with full history and audit trail."""

import io
import re
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta

import docx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.accounts.passwords import verify_password
from app.db import Database
from app.demo import content
from app.demo.loader import DEMO_PASSWORD, is_empty, load_demo
from app.errors import Conflict
from app.models import (
    AuditEvent,
    Comment,
    Item,
    ItemStatus,
    Membership,
    Position,
    Proposal,
    ProposalState,
    Revision,
    Round,
    RoundState,
    Stance,
    User,
)
from app.register import service as register
from app.word.model import VARIANTS
from tests.factories import bearer, token_for
from tests.helpers import Clock

ZD = "DWG-FC/ZD"


def demo(database: Database, now: datetime) -> None:
    with database.transaction() as session:
        load_demo(session, now=now)


# Every test starts with the demo loaded by load_demo at the test clock's start: loaded once per
# test process and copied (tests/conftest.py, start_from), not loaded again for each test.
pytestmark = pytest.mark.start_from.with_args(demo)


@pytest.fixture
def demo_db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


def test_demo_loads_every_item_with_every_revision(demo_db: Database) -> None:
    expected = {
        entry["code"]: len(entry["revisions"]) for entry in content.SECTIONS + content.INDICATORS
    }
    with demo_db.transaction(write=False) as session:
        versions = dict(session.execute(select(Item.code, Item.version)).all())
        revisions = session.scalar(select(func.count()).select_from(Revision))
        by_proposals = dict(
            session.execute(
                select(Item.code, func.count())
                .join(Revision, Revision.item_id == Item.id)
                .where(Revision.proposal_id.is_not(None))
                .group_by(Item.code)
            ).all()
        )
    # The content's revisions, then those of the proposals agreed in DWG-FC/ZD (one new item).
    assert {code: versions[code] - by_proposals.get(code, 0) for code in expected} == expected
    assert set(versions) - set(expected) == {c for c in by_proposals if c not in expected}
    assert len(set(versions) - set(expected)) == 1
    assert revisions == sum(versions.values())


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
    item_actions = [a for a in actions if a.startswith(("indicator.", "section."))]
    assert sum(
        a.endswith((".create", ".revise", ".withdraw", ".reinstate")) for a in item_actions
    ) == (revisions)
    assert actions.count("user.add") == len(content.PEOPLE)
    assert times == sorted(times)
    # Each step of the set-up and register has a moment of its own; in the rounds one step may
    # record several events at once (a proposal created and submitted, a round issued and the
    # one before it superseded).
    before_rounds = times[: actions.index("round.create")]
    assert len(set(before_rounds)) == len(before_rounds)
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
                Revision.delegation_id.is_not(None), Revision.proposal_id.is_(None)
            )
        ).all()
        # A revision made by an agreed proposal belongs to the proposing delegation (its
        # author is whoever wrote the words: the secretariat, when it modified them).
        decided = session.execute(
            select(Revision.delegation_id, Proposal.delegation_id).join(
                Proposal, Proposal.id == Revision.proposal_id
            )
        ).all()
        memberships = set(
            session.execute(select(Membership.user_id, Membership.delegation_id)).all()
        )
    assert pairs
    assert {tuple(p) for p in pairs} <= memberships
    assert decided and all(a == b for a, b in decided)


def test_demo_has_two_rounds_with_decided_proposals_and_open_comments(
    demo_db: Database, clock: Clock
) -> None:
    with demo_db.transaction(write=False) as session:
        listed = {r.symbol: r for r in session.scalars(select(Round))}
        states = dict(
            session.execute(select(Proposal.state, func.count()).group_by(Proposal.state)).all()
        )
        open_comments = dict(
            session.execute(
                select(Round.symbol, func.count())
                .join(Comment, Comment.round_id == Round.id)
                .where(Comment.parent_id.is_(None), Comment.resolved_at.is_(None))
                .group_by(Round.symbol)
            ).all()
        )
        objections = session.scalar(
            select(func.count()).select_from(Position).where(Position.stance == Stance.OBJECTION)
        )
    assert len(listed) >= 2
    zd, rev1 = listed["DWG-FC/ZD"], listed["DWG-FC/Rev.1"]
    assert zd.state is RoundState.SUPERSEDED and rev1.state is RoundState.OPEN
    assert rev1.previous_round_id == zd.id and rev1.time_zone == "Asia/Jakarta"
    assert rev1.deadline is not None and rev1.deadline > clock() + timedelta(days=13)
    for state in (
        ProposalState.AGREED,
        ProposalState.AGREED_MODIFIED,
        ProposalState.NOT_RETAINED,
        ProposalState.UNDER_CONSIDERATION,
        ProposalState.SUBMITTED,
    ):
        assert states.get(state, 0) >= 1, state
    assert open_comments["DWG-FC/ZD"] >= 1 and open_comments["DWG-FC/Rev.1"] >= 1
    assert objections == 1


@pytest.fixture
def demo_api(client: TestClient, database: Database, clock: Clock) -> dict[str, str]:
    return bearer(token_for(database, "member.ph@demo.zerodraft.org", clock()))


@pytest.mark.parametrize(
    ("symbol", "variant"),
    [(r, v) for r in ("DWG-FC/ZD", "DWG-FC/Rev.1") for v in VARIANTS if (r, v) != (ZD, "redline")],
)
def test_every_variant_of_the_demo_exports(
    client: TestClient, demo_api: dict[str, str], symbol: str, variant: str
) -> None:
    response = client.get(
        f"/api/v1/rounds/{symbol}/export.docx?variant={variant}&comments=true", headers=demo_api
    )
    assert response.status_code == 200, response.text
    document = docx.Document(io.BytesIO(response.content))
    assert any(symbol in p.text for p in document.paragraphs) or document.core_properties.title


def test_the_demo_redline_is_attributed_to_delegations(
    client: TestClient, demo_api: dict[str, str]
) -> None:
    response = client.get(
        f"/api/v1/rounds/DWG-FC/Rev.1/export.docx?variant=redline&base={ZD}", headers=demo_api
    )
    assert response.status_code == 200, response.text
    with zipfile.ZipFile(io.BytesIO(response.content)) as z:
        xml = z.read("word/document.xml").decode()
    authors = set(re.findall(r'<w:(?:ins|del) [^>]*w:author="([^"]+)"', xml))
    assert {"Philippines - SOMTC", "Thailand - SOMTC", "Singapore - ASLOM"} <= authors


def test_demo_refuses_a_database_that_has_users(demo_db: Database, clock: Clock) -> None:
    with demo_db.transaction() as session:
        assert not is_empty(session)
        with pytest.raises(Conflict):
            load_demo(session, now=clock())
