"""A Word draft with delegations' tracked changes and comments, imported in a real headless
Chromium: the preview says who each change and comment is by, as written in the file, and the
browser will not confirm until the secretariat says who the author it could not recognise is;
then the proposals are made for the delegations chosen. The preview has no serious or critical
axe-core finding."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.db import Database
from app.models import Delegation, Proposal
from tests.helpers import browser_log_in
from tests.test_browser_imports import ARTIFACTS, serious
from tests.test_import_authored_tracked import SECRETARIAT, TITLE, delegations, word_draft

pytestmark = pytest.mark.browser
__all__ = ["delegations"]  # the fixture, used by name


def test_the_secretariat_says_who_an_unknown_author_is_before_confirming(
    page: Any, live_server: str, database: Database, delegations: None, tmp_path: Path
) -> None:
    draft = tmp_path / "zero draft with comments.docx"
    draft.write_bytes(word_draft())
    browser_log_in(page, live_server, SECRETARIAT)
    page.goto(f"{live_server}/imports")
    page.get_by_label("Word file (.docx)").set_input_files(str(draft))
    page.get_by_role("button", name="Read the file").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(draft.name)
    expect(page.locator("#draft-title")).to_contain_text(TITLE)
    amend = page.locator("article.import-proposal[data-author='MY-AICHR']")
    expect(amend.locator("ins").first).to_contain_text("fenced")
    expect(amend).to_contain_text("By MY-AICHR (in the file), for MY-AICHR")
    expect(page.locator("article.import-comment[data-author='Maria Santos']")).to_contain_text(
        "“personal phone”"
    )
    unknown = page.get_by_label("Maria Santos")
    expect(unknown).to_have_value("")
    assert serious(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "import-draft-authors.png"), full_page=True)

    # The browser does not send the form while Maria Santos's delegation is not chosen.
    page.get_by_role("button", name="Add these to the register").click()
    expect(page.locator("#import-state")).to_have_text("Preview: nothing created yet")
    assert unknown.evaluate("el => el.validity.valueMissing") is True

    unknown.select_option("PH-SOMTC")
    page.get_by_role("button", name="Add these to the register").click()
    expect(page.locator("#confirmation")).to_contain_text("Imported")
    expect(page.locator("#created-input")).to_contain_text("(in the file: Maria Santos)")
    with database.transaction(write=False) as s:
        codes = {d.id: d.code for d in s.scalars(select(Delegation))}
        made = sorted(
            (codes[p.delegation_id], p.kind.value) for p in s.scalars(select(Proposal)).all()
        )
    assert made == [
        ("MY-AICHR", "amend"),
        ("MY-AICHR", "amend"),
        ("PH-SOMTC", "add"),
        ("PH-SOMTC", "delete"),
    ]
