"""Load what a Word export of a round shows: a round, read from the database, as the plain
ExportDocument of app/word/model.py (app/word itself reads no database and calls no service).

Every variant is built from the round's frozen snapshot (app/rounds/snapshot.py). A redline is
the clean text of an earlier round and of this one merged by app/word/changes.py, each changed
word attributed through the revision chain of its item: the revisions between the two rounds
are diffed one after the other, and a word carries the author of the revision that inserted or
deleted it: the delegation whose agreed proposal made the revision ("Philippines - SOMTC"), or
the ASEAN Secretariat for its own edits; dated when the revision was made. Renumbering and
negotiation states are the secretariat's, dated when the round was issued.

Only what is circulated to the whole group is exported: comments seen by everyone (not those
kept to the chairs or to one delegation), submitted proposals (never private drafts).

What an earlier round left open is carried into the next: a proposal made in a round this one
follows (or before any round) and still pending, on an item of this round or proposing a new
one, is shown with this round's proposals and in its comment-response table; so is an open
comment thread of an earlier round on an item of this round.

Queries are bounded whatever the size of the draft: a fixed number per variant.
"""

from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, String, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from app import signing
from app.consensus import service as consensus
from app.errors import Conflict
from app.models import (
    Approval,
    AuditEvent,
    Body,
    Comment,
    Delegation,
    Dimension,
    DraftingState,
    Item,
    ItemKind,
    MemberState,
    Proposal,
    ProposalKind,
    ProposalState,
    ProposalTarget,
    Revision,
    Role,
    Round,
    RoundItem,
    RoundKind,
    RoundState,
    Sponsorship,
    Stance,
    User,
    Visibility,
)
from app.principal import Principal
from app.proposals import service as proposals_service
from app.register.service import FIELD_LABELS
from app.responses import service as responses_service
from app.rounds import snapshot
from app.rounds.snapshot import DELETED, Entry
from app.word.changes import Step, attributed_runs, redline_between
from app.word.model import (
    SECRETARIAT,
    ExportApproval,
    ExportComment,
    ExportDimension,
    ExportDocument,
    ExportIndicator,
    ExportPosition,
    ExportProposal,
    ExportResponseRow,
    ExportRound,
    ExportSection,
    ExportStanding,
    ProposedField,
    Run,
    Runs,
    Variant,
    plain,
)

ROUND_KINDS = {
    RoundKind.WRITTEN: "written comments",
    RoundKind.NEGOTIATION: "negotiation",
    RoundKind.SILENCE: "silence procedure",
}
LIST_FIELDS = ("profiles", "crime_types", "intended_users")
INDICATOR_FIELDS = (
    "text",
    "element",
    "strength_adult",
    "strength_child",
    "profiles",
    "crime_types",
    "intended_users",
    "guidance",
    "information_sources",
    "references",
)
PENDING = (ProposalState.SUBMITTED, ProposalState.UNDER_CONSIDERATION)
# The order a compilation lists the positions on an item's text in: furthest from agreeing last.
STANCE_ORDER = (Stance.SUPPORT, Stance.AD_REFERENDUM, Stance.RESERVATION, Stance.OBJECTION)
# What the HMAC of an export's marks is for (app/signing.py): a value signed for another use
# (an unsubscribe link) never passes for one.
EXPORT_MARKS = "word-export-marks"
# Who reads a circulated document: the whole group, nobody in particular.
_CIRCULATION = Principal(user_id=0, email="", name="circulation", role=Role.OBSERVER)


def signer(secret_key: str) -> Callable[[str], str]:
    """The function that signs an export's marks (app/word/marks.py, signed_text)."""

    def sign(text: str) -> str:
        return signing.mac(secret_key, EXPORT_MARKS, text)

    return sign


def signed_by(secret_key: str, text: str, signature: str) -> bool:
    """Whether `signature` is this platform's over an export's marks."""
    return signing.equal(signature, signing.mac(secret_key, EXPORT_MARKS, text))


def shown(value: Any) -> str:
    """A content value as the export shows it."""
    value = getattr(value, "value", value)
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(getattr(v, "value", v)).replace("_", " ") for v in value)
    return str(value)


