"""Planning a returned copy of a round: what the delegation's tracked changes, struck items, new
paragraphs and Word comments become (proposals submitted for the delegation, comments and
replies), and what is left out and why.

A returned copy is compared with the text of the round it was exported from (the round's frozen
snapshot), never with whatever the register says now: a proposal keeps that revision as its
base, so a change to an item that moved on since is outdated (to be rebased), never applied onto
the wrong text.

What a file says is believed only as far as it can be: its marks (the round, the items, the
export's own comments and the references of the threads it carried) only when their signature
is this platform's (`check_signed`), and a thread it names only when both the person importing
and the delegation the copy is imported for may see it, as on the web (`ThreadAccess`).
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.comments import service as comments
from app.errors import Conflict, InvalidInput
from app.ids import is_id
from app.imports import earlier as earlier_text
from app.imports.fields import (
    ENUM_FIELDS,
    INDICATOR_FIELDS,
    LIST_FIELDS,
    SECTION_FIELDS,
    STRENGTH_WORDS,
    clip,
    norm,
)
from app.imports.plans import Anchor, CommentPlan, Diff, ProposalPlan, ReplyPlan, ReturnedPlan
from app.models import (
    Comment,
    Dimension,
    Item,
    ItemKind,
    Proposal,
    ProposalKind,
    ProposalTarget,
    Role,
    Round,
)
from app.models.register import TEXT_FIELDS
from app.models.workflow import OPEN_STATES
from app.principal import DelegationRef, Principal
from app.proposals import service as proposals_service
from app.register.schemas import IndicatorUpdate, SectionUpdate
from app.register.service import FIELD_LABELS
from app.rounds import snapshot
from app.rounds.export_loader import signed_by
from app.rounds.service import current_round, input_gate
from app.text.anchor import find_quote
from app.text.diff import word_diff
from app.word import marks
from app.word.incoming import (
    FoundComment,
    ReturnedDocument,
    ReturnedField,
    ReturnedItem,
    ReturnedProposal,
    TrackedChange,
)
from app.word.revisions import clean

# How many threads with the same words on one item a comment may stand for, at most: enough for
# "Agreed." said several times, bounded against a file that repeats a word a thousand times.
_SAME_WORDS = 20


def check_signed(document: ReturnedDocument, secret_key: str) -> None:
    """Refuse a copy whose zerodraft marks this platform did not sign, or that were changed
    since: it could name any round, item or thread, and pass for an export. The manifest may be
    missing (LibreOffice drops it); one that is there must be this export's, signed."""

    def signed(text: str | None, signature: str | None) -> bool:
        return text is not None and signature is not None and signed_by(secret_key, text, signature)

    if not signed(document.signed_properties, document.signature) or (
        document.signed_manifest is not None
        and not signed(document.signed_manifest, document.manifest_signature)
    ):
        raise InvalidInput(
            "the file's zerodraft marks are missing, or not signed by this platform, or were "
            "changed after its export, so it cannot be read as a returned copy of a round; "
            "download the round in Word again, make the changes in that copy and send it",
            field="file",
        )


class ThreadAccess:
    """Which threads a returned copy may reply to: those both the person importing and the
    delegation it is imported for may see (comments.visible), as on the web; another
    delegation's private thread, or one on its private draft, is as if it did not exist."""

    def __init__(self, session: Session, uploader: Principal, delegation: DelegationRef) -> None:
        self.session = session
        self.viewers = (
            uploader,
            Principal(
                user_id=uploader.user_id,
                email=uploader.email,
                name=uploader.name,
                role=Role.MEMBER,
                delegations=[delegation],
                acting_delegation_id=delegation.id,
            ),
        )

    def may_reply(self, comment: Comment | None) -> bool:
        return (
            comment is not None
            and comment.parent_id is None
            and comment.withdrawn_at is None
            and all(comments.visible(self.session, v, comment) for v in self.viewers)
        )


