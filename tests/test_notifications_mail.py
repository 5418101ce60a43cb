"""What notifies whom, in the app and by mail as each person chose: every listed event, worded
with the item's code and first words and what to do next; mail at once, in daily or weekly
digests at 08:00 in the person's time zone, or not at all; each exactly once."""

import re
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app import worker as background
from app.accounts import service as accounts
from app.approvals import service as approvals
from app.audit.service import Actor
from app.comments import service as comments
from app.config import Settings
from app.db import Database
from app.mail import digest
from app.mail.outbox import enqueue
from app.models import (
    MailFrequency,
    Notification,
    OutboxMessage,
    OutboxState,
    Outcome,
    ProposalKind,
    Role,
    RoundKind,
    User,
)
from app.notifications.messages import first_words
from app.notifications.reminders import send_deadline_reminders
from app.principal import Principal
from app.proposals import service as proposals
from app.rounds import service as rounds
from app.signing import unsign
from tests.factories import World, arranged, bearer, token_for
from tests.helpers import Clock, log_in
from tests.mailserver import MailServer

SYMBOL = "DWG-FC/Rev.1"
TITLE = "First revision of the indicators on forced criminality"
ROUND_WORDS = f'{SYMBOL} "First revision of the indicators..."'
ITEM_WORDS = 'FC-CD-01 "Passport or personal phone taken..."'
GROUP = {
    World.secretariat,
    World.secretariat2,
    World.member,
    World.member2,
    World.member3,
    World.chair,
    World.observer,
}
MEMBERS = {World.member, World.member2, World.member3}


# --- Helpers ----------------------------------------------------------------------------------


def principal(s: Session, email: str) -> Principal:
    return accounts.principal_for_user(s, accounts.get_user_by_email(s, email))


def user_id(database: Database, email: str) -> int:
    with database.transaction(write=False) as s:
        return accounts.get_user_by_email(s, email).id


def actor(database: Database, email: str) -> Actor:
    return Actor(user_id(database, email))


def notes(database: Database, kind: str | None = None) -> list[tuple[str, Notification]]:
    """(e-mail, notification) of everyone, oldest first."""
    with database.transaction(write=False) as s:
        query = select(User.email, Notification).join(User, User.id == Notification.user_id)
        if kind:
            query = query.where(Notification.kind == kind)
        return [(e, n) for e, n in s.execute(query.order_by(Notification.id)).all()]


def mine(database: Database, email: str, kind: str = "round.issued") -> Notification:
    return next(n for e, n in notes(database, kind) if e == email)


def told(database: Database, kind: str) -> set[str]:
    return {email for email, _ in notes(database, kind)}


def the_notice(database: Database, kind: str) -> Notification:
    """The notification of that kind (all people told got the same words)."""
    found = notes(database, kind)
    assert found, f"nobody was told {kind}"
    assert len({(n.message, n.next_step, n.link) for _, n in found}) == 1
    return found[0][1]


def set_mail(
    database: Database, email: str, frequency: MailFrequency, zone: str | None = None
) -> None:
    with arranged(database) as s:
        s.execute(
            update(User).where(User.email == email).values(mail_frequency=frequency, time_zone=zone)
        )


def make_round(
    database: Database, clock: Clock, *, deadline: datetime | None = None, issue: bool = True
) -> None:
    with database.transaction() as s:
        rounds.create_round(
            s,
            Actor.system("test"),
            symbol=SYMBOL,
            title=TITLE,
            kind=RoundKind.WRITTEN,
            time_zone="Asia/Jakarta",
            deadline=deadline,
            opens_at=None,
            instructions="",
            observers_may_comment=False,
            now=clock.now,
        )
    if issue:
        with database.transaction() as s:
            rounds.issue_round(s, actor(database, World.secretariat), SYMBOL, now=clock.now)


def move(database: Database, clock: Clock, *moves: str, by: str = World.secretariat) -> None:
    with database.transaction() as s:
        for name in moves:
            # Settling names each undecided proposal and unmarked item it carries over.
            carry = (
                {
                    "carry_over": rounds.CarryOver.everything(
                        rounds.outstanding(s, rounds.get_round(s, SYMBOL))
                    )
                }
                if name == "settle"
                else {}
            )
            getattr(rounds, f"{name}_round")(s, actor(database, by), SYMBOL, now=clock.now, **carry)


