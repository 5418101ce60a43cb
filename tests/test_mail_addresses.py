"""Addresses mail is written to: a person is invited, and mail goes, only at an address a mail
server can take and a reader sees as it is; invisible characters (line and paragraph
separators, controls, zero-width and direction marks) are refused with a clear message."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.db import Database
from app.mail.outbox import valid_address
from app.models import OutboxMessage, User
from tests.factories import World, bearer, token_for
from tests.helpers import Clock

INVISIBLE = [
    "line\u2028sep@asean.test",  # line separator
    "para\u2029sep@asean.test",  # paragraph separator
    "next\x85line@asean.test",  # NEL
    "vertical\x0btab@asean.test",
    "form\x0cfeed@asean.test",
    "del\x7f@asean.test",
    "zero\u200bwidth@asean.test",  # looks like zerowidth@asean.test
    "\u202emoc.tseb@asean.test",  # right-to-left override: read backwards on a page
    "no\u00a0break@asean.test",  # a space that is not " "
]


@pytest.mark.parametrize("address", INVISIBLE)
def test_an_address_with_invisible_characters_is_not_an_address(address: str) -> None:
    assert not valid_address(address)


@pytest.mark.parametrize("address", ["maria.santos@dfa.gov.ph", "nguyễn@bộ.vn", "a+b@x.asean.org"])
def test_plain_and_international_addresses_still_are(address: str) -> None:
    assert valid_address(address)


@pytest.mark.parametrize("address", INVISIBLE[:3] + INVISIBLE[6:8])
def test_nobody_is_invited_at_such_an_address(
    client: TestClient, database: Database, world: World, clock: Clock, address: str
) -> None:
    token = token_for(database, world.secretariat, clock.now)
    response = client.post(
        "/api/v1/invitations",
        json={"email": address, "name": "Rina Wijaya", "role": "observer", "delegations": []},
        headers=bearer(token),
    )
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "email"
    assert "is not an e-mail address" in response.json()["detail"]
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).where(User.name == "Rina Wijaya")) == 0
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0