def round_of(session: Session, document: ReturnedDocument) -> Round:
    """The round the copy was exported from, which must have a frozen text to compare with."""
    round_ = session.scalar(select(Round).where(Round.symbol == document.round_symbol))
    if round_ is None:
        raise InvalidInput(
            f"the file is a copy of round {document.round_symbol!r}, which this platform does "
            "not know; was it exported from another installation?",
            field="file",
        )
    if round_.content_hash is None:
        raise InvalidInput(
            f"round {round_.symbol} has no frozen text yet, so a copy of it cannot be compared",
            field="file",
        )
    return round_


def plan_returned(
    session: Session,
    document: ReturnedDocument,
    round_: Round,
    now: datetime,
    delegation: DelegationRef,
    uploader: Principal,
) -> ReturnedPlan:
    entries = {e.code: e for e in snapshot.load(session, round_.id)}
    access = ThreadAccess(session, uploader, delegation)
    versions: dict[str, int] = dict(session.execute(select(Item.code, Item.version)).all())
    dimension_codes = set(session.scalars(select(Dimension.code)))
    current = current_round(session)
    before = earlier_text.drawn_against(session, document, round_)
    planned: list[ProposalPlan] = []
    comments: list[CommentPlan] = []
    problems: list[str] = []
    for found in document.items:
        entry = entries.get(found.code)
        if entry is None:
            problems.append(
                f"{found.code}: not an item of {round_.symbol}; its changes and comments are "
                "left out"
            )
            continue
        planned += _plan_item(found, entry, versions, problems, before)
        for comment in found.comments:
            planned_comment = _plan_comment(
                session, found.code, entry, comment, planned, delegation.id, access, document
            )
            if planned_comment.existing is None or planned_comment.replies:
                comments.append(planned_comment)
    for paragraph in document.new_paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        after = entries.get(paragraph.after or "")
        dimension = paragraph.dimension or (
            after.content.get("dimension") if after and after.kind is ItemKind.INDICATOR else None
        )
        if not dimension or dimension.upper() not in dimension_codes:
            where = f" after {paragraph.after}" if paragraph.after else ""
            problems.append(
                f"a new paragraph{where} ({clip(text)!r}) is not inside a dimension of "
                "indicators, so it could not be placed as a new indicator"
            )
            continue
        authors = [paragraph.author] if paragraph.author else []
        planned.append(
            ProposalPlan(
                kind=ProposalKind.ADD,
                item=None,
                item_kind=ItemKind.INDICATOR,
                dimension=dimension.upper(),
                after=paragraph.after,
                fields={"text": text},
                diffs={"text": _ops("", text)},
                authors=authors,
                untracked=not paragraph.tracked,
                base_revision=None,
                current_revision=None,
                outdated=False,
            )
        )
    for edited in document.proposals:
        planned += _plan_proposal(
            session, edited, delegation, access, versions, problems, document.shown
        )
    for loose in document.comments:
        on_proposal = (
            _plan_proposal_comment(session, loose, delegation.id, access, document)
            if loose.proposal
            else None
        )
        if on_proposal is not None:
            if on_proposal.existing is None or on_proposal.replies:
                comments.append(on_proposal)
            continue
        where = (
            f"on {loose.proposal}, a proposal this platform does not know"
            if loose.proposal
            else "on no item of the text"
        )
        problems.append(
            f"a comment by {loose.author or 'an unknown author'} {where} "
            f"({clip(loose.text.strip())!r}) is left out"
        )
    return ReturnedPlan(
        round=round_.symbol,
        round_state=round_.state.value,
        current_round=current.symbol if current else None,
        older_round=current is not None and current.id != round_.id,
        variant=document.variant,
        exported_at=document.exported_at.isoformat() if document.exported_at else None,
        delegation=delegation.code,
        delegation_name=delegation.name,
        authors=list(document.authors),
        proposals=planned,
        comments=comments,
        problems=problems,
        unplaced=list(document.unplaced),
        gate=_gate_text(session, now, delegation.id),
    )


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v).replace("_", " ") for v in value)
    return str(value)


