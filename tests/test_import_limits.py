"""Reading a Word upload is bounded (issue 14, item 3): who may import is decided before the
file is read, and what kind of file before its body is; the parts read are inflated against
budgets in bytes and in markup, and the read stops at the first chunk over; a process reads a
few files at once and tells the next one to come back (503, Retry-After). Small budgets set
through the settings stand in for bench/import_memory.py's hostile files."""

import os
import random
import time
import tracemalloc
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.db import Database
from app.imports.reading import claimed_kind, import_slot
from app.rounds.export import MEDIA_TYPE
from app.word import reader
from app.word.reader import FileTooLarge, Limits, open_docx
from tests import hostile_docx as hostile
from tests.factories import World
from tests.helpers import Clock, csrf_of, log_in

MB = 1024 * 1024
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
ZD = "DWG-FC/ZD"


def _paragraphs(count: int) -> bytes:
    body = "".join(f"<w:p><w:r><w:t>{n}</w:t></w:r></w:p>" for n in range(count))
    return f"<w:document {W}><w:body>{body}</w:body></w:document>".encode()


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The parts the reader parsed, in order."""
    names: list[str] = []
    real = reader.parse_xml

    def spy(data: bytes, part: str) -> object:
        names.append(part)
        return real(data, part)

    monkeypatch.setattr(reader, "parse_xml", spy)
    return names


# --- The reader's budgets ------------------------------------------------------------------


def test_markup_over_the_budget_stops_the_read_at_once(parsed: list[str]) -> None:
    data = hostile.with_parts(hostile.plain_docx(), {"word/document.xml": _paragraphs(200_000)})
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(FileTooLarge) as refused:
            open_docx(data, limits=Limits(read_markup=20_000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert refused.value.status_code == 413
    assert refused.value.detail == (
        "word/document.xml holds more markup than a Word document needs (the parts read hold "
        "over 20,000 tags and attributes, an attribute counted twice): refused"
    )
    # 7 MB of paragraphs: the read stopped within its first chunks, nothing of it was parsed.
    assert peak < 1 * MB and time.perf_counter() - started < 1.0
    assert "word/document.xml" not in parsed


def _markup(data: bytes) -> int:
    paragraphs = len(reader.PARAGRAPH.findall(data))
    return data.count(b"<") + 2 * data.count(b"=") + reader.PARAGRAPH_WEIGHT * paragraphs


def test_attributes_count_twice() -> None:
    run = "<w:r " + " ".join(f'a{k}="1"' for k in range(100)) + "><w:t>x</w:t></w:r>"
    document = f"<w:document {W}><w:body><w:p>{run * 60}</w:p></w:body></w:document>".encode()
    data = hostile.with_parts(hostile.plain_docx(), {"word/document.xml": document})
    whole = sum(map(_markup, open_docx(data).parts.values()))
    # Counted as the reader counts, attributes twice: one unit less is refused.
    with pytest.raises(FileTooLarge, match="holds more markup"):
        open_docx(data, limits=Limits(read_markup=whole - 1))
    assert open_docx(data, limits=Limits(read_markup=whole)).parts["word/document.xml"]


def test_paragraphs_weigh_more_than_other_markup_whatever_their_prefix(
    parsed: list[str],
) -> None:
    """The returned-copy reader spends about 650 bytes a paragraph: 1.1 million empty ones fit
    the plain markup budget and cost 12-17 s and 600-730 MB. Counted five units more each, and
    under another prefix for the same namespace, they are refused before anything is parsed."""
    # Two random characters after each, as the attack had, so the part is not refused as a zip
    # bomb (its compression ratio) before its markup is counted.
    noise = random.Random(14)
    letters = "abcdefghijklmnopqrstuvwxyz0123456789"
    empty = "".join(f"<x:p/>{noise.choice(letters)}{noise.choice(letters)}" for _ in range(300_000))
    x = W.replace("xmlns:w", "xmlns:x")
    document = f"<x:document {x}><x:body>{empty}</x:body></x:document>".encode()
    data = hostile.with_parts(hostile.plain_docx(), {"word/document.xml": document})
    with pytest.raises(FileTooLarge, match="holds more markup"):
        open_docx(data)
    assert "word/document.xml" not in parsed
    # Not mistaken for paragraphs: paragraph properties, proofing marks, plain text.
    assert not reader.PARAGRAPH.findall(b"<w:pPr><w:proofErr w:type='x'/>p <p</w:pPr>")
    assert len(reader.PARAGRAPH.findall(b"<w:p><p/><w:p w:rsidR='1'><a:p\t>")) == 4


def test_a_part_declared_over_the_budget_is_refused_before_it_is_inflated(
    parsed: list[str],
) -> None:
    data = hostile.with_parts(hostile.plain_docx(), {"word/document.xml": _paragraphs(60_000)})
    with pytest.raises(FileTooLarge) as refused:
        open_docx(data, limits=Limits(read_part_bytes=1 * MB))
    assert refused.value.detail.startswith("word/document.xml unpacks to 2")
    assert refused.value.detail.endswith(
        "; the parts of a Word document that are read may be at most 1 MB each"
    )
    assert "word/document.xml" not in parsed


def test_the_parts_read_together_have_a_budget() -> None:
    with pytest.raises(FileTooLarge) as refused:
        open_docx(hostile.plain_docx(), limits=Limits(read_bytes=20_000))
    assert refused.value.status_code == 413
    assert "the parts of the file that are read unpack to more than 19 KB" in refused.value.detail


def test_images_are_never_inflated_nor_held_to_the_read_budgets() -> None:
    picture = os.urandom(3 * MB)  # incompressible, over the part budget
    data = hostile.with_parts(hostile.plain_docx(), {"word/media/image1.png": picture})
    package = open_docx(data, limits=Limits(read_part_bytes=1 * MB))
    assert "word/media/image1.png" not in package.parts


def test_the_budgets_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Limits() == Limits.from_settings(Settings())  # the same defaults
    monkeypatch.setenv("ZERODRAFT_IMPORT_READ_MARKUP", "1234")
    monkeypatch.setenv("ZERODRAFT_IMPORT_READ_PART_BYTES", "5678")
    monkeypatch.setenv("ZERODRAFT_IMPORT_READ_BYTES", "9012")
    limits = Limits.from_settings(Settings())
    assert (limits.read_markup, limits.read_part_bytes, limits.read_bytes) == (1234, 5678, 9012)


def test_the_kind_is_told_from_the_marks_before_the_body() -> None:
    assert claimed_kind({"docProps/custom.xml": b'<p name="zerodraft.round"/>'}) == "returned"
    manifest = '<m xmlns="urn:zerodraft:export:1"/>'.encode("utf-16-le")
    assert claimed_kind({"customXml/item1.xml": manifest}) == "returned"
    assert claimed_kind({"docProps/custom.xml": b"<Properties/>"}) == "authored"


# --- Over HTTP: who first, then the budgets, then the slots ---------------------------------


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"import_read_markup": 50_000, "import_concurrency": 1, "import_wait_seconds": 0.2}
    )


def _upload(
    client: TestClient, headers: dict[str, str], data: bytes, delegation: str | None = None
) -> object:
    return client.post(
        "/api/v1/imports",
        files={"file": ("copy.docx", data, MEDIA_TYPE)},
        data={"delegation": delegation} if delegation else {},
        headers=headers,
    )


def _unmarked_with_a_broken_body() -> bytes:
    # Not a returned copy (no marks), and a body that would be refused if it were parsed.
    return hostile.with_parts(hostile.plain_docx(), {"word/document.xml": b"<w:document"})


def test_a_members_draft_is_refused_by_role_before_its_body_is_read(
    client: TestClient, database: Database, member: dict[str, str], parsed: list[str]
) -> None:
    response = _upload(client, member, _unmarked_with_a_broken_body())
    assert response.status_code == 403, response.text  # type: ignore[attr-defined]
    assert response.json()["detail"].startswith(  # type: ignore[attr-defined]
        "this file is not a returned copy of a round (it carries no zerodraft marks)"
    )
    assert "word/document.xml" not in parsed


def test_a_member_for_another_delegation_is_refused_before_the_file_is_opened(
    client: TestClient, database: Database, member: dict[str, str], parsed: list[str]
) -> None:
    response = _upload(client, member, b"not even a zip", delegation="VN-SOMTC")
    assert response.status_code == 403, response.text  # type: ignore[attr-defined]
    assert response.json()["detail"] == "you do not speak for delegation VN-SOMTC"  # type: ignore[attr-defined]
    assert parsed == []


def test_the_secretariat_still_reads_a_draft_and_sees_its_problem(
    client: TestClient, database: Database, sec: dict[str, str]
) -> None:
    response = _upload(client, sec, _unmarked_with_a_broken_body())
    assert response.status_code == 422, response.text  # type: ignore[attr-defined]
    assert response.json()["detail"].startswith(  # type: ignore[attr-defined]
        "word/document.xml is not well-formed XML"
    )


def test_an_upload_over_the_markup_budget_gets_413_naming_the_part(
    client: TestClient, database: Database, sec: dict[str, str], parsed: list[str]
) -> None:
    data = hostile.with_parts(hostile.plain_docx(), {"word/document.xml": _paragraphs(100_000)})
    started = time.perf_counter()
    response = _upload(client, sec, data)
    assert response.status_code == 413, response.text  # type: ignore[attr-defined]
    assert response.json()["detail"].startswith(  # type: ignore[attr-defined]
        "word/document.xml holds more markup than a Word document needs (the parts read hold "
        "over 50,000 tags and attributes"
    )
    assert time.perf_counter() - started < 2.0
    assert "word/document.xml" not in parsed


@pytest.fixture
def slot_taken(settings: Settings) -> Iterator[None]:
    """Another upload holding this process's one import slot."""
    with import_slot(settings.import_concurrency, wait=0):
        yield


