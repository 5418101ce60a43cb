"""Text in every ASEAN script, emoji and mixed direction survives the API, the database, the
pages, word diffs, anchored comments and the Word export exactly as given.

Decision: zerodraft stores text unchanged. It does not normalise to NFC or NFD: a Vietnamese
word typed in NFD comes back in NFD, byte for byte, and the same word in NFC stays NFC (they are
different strings to the database, to search and to the diff). The only change to a text field is
that leading and trailing whitespace is trimmed.
"""

import io
import unicodedata
import zipfile
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import select

from app.audit.service import Actor
from app.db import Database
from app.models import Comment, Item, Revision, RoundKind
from app.rounds import service as rounds
from app.text.diff import apply_new, apply_old, word_diff
from tests.factories import World, bearer, token_for
from tests.helpers import Clock, log_in
from tests.payloads import scan

VIETNAMESE = "Nạn nhân bị ép buộc phạm tội trực tuyến"
SAMPLES = {
    "thai": "ผู้เสียหายถูกบังคับให้หลอกลวงทางออนไลน์ และถูกยึดหนังสือเดินทาง",
    "khmer": "ជនរងគ្រោះត្រូវបានបង្ខំឱ្យប្រព្រឹត្តបទល្មើស",
    "lao": "ຜູ້ເຄາະຮ້າຍຖືກບັງຄັບໃຫ້ກະທຳຜິດ",
    "burmese": "လူကုန်ကူးခံရသူများကို အတင်းအဓမ္မ ရာဇဝတ်မှုကျူးလွန်စေခြင်း",
    "vietnamese_nfc": unicodedata.normalize("NFC", VIETNAMESE),
    "vietnamese_nfd": unicodedata.normalize("NFD", VIETNAMESE),
    "emoji": "Sent by 👩🏽‍💻 from 🇵🇭 to 🇰🇭: 👨‍👩‍👧‍👦 ✊🏿 ❤️",
    "mixed_direction": "ACTIP \u200fاتفاقية\u200f art. 14(7) \u200eחוק 5\u200e end",
}
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def test_the_samples_really_are_what_they_claim() -> None:
    nfc, nfd = SAMPLES["vietnamese_nfc"], SAMPLES["vietnamese_nfd"]
    assert nfc != nfd and unicodedata.normalize("NFC", nfd) == nfc
    assert any(unicodedata.combining(c) for c in nfd)
    assert "\u200d" in SAMPLES["emoji"] and "\u200f" in SAMPLES["mixed_direction"]


def _make(client: TestClient, headers: dict[str, str], name: str, text: str) -> str:
    response = client.post(
        "/api/v1/indicators",
        json={
            "dimension": "CD",
            "text": text,
            "guidance": f"{text} (guidance)",
            "references": text,
            "reason": text,
        },
        headers=headers,
    )
    assert response.status_code == 201, (name, response.text)
    code: str = response.json()["code"]
    return code


@pytest.fixture
def made(client: TestClient, sec: dict[str, str]) -> dict[str, str]:
    return {name: _make(client, sec, name, text) for name, text in SAMPLES.items()}


def test_api_and_database_keep_every_script_byte_for_byte(
    client: TestClient, sec: dict[str, str], made: dict[str, str], database: Database
) -> None:
    for name, code in made.items():
        text = SAMPLES[name]
        got = client.get(f"/api/v1/indicators/{code}", headers=sec)
        assert got.json()["text"].encode() == text.encode(), name
        assert got.json()["guidance"] == f"{text} (guidance)"
        with database.transaction(write=False) as s:
            stored = s.scalar(
                select(Revision.text)
                .join(Item, Item.id == Revision.item_id)
                .where(Item.code == code)
            )
        assert stored is not None and stored.encode() == text.encode(), name
    # NFC and NFD are different strings: searching one does not find the other.
    nfd = client.get(
        "/api/v1/indicators", params={"q": SAMPLES["vietnamese_nfd"]}, headers=sec
    ).json()
    assert [i["code"] for i in nfd["items"]] == [made["vietnamese_nfd"]]


