"""Issue 14, items 1 and 6: nobody writes into, or reads about, another delegation's private space.

A member of one delegation could reply, through the HTML reply form, to a comment on another
delegation's private draft (the reply was saved and its owner notified), and the API's 404 told
a hidden comment from a missing one. The audit trail showed the private drafts (their existence,
author, delegation, kind and target) to the secretariat, the chairs and the admin, who get 404
on the drafts themselves. Each case is driven as a person drives it: logged in, over HTTP.
"""

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.audit.service import Actor
from app.db import Database
from app.models import Comment, Notification, RoundKind
from app.rounds import service as rounds
from tests.factories import World, bearer, token_for
from tests.helpers import Clock, csrf_of, log_in, text_of

MISSING = 999_999


@dataclass
class Private:
    draft: int  # PH-SOMTC's private amendment draft
    draft_note: int  # a group comment on that draft, by its owner
    delegation_note: int  # a PH-SOMTC-only comment on FC-CD-01
    public: int  # a submitted proposal: everyone sees it


def _open_round(database: Database, clock: Clock) -> None:
    with database.transaction() as s:
        made = rounds.create_round(
            s,
            Actor.system("test"),
            symbol="DWG-FC/ZD",
            title="Zero draft",
            kind=RoundKind.WRITTEN,
            time_zone="Asia/Jakarta",
            deadline=clock.now + timedelta(days=20),
            opens_at=None,
            instructions="",
            observers_may_comment=True,
            now=clock.now,
        )
        rounds.issue_round(s, Actor.system("test"), made.id, now=clock.now)


@pytest.fixture
def private(client: TestClient, world: World, database: Database, clock: Clock) -> Private:
    _open_round(database, clock)
    ph = bearer(token_for(database, world.member, clock.now))

    def made(path: str, body: dict[str, Any]) -> int:
        response = client.post(f"/api/v1{path}", json=body, headers=ph)
        assert response.status_code == 201, response.text
        value: int = response.json()["id"]
        return value

    draft = made(
        "/proposals",
        {
            "kind": "amend",
            "targets": ["FC-CD-01"],
            "content": {"text": "Passport taken ZZPRIVATE"},
            "rationale": "ZZPRIVATE rationale",
            "delegation": "PH-SOMTC",
        },
    )
    note = made("/comments", {"proposal_id": draft, "body": "ZZPRIVATE note on our draft"})
    delegation_note = made(
        "/comments",
        {
            "item": "FC-CD-01",
            "body": "ZZPRIVATE for PH-SOMTC only",
            "visibility": "delegation",
            "delegation": "PH-SOMTC",
        },
    )
    public = made(
        "/proposals",
        {
            "kind": "amend",
            "targets": ["FC-CD-02"],
            "content": {"text": "Confined to a guarded compound or camp"},
            "delegation": "PH-SOMTC",
            "submit": True,
        },
    )
    return Private(draft, note, delegation_note, public)


def _count(database: Database, model: type, *where: Any) -> int:
    with database.transaction() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _same_words(text: str, hidden: int) -> str:
    """A refusal with the asked-for number taken out: what is left must not depend on whether
    the object exists."""
    return re.sub(rf"(?<=[A-Z]-)(?:{hidden}|{MISSING})\b", "N", text)


# --- Item 1: replies and comments into a private space ---------------------------------------


