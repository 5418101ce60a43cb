"""Confirming an import: creating what its plan lists, in the caller's transaction, with an
audit event per created object naming the file's SHA-256.

A returned copy's proposals are submitted on behalf of its delegation by the person who
confirmed, and its comments are anchored to the words they quote; a Word draft's dimensions,
indicators and sections are added to the register, skipping what it already holds.
"""

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import Actor, record
from app.errors import Conflict
from app.groups import service as groups
from app.imports.authored_input import chosen_authors, make_input
from app.imports.authored_plan import RegisterIndex
from app.imports.plans import (
    AuthoredPlan,
    AuthoredResult,
    CommentPlan,
    CreatedComment,
    CreatedProposal,
    DimensionPlan,
    ProposalPlan,
    ReturnedPlan,
    ReturnedResult,
)
from app.imports.reading import FileFacts
from app.imports.returned_plan import ThreadAccess
from app.models import (
    Comment,
    CommentKind,
    Delegation,
    Dimension,
    Item,
    ItemKind,
    Proposal,
    ProposalKind,
    Revision,
    Visibility,
)
from app.models.imports import WordImport
from app.principal import DelegationRef, Principal
from app.proposals import service as proposals
from app.register import service as register
from app.rounds.service import input_gate
from app.text.anchor import Anchor, find_quote, follow
from app.text.shorten import shorten

_WRITER_CHARS = 200  # Comment.written_by


def _note_created(
    session: Session,
    actor: Actor,
    facts: FileFacts,
    import_id: int,
    object_type: str,
    object_id: str | int,
    now: datetime,
    **details: Any,
) -> None:
    record(
        session,
        actor,
        action="word_import.created",
        object_type=object_type,
        object_id=object_id,
        details={"import": f"I-{import_id}", "sha256": facts.sha256, "filename": facts.filename}
        | details,
        at=now,
    )


# --- A returned copy ------------------------------------------------------------------------


def confirm_returned(
    session: Session,
    principal: Principal,
    word_import: WordImport,
    plan: ReturnedPlan,
    facts: FileFacts,
    now: datetime,
    request_id: str | None,
) -> ReturnedResult:
    assert word_import.delegation_id is not None
    delegation = session.get(Delegation, word_import.delegation_id)
    assert delegation is not None
    # The same refusal a web form gets (closed round, passed deadline), before anything is made.
    round_, late = input_gate(session, now, delegation_id=delegation.id)
    ref = DelegationRef(delegation.id, delegation.code, plan.delegation_name)
    # Everything is made on behalf of the delegation, by the person who confirmed.
    acting = Principal(
        user_id=principal.user_id,
        email=principal.email,
        name=principal.name,
        role=principal.role,
        delegations=[ref],
        acting_delegation_id=delegation.id,
    )
    actor = Actor(principal.user_id, delegation.id, request_id)
    made: list[CreatedProposal] = []
    proposal_of: dict[str, int] = {}
    for p in plan.proposals:
        if p.revises is not None:
            proposal = _revise(session, acting, p, now, request_id)
        else:
            proposal = proposals.create(
                session,
                acting,
                kind=p.kind,
                targets=[p.item] if p.item else [],
                base_revisions=[p.base_revision] if p.base_revision is not None else None,
                content=dict(p.fields),
                rationale=p.rationale,
                item_kind=p.item_kind,
                dimension=p.dimension,
                # Where the delegation put a new indicator, if that item can still be followed.
                after=proposals.placeable_after(session, p.after, p.item_kind, p.dimension)
                if p.kind is ProposalKind.ADD
                else None,
                delegation_code=delegation.code,
                submit=True,
                now=now,
                request_id=request_id,
            )
        if p.kind is ProposalKind.AMEND and p.item and p.revises is None:
            proposal_of.setdefault(p.item, proposal.id)
        made.append(
            CreatedProposal(
                id=proposal.id,
                reference=proposal.reference,
                kind=p.kind,
                item=p.item,
                dimension=p.dimension,
                untracked=p.untracked,
                outdated=p.outdated,
                revised=p.revises is not None,
                alternative_to=p.alternative_to,
            )
        )
        # Where it came from is kept here, not in the rationale that circulates.
        provenance: dict[str, Any] = {"authors": p.authors, "untracked": p.untracked}
        if p.revises is not None:
            provenance["revised"] = p.revises
        if p.alternative_to is not None:
            provenance["alternative_to"] = p.alternative_to
        _note_created(
            session,
            actor,
            facts,
            word_import.id,
            "proposal",
            proposal.id,
            now,
            **provenance,
        )
    comments: list[CreatedComment] = []
    access = ThreadAccess(session, principal, ref)
    for c in plan.comments:
        comments += _make_comments(
            session,
            principal.user_id,
            delegation.id,
            c,
            access,
            proposal_of,
            round_.id if round_ else None,
            late,
            now,
        )
    for made_comment in comments:
        _note_created(
            session,
            actor,
            facts,
            word_import.id,
            "comment",
            made_comment.id,
            now,
            author=made_comment.author,
        )
    return ReturnedResult(proposals=made, comments=comments)


