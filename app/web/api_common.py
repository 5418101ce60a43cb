"""Small pieces shared by the JSON API routers."""

from typing import Any

from fastapi import APIRouter

from app.register.schemas import ErrorOut
from app.web.deps import DbRoute
from app.web.ids import is_id

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Not logged in, or the API token is not valid"},
    403: {"model": ErrorOut, "description": "Your role may not do this"},
    404: {"model": ErrorOut, "description": "No such object"},
    409: {"model": ErrorOut, "description": "Conflicts with the object's current state"},
    412: {"model": ErrorOut, "description": "If-Match names a revision that is no longer current"},
    422: {"model": ErrorOut, "description": "The request is not valid; `field` names the problem"},
    428: {"model": ErrorOut, "description": "If-Match is required for this update"},
    429: {"model": ErrorOut, "description": "Too many requests"},
    503: {"model": ErrorOut, "description": "The database is unavailable"},
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: ERRORS[code] for code in (401, 403, 422, 503, *codes)}


def api_router(prefix: str, tag: str) -> APIRouter:
    return APIRouter(prefix=f"/api/v1{prefix}", tags=[tag], route_class=DbRoute)


def etag(code: str, revision: int) -> str:
    return f'"{code}.r{revision}"'


def parse_if_match(value: str | None, code: str) -> int | None:
    """The revision an If-Match header names: our ETag, or a bare revision number."""
    if value is None:
        return None
    value = value.strip().removeprefix("W/").strip('"')
    if value.startswith(f"{code}.r"):
        value = value[len(code) + 2 :]
    return int(value) if is_id(value) else -1
