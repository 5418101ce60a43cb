"""Near-duplicate indicators (issue 18): GET /api/v1/indicators/similar, the new-indicator forms
showing the indicators that say nearly the same, and the secretariat's possible duplicates."""

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from app.accounts.service import principal_for_token
from app.db import Database
from app.search import similar as near
from tests.factories import World, bearer, token_for
from tests.helpers import Clock, browser_log_in, form_in, log_in, post

URL = "/api/v1/indicators/similar"
NEAR = "The passport or the personal phone was taken away by the operators"


def similar(client: TestClient, headers: dict[str, str], **params: Any) -> Any:
    return client.get(URL, params=params, headers=headers)


def codes(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [r["code"] for r in response.json()["results"]]


def test_answers_the_closest_indicators_first_with_how_close(
    client: TestClient, member: dict[str, str]
) -> None:
    response = similar(client, member, text=NEAR)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert results[0]["code"] == "FC-CD-01"
    first = results[0]
    assert set(first) == {"code", "kind", "text", "score", "percent", "closeness", "url"}
    assert first["kind"] == "indicator"
    assert first["text"] == "Passport or personal phone taken by the operators"
    assert first["url"] == "/indicators/FC-CD-01"
    assert 0.3 <= first["score"] <= 1 and first["percent"] == round(first["score"] * 100)
    assert first["closeness"] in ("close", "very close")
    # Something that says another thing is not offered.
    assert "FC-DR-01" not in codes(similar(client, member, text=NEAR))
    # The indicator itself left out, and the number asked for.
    assert "FC-CD-01" not in codes(similar(client, member, text=NEAR, exclude="fc-cd-01"))
    assert len(codes(similar(client, member, text="passport phone compound", limit=1))) <= 1
    # Another script, and Vietnamese without its marks, compare as they are.
    assert codes(similar(client, member, text="หนังสือเดินทางถูกยึด")) == []


def test_bad_input_is_refused_naming_the_field(client: TestClient, member: dict[str, str]) -> None:
    cases = [
        ({}, "text"),
        ({"text": ""}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "x" * 2001}, "text"),
        ({"text": NEAR, "limit": 0}, "limit"),
        ({"text": NEAR, "limit": 51}, "limit"),
        ({"text": NEAR, "limit": "many"}, "limit"),
        ({"text": NEAR, "exclude": "X" * 40}, "exclude"),
    ]
    for params, field in cases:
        response = similar(client, member, **params)
        assert response.status_code == 422, (params, response.text)
        assert response.json()["field"] == field, (params, response.json())
    assert client.get(URL, params={"text": NEAR}).status_code == 401


def test_a_private_draft_is_its_delegations_alone(
    client: TestClient,
    database: Database,
    clock: Clock,
    world: World,
    member: dict[str, str],
    sec: dict[str, str],
) -> None:
    indonesia = bearer(token_for(database, world.member2, clock.now))
    created = client.post(
        "/api/v1/proposals",
        json={
            "kind": "add",
            "dimension": "CD",
            "content": {"text": "Mobile phone and passport taken away by the operators"},
        },
        headers=indonesia,
    )
    assert created.status_code == 201, created.text
    number = created.json()["id"]
    own = similar(client, indonesia, text=NEAR)
    found = next(r for r in own.json()["results"] if r["code"] == f"P-{number}")
    assert found["kind"] == "proposal" and found["url"] == f"/proposals/{number}"
    # Nobody else sees it, not the other delegations, not the secretariat.
    assert f"P-{number}" not in codes(similar(client, member, text=NEAR))
    assert codes(similar(client, sec, text=NEAR)) == ["FC-CD-01"]


def test_a_new_indicator_is_compared_at_once(client: TestClient, sec: dict[str, str]) -> None:
    text = "Workers were forced to pay a ransom to the compound bosses before release"
    assert codes(similar(client, sec, text=text)) == []
    created = client.post(
        "/api/v1/indicators", json={"dimension": "CD", "text": text, "reason": "test"}, headers=sec
    )
    assert created.status_code == 201, created.text
    assert codes(
        similar(client, sec, text="A ransom was demanded by the compound bosses before release")
    )[:1] == [created.json()["code"]]


def test_the_member_form_shows_the_near_duplicates(app: FastAPI, world: World) -> None:
    with TestClient(app) as browser:
        log_in(browser, world.member)
        page = browser.get("/proposals/new?kind=add&item_kind=indicator&dimension=CD")
        assert page.status_code == 200, page.text
        assert 'id="similar-panel"' in page.text and "/static/similar.js" in page.text
        assert "An indicator that is not in the draft yet" in page.text
        assert "FC-CD-01" not in page.text.split('id="similar-panel"')[1].split("</aside>")[0]
        fields = form_in(page.text, action="/proposals/new") | {"text": NEAR, "action": "preview"}
        shown = post(browser, "/proposals/new", fields)
        panel = shown.text.split('id="similar-panel"')[1].split("</aside>")[0]
        assert 'href="/indicators/FC-CD-01"' in panel
        assert "%)" in panel and "Passport or personal phone taken by the operators" in panel


