"""Signed values for links that must work without a log-in (one-click unsubscribe): an HMAC
with ZERODRAFT_SECRET_KEY, never stored in the database, scoped by purpose so that a value
signed for one use is refused for another."""

import base64
import hashlib
import hmac


def _mac(secret_key: str, purpose: str, value: str) -> str:
    raw = hmac.new(secret_key.encode(), f"{purpose}\x00{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def mac(secret_key: str, purpose: str, value: str) -> str:
    """The signature alone, for a value carried elsewhere (a Word export's marks)."""
    return _mac(secret_key, purpose, value)


def equal(given: str, expected: str) -> bool:
    """Whether a secret someone sent (a signature, a form's token) is the expected one, compared
    in constant time. Compared as UTF-8 bytes: hmac.compare_digest refuses str with non-ASCII
    letters (TypeError), and what arrives in a link or a form may hold any letters."""
    return hmac.compare_digest(given.encode(), expected.encode())


def sign(secret_key: str, purpose: str, value: str) -> str:
    """`value.signature`, safe in a URL path or query."""
    return f"{value}.{_mac(secret_key, purpose, value)}"


def unsign(secret_key: str, purpose: str, signed: str) -> str | None:
    """The value of a token made by `sign` for the same purpose and key; None otherwise."""
    value, dot, signature = signed.rpartition(".")
    if not dot or not value:
        return None
    expected = _mac(secret_key, purpose, value)
    return value if equal(signature, expected) else None
