"""Search (issue 18) through the API, as scripts use it, on both engines: language (stemming,
phrases, the scripts written without spaces, diacritics), visibility, ranking, filters, bad
input, and the index kept current by every change (an edit, a decision, a withdrawal, a new
comment, a restore from backup)."""

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.backup import service as backup
from app.db import Database
from app.search.index import fold, words
from app.search.schemas import SearchOut
from tests.factories import World, bearer, token_for
from tests.helpers import Clock, form_in, log_in, post, scratch_database, summary, text_of


class Api:
    def __init__(self, client: TestClient, token: str) -> None:
        self.client = client
        self.headers = bearer(token)

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", headers=self.headers, params=params)

    def post(self, path: str, json: Any = None, headers: dict[str, str] | None = None) -> Any:
        return self.client.post(f"/api/v1{path}", json=json, headers=self.headers | (headers or {}))

    def patch(self, path: str, json: Any, headers: dict[str, str] | None = None) -> Any:
        return self.client.patch(
            f"/api/v1{path}", json=json, headers=self.headers | (headers or {})
        )

    def search(self, q: str, **params: Any) -> dict[str, Any]:
        response = self.get("/search", q=q, **params)
        assert response.status_code == 200, response.text
        # The answer, written by hand (app/search/api.py), is SearchOut's own JSON, byte for byte.
        documented = SearchOut.model_validate_json(response.content).model_dump_json()
        assert response.content == documented.encode()
        body: dict[str, Any] = response.json()
        assert body["total"] >= len(body["results"])
        return body

    def refs(self, q: str, **params: Any) -> list[str]:
        return [r["ref"] for r in self.search(q, **params)["results"]]


@pytest.fixture
def people(client: TestClient, world: World, database: Database, clock: Clock) -> dict[str, Api]:
    return {
        role: Api(client, token_for(database, email, clock.now))
        for role, email in {
            "ph": world.member,
            "id": world.member2,
            "sec": world.secretariat,
            "chair": world.chair,
            "observer": world.observer,
        }.items()
    }


def edit(sec: Api, code: str, **content: Any) -> None:
    current = sec.get(f"/indicators/{code}")
    response = sec.patch(
        f"/indicators/{code}",
        {**content, "reason": "test"},
        {"If-Match": current.headers["etag"]},
    )
    assert response.status_code == 200, response.text


def test_folding_and_stemming_are_the_same_words_for_text_and_question() -> None:
    assert fold("Người lao động Đà Nẵng") == "nguoi lao đong đa nang".replace("đ", "d")
    assert fold("PERDAGANGAN orang") == "perdagangan orang"
    # A Thai vowel sign is part of the word: only marks on Latin letters are dropped.
    assert fold("หนังสือเดินทาง") == "หนังสือเดินทาง"
    assert words("passports recruited") == words("passport recruit")
    assert words("หนังสือเดินทาง ถูกยึด") == []  # found as text, not as words


