"""Search's order and filters depend only on what the person may see, and follow the register
(the review of the full-text search, items 4 and 5), through the API on both engines."""

from typing import Any

from sqlalchemy import select

from app.audit.service import Actor, record
from app.db import Database
from app.models import ProposalTarget
from app.search.index import phrase_count
from tests.test_search import Api, edit, people  # noqa: F401  (people is a fixture)


def test_a_phrase_is_counted_as_whole_words_in_a_row_repeats_included() -> None:
    assert phrase_count("cost cost cost costli", "cost") == 3
    assert phrase_count("the cost of cost of", "cost of") == 2
    assert phrase_count("of cost", "cost of") == 0
    assert phrase_count("", "cost") == 0
    assert phrase_count(None, "cost") == 0


def _draft(api: Api, text: str) -> None:
    response = api.post(
        "/proposals",
        {
            "kind": "amend",
            "targets": ["FC-CD-01"],
            "content": {"text": text},
            "submit": False,
            "delegation": "PH-SOMTC",
        },
    )
    assert response.status_code == 201, response.text


def test_another_delegations_private_drafts_do_not_change_the_order(
    people: dict[str, Api],  # noqa: F811
) -> None:
    ph, id_, sec = people["ph"], people["id"], people["sec"]

    def comment(body: str) -> str:
        created: dict[str, Any] = id_.post("/comments", {"item": "FC-CD-01", "body": body}).json()
        return f"C-{created['id']}"

    a = comment("yarrowleaf yarrowleaf yarrowleaf quincebloom")
    b = comment("quincebloom quincebloom quincebloom yarrowleaf")
    before = {who: api.refs("yarrowleaf quincebloom") for who, api in (("id", id_), ("sec", sec))}
    assert before == {"id": [a, b], "sec": [a, b]}
    for n in range(4):
        _draft(ph, f"yarrowleaf draft {n}")
    # With FTS5's bm25 (SQLite) the drafts made "yarrowleaf" common and turned the two round.
    assert id_.refs("yarrowleaf quincebloom") == [a, b]
    assert sec.refs("yarrowleaf quincebloom") == [a, b]
    # Found more often, or in the title, comes first: from the row alone.
    c = comment("quincebloom yarrowleaf quincebloom yarrowleaf quincebloom yarrowleaf")
    assert id_.refs("yarrowleaf quincebloom") == [c, a, b]
    assert id_.refs("quincebloom") == [b, c, a]


def test_an_indicator_moved_to_another_dimension_takes_its_proposals_and_comments(
    people: dict[str, Api],  # noqa: F811
) -> None:
    ph, sec = people["ph"], people["sec"]
    p = ph.post(
        "/proposals",
        {
            "kind": "amend",
            "targets": ["FC-DR-01"],
            "content": {"text": "Tamarillo farms abroad"},
            "submit": True,
            "delegation": "PH-SOMTC",
        },
    ).json()
    on_item = ph.post("/comments", {"item": "FC-DR-01", "body": "Tamarillo pickers"}).json()
    on_proposal = ph.post("/comments", {"proposal_id": p["id"], "body": "Tamarillo too"}).json()
    moved = {f"P-{p['id']}", f"C-{on_item['id']}", f"C-{on_proposal['id']}"}
    assert set(sec.refs("tamarillo", dimension="DR")) == moved
    assert sec.refs("tamarillo", dimension="CD") == []
    edit(sec, "FC-DR-01", dimension="CD")
    assert sec.refs("tamarillo", dimension="DR") == []
    assert set(sec.refs("tamarillo", dimension="CD")) == moved


def test_a_target_taken_off_a_proposal_leaves_its_title(
    people: dict[str, Api],  # noqa: F811
    database: Database,
) -> None:
    ph = people["ph"]
    p = ph.post(
        "/proposals",
        {
            "kind": "merge",
            "targets": ["FC-CD-01", "FC-CD-02"],
            "content": {"text": "Feijoa wages held back"},
            "submit": True,
            "delegation": "PH-SOMTC",
        },
    ).json()
    assert [r["title"] for r in ph.search("feijoa")["results"]] == ["Merge FC-CD-01, FC-CD-02"]
    # No route takes a target off today; the index follows any session that does.
    with database.transaction() as session:
        second = session.scalars(
            select(ProposalTarget)
            .where(ProposalTarget.proposal_id == p["id"])
            .order_by(ProposalTarget.position.desc())
        ).first()
        session.delete(second)
        record(
            session,
            Actor.system(),
            action="test.untarget",
            object_type="proposal",
            object_id=p["id"],
        )
    assert [r["title"] for r in ph.search("feijoa")["results"]] == ["Merge FC-CD-01"]
