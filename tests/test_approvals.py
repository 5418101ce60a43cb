"""The co-chairs approve one exact text, named by its content hash: both must approve the same
hash, a stale hash is refused with 412, and the approved text can never change again."""

import re
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text

from app.audit.service import Actor
from app.db import Database
from app.errors import InvalidTransition
from app.models import AuditEvent, Role, RoundKind
from app.register import service as register
from app.rounds import service as rounds
from app.rounds import snapshot
from tests.factories import World, arranged, bearer, make_indicator, make_user, token_for
from tests.helpers import Clock, log_in

SYSTEM = Actor.system("test")
ZD = "DWG-FC/ZD"
REV1 = "DWG-FC/Rev.1"
SOMTC_CHAIR = "chair.th@asean.test"
OTHER_CHAIR = "chair.ph@asean.test"


def add_somtc_chair(database: Database, clock: Clock) -> None:
    with database.transaction() as s:
        make_user(s, SOMTC_CHAIR, Role.CHAIR, "TH-SOMTC", now=clock.now, name="Thida Chair")


def settle(database: Database, clock: Clock, symbol: str) -> str:
    """Create, issue and settle a round with the register as it is now; its content hash."""
    with database.transaction() as s:
        r = rounds.create_round(
            s,
            SYSTEM,
            symbol=symbol,
            title=f"Draft {symbol}",
            kind=RoundKind.NEGOTIATION,
            time_zone="Asia/Jakarta",
            deadline=None,
            opens_at=None,
            instructions="",
            observers_may_comment=False,
            now=clock.now,
        )
        rounds.open_round(s, SYSTEM, symbol, now=clock.now)
        r.close()
        r.consult()
        r.settle(now=clock.now)
        return snapshot.freeze(s, r, now=clock.now)


def resettle(database: Database, clock: Clock, symbol: str) -> str:
    """Back to consultation and settled again: the snapshot is frozen anew."""
    with arranged(database) as s:
        r = rounds.get_round(s, symbol)
        r.consult()
        r.settle(now=clock.now)
        return snapshot.freeze(s, r, now=clock.now)


def revise(database: Database, clock: Clock, code: str, new_text: str) -> None:
    with database.transaction() as s:
        item = register.get_item(s, code)
        register.revise_item(
            s,
            SYSTEM,
            code=code,
            expected_revision=item.version,
            changes={"text": new_text},
            reason="Agreed at the meeting",
            now=clock.now,
        )


def api(symbol: str) -> str:
    return f"/api/v1/rounds/{quote(symbol, safe='/')}"


def approve(
    client: TestClient, database: Database, clock: Clock, email: str, content_hash: str
) -> Any:
    return client.post(
        f"{api(REV1)}/approvals",
        json={"content_hash": content_hash, "reference": "DWG-FC 3rd meeting, decision 4"},
        headers=bearer(token_for(database, email, clock.now)),
    )


@pytest.fixture
def settled(world: World, database: Database, clock: Clock) -> str:
    """Rev.1 settled, with one AICHR chair (the world's) and one SOMTC chair; its hash."""
    add_somtc_chair(database, clock)
    return settle(database, clock, REV1)