def test_stemming_phrases_diacritics_and_every_script(people: dict[str, Api]) -> None:
    sec = people["sec"]
    edit(
        sec,
        "FC-DR-01",
        text="Workers were recruited with promises of lawful jobs",
        guidance="Người lao động bị lừa; pekerja direkrut dengan janji palsu",
        information_sources="ผู้เสียหายถูกยึดหนังสือเดินทางและโทรศัพท์ ລາວຖືກຍຶດໜັງສືຜ່ານແດນ",
        references="ពលករត្រូវបានបោកប្រាស់ မြန်မာအလုပ်သမားများလိမ်လည်ခံရ",
    )
    # English stemming, both ways: "passports" finds "Passport", "recruit" finds "recruited".
    assert "FC-CD-01" in people["ph"].refs("passports")
    assert people["ph"].refs("recruit") == ["FC-DR-01"]
    # Every field of an indicator is searched, and the snippet marks the words found.
    found = people["ph"].search("lao dong")
    assert [r["ref"] for r in found["results"]] == ["FC-DR-01"]
    assert "<mark>Người</mark>" not in found["results"][0]["snippet"]
    assert "<mark>lao</mark> <mark>động</mark>" in found["results"][0]["snippet"]
    # Vietnamese and Malay/Indonesian with or without diacritics.
    assert people["ph"].refs("nguoi") == ["FC-DR-01"]
    assert people["ph"].refs("người") == ["FC-DR-01"]
    assert people["ph"].refs("lua") == ["FC-DR-01"]
    assert people["ph"].refs("pekerja direkrut") == ["FC-DR-01"]
    # Phrases in quotes: the words together and in that order.
    assert people["ph"].refs('"lawful jobs"') == ["FC-DR-01"]
    assert people["ph"].refs('"jobs lawful"') == []
    assert people["ph"].refs('"personal phone"') == ["FC-CD-01"]
    assert people["ph"].refs("phone personal") == ["FC-CD-01"]
    # Thai, Lao, Khmer and Myanmar words inside longer runs without spaces.
    for word in ("หนังสือเดินทาง", "ยึด", "ໜັງສືຜ່ານແດນ", "បោកប្រាស់", "အလုပ်သမား"):
        found = people["ph"].search(word)
        assert [r["ref"] for r in found["results"]] == ["FC-DR-01"], word
        assert f"<mark>{word}</mark>" in found["results"][0]["snippet"], word
    # Runs shorter than a trigram: "ใน" (in), "ปี" (year), Lao, Khmer, as on PostgreSQL.
    edit(sec, "FC-CD-02", guidance="ในปี2567 ລູກຈ້າງ ឆ្នាំ")
    for word in ("ใน", "ปี", "ລູ", "ឆ្"):
        assert people["ph"].refs(word) == ["FC-CD-02"], word
    assert people["ph"].refs("หนังสือเดินทาง passport") == []
    assert people["ph"].refs("หนังสือเดินทาง workers") == ["FC-DR-01"]
    assert people["ph"].refs("ญี่ปุ่น") == []


def test_exact_code_first_then_relevance_with_kinds_refs_titles_links(
    people: dict[str, Api],
) -> None:
    ph, sec = people["ph"], people["sec"]
    p = ph.post(
        "/proposals",
        {
            "kind": "amend",
            "targets": ["FC-CD-01"],
            "content": {"text": "Passport or phone confiscated; see also FC-CD-02"},
            "rationale": "Confiscation is the word the courts use",
            "submit": True,
            "delegation": "PH-SOMTC",
        },
    ).json()
    c = ph.post(
        "/comments", {"item": "FC-CD-02", "body": "Guarded compound <b>&amp; fences</b>"}
    ).json()
    found = ph.search("FC-CD-02")
    refs = [r["ref"] for r in found["results"]]
    assert refs[0] == "FC-CD-02"
    assert set(refs) == {"FC-CD-02", f"P-{p['id']}", f"C-{c['id']}"}
    first = found["results"][0]
    assert first["kind"] == "indicator"
    assert first["url"] == "/indicators/FC-CD-02"
    assert first["title"] == "Confined to a guarded compound"
    assert ph.search("fc-cd-01")["results"][0]["ref"] == "FC-CD-01"
    assert ph.search(f"P-{p['id']}")["results"][0]["ref"] == f"P-{p['id']}"
    assert ph.search(f"c-{c['id']}")["results"][0]["url"] == f"/comments/{c['id']}"
    assert ph.refs("purpose") == ["SEC-PURPOSE"]
    # Proposals: proposed text and rationale.
    proposal = ph.search("courts")["results"]
    assert [(r["kind"], r["ref"], r["url"]) for r in proposal] == [
        ("proposal", f"P-{p['id']}", f"/proposals/{p['id']}")
    ]
    assert "<mark>courts</mark>" in proposal[0]["snippet"]
    # Snippets are escaped: what a person wrote never becomes markup.
    snippet = ph.search("fences")["results"][0]["snippet"]
    assert "&lt;b&gt;&amp;amp; <mark>fences</mark>&lt;/b&gt;" in snippet
    # Filters: kind, dimension, delegation, state.
    assert ph.refs("passport", kind="proposal") == [f"P-{p['id']}"]
    assert set(ph.refs("passport")) == {"FC-CD-01", f"P-{p['id']}"}
    assert ph.refs("compound", kind="comment") == [f"C-{c['id']}"]
    assert ph.refs("passport", dimension="DR") == []
    assert set(ph.refs("passport", dimension="FC-CD")) == {"FC-CD-01", f"P-{p['id']}"}
    assert ph.refs("passport", delegation="PH-SOMTC") == [f"P-{p['id']}"]
    assert ph.refs("passport", delegation="ID-AICHR") == []
    assert ph.refs("passport", state="submitted") == [f"P-{p['id']}"]
    assert ph.refs("passport", state="open") == ["FC-CD-01"]
    # A title word outranks a word further in: the section titled Purpose, not the text.
    assert sec.refs("indicators")[0] == "SEC-PURPOSE"


