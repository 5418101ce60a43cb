"""Schemathesis against the app's own OpenAPI, in-process over ASGI, as a member, the
secretariat and a chair (each with a personal API token).

Every operation of the JSON API gets valid and invalid requests generated from its own schema,
against a seeded database (the small world, a round issued, proposals, comments, a reply and
notifications), so that paths with codes and ids hit real objects as well as missing ones.
Every response must be no server error, have a documented status, match its documented schema,
content type and headers, and invalid input must be refused with a 4xx.

Bounded for CI: a few examples per operation, identity and mode, derandomized (the same run
every time), no shrinking; the figures are printed (run with -s to see them).
"""

import os
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from app.accounts.permissions import Action, allowed
from app.db import Database
from app.models import ApiToken, Notification, Role, Round
from app.web.deps import all_routes, route_permission
from tests.factories import World, bearer, token_for
from tests.helpers import ENGINE, Clock

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
NEGATIVE_CHECKS = [*CHECKS, negative_data_rejection]
# Examples per operation, identity and generation mode, for identities the operation allows;
# ZERODRAFT_FUZZ_SCALE=10 runs ten times as many, for a deeper run by hand.
SCALE = int(os.environ.get("ZERODRAFT_FUZZ_SCALE", "1"))
POSITIVE_EXAMPLES = 15 * SCALE
NEGATIVE_EXAMPLES = 8 * SCALE


@dataclass
class Identity:
    name: str
    email: str
    role: Role | None
    token: str = ""
    token_id: int = 0


@dataclass
class Seed:
    """Values that name objects that exist, by parameter or field name."""

    identities: list[Identity]
    real: dict[str, list[Any]]
    spare_tokens: list[int]


@dataclass
class Tally:
    calls: int = 0
    unsatisfiable: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: dict[tuple[str, str], str] = field(default_factory=dict)

    def fail(self, operation: str, kind: str, message: str) -> None:
        self.failures.setdefault((operation, kind), message)


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture
def seed(client: TestClient, world: World, database: Database, clock: Clock) -> Seed:
    identities = [
        Identity("member", world.member, Role.MEMBER),
        Identity("secretariat", world.secretariat, Role.SECRETARIAT),
        Identity("chair", world.chair, Role.CHAIR),
    ]
    for who in identities:
        who.token = token_for(database, who.email, clock.now)
    member, sec, chair = (bearer(who.token) for who in identities)
    api = "/api/v1"

    _ok(
        client.post(f"{api}/rounds", json={"symbol": "ZD", "title": "Zero Draft"}, headers=sec), 201
    )
    _ok(client.post(f"{api}/rounds/ZD/issue", headers=sec))
    submitted = _ok(
        client.post(
            f"{api}/proposals",
            json={
                "kind": "amend",
                "targets": ["FC-CD-01"],
                "content": {"text": "Passport or phone confiscated by the operators"},
                "rationale": "Clearer",
                "delegation": "PH-SOMTC",
                "submit": True,
            },
            headers=member,
        ),
        201,
    )
    draft = _ok(
        client.post(
            f"{api}/proposals",
            json={
                "kind": "amend",
                "targets": ["FC-DR-01"],
                "content": {"text": "Offered a lawful job abroad, then forced to defraud"},
                "delegation": "PH-ACWC",
            },
            headers=member,
        ),
        201,
    )
    on_item = _ok(
        client.post(
            f"{api}/comments",
            json={"item": "FC-CD-01", "quote": "personal phone", "body": "SIM cards too?"},
            headers=member,
        ),
        201,
    )
    on_proposal = _ok(
        client.post(
            f"{api}/comments",
            json={"proposal_id": submitted["id"], "body": "Support in principle"},
            headers=chair,
        ),
        201,
    )
    reply = _ok(
        client.post(
            f"{api}/comments",
            json={"parent_id": on_item["id"], "body": "Yes, and e-wallets"},
            headers=sec,
        ),
        201,
    )
    _ok(
        client.post(
            f"{api}/positions",
            json={"proposal_id": submitted["id"], "stance": "support", "delegation": "PH-SOMTC"},
            headers=member,
        ),
        201,
    )
    _ok(client.post(f"{api}/rounds", json={"symbol": "Rev.1", "title": "Rev.1"}, headers=sec), 201)
    case = _ok(
        client.post(
            f"{api}/cases",
            json={
                "title": "Fake job offer, guarded compound",
                "profile": "adult",
                "crime_form": "online_scam",
                "outcome": "trafficked_forced_criminality",
                "contributors": [world.member],
            },
            headers=sec,
        ),
        201,
    )
    case_fact = _ok(
        client.post(
            f"{api}/cases/{case['id']}/facts",
            json={
                "text": "Her passport was taken on arrival",
                "phase": "exploitation",
                "source": "victim_interview",
            },
            headers=member,
        ),
        201,
    )["facts"][0]

    rating = _ok(
        client.post(
            f"{api}/rating-rounds",
            json={
                "title": "Strength of the indicators",
                "round": "ZD",
                "panellists": [world.member, world.chair],
                "deadline": (clock.now + timedelta(days=7)).isoformat(),
            },
            headers=sec,
        ),
        201,
    )
    _ok(client.post(f"{api}/rating-rounds/{rating['id']}/open", headers=sec))

    with database.transaction() as s:
        notifications = [str(n) for n in s.scalars(select(Notification.id))]
        rounds = [str(r) for r in s.scalars(select(Round.id))]
    spare = [token_for(database, who.email, clock.now) for who in identities]
    with database.transaction() as s:
        by_prefix = {t.prefix: t.id for t in s.scalars(select(ApiToken))}
    for who in identities:
        who.token_id = next(i for p, i in by_prefix.items() if who.token.startswith(p))
    spare_ids = [next(i for p, i in by_prefix.items() if raw.startswith(p)) for raw in spare]
    proposals = [submitted["id"], draft["id"]]
    comments = [on_item["id"], on_proposal["id"], reply["id"]]
    return Seed(
        identities=identities,
        real={
            # path parameters
            "code": ["FC-CD-01", "FC-DR-01", "SEC-PURPOSE", "fc-cd-02"],
            "proposal_id": proposals,
            "comment_id": comments,
            "ref": ["ZD", "Rev.1", *rounds],
            "notification_id": notifications,
            "token_id": spare_ids,
            "number": [1, 2],
            "rr_id": [rating["id"]],
            "case_id": [case["id"]],
            "fact_id": [case_fact["id"]],
            "finding_id": [1],
            "rule_id": [1],
            # query parameters and body fields
            "item": ["FC-CD-01", "FC-DR-01", "SEC-PURPOSE"],
            "targets": [["FC-CD-01"], ["FC-CD-01", "FC-CD-02"], ["SEC-PURPOSE"]],
            "parent_id": comments,
            "merged_into": proposals,
            "delegation": ["PH-SOMTC", "PH-ACWC", "ID-AICHR", "TH-SOMTC"],
            "dimension": ["CD", "DR"],
            "round": ["ZD", "Rev.1"],
            "base": ["ZD"],
            "from": ["ZD", 1],
            "to": ["Rev.1", 2],
            "field": ["text"],
            "quote": ["personal phone", "guarded compound"],
            "content": [{"text": "Confined to a guarded compound with armed guards"}],
            "emails": [[world.chair], []],
            "indicator": ["FC-CD-01", "FC-DR-01"],
            "phase": ["exploitation", "exit"],
            "source": ["ngo_report"],
            "profile": ["adult", "child"],
            "crime_form": ["online_scam", "drug_courier"],
            "evidence": ["passport was taken"],
        },
        spare_tokens=spare_ids,
    )


