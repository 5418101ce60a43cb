"""Web pages of comments, in the manner of Word's Review pane: threads beside the words they quote,
the words marked in the text, and plain HTML forms to comment, reply, edit, withdraw, resolve,
reopen and answer. Every form works without JavaScript; app/static/comments.js only adds
"select words, then comment on them".

What the comment threads on an item or a proposal look like is assembled in app/comments/panels.py,
which the item pages and the proposal page use too.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
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
from app.principal import Principal
from app.web.deps import Allow, DbRoute, DbSession, Now, request_id
from app.web.forms import Form, PostedForm
from app.web.templating import render

router = APIRouter(route_class=DbRoute, include_in_schema=False)

Reader = Annotated[Principal, Allow(Action.READ_REGISTER)]
Commenter = Annotated[Principal, Allow(Action.COMMENT)]
Answerer = Annotated[Principal, Allow(Action.ANSWER)]


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
    target = target_of(db, principal, view.comment)
    panel = build_panel(
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
    target = target_of(db, principal, comment)
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
    target = find_target(db, principal, item_code=item, proposal_id=proposal)
    return _form_page(request, build_panel(db, principal, target, []))


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
    target = find_target(
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
    panel = build_panel(db, principal, target, [], form=form)
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
