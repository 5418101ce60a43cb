"""Request plumbing: one database session per request, the clock, the permission check, and
the request context that carries them to a handler."""

import inspect
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import anyio
from anyio import CapacityLimiter
from anyio.lowlevel import RunVar
from fastapi import Depends, Request, Response
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.utils import get_parameterless_sub_dependant
from fastapi.exceptions import EndpointContext, ResponseValidationError
from fastapi.routing import APIRoute
from fastapi.utils import is_body_allowed_for_status_code
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app import signing
from app.accounts import service as accounts
from app.accounts.permissions import Action, allowed, refusal
from app.audit.service import Actor, wrote
from app.config import Settings
from app.db import WRITE, Database
from app.errors import InvalidInput, NotAuthenticated, PermissionDenied, ServiceUnavailable
from app.principal import Principal

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_COOKIE = "zd_session"


def always_secure(settings: Settings) -> bool:
    """Cookies are Secure whatever the scheme the request came in by (a proxy in front may speak
    plain HTTP to the app): in production, or where ZERODRAFT_SECURE_COOKIES=true says so."""
    return settings.mode == "production" or settings.secure_cookies is True


def cookie_name(settings: Settings, base: str, *, path: str = "/") -> str:
    """Where cookies are always Secure, their names carry the prefix that makes a browser keep
    them only so: __Host- (Secure, this host only, path /) or, for a narrower path, __Secure-.
    A cookie planted over plain HTTP or from a sibling domain cannot then pass for ours."""
    if not always_secure(settings):
        return base
    return ("__Host-" if path == "/" else "__Secure-") + base


def session_cookie(settings: Settings) -> str:
    return cookie_name(settings, SESSION_COOKIE)


