"""Loading a round for export from the database: attribution of every changed word through the
revision chain, what is circulated (and what is not), and a bounded number of queries."""

import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import event

from app.accounts import service as accounts
from app.audit.service import Actor
from app.comments import service as comments
from app.consensus import service as consensus
from app.db import Database
from app.errors import Conflict
from app.models import Outcome, ProposalKind, Round, RoundKind, Stance, Visibility
from app.principal import Principal
from app.proposals import service as proposals
from app.register import service as register
from app.rounds import service as rounds
from app.rounds.export_loader import load
from app.word import revisions as rv
from app.word.model import SECRETARIAT, ExportDocument, Run, new_text, old_text
from app.word.writer import TEXT_BOOKMARK, export
from tests.factories import World, make_indicator, token_for
from tests.helpers import Clock

GROUP = "ASEAN Drafting Working Group on Forced Criminality"
PH, TH, ID = "Philippines - SOMTC", "Thailand - SOMTC", "Indonesia - AICHR"


def principal(database: Database, email: str, now: datetime) -> Principal:
    token = token_for(database, email, now)
    with database.transaction() as s:
        found = accounts.principal_for_token(s, token, now=now)
    assert found is not None
    return found


@dataclass
class Story:
    r1: int
    r2: int
    decided: datetime  # when the Philippines' amendment was agreed
    edited: datetime  # when the secretariat edited FC-CD-02
    pending: int  # the Philippines' pending proposal in R2


def new_round(database: Database, symbol: str, now: datetime) -> int:
    with database.transaction() as s:
        r = rounds.create_round(
            s,
            Actor.system("test"),
            symbol=symbol,
            title="Zero Draft ASEAN Indicators of Trafficking in Persons for Forced Criminality",
            kind=RoundKind.WRITTEN,
            time_zone="Asia/Jakarta",
            deadline=now + timedelta(days=20),
            opens_at=None,
            instructions="Send input through zerodraft.",
            observers_may_comment=False,
            now=now,
        )
        rounds.open_round(s, Actor.system("test"), r.id, now=now)
        return r.id


def agree(database: Database, sec: Principal, proposal_id: int, now: datetime) -> None:
    with database.transaction() as s:
        p = proposals.get(s, sec, proposal_id)
        proposals.decide(
            s,
            sec,
            proposal_id,
            expected_version=p.version,
            outcome=Outcome.AGREED,
            reason="Agreed in the meeting",
            acknowledged=True,  # delegations without a position: the decider knows
            now=now,
        )


def propose(
    database: Database,
    who: Principal,
    kind: ProposalKind,
    targets: list[str],
    content: dict[str, Any],
    delegation: str,
    now: datetime,
    dimension: str | None = None,
) -> int:
    with database.transaction() as s:
        p = proposals.create(
            s,
            who,
            kind=kind,
            targets=targets,
            base_revisions=None,
            content=content,
            rationale="Clearer wording",
            dimension=dimension,
            delegation_code=delegation,
            submit=True,
            now=now,
        )
        return p.id


