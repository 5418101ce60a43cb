"""What every notification says, in one place: what happened (naming the item by its code and
quoting its first words), what to do next, and where to do it.

The services decide who is told (in the same transaction as the change, through
app.notifications.service.notify); this module only words it. Mail (app/mail/digest.py) sends
these same texts, so the app and the mail always say the same thing.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import (
    Comment,
    Item,
    Proposal,
    ProposalKind,
    ProposalState,
    ProposalTarget,
    Revision,
    Round,
)

QUOTED_WORDS = 5
QUOTED_CHARS = 60


@dataclass(frozen=True, slots=True)
class Notice:
    """One notification as it is written for every person told."""

    kind: str  # what happened, for filtering: "round.issued", "comment.reply" ...
    message: str  # what happened, naming the item by code and quoting its first words
    next_step: str  # what the person should do about it
    link: str  # the page to do it on: a path, the base URL is added in mail


# --- Naming things --------------------------------------------------------------------------


def first_words(text: str, words: int = QUOTED_WORDS) -> str:
    """The first words of a text in quotes, with "..." where it goes on:
    '"Confiscation of identity documents by..."'."""
    parts = text.split()
    head = " ".join(parts[:words])
    cut = len(parts) > words
    if len(head) > QUOTED_CHARS:
        head, cut = head[:QUOTED_CHARS].rsplit(" ", 1)[0] or head[:QUOTED_CHARS], True
    return f'"{head}..."' if cut else f'"{head}"'


def moment(value: datetime, zone: str) -> str:
    """A deadline as read in the round's zone and in UTC: '12 March 2026 17:00 Asia/Jakarta
    time (10:00 UTC)', with the UTC date too where it is another day."""
    local = value.astimezone(ZoneInfo(zone))
    utc = f"{value:%H:%M} UTC" if value.date() == local.date() else f"{value:%d %B %H:%M} UTC"
    return f"{local:%d %B %Y %H:%M} {zone} time ({utc})"


def item_words(session: Session, item_ids: Sequence[int]) -> list[str]:
    """'FC-DR-03 "Confiscation of identity documents by..."' for each item, in the order given:
    its code and the first words of its current text."""
    if not item_ids:
        return []
    rows = session.execute(
        select(Item.id, Item.code, Revision.text)
        .join(Revision, (Revision.item_id == Item.id) & (Revision.number == Item.version))
        .where(Item.id.in_(item_ids))
    ).all()
    named = {item_id: f"{code} {first_words(text)}" for item_id, code, text in rows}
    return [named[i] for i in item_ids if i in named]


def round_words(round_: Round) -> str:
    """'DWG-FC/Rev.1 "First revision of the indicators"'."""
    return f"{round_.symbol} {first_words(round_.title)}" if round_.title else round_.symbol


def proposal_words(session: Session, proposal: Proposal) -> str:
    """'P-12 on FC-DR-03 "Confiscation of identity documents by..."'; a new item is quoted from
    the proposed text: 'P-13, a new indicator "Recruited through social media..."'."""
    target_ids = list(
        session.scalars(
            select(ProposalTarget.item_id)
            .where(ProposalTarget.proposal_id == proposal.id)
            .order_by(ProposalTarget.position)
        )
    )
    if proposal.kind is ProposalKind.ADD:
        text = str(proposal.content.get("text") or proposal.content.get("title") or "")
        return f"{proposal.reference}, a new {proposal.item_kind} {first_words(text)}"
    named = item_words(session, target_ids)
    if not named:
        return proposal.reference
    more = f" and {len(named) - 1} more" if len(named) > 1 else ""
    return f"{proposal.reference} on {named[0]}{more}"


def comment_words(session: Session, comment: Comment) -> str:
    """'C-7 on FC-CD-01 "Passport or personal phone taken..."', or on a proposal:
    'C-8 on P-12 on FC-DR-03 "..."'."""
    if comment.item_id is not None:
        named = item_words(session, [comment.item_id])
        return f"{comment.reference} on {named[0]}" if named else comment.reference
    if comment.proposal_id is not None:
        proposal = session.get(Proposal, comment.proposal_id)
        if proposal is not None:
            return f"{comment.reference} on {proposal_words(session, proposal)}"
    return comment.reference


def round_link(round_: Round, page: str = "") -> str:
    return f"/rounds/{quote(round_.symbol, safe='/')}{page}"


def comment_link(comment: Comment) -> str:
    """The thread, with the comment in view (a reply is shown within its thread)."""
    if comment.proposal_id is not None:
        return f"/proposals/{comment.proposal_id}#comment-{comment.id}"
    return f"/comments/{comment.parent_id or comment.id}#comment-{comment.id}"


# --- Rounds ---------------------------------------------------------------------------------


def _give_input_by(round_: Round) -> str:
    if round_.deadline is None:
        return (
            "Read the text and send your delegation's proposals and comments; no deadline is set."
        )
    return (
        "Read the text and send your delegation's proposals and comments by "
        f"{moment(round_.deadline, round_.time_zone)}."
    )


