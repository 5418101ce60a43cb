"""Web pages of comments, in the manner of Word's Review pane: threads beside the words they quote,
the words marked in the text, and plain HTML forms to comment, reply, edit, withdraw, resolve,
reopen and answer. Every form works without JavaScript; app/static/comments.js only adds
"select words, then comment on them".

What the comment threads on an item or a proposal look like is assembled in app/comments/panels.py,
which the item pages and the proposal page use too.
"""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.accounts.permissions import Action
from app.comments import forms, service
from app.comments.panels import ITEM_PATHS, Panel, build_panel, find_target, target_of
from app.errors import Conflict, InvalidInput, PermissionDenied, PreconditionFailed
from app.ids import is_id
from app.models import (
    Comment,
    CommentKind,
    Item,
    Visibility,
)
from app.web.deps import Context, DbRoute, RequestContext
from app.web.forms import Form, PostedForm
from app.web.templating import render

router = APIRouter(route_class=DbRoute, include_in_schema=False)

Reader = Annotated[RequestContext, Context(Action.READ_REGISTER)]
Commenter = Annotated[RequestContext, Context(Action.COMMENT)]
Answerer = Annotated[RequestContext, Context(Action.ANSWER)]


# --- Pages ------------------------------------------------------------------------------------


def _form_page(ctx: RequestContext, panel: Panel, status_code: int = 200) -> HTMLResponse:
    return render(ctx.request, "comment_form.html", {"panel": panel}, status_code)


def _thread_page(
    ctx: RequestContext, comment_id: int, *, action_form: Form | None = None, status_code: int = 200
) -> HTMLResponse:
    view = service.comment_by_id(ctx.db, ctx.principal, comment_id)
    target = target_of(ctx.db, ctx.principal, view.comment)
    panel = build_panel(
        ctx.db,
        ctx.principal,
        target,
        [view],
        action_form=action_form,
        back=f"/comments/{view.comment.id}",
    )
    return render(ctx.request, "comment_thread.html", {"panel": panel, "thread": view}, status_code)


