"""Secrets never reach the access log: one-time links (invitations, password resets) and signed
unsubscribe links carry their credential in the path, and whoever reads the server's log could
otherwise use them before their recipient."""

import logging
import re

# The path prefixes whose next segment is a credential.
_SECRET_PATHS = re.compile(r"^(/invitation/|/password/reset/|/mail/unsubscribe/)[^/?#\s]+")


def redact(path: str) -> str:
    return _SECRET_PATHS.sub(r"\1[redacted]", path)


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
