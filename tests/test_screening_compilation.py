"""The impact of a round's pending proposals on its page (issue 21, "in the compilation"): per
proposal the case studies whose screening result it changes, counting only those the viewer may
see. The round page is kept by audience (role and delegations); who may see a restricted case
study is not in that key, so the impacts are rendered for each request and never cached: a
colleague of the same delegation who is not the case's contributor must not read its reference."""

from datetime import datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.db import Database
from app.demo import screening as demo_screening
from app.demo.loader import DEMO_PASSWORD, load_demo
from app.models import Proposal, ProposalKind, Role, Round
from tests.factories import make_user
from tests.helpers import Clock, log_in


def demo(database: Database, now: datetime) -> None:
    with database.transaction() as session:
        load_demo(session, now=now)


pytestmark = pytest.mark.start_from.with_args(demo)

SECRETARIAT = "secretariat1@demo.zerodraft.org"
CONTRIBUTOR = "member.bn@demo.zerodraft.org"  # of CS-09, restricted
COLLEAGUE = "colleague.bn@demo.zerodraft.org"  # same role and delegation, not a contributor
FLIP = "CS-09</a> not identified → identified"


def _demo_proposal(database: Database) -> tuple[int, str, str]:
    with database.transaction() as s:
        p = s.scalars(
            select(Proposal).where(
                Proposal.kind == ProposalKind.AMEND,
                Proposal.rationale == demo_screening.RATIONALE,
            )
        ).one()
        r = s.get(Round, p.round_id)
        assert r is not None
        return p.id, p.reference, r.symbol


def _impacts(html: str) -> str:
    assert 'id="round-impacts"' in html, "no impact section"
    part = html[html.index('id="round-impacts"') :]
    return part[: part.index("</section>")]


def _line(section: str, reference: str) -> str:
    part = section[section.index(f'data-proposal="{reference}"') :]
    return part[: part.index("</li>")]


def test_the_round_page_shows_the_demo_proposals_impact_to_whoever_may_see_the_case(
    app: FastAPI, client: TestClient, database: Database, clock: Clock
) -> None:
    pid, reference, symbol = _demo_proposal(database)
    log_in(client, SECRETARIAT, DEMO_PASSWORD)
    section = _impacts(client.get(f"/rounds/{symbol}").text)
    line = _line(section, reference)
    assert f'href="/proposals/{pid}"' in line
    assert "changes 1 case study:" in line and FLIP in line

    with database.transaction() as s:
        make_user(s, COLLEAGUE, Role.MEMBER, "BN-DGICM", now=clock.now)

    contributor = TestClient(app, base_url="http://testserver")
    log_in(contributor, CONTRIBUTOR, DEMO_PASSWORD)
    colleague = TestClient(app, base_url="http://testserver")
    log_in(colleague, COLLEAGUE)
    # The contributor first, so that the page is in the cache for their audience.
    seen = _line(_impacts(contributor.get(f"/rounds/{symbol}").text), reference)
    assert "changes 1 case study:" in seen and FLIP in seen
    # The same audience (member of BN-DGICM), not a contributor of CS-09: not named, not counted.
    page = colleague.get(f"/rounds/{symbol}")
    assert page.status_code == 200
    assert "CS-09" not in page.text
    hidden = _line(_impacts(page.text), reference)
    assert "changes no case study" in hidden
    # And the contributor's view is unchanged after the colleague's.
    assert FLIP in _impacts(contributor.get(f"/rounds/{symbol}").text)