def _use_real(case: Any, seed: Seed, data: st.DataObject) -> None:
    """Half the time, a parameter or body field that names an object names one that exists,
    and a conditional request names the version that exists."""
    path = case.operation.path
    for values in (case.path_parameters, case.query, case.body, case.headers):
        if not isinstance(values, dict):
            continue
        for name in list(values):
            real = seed.real.get(name)
            if name == "code" and "/sections/" in path:
                real = ["SEC-PURPOSE"]
            elif name == "code" and "/indicators/" in path:
                real = ["FC-CD-01", "FC-DR-01"]
            if real and data.draw(st.booleans()):
                values[name] = data.draw(st.sampled_from(real))
    code = str(case.path_parameters.get("code", ""))
    headers = {p.name for p in case.operation.headers}
    if "if-none-match" in headers and data.draw(st.booleans()):
        case.headers = {**(case.headers or {}), "if-none-match": f'"{code.upper()}.r1"'}
    if "if-match" in headers and data.draw(st.booleans()):
        case.headers = {**(case.headers or {}), "if-match": data.draw(st.sampled_from(["1", "2"]))}


def _operations(app: FastAPI) -> list[Any]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    return [r.ok() for r in schema.get_all_operations() if r.ok().path.startswith("/api/")]


def _actions(app: FastAPI) -> dict[tuple[str, str], Action | None]:
    """The action guarding each operation, by (method, path as the OpenAPI writes it)."""
    return {
        (method, route.path_format): route_permission(route)
        for route in all_routes(app.routes)
        if isinstance(route, APIRoute)
        for method in route.methods
    }


# Parameter schemas that every value of their type satisfies: nothing invalid to generate.
_ANY_STRING = ({"type": "string"}, {"anyOf": [{"type": "string"}, {"type": "null"}]})


