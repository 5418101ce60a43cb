"""Confirming a Word draft's tracked changes and comments: each author's changes become
proposals of the delegation the author speaks for, and each comment a comment of it, once the
draft's own text is in the register.

A proposal needs an author who is a user; a delegate who wrote in Word is not one. As with a
returned copy, what is made is made on behalf of the delegation by the person who confirms;
the Word author's name as written in the file is kept in the import's result, shown on the
import's page, and in the audit event of each object (with the file's SHA-256), not in the
rationale that circulates.

An author mapped to the secretariat is the drafter: an amendment of theirs becomes a new
revision of the item (proposals of delegations on it are then outdated, to be rebased), a new
indicator or section of theirs is added, and their comments are the secretariat's. An author
left unmapped, or skipped, is left out, and the result lists what was left out and why.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import Actor, record
from app.errors import InvalidInput
from app.imports.plans import (
    SECRETARIAT,
    SKIP,
    AuthoredCommentPlan,
    AuthoredPlan,
    AuthoredProposalPlan,
    DraftInput,
)
from app.imports.reading import FileFacts
from app.models import (
    Comment,
    CommentKind,
    Delegation,
    Item,
    MemberState,
    Proposal,
    ProposalKind,
    Revision,
    Visibility,
)
from app.principal import DelegationRef, Principal
from app.proposals import service as proposals
from app.register import service as register
from app.rounds.service import input_gate
from app.text.anchor import find_quote


@dataclass(slots=True)
class Made:
    proposals: list[DraftInput] = field(default_factory=list)
    comments: list[DraftInput] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def chosen_authors(
    session: Session, plan: AuthoredPlan, choices: Mapping[str, str] | None
) -> dict[str, str | None]:
    """Who each author of the file is: the secretariat's choice in the preview (a delegation's
    code, SECRETARIAT or SKIP) over the match made from the name; None when neither says."""
    choices = dict(choices or {})
    known = {a.name for a in plan.authors}
    for name in choices:
        if name not in known:
            raise InvalidInput(f"the file has no author named {name!r}", field="authors")
    codes = set(
        session.scalars(select(Delegation.code).where(Delegation.retired_at.is_(None))).all()
    )
    out: dict[str, str | None] = {}
    for author in plan.authors:
        choice = (choices.get(author.name) or "").strip()
        if not choice:
            out[author.name] = author.delegation
            continue
        value = choice if choice in (SECRETARIAT, SKIP) else choice.upper()
        if value not in (SECRETARIAT, SKIP) and value not in codes:
            raise InvalidInput(
                f"{choice!r} is no delegation: choose one for {author.name or 'the unnamed author'}"
                ", or the secretariat, or leave their changes out",
                field="authors",
            )
        out[author.name] = value
    return out


def _reference(session: Session, code: str) -> DelegationRef:
    delegation = session.scalar(select(Delegation).where(Delegation.code == code))
    assert delegation is not None
    state = session.get(MemberState, delegation.state_id)
    name = f"{state.name if state else ''} - {code.split('-', 1)[-1]}"
    return DelegationRef(delegation.id, delegation.code, name)


def make_input(
    session: Session,
    principal: Principal,
    plan: AuthoredPlan,
    *,
    authors: Mapping[str, str | None],
    codes: Mapping[str, str],
    dimensions: Mapping[str, str],
    section_code: Callable[[str], str],
    import_id: int,
    facts: FileFacts,
    now: datetime,
    request_id: str | None,
) -> Made:
    """The plan's proposals and comments, made. `codes` gives the item code of each imported
    indicator and section by its source in the file, `dimensions` a dimension's code by its
    title; `section_code` a free code for a new section with the title given."""
    made = Made()
    refs: dict[str, DelegationRef] = {}

    def ref(code: str) -> DelegationRef:
        if code not in refs:
            refs[code] = _reference(session, code)
        return refs[code]

    def note(object_type: str, object_id: int | str, author: str, who: str | None) -> None:
        record(
            session,
            Actor(principal.user_id, ref(who).id if who else None, request_id),
            action="word_import.created",
            object_type=object_type,
            object_id=object_id,
            details={
                "import": f"I-{import_id}",
                "sha256": facts.sha256,
                "filename": facts.filename,
                "word_author": author,
                "for": who or SECRETARIAT,
            },
            at=now,
        )

    def left_out(author: str, what: str) -> str | None:
        who = authors.get(author)
        name = author or "the unnamed author"
        if who is None:
            return f"{what} by {name}: no delegation was chosen for this author; left out"
        if who == SKIP:
            return f"{what} by {name}: the secretariat chose to leave this author out"
        return None

    # The base each proposal was made on: the items' revisions before any change is applied.
    bases: dict[str, int] = {}
    for code, version in session.execute(
        select(Item.code, Item.version).where(Item.code.in_(set(codes.values())))
    ):
        bases[code] = version
    by_drafter: list[AuthoredProposalPlan] = []
    new_indicator: dict[str, int] = {}  # source of a proposed new indicator -> its proposal
    title = plan.title or "the Word draft"
    for p in plan.proposals:
        what = f"{p.kind.value} {p.label}"
        skipped = left_out(p.author, f"tracked change ({what})")
        target = codes.get(p.target or "") if p.target else None
        if skipped is None and p.target and target is None:
            skipped = f"tracked change ({what}) by {p.author}: its item was not imported"
        dimension = dimensions.get(p.dimension or "") if p.kind is ProposalKind.ADD else None
        new_indicator_in_nothing = p.item_kind.value == "indicator" and dimension is None
        if skipped is None and p.kind is ProposalKind.ADD and new_indicator_in_nothing:
            skipped = f"tracked change ({what}) by {p.author}: its dimension was not imported"
        if skipped is not None:
            made.skipped.append(skipped)
            continue
        who = authors[p.author]
        if who == SECRETARIAT:
            by_drafter.append(p)
            continue
        assert who is not None
        delegation = ref(who)
        acting = Principal(
            user_id=principal.user_id,
            email=principal.email,
            name=principal.name,
            role=principal.role,
            delegations=[delegation],
            acting_delegation_id=delegation.id,
        )
        proposal = proposals.create(
            session,
            acting,
            kind=p.kind,
            targets=[target] if target else [],
            # The revision the author's change was placed on when the preview was made (a
            # later revision makes the proposal outdated, never overwritten by it).
            base_revisions=[p.revision or bases[target]] if target else None,
            content=dict(p.fields),
            rationale=f"Tracked change in the Word draft “{title}”",
            item_kind=p.item_kind,
            dimension=dimension,
            # Where the author put a new indicator: after the one it follows in the file.
            after=proposals.placeable_after(
                session, codes.get(p.after or ""), p.item_kind, dimension
            )
            if p.kind is ProposalKind.ADD and p.after
            else None,
            delegation_code=delegation.code,
            submit=True,
            now=now,
            request_id=request_id,
        )
        made.proposals.append(
            DraftInput(
                id=proposal.id,
                reference=proposal.reference,
                what=f"{p.kind.value} {target or p.label}",
                author=p.author,
                delegation=who,
            )
        )
        note("proposal", proposal.id, p.author, who)
        if p.kind is ProposalKind.ADD and p.source:
            new_indicator[p.source] = proposal.id
    drafter = Actor(principal.user_id, None, request_id)
    reason = f"Tracked change by the secretariat in the Word draft “{title}”"
    for p in by_drafter:
        done = _apply_drafter(session, drafter, p, codes, dimensions, section_code, reason, now)
        if isinstance(done, str):
            made.skipped.append(done)
        else:
            made.proposals.append(
                DraftInput(
                    id=0,
                    reference=done,
                    what=f"{p.kind.value} {done}",
                    author=p.author,
                    delegation=None,
                )
            )
            note("item", done, p.author, None)
    round_, late = input_gate(session, now, delegation_id=None) if plan.comments else (None, False)
    threads: list[AuthoredCommentPlan] = []
    for c in plan.comments:
        skipped = left_out(c.author, f"comment on {c.label}")
        if skipped is None:
            threads.append(c)
            continue
        # The thread's first comment is left out; the replies of those who are kept stand as
        # comments of their own on the same words.
        made.skipped.append(skipped)
        threads += [
            c.model_copy(update={"author": r.author or "", "body": r.body, "replies": []})
            for r in c.replies
            if left_out(r.author or "", "reply") is None
        ]
    for c in threads:
        who = authors[c.author]
        top = _comment(
            session,
            principal.user_id,
            None if who == SECRETARIAT or who is None else ref(who).id,
            c,
            codes,
            new_indicator,
            round_.id if round_ else None,
            late,
            now,
        )
        if top is None:
            made.skipped.append(
                f"comment by {c.author} on {c.label}: what it is on was not created; left out"
            )
            continue
        made.comments.append(
            DraftInput(
                id=top.id,
                reference=top.reference,
                what=f"comment on {c.label}",
                author=c.author,
                delegation=None if who == SECRETARIAT else who,
            )
        )
        for r in c.replies:
            author = r.author or ""
            skipped = left_out(author, f"reply on {c.label}")
            if skipped is not None:
                made.skipped.append(skipped)
                continue
            replier = authors[author]
            answer = Comment(
                round_id=top.round_id,
                item_id=top.item_id,
                proposal_id=top.proposal_id,
                parent_id=top.id,
                author_id=principal.user_id,
                delegation_id=None
                if replier == SECRETARIAT or replier is None
                else ref(replier).id,
                kind=top.kind,
                visibility=top.visibility,
                body=r.body,
                late=late,
                created_at=now,
                written_by=_writer(author),
            )
            session.add(answer)
            session.flush()
            made.comments.append(
                DraftInput(
                    id=answer.id,
                    reference=answer.reference,
                    what=f"reply on {c.label}",
                    author=author,
                    delegation=None if replier == SECRETARIAT else replier,
                )
            )
    for one in made.comments:
        note("comment", one.id, one.author, one.delegation)
    return made


def _writer(author: str) -> str | None:
    """The Word author's name the comment keeps beside its delegation (Comment.written_by)."""
    name = " ".join(author.split())
    return name[:200] or None