def state_label(item_state: str) -> str:
    """The tag an item's negotiation state shows; an open item shows none."""
    if item_state in ("", DraftingState.OPEN.value):
        return ""
    if item_state == DELETED:
        return DELETED
    try:
        return DraftingState(item_state).label
    except ValueError:
        return item_state.replace("_", " ")


@dataclass(frozen=True, slots=True)
class Names:
    """Every delegation's name as Word shows it ("Philippines - SOMTC"), by id and by code."""

    by_id: dict[int, str]
    by_code: dict[str, str]

    @classmethod
    def load(cls, session: Session) -> "Names":
        rows = session.execute(
            select(Delegation.id, Delegation.code, Delegation.name_column())
            .join(MemberState, MemberState.id == Delegation.state_id)
            .join(Body, Body.id == Delegation.body_id)
        ).all()
        return cls({did: name for did, _, name in rows}, {code: name for _, code, name in rows})


def previous_round(session: Session, round_: Round) -> Round | None:
    if round_.previous_round_id is None:
        return None
    return session.get(Round, round_.previous_round_id)


def load(
    session: Session,
    round_: Round,
    variant: Variant,
    *,
    working_group: str,
    base: Round | None = None,
    include_comments: bool = False,
    sign: Callable[[str], str] | None = None,
) -> ExportDocument:
    """The ExportDocument of one variant of a round. A redline is against `base`, by default
    the round this one follows; `sign` signs its marks (app/rounds/export.py, signer)."""
    names = Names.load(session)
    dimensions = {
        d.code: ExportDimension(d.code, d.title, d.description, d.position)
        for d in session.scalars(select(Dimension))
    }
    entries = _entries(session, round_)
    document = _clean(session, round_, entries, dimensions, working_group)
    if variant == "redline":
        base = base or previous_round(session, round_)
        if base is None:
            raise Conflict(
                f"{round_.symbol} follows no earlier round; name the round to compare it with",
                field="base",
            )
        if base.id == round_.id:
            raise Conflict("a redline compares two different rounds", field="base")
        base_entries = _entries(session, base)
        old = _clean(session, base, base_entries, dimensions, working_group)
        attribution = _ChainAttribution.load(session, base_entries, entries, names, round_)
        document = redline_between(old, document, attribution)
    lineage = _Lineage.load(session, round_)
    pending: Sequence[proposals_service.ProposalView] = ()
    if variant in ("compilation", "responses") or include_comments:
        pending = _pending(session, lineage)
    proposals: tuple[ExportProposal, ...] = ()
    if variant == "compilation" or include_comments:
        proposals = _proposals(session, pending, names, lineage, entries)
    standing: tuple[ExportStanding, ...] = ()
    if variant == "compilation":
        standing = _standing(session, entries, {p.reference for p in proposals})
    comments: tuple[ExportComment, ...] = ()
    if include_comments:
        shown = {p.reference for p in proposals}
        comments = _comments(session, lineage, entries, names, shown)
    responses: tuple[ExportResponseRow, ...] = ()
    if variant == "responses":
        responses = _responses(session, round_, names, pending, lineage)
    circulated = document.round
    if variant in ("compilation", "responses") or include_comments:
        # The approved text is frozen; what these copies add to it is not: they say from when.
        circulated = replace(
            circulated,
            changed_after_approval=changed_after_approval(
                session, round_, positions_on_items=variant == "compilation"
            ),
        )
    return ExportDocument(
        round=circulated,
        sections=document.sections,
        indicators=document.indicators,
        proposals=proposals,
        standing=standing,
        comments=comments,
        responses=responses,
        base_label=document.base_label,
        sign=sign,
    )


