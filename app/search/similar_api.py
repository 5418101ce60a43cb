"""JSON API of the near-duplicate check: GET /api/v1/indicators/similar."""

from typing import Annotated, Literal

from fastapi import Query
from pydantic import BaseModel, Field

from app.accounts.permissions import Action
from app.search import similar
from app.web.api_common import api_router, errors
from app.web.deps import Context, RequestContext

router = api_router("", "register")

Reader = Annotated[RequestContext, Context(Action.READ_REGISTER)]


class SimilarIndicator(BaseModel):
    code: str = Field(description="The indicator's code, or P-<n> for a proposed new indicator")
    kind: Literal["indicator", "proposal"]
    text: str
    score: float = Field(description="Cosine of the two texts' character n-gram TF-IDF, 0 to 1")
    percent: int = Field(description="The score as a percentage, as the pages show it")
    closeness: Literal["very close", "close"]
    url: str


class SimilarList(BaseModel):
    results: list[SimilarIndicator]


@router.get("/indicators/similar", responses=errors(), response_model=SimilarList)
def similar_indicators(
    ctx: Reader,
    text: Annotated[
        str,
        Query(
            min_length=1,
            max_length=similar.MAX_TEXT,
            description="The wording to compare, for example a new indicator being drafted",
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=similar.MAX_LIMIT)] = similar.DEFAULT_LIMIT,
    exclude: Annotated[
        str | None, Query(max_length=32, description="A code to leave out (the indicator itself)")
    ] = None,
) -> SimilarList:
    """Existing indicators, and open proposals for new indicators that you may see, whose text
    says nearly the same thing as `text`, closest first: merge rather than duplicate."""
    matches = similar.similar(ctx.db, ctx.principal, text, limit=limit, exclude=exclude)
    return SimilarList(results=[SimilarIndicator(**similar.as_dict(m)) for m in matches])