def test_the_secretariat_form_shows_the_near_duplicates(app: FastAPI, world: World) -> None:
    with TestClient(app) as browser:
        log_in(browser, world.secretariat)
        page = browser.get("/indicators/new")
        assert page.status_code == 200, page.text
        assert 'id="similar-panel"' in page.text
        # Refused for want of a dimension: the form comes back with its near-duplicates.
        fields = form_in(page.text, action="/indicators/new") | {"text": NEAR, "dimension": ""}
        shown = post(browser, "/indicators/new", fields)
        assert shown.status_code == 422
        panel = shown.text.split('id="similar-panel"')[1].split("</aside>")[0]
        assert 'href="/indicators/FC-CD-01"' in panel


def test_the_secretariat_sees_pairs_of_possible_duplicates(
    app: FastAPI, client: TestClient, world: World, sec: dict[str, str]
) -> None:
    created = client.post(
        "/api/v1/indicators", json={"dimension": "CD", "text": NEAR, "reason": "test"}, headers=sec
    )
    assert created.status_code == 201, created.text
    with TestClient(app) as browser:
        log_in(browser, world.secretariat)
        assert 'href="/register/duplicates"' in browser.get("/register").text
        page = browser.get("/register/duplicates")
        assert page.status_code == 200, page.text
        row = page.text.split("<tbody>")[1].split("</tr>")[0]
        assert "FC-CD-01" in row and created.json()["code"] in row and "%)" in row
    with TestClient(app) as other:
        log_in(other, world.member)
        assert other.get("/register/duplicates").status_code == 403


def test_another_delegations_drafts_change_no_score(
    client: TestClient,
    database: Database,
    clock: Clock,
    world: World,
    member: dict[str, str],
    sec: dict[str, str],
) -> None:
    """Private drafts counted in the statistics, or pushing visible indicators out of those
    scored exactly, changed another delegation's scores: anyone could detect and probe them."""
    text = "The person's passport, identity documents and phone were confiscated by the recruiters"
    people = (world.member, world.secretariat)

    def exact() -> list[list[tuple[str, float]]]:
        seen = []
        for person in people:
            token = token_for(database, person, clock.now)
            with database.transaction(write=False) as s:
                principal = principal_for_token(s, token, now=clock.now)
                assert principal is not None
                found = near.similar(s, principal, text, limit=50)
            seen.append([(m.candidate.code, m.score) for m in found])
        return seen

    before = [similar(client, h, text=text, limit=50).json() for h in (member, sec)]
    assert before[0]["results"], before
    scores = exact()
    other = bearer(token_for(database, world.member2, clock.now))
    drafted = []
    for words in (
        "Passport and identity documents confiscated by the recruiters",
        "The person's phone and passport were confiscated",
        "Identity documents of the person confiscated by recruiters on arrival",
    ):
        created = client.post(
            "/api/v1/proposals",
            json={"kind": "add", "dimension": "CD", "content": {"text": words}},
            headers=other,
        )
        assert created.status_code == 201, created.text
        drafted.append(f"P-{created.json()['id']}")
    # Exactly the same floats and the same list, for a member and for the secretariat.
    assert [similar(client, h, text=text, limit=50).json() for h in (member, sec)] == before
    assert exact() == scores
    # The drafting delegation compares with its own drafts.
    assert set(drafted) & set(codes(similar(client, other, text=text, limit=50)))


@pytest.mark.browser
def test_the_list_goes_when_the_text_is_too_short_or_too_long(
    page: Any, live_server: str, world: World
) -> None:
    """The list for an earlier text stayed on screen after the text was cut below 12 characters
    (or grew over 2,000), as if it were about the text in the box."""
    browser_log_in(page, live_server, world.member)
    page.goto(f"{live_server}/proposals/new?kind=add&item_kind=indicator&dimension=CD")
    results = page.locator("#similar-results")
    box = page.get_by_label("Text of the indicator")
    box.fill(NEAR)
    box.dispatch_event("input")
    expect(results.locator("li").first).to_contain_text("FC-CD-01")
    box.fill("Passport")
    box.dispatch_event("input")
    expect(results.locator("li")).to_have_count(0)
    expect(results).to_have_text("")
    box.fill(NEAR)
    box.dispatch_event("input")
    expect(results.locator("li").first).to_contain_text("FC-CD-01")
    box.fill(NEAR + " x" * 1000)
    box.dispatch_event("input")
    expect(results.locator("li")).to_have_count(0)
    expect(results).to_contain_text("Too long to compare")


def test_a_proposal_among_the_near_duplicates_offers_no_amendment_of_itself(
    app: FastAPI, client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    """A proposal for a new indicator has no item to amend: the panel links to the proposal,
    never to /proposals/new?item=P-12 (which would answer "no item with code P-12")."""
    created = client.post(
        "/api/v1/proposals",
        json={
            "kind": "add",
            "dimension": "CD",
            "content": {"text": "Mobile phone and passport taken away by the operators"},
            "submit": True,
        },
        headers=bearer(token_for(database, world.member2, clock.now)),
    )
    assert created.status_code == 201, created.text
    number = created.json()["id"]
    with TestClient(app) as browser:
        log_in(browser, world.member)
        page = browser.get("/proposals/new?kind=add&item_kind=indicator&dimension=CD")
        fields = form_in(page.text, action="/proposals/new") | {"text": NEAR, "action": "preview"}
        panel = post(browser, "/proposals/new", fields).text.split('id="similar-panel"')[1]
        panel = panel.split("</aside>")[0]
    assert f'href="/proposals/{number}"' in panel
    assert "item=P-" not in panel
    assert "Propose an amendment to FC-CD-01" in panel
