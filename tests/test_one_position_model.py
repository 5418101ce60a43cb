"""One position model (issue 16): every position is about an item's text, the text as it stands
or the text a proposal would make. The consensus grid, the indicator page and the API read the
same positions; an agreed proposal's positions become positions on the text it made; migration
0011 brings old rows (positions on proposals without their item, reservation comments) to it."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, Table, select

from app.db import make_engine
from app.models import CommentKind
from tests.factories import World
from tests.helpers import ENGINE, alembic_config, log_in, post, scratch_database
from tests.test_proposal_pages import act, between, decide, propose
from tests.test_register_pages import form_fields
from tests.test_workflow_api import Api, amend, people  # noqa: F401  (the fixture)

DELEGATIONS = ("ID-AICHR", "PH-ACWC", "PH-SOMTC", "TH-SOMTC")


def grid_row(client: TestClient, code: str = "FC-CD-01") -> str:
    html = client.get("/consensus").text
    return between(html, f'href="/indicators/{code}#consensus"', "</tr>")


def test_a_position_on_a_proposal_shows_on_the_grid_and_the_indicator_page(
    client: TestClient, world: World
) -> None:
    log_in(client, world.member)
    pid = propose(client, "Passport taken by the operators", delegation="PH-SOMTC")
    log_in(client, world.member2)
    done = act(client, pid, "position", stance="support", statement="We support the amendment")
    assert done.status_code == 303, done.text

    log_in(client, world.observer)
    row = grid_row(client)
    assert f"ID-AICHR: support on P-{pid}" in row
    # PH-SOMTC proposed it: it supports its own text unless it says otherwise.
    assert f"PH-SOMTC: support (proposer) on P-{pid}" in row
    assert "2 support" in row and "2 pending" in row
    page = client.get("/indicators/FC-CD-01").text
    panel = between(page, 'id="consensus-title"', "</table>")
    assert f'the text of <a href="/proposals/{pid}">P-{pid}</a>' in panel
    assert "We support the amendment" in panel


def test_the_latest_word_on_an_item_is_what_the_grid_shows(
    client: TestClient, world: World
) -> None:
    """ "We support P-8", then "we can accept the text as it stands ad referendum": the cell
    shows the second; both stay on the pages that show each text."""
    log_in(client, world.member)
    pid = propose(client, "Passport taken by the operators", delegation="PH-SOMTC")
    log_in(client, world.member3)
    act(client, pid, "position", stance="support")
    item = form_fields(client.get("/indicators/FC-CD-01").text, "/items/FC-CD-01/position")
    post(client, "/items/FC-CD-01/position", item | {"stance": "ad_referendum"})
    row = grid_row(client)
    assert "TH-SOMTC: ad referendum<" in row.replace('">', "<")
    proposal_page = client.get(f"/proposals/{pid}").text
    assert "2 support" in proposal_page  # TH-SOMTC's, and PH-SOMTC's as its proposer


def test_an_agreed_proposals_item_does_not_show_pending(client: TestClient, world: World) -> None:
    log_in(client, world.member)
    pid = propose(client, "Passport taken by the operators", delegation="PH-SOMTC")
    act(client, pid, "position", stance="support", delegation="PH-ACWC")
    log_in(client, world.member2)
    act(client, pid, "position", stance="support")
    log_in(client, world.member3)
    act(client, pid, "position", stance="ad_referendum", statement="Subject to our capital")

    log_in(client, world.secretariat)
    agreed = decide(client, pid, "agreed")
    assert agreed.status_code == 303, agreed.text
    row = grid_row(client)
    assert "0 pending" in row, row
    assert "3 support" in row and "1 ad ref" in row
    # On the text as it stands now (the text the proposal made), not on the closed proposal.
    assert "PH-SOMTC: support<" in row.replace('">', "<")
    assert "TH-SOMTC: ad referendum<" in row.replace('">', "<")
    panel = between(client.get("/indicators/FC-CD-01").text, 'id="consensus-title"', "</table>")
    assert "Subject to our capital" in panel and f"Proposed P-{pid}." in panel
    # The proposal keeps where delegations stood when it was agreed (its proposer's support too).
    assert "3 support" in client.get(f"/proposals/{pid}").text


def test_the_api_reads_the_same_positions(people: dict[str, Api]) -> None:  # noqa: F811
    ph, th = people["ph"], people["th"]
    pid = amend(ph, "Passport taken by the operators", delegation="PH-SOMTC").json()["id"]
    taken = th.post("/positions", {"proposal_id": pid, "stance": "objection"})
    assert taken.status_code == 201, taken.text
    consensus = th.get("/items/FC-CD-01/consensus").json()
    stances = {p["delegation"]: p["stance"] for p in consensus["positions"]}
    on = {p["delegation"]: p["proposal_id"] for p in consensus["positions"]}
    assert on["TH-SOMTC"] == pid and on["ID-AICHR"] is None
    assert stances == {
        "ID-AICHR": None,
        "PH-ACWC": None,
        "PH-SOMTC": "support",  # its own proposal's text
        "TH-SOMTC": "objection",
    }
    # An objection to a proposal's text is not one to the text as it stands.
    th.post("/positions", {"item": "FC-CD-01", "stance": "support"})
    stances = {
        p["delegation"]: p["stance"]
        for p in th.get("/items/FC-CD-01/consensus").json()["positions"]
    }
    assert stances["TH-SOMTC"] == "support"
    mine = th.get("/items/FC-CD-01/consensus").json()["positions"]
    assert [p["proposal_id"] for p in mine if p["delegation"] == "TH-SOMTC"] == [None]
    proposal = th.get(f"/proposals/{pid}").json()
    assert [(p["delegation"], p["stance"]) for p in proposal["positions"]] == [
        ("PH-SOMTC", "support"),
        ("TH-SOMTC", "objection"),
    ]


def test_a_reservation_is_no_longer_a_kind_of_comment(people: dict[str, Api]) -> None:  # noqa: F811
    assert "reservation" not in {k.value for k in CommentKind}
    refused = people["th"].post(
        "/comments", {"item": "FC-CD-01", "body": "We reserve", "kind": "reservation"}
    )
    assert refused.status_code == 422
    assert "kind" in refused.text


# --- Migration 0011 ---------------------------------------------------------------------------


@pytest.fixture
def empty_url(tmp_path: Path) -> Iterator[str]:
    if ENGINE == "sqlite":
        yield f"sqlite:///{tmp_path / 'positions.sqlite3'}"
        return
    yield from scratch_database("positions")


class Rows:
    """Inserts rows in a database at an old revision, filling the columns a test does not care
    about with plain values of their type."""

    def __init__(self, conn: Any, at: datetime) -> None:
        self.conn = conn
        self.meta = MetaData()
        self.meta.reflect(conn)
        self.at = at if ENGINE == "postgresql" else at.replace(tzinfo=None)

    def _filler(self, column: Any) -> Any:
        try:
            kind = column.type.python_type
        except NotImplementedError:
            return {}
        return {int: 1, bool: False, str: "x", datetime: self.at, dict: {}, list: []}.get(kind, "x")

    def add(self, table: str, **values: Any) -> int:
        t: Table = self.meta.tables[table]
        row = {
            c.name: self._filler(c)
            for c in t.columns
            if not c.nullable and not c.primary_key and c.name not in values
        }
        return int(self.conn.execute(t.insert().values(row | values)).inserted_primary_key[0])

    def table(self, name: str) -> Table:
        return self.meta.tables[name]


def test_migration_0011_brings_old_rows_to_the_one_model(empty_url: str) -> None:
    config = alembic_config(empty_url)
    command.upgrade(config, "0010")
    engine = make_engine(empty_url)
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with engine.begin() as conn:
        r = Rows(conn, t0)
        states = conn.execute(select(r.table("member_states").c.id).limit(4)).scalars().all()
        body = r.add("bodies", code="SOMTC", name="SOMTC")
        d = {
            code: r.add("delegations", code=code, state_id=state, body_id=body)
            for code, state in zip(("AA", "BB", "CC", "DD"), states, strict=True)
        }
        u = {
            code: r.add("users", email=f"{code}@x.test", role="member", mail_frequency="none")
            for code in d
        }
        item = r.add("items", kind="indicator", code="FC-CD-01", position=1, version=1)
        item2 = r.add("items", kind="indicator", code="FC-CD-02", position=2, version=1)

        def proposal(state: str, decided: datetime | None = None) -> int:
            pid = r.add(
                "proposals",
                kind="amend",
                state=state,
                delegation_id=d["AA"],
                author_id=u["AA"],
                item_kind="indicator",
                decided_at=r.at if decided else None,
            )
            r.add("proposal_targets", proposal_id=pid, item_id=item, position=0)
            return pid

        open_p = proposal("submitted")
        agreed_p = proposal("agreed", decided=t0)
        r.add("sponsorships", proposal_id=agreed_p, delegation_id=d["DD"], user_id=u["DD"])

        def position(stance: str, who: str, *, proposal: int | None = None, **more: Any) -> int:
            return r.add(
                "positions",
                proposal_id=proposal,
                item_id=more.pop("item_id", None),
                delegation_id=d[who],
                user_id=u[who],
                stance=stance,
                statement=more.pop("statement", ""),
                **more,
            )

        on_open = position("objection", "BB", proposal=open_p)
        position("support", "BB", proposal=agreed_p, statement="Good text")
        position("objection", "BB", item_id=item)  # on the old text, before the agreement
        position("ad_referendum", "CC", proposal=agreed_p)

        def comment(who: str, **values: Any) -> int:
            return r.add(
                "comments",
                author_id=u[who],
                delegation_id=d[who],
                kind="reservation",
                visibility=values.pop("visibility", "group"),
                body=values.pop("body", "We cannot yet agree"),
                **values,
            )

        shown = comment("CC", item_id=item2, quote="taken")
        private = comment("DD", item_id=item2, visibility="delegation")
        has_position = comment("BB", proposal_id=open_p)
    engine.dispose()

    command.upgrade(config, "0011")
    engine = make_engine(empty_url)
    with engine.connect() as conn:
        meta = MetaData()
        meta.reflect(conn, only=["positions", "comments", "delegations"])
        p, c, dl = meta.tables["positions"], meta.tables["comments"], meta.tables["delegations"]
        code = {i: k for k, i in d.items()}
        rows = conn.execute(select(p).order_by(p.c.id)).mappings().all()
        by_id = {row["id"]: row for row in rows}
        # 1. A position on a proposal names the proposal's item.
        assert by_id[on_open]["item_id"] == item
        # 2. The agreed proposal's positions, and its proposer's and co-sponsor's support, are
        # on the item's text as it stands; BB's objection to the old text is superseded.
        standing = {
            (code[row["delegation_id"]], row["stance"], row["statement"])
            for row in rows
            if row["item_id"] == item and row["proposal_id"] is None and not row["superseded_at"]
        }
        assert standing == {
            ("BB", "support", "Good text"),
            ("CC", "ad_referendum", ""),
            ("AA", "support", f"Proposed P-{agreed_p}."),
            ("DD", "support", f"Co-sponsored P-{agreed_p}."),
        }
        on_agreed = [row for row in rows if row["proposal_id"] == agreed_p]
        assert len(on_agreed) == 2 and all(row["superseded_at"] is None for row in on_agreed)
        # 3. Reservation comments are substantive; the group-visible one of a delegation with
        # no position on that text is a reservation position; a private one is not.
        kinds = dict(conn.execute(select(c.c.id, c.c.kind)).all())
        assert kinds == {shown: "substantive", private: "substantive", has_position: "substantive"}
        reservations = [
            (code[row["delegation_id"]], row["item_id"], row["proposal_id"], row["statement"])
            for row in rows
            if row["stance"] == "reservation"
        ]
        assert reservations == [("CC", item2, None, "On \u201ctaken\u201d: We cannot yet agree")]
        assert len(conn.execute(select(dl.c.id)).all()) == 4
    engine.dispose()
    # 4. The kind's constraint refuses the old kind now; and the migration goes down and up.
    engine = make_engine(empty_url)
    with pytest.raises(Exception, match=r"(?i)check"), engine.begin() as conn:
        conn.execute(c.update().where(c.c.id == shown).values(kind="reservation"))
    engine.dispose()
    command.downgrade(config, "0010")
    command.upgrade(config, "head")