def _field_value(kind: ItemKind, name: str, accepted: str) -> tuple[Any, str | None]:
    """The content value a field's accepted text stands for, or the problem with it."""
    allowed = SECTION_FIELDS if kind is ItemKind.SECTION else INDICATOR_FIELDS
    if name not in allowed:
        return None, f"its {name.replace('_', ' ')} is not something a proposal can change"
    if name in TEXT_FIELDS:
        return accepted.strip(), None
    if name in ENUM_FIELDS:
        value = accepted.strip().lower()
        value = STRENGTH_WORDS.get(value, value) if name.startswith("strength") else value
        if not value:
            return None, None
        if value not in ENUM_FIELDS[name]:
            choices = ", ".join(sorted(ENUM_FIELDS[name]))
            return None, f"{name.replace('_', ' ')} {accepted.strip()!r} is not one of {choices}"
        return value, None
    values = [v.strip().lower().replace(" ", "_") for v in accepted.split(",") if v.strip()]
    return sorted(dict.fromkeys(values)), None


def _differs(name: str, value: Any, base: Any) -> bool:
    if name in TEXT_FIELDS:
        return norm(str(value or "")) != norm(str(base or ""))
    if name in LIST_FIELDS:
        return sorted(value or []) != sorted(base or [])
    return (value or None) != (base or None)


def _validate(kind: ItemKind, name: str, value: Any) -> str | None:
    """The same checks a proposal made in a form gets, one field at a time."""
    if name == "text" and not str(value or "").strip():
        return "its text was emptied without deleting the item"
    model = SectionUpdate if kind is ItemKind.SECTION else IndicatorUpdate
    try:
        model.model_validate({name: value, "reason": "-"})
    except ValidationError as exc:
        return f"{name.replace('_', ' ')}: {exc.errors()[0]['msg']}"
    return None


def _authors(changes: Iterable[TrackedChange | None]) -> list[str]:
    return list(dict.fromkeys(c.author for c in changes if c and c.author))


def _ops(old: str, new: str) -> Diff:
    return [(c.op, c.text) for c in word_diff(old, new)]


def _gate_text(session: Session, now: datetime, delegation_id: int) -> str | None:
    """Why confirming would be refused now (the round's input gate), or None."""
    try:
        input_gate(session, now, delegation_id=delegation_id)
    except Conflict as exc:
        return exc.detail
    return None


def _plan_item(
    found: ReturnedItem,
    entry: snapshot.Entry,
    versions: dict[str, int],
    problems: list[str],
    earlier: earlier_text.Earlier | None = None,
) -> list[ProposalPlan]:
    current_revision = versions.get(found.code, entry.revision)
    common: dict[str, Any] = {
        "item": found.code,
        "item_kind": entry.kind,
        "dimension": None,
        "after": None,
        "base_revision": entry.revision,
        "current_revision": current_revision,
        "outdated": current_revision != entry.revision,
    }
    if found.struck:
        if entry.item_state == snapshot.DELETED:
            problems.append(f"{found.code} was struck out, but it is already deleted")
            return []
        struck_by = _authors([found.struck_by])
        untracked = found.struck_by is None
        return [
            ProposalPlan(
                **common,
                kind=ProposalKind.DELETE,
                fields={},
                diffs={"text": _ops(_shown(entry.content.get("text")), "")},
                authors=struck_by,
                untracked=untracked,
            )
        ]
    if earlier is not None and earlier.insertion_rejected(found, entry):
        return [
            ProposalPlan(
                **common,
                kind=ProposalKind.DELETE,
                fields={},
                diffs={"text": _ops(_shown(entry.content.get("text")), "")},
                authors=[],
                untracked=False,
                rationale=earlier_text.not_added(entry),
                note=earlier_text.not_added(entry).rstrip("."),
            )
        ]
    fields: dict[str, Any] = {}
    diffs: dict[str, Diff] = {}
    authors: list[str] = []
    untracked = False
    kept: list[tuple[str, earlier_text.Rejected]] = []
    for returned in found.fields:
        value, problem = _field_value(entry.kind, returned.name, returned.accepted)
        # Compared with what the export showed: an item deleted in the round shows its fields
        # struck out, so an unedited copy of it proposes nothing.
        base = earlier_text.exported_value(entry, returned.name)
        if problem is None and not _differs(returned.name, value, base):
            continue
        problem = problem or _validate(entry.kind, returned.name, value)
        if problem is not None:
            problems.append(f"{found.code}: {problem}; that change is left out")
            continue
        fields[returned.name] = value
        diffs[returned.name] = _ops(_shown(base), _shown(value))
        authors += _authors(returned.changes)
        # The text as exported but for the delegation's tracked changes, if it is not the
        # exported text: the export's own tracked changes rejected (the earlier text kept), or
        # an untracked edit.
        rejected = (
            None if earlier is None else earlier.kept(entry, returned.name, returned.original)
        )
        if rejected is not None:
            kept.append((returned.name, rejected))
        else:
            untracked = untracked or _untracked(returned)
    if not fields:
        return []
    authors = list(dict.fromkeys(authors))
    return [
        ProposalPlan(
            **common,
            kind=ProposalKind.AMEND,
            fields=fields,
            diffs=diffs,
            authors=authors,
            untracked=untracked,
            # A proposal to keep the earlier text says so: it is what the delegation proposes.
            rationale=earlier_text.statement(entry, kept) if kept else "",
            note=earlier_text.statement(entry, kept).rstrip(".") if kept else None,
        )
    ]


