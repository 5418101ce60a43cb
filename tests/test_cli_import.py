"""`zerodraft import FILE [--delegation CODE] [--dry-run]`: the contract outside scripts rely on."""

from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from app.cli import app
from app.config import Settings
from app.db import Database
from app.imports.command import CLI_EMAIL, printable
from app.models import AuditEvent, Proposal, User, WordImport
from app.rounds import service as rounds
from app.rounds.export import export_round
from tests import hostile_docx as hostile
from tests.factories import World
from tests.helpers import Clock
from tests.test_imports_api import EDITS, ZD, issue
from tests.word_edits import edit_with_word_xml

runner = CliRunner()


def zerodraft(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def returned_copy(database: Database, clock: Clock, folder: Path) -> Path:
    issue(database, clock)
    with database.transaction() as s:
        data = export_round(
            s,
            rounds.get_round(s, ZD),
            "clean",
            working_group="DWG",
            # The key the command's own settings read (the environment's), as on one server.
            signing_key=Settings().secret_key,
        ).data
    path = folder / "returned by PH-SOMTC.docx"
    path.write_bytes(edit_with_word_xml(data, EDITS))
    return path


def counts(database: Database) -> tuple[int, ...]:
    with database.transaction(write=False) as s:
        return tuple(
            s.scalar(select(func.count()).select_from(m)) or 0
            for m in (Proposal, WordImport, User, AuditEvent)
        )


def test_dry_run_prints_the_preview_and_changes_nothing(
    db_url: str, database: Database, world: World, clock: Clock, tmp_path: Path
) -> None:
    path = returned_copy(database, clock, tmp_path)
    before = counts(database)
    code, out, err = zerodraft(
        "import", str(path), "--delegation", "PH-SOMTC", "--dry-run", "--database", db_url
    )
    assert code == 0, err
    assert f"returned copy of {ZD} for PH-SOMTC" in out
    assert "amend FC-CD-01 by Maria Santos" in out
    assert "amend SEC-PURPOSE [untracked]" in out
    assert "comment on FC-CD-01 on 'personal phone': Does this include a work phone?" in out
    assert out.splitlines()[-1] == "dry run: nothing was changed"
    assert counts(database) == before


def test_import_creates_the_proposals_once_as_the_secretariat(
    db_url: str, database: Database, world: World, clock: Clock, tmp_path: Path
) -> None:
    path = returned_copy(database, clock, tmp_path)
    code, out, err = zerodraft(
        "import", str(path), "--delegation", "ph-somtc", "--database", db_url
    )
    assert code == 0, err
    assert out.count(", submitted") == 4 and out.splitlines()[-1].startswith("imported ")
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Proposal)) == 4
        cli_user = s.scalar(select(User).where(User.email == CLI_EMAIL))
        assert cli_user is not None and cli_user.role.value == "secretariat"
        assert cli_user.password_hash is None
        stamped = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "word_import.created")
        ).all()
        assert stamped and {(e.actor_id, e.request_id) for e in stamped} == {(cli_user.id, "cli")}
    before = counts(database)
    code, out, _ = zerodraft("import", str(path), "--delegation", "PH-SOMTC", "--database", db_url)
    assert code == 0 and "was already imported as I-1; nothing new was created" in out
    assert counts(database) == before


def test_a_refused_file_exits_non_zero_with_one_line(
    db_url: str, database: Database, world: World, clock: Clock, tmp_path: Path
) -> None:
    path = tmp_path / "macro.docm"
    path.write_bytes(hostile.docm())
    before = counts(database)
    code, out, err = zerodraft("import", str(path), "--database", db_url)
    assert code == 1 and out == ""
    assert err.startswith("error: this is a macro-enabled Word file") and err.count("\n") == 1
    code, _, err = zerodraft("import", str(tmp_path / "missing.docx"), "--database", db_url)
    assert code == 1 and err.startswith("error: cannot read") and err.count("\n") == 1
    assert counts(database) == before


def test_a_returned_copy_needs_its_delegation(
    db_url: str, database: Database, world: World, clock: Clock, tmp_path: Path
) -> None:
    path = returned_copy(database, clock, tmp_path)
    code, out, err = zerodraft("import", str(path), "--database", db_url)
    assert code == 1 and out == ""
    assert err == "error: say which delegation sent the file back (e.g. PH-SOMTC)\n"


def test_control_characters_from_a_file_are_printed_as_escapes() -> None:
    # XML admits C1 controls; U+009B is a terminal's CSI, U+001B cannot reach here but is kept
    # harmless too. Thai, emoji and direction marks are text and stay as they are.
    line = "comment: \u009b31mred\u001b[0m\tตัวชี้วัด 🇵🇭 \u200f"
    shown = printable(line)
    assert "\u009b" not in shown and "\u001b" not in shown
    assert "\\x9b31mred" in shown and "\\x1b[0m" in shown
    assert "\tตัวชี้วัด 🇵🇭 \u200f" in shown
