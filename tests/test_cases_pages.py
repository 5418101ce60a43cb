"""Case study pages without JavaScript: opening one (an exact age refused beside its field, what
was typed kept), adding and coding a fact (evidence not in the fact refused beside its field),
the findings to resolve and the refusal to share while one is open, the top bar's link, and a
restricted case study answering 404 to someone else."""

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.cases import personal
from tests.factories import World
from tests.helpers import form_in, log_in, logged_in, post, summary, text_of

NEW = {
    "title": "Translator job, scam compound",
    "summary": "Recruited online for translation work; taken to a compound and made to defraud.",
    "profile": "adult",
    "crime_form": "online_scam",
    "age_band": "25-34",
    "nationality": "Philippines",
    "place": "Cambodia",
    "period": "2022-2023",
    "outcome": "trafficked_forced_criminality",
    "outcome_reasoning": "Deception, confinement and compelled fraud.",
    "contributors": World.member,
}


@pytest.fixture
def detector() -> Iterator[None]:
    pattern = re.compile(r"\+?\d[\d -]{7,}\d")
    personal.use(
        lambda text: [personal.Found("phone_number", *m.span()) for m in pattern.finditer(text)]
    )
    yield
    personal.use(None)


def _open(client: TestClient, **extra: str) -> str:
    fields = form_in(client.get("/cases/new").text, id="case-new") | NEW | extra
    response = post(client, "/cases/new", fields)
    assert response.status_code == 303, response.text
    return str(response.headers["location"]).split("?")[0]


def test_the_secretariat_opens_codes_and_shares_a_case_study(
    app: FastAPI, client: TestClient, world: World, detector: None
) -> None:
    log_in(client, world.secretariat)
    page = client.get("/cases/new").text
    refused = post(client, "/cases/new", form_in(page, id="case-new") | NEW | {"age_band": "27"})
    assert refused.status_code == 422
    assert summary(refused.text)[0][0] == "age_band"
    assert "exact age" in summary(refused.text)[0][1]
    assert 'value="Translator job, scam compound"' in refused.text  # kept

    url = _open(client)
    page = client.get(url).text
    assert "Restricted" in page
    assert '<a href="/cases" aria-current="true">Cases</a>' in page

    fact = form_in(page, id="fact") | {
        "text": "A recruiter on a jobs group offered translation work; call +63 917 555 0101.",
        "phase": "recruitment",
        "source": "victim_interview",
    }
    assert post(client, f"{url}/facts", fact).status_code == 303
    page = client.get(url).text
    assert "+63 917 555 0101" in text_of(page.split('id="open-findings"')[1])
    fact_id = re.search(r'id="fact-(\d+)"', page)
    assert fact_id is not None
    fid = fact_id.group(1)

    coding = form_in(page, id=f"code-{fid}") | {
        "indicator": "FC-DR-01",
        "status": "present",
        "evidence": "promised a salary",
    }
    refused = post(client, f"{url}/facts/{fid}/codings", coding)
    assert refused.status_code == 422
    assert summary(refused.text)[0][0] == f"code-{fid}-evidence"
    assert 'value="promised a salary"' in refused.text
    coding["evidence"] = "offered translation work"
    assert post(client, f"{url}/facts/{fid}/codings", coding).status_code == 303
    page = client.get(url).text
    assert "“offered translation work”" in page

    # Not shared while the phone number is open; generalised, it is.
    refused = post(client, f"{url}/visibility", form_in(page, id="case-share"))
    assert refused.status_code == 409
    assert "personal-data finding" in summary(refused.text)[0][1]
    edit = form_in(page, id=f"edit-{fid}") | {
        "text": "A recruiter on a jobs group offered translation work."
    }
    assert post(client, f"{url}/facts/{fid}", edit).status_code == 303
    page = client.get(url).text
    assert 'id="no-open-findings"' in page
    assert post(client, f"{url}/visibility", form_in(page, id="case-share")).status_code == 303
    assert "Shared with the group" in client.get(url).text

    # The evidence is no longer found in the edited fact? It still is: the words were kept.
    assert "no longer in the fact" not in client.get(url).text


