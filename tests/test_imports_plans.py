"""Plans stored on imports are read back as typed plans: a plan stored before the plans were
typed (the JSON below, as that version wrote it) loads unchanged and confirms, and a stored plan
that does not fit is refused with a message naming the import and the field, creating nothing."""

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.db import Database
from app.errors import Conflict
from app.imports import service
from app.imports.plans import AuthoredPlan, Plan, ReturnedPlan, plan_of
from app.models import (
    Comment,
    Delegation,
    Item,
    Proposal,
    ProposalKind,
    Round,
    User,
    WordImport,
)
from app.models.imports import ImportKind, ImportState, scope_for
from tests.factories import World, arranged, bearer, token_for
from tests.helpers import Clock
from tests.test_imports_service import FACTS, confirm, count, open_round

# What the untyped planner stored for a returned copy of DWG-FC/ZD edited by PH-SOMTC: an
# amendment, a deletion, a new indicator, a comment on the proposed words with a reply, a
# comment on the round's words, and what could not be placed.
STORED_RETURNED: dict[str, Any] = {
    "kind": "returned",
    "round": "DWG-FC/ZD",
    "round_state": "open",
    "current_round": "DWG-FC/ZD",
    "older_round": False,
    "variant": "clean",
    "exported_at": "2026-03-01T08:30:00+00:00",
    "delegation": "PH-SOMTC",
    "delegation_name": "Philippines - SOMTC",
    "authors": ["Maria Santos"],
    "proposals": [
        {
            "item": "FC-CD-01",
            "item_kind": "indicator",
            "dimension": None,
            "after": None,
            "base_revision": 1,
            "current_revision": 1,
            "outdated": False,
            "kind": "amend",
            "fields": {"text": "Passport or phone confiscated by the operators"},
            "diffs": {
                "text": [
                    ["equal", "Passport or "],
                    ["delete", "personal "],
                    ["equal", "phone "],
                    ["delete", "taken"],
                    ["insert", "confiscated"],
                    ["equal", " by the operators"],
                ]
            },
            "authors": ["Maria Santos"],
            "untracked": False,
            "rationale": "Changes to FC-CD-01 in the Word file rev-ph.docx.",
        },
        {
            "item": "FC-CD-02",
            "item_kind": "indicator",
            "dimension": None,
            "after": None,
            "base_revision": 1,
            "current_revision": 1,
            "outdated": False,
            "kind": "delete",
            "fields": {},
            "diffs": {"text": [["delete", "Confined to a guarded compound"]]},
            "authors": ["Maria Santos"],
            "untracked": False,
            "rationale": "FC-CD-02 struck out in the Word file rev-ph.docx.",
        },
        {
            "kind": "add",
            "item": None,
            "item_kind": "indicator",
            "dimension": "CD",
            "after": "FC-CD-02",
            "fields": {"text": "Debt bondage imposed on arrival"},
            "diffs": {"text": [["insert", "Debt bondage imposed on arrival"]]},
            "authors": ["Maria"],
            "untracked": False,
            "base_revision": None,
            "current_revision": None,
            "outdated": False,
            "rationale": "A new indicator added after FC-CD-02 in the Word file rev-ph.docx.",
        },
    ],
    "comments": [
        {
            "item": "FC-CD-01",
            "base_revision": 1,
            "field": "text",
            "quote": "confiscated",
            "anchor": "proposal",
            "body": "Our wording",
            "author": "Maria",
            "date": "2026-03-01T08:30:00+00:00",
            "resolved": False,
            "existing": None,
            "replies": [{"body": "Agreed", "author": "Budi", "date": "2026-03-01T08:30:00+00:00"}],
        },
        {
            "item": "FC-CD-01",
            "base_revision": 1,
            "field": "text",
            "quote": "personal phone",
            "anchor": "text",
            "body": "Which phone?",
            "author": "Maria",
            "date": "2026-03-01T08:30:00+00:00",
            "resolved": False,
            "existing": None,
            "replies": [],
        },
    ],
    "problems": ["FC-ZZ-09: not an item of DWG-FC/ZD; its changes and comments are left out"],
    "unplaced": ["stray text"],
    "gate": None,
}

# What the untyped planner stored for a Word draft: a dimension the register has (with a new
# indicator), a new dimension, a new section.
STORED_AUTHORED: dict[str, Any] = {
    "kind": "authored",
    "title": "Draft",
    "filename": "draft.docx",
    "dimensions": [
        {
            "title": "Coercion and deception",
            "code": "CD",
            "description": "desc",
            "exists": "CD",
            "indicators": [
                {
                    "text": "A brand new indicator",
                    "code": None,
                    "number": "1",
                    "strength_adult": "strong",
                    "strength_child": None,
                    "guidance": "g",
                    "information_sources": "i",
                    "references": "r",
                    "source": "table 1 row 2",
                    "exists": None,
                }
            ],
        },
        {
            "title": "Recruitment abroad",
            "code": None,
            "description": "",
            "exists": None,
            "indicators": [
                {
                    "text": "Another indicator",
                    "code": None,
                    "number": "2",
                    "strength_adult": None,
                    "strength_child": None,
                    "guidance": "",
                    "information_sources": "",
                    "references": "",
                    "source": "",
                    "exists": None,
                }
            ],
        },
    ],
    "sections": [
        {"title": "Scope of the tool", "text": "It covers X.", "code": None, "exists": None}
    ],
    "problems": ["table 1 row 2: strength 'weird' is not strong, medium or weak; left unset"],
    "unplaced": ["a loose paragraph"],
}


