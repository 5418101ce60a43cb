"""Every setting, from ZERODRAFT_* environment variables, a .env file, or files.

Any setting may be read from a file instead (the Docker secrets convention): with
ZERODRAFT_SECRET_KEY_FILE=/run/secrets/secret_key, the key is that file's content (a trailing
line break dropped). Meant for the secrets: the database URL or password, the secret and audit
keys, the SMTP password, the metrics token. A file that is missing, unreadable or empty, or a
setting given both ways, stops the program with a message naming the variable.
"""

import os
import stat
import time as clock_time
from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

PLACEHOLDER_SECRETS = {
    "",
    "changeme",
    "change-me",
    "secret",
    "dev-insecure-key",
    "dev-insecure-audit-key",
}
DEFAULT_DATA_DIR = Path("data")
ENV_PREFIX = "ZERODRAFT_"
FILE_SUFFIX = "_FILE"


class Unreadable:
    """A setting whose file could not be read: the field's validator refuses it with `problem`,
    so that the error names the variable like any other invalid setting."""

    def __init__(self, problem: str) -> None:
        self.problem = problem

    def __repr__(self) -> str:
        return "<unreadable file>"


MAX_SETTING_FILE = 64 * 1024


def read_setting_file(variable: str, path: str) -> str | Unreadable:
    """The value in the file `path` named by `variable` (ZERODRAFT_X_FILE): a regular file of
    one line, at most MAX_SETTING_FILE bytes (never /dev/zero, a FIFO or a log by mistake)."""
    try:
        # Non-blocking: opening a FIFO to read would otherwise wait for a writer for ever.
        with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                return Unreadable(f"{variable}={path}: not a regular file")
            raw = file.read(MAX_SETTING_FILE + 1)
    except OSError as exc:
        return Unreadable(f"{variable}={path}: cannot read the file ({exc.strerror or exc})")
    if len(raw) > MAX_SETTING_FILE:
        return Unreadable(f"{variable}={path}: the file is larger than 64 KiB")
    try:
        value = raw.decode("utf-8")
    except UnicodeDecodeError:
        return Unreadable(f"{variable}={path}: the file is not UTF-8 text")
    # One trailing line break is what `echo ... > file` and editors add: not part of a secret.
    value = value.removesuffix("\n")
    if not value.strip():
        return Unreadable(f"{variable}={path}: the file is empty")
    # Other programs reading the same file (the postgres image's file_env) strip every trailing
    # line feed but keep a carriage return: anything but one line would be two passwords.
    if "\n" in value or "\r" in value:
        return Unreadable(
            f"{variable}={path}: the file must hold one line (a line break other than one "
            "at the end)"
        )
    return value


