"""The register through the JSON API, as a script with a personal API token uses it."""

import pytest
from fastapi.testclient import TestClient

from app.db import Database
from tests.factories import World


def test_list_is_in_reading_order_with_display_numbers(
    client: TestClient, member: dict[str, str]
) -> None:
    body = client.get("/api/v1/indicators", headers=member).json()
    assert body["count"] == 3
    assert [(i["number"], i["code"]) for i in body["items"]] == [
        (1, "FC-DR-01"),
        (2, "FC-CD-01"),
        (3, "FC-CD-02"),
    ]


def test_list_filters_by_dimension_status_and_text(
    client: TestClient, member: dict[str, str]
) -> None:
    by_dim = client.get("/api/v1/indicators?dimension=cd", headers=member).json()
    assert [i["code"] for i in by_dim["items"]] == ["FC-CD-01", "FC-CD-02"]
    by_text = client.get("/api/v1/indicators?q=PASSPORT", headers=member).json()
    assert [i["code"] for i in by_text["items"]] == ["FC-CD-01"]
    assert by_text["items"][0]["number"] == 2  # numbering is the draft's, not the filter's
    withdrawn = client.get("/api/v1/indicators?status=withdrawn", headers=member).json()
    assert withdrawn["count"] == 0
    bad = client.get("/api/v1/indicators?status=deleted", headers=member)
    assert bad.status_code == 422
    assert bad.json()["field"] == "status"


