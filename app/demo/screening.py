"""The demo's proposal with a screening impact (issue 21): a delegation asks for FC-EX-04
(wages withheld or absorbed by fines) to be a strong indicator for adults. Under the 2009 rule a
dimension with two medium indicators is just not met; with one of them strong it is, so the case
studies whose exploitation rests on FC-EX-04 and one other medium indicator flip to identified
(the proposal page shows which). Loaded after the case studies, through the proposals service."""

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.accounts.service import get_user_by_email, principal_for_user
from app.models import Proposal, ProposalKind

PROPOSER = "member.ph@demo.zerodraft.org"
CODE = "FC-EX-04"
RATIONALE = (
    "Wages withheld or swallowed by fines and 'debts' are reported in nearly every scam-compound "
    "case we have seen, and are how the compounds keep people working; as a medium indicator it "
    "leaves a victim unidentified when only one other medium indicator of exploitation is on "
    "file. We propose strong for adults."
)


def load(session: Session, *, now: datetime, request_id: str | None) -> Proposal:
    from app.proposals import service as proposals

    who = principal_for_user(session, get_user_by_email(session, PROPOSER))
    return proposals.create(
        session,
        who,
        kind=ProposalKind.AMEND,
        targets=[CODE],
        base_revisions=None,
        content={"strength_adult": "strong"},
        rationale=RATIONALE,
        delegation_code=None,
        submit=True,
        now=now - timedelta(minutes=30),
        request_id=request_id,
    )
