"""Hostile input: script payloads in every text field are text on every page and in every
export; SQL metacharacters, NUL bytes and over-long strings are harmless; CSV cells never start
a formula; download names never inject a header; security headers are on every response."""

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import func, select

from app.db import Database
from app.models import Item, Role
from app.register.schemas import IndicatorCreate
from app.web.deps import all_routes
from tests.factories import World, bearer, make_delegation, make_user, token_for
from tests.helpers import Clock, log_in
from tests.payloads import FORMULA_STARTS, FORMULAS, SQL, XSS, XSS_NAME, scan

ROUND = "DWG-FC/R1"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
EVE = "eve@asean.test"


@dataclass
class Hostile:
    indicator: str
    proposal: int
    refused: int
    comment: int
    meeting: int
    case: int


def _ok(response: Any) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


@pytest.fixture
def hostile(client: TestClient, world: World, database: Database, clock: Clock) -> Hostile:
    """The payload in every text field anyone can set, through the API."""
    with database.transaction() as s:
        make_delegation(s, ("VN", f"Viet Nam {XSS_NAME}"), ("ZZB", f"Body {XSS}"))
        make_user(s, EVE, Role.MEMBER, "VN-ZZB", now=clock.now, name=f"Eve {XSS_NAME}")
    sec = bearer(token_for(database, world.secretariat, clock.now))
    eve = bearer(token_for(database, EVE, clock.now))
    api = "/api/v1"
    for symbol in ("DWG-FC/ZD", ROUND):  # R1 follows the zero draft: its redline has a base
        _ok(
            client.post(
                f"{api}/rounds",
                json={"symbol": symbol, "title": f"Rev.1 {XSS}", "instructions": f"Send {XSS}"},
                headers=sec,
            )
        )
        _ok(client.post(f"{api}/rounds/{symbol}/issue", headers=sec))
    indicator = _ok(
        client.post(
            f"{api}/indicators",
            json={
                "dimension": "CD",
                "text": f"Text {XSS}",
                "guidance": f"Guidance {XSS}",
                "information_sources": f"Sources {XSS}",
                "references": f"References {XSS}",
                "rationale": f"Rationale {XSS}",
                "reason": f"Reason {XSS}",
            },
            headers=sec,
        )
    )["code"]
    etag = client.get(f"{api}/sections/SEC-PURPOSE", headers=sec).headers["etag"]
    _ok(
        client.patch(
            f"{api}/sections/SEC-PURPOSE",
            json={"title": f"Purpose {XSS}", "text": f"Section {XSS}", "reason": f"Why {XSS}"},
            headers=sec | {"If-Match": etag},
        )
    )

    def propose(code: str) -> int:
        return int(
            _ok(
                client.post(
                    f"{api}/proposals",
                    json={
                        "kind": "amend",
                        "targets": [code],
                        "content": {"text": f"Proposed {XSS}", "guidance": f"Ask {XSS}"},
                        "rationale": f"Rationale {XSS}",
                        "submit": True,
                    },
                    headers=eve,
                )
            )["id"]
        )

    proposal, refused = propose(indicator), propose("FC-CD-02")
    _ok(
        client.post(
            f"{api}/positions",
            json={"proposal_id": proposal, "stance": "objection", "statement": f"No {XSS}"},
            headers=eve,
        )
    )
    current = client.get(f"{api}/proposals/{refused}", headers=sec)
    _ok(
        client.post(
            f"{api}/proposals/{refused}/decision",
            json={"outcome": "not_retained", "reason": f"Reason {XSS}", "answer": f"Ans {XSS}"},
            headers=sec | {"If-Match": current.headers["etag"]},
        )
    )
    comment = _ok(
        client.post(
            f"{api}/comments",
            json={"item": indicator, "quote": "<script>", "body": f"Comment {XSS}"},
            headers=eve,
        )
    )["id"]
    _ok(
        client.post(
            f"{api}/comments", json={"parent_id": comment, "body": f"Re {XSS}"}, headers=sec
        )
    )
    _ok(client.post(f"{api}/comments/{comment}/answer", json={"answer": f"A {XSS}"}, headers=sec))
    created = _ok(
        client.post(
            f"{api}/meetings",
            json={
                "title": f"Meeting {XSS}",
                "starts_at": "2026-03-10T14:00",
                "time_zone": "Asia/Manila",
                "video_url": "https://meet.example.org/zz?q=%3Cscript%3E",
                "participants": ["PH-SOMTC", "VN-ZZB"],
            },
            headers=sec,
        )
    )
    meeting = created["id"]
    etag = client.get(f"{api}/meetings/{meeting}", headers=sec).headers["etag"]
    _ok(
        client.put(
            f"{api}/meetings/{meeting}/agenda",
            json={"agenda": [indicator, f"P-{proposal}"]},
            headers=sec | {"If-Match": etag},
        )
    )
    _ok(client.put(f"{api}/meetings/{meeting}/current", json={"ref": indicator}, headers=sec))
    case = _ok(
        client.post(
            f"{api}/cases",
            json={
                "title": f"Case {XSS}",
                "summary": f"Narrative {XSS}",
                "profile": "adult",
                "crime_form": "online_scam",
                "outcome": "insufficient_information",
                "outcome_reasoning": f"Because {XSS}",
                "place": "Mekong <b>border</b>",
                "visibility": "group",
                "contributors": [EVE],
            },
            headers=sec,
        )
    )
    case_id = case["id"]
    fact = _ok(
        client.post(
            f"{api}/cases/{case_id}/facts",
            json={"text": f"Fact {XSS}", "phase": "exit", "source": "ngo_report"},
            headers=eve,
        )
    )["facts"][0]
    _ok(
        client.post(
            f"{api}/cases/{case_id}/facts/{fact['id']}/codings",
            json={"indicator": indicator, "status": "present", "evidence": XSS},
            headers=eve,
        )
    )
    return Hostile(indicator, proposal, refused, comment, meeting, case_id)


