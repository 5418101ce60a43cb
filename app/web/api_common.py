"""Small pieces shared by the JSON API routers."""

from typing import Any

from fastapi import APIRouter

from app.errors import PreconditionFailed, PreconditionRequired
from app.ids import is_id
from app.schemas import ErrorOut
from app.web.deps import DbRoute

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Not logged in, or the API token is not valid"},
    403: {"model": ErrorOut, "description": "Your role may not do this"},
    404: {"model": ErrorOut, "description": "No such object"},
    409: {
        "model": ErrorOut,
        "description": "Conflicts with the object's current state, or with a change saved at "
        "the same moment",
    },
    412: {"model": ErrorOut, "description": "If-Match names a revision that is no longer current"},
    413: {"model": ErrorOut, "description": "The request, or the file it carries, is too large"},
    415: {"model": ErrorOut, "description": "The file or body is not of a type this accepts"},
    422: {"model": ErrorOut, "description": "The request is not valid; `field` names the problem"},
    428: {"model": ErrorOut, "description": "If-Match is required for this update"},
    429: {"model": ErrorOut, "description": "Too many requests"},
    503: {"model": ErrorOut, "description": "The database is unavailable"},
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The error statuses an operation documents: those every API operation can answer (not
    logged in, not allowed, invalid input, database unavailable) and the given ones.
    tests/test_openapi_contract.py checks that nothing an operation can answer is left out."""
    return {code: ERRORS[code] for code in (401, 403, 422, 503, *codes)}


class ApiRoute(DbRoute):
    """A JSON API route. Every write also documents what the plumbing can answer to any write:
    409 (a write racing another one, turned into a conflict by the app's error handlers) and
    413 (a body over the size limit, refused by app.web.middleware.BodyLimit; a write reads a
    form body for its CSRF token even when the operation itself takes no body)."""

    def __init__(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        if set(kwargs.get("methods") or ()) - {"GET", "HEAD", "OPTIONS"}:
            kwargs["responses"] = {409: ERRORS[409], 413: ERRORS[413]} | dict(
                kwargs.get("responses") or {}
            )
        super().__init__(path, endpoint, **kwargs)


def api_router(prefix: str, tag: str) -> APIRouter:
    return APIRouter(prefix=f"/api/v1{prefix}", tags=[tag], route_class=ApiRoute)


def etag(code: str, revision: int) -> str:
    return f'"{code}.r{revision}"'


def expected_version(if_match: str | None, tag: str, *, required: bool = True) -> int | None:
    """The version an If-Match header names, for ETags of the form `"<tag><n>"` (e.g.
    `"FC-CD-01.r3"`, `"P-12.v2"`); a bare number is accepted too. Missing: 428 (or None when
    not required); anything else that names no version: 412."""
    if if_match is None:
        if not required:
            return None
        raise PreconditionRequired(
            f'send If-Match with the ETag you read (e.g. "{tag}1") so that nobody\'s change is '
            "silently overwritten"
        )
    value = if_match.strip().removeprefix("W/").strip('"').removeprefix(tag)
    if not is_id(value) or int(value) < 1:
        name = tag.rstrip(".rv")
        raise PreconditionFailed(
            f"If-Match {if_match!r} does not name a version of {name}; send the ETag you read"
        )
    return int(value)