def changed_after_approval(
    session: Session, round_: Round, *, positions_on_items: bool = False
) -> datetime | None:
    """When the submitted proposals of an approved round (their decisions, answers, positions,
    sponsors) or its comments seen by everyone last changed after the approval; None when
    nothing changed since, or the round is not approved. With `positions_on_items` (a
    compilation shows them), the positions taken on its items' text as it stands count too.

    Read from the audit trail, which records every such change with its time, even those that
    leave no time on the row (a proposal withdrawn, a comment reopened), so the same data
    always gives the same date, and the same bytes."""
    if round_.state is not RoundState.APPROVED or round_.approved_at is None:
        return None
    lineage = _Lineage.load(session, round_)
    # The proposals carried over from earlier rounds count whatever their state now: one
    # decided after the approval has left the copies, which changed with it.
    shown = select(Proposal.id).where(Proposal.submitted_at.is_not(None), lineage.proposals())
    proposals = select(cast(Proposal.id, String)).where(Proposal.id.in_(shown))
    comments = select(cast(Comment.id, String)).where(
        or_(
            Comment.round_id == round_.id,
            and_(
                lineage.earlier(Comment.round_id, Comment.created_at),
                or_(Comment.item_id.in_(lineage.items()), Comment.proposal_id.in_(shown)),
            ),
        ),
        Comment.visibility == Visibility.GROUP,
        or_(
            Comment.proposal_id.is_(None),
            Comment.proposal_id.in_(select(Proposal.id).where(Proposal.submitted_at.is_not(None))),
        ),
    )
    changed = [
        and_(AuditEvent.object_type == "proposal", AuditEvent.object_id.in_(proposals)),
        and_(AuditEvent.object_type == "comment", AuditEvent.object_id.in_(comments)),
    ]
    if positions_on_items:
        # A position on an item's text as it stands is recorded against the item's code.
        codes = select(Item.code).where(Item.id.in_(lineage.items()))
        changed.append(
            and_(
                AuditEvent.object_type == "item",
                AuditEvent.action == "position.set",
                AuditEvent.object_id.in_(codes),
            )
        )
    return session.scalar(
        select(func.max(AuditEvent.occurred_at)).where(
            AuditEvent.occurred_at > round_.approved_at, or_(*changed)
        )
    )


def _entries(session: Session, round_: Round) -> list[Entry]:
    entries = snapshot.load(session, round_.id)
    if not entries and round_.state is RoundState.PREPARING:
        raise Conflict(
            f"{round_.symbol} is in preparation: its text is frozen when it is issued, and can "
            "be exported from then on"
        )
    return entries


def _round_number(session: Session, round_: Round) -> int:
    previous = dict(session.execute(select(Round.id, Round.previous_round_id)).all())
    n, at, seen = 1, previous.get(round_.id), {round_.id}
    while at is not None and at not in seen:
        seen.add(at)
        n += 1
        at = previous.get(at)
    return n


def _export_round(session: Session, round_: Round, working_group: str) -> ExportRound:
    approvals: tuple[ExportApproval, ...] = ()
    if round_.state is RoundState.APPROVED:
        approvals = tuple(
            ExportApproval(name, reference, created_at)
            for name, reference, created_at in session.execute(
                select(User.name, Approval.reference, Approval.created_at)
                .join(User, User.id == Approval.user_id)
                .where(Approval.round_id == round_.id)
                .order_by(Approval.created_at, Approval.id)
            )
        )
    return ExportRound(
        working_group=working_group,
        symbol=round_.symbol,
        title=round_.title,
        round_label=f"Round {_round_number(session, round_)} - {ROUND_KINDS[round_.kind]}",
        date=round_.issued_at or round_.created_at,
        status=round_.state.label,
        marking=round_.marking,
        deadline=round_.deadline,
        time_zone=round_.time_zone,
        instructions=round_.instructions,
        content_hash=round_.content_hash if round_.state is RoundState.APPROVED else None,
        approvals=approvals,
        round_id=round_.id,
        approved_at=round_.approved_at if round_.state is RoundState.APPROVED else None,
    )


def _display(entry: Entry) -> dict[str, str]:
    """The fields of an entry as shown; an item deleted in the round shows only its heading."""
    content = entry.content
    if entry.item_state == DELETED:
        return {}
    return {name: shown(content.get(name)) for name in (*INDICATOR_FIELDS, "title")}


