"""POST /proposals/new that names no item (or an unknown kind) is refused naming the field,
the page shown again with what was typed, never a 500 (found by an attacker's test of a
running server: the amendment page read the base revision of no item)."""

import pytest
from fastapi.testclient import TestClient

from tests.factories import World
from tests.helpers import log_in, post, summary
from tests.test_proposal_pages import NEW, open_new
from tests.test_register_pages import form_fields


def token(client: TestClient) -> str:
    csrf = open_new(client, "kind=amend&item=FC-CD-01")["csrf_token"]
    assert isinstance(csrf, str)
    return csrf


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "amend", "item_kind": "indicator", "item": "", "text": "x", "action": "draft"},
        {"kind": "delete", "item_kind": "indicator", "item": "", "action": "submit"},
        {"kind": "", "item": "", "text": "x", "action": "draft"},
        {"kind": "amend", "item": " ", "text": "x", "action": "preview"},
        {},
    ],
)
def test_a_proposal_naming_no_item_comes_back_asking_for_it(
    client: TestClient, world: World, fields: dict[str, str]
) -> None:
    log_in(client, world.member)
    response = post(client, NEW, {"csrf_token": token(client), **fields})
    assert response.status_code == 422, response.text
    assert ("item", "Say which item you propose to change, for example FC-CD-01") in summary(
        response.text
    )
    assert 'id="item-error"' in response.text
    again = form_fields(response.text, NEW)
    assert again["kind"] == (fields.get("kind") or "amend")
    if "text" in fields and fields.get("kind") != "delete":
        assert again["text"] == "x"
    # Naming the item there is not a 500 either: the text was not written against a revision.
    again |= {"item": "FC-CD-01", "action": "draft"}
    assert post(client, NEW, again).status_code == 422


def test_an_unknown_kind_is_refused_naming_it(client: TestClient, world: World) -> None:
    log_in(client, world.member)
    fields = {"csrf_token": token(client), "kind": "rewrite", "item": "FC-CD-01", "text": "x"}
    response = post(client, NEW, fields | {"action": "draft"})
    assert response.status_code == 422, response.text
    assert "kind" in response.text and "rewrite" in response.text
    preview = client.post("/proposals/preview", data=fields)
    assert preview.status_code == 422
    assert "kind" in preview.text
