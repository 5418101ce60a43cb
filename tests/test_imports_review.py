"""Odd but valid returned copies and odd form posts found in review: each reads to what a person
would expect (or a clear 4xx), never a 500, and a preview never promises what confirming then
refuses."""

import copy
import io
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime

import docx
from fastapi.testclient import TestClient
from lxml import etree  # type: ignore[import-untyped]

from app.db import Database
from app.rounds.export import MEDIA_TYPE
from tests.factories import World
from tests.helpers import Clock, log_in
from tests.test_imports_api import confirm, count, export, issue, upload
from tests.word_edits import Comment as WordComment
from tests.word_edits import Insert, Reply, edit_with_word_xml, w

WHEN = datetime(2026, 3, 2, 10, 15, tzinfo=UTC)
PHONE = Insert("FC-CD-01", after="phone", text=" or SIM card", author="Maria Santos", date=WHEN)


def rewrite(data: bytes, name: str, change: Callable[[bytes], bytes]) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members[name] = change(members[name])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for n, content in members.items():
            z.writestr(n, content)
    return out.getvalue()


def set_property(data: bytes, name: str, value: str) -> bytes:
    def change(xml: bytes) -> bytes:
        root = etree.fromstring(xml)
        for prop in root:
            if prop.get("name") == name:
                prop[0].text = value
        return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))

    return rewrite(data, "docProps/custom.xml", change)


def _on_body(data: bytes, change: Callable[[etree._Element], None]) -> bytes:
    def edit(xml: bytes) -> bytes:
        root = etree.fromstring(xml)
        change(root.find(w("body")))
        return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))

    return rewrite(data, "word/document.xml", edit)


def _bookmark(body: etree._Element, name: str) -> tuple[etree._Element, etree._Element]:
    start = next(b for b in body.iter(w("bookmarkStart")) if b.get(w("name")) == name)
    end = next(b for b in body.iter(w("bookmarkEnd")) if b.get(w("id")) == start.get(w("id")))
    return start, end


def drop_bookmark(data: bytes, name: str) -> bytes:
    """What Word does to an item's bookmark when its heading is cut and pasted back."""

    def change(body: etree._Element) -> None:
        for el in _bookmark(body, name):
            el.getparent().remove(el)

    return _on_body(data, change)


def paste_twice(data: bytes, name: str) -> bytes:
    """The item's paragraphs copied and pasted right after it, bookmark and all."""

    def change(body: etree._Element) -> None:
        start, end = _bookmark(body, name)

        def top(el: etree._Element) -> etree._Element:
            while el.getparent() is not body:
                el = el.getparent()
            return el

        blocks = list(body)
        first, last = blocks.index(top(start)), blocks.index(top(end))
        anchor = blocks[last]
        for block in reversed(blocks[first : last + 1]):
            anchor.addnext(copy.deepcopy(block))

    return _on_body(data, change)


def test_an_item_whose_bookmark_was_deleted_in_word_is_found_by_its_heading(
    client: TestClient, database: Database, world: World, clock: Clock, sec: dict[str, str]
) -> None:
    issue(database, clock)
    edited = drop_bookmark(edit_with_word_xml(export(client, sec), [PHONE]), "zd_i_FC_CD_01")
    response = upload(client, sec, edited)
    assert response.status_code == 201, response.text
    planned = response.json()["preview"]["proposals"]
    # Not one "new indicator" per paragraph of the item (heading, strength rows, fields...).
    assert [(p["kind"], p["item"]) for p in planned] == [("amend", "FC-CD-01")]
    assert planned[0]["fields"] == {
        "text": "Passport or personal phone or SIM card taken by the operators"
    }
    assert planned[0]["untracked"] is False


def test_a_second_copy_of_an_item_is_shown_not_run_into_the_first(
    client: TestClient, database: Database, world: World, clock: Clock, sec: dict[str, str]
) -> None:
    issue(database, clock)
    edited = paste_twice(edit_with_word_xml(export(client, sec), [PHONE]), "zd_i_FC_CD_01")
    response = upload(client, sec, edited)
    assert response.status_code == 201, response.text
    preview = response.json()["preview"]
    assert [(p["kind"], p["item"]) for p in preview["proposals"]] == [("amend", "FC-CD-01")]
    assert preview["proposals"][0]["fields"] == {
        "text": "Passport or personal phone or SIM card taken by the operators"
    }
    # Two copies' strength rows read as one field would be "strong\nAdult\tstrong".
    assert preview["problems"] == []
    assert len(preview["unplaced"]) == 1
    assert preview["unplaced"][0].startswith("FC-CD-01 appears a second time in the file")


def test_a_tampered_round_id_is_refused_not_a_500(
    client: TestClient, database: Database, world: World, clock: Clock, sec: dict[str, str]
) -> None:
    issue(database, clock)
    edited = edit_with_word_xml(export(client, sec), [PHONE])
    assert upload(client, sec, edited).status_code == 201
    for value in ("²", "9" * 5000, "-3", "<script>"):
        response = upload(client, sec, set_property(edited, "zerodraft.round_id", value))
        # The export's signature covers its properties (issue 14): a changed one is refused.
        assert response.status_code == 422, (value, response.text)
        assert response.json()["field"] == "file"