def _clean(
    session: Session,
    round_: Round,
    entries: Sequence[Entry],
    dimensions: dict[str, ExportDimension],
    working_group: str,
) -> ExportDocument:
    sections: list[ExportSection] = []
    indicators: list[ExportIndicator] = []
    unknown = ExportDimension("-", "Other indicators", "", 10**6)
    for e in entries:
        fields = _display(e)
        number = plain(str(e.number) if e.number is not None else "")
        state = plain(state_label(e.item_state))
        if e.kind is ItemKind.SECTION:
            sections.append(
                ExportSection(
                    code=e.code,
                    number=number,
                    # A deleted section keeps its title, so that readers see what went.
                    title=plain(fields.get("title") or shown(e.content.get("title"))),
                    text=plain(fields.get("text")),
                    item_state=state,
                )
            )
            continue
        dimension = dimensions.get(e.content.get("dimension") or "", unknown)
        content: dict[str, Any] = {name: plain(fields.get(name)) for name in INDICATOR_FIELDS}
        indicators.append(
            ExportIndicator(
                code=e.code, number=number, dimension=dimension, item_state=state, **content
            )
        )
    return ExportDocument(
        round=_export_round(session, round_, working_group),
        sections=tuple(sections),
        indicators=tuple(indicators),
    )


@dataclass(frozen=True, slots=True)
class _Made:
    """One revision's display fields and who made it."""

    fields: dict[str, str]
    author: str
    date: datetime


@dataclass(frozen=True, slots=True)
class _ChainAttribution:
    """Attribution of changes through each item's revisions from the base round's to this
    round's."""

    chains: dict[str, list[_Made]]  # code -> revisions after the base one, oldest first
    created: dict[str, _Made]  # code -> the item's first revision
    round_date: datetime

    @classmethod
    def load(
        cls,
        session: Session,
        base: Sequence[Entry],
        new: Sequence[Entry],
        names: Names,
        round_: Round,
    ) -> "_ChainAttribution":
        base_rev = {e.item_id: e.revision for e in base}
        new_rev = {e.item_id: e.revision for e in new}
        codes = {e.item_id: e.code for e in (*base, *new)}
        ids = set(codes)
        chains: dict[str, list[_Made]] = defaultdict(list)
        created: dict[str, _Made] = {}
        rows: Sequence[Revision] = []
        if ids:
            rows = session.scalars(
                select(Revision)
                .where(Revision.item_id.in_(ids))
                .order_by(Revision.item_id, Revision.number)
            ).all()
        for rev in rows:
            made = _Made(_revision_fields(rev), _author(rev, names), rev.created_at)
            code = codes[rev.item_id]
            if rev.number == 1:
                created[code] = made
            low = base_rev.get(rev.item_id, 0)
            high = new_rev.get(rev.item_id, rev.number)
            if low < rev.number <= high:
                chains[code].append(made)
        return cls(dict(chains), created, round_.issued_at or round_.created_at)

    def field(self, code: str, name: str, old: str, new: str) -> Runs:
        if old == new:
            return plain(new)
        if name in ("number", "item_state"):  # the secretariat's, when it issued the round
            return attributed_runs(old, [Step(new, SECRETARIAT, self.round_date)])
        chain = self.chains.get(code, [])
        steps = [Step(m.fields.get(name, ""), m.author, m.date) for m in chain]
        if not steps or steps[-1].text != new:
            # What the round shows differs from the last revision (an item deleted in the
            # round shows no text): that change is the last revision's.
            author, date = (
                (chain[-1].author, chain[-1].date)
                if chain
                else (
                    SECRETARIAT,
                    self.round_date,
                )
            )
            steps.append(Step(new, author, date))
        return attributed_runs(old, steps)

    def item(self, code: str, op: Literal["insert", "delete"]) -> tuple[str, datetime]:
        chain = self.chains.get(code, [])
        if op == "insert":
            made = self.created.get(code) if not chain else chain[0]
        else:
            made = chain[-1] if chain else None
        if made is None:
            return SECRETARIAT, self.round_date
        return made.author, made.date


def _revision_fields(rev: Revision) -> dict[str, str]:
    content = rev.content()
    return {name: shown(content.get(name)) for name in (*INDICATOR_FIELDS, "title")}


def _author(rev: Revision, names: Names) -> str:
    if rev.proposal_id is not None and rev.delegation_id is not None:
        return names.by_id.get(rev.delegation_id, SECRETARIAT)
    return SECRETARIAT