def test_the_approval_shows_the_hash_and_the_default_co_chairs(
    client: TestClient, world: World, database: Database, clock: Clock, settled: str
) -> None:
    r = client.get(
        f"{api(REV1)}/approval", headers=bearer(token_for(database, world.member, clock.now))
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["round"] == REV1 and body["state"] == "settled"
    assert body["content_hash"] == settled and re.fullmatch(r"[0-9a-f]{64}", settled)
    assert [(c["email"], c["delegation"]) for c in body["co_chairs"]] == [
        (world.chair, "ID-AICHR"),
        (SOMTC_CHAIR, "TH-SOMTC"),
    ]
    assert all(c["approved_at"] is None for c in body["co_chairs"])
    assert body["approved"] is False
    assert body["changes_since_last_approved"] == [] and body["last_approved"] is None
    assert body["hash_check"] == {"stored": settled, "recomputed": settled, "matches": True}


def test_both_co_chairs_approve_the_same_hash_and_the_round_is_approved(
    client: TestClient, world: World, database: Database, clock: Clock, settled: str
) -> None:
    first = approve(client, database, clock, world.chair, settled)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["approved"] is False and body["state"] == "settled"
    signed = {c["email"]: c for c in body["co_chairs"]}
    assert signed[world.chair]["reference"] == "DWG-FC 3rd meeting, decision 4"
    assert signed[world.chair]["approved_at"] is not None
    assert signed[SOMTC_CHAIR]["approved_at"] is None

    clock.advance(minutes=5)
    second = approve(client, database, clock, SOMTC_CHAIR, settled)
    assert second.status_code == 201, second.text
    assert second.json()["approved"] is True and second.json()["state"] == "approved"
    with database.transaction(write=False) as s:
        actions = s.scalars(
            select(AuditEvent.action).where(AuditEvent.object_id == REV1).order_by(AuditEvent.id)
        ).all()
        assert rounds.get_round(s, REV1).approved_at == clock.now
    assert actions[-3:] == ["round.approval", "round.approval", "round.approve"]
    # The approval keeps the audit trail's head as it stood: the event before its own.
    with database.transaction(write=False) as s:
        approval = s.scalars(select(AuditEvent).where(AuditEvent.action == "round.approve")).one()
        before = s.get(AuditEvent, approval.id - 1)  # the approval, same transaction
    assert before is not None and before.action == "round.approval"
    assert approval.details["audit_head"] == {"event": before.id - 1, "hash": before.prev_hash}


def test_a_stale_hash_is_refused_with_412_and_nothing_is_recorded(
    client: TestClient, world: World, database: Database, clock: Clock, settled: str
) -> None:
    seen = client.get(
        f"{api(REV1)}/approval", headers=bearer(token_for(database, world.chair, clock.now))
    ).json()["content_hash"]
    # Between the chair opening the page and approving, the text changes and is settled again.
    revise(database, clock, "FC-CD-01", "Passport confiscated by the operators on arrival")
    current = resettle(database, clock, REV1)
    assert current != seen

    r = approve(client, database, clock, world.chair, seen)
    assert r.status_code == 412, r.text
    assert "changed since the page was opened" in r.json()["detail"]
    assert r.json()["current_hash"] == current
    status = client.get(
        f"{api(REV1)}/approval", headers=bearer(token_for(database, world.chair, clock.now))
    ).json()
    assert all(c["approved_at"] is None for c in status["co_chairs"])

    assert approve(client, database, clock, world.chair, current).status_code == 201


def test_an_approval_of_an_earlier_hash_does_not_count_for_the_new_text(
    client: TestClient, world: World, database: Database, clock: Clock, settled: str
) -> None:
    assert approve(client, database, clock, world.chair, settled).status_code == 201
    revise(database, clock, "FC-CD-01", "Passport confiscated on arrival")
    current = resettle(database, clock, REV1)
    # The SOMTC chair approves the new text: not enough, the AICHR chair approved the old one.
    r = approve(client, database, clock, SOMTC_CHAIR, current)
    assert r.status_code == 201 and r.json()["approved"] is False
    assert approve(client, database, clock, world.chair, current).json()["approved"] is True


def test_someone_who_is_not_a_listed_co_chair_is_refused_with_403(
    client: TestClient, world: World, database: Database, clock: Clock, settled: str
) -> None:
    with database.transaction() as s:
        make_user(s, OTHER_CHAIR, Role.CHAIR, "PH-SOMTC", now=clock.now)
    r = approve(client, database, clock, OTHER_CHAIR, settled)
    assert r.status_code == 403 and "not a co-chair" in r.json()["detail"]
    r = approve(client, database, clock, world.member, settled)
    assert r.status_code == 403 and "only the co-chairs can approve" in r.json()["detail"]


def test_approving_twice_is_409(
    client: TestClient, world: World, database: Database, clock: Clock, settled: str
) -> None:
    assert approve(client, database, clock, world.chair, settled).status_code == 201
    r = approve(client, database, clock, world.chair, settled)
    assert r.status_code == 409 and "already approved" in r.json()["detail"]


def test_only_a_settled_round_can_be_approved(
    client: TestClient, world: World, database: Database, clock: Clock, settled: str
) -> None:
    with arranged(database) as s:
        rounds.get_round(s, REV1).consult()
    r = approve(client, database, clock, world.chair, settled)
    assert r.status_code == 409 and "only a settled round" in r.json()["detail"]


def test_no_approval_while_the_text_is_under_silence(
    client: TestClient, world: World, database: Database, clock: Clock, settled: str
) -> None:
    with arranged(database) as s:
        rounds.get_round(s, REV1).place_under_silence(
            until=clock.now + timedelta(days=3), now=clock.now
        )
    r = approve(client, database, clock, world.chair, settled)
    assert r.status_code == 409 and "silence procedure" in r.json()["detail"]


def test_a_reference_is_required(
    client: TestClient, world: World, database: Database, clock: Clock, settled: str
) -> None:
    r = client.post(
        f"{api(REV1)}/approvals",
        json={"content_hash": settled, "reference": "  "},
        headers=bearer(token_for(database, world.chair, clock.now)),
    )
    assert r.status_code == 422 and r.json()["field"] == "reference"


def _approve_both(client: TestClient, database: Database, clock: Clock, content_hash: str) -> None:
    for email in (World.chair, SOMTC_CHAIR):
        assert approve(client, database, clock, email, content_hash).status_code == 201


def test_after_approval_the_text_can_never_change(
    client: TestClient, world: World, database: Database, clock: Clock, settled: str
) -> None:
    _approve_both(client, database, clock, settled)
    with database.transaction() as s:
        r = rounds.get_round(s, REV1)
        with pytest.raises(InvalidTransition, match="can no longer change"):
            snapshot.freeze(s, r, now=clock.now)
        for move in (r.consult, r.close, r.open, lambda: r.settle(now=clock.now)):
            with pytest.raises(InvalidTransition):
                move()
    secretariat = bearer(token_for(database, world.secretariat, clock.now))
    assert client.post(f"{api(REV1)}/consultation", headers=secretariat).status_code == 409
    r = client.put(f"{api(REV1)}/co-chairs", json={"emails": [world.chair]}, headers=secretariat)
    assert r.status_code == 409
    r = approve(client, database, clock, world.chair, settled)
    assert r.status_code == 409 and "approved" in r.json()["detail"]


def test_anyone_can_recompute_the_hash_and_see_it_match(
    client: TestClient,
    world: World,
    database: Database,
    clock: Clock,
    settled: str,
    db_url: str,
) -> None:
    _approve_both(client, database, clock, settled)
    observer = bearer(token_for(database, world.observer, clock.now))
    r = client.get(f"{api(REV1)}/hash", headers=observer)
    assert r.status_code == 200
    assert r.json() == {"stored": settled, "recomputed": settled, "matches": True}
    # By id too.
    with database.transaction(write=False) as s:
        round_id = rounds.get_round(s, REV1).id
    assert client.get(f"/api/v1/rounds/{round_id}/hash", headers=observer).json()["matches"]

    # Someone with database access quietly changes the frozen text: the check shows it.
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE round_items SET item_state = 'agreed' WHERE round_id = :r"),
            {"r": round_id},
        )
    engine.dispose()
    body = client.get(f"{api(REV1)}/hash", headers=observer).json()
    assert body["stored"] == settled and body["matches"] is False