def _page_routes(app: FastAPI) -> list[str]:
    return [
        r.path
        for r in all_routes(app.routes)
        if isinstance(r, APIRoute) and "GET" in r.methods and not r.path.startswith("/api/")
    ]


def _fill(path: str, h: Hostile) -> str:
    values = {
        "code": "SEC-PURPOSE" if path.startswith("/sections") else h.indicator,
        "proposal_id": str(h.proposal),
        "comment_id": str(h.comment),
        "ref": ROUND,
        "import_id": "1",
        "user_id": "1",  # people administration: the hostile names are in the list too
        "message_id": "1",  # the outbox
        "kind": "bodies",  # /admin/group/{kind}/{code}
        "passkey_id": "1",
        "token": "1.not-a-signature",  # links in mails
        "notification_id": "1",  # opening a notification (it redirects to its link)
        "meeting_id": str(h.meeting),
        "rr_id": "1",  # rating rounds: tests/test_rating_rounds.py checks their payloads
        "case_id": str(h.case),
        "rule_id": "1",  # screening rules: tests/test_screening.py checks their payloads
    }
    return re.sub(r"\{(\w+)[^}]*\}", lambda m: values[m.group(1)], path)


EXTRA = {
    "/proposals/new": ["kind=amend&item={code}"],
    "/comments/new": ["item={code}", "proposal={proposal_id}"],
    "/responses": [f"round={ROUND}"],
    "/audit": ["object_type=proposal"],
    "/indicators/{code}/diff": ["from_=1&to=1"],
    "/proposals": ["delegation=VN-ZZB"],
}
# Pages on which the whole payload must read exactly as typed (escaped once, never twice).
SHOWN_WHOLE = {
    "/indicators/{code}",
    "/proposals/{proposal_id}",
    "/comments/{comment_id}",
    "/rounds/{ref:path}",
    "/responses",
    "/sections/{code}",
    "/meetings/{meeting_id}",
    "/cases/{case_id}",
}


@pytest.mark.parametrize("email", [EVE, World.secretariat, World.chair])
def test_every_page_shows_the_payloads_as_text(
    app: FastAPI, client: TestClient, hostile: Hostile, email: str
) -> None:
    log_in(client, email)
    pages = shown = 0
    for path in _page_routes(app):
        for query in ["", *EXTRA.get(path, [])]:
            url = _fill(path, hostile) + ("?" + _fill(query, hostile) if query else "")
            response = client.get(url, follow_redirects=False)
            assert response.status_code < 500, (url, response.text[:300])
            if "html" not in response.headers.get("content-type", ""):
                continue
            problems, text = scan(response.text)
            assert problems == [], (url, problems)
            if "ZZP" in text:  # where a payload shows, its template syntax is never run
                assert "{{7*7}}" in text, url
            if path in SHOWN_WHOLE and response.status_code == 200 and not query:
                assert XSS in text, f"{url} does not show the payload exactly as typed"
                shown += 1
            pages += 1
    assert pages > 25
    assert shown > 0, "no page that shows the payload whole answered: nothing was checked"


