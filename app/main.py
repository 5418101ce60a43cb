"""The application factory: routers, error handlers, middleware, static files."""

import copy
import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi._body_limit import wrap_app_with_body_limit
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute, request_response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    OperationalError,
    StatementError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette_compress import CompressMiddleware

from app.accounts import account_api, account_pages, kept_pages, password_pages, passwords
from app.accounts import api as accounts_api
from app.accounts import mfa_pages as accounts_mfa_pages
from app.accounts import pages as accounts_pages
from app.approvals import api as approvals_api
from app.approvals import pages as approvals_pages
from app.audit import api as audit_api
from app.audit import pages as audit_pages
from app.audit.guard import open_database
from app.cases import api as cases_api
from app.cases import pages as cases_pages
from app.cases.frame import CASES
from app.comments import api as comments_api
from app.comments import pages as comments_pages
from app.config import Settings, get_settings
from app.db import utcnow
from app.errors import DomainError, NotAuthenticated
from app.groups import api as groups_api
from app.groups import pages as groups_pages
from app.help import pages as help_pages
from app.imports import api as imports_api
from app.imports import pages as imports_pages
from app.mail import api as mail_api
from app.mail import pages as mail_pages
from app.meetings import api as meetings_api
from app.meetings import live as meetings_live
from app.meetings import pages as meetings_pages
from app.meetings import record_api as meeting_record_api
from app.meetings import record_pages as meeting_record_pages
from app.notifications import api as notifications_api
from app.notifications import pages as notifications_pages
from app.notifications.frame import UNREAD
from app.ops import api as ops_api
from app.people import api as people_api
from app.people import pages as people_pages
from app.proposals import api as proposals_api
from app.proposals import pages as proposals_pages
from app.rating import api as rating_api
from app.rating import pages as rating_pages
from app.register import api as register_api
from app.register import pages as register_pages
from app.responses import api as responses_api
from app.responses import pages as responses_pages
from app.rounds import api as rounds_api
from app.rounds import pages as rounds_pages
from app.rounds.banner import BANNER
from app.screening import api as screening_api
from app.screening import pages as screening_pages
from app.search import api as search_api
from app.search import pages as search_pages
from app.search import similar_api, similar_pages
from app.web import access_log, api_docs, kept, routing
from app.web.cache import new_fragments
from app.web.deps import StaleToken
from app.web.middleware import BodyLimit, RequestContext
from app.web.templating import render

log = logging.getLogger("zerodraft")
STATIC_DIR = Path(__file__).resolve().parent / "static"


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/healthz", "/readyz", "/metrics"))


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return kind in ("application/x-www-form-urlencoded", "multipart/form-data")


def _form_problem(detail: str) -> str:
    """What the form parser's refusal (Starlette's wording) means to the person who sent it.
    The parser does not say which field, so neither can this."""
    if detail.startswith(("Field exceeded maximum size", "Part exceeded maximum size")):
        kb = int("".join(c for c in detail if c.isdigit()) or 0)
        limit = f" (at most {kb // 1024} MB)" if kb and kb % 1024 == 0 else ""
        return f"a field is longer than the page accepts{limit}; shorten it and send the form again"
    if detail.startswith("Too many fields"):
        return "the form has more fields than the page accepts"
    return f"the form could not be read ({detail}); send it again from the page"