def test_pages_show_every_script_exactly(
    client: TestClient, made: dict[str, str], world: World
) -> None:
    log_in(client, world.member)
    register_text = scan(client.get("/register").text)[1]
    for name, code in made.items():
        problems, text = scan(client.get(f"/indicators/{code}").text)
        assert problems == []
        assert SAMPLES[name] in text, name
        assert SAMPLES[name] in register_text, name


@pytest.mark.parametrize("name", list(SAMPLES))
def test_word_diffs_round_trip_and_never_start_inside_a_character(name: str) -> None:
    old = SAMPLES[name]
    new = old + " " + SAMPLES["khmer"]
    gap = old.find(" ", len(old) // 2) % (len(old) + 1)  # a word boundary, or the end
    changed = old[:gap] + " เพิ่ม" + old[gap:]
    for a, b in ((old, new), (old, changed), (SAMPLES["thai"], SAMPLES["lao"])):
        chunks = word_diff(a, b)
        assert apply_old(chunks) == a and apply_new(chunks) == b
        for chunk in chunks:
            first = chunk.text[0]
            assert not unicodedata.category(first).startswith("M"), (name, chunk)
            assert first not in "\u200d\ufe0f" and not 0x1F3FB <= ord(first) <= 0x1F3FF, chunk


# One mark or modifier changed inside a character: the diff must show whole characters.
INSIDE_A_CHARACTER = [
    ("ผู้เสียหาย ถูกบังคับ", "ผี้เสียหาย ถูกบังคับ"),  # a Thai vowel below becomes one above
    ("ຜູ້ເຄາະຮ້າຍ", "ຜູເຄາະຮ້າຍ"),  # a Lao tone mark dropped
    (unicodedata.normalize("NFD", "bị ép"), unicodedata.normalize("NFD", "bì ép")),  # NFD tone
    ("raised ✊🏿 here", "raised ✊🏻 here"),  # a skin tone
    ("from 🇵🇭 today", "from 🇵🇪 today"),  # a flag sharing its first regional indicator
    ("team 👨‍👩‍👧 now", "team 👨‍👩‍👦 now"),  # the last person of a ZWJ family
]


def _regional(text: str) -> int:
    return sum(0x1F1E6 <= ord(c) <= 0x1F1FF for c in text)


@pytest.mark.parametrize(("old", "new"), INSIDE_A_CHARACTER)
def test_a_change_inside_a_character_is_shown_as_whole_characters(old: str, new: str) -> None:
    chunks = word_diff(old, new)
    assert apply_old(chunks) == old and apply_new(chunks) == new
    for chunk in chunks:
        first, last = chunk.text[0], chunk.text[-1]
        assert not unicodedata.category(first).startswith("M"), chunks
        assert first not in "\u200d\ufe0f" and not 0x1F3FB <= ord(first) <= 0x1F3FF, chunks
        assert last != "\u200d", chunks
        assert _regional(chunk.text) % 2 == 0, chunks


def test_a_proposal_in_thai_diffs_and_round_trips_through_the_api(
    client: TestClient, made: dict[str, str], world: World, database: Database, clock: Clock
) -> None:
    ph = bearer(token_for(database, world.member, clock.now))
    code = made["thai"]
    new = SAMPLES["thai"].replace("หลอกลวง", "ฉ้อโกง")
    response = client.post(
        "/api/v1/proposals",
        json={
            "kind": "amend",
            "targets": [code],
            "content": {"text": new},
            "rationale": SAMPLES["khmer"],
            "submit": True,
        },
        headers=ph,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["content"]["text"] == new and body["rationale"] == SAMPLES["khmer"]
    (change,) = [c for c in body["changes"] if c["field"] == "text"]
    ops = change["ops"]
    assert "".join(o["text"] for o in ops if o["op"] != "insert") == SAMPLES["thai"]
    assert "".join(o["text"] for o in ops if o["op"] != "delete") == new
    log_in(client, world.member)
    problems, text = scan(client.get(f"/proposals/{body['id']}").text)
    assert problems == [] and SAMPLES["khmer"] in text


@pytest.mark.parametrize("name", ["thai", "burmese", "vietnamese_nfd", "emoji", "mixed_direction"])
def test_a_comment_anchored_on_the_words_keeps_them_exactly(
    client: TestClient,
    made: dict[str, str],
    world: World,
    database: Database,
    clock: Clock,
    name: str,
) -> None:
    ph = bearer(token_for(database, world.member, clock.now))
    text = SAMPLES[name]
    quote = text[len(text) // 3 : len(text) // 3 + 8]
    # Whole characters: the quote must not start or end inside one.
    start = text.index(quote)
    while start > 0 and unicodedata.category(text[start]).startswith("M"):
        start -= 1
    end = start + len(quote)
    while end < len(text) and (
        unicodedata.category(text[end]).startswith("M") or text[end] in "\u200d\ufe0f"
    ):
        end += 1
    quote = text[start:end]
    response = client.post(
        "/api/v1/comments",
        json={"item": made[name], "start": start, "end": end, "body": f"{SAMPLES['lao']} ✅"},
        headers=ph,
    )
    assert response.status_code == 201, response.text
    anchor = response.json()["anchor"]
    assert anchor["quote"] == quote and (anchor["start"], anchor["end"]) == (start, end)
    assert response.json()["body"] == f"{SAMPLES['lao']} ✅"
    by_quote = client.post(
        "/api/v1/comments", json={"item": made[name], "quote": quote, "body": "b"}, headers=ph
    )
    assert by_quote.status_code == 201, by_quote.text
    assert by_quote.json()["anchor"]["start"] == start
    with database.transaction(write=False) as s:
        stored = s.get(Comment, response.json()["id"])
        assert stored is not None and stored.quote == quote
    log_in(client, world.member)
    _, page = scan(client.get(f"/indicators/{made[name]}").text)
    assert text in page and SAMPLES["lao"] in page


def test_the_word_export_carries_every_script_exactly(
    client: TestClient, made: dict[str, str], world: World, database: Database, clock: Clock
) -> None:
    ph = bearer(token_for(database, world.member, clock.now))
    with database.transaction() as s:
        r = rounds.create_round(
            s,
            Actor.system("test"),
            symbol="ADWG/FC/ร่าง-1",
            title=f"Rev.1 {SAMPLES['lao']}",
            kind=RoundKind.WRITTEN,
            time_zone="Asia/Bangkok",
            deadline=clock.now + timedelta(days=10),
            opens_at=None,
            instructions="",
            observers_may_comment=False,
            now=clock.now,
        )
        rounds.issue_round(s, Actor.system("test"), r.id, now=clock.now)
        round_id = r.id
    thai = SAMPLES["thai"]
    comment = client.post(
        "/api/v1/comments",
        json={"item": made["thai"], "quote": thai[:10], "body": SAMPLES["burmese"]},
        headers=ph,
    )
    assert comment.status_code == 201, comment.text
    response = client.get(
        f"/api/v1/rounds/{round_id}/export.docx?variant=clean&comments=true", headers=ph
    )
    assert response.status_code == 200, response.text
    with zipfile.ZipFile(io.BytesIO(response.content)) as z:
        document = etree.fromstring(z.read("word/document.xml"))
        comments = etree.fromstring(z.read("word/comments.xml"))
    paragraphs = ["".join(t.text or "" for t in p.iter(f"{W}t")) for p in document.iter(f"{W}p")]
    for name, text in SAMPLES.items():
        assert any(text in p for p in paragraphs), name
    notes = "".join(t.text or "" for t in comments.iter(f"{W}t"))
    assert SAMPLES["burmese"] in notes
