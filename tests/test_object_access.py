"""Object-level access: what a person may not see answers 404 everywhere, nobody acts for a
delegation they are not in, and no payload sets a field the client does not own.

The routes are walked from the app itself (app.web.deps.all_routes), so a new route is covered
the day it is added: the walk fails on a route whose path it cannot fill.
"""

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import func, select

from app.accounts.permissions import allowed
from app.audit.service import Actor
from app.db import Base, Database
from app.models import AuthSession, Comment, Proposal, Role, RoundKind
from app.rounds import service as rounds
from app.web.deps import SAFE_METHODS, all_routes, route_permission
from tests.factories import World, bearer, token_for
from tests.helpers import Clock, fill_path, log_in
from tests.test_register_pages import form_fields

ROUND0, ROUND = "DWG-FC/ZD", "DWG-FC/R1"
# Markers that must never reach anyone outside the owning delegation (or the chairs).
DRAFT = "ZZDRAFTSECRET"
DRAFT_NOTE = "ZZDRAFTNOTESECRET"
DELEGATION_NOTE = "ZZDELEGATIONSECRET"
CHAIRS_NOTE = "ZZCHAIRSSECRET"
ADD_DRAFT = "ZZADDDRAFTSECRET"
# A restricted case study: the secretariat's and its contributor's (the owner) alone.
CASE_NOTE = "ZZCASESECRET"
# A rating round in draft: the secretariat's alone until it opens.
RATING_DRAFT = "ZZRATINGDRAFTSECRET"


@dataclass
class Secrets:
    draft: int  # PH-SOMTC's private amendment draft
    add_draft: int  # PH-SOMTC's private draft of a new indicator
    public: int  # a submitted proposal of PH-SOMTC: everyone sees it
    draft_note: int  # a group comment on the private draft
    delegation_note: int  # own-delegation comment of PH-SOMTC on FC-CD-01
    delegation_reply: int  # a reply in that thread
    chairs_note: int  # chairs-and-secretariat comment
    meeting: int  # a meeting of PH-SOMTC and TH-SOMTC discussing FC-CD-01 (the draft's item)
    case: int  # a restricted case study whose one contributor is the owner
    case_fact: int  # a fact of it
    rating_draft: int  # a rating round the secretariat has not opened yet


def _make_rounds(database: Database, clock: Clock) -> None:
    with database.transaction() as s:
        for symbol in (ROUND0, ROUND):
            created = rounds.create_round(
                s,
                Actor.system("test"),
                symbol=symbol,
                title=symbol,
                kind=RoundKind.WRITTEN,
                time_zone="Asia/Jakarta",
                deadline=clock.now + timedelta(days=20),
                opens_at=None,
                instructions="",
                observers_may_comment=True,
                now=clock.now,
            )
            rounds.issue_round(s, Actor.system("test"), created.id, now=clock.now)


