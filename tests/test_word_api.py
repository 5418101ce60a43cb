"""Word exports over HTTP: the API download of every variant with its headers, the round page's
"Download in Word" form (cookie auth, no JavaScript), and a real browser receiving the file.
Queries stay bounded whatever the size of the round."""

# The `story` fixture of tests/test_word_loader.py is imported, and named by the tests using it.
# ruff: noqa: F811

import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from urllib.parse import quote, unquote

import docx
import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import event

from app.audit.service import Actor
from app.db import Database
from app.models import RoundKind
from app.rounds import service as rounds
from app.rounds.export import MEDIA_TYPE
from app.word import revisions as rv
from tests.factories import World, make_indicator
from tests.helpers import Clock, browser_log_in, log_in
from tests.test_word_loader import PH, Story, story  # noqa: F401

R1, R2 = "ADWG/FC/2026/R1", "ADWG/FC/2026/R2"
VARIANTS = ("clean", "redline", "compilation", "responses")


def url(ref: str, **params: str) -> str:
    query = "&".join(f"{k}={quote(v)}" for k, v in params.items())
    return f"/api/v1/rounds/{ref}/export.docx" + (f"?{query}" if query else "")


def tracked_authors(data: bytes) -> set[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        root = etree.fromstring(z.read("word/document.xml"))
    return {
        el.get(rv.w("author"))
        for tag in ("ins", "del")
        for el in root.iter(rv.w(tag))
        if el.get(rv.w("author"))
    }


def new_round(database: Database, symbol: str, clock: Clock, *, issue: bool = True) -> int:
    with database.transaction() as s:
        r = rounds.create_round(
            s,
            Actor.system("test"),
            symbol=symbol,
            title=symbol,
            kind=RoundKind.WRITTEN,
            time_zone="Asia/Jakarta",
            deadline=clock.now + timedelta(days=20),
            opens_at=None,
            instructions="",
            observers_may_comment=False,
            now=clock.now,
        )
        if issue:
            rounds.issue_round(s, Actor.system("test"), r.id, now=clock.now)
        return r.id


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_downloads_with_its_headers(
    client: TestClient, story: Story, member: dict[str, str], variant: str
) -> None:
    response = client.get(url(R2, variant=variant, comments="true"), headers=member)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == MEDIA_TYPE
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-sha256"] == hashlib.sha256(response.content).hexdigest()
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="ADWG-FC-2026-R2_')
    assert f"_{variant}.docx" in disposition and "filename*=UTF-8''" in disposition
    document = docx.Document(io.BytesIO(response.content))
    assert any(p.text for p in document.paragraphs)
    again = client.get(url(R2, variant=variant, comments="true"), headers=member)
    assert again.content == response.content  # byte-identical: it can be hashed and approved


def test_the_redline_is_attributed_to_delegations(
    client: TestClient, story: Story, member: dict[str, str]
) -> None:
    default = client.get(url(R2, variant="redline"), headers=member)
    named = client.get(url(R2, variant="redline", base=R1), headers=member)
    assert default.status_code == named.status_code == 200
    assert default.content == named.content  # the default base is the previous round
    authors = tracked_authors(default.content)
    assert PH in authors and "Thailand - SOMTC" in authors


def test_the_redline_of_a_first_round_and_unknown_rounds(
    client: TestClient, story: Story, member: dict[str, str]
) -> None:
    first = client.get(url(R1, variant="redline"), headers=member)
    assert first.status_code == 409 and "no earlier round" in first.json()["detail"]
    assert client.get(url("NOPE/1", variant="clean"), headers=member).status_code == 404
    unknown_base = client.get(url(R2, variant="redline", base="NOPE"), headers=member)
    assert unknown_base.status_code == 404
    assert client.get(url(R2, variant="draft"), headers=member).status_code == 422
    assert client.get(url(R2, variant="clean")).status_code == 401


def test_a_round_in_preparation_is_409(
    client: TestClient, story: Story, member: dict[str, str], database: Database, clock: Clock
) -> None:
    new_round(database, "ADWG/FC/2026/R3", clock, issue=False)
    response = client.get(url("ADWG/FC/2026/R3", variant="clean"), headers=member)
    assert response.status_code == 409
    assert "in preparation" in response.json()["detail"]


@pytest.mark.parametrize(
    "name",
    ["../zerodraft-reference.docx", "/etc/passwd", "missing.docx", "build_reference.py", ".docx"],
)
def test_a_bad_template_name_is_422(
    client: TestClient, story: Story, member: dict[str, str], name: str
) -> None:
    response = client.get(url(R2, variant="clean", template=name), headers=member)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "template"


def test_a_template_named_from_drafts_templates(
    client: TestClient, story: Story, member: dict[str, str]
) -> None:
    named = client.get(
        url(R2, variant="clean", template="zerodraft-reference.docx"), headers=member
    )
    default = client.get(url(R2, variant="clean"), headers=member)
    assert named.status_code == 200 and named.content == default.content


def test_the_file_name_is_safe_whatever_the_symbol(
    client: TestClient, world: World, member: dict[str, str], database: Database, clock: Clock
) -> None:
    symbol = 'ADWG "ร่าง"\r\nຮ່າງ Việt'
    rid = new_round(database, symbol, clock)
    response = client.get(url(str(rid), variant="clean"), headers=member)
    assert response.status_code == 200, response.text
    disposition = response.headers["content-disposition"]
    assert "\r" not in disposition and "\n" not in disposition
    ascii_name = re.search(r'filename="([^"]*)"', disposition)
    assert ascii_name and ascii_name.group(1).isascii() and ascii_name.group(1).endswith(".docx")
    utf8 = unquote(disposition.split("filename*=UTF-8''")[1])
    assert "ร่าง" in utf8 and "Việt" in utf8 and '"' not in utf8


@contextmanager
def counted(database: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def note(*args: Any) -> None:
        statements.append(args[2])

    event.listen(database.engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(database.engine, "before_cursor_execute", note)


def test_queries_do_not_grow_with_the_round(
    client: TestClient, world: World, member: dict[str, str], database: Database, clock: Clock
) -> None:
    def add(n: int) -> None:
        with database.transaction() as s:
            for i in range(n):
                make_indicator(
                    s, "CD" if i % 2 else "DR", f"Indicator {clock.now} {i}", now=clock.now
                )

    def count(symbol: str) -> dict[str, int]:
        out = {}
        for variant in VARIANTS:
            with counted(database) as statements:
                r = client.get(url(symbol, variant=variant, comments="true"), headers=member)
            assert r.status_code == 200, r.text
            out[variant] = len(statements)
        return out

    new_round(database, "R0", clock)  # 3 indicators
    clock.advance(hours=1)
    add(2)
    new_round(database, "R5", clock)  # 5 indicators
    clock.advance(hours=1)
    add(35)
    new_round(database, "R40", clock)  # 40 indicators
    client.get("/api/v1/rounds", headers=member)  # the token's first use is recorded once
    small, large = count("R5"), count("R40")
    assert small == large, (small, large)


# --- The round page -------------------------------------------------------------------------


def test_the_round_page_offers_the_word_downloads(
    client: TestClient, story: Story, world: World
) -> None:
    log_in(client, world.member)
    page = client.get(f"/rounds/{R2}").text
    assert "Download in Word" in page
    assert f'action="/rounds/{R2}/export"' in page and 'method="get"' in page
    for variant in VARIANTS:
        assert f'name="variant" value="{variant}"' in page
    assert f'<option value="{R1}" selected>' in page
    assert 'name="comments"' in page
    response = client.get(f"/rounds/{R2}/export?variant=clean&base={R1}&comments=true")
    assert response.status_code == 200
    assert response.headers["content-type"] == MEDIA_TYPE
    assert "attachment;" in response.headers["content-disposition"]
    docx.Document(io.BytesIO(response.content))
    redline = client.get(f"/rounds/{R2}/export?variant=redline&base={R1}")
    assert PH in tracked_authors(redline.content)


def test_a_round_in_preparation_offers_no_download(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    new_round(database, "R-PREP", clock, issue=False)
    log_in(client, world.secretariat)
    assert "Download in Word" not in client.get("/rounds/R-PREP").text
    assert client.get("/rounds/R-PREP/export?variant=clean").status_code == 409


@pytest.mark.browser
def test_a_browser_downloads_the_clean_text(
    page: Any, live_server: str, world: World, story: Story
) -> None:
    browser_log_in(page, live_server, world.member)
    page.goto(f"{live_server}/rounds/{R2}")
    with page.expect_download() as info:
        page.get_by_role("button", name="Clean text").click()
    download = info.value
    assert download.suggested_filename.endswith("_clean.docx")
    path = download.path()
    document = docx.Document(str(path))
    assert any(R2 in p.text for p in document.paragraphs) or document.core_properties.title