@pytest.fixture
def story(database: Database, world: World, clock: Clock) -> Story:
    """R1 issued; then an amendment agreed (Philippines), a secretariat edit, a new indicator
    (Thailand), a deletion (Indonesia); R2 issued; then input on R2."""
    sec = principal(database, world.secretariat, clock.now)
    ph = principal(database, world.member, clock.now)
    idn = principal(database, world.member2, clock.now)
    th = principal(database, world.member3, clock.now)
    r1 = new_round(database, "ADWG/FC/2026/R1", clock.now)

    clock.advance(days=1)
    amend = propose(
        database,
        ph,
        ProposalKind.AMEND,
        ["FC-CD-01"],
        {"text": "Passport or personal phone confiscated by the operators"},
        "PH-SOMTC",
        clock.now,
    )
    clock.advance(days=1)
    decided = clock.now
    agree(database, sec, amend, decided)
    clock.advance(hours=2)
    edited = clock.now
    with database.transaction() as s:
        register.revise_item(
            s,
            Actor(sec.user_id, None),
            code="FC-CD-02",
            expected_revision=1,
            changes={"text": "Confined to a guarded compound with armed guards"},
            reason="Editorial",
            now=edited,
        )
    clock.advance(hours=1)
    added = propose(
        database,
        th,
        ProposalKind.ADD,
        [],
        {"text": "Recruited through a friend on social media"},
        "TH-SOMTC",
        clock.now,
        dimension="DR",
    )
    agree(database, sec, added, clock.now)
    clock.advance(hours=1)
    deletion = propose(database, idn, ProposalKind.DELETE, ["FC-DR-01"], {}, "ID-AICHR", clock.now)
    agree(database, sec, deletion, clock.now)

    clock.advance(days=2)
    r2 = new_round(database, "ADWG/FC/2026/R2", clock.now)
    clock.advance(hours=1)
    pending = propose(
        database,
        ph,
        ProposalKind.AMEND,
        ["FC-CD-02"],
        {"text": "Confined to a fenced compound with armed guards"},
        "PH-SOMTC",
        clock.now,
    )
    propose(
        database,
        idn,
        ProposalKind.AMEND,
        ["FC-CD-02"],
        {"text": "Held in a compound"},
        "ID-AICHR",
        clock.now,
    )
    with database.transaction() as s:
        proposals.sponsor(s, th, pending, delegation_code="TH-SOMTC", now=clock.now)
        consensus.set_position(
            s,
            idn,
            stance=Stance.OBJECTION,
            statement="Too narrow.",
            proposal_id=pending,
            delegation_code="ID-AICHR",
            now=clock.now,
        )
        proposals.answer(s, sec, pending, text="To be discussed on 12 May.", now=clock.now)
        thread = comments.add(
            s,
            ph,
            body="Is 'confiscated' the right word?",
            item_code="FC-CD-01",
            field_name="text",
            quote="confiscated",
            delegation_code="PH-SOMTC",
            now=clock.now,
        )
        comments.add(
            s,
            th,
            body="It is the ACTIP word.",
            parent_id=thread.id,
            delegation_code="TH-SOMTC",
            now=clock.now + timedelta(minutes=5),
        )
        comments.add(
            s,
            idn,
            body="For the chairs only.",
            item_code="FC-CD-02",
            visibility=Visibility.CHAIRS,
            delegation_code="ID-AICHR",
            now=clock.now,
        )
        done = comments.add(
            s, th, body="Settled.", item_code="FC-CD-02", delegation_code="TH-SOMTC", now=clock.now
        )
        comments.set_resolved(s, th, done.id, resolved=True, now=clock.now)
        comments.add(
            s,
            th,
            body="Why fenced?",
            proposal_id=pending,
            field_name="text",
            quote="fenced",
            delegation_code="TH-SOMTC",
            now=clock.now,
        )
    return Story(r1, r2, decided, edited, pending)


def loaded(database: Database, round_id: int, variant: str, **kw: Any) -> ExportDocument:
    with database.transaction(write=False) as s:
        round_ = s.get(Round, round_id)
        assert round_ is not None
        base = kw.pop("base", None)
        return load(
            s,
            round_,
            variant,
            working_group=GROUP,  # type: ignore[arg-type]
            base=s.get(Round, base) if base else None,
            **kw,
        )


def test_clean_text_of_a_round(database: Database, story: Story) -> None:
    doc = loaded(database, story.r2, "clean")
    r = doc.round
    assert (r.symbol, r.status, r.marking, r.working_group) == (
        "ADWG/FC/2026/R2",
        "open for input",
        "RESTRICTED",
        GROUP,
    )
    assert r.round_label == "Round 2 - written comments"
    assert r.time_zone == "Asia/Jakarta" and r.deadline is not None
    assert [(s.code, new_text(s.title)) for s in doc.sections] == [("SEC-PURPOSE", "Purpose")]
    shown = [
        (i.code, new_text(i.number), i.dimension.code, new_text(i.item_state))
        for i in doc.indicators
    ]
    assert shown == [
        ("FC-DR-01", "", "DR", "deleted"),
        ("FC-DR-02", "1", "DR", ""),
        ("FC-CD-01", "2", "CD", ""),
        ("FC-CD-02", "3", "CD", ""),
    ]
    deleted = doc.indicators[0]
    assert new_text(deleted.text) == ""  # a deleted item shows only its heading
    cd01 = doc.indicators[2]
    assert new_text(cd01.text) == "Passport or personal phone confiscated by the operators"
    assert (new_text(cd01.strength_adult), new_text(cd01.profiles)) == ("strong", "adult, child")
    assert new_text(cd01.crime_types) == "online fraud"
    assert doc.proposals == () and doc.comments == () and doc.responses == ()