def _docx_text(data: bytes) -> tuple[str, list[str]]:
    """All the text of a .docx, and any element a payload smuggled into its XML."""
    texts, smuggled = [], []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if not name.endswith(".xml"):
                continue
            root = etree.fromstring(z.read(name))  # well-formed, or this raises
            for el in root.iter():
                tag = el.tag if isinstance(el.tag, str) else ""
                local = tag.rsplit("}", 1)[-1]
                if local in ("script", "img", "svg", "zzinjected") and not tag.startswith("{http"):
                    smuggled.append(tag)
                if tag == f"{W}t" and el.text:
                    texts.append(el.text)
    return "".join(texts), smuggled


@pytest.mark.parametrize("variant", ["clean", "redline", "compilation", "responses"])
def test_every_word_export_carries_the_payloads_as_text(
    client: TestClient,
    hostile: Hostile,
    world: World,
    database: Database,
    clock: Clock,
    variant: str,
) -> None:
    headers = bearer(token_for(database, world.member, clock.now))
    response = client.get(
        f"/api/v1/rounds/{ROUND}/export.docx?variant={variant}&comments=true", headers=headers
    )
    assert response.status_code == 200, response.text
    text, smuggled = _docx_text(response.content)
    assert smuggled == []
    assert XSS in text


def test_json_and_csv_carry_the_payloads_unchanged(
    client: TestClient, hostile: Hostile, world: World, database: Database, clock: Clock
) -> None:
    headers = bearer(token_for(database, world.secretariat, clock.now))
    item = client.get(f"/api/v1/indicators/{hostile.indicator}", headers=headers).json()
    assert item["text"] == f"Text {XSS}"
    assert item["references"] == f"References {XSS}"
    comment = client.get(f"/api/v1/comments/{hostile.comment}", headers=headers).json()
    assert comment["body"] == f"Comment {XSS}"
    assert comment["author"] == f"Eve {XSS_NAME}"
    response = client.get(f"/api/v1/responses.csv?round={ROUND}", headers=headers)
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    cells = [c for row in rows for c in row]
    assert f"Comment {XSS}" in " ".join(cells)
    assert f"A {XSS}" in cells


def test_csv_cells_never_start_a_formula(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    with database.transaction() as s:
        make_delegation(s, ("VN", "Viet Nam"), ("ZZB", "Body"))
        make_user(s, EVE, Role.MEMBER, "VN-ZZB", now=clock.now, name="=cmd|' /C calc'!A0")
    eve = bearer(token_for(database, EVE, clock.now))
    sec = bearer(token_for(database, world.secretariat, clock.now))
    for formula in FORMULAS:
        made = _ok(
            client.post(
                "/api/v1/comments",
                json={"item": "FC-CD-01", "body": f"{formula} body"},
                headers=eve,
            )
        )
        _ok(
            client.post(
                f"/api/v1/comments/{made['id']}/answer", json={"answer": formula}, headers=sec
            )
        )
        _ok(
            client.post(
                "/api/v1/proposals",
                json={
                    "kind": "delete",
                    "targets": ["FC-DR-01"],
                    "rationale": formula,
                    "submit": False,
                },
                headers=eve,
            )
        )
    response = client.get("/api/v1/responses.csv", headers=eve)
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 1 + len(FORMULAS)
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), (cell, row)
    assert any(cell.startswith("'=HYPERLINK") for row in rows for cell in row)
    assert any(cell == "'=cmd|' /C calc'!A0" for row in rows for cell in row)


# --- SQL metacharacters, NUL, long strings ------------------------------------------------------