def test_bad_input_is_refused_naming_the_field(people: dict[str, Api]) -> None:
    ph = people["ph"]
    cases = [
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"q": "!!!"}, "q"),
        # Thirteen words (a phrase's words count each, a prefix too): each is a join.
        ({"q": " ".join(f"w{n:02d}" for n in range(13))}, "q"),
        ({"q": '"' + " ".join(f"w{n:02d}" for n in range(13)) + '"'}, "q"),
        ({"q": " ".join(f"{chr(97 + n)}*" for n in range(13))}, "q"),
        ({"q": "passport", "kind": "everything"}, "kind"),
        ({"q": "passport", "page": 0}, "page"),
        ({"q": "passport", "page": "two"}, "page"),
        ({"q": "passport", "page": 10**18}, "page"),
        ({"q": "passport", "dimension": "C\x00D"}, "dimension"),
        ({"q": "passport", "delegation": "\x00"}, "delegation"),
        ({"q": "passport", "round": "1\x00"}, "round"),
        ({"q": "passport", "state": "lost"}, "state"),
    ]
    unknown = [
        ({"q": "passport", "dimension": "ZZ"}, "dimension"),
        ({"q": "passport", "delegation": "XX-NONE"}, "delegation"),
        ({"q": "passport", "round": "R-99"}, "round"),
        ({"q": "passport", "round": "\u00b2"}, "round"),  # a digit to isdigit(), not to int()
    ]
    for (params, name), status in [(c, 422) for c in cases] + [(c, 404) for c in unknown]:
        response = ph.client.get("/api/v1/search", headers=ph.headers, params=params)
        assert response.status_code == status, (params, response.text)
        assert response.json()["field"] == name, params
    missing = ph.client.get("/api/v1/search", headers=ph.headers)
    assert (missing.status_code, missing.json()["field"]) == (422, "q")
    assert ph.client.get("/api/v1/search", params={"q": "passport"}).status_code == 401
    assert ph.search("passport", page=5) == {"results": [], "total": 1, "page": 5, "pages": 1}


