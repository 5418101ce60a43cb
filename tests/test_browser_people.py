"""Setting up the group and bringing people in, in a real headless Chromium: the admin adds a
body and a delegation, imports a roster with one bad row, sees the problem named, corrects it
and confirms; then opens a new person's page. Each page has no serious or critical axe-core
finding."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.db import Database
from app.models import OutboxMessage, User
from tests.factories import World
from tests.helpers import browser_log_in
from tests.test_accessibility import axe

pytestmark = pytest.mark.browser


def serious(page: Any) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {n['target']}"
        for v in axe(page)
        if v["impact"] in ("serious", "critical")
        for n in v["nodes"]
    ]


ROSTER = (
    "\ufeffEmail,Name,Role,Delegations\r\n"
    "somsak@police.go.th,Somsak Chai,member,TH-SOMSWD\r\n"
    "dao@molisa.gov.vn,Dao Thi Lan,member,VN-SOMSWD\r\n"
    "observer@unodc.test,Anna Observer,observer,\r\n"
)


def test_the_admin_sets_up_a_body_a_delegation_and_imports_a_roster(
    page: Any, live_server: str, database: Database, world: World, tmp_path: Path
) -> None:
    browser_log_in(page, live_server, world.admin)
    page.get_by_role("link", name="Group", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The working group")
    assert serious(page) == []

    page.get_by_label("Code").fill("SOMSWD")
    page.get_by_label("Name", exact=True).fill("Senior Officials Meeting on Social Welfare")
    page.get_by_role("button", name="Add the body").click()
    expect(page.locator("#confirmation")).to_contain_text("Body SOMSWD added")
    page.get_by_label("Member state", exact=True).select_option("TH")
    page.get_by_label("Body", exact=True).select_option("SOMSWD")
    page.get_by_role("button", name="Add the delegation").click()
    expect(page.locator("#confirmation")).to_contain_text("Delegation TH-SOMSWD added")
    expect(page.locator("tr[data-code='TH-SOMSWD']")).to_contain_text("Thailand - SOMSWD")

    # The roster names VN-SOMSWD, which does not exist yet: the preview says so on its row.
    roster = tmp_path / "DWG roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    page.get_by_role("link", name="People", exact=True).click()
    page.get_by_role("link", name="Import a roster (CSV)").click()
    page.get_by_label("Roster file (CSV)").set_input_files(str(roster))
    page.get_by_role("button", name="Read the file").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Row 3: there is no delegation VN-SOMSWD")
    expect(page.locator("#row-3")).to_contain_text("There is no delegation VN-SOMSWD")
    expect(page.locator("#row-2")).to_contain_text("Will be invited")
    expect(page.get_by_role("button", name="Send 3 invitations")).to_have_count(0)
    assert serious(page) == []
    to_row = summary.get_by_role("link", name="Row 3: there is no delegation VN-SOMSWD")
    expect(to_row).to_have_attribute("href", "#row-3")
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(User)) == 8

    # Corrected in the box: Dao speaks for Thailand's new delegation after all.
    box = page.get_by_label("The rows, to correct")
    box.fill(box.input_value().replace("VN-SOMSWD", "TH-SOMSWD"))
    page.get_by_role("button", name="Check the rows again").click()
    expect(page.locator("#roster-ready")).to_contain_text("Ready: 3 people to invite")
    expect(page.locator("#row-3")).to_contain_text("Will be invited")
    assert serious(page) == []
    page.get_by_role("button", name="Send 3 invitations").click()

    expect(page.locator("#confirmation")).to_contain_text("3 invitations sent")
    expect(page.locator("#filter-state")).to_have_value("pending")
    expect(page.locator("table#people tbody tr")).to_have_count(3)
    assert serious(page) == []
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(User)) == 11
        assert s.scalar(select(func.count()).where(OutboxMessage.kind == "invitation")) == 3

    page.get_by_role("link", name="Dao Thi Lan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dao Thi Lan")
    expect(page.locator("#person-state")).to_have_text("Invitation pending")
    expect(page.get_by_label("TH-SOMSWD")).to_be_checked()
    assert serious(page) == []
    page.get_by_role("button", name="Send the invitation again").click()
    expect(page.locator("#confirmation")).to_contain_text("A new invitation was sent")
