"""GET /api/v1/search: the search page's results as JSON, for scripts."""

from typing import Annotated

from fastapi import Query, Response
from pydantic_core import to_json

from app.accounts.permissions import Action
from app.search import service
from app.search.schemas import Kind, SearchOut
from app.web.api_common import api_router, errors
from app.web.deps import Context, RequestContext

router = api_router("/search", "search")

Searcher = Annotated[RequestContext, Context(Action.SEARCH)]


# The answer is written as JSON here, once, by the serializer pydantic uses (the same bytes as
# SearchOut's; tests/test_search.py compares them): FastAPI would otherwise validate the results
# against SearchOut once more, in a thread-pool hop of its own, before writing the same JSON.
# SearchOut stays the documented answer (response_model).
@router.get("", responses=errors(404), response_model=SearchOut)
def search(
    ctx: Searcher,
    q: Annotated[str, Query(description='Words; "a phrase" in double quotes; a reference')],
    kind: Kind | None = None,
    dimension: Annotated[str | None, Query(description="Dimension code or prefix")] = None,
    delegation: Annotated[str | None, Query(description="Delegation code")] = None,
    round: Annotated[str | None, Query(description="Round symbol or id")] = None,
    state: str | None = None,
    page: int = 1,
) -> Response:
    """Indicators, sections, proposals and comments you may see that hold every word asked,
    best first (the one whose reference was asked, first of all), 20 a page. A filter naming
    no dimension, delegation or round answers 404 naming it; other bad input 422."""
    found = service.search(
        ctx.db,
        ctx.principal,
        q,
        page=page,
        filters=service.Filters(
            kind=kind, dimension=dimension, delegation=delegation, round=round, state=state
        ),
    )
    body = {
        # SearchResultOut's fields, in its order.
        "results": [
            {
                "kind": h.kind,
                "ref": h.ref,
                "title": h.title,
                "snippet": str(h.snippet),
                "url": h.url,
                "state": h.state,
                "delegation": h.delegation,
                "dimension": h.dimension,
            }
            for h in found.hits
        ],
        "total": found.total,
        "page": found.page,
        "pages": found.pages,
    }
    return Response(to_json(body), media_type="application/json")