def test_visibility_is_the_objects_own_not_even_counted(people: dict[str, Api]) -> None:
    ph, id_, sec, chair, observer = (people[k] for k in ("ph", "id", "sec", "chair", "observer"))
    draft = ph.post(
        "/proposals",
        {
            "kind": "amend",
            "targets": ["FC-CD-01"],
            "content": {"text": "Zebra clause kept private"},
            "submit": False,
            "delegation": "PH-SOMTC",
        },
    ).json()
    on_draft = ph.post("/comments", {"proposal_id": draft["id"], "body": "Zebra thoughts"}).json()
    # A reply in the draft's thread is the draft's delegation's too, until the draft is submitted.
    on_draft_reply = ph.post(
        "/comments", {"parent_id": on_draft["id"], "body": "Zebra second thoughts"}
    ).json()["replies"][-1]
    own = ph.post(
        "/comments",
        {"item": "FC-CD-01", "body": "Zebra delegation note", "visibility": "delegation"},
    ).json()
    chairs = ph.post(
        "/comments",
        {"item": "FC-CD-01", "body": "Zebra for chairs", "visibility": "chairs_secretariat"},
    ).json()
    # A reply answers its thread; the reply is its newest.
    thread = sec.post("/comments", {"parent_id": chairs["id"], "body": "Zebra reply"}).json()
    reply = thread["replies"][-1]
    public = id_.post("/comments", {"item": "FC-CD-01", "body": "Zebra for all"}).json()
    everything = {
        f"P-{draft['id']}",
        f"C-{on_draft['id']}",
        f"C-{on_draft_reply['id']}",
        f"C-{own['id']}",
        f"C-{chairs['id']}",
        f"C-{reply['id']}",
        f"C-{public['id']}",
    }
    seen = {
        "ph": everything,
        "id": {f"C-{public['id']}"},
        "observer": {f"C-{public['id']}"},
        "sec": {f"C-{chairs['id']}", f"C-{reply['id']}", f"C-{public['id']}"},
        "chair": {f"C-{chairs['id']}", f"C-{reply['id']}", f"C-{public['id']}"},
    }
    for who, expected in seen.items():
        found = people[who].search("zebra")
        assert {r["ref"] for r in found["results"]} == expected, who
        assert found["total"] == len(expected), who
    assert id_.search("zebra", kind="proposal")["total"] == 0
    assert id_.search(f"P-{draft['id']}")["total"] == 0
    # Submitted, the proposal and its thread (the reply too) are the group's; the delegation's
    # own note and the chairs' thread stay theirs.
    assert ph.post(f"/proposals/{draft['id']}/submit").status_code == 200
    after = {f"P-{draft['id']}", f"C-{on_draft['id']}", f"C-{on_draft_reply['id']}"}
    assert set(id_.refs("zebra")) == after | {f"C-{public['id']}"}
    assert id_.search("zebra")["total"] == 4
    assert set(sec.refs("zebra")) == after | seen["sec"]
    del chair, observer


def test_index_is_current_after_edit_decision_withdrawal_and_comments(
    people: dict[str, Api],
) -> None:
    ph, sec = people["ph"], people["sec"]
    assert sec.refs("trafficked") == []
    edit(sec, "FC-CD-02", text="Confined and trafficked across the border")
    assert sec.refs("trafficked") == ["FC-CD-02"]
    assert sec.refs("guarded") == []  # the old wording is no longer found
    # A decision: the agreed text is the indicator's, and the proposal's state follows.
    p = ph.post(
        "/proposals",
        {
            "kind": "amend",
            "targets": ["FC-CD-01"],
            "content": {"text": "Identity papers withheld by the employer"},
            "submit": True,
        },
    ).json()
    assert sec.refs("withheld") == [f"P-{p['id']}"]
    decided = sec.post(
        f"/proposals/{p['id']}/decision",
        {"outcome": "agreed", "acknowledged": True},
        {"If-Match": sec.get(f"/proposals/{p['id']}").headers["etag"]},
    )
    assert decided.status_code == 200, decided.text
    assert set(sec.refs("withheld")) == {"FC-CD-01", f"P-{p['id']}"}
    assert sec.refs("withheld", state="agreed") == [f"P-{p['id']}"]
    # A withdrawal: of an indicator (by an agreed deletion), a proposal, a comment.
    delete = ph.post("/proposals", {"kind": "delete", "targets": ["FC-DR-01"], "submit": True})
    pid = delete.json()["id"]
    sec.post(
        f"/proposals/{pid}/decision",
        {"outcome": "agreed", "acknowledged": True},
        {"If-Match": sec.get(f"/proposals/{pid}").headers["etag"]},
    )
    assert sec.refs("lawful", state="withdrawn") == ["FC-DR-01"]
    other = ph.post(
        "/proposals",
        {"kind": "amend", "targets": ["FC-CD-02"], "content": {"text": "Kiwi"}, "submit": True},
    ).json()
    assert ph.post(f"/proposals/{other['id']}/withdraw").status_code == 200
    assert sec.refs("kiwi", state="withdrawn") == [f"P-{other['id']}"]
    c = ph.post("/comments", {"item": "FC-CD-02", "body": "Mango remark"}).json()
    assert sec.refs("mango") == [f"C-{c['id']}"]
    assert ph.post(f"/comments/{c['id']}/withdraw").status_code == 200
    assert sec.search("mango")["total"] == 0