@pytest.fixture
def secrets(client: TestClient, world: World, database: Database, clock: Clock) -> Secrets:
    _make_rounds(database, clock)
    ph = bearer(token_for(database, world.member, clock.now))

    def post(path: str, body: dict[str, Any]) -> int:
        response = client.post(f"/api/v1{path}", json=body, headers=ph)
        assert response.status_code == 201, response.text
        value: int = response.json()["id"]
        return value

    draft = post(
        "/proposals",
        {
            "kind": "amend",
            "targets": ["FC-CD-01"],
            "content": {"text": f"Passport {DRAFT} taken", "guidance": f"Ask {DRAFT}"},
            "rationale": f"Because {DRAFT}",
            "delegation": "PH-SOMTC",
        },
    )
    add_draft = post(
        "/proposals",
        {
            "kind": "add",
            "dimension": "CD",
            "content": {"text": f"New {ADD_DRAFT} indicator"},
            "rationale": ADD_DRAFT,
            "delegation": "PH-SOMTC",
        },
    )
    public = post(
        "/proposals",
        {
            "kind": "amend",
            "targets": ["FC-CD-02"],
            "content": {"text": "Confined to a guarded compound or camp"},
            "delegation": "PH-SOMTC",
            "submit": True,
        },
    )
    draft_note = post(
        "/comments",
        {"proposal_id": draft, "quote": DRAFT, "body": f"{DRAFT_NOTE} on the draft"},
    )
    delegation_note = post(
        "/comments",
        {
            "item": "FC-CD-01",
            "quote": "Passport",
            "body": f"{DELEGATION_NOTE} for us only",
            "visibility": "delegation",
            "delegation": "PH-SOMTC",
        },
    )
    thread = client.post(
        "/api/v1/comments",
        json={"parent_id": delegation_note, "body": f"{DELEGATION_NOTE} reply"},
        headers=ph,
    )
    assert thread.status_code == 201, thread.text
    delegation_reply = thread.json()["replies"][-1]["id"]  # a reply answers with its thread
    chairs_note = post(
        "/comments",
        {
            "item": "FC-CD-01",
            "body": f"{CHAIRS_NOTE} for chairs",
            "visibility": "chairs_secretariat",
        },
    )
    sec = bearer(token_for(database, world.secretariat, clock.now))
    created = client.post(
        "/api/v1/meetings",
        json={
            "title": "Meeting on FC-CD-01",
            "starts_at": "2026-03-10T14:00",
            "time_zone": "Asia/Manila",
            "participants": ["PH-SOMTC", "TH-SOMTC"],
        },
        headers=sec,
    )
    assert created.status_code == 201, created.text
    meeting = created.json()["id"]
    agenda = client.put(
        f"/api/v1/meetings/{meeting}/agenda",
        json={"agenda": ["FC-CD-01", f"P-{public}"]},
        headers=sec | {"If-Match": created.headers["ETag"]},
    )
    assert agenda.status_code == 200, agenda.text
    current = client.put(
        f"/api/v1/meetings/{meeting}/current", json={"ref": "FC-CD-01"}, headers=sec
    )
    assert current.status_code == 200, current.text
    case = client.post(
        "/api/v1/cases",
        json={
            "title": f"Case {CASE_NOTE}",
            "summary": f"Narrative {CASE_NOTE}",
            "profile": "adult",
            "crime_form": "online_scam",
            "outcome": "insufficient_information",
            "contributors": [world.member],
        },
        headers=sec,
    )
    assert case.status_code == 201, case.text
    fact = client.post(
        f"/api/v1/cases/{case.json()['id']}/facts",
        json={"text": f"Fact {CASE_NOTE}", "phase": "exit", "source": "ngo_report"},
        headers=sec,
    )
    assert fact.status_code == 201, fact.text
    rating = client.post(
        "/api/v1/rating-rounds",
        json={
            "title": f"Rating {RATING_DRAFT}",
            "round": ROUND,
            "panellists": [world.member, world.member3, world.observer, world.chair],
            "instructions": f"Rate {RATING_DRAFT}",
        },
        headers=sec,
    )
    assert rating.status_code == 201, rating.text
    return Secrets(
        draft,
        add_draft,
        public,
        draft_note,
        delegation_note,
        delegation_reply,
        chairs_note,
        meeting,
        case.json()["id"],
        fact.json()["facts"][0]["id"],
        rating.json()["id"],
    )


PEOPLE = {
    "owner": World.member,
    "member": World.member3,
    "secretariat": World.secretariat,
    "chair": World.chair,
    "observer": World.observer,
}


