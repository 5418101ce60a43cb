"""Secrets from files (issue 17, the Docker secrets convention): ZERODRAFT_X_FILE=/run/secrets/x
gives setting X the file's content, for every secret setting; a file that is missing,
unreadable or empty, or a setting given both ways, stops the command with a message naming the
variable."""

import os
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy.engine import make_url

from app.config import Settings
from tests.test_cli import zerodraft

SECRETS = {
    "secret_key": "k" * 40,
    "audit_key": "a" * 40,
    "smtp_password": "p@ss w/ 'quotes' and spaces",
    "metrics_token": "t0ken-for-prometheus",
    "database_password": "zerodraft:/@?#%",
    "database_url": "postgresql+psycopg://zerodraft:pw@postgres:5432/zerodraft",
}


@pytest.fixture(autouse=True)
def _no_secrets_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SECRETS:
        monkeypatch.delenv(f"ZERODRAFT_{name.upper()}", raising=False)
        monkeypatch.delenv(f"ZERODRAFT_{name.upper()}_FILE", raising=False)


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_every_secret_setting_may_come_from_a_file(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / name
    secret.write_text(SECRETS[name] + "\n")  # as `echo ... > file` writes it
    monkeypatch.setenv(f"ZERODRAFT_{name.upper()}_FILE", str(secret))
    if name == "database_password":  # for a URL without one
        monkeypatch.setenv("ZERODRAFT_DATABASE_URL", "postgresql+psycopg://u@postgres/zerodraft")
    assert getattr(Settings(), name) == SECRETS[name]


def test_the_database_password_goes_into_a_url_without_one(tmp_path: Path) -> None:
    settings = Settings(
        database_url="postgresql+psycopg://zerodraft@postgres:5432/zerodraft",
        database_password=SECRETS["database_password"],
    )
    url = make_url(settings.effective_database_url)
    assert url.password == SECRETS["database_password"]
    assert (url.username, url.host, url.database) == ("zerodraft", "postgres", "zerodraft")


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://zerodraft:other@postgres:5432/zerodraft",  # has its own password
        "sqlite:///data/zerodraft.sqlite3",  # takes none
        "",  # the default: SQLite
    ],
)
def test_a_database_password_that_would_be_ignored_is_refused(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZERODRAFT_DATABASE_URL", url)
    monkeypatch.setenv("ZERODRAFT_DATABASE_PASSWORD", "x")
    code, _, err = zerodraft("worker", "--once")
    assert code == 1
    assert "both ZERODRAFT_DATABASE_PASSWORD and a password in ZERODRAFT_DATABASE_URL" in err
    assert "set only one" in err


def test_a_production_configuration_from_files_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("secret_key", "audit_key"):
        (tmp_path / name).write_text(SECRETS[name])
        monkeypatch.setenv(f"ZERODRAFT_{name.upper()}_FILE", str(tmp_path / name))
    settings = Settings(mode="production")
    assert (settings.secret_key, settings.audit_key) == (
        SECRETS["secret_key"],
        SECRETS["audit_key"],
    )


def test_a_file_named_in_the_env_file_counts_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "token").write_text("from-a-file")
    env_file = tmp_path / ".env"
    env_file.write_text(f"ZERODRAFT_METRICS_TOKEN_FILE={tmp_path / 'token'}\n")
    assert Settings(_env_file=env_file).metrics_token == "from-a-file"