def test_an_upload_finding_every_slot_taken_gets_503_with_retry_after(
    client: TestClient, database: Database, sec: dict[str, str], slot_taken: None
) -> None:
    response = _upload(client, sec, hostile.plain_docx())
    assert response.status_code == 503, response.text  # type: ignore[attr-defined]
    assert response.headers["retry-after"] == "5"  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["error"] == "busy" and body["retry_after"] == 5
    assert body["detail"] == (
        "the server is reading other Word files right now; send this one again in 5 seconds"
    )


def test_the_upload_page_says_the_same_when_busy(
    client: TestClient, database: Database, world: World, clock: Clock, slot_taken: None
) -> None:
    log_in(client, world.secretariat)
    csrf = csrf_of(client.get("/imports").text)
    response = client.post(
        "/imports",
        data={"csrf_token": csrf, "delegation": "PH-SOMTC"},
        files={"file": ("copy.docx", hostile.plain_docx(), MEDIA_TYPE)},
    )
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert "send this one again in 5 seconds" in response.text


def test_the_upload_page_refuses_a_members_draft_before_reading_its_body(
    client: TestClient, database: Database, world: World, parsed: list[str]
) -> None:
    log_in(client, world.member)
    csrf = csrf_of(client.get("/imports").text)
    response = client.post(
        "/imports",
        data={"csrf_token": csrf},
        files={"file": ("draft.docx", _unmarked_with_a_broken_body(), MEDIA_TYPE)},
    )
    assert response.status_code == 403
    assert "this file is not a returned copy of a round" in response.text
    assert "word/document.xml" not in parsed


def test_the_slot_is_given_back_after_a_refusal(
    client: TestClient, database: Database, sec: dict[str, str]
) -> None:
    for _ in range(3):  # one slot: a slot kept by a refused upload would make these 503
        response = _upload(client, sec, b"%PDF-1.7", delegation="PH-SOMTC")
        assert response.status_code == 422, response.text  # type: ignore[attr-defined]