@pytest.fixture
def smtp(settings: Settings, mail_server: MailServer) -> Settings:
    return mail_server.settings_for(settings)


def run_worker(database: Database, settings: Settings, clock: Clock) -> background.Pass:
    return background.run_once(database, settings, clock)


# --- Rounds -------------------------------------------------------------------------------------


def test_a_round_issued_and_closed_tells_the_group(
    database: Database, world: World, clock: Clock
) -> None:
    make_round(database, clock, deadline=clock.now + timedelta(days=5))
    # Everyone taking part, except the secretariat officer who issued it (and the admin).
    assert told(database, "round.issued") == GROUP - {World.secretariat}
    issued = the_notice(database, "round.issued")
    assert issued.message == f"Round {ROUND_WORDS} was issued and is open for input"
    assert issued.next_step == (
        "Read the text and send your delegation's proposals and comments by "
        "07 March 2026 16:00 Asia/Jakarta time (09:00 UTC)."
    )
    assert issued.link == "/rounds/DWG-FC/Rev.1"

    clock.advance(hours=1)
    move(database, clock, "close")
    assert told(database, "round.closed") == GROUP - {World.secretariat}
    closed = the_notice(database, "round.closed")
    assert closed.message == f"Round {ROUND_WORDS} closed for input"
    assert "ask the secretariat to accept it late" in (closed.next_step or "")


def test_the_deadline_closes_the_round_and_tells_the_group_once(
    database: Database, world: World, clock: Clock, settings: Settings
) -> None:
    deadline = clock.now + timedelta(days=5)
    make_round(database, clock, deadline=deadline)
    clock.now = deadline + timedelta(minutes=1)
    done = run_worker(database, settings, clock)
    assert done.rounds == [
        "DWG-FC/Rev.1: closed for input; its deadline passed (07 March 2026 09:00 UTC "
        "(07 March 2026 16:00 Asia/Jakarta))"
    ]
    assert the_notice(database, "round.closed").message == (
        f"Round {ROUND_WORDS} closed for input at its deadline"
    )
    assert told(database, "round.closed") == GROUP  # nobody closed it: everyone is told
    run_worker(database, settings, clock)
    assert len(notes(database, "round.closed")) == len(GROUP)


def test_reminders_go_48_and_24_hours_before_the_deadline_once_each(
    database: Database, world: World, clock: Clock, settings: Settings
) -> None:
    deadline = clock.now + timedelta(days=5)
    make_round(database, clock, deadline=deadline)
    clock.now = deadline - timedelta(hours=48, seconds=1)
    assert run_worker(database, settings, clock).reminders == []
    clock.advance(seconds=1)
    assert run_worker(database, settings, clock).reminders == [
        "DWG-FC/Rev.1: 48 hours before its deadline, reminded 3"
    ]
    # Those who give input: the members (observers are not invited to comment on this round).
    assert told(database, "round.deadline") == MEMBERS
    reminder = the_notice(database, "round.deadline")
    assert reminder.message == f"48 hours left to give input on round {ROUND_WORDS}"
    assert reminder.next_step == (
        "Send your delegation's proposals and comments before 07 March 2026 16:00 Asia/Jakarta "
        "time (09:00 UTC); after that, input is only taken late with the secretariat's agreement."
    )
    clock.advance(hours=1)
    assert run_worker(database, settings, clock).reminders == []
    clock.now = deadline - timedelta(hours=23, minutes=59, seconds=50)
    assert run_worker(database, settings, clock).reminders == [
        "DWG-FC/Rev.1: 24 hours before its deadline, reminded 3"
    ]
    assert [n.message.split(" left")[0] for _, n in notes(database, "round.deadline")][-1] == (
        "24 hours"
    )
    clock.advance(hours=12)
    assert run_worker(database, settings, clock).reminders == []
    assert len(notes(database, "round.deadline")) == 6


def test_a_late_worker_sends_only_the_nearest_reminder(
    database: Database, world: World, clock: Clock, settings: Settings
) -> None:
    deadline = clock.now + timedelta(days=5)
    make_round(database, clock, deadline=deadline)
    clock.now = deadline - timedelta(hours=10)  # the worker was down for a day and a half
    assert run_worker(database, settings, clock).reminders == [
        "DWG-FC/Rev.1: 24 hours before its deadline, reminded 3"
    ]
    assert the_notice(database, "round.deadline").message.startswith("10 hours left")
    clock.advance(hours=1)
    assert run_worker(database, settings, clock).reminders == []