class Browsers:
    """Logged-in browsers (cookie sessions, which the API accepts too), opened when first used:
    each log-in checks a password, which is slow by design."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.open: dict[str, tuple[TestClient, str]] = {}

    def session(self, who: str) -> tuple[TestClient, str]:
        """The browser and its CSRF token."""
        if who not in self.open:
            c = TestClient(self.app)
            c.__enter__()
            self.open[who] = (c, log_in(c, PEOPLE[who]))
        return self.open[who]

    def __getitem__(self, who: str) -> TestClient:
        return self.session(who)[0]

    def close(self) -> None:
        for c, _ in self.open.values():
            c.__exit__(None, None, None)


@pytest.fixture
def browsers(app: FastAPI, secrets: Secrets) -> Iterator[Browsers]:
    opened = Browsers(app)
    yield opened
    opened.close()


def _hidden_from(who: str) -> tuple[str, ...]:
    hidden = (DRAFT, DRAFT_NOTE, DELEGATION_NOTE, ADD_DRAFT)
    if who != "secretariat":
        hidden = (*hidden, CASE_NOTE, RATING_DRAFT)
    return hidden if who in ("secretariat", "chair") else (*hidden, CHAIRS_NOTE)


def _text_of(response: Any) -> str:
    """The response as text, a Word file as the text of every XML part it holds."""
    if response.content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(response.content)) as z:
            return "\n".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))
    return str(response.text)


# Query strings each GET route is also read with, to reach what filters and variants show.
QUERIES: dict[str, list[str]] = {
    "/api/v1/proposals": ["delegation=PH-SOMTC", "item=FC-CD-01", "state=draft", "item=FC-CD-02"],
    "/proposals": ["delegation=PH-SOMTC", "item=FC-CD-01", "state=draft", "kind=add"],
    "/api/v1/comments": ["item=FC-CD-01", "proposal_id={draft}", "proposal_id={public}"],
    "/comments/new": ["item=FC-CD-01", "proposal={draft}"],
    "/api/v1/rounds/{ref:path}/export.docx": [
        f"variant={v}&comments=true" for v in ("clean", "redline", "compilation", "responses")
    ],
    "/rounds/{ref:path}/export": [
        f"variant={v}&comments=true" for v in ("clean", "redline", "compilation", "responses")
    ],
    "/api/v1/responses": [f"round={ROUND}", f"round={ROUND0}"],
    "/api/v1/responses.csv": [f"round={ROUND}"],
    "/responses": [f"round={ROUND}"],
    "/api/v1/rounds/compare": [f"from_={ROUND0}&to={ROUND}"],
    "/rounds/compare": [f"from_={ROUND0}&to={ROUND}"],
    "/api/v1/audit": ["object_type=proposal", "object_type=comment"],
    "/audit": ["object_type=proposal"],
    "/queue": ["delegation=PH-SOMTC"],
    "/register": ["q=ZZ"],
    "/api/v1/indicators": ["q=ZZ"],
    "/proposals/new": ["kind=amend&item=FC-CD-01"],
}
# Which id a path parameter takes; the walk fails on a parameter missing here.
OBJECT_PARAMS = {"proposal_id", "comment_id", "case_id"}


def _values(path: str, s: Secrets) -> dict[str, str]:
    section = path.startswith(("/sections", "/api/v1/sections"))
    return {
        "code": "SEC-PURPOSE" if section else "FC-CD-01",
        "ref": ROUND,
        "number": "1",
        "token_id": "1",
        "notification_id": "1",
        "import_id": "1",  # Word imports: a delegation's own, see tests/test_word_*.py
        "message_id": "1",  # the outbox: the admin's alone
        "token": "1.not-a-signature",  # links in mails (unsubscribe, invitation, reset)
        "user_id": "1",  # people administration: the secretariat's and the admin's
        "kind": "bodies",  # /admin/group/{kind}/{code}: bodies or delegations
        "passkey_id": "1",  # one's own passkeys only (tests/test_mfa.py)
        "draft": str(s.draft),
        "public": str(s.public),
        "meeting_id": str(s.meeting),
        "rr_id": str(s.rating_draft),  # rating rounds' anonymity: tests/test_rating_rounds.py
        "case_id": str(s.case),
        "fact_id": str(s.case_fact),  # of the restricted case study
        "finding_id": "1",
        "rule_id": "1",  # screening rules: no secret in them (tests/test_screening.py)
    }


def _get_routes(app: FastAPI) -> list[APIRoute]:
    return [r for r in all_routes(app.routes) if isinstance(r, APIRoute) and "GET" in r.methods]


def _secret_ids(s: Secrets, who: str) -> dict[str, list[int]]:
    comments = [s.draft_note, s.delegation_note, s.delegation_reply]
    if who not in ("secretariat", "chair"):
        comments.append(s.chairs_note)
    # The secretariat sees every case study: nothing of one is secret from it.
    cases = [] if who == "secretariat" else [s.case]
    return {"proposal_id": [s.draft, s.add_draft], "comment_id": comments, "case_id": cases}


@pytest.mark.parametrize("who", ["member", "secretariat", "chair", "observer"])
def test_no_get_route_shows_what_another_delegation_keeps_to_itself(
    app: FastAPI, browsers: Browsers, secrets: Secrets, who: str
) -> None:
    c = browsers[who]
    hidden = _hidden_from(who)
    # The live event streams end at once (after catching up), so that each is read whole.
    app.state.settings = app.state.settings.model_copy(update={"live_stream_seconds": 0.05})
    read = 0
    for route in _get_routes(app):
        base = _values(route.path, secrets)
        params = set(re.findall(r"\{(\w+)", route.path))
        if params & OBJECT_PARAMS:
            (name,) = params & OBJECT_PARAMS
            for secret in _secret_ids(secrets, who)[name]:
                url = fill_path(route.path, base | {name: str(secret)})
                response = c.get(url, follow_redirects=False)
                # Not 403, not the data: as if it did not exist (unless the role may not use
                # the route at all, which says nothing about the object).
                action = route_permission(route)
                expected = 404 if action is None or allowed(Role(who), action) else 403
                assert response.status_code == expected, (who, url, response.status_code)
                assert not any(m in response.text for m in hidden), (who, url)
                read += 1
            continue
        for query in ["", *QUERIES.get(route.path, [])]:
            url = fill_path(route.path, base) + ("?" + fill_path(query, base) if query else "")
            response = c.get(url, follow_redirects=False)
            assert response.status_code < 500, (who, url, response.text[:300])
            text = _text_of(response)
            leaked = [m for m in hidden if m in text]
            assert not leaked, (who, url, leaked)
            read += 1
    assert read > 80


def test_the_owner_sees_everything_the_others_may_not(browsers: Browsers, secrets: Secrets) -> None:
    """The walk above would pass on an app that shows nothing: the owner proves the data is
    really there to be hidden."""
    owner = browsers["owner"]
    assert DRAFT in owner.get(f"/api/v1/proposals/{secrets.draft}").text
    assert DRAFT in owner.get(f"/proposals/{secrets.draft}").text
    assert ADD_DRAFT in owner.get("/api/v1/proposals?state=draft").text
    assert DRAFT_NOTE in owner.get(f"/api/v1/comments/{secrets.draft_note}").text
    assert DELEGATION_NOTE in owner.get("/indicators/FC-CD-01").text
    assert DELEGATION_NOTE in owner.get(f"/comments/{secrets.delegation_reply}").text
    assert CHAIRS_NOTE in browsers["chair"].get("/api/v1/comments?item=FC-CD-01").text
    assert CHAIRS_NOTE in browsers["secretariat"].get(f"/responses?round={ROUND}").text
    assert CASE_NOTE in owner.get(f"/api/v1/cases/{secrets.case}").text
    assert RATING_DRAFT in browsers["secretariat"].get(f"/rating/{secrets.rating_draft}").text
    assert owner.get(f"/rating/{secrets.rating_draft}").status_code == 404
    assert CASE_NOTE in browsers["secretariat"].get("/api/v1/cases").text


def _fingerprint(database: Database) -> dict[str, int]:
    with database.transaction(write=False) as s:
        return {
            t.name: s.scalar(select(func.count()).select_from(t)) or 0
            for t in Base.metadata.sorted_tables
            if t.name != AuthSession.__tablename__
        }


def _snapshot(database: Database, s: Secrets) -> list[Any]:
    with database.transaction(write=False) as session:
        proposals = [session.get(Proposal, i) for i in (s.draft, s.add_draft)]
        comments = [
            session.get(Comment, i) for i in (s.draft_note, s.delegation_note, s.delegation_reply)
        ]
        return [
            {k: v for k, v in vars(o).items() if not k.startswith("_")}
            for o in (*proposals, *comments)
        ]


# A body that passes validation for every API write that names a proposal or a comment, so
# that what answers is the object check, not the payload check.
API_BODIES: dict[tuple[str, str], dict[str, Any] | None] = {
    ("PATCH", "/api/v1/proposals/{proposal_id}"): {"rationale": "taken over"},
    ("POST", "/api/v1/proposals/{proposal_id}/submit"): None,
    ("POST", "/api/v1/proposals/{proposal_id}/withdraw"): None,
    ("POST", "/api/v1/proposals/{proposal_id}/sponsors"): {},
    ("POST", "/api/v1/proposals/{proposal_id}/decision"): {
        "outcome": "not_retained",
        "reason": "x",
    },
    ("POST", "/api/v1/proposals/{proposal_id}/rebase"): {},
    ("POST", "/api/v1/proposals/{proposal_id}/sponsors/withdraw"): {},
    ("POST", "/api/v1/proposals/{proposal_id}/decision/reopen"): {"reason": "x"},
    ("POST", "/api/v1/proposals/{proposal_id}/answer"): {"answer": "Thank you"},
    ("PATCH", "/api/v1/comments/{comment_id}"): {"body": "rewritten"},
    ("POST", "/api/v1/comments/{comment_id}/withdraw"): None,
    ("POST", "/api/v1/comments/{comment_id}/resolve"): None,
    ("POST", "/api/v1/comments/{comment_id}/reopen"): None,
    ("POST", "/api/v1/comments/{comment_id}/answer"): {"answer": "Thank you"},
    ("PATCH", "/api/v1/cases/{case_id}"): {"title": "taken over"},
    ("POST", "/api/v1/cases/{case_id}/facts"): {
        "text": "added",
        "phase": "exit",
        "source": "other",
    },
    ("PATCH", "/api/v1/cases/{case_id}/facts/{fact_id}"): {"text": "rewritten"},
    ("PUT", "/api/v1/cases/{case_id}/facts/order"): {"order": []},
    ("POST", "/api/v1/cases/{case_id}/facts/{fact_id}/codings"): {
        "indicator": "FC-CD-01",
        "status": "absent",
    },
    ("POST", "/api/v1/cases/{case_id}/findings/{finding_id}/dismiss"): None,
}
FORM_FIELDS: dict[str, dict[str, str]] = {
    "/proposals/{proposal_id}/edit": {"text": "taken over", "action": "save", "version": "1"},
    "/proposals/{proposal_id}/position": {"stance": "objection", "statement": "no"},
    "/proposals/{proposal_id}/decision": {"outcome": "not_retained", "reason": "x", "version": "1"},
    "/proposals/{proposal_id}/answer": {"answer": "Thank you"},
    "/proposals/{proposal_id}/rebase": {"version": "1"},
    "/proposals/{proposal_id}/reopen": {"reason": "x", "version": "1"},
    "/comments/{comment_id}/edit": {"body": "rewritten", "version": "1"},
    "/comments/{comment_id}/answer": {"answer": "Thank you"},
}


def _write_routes(app: FastAPI) -> Iterator[tuple[str, APIRoute, str]]:
    for route in all_routes(app.routes):
        if not isinstance(route, APIRoute):
            continue
        params = set(re.findall(r"\{(\w+)", route.path)) & OBJECT_PARAMS
        for method in sorted(route.methods - SAFE_METHODS):
            if params:
                yield method, route, params.pop()


@pytest.mark.parametrize("who", ["member", "secretariat", "chair", "observer"])
def test_no_write_reaches_a_private_draft_or_comment_of_another_delegation(
    app: FastAPI,
    browsers: Browsers,
    secrets: Secrets,
    database: Database,
    who: str,
) -> None:
    c, csrf = browsers.session(who)
    role = Role(who)
    before, snapshot = _fingerprint(database), _snapshot(database, secrets)
    tried = 0
    for method, route, name in _write_routes(app):
        for secret in _secret_ids(secrets, who)[name]:
            url = fill_path(route.path, _values(route.path, secrets) | {name: str(secret)})
            if route.path.startswith("/api/"):
                assert (method, route.path) in API_BODIES, f"give a valid body for {route.path}"
                tag = {"proposal_id": "P", "comment_id": "C", "case_id": "CS"}[name]
                response = c.request(
                    method,
                    url,
                    json=API_BODIES[(method, route.path)],
                    headers={"X-CSRF-Token": csrf, "If-Match": f'"{tag}-{secret}.v1"'},
                )
            else:
                form = FORM_FIELDS.get(route.path, {}) | {"csrf_token": csrf}
                response = c.request(method, url, data=form, follow_redirects=False)
            action = route_permission(route)
            assert action is not None
            expected = 404 if allowed(role, action) else 403
            assert response.status_code == expected, (who, method, url, response.text[:300])
            assert not any(m in response.text for m in _hidden_from(who))
            tried += 1
    assert tried > 40
    assert _fingerprint(database) == before
    assert _snapshot(database, secrets) == snapshot


# --- acting for a delegation one is not in ---------------------------------------------------


def test_nobody_acts_for_a_delegation_they_are_not_in_through_the_api(
    client: TestClient, world: World, database: Database, clock: Clock, secrets: Secrets
) -> None:
    th = bearer(token_for(database, world.member3, clock.now))
    sec = bearer(token_for(database, world.secretariat, clock.now))
    chair = bearer(token_for(database, world.chair, clock.now))
    before = _fingerprint(database)
    attempts: list[tuple[dict[str, str], str, str, dict[str, Any], dict[str, str]]] = [
        (
            th,
            "POST",
            "/proposals",
            {"kind": "delete", "targets": ["FC-DR-01"], "delegation": "PH-SOMTC"},
            {},
        ),
        (th, "POST", "/positions", {"item": "FC-CD-01", "stance": "objection"} | _ph(), {}),
        (
            th,
            "POST",
            "/positions",
            {"proposal_id": secrets.public, "stance": "support"} | _ph(),
            {},
        ),
        (th, "POST", "/comments", {"item": "FC-CD-01", "body": "as PH"} | _ph(), {}),
        (th, "POST", f"/proposals/{secrets.public}/sponsors", _ph(), {}),
        (sec, "POST", "/comments", {"item": "FC-CD-01", "body": "as PH"} | _ph(), {}),
        (chair, "POST", "/comments", {"item": "FC-CD-01", "body": "as PH"} | _ph(), {}),
        (
            sec,
            "PATCH",
            "/indicators/FC-CD-01",
            {"text": "Passport taken", "reason": "r"} | _ph(),
            {"If-Match": "1"},
        ),
        (
            sec,
            "POST",
            "/indicators",
            {"dimension": "CD", "text": "New", "reason": "r"} | _ph(),
            {},
        ),
    ]
    for headers, method, path, body, extra in attempts:
        response = client.request(method, f"/api/v1{path}", json=body, headers=headers | extra)
        assert response.status_code == 403, (path, body, response.text)
        assert response.json()["field"] == "delegation"
        assert "PH-SOMTC" in response.json()["detail"]
    # The proposal of another delegation is not theirs to withdraw, revise or submit.
    public = client.get(f"/api/v1/proposals/{secrets.public}", headers=th)
    for method, path, body in (
        ("POST", f"/proposals/{secrets.public}/withdraw", None),
        ("PATCH", f"/proposals/{secrets.public}", {"rationale": "mine"}),
    ):
        response = client.request(
            method,
            f"/api/v1{path}",
            json=body,
            headers=th | {"If-Match": public.headers["etag"]},
        )
        assert response.status_code == 403, response.text
        assert "belongs to another delegation" in response.json()["detail"]
    assert _fingerprint(database) == before


def _ph() -> dict[str, str]:
    return {"delegation": "PH-SOMTC"}


def test_nobody_acts_for_a_delegation_they_are_not_in_through_the_forms(
    browsers: Browsers, world: World, database: Database, secrets: Secrets
) -> None:
    c, csrf = browsers.session("member")
    before = _fingerprint(database)
    new = form_fields(c.get("/proposals/new?kind=amend&item=FC-CD-01").text, "/proposals/new")
    # Each form's own answer, pinned: its page with the error (422) or a refusal (403); either
    # way nothing is written (the fingerprint below).
    attempts = [
        ("/proposals/new", new | {"text": "As PH", "action": "submit"}, 422),
        ("/items/FC-CD-01/position", {"stance": "objection", "statement": "as PH"}, 422),
        (f"/proposals/{secrets.public}/position", {"stance": "objection", "statement": "PH"}, 422),
        (f"/proposals/{secrets.public}/sponsor", {}, 403),
        (
            "/comments",
            {"item": "FC-CD-01", "body": "as PH", "kind": "general", "visibility": "group"},
            403,
        ),
    ]
    for path, fields, status in attempts:
        fields = fields | {"csrf_token": csrf, "delegation": "PH-SOMTC"}
        response = c.post(path, data=fields, follow_redirects=False)
        assert response.status_code == status, (path, response.status_code)
        assert "PH-SOMTC" in response.text or "On behalf of" in response.text, path
    assert _fingerprint(database) == before


# --- fields the client does not own --------------------------------------------------------------

NOT_OWNED = (
    "id",
    "status",
    "state",
    "author",
    "author_id",
    "delegation_id",
    "revision",
    "version",
    "created_at",
    "submitted_at",
    "decided_at",
    "late",
)


def _models(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        for f in annotation.model_fields.values():
            yield from _models(f.annotation)
    for arg in getattr(annotation, "__args__", ()):
        yield from _models(arg)


def test_every_request_body_refuses_unknown_fields(app: FastAPI) -> None:
    checked = set()
    for route in all_routes(app.routes):
        if not isinstance(route, APIRoute):
            continue
        for param in route.dependant.body_params:
            for model in _models(param.field_info.annotation):
                assert model.model_config.get("extra") == "forbid", (route.path, model.__name__)
                checked.add(model.__name__)
    assert len(checked) >= 10, checked


def _api_writes(secrets: Secrets) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(who, method, path, a body valid but for the one field added) of writes of every kind."""
    return [
        ("ph", "PATCH", f"/proposals/{secrets.draft}", {"rationale": "r2"}),
        ("ph", "POST", "/proposals", {"kind": "delete", "targets": ["FC-DR-01"]}),
        ("ph", "PATCH", f"/comments/{secrets.delegation_note}", {"body": "b2"}),
        ("ph", "POST", "/comments", {"item": "FC-CD-01", "body": "b"}),
        ("ph", "POST", "/positions", {"item": "FC-CD-01", "stance": "support"}),
        ("ph", "POST", f"/proposals/{secrets.public}/sponsors", {}),
        ("sec", "PATCH", "/indicators/FC-CD-01", {"text": "T", "reason": "r"}),
        ("sec", "PATCH", "/sections/SEC-PURPOSE", {"text": "T", "reason": "r"}),
        ("sec", "POST", "/rounds", {"symbol": "R-X", "title": "T"}),
        (
            "sec",
            "POST",
            f"/proposals/{secrets.public}/decision",
            {"outcome": "agreed", "acknowledged": True},
        ),
        ("sec", "POST", f"/proposals/{secrets.public}/answer", {"answer": "Thanks"}),
    ]