class DbRoute(APIRoute):
    """Ends the request's session once, after the handler and before the response is sent: it
    commits when the answer is a success or a redirect, and rolls back when it is a refusal
    (4xx) or a failure (5xx), raised or returned. A handler that shows a form again with the
    service's refusal therefore never keeps half a change, and never rolls back by hand (to
    show the page without what the refused use case wrote, `RequestContext.discard_refused()`).

    Services never commit. A refusal whose own writes are the point (a failed log-in counted
    for throttling, a spent challenge) says so with `keep_writes(request)`.

    A write route's session takes the write lock at its first statement (SQLite: BEGIN
    IMMEDIATE), so the lock is held from the permission check to the end. A route that does
    something slow before it writes (reading an upload) asks for `Staged` instead: its session
    only reads until the handler calls `staged.write()`.

    A plain (sync) handler's request goes to the thread pool once (`_OneTrip`): the permission
    check, the handler, the answer's JSON and the session's end run there one after the other,
    where FastAPI would send each to the pool on its own (each trip costs as much CPU as a
    cheap request's own work, and waits for the GIL behind the event loop).
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        # A route's copies (app.main._include) share its dependant: it is rewritten once.
        if not isinstance(self.dependant.call, _OneTrip) and _plain(self.endpoint):
            _permissions_on_top(self.dependant)
            self.dependant.call = _OneTrip(self)
        if not any(sub.call is _take_place for sub in self.dependant.dependencies):
            # The first dependency, solved once FastAPI has read the body (so a client sending
            # it slowly holds no place) and before any other opens the session.
            place = get_parameterless_sub_dependant(depends=Depends(_take_place), path=self.path)
            self.dependant.dependencies.insert(0, place)
        one_trip = isinstance(self.dependant.call, _OneTrip)
        handler = super().get_route_handler()
        staged = _asks_for(self.dependant, _staged)

        async def handle(request: Request) -> Response:
            if _AT_WORK.get() is not None:
                # A request the app makes of itself while at work on another (a kept form's
                # page drawn again, app/web/kept.py) works in that one's place: waiting for a
                # second would wait on itself.
                request.state.place = _IN_ANOTHERS_PLACE
                return await at_work(request)
            # One of the process's few places for a request at work (ZERODRAFT_REQUESTS_AT_ONCE),
            # taken by _take_place once the body is read and held to the commit; the rest wait
            # in line holding nothing.
            try:
                return await at_work(request)
            finally:
                _give_place_back(request)

        async def at_work(request: Request) -> Response:
            work = _Work(request, defers=one_trip)
            token = _AT_WORK.set(work)
            try:
                return await answer(request, work if one_trip else None)
            finally:
                _AT_WORK.reset(token)

        async def answer(request: Request, work: _Work | None) -> Response:
            if staged:
                # Known before any dependency opens the session (get_db reads it).
                request.state.staged = True
            try:
                response = await handler(request)
            except Exception:
                # Not answered by the handler (the request was invalid, or something failed):
                # the checks put off to the handler's trip are made first, as they were made
                # before anything else (a refusal wins over an invalid request), then the
                # session is rolled back and closed.
                if (work is not None and work.unmade()) or getattr(request.state, "db", None):
                    await run_in_threadpool(_failed, request, work)
                raise
            except BaseException:
                session = _detach(request)
                if session is not None:
                    await run_in_threadpool(_end, session, False)
                raise
            # Commit (or roll back) and close in one trip to the thread pool, unless the
            # handler's trip did it already.
            if getattr(request.state, "db", None) is not None:
                await run_in_threadpool(_finish, request, response.status_code)
            return response

        return handle


def _plain(endpoint: Callable[..., Any]) -> bool:
    return inspect.isfunction(endpoint) and not (
        inspect.iscoroutinefunction(endpoint)
        or inspect.isgeneratorfunction(endpoint)
        or inspect.isasyncgenfunction(endpoint)
    )


def _permissions_on_top(dependant: Any) -> None:
    """A Permission's check is put off to the handler's trip, so only the handler may take
    its value: a dependency taking it would get the check not yet made, and one that no
    parameter takes (`dependencies=[...]` on the route or its router) might never be made."""
    for sub in dependant.dependencies:
        if any(_asks_for_permission(below) for below in sub.dependencies):
            raise TypeError("a Permission guards a route directly, not through a dependency")
        if isinstance(sub.call, Permission) and sub.name is None:
            raise TypeError("a Permission guards a route as a parameter (Allow or Context)")


def _asks_for_permission(dependant: Any) -> bool:
    return isinstance(dependant.call, Permission) or any(
        _asks_for_permission(sub) for sub in dependant.dependencies
    )


def _response_params(dependant: Any) -> bool:
    """Whether anything in the route takes FastAPI's Response or BackgroundTasks (which change
    the answer FastAPI builds from a returned model)."""
    return (
        dependant.response_param_name is not None
        or dependant.background_tasks_param_name is not None
        or any(_response_params(sub) for sub in dependant.dependencies)
    )


class _Work:
    """A request at work in its place; on a one-trip route, the permission checks put off to
    its trip."""

    __slots__ = ("checks", "defers", "request")

    def __init__(self, request: Request, *, defers: bool) -> None:
        self.request = request
        self.defers = defers
        self.checks: list[_Check] = []

    def unmade(self) -> bool:
        return any(not check.made for check in self.checks)


_AT_WORK: ContextVar[_Work | None] = ContextVar("zerodraft_at_work", default=None)


class _Check:
    """A permission check put off to the handler's trip; the handler gets what it gives."""

    __slots__ = ("csrf", "made", "permission", "request", "value")

    def __init__(self, permission: "Permission", request: Request, csrf: str | None) -> None:
        self.permission = permission
        self.request = request
        self.csrf = csrf
        self.made = False
        self.value: object = None

    def make(self) -> object:
        """The check's result, made once (a refusal raises)."""
        if not self.made:
            self.made = True
            self.value = self.permission.resolve(self.request, self.csrf)
        return self.value


