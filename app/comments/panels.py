"""The comment threads on one item or proposal, as one person may see them, and the forms they
may use: what the comment pages show, and what the item pages (app.register.pages) and the proposal
page (app.proposals.pages) merge into their context (`comments_panel`, `comments_on_proposal`), so
that no page module imports another's.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.accounts.permissions import Action, allowed
from app.comments import forms, service
from app.comments.service import CommentView
from app.errors import InvalidInput
from app.models import (
    Comment,
    Item,
    ItemKind,
    Revision,
    Role,
    Round,
    User,
    Visibility,
)
from app.principal import DelegationRef, Principal
from app.proposals import service as proposals
from app.register import service as register
from app.register.service import FIELD_LABELS
from app.rounds.service import current_round, deadline_text
from app.text.highlight import Segment, Span, segments
from app.web.forms import Form, Problem

ITEM_PATHS = {ItemKind.INDICATOR: "/indicators", ItemKind.SECTION: "/sections"}


@dataclass(frozen=True, slots=True)
class Target:
    """What comments are on: an item or a proposal, its page, and the text their words are in."""

    item_code: str | None
    proposal_id: int | None
    url: str
    name: str  # "indicator FC-CD-01", "proposal P-3"
    text: str  # the current text of its `text` field
    text_id: str  # the id of the element that shows that text on its page

    @property
    def noun(self) -> str:
        return self.name.split(" ")[0]

    @property
    def title(self) -> str:
        return self.name[:1].upper() + self.name[1:]


@dataclass(slots=True)
class Panel:
    """Comment threads on one target, as one person may see them, and the forms they may use."""

    target: Target
    principal: Principal
    threads: list[CommentView]
    segments: list[Segment]
    highlighted: frozenset[int]  # open threads whose words are marked in the text shown
    gone: frozenset[int]  # threads whose words are no longer in the text
    margin: list[CommentView]  # the highlighted threads, in the order of their words
    names: dict[int, str]  # who resolved or answered
    form: Form  # the new-comment form
    form_id: str
    may_comment: bool
    refusal: str  # why the person may not comment, when they may not
    round: Round | None
    delegations: list[DelegationRef]
    action_form: Form | None = None  # a reply or an answer that was refused, to show again
    back: str = ""  # where the forms come back to after an action

    @property
    def deadline(self) -> str:
        return deadline_text(self.round) if self.round else ""

    def written_by(self, user_id: int) -> bool:
        """Whether the person wrote any of the threads or replies read here (so this panel
        shows them what it shows no one else: their own comments and the buttons to change
        them)."""
        return any(
            v.comment.author_id == user_id
            for thread in self.threads
            for v in (thread, *thread.replies)
        )

    @property
    def problems(self) -> list[Problem]:
        return self.form.problems + (self.action_form.problems if self.action_form else [])

    @property
    def errors(self) -> dict[str, str]:
        return (self.action_form.errors if self.action_form else {}) | self.form.errors

    def findings(self, field_id: str) -> list[dict[str, object]]:
        """The personal-data findings of a refused text, to list under its field."""
        key = f"findings:{field_id}"
        for form in (self.action_form, self.form):
            if form is not None and isinstance(form.values.get(key), list):
                return list(form.values[key])
        return []

    def posted(self, field_id: str, default: str = "") -> str:
        if self.action_form is not None and field_id in self.action_form.values:
            return str(self.action_form.values[field_id])
        return default

    @property
    def is_secretariat(self) -> bool:
        return self.principal.role is Role.SECRETARIAT

    def is_author(self, comment: Comment) -> bool:
        return comment.author_id == self.principal.user_id

    def may_resolve(self, comment: Comment) -> bool:
        return comment.parent_id is None and (self.is_author(comment) or self.is_secretariat)

    @property
    def kind_options(self) -> list[tuple[str, tuple[str, str]]]:
        return list(forms.KIND_CHOICES.items())

    @property
    def visibility_options(self) -> list[tuple[str, tuple[str, str]]]:
        # Only a delegation can keep a comment to itself.
        return [
            (value, label)
            for value, label in forms.VISIBILITY_CHOICES.items()
            if self.delegations or value != Visibility.DELEGATION.value
        ]

    @staticmethod
    def field_label(name: str | None) -> str:
        return FIELD_LABELS.get(name or "text", name or "text")

    @property
    def open_count(self) -> int:
        return sum(
            1 for t in self.threads if t.comment.resolved_at is None and not t.comment.withdrawn_at
        )


def _may_comment(db: Session, principal: Principal) -> tuple[bool, str, Round | None]:
    """Whether to offer the comment form. The service decides again when the form is sent
    (deadlines included); this only spares people a form they cannot use."""
    round_ = current_round(db)
    if not allowed(principal.role, Action.COMMENT):
        return False, "Members, the chairs, the secretariat and invited observers comment.", round_
    if principal.role is Role.OBSERVER and not (round_ and round_.observers_may_comment):
        where = f"{round_.symbol} does not" if round_ else "there is no round yet that does"
        return False, f"Observers comment only in rounds that invite them to; {where}.", round_
    return True, "", round_


def _where_words_are(c: Comment, text: str) -> bool:
    """Whether the comment's stored offsets still point at its words in `text`."""
    start, end = c.anchor_start, c.anchor_end
    return start is not None and end is not None and text[start:end] == c.quote


