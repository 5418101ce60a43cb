"""Replayed pages in a real headless Chromium (app/web/page_cache.py): a reload is answered from
the store, a change made by someone else shows on the next reload, and the forms of a replayed
page work (its security token is this session's)."""

import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import expect

from app.db import Database
from app.web import page_cache
from tests.conftest import Clock, browser_log_in
from tests.factories import World, bearer, token_for

pytestmark = pytest.mark.browser
ITEM = "/indicators/FC-CD-01"


def test_a_reload_is_replayed_until_someone_changes_the_text(
    page: Any, live_server: str, app: FastAPI, world: World, database: Database, clock: Clock
) -> None:
    store = page_cache.store_of(app.state)
    browser_log_in(page, live_server, world.member)
    page.goto(f"{live_server}{ITEM}")
    text = page.locator("#indicator-text")
    expect(text).to_have_text("Passport or personal phone taken by the operators")

    before = store.replayed
    page.reload()
    expect(text).to_have_text("Passport or personal phone taken by the operators")
    assert store.replayed == before + 1

    # The secretariat edits the indicator through the API, from elsewhere.
    edited = httpx.patch(
        f"{live_server}/api/v1{ITEM}",
        json={"text": "Passport or identity card held by the operators", "reason": "Editorial"},
        headers=bearer(token_for(database, world.secretariat, clock.now))
        | {"If-Match": '"FC-CD-01.r1"'},
    )
    assert edited.status_code == 200, edited.text
    page.reload()
    expect(text).to_have_text("Passport or identity card held by the operators")
    assert store.replayed == before + 1  # rendered afresh, not replayed
    page.reload()
    expect(text).to_have_text("Passport or identity card held by the operators")
    assert store.replayed == before + 2

    # The replayed page's own form works: its token is this session's.
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login"))
    page.goto(f"{live_server}{ITEM}")
    expect(page).to_have_url(re.compile(r"/login"))
    assert store.replayed == before + 2