class _OneTrip:
    """A plain handler as FastAPI calls it on a DbRoute: a coroutine (so FastAPI sends nothing
    to the thread pool itself) that runs in one trip the permission checks put off to it, the
    handler and, once the answer's status is known, the session's end. A returned model is
    validated and written as JSON here as FastAPI would (`response_model`'s field, the route's
    status), so that its status is known in the trip; where something could change FastAPI's
    answer (a Response or BackgroundTasks parameter, another response class), the model is
    left to FastAPI and the session ends in a trip of its own."""

    def __init__(self, route: APIRoute) -> None:
        self.endpoint = route.endpoint
        self.route = route
        self.writes_json = (
            route.response_field is not None
            and isinstance(route.response_class, DefaultPlaceholder)
            and not _response_params(route.dependant)
        )

    async def __call__(self, **values: Any) -> Any:
        work = _AT_WORK.get()
        assert work is not None, "a DbRoute sets the request at work"
        return await run_in_threadpool(self.run, work, values)

    def run(self, work: _Work, values: dict[str, Any]) -> Any:
        request = work.request
        try:
            # Every check put off to this trip, in the order FastAPI met them, before the
            # handler: also those of a route's `dependencies=[...]`, whose value no parameter
            # takes.
            for check in work.checks:
                check.make()
            for name, value in values.items():
                if type(value) is _Check:
                    values[name] = value.make()
            answer = self.endpoint(**values)
            if not isinstance(answer, Response):
                if not self.writes_json:
                    return answer
                answer = self.json(answer, request)
            _finish(request, answer.status_code)
            return answer
        except BaseException:
            session = _detach(request)
            if session is not None:
                _end(session, False)
            raise

    def json(self, content: Any, request: Request) -> Response:
        """The answer FastAPI makes of a returned model (fastapi.routing.get_request_handler)."""
        route = self.route
        field = route.response_field
        assert field is not None
        value, errors = field.validate(content, {}, loc=("response",))
        if errors:
            where = EndpointContext(
                function=self.endpoint.__name__, path=f"{request.method} {route.path}"
            )
            raise ResponseValidationError(errors=errors, body=content, endpoint_ctx=where)
        body = field.serialize_json(
            value,
            include=route.response_model_include,
            exclude=route.response_model_exclude,
            by_alias=route.response_model_by_alias,
            exclude_unset=route.response_model_exclude_unset,
            exclude_defaults=route.response_model_exclude_defaults,
            exclude_none=route.response_model_exclude_none,
        )
        response = Response(
            body, media_type="application/json", status_code=route.status_code or 200
        )
        if not is_body_allowed_for_status_code(response.status_code):
            response.body = b""
        return response


def _finish(request: Request, status: int) -> None:
    """The request's answer is known: commit below 400 (or where the writes are kept), roll
    back otherwise, and close."""
    session = _detach(request)
    if session is not None:
        commit = status < 400 or _writes_kept(request)
        _end(session, commit, request.method in SAFE_METHODS)


def _failed(request: Request, work: "_Work | None") -> None:
    try:
        if work is not None:
            for check in work.checks:
                if not check.made:
                    check.make()
    finally:
        session = _detach(request)
        if session is not None:
            _end(session, False)


# Python runs one thread at a time (the GIL): sixteen requests in the thread pool at once take
# as long in all as one after the other, plus the cost of switching between them, and each
# waits the longest. So each process works on a few requests at once (a few, not one, so that
# one waiting on the database or a slow export does not stop the rest) and the others wait for
# a place before they open a session. The hops of a request at work (permission check, handler,
# commit) then never wait behind other requests for the thread pool's 40 threads, so a request
# holding the write lock always gets to its commit. Per event loop, as anyio's own limiter.
_PLACES: RunVar[CapacityLimiter] = RunVar("zerodraft_requests_at_once")


# How long a request waits for a place before it is answered 503: the line moves in
# milliseconds unless every place is held by something slow (exports).
PLACE_WAIT_SECONDS = 20.0
_IN_ANOTHERS_PLACE = object()


