"""Every request counted and timed by its route's template, and, with JSON logs, one line each."""

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.ops import logs, metrics

request_log = logging.getLogger(logs.REQUEST_LOGGER)


def _label(scope: Scope) -> str:
    """The route's template; never the raw path (a label per path would grow without end)."""
    route = logs.route_of(scope)
    if route is not None:
        return route
    return "/static" if scope["path"].startswith("/static/") else "<unmatched>"


class RequestMetrics:
    def __init__(self, app: ASGIApp, log_requests: bool = False) -> None:
        self.app = app
        self.log_requests = log_requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        token = logs.current.set(scope)

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            elapsed = time.perf_counter() - started
            route, method = _label(scope), scope["method"]
            metrics.REQUESTS.labels(method, route, str(status)).inc()
            metrics.LATENCY.labels(method, route).observe(elapsed)
            if self.log_requests:
                request_log.info(
                    "%s %s %d",
                    method,
                    route,
                    status,
                    extra={
                        "fields": {
                            "method": method,
                            "status": status,
                            "duration_ms": round(elapsed * 1000, 1),
                        }
                    },
                )
            logs.current.reset(token)