def test_sql_metacharacters_are_plain_text(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    sec = bearer(token_for(database, world.secretariat, clock.now))
    made = _ok(
        client.post(
            "/api/v1/indicators",
            json={"dimension": "CD", "text": SQL, "guidance": SQL, "reason": SQL},
            headers=sec,
        )
    )
    assert client.get(f"/api/v1/indicators/{made['code']}", headers=sec).json()["text"] == SQL
    with database.transaction(write=False) as s:
        assert (s.scalar(select(func.count()).select_from(Item)) or 0) == 5
    # Wildcards are letters in a search, not patterns.
    for q, hits in (("%", 1), ("_", 1), ("\\", 1), ("'", 1), ("' OR '1'='1", 0), ("%%%%", 0)):
        found = client.get("/api/v1/indicators", params={"q": q}, headers=sec).json()
        assert found["count"] == hits, (q, found["count"])
    # A code, symbol or item filter that is SQL names nothing (404); a delegation filter that is
    # SQL matches nothing.
    for path, status in (
        ("/api/v1/indicators/' OR '1'='1", 404),
        ("/api/v1/indicators/%25", 404),
        ("/api/v1/rounds/' OR 1=1 --", 404),
        ("/api/v1/proposals?delegation=' OR 1=1 --", 200),
        ("/api/v1/comments?item=%25", 404),
    ):
        response = client.get(path, headers=sec)
        assert response.status_code == status, (path, response.text)
        if status == 200:
            assert response.json()["count"] == 0, (path, response.text)


NUL_WRITES: list[tuple[str, str, str, dict[str, Any], str]] = [
    ("sec", "POST", "/indicators", {"dimension": "CD", "text": "a\x00b", "reason": "r"}, "text"),
    ("sec", "POST", "/rounds", {"symbol": "R-N", "title": "t\x00"}, "title"),
    ("ph", "POST", "/comments", {"item": "FC-CD-01", "body": "\x00"}, "body"),
    (
        "ph",
        "POST",
        "/proposals",
        {"kind": "amend", "targets": ["FC-CD-01"], "content": {"guidance": "g\x00"}},
        "guidance",
    ),
    (
        "ph",
        "POST",
        "/positions",
        {"item": "FC-CD-01", "stance": "support", "statement": "\x00"},
        "statement",
    ),
]


def test_a_nul_byte_is_a_clear_422_naming_the_field(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    tokens = {
        "sec": bearer(token_for(database, world.secretariat, clock.now)),
        "ph": bearer(token_for(database, world.member, clock.now)),
    }
    for who, method, path, body, field in NUL_WRITES:
        response = client.request(method, f"/api/v1{path}", json=body, headers=tokens[who])
        assert response.status_code == 422, (path, response.text)
        assert response.json()["field"] == field, response.json()
        assert "NUL" in response.json()["detail"]
    # A form the same way, on both engines alike.
    csrf = log_in(client, world.member)
    page = client.post(
        "/comments",
        data={"csrf_token": csrf, "item": "FC-CD-01", "body": "a\x00b", "kind": "general"},
    )
    assert page.status_code == 422
    assert "NUL" in page.text and "body" in page.text
    # Nothing was written.
    assert client.get("/api/v1/comments?item=FC-CD-01", headers=tokens["ph"]).json() == []


def _limits(model: Any) -> dict[str, int]:
    out = {}
    for name, info in model.model_fields.items():
        for meta in info.metadata:
            if getattr(meta, "max_length", None) and info.annotation in (str, str | None):
                out[name] = meta.max_length
    return out


def test_over_long_strings_are_refused_naming_the_field_and_the_longest_is_kept_exactly(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    sec = bearer(token_for(database, world.secretariat, clock.now))
    limits = {
        k: v
        for k, v in _limits(IndicatorCreate).items()
        if k not in ("dimension", "code", "delegation")
    }
    assert {"text", "guidance", "references", "rationale", "reason"} <= set(limits)
    base = {"dimension": "CD", "text": "t", "reason": "r"}
    for name, limit in limits.items():
        too_long = client.post(
            "/api/v1/indicators", json=base | {name: "ก" * (limit + 1)}, headers=sec
        )
        assert too_long.status_code == 422, (name, too_long.text)
        assert too_long.json()["field"] == name
    longest = {name: ("ก่" * limit)[:limit] for name, limit in limits.items()}
    made = _ok(client.post("/api/v1/indicators", json=base | longest, headers=sec))
    stored = client.get(f"/api/v1/indicators/{made['code']}", headers=sec).json()
    for name, value in longest.items():
        if name != "reason":
            assert stored[name] == value, name
    ph = bearer(token_for(database, world.member, clock.now))
    for path, body, name, limit in (
        ("/comments", {"item": "FC-CD-01"}, "body", 20000),
        ("/positions", {"item": "FC-CD-01", "stance": "support"}, "statement", 5000),
        ("/proposals", {"kind": "delete", "targets": ["FC-DR-01"]}, "rationale", 20000),
    ):
        response = client.post(f"/api/v1{path}", json=body | {name: "x" * (limit + 1)}, headers=ph)
        assert response.status_code == 422, (path, response.text)
        assert response.json()["field"] == name
        assert (
            client.post(f"/api/v1{path}", json=body | {name: "x" * limit}, headers=ph).status_code
            == 201
        )
    for body, name in (
        ({"symbol": "R-L", "title": "x" * 301}, "title"),
        ({"symbol": "R" * 65, "title": "t"}, "symbol"),
    ):
        response = client.post("/api/v1/rounds", json=body, headers=sec)
        assert response.status_code == 422 and response.json()["field"] == name


# --- download names and headers ------------------------------------------------------------------


def test_a_symbol_with_line_breaks_or_quotes_is_refused_by_api_and_form(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    sec = bearer(token_for(database, world.secretariat, clock.now))
    for symbol in ("R-1\r\nSet-Cookie: a=b", 'R-1"; filename="x.exe', "R-1\x00"):
        response = client.post("/api/v1/rounds", json={"symbol": symbol, "title": "t"}, headers=sec)
        assert response.status_code == 422 and response.json()["field"] == "symbol"
    csrf = log_in(client, world.secretariat)
    form = client.post(
        "/rounds/new",
        data={
            "csrf_token": csrf,
            "symbol": "R-1\r\nSet-Cookie: a=b",
            "title": "t",
            "kind": "written",
            "time_zone": "Asia/Jakarta",
        },
        follow_redirects=False,
    )
    assert form.status_code == 422
    assert client.get("/api/v1/rounds", headers=sec).json() == []


def test_csv_download_name_is_one_safe_header(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    headers = bearer(token_for(database, world.member, clock.now))
    response = client.get("/api/v1/responses.csv", headers=headers)
    values = response.headers.get_list("content-disposition")
    assert len(values) == 1
    assert re.fullmatch(r'attachment; filename="[A-Za-z0-9._-]+\.csv"', values[0])


def _check_security_headers(response: Any, *, no_store: bool) -> None:
    h = response.headers
    where = (response.request.method, str(response.request.url), response.status_code)
    assert "frame-ancestors 'none'" in h.get("content-security-policy", ""), where
    assert "default-src 'self'" in h["content-security-policy"], where
    assert h.get("x-content-type-options") == "nosniff", where
    assert h.get("x-frame-options") == "DENY", where
    assert h.get("referrer-policy") in ("same-origin", "no-referrer", "strict-origin"), where
    if no_store:
        assert "no-store" in h.get("cache-control", ""), where


def test_security_headers_on_every_kind_of_response(
    client: TestClient, world: World, database: Database, clock: Clock, hostile: Hostile
) -> None:
    token = bearer(token_for(database, world.member, clock.now))
    anonymous = [
        ("GET", "/login"),
        ("GET", "/register"),  # redirect to log in
        ("GET", "/nope"),  # 404 page
        ("GET", "/api/v1/nope"),  # 404 JSON
        ("GET", "/api/v1/indicators"),  # 401
        ("DELETE", "/login"),  # 405
        ("GET", "/openapi.json"),
        ("GET", "/docs"),
        ("GET", "/healthz"),
    ]
    for method, path in anonymous:
        _check_security_headers(client.request(method, path, follow_redirects=False), no_store=True)
    static = client.get("/static/site.css")
    assert static.status_code == 200
    _check_security_headers(static, no_store=False)
    authenticated = [
        ("GET", f"/api/v1/proposals/{hostile.proposal}", None),
        ("GET", f"/api/v1/rounds/{ROUND}/export.docx?variant=clean", None),
        ("GET", "/api/v1/responses.csv", None),
        ("GET", "/api/v1/proposals/999999", None),  # 404
        ("POST", "/api/v1/indicators", {"text": "x"}),  # 403
        ("POST", "/api/v1/comments", {"nonsense": 1}),  # 422
        ("POST", "/api/v1/rounds/compare", None),  # 405
    ]
    for method, path, body in authenticated:
        response = client.request(method, path, json=body, headers=token)
        _check_security_headers(response, no_store=True)
    log_in(client, world.member)
    for path in (
        f"/proposals/{hostile.proposal}",
        f"/indicators/{hostile.indicator}",
        f"/rounds/{ROUND}/export?variant=clean",
        "/proposals/999999",
        "/account",
    ):
        _check_security_headers(client.get(path, follow_redirects=False), no_store=True)