def _untracked(returned: ReturnedField) -> bool:
    """Changed without Track Changes: the reader says so, or the text differs from the exported
    text and no tracked change explains it."""
    return returned.untracked or not returned.changes


def _plan_comment(
    session: Session,
    code: str,
    entry: snapshot.Entry,
    found: FoundComment,
    planned: list[ProposalPlan],
    delegation_id: int,
    access: ThreadAccess,
    document: ReturnedDocument,
) -> CommentPlan:
    name = found.field if found.field in TEXT_FIELDS else None
    quote = found.quote.strip()
    anchor: Anchor = "item"
    if name and quote:
        if find_quote(str(entry.content.get(name) or ""), quote) is not None:
            anchor = "text"
        elif any(p.item == code and quote in str(p.fields.get(name) or "") for p in planned):
            anchor = "proposal"  # the words are in what the delegation proposes, not the text
    existing = _exported_thread(session, code, found, delegation_id, access, document)
    replies = [
        ReplyPlan(
            body=r.text.strip(),
            author=r.author,
            date=r.date.isoformat() if r.date else None,
        )
        for r in found.replies
        if r.text.strip() and not r.exported
    ]
    if existing is not None:
        # Replies this delegation already made there (a copy read before); another
        # delegation's reply in the same words does not stand for this one's.
        known = set(
            session.scalars(
                select(Comment.body).where(
                    Comment.parent_id == existing, Comment.delegation_id == delegation_id
                )
            )
        )
        replies = [r for r in replies if r.body not in known]
    return CommentPlan(
        item=code,
        base_revision=entry.revision,
        field=name,
        quote=quote,
        anchor=anchor,
        body=found.text.strip(),
        author=found.author,
        date=found.date.isoformat() if found.date else None,
        resolved=found.resolved,
        existing=existing,
        replies=replies,
    )