def _revise(
    session: Session,
    acting: Principal,
    plan: ProposalPlan,
    now: datetime,
    request_id: str | None,
) -> Proposal:
    """The delegation's own proposal revised with the copy's words, only when it is still at the
    version the preview read: one changed since (on the web, or by another copy) is not written
    over."""
    assert plan.revises is not None
    proposal = session.get(Proposal, int(plan.revises.removeprefix("P-")))
    if proposal is None or proposal.version != plan.proposal_version:
        raise Conflict(
            f"{plan.revises} was changed after this file was read, so the file's change to it "
            "would write over newer words; read the file again for a new preview"
        )
    return proposals.revise(
        session,
        acting,
        proposal.id,
        expected_version=proposal.version,
        content=dict(plan.fields),
        rationale=None,
        now=now,
        request_id=request_id,
    )


def _revision_text(session: Session, item_id: int, number: int, name: str) -> str:
    value = session.scalar(
        select(getattr(Revision, name)).where(
            Revision.item_id == item_id, Revision.number == number
        )
    )
    return str(value or "")


def _make_comments(
    session: Session,
    user_id: int,
    delegation_id: int,
    plan: CommentPlan,
    access: ThreadAccess,
    proposal_of: dict[str, int],
    round_id: int | None,
    late: bool,
    now: datetime,
) -> list[CreatedComment]:
    on_proposal = _commented_proposal(session, plan) if plan.proposal else None
    item = None if plan.proposal else register.get_item(session, plan.item)
    made: list[CreatedComment] = []
    parent_id = plan.existing
    # Looked at again: the preview is stored, and between it and now a thread may have been
    # withdrawn (or the plan be older than the rule). Its number is not repeated here.
    if parent_id is not None and not access.may_reply(session.get(Comment, parent_id)):
        raise Conflict(
            "a thread the file replies to takes no replies from you now; read the file again "
            "for a new preview"
        )
    if parent_id is None:
        comment = Comment(
            round_id=round_id,
            item_id=item.id if item is not None else None,
            proposal_id=on_proposal.id if on_proposal is not None else None,
            author_id=user_id,
            delegation_id=delegation_id,
            kind=CommentKind.GENERAL,
            visibility=Visibility.GROUP,
            body=plan.body,
            written_by=_writer(plan.author),
            late=late,
            created_at=now,
        )
        if item is not None:
            _anchor(session, comment, item, plan, proposal_of)
        elif on_proposal is not None and plan.field is not None:
            found = find_quote(str(on_proposal.content.get(plan.field) or ""), plan.quote)
            if found is not None:
                _set_anchor(comment, plan.field, found, None)
        if plan.resolved:
            comment.resolved_at, comment.resolved_by_id = now, user_id
        session.add(comment)
        session.flush()
        parent_id = comment.id
        made.append(_created(comment, plan.author))
    for reply in plan.replies:
        parent = session.get(Comment, parent_id)
        assert parent is not None
        answer = Comment(
            round_id=round_id,
            item_id=parent.item_id,
            proposal_id=parent.proposal_id,
            parent_id=parent_id,
            author_id=user_id,
            delegation_id=delegation_id,
            kind=parent.kind,
            visibility=parent.visibility,
            body=reply.body,
            written_by=_writer(reply.author),
            late=late,
            created_at=now,
        )
        session.add(answer)
        session.flush()
        made.append(_created(answer, reply.author))
    return made


