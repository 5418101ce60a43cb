"""A rating round's results downloaded as CSV and as a Word annex (issue 20): only once the round
is closed (or by a secretariat the round shows its answers to), with the same suppression of small
counts as the pages, and no name or single answer in either file."""

import csv
import io
from typing import Any

import docx
from fastapi.testclient import TestClient

from tests.factories import World
from tests.helpers import Clock, log_in
from tests.test_new_item_placement_word import lines_libreoffice
from tests.test_rating_rounds import (
    API,
    FIVE,
    NAMES,
    THREE,
    Panel,
    answer,
    close,
    make_round,
    one,
)
from tests.test_rating_rounds import people as people  # the panel's tokens, the round issued

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def rows_of(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def annex_tables(data: bytes) -> list[Any]:
    document = docx.Document(io.BytesIO(data))
    return [t for t in document.tables if t.style.style_id == "ZDResponseTable"]


def rated(client: TestClient, people: Panel, clock: Clock, panel: list[str], **extra: Any) -> int:
    rr = make_round(client, people, clock, panel, **extra)
    for k, email in enumerate(panel):
        r = answer(
            client,
            people,
            rr,
            email,
            one("FC-CD-01", 9 - (k % 2), 7, strength_adult="strong", comment=f"note {k}"),
            one("FC-CD-02", 2 + k, 5, strength_child="weak" if k < 3 else None),
        )
        assert r.status_code == 200, r.text
    return rr


def test_results_as_csv_and_word_once_closed(
    client: TestClient, people: Panel, clock: Clock
) -> None:
    rr = rated(client, people, clock, FIVE)
    for fmt in ("csv", "docx"):
        r = client.get(f"{API}/{rr}/results.{fmt}", headers=people[World.member])
        assert r.status_code == 409, r.text
        assert r.json()["field"] == "state"
    close(client, people, rr)

    r = client.get(f"{API}/{rr}/results.csv", headers=people[World.member])
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert f'filename="RR-{rr}_results.csv"' in r.headers["content-disposition"]
    rows = rows_of(r.content)
    by = {(row["ref"], row["question"]): row for row in rows}
    # FC-CD-01 relevance: 9 8 9 8 9 -> median 9, 100 % in 7-9.
    first = by["FC-CD-01", "relevance"]
    assert (first["n"], first["shown"], first["median"], first["percent_7_to_9"]) == (
        "5",
        "yes",
        "9",
        "100",
    )
    assert (first["count_8"], first["count_9"], first["consensus"]) == ("2", "3", "yes")
    # FC-CD-02's child strength: only three answered it, so nothing of it is shown.
    child = by["FC-CD-02", "strength_child"]
    assert (child["n"], child["shown"], child["count_weak"], child["verdict"]) == (
        "",
        "no",
        "",
        "",
    )
    assert by["FC-CD-01", "strength_adult"]["most_chosen"] == "strong"
    text = r.content.decode("utf-8-sig")
    for name in NAMES.values():
        assert name not in text
    assert "note 1" not in text  # comments are on the pages, not in the numbers

    r = client.get(f"{API}/{rr}/results.docx", headers=people[World.observer])
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(DOCX)
    assert f'filename="RR-{rr}_results.docx"' in r.headers["content-disposition"]
    assert client.get(f"{API}/{rr}/results.docx", headers=people[World.member]).content == (
        r.content
    )  # the same for everyone who may see it, and deterministic
    tables = annex_tables(r.content)
    assert [t.rows[1].cells[0].text for t in tables] == ["Relevance (1-9)"] * 3
    assert [c.text for c in tables[1].rows[1].cells][:3] == ["Relevance (1-9)", "5", "9"]
    rendered = "\n".join(lines_libreoffice(r.content))
    assert "Results of the rating round" in rendered
    assert "Panel:" not in rendered  # the counts: the secretariat's alone
    assert "Closed on " in rendered and "Asia/Jakarta time" in rendered
    for name in NAMES.values():
        assert name not in rendered


def test_a_panel_of_three_shows_nothing_of_the_group(
    client: TestClient, people: Panel, clock: Clock
) -> None:
    rr = rated(client, people, clock, THREE)
    close(client, people, rr)
    rows = rows_of(client.get(f"{API}/{rr}/results.csv", headers=people[World.member]).content)
    assert {row["shown"] for row in rows} == {"no"}
    for row in rows:
        assert row["n"] == row["median"] == row["count_9"] == row["count_strong"] == ""
        assert row["reason"] == ""
    data = client.get(f"{API}/{rr}/results.docx", headers=people[World.member2]).content
    for table in annex_tables(data):
        assert table.rows[2].cells[0].text.startswith("Fewer than 5 answers")
    # Nor the panel's size and how many answered (on three, it tells who did not): those are
    # the secretariat's, which sees who answered anyway.
    assert "Panel:" not in paragraphs(data) and "answered at least one" not in paragraphs(data)
    data = client.get(f"{API}/{rr}/results.docx", headers=people[World.secretariat]).content
    assert "Panel: 3 panellists; 3 answered at least one question" in paragraphs(data)


def paragraphs(data: bytes) -> str:
    return "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)


def test_the_secretariat_shown_the_answers_gets_everything_while_open(
    client: TestClient, people: Panel, clock: Clock
) -> None:
    rr = rated(client, people, clock, THREE, show_answers_to_secretariat=True)
    r = client.get(f"{API}/{rr}/results.csv", headers=people[World.secretariat])
    assert r.status_code == 200, r.text
    rows = rows_of(r.content)
    assert {row["shown"] for row in rows} == {"yes"}  # everything, even n = 0 and 3
    assert client.get(f"{API}/{rr}/results.csv", headers=people[World.member]).status_code == 409


def test_unknown_and_draft_rounds(client: TestClient, people: Panel, clock: Clock) -> None:
    draft = make_round(client, people, clock, FIVE, open_it=False)
    for fmt in ("csv", "docx"):
        r = client.get(f"{API}/{draft}/results.{fmt}", headers=people[World.member])
        assert (r.status_code, r.json()["field"]) == (404, "rating_round")
        r = client.get(f"{API}/99999/results.{fmt}", headers=people[World.secretariat])
        assert r.status_code == 404
        r = client.get(f"{API}/{draft}/results.{fmt}")
        assert r.status_code == 401


def test_the_results_page_links_both_downloads(
    client: TestClient, people: Panel, clock: Clock
) -> None:
    rr = rated(client, people, clock, FIVE)
    close(client, people, rr)
    log_in(client, World.member)
    page = client.get(f"/rating/{rr}/results")
    assert page.status_code == 200, page.text
    assert f'href="{API}/{rr}/results.csv"' in page.text
    assert f'href="{API}/{rr}/results.docx"' in page.text
    assert client.get(f"{API}/{rr}/results.csv").status_code == 200  # by the session
