"""No N+1: the number of SQL statements a page or an API list makes does not grow with the data.

The working set of app/demo/working_set.py (what `make bench` measures) is built twice, small
and five times larger (more indicators, and with them more proposals, positions and comments),
every page and API list is requested on each (with the page cache off), and the statements each
request sent to the database are counted.
Also: an item's number, now counted in SQL, is the one the register list gives it.
"""

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, select, text

from app.audit.service import Actor
from app.config import Settings
from app.demo.working_set import MEMBER, PASSWORD, ROUND, SECRETARIAT, populate
from app.main import create_app
from app.models import Comment, ItemKind, ItemStatus, Proposal
from app.register import service as register
from tests.factories import bearer, token_for
from tests.helpers import ENGINE, TABLES, log_in

SMALL, LARGE = 6, 30
# Statements a request may add on the larger set: none, but a little room for a count that
# depends on which rows happen to be first (e.g. a reply to load or not).
SLACK = 2
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

PAGES = [
    "/register",
    "/indicators/{indicator}",
    "/sections/SEC-BENCH1",
    "/proposals",
    "/proposals?item={indicator}",
    "/proposals/{proposal}",
    "/consensus",
    "/rounds",
    "/rounds/{round}",
    "/rounds/compare",
    "/responses",
    "/notifications",
    "/comments/{comment}",
    "/account",
]
SECRETARIAT_PAGES = ["/queue", "/audit", "/proposals/{proposal}"]
API = [
    "/api/v1/indicators",
    "/api/v1/indicators/{indicator}",
    "/api/v1/indicators/{indicator}/history",
    "/api/v1/sections",
    "/api/v1/dimensions",
    "/api/v1/proposals",
    "/api/v1/proposals?item={indicator}",
    "/api/v1/proposals/{proposal}",
    "/api/v1/comments?item={indicator}",
    "/api/v1/comments?proposal_id={proposal}",
    "/api/v1/items/{indicator}/consensus",
    "/api/v1/rounds",
    "/api/v1/rounds/{round}",
    "/api/v1/rounds/{round}/items",
    "/api/v1/responses",
    "/api/v1/notifications",
    "/api/v1/delegations",
]
SECRETARIAT_API = ["/api/v1/audit"]


class Counter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_: Any) -> None:
        self.count += 1


def _fresh_url(template_url: str, tmp_path: Path, name: str) -> str:
    if ENGINE == "postgresql":
        engine = create_engine(template_url)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return template_url
    target = tmp_path / f"{name}.sqlite3"
    shutil.copyfile(Path(template_url.removeprefix("sqlite:///")), target)
    return f"sqlite:///{target}"


@contextmanager
def _working_set(url: str, tmp_path: Path, indicators: int) -> Iterator[Any]:
    settings = Settings(
        mode="test",
        database_url=url,
        data_dir=tmp_path,
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        # The secretariat logs in with a password alone, as in tests/conftest.py: with the
        # second factor required, its log-in stopped at the set-up page and every
        # "secretariat" count was that page's.
        mfa_required_roles="",
        # Every request renders in full: a fragment served from the cache (app/web/cache.py)
        # would hide what its rendering costs.
        page_cache=False,
    )
    app = create_app(settings, clock=lambda: NOW)
    try:
        with app.state.database.transaction() as s:
            populate(s, indicators, now=NOW)
        yield app
    finally:
        app.state.database.dispose()


def _counts(app: Any) -> dict[str, int]:
    database = app.state.database
    with database.transaction(write=False) as s:
        proposal = s.scalar(
            select(Proposal.id).where(Proposal.submitted_at.is_not(None)).order_by(Proposal.id)
        )
        comment = s.scalar(
            select(Comment.id)
            .where(Comment.parent_id.is_(None), Comment.item_id.is_not(None))
            .order_by(Comment.id)
        )
    ids = {
        "indicator": "FC-DR-001",
        "proposal": proposal,
        "comment": comment,
        "round": quote(ROUND, safe="/"),
    }
    member_api = bearer(token_for(database, MEMBER, NOW))
    secretariat_api = bearer(token_for(database, SECRETARIAT, NOW))
    counter = Counter()
    event.listen(database.engine, "before_cursor_execute", counter)
    out: dict[str, int] = {}
    try:
        for who, pages, api, headers in (
            ("member", PAGES, API, member_api),
            ("secretariat", SECRETARIAT_PAGES, SECRETARIAT_API, secretariat_api),
        ):
            with TestClient(app, base_url="http://testserver") as client:
                log_in(client, MEMBER if who == "member" else SECRETARIAT, PASSWORD)
                requests = [(p, {}) for p in pages] + [(p, headers) for p in api]
                for path, extra in requests:
                    url = path.format(**ids)
                    client.get(url, headers=extra, follow_redirects=False)  # warms caches
                    counter.count = 0
                    response = client.get(url, headers=extra, follow_redirects=False)
                    # The page asked for, not a log-in or set-up page redirected to.
                    assert response.status_code == 200, (url, response.text[:500])
                    out[f"{who} {path}"] = counter.count
    finally:
        event.remove(database.engine, "before_cursor_execute", counter)
    return out


