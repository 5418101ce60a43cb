"""The demo shows what search and the near-duplicate check do (issue 18): a comment in
Vietnamese found with or without its diacritics, one in Thai found by a word inside it, and a
proposed new indicator that nearly repeats FC-CD-02, through the API on both engines."""

from fastapi.testclient import TestClient

from app.db import Database
from app.demo.loader import load_demo
from tests.factories import bearer, token_for
from tests.helpers import Clock

PROPOSED = (
    "The person's passport, identity documents or mobile phone were confiscated or kept by "
    "the operators or recruiters."
)


def test_the_demo_has_texts_in_other_scripts_and_a_near_duplicate(
    client: TestClient, database: Database, clock: Clock
) -> None:
    with database.transaction() as session:
        load_demo(session, now=clock())
    headers = bearer(token_for(database, "member.ph@demo.zerodraft.org", clock()))

    def search(q: str) -> list[dict[str, str]]:
        response = client.get("/api/v1/search", params={"q": q}, headers=headers)
        assert response.status_code == 200, response.text
        results: list[dict[str, str]] = response.json()["results"]
        return results

    for q in ("hộ chiếu", "ho chieu", "nguoi lao dong"):
        found = search(q)
        assert [r["kind"] for r in found] == ["comment"], q
        assert "Việt Nam" in found[0]["snippet"], q
    found = search("ค่าไถ่")  # "ransom", inside a run of Thai without spaces
    assert [r["kind"] for r in found] == ["comment"]
    assert "<mark>ค่าไถ่</mark>" in found[0]["snippet"]
    assert found[0]["title"] == "Comment on FC-CD-01"

    proposed = search('"documents or mobile phone"')
    assert [r["kind"] for r in proposed] == ["proposal"]
    response = client.get(
        "/api/v1/indicators/similar",
        params={"text": PROPOSED},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    close = {r["code"]: r for r in response.json()["results"]}
    # The proposal itself, and the indicator it nearly repeats, and no other indicator.
    assert set(close) == {"FC-CD-02", proposed[0]["ref"]}, close
    assert close["FC-CD-02"]["closeness"] == "very close", close
