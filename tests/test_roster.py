"""Bulk onboarding: a roster CSV is read as spreadsheets write it, each row is checked and its
problems named, and confirming invites everyone or nobody; from the admin page (preview, then
confirm) and from `zerodraft user import FILE [--dry-run]`."""

import codecs
import re
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from app.accounts import invitations
from app.audit.service import Actor
from app.cli import app as cli
from app.config import Settings
from app.db import Database
from app.errors import InvalidInput
from app.groups import service as groups
from app.mail import worker
from app.models import OutboxMessage, Role, User
from app.people import roster
from tests.factories import World
from tests.helpers import Clock, log_in
from tests.mailserver import MailServer

SYSTEM = Actor.system("test")
GOOD = (
    "Name,E-mail,Delegations,Role\r\n"
    'Nguyễn Văn An,an.nguyen@mps.gov.vn,"PH-SOMTC, TH-SOMTC",member\r\n'
    "Lisa Tan,lisa.tan@asean.test,,observer\r\n"
)


def parsed(data: bytes) -> list[tuple[int, str, str, str, list[str]]]:
    rows, _ = roster.parse(roster.decode(data))
    return [(r.row, r.email, r.name, r.role_text, r.delegations) for r in rows]


def people(database: Database) -> int:
    with database.transaction(write=False) as s:
        return s.scalar(select(func.count()).select_from(User)) or 0


# --- Reading ----------------------------------------------------------------------------------


def test_excel_files_are_read_with_bom_semicolons_and_a_sep_line() -> None:
    excel = (
        codecs.BOM_UTF8 + b"sep=;\r\nEMAIL ADDRESS;Full Name;Country;Delegation Codes;ROLE\r\n\r\n"
        b'"maria@dfa.gov.ph";"Santos; Maria";Philippines;PH-SOMTC|ph-acwc;Member\r\n'
        b";;;;\r\n"
    )
    rows, ignored = roster.parse(roster.decode(excel))
    assert ignored == ["Country"]
    assert [(r.row, r.email, r.name, r.role_text, r.delegations) for r in rows] == [
        (4, "maria@dfa.gov.ph", "Santos; Maria", "Member", ["PH-SOMTC", "PH-ACWC"])
    ]


def test_utf16_tab_separated_and_headerless_rows_are_read() -> None:
    unicode_text = "a@b.test\tBudi  Hartono\tchair\r\n".encode("utf-16")
    assert parsed(unicode_text) == [(1, "a@b.test", "Budi Hartono", "chair", [])]
    plain = b"x@y.test,X,,ID-AICHR ph-somtc ID-AICHR\n"
    assert parsed(plain) == [(1, "x@y.test", "X", "", ["ID-AICHR", "PH-SOMTC"])]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("Maria,Sánchez".encode("cp1252"), "not UTF-8 text"),
        (b"", "the file is empty"),
        (b"\n \r\n", "the file is empty"),
        (b"email,name\r\n", "no rows of people, only a header"),
        (b"email,role\r\nx@y.org,member\r\n", "no \u201cname\u201d column"),
        (b"a\x00b", "holds NUL bytes"),
        (b"x" * (roster.MAX_BYTES + 1), "a roster may be at most 512 KB"),
        (b"email,name\n" + b"a@b.org,A\n" * (roster.MAX_ROWS + 1), "more than 1,000 people"),
        (b'email,name\n"a@b.org,A\n', "cannot be read as CSV"),
    ],
)
def test_a_file_that_is_no_roster_is_refused_as_a_whole(data: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(message)) as refused:
        roster.parse(roster.decode(data))
    assert refused.value.extra["field"] == "file"


# --- Checking ---------------------------------------------------------------------------------


def test_every_problem_is_named_on_its_row(
    database: Database, world: World, settings: Settings, clock: Clock
) -> None:
    with database.transaction() as s:
        groups.retire_delegation(s, SYSTEM, code="TH-SOMTC", now=clock.now)
    data = (
        "email,name,role,delegations\n"
        "ok@asean.test,Okay Person,member,PH-SOMTC\n"  # 2
        "not-an-address,Bad Address,member,PH-SOMTC\n"  # 3
        "OK@asean.test,Same Again,observer,\n"  # 4
        f"{world.member},Already Here,member,PH-SOMTC\n"  # 5
        "noname@asean.test,,member,PH-SOMTC\n"  # 6
        "king@asean.test,King,king,\n"  # 7
        "lonely@asean.test,Lonely Member,,\n"  # 8
        "old@asean.test,Old,member,TH-SOMTC XX-NOPE\n"  # 9
        ",No Mail,observer,\n"  # 10
        "boss@asean.test,Boss,admin,\n"  # 11
    ).encode()
    with database.transaction(write=False) as s:
        found = roster.read(s, data, inviter_role=Role.SECRETARIAT)
    assert not found.ok
    assert found.problems == [
        (3, "“not-an-address” is not an e-mail address"),
        (4, "the same e-mail address as row 2"),
        (5, f"an account already exists for {world.member}"),
        (6, "the name is missing"),
        (7, "“king” is not a role (use member, secretariat, chair, observer, admin)"),
        (8, "a member needs at least one delegation"),
        (9, "delegation TH-SOMTC is retired"),
        (9, "there is no delegation XX-NOPE"),
        (10, "the e-mail address is missing"),
        (11, "only an admin may invite an admin"),
    ]
    assert found.rows[0].ok and found.rows[0].role is Role.MEMBER
    # The command line may invite an admin.
    with database.transaction(write=False) as s:
        cli_view = roster.read(s, data, inviter_role=None)
    assert (11, "only an admin may invite an admin") not in cli_view.problems