def test_statements_per_request_do_not_grow_with_the_data(
    template_url: str, tmp_path: Path
) -> None:
    counts = {}
    for size in (SMALL, LARGE):
        url = _fresh_url(template_url, tmp_path, f"set{size}")
        with _working_set(url, tmp_path, size) as app:
            counts[size] = _counts(app)
    grown = {
        name: (counts[SMALL][name], counts[LARGE][name])
        for name in counts[SMALL]
        if counts[LARGE][name] > counts[SMALL][name] + SLACK
    }
    table = "\n".join(
        f"{name:<55}{counts[SMALL][name]:>5}{counts[LARGE][name]:>5}" for name in counts[SMALL]
    )
    assert not grown, f"statements grow with the data ({SMALL} vs {LARGE} indicators):\n{table}"
    # Every request was counted.
    assert len(counts[SMALL]) == len(PAGES) + len(API) + len(SECRETARIAT_PAGES) + len(
        SECRETARIAT_API
    )


def test_display_number_counted_in_sql_matches_the_register_numbering(
    template_url: str, tmp_path: Path
) -> None:
    url = _fresh_url(template_url, tmp_path, "numbers")
    with _working_set(url, tmp_path, SMALL) as app, app.state.database.transaction() as s:
        # Withdraw one indicator in the middle and one section: both lose their number and
        # every later item's number moves up.
        for code in ("FC-DR-001", "SEC-BENCH2"):
            item = register.get_item(s, code)
            register.revise_item(
                s,
                Actor.system("test"),
                code=code,
                expected_revision=item.version,
                changes={"status": ItemStatus.WITHDRAWN},
                reason="Withdrawn",
                now=NOW,
            )
        for kind in (ItemKind.INDICATOR, ItemKind.SECTION):
            rows = register.list_items(s, kind)
            assert any(r.number is None for r in rows)
            for row in rows:
                assert register.display_number(s, register.get_item(s, row.code)) == row.number


def _add_case_studies(app: Any, count: int) -> None:
    """`count` case studies, each with two facts coded against two indicators (one of them
    shared by a split or a merge or not: whatever the working set has)."""
    from app.cases import service as cases
    from app.models import User
    from app.principal import Principal, Role

    with app.state.database.transaction() as s:
        user = s.scalar(select(User).where(User.email == SECRETARIAT))
        assert user is not None
        officer = Principal(user_id=user.id, email=user.email, name=user.name, role=Role(user.role))
        actor = Actor(user.id, None, "sql-counts")
        for n in range(count):
            case = cases.create(
                s,
                officer,
                actor,
                cases.Details(
                    title=f"Case {n}",
                    profile="adult",
                    crime_form="online_scam",
                    outcome="trafficked_forced_criminality",
                    # The member the page is read by contributes: they may read it.
                    contributors=[MEMBER],
                ),
                now=NOW,
            )
            for text_, code in (
                ("He was told to scam people.", "FC-DR-001"),
                ("He was beaten.", "FC-TR-001"),
            ):
                fact = cases.add_fact(
                    s,
                    officer,
                    actor,
                    case.id,
                    text=text_,
                    phase="exploitation",
                    source="court_file",
                    now=NOW,
                )
                cases.code_fact(
                    s,
                    officer,
                    actor,
                    case.id,
                    fact.id,
                    indicator=code,
                    status="present",
                    evidence=text_,
                    now=NOW,
                )


def test_the_compilation_view_reads_case_studies_in_a_fixed_number_of_statements(
    template_url: str, tmp_path: Path
) -> None:
    """The round's page screens the case studies its viewer (a contributor) may read: as many
    statements for one case study as for five (it read each one's codings in a query of its
    own, and each case study in full)."""
    url = _fresh_url(template_url, tmp_path, "cases")
    counts = []
    with _working_set(url, tmp_path, SMALL) as app:
        counter = Counter()
        page = "/rounds/" + quote(ROUND, safe="/")
        engine = app.state.database.engine
        for added in (0, 1, 4):
            _add_case_studies(app, added)
            event.listen(engine, "before_cursor_execute", counter)
            try:
                with TestClient(app, base_url="http://testserver") as client:
                    log_in(client, MEMBER, PASSWORD)
                    client.get(page)
                    counter.count = 0
                    response = client.get(page)
            finally:
                event.remove(engine, "before_cursor_execute", counter)
            assert response.status_code == 200 and response.url.path == page
            counts.append(counter.count)
    # With none the case studies' codings are not read at all: the page does screen them.
    none, one, five = counts
    assert none < one == five, f"statements with 0, 1 and 5 case studies: {counts}"
