"""Web pages of comments, in the manner of Word's Review pane: threads beside the words they quote,
the words marked in the text, and plain HTML forms to comment, reply, edit, withdraw, resolve,
reopen and answer. Every form works without JavaScript; app/static/comments.js only adds
"select words, then comment on them".

The item pages (app.register.pages) merge `comments_panel` into their context; the proposal page
merges `comments_on_proposal` and includes _proposal_comments.html.
"""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.accounts.permissions import Action, allowed
from app.accounts.service import DelegationRef, Principal
from app.comments import forms, service
from app.comments.forms import Form, Problem
from app.comments.service import CommentView
from app.errors import Conflict, InvalidInput, PermissionDenied, PreconditionFailed
from app.models import (
    Comment,
    CommentKind,
    Item,
    ItemKind,
    Revision,
    Role,
    Round,
    User,
    Visibility,
)
from app.proposals import service as proposals
from app.register import service as register
from app.register.service import FIELD_LABELS
from app.rounds.service import current_round, deadline_text
from app.text.highlight import Segment, Span, segments
from app.web.deps import Allow, DbRoute, DbSession, Now, request_id
from app.web.ids import is_id
from app.web.templating import render

router = APIRouter(route_class=DbRoute, include_in_schema=False)

Reader = Annotated[Principal, Allow(Action.READ_REGISTER)]
Commenter = Annotated[Principal, Allow(Action.COMMENT)]
Answerer = Annotated[Principal, Allow(Action.ANSWER)]
ITEM_PATHS = {ItemKind.INDICATOR: "/indicators", ItemKind.SECTION: "/sections"}


async def _posted_form(request: Request) -> FormData:
    # Starlette caches the parsed form on the request, so the CSRF check and this share one parse.
    return await request.form()


PostedForm = Annotated[FormData, Depends(_posted_form)]


# --- What the pages show ----------------------------------------------------------------------


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

    @property
    def problems(self) -> list[Problem]:
        return self.form.problems + (self.action_form.problems if self.action_form else [])

    @property
    def errors(self) -> dict[str, str]:
        return (self.action_form.errors if self.action_form else {}) | self.form.errors

    def posted(self, field_id: str, default: str = "") -> str:
        if self.action_form is not None and field_id in self.action_form.values:
            return self.action_form.values[field_id]
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