def _writer(author: str | None) -> str | None:
    """The Word author's name a comment keeps beside its delegation (Comment.written_by)."""
    name = shorten(author or "", _WRITER_CHARS)
    return name or None


def _commented_proposal(session: Session, plan: CommentPlan) -> Proposal:
    """The pending proposal a comment read from a compilation is on, checked again: between the
    preview and now it may have been withdrawn or decided."""
    proposal = session.get(Proposal, int((plan.proposal or "").removeprefix("P-")))
    if proposal is None or proposal.submitted_at is None:
        raise Conflict(
            f"{plan.proposal}, which a comment of the file is on, cannot take comments now; read "
            "the file again for a new preview"
        )
    return proposal


def _created(comment: Comment, author: str | None) -> CreatedComment:
    return CreatedComment(
        id=comment.id,
        reference=comment.reference,
        parent=comment.parent_id,
        proposal=comment.proposal_id,
        quote=comment.quote,
        author=author,
    )


def _anchor(
    session: Session,
    comment: Comment,
    item: Item,
    plan: CommentPlan,
    proposal_of: dict[str, int],
) -> None:
    """Anchor the comment to its quoted words: in the round's text (moved to the current text
    when the item changed since), or in the delegation's own proposal when only that says
    them; a comment whose words are in neither stays on the whole item."""
    name, quote = plan.field, plan.quote
    if plan.anchor == "proposal" and plan.item in proposal_of:
        comment.item_id = None
        comment.proposal_id = proposal_of[plan.item]
        proposal = session.get(Proposal, comment.proposal_id)
        content = proposal.content if proposal is not None else {}
        found = find_quote(str(content.get(name) or "") if name else "", quote)
        if found is not None:
            _set_anchor(comment, name, found, None)
        return
    if plan.anchor != "text" or name is None:
        return
    base_revision = plan.base_revision or item.version
    base_text = _revision_text(session, item.id, base_revision, name)
    found = find_quote(base_text, quote)
    if found is None:
        return
    _set_anchor(comment, name, found, base_revision)
    if item.version != base_revision:
        moved = follow(found, base_text, _revision_text(session, item.id, item.version, name))
        comment.anchor_revision = item.version
        if moved is None:
            comment.outdated = True
        else:
            comment.anchor_start, comment.anchor_end = moved.start, moved.end


def _set_anchor(comment: Comment, name: str | None, anchor: Anchor, revision: int | None) -> None:
    comment.field = name
    comment.revision = revision
    comment.anchor_revision = revision
    comment.quote, comment.prefix, comment.suffix = anchor.quote, anchor.prefix, anchor.suffix
    comment.anchor_start, comment.anchor_end = anchor.start, anchor.end


# --- A draft written in Word ----------------------------------------------------------------

_SECTION_CODE = re.compile(r"^[A-Z]{2,6}(-[A-Z0-9]{1,16}){1,3}$")
_STOP = {"OF", "AND", "THE", "AT", "IN", "ON", "TO", "FOR", "A", "AN", "BY", "WITH"}


