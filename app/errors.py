"""Domain errors. Services and models raise these; only the edge turns them into HTTP."""

from typing import Any


class DomainError(Exception):
    status_code = 400
    error = "bad_request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotAuthenticated(DomainError):
    status_code = 401
    error = "not_authenticated"


class PermissionDenied(DomainError):
    status_code = 403
    error = "forbidden"


class NotFound(DomainError):
    status_code = 404
    error = "not_found"


class Conflict(DomainError):
    status_code = 409
    error = "conflict"


class InvalidTransition(Conflict):
    error = "invalid_transition"


class PreconditionFailed(DomainError):
    """The client edited a version that is no longer current."""

    status_code = 412
    error = "precondition_failed"


class InvalidInput(DomainError):
    status_code = 422
    error = "invalid"


class PreconditionRequired(DomainError):
    status_code = 428
    error = "precondition_required"


class TooManyRequests(DomainError):
    status_code = 429
    error = "too_many_requests"


class ServiceUnavailable(DomainError):
    status_code = 503
    error = "unavailable"