def test_a_round_issued_close_to_its_deadline_gets_no_48_hour_reminder(
    database: Database, world: World, clock: Clock, settings: Settings
) -> None:
    make_round(database, clock, deadline=clock.now + timedelta(hours=30))
    assert run_worker(database, settings, clock).reminders == []
    clock.advance(hours=6)
    assert run_worker(database, settings, clock).reminders == [
        "DWG-FC/Rev.1: 24 hours before its deadline, reminded 3"
    ]


def test_two_workers_at_once_remind_once(
    database: Database, world: World, clock: Clock, settings: Settings
) -> None:
    deadline = clock.now + timedelta(days=5)
    make_round(database, clock, deadline=deadline)
    clock.now = deadline - timedelta(hours=47)
    go = threading.Barrier(2)
    lines: list[list[str]] = []

    def one() -> None:
        db = Database(settings.effective_database_url)
        try:
            go.wait()
            with db.transaction() as s:
                lines.append(send_deadline_reminders(s, clock.now))
        finally:
            db.dispose()

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(len(x) for x in lines) == [0, 1]
    assert len(notes(database, "round.deadline")) == 3


def add_chair(database: Database, clock: Clock, email: str, delegation: str) -> None:
    with database.transaction() as s:
        accounts.add_user(
            s,
            Actor.system("test"),
            email=email,
            name=f"Chair of {delegation}",
            role=Role.CHAIR,
            password=None,
            delegation_codes=[delegation],
            now=clock.now,
        )


def test_the_co_chairs_are_asked_to_approve_a_settled_text(
    database: Database, world: World, clock: Clock
) -> None:
    add_chair(database, clock, "chair.th@asean.test", "TH-SOMTC")
    add_chair(database, clock, "chair.ph@asean.test", "PH-ACWC")
    make_round(database, clock)
    move(database, clock, "close", "consult", "settle")
    # By default one chair of an AICHR delegation and one of a SOMTC delegation co-chair.
    assert told(database, "round.awaiting_approval") == {World.chair, "chair.th@asean.test"}
    asked = the_notice(database, "round.awaiting_approval")
    assert asked.message == f"Round {ROUND_WORDS} awaits your approval as co-chair"
    assert asked.link == "/rounds/DWG-FC/Rev.1/approve"
    assert "approve it with the meeting's or decision's reference" in (asked.next_step or "")

    # A co-chair named afterwards is asked too; those asked already are not asked twice.
    with database.transaction() as s:
        approvals.set_co_chairs(
            s,
            actor(database, World.secretariat),
            SYMBOL,
            emails=[World.chair, "chair.th@asean.test", "chair.ph@asean.test"],
            now=clock.now,
        )
    assert sorted(e for e, _ in notes(database, "round.awaiting_approval")) == sorted(
        [World.chair, "chair.th@asean.test", "chair.ph@asean.test"]
    )


def test_without_a_co_chair_for_each_body_the_secretariat_is_asked_to_name_them(
    database: Database, world: World, clock: Clock
) -> None:
    add_chair(database, clock, "chair.ph@asean.test", "PH-ACWC")
    make_round(database, clock)
    move(database, clock, "close", "consult", "settle")
    # No SOMTC chair: nobody can approve yet, so no chair is asked; the secretariat (but the
    # officer who settled it) is asked to name the co-chairs.
    assert told(database, "round.awaiting_approval") == set()
    assert told(database, "round.co_chairs_needed") == {World.secretariat2}
    needed = the_notice(database, "round.co_chairs_needed")
    assert needed.message == (
        f"Round {ROUND_WORDS} is settled but has no SOMTC chair to co-chair it"
    )
    assert needed.link == "/rounds/DWG-FC/Rev.1/approve"
    with database.transaction() as s:
        approvals.set_co_chairs(
            s,
            actor(database, World.secretariat),
            SYMBOL,
            emails=[World.chair, "chair.ph@asean.test"],
            now=clock.now,
        )
    assert told(database, "round.awaiting_approval") == {World.chair, "chair.ph@asean.test"}


