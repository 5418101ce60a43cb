"""Pages of the near-duplicate check: the secretariat's list of indicators that say nearly the
same thing (/register/duplicates)."""

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from app.accounts.permissions import Action
from app.search import similar
from app.web.deps import Context, DbRoute, RequestContext
from app.web.templating import render

router = APIRouter(route_class=DbRoute, include_in_schema=False)

# The secretariat keeps the register, and merges what says the same thing twice.
Keeper = Annotated[RequestContext, Context(Action.CREATE_ITEM)]


@router.get("/register/duplicates")
def duplicates(ctx: Keeper) -> HTMLResponse:
    pairs = similar.near_duplicate_pairs(ctx.db, ctx.principal)
    return render(
        ctx.request,
        "duplicates.html",
        {
            "pairs": pairs,
            "threshold": round(similar.THRESHOLD * 100),
            "very_close": similar.VERY_CLOSE,
        },
    )