def _exported_thread(
    session: Session,
    code: str | None,
    found: FoundComment,
    delegation_id: int,
    access: ThreadAccess,
    document: ReturnedDocument,
    proposal_id: int | None = None,
) -> int | None:
    """The thread a comment the export itself carried stands for (by its reference, else by its
    words): replies to it go into that thread, and it is not made a second time. A new comment
    stands for one only when this delegation already made it (a copy read before): another
    delegation's "Agreed." on the same item is not this delegation's. A reference counts only
    when the signed manifest lists it (a copy without its manifest, as LibreOffice returns it,
    has only the comment's words to say it), and a thread only when `access` lets the importer
    reply to it, as the web would: any other stands for nothing, and the comment is made anew."""
    on = (
        Comment.item_id == select(Item.id).where(Item.code == code).scalar_subquery()
        if proposal_id is None
        else Comment.proposal_id == proposal_id
    )
    number = (found.reference or "").removeprefix("C-")
    listed = document.threads is None or found.reference in document.threads
    if found.exported and listed and is_id(number):
        known = session.scalar(
            select(Comment).where(Comment.id == int(number), on, Comment.parent_id.is_(None))
        )
        if access.may_reply(known):
            assert known is not None
            return known.id
    body = found.text.strip()
    query = select(Comment).where(
        on,
        Comment.parent_id.is_(None),
        Comment.withdrawn_at.is_(None),
        Comment.body == body,
    )
    if not found.exported:
        query = query.where(Comment.delegation_id == delegation_id)
    for candidate in session.scalars(query.order_by(Comment.id).limit(_SAME_WORDS)):
        if access.may_reply(candidate):
            return candidate.id
    return None


# A compilation's proposals, edited

_BY_LABEL = {label: name for name, label in FIELD_LABELS.items()}


def _plan_proposal(
    session: Session,
    edited: ReturnedProposal,
    delegation: DelegationRef,
    access: ThreadAccess,
    versions: dict[str, int],
    problems: list[str],
    shown: frozenset[str] | None = None,
) -> list[ProposalPlan]:
    """A pending proposal whose words the copy changed: a revision when the delegation made it,
    else the delegation's own alternative built on it (its content, with the words changed).
    A revision is made only onto the words the copy was exported with: a proposal changed since
    is never overwritten, the change is left out and the preview says why.

    Whether it changed since: a field edited with Track Changes only is compared through its
    words as exported (the returned changes rejected). A field edited without them has no such
    words (its "original" holds the edit), so its paragraph as the export would write it now is
    looked up among the paragraphs the export showed (`shown`, the manifest's hashes)."""
    ref = edited.reference
    number = ref.removeprefix("P-")
    proposal = session.get(Proposal, int(number)) if is_id(number) else None
    if proposal is None or not all(
        proposal.visible_to(d.id for d in v.delegations) for v in access.viewers
    ):
        problems.append(
            f"{ref}: the copy changes the words of a proposal this platform does not know; left out"
        )
        return []
    if proposal.kind not in (ProposalKind.AMEND, ProposalKind.ADD):
        problems.append(
            f"{ref}: a {proposal.kind.value} proposal's words cannot be changed in Word; your "
            "change to it is left out"
        )
        return []
    kind = ItemKind(proposal.item_kind)
    fields: dict[str, Any] = {}
    diffs: dict[str, Diff] = {}
    changes: list[TrackedChange] = []
    untracked = False
    moved_on: list[str] = []
    now_shown: dict[str, str] | None = None
    for edit in edited.fields:
        name = _BY_LABEL.get(edit.label)
        if name is None:
            problems.append(f"{ref}: its field {edit.label!r} is not one a proposal sets; left out")
            continue
        value, problem = _field_value(kind, name, edit.accepted)
        base = proposal.content.get(name)
        if edit.untracked and shown is not None:
            now_shown = now_shown if now_shown is not None else _paragraph_hashes(session, proposal)
            stale = now_shown.get(name) not in shown
        else:
            stale = _differs(name, _field_value(kind, name, edit.original)[0], base)
        if stale:
            moved_on.append(FIELD_LABELS[name].lower())
        if problem is None and not _differs(name, value, base):
            continue
        problem = problem or _validate(kind, name, value)
        if problem is not None:
            problems.append(f"{ref}: {problem}; that change is left out")
            continue
        fields[name] = value
        diffs[name] = _ops(_shown(base), _shown(value))
        changes += edit.changes
        untracked = untracked or edit.untracked or not edit.changes
    if not fields:
        return []
    authors = _authors(changes)
    target = session.execute(
        select(Item.code, ProposalTarget.base_revision)
        .join(Item, Item.id == ProposalTarget.item_id)
        .where(ProposalTarget.proposal_id == proposal.id)
        .order_by(ProposalTarget.position)
    ).first()
    code, base_revision = (target[0], target[1]) if target is not None else (None, None)
    current_revision = versions.get(code) if code else None
    common: dict[str, Any] = {
        "kind": proposal.kind,
        "item": code,
        "item_kind": kind,
        "dimension": proposal.dimension_code,
        "after": None,
        "base_revision": base_revision,
        "current_revision": current_revision,
        "outdated": code is not None and current_revision != base_revision,
        "diffs": diffs,
        "authors": authors,
        "untracked": untracked,
    }
    if proposal.delegation_id == delegation.id:
        if proposal.state not in OPEN_STATES:
            problems.append(
                f"{ref} is {proposal.state.label}: it can no longer be revised, so your change "
                "to it is left out; propose it anew"
            )
            return []
        if moved_on:
            problems.append(
                f"{ref} was changed after this copy was exported (its "
                f"{', '.join(moved_on)} is no longer what the copy shows): your change to it is "
                "left out rather than written over the newer words; make it on the proposal's "
                "page"
            )
            return []
        return [
            ProposalPlan(
                **common,
                fields=proposal.content | fields,
                revises=ref,
                proposal_version=proposal.version,
                note=f"A revision of {delegation.code}'s own proposal {ref}",
            )
        ]
    note = f"{delegation.code}'s own alternative, built on {ref}"
    if moved_on:
        note += (
            f" ({ref} was changed after the export: the alternative takes its words as they "
            "are now, with this change)"
        )
    return [
        ProposalPlan(
            **common,
            fields=proposal.content | fields,
            alternative_to=ref,
            note=note,
        )
    ]