def test_the_round_approved_tells_the_group(database: Database, world: World, clock: Clock) -> None:
    make_round(database, clock)
    move(database, clock, "close", "consult", "settle")
    with database.transaction() as s:
        approvals.set_co_chairs(s, Actor.system(), SYMBOL, emails=[World.chair], now=clock.now)
        content_hash = rounds.get_round(s, SYMBOL).content_hash
        assert content_hash
    with database.transaction() as s:
        approvals.approve(
            s,
            actor(database, World.chair),
            SYMBOL,
            content_hash=content_hash,
            reference="DWG-FC 3rd meeting, decision 4",
            now=clock.now,
        )
    assert told(database, "round.approved") == GROUP - {World.chair}
    approved = the_notice(database, "round.approved")
    assert approved.message == f"Round {ROUND_WORDS} was approved by the co-chairs"
    assert approved.next_step == (
        "The text is final. Read it, or export it to Word, from the round's page."
    )


def test_a_silence_procedure_started_broken_and_adopted(
    database: Database, world: World, clock: Clock, settings: Settings
) -> None:
    make_round(database, clock)
    move(database, clock, "close", "consult", "settle")
    until = clock.now + timedelta(hours=72)
    with database.transaction() as s:
        rounds.place_under_silence(
            s, actor(database, World.secretariat), SYMBOL, until=until, now=clock.now
        )
    assert told(database, "round.silence") == GROUP - {World.secretariat}
    started = the_notice(database, "round.silence")
    assert started.message == (
        f"Silence procedure on round {ROUND_WORDS} until 05 March 2026 16:00 Asia/Jakarta time "
        "(09:00 UTC)"
    )
    assert "break silence on the round's page" in (started.next_step or "")

    clock.advance(hours=1)
    with database.transaction() as s:
        rounds.break_silence(
            s,
            principal(s, World.member),
            SYMBOL,
            statement="Our capital needs another week",
            delegation_code="PH-SOMTC",
            now=clock.now,
        )
    assert told(database, "round.silence_broken") == GROUP - {World.member}
    assert the_notice(database, "round.silence_broken").message == (
        f"PH-SOMTC broke silence on round {ROUND_WORDS}"
    )

    move(database, clock, "settle")
    until = clock.now + timedelta(hours=24)
    with database.transaction() as s:
        rounds.place_under_silence(
            s, actor(database, World.secretariat), SYMBOL, until=until, now=clock.now
        )
    clock.now = until
    assert (
        run_worker(database, settings, clock)
        .rounds[0]
        .startswith("DWG-FC/Rev.1: adopted by silence")
    )
    assert told(database, "round.adopted") == GROUP
    assert the_notice(database, "round.adopted").message == (
        f"Round {ROUND_WORDS} was adopted: no delegation broke silence"
    )


# --- Proposals and comments ---------------------------------------------------------------------


def _proposal(database: Database, clock: Clock, email: str, code: str, text: str) -> int:
    with database.transaction() as s:
        p = proposals.create(
            s,
            principal(s, email),
            kind=ProposalKind.AMEND,
            targets=["FC-CD-01"],
            base_revisions=None,
            content={"text": text},
            rationale="",
            delegation_code=code,
            submit=True,
            now=clock.now,
        )
        return p.id


def test_a_new_proposal_tells_delegations_that_proposed_on_or_sponsor_the_item(
    database: Database, world: World, clock: Clock
) -> None:
    make_round(database, clock)
    first = _proposal(database, clock, World.member3, "TH-SOMTC", "Passport taken")
    with database.transaction() as s:
        proposals.sponsor(
            s, principal(s, World.member), first, delegation_code="PH-SOMTC", now=clock.now
        )
    assert told(database, "proposal.new") == set()  # the first one on the item tells nobody
    second = _proposal(database, clock, World.member2, "ID-AICHR", "Passport or phone taken")
    # TH-SOMTC proposed on FC-CD-01, PH-SOMTC sponsors a proposal on it: their people are told.
    assert told(database, "proposal.new") == {World.member3, World.member}
    new = the_notice(database, "proposal.new")
    assert new.message == f"ID-AICHR proposed P-{second} on {ITEM_WORDS}"
    assert new.link == f"/proposals/{second}"
    assert "co-sponsor it, state your position or comment" in (new.next_step or "")


