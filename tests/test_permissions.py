"""Every route is guarded by the permission table, and each role may do exactly what it should."""

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route

from app.accounts.permissions import PERMISSIONS, Action
from app.db import Database
from app.models import Role
from app.web.deps import all_routes, route_permission
from tests.conftest import Clock
from tests.factories import World, bearer, token_for

# Routes anyone may reach without logging in.
PUBLIC = {
    ("GET", "/"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/healthz"),
}
FRAMEWORK = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/static"}


def test_every_route_has_a_permission_check(app: FastAPI) -> None:
    unguarded = []
    used: set[Action] = set()
    for route in all_routes(app.routes):
        if isinstance(route, APIRoute):
            action = route_permission(route)
            if action is None:
                unguarded += [
                    (m, route.path) for m in sorted(route.methods) if (m, route.path) not in PUBLIC
                ]
            else:
                used.add(action)
        elif isinstance(route, Route | Mount):
            assert route.path in FRAMEWORK, f"unexpected non-API route {route.path}"
    assert unguarded == [], f"routes without Allow(...): {unguarded}"
    assert used == set(PERMISSIONS), f"actions no route uses: {set(PERMISSIONS) - used}"


# What each role may do, stated here on its own so that a change to the table is deliberate.
MAY = {
    Action.READ_REGISTER: {"member", "secretariat", "chair", "observer", "admin"},
    Action.CREATE_ITEM: {"secretariat"},
    Action.EDIT_ITEM: {"secretariat"},
    Action.READ_GROUP: {"member", "secretariat", "chair", "observer", "admin"},
    Action.READ_OWN_ACCOUNT: {"member", "secretariat", "chair", "observer", "admin"},
    Action.MANAGE_OWN_TOKENS: {"member", "secretariat", "chair", "observer", "admin"},
}

REQUESTS: dict[Action, tuple[str, str, dict[str, object] | None, dict[str, str]]] = {
    Action.READ_REGISTER: ("GET", "/api/v1/indicators", None, {}),
    Action.CREATE_ITEM: (
        "POST",
        "/api/v1/indicators",
        {"dimension": "CD", "text": "Debt bondage imposed on arrival", "reason": "r"},
        {},
    ),
    Action.EDIT_ITEM: (
        "PATCH",
        "/api/v1/indicators/FC-CD-01",
        {"text": "Passport taken", "reason": "r"},
        {"If-Match": "1"},
    ),
    Action.READ_GROUP: ("GET", "/api/v1/delegations", None, {}),
    Action.READ_OWN_ACCOUNT: ("GET", "/api/v1/me", None, {}),
    Action.MANAGE_OWN_TOKENS: ("GET", "/api/v1/me/tokens", None, {}),
}


def test_the_matrix_covers_every_action() -> None:
    assert set(MAY) == set(PERMISSIONS) == set(REQUESTS)
    for action, roles in MAY.items():
        assert {r.value for r in PERMISSIONS[action]} == roles, action


EMAILS = {
    "member": World.member,
    "secretariat": World.secretariat,
    "chair": World.chair,
    "observer": World.observer,
    "admin": World.admin,
}


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", [r.value for r in Role])
def test_role_may_or_may_not(
    action: Action, role: str, client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    headers = bearer(token_for(database, EMAILS[role], clock.now))
    method, path, body, extra = REQUESTS[action]
    response = client.request(method, path, json=body, headers=headers | extra)
    if role in MAY[action]:
        assert response.status_code < 400, response.text
    else:
        assert response.status_code == 403, response.text
        assert role in response.json()["detail"]