def _names(db: Session, views: list[CommentView]) -> dict[int, str]:
    ids = {
        i
        for v in views
        for i in (v.comment.resolved_by_id, v.comment.answered_by_id)
        if i is not None
    }
    if not ids:
        return {}
    return dict(db.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def build_panel(
    db: Session,
    principal: Principal,
    target: Target,
    views: list[CommentView],
    *,
    form: Form | None = None,
    action_form: Form | None = None,
    back: str = "",
) -> Panel:
    on_text = [v for v in views if v.comment.quote and (v.comment.field or "text") == "text"]
    gone = {
        v.comment.id
        for v in views
        if v.comment.quote
        and (v.comment.outdated or (v in on_text and not _where_words_are(v.comment, target.text)))
    }
    shown = [
        v
        for v in on_text
        if v.comment.id not in gone
        and v.comment.resolved_at is None
        and v.comment.withdrawn_at is None
    ]
    spans = [
        Span(v.comment.id, v.comment.anchor_start or 0, v.comment.anchor_end or 0) for v in shown
    ]
    may, refusal, round_ = _may_comment(db, principal)
    acting = principal.acting_delegation
    return Panel(
        target=target,
        principal=principal,
        threads=views,
        segments=segments(target.text, spans),
        highlighted=frozenset(v.comment.id for v in shown),
        gone=frozenset(gone),
        margin=sorted(shown, key=lambda v: (v.comment.anchor_start or 0, v.comment.id)),
        names=_names(db, views),
        form=form or forms.blank(delegation=acting.code if acting else ""),
        form_id="new-comment" if target.item_code else "new-proposal-comment",
        may_comment=may,
        refusal=refusal,
        round=round_,
        delegations=principal.delegations,
        action_form=action_form,
        back=back or target.url,
    )


def _item_target(item: Item, text: str) -> Target:
    path = ITEM_PATHS[item.kind]
    return Target(
        item_code=item.code,
        proposal_id=None,
        url=f"{path}/{item.code}",
        name=f"{item.kind.value} {item.code}",
        text=text,
        text_id=f"{item.kind.value}-text",
    )


def _proposal_target(db: Session, principal: Principal, proposal_id: int) -> Target:
    proposal = proposals.get(db, principal, proposal_id)  # NotFound for another's draft
    return Target(
        item_code=None,
        proposal_id=proposal.id,
        url=f"/proposals/{proposal.id}",
        name=f"proposal {proposal.reference}",
        text=str(proposal.content.get("text") or ""),
        text_id="proposal-text",
    )


def find_target(
    db: Session, principal: Principal, *, item_code: str | None, proposal_id: int | None
) -> Target:
    if (item_code is None) == (proposal_id is None):
        raise InvalidInput("comment on either an item or a proposal", field="target")
    if proposal_id is not None:
        return _proposal_target(db, principal, proposal_id)
    view = register.current(db, item_code or "")
    return _item_target(view.item, view.revision.text)


def target_of(db: Session, principal: Principal, comment: Comment) -> Target:
    if comment.proposal_id is not None:
        return _proposal_target(db, principal, comment.proposal_id)
    item = db.get(Item, comment.item_id)
    assert item is not None
    return find_target(db, principal, item_code=item.code, proposal_id=None)


def has_written_on(db: Session, user_id: int, item_code: str) -> bool:
    """Whether the person wrote any comment on the item's threads (one indexed query): what
    they see of those threads differs from what others with the same role see."""
    found = db.scalar(_WRITTEN_ON, {"code": item_code.upper(), "user_id": user_id})
    return found is not None


# Built once: it runs for every view of an item page, to choose the cached body's key.
_WRITTEN_ON = (
    select(Comment.id)
    .join(Item, Item.id == Comment.item_id)
    .where(Item.code == bindparam("code"), Comment.author_id == bindparam("user_id"))
    .limit(1)
)


def comments_panel(
    db: Session, principal: Principal, item: Item, revision: Revision
) -> dict[str, Any]:
    """The item page's comment threads, and its text cut where comments mark words."""
    views = service.threads(db, principal, item_id=item.id)
    target = _item_target(item, revision.text)
    return {"comment_panel": build_panel(db, principal, target, views)}


def comments_on_proposal(db: Session, principal: Principal, proposal_id: int) -> dict[str, Any]:
    """For the proposal page: merge into its context and include _proposal_comments.html."""
    target = _proposal_target(db, principal, proposal_id)
    views = service.threads(db, principal, proposal_id=proposal_id)
    return {"proposal_comments": build_panel(db, principal, target, views)}