def test_restore_from_backup_carries_the_index(
    people: dict[str, Api], settings: Any, tmp_path: Path, clock: Clock
) -> None:
    ph = people["ph"]
    c = ph.post("/comments", {"item": "FC-CD-02", "body": "Người lao động papaya"}).json()
    archive = tmp_path / "backup.zip"
    backup.backup(settings.effective_database_url, archive, now=clock.now)
    if settings.effective_database_url.startswith("sqlite"):
        target = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        _restore_and_search(target, archive, settings, c["id"])
    else:
        for target in scratch_database("restore"):
            _restore_and_search(target, archive, settings, c["id"])


def _restore_and_search(url: str, archive: Path, settings: Any, comment_id: int) -> None:
    from app.main import create_app
    from app.models import Role
    from app.principal import Principal
    from app.search import service

    backup.restore(url, archive)
    restored = create_app(settings.model_copy(update={"database_url": url}))
    try:
        database: Database = restored.state.database
        with database.transaction() as session:
            anyone = Principal(user_id=0, email="", name="", role=Role.OBSERVER)
            found = service.search(session, anyone, "nguoi papaya")
            assert [h.ref for h in found.hits] == [f"C-{comment_id}"]
            assert service.search(session, anyone, "passports").total == 1
    finally:
        restored.state.database.dispose()


def test_migration_fills_the_index_as_the_application_writes_it(
    people: dict[str, Api], database: Database, db_url: str
) -> None:
    from alembic import command
    from sqlalchemy import select

    from app.models import SearchDocument
    from tests.helpers import alembic_config

    ph = people["ph"]
    p = ph.post(
        "/proposals",
        {"kind": "amend", "targets": ["FC-CD-01"], "content": {"text": "Người ยึด"}},
    ).json()
    ph.post("/comments", {"proposal_id": p["id"], "body": "Đà Nẵng workers recruited"})
    ph.post("/comments", {"item": "FC-DR-01", "body": "On the lawful job"})

    def rows() -> set[tuple[Any, ...]]:
        columns = [c for c in SearchDocument.__table__.columns if c.name != "id"]
        with database.transaction() as session:
            return {tuple(r) for r in session.execute(select(*columns))}

    written = rows()
    assert len(written) == 4 + 1 + 2
    database.engine.dispose()
    command.downgrade(alembic_config(db_url), "0015")
    command.upgrade(alembic_config(db_url), "head")
    assert rows() == written
    assert people["id"].refs("nguoi") == []  # another delegation's draft, still private
    assert ph.refs("nguoi") == [f"P-{p['id']}"]


def test_search_page_answers_long_questions_pages_past_the_end_and_misses_with_its_form(
    client: TestClient, world: World
) -> None:
    log_in(client, world.member)
    # A pasted link of any length: the friendly refusal beside the field, with the form.
    for q in ("x" * 201, "x" * 1001, "passport " * 600):
        page = client.get("/search", params={"q": q})
        assert page.status_code == 422, len(q)
        assert ("search-q", "The search is longer than 200 characters") in summary(page.text)
        assert 'id="search-q"' in page.text
    # A page past the end names page and leads to the last one, not 'N results.' over nothing.
    page = client.get("/search", params={"q": "passport", "page": 999})
    assert page.status_code == 422
    assert summary(page.text) == [
        ("search-last-page", "There is only one page of results for this search")
    ]
    assert 'href="/search?q=passport&amp;page=1"' in page.text
    # A miss names the filters in force and offers the search without them.
    page = client.get("/search", params={"q": "passport", "delegation": "TH-SOMTC"})
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Nothing found for “passport” from TH-SOMTC." in text
    assert 'href="/search?q=passport">Search everything' in page.text
    page = client.get("/search", params={"q": "passport", "kind": "comment", "dimension": "CD"})
    assert "Nothing found for “passport” among comments in " in text_of(page.text)
    # Without filters: a short tip instead.
    page = client.get("/search", params={"q": "zzyzxqv"})
    assert "Nothing found for “zzyzxqv”. Check the spelling, or try fewer words" in text_of(
        page.text
    )
    assert "Search everything" not in page.text