def round_issued(round_: Round) -> Notice:
    return Notice(
        "round.issued",
        f"Round {round_words(round_)} was issued and is open for input",
        _give_input_by(round_),
        round_link(round_),
    )


def round_reopened(round_: Round) -> Notice:
    return Notice(
        "round.reopened",
        f"Round {round_words(round_)} is open for input again",
        _give_input_by(round_),
        round_link(round_),
    )


def round_closed(round_: Round, *, at_deadline: bool) -> Notice:
    when = " at its deadline" if at_deadline else ""
    return Notice(
        "round.closed",
        f"Round {round_words(round_)} closed for input{when}",
        "Input is no longer taken. If your delegation still has input, ask the secretariat to "
        "accept it late.",
        round_link(round_),
    )


def deadline_reminder(round_: Round, now: datetime) -> Notice:
    assert round_.deadline is not None
    hours = int(((round_.deadline - now).total_seconds() + 1800) // 3600)  # to the nearest hour
    left = f"{hours} hours" if hours > 1 else "1 hour" if hours == 1 else "Less than an hour"
    return Notice(
        "round.deadline",
        f"{left} left to give input on round {round_words(round_)}",
        "Send your delegation's proposals and comments before "
        f"{moment(round_.deadline, round_.time_zone)}; after that, input is only taken late "
        "with the secretariat's agreement.",
        round_link(round_),
    )


def silence_started(round_: Round) -> Notice:
    assert round_.silence_until is not None
    until = moment(round_.silence_until, round_.time_zone)
    return Notice(
        "round.silence",
        f"Silence procedure on round {round_words(round_)} until {until}",
        "Read the settled text. If your delegation objects, break silence on the round's page "
        f"before {until}, with a statement; if nobody does, the text is adopted.",
        round_link(round_),
    )


def silence_broken(round_: Round, delegation_code: str) -> Notice:
    return Notice(
        "round.silence_broken",
        f"{delegation_code} broke silence on round {round_words(round_)}",
        "The text goes back to consultation. Read the delegation's statement on the round's page.",
        round_link(round_),
    )


def adopted_by_silence(round_: Round) -> Notice:
    return Notice(
        "round.adopted",
        f"Round {round_words(round_)} was adopted: no delegation broke silence",
        "The text is final. Read it, or export it to Word, from the round's page.",
        round_link(round_),
    )


def awaiting_approval(round_: Round) -> Notice:
    return Notice(
        "round.awaiting_approval",
        f"Round {round_words(round_)} awaits your approval as co-chair",
        "Review the settled text and what changed since the last approved round, then approve "
        "it with the meeting's or decision's reference.",
        round_link(round_, "/approve"),
    )


def co_chairs_needed(round_: Round, bodies: Sequence[str]) -> Notice:
    missing = " or ".join(bodies)
    return Notice(
        "round.co_chairs_needed",
        f"Round {round_words(round_)} is settled but has no {missing} chair to co-chair it",
        "Name the round's co-chairs on its approval page; they are then asked to approve the text.",
        round_link(round_, "/approve"),
    )


def round_approved(round_: Round) -> Notice:
    return Notice(
        "round.approved",
        f"Round {round_words(round_)} was approved by the co-chairs",
        "The text is final. Read it, or export it to Word, from the round's page.",
        round_link(round_),
    )


# --- Proposals and comments -----------------------------------------------------------------

_AFTER_DECISION = {
    ProposalState.AGREED: "The register now carries the change; nothing more is needed.",
    ProposalState.AGREED_MODIFIED: (
        "The register now carries the text as modified; read the modifications and the reason."
    ),
    ProposalState.MERGED: "Follow the proposal it was merged into; the discussion continues there.",
    ProposalState.NOT_RETAINED: (
        "Read the reason given; your delegation may raise it again in the next round."
    ),
    ProposalState.UNDER_CONSIDERATION: ("Nothing to do yet; you will be told when it is decided."),
}


def proposal_decided(session: Session, proposal: Proposal) -> Notice:
    return Notice(
        "proposal.decided",
        f"Your delegation's proposal {proposal_words(session, proposal)}: {proposal.state.label}",
        _AFTER_DECISION.get(proposal.state, "Read the decision on the proposal's page."),
        f"/proposals/{proposal.id}",
    )


def proposal_new(session: Session, proposal: Proposal, delegation_code: str) -> Notice:
    return Notice(
        "proposal.new",
        f"{delegation_code} proposed {proposal_words(session, proposal)}",
        "Your delegation proposed on or sponsors this item: read the new proposal and "
        "co-sponsor it, state your position or comment.",
        f"/proposals/{proposal.id}",
    )


def comment_reply(session: Session, parent: Comment, reply: Comment, by: str) -> Notice:
    return Notice(
        "comment.reply",
        f"{by} replied to your comment {comment_words(session, parent)}",
        "Read the reply, and answer in the thread if something is still open.",
        comment_link(reply),
    )


def comment_answer(session: Session, comment: Comment) -> Notice:
    return Notice(
        "comment.answer",
        f"The secretariat answered your comment {comment_words(session, comment)}",
        "Read the answer; reply in the thread if it does not settle your point.",
        comment_link(comment),
    )