def test_a_decision_tells_the_proposing_delegation(
    database: Database, world: World, clock: Clock
) -> None:
    make_round(database, clock)
    pid = _proposal(database, clock, World.member3, "TH-SOMTC", "Passport taken")
    with database.transaction() as s:
        proposals.decide(
            s,
            principal(s, World.secretariat),
            pid,
            expected_version=2,
            outcome=Outcome.NOT_RETAINED,
            reason="Covered by FC-CD-02",
            now=clock.now,
        )
    assert told(database, "proposal.decided") == {World.member3}
    decided = the_notice(database, "proposal.decided")
    assert decided.message == f"Your delegation's proposal P-{pid} on {ITEM_WORDS}: not retained"
    assert decided.next_step == (
        "Read the reason given; your delegation may raise it again in the next round."
    )


def test_a_reply_and_an_answer_tell_the_comment_author(
    database: Database, world: World, clock: Clock
) -> None:
    make_round(database, clock)
    with database.transaction() as s:
        cid = comments.add(
            s, principal(s, World.member), body="Too narrow", item_code="FC-CD-01", now=clock.now
        ).id
    with database.transaction() as s:
        rid = comments.add(
            s, principal(s, World.member2), body="Agree: any device", parent_id=cid, now=clock.now
        ).id
    assert told(database, "comment.reply") == {World.member}
    reply = the_notice(database, "comment.reply")
    assert reply.message == f"Budi Hartono replied to your comment C-{cid} on {ITEM_WORDS}"
    assert reply.link == f"/comments/{cid}#comment-{rid}"
    # Replying to one's own thread tells nobody.
    with database.transaction() as s:
        comments.add(s, principal(s, World.member), body="Yes", parent_id=cid, now=clock.now)
    assert len(notes(database, "comment.reply")) == 1

    with database.transaction() as s:
        comments.answer(
            s, principal(s, World.secretariat), cid, text="Taken into Rev.2", now=clock.now
        )
    assert told(database, "comment.answer") == {World.member}
    assert the_notice(database, "comment.answer").message == (
        f"The secretariat answered your comment C-{cid} on {ITEM_WORDS}"
    )


def test_first_words_are_quoted_short() -> None:
    assert first_words("Confiscation of identity documents by the employer") == (
        '"Confiscation of identity documents by..."'
    )
    assert first_words("  Debt   bondage ") == '"Debt bondage"'
    assert first_words("x" * 200).endswith('..."') and len(first_words("x" * 200)) < 70


def test_a_disabled_person_is_not_told(database: Database, world: World, clock: Clock) -> None:
    with database.transaction() as s:
        accounts.disable_user(s, Actor.system(), email=World.observer, now=clock.now)
    make_round(database, clock)
    assert World.observer not in told(database, "round.issued")


# --- Opening a notification -------------------------------------------------------------------


def test_opening_a_notification_marks_it_read_and_shows_what_it_is_about(
    client: TestClient, database: Database, world: World, clock: Clock
) -> None:
    make_round(database, clock)
    log_in(client, World.member)
    page = client.get("/notifications").text
    (note,) = [n for e, n in notes(database, "round.issued") if e == World.member]
    assert f'<a href="/notifications/{note.id}/open">Round {SYMBOL} &#34;First' in page
    assert "Read the text and send your delegation&#39;s proposals and comments" in page
    opened = client.get(f"/notifications/{note.id}/open", follow_redirects=False)
    assert opened.status_code == 303
    assert opened.headers["location"] == "/rounds/DWG-FC/Rev.1"
    read = mine(database, World.member)
    assert read.read_at == clock.now
    # Opening it again changes nothing; another person's notification is not there for them.
    clock.advance(minutes=5)
    assert client.get(f"/notifications/{note.id}/open", follow_redirects=False).status_code == 303
    assert mine(database, World.member).read_at == read.read_at
    (other,) = [n for e, n in notes(database, "round.issued") if e == World.member2]
    assert client.get(f"/notifications/{other.id}/open").status_code == 404
    assert client.get("/notifications/999999/open").status_code == 404
    # Logged out, the link leads to the log-in page and marks nothing.
    client.cookies.clear()
    away = client.get(f"/notifications/{other.id}/open", follow_redirects=False)
    assert away.status_code == 303 and away.headers["location"].startswith("/login?next=")
    assert mine(database, World.member2).read_at is None


