"""/healthz, /readyz and /metrics, for the proxy, the orchestrator and Prometheus."""

from typing import Annotated

from fastapi import APIRouter, FastAPI, Header, Request
from fastapi.responses import JSONResponse, Response

from app import signing
from app.config import Settings
from app.db import Database
from app.ops import logs, metrics, service
from app.ops.middleware import RequestMetrics
from app.web.api_common import ERRORS

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness: the process answers. Touches nothing else (not the database), so a database
    outage does not get every instance restarted."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: ERRORS[503]})
def readyz(request: Request) -> Response:
    """Readiness: the database answers and its schema is at this code's revision; 503 with the
    reason otherwise (the proxy then sends requests to the other instances)."""
    database: Database = request.app.state.database
    ready = service.readiness(database, request.app.state.schema_head)
    if not ready.ready:
        return JSONResponse(
            {"error": "unavailable", "detail": ready.reason, "revision": ready.revision},
            status_code=503,
            headers={"Retry-After": "5"},
        )
    return JSONResponse({"status": "ready", "revision": ready.revision})


@router.get("/metrics", include_in_schema=False)
def prometheus(request: Request, authorization: Annotated[str | None, Header()] = None) -> Response:
    """Prometheus text, only to `Authorization: Bearer <ZERODRAFT_METRICS_TOKEN>`; without a
    token configured the address does not exist (404)."""
    settings: Settings = request.app.state.settings
    expected = settings.metrics_token
    if not expected:
        return JSONResponse({"error": "not_found", "detail": "Not Found"}, status_code=404)
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not signing.equal(given.strip(), expected):
        return JSONResponse(
            {"error": "not_authenticated", "detail": "a valid metrics token is required"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    reader = metrics.outbox_reader(request.app.state.database, request.app.state.clock)
    return Response(metrics.render(reader), media_type=metrics.CONTENT_TYPE)


def install(app: FastAPI) -> None:
    """The probes, the metrics and the JSON logs. Call before the other middleware, so that
    this one runs inside them (it reads the request id they set)."""
    settings: Settings = app.state.settings
    database: Database = app.state.database
    logs.configure(settings.log_format)
    app.state.schema_head = service.head_or_none(database.url)
    metrics.watch_pool(database.engine, database.engine.pool.size())  # type: ignore[attr-defined]
    app.add_middleware(RequestMetrics, log_requests=settings.log_format == "json")
    app.include_router(router)
