"""The request's session is ended at one point (app/web/deps.py DbRoute): a success or a
redirect commits it, a refusal (4xx) or a failure (5xx), raised or returned, rolls it back, so a
handler that shows a form again after a refused use case never keeps half a change."""

import ast
from pathlib import Path

import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.audit.service import Actor, record
from app.db import Database
from app.errors import Conflict
from app.models import Body
from app.web.deps import DbRoute, DbSession, keep_writes
from tests.factories import World


def _rename(db: DbSession, name: str) -> None:
    db.scalars(select(Body).where(Body.code == "SOMTC")).one().name = name
    record(db, Actor.system("test"), action="body.rename", object_type="body", object_id="SOMTC")
    db.flush()


@pytest.fixture
def probe(app: FastAPI) -> TestClient:
    router = APIRouter(route_class=DbRoute)

    @router.post("/_probe/{outcome}")
    def write_then_answer(outcome: str, request: Request, db: DbSession) -> Response:
        _rename(db, f"Renamed, then {outcome}")
        if outcome == "raised":
            raise Conflict("refused after writing")
        if outcome == "kept":
            keep_writes(request)
        status = {"ok": 200, "redirect": 303, "refused": 422, "kept": 429, "failed": 500}
        if outcome == "redirect":
            return RedirectResponse("/register", status_code=303)
        return JSONResponse({"outcome": outcome}, status_code=status[outcome])

    app.include_router(router)
    return TestClient(app, base_url="http://testserver", raise_server_exceptions=False)


def _name(database: Database) -> str:
    with database.transaction(write=False) as s:
        return s.scalars(select(Body.name).where(Body.code == "SOMTC")).one()


@pytest.mark.parametrize(
    ("outcome", "status", "kept"),
    [
        ("ok", 200, True),
        ("redirect", 303, True),
        ("refused", 422, False),
        ("raised", 409, False),
        ("failed", 500, False),
        ("kept", 429, True),
    ],
)
def test_an_answer_commits_only_a_success_or_a_redirect(
    probe: TestClient, database: Database, world: World, outcome: str, status: int, kept: bool
) -> None:
    before = _name(database)
    answer = probe.post(f"/_probe/{outcome}", follow_redirects=False)
    assert answer.status_code == status
    assert _name(database) == (f"Renamed, then {outcome}" if kept else before)


APP = Path(__file__).resolve().parent.parent / "app"


def _route_modules() -> list[Path]:
    """Every module that declares routes (a router's decorator)."""
    return sorted(p for p in APP.rglob("*.py") if "@router." in p.read_text(encoding="utf-8"))


def test_no_handler_rolls_back_itself() -> None:
    """DbRoute ends the transaction; a page shown again beside a refusal drops what the refused
    use case wrote through RequestContext.discard_refused(), never through rollback() of its
    own (eight handlers had come to do that, each its own way)."""
    found = [
        f"{path.relative_to(APP.parent)}:{node.lineno}"
        for path in _route_modules()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and node.attr == "rollback"
    ]
    assert len(_route_modules()) > 20
    assert found == []
