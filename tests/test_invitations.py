"""Invitations: the use cases (invite, resend), the invitee's page and the API."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts import invitations, links
from app.audit.service import Actor
from app.config import Settings
from app.db import Database
from app.errors import Conflict, InvalidInput, PermissionDenied
from app.models import AccountLink, AuditEvent, LinkPurpose, OutboxMessage, Role, User
from tests.conftest import Clock
from tests.factories import World


def _invite(database: Database, settings: Settings, clock: Clock, **overrides: object) -> str:
    args: dict[str, object] = {
        "email": "new.person@asean.test",
        "name": "New Person",
        "role": Role.MEMBER,
        "delegation_codes": ["PH-SOMTC"],
        "inviter_role": Role.SECRETARIAT,
    }
    args.update(overrides)
    with database.transaction() as s:
        _, token = invitations.invite(
            s,
            Actor.system("test"),
            now=clock.now,
            settings=settings,
            **args,  # type: ignore[arg-type]
        )
    return token


def test_invite_creates_a_person_without_password_and_mails_the_link(
    database: Database, settings: Settings, clock: Clock, world: World
) -> None:
    token = _invite(database, settings, clock, email=" New.Person@ASEAN.test ")
    with database.transaction() as s:
        user = s.scalars(select(User).where(User.email == "new.person@asean.test")).one()
        assert user.password_hash is None and user.is_active
        assert invitations.pending(s, user.id)
        link = links.find(s, token, LinkPurpose.INVITATION, now=clock.now)
        assert link.user_id == user.id
        assert link.expires_at == clock.now + timedelta(days=7)
        mail = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "invitation")).one()
        assert mail.to_address == "new.person@asean.test"
        assert f"http://testserver/invitation/{token}" in mail.text_body
        assert f"http://testserver/invitation/{token}" in (mail.html_body or "")
        assert "PH-SOMTC" in mail.text_body and "Member" in mail.text_body
        assert "expires in 7 days" in mail.text_body
        assert "Choose a password" in mail.text_body
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "user.invite")).one()
        assert event.object_id == str(user.id)
        # Only the digest is stored.
        assert token not in {row.token_hash for row in s.scalars(select(AccountLink))}


def test_invitation_mail_mentions_the_second_factor_where_the_role_needs_one(
    database: Database, settings: Settings, clock: Clock, world: World
) -> None:
    settings.mfa_required_roles = "chair"
    _invite(database, settings, clock, role="chair", delegation_codes=[])
    with database.transaction() as s:
        mail = s.scalars(select(OutboxMessage)).one()
        assert "second factor" in mail.text_body
        assert "Chair" in mail.text_body


@pytest.mark.parametrize(
    ("overrides", "error", "field"),
    [
        ({"email": "not-an-address"}, InvalidInput, "email"),
        ({"email": "a b@asean.test"}, InvalidInput, "email"),
        ({"name": "   "}, InvalidInput, "name"),
        ({"name": "x" * 201}, InvalidInput, "name"),
        ({"role": "emperor"}, InvalidInput, "role"),
        ({"delegation_codes": []}, InvalidInput, "delegations"),
        ({"delegation_codes": ["XX-NOPE"]}, InvalidInput, "delegations"),
        ({"email": "member.ph@asean.test"}, Conflict, "email"),
        ({"role": Role.ADMIN, "delegation_codes": []}, PermissionDenied, "role"),
    ],
)
def test_invite_refuses_bad_input_naming_the_field(
    database: Database,
    settings: Settings,
    clock: Clock,
    world: World,
    overrides: dict[str, object],
    error: type[Exception],
    field: str,
) -> None:
    with pytest.raises(error) as raised:
        _invite(database, settings, clock, **overrides)
    assert raised.value.extra["field"] == field  # type: ignore[attr-defined]
    with database.transaction() as s:
        assert s.scalar(select(OutboxMessage.id)) is None
        assert s.scalar(select(User.id).where(User.email == "new.person@asean.test")) is None


def test_retired_delegation_cannot_take_new_people(
    database: Database, settings: Settings, clock: Clock, world: World
) -> None:
    from app.models import Delegation

    with database.transaction() as s:
        s.scalars(
            select(Delegation).where(Delegation.code == "TH-SOMTC")
        ).one().retired_at = clock.now
    with pytest.raises(InvalidInput, match="retired"):
        _invite(database, settings, clock, delegation_codes=["th-somtc"])


def test_an_admin_may_invite_an_admin(
    database: Database, settings: Settings, clock: Clock, world: World
) -> None:
    _invite(database, settings, clock, role="admin", delegation_codes=[], inviter_role=Role.ADMIN)
    with database.transaction() as s:
        user = s.scalars(select(User).where(User.email == "new.person@asean.test")).one()
        assert user.role is Role.ADMIN


def test_resend_replaces_the_link(
    database: Database, settings: Settings, clock: Clock, world: World
) -> None:
    first = _invite(database, settings, clock)
    clock.advance(days=6)
    with database.transaction() as s:
        user = s.scalars(select(User).where(User.email == "new.person@asean.test")).one()
        second = invitations.resend(
            s, Actor.system("test"), user=user, now=clock.now, settings=settings
        )
    with database.transaction() as s:
        with pytest.raises(InvalidInput, match="replaced by a newer one"):
            links.find(s, first, LinkPurpose.INVITATION, now=clock.now)
        link = links.find(s, second, LinkPurpose.INVITATION, now=clock.now)
        assert link.expires_at == clock.now + timedelta(days=7)
        assert invitations.invitation_expiry(s, link.user_id, now=clock.now) == link.expires_at
        mails = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert len(mails) == 2 and second in mails[1].text_body
        assert mails[1].subject.startswith("Reminder")
        assert s.scalar(select(AuditEvent.id).where(AuditEvent.action == "user.invite_resend"))


def test_resend_refuses_an_accepted_or_disabled_account(
    database: Database, settings: Settings, clock: Clock, world: World
) -> None:
    with database.transaction() as s:
        member = s.scalars(select(User).where(User.email == world.member)).one()
        with pytest.raises(Conflict, match="already accepted"):
            invitations.resend(
                s, Actor.system("test"), user=member, now=clock.now, settings=settings
            )
    _invite(database, settings, clock)
    with database.transaction() as s:
        user = s.scalars(select(User).where(User.email == "new.person@asean.test")).one()
        user.disable(now=clock.now)
        with pytest.raises(Conflict, match="disabled"):
            invitations.resend(s, Actor.system("test"), user=user, now=clock.now, settings=settings)