@pytest.mark.parametrize("name", NOT_OWNED)
def test_an_api_payload_cannot_set_a_field_the_client_does_not_own(
    client: TestClient,
    world: World,
    database: Database,
    clock: Clock,
    secrets: Secrets,
    name: str,
) -> None:
    tokens = {
        "ph": bearer(token_for(database, world.member, clock.now)),
        "sec": bearer(token_for(database, world.secretariat, clock.now)),
    }
    before, snapshot = _fingerprint(database), _snapshot(database, secrets)
    for who, method, path, body in _api_writes(secrets):
        if name == "status" and path.startswith(("/indicators", "/sections")):
            continue  # withdrawing and reinstating an item is the secretariat's own field
        response = client.request(
            method,
            f"/api/v1{path}",
            json=body | {name: "agreed" if name in ("state", "status") else 99},
            headers=tokens[who] | {"If-Match": "1"},
        )
        assert response.status_code == 422, (path, name, response.text)
        assert response.json()["field"] == name, response.json()
        assert name in response.json()["detail"]
    # Nor through a proposal's content, which is checked against the item's own fields.
    for kind in ("amend", "add"):
        body: dict[str, Any] = {"kind": kind, "content": {"text": "x", name: "withdrawn"}}
        body |= {"targets": ["FC-CD-01"]} if kind == "amend" else {"dimension": "CD"}
        response = client.post("/api/v1/proposals", json=body, headers=tokens["ph"])
        assert response.status_code == 422, (name, response.text)
        assert response.json()["field"] == name
    assert _fingerprint(database) == before
    assert _snapshot(database, secrets) == snapshot