def test_get_returns_etag_and_revision(client: TestClient, member: dict[str, str]) -> None:
    response = client.get("/api/v1/indicators/fc-cd-01", headers=member)
    assert response.status_code == 200
    assert response.headers["etag"] == '"FC-CD-01.r1"'
    body = response.json()
    assert body["revision"] == 1
    assert body["strength_adult"] == "strong"
    assert body["crime_types"] == ["online_fraud"]
    assert body["last_change"]["reason"] == "Zero Draft text"
    again = client.get(
        "/api/v1/indicators/FC-CD-01", headers=member | {"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304


def test_unknown_indicator_is_404_json(client: TestClient, member: dict[str, str]) -> None:
    response = client.get("/api/v1/indicators/FC-XX-99", headers=member)
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "no indicator with code 'FC-XX-99'"}


def test_update_writes_a_revision_attributed_to_the_delegation(
    client: TestClient, sec: dict[str, str], member: dict[str, str]
) -> None:
    response = client.patch(
        "/api/v1/indicators/FC-CD-01",
        headers=sec | {"If-Match": '"FC-CD-01.r1"'},
        json={
            "text": "Passport, identity card or personal phone confiscated by the operators",
            "strength_child": "medium",
            "reason": "Editorial: cover identity cards",
        },
    )
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"FC-CD-01.r2"'
    body = response.json()
    assert body["revision"] == 2
    assert body["strength_child"] == "medium"
    assert body["strength_adult"] == "strong"  # fields not given are kept
    history = client.get("/api/v1/indicators/FC-CD-01/history", headers=member).json()
    assert [r["number"] for r in history["revisions"]] == [1, 2]
    assert history["revisions"][1]["author"] == "Siti Secretariat"
    assert history["revisions"][1]["reason"] == "Editorial: cover identity cards"


def test_update_without_if_match_is_428(client: TestClient, sec: dict[str, str]) -> None:
    response = client.patch(
        "/api/v1/indicators/FC-CD-01", headers=sec, json={"text": "x y z", "reason": "r"}
    )
    assert response.status_code == 428
    assert "If-Match" in response.json()["detail"]


def test_update_with_stale_if_match_is_412_naming_current_revision(
    client: TestClient, sec: dict[str, str]
) -> None:
    first = client.patch(
        "/api/v1/indicators/FC-CD-01",
        headers=sec | {"If-Match": '"FC-CD-01.r1"'},
        json={"text": "First edit", "reason": "one"},
    )
    assert first.status_code == 200
    stale = client.patch(
        "/api/v1/indicators/FC-CD-01",
        headers=sec | {"If-Match": '"FC-CD-01.r1"'},
        json={"text": "Second edit", "reason": "two"},
    )
    assert stale.status_code == 412
    assert stale.json()["current_revision"] == 2
    assert "revision 2" in stale.json()["detail"]
    garbage = client.patch(
        "/api/v1/indicators/FC-CD-01",
        headers=sec | {"If-Match": "nonsense"},
        json={"text": "Third edit", "reason": "three"},
    )
    assert garbage.status_code == 412


def test_update_refuses_fields_the_client_does_not_own(
    client: TestClient, sec: dict[str, str]
) -> None:
    for field, value in (("author", "someone"), ("revision", 9), ("code", "FC-CD-99")):
        response = client.patch(
            "/api/v1/indicators/FC-CD-01",
            headers=sec | {"If-Match": "1"},
            json={"text": "x", "reason": "r", field: value},
        )
        assert response.status_code == 422
        assert response.json()["field"] == field


def test_update_with_nothing_changed_is_422(client: TestClient, sec: dict[str, str]) -> None:
    response = client.patch(
        "/api/v1/indicators/FC-CD-01",
        headers=sec | {"If-Match": "1"},
        json={"reason": "no change"},
    )
    assert response.status_code == 422
    assert "nothing changed" in response.json()["detail"]


def test_withdrawal_is_a_revision_and_unnumbers_the_indicator(
    client: TestClient, sec: dict[str, str]
) -> None:
    response = client.patch(
        "/api/v1/indicators/FC-DR-01",
        headers=sec | {"If-Match": "1"},
        json={"status": "withdrawn", "reason": "Merged into FC-CD-02"},
    )
    assert response.status_code == 200
    assert response.json()["number"] is None
    rows = client.get("/api/v1/indicators", headers=sec).json()["items"]
    assert [(r["code"], r["number"]) for r in rows] == [
        ("FC-DR-01", None),
        ("FC-CD-01", 1),
        ("FC-CD-02", 2),
    ]
    old = client.get("/api/v1/indicators/FC-DR-01/revisions/1", headers=sec).json()
    assert old["status"] == "active"
    reinstated = client.patch(
        "/api/v1/indicators/FC-DR-01",
        headers=sec | {"If-Match": "2"},
        json={"status": "active", "reason": "Merger not agreed"},
    )
    assert reinstated.json()["number"] == 1


def test_withdrawal_and_reinstatement_are_audited_as_such(
    client: TestClient, sec: dict[str, str], database: Database
) -> None:
    from sqlalchemy import select

    from app.models import AuditEvent

    for n, status in ((1, "withdrawn"), (2, "active")):
        client.patch(
            "/api/v1/indicators/FC-DR-01",
            headers=sec | {"If-Match": str(n)},
            json={"status": status, "reason": "r"},
        )
    with database.transaction(write=False) as s:
        actions = s.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_id == "FC-DR-01")
            .order_by(AuditEvent.id)
        ).all()
    assert actions == ["indicator.create", "indicator.withdraw", "indicator.reinstate"]


def test_diff_is_word_level_per_field(client: TestClient, sec: dict[str, str]) -> None:
    client.patch(
        "/api/v1/indicators/FC-CD-01",
        headers=sec | {"If-Match": "1"},
        json={
            "text": "Passport or personal phone confiscated by the operators",
            "crime_types": ["online_fraud", "theft"],
            "reason": "wording",
        },
    )
    diff = client.get("/api/v1/indicators/FC-CD-01/diff?from=1&to=2", headers=sec).json()
    fields = {f["field"]: f for f in diff["fields"]}
    assert fields["text"]["ops"] == [
        {"op": "equal", "text": "Passport or personal phone "},
        {"op": "delete", "text": "taken"},
        {"op": "insert", "text": "confiscated"},
        {"op": "equal", "text": " by the operators"},
    ]
    assert fields["crime_types"]["changed"] is True
    assert fields["guidance"]["changed"] is False
    missing = client.get("/api/v1/indicators/FC-CD-01/diff?from=1&to=7", headers=sec)
    assert missing.status_code == 404