class FileSettingsSource(PydanticBaseSettingsSource):
    """ZERODRAFT_<NAME>_FILE, from the environment or the .env file: the setting's value is the
    content of the file it names."""

    def __init__(
        self,
        settings_cls: type[BaseSettings],
        env: EnvSettingsSource,
        dotenv: PydanticBaseSettingsSource,
    ) -> None:
        super().__init__(settings_cls)
        # Both sources hold their variables with lower-case names (settings are not case
        # sensitive); the environment wins over the .env file, as for the values themselves.
        self.variables: dict[str, str | None] = {}
        if isinstance(dotenv, DotEnvSettingsSource):
            self.variables.update(dotenv.env_vars)
        self.variables.update(env.env_vars)

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # __call__ does the work

    def __call__(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name in self.settings_cls.model_fields:
            variable = f"{ENV_PREFIX}{name.upper()}{FILE_SUFFIX}"
            path = self.variables.get(variable.lower())
            if not path:
                continue  # unset or empty (compose's ${X:-}): not given
            if self.variables.get(f"{ENV_PREFIX}{name}".lower()):
                found[name] = Unreadable(
                    f"both {ENV_PREFIX}{name.upper()} and {variable} are set; set only one"
                )
                continue
            found[name] = read_setting_file(variable, path)
        return found


class Settings(BaseSettings):
    """Every setting, read from ZERODRAFT_* environment variables or a .env file."""

    # Errors never show the values given: a database URL or a password would be in the log.
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", extra="ignore", hide_input_in_errors=True
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        assert isinstance(env_settings, EnvSettingsSource)
        files = FileSettingsSource(settings_cls, env_settings, dotenv_settings)
        return init_settings, files, env_settings, dotenv_settings, file_secret_settings

    mode: Literal["development", "production", "demo", "test"] = Field(
        "development", description="production refuses a missing or placeholder secret key"
    )
    database_url: str = Field(
        "", description="SQLAlchemy URL; empty means a SQLite file in the data folder"
    )
    database_password: str = Field(
        "",
        description="the database password, when ZERODRAFT_DATABASE_URL has none (any "
        "characters: it is escaped into the URL); e.g. from ZERODRAFT_DATABASE_PASSWORD_FILE",
    )
    data_dir: Path = Field(DEFAULT_DATA_DIR, description="where the SQLite file and exports live")
    secret_key: str = Field("dev-insecure-key", description="signs CSRF tokens; set in production")
    audit_key: str = Field(
        "dev-insecure-audit-key",
        description="keys the audit trail's hash chain (HMAC); kept outside the database, set "
        "in production, never changed once events are written with it",
    )
    audit_anchor: Path | None = Field(
        None,
        description="append-only file where each commit's newest audit event is written; "
        "default: audit-anchor.log in the data folder",
    )
    classification: str = Field("RESTRICTED", description="marking shown on every page and export")
    working_group_name: str = Field(
        "ASEAN Drafting Working Group on Forced Criminality",
        description="shown in the page header and on export covers",
    )
    time_zone: str = Field("Asia/Jakarta", description="default time zone for dates and deadlines")
    session_idle_minutes: int = Field(120, ge=1, description="log out after this much inactivity")
    session_absolute_hours: int = Field(12, ge=1, description="log out this long after log-in")
    login_max_failures: int = Field(
        5, ge=1, description="failures per e-mail and client address before log-ins are slowed"
    )
    login_window_minutes: int = Field(15, ge=1, description="window for counting log-in failures")
    # Higher than per account: a ministry's whole delegation may share one address (NAT).
    login_max_failures_per_address: int = Field(
        20, ge=1, description="failures from one client address before its log-ins are slowed"
    )
    forwarded_allow_ips: str = Field(
        "",
        description="addresses of the reverse proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto `zerodraft serve` believes (comma-separated, e.g. 127.0.0.1); empty: "
        "none, the address that connects is the client's",
    )
    secure_cookies: bool | None = Field(
        None, description="force the Secure cookie flag; default: on when the request is https"
    )
    import_max_bytes: int = Field(
        20 * 1024 * 1024, ge=1, description="largest Word file accepted for import, in bytes"
    )
    # What reading one upload may cost (app/word/reader.py Limits says why these sizes).
    import_read_part_bytes: int = Field(
        16 * 1024 * 1024, ge=1, description="largest part of a Word file read, unpacked, bytes"
    )
    import_read_bytes: int = Field(
        32 * 1024 * 1024, ge=1, description="all parts of a Word file read, unpacked, bytes"
    )
    import_read_markup: int = Field(
        1_200_000, ge=1, description="markup units (a tag 1, an attribute 2) in the parts read"
    )
    import_concurrency: int = Field(
        1, ge=1, le=64, description="Word files read at once per process; more wait their turn"
    )
    import_wait_seconds: float = Field(
        4.0, ge=0, le=60, description="how long an upload waits for its turn before a 503"
    )
    requests_at_once: int = Field(
        4,
        ge=1,
        le=32,
        description="requests each process works on at once; more wait their turn before they "
        "touch the database",
    )
    database_pool_size: int = Field(
        16, ge=1, le=40, description="database connections each process keeps open (at most 40)"
    )
    password_hashing: Literal["argon2id", "minimal"] = Field(
        "argon2id",
        description="argon2id at its recommended cost; minimal: lowest cost, for the test suite "
        "only (refused in production)",
    )
    base_url: str = Field(
        "http://127.0.0.1:8000",
        description="the address people open zerodraft at; links in mails start with it",
    )
    smtp_host: str = Field(
        "", description="SMTP server for outgoing mail; empty: mail stays in the outbox"
    )
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP server port")
    smtp_username: str = Field("", description="SMTP user name; empty: no authentication")
    smtp_password: str = Field("", description="SMTP password")
    smtp_starttls: bool = Field(True, description="upgrade the SMTP connection with STARTTLS")
    smtp_timeout_seconds: float = Field(30, gt=0, description="give up on an SMTP exchange")
    mail_from: str = Field(
        "zerodraft <zerodraft@localhost>", description="the From address of every mail"
    )
    mfa_required_roles: str = Field(
        "admin,secretariat,chair",
        description="roles that must set up a second factor (comma-separated; empty: none)",
    )
    page_cache: bool = Field(
        True,
        description="keep rendered page fragments, checked against the database's content "
        "version on every request; off: every page is rendered afresh (to measure or rule out "
        "the cache)",
    )

    live_stream_seconds: float = Field(
        300.0,
        gt=0,
        le=86400,
        description="how long a live event stream stays open before it ends and the browser "
        "reconnects (resuming by Last-Event-ID): streams spread again over the instances, and "
        "an instance being replaced is left within this time",
    )
    live_poll_seconds: float = Field(
        2.0,
        gt=0,
        le=3600,
        description="how often each process reads the audit trail for live events no NOTIFY "
        "announced (SQLite, a lost LISTEN connection): such a change reaches a stream within "
        "this time; on PostgreSQL NOTIFY carries the rest at once",
    )

    metrics_token: str = Field(
        "",
        description="bearer token Prometheus sends to /metrics (Authorization: Bearer ...); "
        "empty: /metrics answers 404",
    )
    worker_metrics_port: int = Field(
        0,
        ge=0,
        le=65535,
        description="`zerodraft worker` answers GET /metrics on this port (all interfaces, "
        "same bearer token as the app's); 0: it does not listen",
    )
    backup_dir: Path | None = Field(
        None,
        description="folder where `zerodraft worker` writes the scheduled backups; empty: no "
        "scheduled backups",
    )
    backup_every_hours: int = Field(
        24, ge=1, le=24 * 7, description="hours between scheduled backups (24: daily)"
    )
    backup_at: str = Field(
        "02:00",
        description="time of day (HH:MM, in ZERODRAFT_TIME_ZONE) the scheduled backups are "
        "counted from: daily at this time, or every ZERODRAFT_BACKUP_EVERY_HOURS from it",
    )
    backup_keep_days: int = Field(
        14,
        ge=1,
        description="scheduled backups older than this many days are deleted (the newest is "
        "always kept)",
    )
    log_format: Literal["text", "json"] = Field(
        "text",
        description="json: one JSON object per line (time, level, message, request id, user id, "
        "route), for a log collector",
    )

    @field_validator("*", mode="before")
    @classmethod
    def _readable_file(cls, value: Any) -> Any:
        if isinstance(value, Unreadable):
            raise ValueError(value.problem)
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        """A URL SQLAlchemy cannot read is said in one line that never shows it (it may hold
        the password), at start rather than as a traceback at the first connection."""
        if value:
            try:
                make_url(value)
            except (ValueError, ArgumentError) as exc:
                kind = "a port that is not a number" if isinstance(exc, ValueError) else "no URL"
                raise ValueError(f"invalid database URL ({kind})") from None
        return value

    @field_validator("backup_dir", mode="before")
    @classmethod
    def _no_folder(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("backup_at")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        try:
            parsed = clock_time.strptime(value.strip(), "%H:%M")
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a time of day as HH:MM (e.g. 02:00)") from exc
        return f"{parsed.tm_hour:02d}:{parsed.tm_min:02d}"

    @property
    def backup_time(self) -> time:
        hours, minutes = self.backup_at.split(":")
        return time(int(hours), int(minutes))

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("mfa_required_roles")
    @classmethod
    def _known_roles(cls, value: str) -> str:
        known = {"member", "secretariat", "chair", "observer", "admin"}
        roles = [r.strip().lower() for r in value.split(",") if r.strip()]
        unknown = [r for r in roles if r not in known]
        if unknown:
            raise ValueError(
                f"unknown role(s) {', '.join(unknown)}; use {', '.join(sorted(known))}"
            )
        return ",".join(roles)

    @field_validator("base_url")
    @classmethod
    def _absolute_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @property
    def mfa_roles(self) -> frozenset[str]:
        return frozenset(r for r in self.mfa_required_roles.split(",") if r)

    @property
    def mail_enabled(self) -> bool:
        return bool(self.smtp_host.strip())

    @model_validator(mode="after")
    def _production_needs_a_secret(self) -> "Settings":
        if self.mode == "production" and (
            self.secret_key.strip().lower() in PLACEHOLDER_SECRETS or len(self.secret_key) < 32
        ):
            raise ValueError(
                "ZERODRAFT_SECRET_KEY must be set to a random value of at least 32 characters "
                "in production mode"
            )
        if self.mode == "production" and self.password_hashing != "argon2id":  # noqa: S105
            raise ValueError("ZERODRAFT_PASSWORD_HASHING=minimal is for tests, not production")
        if self.mode == "production" and (
            self.audit_key.strip().lower() in PLACEHOLDER_SECRETS
            or len(self.audit_key) < 32
            or self.audit_key == self.secret_key
        ):
            raise ValueError(
                "ZERODRAFT_AUDIT_KEY must be set to a random value of at least 32 characters, "
                "other than the secret key, in production mode"
            )
        return self

    @model_validator(mode="after")
    def _one_database_password(self) -> "Settings":
        """A password that would be ignored is refused: the URL has one, or is SQLite's."""
        if not self.database_password:
            return self
        try:
            url = make_url(self.database_url) if self.database_url else None
        except (ValueError, ArgumentError):
            return self  # said by whatever uses the URL (`invalid database URL`)
        if url is None or url.drivername.startswith("sqlite") or url.password is not None:
            raise ValueError(
                "both ZERODRAFT_DATABASE_PASSWORD and a password in ZERODRAFT_DATABASE_URL "
                "(or a SQLite database, which takes none) are set; set only one"
            )
        return self

    @property
    def audit_anchor_path(self) -> Path:
        return self.audit_anchor or self.data_dir / "audit-anchor.log"

    @property
    def effective_database_url(self) -> str:
        if not self.database_url:
            return f"sqlite:///{(self.data_dir / 'zerodraft.sqlite3').as_posix()}"
        if self.database_password:  # the URL has none (_one_database_password)
            return (
                make_url(self.database_url)
                .set(password=self.database_password)
                .render_as_string(hide_password=False)
            )
        return self.database_url

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


@lru_cache
def get_settings() -> Settings:
    return Settings()