def test_confirming_invites_everyone_in_one_transaction(
    database: Database, world: World, settings: Settings, clock: Clock
) -> None:
    before = people(database)
    with database.transaction() as s:
        invited = roster.confirm(
            s, SYSTEM, GOOD.encode(), inviter_role=Role.ADMIN, now=clock.now, settings=settings
        )
    assert [(u.email, u.name, u.role) for u in invited] == [
        ("an.nguyen@mps.gov.vn", "Nguyễn Văn An", Role.MEMBER),
        ("lisa.tan@asean.test", "Lisa Tan", Role.OBSERVER),
    ]
    assert people(database) == before + 2
    with database.transaction(write=False) as s:
        assert all(invitations.pending(s, u.id) for u in invited)
        assert s.scalar(select(func.count()).where(OutboxMessage.kind == "invitation")) == 2


def test_a_roster_that_went_wrong_since_the_preview_creates_nobody(
    database: Database, world: World, settings: Settings, clock: Clock
) -> None:
    before = people(database)
    with database.transaction() as s:
        invitations.invite(
            s,
            SYSTEM,
            email="lisa.tan@asean.test",
            name="Lisa",
            role=Role.OBSERVER,
            now=clock.now,
            settings=settings,
            inviter_role=None,
        )
    with database.transaction() as s, pytest.raises(roster.RosterRefused) as refused:
        roster.confirm(
            s, SYSTEM, GOOD.encode(), inviter_role=Role.ADMIN, now=clock.now, settings=settings
        )
    assert refused.value.roster.problems == [
        (3, "an account already exists for lisa.tan@asean.test")
    ]
    assert "1 of 2 rows" in refused.value.detail
    assert people(database) == before + 1