def _in_progress(request: Request) -> CapacityLimiter:
    try:
        return _PLACES.get()
    except LookupError:
        settings: Settings = request.app.state.settings
        limiter = CapacityLimiter(settings.requests_at_once)
        _PLACES.set(limiter)
        return limiter


async def _take_place(request: Request) -> None:
    if getattr(request.state, "place", None) is not None:
        return
    limiter = _in_progress(request)
    with anyio.move_on_after(PLACE_WAIT_SECONDS):
        await limiter.acquire_on_behalf_of(request)
        request.state.place = limiter
        return
    raise ServiceUnavailable("the server is busy with other requests; try again in a moment")


def _give_place_back(request: Request) -> None:
    limiter = getattr(request.state, "place", None)
    if isinstance(limiter, CapacityLimiter):
        request.state.place = None
        limiter.release_on_behalf_of(request)


def keep_writes(request: Request) -> None:
    """Commit this request's writes although its answer is a refusal: for bookkeeping that the
    refusal itself makes (a failed attempt counted, a one-time challenge spent). The handler
    must not have let a refused use case write anything else."""
    request.state.keep_writes = True


def _writes_kept(request: Request) -> bool:
    return getattr(request.state, "keep_writes", False) is True


def restart_read(db: Session) -> None:
    """End the request's read transaction, so that its next statement starts a new one and sees
    what other transactions committed meanwhile (a SQLite reader keeps the snapshot it began
    with); what it loaded is read again. Only for a session that has written nothing."""
    if db.new or db.dirty or db.deleted:
        raise RuntimeError("restart_read on a session with pending writes would drop them")
    db.rollback()


def _asks_for(dependant: Any, call: Callable[..., Any]) -> bool:
    if getattr(dependant, "call", None) is call:
        return True
    return any(_asks_for(sub, call) for sub in dependant.dependencies)


def _writes_at_once(request: Request) -> bool:
    """Whether the request's session is a write session from its first statement: a write
    request's, unless its route is staged (then it reads until Staged.write())."""
    return request.method not in SAFE_METHODS and not getattr(request.state, "staged", False)


class StagedSession:
    """The session of a route that does its slow part without a transaction and writes only at
    the end: a read session until `write()`, which opens the write transaction (on SQLite the
    database's write lock, BEGIN IMMEDIATE) that DbRoute ends as it ends any other (committed
    below 400). So an upload read for seconds holds no lock that other writers wait for, and
    uploads queue on their own limits, not on the database."""

    __slots__ = ("_writing", "db")

    def __init__(self, db: Session) -> None:
        self.db = db
        self._writing = False

    @property
    def writing(self) -> bool:
        return self._writing

    def pause(self) -> None:
        """End the read transaction and give its connection back to the pool before the slow
        part; a later read starts a new transaction."""
        if self._writing:
            raise RuntimeError("pause() after write(): the write transaction is kept to the end")
        restart_read(self.db)

    def write(self) -> Session:
        """The session, in a write transaction from here to the end of the request. What was
        read before is read again (the read transaction ends): decide on what this one reads."""
        if not self._writing:
            restart_read(self.db)
            self.db.connection(execution_options={WRITE: True})
            self._writing = True
        return self.db


def _detach(request: Request) -> Session | None:
    session: Session | None = getattr(request.state, "db", None)
    if session is not None:
        request.state.db = None
    return session


def _end(session: Session, commit: bool, reading: bool = False) -> None:
    """Commit or roll back, then close. A read request's session known to have written nothing
    (app.audit.service.wrote: nothing to flush, no audit event recorded, and the driver shows no
    row written; the convention: a GET's writes, the touch and the rounds' due changes, run in
    short transactions of their own) is closed without a commit, which only ends its read
    transaction; any other is committed, so that no write is ever dropped unseen."""
    try:
        if commit and not (reading and not wrote(session)):
            session.commit()
        elif not commit:
            session.rollback()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


