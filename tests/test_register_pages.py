"""The register's web pages through HTTP, posting forms as a browser would: every field the page's
form holds is sent back, with the person's changes on top."""

import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from tests.factories import World
from tests.helpers import log_in

FormFields = dict[str, str | list[str]]


class _FormReader(HTMLParser):
    """What a browser would submit from the first form whose action matches."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action
        self.inside = False
        self.done = False
        self.fields: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._select: str | None = None
        self._select_value: str | None = None
        self._first_option: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and not self.done and a.get("action") == self.action:
            self.inside = True
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((name, a.get("value", "on")))
            else:
                self.fields.append((name, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []
        elif tag == "select" and name:
            self._select, self._select_value, self._first_option = name, None, None
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._first_option is None:
                self._first_option = value
            if "selected" in a:
                self._select_value = value

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if not self.inside:
            return
        if tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, "".join(self._text)))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            value = self._select_value if self._select_value is not None else self._first_option
            self.fields.append((self._select, value or ""))
            self._select = None
        elif tag == "form":
            self.inside, self.done = False, True


def form_fields(html: str, action: str) -> FormFields:
    reader = _FormReader(action)
    reader.feed(html)
    assert reader.done, f"no form posting to {action}"
    out: dict[str, list[str]] = {}
    for name, value in reader.fields:
        out.setdefault(name, []).append(value)
    return {k: v[0] if len(v) == 1 and k not in CHECKBOXES else v for k, v in out.items()}


CHECKBOXES = ("profiles", "crime_types", "intended_users")


def open_form(client: TestClient, path: str) -> FormFields:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return form_fields(page.text, path)


def submit(client: TestClient, path: str, fields: FormFields):  # type: ignore[no-untyped-def]
    return client.post(path, data=fields, follow_redirects=False)


def edit(client: TestClient, code: str, **changes: str | list[str]) -> FormFields:
    """Open the edit form of an indicator and apply changes, as a person typing would."""
    fields = open_form(client, f"/indicators/{code}/edit")
    fields.update(changes)
    return fields


def register_rows(html: str) -> list[tuple[str, str]]:
    """(display number, code) of each row of the register, in page order."""
    rows = re.findall(
        r'<td class="col-number">(.*?)</td>\s*<th scope="row" class="col-code">'
        r'<a href="/indicators/([A-Z0-9-]+)">',
        html,
        re.S,
    )
    return [(_visible_text(n), code) for n, code in rows]


def _visible_text(html: str) -> str:
    html = re.sub(r'<span class="visually-hidden">.*?</span>', "", html)
    return re.sub(r"<.*?>", "", html).strip()


@pytest.fixture
def secretariat(client: TestClient, world: World) -> TestClient:
    log_in(client, world.secretariat)
    return client


# --- The register ---------------------------------------------------------------------------


def test_register_groups_indicators_by_dimension_in_draft_order(
    client: TestClient, world: World
) -> None:
    log_in(client, world.member)
    page = client.get("/register")
    assert page.status_code == 200
    html = page.text
    assert html.index("Deceptive recruitment") < html.index("Control at destination")
    assert register_rows(html) == [("1", "FC-DR-01"), ("2", "FC-CD-01"), ("3", "FC-CD-02")]
    assert "Passport or personal phone taken by the operators" in html
    assert '<span class="tag tag-strong">' in html
    assert html.count("<h1") == 1
    assert '<a href="/sections/SEC-PURPOSE">Purpose</a>' in html


def test_register_filters_by_dimension_status_and_words(client: TestClient, world: World) -> None:
    log_in(client, world.member)
    by_dimension = client.get("/register", params={"dimension": "CD", "status": "", "q": ""})
    assert [c for _, c in register_rows(by_dimension.text)] == ["FC-CD-01", "FC-CD-02"]
    assert "Deceptive recruitment" not in by_dimension.text.split("result-count")[1]

    by_words = client.get("/register", params={"q": "GUARDED compound"})
    # Numbers stay those of the whole draft, whatever the filter.
    assert register_rows(by_words.text) == [("3", "FC-CD-02")]
    assert "1 indicator matches your filters" in by_words.text

    withdrawn = client.get("/register", params={"status": "withdrawn"})
    assert register_rows(withdrawn.text) == []
    assert "No indicators match" in withdrawn.text


def test_register_refuses_an_unknown_filter_value(client: TestClient, world: World) -> None:
    log_in(client, world.member)
    response = client.get("/register", params={"dimension": "XX"})
    assert response.status_code == 422
    assert "dimension" in response.text


def test_only_the_secretariat_sees_the_add_buttons(client: TestClient, world: World) -> None:
    log_in(client, world.chair)
    assert "Add indicator" not in client.get("/register").text
    log_in(client, world.secretariat)
    html = client.get("/register").text
    assert '<a class="button" href="/indicators/new">Add indicator</a>' in html
    assert "Add section" in html


# --- Reading an indicator ---------------------------------------------------------------------


def test_indicator_page_shows_its_fields_and_history(client: TestClient, world: World) -> None:
    log_in(client, world.member)
    page = client.get("/indicators/fc-cd-01")
    assert page.status_code == 200
    html = page.text
    assert "Passport or personal phone taken by the operators" in html
    assert "No. 2 in the draft" in html
    assert "Control at destination" in html
    assert re.search(r"<th scope=\"row\">Adult</th><td><span class=\"tag tag-strong\">", html)
    assert "Adults, Children" in html
    assert "Online fraud" in html
    assert "Zero Draft text" in html  # reason of revision 1, in the history
    assert "Revision 1, saved by" in html
    assert "09 Mar 2026" not in html and "02 Mar 2026 16:00 WIB" in html  # 09:00 UTC in Jakarta


def test_members_observers_and_chairs_see_no_edit_button(client: TestClient, world: World) -> None:
    for email in (world.member, world.observer, world.chair):
        log_in(client, email)
        html = client.get("/indicators/FC-CD-01").text
        assert "Edit indicator" not in html, email
        assert "/indicators/FC-CD-01/edit" not in html, email
    log_in(client, world.secretariat)
    assert "Edit indicator" in client.get("/indicators/FC-CD-01").text


def test_observer_can_read_register_indicator_section_and_diff(
    client: TestClient, world: World
) -> None:
    log_in(client, world.observer)
    for path in (
        "/register",
        "/indicators/FC-CD-01",
        "/indicators/FC-CD-01/diff?from=1&to=1",
        "/sections/SEC-PURPOSE",
    ):
        assert client.get(path).status_code == 200, path


def test_unknown_code_gives_the_not_found_page(secretariat: TestClient) -> None:
    for path in ("/indicators/FC-XX-99", "/sections/SEC-NONE", "/indicators/SEC-PURPOSE"):
        response = secretariat.get(path)
        assert response.status_code == 404, path
        assert "Page not found" in response.text


def test_pages_need_a_login(client: TestClient, world: World) -> None:
    response = client.get("/indicators/FC-CD-01", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


# --- Editing ----------------------------------------------------------------------------------


def test_secretariat_edit_writes_revision_2_and_confirms(secretariat: TestClient) -> None:
    fields = edit(
        secretariat,
        "FC-CD-01",
        text="Passport, identity card or personal phone taken by the operators",
        reason="Agreed at the first meeting",
    )
    assert fields["base_revision"] == "1"
    response = submit(secretariat, "/indicators/FC-CD-01/edit", fields)
    assert response.status_code == 303
    assert response.headers["location"] == "/indicators/FC-CD-01?saved=2"

    html = secretariat.get(response.headers["location"]).text
    assert "Revision 2 saved" in html
    assert "Passport, identity card or personal phone taken by the operators" in html
    assert "Agreed at the first meeting" in html
    assert "Siti Secretariat" in html
    assert 'href="/indicators/FC-CD-01/diff?from=1&amp;to=2"' in html
    # The fields nobody touched are unchanged.
    assert "Adults, Children" in html and "Online fraud" in html


def test_edit_form_holds_every_field_with_labels(secretariat: TestClient) -> None:
    html = secretariat.get("/indicators/FC-CD-01/edit").text
    for name in (
        "text",
        "dimension",
        "element",
        "strength_adult",
        "strength_child",
        "profiles",
        "crime_types",
        "intended_users",
        "guidance",
        "information_sources",
        "references",
        "rationale",
        "status",
        "reason",
    ):
        assert f'id="{name}"' in html, name
        assert f'for="{name}"' in html, name
    assert 'name="base_revision" value="1"' in html
    assert "Save new revision" in html


def test_edit_without_reason_shows_an_error_summary_and_keeps_the_text(
    secretariat: TestClient,
) -> None:
    fields = edit(secretariat, "FC-CD-01", text="My new wording", reason="  ")
    response = submit(secretariat, "/indicators/FC-CD-01/edit", fields)
    assert response.status_code == 422
    html = response.text
    assert "There is a problem" in html
    assert '<a href="#reason">Enter the reason for the change</a>' in html
    assert 'id="reason-error"' in html
    assert "My new wording</textarea>" in html
    assert "<title>Error: " in html


def test_edit_with_several_problems_lists_them_all(secretariat: TestClient) -> None:
    fields = edit(
        secretariat,
        "FC-CD-01",
        text="",
        element="verb",
        crime_types=["online_fraud", "piracy"],
        reason="",
    )
    response = submit(secretariat, "/indicators/FC-CD-01/edit", fields)
    assert response.status_code == 422
    summary = response.text.split('id="error-summary"')[1].split("</div>")[0]
    for anchor in ("#text", "#element", "#crime_types", "#reason"):
        assert f'href="{anchor}"' in summary, anchor


def test_stale_base_revision_shows_a_conflict_page_keeping_the_persons_text(
    client: TestClient, world: World, app: object
) -> None:
    # Two officers open the same form; the second one saves first.
    other = TestClient(app)  # type: ignore[arg-type]
    log_in(other, world.secretariat2)
    theirs = edit(other, "FC-CD-01", text="Passport taken by the operators", reason="Shorter")

    log_in(client, world.secretariat)
    mine = edit(
        client,
        "FC-CD-01",
        text="Passport or personal phone confiscated by the operators",
        guidance="Ask gently where the documents are.",
        reason="Clearer verb",
    )
    assert submit(other, "/indicators/FC-CD-01/edit", theirs).status_code == 303

    response = submit(client, "/indicators/FC-CD-01/edit", mine)
    assert response.status_code == 409
    html = response.text
    assert "was changed while you were editing" in html
    assert "Second Officer" in html and "Shorter" in html
    # My text is kept, now based on the current revision ...
    assert "Passport or personal phone confiscated by the operators</textarea>" in html
    assert "Ask gently where the documents are.</textarea>" in html
    assert "Clearer verb</textarea>" in html
    assert 'name="base_revision" value="2"' in html
    # ... and the page shows what changed meanwhile.
    meanwhile = html.split('id="meanwhile-title"')[1].split('id="yours-title"')[0]
    assert re.search(r"<del>.*or personal phone.*</del>", meanwhile)

    # Saving again, deliberately, from the conflict page works.
    again = form_fields(html, "/indicators/FC-CD-01/edit")
    saved = submit(client, "/indicators/FC-CD-01/edit", again)
    assert saved.status_code == 303
    assert saved.headers["location"] == "/indicators/FC-CD-01?saved=3"
    other.close()


def test_member_cannot_edit_even_by_posting_the_form(client: TestClient, world: World) -> None:
    log_in(client, world.secretariat)
    fields = edit(client, "FC-CD-01", text="Changed by a member", reason="Because")

    csrf = log_in(client, world.member)
    assert client.get("/indicators/FC-CD-01/edit").status_code == 403
    fields["csrf_token"] = csrf
    response = submit(client, "/indicators/FC-CD-01/edit", fields)
    assert response.status_code == 403
    assert "You cannot do this" in response.text
    assert "Changed by a member" not in client.get("/indicators/FC-CD-01").text
    assert client.get("/indicators/new").status_code == 403


@pytest.mark.parametrize("garbage", ["abc", "", "0", "-1", "99", "1.5"])
def test_garbage_base_revision_is_a_422_naming_the_field(
    secretariat: TestClient, garbage: str
) -> None:
    fields = edit(secretariat, "FC-CD-01", text="New words", reason="Testing")
    fields["base_revision"] = garbage
    response = submit(secretariat, "/indicators/FC-CD-01/edit", fields)
    assert response.status_code == 422
    assert 'data-field="base_revision"' in response.text
    assert "base revision" in response.text


def test_garbage_in_selects_and_checkboxes_is_a_422_not_a_500(secretariat: TestClient) -> None:
    cases: list[dict[str, str | list[str]]] = [
        {"dimension": "ZZ"},
        {"strength_child": "huge"},
        {"status": "deleted"},
        {"profiles": ["adult", "robot"]},
        {"intended_users": ["<b>"]},
        {"text": "x" * 5001},
    ]
    for change in cases:
        fields = edit(secretariat, "FC-CD-01", reason="Testing", **change)
        response = submit(secretariat, "/indicators/FC-CD-01/edit", fields)
        assert response.status_code == 422, change
        (name,) = change
        assert f'data-field="{name}"' in response.text, change


def test_saving_without_a_change_says_nothing_changed(secretariat: TestClient) -> None:
    fields = edit(secretariat, "FC-CD-01", reason="Just looking")
    response = submit(secretariat, "/indicators/FC-CD-01/edit", fields)
    assert response.status_code == 422
    assert "Nothing changed" in response.text


def test_withdrawing_an_indicator_mutes_it_in_the_register(secretariat: TestClient) -> None:
    fields = edit(secretariat, "FC-CD-01", status="withdrawn", reason="Merged into FC-CD-02")
    assert submit(secretariat, "/indicators/FC-CD-01/edit", fields).status_code == 303
    html = secretariat.get("/register").text
    assert register_rows(html) == [("1", "FC-DR-01"), ("–", "FC-CD-01"), ("2", "FC-CD-02")]
    assert '<tr class="is-withdrawn">' in html
    assert '<span class="tag tag-withdrawn">Withdrawn</span>' in html
    filtered = secretariat.get("/register", params={"status": "withdrawn"}).text
    assert [c for _, c in register_rows(filtered)] == ["FC-CD-01"]


def test_changing_checkboxes_and_dimension(secretariat: TestClient) -> None:
    fields = edit(
        secretariat,
        "FC-CD-01",
        dimension="DR",
        profiles=["child"],
        crime_types=[],
        intended_users=["police", "social_worker"],
        element="means",
        reason="Regrouped",
    )
    assert submit(secretariat, "/indicators/FC-CD-01/edit", fields).status_code == 303
    html = secretariat.get("/indicators/FC-CD-01").text
    assert "Police, Social workers" in html
    assert "<dt>Applies to</dt><dd>Children</dd>" in html
    assert '<dt>Crime types</dt><dd><span class="muted">Not set</span></dd>' in html
    assert "<dt>Element</dt><dd>Means</dd>" in html
    assert "Deceptive recruitment" in html


# --- Diffs ------------------------------------------------------------------------------------


def test_diff_page_marks_inserted_and_deleted_words(secretariat: TestClient) -> None:
    fields = edit(
        secretariat,
        "FC-CD-01",
        text="Passport or personal phone confiscated by the recruiters",
        reason="Wording",
    )
    submit(secretariat, "/indicators/FC-CD-01/edit", fields)
    response = secretariat.get("/indicators/FC-CD-01/diff", params={"from": 1, "to": 2})
    assert response.status_code == 200
    html = response.text
    assert "Changes from revision 1 to revision 2" in html
    assert re.search(r"<ins><span class=\"visually-hidden\">\[inserted: </span>confiscated", html)
    assert re.search(r"<del><span class=\"visually-hidden\">\[deleted: </span>taken", html)
    assert "<strong>Unchanged:</strong> Dimension, Element" in html
    # Without from/to: the latest change.
    assert (
        "Changes from revision 1 to revision 2" in secretariat.get("/indicators/FC-CD-01/diff").text
    )


def test_diff_with_a_revision_that_does_not_exist_is_404(secretariat: TestClient) -> None:
    response = secretariat.get("/indicators/FC-CD-01/diff", params={"from": 1, "to": 7})
    assert response.status_code == 404
    assert "no revision 7" in response.text
    assert secretariat.get("/indicators/FC-CD-01/diff?from=abc&to=1").status_code == 422


def test_history_offers_compare_with_previous(secretariat: TestClient) -> None:
    for n, text in enumerate(["First change", "Second change"], start=1):
        fields = edit(secretariat, "FC-CD-01", text=text, reason=f"Change {n}")
        assert submit(secretariat, "/indicators/FC-CD-01/edit", fields).status_code == 303
    html = secretariat.get("/indicators/FC-CD-01").text
    assert 'href="/indicators/FC-CD-01/diff?from=2&amp;to=3"' in html
    assert 'href="/indicators/FC-CD-01/diff?from=1&amp;to=2"' in html
    assert '<form method="get" action="/indicators/FC-CD-01/diff"' in html
    assert '<option value="2" selected>' in html  # "from" defaults to the one before the last


# --- Escaping ---------------------------------------------------------------------------------


def test_markup_typed_into_the_text_is_shown_escaped_everywhere(secretariat: TestClient) -> None:
    evil = "<script>alert(1)</script> lured by <b>fake</b> ads"
    fields = edit(secretariat, "FC-CD-01", text=evil, reason="<i>reason</i>")
    assert submit(secretariat, "/indicators/FC-CD-01/edit", fields).status_code == 303
    for path in (
        "/register",
        "/indicators/FC-CD-01",
        "/indicators/FC-CD-01/diff?from=1&to=2",
        "/indicators/FC-CD-01/edit",
    ):
        html = secretariat.get(path).text
        assert "<script>alert(1)" not in html, path
        assert "<b>fake</b>" not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path
    assert "&lt;i&gt;reason&lt;/i&gt;" in secretariat.get("/indicators/FC-CD-01").text


# --- Adding -----------------------------------------------------------------------------------


def test_secretariat_adds_an_indicator(secretariat: TestClient) -> None:
    fields = open_form(secretariat, "/indicators/new")
    assert "status" not in fields and "base_revision" not in fields
    fields |= {
        "dimension": "CD",
        "text": "Threatened with being reported to immigration",
        "strength_adult": "medium",
        "profiles": ["adult"],
        "reason": "Proposed by PH-SOMTC",
    }
    response = submit(secretariat, "/indicators/new", fields)
    assert response.status_code == 303
    assert response.headers["location"] == "/indicators/FC-CD-03?saved=1"
    html = secretariat.get(response.headers["location"]).text
    assert "Indicator FC-CD-03 added" in html
    assert "Threatened with being reported to immigration" in html
    assert ("4", "FC-CD-03") in register_rows(secretariat.get("/register").text)


def test_adding_an_indicator_needs_a_dimension_and_text(secretariat: TestClient) -> None:
    fields = open_form(secretariat, "/indicators/new")
    fields |= {"code": "fc-cd-09", "reason": "New"}
    response = submit(secretariat, "/indicators/new", fields)
    assert response.status_code == 422
    assert '<a href="#dimension">Choose a dimension</a>' in response.text
    assert '<a href="#text">Enter the text of the indicator</a>' in response.text
    assert 'value="FC-CD-09"' in response.text  # kept as typed (normalised)


def test_a_code_of_another_dimension_is_refused_beside_the_code(secretariat: TestClient) -> None:
    fields = open_form(secretariat, "/indicators/new")
    fields |= {"code": "FC-DR-07", "dimension": "CD", "text": "Something", "reason": "New"}
    response = submit(secretariat, "/indicators/new", fields)
    assert response.status_code == 422
    assert '<a href="#code">Code FC-DR-07 must start with FC-CD-</a>' in response.text


# --- Sections ---------------------------------------------------------------------------------


def test_section_page_shows_title_text_and_history(client: TestClient, world: World) -> None:
    log_in(client, world.member)
    html = client.get("/sections/SEC-PURPOSE").text
    assert "<h1>Purpose</h1>" in html
    assert "These indicators help identify presumed victims." in html
    assert "Zero Draft text" in html
    assert "Edit section" not in html


def test_secretariat_edits_a_section_and_sees_the_diff(secretariat: TestClient) -> None:
    fields = open_form(secretariat, "/sections/SEC-PURPOSE/edit")
    assert set(fields) == {"csrf_token", "base_revision", "title", "text", "status", "reason"}
    fields |= {
        "title": "Purpose and use",
        "text": "These indicators help identify presumed victims for referral.",
        "reason": "Chair's text",
    }
    response = submit(secretariat, "/sections/SEC-PURPOSE/edit", fields)
    assert response.status_code == 303
    assert response.headers["location"] == "/sections/SEC-PURPOSE?saved=2"
    html = secretariat.get(response.headers["location"]).text
    assert "Revision 2 saved" in html and "<h1>Purpose and use</h1>" in html

    diff = secretariat.get("/sections/SEC-PURPOSE/diff?from=1&to=2").text
    assert re.search(r"<ins><span class=\"visually-hidden\">\[inserted: </span> and use", diff)
    assert re.search(r"<ins>.*for referral.*</ins>", diff)


def test_section_edit_conflict_and_missing_title(secretariat: TestClient) -> None:
    fields = open_form(secretariat, "/sections/SEC-PURPOSE/edit")
    stale = dict(fields) | {"text": "My version", "reason": "Mine"}
    fields |= {"title": "", "reason": "Oops"}
    response = submit(secretariat, "/sections/SEC-PURPOSE/edit", fields)
    assert response.status_code == 422
    assert '<a href="#title">Enter the title of the section</a>' in response.text

    fields |= {"title": "Purpose", "text": "Someone else's version", "reason": "Theirs"}
    assert submit(secretariat, "/sections/SEC-PURPOSE/edit", fields).status_code == 303
    conflict = submit(secretariat, "/sections/SEC-PURPOSE/edit", stale)
    assert conflict.status_code == 409
    assert "My version</textarea>" in conflict.text
    assert "Someone else" in conflict.text.split('id="yours-title"')[0]


def test_secretariat_adds_a_section(secretariat: TestClient) -> None:
    fields = open_form(secretariat, "/sections/new")
    fields |= {
        "code": "sec-scope",
        "title": "Scope",
        "text": "Adults and children.",
        "reason": "New",
    }
    response = submit(secretariat, "/sections/new", fields)
    assert response.status_code == 303
    assert response.headers["location"] == "/sections/SEC-SCOPE?saved=1"
    assert "Section SEC-SCOPE added" in secretariat.get(response.headers["location"]).text
    assert '<a href="/sections/SEC-SCOPE">Scope</a>' in secretariat.get("/register").text

    again = submit(secretariat, "/sections/new", fields)
    assert again.status_code == 422
    assert "already in use" in again.text


# --- Structure every page keeps ---------------------------------------------------------------


class _Structure(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.h1 = 0
        self.ids: list[str] = []
        self.label_for: set[str] = set()
        self.controls: list[str] = []
        self.lang = ""
        self.unscoped_th = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.lang = a.get("lang", "")
        if tag == "h1":
            self.h1 += 1
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "label":
            self.label_for.add(a.get("for", ""))
        if tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            self.controls.append(a.get("id", "<no id>"))
        if tag == "th" and "scope" not in a:
            self.unscoped_th += 1


@pytest.mark.parametrize(
    "path",
    [
        "/register",
        "/register?q=passport",
        "/indicators/FC-CD-01",
        "/indicators/FC-CD-01/diff?from=1&to=1",
        "/indicators/FC-CD-01/edit",
        "/indicators/new",
        "/sections/SEC-PURPOSE",
        "/sections/SEC-PURPOSE/edit",
        "/sections/new",
    ],
)
def test_page_has_one_heading_unique_ids_and_a_label_for_every_field(
    secretariat: TestClient, path: str
) -> None:
    response = secretariat.get(path)
    assert response.status_code == 200
    page = _Structure()
    page.feed(response.text)
    assert page.lang == "en"
    assert page.h1 == 1
    assert len(page.ids) == len(set(page.ids)), sorted(i for i in page.ids if page.ids.count(i) > 1)
    assert [c for c in page.controls if c not in page.label_for] == []
    assert page.unscoped_th == 0
