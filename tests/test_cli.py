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
    monkeypatch.setenv("ZERODRAFT_AUDIT_KEY", "a" * 40)
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


def test_export_writes_a_word_file_of_a_demo_round(db_url: str, tmp_path: Path) -> None:
    import hashlib

    import docx

    zerodraft("demo", "--database", db_url)
    out = tmp_path / "rev1-redline.docx"
    code, stdout, err = zerodraft(
        "export", "DWG-FC/Rev.1", "--variant", "redline", "--base", "DWG-FC/ZD", "--comments",
        "-o", str(out), "--database", db_url,
    )  # fmt: skip
    assert code == 0, err
    data = out.read_bytes()
    docx.Document(str(out))
    assert f"sha256 {hashlib.sha256(data).hexdigest()}" in stdout
    latest = tmp_path / "latest.docx"
    code, stdout, _ = zerodraft(
        "export", "latest", "--variant", "clean", "-o", str(latest), "--database", db_url
    )
    assert code == 0 and stdout.startswith("DWG-FC/Rev.1 clean: ")
    by_id = tmp_path / "by-id.docx"
    assert (
        zerodraft("export", "2", "--variant", "clean", "-o", str(by_id), "--database", db_url)[0]
        == 0
    )
    assert by_id.read_bytes() == latest.read_bytes()  # deterministic, and id 2 is Rev.1
    template = tmp_path / "house.docx"
    template.write_bytes(docx_template_bytes())
    code, _, err = zerodraft(
        "export", "latest", "--variant", "responses", "--template", str(template),
        "-o", str(tmp_path / "responses.docx"), "--database", db_url,
    )  # fmt: skip
    assert code == 0, err


def docx_template_bytes() -> bytes:
    from app.word.template import reference_bytes

    return reference_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["NOPE/1", "--variant", "clean"], "error: no round 'NOPE/1'"),
        (["latest", "--variant", "draft"], "error: unknown variant 'draft'"),
        (["latest", "--variant", "redline", "--base", "NOPE"], "error: no round 'NOPE'"),
        (["latest", "--variant", "clean", "--template", "/etc/hostname"], "is not a .docx"),
        (["latest", "--variant", "clean", "--template", "/nowhere/t.docx"], "error: template"),
    ],
)
def test_export_errors_are_one_line(
    db_url: str, tmp_path: Path, args: list[str], message: str
) -> None:
    zerodraft("demo", "--database", db_url)
    code, _, err = zerodraft("export", *args, "-o", str(tmp_path / "x.docx"), "--database", db_url)
    assert code == 1
    assert err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "x.docx").exists()


def test_export_refuses_a_broken_template_and_an_unwritable_output(
    db_url: str, tmp_path: Path
) -> None:
    zerodraft("demo", "--database", db_url)
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"not a zip")
    code, _, err = zerodraft(
        "export", "latest", "--variant", "clean", "--template", str(broken),
        "-o", str(tmp_path / "x.docx"), "--database", db_url,
    )  # fmt: skip
    assert code == 1 and err.count("\n") == 1 and "python-docx" in err
    code, _, err = zerodraft(
        "export", "latest", "--variant", "clean", "-o", str(tmp_path / "no" / "x.docx"),
        "--database", db_url,
    )  # fmt: skip
    assert code == 1 and err.startswith("error: cannot write") and err.count("\n") == 1


def test_export_of_a_round_in_preparation_is_one_line(db_url: str, tmp_path: Path) -> None:
    from app.audit.service import Actor
    from app.models import RoundKind
    from app.rounds import service as rounds

    zerodraft("demo", "--database", db_url)
    database = Database(db_url)
    with database.transaction() as session:
        rounds.create_round(
            session,
            Actor.system("test"),
            symbol="DWG-FC/Rev.2",
            title="Rev.2",
            kind=RoundKind.WRITTEN,
            time_zone="Asia/Jakarta",
            deadline=None,
            opens_at=None,
            instructions="",
            observers_may_comment=False,
            now=utcnow(),
        )
    database.dispose()
    code, _, err = zerodraft(
        "export", "latest", "--variant", "clean", "-o", str(tmp_path / "x.docx"),
        "--database", db_url,
    )  # fmt: skip
    assert code == 1
    assert err == (
        "error: DWG-FC/Rev.2 is in preparation: its text is frozen when it is issued, and can "
        "be exported from then on\n"
    )


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
        ["export"],
    ],
)
def test_every_command_has_help(command: list[str]) -> None:
    code, out, _ = zerodraft(*command, "--help")
    assert code == 0 and "Usage" in out