def confirm_authored(
    session: Session,
    principal: Principal,
    word_import: WordImport,
    plan: AuthoredPlan,
    facts: FileFacts,
    now: datetime,
    request_id: str | None,
    authors: Mapping[str, str] | None = None,
) -> AuthoredResult:
    """The draft's text added to the register, then its tracked changes and comments made as
    the proposals and comments of their authors' delegations (`authors`: the secretariat's
    choice for an author, by name as written)."""
    chosen = chosen_authors(session, plan, authors)
    actor = Actor(principal.user_id, None, request_id)
    reason = f"Imported from the Word draft {facts.filename} (SHA-256 {facts.sha256[:12]})"
    index = RegisterIndex.load(session)
    made_sections: list[str] = []
    made_dimensions: list[str] = []
    made_indicators: list[str] = []
    codes: dict[str, str] = {}  # an item's source in the file -> its code
    dimension_codes: dict[str, str] = {}
    for section in plan.sections:
        already = index.section(section.code, section.title)
        if already is not None:
            codes[section.source] = already
        if already is not None or not section.text:
            continue
        code = _section_code(session, section.code, section.title)
        register.create_item(
            session,
            actor,
            kind=ItemKind.SECTION,
            content={"title": section.title, "text": section.text},
            reason=reason,
            now=now,
            code=code,
        )
        index.add_section(code, section.title)
        codes[section.source] = code
        made_sections.append(code)
        _note_created(session, actor, facts, word_import.id, "section", code, now)
    for dim in plan.dimensions:
        matched = index.dimension(dim.code, dim.title)
        if matched is None:
            code = _add_dimension(session, actor, dim, now).code
            index.add_dimension(code, dim.title)
            made_dimensions.append(code)
            _note_created(session, actor, facts, word_import.id, "dimension", code, now)
        else:
            code = matched
        dimension_codes[dim.title] = code
        dimension = register.get_dimension(session, code)
        for ind in dim.indicators:
            already = index.indicator(ind.code, ind.text) if ind.text else None
            if already is not None:
                codes[ind.source] = already
            if not ind.text or already is not None:
                continue
            wanted = ind.code
            usable = (
                wanted
                if wanted
                and wanted.startswith(dimension.prefix + "-")
                and _SECTION_CODE.match(wanted)
                and wanted not in index.indicators
                else None
            )
            item = register.create_item(
                session,
                actor,
                kind=ItemKind.INDICATOR,
                content={
                    "text": ind.text,
                    "strength_adult": ind.strength_adult,
                    "strength_child": ind.strength_child,
                    "guidance": ind.guidance,
                    "information_sources": ind.information_sources,
                    "references": ind.references,
                },
                reason=reason,
                now=now,
                code=usable,
                dimension_code=code,
            )
            index.add_indicator(item.code, ind.text)
            codes[ind.source] = item.code
            made_indicators.append(item.code)
            _note_created(
                session,
                actor,
                facts,
                word_import.id,
                "indicator",
                item.code,
                now,
                source=ind.source,
            )
    made = make_input(
        session,
        principal,
        plan,
        authors=chosen,
        codes=codes,
        dimensions=dimension_codes,
        section_code=lambda title: _section_code(session, None, title),
        import_id=word_import.id,
        facts=facts,
        now=now,
        request_id=request_id,
    )
    return AuthoredResult(
        dimensions=made_dimensions,
        indicators=made_indicators,
        sections=made_sections,
        proposals=made.proposals,
        comments=made.comments,
        skipped=made.skipped,
        title=plan.title,
    )


def _section_code(session: Session, wanted: str | None, title: str) -> str:
    taken = set(session.scalars(select(Item.code)))
    if wanted and _SECTION_CODE.match(wanted) and wanted not in taken:
        return wanted
    word = "".join(ch for ch in title.upper() if "A" <= ch <= "Z" or ch == " ").split()
    stem = next((w for w in word if w not in _STOP), "TEXT")[:14]
    code, n = f"SEC-{stem}", 1
    while code in taken:
        n += 1
        code = f"SEC-{stem}{n}"
    return code


def _add_dimension(session: Session, actor: Actor, dim: DimensionPlan, now: datetime) -> Dimension:
    existing = list(register.list_dimensions(session))
    codes = {d.code for d in existing}
    prefixes = {d.prefix for d in existing}
    root = "FC-"
    for d in existing:
        if d.prefix.endswith(d.code):
            root = d.prefix[: -len(d.code)]
            break
    words = [w for w in re.findall(r"[A-Za-z]+", dim.title.upper()) if w not in _STOP]
    candidates = [dim.code] if dim.code and dim.code.isalpha() else []
    initials = "".join(w[0] for w in words)[:4]
    if len(initials) >= 2:
        candidates.append(initials)
    if words:
        candidates += [words[0][:n] for n in range(2, min(len(words[0]), 8) + 1)]
    candidates += [(initials or "DM")[:2] + chr(ord("A") + i) for i in range(26)]
    code = next(
        c for c in candidates if 2 <= len(c) <= 8 and c not in codes and root + c not in prefixes
    )
    return groups.add_dimension(
        session,
        actor,
        code=code,
        prefix=root + code,
        title=dim.title[:200],
        description=dim.description,
        position=max((d.position for d in existing), default=0) + 1,
        now=now,
    )
