"""The ceiling: a bare FastAPI app that answers with a body of a given size and nothing else.

Served by bench/run.py under the same uvicorn settings as zerodraft, so that the ratio of the
two throughputs says how much of the framework's own capacity zerodraft's work leaves.
"""

from typing import Any

from fastapi import Body, FastAPI
from fastapi.responses import Response

app = FastAPI()
_bodies: dict[tuple[int, str], bytes] = {}


def _body(size: int, media_type: str) -> bytes:
    key = (size, media_type)
    if key not in _bodies:
        filler = b"x" * max(size - 2, 0)
        _bodies[key] = (
            b'["' + filler[: max(size - 4, 0)] + b'"]'
            if "json" in media_type
            else (b"<p>" + filler[: max(size - 7, 0)] + b"</p>")
        )
    return _bodies[key]


# Plain (sync) handlers, like zerodraft's routes: both run in the same thread pool.
@app.get("/html/{size}")
def html(size: int) -> Response:
    return Response(_body(size, "text/html"), media_type="text/html; charset=utf-8")


@app.get("/json/{size}")
def json_(size: int) -> Response:
    return Response(_body(size, "application/json"), media_type="application/json")


@app.post("/json/{size}")
def post_json(size: int, payload: Any = Body()) -> Response:  # parsed, as zerodraft parses it
    return Response(_body(size, "application/json"), media_type="application/json", status_code=201)
