"""The import service on hand-built documents (what the Word readers hand over): what a returned
copy turns into, for whom, against which text, and that nothing is ever made twice."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.service import get_user_by_email, principal_for_user
from app.audit.service import Actor
from app.db import Database
from app.errors import Conflict, InvalidInput, NotFound, PermissionDenied, PreconditionFailed
from app.imports import service
from app.imports.service import FileFacts
from app.models import (
    AuditEvent,
    Comment,
    Delegation,
    ImportState,
    Item,
    Proposal,
    ProposalKind,
    ProposalState,
    ProposalTarget,
    RoundKind,
    WordImport,
)
from app.principal import Principal
from app.register import service as register
from app.rounds import service as rounds
from app.word.incoming import (
    AuthoredDocument,
    FoundComment,
    NewParagraph,
    ReturnedDocument,
    ReturnedField,
    ReturnedItem,
    TrackedChange,
)
from tests.factories import World
from tests.helpers import Clock

WHEN = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
FACTS = FileFacts("ab" * 32, "rev-ph.docx", 12345)
TEXT = "Passport or personal phone taken by the operators"


def open_round(database: Database, clock: Clock, symbol: str = "DWG-FC/ZD", **kw: object) -> None:
    with database.transaction() as s:
        rounds.create_round(
            s,
            Actor.system(),
            symbol=symbol,
            title=symbol,
            kind=RoundKind.WRITTEN,
            time_zone="Asia/Jakarta",
            deadline=kw.get("deadline"),  # type: ignore[arg-type]
            opens_at=None,
            instructions="",
            observers_may_comment=False,
            now=clock.now,
        )
        rounds.open_round(s, Actor.system(), symbol, now=clock.now)


def who(s: Session, email: str) -> Principal:
    return principal_for_user(s, get_user_by_email(s, email))


def tracked(op: str, text: str, author: str = "Maria Santos") -> TrackedChange:
    return TrackedChange(op=op, text=text, author=author, date=WHEN)  # type: ignore[arg-type]


def returned(*items: ReturnedItem, symbol: str = "DWG-FC/ZD", **kw: object) -> ReturnedDocument:
    return ReturnedDocument(
        round_symbol=symbol,
        variant="clean",
        exported_at=WHEN,
        items=items,
        authors=("Maria Santos",),
        **kw,  # type: ignore[arg-type]
    )


def amend_cd01(text: str = "Passport or phone confiscated by the operators") -> ReturnedItem:
    return ReturnedItem(
        code="FC-CD-01",
        kind="indicator",
        fields=(
            ReturnedField(
                "text",
                text,
                changes=(tracked("delete", "personal "), tracked("insert", "confiscated")),
            ),
        ),
    )


def preview(
    database: Database,
    clock: Clock,
    document: ReturnedDocument | AuthoredDocument,
    email: str = World.secretariat,
    delegation: str | None = "PH-SOMTC",
    facts: FileFacts = FACTS,
) -> service.Previewed:
    with database.transaction() as s:
        return service.preview_document(
            s, who(s, email), document, facts=facts, delegation_code=delegation, now=clock.now
        )


def confirm(
    database: Database, clock: Clock, import_id: int, version: int, email: str = World.secretariat
) -> WordImport:
    with database.transaction() as s:
        return service.confirm(s, who(s, email), import_id, expected_version=version, now=clock.now)


def code_of(s: Session, delegation_id: int) -> str | None:
    return s.scalar(select(Delegation.code).where(Delegation.id == delegation_id))


def count(database: Database, model: type) -> int:
    with database.transaction(write=False) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_preview_creates_nothing_and_confirm_submits_an_attributed_amendment(
    database: Database, world: World, clock: Clock
) -> None:
    open_round(database, clock)
    done = preview(database, clock, returned(amend_cd01()))
    plan = done.word_import.preview
    assert done.created_now and not done.already_imported
    assert [p["kind"] for p in plan["proposals"]] == ["amend"]
    assert plan["proposals"][0]["authors"] == ["Maria Santos"]
    assert not plan["proposals"][0]["untracked"]
    assert count(database, Proposal) == 0

    confirmed = confirm(database, clock, done.word_import.id, done.word_import.version)
    assert confirmed.state is ImportState.CONFIRMED
    (ref,) = confirmed.created["proposals"]
    with database.transaction(write=False) as s:
        proposal = s.get(Proposal, ref["id"])
        assert proposal is not None
        assert proposal.state is ProposalState.SUBMITTED
        assert proposal.kind is ProposalKind.AMEND
        assert proposal.content == {"text": "Passport or phone confiscated by the operators"}
        assert code_of(s, proposal.delegation_id) == "PH-SOMTC"
        assert proposal.rationale == ""  # provenance is the audit event's, below
        target = s.scalar(select(ProposalTarget).where(ProposalTarget.proposal_id == proposal.id))
        assert target is not None and target.base_revision == 1
        audit = s.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "word_import.created",
                AuditEvent.object_type == "proposal",
                AuditEvent.object_id == str(proposal.id),
            )
        ).one()
        assert audit.details["sha256"] == FACTS.sha256
        assert audit.details["filename"] == FACTS.filename
        assert audit.details["authors"] == ["Maria Santos"]


def test_text_changed_without_track_changes_is_flagged_untracked(
    database: Database, world: World, clock: Clock
) -> None:
    open_round(database, clock)
    item = ReturnedItem(
        code="FC-CD-02",
        kind="indicator",
        fields=(ReturnedField("text", "Confined to a guarded compound and watched"),),
    )
    done = preview(database, clock, returned(item))
    assert done.word_import.preview["proposals"][0]["untracked"] is True
    confirmed = confirm(database, clock, done.word_import.id, done.word_import.version)
    ref = confirmed.created["proposals"][0]
    assert ref["untracked"] is True
    with database.transaction(write=False) as s:
        proposal = s.get(Proposal, ref["id"])
        assert proposal is not None and proposal.rationale == ""
        audit = s.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "word_import.created",
                AuditEvent.object_id == str(proposal.id),
            )
        ).one()
        assert audit.details["untracked"] is True


def test_struck_item_and_new_paragraph_become_delete_and_add(
    database: Database, world: World, clock: Clock
) -> None:
    open_round(database, clock)
    struck = ReturnedItem(
        code="FC-CD-02", kind="indicator", struck=True, struck_by=tracked("delete", "Confined")
    )
    new = NewParagraph(
        text="Debt bondage imposed on arrival", after="FC-CD-02", dimension="CD", author="Maria"
    )
    done = preview(database, clock, returned(struck, new_paragraphs=(new,)))
    confirmed = confirm(database, clock, done.word_import.id, done.word_import.version)
    kinds = {p["kind"]: p for p in confirmed.created["proposals"]}
    assert set(kinds) == {"delete", "add"}
    with database.transaction(write=False) as s:
        delete = s.get(Proposal, kinds["delete"]["id"])
        add = s.get(Proposal, kinds["add"]["id"])
        assert delete is not None and add is not None
        assert add.dimension_code == "CD"
        assert add.content == {"text": "Debt bondage imposed on arrival"}
        assert add.state is ProposalState.SUBMITTED


def test_comments_are_anchored_to_their_quoted_words_with_replies(
    database: Database, world: World, clock: Clock
) -> None:
    open_round(database, clock)
    comment = FoundComment(
        author="Maria Santos",
        initials="MS",
        date=WHEN,
        text="Include SIM cards",
        quote="personal phone",
        field="text",
        replies=(FoundComment("Budi", "B", WHEN, "Agreed"),),
    )
    item = ReturnedItem(code="FC-CD-01", kind="indicator", comments=(comment,))
    done = preview(database, clock, returned(item))
    assert done.word_import.preview["proposals"] == []
    confirmed = confirm(database, clock, done.word_import.id, done.word_import.version)
    top, reply = confirmed.created["comments"]
    with database.transaction(write=False) as s:
        first = s.get(Comment, top["id"])
        second = s.get(Comment, reply["id"])
        assert first is not None and second is not None
        assert (first.field, first.quote, first.revision) == ("text", "personal phone", 1)
        assert TEXT[first.anchor_start or 0 : first.anchor_end] == "personal phone"
        assert first.body == "Include SIM cards"
        assert second.parent_id == first.id and second.body == "Agreed"
        assert first.delegation_id == second.delegation_id
        audit = s.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "word_import.created", AuditEvent.object_type == "comment"
            )
        ).all()
        assert {a.object_id for a in audit} == {str(first.id), str(second.id)}


def test_a_comment_on_inserted_words_goes_on_the_delegations_proposal(
    database: Database, world: World, clock: Clock
) -> None:
    open_round(database, clock)
    comment = FoundComment("Maria", "M", WHEN, "Our wording", quote="confiscated", field="text")
    item = ReturnedItem(
        code="FC-CD-01",
        kind="indicator",
        fields=amend_cd01().fields,
        comments=(comment,),
    )
    done = preview(database, clock, returned(item))
    assert done.word_import.preview["comments"][0]["anchor"] == "proposal"
    confirmed = confirm(database, clock, done.word_import.id, done.word_import.version)
    (ref,) = confirmed.created["comments"]
    assert ref["proposal"] == confirmed.created["proposals"][0]["id"]
    assert ref["quote"] == "confiscated"


def test_a_copy_of_an_older_round_gives_an_outdated_proposal(
    database: Database, world: World, clock: Clock
) -> None:
    open_round(database, clock)
    with database.transaction() as s:
        register.revise_item(
            s,
            Actor.system(),
            code="FC-CD-01",
            expected_revision=1,
            changes={"text": "Passport or personal phone withheld by the operators"},
            reason="Editorial",
            now=clock.now,
        )
    open_round(database, clock, "DWG-FC/Rev.1")
    comment = FoundComment("Maria", "M", WHEN, "Which phone?", quote="personal phone", field="text")
    item = ReturnedItem(
        code="FC-CD-01", kind="indicator", fields=amend_cd01().fields, comments=(comment,)
    )
    done = preview(database, clock, returned(item))
    plan = done.word_import.preview
    assert plan["older_round"] is True and plan["current_round"] == "DWG-FC/Rev.1"
    assert plan["proposals"][0]["outdated"] is True
    confirmed = confirm(database, clock, done.word_import.id, done.word_import.version)
    with database.transaction(write=False) as s:
        proposal_id = confirmed.created["proposals"][0]["id"]
        target = s.scalar(select(ProposalTarget).where(ProposalTarget.proposal_id == proposal_id))
        assert target is not None and target.base_revision == 1
        item_row = s.scalar(select(Item).where(Item.code == "FC-CD-01"))
        assert item_row is not None and item_row.version == 2  # the register was not touched
        c = s.get(Comment, confirmed.created["comments"][0]["id"])
        assert c is not None and (c.revision, c.anchor_revision) == (1, 2)
        assert not c.outdated
        current = "Passport or personal phone withheld by the operators"
        assert current[c.anchor_start or 0 : c.anchor_end] == "personal phone"


def test_the_same_file_again_creates_nothing_and_says_so(
    database: Database, world: World, clock: Clock
) -> None:
    open_round(database, clock)
    done = preview(database, clock, returned(amend_cd01()))
    confirm(database, clock, done.word_import.id, done.word_import.version)
    again = preview(database, clock, returned(amend_cd01()))
    assert again.already_imported and again.word_import.id == done.word_import.id
    assert count(database, Proposal) == 1
    assert count(database, WordImport) == 1
    with pytest.raises(Conflict, match="already confirmed"):
        confirm(database, clock, done.word_import.id, again.word_import.version)
    assert count(database, Proposal) == 1


def test_a_stale_version_is_refused_and_a_discarded_file_can_be_read_again(
    database: Database, world: World, clock: Clock
) -> None:
    open_round(database, clock)
    done = preview(database, clock, returned(amend_cd01()))
    with pytest.raises(PreconditionFailed):
        confirm(database, clock, done.word_import.id, done.word_import.version + 1)
    with database.transaction() as s:
        service.discard(
            s,
            who(s, World.secretariat),
            done.word_import.id,
            expected_version=done.word_import.version,
            now=clock.now,
        )
    again = preview(database, clock, returned(amend_cd01()))
    assert again.word_import.id == done.word_import.id
    assert again.word_import.state is ImportState.PREVIEWED
    assert count(database, Proposal) == 0


def test_members_import_for_their_own_delegation_only(
    database: Database, world: World, clock: Clock
) -> None:
    open_round(database, clock)
    with pytest.raises(PermissionDenied, match="ID-AICHR"):
        preview(database, clock, returned(amend_cd01()), World.member, "ID-AICHR")
    done = preview(database, clock, returned(amend_cd01()), World.member, "PH-ACWC")
    with database.transaction() as s, pytest.raises(NotFound):
        service.get(s, who(s, World.member2), done.word_import.id)
    with pytest.raises(NotFound):
        confirm(database, clock, done.word_import.id, 1, World.member2)
    confirmed = confirm(database, clock, done.word_import.id, 1, World.member)
    with database.transaction(write=False) as s:
        proposal = s.get(Proposal, confirmed.created["proposals"][0]["id"])
        assert proposal is not None
        assert code_of(s, proposal.delegation_id) == "PH-ACWC"


def test_the_secretariat_must_name_the_delegation(
    database: Database, world: World, clock: Clock
) -> None:
    open_round(database, clock)
    with pytest.raises(InvalidInput, match="which delegation") as refused:
        preview(database, clock, returned(amend_cd01()), delegation=None)
    assert refused.value.extra["field"] == "delegation"


def test_an_unknown_round_or_item_is_said_clearly(
    database: Database, world: World, clock: Clock
) -> None:
    open_round(database, clock)
    with pytest.raises(InvalidInput, match="DWG-XX/9"):
        preview(database, clock, returned(amend_cd01(), symbol="DWG-XX/9"))
    ghost = ReturnedItem(code="FC-ZZ-09", kind="indicator", fields=amend_cd01().fields)
    done = preview(database, clock, returned(ghost))
    assert done.word_import.preview["proposals"] == []
    assert any("FC-ZZ-09" in p for p in done.word_import.preview["problems"])


def test_a_closed_round_refuses_the_confirmation_with_its_reason(
    database: Database, world: World, clock: Clock
) -> None:
    open_round(database, clock, deadline=clock.now + timedelta(hours=1))
    done = preview(database, clock, returned(amend_cd01()))
    assert done.word_import.preview["gate"] is None
    clock.advance(hours=2)
    again = preview(database, clock, returned(amend_cd01()))
    assert "deadline" in again.word_import.preview["gate"]
    with pytest.raises(Conflict, match="deadline for input to DWG-FC/ZD passed"):
        confirm(database, clock, again.word_import.id, again.word_import.version)
    assert count(database, Proposal) == 0


def test_only_the_secretariat_imports_a_draft_written_in_word(
    database: Database, world: World, clock: Clock
) -> None:
    with pytest.raises(PermissionDenied, match="only the secretariat"):
        preview(database, clock, AuthoredDocument(title="Draft"), World.member, None)


def test_two_officers_confirming_at_once_one_wins(
    database: Database, world: World, clock: Clock
) -> None:
    open_round(database, clock)
    done = preview(database, clock, returned(amend_cd01()))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def officer(email: str) -> None:
        barrier.wait()
        try:
            confirm(database, clock, done.word_import.id, done.word_import.version, email)
            outcomes.append("confirmed")
        except Conflict as exc:
            outcomes.append(f"refused: {exc.detail}")

    threads = [
        threading.Thread(target=officer, args=(e,)) for e in (World.secretariat, World.secretariat2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(o.split(":")[0] for o in outcomes) == ["confirmed", "refused"], outcomes
    assert count(database, Proposal) == 1