def test_the_secretariat_names_the_co_chairs(
    client: TestClient, world: World, database: Database, clock: Clock, settled: str
) -> None:
    with database.transaction() as s:
        make_user(s, OTHER_CHAIR, Role.CHAIR, "PH-SOMTC", now=clock.now, name="Pia Chair")
    secretariat = bearer(token_for(database, world.secretariat, clock.now))
    url = f"{api(REV1)}/co-chairs"
    r = client.put(url, json={"emails": [SOMTC_CHAIR, OTHER_CHAIR]}, headers=secretariat)
    assert r.status_code == 200, r.text
    assert [c["email"] for c in r.json()["co_chairs"]] == [SOMTC_CHAIR, OTHER_CHAIR]

    # The world's AICHR chair is no longer listed.
    assert approve(client, database, clock, world.chair, settled).status_code == 403
    member = bearer(token_for(database, world.member, clock.now))
    assert client.put(url, json={"emails": [world.chair]}, headers=member).status_code == 403
    r = client.put(url, json={"emails": [world.member]}, headers=secretariat)
    assert r.status_code == 422 and "not an active chair" in r.json()["detail"]

    assert approve(client, database, clock, SOMTC_CHAIR, settled).status_code == 201
    r = client.put(url, json={"emails": []}, headers=secretariat)
    assert r.status_code == 409 and "can no longer change" in r.json()["detail"]
    assert approve(client, database, clock, OTHER_CHAIR, settled).json()["approved"] is True