def test_a_manifest_naming_another_item_than_the_bookmark_is_refused(
    client: TestClient, database: Database, world: World, clock: Clock, sec: dict[str, str]
) -> None:
    issue(database, clock)
    edited = edit_with_word_xml(export(client, sec), [PHONE])
    items = [
        n for n in zipfile.ZipFile(io.BytesIO(edited)).namelist() if n.startswith("customXml/item")
    ]
    manifest = next(
        n for n in items if b"urn:zerodraft:export" in zipfile.ZipFile(io.BytesIO(edited)).read(n)
    )
    tampered = rewrite(
        edited, manifest, lambda xml: xml.replace(b'code="FC-CD-01"', b'code="FC-CD-02"', 1)
    )
    response = upload(client, sec, tampered)
    # The manifest is signed (issue 14): one changed after the export is not believed at all.
    assert response.status_code == 422, response.text
    assert "not signed by this platform" in response.json()["detail"]


def test_a_table_of_indicators_under_no_heading_is_a_problem_not_a_failed_confirm(
    client: TestClient, database: Database, world: World, clock: Clock, sec: dict[str, str]
) -> None:
    from app.models import Dimension, Item

    document = docx.Document()
    table = document.add_table(rows=2, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Code", "Indicator"
    table.rows[1].cells[0].text = "FC-QQ-01"
    table.rows[1].cells[1].text = "The person was made to recruit others"
    out = io.BytesIO()
    document.save(out)
    before = count(database, Dimension), count(database, Item)

    response = upload(client, sec, out.getvalue(), delegation=None, name="table.docx")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["counts"] == {"dimensions": 0, "indicators": 0, "sections": 0}
    assert any("under no heading" in p for p in body["preview"]["problems"])
    done = confirm(client, sec, body)
    assert done.status_code == 200, done.text
    assert (count(database, Dimension), count(database, Item)) == before


def test_a_delegation_sent_as_a_file_is_said_beside_the_field(
    client: TestClient, database: Database, world: World, clock: Clock, sec: dict[str, str]
) -> None:
    issue(database, clock)
    data = export(client, sec)
    csrf = log_in(client, world.secretariat)
    response = client.post(
        "/imports",
        data={"csrf_token": csrf},
        files=[
            ("file", ("returned.docx", data, MEDIA_TYPE)),
            ("delegation", ("code.txt", b"PH-SOMTC", "text/plain")),
        ],
        follow_redirects=False,
    )
    assert response.status_code == 422
    assert "choose the delegation from the list" in response.text
    assert "UploadFile" not in response.text


def test_two_delegations_saying_the_same_words_each_get_their_comment(
    client: TestClient, database: Database, world: World, clock: Clock, sec: dict[str, str]
) -> None:
    from app.models import Comment

    issue(database, clock)
    said = WordComment(
        "FC-CD-01",
        words="personal phone",
        text="Agreed.",
        author="Delegate",
        initials="D",
        date=WHEN,
        replies=(Reply("Another delegate", "A", WHEN, "Same here."),),
    )
    edited = edit_with_word_xml(export(client, sec), [said])
    for delegation in ("PH-SOMTC", "TH-SOMTC"):
        body = upload(client, sec, edited, delegation=delegation).json()
        assert body["counts"] == {"proposals": 0, "comments": 2}, delegation
        assert confirm(client, sec, body).status_code == 200
    assert count(database, Comment) == 4
    # Read again for a delegation that already made them: nothing twice.
    resaved = set_property(edited, "zerodraft.variant", "clean ")  # another file, same words
    again = upload(client, sec, resaved, delegation="TH-SOMTC").json()
    assert again["already_imported"] is False and again["counts"]["comments"] == 0


def test_an_already_flag_in_the_address_of_a_preview_is_not_believed(
    client: TestClient, database: Database, world: World, clock: Clock, sec: dict[str, str]
) -> None:
    issue(database, clock)
    body = upload(client, sec, edit_with_word_xml(export(client, sec), [PHONE])).json()
    log_in(client, world.secretariat)
    page = client.get(f"/imports/{body['id']}", params={"already": "1", "done": "<b>"})
    assert page.status_code == 200
    assert "Already imported" not in page.text and "Preview: nothing created yet" in page.text


def test_a_draft_too_long_for_the_registers_forms_is_a_problem_in_the_preview(
    client: TestClient, database: Database, world: World, clock: Clock, sec: dict[str, str]
) -> None:
    from app.models import Item

    document = docx.Document()
    document.add_heading("Scope " + "x" * 400, 1)  # a section title is at most 300 characters
    document.add_paragraph("The scope of these indicators.")
    document.add_heading("Exploitation (EX)", 1)
    document.add_paragraph("The person was made to " + "steal " * 1000, style="List Number")
    document.add_paragraph("The person was made to beg", style="List Number")
    out = io.BytesIO()
    document.save(out)
    before = count(database, Item)

    body = upload(client, sec, out.getvalue(), delegation=None, name="long.docx").json()
    problems = body["preview"]["problems"]
    assert any("title" in p and "300" in p for p in problems), problems
    assert any("text" in p and "5000" in p for p in problems), problems
    assert body["counts"] == {"dimensions": 1, "indicators": 1, "sections": 0}
    done = confirm(client, sec, body)
    assert done.status_code == 200, done.text
    assert count(database, Item) == before + 1
