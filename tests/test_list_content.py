"""Lists show content (issue 16): the proposals list shows each proposal's change in words (not
only 'P-9 / FC-EX-04 / LA-SOMSWD'), and the register shows the open proposals and comments of
each indicator, kept current through the page cache. (That neither adds a query per row is
tests/test_sql_counts.py's check of /register and /proposals.)"""

import re

from fastapi.testclient import TestClient

from app.db import Database
from app.proposals.display import GIST_WORDS, _trim
from tests.factories import World, bearer, token_for
from tests.helpers import Clock, log_in
from tests.test_accessibility import Discussion, discussion  # noqa: F401


def _row(html: str, marker: str) -> str:
    """The table row holding `marker`."""
    for row in re.findall(r"<tr[ >].*?</tr>", html, flags=re.S):
        if marker in row:
            return row
    raise AssertionError(f"no row with {marker}")


def _text(fragment: str) -> str:
    without_hidden = re.sub(r'<span class="visually-hidden">.*?</span>', "", fragment)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", without_hidden)).strip()


def test_the_proposals_list_shows_each_change_in_words(
    client: TestClient,
    world: World,
    discussion: Discussion,  # noqa: F811
) -> None:
    log_in(client, world.member3)
    page = client.get("/proposals")
    assert page.status_code == 200
    assert '<th scope="col">Change</th>' in page.text
    row = _row(page.text, f'href="/proposals/{discussion.proposal}"')
    # "Passport or personal phone taken by the operators" -> "... confiscated by ...".
    assert "<del>" in row and "taken" in _text(row.split("<del>")[1].split("</del>")[0])
    assert "<ins>" in row and "confiscated" in _text(row.split("<ins>")[1].split("</ins>")[0])
    assert "Text:" in _text(row)
    # Screen readers hear which words go and which come.
    assert "[deleted: " in row and "[inserted: " in row
    other = _row(page.text, f'href="/proposals/{discussion.other_proposal}"')
    assert "locked dormitory" in _text(other)


def test_a_long_unchanged_stretch_is_cut_to_a_few_words_on_each_side() -> None:
    words = " ".join(f"w{i}" for i in range(30))
    middle = _trim(words, keep_start=True, keep_end=True)
    assert middle.split(" … ") == [
        " ".join(f"w{i}" for i in range(GIST_WORDS)),
        " ".join(f"w{i}" for i in range(30 - GIST_WORDS, 30)),
    ]
    assert _trim(words, keep_start=False, keep_end=True).startswith("… w25")
    assert _trim(words, keep_start=True, keep_end=False).endswith("w4 …")
    assert _trim("a few words", keep_start=False, keep_end=False) == "a few words"


def test_the_register_shows_open_proposals_and_comments_per_indicator(
    client: TestClient,
    world: World,
    database: Database,
    clock: Clock,
    discussion: Discussion,  # noqa: F811
) -> None:
    log_in(client, world.member3)
    page = client.get("/register")
    heading = 'class="col-activity">Open<span class="visually-hidden"> proposals and comments'
    assert heading in page.text
    assert _text(_row(page.text, 'href="/indicators/FC-CD-01"')).endswith("1 proposal 1 comment")
    assert _text(_row(page.text, 'href="/indicators/FC-CD-02"')).endswith("1 proposal")
    quiet = _row(page.text, 'href="/indicators/FC-DR-01"')
    assert _text(quiet).endswith("None")

    # A new comment and a new proposal show at once, though the page is cached.
    headers = bearer(token_for(database, world.member, clock.now))
    made = client.post(
        "/api/v1/comments",
        json={"item": "FC-DR-01", "body": "Which recruiters?"},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    made = client.post(
        "/api/v1/proposals",
        json={
            "kind": "amend",
            "targets": ["FC-DR-01"],
            "content": {"text": "A recruiter promised a job that did not exist"},
            "rationale": "Clearer.",
            "delegation": "PH-SOMTC",
            "submit": True,
        },
        headers=headers,
    )
    assert made.status_code == 201, made.text
    # A private draft is its delegation's alone: not counted on a page shared by a role.
    draft = client.post(
        "/api/v1/proposals",
        json={
            "kind": "amend",
            "targets": ["FC-DR-01"],
            "content": {"text": "A private idea"},
            "rationale": "Draft.",
            "delegation": "PH-SOMTC",
        },
        headers=headers,
    )
    assert draft.status_code == 201, draft.text
    again = client.get("/register")
    assert _text(_row(again.text, 'href="/indicators/FC-DR-01"')).endswith("1 proposal 1 comment")
    row = _row(again.text, 'href="/indicators/FC-DR-01"')
    assert 'href="/indicators/FC-DR-01#proposals"' in row
    assert 'href="/indicators/FC-DR-01#comments"' in row