def test_a_form_ignores_fields_it_does_not_own(
    browsers: Browsers, database: Database, secrets: Secrets
) -> None:
    """Forms read only their own inputs: extra ones change nothing but what the form edits."""
    owner = browsers["owner"]
    page = owner.get(f"/proposals/{secrets.draft}/edit")
    fields = form_fields(page.text, f"/proposals/{secrets.draft}/edit")
    forged = {
        "state": "agreed",
        "status": "agreed",
        "delegation_id": "2",
        "delegation": "PH-ACWC",
        "author_id": "2",
        "submitted_at": "2020-01-01T00:00:00Z",
        "id": "999",
        "created_at": "2020-01-01T00:00:00Z",
        "late": "true",
    }
    edited = fields | {"text": "Passport taken by the bosses", "action": "save"} | forged
    response = owner.post(f"/proposals/{secrets.draft}/edit", data=edited, follow_redirects=False)
    assert response.status_code == 303, response.text
    with database.transaction(write=False) as s:
        p = s.get(Proposal, secrets.draft)
        assert p is not None
        assert p.content["text"] == "Passport taken by the bosses"
        assert (p.state.value, p.submitted_at, p.late, p.version) == ("draft", None, False, 2)
        original = s.scalar(select(Proposal).where(Proposal.id == secrets.public))
        assert original is not None
        assert p.delegation_id == original.delegation_id  # still PH-SOMTC
        assert p.author_id == original.author_id
        assert s.get(Proposal, 999) is None