def test_the_commands_run_on_a_database_url_from_a_file(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real thing: the worker and a backup connect with the URL read from the file."""
    (tmp_path / "url").write_text(db_url + "\n")
    monkeypatch.setenv("ZERODRAFT_DATABASE_URL_FILE", str(tmp_path / "url"))
    code, _, err = zerodraft("worker", "--once")
    assert code == 0, err
    code, out, err = zerodraft("backup", str(tmp_path / "b.zip"))
    assert code == 0, err
    assert out.startswith("backup of ")


@pytest.mark.parametrize(
    ("problem", "expected"),
    [
        ("missing", "cannot read the file (No such file or directory)"),
        ("folder", "cannot read the file (Is a directory)"),
        ("fifo", "not a regular file"),
        ("device", "not a regular file"),
        ("large", "the file is larger than 64 KiB"),
        ("crlf", "the file must hold one line (a line break other than one at the end)"),
        ("two line feeds", "the file must hold one line (a line break other than one at the end)"),
        ("two lines", "the file must hold one line (a line break other than one at the end)"),
        ("empty", "the file is empty"),
        ("blank", "the file is empty"),
        ("binary", "the file is not UTF-8 text"),
    ],
)
def test_a_file_that_cannot_give_the_secret_stops_the_command_naming_it(
    problem: str, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "secret_key"
    if problem == "folder":
        path.mkdir()
    elif problem == "fifo":
        os.mkfifo(path)  # opened, it would wait for a writer for ever
    elif problem == "device":
        path = Path("/dev/zero")  # read whole, endless
    elif problem == "large":
        path.write_bytes(b"k" * (64 * 1024 + 1))
    elif problem == "crlf":
        path.write_bytes(b"secret\r\n")  # the postgres image's file_env keeps the \r
    elif problem == "two line feeds":
        path.write_bytes(b"secret\n\n")  # ... and strips both \n
    elif problem == "two lines":
        path.write_bytes(b"secret\nmore")
    elif problem == "empty":
        path.write_text("")
    elif problem == "blank":
        path.write_text(" \n")
    elif problem == "binary":
        path.write_bytes(b"\xff\xfe\x00secret")
    monkeypatch.setenv("ZERODRAFT_SECRET_KEY_FILE", str(path))
    message = f"ZERODRAFT_SECRET_KEY_FILE={path}: {expected}"
    with pytest.raises(ValidationError, match="secret_key") as raised:
        Settings()
    assert message in str(raised.value)
    code, _, err = zerodraft("worker", "--once")
    assert code == 1
    assert err == f"error: invalid settings: ZERODRAFT_SECRET_KEY: {message}\n"


def test_a_setting_given_both_ways_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "token").write_text("one")
    monkeypatch.setenv("ZERODRAFT_METRICS_TOKEN_FILE", str(tmp_path / "token"))
    monkeypatch.setenv("ZERODRAFT_METRICS_TOKEN", "two")
    code, _, err = zerodraft("worker", "--once")
    assert code == 1
    assert (
        "ZERODRAFT_METRICS_TOKEN: both ZERODRAFT_METRICS_TOKEN and ZERODRAFT_METRICS_TOKEN_FILE "
        "are set; set only one" in err
    )
    # Empty counts as unset, as compose's ${X:-} writes it.
    monkeypatch.setenv("ZERODRAFT_METRICS_TOKEN", "")
    assert Settings().metrics_token == "one"
    monkeypatch.setenv("ZERODRAFT_METRICS_TOKEN_FILE", "")
    monkeypatch.setenv("ZERODRAFT_METRICS_TOKEN", "two")
    assert Settings().metrics_token == "two"


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("postgresql+psycopg://u:s3cret@host:notaport/db", "a port that is not a number"),
        ("s3cret is no url", "no URL"),
    ],
)
def test_a_malformed_database_url_from_a_file_is_one_line_without_the_url(
    url: str, why: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "url").write_text(url + "\n")
    monkeypatch.setenv("ZERODRAFT_DATABASE_URL_FILE", str(tmp_path / "url"))
    code, _, err = zerodraft("worker", "--once")
    assert code == 1
    assert err == f"error: invalid settings: ZERODRAFT_DATABASE_URL: invalid database URL ({why})\n"
    # The app's start (uvicorn's log shows the error) does not show it either.
    with pytest.raises(ValidationError) as raised:
        Settings()
    assert "invalid database URL" in str(raised.value)
    assert "s3cret" not in str(raised.value)
