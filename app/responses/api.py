"""The comment-response table as JSON and as a spreadsheet-safe CSV."""

from datetime import datetime
from typing import Annotated

from fastapi import Query
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from app.accounts.permissions import Action
from app.responses import service
from app.rounds.service import current_round, get_round
from app.web.api_common import api_router, errors
from app.web.deps import Context, RequestContext

router = api_router("", "responses")

Reader = Annotated[RequestContext, Context(Action.READ_REGISTER)]


class ResponseRowOut(BaseModel):
    number: int
    reference: str
    kind: str
    delegation: str
    author: str
    item: str
    summary: str
    answer: str
    outcome: str
    late: bool
    submitted_at: datetime


def _round_id(db: Session, round_ref: str | None) -> int | None:
    if round_ref:
        return get_round(db, round_ref).id
    current = current_round(db)
    return current.id if current else None


@router.get("/responses", responses=errors(404))
def responses_table(
    ctx: Reader,
    round: Annotated[str | None, Query(max_length=64, description="Round symbol or id")] = None,
) -> list[ResponseRowOut]:
    """Every proposal and comment of a round with its delegation, answer and outcome."""
    rows = service.table(ctx.db, ctx.principal, round_id=_round_id(ctx.db, round))
    return [
        ResponseRowOut(
            number=n, **{k: getattr(r, k) for k in ResponseRowOut.model_fields if k != "number"}
        )
        for n, r in enumerate(rows, 1)
    ]


@router.get(
    "/responses.csv",
    responses=errors(404) | {200: {"content": {"text/csv": {}}, "description": "CSV table"}},
    response_class=Response,
)
def responses_csv(
    ctx: Reader, round: Annotated[str | None, Query(max_length=64)] = None
) -> Response:
    """The comment-response table as CSV, safe to open in a spreadsheet."""
    rows = service.table(ctx.db, ctx.principal, round_id=_round_id(ctx.db, round))
    return Response(
        service.to_csv(rows).encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="comment-response-table.csv"'},
    )
