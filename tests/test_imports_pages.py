"""The import pages without JavaScript: upload form, preview, confirm and discard with the CSRF
token, refusals beside the field, and the links from the round page and the register."""

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.db import Database
from app.models import Proposal
from app.rounds.export import MEDIA_TYPE
from tests import hostile_docx as hostile
from tests.factories import World
from tests.helpers import Clock, log_in
from tests.test_imports_api import EDITS, ZD, issue
from tests.word_edits import edit_with_word_xml


def exported(client: TestClient) -> bytes:
    response = client.get(f"/rounds/{ZD}/export", params={"variant": "clean"})
    assert response.status_code == 200, response.text
    return response.content


def post_file(client: TestClient, csrf: str, data: bytes, delegation: str = "PH-SOMTC") -> object:
    return client.post(
        "/imports",
        data={"csrf_token": csrf, "delegation": delegation},
        files={"file": ("returned.docx", data, MEDIA_TYPE)},
        follow_redirects=False,
    )


def proposals(database: Database) -> int:
    with database.transaction(write=False) as s:
        return s.scalar(select(func.count()).select_from(Proposal)) or 0


def test_the_secretariat_uploads_reviews_and_confirms(
    client: TestClient, database: Database, world: World, clock: Clock
) -> None:
    issue(database, clock)
    csrf = log_in(client, world.secretariat)
    round_page = client.get(f"/rounds/{ZD}")
    assert 'href="/imports?round=DWG-FC/ZD"' in round_page.text
    form = client.get("/imports?round=DWG-FC/ZD")
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
    edited = edit_with_word_xml(exported(client), EDITS)

    response = post_file(client, csrf, edited)
    assert response.status_code == 303  # type: ignore[attr-defined]
    location = response.headers["location"]  # type: ignore[attr-defined]
    assert re.fullmatch(r"/imports/\d+", location)
    preview = client.get(location)
    assert preview.status_code == 200
    page = preview.text
    assert "Preview: nothing created yet" in page
    assert '<ins><span class="visually-hidden">[inserted: </span>' in page
    assert "Maria Santos" in page and "Untracked edit" in page
    assert "“personal phone”" in page and "Yes, any phone." in page
    assert "Delete FC-CD-02" in page and "New indicator in DR" in page
    assert proposals(database) == 0

    version = re.search(r'name="version" value="(\d+)"', page)
    assert version
    done = client.post(
        f"{location}/confirm",
        data={"csrf_token": csrf, "version": version.group(1)},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == f"{location}?done=confirm"
    result = client.get(done.headers["location"]).text
    assert "Imported" in result
    links = re.findall(r'href="/proposals/(\d+)"', result)
    assert len(links) == 4 and proposals(database) == 4
    assert "for PH-SOMTC" in result


def test_a_refused_file_is_said_beside_the_field(
    client: TestClient, database: Database, world: World, clock: Clock
) -> None:
    issue(database, clock)
    csrf = log_in(client, world.secretariat)
    response = post_file(client, csrf, hostile.docm())
    assert response.status_code == 422  # type: ignore[attr-defined]
    text = response.text  # type: ignore[attr-defined]
    assert "There is a problem" in text and "macro-enabled" in text
    assert 'id="file-error"' in text


def test_a_stale_confirmation_shows_the_problem_and_creates_nothing(
    client: TestClient, database: Database, world: World, clock: Clock
) -> None:
    issue(database, clock)
    csrf = log_in(client, world.secretariat)
    location = post_file(  # type: ignore[attr-defined]
        client, csrf, edit_with_word_xml(exported(client), EDITS[:1])
    ).headers["location"]
    stale = client.post(f"{location}/confirm", data={"csrf_token": csrf, "version": "7"})
    assert stale.status_code == 412 and "There is a problem" in stale.text
    missing_token = client.post(f"{location}/discard", data={"version": "1"})
    assert missing_token.status_code == 403
    discarded = client.post(f"{location}/discard", data={"csrf_token": csrf, "version": "1"})
    assert discarded.status_code == 200 and "Discarded" in discarded.text
    assert proposals(database) == 0


def test_who_sees_the_import_links(
    client: TestClient, database: Database, world: World, clock: Clock
) -> None:
    issue(database, clock)
    log_in(client, world.member)
    assert 'id="import-word"' in client.get("/register").text
    assert client.get("/imports").status_code == 200
    client.cookies.clear()
    log_in(client, world.observer)
    assert 'id="import-word"' not in client.get("/register").text
    assert 'id="import-link"' not in client.get(f"/rounds/{ZD}").text
    assert client.get("/imports").status_code == 403


def test_a_word_draft_preview_lists_what_is_new_and_what_is_there(
    client: TestClient, database: Database, world: World, clock: Clock
) -> None:
    from tests.test_imports_authored import draft

    csrf = log_in(client, world.secretariat)
    response = post_file(client, csrf, draft(), delegation="")
    assert response.status_code == 303  # type: ignore[attr-defined]
    page = client.get(response.headers["location"]).text  # type: ignore[attr-defined]
    assert "What the draft holds" in page and "Draft written in Word" in page
    # The world's register already has FC-CD-01 and the section "Purpose".
    assert "Already there (FC-CD-01)" in page and "Already in the register as SEC-PURPOSE" in page
    assert "Abuse of vulnerability: new dimension" in page
    assert "Add these to the register" in page
