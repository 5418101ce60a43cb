"""The comment-response table: every input of a round, who sent it, the secretariat's answer and
what became of it, so that delegations can check their input was handled.

The table issued with the round (Word, CSV, API) carries each input whole: a delegation reads
there what it sent. Only the web list shortens it, after a whole word, with a link to it."""

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.comments.service import can_see
from app.models import Comment, Delegation, Item, Proposal, ProposalState, ProposalTarget, User
from app.principal import Principal
from app.text.shorten import shorten as text_shorten

SUMMARY_CHARS = 240  # the web list's summaries, at most


@dataclass(frozen=True, slots=True)
class ResponseRow:
    reference: str
    kind: str
    delegation: str
    author: str
    item: str
    summary: str
    answer: str
    outcome: str
    late: bool
    submitted_at: datetime
    link: str


def shorten(text: str, size: int = SUMMARY_CHARS) -> str:
    """A summary as the table shows it: on one line, cut after a whole word (app/text)."""
    return text_shorten(text, size)


def _quoted(words: str) -> str:
    """Words quoted as the compilation quotes a statement: in curly quotes."""
    return f"\u201c{words}\u201d"


def summary(p: Proposal) -> str:
    """What a proposal asks, as the table lists it: its kind, its words in curly quotes and its
    rationale after an en dash ('Amend: “...” \u2013 Clearer.'), whole. The Word table's rows of
    proposals carried over from earlier rounds say it the same way (app/rounds/export_loader)."""
    rationale = p.rationale.strip()
    if p.kind.value == "delete":
        return "Delete" + (f" \u2013 {rationale}" if rationale else "")
    text = str(p.content.get("text") or p.content.get("title") or "").strip()
    changed = ", ".join(sorted(p.content)) or "-"
    head = _quoted(text) if text else f"Changes {changed}"
    return f"{p.kind.value.capitalize()}: {head}" + (f" \u2013 {rationale}" if rationale else "")


def table(
    session: Session,
    principal: Principal,
    *,
    round_id: int | None,
    summary_chars: int | None = None,
) -> list[ResponseRow]:
    """The round's inputs (`round_id` None: those made while no round was open), each summary
    whole, or shortened to `summary_chars` after a whole word (the web list)."""

    def cut(text: str) -> str:
        return shorten(text, summary_chars) if summary_chars else text.strip()

    codes = dict(session.execute(select(Delegation.id, Delegation.code)).all())
    names = dict(session.execute(select(User.id, User.name)).all())
    item_codes = dict(session.execute(select(Item.id, Item.code)).all())
    targets: dict[int, list[str]] = {}
    for pid, item_id in session.execute(
        select(ProposalTarget.proposal_id, ProposalTarget.item_id).order_by(
            ProposalTarget.proposal_id, ProposalTarget.position
        )
    ):
        targets.setdefault(pid, []).append(item_codes[item_id])
    proposals = session.scalars(
        select(Proposal)
        .where(
            Proposal.submitted_at.is_not(None),
            Proposal.round_id.is_(round_id) if round_id is None else Proposal.round_id == round_id,
        )
        .order_by(Proposal.submitted_at, Proposal.id)
    ).all()
    rows = [
        ResponseRow(
            reference=p.reference,
            kind="proposal",
            delegation=codes[p.delegation_id],
            author=names.get(p.author_id, ""),
            item=", ".join(targets.get(p.id, [])) or f"new {p.item_kind}",
            summary=cut(summary(p)),
            answer=p.answer,
            outcome=p.state.label if p.state is not ProposalState.SUBMITTED else "pending",
            late=p.late,
            submitted_at=p.submitted_at or p.created_at,
            link=f"/proposals/{p.id}",
        )
        for p in proposals
    ]
    comments = session.scalars(
        select(Comment)
        .where(
            Comment.parent_id.is_(None),
            Comment.withdrawn_at.is_(None),
            Comment.round_id.is_(round_id) if round_id is None else Comment.round_id == round_id,
        )
        .order_by(Comment.created_at, Comment.id)
    ).all()
    own = {d.id for d in principal.delegations}
    # Comments on another delegation's private draft stay with that delegation.
    hidden_drafts = set(
        session.scalars(
            select(Proposal.id).where(
                Proposal.submitted_at.is_(None), Proposal.delegation_id.not_in(own)
            )
        )
    )
    for c in comments:
        if not can_see(c, principal) or c.proposal_id in hidden_drafts:
            continue
        where = item_codes.get(c.item_id or 0) or (f"P-{c.proposal_id}" if c.proposal_id else "")
        quote = f"On {_quoted(cut(c.quote))}: " if c.quote else ""
        rows.append(
            ResponseRow(
                reference=c.reference,
                kind=f"comment ({c.kind.value})",
                delegation=codes.get(c.delegation_id or 0, "-"),
                author=c.writer(names.get(c.author_id, "")),
                item=where,
                summary=cut(quote + c.body),
                answer=c.answer,
                outcome="resolved" if c.resolved_at else ("answered" if c.answer else "open"),
                late=c.late,
                submitted_at=c.created_at,
                link=f"/comments/{c.id}",
            )
        )
    return sorted(rows, key=lambda r: (r.submitted_at, r.kind != "proposal", int(r.reference[2:])))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "|", "%")


def spreadsheet_safe(value: str) -> str:
    """A cell a spreadsheet will never run as a formula (OWASP CSV injection)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def to_csv(rows: list[ResponseRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(
        [
            "No.",
            "Input",
            "Type",
            "Delegation",
            "Author",
            "Item",
            "Summary",
            "Answer",
            "Outcome",
            "Late",
            "Received (UTC)",
        ]
    )
    for n, r in enumerate(rows, 1):
        writer.writerow(
            [str(n)]
            + [
                spreadsheet_safe(v)
                for v in (
                    r.reference,
                    r.kind,
                    r.delegation,
                    r.author,
                    r.item,
                    r.summary,
                    r.answer,
                    r.outcome,
                )
            ]
            + ["yes" if r.late else "no", r.submitted_at.strftime("%Y-%m-%d %H:%M")]
        )
    return out.getvalue()
