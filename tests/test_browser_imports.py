"""Reading a returned Word copy in a real headless Chromium: the secretariat uploads the file a
delegation sent back, reviews the preview, confirms, and finds the new proposals attributed to
the delegation. The preview page has no serious or critical axe-core finding."""

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from app.db import Database
from tests.factories import World
from tests.helpers import Clock, browser_log_in, log_in
from tests.test_accessibility import axe
from tests.test_imports_api import EDITS, ZD, issue
from tests.test_imports_pages import exported
from tests.word_edits import edit_with_word_xml

pytestmark = pytest.mark.browser
# Screenshots for a person to look at; not compared automatically.
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def serious(page: Any) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {n['target']}"
        for v in axe(page)
        if v["impact"] in ("serious", "critical")
        for n in v["nodes"]
    ]


def test_the_secretariat_imports_a_returned_copy(
    page: Any,
    live_server: str,
    app: FastAPI,
    database: Database,
    world: World,
    clock: Clock,
    tmp_path: Path,
) -> None:
    issue(database, clock)
    with TestClient(app) as other:
        log_in(other, world.secretariat)
        returned = tmp_path / "DWG-FC-ZD returned by PH-SOMTC.docx"
        returned.write_bytes(edit_with_word_xml(exported(other), EDITS))

    browser_log_in(page, live_server, world.secretariat)
    page.goto(f"{live_server}/rounds/{ZD}")
    page.get_by_role("link", name="Import a returned Word copy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import a Word file")
    page.get_by_label("Word file (.docx)").set_input_files(str(returned))
    page.get_by_label("Delegation that sent the file").select_option("PH-SOMTC")
    page.get_by_role("button", name="Read the file").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(returned.name)
    expect(page.locator("#import-state")).to_have_text("Preview: nothing created yet")
    amendment = page.locator("article.import-proposal[data-item='FC-CD-01']")
    expect(amendment.locator("ins")).to_contain_text("SIM card")
    expect(amendment).to_contain_text("Tracked changes by Maria Santos")
    section = page.locator("article.import-proposal[data-item='SEC-PURPOSE']")
    expect(section).to_contain_text("Untracked edit")
    expect(page.locator("article.import-comment")).to_contain_text("“personal phone”")
    expect(page.locator("article.import-proposal[data-kind='delete']")).to_contain_text(
        "Delete FC-CD-02"
    )
    assert serious(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "import-preview.png"), full_page=True)

    page.get_by_role("button", name="Create and submit these for PH-SOMTC").click()
    expect(page.locator("#confirmation")).to_contain_text("Imported")
    created = page.locator("#created a[href^='/proposals/']")
    expect(created).to_have_count(4)
    created.first.click()
    expect(page.locator("main")).to_contain_text("Philippines - SOMTC")
    expect(page.locator("main")).to_contain_text("Submitted")