def _edit_page(
    ctx: RequestContext,
    comment: Comment,
    form: Form,
    *,
    back: str,
    changed: Comment | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    target = target_of(ctx.db, ctx.principal, comment)
    return render(
        ctx.request,
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
    ctx: Commenter,
    item: Annotated[str | None, Query(max_length=32)] = None,
    proposal: int | None = None,
) -> HTMLResponse:
    target = find_target(ctx.db, ctx.principal, item_code=item, proposal_id=proposal)
    return _form_page(ctx, build_panel(ctx.db, ctx.principal, target, []))


@router.post("/comments")
def post_comment(ctx: Commenter, posted: PostedForm) -> Response:
    parent = posted.get("parent_id")
    if isinstance(parent, str) and parent.strip():
        if not is_id(parent.strip()):
            raise InvalidInput("the form names no comment to reply to", field="parent_id")
        return _reply(ctx, posted, int(parent))
    form = forms.parse_new(posted)
    target = find_target(
        ctx.db,
        ctx.principal,
        item_code=form.text("item").strip() or None,
        proposal_id=form.number("proposal_id"),
    )
    status = 422
    if form.ok:
        v = form.values
        anchored = bool(v["start"])
        try:
            comment = service.add(
                ctx.db,
                ctx.principal,
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
                personal_data_checked=forms.checked(posted),
                now=ctx.now,
                request_id=ctx.request_id,
            )
        except (InvalidInput, Conflict) as exc:
            # A refusal about a field (words not found, deadline passed, personal data) comes
            # back beside the form with everything typed; any other conflict is the error page.
            if "field" not in exc.extra:
                raise
            if not forms.personal_data_refused(form, exc, "comment-body", "comment"):
                form.add_refusal(exc, forms.NEW_FIELD_IDS, "comment-body")
            status = exc.status_code
        else:
            return RedirectResponse(f"{target.url}#comment-{comment.id}", status_code=303)
    panel = build_panel(ctx.db, ctx.principal, target, [], form=form)
    return _form_page(ctx, panel, status)


def _reply(ctx: RequestContext, posted: FormData, parent_id: int) -> Response:
    form = forms.parse_reply(posted, parent_id)
    field_id = f"reply-{parent_id}"
    status = 422
    if form.ok:
        try:
            reply = service.add(
                ctx.db,
                ctx.principal,
                body=form.values[field_id],
                parent_id=parent_id,
                personal_data_checked=forms.checked(posted),
                now=ctx.now,
                request_id=ctx.request_id,
            )
        except (InvalidInput, Conflict) as exc:
            if "field" not in exc.extra:
                raise
            if not forms.personal_data_refused(form, exc, field_id, "reply"):
                form.add_refusal(exc, {}, field_id)
            status = exc.status_code
        else:
            return _back(ctx.db, reply, posted)
    return _thread_page(ctx, parent_id, action_form=form, status_code=status)


@router.get("/comments/{comment_id}")
def comment_thread(comment_id: int, ctx: Reader) -> HTMLResponse:
    return _thread_page(ctx, comment_id)


@router.get("/comments/{comment_id}/edit")
def edit_comment(
    comment_id: int, ctx: Commenter, next: Annotated[str, Query(max_length=300)] = ""
) -> HTMLResponse:
    comment = service.get(ctx.db, ctx.principal, comment_id)
    if comment.author_id != ctx.principal.user_id:
        # The service refuses the edit anyway; this spares the person a form they cannot send.
        raise PermissionDenied(f"only the author of {comment.reference} may edit it")
    form = Form({"body": comment.body, "version": str(comment.version)})
    back = forms.safe_next(next) or _home(ctx.db, comment)
    return _edit_page(ctx, comment, form, back=back)


@router.post("/comments/{comment_id}/edit")
def save_comment(comment_id: int, ctx: Commenter, posted: PostedForm) -> Response:
    form = forms.parse_edit(posted)
    status = 422
    if form.ok:
        try:
            comment = service.edit(
                ctx.db,
                ctx.principal,
                comment_id,
                body=form.values["body"],
                expected_version=int(form.values["version"]),
                personal_data_checked=forms.checked(posted),
                now=ctx.now,
                request_id=ctx.request_id,
            )
        except PreconditionFailed:
            # Changed since the form was opened: show what it says now and keep their text,
            # based on the current version, so that saving again is a deliberate choice.
            current = service.get(ctx.db, ctx.principal, comment_id)
            form.values["version"] = str(current.version)
            return _edit_page(
                ctx,
                current,
                form,
                back=_next(posted) or _home(ctx.db, current),
                changed=current,
                status_code=412,
            )
        except InvalidInput as exc:
            if not forms.personal_data_refused(form, exc, "body", "comment"):
                form.add_refusal(exc, {"body": "body"}, "body")
        else:
            return _back(ctx.db, comment, posted)
    comment = service.get(ctx.db, ctx.principal, comment_id)
    back = _next(posted) or _home(ctx.db, comment)
    return _edit_page(ctx, comment, form, back=back, status_code=status)


@router.post("/comments/{comment_id}/withdraw")
def withdraw_comment(comment_id: int, ctx: Commenter, posted: PostedForm) -> RedirectResponse:
    comment = service.withdraw(
        ctx.db, ctx.principal, comment_id, now=ctx.now, request_id=ctx.request_id
    )
    return _back(ctx.db, comment, posted)


@router.post("/comments/{comment_id}/resolve")
def resolve_comment(comment_id: int, ctx: Commenter, posted: PostedForm) -> RedirectResponse:
    comment = service.set_resolved(
        ctx.db, ctx.principal, comment_id, resolved=True, now=ctx.now, request_id=ctx.request_id
    )
    return _back(ctx.db, comment, posted)


@router.post("/comments/{comment_id}/reopen")
def reopen_comment(comment_id: int, ctx: Commenter, posted: PostedForm) -> RedirectResponse:
    comment = service.set_resolved(
        ctx.db, ctx.principal, comment_id, resolved=False, now=ctx.now, request_id=ctx.request_id
    )
    return _back(ctx.db, comment, posted)


@router.post("/comments/{comment_id}/answer")
def answer_comment(comment_id: int, ctx: Answerer, posted: PostedForm) -> Response:
    field_id = f"answer-{comment_id}"
    form = forms.parse_answer(posted, field_id)
    if form.ok:
        try:
            comment = service.answer(
                ctx.db,
                ctx.principal,
                comment_id,
                text=form.values[field_id],
                now=ctx.now,
                request_id=ctx.request_id,
            )
        except InvalidInput as exc:
            form.add_refusal(exc, {}, field_id)
        else:
            return _back(ctx.db, comment, posted)
    return _thread_page(ctx, comment_id, action_form=form, status_code=422)
