"""Long lists are read fifty rows a page (app/paging.py): the register, the consensus grid and a
round's compilation. Driven over HTTP as a delegate does, on a working set of 120 indicators:
the rows of each page, their display numbers (those of the whole draft, whatever the page or
filter), the links that keep the filters, the last page for a page past the end, and a clear
error for a page that is not a number."""

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.db import Database
from app.demo.working_set import MEMBER, PASSWORD, ROUND, SECRETARIAT, populate
from app.models import ItemKind, ItemStatus, Proposal, ProposalState
from app.register import service as register
from tests.helpers import form_in, log_in, text_of

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
INDICATORS = 120


def working_set(database: Database, now: datetime) -> None:
    with database.transaction() as s:
        populate(s, INDICATORS, now=NOW)


# Every test starts from the working set, made once per test process and copied
# (tests/conftest.py, start_from), not made again for each test.
pytestmark = pytest.mark.start_from.with_args(working_set)


@pytest.fixture
def member(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as client:
        log_in(client, MEMBER, PASSWORD)
        yield client


def _codes(html: str, pattern: str) -> list[str]:
    return re.findall(pattern, html)


def _pager(html: str) -> str:
    found = re.search(r'<nav class="pager".*?</nav>', html, re.S)
    assert found, "no pager on the page"
    return found.group(0)


def test_the_register_is_read_fifty_indicators_a_page_numbered_as_the_draft(
    member: TestClient, database: Database
) -> None:
    with database.transaction(write=False) as s:
        everything = register.list_items(s, ItemKind.INDICATOR)
    assert len(everything) == INDICATORS

    seen: list[str] = []
    for number in (1, 2, 3):
        html = member.get(f"/register?page={number}").text
        rows = re.findall(
            r'<td class="col-number">(\d+)</td>\s*<th scope="row" class="col-code">'
            r'<a href="/indicators/([A-Z0-9-]+)">',
            html,
        )
        expected = everything[(number - 1) * 50 : number * 50]
        assert [code for _, code in rows] == [r.code for r in expected if r.number]
        assert [int(n) for n, _ in rows] == [r.number for r in expected if r.number]
        seen += [code for _, code in rows]
        place = text_of(_pager(html))
        first, last = (number - 1) * 50 + 1, min(number * 50, INDICATORS)
        assert f"Indicators {first}–{last} of {INDICATORS}" in place
        assert f"page {number} of 3" in place
    assert len(seen) == len(set(seen)) == sum(1 for r in everything if r.number)

    first = member.get("/register").text
    assert 'href="/register?page=2" rel="next"' in _pager(first)
    assert 'rel="prev"' not in _pager(first)
    # Past the end: the last page, not an empty one.
    assert "page 3 of 3" in text_of(_pager(member.get("/register?page=999").text))


def test_a_filtered_register_pages_keep_the_filter_and_the_draft_numbers(
    member: TestClient, database: Database
) -> None:
    with database.transaction(write=False) as s:
        everything = register.list_items(s, ItemKind.INDICATOR)
    dimension = everything[0].dimension_code
    assert dimension
    wanted = [r for r in everything if r.dimension_code == dimension]
    html = member.get(f"/register?dimension={dimension}").text
    numbers = [int(n) for n in re.findall(r'<td class="col-number">(\d+)</td>', html)]
    assert numbers == [r.number for r in wanted[:50] if r.number]
    if len(wanted) > 50:
        assert f"dimension={dimension}&amp;page=2" in _pager(html)

    withdrawn = member.get(f"/register?status={ItemStatus.WITHDRAWN.value}").text
    assert 'col-number">1<' not in withdrawn


def test_a_page_that_is_not_a_page_number_is_refused_by_name(member: TestClient) -> None:
    for path in ("/register", "/consensus", f"/rounds/{quote(ROUND, safe='/')}"):
        for page in ("x", "0", "-1", "1.5", "9999999", "%C2%B2", "%D9%A3"):
            response = member.get(f"{path}?page={page}")
            assert response.status_code == 422, (path, page)
            assert "page" in text_of(response.text).lower(), (path, page)


def test_the_consensus_grid_shows_fifty_indicators_a_page_and_filters_by_state(
    member: TestClient, database: Database
) -> None:
    with database.transaction(write=False) as s:
        active = [r for r in register.list_items(s, ItemKind.INDICATOR) if r.number]
    html = member.get("/consensus").text
    rows = _codes(html, r'<a href="/indicators/([A-Z0-9-]+)#consensus">')
    assert rows == [r.code for r in active[:50]]
    # Every delegation's cell on each row, with its stance in words.
    first_row = html[html.index(f"/indicators/{rows[0]}#consensus") :]
    first_row = first_row[: first_row.index("</tr>")]
    assert first_row.count('<td class="sc stance-') == 30
    assert re.search(
        r'title="[A-Z]{2}-[A-Z]+: (support|pending|objection|reservation|ad referendum)', first_row
    )
    last = member.get("/consensus?page=3").text
    assert _codes(last, r'<a href="/indicators/([A-Z0-9-]+)#consensus">') == [
        r.code for r in active[100:]
    ]
    summary = text_of(html[html.index('class="state-summary"') :][:600])
    assert f"({len(active)} indicators in the draft)" in summary

    opened = member.get("/consensus?state=open").text
    for code in _codes(opened, r'<a href="/indicators/([A-Z0-9-]+)#consensus">'):
        page = member.get(f"/indicators/{code}").text
        assert "tag-d-open" in page
    assert member.get("/consensus?state=nonsense").status_code == 422
    refused = member.get("/consensus?dimension=NOPE")
    assert refused.status_code == 422 and "dimension" in text_of(refused.text).lower()


def test_the_consensus_page_lists_the_first_proposals_under_objection_and_how_many(
    member: TestClient,
) -> None:
    html = member.get("/consensus").text
    section = html[html.index('id="objected-title"') :]
    listed = re.findall(r'<li><a href="/proposals/(\d+)">', section)
    assert 0 < len(listed) <= 25
    assert listed == sorted(listed, key=int)
    told = re.search(r"The first (\d+) of (\d+), oldest first", text_of(section))
    if told:
        assert int(told.group(1)) == len(listed) < int(told.group(2))


def test_a_rounds_compilation_is_read_fifty_items_a_page(member: TestClient) -> None:
    path = f"/rounds/{quote(ROUND, safe='/')}"
    first = member.get(path).text
    codes = _codes(
        first, r'<th scope="row" class="col-code"><a href="/(?:indicators|sections)/([A-Z0-9-]+)">'
    )
    assert len(codes) == 50
    place = text_of(_pager(first))
    assert "Items 1–50 of" in place
    second = member.get(f"{path}?page=2").text
    more = _codes(
        second, r'<th scope="row" class="col-code"><a href="/(?:indicators|sections)/([A-Z0-9-]+)">'
    )
    assert more and not set(more) & set(codes)


def test_the_comment_response_table_is_read_fifty_inputs_a_page_and_an_answer_returns_to_its_page(
    app: FastAPI, member: TestClient
) -> None:
    first = member.get("/responses").text
    numbers = [int(n) for n in re.findall(r'<td class="col-number">(\d+)</td>', first)]
    assert numbers == list(range(1, 51))
    total = int(re.search(r"(\d+) inputs;", text_of(first)).group(1))  # type: ignore[union-attr]
    assert total > 150
    third = member.get("/responses?page=3").text
    assert [int(n) for n in re.findall(r'<td class="col-number">(\d+)</td>', third)] == list(
        range(101, 151)
    )
    with TestClient(app, base_url="http://testserver") as secretariat:
        log_in(secretariat, SECRETARIAT, PASSWORD)
        page = secretariat.get("/responses?page=3").text
        # The secretariat sees inputs a member does not (chairs-only comments): its own rows.
        refs = re.findall(r'<tr id="input-([PC]-\d+)">', page)
        form = form_in(page, id=f"answer-form-{refs[0]}")
        answered = secretariat.post(
            "/responses/answer", data=form | {"answer": "Noted, thanks"}, follow_redirects=False
        )
        assert answered.status_code == 303
        assert answered.headers["location"].endswith(f"page=3#input-{refs[0]}")
        refused = secretariat.post("/responses/answer", data=form | {"answer": " "})
        assert refused.status_code == 422
        # The refused row is on the page shown, with its problem beside it.
        assert f'id="input-{refs[0]}"' in refused.text and "page 3 of" in refused.text


def test_the_decision_queue_shows_every_waiting_proposal_fifty_a_page(
    app: FastAPI, member: TestClient, database: Database
) -> None:
    """The queue listed at most 500 proposals and all of them on one page; now every one,
    fifty a page, in the order of the draft."""
    with database.transaction(write=False) as s:
        waiting = set(
            s.scalars(
                select(Proposal.id).where(
                    Proposal.state.in_(
                        [ProposalState.SUBMITTED, ProposalState.UNDER_CONSIDERATION]
                    ),
                    Proposal.submitted_at.is_not(None),
                )
            )
        )
    assert len(waiting) > 50
    with TestClient(app, base_url="http://testserver") as secretariat:
        log_in(secretariat, SECRETARIAT, PASSWORD)
        first = secretariat.get("/queue").text
        assert f"{len(waiting)} proposals to decide" in text_of(first)
        seen: list[int] = []
        pages = -(-len(waiting) // 50)
        for number in range(1, pages + 1):
            html = secretariat.get(f"/queue?page={number}").text
            found = [
                int(n) for n in re.findall(r'<th scope="row"><a href="/proposals/(\d+)">', html)
            ]
            assert len(found) == (50 if number < pages else len(waiting) - 50 * (pages - 1))
            seen += found
        assert len(seen) == len(set(seen)) and set(seen) == waiting
        assert secretariat.get("/queue?page=x").status_code == 422


def test_the_proposals_list_shows_every_proposal_newest_first_fifty_a_page(
    member: TestClient, database: Database
) -> None:
    """It read the oldest 500 and showed them newest first: the newer ones were missing."""
    with database.transaction(write=False) as s:
        newest = s.scalars(
            select(Proposal.id)
            .where(Proposal.submitted_at.is_not(None))
            .order_by(Proposal.id.desc())
            .limit(50)
        ).all()
    first = member.get("/proposals").text
    listed = [int(n) for n in re.findall(r'<a href="/proposals/(\d+)">P-\d+</a>', first)]
    # The member's own delegation's drafts are visible to them too; the submitted ones line up.
    assert [n for n in listed if n in set(newest)] == [n for n in newest if n in set(listed)]
    assert listed == sorted(listed, reverse=True) and len(listed) == 50
    assert "page 1 of" in text_of(first)
    amend = member.get("/proposals?kind=amend&page=2").text
    assert "page 2 of" in text_of(amend)
    assert member.get("/proposals?page=0").status_code == 422