def _panel(
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


def _target(
    db: Session, principal: Principal, *, item_code: str | None, proposal_id: int | None
) -> Target:
    if (item_code is None) == (proposal_id is None):
        raise InvalidInput("comment on either an item or a proposal", field="target")
    if proposal_id is not None:
        return _proposal_target(db, principal, proposal_id)
    view = register.current(db, item_code or "")
    return _item_target(view.item, view.revision.text)


def _target_of(db: Session, principal: Principal, comment: Comment) -> Target:
    if comment.proposal_id is not None:
        return _proposal_target(db, principal, comment.proposal_id)
    item = db.get(Item, comment.item_id)
    assert item is not None
    return _target(db, principal, item_code=item.code, proposal_id=None)


def comments_panel(
    db: Session, principal: Principal, item: Item, revision: Revision
) -> dict[str, Any]:
    """The item page's comment threads, and its text cut where comments mark words."""
    views = service.threads(db, principal, item_id=item.id)
    target = _item_target(item, revision.text)
    return {"comment_panel": _panel(db, principal, target, views)}


def comments_on_proposal(db: Session, principal: Principal, proposal_id: int) -> dict[str, Any]:
    """For the proposal page: merge into its context and include _proposal_comments.html."""
    target = _proposal_target(db, principal, proposal_id)
    views = service.threads(db, principal, proposal_id=proposal_id)
    return {"proposal_comments": _panel(db, principal, target, views)}


# --- Pages ------------------------------------------------------------------------------------


def _form_page(request: Request, panel: Panel, status_code: int = 200) -> HTMLResponse:
    return render(request, "comment_form.html", {"panel": panel}, status_code)


def _thread_page(
    request: Request,
    db: Session,
    principal: Principal,
    comment_id: int,
    *,
    action_form: Form | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    view = service.comment_by_id(db, principal, comment_id)
    target = _target_of(db, principal, view.comment)
    panel = _panel(
        db,
        principal,
        target,
        [view],
        action_form=action_form,
        back=f"/comments/{view.comment.id}",
    )
    return render(request, "comment_thread.html", {"panel": panel, "thread": view}, status_code)


def _edit_page(
    request: Request,
    db: Session,
    principal: Principal,
    comment: Comment,
    form: Form,
    *,
    back: str,
    changed: Comment | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    target = _target_of(db, principal, comment)
    return render(
        request,
        "comment_edit.html",
        {
            "comment": comment,
            "target": target,
            "form": form,
            "back": back,
            "changed": changed,
        },
        status_code,
    )


def _home(db: Session, comment: Comment) -> str:
    if comment.proposal_id is not None:
        return f"/proposals/{comment.proposal_id}"
    item = db.get(Item, comment.item_id)
    assert item is not None
    return f"{ITEM_PATHS[item.kind]}/{item.code}"


def _next(posted: FormData) -> str | None:
    value = posted.get("next")
    return forms.safe_next(value) if isinstance(value, str) else None


def _back(db: Session, comment: Comment, posted: FormData) -> RedirectResponse:
    """Back to the page the form was on, at the comment."""
    target = _next(posted) or _home(db, comment)
    return RedirectResponse(f"{target}#comment-{comment.id}", status_code=303)


# --- Routes -----------------------------------------------------------------------------------


@router.get("/comments/new")
def new_comment(
    request: Request,
    db: DbSession,
    principal: Commenter,
    item: Annotated[str | None, Query(max_length=32)] = None,
    proposal: int | None = None,
) -> HTMLResponse:
    target = _target(db, principal, item_code=item, proposal_id=proposal)
    return _form_page(request, _panel(db, principal, target, []))


@router.post("/comments")
def post_comment(
    request: Request, db: DbSession, now: Now, principal: Commenter, posted: PostedForm
) -> Response:
    parent = posted.get("parent_id")
    if isinstance(parent, str) and parent.strip():
        if not is_id(parent.strip()):
            raise InvalidInput("the form names no comment to reply to", field="parent_id")
        return _reply(request, db, now, principal, posted, int(parent))
    form = forms.parse_new(posted)
    target = _target(
        db,
        principal,
        item_code=form.text("item").strip() or None,
        proposal_id=form.number("proposal_id"),
    )
    status = 422
    if form.ok:
        v = form.values
        anchored = bool(v["start"])
        try:
            comment = service.add(
                db,
                principal,
                body=v["body"],
                item_code=target.item_code,
                proposal_id=target.proposal_id,
                kind=CommentKind(v["kind"]),
                visibility=Visibility(v["visibility"]),
                field_name=v["field"],
                start=form.number("start") if anchored else None,
                end=form.number("end") if anchored else None,
                quote=v["quote"] or None,
                delegation_code=v["delegation"] or None,
                now=now,
                request_id=request_id(request),
            )
        except (InvalidInput, Conflict) as exc:
            # A refusal about a field (words not found, deadline passed) comes back beside the
            # form with everything typed; any other conflict is the error page.
            if "field" not in exc.extra:
                raise
            form.add_refusal(exc, forms.NEW_FIELD_IDS, "comment-body")
            status = exc.status_code
        else:
            return RedirectResponse(f"{target.url}#comment-{comment.id}", status_code=303)
    panel = _panel(db, principal, target, [], form=form)
    return _form_page(request, panel, status)


def _reply(
    request: Request,
    db: Session,
    now: Any,
    principal: Principal,
    posted: FormData,
    parent_id: int,
) -> Response:
    form = forms.parse_reply(posted, parent_id)
    field_id = f"reply-{parent_id}"
    status = 422
    if form.ok:
        try:
            reply = service.add(
                db,
                principal,
                body=form.values[field_id],
                parent_id=parent_id,
                now=now,
                request_id=request_id(request),
            )
        except (InvalidInput, Conflict) as exc:
            if "field" not in exc.extra:
                raise
            form.add_refusal(exc, {}, field_id)
            status = exc.status_code
        else:
            return _back(db, reply, posted)
    return _thread_page(request, db, principal, parent_id, action_form=form, status_code=status)


@router.get("/comments/{comment_id}")
def comment_thread(
    comment_id: int, request: Request, db: DbSession, principal: Reader
) -> HTMLResponse:
    return _thread_page(request, db, principal, comment_id)


@router.get("/comments/{comment_id}/edit")
def edit_comment(
    comment_id: int,
    request: Request,
    db: DbSession,
    principal: Commenter,
    next: Annotated[str, Query(max_length=300)] = "",
) -> HTMLResponse:
    comment = service.get(db, principal, comment_id)
    if comment.author_id != principal.user_id:
        # The service refuses the edit anyway; this spares the person a form they cannot send.
        raise PermissionDenied(f"only the author of {comment.reference} may edit it")
    form = Form({"body": comment.body, "version": str(comment.version)})
    back = forms.safe_next(next) or _home(db, comment)
    return _edit_page(request, db, principal, comment, form, back=back)


@router.post("/comments/{comment_id}/edit")
def save_comment(
    comment_id: int,
    request: Request,
    db: DbSession,
    now: Now,
    principal: Commenter,
    posted: PostedForm,
) -> Response:
    form = forms.parse_edit(posted)
    status = 422
    if form.ok:
        try:
            comment = service.edit(
                db,
                principal,
                comment_id,
                body=form.values["body"],
                expected_version=int(form.values["version"]),
                now=now,
                request_id=request_id(request),
            )
        except PreconditionFailed:
            # Changed since the form was opened: show what it says now and keep their text,
            # based on the current version, so that saving again is a deliberate choice.
            current = service.get(db, principal, comment_id)
            form.values["version"] = str(current.version)
            return _edit_page(
                request,
                db,
                principal,
                current,
                form,
                back=_next(posted) or _home(db, current),
                changed=current,
                status_code=412,
            )
        except InvalidInput as exc:
            form.add_refusal(exc, {"body": "body"}, "body")
        else:
            return _back(db, comment, posted)
    comment = service.get(db, principal, comment_id)
    back = _next(posted) or _home(db, comment)
    return _edit_page(request, db, principal, comment, form, back=back, status_code=status)


@router.post("/comments/{comment_id}/withdraw")
def withdraw_comment(
    comment_id: int,
    request: Request,
    db: DbSession,
    now: Now,
    principal: Commenter,
    posted: PostedForm,
) -> RedirectResponse:
    comment = service.withdraw(db, principal, comment_id, now=now, request_id=request_id(request))
    return _back(db, comment, posted)


@router.post("/comments/{comment_id}/resolve")
def resolve_comment(
    comment_id: int,
    request: Request,
    db: DbSession,
    now: Now,
    principal: Commenter,
    posted: PostedForm,
) -> RedirectResponse:
    comment = service.set_resolved(
        db, principal, comment_id, resolved=True, now=now, request_id=request_id(request)
    )
    return _back(db, comment, posted)


@router.post("/comments/{comment_id}/reopen")
def reopen_comment(
    comment_id: int,
    request: Request,
    db: DbSession,
    now: Now,
    principal: Commenter,
    posted: PostedForm,
) -> RedirectResponse:
    comment = service.set_resolved(
        db, principal, comment_id, resolved=False, now=now, request_id=request_id(request)
    )
    return _back(db, comment, posted)


@router.post("/comments/{comment_id}/answer")
def answer_comment(
    comment_id: int,
    request: Request,
    db: DbSession,
    now: Now,
    principal: Answerer,
    posted: PostedForm,
) -> Response:
    field_id = f"answer-{comment_id}"
    form = forms.parse_answer(posted, field_id)
    if form.ok:
        try:
            comment = service.answer(
                db,
                principal,
                comment_id,
                text=form.values[field_id],
                now=now,
                request_id=request_id(request),
            )
        except InvalidInput as exc:
            form.add_refusal(exc, {}, field_id)
        else:
            return _back(db, comment, posted)
    return _thread_page(request, db, principal, comment_id, action_form=form, status_code=422)