STORED_AT = datetime(2026, 3, 1, 8, 45, tzinfo=UTC)


def stored(database: Database, kind: ImportKind, plan: dict[str, Any]) -> int:
    """An import row as an earlier version left it: previewed, with this plan."""
    with arranged(database) as s:
        user_id = s.scalar(select(User.id).where(User.email == World.secretariat))
        delegation_id = None
        round_id = None
        if kind is ImportKind.RETURNED:
            delegation_id = s.scalar(select(Delegation.id).where(Delegation.code == "PH-SOMTC"))
            round_id = s.scalar(select(Round.id).where(Round.symbol == "DWG-FC/ZD"))
        row = WordImport(
            sha256=FACTS.sha256,
            filename=FACTS.filename,
            size=FACTS.size,
            kind=kind,
            scope=scope_for(delegation_id),
            round_id=round_id,
            delegation_id=delegation_id,
            uploaded_by_id=user_id,
            created_at=STORED_AT,
            state=ImportState.PREVIEWED,
            preview=plan,
            created={},
            version=1,
        )
        s.add(row)
        s.flush()
        return row.id


def loaded(database: Database, import_id: int) -> tuple[Plan, dict[str, int]]:
    """The import's stored plan read back, and what it counts."""
    with database.transaction(write=False) as s:
        row = s.get(WordImport, import_id)
        assert row is not None
        return plan_of(row), service.counts(row)


def test_a_returned_plan_stored_before_typed_plans_loads_unchanged_and_confirms(
    database: Database, world: World, clock: Clock
) -> None:
    open_round(database, clock)
    import_id = stored(database, ImportKind.RETURNED, STORED_RETURNED)
    plan, counts = loaded(database, import_id)
    assert isinstance(plan, ReturnedPlan)
    assert plan.to_json() == STORED_RETURNED
    assert [(p.kind, p.item) for p in plan.proposals] == [
        (ProposalKind.AMEND, "FC-CD-01"),
        (ProposalKind.DELETE, "FC-CD-02"),
        (ProposalKind.ADD, None),
    ]
    assert counts == {"proposals": 3, "comments": 3}

    done = confirm(database, clock, import_id, 1)
    assert done.state is ImportState.CONFIRMED
    assert [p["kind"] for p in done.created["proposals"]] == ["amend", "delete", "add"]
    on_proposal, reply, on_text = done.created["comments"]
    assert on_proposal["proposal"] == done.created["proposals"][0]["id"]
    assert reply["parent"] == on_proposal["id"]
    with database.transaction(write=False) as s:
        comment = s.get(Comment, on_text["id"])
        assert comment is not None
        assert (comment.field, comment.quote, comment.revision) == ("text", "personal phone", 1)
        add = s.get(Proposal, done.created["proposals"][2]["id"])
        assert add is not None and add.dimension_code == "CD"


def test_an_authored_plan_stored_before_typed_plans_loads_unchanged_and_confirms(
    database: Database, world: World, clock: Clock
) -> None:
    import_id = stored(database, ImportKind.AUTHORED, STORED_AUTHORED)
    plan, counts = loaded(database, import_id)
    assert isinstance(plan, AuthoredPlan)
    assert plan.to_json() == STORED_AUTHORED
    assert counts == {"dimensions": 1, "indicators": 2, "sections": 1}
    items = count(database, Item)

    done = confirm(database, clock, import_id, 1)
    assert len(done.created["dimensions"]) == 1
    assert len(done.created["indicators"]) == 2
    assert len(done.created["sections"]) == 1
    assert count(database, Item) == items + 3


def broken(plan: dict[str, Any]) -> dict[str, Any]:
    """The plan with its first proposal's kind no kind a proposal has."""
    changed = copy.deepcopy(plan)
    changed["proposals"][0]["kind"] = "rewrite"
    return changed


def test_a_stored_plan_that_does_not_fit_is_refused_naming_the_field(
    client: TestClient, database: Database, world: World, clock: Clock
) -> None:
    open_round(database, clock)
    import_id = stored(database, ImportKind.RETURNED, broken(STORED_RETURNED))
    headers = bearer(token_for(database, world.secretariat, clock.now))

    shown = client.get(f"/api/v1/imports/{import_id}", headers=headers)
    assert shown.status_code == 409, shown.text
    detail = shown.json()["detail"]
    assert f"I-{import_id}" in detail and "proposals.0.kind" in detail
    assert "read the file again" in detail

    refused = client.post(
        f"/api/v1/imports/{import_id}/confirm",
        headers=headers | {"If-Match": f'"I-{import_id}.v1"'},
    )
    assert refused.status_code == 409, refused.text
    assert "proposals.0.kind" in refused.json()["detail"]
    assert count(database, Proposal) == 0 and count(database, Comment) == 0
    with database.transaction(write=False) as s:
        row = s.get(WordImport, import_id)
        assert row is not None and row.state is ImportState.PREVIEWED and row.version == 1


@pytest.mark.parametrize("missing", ["round", "delegation_name"])
def test_a_stored_returned_plan_missing_what_it_must_say_is_refused(
    database: Database, world: World, clock: Clock, missing: str
) -> None:
    open_round(database, clock)
    plan = copy.deepcopy(STORED_RETURNED)
    del plan[missing]
    import_id = stored(database, ImportKind.RETURNED, plan)
    with pytest.raises(Conflict, match=f"{missing}: Field required"):
        loaded(database, import_id)
