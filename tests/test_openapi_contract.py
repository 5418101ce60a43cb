"""The OpenAPI documents every status an operation can answer.

Walks the app's own OpenAPI and, beside it, each operation's route and dependencies, and derives
the error statuses the operation can answer from what it takes:

- every operation behind a permission check: 401 (no or bad credentials) and 403 (role);
- every operation of the JSON API: 422 (invalid input; also numbers and dates out of range);
- every operation that reads the database (all of them): 503 (database unavailable);
- a path parameter naming an object: 404; so does a body field or a filter naming one;
- If-Match: 412 (stale version) and 428 (If-Match missing), unless If-Match is optional there;
- If-None-Match: 304;
- every write: 409 (state conflicts, and the answer to a write racing another one) and 413
  (a write reads a body, if only a form with the CSRF token, and bodies have a size limit).

Every documented error uses the one error shape (ErrorOut) as JSON. A new operation that leaves
any of these out fails here, with the list of what is missing.
"""

from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, FastAPI, Header
from fastapi.routing import APIRoute

from app.accounts.permissions import Action
from app.config import Settings
from app.main import create_app
from app.web.api_common import api_router, errors
from app.web.deps import Allow, DbRoute, all_routes, get_db, route_permission

# Operations that take If-Match but do not require it, and why 428 cannot happen there.
OPTIONAL_IF_MATCH = {
    "POST /api/v1/proposals/{proposal_id}/submit": (
        "submitting changes no text, so If-Match only guards against submitting a draft that "
        "changed since it was read; without it the current draft is submitted"
    ),
}
# Operations outside any permission check, and why.
PUBLIC = {
    "GET /healthz": "liveness probe for the load balancer; it shows nothing",
    "GET /readyz": "readiness probe for the load balancer; it shows the schema revision only",
}
# Operations that never touch the database, and why.
NO_DATABASE = {"GET /healthz": "liveness: the process answers, whatever the database does"}
# Body fields and filters that name another object: an unknown one is a 404.
BODY_REFERENCES = {"item", "proposal_id", "parent_id", "targets", "merged_into", "dimension"}
QUERY_REFERENCES = {"item", "proposal_id", "round"}
WRITES = {"post", "put", "patch", "delete"}
ERROR_SCHEMA = "#/components/schemas/ErrorOut"


def _spec_and_routes(app: FastAPI) -> tuple[dict[str, Any], dict[str, APIRoute]]:
    routes = {
        f"{method} {route.path_format}": route
        for route in all_routes(app.routes)
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    return app.openapi(), routes


def _uses(dependant: Any, call: Any) -> bool:
    return dependant.call is call or any(_uses(d, call) for d in dependant.dependencies)


def _body_fields(spec: dict[str, Any], operation: dict[str, Any]) -> set[str]:
    fields: set[str] = set()
    for media in operation.get("requestBody", {}).get("content", {}).values():
        schema = media.get("schema", {})
        ref = schema.get("$ref", "")
        if ref:
            schema = spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]
        fields |= set(schema.get("properties", {}))
    return fields


def expected_statuses(
    spec: dict[str, Any], routes: dict[str, APIRoute], path: str, method: str
) -> dict[int, str]:
    """The error statuses an operation must document, each with the reason it can happen."""
    label = f"{method.upper()} {path}"
    operation = spec["paths"][path][method]
    route = routes[label]
    params = {(p["in"], p["name"].lower()) for p in operation.get("parameters", [])}
    expected: dict[int, str] = {}
    if route_permission(route) is not None:
        expected[401] = "behind a permission check: no or bad credentials"
        expected[403] = "behind a permission check: a role that may not"
    elif label not in PUBLIC:
        expected[401] = "has no permission check and is not listed as public"
    if path.startswith("/api/"):
        expected[422] = "every API operation validates its input"
    if _uses(route.dependant, get_db):
        expected[503] = "opens a database session"
    elif label not in NO_DATABASE:
        expected[503] = "reads the database (directly) and is not listed as not touching it"
    if any(where == "path" for where, _ in params):
        expected[404] = "a path parameter names an object"
    if _body_fields(spec, operation) & BODY_REFERENCES:
        expected[404] = "a body field names another object"
    if {name for where, name in params if where == "query"} & QUERY_REFERENCES:
        expected[404] = "a filter names an object"
    if ("header", "if-match") in params:
        expected[412] = "takes If-Match"
        if label not in OPTIONAL_IF_MATCH:
            expected[428] = "requires If-Match"
    if ("header", "if-none-match") in params:
        expected[304] = "takes If-None-Match"
    if method in WRITES:
        expected[409] = "a write: state conflicts, and writes racing each other"
        expected[413] = "a write reads a body (its own, or a form with the CSRF token): size limit"
    return expected


