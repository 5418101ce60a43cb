"""Machine provenance stays out of what circulates (issue 15, item 6): a returned copy's file
name, SHA-256 and the personal names of the people who edited it are in the audit trail and the
import preview, not in the rationale the compilation and the comment-response table carry; and
nothing circulated is cut inside a word. Driven over HTTP: the copy edited in Word's own XML and
by a real LibreOffice, uploaded, previewed on the page and confirmed; the compilation and the
responses table read back with lxml from the Word files, from the page and from the API.
"""

import io
import re
import zipfile

from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import select

from app.db import Database
from app.models import AuditEvent
from app.responses.service import SUMMARY_CHARS, shorten
from tests.factories import World, bearer, token_for
from tests.helpers import Clock, log_in, text_of
from tests.test_imports_api import MARIA, WHEN, ZD, confirm, export, issue, upload
from tests.test_new_item_placement_word import lines_libreoffice
from tests.word_edits import Insert, LoEdit, edit_with_libreoffice, edit_with_word_xml

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
FILE = "DWG-FC-ZD returned by PH-SOMTC.docx"
ANA = "Ana Reyes"


def paragraphs(docx: bytes) -> list[tuple[str, str]]:
    """(style, text) of every paragraph of the document body, tables included."""
    body = etree.fromstring(zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml"))
    out = []
    for p in body.iter(f"{W}p"):
        style = p.find(f"{W}pPr/{W}pStyle")
        text = "".join(t.text or "" for t in p.iter(f"{W}t"))
        out.append((style.get(f"{W}val") if style is not None else "", text))
    return out


def downloaded(client: TestClient, headers: dict[str, str], variant: str) -> bytes:
    response = client.get(
        f"/api/v1/rounds/{ZD}/export.docx", params={"variant": variant}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.content


def test_provenance_is_in_the_audit_trail_and_preview_not_in_what_circulates(
    client: TestClient, database: Database, world: World, clock: Clock, sec: dict[str, str]
) -> None:
    issue(database, clock)
    clean = export(client, sec)
    by_word = edit_with_word_xml(
        clean, [Insert("FC-CD-01", after="phone", text=" or SIM card", author=MARIA, date=WHEN)]
    )
    (by_libreoffice,) = edit_with_libreoffice(
        [clean], [[LoEdit("replace", "guarded", "fenced", author=ANA)]]
    )
    page = TestClient(client.app, base_url="http://testserver")
    log_in(page, world.secretariat)
    made: dict[str, int] = {}
    for data, person in ((by_word, MARIA), (by_libreoffice, ANA)):
        body = upload(client, sec, data, name=FILE).json()
        (planned,) = body["preview"]["proposals"]
        assert planned["authors"] == [person] and planned["rationale"] == ""
        # The preview page names the file, its SHA-256 and the people.
        shown = text_of(page.get(f"/imports/{body['id']}").text)
        assert FILE in shown and body["sha256"] in shown and f"Tracked changes by {person}" in shown
        done = confirm(client, sec, body)
        assert done.status_code == 200, done.text
        (created,) = done.json()["created"]["proposals"]
        made[person] = created["id"]
        with database.transaction(write=False) as s:
            event = s.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "word_import.created",
                    AuditEvent.object_id == str(created["id"]),
                )
            ).one()
            assert event.details["sha256"] == body["sha256"]
            assert event.details["filename"] == FILE
            assert event.details["authors"] == [person]

    for person, proposal_id in made.items():
        got = client.get(f"/api/v1/proposals/{proposal_id}", headers=sec).json()
        assert got["rationale"] == "", person

    leaks = ("SHA-256", ".docx", MARIA, ANA, FILE)
    for variant in ("compilation", "responses"):
        text = paragraphs(downloaded(client, sec, variant))
        shown_proposals = [t for style, t in text if style.startswith("ZDProposal")]
        if variant == "compilation":
            assert any(f"P-{made[MARIA]}: amend" in t for t in shown_proposals)
            assert not any(t.startswith("Rationale:") for t in shown_proposals)
        everything = "\n".join(t for _, t in text)
        for leak in leaks:
            assert leak not in everything, (variant, leak)
    table = client.get("/api/v1/responses", headers=sec).json()
    assert {row["reference"] for row in table} >= {f"P-{i}" for i in made.values()}
    for row in table:
        for leak in leaks:
            assert leak not in row["summary"]


def cut_inside_a_word(text: str, size: int = SUMMARY_CHARS) -> bool:
    """Whether cutting at `size` - 1 characters, as the table used to, ends inside a word."""
    return text[size - 2].isalnum() and text[size - 1].isalnum()


