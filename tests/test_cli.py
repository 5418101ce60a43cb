"""The zerodraft command: one unit of work per command, one-line errors, exit status 1."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.accounts import service as accounts
from app.cli import app
from app.db import Database, utcnow
from app.demo.loader import DEMO_PASSWORD

runner = CliRunner()


def zerodraft(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_db_upgrade_creates_the_schema_then_has_nothing_to_do(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    code, out, _ = zerodraft("db", "upgrade", "--database", url)
    assert code == 0 and "upgraded from empty" in out
    code, out, _ = zerodraft("db", "upgrade", "--database", url)
    assert code == 0 and "up to date" in out


def test_demo_loads_once_and_prints_the_log_ins(db_url: str) -> None:
    code, out, _ = zerodraft("demo", "--database", db_url)
    assert code == 0
    assert "http://127.0.0.1:8000" in out
    assert "member.ph@demo.zerodraft.org" in out and "PH-SOMTC, PH-ACWC" in out
    assert DEMO_PASSWORD in out
    code, out, _ = zerodraft("demo", "--database", db_url)
    assert code == 0
    assert out.splitlines()[0] == "database already has data; demo not loaded"


def test_demo_is_refused_in_production_mode(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZERODRAFT_MODE", "production")
    monkeypatch.setenv("ZERODRAFT_SECRET_KEY", "k" * 40)
    code, _, err = zerodraft("demo", "--database", db_url)
    assert code == 1
    assert err == "error: the demo is not loaded in production mode\n"


def test_user_add_reads_the_password_from_stdin(db_url: str) -> None:
    zerodraft("demo", "--database", db_url)
    args = ["user", "add", "--email", "X@Y.org", "--name", "X", "--role", "member"]
    args += ["--delegation", "ph-somtc", "--password-stdin", "--database", db_url]
    code, out, _ = zerodraft(*args, stdin="a-long-password\n")
    assert code == 0 and "x@y.org" in out and "PH-SOMTC" in out
    database = Database(db_url)
    with database.transaction(write=False) as session:
        user = accounts.get_user_by_email(session, "x@y.org")
        refs = accounts.delegation_refs(session, [user.id])[user.id]
    database.dispose()
    assert [r.code for r in refs] == ["PH-SOMTC"]


def test_a_duplicate_user_is_one_line_on_stderr_and_exit_1(db_url: str) -> None:
    args = ["user", "add", "--email", "x@y.org", "--name", "X", "--role", "observer"]
    args += ["--password-stdin", "--database", db_url]
    assert zerodraft(*args, stdin="a-long-password\n")[0] == 0
    code, _, err = zerodraft(*args, stdin="a-long-password\n")
    assert code == 1
    assert err == "error: a user with e-mail x@y.org already exists\n"


def test_token_create_prints_a_working_token_last(db_url: str) -> None:
    zerodraft("demo", "--database", db_url)
    code, out, _ = zerodraft(
        "token", "create", "--email", "observer@demo.zerodraft.org", "--database", db_url
    )
    assert code == 0
    raw = out.splitlines()[-1]
    database = Database(db_url)
    with database.transaction(write=False) as session:
        principal = accounts.principal_for_token(session, raw, now=utcnow())
    database.dispose()
    assert principal is not None and principal.email == "observer@demo.zerodraft.org"


def test_user_disable_then_again_is_an_error(db_url: str) -> None:
    zerodraft("demo", "--database", db_url)
    args = ["user", "disable", "--email", "observer@demo.zerodraft.org", "--database", db_url]
    assert zerodraft(*args)[:2] == (0, "disabled observer@demo.zerodraft.org\n")
    code, _, err = zerodraft(*args)
    assert code == 1 and err.startswith("error: ") and err.count("\n") == 1


def test_bad_settings_are_one_line(monkeypatch: pytest.MonkeyPatch, db_url: str) -> None:
    monkeypatch.setenv("ZERODRAFT_TIME_ZONE", "Mars/Olympus")
    code, _, err = zerodraft("demo", "--database", db_url)
    assert code == 1
    assert err == "error: invalid settings: ZERODRAFT_TIME_ZONE: unknown time zone 'Mars/Olympus'\n"


def test_an_unmigrated_database_says_to_upgrade(tmp_path: Path) -> None:
    code, _, err = zerodraft("demo", "--database", f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert code == 1
    assert "run `zerodraft db upgrade` first" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["serve"],
        ["db", "upgrade"],
        ["demo"],
        ["user", "add"],
        ["user", "disable"],
        ["token", "create"],
    ],
)
def test_every_command_has_help(command: list[str]) -> None:
    code, out, _ = zerodraft(*command, "--help")
    assert code == 0 and "Usage" in out