def contract_problems(app: FastAPI) -> list[str]:
    spec, routes = _spec_and_routes(app)
    problems = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            label = f"{method.upper()} {path}"
            documented = operation.get("responses", {})
            for status, why in sorted(expected_statuses(spec, routes, path, method).items()):
                if str(status) not in documented:
                    problems.append(f"{label}: does not document {status} ({why})")
            for status, response in documented.items():
                if not status.startswith(("4", "5")):
                    continue
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                if schema != {"$ref": ERROR_SCHEMA}:
                    problems.append(f"{label}: {status} is not documented as ErrorOut JSON")
    return problems


@pytest.fixture(scope="module")
def contract_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    # The OpenAPI needs no database: the engine is created but never connected.
    folder: Path = tmp_path_factory.mktemp("contract")
    return create_app(
        Settings(
            mode="test",
            database_url=f"sqlite:///{folder / 'unused.sqlite3'}",
            data_dir=folder,
            secret_key="test-secret-key-that-is-long-enough-0123456789",
        )
    )


def test_every_operation_documents_every_status_it_can_answer(contract_app: FastAPI) -> None:
    problems = contract_problems(contract_app)
    assert not problems, "\n".join(problems)


def test_the_contract_covers_every_operation_of_the_api(contract_app: FastAPI) -> None:
    spec, routes = _spec_and_routes(contract_app)
    labels = {f"{m.upper()} {p}" for p, item in spec["paths"].items() for m in item}
    api_routes = {label for label in routes if label.split(" ", 1)[1].startswith("/api/")}
    # Every JSON route is in the OpenAPI (none hidden with include_in_schema=False), so the
    # walk above and schemathesis see them all.
    assert api_routes - {lb for lb in api_routes if lb.startswith(("HEAD ", "OPTIONS "))} <= labels
    assert len([lb for lb in labels if lb.split(" ", 1)[1].startswith("/api/v1/")]) >= 60
    for label in [*OPTIONAL_IF_MATCH, *PUBLIC, *NO_DATABASE]:
        assert label in labels, f"{label} is listed as an exception but no longer exists"


def test_an_undocumented_operation_fails_the_contract() -> None:
    # A new operation written without thinking about its errors, on a router of its own
    # rather than api_router(), beside a documented one.
    careless_router = APIRouter(prefix="/api/v1/probe", route_class=DbRoute)

    @careless_router.patch("/{thing_id}")
    def careless(
        thing_id: int,
        if_match: Annotated[str | None, Header()] = None,
        _: Any = Allow(Action.EDIT_ITEM),
    ) -> dict[str, int]:
        return {"id": thing_id}

    router = api_router("/probe", "probe")

    @router.patch("/{thing_id}/careful", responses=errors(404, 412, 428))
    def careful(
        thing_id: int,
        if_match: Annotated[str | None, Header()] = None,
        _: Any = Allow(Action.EDIT_ITEM),
    ) -> dict[str, int]:
        return {"id": thing_id}

    probe = FastAPI()
    probe.include_router(careless_router)
    probe.include_router(router)
    problems = contract_problems(probe)
    careless_problems = [p for p in problems if p.startswith("PATCH /api/v1/probe/{thing_id}:")]
    missing = {
        int(p.split("does not document ")[1][:3]) for p in careless_problems if "does not" in p
    }
    assert missing == {401, 403, 404, 409, 412, 413, 428, 503}, problems
    # FastAPI's own 422 (HTTPValidationError) is not the app's error shape.
    assert "PATCH /api/v1/probe/{thing_id}: 422 is not documented as ErrorOut JSON" in problems
    assert len(problems) == len(careless_problems), problems