def test_a_restricted_case_study_is_not_found_by_others(
    app: FastAPI, client: TestClient, world: World
) -> None:
    log_in(client, world.secretariat)
    url = _open(client)
    other = logged_in(app, world.member3)
    assert other.get(url).status_code == 404
    assert other.get("/cases/999999").status_code == 404
    assert 'href="/cases"' not in other.get("/account").text  # sees none: no link
    contributor = logged_in(app, world.member)
    page = contributor.get(url)
    assert page.status_code == 200
    assert 'href="/cases"' in page.text
    assert 'id="case-share"' not in page.text  # sharing is the secretariat's
    admin = logged_in(app, world.admin)
    assert admin.get("/cases").status_code == 403


def test_the_narrative_is_edited_on_the_page_and_bands_are_checked(
    app: FastAPI, client: TestClient, world: World, detector: None
) -> None:
    log_in(client, world.secretariat)
    url = _open(client)
    contributor = logged_in(app, world.member)
    page = contributor.get(url).text
    assert 'id="case-contributors"' not in page  # naming contributors is the secretariat's
    fields = form_in(page, id="case-edit")
    refused = post(contributor, f"{url}/edit", fields | {"period": "3 March 2023"})
    assert refused.status_code == 422
    assert summary(refused.text)[0][0] == "case-period"
    assert 'value="3 March 2023"' in refused.text
    narrative = fields["summary"] + " Her brother's number was +63 917 555 0101."
    assert post(contributor, f"{url}/edit", fields | {"summary": narrative}).status_code == 303
    page = contributor.get(url).text
    assert "In summary" in text_of(page.split('id="open-findings"')[1])
    fields = form_in(page, id="case-edit")
    generalised = fields | {"summary": NEW["summary"] + " She called her brother."}
    assert post(contributor, f"{url}/edit", generalised).status_code == 303
    page = contributor.get(url).text
    assert 'id="no-open-findings"' in page and "She called her brother." in page

    # The secretariat names contributors and asks for two coders on the same form.
    page = client.get(url).text
    fields = form_in(page, id="case-edit")
    assert fields["contributors"] == world.member
    both = fields | {"contributors": f"{world.member}, {world.member3}", "double_coding": "yes"}
    assert post(client, f"{url}/edit", both).status_code == 303
    assert logged_in(app, world.member3).get(url).status_code == 200
    assert "Two coders per fact" in client.get(url).text


def test_facts_are_moved_up_and_down_on_the_page(
    app: FastAPI, client: TestClient, world: World
) -> None:
    log_in(client, world.secretariat)
    url = _open(client)
    for words in ("First.", "Second.", "Third."):
        page = client.get(url).text
        fact = form_in(page, id="fact") | {"text": words, "phase": "exit", "source": "other"}
        assert post(client, f"{url}/facts", fact).status_code == 303
    page = client.get(url).text
    ids = re.findall(r'<li id="fact-(\d+)"', page)
    moved = post(
        client,
        f"{url}/facts/{ids[2]}/move",
        form_in(page, id=f"move-{ids[2]}") | {"direction": "up"},
    )
    assert moved.status_code == 303
    page = client.get(url).text
    assert re.findall(r'<p class="fact-text">([^<]+)</p>', page) == ["First.", "Third.", "Second."]
    # A page read before that move is out of date: its version is refused, nothing moves.
    stale = post(
        client,
        f"{url}/facts/{ids[0]}/move",
        {"csrf_token": form_in(page, id="fact")["csrf_token"], "version": "1", "direction": "down"},
    )
    assert stale.status_code == 412
    assert "changed this meanwhile" in text_of(stale.text)