def _runs(chunks: Sequence[Any]) -> Runs:
    return tuple(Run(c.text, c.op) for c in chunks)


@dataclass(frozen=True, slots=True)
class _Lineage:
    """A round and the rounds it follows, whose pending input it carries."""

    round_id: int
    date: datetime  # input made while no round was open, before this, is earlier input too
    symbols: dict[int, str]  # the rounds this one follows, by id

    @classmethod
    def load(cls, session: Session, round_: Round) -> "_Lineage":
        rounds = {
            rid: (previous, symbol)
            for rid, previous, symbol in session.execute(
                select(Round.id, Round.previous_round_id, Round.symbol)
            )
        }
        symbols: dict[int, str] = {}
        at = round_.previous_round_id
        while at is not None and at in rounds and at not in symbols and at != round_.id:
            symbols[at] = rounds[at][1]
            at = rounds[at][0]
        return cls(round_.id, round_.issued_at or round_.created_at, symbols)

    def earlier(self, round_id: Any, created_at: Any) -> ColumnElement[bool]:
        """Input made in a round this one follows, or before any round."""
        return or_(
            round_id.in_(list(self.symbols)), and_(round_id.is_(None), created_at <= self.date)
        )

    def items(self) -> Any:
        """The ids of the round's items."""
        return select(RoundItem.item_id).where(RoundItem.round_id == self.round_id)

    def proposals(self) -> ColumnElement[bool]:
        """Proposals made in the round, and those made earlier on one of its items or proposing
        a new one (whatever their state)."""
        on_items = select(ProposalTarget.proposal_id).where(
            ProposalTarget.item_id.in_(self.items())
        )
        return or_(
            Proposal.round_id == self.round_id,
            and_(
                self.earlier(Proposal.round_id, Proposal.created_at),
                or_(Proposal.kind == ProposalKind.ADD, Proposal.id.in_(on_items)),
            ),
        )

    def made_in(self, proposal: Proposal) -> str:
        """The earlier round a proposal was carried over from; "" when made in this one."""
        if proposal.round_id == self.round_id:
            return ""
        if proposal.round_id is None:
            return "before the first round"
        return self.symbols.get(proposal.round_id, "an earlier round")


def _pending(session: Session, lineage: _Lineage) -> list[proposals_service.ProposalView]:
    pending = session.scalars(
        select(Proposal)
        .where(
            Proposal.state.in_(PENDING),
            Proposal.submitted_at.is_not(None),
            lineage.proposals(),
        )
        .order_by(Proposal.id)
    ).all()
    return proposals_service.views(session, pending)


def _proposals(
    session: Session,
    views: Sequence[proposals_service.ProposalView],
    names: Names,
    lineage: _Lineage,
    entries: Sequence[Entry],
) -> tuple[ExportProposal, ...]:
    """The pending proposals as the compilation shows them. `entries` (the round's text) say
    which items a new one can be shown after: those the round shows, of its kind and
    dimension."""
    dimension_of = {e.code: (e.kind, e.content.get("dimension")) for e in entries}
    pending = [v.proposal for v in views]
    by_code = names.by_code
    # The one reader of positions (app/consensus/service.py): those on each proposal's text.
    positions = {
        pid: [
            ExportPosition(
                by_code.get(x.delegation_code, x.delegation_code), x.label, x.statement or ""
            )
            for x in views_
            if x.stance is not None
        ]
        for pid, views_ in consensus.positions_on_proposals(
            session, [p.id for p in pending]
        ).items()
    }
    competing: dict[str, list[int]] = defaultdict(list)
    for v in views:
        if v.proposal.kind in (ProposalKind.AMEND, ProposalKind.MERGE) and v.targets:
            competing[v.targets[0].code].append(v.proposal.id)
    out = []
    for v in views:
        p = v.proposal
        follows = False
        if p.kind is ProposalKind.ADD:
            # Where the delegation put it: after an item this round shows (of its dimension),
            # else at the end of its dimension.
            follows = v.after is not None and dimension_of.get(v.after) == (
                ItemKind(p.item_kind),
                p.dimension_code if p.item_kind == ItemKind.INDICATOR.value else None,
            )
            target = (v.after if follows else None) or v.split_from or p.dimension_code or ""
        else:
            target = v.targets[0].code if v.targets else ""
        rivals = competing.get(target, [])
        alternative = rivals.index(p.id) + 1 if len(rivals) > 1 and p.id in rivals else None
        fields = tuple(
            ProposedField(name, FIELD_LABELS.get(name, name), _runs(chunks))
            for name, chunks in v.field_diffs()
            if name not in ("status", "dimension_id")
        )
        kind = {ProposalKind.DELETE: "delete the item"}.get(p.kind, p.kind.value)
        if p.kind is ProposalKind.MERGE:
            kind = "merge " + " and ".join(t.code for t in v.targets)
        out.append(
            ExportProposal(
                reference=p.reference,
                target=target,
                delegation=v.delegation_name,
                co_sponsors=tuple(by_code.get(code, code) for code in v.sponsors),
                kind=kind,
                state=p.state.label,
                fields=fields,
                rationale=p.rationale,
                alternative=alternative,
                positions=tuple(positions.get(p.id, [])),
                carried_from=lineage.made_in(p),
                follows=follows,
            )
        )
    return tuple(out)


