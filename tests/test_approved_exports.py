"""An approved round's text is frozen, but its proposals, answers and comments can still change
(issue 14, "also seen"). The copies that show them (the compilation text, the comment-response
table, any copy with comments) say on their cover, dated, that they show the state after the
approval; the clean text and the redline stay byte for byte the approved ones; the round page
says it before anyone downloads. The files are read back with python-docx."""

# The `story` fixture of tests/test_word_loader.py is imported, and named by the tests using it.
# ruff: noqa: F811

import io
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

import docx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.db import Database
from app.models import Comment, Role, Round
from app.rounds import snapshot
from tests.factories import World, arranged, bearer, make_user, token_for
from tests.helpers import Clock, log_in
from tests.test_word_loader import Story, story  # noqa: F401

R1, R2 = "ADWG/FC/2026/R1", "ADWG/FC/2026/R2"
SOMTC_CHAIR = "chair.th@asean.test"
ZONE = "Asia/Jakarta"
STATEMENT = "show the state on"


def api(symbol: str) -> str:
    return f"/api/v1/rounds/{quote(symbol, safe='/')}"


def headers(database: Database, clock: Clock, email: str) -> dict[str, str]:
    return bearer(token_for(database, email, clock.now))


def local(moment: datetime) -> str:
    at = moment.astimezone(ZoneInfo(ZONE))
    return f"{at.day} {at:%B %Y, %H:%M} {ZONE} time"


def status_line(data: bytes) -> str:
    """The cover's Status row, as Word shows it."""
    document = docx.Document(io.BytesIO(data))
    for table in document.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells]
            if cells and cells[0] == "Status":
                return cells[-1]
    raise AssertionError("the cover has no Status row")


def download(client: TestClient, auth: dict[str, str], variant: str, comments: bool) -> bytes:
    url = f"{api(R2)}/export.docx?variant={variant}" + ("&comments=true" if comments else "")
    response = client.get(url, headers=auth)
    assert response.status_code == 200, response.text
    return response.content


# What shows decisions, answers or comments, and what shows only the approved text.
LIVE = [("compilation", False), ("responses", False), ("clean", True), ("redline", True)]
FROZEN = [("clean", False), ("redline", False)]


@pytest.fixture
def approved(
    client: TestClient, story: Story, world: World, database: Database, clock: Clock
) -> datetime:
    """R2 settled and approved over HTTP by both co-chairs; the moment of the approval."""
    with database.transaction() as s:
        make_user(s, SOMTC_CHAIR, Role.CHAIR, "TH-SOMTC", now=clock.now, name="Thida Chair")
    clock.advance(days=1)
    with arranged(database) as s:
        r = s.get(Round, story.r2)
        assert r is not None
        r.close()
        r.consult()
        r.settle(now=clock.now)
        content_hash = snapshot.freeze(s, r, now=clock.now)
    for chair in (world.chair, SOMTC_CHAIR):
        clock.advance(minutes=30)
        response = client.post(
            f"{api(R2)}/approvals",
            json={"content_hash": content_hash, "reference": "DWG-FC 3rd meeting, decision 4"},
            headers=headers(database, clock, chair),
        )
        assert response.status_code == 201, response.text
    assert response.json()["state"] == "approved"
    return clock.now


def decide_not_retained(
    client: TestClient, database: Database, clock: Clock, world: World, proposal_id: int
) -> None:
    auth = headers(database, clock, world.secretariat)
    etag = client.get(f"/api/v1/proposals/{proposal_id}", headers=auth).headers["etag"]
    response = client.post(
        f"/api/v1/proposals/{proposal_id}/decision",
        json={"outcome": "not_retained", "reason": "The approved text settles it."},
        headers={**auth, "If-Match": etag},
    )
    assert response.status_code == 200, response.text


def comment(
    client: TestClient,
    database: Database,
    clock: Clock,
    world: World,
    body: str,
    visibility: str = "group",
) -> None:
    response = client.post(
        "/api/v1/comments",
        json={"body": body, "item": "FC-CD-01", "visibility": visibility},
        headers=headers(database, clock, world.secretariat),
    )
    assert response.status_code == 201, response.text