def _paragraph_hashes(session: Session, proposal: Proposal) -> dict[str, str]:
    """The manifest hash of each field paragraph a compilation writes for the proposal as it
    is now (app/word/compilation.py: "Text: [" + its word diff from its base, the removed words
    shown + "]"), by field name."""
    (view,) = proposals_service.views(session, [proposal])
    return {
        name: marks.short_hash(
            f"{FIELD_LABELS.get(name, name)}: [" + clean("".join(c.text for c in chunks)) + "]"
        )
        for name, chunks in view.field_diffs()
    }


def _plan_proposal_comment(
    session: Session,
    found: FoundComment,
    delegation_id: int,
    access: ThreadAccess,
    document: ReturnedDocument,
) -> CommentPlan | None:
    """A comment (or replies to a thread the export carried) on a pending proposal the
    compilation showed; None when the proposal is not one the importer may comment on."""
    ref = found.proposal or ""
    number = ref.removeprefix("P-")
    proposal = session.get(Proposal, int(number)) if is_id(number) else None
    if proposal is None or not all(
        proposal.visible_to(d.id for d in v.delegations) for v in access.viewers
    ):
        return None
    existing = _exported_thread(
        session, None, found, delegation_id, access, document, proposal_id=proposal.id
    )
    replies = [
        ReplyPlan(body=r.text.strip(), author=r.author, date=r.date.isoformat() if r.date else None)
        for r in found.replies
        if r.text.strip() and not r.exported
    ]
    if existing is not None:
        known = set(
            session.scalars(
                select(Comment.body).where(
                    Comment.parent_id == existing, Comment.delegation_id == delegation_id
                )
            )
        )
        replies = [r for r in replies if r.body not in known]
    quote = found.quote.strip()
    name = next(
        (n for n in TEXT_FIELDS if quote and quote in str(proposal.content.get(n) or "")), None
    )
    return CommentPlan(
        item=ref,
        proposal=ref,
        field=name,
        quote=quote,
        anchor="text" if name else "item",  # in the proposal's words, or on the whole of it
        body=found.text.strip(),
        author=found.author,
        date=found.date.isoformat() if found.date else None,
        resolved=found.resolved,
        existing=existing,
        replies=replies,
    )
