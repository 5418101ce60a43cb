"""Routing without a walk through every route: the app's routes indexed by their literal start.

Starlette (and FastAPI's router, which copies its loop) matches a request by trying every route
in order until one matches: a regular expression and scope bookkeeping a route, ~3 us each, so a
page late in the list (the register, a round's pages) paid about 1 ms before its own code ran.

A route can only match a path that begins with the route's literal segments (those before its
first path parameter: `/api/v1/items/{code}` -> api, v1, items; a mount's path likewise). Here
the routes are grouped once by those segments (up to `DEPTH` of them), and a request is matched
by the router's own code against the group its path's first segments select: every route that
could match the path, in the app's order, and none that could not. FULL then PARTIAL (405),
HEAD, path parameters, mounts, the trailing-slash redirect (which changes only the last
segment's trailing slash) and the 404 are therefore decided by the same code on the same
routes as before. Anything this does not understand (a route without a path, a path that does
not start with '/') is matched against the whole list, as before.
"""

from __future__ import annotations

import copy

from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Mount, Route, Router, WebSocketRoute
from starlette.types import Receive, Scope, Send

# How many leading literal segments index a route (/api/v1/<resource>: three tell apart the API).
DEPTH = 3


def literal_start(route: BaseRoute) -> tuple[str, ...]:
    """The leading segments every path this route can match starts with ("" for none known)."""
    if not isinstance(route, Route | WebSocketRoute | Mount):
        return ()  # Host, or a route type not known here: a candidate for every path.
    path = route.path
    if not path.startswith("/"):
        return ()
    out: list[str] = []
    for segment in path[1:].split("/")[:DEPTH]:
        # An empty segment ('/a/', '/a//b') or one holding a parameter ends what is literal;
        # stopping at an empty one keeps '/a/' a candidate for '/a' (its slash redirect).
        if not segment or "{" in segment:
            break
        out.append(segment)
    return tuple(out)


class RouteIndex:
    """The router's routes grouped by literal start; `candidates` gives a path's group."""

    def __init__(self, routes: list[BaseRoute]) -> None:
        starts = [literal_start(route) for route in routes]
        keys = {start[:n] for start in starts for n in range(len(start) + 1)}
        # For each key, the routes whose literal start is a prefix of it (so they may match a
        # path beginning with the key), in the routes' order.
        self.groups: dict[tuple[str, ...], list[BaseRoute]] = {
            key: [
                route
                for route, start in zip(routes, starts, strict=True)
                if key[: len(start)] == start
            ]
            for key in keys
        }

    def candidates(self, route_path: str) -> list[BaseRoute] | None:
        """Every route that could match route_path, in order; None when not known (use all)."""
        if not route_path.startswith("/"):
            return None
        segments = tuple(route_path[1:].split("/", DEPTH)[:DEPTH])
        groups = self.groups
        # The longest leading part of the path that is a key: every route whose literal start
        # is a prefix of the path has its start among the keys, so it is in that key's group.
        for n in range(len(segments), -1, -1):
            group = groups.get(segments[:n])
            if group is not None:
                return group
        return None  # pragma: no cover - the empty key is always present


class IndexedRouting:
    """The router's matching (Router.app), run on the request path's group of routes only.

    Installed as the router's middleware_stack (what Router.__call__ runs). Each group is a
    shallow copy of the router whose `routes` is the group, so the matching loop, the 405,
    the redirect and the 404 are the router's own code; `scope["router"]` stays the real
    router (url_for sees every route). The index is rebuilt if routes are added later."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self._built_for: tuple[int, int] | None = None
        self._views: dict[int, Router] = {}
        self._index: RouteIndex | None = None

    def _build(self) -> RouteIndex:
        routes = self.router.routes
        index = RouteIndex(routes)
        views: dict[int, Router] = {}
        for group in index.groups.values():
            if id(group) not in views:
                view = copy.copy(self.router)
                view.routes = group
                views[id(group)] = view
        self._index, self._views = index, views
        self._built_for = (id(routes), len(routes))
        return index

    def index(self) -> RouteIndex:
        routes = self.router.routes
        if self._index is None or self._built_for != (id(routes), len(routes)):
            return self._build()
        return self._index

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            group = self.index().candidates(get_route_path(scope))
            if group is not None:
                scope.setdefault("router", self.router)
                await self._views[id(group)].app(scope, receive, send)
                return
        await self.router.app(scope, receive, send)


def install(router: Router) -> IndexedRouting:
    """Match the router's requests through an index of its routes (see IndexedRouting)."""
    indexed = IndexedRouting(router)
    router.middleware_stack = indexed
    return indexed
