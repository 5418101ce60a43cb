"""The proposals workflow through its web pages, posting forms as a browser would: a member
proposes, others co-sponsor and take positions, the Secretariat and the chairs decide, and
outdated proposals are rebased. Each form sends back every field the page holds."""

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import World
from tests.helpers import log_in, post
from tests.test_register_pages import FormFields, form_fields

NEW = "/proposals/new"


def proposal_id(response: Any) -> int:
    assert response.status_code == 303, response.text
    match = re.match(r"^/proposals/(\d+)\?done=", response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


def open_new(client: TestClient, query: str) -> FormFields:
    page = client.get(f"{NEW}?{query}")
    assert page.status_code == 200, page.text
    return form_fields(page.text, NEW)


def propose(
    client: TestClient,
    text: str,
    *,
    code: str = "FC-CD-01",
    action: str = "submit",
    delegation: str | None = None,
    **changes: str | list[str],
) -> int:
    fields = open_new(client, f"kind=amend&item={code}")
    fields |= {"text": text, "action": action, **changes}
    if delegation:
        fields["delegation"] = delegation
    return proposal_id(post(client, NEW, fields))


def page_form(client: TestClient, pid: int, action: str) -> FormFields:
    page = client.get(f"/proposals/{pid}")
    assert page.status_code == 200, page.text
    return form_fields(page.text, f"/proposals/{pid}/{action}")


def act(client: TestClient, pid: int, action: str, **fields: str | list[str]) -> Any:
    return post(client, f"/proposals/{pid}/{action}", page_form(client, pid, action) | fields)


def decide(client: TestClient, pid: int, outcome: str, **fields: str | list[str]) -> Any:
    """Fill in the decision form, then confirm on the page that says what will happen. Agreeing
    ticks the acknowledgement when the form asks for it (delegations pending), as a decider
    who read it would."""
    form = page_form(client, pid, "decision")
    html = client.get(f"/proposals/{pid}").text
    if outcome.startswith("agreed") and 'name="acknowledged"' in html:
        fields = {"acknowledged": "yes", **fields}
    first = post(client, f"/proposals/{pid}/decision", form | {"outcome": outcome, **fields})
    if first.status_code != 200 or "Record this decision on" not in first.text:
        return first
    confirm = form_fields(first.text, f"/proposals/{pid}/decision")
    return post(client, f"/proposals/{pid}/decision", confirm | {"confirm": "yes"})


def between(html: str, start: str, end: str) -> str:
    return html.split(start, 1)[1].split(end, 1)[0]


# --- Proposing --------------------------------------------------------------------------------


def test_amendment_form_is_prefilled_with_the_item_and_its_base_revision(
    client: TestClient, world: World
) -> None:
    log_in(client, world.member)
    html = client.get(f"{NEW}?kind=amend&item=FC-CD-01").text
    fields = form_fields(html, NEW)
    assert fields["text"] == "Passport or personal phone taken by the operators"
    assert (fields["strength_adult"], fields["strength_child"]) == ("strong", "strong")
    assert fields["profiles"] == ["adult", "child"]
    assert fields["crime_types"] == ["online_fraud"]
    assert (fields["dimension"], fields["base_revision"], fields["kind"]) == ("CD", "1", "amend")
    # Maria speaks for two delegations: she chooses, and every input has its label.
    assert '<select id="delegation" name="delegation"' in html
    for name in ("text", "element", "strength_adult", "guidance", "rationale", "delegation"):
        assert f'for="{name}"' in html, name
    assert html.count("<h1") == 1
    for button in ("Save as private draft", "Submit proposal", "Preview changes"):
        assert f">{button}</button>" in html
    assert '<script src="/static/propose.js" defer></script>' in html
    assert 'id="live-preview" class="live-preview" aria-live="polite"' in html


def test_member_saves_a_private_draft_then_submits_it(client: TestClient, world: World) -> None:
    log_in(client, world.member)
    pid = propose(
        client,
        "Passport or personal phone confiscated by the operators",
        action="draft",
        delegation="PH-SOMTC",
        rationale="Confiscated is the term used in ACTIP.",
    )
    html = client.get(f"/proposals/{pid}?done=drafted").text
    assert f"Private draft P-{pid} saved" in html
    assert "Only members of PH-SOMTC can see it" in html
    assert '<span class="tag tag-p-draft">Draft</span>' in html
    assert re.search(r"<del>.*taken.*</del><ins>.*confiscated.*</ins>", html)
    assert "Confiscated is the term used in ACTIP." in html

    response = act(client, pid, "submit")
    assert response.status_code == 303
    assert response.headers["location"] == f"/proposals/{pid}?done=submitted"
    html = client.get(response.headers["location"]).text
    assert f"Proposal P-{pid} submitted" in html
    assert "visible to the whole working group" in html
    assert '<span class="tag tag-p-submitted">Submitted</span>' in html
    assert f"/proposals/{pid}/submit" not in html


def test_preview_shows_the_comparison_without_javascript(client: TestClient, world: World) -> None:
    log_in(client, world.member)
    fields = open_new(client, "kind=amend&item=FC-CD-01")
    fields |= {
        "text": "Passport or personal phone confiscated by the operators",
        "strength_child": "medium",
        "action": "preview",
    }
    response = post(client, NEW, fields)
    assert response.status_code == 200
    preview = between(response.text, 'id="live-preview"', "</aside>")
    assert re.search(r"<del>.*taken.*</del>", preview)
    assert re.search(r"<ins>.*confiscated.*</ins>", preview)
    assert "Strength (child)" in preview and "Medium" in preview
    assert "[inserted: </span>" in preview  # marked in words, not only by colour
    # Nothing was saved, and the form keeps what was typed.
    assert "confiscated by the operators</textarea>" in response.text
    assert client.get("/proposals").text.count('<th scope="row"><a href="/proposals/') == 0


def test_live_preview_answers_json_with_the_word_diff(client: TestClient, world: World) -> None:
    csrf = log_in(client, world.member)
    fields = open_new(client, "kind=amend&item=FC-CD-01")
    fields["text"] = "Passport or personal phone seized by the operators"
    fields.pop("csrf_token")
    refused = client.post("/proposals/preview", data=fields)
    assert refused.status_code == 403  # no security token
    response = client.post("/proposals/preview", data=fields, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200
    (change,) = response.json()["fields"]
    assert (change["field"], change["label"]) == ("text", "Text")
    assert {"op": "delete", "text": "taken"} in change["ops"]
    assert {"op": "insert", "text": "seized"} in change["ops"]

    # Editing a proposal previews against the revision the proposal was written on.
    pid = propose(client, "Passport seized by the operators")
    edit = form_fields(client.get(f"/proposals/{pid}/edit").text, f"/proposals/{pid}/edit")
    edit["text"] = "Passport withheld by the operators"
    response = client.post("/proposals/preview", data=edit, headers={"X-CSRF-Token": csrf})
    (change,) = response.json()["fields"]
    assert {"op": "insert", "text": "withheld"} in change["ops"]
    assert {"op": "delete", "text": "or personal phone taken"} in change["ops"]


def test_a_form_with_problems_comes_back_with_an_error_summary(
    client: TestClient, world: World
) -> None:
    log_in(client, world.member)
    fields = open_new(client, "kind=amend&item=FC-CD-01")
    fields |= {"text": "  ", "strength_adult": "enormous", "action": "submit"}
    response = post(client, NEW, fields)
    assert response.status_code == 422
    summary = between(response.text, 'id="error-summary"', "</div>")
    assert '<a href="#text">Enter the text of the indicator</a>' in summary
    assert '<a href="#strength_adult">' in summary
    assert 'id="text-error"' in response.text
    assert "<title>Error: " in response.text
    assert client.get("/proposals").text.count("/proposals/1") == 0


def test_an_amendment_that_changes_nothing_is_refused(client: TestClient, world: World) -> None:
    log_in(client, world.member)
    fields = open_new(client, "kind=amend&item=FC-CD-01") | {"action": "submit"}
    response = post(client, NEW, fields)
    assert response.status_code == 422
    assert "Change at least one field" in response.text


def test_new_indicator_deletion_and_merge_proposals(client: TestClient, world: World) -> None:
    log_in(client, world.member)
    add = open_new(client, "kind=add")
    add |= {
        "text": "Debt for travel and food imposed on arrival",
        "dimension": "CD",
        "strength_adult": "medium",
        "action": "submit",
    }
    added = proposal_id(post(client, NEW, add))
    assert "New indicator" in client.get(f"/proposals/{added}").text

    no_dimension = open_new(client, "kind=add") | {"text": "Something", "action": "submit"}
    response = post(client, NEW, no_dimension)
    assert response.status_code == 422
    assert '<a href="#dimension">Choose the dimension of the new indicator</a>' in response.text

    delete = open_new(client, "kind=delete&item=FC-DR-01") | {
        "rationale": "Covered by FC-CD-01",
        "action": "submit",
    }
    deleted = proposal_id(post(client, NEW, delete))
    html = client.get(f"/proposals/{deleted}").text
    assert "Proposed deletion" in html and "be withdrawn from the draft" in html

    merge = open_new(client, "kind=merge&item=FC-CD-01")
    assert merge["targets"] == "FC-CD-01"
    merge |= {"targets": ["FC-CD-01"], "text": "Merged", "action": "submit"}
    response = post(client, NEW, merge)
    assert response.status_code == 422
    assert "Choose two or more indicators to merge" in response.text
    merge |= {"targets": ["FC-CD-01", "FC-CD-02"], "text": "Passport taken, or confined"}
    merged = proposal_id(post(client, NEW, merge))
    html = client.get(f"/proposals/{merged}").text
    assert "proposes to merge FC-CD-01 and FC-CD-02" in html

    log_in(client, world.secretariat)
    for pid in (added, deleted, merged):
        assert decide(client, pid, "agreed").status_code == 303, pid
    register = client.get("/register").text
    assert "Debt for travel and food imposed on arrival" in register
    assert "Passport taken, or confined" in register


def test_a_section_is_amended_with_its_title_and_text(client: TestClient, world: World) -> None:
    log_in(client, world.member)
    fields = open_new(client, "kind=amend&item=SEC-PURPOSE")
    assert set(fields) >= {"title", "text"}
    assert "strength_adult" not in fields
    fields |= {"title": "Purpose and use", "action": "submit"}
    pid = proposal_id(post(client, NEW, fields))
    html = client.get(f"/proposals/{pid}").text
    assert re.search(r"<ins>.*and use.*</ins>", html)
    panel = client.get("/sections/SEC-PURPOSE").text
    assert f'href="/proposals/{pid}"' in panel


# --- Co-sponsors, positions, decisions ------------------------------------------------------


def test_other_members_co_sponsor_and_object_through_the_forms(
    client: TestClient, world: World
) -> None:
    log_in(client, world.member)
    pid = propose(client, "Passport confiscated by the operators", delegation="PH-SOMTC")

    csrf = log_in(client, world.member2)
    html = client.get(f"/proposals/{pid}").text
    assert f"/proposals/{pid}/edit" not in html  # not theirs
    response = act(client, pid, "sponsor")
    assert response.headers["location"] == f"/proposals/{pid}?done=sponsored"
    html = client.get(response.headers["location"]).text
    assert f"You co-sponsor P-{pid}" in html
    assert "ID-AICHR" in between(html, "<dt>Co-sponsors</dt>", "</dd>")
    assert f'action="/proposals/{pid}/sponsor"' not in html
    again = post(client, f"/proposals/{pid}/sponsor", {"csrf_token": csrf})
    assert again.status_code == 409
    assert "ID-AICHR already co-sponsors" in again.text

    log_in(client, world.member3)
    response = act(
        client, pid, "position", stance="objection", statement="Too narrow: phones matter"
    )
    assert response.headers["location"] == f"/proposals/{pid}?done=position"
    html = client.get(response.headers["location"]).text
    assert "Position recorded" in html
    row = between(html, '<th scope="row">TH-SOMTC', "</tr>")
    assert '<span class="tag tag-s-objection">Objection</span>' in row
    assert "Too narrow: phones matter" in row

    missing = act(client, pid, "position", statement="No stance chosen")
    assert missing.status_code == 422
    assert '<a href="#position-stance">Choose your delegation' in missing.text


def test_an_objection_stops_the_secretariat_but_a_chair_may_override(
    client: TestClient, world: World
) -> None:
    log_in(client, world.member)
    pid = propose(client, "Passport confiscated by the operators", delegation="PH-SOMTC")
    log_in(client, world.member3)
    act(client, pid, "position", stance="objection")

    log_in(client, world.secretariat)
    refused = decide(client, pid, "agreed", reason="Consensus reached")
    assert refused.status_code == 409
    assert "This cannot be done now" in refused.text
    assert "there is an objection from TH-SOMTC" in refused.text
    assert "Consensus reached</textarea>" in refused.text  # what was typed is kept
    assert "Passport or personal phone taken" in client.get("/indicators/FC-CD-01").text

    log_in(client, world.chair)
    html = client.get(f"/proposals/{pid}").text
    assert "Chair&#39;s override reason" in html
    assert decide(client, pid, "agreed").status_code == 409
    response = decide(client, pid, "agreed", override_reason="Ruled at the 2nd meeting")
    assert response.status_code == 303
    html = client.get(response.headers["location"]).text
    assert "Chair's override of standing objections:" in html
    assert "Ruled at the 2nd meeting" in html


def test_agreeing_applies_the_text_attributed_to_the_delegation(
    client: TestClient, world: World
) -> None:
    log_in(client, world.member)
    pid = propose(
        client,
        "Passport or personal phone confiscated by the operators",
        delegation="PH-SOMTC",
        rationale="ACTIP wording",
    )
    log_in(client, world.secretariat)
    response = decide(client, pid, "agreed", reason="Consensus at the 2nd meeting")
    assert response.headers["location"] == f"/proposals/{pid}?done=decided"
    html = client.get(response.headers["location"]).text
    assert f"P-{pid} agreed" in html and "in revision 2, attributed to PH-SOMTC" in html
    assert '<span class="tag tag-p-agreed">Agreed</span>' in html

    indicator = client.get("/indicators/FC-CD-01").text
    assert "Passport or personal phone confiscated by the operators" in between(
        indicator, 'id="indicator-text"', "</div>"
    )
    last = between(indicator, 'id="last-change-title"', "</section>")
    assert "Maria Santos for Philippines - SOMTC" in last
    assert f"proposal P-{pid}</a> of PH-SOMTC" in last
    assert f"P-{pid} agreed: ACTIP wording" in last


def test_agreed_with_modifications_shows_what_changed_from_the_proposal(
    client: TestClient, world: World
) -> None:
    log_in(client, world.member)
    pid = propose(client, "Passport taken by operators")
    log_in(client, world.secretariat)
    fields = page_form(client, pid, "decision")
    assert fields["modified_text"] == "Passport taken by operators"
    response = decide(
        client, pid, "agreed_modified", modified_text="Passport confiscated by operators"
    )
    assert response.status_code == 303
    html = client.get(f"/proposals/{pid}").text
    applied = between(html, "What was applied, compared with what was proposed", "</section>")
    assert re.search(r"<del>.*taken.*</del>", applied)
    assert re.search(r"<ins>.*confiscated.*</ins>", applied)
    assert "Passport confiscated by operators" in client.get("/indicators/FC-CD-01").text


def test_not_retained_needs_a_reason(client: TestClient, world: World) -> None:
    log_in(client, world.member)
    pid = propose(client, "Passport taken away")
    log_in(client, world.secretariat)
    response = decide(client, pid, "not_retained")
    assert response.status_code == 422
    assert '<a href="#decision-reason">Say why the proposal is not retained</a>' in response.text
    assert decide(client, pid, "").status_code == 422
    done = decide(client, pid, "not_retained", reason="Outside the scope")
    assert done.status_code == 303
    html = client.get(done.headers["location"]).text
    assert f"P-{pid} not retained" in html and "Outside the scope" in html


def test_merged_into_another_open_proposal(client: TestClient, world: World) -> None:
    log_in(client, world.member)
    first = propose(client, "Passport taken away")
    log_in(client, world.member2)
    second = propose(client, "Passport taken from the person")
    log_in(client, world.secretariat)
    response = decide(client, first, "merged", merged_into=str(second))
    assert response.status_code == 303
    html = client.get(response.headers["location"]).text
    assert f"merged into P-{second}" in html


def test_the_secretariat_answers(client: TestClient, world: World) -> None:
    log_in(client, world.member)
    pid = propose(client, "Passport taken away")
    log_in(client, world.secretariat)
    assert act(client, pid, "answer", answer="").status_code == 422
    response = act(client, pid, "answer", answer="Partly accepted: see Rev.1")
    assert response.status_code == 303
    html = client.get(response.headers["location"]).text
    assert "Answer saved" in html and "Partly accepted: see Rev.1" in html


def test_a_stale_decision_form_is_a_412_keeping_what_was_typed(
    client: TestClient, world: World
) -> None:
    log_in(client, world.member)
    pid = propose(client, "Passport taken away")
    log_in(client, world.secretariat)
    stale = page_form(client, pid, "decision")
    decide(client, pid, "under_consideration")
    stale |= {"outcome": "not_retained", "reason": "Overtaken by events"}
    response = post(client, f"/proposals/{pid}/decision", stale)
    assert response.status_code == 412
    assert "The proposal changed since you opened it" in response.text
    assert "Overtaken by events</textarea>" in response.text


# --- Who may do what ----------------------------------------------------------------------------


def test_another_delegation_cannot_edit_or_withdraw(client: TestClient, world: World) -> None:
    log_in(client, world.member)
    pid = propose(client, "Passport taken away", delegation="PH-SOMTC")
    edit = form_fields(client.get(f"/proposals/{pid}/edit").text, f"/proposals/{pid}/edit")
    withdraw = form_fields(
        client.get(f"/proposals/{pid}/withdraw").text, f"/proposals/{pid}/withdraw"
    )

    csrf = log_in(client, world.member2)
    assert client.get(f"/proposals/{pid}/edit").status_code == 403
    assert client.get(f"/proposals/{pid}/withdraw").status_code == 403
    edit |= {"csrf_token": csrf, "text": "Hijacked", "action": "save"}
    response = post(client, f"/proposals/{pid}/edit", edit)
    assert response.status_code == 403
    assert "belongs to another delegation" in response.text
    withdraw["csrf_token"] = csrf
    assert post(client, f"/proposals/{pid}/withdraw", withdraw).status_code == 403
    assert "Hijacked" not in client.get(f"/proposals/{pid}").text


def test_a_private_draft_of_another_delegation_is_not_found(
    client: TestClient, world: World
) -> None:
    log_in(client, world.member)
    pid = propose(client, "Draft wording", action="draft", delegation="PH-SOMTC")
    for email in (world.member2, world.secretariat, world.chair, world.observer):
        log_in(client, email)
        response = client.get(f"/proposals/{pid}")
        assert response.status_code == 404, email
        assert "Page not found" in response.text
        assert f'href="/proposals/{pid}"' not in client.get("/proposals").text
        assert f'href="/proposals/{pid}"' not in client.get("/indicators/FC-CD-01").text


def test_the_owner_revises_and_withdraws_with_confirmation(
    client: TestClient, world: World
) -> None:
    log_in(client, world.member)
    pid = propose(client, "Passport taken away")
    edit = form_fields(client.get(f"/proposals/{pid}/edit").text, f"/proposals/{pid}/edit")
    assert edit["text"] == "Passport taken away"
    assert edit["version"] == "2"
    edit |= {"text": "Passport kept by the operators", "action": "save"}
    response = post(client, f"/proposals/{pid}/edit", edit)
    assert response.headers["location"] == f"/proposals/{pid}?done=revised"
    assert "Passport kept by the operators" in client.get(f"/proposals/{pid}").text

    html = client.get(f"/proposals/{pid}/withdraw").text
    assert f"Withdraw proposal P-{pid}?" in html
    response = (
        act(client, pid, "withdraw")
        if False
        else post(
            client, f"/proposals/{pid}/withdraw", form_fields(html, f"/proposals/{pid}/withdraw")
        )
    )
    assert response.headers["location"] == f"/proposals/{pid}?done=withdrawn"
    html = client.get(response.headers["location"]).text
    assert f"P-{pid} withdrawn" in html
    assert '<span class="tag tag-p-withdrawn">Withdrawn</span>' in html
    assert f"/proposals/{pid}/edit" not in html


def test_a_stale_edit_is_a_412_that_keeps_the_persons_text(
    client: TestClient, world: World, app: Any
) -> None:
    log_in(client, world.member)
    pid = propose(client, "Passport taken away")
    mine = form_fields(client.get(f"/proposals/{pid}/edit").text, f"/proposals/{pid}/edit")
    theirs = dict(mine)
    theirs |= {"text": "Passport seized", "action": "save"}
    assert post(client, f"/proposals/{pid}/edit", theirs).status_code == 303
    mine |= {"text": "Passport withheld by the operators", "action": "save"}
    response = post(client, f"/proposals/{pid}/edit", mine)
    assert response.status_code == 412
    assert "Someone else saved this proposal while you were editing" in response.text
    assert "Passport withheld by the operators</textarea>" in response.text
    assert re.search(
        r"<ins>.*seized.*</ins>", between(response.text, 'id="theirs-title"', "</section>")
    )
    again = form_fields(response.text, f"/proposals/{pid}/edit") | {"action": "save"}
    assert again["version"] == "3"
    assert post(client, f"/proposals/{pid}/edit", again).status_code == 303


def test_rationale_and_statements_are_escaped(client: TestClient, world: World) -> None:
    log_in(client, world.member)
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    pid = propose(client, "Passport taken away", rationale=attack)
    log_in(client, world.member3)
    act(client, pid, "position", stance="reservation", statement=attack)
    for path in (f"/proposals/{pid}", "/indicators/FC-CD-01", "/proposals", "/consensus"):
        html = client.get(path).text
        assert "<script>alert" not in html, path
        assert "<img src=x" not in html, path
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in client.get(f"/proposals/{pid}").text


def test_navigation_shows_the_queue_to_the_secretariat_and_chairs_only(
    client: TestClient, world: World
) -> None:
    for email, queue in (
        (world.member, False),
        (world.observer, False),
        (world.secretariat, True),
        (world.chair, True),
    ):
        log_in(client, email)
        nav = between(client.get("/register").text, '<nav aria-label="Main">', "</nav>")
        assert '<a href="/proposals"' in nav and '<a href="/consensus"' in nav
        assert ('<a href="/queue"' in nav) is queue, email
        assert client.get("/queue").status_code == (200 if queue else 403)


# --- Queue, consensus, the indicator's panel -----------------------------------------------------


def test_queue_lists_submitted_proposals_by_item_with_counts(
    client: TestClient, world: World
) -> None:
    log_in(client, world.member)
    first = propose(client, "Passport taken by operators", delegation="PH-SOMTC")
    draft = propose(client, "Not yet", action="draft")
    other = propose(client, "Offered a lawful job abroad, then told to defraud", code="FC-DR-01")
    log_in(client, world.member2)
    act(client, first, "position", stance="support")
    act(client, first, "sponsor")
    log_in(client, world.member3)
    act(client, first, "position", stance="objection")

    log_in(client, world.secretariat)
    html = client.get("/queue").text
    assert "3 proposals to decide" not in html and "2 proposals to decide" in html
    assert f'href="/proposals/{draft}"' not in html
    # In the order of the draft: FC-DR-01 (deceptive recruitment) before FC-CD-01.
    assert html.index('id="group-FC-DR-01"') < html.index('id="group-FC-CD-01"')
    row = between(html, f'<a href="/proposals/{first}">', "</tr>")
    assert "PH-SOMTC" in row and "with ID-AICHR" in row
    counts = re.findall(r'<td class="num" data-label="([^"]+)">(.*?)</td>', row)
    assert counts == [
        ("Support", "2"),  # ID-AICHR, and PH-SOMTC, which proposed it
        ("Reservations", "0"),
        ("Objections", "<strong>1</strong>"),
        ("Ad ref", "0"),
    ]
    filtered = client.get("/queue", params={"delegation": "PH-SOMTC", "state": "submitted"})
    assert filtered.status_code == 200
    assert f'href="/proposals/{first}"' in filtered.text
    assert f'href="/proposals/{other}"' not in filtered.text  # PH-ACWC's
    assert client.get("/queue", params={"state": "agreed"}).status_code == 422


def test_consensus_page_shows_each_delegations_stance_and_pending(
    client: TestClient, world: World
) -> None:
    log_in(client, world.member3)
    item = form_fields(client.get("/indicators/FC-CD-01").text, "/items/FC-CD-01/position")
    response = post(
        client, "/items/FC-CD-01/position", item | {"stance": "objection", "statement": "No"}
    )
    assert response.headers["location"] == "/indicators/FC-CD-01?done=position#positions"
    assert "Position recorded on FC-CD-01" in client.get(response.headers["location"]).text
    csrf = log_in(client, world.member2)
    post(
        client,
        "/items/FC-CD-01/position",
        item | {"stance": "ad_referendum", "csrf_token": csrf, "delegation": "ID-AICHR"},
    )

    log_in(client, world.observer)
    html = client.get("/consensus").text
    assert html.count("<h1") == 1
    row = between(html, 'href="/indicators/FC-CD-01#consensus"', "</tr>")
    assert "TH-SOMTC: objection" in row
    assert "ID-AICHR: ad referendum" in row
    assert "PH-SOMTC: pending" in row
    assert "0 support" in row and "1 objection" in row and "2 pending" in row
    assert '<th scope="col" class="col-delegation">' in html
    assert "Open" in row


def test_marking_agreed_needs_no_objection_or_a_chairs_override(
    client: TestClient, world: World
) -> None:
    log_in(client, world.member3)
    item = form_fields(client.get("/indicators/FC-CD-01").text, "/items/FC-CD-01/position")
    post(client, "/items/FC-CD-01/position", item | {"stance": "objection"})

    log_in(client, world.secretariat)
    mark = form_fields(client.get("/indicators/FC-CD-01").text, "/items/FC-CD-01/drafting-state")
    assert "override_reason" not in mark
    refused = post(client, "/items/FC-CD-01/drafting-state", mark | {"state": "agreed"})
    assert refused.status_code == 409
    assert "FC-CD-01 cannot be marked agreed: there is an objection from TH-SOMTC" in refused.text
    ok = post(client, "/items/FC-CD-01/drafting-state", mark | {"state": "bracketed"})
    assert ok.headers["location"] == "/indicators/FC-CD-01?done=marked#drafting"
    html = client.get(ok.headers["location"]).text
    assert "FC-CD-01 marked bracketed" in html
    assert '<span class="tag tag-d-bracketed">' in html

    log_in(client, world.chair)
    mark = form_fields(client.get("/indicators/FC-CD-01").text, "/items/FC-CD-01/drafting-state")
    assert "override_reason" in mark
    ok = post(
        client,
        "/items/FC-CD-01/drafting-state",
        mark | {"state": "agreed", "override_reason": "Chair's ruling"},
    )
    assert ok.status_code == 303
    assert '<span class="tag tag-d-agreed">' in client.get("/consensus").text


def test_alternatives_are_side_by_side_on_the_indicator_page(
    client: TestClient, world: World
) -> None:
    log_in(client, world.member)
    first = propose(client, "Passport taken by operators", delegation="PH-SOMTC")
    log_in(client, world.member2)
    second = propose(client, "Identity documents taken by operators")
    act(client, first, "position", stance="support")
    log_in(client, world.member)
    html = client.get("/indicators/FC-CD-01").text
    panel = between(html, 'id="proposals"', 'id="consensus"')
    assert "Alternatives on the table" in panel
    alt1 = between(panel, '<span class="alt-label">Alt 1</span>', "</article>")
    alt2 = between(panel, '<span class="alt-label">Alt 2</span>', "</article>")
    # ID-AICHR's position, and PH-SOMTC's own as its proposer.
    assert f"P-{first}" in alt1 and "by PH-SOMTC" in alt1 and "2 support" in alt1
    assert f"P-{second}" in alt2 and "by ID-AICHR" in alt2
    assert re.search(r"<ins>.*Identity documents.*</ins>", alt2)
    # The person's next step is right under the text, before the panel (issue 16).
    step = between(html, 'id="next-step"', 'id="proposals"')
    assert html.index('id="indicator-text"') < html.index('id="next-step"')
    assert "Propose an amendment" in step and "kind=delete&amp;item=FC-CD-01" in step
    assert "Propose an amendment" not in panel
    log_in(client, world.observer)
    assert "Propose an amendment" not in client.get("/indicators/FC-CD-01").text


# --- Outdated proposals and rebases -------------------------------------------------------------


def test_an_outdated_proposal_shows_both_changes_and_rebases(
    client: TestClient, world: World
) -> None:
    log_in(client, world.member)
    first = propose(client, "Passport or personal phone confiscated by the operators")
    log_in(client, world.member2)
    second = propose(client, "Passport or personal phone taken by the operators or recruiters")
    log_in(client, world.secretariat)
    decide(client, first, "agreed")

    html = client.get(f"/proposals/{second}").text
    assert "This proposal is outdated" in html
    assert '<span class="tag tag-outdated">Outdated</span>' in html
    assert "must be rebased before it can be agreed" in html
    assert decide(client, second, "agreed").status_code == 409

    log_in(client, world.member2)
    html = client.get(f"/proposals/{second}").text
    sides = between(html, 'class="side-by-side"', "</section>")
    meanwhile, proposed = sides.split('<div class="side">')[1:3]
    assert re.search(r"<ins>.*confiscated.*</ins>", meanwhile)
    assert re.search(r"<ins>.*or recruiters.*</ins>", proposed)
    assert "The change carries over by itself." in html

    response = act(client, second, "rebase")
    assert response.headers["location"] == f"/proposals/{second}?done=rebased"
    html = client.get(response.headers["location"]).text
    assert "rebased onto the current text" in html
    assert "This proposal is outdated" not in html
    log_in(client, world.secretariat)
    assert decide(client, second, "agreed").status_code == 303
    assert "confiscated by the operators or recruiters" in client.get("/indicators/FC-CD-01").text


def test_a_conflicting_rebase_asks_for_a_resolution(client: TestClient, world: World) -> None:
    log_in(client, world.member)
    first = propose(client, "Passport seized by the operators")
    log_in(client, world.member2)
    second = propose(client, "Passport withheld by the operators")
    log_in(client, world.secretariat)
    decide(client, first, "agreed")

    log_in(client, world.member2)
    assert "Rebasing needs a decision on Text" in client.get(f"/proposals/{second}").text
    response = act(client, second, "rebase")
    assert response.status_code == 409
    html = response.text
    assert "The same words changed on both sides" in html
    for version in ("Base: revision 1", "Current: revision 2", f"Proposed by P-{second}"):
        assert version in html
    resolution = form_fields(html, f"/proposals/{second}/rebase")
    assert resolution["resolution_text"] == "Passport withheld by the operators"
    assert resolution["resolving"] == "1"

    empty = post(client, f"/proposals/{second}/rebase", resolution | {"resolution_text": ""})
    assert empty.status_code == 422
    assert '<a href="#resolution-text">' in empty.text

    resolution["resolution_text"] = "Passport seized or withheld by the operators"
    done = post(client, f"/proposals/{second}/rebase", resolution)
    assert done.headers["location"] == f"/proposals/{second}?done=rebased"
    html = client.get(done.headers["location"]).text
    assert re.search(r"<ins>.*or withheld.*</ins>", html)


def test_the_secretariat_may_rebase_too(client: TestClient, world: World) -> None:
    log_in(client, world.member)
    first = propose(client, "Passport or personal phone confiscated by the operators")
    log_in(client, world.member2)
    second = propose(client, "Passport or personal phone taken by the operators or recruiters")
    log_in(client, world.secretariat)
    decide(client, first, "agreed")
    html = client.get(f"/proposals/{second}").text
    assert f'action="/proposals/{second}/rebase"' in html
    response = act(client, second, "rebase")
    assert response.status_code == 303
    assert decide(client, second, "agreed").status_code == 303
