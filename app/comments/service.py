"""Comments: on selected words of an item or proposal, or on the whole of it; threads of
replies; visibility per comment; resolution; and the secretariat's answers."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import Select, and_, bindparam, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from app.audit.service import Actor, record
from app.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from app.models import (
    Body,
    Comment,
    CommentKind,
    Delegation,
    Item,
    MemberState,
    Proposal,
    Revision,
    Role,
    User,
    Visibility,
)
from app.models.register import TEXT_FIELDS
from app.notifications import messages
from app.notifications.service import notify
from app.principal import Principal
from app.rounds.service import current_round, input_gate
from app.text.anchor import find_quote, make_anchor
from app.text.personal_data import GENERAL_KINDS, find_personal_data

MAX_BODY = 20000
SECRETARIAT = "ASEAN Secretariat"  # as the exports name it (app/word/model.py)


def check_personal_data(body: str, *, checked: bool, field: str = "body") -> list[str]:
    """Victim protection on entry (issue 21): what in a comment's text looks like personal data
    (app/text/personal_data, GENERAL_KINDS: a meeting's date or an age threshold is ordinary in
    a comment). Unless the person said they checked, a finding refuses the save (422 naming the
    field, the findings beside it, to remove or generalise). Returns the kinds of what was found
    and confirmed, for the audit event: never the words themselves."""
    found = find_personal_data(body, kinds=GENERAL_KINDS)
    if not found:
        return []
    if not checked:
        # The words found travel in `findings` only, to the person who typed them; the detail
        # names kinds, as a log line may keep it.
        kinds = ", ".join(dict.fromkeys(f.label for f in found))
        raise InvalidInput(
            f"the text may hold personal data ({kinds}): remove or generalise it, or confirm "
            "that it is not personal data or is needed (personal_data_checked)",
            field=field,
            findings=[f.as_json() for f in found],
        )
    return sorted({f.kind for f in found})


@dataclass(slots=True)
class CommentView:
    comment: Comment
    author_name: str  # who wrote it: the Word author of an imported comment, else the account
    delegation_code: str | None
    replies: list["CommentView"] = field(default_factory=list)
    speaks_for: str = ""  # the delegation's name, "ASEAN Secretariat", or a role ("Chair")

    @property
    def shown_author(self) -> str:
        """As the group reads it everywhere: "Ana Reyes (Philippines - SOMTC)"."""
        return self.comment.byline(self.author_name, self.speaks_for, self.delegation_code)

    @property
    def current_quote(self) -> str | None:
        return self.comment.quote


def can_see(comment: Comment, principal: Principal) -> bool:
    if comment.author_id == principal.user_id:
        return True
    if comment.visibility is Visibility.GROUP:
        return True
    if comment.visibility is Visibility.CHAIRS:
        return principal.role in (Role.CHAIR, Role.SECRETARIAT)
    return any(d.id == comment.delegation_id for d in principal.delegations)


def hidden_proposals(principal: Principal) -> Select[int]:
    """The ids of the proposals `principal` may not see, in SQL: Proposal.visible_to's twin
    (another delegation's private draft)."""
    own = [d.id for d in principal.delegations]
    return select(Proposal.id).where(
        Proposal.submitted_at.is_(None), Proposal.delegation_id.not_in(own)
    )


def hidden_comments(principal: Principal) -> Select[int]:
    """The ids of the comments `principal` may not see, in SQL: `get`'s twin. A comment is
    seen as its thread is (the first comment's `can_see`), and only where its proposal is."""
    root = aliased(Comment)
    chairs = principal.role in (Role.CHAIR, Role.SECRETARIAT)
    own = [d.id for d in principal.delegations]
    # Written without NOT over nullable columns, so that a NULL never turns "hidden" unknown.
    kept_apart = and_(
        root.author_id != principal.user_id,
        root.visibility != Visibility.GROUP,
        or_(
            and_(root.visibility == Visibility.CHAIRS, literal(not chairs)),
            and_(
                root.visibility != Visibility.CHAIRS,
                or_(root.delegation_id.is_(None), root.delegation_id.not_in(own)),
            ),
        ),
    )
    return (
        select(Comment.id)
        .join(root, root.id == func.coalesce(Comment.parent_id, Comment.id))
        .where(or_(kept_apart, root.proposal_id.in_(hidden_proposals(principal))))
    )


def _may_comment(session: Session, principal: Principal, now: datetime) -> tuple[int | None, bool]:
    """The round the comment belongs to and whether it is late; refuses when not allowed."""
    if principal.role in (Role.SECRETARIAT, Role.CHAIR):
        round_ = current_round(session)
        return (round_.id if round_ else None), False
    if principal.role is Role.OBSERVER:
        round_ = current_round(session)
        if round_ is None or not round_.observers_may_comment:
            raise PermissionDenied("observers may comment only in rounds that invite them to")
    delegation = principal.acting_delegation
    round_, late = input_gate(session, now, delegation_id=delegation.id if delegation else None)
    return (round_.id if round_ else None), late


def _target_text(
    session: Session, item: Item | None, proposal: Proposal | None, name: str
) -> tuple[str, int | None]:
    if name not in TEXT_FIELDS:
        raise InvalidInput(
            f"comments anchor to a text field ({', '.join(TEXT_FIELDS)})", field="field"
        )
    if item is not None:
        revision = session.scalar(
            select(Revision).where(Revision.item_id == item.id, Revision.number == item.version)
        )
        assert revision is not None
        return str(getattr(revision, name) or ""), item.version
    assert proposal is not None
    return str(proposal.content.get(name) or ""), None


def add(
    session: Session,
    principal: Principal,
    *,
    body: str,
    item_code: str | None = None,
    proposal_id: int | None = None,
    parent_id: int | None = None,
    kind: CommentKind = CommentKind.GENERAL,
    visibility: Visibility = Visibility.GROUP,
    field_name: str | None = None,
    start: int | None = None,
    end: int | None = None,
    quote: str | None = None,
    delegation_code: str | None = None,
    personal_data_checked: bool = False,
    now: datetime,
    request_id: str | None = None,
) -> Comment:
    body = body.strip()
    if not body:
        raise InvalidInput("the comment is empty", field="body")
    if len(body) > MAX_BODY:
        raise InvalidInput(f"the comment is longer than {MAX_BODY} characters", field="body")
    # Naming a delegation one does not speak for is refused, even by those who speak for none.
    delegation = (
        principal.delegation_for(delegation_code)
        if principal.delegations or delegation_code
        else None
    )
    if visibility is Visibility.DELEGATION and delegation is None:
        raise InvalidInput("only a delegation can keep a comment to itself", field="visibility")
    round_id, late = _may_comment(session, principal, now)
    parent: Comment | None = None
    item: Item | None = None
    proposal: Proposal | None = None
    if parent_id is not None:
        # The thread as `get` sees it: its first comment's visibility and its proposal's (a
        # private draft of another delegation takes no replies from outside it). The refusal
        # is the same, word for word, as for a comment that does not exist.
        parent = get(session, principal, parent_id)
        if parent.parent_id is not None:
            raise InvalidInput("reply to the thread's first comment", field="parent_id")
        if parent.withdrawn_at is not None:
            raise Conflict(f"comment {parent.reference} was withdrawn; it takes no replies")
        item_id, proposal_id_ = parent.item_id, parent.proposal_id
        visibility = parent.visibility  # a reply is never seen more widely than its thread
        kind = parent.kind
    else:
        if (item_code is None) == (proposal_id is None):
            raise InvalidInput("comment on either an item or a proposal", field="target")
        if item_code is not None:
            item = session.scalar(select(Item).where(Item.code == item_code.upper()))
            if item is None:
                raise NotFound(f"no item with code {item_code!r}")
        else:
            proposal = session.get(Proposal, proposal_id)
            if proposal is None or not _proposal_visible(session, proposal.id, principal):
                raise NotFound(f"no proposal P-{proposal_id}")
        item_id = item.id if item else None
        proposal_id_ = proposal.id if proposal else None
    comment = Comment(
        round_id=round_id,
        item_id=item_id,
        proposal_id=proposal_id_,
        parent_id=parent.id if parent else None,
        author_id=principal.user_id,
        delegation_id=delegation.id if delegation else None,
        kind=kind,
        visibility=visibility,
        body=body,
        late=late,
        created_at=now,
    )
    if parent is None and (start is not None or quote):
        name = field_name or "text"
        text, revision = _target_text(session, item, proposal, name)
        if start is not None and end is not None:
            try:
                anchor = make_anchor(text, start, end)
            except ValueError as exc:
                raise InvalidInput(str(exc), field="start") from exc
            if quote is not None and quote != anchor.quote:
                raise Conflict(
                    "the text changed since you selected the words; select them again",
                    field="quote",
                )
        else:
            if not quote:
                raise InvalidInput(
                    "give the selected words (quote), or both start and end", field="quote"
                )
            found = find_quote(text, quote, near=start)
            if found is None:
                raise InvalidInput(f"the words {quote!r} are not in the {name}", field="quote")
            anchor = found
        comment.field = name
        comment.revision = revision
        comment.anchor_revision = revision
        comment.quote, comment.prefix, comment.suffix = anchor.quote, anchor.prefix, anchor.suffix
        comment.anchor_start, comment.anchor_end = anchor.start, anchor.end
    # Last, once everything else about the comment is acceptable: confirming is then the only
    # thing left to do.
    confirmed = check_personal_data(body, checked=personal_data_checked)
    session.add(comment)
    session.flush()
    details: dict[str, Any] = {"visibility": visibility.value, "late": late}
    if confirmed:
        details["personal_data_confirmed"] = confirmed
    record(
        session,
        Actor(principal.user_id, delegation.id if delegation else None, request_id),
        action="comment.add" if parent is None else "comment.reply",
        object_type="comment",
        object_id=comment.id,
        details=details,
        at=now,
    )
    if parent is not None:
        # Whoever could read the thread can read the reply: it is seen exactly as widely.
        notify(
            session,
            [parent.author_id],
            messages.comment_reply(session, parent, comment, principal.name),
            now=now,
            skip=principal.user_id,
        )
    return comment


def visible(session: Session, principal: Principal, comment: Comment) -> bool:
    """Whether the person may see the comment. Visibility is the thread's: a reply is readable
    by whoever may read its first comment, and a comment on a proposal only where the proposal
    is (not on another delegation's private draft)."""
    root = session.get(Comment, comment.parent_id) if comment.parent_id else comment
    return (
        root is not None
        and can_see(root, principal)
        and _proposal_visible(session, root.proposal_id, principal)
    )


def get(session: Session, principal: Principal, comment_id: int) -> Comment:
    comment = session.get(Comment, comment_id)
    # A comment the person may not see is indistinguishable from a missing one.
    if comment is None or not visible(session, principal, comment):
        raise NotFound(f"no comment C-{comment_id}")
    return comment


def _proposal_visible(session: Session, proposal_id: int | None, principal: Principal) -> bool:
    if proposal_id is None:
        return True
    proposal = session.get(Proposal, proposal_id)
    return proposal is not None and proposal.visible_to(d.id for d in principal.delegations)


def _author_only(comment: Comment, principal: Principal, doing: str) -> None:
    if comment.author_id != principal.user_id:
        raise PermissionDenied(f"only the author of {comment.reference} may {doing} it")


def edit(
    session: Session,
    principal: Principal,
    comment_id: int,
    *,
    body: str,
    expected_version: int,
    personal_data_checked: bool = False,
    now: datetime,
    request_id: str | None = None,
) -> Comment:
    comment = get(session, principal, comment_id)
    _author_only(comment, principal, "edit")
    comment.check_version(expected_version)
    if not body.strip():
        raise InvalidInput("the comment is empty", field="body")
    confirmed = check_personal_data(body.strip(), checked=personal_data_checked)
    comment.edit(body.strip(), now=now)
    session.flush()
    record(
        session,
        Actor(principal.user_id, comment.delegation_id, request_id),
        action="comment.edit",
        object_type="comment",
        object_id=comment.id,
        details={"personal_data_confirmed": confirmed} if confirmed else None,
        at=now,
    )
    return comment


def withdraw(
    session: Session,
    principal: Principal,
    comment_id: int,
    *,
    now: datetime,
    request_id: str | None = None,
) -> Comment:
    comment = get(session, principal, comment_id)
    _author_only(comment, principal, "withdraw")
    comment.withdraw(now=now)
    session.flush()
    record(
        session,
        Actor(principal.user_id, comment.delegation_id, request_id),
        action="comment.withdraw",
        object_type="comment",
        object_id=comment.id,
        at=now,
    )
    return comment


def set_resolved(
    session: Session,
    principal: Principal,
    comment_id: int,
    *,
    resolved: bool,
    now: datetime,
    request_id: str | None = None,
) -> Comment:
    comment = get(session, principal, comment_id)
    if comment.author_id != principal.user_id and principal.role is not Role.SECRETARIAT:
        raise PermissionDenied(
            f"only the author of {comment.reference} or the secretariat may do this"
        )
    if resolved:
        comment.resolve(by=principal.user_id, now=now)
    else:
        comment.reopen()
    session.flush()
    record(
        session,
        Actor(principal.user_id, None, request_id),
        action="comment.resolve" if resolved else "comment.reopen",
        object_type="comment",
        object_id=comment.id,
        at=now,
    )
    return comment


def answer(
    session: Session,
    principal: Principal,
    comment_id: int,
    *,
    text: str,
    now: datetime,
    request_id: str | None = None,
) -> Comment:
    if principal.role is not Role.SECRETARIAT:
        raise PermissionDenied("only the secretariat answers inputs")
    if not text.strip():
        raise InvalidInput("the answer is empty", field="answer")
    comment = get(session, principal, comment_id)
    comment.answer = text.strip()
    comment.answered_by_id = principal.user_id
    comment.answered_at = now
    session.flush()
    record(
        session,
        Actor(principal.user_id, None, request_id),
        action="comment.answer",
        object_type="comment",
        object_id=comment.id,
        at=now,
    )
    notify(session, [comment.author_id], messages.comment_answer(session, comment), now=now)
    return comment


def threads(
    session: Session,
    principal: Principal,
    *,
    item_id: int | None = None,
    proposal_id: int | None = None,
) -> list[CommentView]:
    """Top-level comments with their replies, oldest first, as the person may see them."""
    if proposal_id is not None and not _proposal_visible(session, proposal_id, principal):
        raise NotFound(f"no proposal P-{proposal_id}")
    on_item = item_id is not None
    rows = session.execute(
        _threads_query(on_item), {"target_id": item_id if on_item else proposal_id}
    )
    return _assemble(rows, principal)


@lru_cache(maxsize=2)
def _threads_query(on_item: bool) -> Select[*tuple[Any, ...]]:
    """The comments on the item (or proposal) bound as `target_id`, with their authors; built
    once (building it cost about as much as running it)."""
    target = Comment.item_id if on_item else Comment.proposal_id
    return (
        _with_authors(select(Comment, User.name, User.role, Delegation.code, _delegation_name))
        .where(target == bindparam("target_id"))
        .order_by(Comment.id)
    )


_delegation_name = Delegation.name_column().label("delegation_name")
_Q = TypeVar("_Q", bound=Select[*tuple[Any, ...]])


def _with_authors(query: _Q) -> _Q:
    """A query of comments joined to their author accounts and delegations (with its name)."""
    return (
        query.join(User, User.id == Comment.author_id)
        .outerjoin(Delegation, Delegation.id == Comment.delegation_id)
        .outerjoin(MemberState, MemberState.id == Delegation.state_id)
        .outerjoin(Body, Body.id == Delegation.body_id)
    )


def speaks_for(delegation_name: str | None, role: Role) -> str:
    """Whom a comment's author speaks for, as the exports say it: the delegation, else the
    secretariat, or a chair or observer as such."""
    if delegation_name:
        return delegation_name
    return SECRETARIAT if role in (Role.SECRETARIAT, Role.ADMIN) else role.label


def _assemble(rows: Iterable[Any], principal: Principal) -> list[CommentView]:
    top: dict[int, CommentView] = {}
    replies: list[CommentView] = []
    for comment, name, role, code, delegation_name in rows:
        if comment.parent_id is None and not can_see(comment, principal):
            continue
        view = CommentView(
            comment,
            comment.writer(name),
            code,
            speaks_for=speaks_for(delegation_name, role),
        )
        if comment.parent_id is None:
            top[comment.id] = view
        else:
            replies.append(view)
    for reply in replies:
        parent = top.get(reply.comment.parent_id or 0)
        if parent is not None:
            parent.replies.append(reply)
    return list(top.values())


def comment_by_id(session: Session, principal: Principal, comment_id: int) -> CommentView:
    comment = get(session, principal, comment_id)
    root_id = comment.parent_id or comment.id
    rows = session.execute(
        _with_authors(select(Comment, User.name, User.role, Delegation.code, _delegation_name))
        .where((Comment.id == root_id) | (Comment.parent_id == root_id))
        .order_by(Comment.id)
    )
    return _assemble(list(rows), principal)[0]
