"""`zerodraft db upgrade` keeps the audit trail true across a migration that rewrites covered
rows (migration 0011 gives positions their item and turns reservation comments into substantive
ones): the upgrade records one event vouching for what it rewrote, so `zerodraft audit verify`
stays green, while a row edited in the database before the upgrade is still named after it."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.audit.guard import open_database
from app.audit.service import Actor, record, vouch_for
from app.config import Settings
from app.db import make_engine
from app.migrate import alembic_config
from app.models import AuditEvent
from tests.helpers import ENGINE, scratch_database
from tests.test_cli import zerodraft
from tests.test_one_position_model import Rows


@pytest.fixture
def old_url(tmp_path: Path) -> Iterator[str]:
    if ENGINE == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
        _old_database(url)
        yield url
        return
    for url in scratch_database("upgrade"):
        _old_database(url)
        yield url


def _old_database(url: str) -> None:
    """A database at revision 0010 holding a proposal with positions and reservation comments,
    every row recorded by the trail as the app of that time would have."""
    command.upgrade(alembic_config(url), "0010")
    engine = make_engine(url)
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    written: dict[str, set[int]] = {"positions": set(), "comments": set(), "proposals": set()}
    written["items"] = set()
    with engine.begin() as conn:
        r = Rows(conn, t0)
        states = conn.execute(select(r.table("member_states").c.id).limit(2)).scalars().all()
        body = r.add("bodies", code="SOMTC", name="SOMTC")
        aa, bb = (
            r.add("delegations", code=c, state_id=s, body_id=body)
            for c, s in zip(("AA", "BB"), states, strict=True)
        )
        user = r.add("users", email="aa@x.test", role="member", mail_frequency="none")
        item = r.add("items", kind="indicator", code="FC-CD-01", position=1, version=1)
        written["items"].add(item)
        proposal = r.add(
            "proposals",
            kind="amend",
            state="submitted",
            delegation_id=aa,
            author_id=user,
            item_kind="indicator",
        )
        r.add("proposal_targets", proposal_id=proposal, item_id=item, position=0)
        written["proposals"].add(proposal)
        for who, stance in ((aa, "support"), (bb, "objection")):
            written["positions"].add(
                r.add(
                    "positions",
                    proposal_id=proposal,
                    item_id=None,
                    delegation_id=who,
                    user_id=user,
                    stance=stance,
                    statement="",
                )
            )
        for n in range(2):
            written["comments"].add(
                r.add(
                    "comments",
                    author_id=user,
                    delegation_id=bb,
                    kind="reservation",
                    visibility="group",
                    body=f"We cannot agree yet ({n})",
                    item_id=item,
                )
            )
        # A reply: SQLite's batch rebuild of the comments table must not trip on its parent.
        first = min(written["comments"])
        written["comments"].add(
            r.add(
                "comments",
                author_id=user,
                delegation_id=aa,
                kind="general",
                visibility="group",
                body="Why not?",
                item_id=item,
                parent_id=first,
            )
        )
    engine.dispose()
    database = open_database(Settings(database_url=url), pool_size=1)
    with database.transaction() as session:
        record(session, Actor.system(), action="test.rows", object_type="test", object_id="")
        vouch_for(session, written)
    database.dispose()


def _verify(url: str) -> tuple[int, str]:
    code, out, err = zerodraft("audit", "verify", "--database", url)
    return code, out + err


def test_the_trail_verifies_before_the_upgrade(old_url: str) -> None:
    engine = make_engine(old_url)
    with Session(engine) as session:
        assert session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc())) == 1
    engine.dispose()
    code, said = _verify(old_url)
    assert code == 0, said


def test_db_upgrade_vouches_for_the_rows_a_migration_rewrote(old_url: str) -> None:
    code, out, err = zerodraft("db", "upgrade", "--database", old_url)
    assert code == 0, err
    assert "upgraded from 0010" in out
    # Two positions got their item, two comments their new kind, and the group-visible
    # reservation became a reservation position (a new row).
    assert "records the rows the upgrade rewrote: 2 comments, 3 positions" in out, out
    code, said = _verify(old_url)
    assert code == 0, said
    engine = make_engine(old_url)
    with engine.connect() as conn:
        action = conn.execute(
            text("SELECT action FROM audit_events ORDER BY id DESC LIMIT 1")
        ).scalar_one()
    engine.dispose()
    assert action == "database.upgrade"


def test_alembic_alone_leaves_the_rewritten_rows_unexplained(old_url: str) -> None:
    command.upgrade(alembic_config(old_url), "head")
    code, said = _verify(old_url)
    assert code == 1
    assert "positions/" in said and "comments/" in said


def test_a_row_edited_before_the_upgrade_is_still_named_after_it(old_url: str) -> None:
    engine = make_engine(old_url)
    with engine.begin() as conn:
        tampered = conn.execute(text("SELECT id FROM comments ORDER BY id LIMIT 1")).scalar_one()
        conn.execute(text("UPDATE comments SET body = 'We agree' WHERE id = :id"), {"id": tampered})
    engine.dispose()
    code, out, err = zerodraft("db", "upgrade", "--database", old_url)
    assert code == 0, err
    assert "records the rows" not in out
    assert "not recorded in the audit trail" in err and f"comments/{tampered}" in err
    code, said = _verify(old_url)
    assert code == 1
    assert f"comments/{tampered} " in said


def test_a_row_planted_before_the_upgrade_does_not_become_a_vouched_position(
    old_url: str,
) -> None:
    """The laundering an attacker tried: a reservation comment slipped in with SQL becomes a
    reservation position through migration 0011; the comment is then deleted. The upgrade must
    not vouch for the position made from it."""
    engine = make_engine(old_url)
    with engine.begin() as conn:
        author, delegation, item = conn.execute(
            text("SELECT author_id, delegation_id, item_id FROM comments ORDER BY id LIMIT 1")
        ).one()
        other = conn.execute(
            text("SELECT id FROM delegations WHERE id != :d ORDER BY id LIMIT 1"), {"d": delegation}
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO comments (author_id, delegation_id, item_id, kind, visibility, body,"
                " field, quote, prefix, suffix, outdated, late, answer, created_at, version)"
                " VALUES (:a, :d, :i, 'reservation', 'group', 'Planted', '', '', '', '', false,"
                " false, '', :t, 1)"
            ),
            {"a": author, "d": other, "i": item, "t": datetime(2026, 3, 3, tzinfo=UTC)},
        )
    engine.dispose()
    code, out, err = zerodraft("db", "upgrade", "--database", old_url)
    assert code == 0, err
    assert "records the rows" not in out and "not recorded in the audit trail" in err
    engine = make_engine(old_url)
    with engine.begin() as conn:
        planted = conn.execute(text("SELECT id FROM comments WHERE body = 'Planted'")).scalar_one()
        made = conn.execute(
            text("SELECT id FROM positions WHERE statement LIKE '%Planted%'")
        ).scalar_one()
        conn.execute(text("DELETE FROM comments WHERE id = :id"), {"id": planted})
    engine.dispose()
    code, said = _verify(old_url)
    assert code == 1
    assert (
        f"positions/{made} " in said
        or f"positions/{made}," in said
        or said.rstrip().endswith(f"positions/{made}")
    ), said
