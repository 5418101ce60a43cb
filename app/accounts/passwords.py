import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2id with the library's current recommended parameters. A hash records its own
# parameters, so verifying always costs what hashing cost when the hash was made.
_STANDARD = PasswordHasher()
# The test suite's (ZERODRAFT_PASSWORD_HASHING=minimal, refused in production): the same
# algorithm at its lowest cost, so a few hundred log-ins do not cost minutes.
_MINIMAL = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
_PROFILES = {"argon2id": _STANDARD, "minimal": _MINIMAL}
_hasher = _STANDARD
# Verified against when the e-mail is unknown, so that both failures take the same time.
_DUMMY_HASH = {name: hasher.hash(secrets.token_hex(16)) for name, hasher in _PROFILES.items()}
_dummy = _DUMMY_HASH["argon2id"]


def use(profile: str) -> None:
    """Choose how new passwords are hashed in this process (Settings.password_hashing)."""
    global _hasher, _dummy
    _hasher = _PROFILES[profile]
    _dummy = _DUMMY_HASH[profile]


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