def test_the_issued_table_carries_a_delegations_whole_input_the_page_a_short_one(
    client: TestClient, database: Database, world: World, clock: Clock, sec: dict[str, str]
) -> None:
    """Word review D5/D6: the comment-response table issued with the round (Word, CSV, API)
    carries what the delegation wrote whole, its words in curly quotes and the rationale after
    an en dash, as the compilation writes them; the web list shortens it after a whole word."""
    issue(database, clock)
    words = "Passport identity documents mobile telephones confiscated systematically "
    text = (words * 6).strip()
    whole = f"Amend: \u201c{text}\u201d \u2013 Clearer."
    assert len(whole) > SUMMARY_CHARS and cut_inside_a_word(whole)  # the old cut was bad
    member = bearer(token_for(database, world.member, clock.now))
    response = client.post(
        "/api/v1/proposals",
        json={
            "kind": "amend",
            "targets": ["FC-CD-01"],
            "content": {"text": text},
            "rationale": "Clearer.",
            "delegation": "PH-SOMTC",
            "submit": True,
        },
        headers=member,
    )
    assert response.status_code == 201, response.text
    comment = client.post(
        "/api/v1/comments",
        json={
            "item": "FC-CD-01",
            "field": "text",
            "quote": "personal phone",
            "body": "Which phones? " * 30,
        },
        headers=member,
    )
    assert comment.status_code == 201, comment.text
    said = "On \u201cpersonal phone\u201d: " + ("Which phones? " * 30).strip()

    rows = client.get("/api/v1/responses", headers=sec).json()
    assert [r["summary"] for r in rows] == [whole, said]
    csv = client.get("/api/v1/responses.csv", headers=sec).content.decode("utf-8-sig")
    assert whole in csv and said in csv
    word = downloaded(client, sec, "responses")
    table = [t for _, t in paragraphs(word)]
    assert whole in table and said in table, table
    assert not [t for t in table if t.endswith("\u2026")]
    rendered = [" ".join(line.split()) for line in lines_libreoffice(word)]
    assert whole in rendered and said in rendered, rendered

    page = TestClient(client.app, base_url="http://testserver")
    log_in(page, world.secretariat)
    html = page.get("/responses").text
    cells = [
        c.strip().replace("&#34;", '"').replace("&quot;", '"')
        for c in re.findall(r'<td class="col-summary">(.*?)</td>', html, re.S)
    ]
    assert cells == [shorten(whole), shorten(said)]
    shown = cells[0]
    assert shown.endswith("\u2026") and len(shown) <= SUMMARY_CHARS, shown
    kept = shown.removesuffix("\u2026")
    assert whole.startswith(kept)
    assert whole[len(kept)] == " " and not kept.endswith(" "), shown


def test_shorten_cuts_on_word_boundaries_or_not_at_all() -> None:
    assert shorten("short text", 20) == "short text"
    assert shorten("alpha beta gamma delta", 13) == "alpha beta…"
    assert shorten("alpha beta, gamma", 13) == "alpha beta…"
    assert shorten("alpha   beta\n gamma", 40) == "alpha beta gamma"
    assert shorten("x" * 30, 10) == "x" * 9 + "…"  # one word longer than the room: no choice


def test_an_agreed_proposals_rationale_in_the_items_history_ends_after_a_whole_word(
    client: TestClient, database: Database, world: World, clock: Clock, sec: dict[str, str]
) -> None:
    issue(database, clock)
    rationale = ("Consistency with the trafficking protocol terminology " * 8).strip()
    reason = f"P-1 agreed: {rationale}"
    assert cut_inside_a_word(reason, len("P-1 agreed: ") + 301)  # the old [:300] cut was bad
    member = bearer(token_for(database, world.member, clock.now))
    made = client.post(
        "/api/v1/proposals",
        json={
            "kind": "amend",
            "targets": ["FC-CD-01"],
            "content": {"text": "Passport or personal phone withheld by the operators"},
            "rationale": rationale,
            "delegation": "PH-SOMTC",
            "submit": True,
        },
        headers=member,
    )
    assert made.status_code == 201, made.text
    pid = made.json()["id"]
    etag = client.get(f"/api/v1/proposals/{pid}", headers=sec).headers["ETag"]
    agreed = client.post(
        f"/api/v1/proposals/{pid}/decision",
        json={"outcome": "agreed", "reason": "Consensus", "acknowledged": True},
        headers=sec | {"If-Match": etag},
    )
    assert agreed.status_code == 200, agreed.text
    history = client.get("/api/v1/indicators/FC-CD-01/history", headers=sec).json()
    shown = history["revisions"][-1]["reason"]
    assert shown.startswith(f"P-{pid} agreed: ") and shown.endswith("…"), shown
    kept = shown.removesuffix("…").removeprefix(f"P-{pid} agreed: ")
    assert rationale.startswith(kept) and rationale[len(kept)] == " "
    assert len(kept) < 300