def _standing(
    session: Session, entries: Sequence[Entry], shown: Collection[str]
) -> tuple[ExportStanding, ...]:
    """Where the delegations stand on the text of each item the round shows, as it stands (an
    item deleted in the round has none), read for all of them in one call of the one reader of
    positions (app/consensus/service.py standing_on_items). A position on a proposal this copy
    does not show (one of a later round) is counted without naming the proposal."""
    shown_items = [e for e in entries if e.item_state != DELETED]
    views = consensus.standing_on_items(session, [e.item_id for e in shown_items])
    out = []
    for e in shown_items:
        here = views.get(e.item_id, [])
        on_text = sorted(
            (v for v in here if v.stance is not None and v.proposal_id is None),
            key=lambda v: (STANCE_ORDER.index(v.stance or Stance.SUPPORT), v.delegation_code),
        )
        on_proposals = [v for v in here if v.stance is not None and v.proposal_id is not None]
        out.append(
            ExportStanding(
                target=e.code,
                positions=tuple(_position(v) for v in on_text),
                on_proposals=tuple(_position(v, shown) for v in on_proposals),
                pending=sum(1 for v in here if v.stance is None),
            )
        )
    return tuple(out)


def _position(v: consensus.PositionView, shown: Collection[str] = ()) -> ExportPosition:
    return ExportPosition(
        delegation=v.delegation_code,
        stance=v.label,  # "support (proposer)": its own proposal's text
        statement=v.statement or "",
        about=v.about if v.proposal_id is not None and v.about in shown else "",
    )


def _comments(
    session: Session,
    lineage: _Lineage,
    entries: Sequence[Entry],
    names: Names,
    proposals_shown: Collection[str],
) -> tuple[ExportComment, ...]:
    codes = {e.item_id: e.code for e in entries}
    rows = session.execute(
        select(Comment, User.name, User.role)
        .join(User, User.id == Comment.author_id)
        .where(
            or_(
                Comment.round_id == lineage.round_id,
                lineage.earlier(Comment.round_id, Comment.created_at),
            ),
            Comment.parent_id.is_(None),
            Comment.visibility == Visibility.GROUP,
            # Comments on a delegation's private draft stay with that delegation.
            or_(
                Comment.proposal_id.is_(None),
                Comment.proposal_id.in_(
                    select(Proposal.id).where(Proposal.submitted_at.is_not(None))
                ),
            ),
            Comment.resolved_at.is_(None),
            Comment.withdrawn_at.is_(None),
        )
        .order_by(Comment.created_at, Comment.id)
    ).all()
    # Threads of earlier rounds come along on what this round shows: its items, and the
    # proposals carried over.
    roots = [
        (c, name, role)
        for c, name, role in rows
        if c.item_id in codes
        or (c.round_id == lineage.round_id and c.proposal_id is not None)
        or f"P-{c.proposal_id}" in proposals_shown
    ]
    replies: dict[int, list[ExportComment]] = defaultdict(list)
    if roots:
        for c, name, role in session.execute(
            select(Comment, User.name, User.role)
            .join(User, User.id == Comment.author_id)
            .where(
                Comment.parent_id.in_([c.id for c, _, _ in roots]),
                Comment.withdrawn_at.is_(None),
            )
            .order_by(Comment.created_at, Comment.id)
        ):
            replies[c.parent_id or 0].append(_comment(c, name, role, names, ""))
    out = []
    for c, name, role in roots:
        target = codes.get(c.item_id or 0, f"P-{c.proposal_id}")
        out.append(_comment(c, name, role, names, target, tuple(replies.get(c.id, []))))
    return tuple(out)