def test_the_api_gives_the_next_step(
    client: TestClient, database: Database, world: World, clock: Clock
) -> None:
    make_round(database, clock)
    answer = client.get(
        "/api/v1/notifications", headers=bearer(token_for(database, World.member, clock.now))
    )
    assert answer.status_code == 200
    (note,) = answer.json()
    assert note["kind"] == "round.issued"
    assert note["next_step"].startswith("Read the text and send your delegation's proposals")


# --- Mail, as each person chose -----------------------------------------------------------------


def mails_to(mail_server: MailServer, email: str) -> list[str]:
    return [m.subject for m in mail_server.to(email)]


def test_immediate_mail_goes_once_per_notification_with_both_parts_and_unsubscribe(
    database: Database,
    world: World,
    clock: Clock,
    smtp: Settings,
    mail_server: MailServer,
) -> None:
    set_mail(database, World.member, MailFrequency.IMMEDIATE)
    make_round(database, clock)
    done = run_worker(database, smtp, clock)
    assert done.mailing.immediate == 1 and done.delivery.sent == 1
    (mail,) = mail_server.to(World.member)
    (note,) = [n for e, n in notes(database, "round.issued") if e == World.member]
    assert mail.subject == f"Round {ROUND_WORDS} was issued and is open for input"
    assert mail.text.startswith("Dear Maria Santos,\n\n" + mail.subject + ".\n")
    assert "What to do: Read the text and send your delegation's proposals" in mail.text
    assert mail.link_to("/notifications/") == f"http://testserver/notifications/{note.id}/open"
    assert mail.html is not None
    assert f'href="http://testserver/notifications/{note.id}/open"' in mail.html
    assert "Your mail preference: Every message at once." in mail.text
    # RFC 8058 one-click unsubscribe, signed for this person.
    header = mail.header("List-Unsubscribe")
    assert header is not None
    match = re.fullmatch(r"<http://testserver/mail/unsubscribe/([^>]+)>", header)
    assert match
    assert unsign(smtp.secret_key, "unsubscribe", match.group(1)) == str(
        user_id(database, World.member)
    )
    assert mail.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    assert f"http://testserver/mail/unsubscribe/{match.group(1)}" in mail.links()
    # Nobody else chose immediate mail: no other mail was written (daily digests come later).
    assert len(mail_server.messages) == 1
    clock.advance(minutes=1)
    run_worker(database, smtp, clock)
    assert len(mail_server.messages) == 1


def test_a_notification_read_before_its_mail_is_not_mailed(
    database: Database, world: World, clock: Clock, smtp: Settings, mail_server: MailServer
) -> None:
    set_mail(database, World.member, MailFrequency.IMMEDIATE)
    make_round(database, clock)
    with arranged(database) as s:
        s.execute(update(Notification).values(read_at=clock.now))
    run_worker(database, smtp, clock)
    assert mail_server.messages == []
    assert mine(database, World.member).mailed_at == clock.now
    # At digest time, the others' read notifications are settled without a digest.
    clock.advance(days=1)
    run_worker(database, smtp, clock)
    assert mail_server.messages == []
    assert all(n.mailed_at is not None for _, n in notes(database))


def test_the_daily_digest_goes_at_8_in_the_persons_time_zone(
    database: Database, world: World, clock: Clock, smtp: Settings, mail_server: MailServer
) -> None:
    # Maria keeps the default (daily, the group's zone: Jakarta, UTC+7); Budi reads in Yangon.
    set_mail(database, World.member2, MailFrequency.DAILY, "Asia/Yangon")
    make_round(database, clock)  # Monday 2 March, 09:00 UTC: 16:00 in Jakarta
    clock.advance(hours=2)
    move(database, clock, "close")
    run_worker(database, smtp, clock)
    assert mail_server.messages == []  # nothing before the next 08:00

    clock.now = datetime.fromisoformat("2026-03-03T00:59:00+00:00")  # 07:59 in Jakarta
    run_worker(database, smtp, clock)
    assert mail_server.messages == []
    clock.now = datetime.fromisoformat("2026-03-03T01:00:00+00:00")  # 08:00 in Jakarta
    run_worker(database, smtp, clock)
    (maria,) = mail_server.to(World.member)
    assert maria.subject == "Your daily zerodraft digest: 2 new notifications"
    assert maria.text.index("1. Round DWG-FC/Rev.1") < maria.text.index("2. Round DWG-FC/Rev.1")
    assert f"Round {ROUND_WORDS} was issued and is open for input" in maria.text
    assert f"Round {ROUND_WORDS} closed for input" in maria.text
    assert "since 02 March 2026 16:00 (Asia/Jakarta time)" in maria.text
    assert len(maria.links()) >= 4 and maria.header("List-Unsubscribe")
    assert maria.html is not None and "Your daily zerodraft digest" in maria.html
    assert mails_to(mail_server, World.member2) == []  # 07:30 in Yangon
    clock.now = datetime.fromisoformat("2026-03-03T01:30:00+00:00")  # 08:00 in Yangon
    run_worker(database, smtp, clock)
    assert mails_to(mail_server, World.member2) == [
        "Your daily zerodraft digest: 2 new notifications"
    ]
    # One digest a day: what comes later waits for tomorrow's.
    clock.advance(hours=1)
    move(database, clock, "consult")  # tells nobody
    run_worker(database, smtp, clock)
    assert len(mail_server.to(World.member)) == 1
    with database.transaction(write=False) as s:
        last = s.scalar(select(User.last_digest_at).where(User.email == World.member))
    assert last == datetime.fromisoformat("2026-03-03T01:00:00+00:00")


