"""Logs as one JSON object per line (ZERODRAFT_LOG_FORMAT=json), for a log collector.

Each line has the time, level, logger, message and, within a request, its id, the person's
user id and the route's template (/api/v1/proposals/{proposal_id}, never the path itself, which
may carry a one-time link). Never a password, a token, a form field or a text's content: the
request line carries none, and an exception is written as its type and stack, not its message
(a database error's message quotes the values it was given)."""

import json
import logging
import sys
import traceback
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

from starlette.types import Scope

# The scope of the request being answered (its state is filled in as the request goes on:
# its id first, the person once authenticated, the route once matched).
current: ContextVar[Scope | None] = ContextVar("zerodraft_request", default=None)
REQUEST_LOGGER = "zerodraft.request"


def route_of(scope: Scope) -> str | None:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else None


def user_of(scope: Scope) -> int | None:
    principal = scope.get("state", {}).get("principal")
    user_id = getattr(principal, "user_id", None)
    return user_id if isinstance(user_id, int) else None


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        scope = current.get()
        if scope is not None:
            line["request_id"] = scope.get("state", {}).get("request_id")
            line["user_id"] = user_of(scope)
            line["route"] = route_of(scope)
        # What the request line adds (app/ops/middleware.py): method, status, duration_ms ...
        line |= getattr(record, "fields", {})
        if record.exc_info and record.exc_info[0] is not None:
            line["exception"] = record.exc_info[0].__name__
            line["stack"] = "".join(traceback.format_tb(record.exc_info[2]))
        return json.dumps(line, ensure_ascii=False, default=str)


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is when a line is written."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _: TextIO) -> None:
        pass


def configure(log_format: str) -> None:
    """JSON lines on stderr for every logger (uvicorn's included), or leave the text logs."""
    if log_format != "json":
        return
    formatter = JsonFormatter()
    root = logging.getLogger()
    if not any(isinstance(h, _Stderr) for h in root.handlers):
        handler = _Stderr()
        handler.setFormatter(formatter)
        root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    # uvicorn's own handlers write text: theirs go through the root's JSON instead. Its access
    # log is left out: the request line says the same, with the route instead of the path.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = name != "uvicorn.access"