def _comment(
    c: Comment,
    author: str,
    role: Role,
    names: Names,
    target: str,
    replies: tuple[ExportComment, ...] = (),
) -> ExportComment:
    who = names.by_id.get(c.delegation_id) if c.delegation_id is not None else None
    if who is None:
        # Who speaks for no delegation: the secretariat, or a chair or observer as such.
        who = SECRETARIAT if role in (Role.SECRETARIAT, Role.ADMIN) else role.label
    # "Ana Reyes (Philippines - SOMTC)"; a Word author that is only the delegation's own name,
    # as a shared copy's user name often is, once: "Philippines - SOMTC".
    byline = c.byline(author, who, next((k for k, v in names.by_code.items() if v == who), None))
    # Initials of the name shown before any "(Delegation)", letters only: "AR", "PS", not "P(".
    shown = byline.split(" (", 1)[0]
    words = [w for w in shown.replace("-", " ").split() if w[0].isalpha()]
    initials = "".join(w[0] for w in words[:3]).upper() or "?"
    quote = None if c.outdated else c.quote
    return ExportComment(
        reference=c.reference,
        author=byline,
        initials=initials,
        date=c.created_at,
        body=c.body,
        target=target,
        field=c.field,
        quote=quote,
        start=c.anchor_start if quote else None,
        end=c.anchor_end if quote else None,
        replies=replies,
        resolved=c.resolved_at is not None,
    )


def _responses(
    session: Session,
    round_: Round,
    names: Names,
    pending: Sequence[proposals_service.ProposalView],
    lineage: _Lineage,
) -> tuple[ExportResponseRow, ...]:
    """Every input of the round, after the proposals of earlier rounds still pending on it
    (received before it), numbered as listed; a proposal's co-sponsors with its delegation."""
    by_code = names.by_code
    carried = [v for v in pending if lineage.made_in(v.proposal)]
    rows = responses_service.table(session, _CIRCULATION, round_id=round_.id)
    made_here = [int(r.reference[2:]) for r in rows if r.kind == "proposal"]
    sponsors: dict[int, list[str]] = defaultdict(list)
    if made_here:
        for pid, did in session.execute(
            select(Sponsorship.proposal_id, Sponsorship.delegation_id)
            .where(Sponsorship.proposal_id.in_(made_here))
            .order_by(Sponsorship.id)
        ):
            sponsors[pid].append(names.by_id.get(did, str(did)))
    out = [
        ExportResponseRow(
            number=0,
            reference=v.proposal.reference,
            delegation=v.delegation_name,
            item=", ".join(t.code for t in v.targets) or f"new {v.proposal.item_kind}",
            summary=responses_service.summary(v.proposal),
            answer=v.proposal.answer,
            outcome=_outcome(v.proposal.state),
            co_sponsors=tuple(by_code.get(code, code) for code in v.sponsors),
            carried_from=lineage.made_in(v.proposal),
        )
        for v in sorted(carried, key=lambda v: (v.proposal.submitted_at, v.proposal.id))
    ]
    out.extend(
        ExportResponseRow(
            number=0,
            reference=r.reference,
            delegation=by_code.get(r.delegation, r.delegation),
            item=r.item,
            summary=r.summary,
            answer=r.answer,
            outcome=r.outcome,
            co_sponsors=tuple(sponsors.get(int(r.reference[2:]), ()))
            if r.kind == "proposal"
            else (),
        )
        for r in rows
    )
    return tuple(replace(row, number=n) for n, row in enumerate(out, 1))


def _outcome(state: ProposalState) -> str:
    return "pending" if state is ProposalState.SUBMITTED else state.label