def _can_be_invalid(operation: Any) -> bool:
    """Whether an invalid request exists: a body, or a parameter with a type or a constraint
    (GET /sections/{code} takes any string, so negative generation would only give up)."""
    if len(operation.body):
        return True
    for parameter in operation.iter_parameters():
        schema = parameter.definition.get("schema", {})
        bare = {k: v for k, v in schema.items() if k not in ("title", "description")}
        if bare not in _ANY_STRING:
            return True
    return False


def _run(
    operation: Any,
    who: Identity,
    mode: GenerationMode,
    examples: int,
    seed: Seed,
    tally: Tally,
) -> None:
    checks = NEGATIVE_CHECKS if mode is GenerationMode.NEGATIVE else CHECKS
    headers = bearer(who.token) if who.token else {}

    @hypothesis.settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    def run(case: Any, data: st.DataObject) -> None:
        if mode is GenerationMode.POSITIVE:
            _use_real(case, seed, data)
        if str(case.path_parameters.get("token_id")) == str(who.token_id):
            # Revoking the token the run is using would turn every later call into a 401.
            case.path_parameters["token_id"] = str(seed.spare_tokens[0])
        tally.calls += 1
        try:
            response = case.call(headers=headers)
        except Exception as exc:  # the app raised through the transport: a 500 to a client
            tally.statuses[500] += 1
            tally.fail(operation.label, f"exception {type(exc).__name__}", f"{who.name}: {exc!r}")
            return
        tally.statuses[response.status_code] += 1
        problems = []
        try:
            case.validate_response(response, checks=checks, headers=headers)
        except FailureGroup as group:
            problems += [(type(f).__name__, str(f)) for f in group.exceptions]
        if not who.token and response.status_code != 401:
            problems.append(("AnonymousNotRefused", "expected 401 without credentials"))
        for kind, message in problems:
            request = case.as_curl_command(headers={"Authorization": "Bearer <token>"})
            tally.fail(
                operation.label,
                kind,
                f"{who.name}: {message}\n{request}\n-> {response.status_code} "
                f"{response.text[:300]}",
            )

    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        # Every invalid value schemathesis tried became valid once serialized (e.g. a header).
        assert mode is GenerationMode.NEGATIVE, operation.label
        tally.unsatisfiable += 1


def test_the_api_conforms_to_its_own_openapi(app: FastAPI, seed: Seed) -> None:
    # The event streams end after a tenth of a second (ZERODRAFT_LIVE_STREAM_SECONDS), so that
    # the in-process transport, which reads a whole body, gets each one's answer.
    app.state.settings = app.state.settings.model_copy(update={"live_stream_seconds": 0.1})
    started, cpu = time.monotonic(), time.process_time()
    tally = Tally()
    operations = _operations(app)
    actions = _actions(app)
    anonymous = Identity("anonymous", "", role=None)
    try:
        for operation in operations:
            action = actions[(operation.method.upper(), operation.path)]
            assert action is not None, f"{operation.label} has no permission check"
            for who in seed.identities:
                assert who.role is not None
                if allowed(who.role, action):
                    _run(operation, who, GenerationMode.POSITIVE, POSITIVE_EXAMPLES, seed, tally)
                    if _can_be_invalid(operation):
                        _run(
                            operation, who, GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES, seed, tally
                        )
                else:
                    # Refused before the request is even read: one call shows the 403 is right.
                    _run(operation, who, GenerationMode.POSITIVE, 1, seed, tally)
            _run(operation, anonymous, GenerationMode.POSITIVE, 1, seed, tally)
    finally:
        asgi.shutdown_lifespans()
    elapsed, cpu = time.monotonic() - started, time.process_time() - cpu
    print(
        f"\nschemathesis on {ENGINE}: {len(operations)} operations, {tally.calls} calls, "
        f"{len(tally.failures)} distinct failures, {elapsed:.1f} s ({cpu:.1f} s CPU); "
        f"statuses {dict(sorted(tally.statuses.items()))}"
    )
    report = "\n\n".join(f"{op} [{kind}]\n{msg}" for (op, kind), msg in tally.failures.items())
    assert not tally.failures, report


def test_a_body_that_is_not_utf8_is_refused_with_422_naming_the_body(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    # Found by schemathesis: the framework answered an undocumented 400 to such a body.
    token = token_for(database, world.secretariat, clock.now)
    response = client.post(
        "/api/v1/sections",
        content=b'{"code": "SEC-\xff\xfe", "title": "t", "text": "t", "reason": "r"}',
        headers=bearer(token) | {"Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "body"
    assert "UTF-8" in response.json()["detail"]
