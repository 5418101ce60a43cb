"""Who wrote a comment (issue 15, item 7): a comment imported from a returned copy keeps the
name Word gave its author beside the delegation ("Ana Reyes (Philippines - SOMTC)"), not the
name of the officer who confirmed the import; every comment author is shown as
"Name (Delegation)" or "Name (ASEAN Secretariat)" on the pages and in the exports. Driven over
HTTP: comments written in Word's own XML and by a real LibreOffice, uploaded and confirmed; the
thread page read as text and the exported comments read back with lxml.
"""

import io
import zipfile

from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import select

from app.db import Database
from app.models import Comment, User
from tests.factories import World
from tests.helpers import Clock, log_in, text_of
from tests.test_imports_api import WHEN, ZD, confirm, export, issue, upload
from tests.word_edits import Comment as WordComment
from tests.word_edits import LoEdit, Reply, edit_with_libreoffice, edit_with_word_xml

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
ANA, JOSE, DAO = "Ana Reyes", "Jose Cruz", "Dao Thi Lan"
PH = "Philippines - SOMTC"


def word_authors(docx: bytes, attribute: str = "author") -> dict[str, str]:
    """Each exported comment's text -> its w:author (or another attribute: "initials")."""
    part = zipfile.ZipFile(io.BytesIO(docx)).read("word/comments.xml")
    return {
        "".join(t.text or "" for t in c.iter(f"{W}t")): c.get(f"{W}{attribute}") or ""
        for c in etree.fromstring(part).iter(f"{W}comment")
    }


def test_an_imported_comment_keeps_its_word_author_beside_the_delegation(
    client: TestClient, database: Database, world: World, clock: Clock, sec: dict[str, str]
) -> None:
    issue(database, clock)
    clean = export(client, sec)
    by_word = edit_with_word_xml(
        clean,
        [
            WordComment(
                "FC-CD-01",
                words="personal phone",
                text="Does this include a work phone?",
                author=ANA,
                initials="AR",
                date=WHEN,
                replies=(Reply(JOSE, "JC", WHEN, "Yes, any phone."),),
            )
        ],
    )
    (by_libreoffice,) = edit_with_libreoffice(
        [clean],
        [[LoEdit("comment", "guarded compound", "Which compounds?", author=DAO, initials="DTL")]],
    )
    for data in (by_word, by_libreoffice):
        body = upload(client, sec, data).json()
        assert confirm(client, sec, body).status_code == 200

    with database.transaction(write=False) as s:
        officer = s.scalar(select(User.id).where(User.email == world.secretariat))
        made = {c.body: c for c in s.scalars(select(Comment))}
        assert {body: c.written_by for body, c in made.items()} == {
            "Does this include a work phone?": ANA,
            "Yes, any phone.": JOSE,
            "Which compounds?": DAO,
        }
        assert {c.author_id for c in made.values()} == {officer}  # who confirmed: the trail
        thread_id = made["Does this include a work phone?"].id
        lo_id = made["Which compounds?"].id

    # The pages: each by the name the file gave, beside the delegation.
    member = TestClient(client.app, base_url="http://testserver")
    log_in(member, world.member2)
    thread = text_of(member.get(f"/comments/{thread_id}").text)
    assert f"{ANA} ({PH})" in thread and f"{JOSE} ({PH})" in thread
    assert "Siti Secretariat" not in thread
    assert f"{DAO} ({PH})" in text_of(member.get(f"/comments/{lo_id}").text)
    indicator = text_of(member.get("/indicators/FC-CD-01").text)
    assert f"{ANA} ({PH})" in indicator
    api = client.get(f"/api/v1/comments/{thread_id}", headers=sec)
    assert api.status_code == 200 and api.json()["author"] == ANA

    # The secretariat's own comment, made on the web, speaks for the secretariat.
    office = TestClient(client.app, base_url="http://testserver")
    log_in(office, world.secretariat)
    made_here = client.post(
        "/api/v1/comments",
        json={"item": "FC-CD-02", "body": "Noted by the secretariat."},
        headers=sec,
    )
    assert made_here.status_code == 201, made_here.text
    own = text_of(office.get(f"/comments/{made_here.json()['id']}").text)
    assert "Siti Secretariat (ASEAN Secretariat)" in own

    # The exports: Word's comment authors say the same.
    for variant in ("clean", "compilation"):
        response = client.get(
            f"/api/v1/rounds/{ZD}/export.docx",
            params={"variant": variant, "comments": "true"},
            headers=sec,
        )
        assert response.status_code == 200, response.text
        authors = word_authors(response.content)
        by_text = {text.split(": ", 1)[-1]: author for text, author in authors.items()}
        assert by_text["Does this include a work phone?"] == f"{ANA} ({PH})", authors
        assert by_text["Yes, any phone."] == f"{JOSE} ({PH})"
        assert by_text["Which compounds?"] == f"{DAO} ({PH})"
        assert by_text["Noted by the secretariat."] == "Siti Secretariat (ASEAN Secretariat)"


def test_a_comment_whose_word_author_is_the_delegation_is_shown_as_the_delegation(
    client: TestClient, database: Database, world: World, clock: Clock, sec: dict[str, str]
) -> None:
    """Word review D8: a copy whose Word user name is the delegation ("Philippines (SOMTC)",
    "PH-SOMTC") shows the delegation once, not "Philippines (SOMTC) (Philippines - SOMTC)";
    a person's name beside the delegation's code stays a person's."""
    issue(database, clock)
    edited = edit_with_word_xml(
        export(client, sec),
        [
            WordComment(
                "FC-CD-01",
                words="personal phone",
                text="Does this include a work phone?",
                author="Philippines (SOMTC)",
                initials="PS",
                date=WHEN,
                replies=(
                    Reply("PH-SOMTC", "PS", WHEN, "Yes, any phone."),
                    Reply("Ana Reyes (PH-SOMTC)", "AR", WHEN, "Or a tablet."),
                ),
            )
        ],
    )
    body = upload(client, sec, edited).json()
    assert confirm(client, sec, body).status_code == 200
    with database.transaction(write=False) as s:
        made = {c.body: c for c in s.scalars(select(Comment))}
    assert made["Does this include a work phone?"].written_by == "Philippines (SOMTC)"
    thread_id = made["Does this include a work phone?"].id

    member = TestClient(client.app, base_url="http://testserver")
    log_in(member, world.member2)
    thread = text_of(member.get(f"/comments/{thread_id}").text)
    assert "(SOMTC) (" not in thread and f"PH-SOMTC ({PH})" not in thread, thread
    assert PH in thread and f"Ana Reyes (PH-SOMTC) ({PH})" in thread

    response = client.get(
        f"/api/v1/rounds/{ZD}/export.docx",
        params={"variant": "compilation", "comments": "true"},
        headers=sec,
    )
    assert response.status_code == 200, response.text
    by_text = {t.split(": ", 1)[-1]: a for t, a in word_authors(response.content).items()}
    assert by_text["Does this include a work phone?"] == PH, by_text
    assert by_text["Yes, any phone."] == PH
    assert by_text["Or a tablet."] == f"Ana Reyes (PH-SOMTC) ({PH})"
    # Initials of the name shown, letters only (they were "P(" from "Philippines (SOMTC)").
    initials = {
        t.split(": ", 1)[-1]: i for t, i in word_authors(response.content, "initials").items()
    }
    assert initials["Does this include a work phone?"] == "PS"
    assert initials["Or a tablet."] == "AR"
