"""The comment-response table as a web page: every input of a round, its answer and outcome; the
secretariat answers each row in place."""

import re
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app.accounts.permissions import Action
from app.comments import forms
from app.comments import service as comments
from app.errors import InvalidInput
from app.models import Role, Round
from app.paging import PER_PAGE, page_number, slice_of
from app.proposals import service as proposals
from app.responses import service
from app.rounds.service import current_round, get_round, list_rounds
from app.web.deps import Context, DbRoute, RequestContext
from app.web.forms import Form, PostedForm
from app.web.templating import render

router = APIRouter(route_class=DbRoute, include_in_schema=False)

Reader = Annotated[RequestContext, Context(Action.READ_REGISTER)]
Answerer = Annotated[RequestContext, Context(Action.ANSWER)]
REFERENCE = re.compile(r"^([PC])-([0-9]{1,12})$")


def _round(db: Session, ref: str | None) -> Round | None:
    return get_round(db, ref) if ref else current_round(db)


def _query(round_: Round | None) -> str:
    return f"?round={quote(round_.symbol, safe='')}" if round_ else ""


def _page(
    ctx: RequestContext,
    round_ref: str | None,
    *,
    number: int = 1,
    form: Form | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    chosen = _round(ctx.db, round_ref)
    rows = service.table(
        ctx.db,
        ctx.principal,
        round_id=chosen.id if chosen else None,
        summary_chars=service.SUMMARY_CHARS,
    )
    # Fifty rows a page (a round's table runs to thousands of inputs, each with its answer
    # form); a refused answer is shown on the page that holds its row.
    if form is not None and form.problems:
        number = _page_of(rows, (form.problems[0].field or "").removeprefix("answer-"))
    shown = slice_of(rows, number)
    return render(
        ctx.request,
        "responses.html",
        {
            "rows": shown.rows,
            "shown": shown,
            "answered": sum(1 for r in rows if r.answer),
            "filters": {"round": chosen.symbol if chosen else ""},
            "round": chosen,
            "rounds": list_rounds(ctx.db),
            "query": _query(chosen),
            "may_answer": ctx.principal.role is Role.SECRETARIAT,
            "form": form or Form({}),
        },
        status_code,
    )


def _page_of(rows: list[service.ResponseRow], reference: str) -> int:
    """The page (from 1) that holds the row of `reference` (the first page if none does)."""
    for index, row in enumerate(rows):
        if row.reference == reference:
            return index // PER_PAGE + 1
    return 1


@router.get("/responses")
def responses(
    ctx: Reader,
    round: Annotated[str | None, Query(max_length=64)] = None,
    page: Annotated[str, Query(max_length=8)] = "",
) -> HTMLResponse:
    return _page(ctx, round, number=page_number(page))


@router.post("/responses/answer")
def answer(ctx: Answerer, posted: PostedForm) -> Response:
    """The secretariat answers one row: a proposal (P-n) or a comment (C-n)."""
    reference = str(posted.get("reference") or "")
    round_ref = str(posted.get("round") or "") or None
    found = REFERENCE.match(reference)
    if found is None:
        raise InvalidInput("the form names no input to answer", field="reference")
    field_id = f"answer-{reference}"
    form = forms.parse_answer(posted, field_id)
    if form.ok:
        kind, number = found.group(1), int(found.group(2))
        answer_service = proposals.answer if kind == "P" else comments.answer
        try:
            answer_service(
                ctx.db,
                ctx.principal,
                number,
                text=form.values[field_id],
                now=ctx.now,
                request_id=ctx.request_id,
            )
        except InvalidInput as exc:
            form.add_refusal(exc, {}, field_id)
        else:
            chosen = _round(ctx.db, round_ref)
            rows = service.table(
                ctx.db,
                ctx.principal,
                round_id=chosen.id if chosen else None,
                summary_chars=service.SUMMARY_CHARS,
            )
            number = _page_of(rows, reference)
            where = _query(chosen)
            if number > 1:
                where += f"{'&' if where else '?'}page={number}"
            return RedirectResponse(f"/responses{where}#input-{reference}", status_code=303)
    return _page(ctx, round_ref, form=form, status_code=422)