# The dependencies below do no I/O: async, so that FastAPI calls them on the event loop instead of
# sending each to the thread pool.
def _session_of(request: Request) -> Session:
    session: Session | None = getattr(request.state, "db", None)
    if session is None:
        session = get_database(request).session(write=_writes_at_once(request))
        request.state.db = session
    return session


async def get_db(request: Request) -> Session:
    return _session_of(request)


async def _staged(db: Annotated[Session, Depends(get_db)]) -> StagedSession:
    return StagedSession(db)


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_now(request: Request) -> datetime:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


def request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


DbSession = Annotated[Session, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
Now = Annotated[datetime, Depends(get_now)]
# A write route's session that reads until the handler asks to write (StagedSession.write()).
Staged = Annotated[StagedSession, Depends(_staged)]


async def _request_id(request: Request) -> str | None:
    return request_id(request)


RequestId = Annotated[str | None, Depends(_request_id)]


async def submitted_csrf(request: Request) -> str | None:
    if request.method in SAFE_METHODS:
        return None
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        # Checked once the person is known (Permission), before any handler reads the form.
        request.state.nul_field = next(
            (name for name, v in form.multi_items() if isinstance(v, str) and "\x00" in v), None
        )
        value = form.get("csrf_token")
        return value if isinstance(value, str) else None
    return None


def authenticate(request: Request, db: Session, now: datetime, settings: Settings) -> Principal:
    principal: Principal | None = None
    authorization = request.headers.get("authorization", "")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated("use 'Authorization: Bearer <token>' with a personal API token")
        principal = accounts.principal_for_token(db, token.strip(), now=now)
        if principal is None:
            raise NotAuthenticated("the API token is unknown, revoked, or its user is disabled")
    else:
        cookie = request.cookies.get(session_cookie(settings))
        if cookie:
            principal = accounts.principal_for_session(db, cookie, now=now, settings=settings)
        if principal is None:
            raise NotAuthenticated("log in first, or send a personal API token")
    return principal


def identify(request: Request, db: Session, now: datetime, settings: Settings) -> Principal:
    """Who is asking, looked up in the request's own session (one statement). On writes the
    periodic touch is part of the request's transaction; on reads (and a staged route before it
    writes) the read transaction is ended first (releasing its connection) and the touch runs in
    a short write transaction of its own, so a read request holds one connection at a time and
    its transaction never has to upgrade to a write (SQLite cannot always do that under load)."""
    principal = authenticate(request, db, now, settings)
    if principal.needs_touch:
        if _writes_at_once(request):
            accounts.touch(db, principal, now=now)
        else:
            db.commit()
            with get_database(request).transaction(write=True) as side:
                accounts.touch(side, principal, now=now)
    return principal


class StaleToken(PermissionDenied):
    """A write whose security token is missing or is not the session's: nothing is done. A
    page's form gets itself back with what was typed (app/web/kept.py); the session's current
    token rides along for that, outside `extra` (which a JSON answer would show)."""

    def __init__(self, current: str) -> None:
        super().__init__(
            "the form's security token is missing or out of date; reload the page and try again",
            field="csrf_token",
        )
        self.current = current


class Permission:
    """Dependency: the request's principal, if their role may perform `action`.

    On a DbRoute with a plain handler the check is made in the handler's trip to the thread
    pool (DbRoute), still before the handler and before an invalid request is answered;
    elsewhere in a trip of its own, as FastAPI runs a plain dependency."""

    def __init__(self, action: Action) -> None:
        self.action = action

    # The session, the clock and the settings are taken from the request here, not as
    # dependencies of their own: FastAPI's solving of each sub-dependency cost more than what
    # it gives, on every signed-in request. (The same session as DbSession's: request.state.)
    async def __call__(
        self, request: Request, csrf: Annotated[str | None, Depends(submitted_csrf)]
    ) -> Any:
        work = _AT_WORK.get()
        if work is None or work.request is not request or not work.defers:
            return await run_in_threadpool(self.resolve, request, csrf)
        check = _Check(self, request, csrf)
        work.checks.append(check)
        return check

    def resolve(self, request: Request, csrf: str | None) -> Any:
        """What the handler takes: here the principal."""
        return self.check(request, csrf)[0]

    def check(self, request: Request, csrf: str | None) -> tuple[Principal, Session, datetime]:
        db = _session_of(request)
        settings: Settings = request.app.state.settings
        now: datetime = request.app.state.clock()
        principal = identify(request, db, now, settings)
        if not principal.via_token and request.method not in SAFE_METHODS:
            expected = principal.csrf_token or ""
            if not csrf or not signing.equal(csrf, expected):
                raise StaleToken(expected)
        # Who is signed in is known before the role is checked: a refusal's page shows the
        # header (menu, name, Log out) like any other page.
        request.state.principal = principal
        if not allowed(principal.role, self.action):
            raise PermissionDenied(refusal(self.action))
        nul_field = getattr(request.state, "nul_field", None)
        if nul_field is not None:
            # PostgreSQL cannot store NUL in text; refused alike on every engine.
            raise InvalidInput(
                f"{nul_field} must not contain a NUL character (U+0000)", field=nul_field
            )
        return principal, db, now


@dataclass(frozen=True, slots=True)
class RequestContext:
    """What a handler needs besides its own input: the request's session, who asks, the time
    it is, the settings and the request's id, and the audit actor built from them."""

    request: Request
    db: Session
    principal: Principal
    now: datetime
    settings: Settings

    @property
    def request_id(self) -> str | None:
        return request_id(self.request)

    @property
    def actor(self) -> Actor:
        return self.principal.actor(self.request_id, None)

    def acting_for(self, delegation_code: str | None) -> Actor:
        """The actor speaking for one of the person's delegations (None: for none)."""
        return actor_for(self.principal, self.request, delegation_code)

    def discard_refused(self) -> None:
        """Before a page is shown again beside a service's refusal: drop whatever the refused
        use case wrote (rows flushed, loaded objects changed), so the page shows what is stored
        and not half a change. DbRoute rolls the request back when it answers the refusal
        anyway; this brings that forward. The one way a handler undoes writes: no handler
        calls rollback() itself."""
        self.db.rollback()


class _Context(Permission):
    """Dependency: the request's context, if the principal's role may perform `action`. A
    Permission, so that route_permission finds the action of a route guarded by it."""

    def resolve(self, request: Request, csrf: str | None) -> Any:
        principal, db, now = self.check(request, csrf)
        return RequestContext(request, db, principal, now, request.app.state.settings)


def Context(action: Action) -> Any:
    """`ctx: Annotated[RequestContext, Context(Action.MANAGE_GROUP)]` guards a route and gives
    it the request's context in one parameter."""
    return Depends(_Context(action))


def Allow(action: Action) -> Any:
    """`principal: Annotated[Principal, Allow(Action.EDIT_ITEM)]` guards a route."""
    return Depends(Permission(action))


def actor_for(principal: Principal, request: Request, delegation_code: str | None = None) -> Actor:
    delegation = principal.delegation_for(delegation_code) if delegation_code else None
    return principal.actor(request_id(request), delegation)


def optional_principal(request: Request) -> Principal | None:
    principal: Principal | None = getattr(request.state, "principal", None)
    return principal


def route_permission(route: APIRoute) -> Action | None:
    """The action a route is guarded by, found by walking its dependency tree."""

    def walk(dependant: Any) -> Action | None:
        call = getattr(dependant, "call", None)
        if isinstance(call, Permission):
            return call.action
        for sub in dependant.dependencies:
            found = walk(sub)
            if found is not None:
                return found
        return None

    return walk(route.dependant)


def all_routes(routes: list[Any]) -> list[Any]:
    """Routes flattened through included routers (FastAPI >= 0.160 keeps them nested)."""
    flat: list[Any] = []
    for route in routes:
        nested = getattr(route, "original_router", None)
        flat += all_routes(nested.routes) if nested is not None else [route]
    return flat
