"""Word imports over HTTP, end to end: a round is exported, edited as a delegation would (Word's
own XML, and once by a real LibreOffice), uploaded, previewed and confirmed; the proposals and
comments match the edits exactly, nothing is ever made twice, and hostile files get a clear
413/422, never a 500."""

import io
import threading
from datetime import UTC, datetime
from typing import Any

import docx
import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.audit.service import Actor
from app.db import Database
from app.models import AuditEvent, Comment, Delegation, Proposal, RoundKind
from app.register import service as register
from app.rounds import service as rounds
from app.rounds.export import MEDIA_TYPE
from tests import hostile_docx as hostile
from tests.factories import World, bearer, token_for
from tests.helpers import Clock
from tests.word_edits import (
    AddParagraph,
    Delete,
    Insert,
    LoEdit,
    Reply,
    Strike,
    Untracked,
    edit_with_libreoffice,
    edit_with_word_xml,
)
from tests.word_edits import (
    Comment as WordComment,
)

ZD, REV1 = "DWG-FC/ZD", "DWG-FC/Rev.1"
MARIA = "Maria Santos"
WHEN = datetime(2026, 3, 2, 10, 15, tzinfo=UTC)
LATER = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)


def issue(database: Database, clock: Clock, symbol: str = ZD) -> None:
    with database.transaction() as s:
        rounds.create_round(
            s,
            Actor.system(),
            symbol=symbol,
            title=symbol,
            kind=RoundKind.WRITTEN,
            time_zone="Asia/Jakarta",
            deadline=None,
            opens_at=None,
            instructions="",
            observers_may_comment=False,
            now=clock.now,
        )
        rounds.open_round(s, Actor.system(), symbol, now=clock.now)


def export(client: TestClient, headers: dict[str, str], symbol: str = ZD) -> bytes:
    response = client.get(
        f"/api/v1/rounds/{symbol}/export.docx", params={"variant": "clean"}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.content


def upload(
    client: TestClient,
    headers: dict[str, str],
    data: bytes,
    delegation: str | None = "PH-SOMTC",
    name: str = "DWG-FC-ZD-PH-SOMTC.docx",
) -> httpx.Response:
    return client.post(
        "/api/v1/imports",
        files={"file": (name, data, MEDIA_TYPE)},
        data={"delegation": delegation} if delegation else {},
        headers=headers,
    )


def confirm(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> httpx.Response:
    return client.post(
        f"/api/v1/imports/{body['id']}/confirm",
        headers=headers | {"If-Match": f'"I-{body["id"]}.v{body["version"]}"'},
    )


EDITS = [
    Insert("FC-CD-01", after="phone", text=" or SIM card", author=MARIA, date=WHEN),
    Delete("FC-CD-01", words=" by the operators", author=MARIA, date=WHEN),
    WordComment(
        "FC-CD-01",
        words="personal phone",
        text="Does this include a work phone?",
        author=MARIA,
        initials="MS",
        date=WHEN,
        replies=(Reply("Jose Cruz", "JC", LATER, "Yes, any phone."),),
    ),
    Strike("FC-CD-02", author="Jose Cruz", date=LATER),
    AddParagraph(
        "FC-DR-01",
        text="Recruited through social media; the recruiter paid the travel",
        author=MARIA,
        date=WHEN,
    ),
    Untracked("SEC-PURPOSE", old="help identify", new="help to identify"),
]


def count(database: Database, model: type) -> int:
    with database.transaction(write=False) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_a_returned_copy_becomes_the_delegations_proposals_and_comments(
    client: TestClient, database: Database, world: World, clock: Clock, sec: dict[str, str]
) -> None:
    issue(database, clock)
    edited = edit_with_word_xml(export(client, sec), EDITS)

    response = upload(client, sec, edited)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["kind"] == "returned" and body["state"] == "previewed"
    assert body["round"] == ZD and body["delegation"] == "PH-SOMTC"
    assert body["counts"] == {"proposals": 4, "comments": 2}
    assert response.headers["ETag"] == f'"I-{body["id"]}.v1"'
    assert count(database, Proposal) == 0 and count(database, Comment) == 0
    again = client.get(f"/api/v1/imports/{body['id']}", headers=sec)
    assert again.status_code == 200 and again.json()["preview"] == body["preview"]

    done = confirm(client, sec, body)
    assert done.status_code == 200, done.text
    created = done.json()["created"]
    by_target = {p["item"] or p["dimension"]: p for p in created["proposals"]}
    assert {k: p["kind"] for k, p in by_target.items()} == {
        "FC-CD-01": "amend",
        "FC-CD-02": "delete",
        "DR": "add",
        "SEC-PURPOSE": "amend",
    }
    assert by_target["SEC-PURPOSE"]["untracked"] is True
    assert by_target["FC-CD-01"]["untracked"] is False

    def proposal(key: str) -> dict[str, Any]:
        got = client.get(f"/api/v1/proposals/{by_target[key]['id']}", headers=sec)
        assert got.status_code == 200
        data: dict[str, Any] = got.json()
        assert data["delegation"] == "PH-SOMTC" and data["state"] == "submitted"
        return data

    amend = proposal("FC-CD-01")
    assert amend["content"] == {"text": "Passport or personal phone or SIM card taken"}
    ops = amend["changes"][0]["ops"]
    assert "".join(o["text"] for o in ops if o["op"] != "insert") == (
        "Passport or personal phone taken by the operators"
    )
    assert "".join(o["text"] for o in ops if o["op"] != "delete") == amend["content"]["text"]
    # Where it came from is the audit trail's and the preview's: the delegation wrote no reasons.
    assert amend["rationale"] == "" and proposal("FC-CD-02")["rationale"] == ""
    assert proposal("FC-CD-02")["kind"] == "delete"
    add = proposal("DR")
    assert add["content"] == {
        "text": "Recruited through social media; the recruiter paid the travel"
    }
    section = proposal("SEC-PURPOSE")
    assert section["content"] == {"text": "These indicators help to identify presumed victims."}
    assert section["rationale"] == ""

    with database.transaction(write=False) as s:
        thread = s.scalars(select(Comment).order_by(Comment.id)).all()
        assert [c.body for c in thread] == ["Does this include a work phone?", "Yes, any phone."]
        first, reply = thread
        assert (first.field, first.quote, first.revision) == ("text", "personal phone", 1)
        assert reply.parent_id == first.id
        code = s.scalar(select(Delegation.code).where(Delegation.id == first.delegation_id))
        assert code == "PH-SOMTC"
        sha = body["sha256"]
        stamped = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "word_import.created")
        ).all()
        assert len(stamped) == 6 and {e.details["sha256"] for e in stamped} == {sha}

    # The same file again: the import it already was, and nothing new.
    repeat = upload(client, sec, edited)
    assert repeat.status_code == 200, repeat.text
    assert repeat.json()["already_imported"] is True and repeat.json()["id"] == body["id"]
    assert "already imported" in repeat.json()["message"]
    assert confirm(client, sec, repeat.json()).status_code == 409
    assert count(database, Proposal) == 4 and count(database, Comment) == 2