def _apply_drafter(
    session: Session,
    actor: Actor,
    p: AuthoredProposalPlan,
    codes: Mapping[str, str],
    dimensions: Mapping[str, str],
    section_code: Callable[[str], str],
    reason: str,
    now: datetime,
) -> str:
    """The secretariat's own tracked change applied to the register: the code of the item it
    revised or added, or (a deletion) why it was not applied."""
    if p.kind is ProposalKind.DELETE:
        return (
            f"tracked change (delete {p.label}) by {p.author}: a deletion by the secretariat is "
            "not applied by an import; withdraw the item in the register"
        )
    if p.kind is ProposalKind.ADD:
        item = register.create_item(
            session,
            actor,
            kind=p.item_kind,
            content=dict(p.fields),
            reason=reason,
            now=now,
            dimension_code=dimensions.get(p.dimension or "") if p.dimension else None,
            code=section_code(str(p.fields.get("title") or ""))
            if p.item_kind.value == "section"
            else None,
        )
        return item.code
    code = codes[p.target or ""]
    item = register.get_item(session, code)
    register.revise_item(
        session,
        actor,
        code=code,
        expected_revision=item.version,
        changes=dict(p.fields),
        reason=reason,
        now=now,
    )
    return code


def _comment(
    session: Session,
    user_id: int,
    delegation_id: int | None,
    c: AuthoredCommentPlan,
    codes: Mapping[str, str],
    new_indicator: Mapping[str, int],
    round_id: int | None,
    late: bool,
    now: datetime,
) -> Comment | None:
    """The comment on its item (anchored to its words when the item's text has them) or on the
    proposal of a new indicator it is on; None when neither was made."""
    comment = Comment(
        round_id=round_id,
        author_id=user_id,
        delegation_id=delegation_id,
        kind=CommentKind.GENERAL,
        visibility=Visibility.GROUP,
        body=c.body,
        late=late,
        created_at=now,
        written_by=_writer(c.author),
    )
    name = c.field or "text"
    if c.on_proposal:
        proposal_id = new_indicator.get(c.target)
        if proposal_id is None:
            return None
        comment.proposal_id = proposal_id
        proposal = session.get(Proposal, proposal_id)
        text = str((proposal.content if proposal else {}).get(name) or "")
        revision = None
    else:
        code = codes.get(c.target)
        if code is None:
            return None
        item = register.get_item(session, code)
        comment.item_id = item.id
        revision = item.version
        value = session.scalar(
            select(getattr(Revision, name, Revision.text)).where(
                Revision.item_id == item.id, Revision.number == item.version
            )
        )
        text = str(value or "")
    found = find_quote(text, c.quote) if c.quote else None
    if found is not None:
        comment.field = name
        comment.revision = comment.anchor_revision = revision
        comment.quote, comment.prefix, comment.suffix = found.quote, found.prefix, found.suffix
        comment.anchor_start, comment.anchor_end = found.start, found.end
    if c.resolved:
        comment.resolved_at, comment.resolved_by_id = now, user_id
    session.add(comment)
    session.flush()
    return comment