def test_create_assigns_the_next_code_in_the_dimension(
    client: TestClient, sec: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/indicators",
        headers=sec,
        json={
            "dimension": "CD",
            "text": "Threatened with being reported to immigration",
            "strength_adult": "medium",
            "profiles": ["adult"],
            "reason": "Proposed at the first online meeting",
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["code"] == "FC-CD-03"
    assert response.headers["location"] == "/api/v1/indicators/FC-CD-03"
    duplicate = client.post(
        "/api/v1/indicators",
        headers=sec,
        json={"dimension": "CD", "code": "FC-CD-03", "text": "x", "reason": "r"},
    )
    assert duplicate.status_code == 422
    assert duplicate.json()["field"] == "code"
    unknown_dim = client.post(
        "/api/v1/indicators", headers=sec, json={"dimension": "ZZ", "text": "x", "reason": "r"}
    )
    assert unknown_dim.status_code == 404
    assert unknown_dim.json()["field"] == "dimension"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"text": "", "reason": "r", "dimension": "CD"}, "text"),
        ({"text": "x", "dimension": "CD"}, "reason"),
        (
            {"text": "x", "reason": "r", "dimension": "CD", "strength_adult": "huge"},
            "strength_adult",
        ),
        ({"text": "x", "reason": "r", "dimension": "CD", "profiles": ["elderly"]}, "profiles.0"),
        ({"text": "x" * 5001, "reason": "r", "dimension": "CD"}, "text"),
    ],
)
def test_bad_input_gets_422_naming_the_field(
    client: TestClient, sec: dict[str, str], payload: dict[str, object], field: str
) -> None:
    response = client.post("/api/v1/indicators", headers=sec, json=payload)
    assert response.status_code == 422
    assert response.json()["field"] == field


def test_malformed_json_is_422_not_500(client: TestClient, sec: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/indicators",
        headers=sec | {"Content-Type": "application/json"},
        content=b"{not json",
    )
    assert response.status_code == 422


def test_members_cannot_edit_through_the_api(client: TestClient, member: dict[str, str]) -> None:
    response = client.patch(
        "/api/v1/indicators/FC-CD-01",
        headers=member | {"If-Match": "1"},
        json={"text": "x", "reason": "r"},
    )
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"


def test_sections_have_the_same_history_and_diff(client: TestClient, sec: dict[str, str]) -> None:
    section = client.get("/api/v1/sections/SEC-PURPOSE", headers=sec)
    assert section.json()["title"] == "Purpose"
    revised = client.patch(
        "/api/v1/sections/SEC-PURPOSE",
        headers=sec | {"If-Match": section.headers["etag"]},
        json={"text": "These indicators help identify presumed victims early.", "reason": "r"},
    )
    assert revised.status_code == 200
    diff = client.get("/api/v1/sections/SEC-PURPOSE/diff?from=1&to=2", headers=sec).json()
    text = next(f for f in diff["fields"] if f["field"] == "text")
    assert {"op": "insert", "text": " early"} in text["ops"]
    assert client.get("/api/v1/sections/FC-CD-01", headers=sec).status_code == 404


def test_every_change_writes_an_audit_event(
    client: TestClient, sec: dict[str, str], database: Database
) -> None:
    from sqlalchemy import select

    from app.models import AuditEvent

    client.patch(
        "/api/v1/indicators/FC-CD-01",
        headers=sec | {"If-Match": "1", "X-Request-ID": "req-42"},
        json={"text": "Changed text", "reason": "r", "delegation": None},
    )
    with database.transaction(write=False) as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "indicator.revise")).one()
        assert (event.object_id, event.revision_before, event.revision_after) == ("FC-CD-01", 1, 2)
        assert event.request_id == "req-42"
        assert event.details["fields"] == ["text"]


def test_health_and_openapi_are_public(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    spec = client.get("/openapi.json").json()
    patch = spec["paths"]["/api/v1/indicators/{code}"]["patch"]
    assert {"412", "428", "422", "403", "404"} <= set(patch["responses"])
    assert patch["description"] or patch["summary"]


def test_api_without_credentials_is_401_json(client: TestClient, world: World) -> None:
    response = client.get("/api/v1/indicators")
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"
    wrong = client.get("/api/v1/indicators", headers={"Authorization": "Bearer zd_nope"})
    assert wrong.status_code == 401
    basic = client.get("/api/v1/indicators", headers={"Authorization": "Basic abc"})
    assert basic.status_code == 401
