"""The history of an account on the admin's person page says what happened in words: every
action audited on an account (found in the code, so a new one cannot be forgotten) has a label,
and none is shown as its code (user.password_reset_requested, mfa.verify ...)."""

import ast
import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from app.audit.service import Actor, record
from app.db import Database
from app.models import User
from tests.factories import World
from tests.helpers import Clock, log_in

APP = Path(__file__).resolve().parent.parent / "app"
CODE = re.compile(r"\b(?:user|session|mfa|account)\.[a-z_]+\b")


def account_actions() -> set[str]:
    """Every action string passed to a call with object_type="user" in the application."""
    found: set[str] = set()
    for path in APP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            keywords = {k.arg: k.value for k in node.keywords if k.arg}
            kind = keywords.get("object_type")
            if "action" in keywords and isinstance(kind, ast.Constant) and kind.value == "user":
                found |= {
                    c.value
                    for c in ast.walk(keywords["action"])
                    if isinstance(c, ast.Constant) and isinstance(c.value, str)
                }
    return found


DETAILS = {
    "user.profile_update": {"name": "Maria Clara Santos", "time_zone": "Asia/Manila"},
    "account.mail_frequency": {"from": "daily", "to": "none", "via": "unsubscribe"},
    "user.password_reset_requested": {"ip": "203.0.113.7"},
    "mfa.recovery_code_used": {"left": 9},
    "mfa.verify": {"method": "recovery"},
    "session.login": {"second_factor": "totp"},
}


def test_every_account_action_is_shown_in_words(
    client: TestClient, database: Database, clock: Clock, world: World
) -> None:
    actions = account_actions()
    assert {"user.invitation_accepted", "mfa.verify", "session.end"} <= actions  # the scan works
    with database.transaction() as s:
        member = s.scalars(select(User).where(User.email == world.member)).one()
        member_id = member.id
        for action in sorted(actions):
            actor = Actor.system("test") if action == "user.password_reset_requested" else None
            record(
                s,
                actor or Actor(member_id, None, "test"),
                action=action,
                object_type="user",
                object_id=member_id,
                details=DETAILS.get(action, {}),
                at=clock.now,
            )
    log_in(client, world.admin)
    page = client.get(f"/admin/people/{member_id}")
    assert page.status_code == 200
    history = page.text.split('id="history"', 1)[1]
    rows = re.findall(r"<tr>(.*?)</tr>", history, flags=re.S)
    assert len(rows) >= len(actions)
    assert CODE.findall(history) == []
    for expected in (
        "Invitation accepted, password chosen",
        "Password reset link asked for",
        "Someone on the log-in page",
        "from the address 203.0.113.7",
        "time zone: Asia/Manila",
        "daily → none (the link in a mail)",
        "Recovery code used",
        "9 left",
        "recovery code",
        "with authenticator app",
        "Ended one of their sessions",
    ):
        assert expected in history, expected
