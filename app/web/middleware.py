"""Pure ASGI middleware: a request id on every request, security headers on every response,
and a cap on the size of every request body."""

import itertools
import re
import secrets

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
# In production the site is HTTPS only: browsers are told to use nothing else for a year.
HSTS = b"max-age=31536000; includeSubDomains"
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Request ids: random per process, then counted (os.urandom on every request showed up in the
# profile); unique across the instances behind a load balancer, and not a secret.
_ID_PREFIX = secrets.token_hex(5)
_ID_COUNTER = itertools.count(1)


def new_request_id() -> str:
    return f"{_ID_PREFIX}{next(_ID_COUNTER):06x}"


class RequestContext:
    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _VALID_ID.match(incoming) else new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                extra = {
                    b"x-request-id": request_id.encode(),
                    b"x-content-type-options": b"nosniff",
                    b"x-frame-options": b"DENY",
                    b"referrer-policy": b"same-origin",
                    # /docs too (app/web/api_docs.py): Swagger UI runs without inline script or
                    # style (tests/test_asvs_sessions.py drives it in Chromium under this policy).
                    b"content-security-policy": CSP.encode(),
                }
                if self.hsts:
                    extra[b"strict-transport-security"] = HSTS
                if not path.startswith("/static/"):
                    extra[b"cache-control"] = b"no-store"
                headers += [(k, v) for k, v in extra.items() if k not in names]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


# Largest body of an ordinary request: the longest texts a form or JSON body carries (a section
# of 50,000 characters, in a script of 4 bytes a character) fit several times over.
MAX_BODY = 2 * 1024 * 1024
# Word uploads may be as large as the import cap plus the multipart framing around the file.
UPLOAD_ENVELOPE = 256 * 1024


def _too_large(limit: int) -> HTTPException:
    return HTTPException(
        413, f"the request is larger than {limit / 1048576:.1f} MB, the most this address takes"
    )


class BodyLimit:
    """Refuses a body over the limit before the framework spools it (to memory or to a
    temporary file): at once when Content-Length says so, otherwise as soon as the bytes
    received pass the limit, whatever the headers claimed."""

    def __init__(self, app: ASGIApp, upload_limit: int, upload_prefixes: tuple[str, ...]) -> None:
        self.app = app
        self.upload_limit = upload_limit + UPLOAD_ENVELOPE
        self.upload_prefixes = upload_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = self.upload_limit if path.startswith(self.upload_prefixes) else MAX_BODY
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            # Answered by the framework's error handlers, as JSON or as a page.
            scope.setdefault("state", {})["body_too_large"] = limit
        received = 0

        async def counted() -> Message:
            nonlocal received
            if scope.get("state", {}).get("body_too_large"):
                raise _too_large(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _too_large(limit)
            return message

        await self.app(scope, counted, send)
