"""JSON API of comments: anchored to words, threaded, with visibility, resolution and answers."""

from typing import Annotated

from fastapi import Header, Query
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.permissions import Action
from app.comments import service
from app.comments.schemas import AnchorOut, CommentCreate, CommentOut, CommentUpdate
from app.comments.service import CommentView
from app.errors import InvalidInput
from app.models import Item
from app.proposals.schemas import AnswerIn
from app.register import service as register
from app.web.api_common import api_router, errors, expected_version
from app.web.deps import Context, RequestContext

router = api_router("", "comments")

Reader = Annotated[RequestContext, Context(Action.READ_REGISTER)]
Commenter = Annotated[RequestContext, Context(Action.COMMENT)]
Answerer = Annotated[RequestContext, Context(Action.ANSWER)]


def comment_out(v: CommentView, codes: dict[int, str]) -> CommentOut:
    c = v.comment
    withdrawn = c.withdrawn_at is not None
    anchor = None
    if c.field is not None and c.quote is not None:
        anchor = AnchorOut(
            field=c.field,
            quote=c.quote,
            made_on_revision=c.revision,
            revision=c.anchor_revision,
            start=None if c.outdated else c.anchor_start,
            end=None if c.outdated else c.anchor_end,
            outdated=c.outdated,
        )
    return CommentOut(
        id=c.id,
        reference=c.reference,
        item=codes.get(c.item_id or 0),
        proposal_id=c.proposal_id,
        parent_id=c.parent_id,
        author=v.author_name,
        delegation=v.delegation_code,
        kind=c.kind,
        visibility=c.visibility,
        body="" if withdrawn else c.body,
        anchor=anchor,
        resolved=c.resolved_at is not None,
        withdrawn=withdrawn,
        late=c.late,
        answer=c.answer,
        created_at=c.created_at,
        edited_at=c.edited_at,
        version=c.version,
        replies=[comment_out(r, codes) for r in v.replies],
    )


def _codes(db: Session, views: list[CommentView]) -> dict[int, str]:
    ids = {v.comment.item_id for v in views if v.comment.item_id}
    if not ids:
        return {}
    return dict(db.execute(select(Item.id, Item.code).where(Item.id.in_(ids))).all())


def _one(ctx: RequestContext, comment_id: int) -> JSONResponse:
    view = service.comment_by_id(ctx.db, ctx.principal, comment_id)
    out = comment_out(view, _codes(ctx.db, [view]))
    version = (
        view.comment.version if view.comment.id == comment_id else _reply_version(view, comment_id)
    )
    return JSONResponse(
        out.model_dump(mode="json"), headers={"ETag": f'"C-{comment_id}.v{version}"'}
    )


@router.get("/comments", responses=errors(404))
def list_comments(
    ctx: Reader,
    item: Annotated[str | None, Query(max_length=32, description="Item code")] = None,
    proposal_id: int | None = None,
) -> list[CommentOut]:
    """Comment threads on an item or a proposal, as far as you may see them."""
    if (item is None) == (proposal_id is None):
        raise InvalidInput("give either item or proposal_id", field="item")
    item_id = register.get_item(ctx.db, item).id if item else None
    views = service.threads(ctx.db, ctx.principal, item_id=item_id, proposal_id=proposal_id)
    codes = _codes(ctx.db, views)
    return [comment_out(v, codes) for v in views]


@router.post("/comments", status_code=201, responses=errors(404, 409), response_model=CommentOut)
def add_comment(body: CommentCreate, ctx: Commenter) -> JSONResponse:
    """Comment on selected words (start/end or quote), on a whole item or proposal, or reply."""
    comment = service.add(
        ctx.db,
        ctx.principal,
        body=body.body,
        item_code=body.item,
        proposal_id=body.proposal_id,
        parent_id=body.parent_id,
        kind=body.kind,
        visibility=body.visibility,
        field_name=body.field,
        start=body.start,
        end=body.end,
        quote=body.quote,
        delegation_code=body.delegation,
        personal_data_checked=body.personal_data_checked,
        now=ctx.now,
        request_id=ctx.request_id,
    )
    response = _one(ctx, comment.id)
    response.status_code = 201
    return response


@router.get("/comments/{comment_id}", responses=errors(404), response_model=CommentOut)
def get_comment(comment_id: int, ctx: Reader) -> JSONResponse:
    """One comment's thread."""
    return _one(ctx, comment_id)


def _version(if_match: str | None, comment_id: int) -> int:
    expected = expected_version(if_match, f"C-{comment_id}.v")
    assert expected is not None
    return expected


@router.patch(
    "/comments/{comment_id}", responses=errors(404, 409, 412, 428), response_model=CommentOut
)
def edit_comment(
    comment_id: int,
    body: CommentUpdate,
    ctx: Commenter,
    if_match: Annotated[str | None, Header(description="The ETag you read")] = None,
) -> JSONResponse:
    """Edit your own comment."""
    service.edit(
        ctx.db,
        ctx.principal,
        comment_id,
        body=body.body,
        expected_version=_version(if_match, comment_id),
        personal_data_checked=body.personal_data_checked,
        now=ctx.now,
        request_id=ctx.request_id,
    )
    return _one(ctx, comment_id)


@router.post(
    "/comments/{comment_id}/withdraw", responses=errors(404, 409), response_model=CommentOut
)
def withdraw_comment(comment_id: int, ctx: Commenter) -> JSONResponse:
    """Withdraw your own comment (it stays in the record)."""
    service.withdraw(ctx.db, ctx.principal, comment_id, now=ctx.now, request_id=ctx.request_id)
    return _one(ctx, comment_id)


@router.post(
    "/comments/{comment_id}/resolve", responses=errors(404, 409), response_model=CommentOut
)
def resolve_comment(comment_id: int, ctx: Commenter) -> JSONResponse:
    """Resolve a thread (its author or the secretariat)."""
    service.set_resolved(
        ctx.db, ctx.principal, comment_id, resolved=True, now=ctx.now, request_id=ctx.request_id
    )
    return _one(ctx, comment_id)


@router.post("/comments/{comment_id}/reopen", responses=errors(404, 409), response_model=CommentOut)
def reopen_comment(comment_id: int, ctx: Commenter) -> JSONResponse:
    """Reopen a resolved thread (its author or the secretariat)."""
    service.set_resolved(
        ctx.db, ctx.principal, comment_id, resolved=False, now=ctx.now, request_id=ctx.request_id
    )
    return _one(ctx, comment_id)


@router.post("/comments/{comment_id}/answer", responses=errors(404, 409), response_model=CommentOut)
def answer_comment(comment_id: int, body: AnswerIn, ctx: Answerer) -> JSONResponse:
    """The secretariat's answer to a comment, for the comment-response table."""
    service.answer(
        ctx.db, ctx.principal, comment_id, text=body.answer, now=ctx.now, request_id=ctx.request_id
    )
    return _one(ctx, comment_id)


def _reply_version(view: CommentView, comment_id: int) -> int:
    return next(r.comment.version for r in view.replies if r.comment.id == comment_id)
