"""The indicator page's cached body is keyed on the viewer's audience unless they wrote one of
the item's comments. On PostgreSQL (READ COMMITTED) the key's 'has this person written here'
statement and the build's thread statements can see different data: a body built with the
viewer's own comment (one only they and the chairs may read, and its edit and withdraw buttons)
must then never be kept under the shared key, where a colleague of the same delegations would
be given it."""

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.db import Database
from app.models import Role
from app.register import pages
from tests.factories import World, arranged, bearer, make_user, token_for
from tests.helpers import Clock, log_in

PAGE = "/indicators/FC-CD-01"


def test_a_body_holding_the_viewers_own_comment_is_not_shared_when_the_key_missed_it(
    app: FastAPI, world: World, database: Database, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    author = "author.ph@asean.test"
    with arranged(database) as s:
        make_user(s, author, Role.MEMBER, "PH-SOMTC", "PH-ACWC", now=clock.now)
    with TestClient(app) as writer, TestClient(app) as colleague:
        log_in(writer, author)
        log_in(colleague, world.member)  # the same role and delegations: the same audience
        written = writer.post(
            "/api/v1/comments",
            json={
                "item": "FC-CD-01",
                "body": "Seen by the chairs and its author only",
                "kind": "general",
                "visibility": "chairs_secretariat",
            },
            headers=bearer(token_for(database, author, clock.now)),
        )
        assert written.status_code == 201, written.text
        edit = f"/comments/{written.json()['id']}/edit"
        # The key's statement ran before the comment was committed, the threads after it.
        monkeypatch.setattr(pages, "has_written_on", lambda *_: False)
        own = writer.get(PAGE).text
        assert "Seen by the chairs and its author only" in own and edit in own
        monkeypatch.undo()
        shared = colleague.get(PAGE).text
    assert "Seen by the chairs and its author only" not in shared
    assert edit not in shared