def test_the_weekly_digest_goes_on_monday_morning(
    database: Database, world: World, clock: Clock, smtp: Settings, mail_server: MailServer
) -> None:
    set_mail(database, World.member3, MailFrequency.WEEKLY)
    make_round(database, clock)  # Monday 2 March, 16:00 in Jakarta
    clock.now = datetime.fromisoformat("2026-03-08T23:00:00+00:00")  # Monday 06:00 in Jakarta
    run_worker(database, smtp, clock)
    assert mails_to(mail_server, World.member3) == []
    clock.now = datetime.fromisoformat("2026-03-09T01:00:00+00:00")  # Monday 08:00
    run_worker(database, smtp, clock)
    assert mails_to(mail_server, World.member3) == [
        "Your weekly zerodraft digest: 1 new notification"
    ]


def test_no_mail_for_a_person_who_chose_none_but_account_mail_still_goes(
    database: Database, world: World, clock: Clock, smtp: Settings, mail_server: MailServer
) -> None:
    set_mail(database, World.member, MailFrequency.NONE)
    make_round(database, clock)
    with database.transaction() as s:
        enqueue(
            s,
            to=World.member,
            subject="Reset your zerodraft password",
            text="Open http://testserver/password/reset/abc",
            kind="password_reset",
            user_id=user_id(database, World.member),
            now=clock.now,
        )
    clock.advance(days=8)
    run_worker(database, smtp, clock)
    assert mails_to(mail_server, World.member) == ["Reset your zerodraft password"]
    (note,) = [n for e, n in notes(database, "round.issued") if e == World.member]
    assert note.mailed_at is not None and note.read_at is None


def test_two_workers_at_once_mail_each_notification_once(
    database: Database, world: World, clock: Clock, smtp: Settings, mail_server: MailServer
) -> None:
    set_mail(database, World.member, MailFrequency.IMMEDIATE)
    make_round(database, clock)
    for _ in range(5):
        clock.advance(minutes=1)
        move(database, clock, "close")
        move(database, clock, "reopen")
    clock.advance(days=1)  # the daily digests are due too
    go = threading.Barrier(2)
    finished: list[digest.Mailing] = []

    def one() -> None:
        db = Database(smtp.effective_database_url)
        try:
            go.wait()
            finished.append(digest.mail_notifications(db, smtp, clock.now))
        finally:
            db.dispose()

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    # Both workers finished their pass (one that failed, say on a deadlock, would leave the
    # other to do everything, and the counts below would not show it).
    assert len(finished) == 2
    with database.transaction(write=False) as s:
        written = s.execute(select(OutboxMessage.to_address, OutboxMessage.kind)).all()
        assert s.scalar(select(Notification.id).where(Notification.mailed_at.is_(None))) is None
    assert sorted(k for to, k in written if to == World.member) == ["notification"] * 11
    digests = sorted(to for to, k in written if k == "digest")
    assert digests == sorted(GROUP - {World.member, World.secretariat})
    run_worker(database, smtp, clock)
    assert len(mail_server.messages) == len(written)
    assert all(m.state is OutboxState.SENT for m in _outbox(database))


def _outbox(database: Database) -> Iterator[OutboxMessage]:
    with database.transaction(write=False) as s:
        yield from s.scalars(select(OutboxMessage)).all()