def test_redline_attributes_each_word_to_the_revision_that_made_it(
    database: Database, story: Story
) -> None:
    doc = loaded(database, story.r2, "redline")
    assert doc.base_label == "ADWG/FC/2026/R1"
    by_code = {i.code: i for i in doc.indicators}
    text = by_code["FC-CD-01"].text
    assert old_text(text) == "Passport or personal phone taken by the operators"
    assert new_text(text) == "Passport or personal phone confiscated by the operators"
    changed = [r for r in text if r.op != "equal"]
    assert {(r.text, r.op, r.author) for r in changed} == {
        ("taken", "delete", PH),
        ("confiscated", "insert", PH),
    }
    assert {r.date for r in changed} == {story.decided}
    edit = [r for r in by_code["FC-CD-02"].text if r.op != "equal"]
    assert edit == [Run(" with armed guards", "insert", SECRETARIAT, story.edited)]
    added = by_code["FC-DR-02"]
    assert added.change is not None and (added.change.op, added.change.author) == ("insert", TH)
    gone = by_code["FC-DR-01"]
    assert gone.change is None  # still in the round, marked deleted: its words go
    assert {r.author for r in gone.text} == {ID}
    assert new_text(gone.item_state) == "deleted"
    number = by_code["FC-CD-01"].number
    assert (old_text(number), new_text(number)) == ("2", "2")
    renumbered = by_code["FC-CD-02"].number
    assert (old_text(renumbered), new_text(renumbered)) == ("3", "3")


def _text_of(data: bytes, accept: bool | None = None) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        root = etree.fromstring(z.read("word/document.xml"))
    if accept is True:
        rv.accept_all(root)
    elif accept is False:
        rv.reject_all(root)
    paragraphs = list(root.iter(rv.P))
    start = next(
        n
        for n, p in enumerate(paragraphs)
        for b in p.iter(rv.w("bookmarkStart"))
        if b.get(rv.w("name")) == TEXT_BOOKMARK
    )
    return [rv.paragraph_text(p) for p in paragraphs[start:]]


def test_redline_accepts_to_this_round_and_rejects_to_the_earlier(
    database: Database, story: Story
) -> None:
    redline = export(loaded(database, story.r2, "redline"), "redline")
    clean_r2 = export(loaded(database, story.r2, "clean"), "clean")
    clean_r1 = export(loaded(database, story.r1, "clean"), "clean")
    assert _text_of(redline, accept=True) == _text_of(clean_r2)
    assert _text_of(redline, accept=False) == _text_of(clean_r1)
    with zipfile.ZipFile(io.BytesIO(redline)) as z:
        body = etree.fromstring(z.read("word/document.xml"))
    authors = {c.get(rv.AUTHOR) for c in body.iter(rv.INS, rv.DEL)}
    assert {PH, TH, ID, SECRETARIAT} <= authors


def test_redline_against_a_named_round_and_refusals(database: Database, story: Story) -> None:
    doc = loaded(database, story.r2, "redline", base=story.r1)
    assert doc.base_label == "ADWG/FC/2026/R1"
    with pytest.raises(Conflict, match="follows no earlier round"):
        loaded(database, story.r1, "redline")
    with pytest.raises(Conflict, match="two different rounds"):
        loaded(database, story.r2, "redline", base=story.r2)


def test_compilation_has_the_pending_proposals(database: Database, story: Story) -> None:
    doc = loaded(database, story.r2, "compilation")
    assert [(p.reference, p.target, p.delegation, p.alternative) for p in doc.proposals] == [
        (f"P-{story.pending}", "FC-CD-02", PH, 1),
        (f"P-{story.pending + 1}", "FC-CD-02", ID, 2),
    ]
    first = doc.proposals[0]
    assert first.co_sponsors == (TH,)
    assert first.state == "submitted"
    assert [(p.delegation, p.stance, p.statement) for p in first.positions] == [
        (ID, "objection", "Too narrow."),
        (PH, "support (proposer)", ""),
        (TH, "support (co-sponsor)", ""),
    ]
    (field,) = first.fields
    assert (field.name, field.label) == ("text", "Text")
    assert old_text(field.runs) == "Confined to a guarded compound with armed guards"
    assert new_text(field.runs) == "Confined to a fenced compound with armed guards"