def test_the_reply_form_refuses_a_thread_on_another_delegations_draft(
    client: TestClient, world: World, database: Database, private: Private
) -> None:
    replies = _count(database, Comment, Comment.parent_id == private.draft_note)
    notes = _count(database, Notification)
    csrf = log_in(client, world.member3)  # TH-SOMTC
    hidden = client.post(
        "/comments",
        data={"parent_id": str(private.draft_note), "body": "ZZINTRUDER", "csrf_token": csrf},
        follow_redirects=False,
    )
    missing = client.post(
        "/comments",
        data={"parent_id": str(MISSING), "body": "ZZINTRUDER", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert hidden.status_code == 404
    assert missing.status_code == 404
    assert _same_words(text_of(hidden.text), private.draft_note) == _same_words(
        text_of(missing.text), MISSING
    )
    assert _count(database, Comment, Comment.parent_id == private.draft_note) == replies
    assert _count(database, Notification) == notes
    assert "ZZPRIVATE" not in hidden.text


def test_the_api_answers_a_hidden_thread_as_it_answers_a_missing_one(
    client: TestClient, world: World, database: Database, clock: Clock, private: Private
) -> None:
    th = bearer(token_for(database, world.member3, clock.now))
    answers = {}
    for name, parent in (("hidden", private.draft_note), ("missing", MISSING)):
        response = client.post(
            "/api/v1/comments", json={"parent_id": parent, "body": "ZZINTRUDER"}, headers=th
        )
        assert response.status_code == 404, response.text
        answers[name] = _same_words(response.text, parent)
    assert answers["hidden"] == answers["missing"]
    assert _count(database, Comment, Comment.body == "ZZINTRUDER") == 0


def test_a_delegation_only_thread_takes_no_reply_from_outside_it(
    client: TestClient, world: World, database: Database, clock: Clock, private: Private
) -> None:
    th = bearer(token_for(database, world.member3, clock.now))
    response = client.post(
        "/api/v1/comments",
        json={"parent_id": private.delegation_note, "body": "ZZINTRUDER"},
        headers=th,
    )
    assert response.status_code == 404
    assert _count(database, Comment, Comment.body == "ZZINTRUDER") == 0


def test_a_new_comment_on_a_hidden_draft_is_refused_as_on_a_missing_one(
    client: TestClient, world: World, database: Database, clock: Clock, private: Private
) -> None:
    th = bearer(token_for(database, world.member3, clock.now))
    answers = {}
    for name, target in (("hidden", private.draft), ("missing", MISSING)):
        response = client.post(
            "/api/v1/comments", json={"proposal_id": target, "body": "ZZINTRUDER"}, headers=th
        )
        assert response.status_code == 404, response.text
        answers[name] = _same_words(response.text, target)
    assert answers["hidden"] == answers["missing"]


@pytest.mark.parametrize("who", ["member3", "secretariat", "chair"])
def test_acting_on_a_thread_or_a_draft_one_cannot_see_answers_as_for_a_missing_one(
    client: TestClient, world: World, database: Database, clock: Clock, private: Private, who: str
) -> None:
    headers = bearer(token_for(database, getattr(world, who), clock.now))
    before = _count(database, Comment)

    def tried(note: int, draft: int) -> list[tuple[int, str]]:
        answers = [
            client.post("/api/v1/comments", json={"parent_id": note, "body": "x"}, headers=headers),
            client.post(f"/api/v1/comments/{note}/resolve", headers=headers),
            client.post(f"/api/v1/comments/{note}/answer", json={"answer": "x"}, headers=headers),
            client.post(f"/api/v1/proposals/{draft}/sponsors", json={}, headers=headers),
            client.post(
                "/api/v1/positions",
                json={"proposal_id": draft, "stance": "support", "statement": "x"},
                headers=headers,
            ),
        ]
        return [(a.status_code, _same_words(_same_words(a.text, note), draft)) for a in answers]

    hidden = tried(private.draft_note, private.draft)
    assert hidden == tried(MISSING, MISSING)
    assert all(status in (403, 404) for status, _ in hidden), hidden
    assert _count(database, Comment) == before


def test_the_owner_still_replies_in_the_thread_on_its_own_draft(
    client: TestClient, world: World, private: Private
) -> None:
    csrf = log_in(client, world.member)
    page = client.get(f"/comments/{private.draft_note}")
    assert page.status_code == 200
    response = client.post(
        "/comments",
        data={"parent_id": str(private.draft_note), "body": "Our own reply", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert csrf_of(page.text)


# --- Item 6: the audit trail shows what its reader may see of the objects ------------------


def _trail(client: TestClient, **query: str) -> list[dict[str, Any]]:
    response = client.get("/api/v1/audit", params={"limit": "500", **query})
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["events"]
    return events


def _about(events: list[dict[str, Any]], object_type: str, object_id: int) -> list[str]:
    return [
        e["action"]
        for e in events
        if e["object_type"] == object_type and e["object_id"] == str(object_id)
    ]


@pytest.mark.parametrize("who", ["secretariat", "chair", "admin"])
def test_the_audit_trail_keeps_another_delegations_draft_out_of_sight(
    app: Any, world: World, private: Private, who: str
) -> None:
    with TestClient(app) as reader:
        log_in(reader, getattr(world, who))
        assert reader.get(f"/api/v1/proposals/{private.draft}").status_code == 404
        events = _trail(reader)
        assert events, "the reader sees the rest of the trail"
        assert _about(events, "proposal", private.draft) == []
        assert _about(events, "comment", private.draft_note) == []
        assert _about(events, "comment", private.delegation_note) == []
        assert _about(events, "proposal", private.public) != []  # submitted: seen by all
        # Asking for the draft by its number answers as for a number nobody has.
        for object_type, object_id in (
            ("proposal", private.draft),
            ("comment", private.draft_note),
        ):
            hidden = _trail(reader, object_type=object_type, object_id=str(object_id))
            missing = _trail(reader, object_type=object_type, object_id=str(MISSING))
            assert hidden == missing == []
        page = reader.get("/audit", params={"object_type": "proposal"})
        assert page.status_code == 200
        shown = text_of(page.text)
        assert re.search(rf"\bproposal {private.public}\b", shown)
        assert not re.search(rf"\bproposal {private.draft}\b", shown)
        assert "ZZPRIVATE" not in page.text


def test_a_draft_once_submitted_shows_its_whole_history_in_the_trail(
    client: TestClient, app: Any, world: World, database: Database, clock: Clock, private: Private
) -> None:
    ph = bearer(token_for(database, world.member, clock.now))
    submitted = client.post(f"/api/v1/proposals/{private.draft}/submit", headers=ph)
    assert submitted.status_code == 200, submitted.text
    with TestClient(app) as reader:
        log_in(reader, world.secretariat)
        actions = _about(_trail(reader), "proposal", private.draft)
        assert "proposal.create" in actions and "proposal.submit" in actions, actions
        assert _about(_trail(reader), "comment", private.draft_note) != []
        # The delegation's own note stays its own.
        assert _about(_trail(reader), "comment", private.delegation_note) == []
