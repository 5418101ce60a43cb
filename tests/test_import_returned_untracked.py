"""A pending proposal's words edited in a returned compilation WITHOUT Track Changes (Word review
D2): the delegation's own proposal is revised, another delegation's becomes the uploader's own
alternative (marked untracked, as any untracked edit is), and only a proposal really changed
since the export is left out with the note that says so. Whether it changed is read from what
the export showed (the manifest's hash of the proposal's paragraph), since an untracked edit
leaves no record of the words it replaced. Driven as people do it: the compilation downloaded
over HTTP, edited in Word's XML, uploaded to the import API and given to the command line.
"""

import re
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import app as cli
from app.config import Settings
from app.db import Database
from app.rounds import service as rounds
from app.rounds.export import export_round
from tests.factories import World, bearer, token_for
from tests.helpers import Clock
from tests.test_import_returned_proposals import (
    OURS,
    THEIRS,
    _proposal_text,
    by_id,
    compilation,
    count,
    pending,
)
from tests.test_imports_api import ZD, confirm, upload
from tests.word_edits import _isolate, _open, _save, _text, _visible_runs, w


def untracked_replace(docx: bytes, edits: list[tuple[str, str, str]]) -> bytes:
    """As Word writes it with Track Changes off: in each proposal's text, `old` overtyped by
    `new` in the same run, no w:ins or w:del."""
    doc = _open(docx)
    for reference, old, new in edits:
        p = _proposal_text(doc, reference)
        shown = "".join(_text(r) for r in _visible_runs(p))
        at = shown.index(old)
        runs = _isolate(p, at, at + len(old))
        runs[0].find(w("t")).text = new
        for r in runs[1:]:
            r.getparent().remove(r)
    return _save(doc)


def test_an_untracked_edit_of_the_delegations_own_proposal_revises_it(
    client: TestClient, database: Database, world: World, clock: Clock, sec: dict[str, str]
) -> None:
    ours, _ = pending(client, database, world, clock)
    edited = untracked_replace(compilation(client, sec), [(f"P-{ours}", "fenced", "walled")])
    response = upload(client, sec, edited)  # for PH-SOMTC, whose proposal it is
    assert response.status_code == 201, response.text
    body = response.json()
    preview = body["preview"]
    assert preview["problems"] == [], preview["problems"]
    (revision,) = preview["proposals"]
    assert revision["revises"] == f"P-{ours}" and revision.get("alternative_to") is None
    assert revision["fields"]["text"] == "Confined to a walled compound"
    assert revision["untracked"] is True and revision["authors"] == []
    assert confirm(client, sec, body).status_code == 200
    assert by_id(database, ours).content == {"text": "Confined to a walled compound"}
    assert count(database) == 2


def test_an_untracked_edit_of_another_delegations_proposal_is_an_untracked_alternative(
    client: TestClient, database: Database, world: World, clock: Clock, sec: dict[str, str]
) -> None:
    _, theirs = pending(client, database, world, clock)
    edited = untracked_replace(compilation(client, sec), [(f"P-{theirs}", "withheld", "seized")])
    body = upload(client, sec, edited).json()
    preview = body["preview"]
    assert preview["problems"] == [], preview["problems"]
    (alternative,) = preview["proposals"]
    assert alternative["alternative_to"] == f"P-{theirs}" and alternative.get("revises") is None
    assert alternative["fields"] == {"text": "Passport or personal phone seized by the operators"}
    assert alternative["untracked"] is True
    assert "changed after the export" not in alternative["note"], alternative["note"]
    assert confirm(client, sec, body).status_code == 200
    assert by_id(database, theirs).content == {"text": THEIRS}
    assert count(database) == 3


def test_an_untracked_edit_of_a_proposal_changed_since_the_export_says_so(
    client: TestClient, database: Database, world: World, clock: Clock, sec: dict[str, str]
) -> None:
    ours, theirs = pending(client, database, world, clock)
    edited = untracked_replace(
        compilation(client, sec),
        [(f"P-{ours}", "fenced", "walled"), (f"P-{theirs}", "withheld", "seized")],
    )
    for member, pid, text in (
        (world.member, ours, "Confined to a closed compound"),
        (world.member2, theirs, "Passport or personal phone kept by the operators"),
    ):
        headers = bearer(token_for(database, member, clock.now))
        etag = client.get(f"/api/v1/proposals/{pid}", headers=headers).headers["ETag"]
        changed = client.patch(
            f"/api/v1/proposals/{pid}",
            json={"content": {"text": text}},
            headers=headers | {"If-Match": etag},
        )
        assert changed.status_code == 200, changed.text
    body = upload(client, sec, edited).json()
    preview = body["preview"]
    (problem,) = preview["problems"]
    assert f"P-{ours} was changed after this copy was exported" in problem
    (alternative,) = preview["proposals"]
    assert alternative["alternative_to"] == f"P-{theirs}"
    assert f"P-{theirs} was changed after the export" in alternative["note"]
    assert confirm(client, sec, body).status_code == 200
    assert by_id(database, ours).content == {"text": "Confined to a closed compound"}


def test_the_dry_run_lists_the_owners_untracked_edit_as_a_revision(
    client: TestClient,
    database: Database,
    world: World,
    clock: Clock,
    db_url: str,
    tmp_path: Path,
) -> None:
    """The review's own steps: export the compilation with the command line's key, overtype a
    word of the delegation's own proposal, `zerodraft import --delegation ... --dry-run`."""
    ours, _ = pending(client, database, world, clock)
    with database.transaction() as s:
        exported = export_round(
            s,
            rounds.get_round(s, ZD),
            "compilation",
            working_group="DWG",
            signing_key=Settings().secret_key,
        ).data
    path = tmp_path / "comp.docx"
    path.write_bytes(untracked_replace(exported, [(f"P-{ours}", "fenced", "walled")]))
    result = CliRunner().invoke(
        cli,
        ["import", str(path), "--delegation", "PH-SOMTC", "--dry-run", "--database", db_url],
    )
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert re.search(r": 1 proposals?, 0 comments$", out.splitlines()[0]), out
    assert f"  amend FC-CD-02 (revision of P-{ours}) [untracked]" in out.splitlines(), out
    assert "text: Confined to a [-fenced-]{+walled+} compound" in out, out
    assert "could not place" not in out and "changed after" not in out, out
    assert by_id(database, ours).content == {"text": OURS}