def test_an_empty_list_restores_the_default_co_chairs(
    client: TestClient, world: World, database: Database, clock: Clock, settled: str
) -> None:
    secretariat = bearer(token_for(database, world.secretariat, clock.now))
    url = f"{api(REV1)}/co-chairs"
    client.put(url, json={"emails": [SOMTC_CHAIR]}, headers=secretariat)
    r = client.put(url, json={"emails": []}, headers=secretariat)
    assert [c["email"] for c in r.json()["co_chairs"]] == [world.chair, SOMTC_CHAIR]


def test_without_a_somtc_chair_the_secretariat_must_name_the_co_chairs(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    content_hash = settle(database, clock, REV1)
    body = client.get(
        f"{api(REV1)}/approval", headers=bearer(token_for(database, world.chair, clock.now))
    ).json()
    assert body["co_chairs_missing"] == ["SOMTC"]
    r = approve(client, database, clock, world.chair, content_hash)
    assert r.status_code == 409 and "must name the round's co-chairs" in r.json()["detail"]


def test_with_none_approved_the_changes_are_counted_from_the_last_issued_text(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    settle(database, clock, ZD)  # issued and settled, never approved
    revise(database, clock, "FC-CD-01", "Passport or personal phone confiscated by the operators")
    settle(database, clock, REV1)
    body = client.get(
        f"{api(REV1)}/approval", headers=bearer(token_for(database, world.member, clock.now))
    ).json()
    assert (body["last_approved"], body["compared_with"]) == (ZD, "issued")
    assert [(c["code"], c["change"]) for c in body["changes_since_last_approved"]] == [
        ("FC-CD-01", "changed")
    ]
    log_in(client, world.member)
    html = client.get(f"/rounds/{REV1}/approve").text
    assert "What changed since the last issued text" in html
    assert "Passport or personal phone confiscated by the operators" in html


def test_the_changes_since_the_last_approved_text(
    client: TestClient, world: World, database: Database, clock: Clock
) -> None:
    add_somtc_chair(database, clock)
    zd_hash = settle(database, clock, ZD)
    for email in (world.chair, SOMTC_CHAIR):
        r = client.post(
            f"{api(ZD)}/approvals",
            json={"content_hash": zd_hash, "reference": "DWG-FC 2nd meeting"},
            headers=bearer(token_for(database, email, clock.now)),
        )
        assert r.status_code == 201, r.text
    revise(database, clock, "FC-CD-01", "Passport or personal phone confiscated by the operators")
    with database.transaction() as s:
        added = make_indicator(s, "CD", "Forced to recruit other victims", now=clock.now)
    settle(database, clock, REV1)

    body = client.get(
        f"{api(REV1)}/approval", headers=bearer(token_for(database, world.member, clock.now))
    ).json()
    assert body["last_approved"] == ZD and body["compared_with"] == "approved"
    changes = {(c["code"], c["change"]): c for c in body["changes_since_last_approved"]}
    assert set(changes) == {(added, "added"), ("FC-CD-01", "changed")}
    assert changes[(added, "added")]["text"] == "Forced to recruit other victims"
    (text_diff,) = changes[("FC-CD-01", "changed")]["fields"]
    assert text_diff["field"] == "text"
    ops = {(op["op"], op["text"].strip()) for op in text_diff["ops"]}
    assert ("delete", "taken") in ops and ("insert", "confiscated") in ops


# --- The page ---------------------------------------------------------------------------------


def _page(client: TestClient) -> Any:
    return client.get(f"/rounds/{REV1}/approve")


def test_the_page_shows_the_hash_and_the_form_to_a_co_chair(
    client: TestClient, world: World, settled: str
) -> None:
    log_in(client, world.chair)
    page = _page(client)
    assert page.status_code == 200
    groups = re.search(r'<p class="hash" id="content-hash"[^>]*>(.*?)</p>', page.text)
    assert groups is not None
    assert re.findall(r"<span>([0-9a-f]{4})</span>", groups.group(1)) == re.findall(".{4}", settled)
    assert f'name="content_hash" value="{settled}"' in page.text
    assert "Approve this text" in page.text and "Meeting or decision reference" in page.text


def test_a_member_reads_the_page_without_the_form(
    client: TestClient, world: World, settled: str
) -> None:
    log_in(client, world.member)
    page = _page(client)
    assert page.status_code == 200 and settled[:4] in page.text
    assert "Approve this text</button>" not in page.text


def test_co_chairs_e_mail_addresses_are_shown_to_the_secretariat_alone(
    client: TestClient, world: World, settled: str
) -> None:
    """Members and observers read who must approve (name and delegation), not how to mail
    them; the secretariat, who names the co-chairs, sees the addresses."""
    for who in (world.member, world.observer, world.chair):
        log_in(client, who)
        page = _page(client)
        assert page.status_code == 200
        table = page.text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
        assert "Chair Person" in table and "ID-AICHR" in table, who
        assert world.chair not in table and SOMTC_CHAIR not in table, who
    log_in(client, world.secretariat)
    table = _page(client).text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert world.chair in table


def test_the_form_approves_and_confirms(client: TestClient, world: World, settled: str) -> None:
    csrf = log_in(client, world.chair)
    r = client.post(
        f"/rounds/{REV1}/approve",
        data={"csrf_token": csrf, "content_hash": settled, "reference": "3rd meeting, dec. 4"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"/rounds/{REV1}/approve?done=signed#confirmation"
    page = client.get(r.headers["location"])
    assert "Your approval of DWG-FC/Rev.1 is recorded" in page.text
    assert "Thida Chair (TH-SOMTC)" in page.text
    assert "3rd meeting, dec. 4" in page.text
    assert "Approve this text</button>" not in page.text


def test_the_form_needs_a_reference(client: TestClient, world: World, settled: str) -> None:
    csrf = log_in(client, world.chair)
    r = client.post(
        f"/rounds/{REV1}/approve",
        data={"csrf_token": csrf, "content_hash": settled, "reference": ""},
    )
    assert r.status_code == 422
    assert "There is a problem" in r.text
    assert 'href="#reference">Enter the meeting or decision reference' in r.text


def test_the_form_shows_the_new_text_when_it_changed(
    client: TestClient, world: World, database: Database, clock: Clock, settled: str
) -> None:
    csrf = log_in(client, world.chair)
    revise(database, clock, "FC-CD-02", "Confined to a guarded compound or building")
    current = resettle(database, clock, REV1)
    r = client.post(
        f"/rounds/{REV1}/approve",
        data={"csrf_token": csrf, "content_hash": settled, "reference": "3rd meeting"},
    )
    assert r.status_code == 412
    assert "The text changed since you opened this page" in r.text
    assert f'name="content_hash" value="{current}"' in r.text
    assert 'value="3rd meeting"' in r.text


def test_the_secretariat_names_the_co_chairs_with_the_form(
    client: TestClient, world: World, settled: str
) -> None:
    csrf = log_in(client, world.secretariat)
    page = _page(client)
    assert "Save co-chairs" in page.text and "Thida Chair (TH-SOMTC)" in page.text
    r = client.post(
        f"/rounds/{REV1}/co-chairs",
        data={"csrf_token": csrf, "emails": [SOMTC_CHAIR]},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get(r.headers["location"])
    assert "Co-chairs saved" in page.text and "Named for this round by the secretariat" in page.text