def _error_response(
    request: Request, status: int, error: str, detail: str, **extra: Any
) -> Response:
    if _wants_json(request):
        body = {"error": error, "detail": detail} | {
            k: v for k, v in extra.items() if v is not None
        }
        return JSONResponse(body, status_code=status)
    return render(
        request, "error.html", {"status": status, "error": error, "detail": detail}, status
    )


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        # A page's form that can no longer be accepted gives the person their text back.
        if isinstance(exc, StaleToken) and not _wants_json(request):
            again = await kept.expired_form(request, exc.current)
            if again is not None:
                return again
        if isinstance(exc, NotAuthenticated) and not _wants_json(request):
            kept_text = await kept.ended_session(request)
            if kept_text is not None:
                return kept_text
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        return _error_response(request, exc.status_code, exc.error, exc.detail, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        problems = []
        first_field = None
        for err in exc.errors():
            # The first element says where (body, query ...); a field may itself be "body".
            loc = [str(p) for p in err.get("loc", ())]
            if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
                loc = loc[1:]
            where = ".".join(loc) or "request"
            first_field = first_field or where
            problems.append(f"{where}: {err.get('msg', 'invalid')}")
        return _error_response(
            request, 422, "invalid", "; ".join(problems) or "invalid request", field=first_field
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 400:
            # The framework's answer to a body it cannot decode (bytes that are not UTF-8, a
            # broken form): bad input like any other, so 422. A page's form is told what is
            # wrong with the form (JSON advice would be wrong there); JSON is told to send JSON.
            if _is_form(request):
                return _error_response(request, 422, "invalid", _form_problem(str(exc.detail)))
            return _error_response(
                request,
                422,
                "invalid",
                f"the request body could not be read ({exc.detail}); send UTF-8 JSON",
                field="body",
            )
        names = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}
        return _error_response(
            request, exc.status_code, names.get(exc.status_code, "error"), str(exc.detail)
        )

    @app.exception_handler(IntegrityError)
    async def integrity_error(request: Request, exc: IntegrityError) -> Response:
        log.warning("integrity error: %s", exc.orig)
        return _error_response(
            request, 409, "conflict", "the change conflicts with data saved at the same time; retry"
        )

    @app.exception_handler(StaleDataError)
    async def raced(request: Request, exc: StaleDataError) -> Response:
        return _error_response(
            request,
            409,
            "conflict",
            "someone else changed this at the same moment; reload it and try again",
        )

    # A number or a date beyond what the database (or UTC) can hold is bad input, not a fault.
    async def out_of_range(request: Request, exc: Exception) -> Response:
        return _error_response(
            request,
            422,
            "invalid",
            "a value in the request cannot be stored: a number or date out of range, or a "
            "character the database refuses (such as NUL)",
        )

    app.add_exception_handler(OverflowError, out_of_range)
    app.add_exception_handler(DataError, out_of_range)

    @app.exception_handler(StatementError)
    async def bad_parameter(request: Request, exc: StatementError) -> Response:
        if isinstance(exc.orig, OverflowError | ValueError):
            return await out_of_range(request, exc)
        log.error("statement failed: %s", exc)
        return _error_response(request, 500, "error", "the request could not be completed")

    @app.exception_handler(OperationalError)
    async def database_down(request: Request, exc: DBAPIError) -> Response:
        log.error("database unavailable: %s", exc.orig)
        return _unavailable(request)

    # Every connection of the pool stayed busy for its whole timeout (a burst of requests):
    # the same answer, to try again shortly, not a fault.
    @app.exception_handler(PoolTimeout)
    async def pool_exhausted(request: Request, exc: PoolTimeout) -> Response:
        log.error("database pool exhausted: %s", exc)
        return _unavailable(request)

    def _unavailable(request: Request) -> Response:
        response = _error_response(
            request, 503, "unavailable", "the database is unavailable; try again in a moment"
        )
        response.headers["Retry-After"] = "5"
        return response


def _include(app: FastAPI, *routers: APIRouter) -> None:
    """The routers' routes, in this order, straight into the app's own list of routes.

    FastAPI (>= 0.160) keeps an included router nested: a request was matched against every
    router before its own, with scope bookkeeping for each of their routes, twice (to choose the
    router, then inside it), about 2 ms of CPU for a page whose router comes late (the register
    list, a round's page), more than the page's SQL. The routers here declare their prefix, tags
    and route class themselves and are included with nothing added, so their routes are the same
    routes in the app's list, matched in the same order.

    Each app gets its own copy of every route (tests make many apps from the same routers),
    answering to this app's `dependency_overrides` as an included route does: the handler is
    built again with the app as its overrides provider, as APIRoute's constructor builds it."""
    for router in routers:
        for route in router.routes:
            own = copy.copy(route)
            if isinstance(own, APIRoute):
                own.dependency_overrides_provider = app
                own.app = wrap_app_with_body_limit(
                    request_response(own.get_route_handler()), own.max_body_size
                )
            app.router.routes.append(own)


def create_app(settings: Settings | None = None, clock: Callable[[], datetime] = utcnow) -> FastAPI:
    settings = settings or get_settings()
    passwords.use(settings.password_hashing)
    database = open_database(settings)
    # Whatever serves the app (zerodraft serve, uvicorn --factory) has configured its logging
    # by now: its access log never shows the one-time links in paths.
    access_log.install()
    # Every commit that writes audit events wakes the live event streams (app/meetings/live.py).
    meetings_live.install()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Long-lived objects (routes, templates, engine) never need the cyclic collector.
        gc.freeze()
        yield
        meetings_live.stop_all(app.state)
        database.dispose()

    app = FastAPI(
        title="zerodraft",
        summary="Drafting platform of the ASEAN Drafting Working Group on forced criminality",
        version="0.1.0",
        lifespan=lifespan,
        # /docs is served from this server alone (app/web/api_docs.py); no ReDoc (it loads from
        # a CDN).
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.clock = clock
    app.state.fragments = new_fragments(settings.page_cache)
    # What every page's frame shows (app/web/frame.py): the unread count, the round's banner.
    app.state.frame_providers = [UNREAD, BANNER, CASES]
    # /healthz, /readyz, /metrics; its request metrics run inside the middleware below.
    ops_api.install(app)
    app.add_middleware(
        BodyLimit,
        upload_limit=settings.import_max_bytes,
        upload_prefixes=("/api/v1/imports", "/imports"),
    )
    app.add_middleware(RequestContext, hsts=settings.mode == "production")
    # Outermost: every text answer over 1 KB is compressed (brotli where the client accepts it,
    # else gzip), so delegates on slow connections get the 101 KB consensus page as ~5 KB with
    # or without a proxy in front. zstd stays off: not every proxy or client handles it.
    app.add_middleware(CompressMiddleware, minimum_size=1024, zstd=False)
    _install_error_handlers(app)

    _include(
        app,
        accounts_api.router,
        account_api.router,
        groups_api.router,
        people_api.router,
        # Before the rounds routers: their /rounds/{ref:path} would swallow /approval, /hash ...
        approvals_api.router,
        audit_api.router,
        # Before the register's: its /indicators/{code} would swallow /indicators/similar.
        similar_api.router,
        register_api.router,
        proposals_api.router,
        comments_api.router,
        rounds_api.router,
        responses_api.router,
        notifications_api.router,
        imports_api.router,
        mail_api.router,
        search_api.router,
        meetings_api.router,
        meeting_record_api.router,
        rating_api.router,
        cases_api.router,
        screening_api.router,
        accounts_pages.router,
        account_pages.router,
        password_pages.router,
        accounts_mfa_pages.router,
        groups_pages.router,
        people_pages.router,
        approvals_pages.router,
        audit_pages.router,
        register_pages.router,
        proposals_pages.router,
        comments_pages.router,
        notifications_pages.router,
        responses_pages.router,
        imports_pages.router,
        mail_pages.router,
        help_pages.router,
        search_pages.router,
        similar_pages.router,
        meetings_pages.router,
        meeting_record_pages.router,
        rating_pages.router,
        cases_pages.router,
        screening_pages.router,
        # Last: its /rounds/{ref:path} routes would swallow the approvals pages' .../approve.
        rounds_pages.router,
        kept_pages.router,
    )
    api_docs.install(app)
    # The app's own files, then Swagger UI's for /docs (the app's win a clash of names).
    app.mount(
        "/static",
        StaticFiles(directory=STATIC_DIR, packages=[("fastapi_offline", "static")]),
        name="static",
    )
    # Every route is in place: requests are matched against the routes their path can match.
    routing.install(app.router)
    return app