def test_the_near_duplicate_panel_offers_clear_ways_out_without_javascript(
    client: TestClient, world: World
) -> None:
    log_in(client, world.member)
    page = client.get("/proposals/new?kind=add&item_kind=indicator&dimension=CD")
    # Without JavaScript the list comes with a preview or a submission, not as one types.
    assert "Checked when you preview or submit." in page.text
    assert "Checked as you type" not in page.text
    fields = form_in(page.text, action="/proposals/new") | {
        "text": "The passport or the personal phone was taken away by the operators",
        "action": "preview",
    }
    panel = post(client, "/proposals/new", fields).text.split('id="similar-panel"')[1]
    panel = panel.split("</aside>")[0]
    # New tabs, so the half-written proposal stays in this one.
    assert re.search(
        r'<a href="/indicators/FC-CD-01" target="_blank" rel="noopener">Open FC-CD-01', panel
    )
    assert re.search(
        r'<a href="/proposals/new\?kind=amend&amp;item=FC-CD-01" target="_blank" rel="noopener">'
        r"Propose an amendment to FC-CD-01",
        panel,
    )
    assert client.get("/proposals/new?kind=amend&item=FC-CD-01").status_code == 200


def test_a_search_for_a_code_shows_it_first_as_the_exact_match(
    client: TestClient, world: World
) -> None:
    log_in(client, world.member)
    page = client.get("/search", params={"q": " fc-cd-02 "})
    results = text_of(page.text.split('aria-label="Results"')[1])
    assert results.startswith("> Exact match: Indicator FC-CD-02"), results[:80]
    assert text_of(client.get("/search", params={"q": "passport"}).text).count("Exact match") == 0


def test_twelve_words_are_searched_and_a_thirteenth_is_refused(people: dict[str, Api]) -> None:
    ph = people["ph"]
    twelve = "passport " + " ".join(f"w{n:02d}" for n in range(11))
    response = ph.client.get("/api/v1/search", headers=ph.headers, params={"q": twelve})
    assert response.status_code == 200, response.text
    response = ph.client.get("/api/v1/search", headers=ph.headers, params={"q": twelve + " w11"})
    assert response.status_code == 422
    assert response.json()["field"] == "q"
    assert "more than 12 words" in response.json()["detail"]


def test_a_result_rewritten_between_its_id_and_its_row_is_left_out_not_a_500(
    people: dict[str, Api],
) -> None:
    """Under READ COMMITTED an edit may delete and re-insert an index row (a new id) between
    the statement that reads the page's ids and the one that reads their rows: the row that
    vanished is left out of the page, the others are shown."""
    from sqlalchemy import event
    from sqlalchemy.engine import Result
    from sqlalchemy.orm import ORMExecuteState, Session

    from app.search import service

    ph = people["ph"]
    for item in ("FC-CD-01", "FC-CD-02", "FC-DR-01"):
        ph.post("/comments", {"item": item, "body": f"Okapi sighted near {item}"})
    before = ph.refs("okapi")
    assert len(before) == 3
    shown = {service._shown(n) for n in range(1, service.PAGE_SIZE + 1)}
    rewritten: list[int] = []

    def rewrite_first(state: ORMExecuteState) -> Result[Any] | None:
        # The first id's row is gone by the time the rows are read (its new id is not one of
        # the page's): the statement runs as if asked for an id no row has.
        if state.statement in shown and not rewritten:
            rewritten.append(state.parameters["id_0"])  # type: ignore[index]
            return state.invoke_statement(params={"id_0": -1})
        return None

    event.listen(Session, "do_orm_execute", rewrite_first)
    try:
        found = ph.search("okapi")
    finally:
        event.remove(Session, "do_orm_execute", rewrite_first)
    assert rewritten
    assert [r["ref"] for r in found["results"]] == before[1:]
    assert found["total"] == 3


def test_the_filter_lists_are_kept_at_the_page_cache_content_version() -> None:
    """One statement says what the content version is, for the page cache and for the search
    page's filter lists alike (not a copy that could drift from it)."""
    from app.search import pages
    from app.web import cache

    assert pages._CHOICES_VERSION is cache.CONTENT_VERSION
