"""Routing through the index of routes (app/web/routing.py) chooses what Starlette's own walk
through every route chooses: the same route (so the same 405), the same slash redirect, the same
404, for every route of the app and for paths that match none."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.convertors import FloatConvertor, IntegerConvertor, PathConvertor, UUIDConvertor
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

from app.web import routing

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

NOT_ROUTES = (
    "/",
    "//",
    "/nope",
    "/nope/",
    "/api",
    "/api/",
    "/api/v1",
    "/api/v1/",
    "/api/v1/nope",
    "/api/v2/items",
    "/static",
    "/static/",
    "/static/admin.css",
    "/static/nope.css",
    "/register/",
    "/register//",
    "/rounds",
    "/rounds/",
    "/rounds/R1/approve/",
    "/rounds/R1/nope/deeper/still",
    "/indicators/similar",
    "/api/v1/indicators/similar",
    "/a b",
    "/%2F",
)


def _value(convertor: Any, variant: int) -> str:
    if isinstance(convertor, IntegerConvertor):
        return ("7", "0", "123456")[variant]
    if isinstance(convertor, FloatConvertor):
        return ("1.5", "0", "2")[variant]
    if isinstance(convertor, UUIDConvertor):
        return str(uuid.UUID(int=variant + 1))
    if isinstance(convertor, PathConvertor):
        return ("a/b", "x", "approve/c")[variant]
    return ("x1", "similar", "7")[variant]


def _paths(route: BaseRoute) -> set[str]:
    if not isinstance(route, Route | WebSocketRoute | Mount):
        # A router included the nested way (the ops routes): its own routes' paths (its prefix
        # is empty); the index puts it among every path's candidates.
        inner = route.original_router  # type: ignore[attr-defined]
        assert inner.prefix == ""
        return set().union(*(_paths(r) for r in inner.routes))
    out = set()
    for variant in range(3):
        path = route.path_format
        for name, convertor in route.param_convertors.items():
            path = path.replace("{" + name + "}", _value(convertor, variant))
        if isinstance(route, Mount):
            path = path.replace("/{path}", "/" + ("admin.css", "", "x/y")[variant])
        out |= {path, path.rstrip("/") or "/", path + "/", path + "/more"}
    return out


class Recorder:
    """Every route's handle replaced by one that notes which route was chosen and its path
    parameters (instance attributes, removed by close)."""

    def __init__(self, app: FastAPI) -> None:
        self.routes = app.router.routes
        self.chosen: list[tuple[int, dict[str, Any]]] = []
        for i, route in enumerate(self.routes):
            assert "handle" not in route.__dict__
            route.handle = self._handle(i)  # type: ignore[method-assign]

    def _handle(self, index: int) -> Any:
        async def handle(scope: dict[str, Any], receive: Any, send: Any) -> None:
            self.chosen.append((index, dict(scope.get("path_params", {}))))

        return handle

    def close(self) -> None:
        for route in self.routes:
            del route.handle

    async def outcome(
        self, call: Any, method: str, path: str, kind: str = "http"
    ) -> tuple[Any, ...]:
        self.chosen = []
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b""}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope: dict[str, Any] = {
            "type": kind,
            "method": method,
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"testserver")],
            "scheme": "http",
            "server": ("testserver", 80),
        }
        try:
            await call(scope, receive, send)
            error = None
        except HTTPException as exc:
            error = exc.status_code
        answers = [
            (m["status"], dict(m.get("headers", [])).get(b"location"))
            for m in sent
            if m["type"] == "http.response.start"
        ]
        return (tuple(self.chosen), error, tuple(answers), scope.get("router"))


def test_the_index_chooses_what_starlette_chooses(app: FastAPI) -> None:
    indexed = app.router.middleware_stack
    assert isinstance(indexed, routing.IndexedRouting)
    paths = set(NOT_ROUTES)
    for route in app.router.routes:
        paths |= _paths(route)
    assert len(paths) > 500
    seen: set[tuple[Any, ...]] = set()

    async def compare() -> None:
        for path in sorted(paths):
            for method in METHODS:
                expected = await recorder.outcome(app.router.app, method, path)
                assert await recorder.outcome(indexed, method, path) == expected, (method, path)
                seen.add((bool(expected[0]), expected[1], expected[2][:1] and expected[2][0][0]))
            expected = await recorder.outcome(app.router.app, "GET", path, "websocket")
            assert await recorder.outcome(indexed, "GET", path, "websocket") == expected, path

    recorder = Recorder(app)
    try:
        # In a thread of its own: a browser test earlier in the same worker (Playwright's sync
        # API) can leave an event loop running in this one, where asyncio.run refuses to start.
        with ThreadPoolExecutor(1) as thread:
            thread.submit(asyncio.run, compare()).result()
    finally:
        recorder.close()
    # Not a vacuous comparison: routes chosen, slash redirects and 404s were all among them
    # (a 405 is a route chosen for a method it does not allow: its handle answers it).
    assert (True, None, ()) in seen and (False, None, 307) in seen and (False, None, 404) in seen


def test_the_index_groups_by_literal_start(app: FastAPI) -> None:
    index = routing.RouteIndex(app.router.routes)
    every = app.router.routes
    register = index.candidates("/register")
    item = index.candidates("/api/v1/indicators/X1")
    assert register is not None and item is not None
    # Far fewer than all: only routes that begin with the path's own segments (and any that
    # begin with a parameter).
    assert len(register) < len(every) / 5 and len(item) < len(every) / 5
    assert [r for r in every if r in register] == register  # the app's order
    assert index.candidates("register") is None


def test_requests_are_answered_as_before(client: TestClient) -> None:
    assert client.get("/static/admin.css").status_code == 200
    assert client.get("/static/nope.css").status_code == 404
    assert client.get("/nope").status_code == 404
    assert client.get("/api/v1/nope").status_code == 404
    assert client.delete("/register").status_code == 405
    assert client.head("/static/admin.css").status_code == 200
    moved = client.get("/register/", follow_redirects=False)
    assert moved.status_code == 307 and moved.headers["location"].endswith("/register")
    # url_for still sees every route (scope["router"] is the app's own router).
    assert client.get("/login").status_code == 200


def test_each_app_owns_its_routes_and_answers_to_its_dependency_overrides(
    app: FastAPI, settings: Any, clock: Any
) -> None:
    """The routers' routes are in each app's own list: an override set on one app applies to
    that app's routes (as with include_router), and to no other app made from the same
    routers (tests make many apps)."""
    from fastapi import HTTPException as Refused
    from fastapi.routing import APIRoute

    from app.main import create_app
    from app.web.deps import submitted_csrf

    other = create_app(settings, clock=clock)
    try:
        assert not {id(r) for r in app.router.routes} & {id(r) for r in other.router.routes}
        assert all(
            r.dependency_overrides_provider is app
            for r in app.router.routes
            if isinstance(r, APIRoute) and r.path.startswith("/api/v1/")
        )

        def refused() -> None:
            raise Refused(status_code=418)

        app.dependency_overrides[submitted_csrf] = refused
        with TestClient(app) as overridden, TestClient(other) as plain:
            assert overridden.get("/api/v1/search", params={"q": "x"}).status_code == 418
            assert plain.get("/api/v1/search", params={"q": "x"}).status_code == 401
        app.dependency_overrides.clear()
        with TestClient(app) as restored:
            assert restored.get("/api/v1/search", params={"q": "x"}).status_code == 401
    finally:
        other.state.database.dispose()
