"""A pending proposal's words edited in a returned compilation (issue 15, item 4): the uploading
delegation's own proposal is revised (never over words changed since the export), another
delegation's becomes the uploader's own alternative built on it, the deleted and inserted words
kept apart. Driven as people do it: the compilation downloaded over HTTP, edited in Word's own
XML or by a real LibreOffice, uploaded to the import API or page, and given to the command line.
"""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import func, select
from typer.testing import CliRunner

from app.cli import app as cli
from app.config import Settings
from app.db import Database
from app.models import AuditEvent, Comment, Proposal, ProposalTarget
from app.rounds import service as rounds
from app.rounds.export import MEDIA_TYPE, export_round
from tests.factories import World, bearer, token_for
from tests.helpers import Clock, log_in, text_of
from tests.test_imports_api import ZD, confirm, issue, upload
from tests.word_edits import (
    LoEdit,
    Reply,
    ReplyTo,
    _add_comment,
    _change,
    _delete_runs,
    _isolate,
    _new_run,
    _open,
    _reference_run,
    _save,
    _text,
    _visible_runs,
    edit_with_libreoffice,
    edit_with_word_xml,
    w,
)

ANA = "Ana Reyes"
WHEN = datetime(2026, 3, 2, 10, 15, tzinfo=UTC)
OURS = "Confined to a fenced compound"  # PH-SOMTC's proposal on FC-CD-02
THEIRS = "Passport or personal phone withheld by the operators"  # ID-AICHR's, on FC-CD-01