def test_only_open_threads_seen_by_the_whole_group_are_exported(
    database: Database, story: Story
) -> None:
    doc = loaded(database, story.r2, "clean", include_comments=True)
    assert [c.body for c in doc.comments] == ["Is 'confiscated' the right word?", "Why fenced?"]
    thread = doc.comments[0]
    assert thread.author == "Maria Santos (Philippines - SOMTC)"
    assert thread.initials == "MS"
    assert (thread.target, thread.field, thread.quote) == ("FC-CD-01", "text", "confiscated")
    assert (thread.start, thread.end) == (27, 38)
    (reply,) = thread.replies
    assert (reply.author, reply.body) == (
        "Somchai Wong (Thailand - SOMTC)",
        "It is the ACTIP word.",
    )
    assert doc.comments[1].target == f"P-{story.pending}"
    data = export(doc, "clean", include_comments=True)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        body = etree.fromstring(z.read("word/document.xml"))
        notes = etree.fromstring(z.read("word/comments.xml"))
    assert len(list(notes.iter(rv.w("comment")))) == 3
    starts = {e.get(rv.ID) for e in body.iter(rv.w("commentRangeStart"))}
    assert len(starts) == 3


def test_responses_list_every_input_of_the_round(database: Database, story: Story) -> None:
    doc = loaded(database, story.r2, "responses")
    rows = doc.responses
    assert [r.number for r in rows] == list(range(1, len(rows) + 1))
    first = next(r for r in rows if r.reference == f"P-{story.pending}")
    assert (first.delegation, first.item, first.answer, first.outcome) == (
        PH,
        "FC-CD-02",
        "To be discussed on 12 May.",
        "pending",
    )
    # The chairs-only comment is not circulated.
    assert all("chairs only" not in r.summary for r in rows)


def test_a_round_in_preparation_has_no_text_to_export(
    database: Database, world: World, clock: Clock
) -> None:
    with database.transaction() as s:
        r = rounds.create_round(
            s,
            Actor.system("test"),
            symbol="DRAFT",
            title="Draft",
            kind=RoundKind.WRITTEN,
            time_zone="UTC",
            deadline=None,
            opens_at=None,
            instructions="",
            observers_may_comment=False,
            now=clock.now,
        )
        rid = r.id
    with pytest.raises(Conflict, match="in preparation"):
        loaded(database, rid, "clean")


@contextmanager
def counted(database: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def note(*args: Any) -> None:
        statements.append(args[2])

    event.listen(database.engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(database.engine, "before_cursor_execute", note)


def test_queries_are_bounded_whatever_the_size(
    database: Database, world: World, story: Story, clock: Clock
) -> None:
    def count() -> dict[str, int]:
        out = {}
        for variant in ("clean", "redline", "compilation", "responses"):
            with counted(database) as statements:
                loaded(database, story.r2, variant, include_comments=True)
            out[variant] = len(statements)
        return out

    before = count()
    ph = principal(database, world.member, clock.now)
    sec = principal(database, world.secretariat, clock.now)
    with database.transaction() as s:
        for n in range(12):
            make_indicator(s, "CD", f"Extra indicator {n}", now=clock.now)
    for n in range(6):
        agree(
            database,
            sec,
            propose(
                database,
                ph,
                ProposalKind.AMEND,
                [f"FC-CD-0{n % 2 + 1}"],
                {"guidance": f"Note {n}"},
                "PH-SOMTC",
                clock.now,
            ),
            clock.now,
        )
    with database.transaction() as s:
        round_ = s.get(Round, story.r2)
        assert round_ is not None
        rounds.freeze(s, round_, now=clock.now)
        for n in range(8):
            comments.add(
                s,
                ph,
                body=f"Comment {n}",
                item_code="FC-CD-02",
                delegation_code="PH-SOMTC",
                now=clock.now,
            )
    after = count()
    assert after == before
    assert max(after.values()) <= 30
