"""The demo's two rounds, played through the same services as real use.

DWG-FC/ZD is issued from the loaded register; delegations send proposals (amendments, two
alternatives on one indicator, a deletion, a new indicator), co-sponsor them, take positions
(one objection) and comment on selected words; the secretariat answers. The round is closed and
the proposals decided: some agreed, one agreed with modifications, one not retained with its
reason, one kept under consideration. DWG-FC/Rev.1 is then issued from the decided register and
is open for input until a deadline two weeks after `now` (Asia/Jakarta), with a few pending
proposals and open comments of its own. So every Word export variant has something to show.

Every step is dated, in order, between `start` and `now`.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.accounts.service import get_user_by_email, principal_for_user
from app.audit.service import Actor
from app.comments import service as comments
from app.consensus import service as consensus
from app.models import Outcome, Proposal, ProposalKind, RoundKind, Stance
from app.principal import Principal
from app.proposals import service as proposals
from app.rounds import service as rounds

ZONE = "Asia/Jakarta"
ZD = "DWG-FC/ZD"
REV1 = "DWG-FC/Rev.1"
TITLE = "ASEAN Indicators of Trafficking in Persons for Forced Criminality"
INSTRUCTIONS = (
    "Delegations are invited to send their proposals and comments through the drafting "
    "platform by the deadline. Proposals are attributed to the proposing delegation; "
    "co-sponsors may join them. Comments should quote the words they concern."
)
REQUEST_ID = "demo"
SECRETARIAT = "secretariat1@demo.zerodraft.org"
SECRETARIAT2 = "secretariat2@demo.zerodraft.org"
CHAIR = "chair.somtc@demo.zerodraft.org"


@dataclass
class _Clock:
    """Hands out increasing moments: `at(moment)` jumps forward, `tick()` steps a little."""

    now: datetime
    step: timedelta = timedelta(minutes=7)

    def at(self, moment: datetime) -> datetime:
        if moment <= self.now:
            raise ValueError(f"the demo story goes back in time at {moment.isoformat()}")
        self.now = moment.replace(microsecond=0)
        return self.now

    def tick(self) -> datetime:
        self.now += self.step
        return self.now


def _deadline(now: datetime, days: int) -> datetime:
    """17:00 in Jakarta, `days` days after `now`."""
    zone = ZoneInfo(ZONE)
    local_day = (now + timedelta(days=days)).astimezone(zone).date()
    return datetime.combine(local_day, time(17, 0), tzinfo=zone).astimezone(now.tzinfo)


def play(session: Session, *, register_done: datetime, now: datetime) -> None:
    """The two rounds, from just after `register_done` (the last register edit) until `now`."""
    people: dict[str, Principal] = {}

    def who(email: str) -> Principal:
        if email not in people:
            people[email] = principal_for_user(session, get_user_by_email(session, email))
        return people[email]

    clock = _Clock(register_done)
    sec = who(SECRETARIAT)
    sec_actor = Actor(sec.user_id, None, REQUEST_ID)
    span = now - register_done  # about four weeks
    assert span > timedelta(days=20), "the demo story needs about four weeks before now"

    def moment(fraction: float) -> datetime:
        return register_done + span * fraction

    def propose(
        email: str,
        delegation: str,
        kind: ProposalKind,
        targets: list[str],
        content: dict[str, Any],
        rationale: str,
        dimension: str | None = None,
    ) -> Proposal:
        return proposals.create(
            session,
            who(email),
            kind=kind,
            targets=targets,
            base_revisions=None,
            content=content,
            rationale=rationale,
            dimension=dimension,
            delegation_code=delegation,
            submit=True,
            now=clock.tick(),
            request_id=REQUEST_ID,
        )

    def sponsor(email: str, delegation: str, proposal: Proposal) -> None:
        proposals.sponsor(
            session,
            who(email),
            proposal.id,
            delegation_code=delegation,
            now=clock.tick(),
            request_id=REQUEST_ID,
        )

    def position(
        email: str, delegation: str, proposal: Proposal, stance: Stance, statement: str
    ) -> None:
        consensus.set_position(
            session,
            who(email),
            stance=stance,
            statement=statement,
            proposal_id=proposal.id,
            delegation_code=delegation,
            now=clock.tick(),
            request_id=REQUEST_ID,
        )

    def comment(
        email: str,
        delegation: str | None,
        code: str,
        quote: str,
        body: str,
        field_name: str = "text",
    ) -> int:
        return comments.add(
            session,
            who(email),
            body=body,
            item_code=code,
            field_name=field_name,
            quote=quote,
            delegation_code=delegation,
            now=clock.tick(),
            request_id=REQUEST_ID,
        ).id

    def reply(email: str, delegation: str | None, parent: int, body: str) -> None:
        comments.add(
            session,
            who(email),
            body=body,
            parent_id=parent,
            delegation_code=delegation,
            now=clock.tick(),
            request_id=REQUEST_ID,
        )

    def decide(
        proposal: Proposal,
        outcome: Outcome,
        reason: str,
        answer: str,
        modified: dict[str, Any] | None = None,
    ) -> None:
        proposals.decide(
            session,
            sec,
            proposal.id,
            expected_version=proposal.version,
            outcome=outcome,
            reason=reason,
            modified_content=modified,
            answer=answer,
            # Some delegations have not spoken on every proposal; the secretariat says it knows.
            acknowledged=True,
            now=clock.tick(),
            request_id=REQUEST_ID,
        )

    # --- DWG-FC/ZD: the zero draft, issued from the loaded register ---------------------------
    zd = rounds.create_round(
        session,
        sec_actor,
        symbol=ZD,
        title=TITLE,
        kind=RoundKind.WRITTEN,
        time_zone=ZONE,
        deadline=_deadline(moment(0.05), 10),
        opens_at=None,
        instructions=INSTRUCTIONS,
        observers_may_comment=False,
        now=clock.at(moment(0.03)),
    )
    rounds.issue_round(session, sec_actor, zd.id, now=clock.at(moment(0.05)))

    clock.at(moment(0.08))
    ph_docs = propose(
        "member.ph@demo.zerodraft.org",
        "PH-SOMTC",
        ProposalKind.AMEND,
        ["FC-CD-02"],
        {
            "text": "The person's passport, identity documents, personal phone or bank cards were "
            "confiscated or withheld by the operators or the recruiters."
        },
        "Operators also take bank cards to control wages, and recruiters often hold documents "
        "before departure.",
    )
    sponsor("member.th@demo.zerodraft.org", "TH-SOMTC", ph_docs)
    sponsor("member.kh@demo.zerodraft.org", "KH-AICHR", ph_docs)
    vn_docs = propose(
        "member.vn@demo.zerodraft.org",
        "VN-SOMTC",
        ProposalKind.AMEND,
        ["FC-CD-02"],
        {"text": "The person's passport or identity documents were withheld by the operators."},
        "Keep the indicator to identity documents, which is what front-line officers can check.",
    )
    position(
        "member.my@demo.zerodraft.org",
        "MY-ACMW",
        ph_docs,
        Stance.SUPPORT,
        "Bank cards are a common means of control in the cases we see.",
    )

    clock.at(moment(0.15))
    th_new = propose(
        "member.th@demo.zerodraft.org",
        "TH-SOMTC",
        ProposalKind.ADD,
        [],
        {
            "text": "The person was made to open or hand over bank accounts, SIM cards or "
            "digital wallets used for the operators' transactions.",
            "guidance": "Ask who opened the accounts and SIM cards, in whose name, and who "
            "used them.",
        },
        "Mule accounts and SIM cards are a recurring feature of scam compounds.",
        dimension="EX",
    )
    sg_delete = propose(
        "member.sg@demo.zerodraft.org",
        "SG-ASLOM",
        ProposalKind.DELETE,
        ["FC-DR-03"],
        {},
        "FC-DR-03 repeats FC-DR-01 in more general terms.",
    )
    kh_wage = propose(
        "member.kh@demo.zerodraft.org",
        "KH-AICHR",
        ProposalKind.AMEND,
        ["FC-EX-04"],
        {
            "text": "The person did not receive the promised wage, or the wage was withheld or "
            "absorbed by fines and deductions for food, housing, transport or debts."
        },
        "Withholding of wages and transport deductions are frequent.",
    )
    tl_nx = propose(
        "member.tl@demo.zerodraft.org",
        "TL-AICHR",
        ProposalKind.AMEND,
        ["FC-NX-02"],
        {
            "text": "The person had no real and acceptable alternative but to commit the offence, "
            "because of threats, violence, confinement or debt bondage."
        },
        "Align with the wording of ACTIP on the abuse of a position of vulnerability.",
    )
    position(
        "member.my@demo.zerodraft.org",
        "MY-ACMW",
        tl_nx,
        Stance.OBJECTION,
        "'Debt bondage' has a specific legal meaning in our law; we cannot accept it here.",
    )
    position("member.th.aichr@demo.zerodraft.org", "TH-AICHR", tl_nx, Stance.SUPPORT, "")

    clock.at(moment(0.22))
    ransom = comment(
        "member.ph@demo.zerodraft.org",
        "PH-SOMTC",
        "FC-CD-01",
        "ransom",
        "Should 'ransom' also cover payments demanded from the family at home?",
    )
    reply(
        "member.th@demo.zerodraft.org",
        "TH-SOMTC",
        ransom,
        "Yes: in most of our cases the family is asked to pay.",
    )
    comments.answer(
        session,
        sec,
        ransom,
        text="The guidance note will say that the ransom may be demanded from the family.",
        now=clock.tick(),
        request_id=REQUEST_ID,
    )
    comment(
        "member.mm@demo.zerodraft.org",
        "MM-SOMTC",
        "FC-CR-03",
        "unofficial crossing points",
        "Please mention river crossings, which are the usual route.",
    )

    # --- The deadline passes and the proposals are decided ---------------------------------------
    # The deadline passes: the round closes by itself, as `zerodraft rounds tick` would do.
    rounds.tick(session, clock.at(moment(0.5)), request_id=REQUEST_ID)
    rounds.consult_round(session, sec_actor, zd.id, now=clock.at(moment(0.52)))
    clock.at(moment(0.55))
    decide(
        ph_docs,
        Outcome.AGREED,
        "Agreed at the 2nd meeting",
        "Agreed: bank cards and recruiters are added.",
    )
    decide(
        vn_docs,
        Outcome.NOT_RETAINED,
        "The group preferred the wider wording of the Philippines (Alt 1)",
        "Not retained: the meeting preferred the wider wording.",
    )
    decide(
        th_new,
        Outcome.AGREED_MODIFIED,
        "Agreed with editorial changes",
        "Agreed with modifications: 'payment accounts' covers wallets.",
        modified={
            "text": "The person was made to open or hand over bank or payment accounts or SIM "
            "cards used for the operators' transactions.",
            "guidance": "Ask who opened the accounts and SIM cards, in whose name, and who "
            "used them.",
        },
    )
    decide(sg_delete, Outcome.AGREED, "Agreed: overlaps FC-DR-01", "Agreed: FC-DR-03 deleted.")
    decide(kh_wage, Outcome.AGREED, "Agreed at the 2nd meeting", "Agreed.")
    decide(
        tl_nx,
        Outcome.UNDER_CONSIDERATION,
        "Malaysia objects; to be discussed at the 3rd meeting",
        "Kept under consideration while consultations continue.",
    )

    # --- DWG-FC/Rev.1: the decided text, open for input ------------------------------------------
    rev1 = rounds.create_round(
        session,
        sec_actor,
        symbol=REV1,
        title=TITLE,
        kind=RoundKind.WRITTEN,
        time_zone=ZONE,
        deadline=_deadline(now, 14),
        opens_at=None,
        instructions=INSTRUCTIONS,
        observers_may_comment=True,
        now=clock.at(moment(0.75)),
    )
    rounds.issue_round(session, sec_actor, rev1.id, now=clock.at(moment(0.8)))

    clock.at(moment(0.85))
    ph_child = propose(
        "member.ph@demo.zerodraft.org",
        "PH-ACWC",
        ProposalKind.AMEND,
        ["FC-AV-02"],
        {
            "text": "The person was under 18 years of age when recruited, or the recruiter "
            "disregarded clear signs that the person was a child, including by using false "
            "age documents."
        },
        "False age documents are used to recruit children as adults.",
    )
    sponsor("member.kh@demo.zerodraft.org", "KH-AICHR", ph_child)
    th_wage = propose(
        "member.th.aichr@demo.zerodraft.org",
        "TH-AICHR",
        ProposalKind.AMEND,
        ["FC-EX-04"],
        {
            "text": "The person did not receive the promised wage, or the wage was withheld, "
            "reduced or absorbed by fines and deductions for food, housing, transport or debts."
        },
        "Add reductions of the wage.",
    )
    la_wage = propose(
        "member.la@demo.zerodraft.org",
        "LA-SOMSWD",
        ProposalKind.AMEND,
        ["FC-EX-04"],
        {
            "text": "The person was not paid as promised, or their pay was taken through fines "
            "and deductions."
        },
        "Simpler wording for front-line officers.",
    )
    position(
        "member.bn@demo.zerodraft.org",
        "BN-DGICM",
        la_wage,
        Stance.RESERVATION,
        "We prefer to keep the list of deductions.",
    )
    position("member.sg@demo.zerodraft.org", "SG-ASLOM", th_wage, Stance.SUPPORT, "")

    clock.at(moment(0.9))
    cards = comment(
        "member.vn@demo.zerodraft.org",
        "VN-SOMTC",
        "FC-CD-02",
        "bank cards",
        "Do 'bank cards' include cards of e-wallets?",
    )
    reply(
        SECRETARIAT2,
        None,
        cards,
        "The secretariat reads them as included; delegations may propose wording.",
    )
    comments.answer(
        session,
        sec,
        cards,
        text="Included; see the new indicator on payment accounts.",
        now=clock.tick(),
        request_id=REQUEST_ID,
    )
    comment(
        "member.mm@demo.zerodraft.org",
        "MM-SOMTC",
        "FC-NX-01",
        "compelled",
        "Could 'compelled' be read as requiring physical force?",
    )
    # Delegations write in their own languages too, and a new indicator can say nearly what
    # one already says (search finds the first by any spelling; the second is flagged as a
    # possible duplicate of FC-CD-02).
    comment(
        "member.vn@demo.zerodraft.org",
        "VN-SOMTC",
        "FC-CD-02",
        "passport",
        "Đề nghị làm rõ: “hộ chiếu” có bao gồm giấy tờ tùy thân do người môi giới giữ lại "
        "trước khi xuất cảnh không? Nhiều người lao động Việt Nam bị thu hộ chiếu ngay tại sân "
        "bay.",
    )
    comment(
        "member.th@demo.zerodraft.org",
        "TH-SOMTC",
        "FC-CD-01",
        "guarded compound",
        "ผู้เสียหายชาวไทยหลายรายถูกกักตัวในอาคารที่มีผู้คุมติดอาวุธ และต้องจ่ายค่าไถ่จึงจะได้รับการปล่อยตัว",
    )
    propose(
        "member.kh@demo.zerodraft.org",
        "KH-AICHR",
        ProposalKind.ADD,
        [],
        {
            "text": "The person's passport, identity documents or mobile phone were confiscated "
            "or kept by the operators or recruiters."
        },
        "Taking documents and phones is how the compounds keep people from leaving.",
        dimension="CD",
    )
    if clock.now >= now:
        raise ValueError("the demo story ran past now")