def test_a_copy_of_an_older_round_is_compared_with_its_own_text(
    client: TestClient, database: Database, world: World, clock: Clock, sec: dict[str, str]
) -> None:
    issue(database, clock)
    old_copy = export(client, sec)
    with database.transaction() as s:
        register.revise_item(
            s,
            Actor.system(),
            code="FC-CD-01",
            expected_revision=1,
            changes={"text": "Passport or personal phone withheld by the operators"},
            reason="Editorial",
            now=clock.now,
        )
    issue(database, clock, REV1)
    edited = edit_with_word_xml(
        old_copy, [Insert("FC-CD-01", after="phone", text=" or SIM card", author=MARIA, date=WHEN)]
    )
    body = upload(client, sec, edited).json()
    assert body["preview"]["older_round"] is True
    (planned,) = body["preview"]["proposals"]
    assert (planned["base_revision"], planned["current_revision"]) == (1, 2)
    created = confirm(client, sec, body).json()["created"]["proposals"][0]
    got = client.get(f"/api/v1/proposals/{created['id']}", headers=sec).json()
    assert got["outdated"] is True
    assert got["targets"][0]["base_revision"] == 1
    assert got["content"] == {
        "text": "Passport or personal phone or SIM card taken by the operators"
    }


def test_another_delegations_member_cannot_see_or_confirm_an_import(
    client: TestClient, database: Database, world: World, clock: Clock, sec: dict[str, str]
) -> None:
    issue(database, clock)
    member = bearer(token_for(database, world.member, clock.now))
    other = bearer(token_for(database, world.member2, clock.now))
    edited = edit_with_word_xml(export(client, sec), EDITS[:1])
    refused = upload(client, member, edited, delegation="ID-AICHR")
    assert refused.status_code == 403 and "ID-AICHR" in refused.json()["detail"]
    body = upload(client, member, edited, delegation="PH-SOMTC").json()
    assert client.get(f"/api/v1/imports/{body['id']}", headers=other).status_code == 404
    assert confirm(client, other, body).status_code == 404
    assert client.get("/api/v1/imports", headers=other).json()["count"] == 0
    assert confirm(client, member, body).status_code == 200
    chair = bearer(token_for(database, world.chair, clock.now))
    assert upload(client, chair, edited).status_code == 403


def test_confirm_needs_the_version_that_was_previewed(
    client: TestClient, database: Database, world: World, clock: Clock, sec: dict[str, str]
) -> None:
    issue(database, clock)
    body = upload(client, sec, edit_with_word_xml(export(client, sec), EDITS[:1])).json()
    path = f"/api/v1/imports/{body['id']}/confirm"
    assert client.post(path, headers=sec).status_code == 428
    stale = client.post(path, headers=sec | {"If-Match": f'"I-{body["id"]}.v9"'})
    assert stale.status_code == 412
    discarded = client.post(
        f"/api/v1/imports/{body['id']}/discard", headers=sec | {"If-Match": '"I-1.v1"'}
    )
    assert discarded.status_code == 200 and discarded.json()["state"] == "discarded"
    assert confirm(client, sec, discarded.json()).status_code == 409
    assert count(database, Proposal) == 0


