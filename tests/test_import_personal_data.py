"""Victim protection on entry (issue 21) for imported Word files: the comments, replies and
proposed texts a returned copy would create are read by the personal-data check; the preview
(page and API) lists what was found per row, and confirming with findings open needs an explicit
"I checked"."""

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.db import Database
from app.models import AuditEvent, Comment, Proposal
from tests.factories import World
from tests.helpers import Clock, csrf_of, log_in, post
from tests.test_imports_api import MARIA, WHEN, confirm, export, issue, upload
from tests.word_edits import Comment as WordComment
from tests.word_edits import Insert, Reply, edit_with_word_xml

THAI_PHONE = "นายหน้าโทร ๐๘๑-๒๓๔-๕๖๗๘ ทุกวัน"  # Thai digits: the broker calls 081-234-5678
ORDINARY = "Article 4 applies since 2019; see FC-DR-01."


def _file(client: TestClient, sec: dict[str, str], comment: str, inserted: str) -> bytes:
    return edit_with_word_xml(
        export(client, sec),
        [
            Insert("FC-CD-01", after="phone", text=inserted, author=MARIA, date=WHEN),
            WordComment(
                "FC-CD-01",
                words="personal phone",
                text=comment,
                author=MARIA,
                initials="MS",
                date=WHEN,
                replies=(Reply(MARIA, "MS", WHEN, ORDINARY),),
            ),
        ],
    )


def _made(database: Database) -> tuple[int, int]:
    with database.transaction(write=False) as s:
        return (
            s.scalar(select(func.count()).select_from(Comment)) or 0,
            s.scalar(select(func.count()).select_from(Proposal)) or 0,
        )


def test_api_preview_lists_findings_and_confirming_needs_the_check(
    client: TestClient, database: Database, clock: Clock, sec: dict[str, str]
) -> None:
    issue(database, clock)
    body = upload(client, sec, _file(client, sec, THAI_PHONE, " or Mr. Somchai's SIM card")).json()
    found = body["personal_data"]
    assert set(found) == {"comment-0", "proposal-0"}, found
    assert [f["kind"] for f in found["comment-0"]] == ["phone"]
    assert found["comment-0"][0]["where"] == "comment"  # not the reply, which is ordinary
    assert [f["kind"] for f in found["proposal-0"]] == ["name"]
    before = _made(database)

    refused = confirm(client, sec, body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == "personal_data_checked"
    assert set(refused.json()["findings"]) == {"comment-0", "proposal-0"}
    assert _made(database) == before

    done = client.post(
        f"/api/v1/imports/{body['id']}/confirm",
        json={"personal_data_checked": True},
        headers=sec | {"If-Match": f'"I-{body["id"]}.v{body["version"]}"'},
    )
    assert done.status_code == 200, done.text
    assert done.json()["personal_data"] == {}  # only while previewed
    with database.transaction(write=False) as s:
        event = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "word_import.confirm")
        ).one()
        assert event.details["personal_data_confirmed"] == ["name", "phone"]
        assert "Somchai" not in str(event.details) and "๕๖๗๘" not in str(event.details)


def test_an_ordinary_file_confirms_without_a_question(
    client: TestClient, database: Database, clock: Clock, sec: dict[str, str]
) -> None:
    issue(database, clock)
    body = upload(client, sec, _file(client, sec, ORDINARY, " or SIM card")).json()
    assert body["personal_data"] == {}
    assert confirm(client, sec, body).status_code == 200


def test_preview_page_shows_findings_per_row_and_the_box_confirms(
    client: TestClient, database: Database, clock: Clock, sec: dict[str, str], world: World
) -> None:
    issue(database, clock)
    body = upload(client, sec, _file(client, sec, THAI_PHONE, " or SIM card")).json()
    page_client = TestClient(client.app, base_url="http://testserver")
    log_in(page_client, world.secretariat)
    page = page_client.get(f"/imports/{body['id']}")
    assert page.status_code == 200
    html = page.text
    assert 'id="personal-comment-0"' in html and 'id="personal-proposal-0"' not in html
    assert "<mark>๐๘๑-๒๓๔-๕๖๗๘</mark>" in html
    assert 'name="personal_data_checked"' in html
    fields = {"csrf_token": csrf_of(html), "version": str(body["version"])}
    before = _made(database)

    refused = post(page_client, f"/imports/{body['id']}/confirm", fields)
    assert refused.status_code == 422, refused.text
    assert "may hold personal data" in refused.text
    assert 'href="#import-personal-data"' in refused.text
    assert _made(database) == before

    done = post(
        page_client, f"/imports/{body['id']}/confirm", fields | {"personal_data_checked": "yes"}
    )
    assert done.status_code == 303, done.text
    assert _made(database) != before