def test_copies_made_right_after_the_approval_carry_no_dated_statement(
    client: TestClient, world: World, database: Database, clock: Clock, approved: datetime
) -> None:
    auth = headers(database, clock, world.member)
    for variant, comments in LIVE + FROZEN:
        status = status_line(download(client, auth, variant, comments))
        assert status == "approved", (variant, comments, status)
    log_in(client, world.member)
    page = client.get(f"/rounds/{R2}").text
    assert "Download in Word" in page and 'id="changed-after-approval"' not in page


def test_a_decision_and_a_comment_after_the_approval_are_dated_on_the_cover(
    client: TestClient,
    story: Story,
    world: World,
    database: Database,
    clock: Clock,
    approved: datetime,
) -> None:
    auth = headers(database, clock, world.member)
    frozen = {v: download(client, auth, *v) for v in FROZEN}
    compilation_before = docx.Document(io.BytesIO(download(client, auth, "compilation", False)))
    pending = f"P-{story.pending}"
    assert any(pending in p.text for p in compilation_before.paragraphs)

    clock.advance(days=2)
    decide_not_retained(client, database, clock, world, story.pending)
    clock.advance(hours=3, minutes=17)
    comment(client, database, clock, world, "Noted for the next round.")
    changed = clock.now
    clock.advance(days=1)  # downloading later changes nothing

    expected = (
        f"Approved on {local(approved)}. The approved text has not changed. The proposals, "
        f"decisions, answers and comments in this copy show the state on {local(changed)}, "
        "after the approval."
    )
    auth = headers(database, clock, world.member)
    for variant, comments in LIVE:
        data = download(client, auth, variant, comments)
        assert status_line(data) == expected, (variant, comments)
        assert download(client, auth, variant, comments) == data  # still reproducible
    # The compilation shows the later state it names: the decided proposal is no longer pending.
    compilation = docx.Document(io.BytesIO(download(client, auth, "compilation", False)))
    assert not any(pending in p.text for p in compilation.paragraphs)
    # The approved text itself is frozen: the same bytes as before the changes.
    for variant in FROZEN:
        assert download(client, auth, *variant) == frozen[variant], variant


def test_the_round_page_says_when_the_state_after_approval_is_from(
    client: TestClient, world: World, database: Database, clock: Clock, approved: datetime
) -> None:
    clock.advance(days=1, hours=2)
    comment(client, database, clock, world, "Noted.")
    log_in(client, world.member)
    page = client.get(f"/rounds/{R2}").text
    start = page.index('id="changed-after-approval"')
    block = page[start : page.index("</div>", start)]
    assert clock.now.strftime("%d %B %Y, %H:%M UTC") in block
    # and in the round's time zone, as the files' covers give it
    at = clock.now.astimezone(ZoneInfo(ZONE))
    assert f"({at:%d %B %Y, %H:%M} {ZONE}, UTC+7)" in block
    assert "The approved text has not changed." in block
    assert "compilation text, the comment-response table and any file with comments" in block
    assert page.index('id="export-form"') < start < page.index('id="export-clean"')


def test_a_change_that_leaves_no_time_on_its_row_is_dated_too(
    client: TestClient, world: World, database: Database, clock: Clock, approved: datetime
) -> None:
    """Reopening a resolved thread clears its resolved time; the audit trail still dates it."""
    with database.transaction(write=False) as s:
        settled = s.scalars(select(Comment.id).where(Comment.body == "Settled.")).one()
    clock.advance(hours=5)
    response = client.post(
        f"/api/v1/comments/{settled}/reopen", headers=headers(database, clock, world.secretariat)
    )
    assert response.status_code == 200, response.text
    data = download(client, headers(database, clock, world.member), "clean", True)
    assert f"{STATEMENT} {local(clock.now)}, after the approval." in status_line(data)


def test_what_the_copies_do_not_show_does_not_date_them(
    client: TestClient, world: World, database: Database, clock: Clock, approved: datetime
) -> None:
    """A comment kept to the chairs is not in any circulated copy, so it changes none."""
    clock.advance(hours=1)
    comment(client, database, clock, world, "For the chairs.", visibility="chairs_secretariat")
    auth = headers(database, clock, world.member)
    for variant, comments in LIVE:
        assert status_line(download(client, auth, variant, comments)) == "approved"
