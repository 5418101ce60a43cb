"""Victim protection on entry (issue 21) for comments: before a comment is saved the personal-data
check (app/text/personal_data, GENERAL_KINDS) reads it; a finding refuses the save until the
person generalises it or says they checked. Through the API and the page's form."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from app.db import Database
from app.models import AuditEvent, Comment
from tests.factories import World, bearer, token_for
from tests.helpers import Clock, form_in, log_in, post

ITEM = "/indicators/FC-CD-01"
PHONE = "Her recruiter can be reached on +66 81 234 5678 any day."
THAI_PHONE = "นายหน้าโทร ๐๘๑-๒๓๔-๕๖๗๘ ทุกวัน"  # Thai digits: the broker calls 081-234-5678
VIETNAMESE_NAME = "Chị Nguyễn Thị Lan was recruited in Nghệ An."
ORDINARY = (
    "FC-CD-01 and FC-DR-01 overlap since the 2019 review; Article 4 of the Protocol covers it, "
    "and the meeting on 12 March 2025 agreed that under 18 means a child."
)


def _api(client: TestClient, headers: dict[str, str], **body: Any) -> Any:
    return client.post("/api/v1/comments", json={"item": "FC-CD-01", **body}, headers=headers)


def _events(database: Database, comment_id: int) -> list[AuditEvent]:
    with database.transaction() as s:
        return list(
            s.scalars(
                select(AuditEvent).where(
                    AuditEvent.object_type == "comment", AuditEvent.object_id == str(comment_id)
                )
            )
        )


def _count(database: Database, body: str) -> int:
    with database.transaction() as s:
        return len(list(s.scalars(select(Comment.id).where(Comment.body == body))))


def test_api_refuses_a_phone_number_with_the_findings_then_saves_when_checked(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    headers = bearer(token_for(database, world.member, clock.now))
    refused = _api(client, headers, body=PHONE)
    assert refused.status_code == 422, refused.text
    answer = refused.json()
    assert answer["field"] == "body"
    assert "5678" not in answer["detail"]  # the detail names kinds only
    (finding,) = answer["findings"]
    assert finding["kind"] == "phone"
    assert PHONE[finding["start"] : finding["end"]] == "+66 81 234 5678"
    assert finding["explanation"] and finding["suggestion"]
    assert _count(database, PHONE) == 0

    saved = _api(client, headers, body=PHONE, personal_data_checked=True)
    assert saved.status_code == 201, saved.text
    (event,) = _events(database, saved.json()["id"])
    assert event.details["personal_data_confirmed"] == ["phone"]
    assert "5678" not in str(event.details)


def test_api_finds_personal_data_in_asean_scripts(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    headers = bearer(token_for(database, world.member, clock.now))
    thai = _api(client, headers, body=THAI_PHONE)
    assert thai.status_code == 422, thai.text
    assert [f["kind"] for f in thai.json()["findings"]] == ["phone"]
    vietnamese = _api(client, headers, body=VIETNAMESE_NAME)
    assert vietnamese.status_code == 422, vietnamese.text
    (name,) = vietnamese.json()["findings"]
    assert name["kind"] == "name"
    assert "Nguyễn" in VIETNAMESE_NAME[name["start"] : name["end"]]


def test_codes_years_articles_and_meeting_dates_save_without_a_question(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    headers = bearer(token_for(database, world.member, clock.now))
    saved = _api(client, headers, body=ORDINARY)
    assert saved.status_code == 201, saved.text
    (event,) = _events(database, saved.json()["id"])
    assert "personal_data_confirmed" not in event.details


def test_api_edit_is_checked_too(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    headers = bearer(token_for(database, world.member, clock.now))
    made = _api(client, headers, body="The indicator is too broad.")
    assert made.status_code == 201, made.text
    cid, etag = made.json()["id"], made.headers["ETag"]
    path = f"/api/v1/comments/{cid}"
    refused = client.patch(path, json={"body": PHONE}, headers=headers | {"If-Match": etag})
    assert refused.status_code == 422, refused.text
    assert refused.json()["findings"][0]["kind"] == "phone"
    edited = client.patch(
        path,
        json={"body": PHONE, "personal_data_checked": True},
        headers=headers | {"If-Match": etag},
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["body"] == PHONE


def test_page_form_lists_findings_keeps_the_text_and_saves_when_confirmed(
    client: TestClient, world: World, database: Database
) -> None:
    log_in(client, world.member)
    fields = form_in(client.get(ITEM).text, id="new-comment") | {"body": PHONE, "quote": ""}
    refused = post(client, "/comments", fields)
    assert refused.status_code == 422, refused.text
    html = refused.text
    assert "may hold personal data" in html
    assert "<mark>+66 81 234 5678</mark>" in html  # what was found, to find it in the text
    assert "say &#39;a phone number&#39;" in html or "say 'a phone number'" in html
    assert 'name="personal_data_checked"' in html
    assert PHONE in html  # the typed text is kept
    assert _count(database, PHONE) == 0

    kept = form_in(html, id="new-comment")
    assert kept["body"] == PHONE
    generalised = "Her recruiter can be reached on a phone number any day."
    saved = post(client, "/comments", kept | {"body": generalised})
    assert saved.status_code == 303, saved.text
    assert _count(database, generalised) == 1

    confirmed = post(client, "/comments", kept | {"personal_data_checked": "yes"})
    assert confirmed.status_code == 303, confirmed.text
    assert _count(database, PHONE) == 1


def test_page_reply_with_a_name_is_refused_beside_the_reply(
    client: TestClient, world: World, database: Database
) -> None:
    log_in(client, world.member)
    fields = form_in(client.get(ITEM).text, id="new-comment") | {"body": "Too broad.", "quote": ""}
    made = post(client, "/comments", fields)
    assert made.status_code == 303, made.text
    cid = int(made.headers["location"].rsplit("-", 1)[1])
    page = client.get(f"/comments/{cid}").text
    reply = form_in(page, action="/comments") | {"body": VIETNAMESE_NAME}
    refused = post(client, "/comments", reply)
    assert refused.status_code == 422, refused.text
    assert f'id="reply-{cid}-findings"' in refused.text
    assert _count(database, VIETNAMESE_NAME) == 0


def test_api_refuses_the_phone_numbers_the_reviewer_published(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    """A word starting with "đ" after a number (để, đây) is no currency sign, and "No." before
    a phone number is no reference: each of these was saved and shown to the whole group."""
    headers = bearer(token_for(database, world.member, clock.now))
    for body, number in [
        ("Gọi số 0912 345 678 để biết thêm.", "0912 345 678"),
        ("Số điện thoại 0912 345 678 đây", "0912 345 678"),
        ("Survivor's mobile no. +63 917 555 0142", "+63 917 555 0142"),
        ("Phone No. 0912 345 678", "0912 345 678"),
    ]:
        refused = _api(client, headers, body=body)
        assert refused.status_code == 422, (body, refused.text)
        (finding,) = refused.json()["findings"]
        assert (finding["kind"], body[finding["start"] : finding["end"]]) == ("phone", number)
        assert _count(database, body) == 0
    ordinary = "Article No. 12 and Resolution No. 2016/7 cover it; she paid 500 000 đ in 2016."
    assert _api(client, headers, body=ordinary).status_code == 201
