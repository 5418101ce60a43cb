"""Secrets never reach the access log: one-time links (invitations, password resets), signed
unsubscribe links and the way back to a kept form (/kept/<key>) carry their credential in the
path, and whoever reads the server's log could otherwise use them before their recipient. The
log-in page names them too, as where to go next (/login?next=/kept/<key>)."""

import logging
import re

# The path prefixes whose next segment is a credential.
_SECRET_PATHS = re.compile(r"^(/invitation/|/password/reset/|/mail/unsubscribe/|/kept/)[^/?#\s]+")
# The same paths as the `next` of a query, as written or percent-encoded.
_SECRET_NEXT = re.compile(
    r"([?&]next=(?:/|%2F)(?:invitation|password(?:/|%2F)reset|mail(?:/|%2F)unsubscribe|kept)"
    r"(?:/|%2F))[^&#\s]+",
    re.IGNORECASE,
)


def redact(path: str) -> str:
    return _SECRET_NEXT.sub(r"\1[redacted]", _SECRET_PATHS.sub(r"\1[redacted]", path))


class RedactSecrets(logging.Filter):
    """For uvicorn's access log, whose records carry the path as their third argument
    (client, method, path, HTTP version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact(args[2]), *args[3:])
        return True


def install() -> None:
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactSecrets) for f in logger.filters):
        logger.addFilter(RedactSecrets())