def test_a_failure_part_way_leaves_nothing_behind(
    database: Database,
    world: World,
    settings: Settings,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = invitations.invite
    calls = 0

    def fails_on_the_second(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("the database went away")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(invitations, "invite", fails_on_the_second)
    before = people(database)
    with pytest.raises(RuntimeError), database.transaction() as s:
        roster.confirm(
            s, SYSTEM, GOOD.encode(), inviter_role=Role.ADMIN, now=clock.now, settings=settings
        )
    assert people(database) == before
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_the_sealed_preview_is_for_one_person_for_one_hour(clock: Clock) -> None:
    key = "k" * 40
    sealed = roster.seal(key, 7, GOOD.encode(), now=clock.now)
    assert roster.unseal(key, 7, sealed, now=clock.now + timedelta(minutes=59)) == GOOD.encode()
    with pytest.raises(InvalidInput, match="could not be read back"):
        roster.unseal(key, 8, sealed, now=clock.now)
    with pytest.raises(InvalidInput, match="could not be read back"):
        roster.unseal(
            key, 7, sealed.replace(sealed[5], "A" if sealed[5] != "A" else "B"), now=clock.now
        )
    with pytest.raises(InvalidInput, match="more than an hour old"):
        roster.unseal(key, 7, sealed, now=clock.now + timedelta(minutes=61))


# --- Pages ------------------------------------------------------------------------------------


def test_upload_preview_correct_and_confirm_on_the_page(
    client: TestClient,
    world: World,
    database: Database,
    settings: Settings,
    clock: Clock,
    mail_server: MailServer,
) -> None:
    csrf = log_in(client, world.secretariat)
    form = client.get("/admin/people/import")
    assert form.status_code == 200 and 'type="file"' in form.text
    bad = GOOD + "Ghost,ghost@asean.test,XX-NONE,member\r\n"
    preview = client.post(
        "/admin/people/import",
        data={"csrf_token": csrf},
        files={"file": ("roster.csv", bad.encode(), "text/csv")},
    )
    assert preview.status_code == 422
    assert (
        'href="#row-4"' in preview.text and "Row 4: there is no delegation XX-NONE" in preview.text
    )
    assert 'id="confirm-roster"' not in preview.text
    assert "Ghost,ghost@asean.test,XX-NONE,member" in preview.text  # back in the box to correct
    assert people(database) == 8
    corrected = client.post(
        "/admin/people/import",
        data={"csrf_token": csrf, "content": bad.replace("XX-NONE", "ID-AICHR")},
    )
    assert corrected.status_code == 200
    assert "Ready: 3 people to invite" in corrected.text and "Send 3 invitations" in corrected.text
    sealed = re.search(r'name="roster" value="([^"]+)"', corrected.text)
    assert sealed
    done = client.post(
        "/admin/people/import/confirm",
        data={"csrf_token": csrf, "roster": sealed.group(1)},
        follow_redirects=True,
    )
    assert done.status_code == 200 and "3 invitations sent" in done.text
    assert 'data-email="ghost@asean.test"' in done.text
    assert people(database) == 11
    # Confirming the same preview again invites nobody twice.
    again = client.post(
        "/admin/people/import/confirm", data={"csrf_token": csrf, "roster": sealed.group(1)}
    )
    assert again.status_code == 409 and "nothing was created" in again.text
    assert "Row 2: an account already exists for an.nguyen@mps.gov.vn" in again.text
    assert people(database) == 11
    # The invitations go out over SMTP, each with its own link.
    worker.deliver_due(database, mail_server.settings_for(settings), clock)
    (mail,) = mail_server.to("an.nguyen@mps.gov.vn")
    assert mail.link_to("/invitation/").startswith("http://testserver/invitation/")
    assert len(mail_server.messages) == 3


def test_a_tampered_or_foreign_preview_is_refused(
    client: TestClient, world: World, database: Database, settings: Settings, clock: Clock
) -> None:
    csrf = log_in(client, world.admin)
    forged = roster.seal("another-key-" * 4, 1, b"email,name\nx@y.org,X\n", now=clock.now)
    refused = client.post(
        "/admin/people/import/confirm", data={"csrf_token": csrf, "roster": forged}
    )
    assert refused.status_code == 422 and "upload the file again" in refused.text
    sec_id = _id(database, world.secretariat)
    theirs = roster.seal(settings.secret_key, sec_id, b"email,name\nx@y.org,X\n", now=clock.now)
    foreign = client.post(
        "/admin/people/import/confirm", data={"csrf_token": csrf, "roster": theirs}
    )
    assert foreign.status_code == 422
    assert people(database) == 8
    nothing = client.post("/admin/people/import", data={"csrf_token": csrf})
    assert nothing.status_code == 422 and "Choose the roster file" in nothing.text
    latin = client.post(
        "/admin/people/import",
        data={"csrf_token": csrf},
        files={"file": ("r.csv", "José,j@x.org".encode("cp1252"), "text/csv")},
    )
    assert latin.status_code == 422 and "CSV UTF-8" in latin.text
    # A file over the limit is read no further than the limit: its size is not claimed.
    large = client.post(
        "/admin/people/import",
        data={"csrf_token": csrf},
        files={"file": ("r.csv", b"x" * (600 * 1024), "text/csv")},
    )
    assert large.status_code == 422
    assert "The file is more than 512 KB; a roster may be at most 512 KB" in large.text


def _id(database: Database, email: str) -> int:
    with database.transaction(write=False) as s:
        user = s.scalars(select(User).where(User.email == email)).one()
        return user.id


# --- Command line -----------------------------------------------------------------------------

runner = CliRunner()


def zerodraft(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_user_import_dry_run_then_for_real(db_url: str, world: World, tmp_path: Path) -> None:
    file = tmp_path / "roster.csv"
    file.write_bytes(codecs.BOM_UTF8 + GOOD.encode())
    code, out, _ = zerodraft("user", "import", str(file), "--dry-run", "--database", db_url)
    assert code == 0
    assert out.splitlines() == [
        "row 2: an.nguyen@mps.gov.vn, Nguyễn Văn An, member for PH-SOMTC TH-SOMTC: will be invited",
        "row 3: lisa.tan@asean.test, Lisa Tan, observer: will be invited",
        "dry run: 2 people would be invited; nobody was",
    ]
    database = Database(db_url)
    try:
        assert people(database) == 8
        code, out, _ = zerodraft("user", "import", str(file), "--database", db_url)
        assert code == 0 and out.splitlines()[-1] == (
            "invited 2 people; each has an invitation mail in the outbox"
        )
        assert people(database) == 10
        code, out, err = zerodraft("user", "import", str(file), "--database", db_url)
    finally:
        database.dispose()
    assert code == 1
    assert "row 2: an.nguyen@mps.gov.vn, Nguyễn Văn An, member for PH-SOMTC TH-SOMTC: " \
        "an account already exists for an.nguyen@mps.gov.vn" in out  # fmt: skip
    assert err == "error: 2 of 2 rows have problems (above); nobody was invited\n"


def test_user_import_errors_are_one_line(db_url: str, world: World, tmp_path: Path) -> None:
    code, _, err = zerodraft("user", "import", str(tmp_path / "missing.csv"), "--database", db_url)
    assert code == 1 and err.startswith("error: cannot read") and err.count("\n") == 1
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    code, _, err = zerodraft("user", "import", str(empty), "--database", db_url)
    assert (code, err) == (1, "error: the file is empty\n")
    one_bad = tmp_path / "bad.csv"
    one_bad.write_text("email,name,role,delegations\nx@y.test,X,member,\n")
    code, out, err = zerodraft("user", "import", str(one_bad), "--dry-run", "--database", db_url)
    assert code == 1 and "a member needs at least one delegation" in out
    assert err == "error: 1 of 1 rows have problems (above); nobody was invited\n"


def test_user_import_has_help() -> None:
    code, out, _ = zerodraft("user", "import", "--help")
    assert code == 0 and "--dry-run" in out