def test_two_officers_confirming_at_once_create_everything_once(
    live_server: str, database: Database, world: World, clock: Clock, client: TestClient
) -> None:
    issue(database, clock)
    sec = bearer(token_for(database, world.secretariat, clock.now))
    sec2 = bearer(token_for(database, world.secretariat2, clock.now))
    body = upload(client, sec, edit_with_word_xml(export(client, sec), EDITS)).json()
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def officer(headers: dict[str, str]) -> None:
        barrier.wait()
        response = httpx.post(
            f"{live_server}/api/v1/imports/{body['id']}/confirm",
            headers=headers | {"If-Match": f'"I-{body["id"]}.v1"'},
            timeout=60,
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=officer, args=(h,)) for h in (sec, sec2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(statuses) == [200, 409]
    assert count(database, Proposal) == 4 and count(database, Comment) == 2


HOSTILE = {
    "zip bomb": (hostile.zip_bomb, 413),
    "spread bomb": (hostile.spread_bomb, 422),
    "ratio bomb": (hostile.ratio_bomb, 422),
    "lying header": (hostile.lying_header, 422),
    "many entries": (hostile.many_entries, 422),
    "traversal": (hostile.traversal_names, 422),
    "xxe": (hostile.xxe_docx, 422),
    "billion laughs": (hostile.billion_laughs_docx, 422),
    "utf-16 doctype": (hostile.utf16_doctype_docx, 422),
    "docm": (hostile.docm, 422),
    "dotx": (hostile.dotx, 422),
    "xlsx": (hostile.xlsx_like, 422),
    "odt": (hostile.odt_like, 422),
    "random zip": (hostile.random_zip, 422),
    "encrypted": (hostile.ole_file, 422),
    "truncated": (hostile.truncated, 422),
    "not a zip": (lambda: b"%PDF-1.7 not a word file", 422),
    "empty": (lambda: b"", 422),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_files_get_a_clear_refusal(
    name: str,
    client: TestClient,
    database: Database,
    world: World,
    clock: Clock,
    sec: dict[str, str],
) -> None:
    build, status = HOSTILE[name]
    response = upload(client, sec, build())
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert detail and "\n" not in detail and response.json()["field"] == "file"
    assert count(database, Proposal) == 0


def test_an_upload_over_the_size_cap_is_refused_unread(
    client: TestClient,
    database: Database,
    world: World,
    clock: Clock,
    sec: dict[str, str],
    app: Any,
) -> None:
    app.state.settings.import_max_bytes = 100_000
    response = upload(client, sec, b"PK\x03\x04" + b"\0" * 300_000)
    assert response.status_code == 413
    assert "MB" in response.json()["detail"]


def test_a_file_without_zerodraft_marks_is_a_draft_only_the_secretariat_imports(
    client: TestClient, database: Database, world: World, clock: Clock, sec: dict[str, str]
) -> None:
    document = docx.Document()
    document.add_heading("Scope", level=1)
    document.add_paragraph("These indicators apply in every Member State.")
    buffer = io.BytesIO()
    document.save(buffer)
    member = bearer(token_for(database, world.member, clock.now))
    refused = upload(client, member, buffer.getvalue())
    assert refused.status_code == 403 and "secretariat" in refused.json()["detail"]
    accepted = upload(client, sec, buffer.getvalue(), delegation=None)
    assert accepted.status_code == 201 and accepted.json()["kind"] == "authored"


def test_a_copy_edited_in_libreoffice_round_trips(
    client: TestClient, database: Database, world: World, clock: Clock, sec: dict[str, str]
) -> None:
    issue(database, clock)
    (edited,) = edit_with_libreoffice(
        [export(client, sec)],
        [
            [
                LoEdit("replace", "personal phone", "mobile phone", author="Ana Reyes"),
                LoEdit(
                    "comment",
                    "guarded compound",
                    "Add: or a locked building",
                    author="Ana Reyes",
                    initials="AR",
                ),
            ]
        ],
    )
    body = upload(client, sec, edited).json()
    assert body.get("kind") == "returned", body
    created = confirm(client, sec, body).json()["created"]
    (ref,) = created["proposals"]
    got = client.get(f"/api/v1/proposals/{ref['id']}", headers=sec).json()
    assert got["targets"][0]["code"] == "FC-CD-01"
    assert got["content"] == {"text": "Passport or mobile phone taken by the operators"}
    assert got["rationale"] == "" and not ref["untracked"]
    with database.transaction(write=False) as s:
        (comment,) = s.scalars(select(Comment)).all()
        assert (comment.body, comment.quote, comment.field) == (
            "Add: or a locked building",
            "guarded compound",
            "text",
        )