def propose(client: TestClient, headers: dict[str, str], code: str, text: str, who: str) -> int:
    response = client.post(
        "/api/v1/proposals",
        json={
            "kind": "amend",
            "targets": [code],
            "content": {"text": text},
            "rationale": "Clearer.",
            "delegation": who,
            "submit": True,
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def pending(client: TestClient, database: Database, world: World, clock: Clock) -> tuple[int, int]:
    """The round open, PH-SOMTC's proposal on FC-CD-02 and ID-AICHR's on FC-CD-01."""
    issue(database, clock)
    ph = bearer(token_for(database, world.member, clock.now))
    indonesia = bearer(token_for(database, world.member2, clock.now))
    return (
        propose(client, ph, "FC-CD-02", OURS, "PH-SOMTC"),
        propose(client, indonesia, "FC-CD-01", THEIRS, "ID-AICHR"),
    )


def compilation(client: TestClient, headers: dict[str, str]) -> bytes:
    response = client.get(
        f"/api/v1/rounds/{ZD}/export.docx", params={"variant": "compilation"}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.content


def _proposal_text(doc: Any, reference: str) -> Any:
    """The "Text: [...]" paragraph under the proposal's heading."""
    heading = None
    for p in doc.body.iter(w("p")):
        style = p.find(f"{w('pPr')}/{w('pStyle')}")
        name = style.get(w("val")) if style is not None else ""
        if name == "ZDProposalHeading":
            heading = "".join(_text(r) for r in _visible_runs(p))
        elif name == "ZDProposalText" and heading and f"{reference}: " in heading:
            return p
    raise AssertionError(f"no text of {reference} in the file")


def word_replace(docx: bytes, edits: list[tuple[str, str, str]]) -> bytes:
    """As Word writes it with Track Changes on: in each proposal's text, `old` deleted and
    `new` typed right after it (an empty `old`: `new` typed after the word before)."""
    doc = _open(docx)
    for reference, old, new in edits:
        p = _proposal_text(doc, reference)
        shown = "".join(_text(r) for r in _visible_runs(p))
        at = shown.index(old)
        runs = _isolate(p, at, at + len(old))
        last = runs[-1]
        _delete_runs(doc, runs, ANA, WHEN)
        wrapper = _change(doc, "ins", ANA, WHEN)
        wrapper.append(_new_run(new, last))
        last.getparent().addnext(wrapper)
    return _save(doc)


def by_id(database: Database, proposal_id: int) -> Proposal:
    with database.transaction(write=False) as s:
        proposal = s.get(Proposal, proposal_id)
        assert proposal is not None
        s.expunge(proposal)
        return proposal


def count(database: Database) -> int:
    with database.transaction(write=False) as s:
        return s.scalar(select(func.count()).select_from(Proposal)) or 0


def check_words_kept_apart(ops: list[list[str]], before: str, after: str) -> None:
    assert "".join(t for op, t in ops if op != "insert") == before
    assert "".join(t for op, t in ops if op != "delete") == after


def test_edited_proposals_become_a_revision_and_an_alternative_over_http(
    client: TestClient, database: Database, world: World, clock: Clock, sec: dict[str, str]
) -> None:
    ours, theirs = pending(client, database, world, clock)
    edited = word_replace(
        compilation(client, sec),
        [(f"P-{ours}", "fenced", "fenced and locked"), (f"P-{theirs}", "withheld", "seized")],
    )
    response = upload(client, sec, edited)
    assert response.status_code == 201, response.text
    body = response.json()
    preview = body["preview"]
    assert preview["unplaced"] == [] and preview["problems"] == []
    assert body["counts"]["proposals"] == 2
    revision, alternative = sorted(preview["proposals"], key=lambda p: p.get("revises") is None)
    assert revision["revises"] == f"P-{ours}" and revision.get("alternative_to") is None
    assert revision["fields"]["text"] == "Confined to a fenced and locked compound"
    assert revision["authors"] == [ANA] and revision["rationale"] == ""
    assert alternative["alternative_to"] == f"P-{theirs}" and alternative.get("revises") is None
    assert (alternative["kind"], alternative["item"]) == ("amend", "FC-CD-01")
    new_text = "Passport or personal phone seized by the operators"
    assert alternative["fields"] == {"text": new_text}
    # The deleted and the inserted words apart, each a whole word, spaces where they were.
    assert ["delete", "withheld"] in alternative["diffs"]["text"]
    assert ["insert", "seized"] in alternative["diffs"]["text"]
    check_words_kept_apart(alternative["diffs"]["text"], THEIRS, new_text)

    # The page shows what each becomes.
    page = TestClient(client.app, base_url="http://testserver")
    log_in(page, world.secretariat)
    shown = text_of(page.get(f"/imports/{body['id']}").text)
    assert f"Revision of P-{ours} (on FC-CD-02)" in shown
    assert f"Alternative to P-{theirs} (on FC-CD-01)" in shown
    assert "could not be placed" not in shown

    done = confirm(client, sec, body)
    assert done.status_code == 200, done.text
    created = done.json()["created"]["proposals"]
    assert {(p["reference"], p["revised"], p["alternative_to"]) for p in created} == {
        (f"P-{ours}", True, None),
        (f"P-{theirs + 1}", False, f"P-{theirs}"),
    }
    assert count(database) == 3
    assert by_id(database, ours).content == {"text": "Confined to a fenced and locked compound"}
    assert by_id(database, theirs).content == {"text": THEIRS}  # another's is never touched
    made = by_id(database, theirs + 1)
    assert made.content == {"text": new_text} and made.rationale == ""
    assert made.state.value == "submitted"
    got = client.get(f"/api/v1/proposals/{made.id}", headers=sec).json()
    assert got["delegation"] == "PH-SOMTC"
    assert got["targets"][0]["code"] == "FC-CD-01" and got["targets"][0]["base_revision"] == 1
    with database.transaction(write=False) as s:
        events = {
            e.object_id: e.details
            for e in s.scalars(select(AuditEvent).where(AuditEvent.action == "word_import.created"))
        }
    assert events[str(ours)]["revised"] == f"P-{ours}"
    assert events[str(made.id)]["alternative_to"] == f"P-{theirs}"
    assert events[str(made.id)]["authors"] == [ANA]


def test_a_proposal_changed_since_the_export_is_not_written_over(
    client: TestClient, database: Database, world: World, clock: Clock, sec: dict[str, str]
) -> None:
    ours, _ = pending(client, database, world, clock)
    edited = word_replace(compilation(client, sec), [(f"P-{ours}", "fenced", "walled")])
    ph = bearer(token_for(database, world.member, clock.now))
    etag = client.get(f"/api/v1/proposals/{ours}", headers=ph).headers["ETag"]
    changed = client.patch(
        f"/api/v1/proposals/{ours}",
        json={"content": {"text": "Confined to a closed compound"}},
        headers=ph | {"If-Match": etag},
    )
    assert changed.status_code == 200, changed.text

    body = upload(client, sec, edited).json()
    assert body["preview"]["proposals"] == []
    (problem,) = body["preview"]["problems"]
    assert f"P-{ours} was changed after this copy was exported" in problem
    assert "left out" in problem
    assert confirm(client, sec, body).status_code == 200
    assert by_id(database, ours).content == {"text": "Confined to a closed compound"}
    assert count(database) == 2


def test_a_revision_read_before_the_proposal_changed_is_refused_at_confirming(
    client: TestClient, database: Database, world: World, clock: Clock, sec: dict[str, str]
) -> None:
    ours, theirs = pending(client, database, world, clock)
    edited = word_replace(
        compilation(client, sec),
        [(f"P-{ours}", "fenced", "walled"), (f"P-{theirs}", "withheld", "seized")],
    )
    body = upload(client, sec, edited).json()
    assert body["counts"]["proposals"] == 2
    ph = bearer(token_for(database, world.member, clock.now))
    etag = client.get(f"/api/v1/proposals/{ours}", headers=ph).headers["ETag"]
    client.patch(
        f"/api/v1/proposals/{ours}",
        json={"content": {"text": "Confined to a closed compound"}},
        headers=ph | {"If-Match": etag},
    ).raise_for_status()
    refused = confirm(client, sec, body)
    assert refused.status_code == 409, refused.text
    assert f"P-{ours} was changed after this file was read" in refused.json()["detail"]
    # Nothing of the file was made: not the alternative either.
    assert count(database) == 2
    assert by_id(database, ours).content == {"text": "Confined to a closed compound"}


def test_libreoffice_edits_of_proposals_through_the_page_and_the_command_line(
    client: TestClient,
    database: Database,
    world: World,
    clock: Clock,
    sec: dict[str, str],
    db_url: str,
    tmp_path: Path,
) -> None:
    ours, theirs = pending(client, database, world, clock)
    with database.transaction() as s:
        exported = export_round(
            s,
            rounds.get_round(s, ZD),
            "compilation",
            working_group="DWG",
            signing_key=Settings().secret_key,  # the command line's key
        ).data
    edits = [
        LoEdit("replace", "withheld", "seized", author=ANA, date=WHEN),
        LoEdit("insert", "fenced", " and locked", author=ANA, date=WHEN),
    ]
    # One copy signed by the server's key for the page, one by the command line's.
    for_page, edited = edit_with_libreoffice([compilation(client, sec), exported], [edits, edits])
    # The page first: the preview says what each edit becomes, nothing is made.
    page = TestClient(client.app, base_url="http://testserver")
    token = log_in(page, world.member)
    previewed = page.post(
        "/imports",
        data={"csrf_token": token, "delegation": "PH-SOMTC"},
        files={"file": ("returned.docx", for_page, MEDIA_TYPE)},
    )
    shown = text_of(previewed.text)
    assert f"Revision of P-{ours} (on FC-CD-02)" in shown, shown[:2000]
    assert f"Alternative to P-{theirs} (on FC-CD-01)" in shown
    assert count(database) == 2

    path = tmp_path / "returned by PH-SOMTC.docx"
    path.write_bytes(edited)
    result = CliRunner().invoke(
        cli, ["import", str(path), "--delegation", "PH-SOMTC", "--database", db_url]
    )
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.splitlines()[0].endswith("2 proposals, 0 comments"), out
    assert f"  amend FC-CD-02 (revision of P-{ours}) by {ANA}" in out
    assert f"  amend FC-CD-01 (alternative to P-{theirs}) by {ANA}" in out
    assert f"revised P-{ours} (amend FC-CD-02)" in out
    assert f"created P-{theirs + 1} (amend FC-CD-01, alternative to P-{theirs}), submitted" in out
    assert count(database) == 3
    assert by_id(database, ours).content == {"text": "Confined to a fenced and locked compound"}
    with database.transaction(write=False) as s:
        made = s.scalars(
            select(Proposal)
            .join(ProposalTarget, ProposalTarget.proposal_id == Proposal.id)
            .where(Proposal.id > theirs)
        ).one()
        assert made.content == {"text": "Passport or personal phone seized by the operators"}
        assert made.rationale == ""


def test_an_untouched_compilation_with_proposals_comes_back_as_nothing(
    client: TestClient, database: Database, world: World, clock: Clock, sec: dict[str, str]
) -> None:
    pending(client, database, world, clock)
    data = compilation(client, sec)
    (resaved,) = edit_with_libreoffice([data], [None])
    for copy in (data, resaved):
        body = upload(client, sec, copy).json()
        assert body["counts"] == {"proposals": 0, "comments": 0}, body["preview"]
        assert body["preview"]["unplaced"] == [] and body["preview"]["problems"] == []


def test_a_new_indicator_proposed_by_another_delegation_gets_an_alternative_in_its_dimension(
    client: TestClient, database: Database, world: World, clock: Clock, sec: dict[str, str]
) -> None:
    issue(database, clock)
    thailand = bearer(token_for(database, world.member3, clock.now))
    response = client.post(
        "/api/v1/proposals",
        json={
            "kind": "add",
            "dimension": "CD",
            "content": {"text": "Made to recruit others online"},
            "delegation": "TH-SOMTC",
            "submit": True,
        },
        headers=thailand,
    )
    assert response.status_code == 201, response.text
    theirs = int(response.json()["id"])
    edited = word_replace(compilation(client, sec), [(f"P-{theirs}", "online", "by phone")])
    body = upload(client, sec, edited).json()
    (planned,) = body["preview"]["proposals"]
    assert (planned["kind"], planned["item"], planned["dimension"]) == ("add", None, "CD")
    assert planned["alternative_to"] == f"P-{theirs}"
    assert planned["fields"]["text"] == "Made to recruit others by phone"
    check_words_kept_apart(
        planned["diffs"]["text"], "Made to recruit others online", "Made to recruit others by phone"
    )
    done = confirm(client, sec, body)
    assert done.status_code == 200, done.text
    (created,) = done.json()["created"]["proposals"]
    got = client.get(f"/api/v1/proposals/{created['id']}", headers=sec).json()
    assert got["kind"] == "add" and got["delegation"] == "PH-SOMTC"
    assert got["content"]["text"] == "Made to recruit others by phone"
    assert by_id(database, theirs).content["text"] == "Made to recruit others online"


def word_comment(docx: bytes, reference: str, words: str, text: str, reply_to: str) -> bytes:
    """As Word writes it: a new comment by Ana on `words` of the proposal's text, and her reply
    to the exported thread whose text begins with `reply_to`."""
    doc = _open(docx)
    p = _proposal_text(doc, reference)
    shown = "".join(_text(r) for r in _visible_runs(p))
    at = shown.index(words)
    runs = _isolate(p, at, at + len(words))
    cid, _ = _add_comment(doc, ANA, "AR", WHEN, text, None, False)
    runs[0].addprevious(etree.Element(w("commentRangeStart"), {w("id"): cid}))
    runs[-1].addnext(_reference_run(cid))
    runs[-1].addnext(etree.Element(w("commentRangeEnd"), {w("id"): cid}))
    return edit_with_word_xml(_save(doc), [ReplyTo(reply_to, Reply(ANA, "AR", WHEN, "Agreed."))])


def test_comments_on_a_compilations_proposals_go_on_those_proposals(
    client: TestClient, database: Database, world: World, clock: Clock, sec: dict[str, str]
) -> None:
    _, theirs = pending(client, database, world, clock)
    thread = client.post(
        "/api/v1/comments",
        json={"proposal_id": theirs, "body": "Is 'withheld' the usual term?"},
        headers=sec,
    )
    assert thread.status_code == 201, thread.text
    tid = thread.json()["id"]
    exported = client.get(
        f"/api/v1/rounds/{ZD}/export.docx",
        params={"variant": "compilation", "comments": "true"},
        headers=sec,
    ).content
    edited = word_comment(exported, f"P-{theirs}", "withheld", "Too vague for us.", f"C-{tid}")
    body = upload(client, sec, edited).json()
    preview = body["preview"]
    assert preview["problems"] == [] and body["counts"] == {"proposals": 0, "comments": 2}
    new, reply = sorted(preview["comments"], key=lambda c: c["existing"] is not None)
    assert (new["proposal"], new["quote"], new["field"]) == (f"P-{theirs}", "withheld", "text")
    assert reply["existing"] == tid and [r["body"] for r in reply["replies"]] == ["Agreed."]
    assert confirm(client, sec, body).status_code == 200
    with database.transaction(write=False) as s:
        made = {c.body: c for c in s.scalars(select(Comment).where(Comment.id != tid))}
    comment, answer = made["Too vague for us."], made["Agreed."]
    assert (comment.proposal_id, comment.item_id) == (theirs, None)
    assert (comment.field, comment.quote, comment.written_by) == ("text", "withheld", ANA)
    assert (answer.parent_id, answer.proposal_id, answer.written_by) == (tid, theirs, ANA)
    page = TestClient(client.app, base_url="http://testserver")
    log_in(page, world.member2)
    shown = text_of(page.get(f"/proposals/{theirs}").text)
    assert "Too vague for us." in shown and f"{ANA} (Philippines - SOMTC)" in shown
