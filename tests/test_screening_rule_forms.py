"""The secretariat's screening-rule forms on the screening page (issue 21, "the secretariat can
draft another rule and compare"): save a draft from the JSON (the current rule filled in), a
refusal beside the field naming it with what was typed kept, an edit of a rule changed since it
was opened refused with 412 (text kept), freezing with the round after a confirmation, and the
stored rules listed with version and state, each one compared with a click. HTTP form posts."""

import html as html_module
import json
import re
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from app.db import Database
from app.demo.loader import DEMO_PASSWORD, load_demo
from tests.helpers import form_in, log_in, post


def demo(database: Database, now: datetime) -> None:
    with database.transaction() as session:
        load_demo(session, now=now)


pytestmark = pytest.mark.start_from.with_args(demo)

SECRETARIAT = "secretariat1@demo.zerodraft.org"
SECOND = "secretariat2@demo.zerodraft.org"
MEMBER = "member.ph@demo.zerodraft.org"
ROUND = "DWG-FC/Rev.1"
PAGE = f"/screening/{ROUND}"


def _textarea(html: str) -> str:
    found = re.search(r'<textarea id="rule-text" name="rule"[^>]*>(.*?)</textarea>', html, re.S)
    assert found, "no rule textarea"
    return html_module.unescape(found.group(1))


def _one_strong(text: str, name: str) -> str:
    rule = json.loads(text)
    for d in rule["dimensions"]:
        d["combinations"] = [{"strong": 1}, *d["combinations"]]
    rule["name"] = name
    return json.dumps(rule, indent=2)


def _rule_id(html: str, name: str) -> int:
    found = re.search(
        r'<tr data-rule="R-(\d+)"[^>]*>\s*<th scope="row">R-\d+ ' + re.escape(name), html
    )
    assert found, f"{name} not listed"
    return int(found.group(1))


def test_save_edit_and_freeze_a_draft_rule_through_the_page(client: TestClient) -> None:
    log_in(client, SECRETARIAT, DEMO_PASSWORD)
    page = client.get(PAGE)
    assert page.status_code == 200 and 'id="no-stored-rules"' in page.text
    fields = form_in(page.text, id="save-form")
    # The current rule (2009) is filled in.
    assert json.loads(_textarea(page.text))["name"] == "ILO/European Commission 2009"

    # A bad rule: 422, the problem beside the field names it, the typed text kept.
    bad = json.loads(_one_strong(fields["rule"], "Draft, one strong"))
    bad["dimensions"][0]["combinations"] = [{"strong": -1}]
    typed = json.dumps(bad, indent=2)
    refused = post(client, f"{PAGE}/rules", fields | {"rule": typed})
    assert refused.status_code == 422
    assert 'id="rule-text-error"' in refused.text
    error = refused.text[refused.text.index('id="rule-text-error"') :]
    assert "dimensions[0].combinations[0].strong" in error[: error.index("</p>")]
    assert _textarea(refused.text) == typed
    assert 'href="#rule-text"' in refused.text  # the summary links to the field
    not_json = post(client, f"{PAGE}/rules", fields | {"rule": "{not json"})
    assert not_json.status_code == 422 and _textarea(not_json.text) == "{not json"

    # Saved: the page compares with it at once and lists it with its version and state.
    good = _one_strong(fields["rule"], "Draft, one strong")
    saved = post(client, f"{PAGE}/rules", fields | {"rule": good})
    assert saved.status_code == 303, saved.text
    shown = client.get(saved.headers["location"])
    assert 'id="confirmation"' in shown.text and 'id="differ-count"' in shown.text
    rid = _rule_id(shown.text, "Draft, one strong")
    row = shown.text[shown.text.index(f'data-rule="R-{rid}"') :]
    row = row[: row.index("</tr>")]
    assert "<td>1</td>" in row and "draft" in row
    # The same name and version again: 409 beside the field, text kept.
    again = post(client, f"{PAGE}/rules", fields | {"rule": good})
    assert again.status_code == 409 and "version" in again.text and _textarea(again.text) == good

    # Edit: the form carries the rule's tag; a second secretary saves first, then 412, text kept.
    editing = client.get(f"{PAGE}?edit={rid}").text
    edit_fields = form_in(editing, id="save-form")
    assert edit_fields["tag"] and json.loads(edit_fields["rule"])["name"] == "Draft, one strong"
    other = TestClient(client.app, base_url="http://testserver")
    log_in(other, SECOND, DEMO_PASSWORD)
    theirs = form_in(other.get(f"{PAGE}?edit={rid}").text, id="save-form")
    changed = json.loads(theirs["rule"])
    changed["version"] = 2
    assert (
        post(other, f"{PAGE}/rules/{rid}", theirs | {"rule": json.dumps(changed)}).status_code
        == 303
    )
    mine = json.loads(edit_fields["rule"])
    mine["source"] = "my wording"
    mine_text = json.dumps(mine, indent=2)
    stale = post(client, f"{PAGE}/rules/{rid}", edit_fields | {"rule": mine_text})
    assert stale.status_code == 412
    assert "changed since you opened it" in stale.text and _textarea(stale.text) == mine_text
    # Read again (new tag), saved.
    fresh = form_in(client.get(f"{PAGE}?edit={rid}").text, id="save-form")
    assert post(client, f"{PAGE}/rules/{rid}", fresh | {"rule": mine_text}).status_code == 303

    # Freeze: a confirmation first, nothing changes until it is posted.
    confirm = client.get(f"{PAGE}/rules/{rid}/freeze")
    assert confirm.status_code == 200 and "can never change" in confirm.text
    assert 'id="freeze-form"' in confirm.text
    assert "draft" in client.get(PAGE).text.split(f'data-rule="R-{rid}"')[1].split("</tr>")[0]
    frozen = post(client, f"{PAGE}/rules/{rid}/freeze", form_in(confirm.text, id="freeze-form"))
    assert frozen.status_code == 303
    after = client.get(frozen.headers["location"]).text
    listed = after.split(f'data-rule="R-{rid}"')[1].split("</tr>")[0]
    assert f"frozen with {ROUND}" in listed and f'id="edit-rule-{rid}"' not in listed
    assert "and the Draft, one strong rule." in after  # the round is screened under it now
    # A frozen rule cannot change (409, text kept); the round has its rule (409 when confirmed).
    refused_edit = post(client, f"{PAGE}/rules/{rid}", fresh | {"rule": mine_text})
    assert refused_edit.status_code == 409 and _textarea(refused_edit.text) == mine_text
    assert (
        post(
            client, f"{PAGE}/rules/{rid}/freeze", form_in(confirm.text, id="freeze-form")
        ).status_code
        == 409
    )


def test_only_the_secretariat_saves_or_freezes_rules(client: TestClient) -> None:
    log_in(client, MEMBER, DEMO_PASSWORD)
    page = client.get(PAGE)
    assert page.status_code == 200 and 'id="save-form"' not in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/account").text)
    assert token
    answer = post(client, f"{PAGE}/rules", {"csrf_token": token.group(1), "rule": "{}"})
    assert answer.status_code == 403
    assert client.get(f"{PAGE}/rules/1/freeze").status_code == 403
