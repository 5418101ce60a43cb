"""Every route is guarded by the permission table, and each role may do exactly what it should."""

from collections.abc import Callable
from datetime import datetime

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route

from app.accounts.permissions import PERMISSIONS, Action, refusal
from app.db import Database
from app.models import Role
from app.web.deps import all_routes, route_permission
from tests.factories import World, bearer, token_for
from tests.helpers import Clock

# Routes anyone may reach without logging in.
PUBLIC = {
    ("GET", "/"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/healthz"),
    # Probes for the proxy; /metrics answers only to its own bearer token (app/ops/api.py).
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    # Logged-out account pages: an invitation's and a reset's one-time link, the forgotten
    # password form (app/accounts/password_pages.py).
    ("GET", "/invitation/{token}"),
    ("POST", "/invitation/{token}"),
    ("GET", "/password/forgot"),
    ("POST", "/password/forgot"),
    ("GET", "/password/reset/{token}"),
    ("POST", "/password/reset/{token}"),
    # The unsubscribe link of a notification mail: the signed token is the credential, and a
    # mail program's RFC 8058 one-click POST comes without a log-in (app/mail/pages.py).
    ("GET", "/mail/unsubscribe/{token}"),
    ("POST", "/mail/unsubscribe/{token}"),
    # A half-done log-in (second factor): guarded by its own cookie (app/accounts/mfa_pages.py).
    ("GET", "/login/verify"),
    ("POST", "/login/verify"),
    ("POST", "/login/verify/passkey/options"),
    ("POST", "/login/verify/passkey"),
    ("GET", "/login/enrol"),
    ("POST", "/login/enrol/totp"),
    ("POST", "/login/enrol/passkey/options"),
    ("POST", "/login/enrol/passkey"),
    ("POST", "/login/enrol/done"),
}
FRAMEWORK = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/static"}


def test_every_route_has_a_permission_check(app: FastAPI) -> None:
    unguarded = []
    used: set[Action] = set()
    for route in all_routes(app.routes):
        if isinstance(route, APIRoute):
            action = route_permission(route)
            if action is None:
                unguarded += [
                    (m, route.path) for m in sorted(route.methods) if (m, route.path) not in PUBLIC
                ]
            else:
                used.add(action)
        elif isinstance(route, Route | Mount):
            assert route.path in FRAMEWORK, f"unexpected non-API route {route.path}"
    assert unguarded == [], f"routes without Allow(...): {unguarded}"
    assert used == set(PERMISSIONS), f"actions no route uses: {set(PERMISSIONS) - used}"


# What each role may do, stated here on its own so that a change to the table is deliberate.
MAY = {
    Action.READ_REGISTER: {"member", "secretariat", "chair", "observer", "admin"},
    Action.CREATE_ITEM: {"secretariat"},
    Action.EDIT_ITEM: {"secretariat"},
    Action.READ_GROUP: {"member", "secretariat", "chair", "observer", "admin"},
    Action.READ_OWN_ACCOUNT: {"member", "secretariat", "chair", "observer", "admin"},
    Action.MANAGE_OWN_TOKENS: {"member", "secretariat", "chair", "observer", "admin"},
    Action.PROPOSE: {"member"},
    Action.REBASE: {"member", "secretariat"},
    Action.SPONSOR: {"member"},
    Action.TAKE_POSITION: {"member"},
    Action.COMMENT: {"member", "secretariat", "chair", "observer"},
    Action.DECIDE: {"secretariat", "chair"},
    Action.ANSWER: {"secretariat"},
    Action.MARK_ITEM: {"secretariat", "chair"},
    Action.MANAGE_ROUNDS: {"secretariat"},
    Action.BREAK_SILENCE: {"member"},
    Action.READ_NOTIFICATIONS: {"member", "secretariat", "chair", "observer", "admin"},
    Action.APPROVE: {"chair"},
    Action.READ_AUDIT: {"secretariat", "chair", "admin"},
    Action.IMPORT_WORD: {"secretariat", "member"},
    Action.MANAGE_GROUP: {"admin", "secretariat"},
    Action.MANAGE_PEOPLE: {"admin", "secretariat"},
    Action.READ_OUTBOX: {"admin"},
    Action.SEARCH: {"member", "secretariat", "chair", "observer", "admin"},
    Action.READ_MEETINGS: {"member", "secretariat", "chair", "observer", "admin"},
    Action.MANAGE_MEETINGS: {"secretariat"},
    Action.RUN_MEETING: {"secretariat", "chair"},
    Action.TAKE_PART: {"member"},
    Action.READ_RATING: {"member", "secretariat", "chair", "observer"},
    Action.ANSWER_RATING: {"member", "chair", "observer"},
    Action.MANAGE_RATING: {"secretariat"},
    Action.READ_CASES: {"member", "secretariat", "chair", "observer"},
    Action.WRITE_CASES: {"member", "secretariat", "chair", "observer"},
    Action.MANAGE_CASES: {"secretariat"},
}

# The hash of DWG-FC/ZD as settled by _settle_for_approval, which fills it in.
APPROVAL: dict[str, object] = {"content_hash": "", "reference": "DWG-FC 3rd meeting, decision 4"}

REQUESTS: dict[Action, tuple[str, str, dict[str, object] | None, dict[str, str]]] = {
    Action.READ_REGISTER: ("GET", "/api/v1/indicators", None, {}),
    Action.CREATE_ITEM: (
        "POST",
        "/api/v1/indicators",
        {"dimension": "CD", "text": "Debt bondage imposed on arrival", "reason": "r"},
        {},
    ),
    Action.EDIT_ITEM: (
        "PATCH",
        "/api/v1/indicators/FC-CD-01",
        {"text": "Passport taken", "reason": "r"},
        {"If-Match": "1"},
    ),
    Action.READ_GROUP: ("GET", "/api/v1/delegations", None, {}),
    Action.READ_OWN_ACCOUNT: ("GET", "/api/v1/me", None, {}),
    Action.MANAGE_OWN_TOKENS: ("GET", "/api/v1/me/tokens", None, {}),
    Action.PROPOSE: ("POST", "/api/v1/proposals", {"kind": "delete", "targets": ["FC-DR-01"]}, {}),
    # P-2 is an outdated proposal of PH-SOMTC (PREPARE below).
    Action.REBASE: ("POST", "/api/v1/proposals/2/rebase", {}, {"If-Match": '"P-2.v2"'}),
    # P-1 is a submitted proposal of TH-SOMTC, made in the fixture below.
    Action.SPONSOR: ("POST", "/api/v1/proposals/1/sponsors", {}, {}),
    Action.TAKE_POSITION: (
        "POST",
        "/api/v1/positions",
        {"item": "FC-CD-01", "stance": "support"},
        {},
    ),
    Action.COMMENT: ("POST", "/api/v1/comments", {"item": "FC-CD-01", "body": "Noted"}, {}),
    Action.DECIDE: (
        "POST",
        "/api/v1/proposals/1/decision",
        {"outcome": "under_consideration"},
        {"If-Match": '"P-1.v2"'},
    ),
    Action.ANSWER: ("POST", "/api/v1/proposals/1/answer", {"answer": "Thank you"}, {}),
    Action.MARK_ITEM: ("POST", "/api/v1/items/FC-CD-02/state", {"state": "bracketed"}, {}),
    Action.MANAGE_ROUNDS: ("POST", "/api/v1/rounds", {"symbol": "R-9", "title": "Rev.9"}, {}),
    # DWG-FC/ZD is placed under silence first (PREPARE below).
    Action.BREAK_SILENCE: (
        "POST",
        "/api/v1/rounds/DWG-FC/ZD/break-silence",
        {"statement": "We need more time to consult our capital"},
        {},
    ),
    Action.READ_NOTIFICATIONS: ("GET", "/api/v1/notifications", None, {}),
    # DWG-FC/ZD is settled with the world's chair as its one co-chair first (PREPARE below).
    Action.APPROVE: ("POST", "/api/v1/rounds/DWG-FC/ZD/approvals", APPROVAL, {}),
    Action.READ_AUDIT: ("GET", "/api/v1/audit", None, {}),
    # Uploading takes a file (tests/test_imports_api.py); the list is guarded the same way.
    Action.IMPORT_WORD: ("GET", "/api/v1/imports", None, {}),
    Action.MANAGE_GROUP: (
        "POST",
        "/api/v1/bodies",
        {"code": "SLOM", "name": "Senior Labour Officials Meeting"},
        {},
    ),
    Action.MANAGE_PEOPLE: ("GET", "/api/v1/people?state=pending", None, {}),
    Action.READ_OUTBOX: ("GET", "/api/v1/outbox?state=failed", None, {}),
    Action.SEARCH: ("GET", "/api/v1/search?q=passport", None, {}),
    Action.READ_MEETINGS: ("GET", "/api/v1/meetings", None, {}),
    Action.MANAGE_MEETINGS: (
        "POST",
        "/api/v1/meetings",
        {"title": "Fourth meeting", "starts_at": "2026-04-01T10:00"},
        {},
    ),
    # A meeting made by _a_meeting (the first one of the test's database).
    Action.RUN_MEETING: ("PUT", "/api/v1/meetings/1/current", {"ref": None}, {}),
    Action.TAKE_PART: ("POST", "/api/v1/meetings/1/floor", {}, {}),
    Action.READ_RATING: ("GET", "/api/v1/rating-rounds", None, {}),
    # A rating round made by _a_rating_round (the first one of the test's database).
    Action.ANSWER_RATING: (
        "POST",
        "/api/v1/rating-rounds/1/answers",
        {"answers": [{"ref": "FC-CD-01", "relevance": 8, "clarity": 7}]},
        {},
    ),
    Action.MANAGE_RATING: (
        "POST",
        "/api/v1/rating-rounds",
        {"title": "Strength of the indicators", "round": "DWG-FC/ZD"},
        {},
    ),
    Action.READ_CASES: ("GET", "/api/v1/cases", None, {}),
    # A case study whose contributors are the world's member, chair and observer (_a_case).
    Action.WRITE_CASES: (
        "POST",
        "/api/v1/cases/1/facts",
        {"text": "Her passport was taken", "phase": "exploitation", "source": "ngo_report"},
        {},
    ),
    Action.MANAGE_CASES: (
        "POST",
        "/api/v1/cases",
        {
            "title": "A case",
            "profile": "adult",
            "crime_form": "other",
            "outcome": "insufficient_information",
        },
        {},
    ),
}


def test_the_matrix_covers_every_action() -> None:
    assert set(MAY) == set(PERMISSIONS) == set(REQUESTS)
    for action, roles in MAY.items():
        assert {r.value for r in PERMISSIONS[action]} == roles, action


def _open_round_with_a_proposal(database: Database, clock: Clock) -> None:
    from app.accounts.service import get_user_by_email, principal_for_token
    from app.audit.service import Actor
    from app.models import ProposalKind, RoundKind
    from app.proposals import service as proposals
    from app.rounds import service as rounds

    with database.transaction() as s:
        rounds.create_round(
            s,
            Actor.system(),
            symbol="DWG-FC/ZD",
            title="Zero Draft",
            kind=RoundKind.WRITTEN,
            time_zone="Asia/Jakarta",
            deadline=None,
            opens_at=None,
            instructions="",
            observers_may_comment=True,
            now=clock.now,
        )
        rounds.open_round(s, Actor.system(), "DWG-FC/ZD", now=clock.now)
        assert get_user_by_email(s, World.member3)
    token = token_for(database, World.member3, clock.now)
    with database.transaction() as s:
        principal = principal_for_token(s, token, now=clock.now)
        assert principal is not None
        proposal = proposals.create(
            s,
            principal,
            kind=ProposalKind.AMEND,
            targets=["FC-CD-01"],
            base_revisions=None,
            content={"text": "Passport taken"},
            rationale="",
            delegation_code=None,
            submit=True,
            now=clock.now,
        )
        assert (proposal.id, proposal.version) == (1, 2)


def _place_under_silence(database: Database, clock: Clock) -> None:
    from datetime import timedelta

    from app.audit.service import Actor
    from app.rounds import service as rounds

    actor = Actor.system()
    with database.transaction() as s:
        for move in (rounds.close_round, rounds.consult_round):
            move(s, actor, "DWG-FC/ZD", now=clock.now)
        # Settling names each unmarked item carried over (app/rounds/service.py).
        left = rounds.outstanding(s, rounds.get_round(s, "DWG-FC/ZD"))
        rounds.settle_round(
            s, actor, "DWG-FC/ZD", now=clock.now, carry_over=rounds.CarryOver.everything(left)
        )
        rounds.place_under_silence(
            s, actor, "DWG-FC/ZD", until=clock.now + timedelta(hours=72), now=clock.now
        )


def _settle_for_approval(database: Database, clock: Clock) -> None:
    from app.approvals import service as approvals
    from app.audit.service import Actor
    from app.rounds import service as rounds

    actor = Actor.system()
    with database.transaction() as s:
        for move in (rounds.close_round, rounds.consult_round):
            move(s, actor, "DWG-FC/ZD", now=clock.now)
        # Settling names each unmarked item carried over (app/rounds/service.py).
        left = rounds.outstanding(s, rounds.get_round(s, "DWG-FC/ZD"))
        rounds.settle_round(
            s, actor, "DWG-FC/ZD", now=clock.now, carry_over=rounds.CarryOver.everything(left)
        )
        approvals.set_co_chairs(s, actor, "DWG-FC/ZD", emails=[World.chair], now=clock.now)
        APPROVAL["content_hash"] = rounds.get_round(s, "DWG-FC/ZD").content_hash


def _outdated_proposal_of_the_member(database: Database, clock: Clock) -> None:
    from app.accounts.service import principal_for_token
    from app.audit.service import Actor
    from app.models import ProposalKind
    from app.proposals import service as proposals
    from app.register import service as register

    token = token_for(database, World.member, clock.now)
    with database.transaction() as s:
        principal = principal_for_token(s, token, now=clock.now)
        assert principal is not None
        proposal = proposals.create(
            s,
            principal,
            kind=ProposalKind.AMEND,
            targets=["FC-CD-01"],
            base_revisions=None,
            content={"guidance": "Ask whether the passport was returned"},
            rationale="",
            delegation_code="PH-SOMTC",
            submit=True,
            now=clock.now,
        )
        assert (proposal.id, proposal.version) == (2, 2)
        register.revise_item(
            s,
            Actor.system(),
            code="FC-CD-01",
            expected_revision=1,
            changes={"text": "Passport or personal phone confiscated"},
            reason="Editorial",
            now=clock.now,
        )


def _a_meeting(database: Database, clock: Clock) -> None:
    from app.audit.service import Actor
    from app.meetings import service as meetings

    with database.transaction() as s:
        meetings.create(
            s,
            Actor.system("test"),
            meetings.Details(
                title="Third meeting",
                starts_at="2026-03-10T14:00",
                participants=["PH-SOMTC", "PH-ACWC"],
            ),
            now=clock.now,
        )


def _a_case(database: Database, clock: Clock) -> None:
    from app.accounts.service import get_user_by_email
    from app.audit.service import Actor
    from app.cases import service as cases
    from app.principal import Principal

    with database.transaction() as s:
        sec = get_user_by_email(s, World.secretariat)
        officer = Principal(user_id=sec.id, email=sec.email, name=sec.name, role=Role.SECRETARIAT)
        case = cases.create(
            s,
            officer,
            Actor(sec.id),
            cases.Details(
                title="A case",
                profile="adult",
                crime_form="online_scam",
                outcome="insufficient_information",
                contributors=[World.member, World.chair, World.observer],
            ),
            now=clock.now,
        )
        assert case.id == 1


def _a_rating_round(database: Database, clock: Clock) -> None:
    from datetime import timedelta

    from app.audit.service import Actor
    from app.rating import service as rating

    with database.transaction() as s:
        made = rating.create(
            s,
            Actor.system("test"),
            rating.Setup(
                title="Strength of the indicators",
                round="DWG-FC/ZD",
                panellists=[World.member, World.chair, World.observer],
                deadline=clock.now + timedelta(days=7),
            ),
            now=clock.now,
        )
        rating.open_(s, Actor.system("test"), made.id, expected_version=None, now=clock.now)


# What an action needs beyond the open round with a proposal, prepared before the request.
PREPARE: dict[Action, Callable[[Database, Clock], None]] = {
    Action.REBASE: _outdated_proposal_of_the_member,
    Action.BREAK_SILENCE: _place_under_silence,
    Action.APPROVE: _settle_for_approval,
    Action.RUN_MEETING: _a_meeting,
    Action.TAKE_PART: _a_meeting,
    Action.ANSWER_RATING: _a_rating_round,
    Action.WRITE_CASES: _a_case,
}


EMAILS = {
    "member": World.member,
    "secretariat": World.secretariat,
    "chair": World.chair,
    "observer": World.observer,
    "admin": World.admin,
}


def _round_with_a_proposal(database: Database, now: datetime) -> None:
    _open_round_with_a_proposal(database, Clock(now))


# Every case starts from the world with the open round and its proposal, made once per test
# process and copied (tests/conftest.py, start_from), not made again for each of the cases.
@pytest.mark.start_from.with_args(_round_with_a_proposal)
@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", [r.value for r in Role])
def test_role_may_or_may_not(
    action: Action, role: str, client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    if action in PREPARE:
        PREPARE[action](database, clock)
    headers = bearer(token_for(database, EMAILS[role], clock.now))
    method, path, body, extra = REQUESTS[action]
    response = client.request(method, path, json=body, headers=headers | extra)
    if role in MAY[action]:
        assert response.status_code < 400, response.text
    else:
        assert response.status_code == 403, response.text
        # Said in plain words, naming who can (not "your role (member) may not proposal: decide").
        assert response.json()["detail"] == refusal(action)
