"""Reading a proposal's impact on the case studies in a real headless Chromium page (issue 21):
the contributor of a restricted case study opens the demo's proposal (FC-EX-04 strong for adults)
from the proposals list and reads, on its page, the case study whose screening result it flips;
the screening page of the round shows the same case as a trafficked case not identified. No
serious accessibility violation."""

from datetime import datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from app.db import Database
from app.demo.loader import DEMO_PASSWORD, load_demo
from tests.factories import bearer, token_for
from tests.helpers import Clock, browser_log_in
from tests.test_accessibility import assert_no_serious_violations
from tests.test_screening import (
    CONTRIBUTOR,
    ROUND,
    SECRETARIAT,
    _code_debt_as_ex04,
    _demo_proposal,
)


def demo(database: Database, now: datetime) -> None:
    with database.transaction() as session:
        load_demo(session, now=now)


pytestmark = [pytest.mark.browser, pytest.mark.start_from.with_args(demo)]


def test_a_contributor_reads_a_proposals_impact_on_its_page(
    page: Any, live_server: str, app: FastAPI, database: Database, clock: Clock
) -> None:
    api = TestClient(app)
    _code_debt_as_ex04(api, bearer(token_for(database, SECRETARIAT, clock.now)))
    proposal = _demo_proposal(database)

    browser_log_in(page, live_server, CONTRIBUTOR, DEMO_PASSWORD)
    page.goto(f"{live_server}/proposals/{proposal}")
    panel = page.locator("#impact")
    expect(panel.get_by_role("heading", name="Impact on the case studies")).to_be_visible()
    row = panel.locator("#impact-table tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("CS-09")
    expect(row.locator("td").nth(0)).to_have_text("not identified")
    expect(row.locator("td").nth(1)).to_have_text("identified")
    assert_no_serious_violations(page)
    row.get_by_role("link", name="CS-09").click()
    expect(page.locator("#case-heading")).to_contain_text("Hotel job offer")

    page.goto(f"{live_server}/screening/{ROUND}")
    mine = page.locator('#screening tr[data-case="CS-09"]')
    expect(mine.locator("td.result")).to_have_text("not identified")
    expect(page.locator("#sensitivity")).to_contain_text("trafficked cases identified")
    assert_no_serious_violations(page)
