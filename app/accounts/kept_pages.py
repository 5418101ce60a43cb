"""The way back to a form sent after the session had ended: the log-in page sends the person
here once they have logged in again (app/web/kept.py keeps the text and draws the form)."""

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response

from app.accounts.permissions import Action
from app.web import kept
from app.web.deps import Context, DbRoute, RequestContext

router = APIRouter(route_class=DbRoute, include_in_schema=False)

Signed = Annotated[RequestContext, Context(Action.READ_OWN_ACCOUNT)]


@router.get("/kept/{token}")
async def kept_form(token: str, ctx: Signed) -> Response:
    """The form, with the text the person typed and a message saying what happened. Async:
    the page is drawn again by a request of its own, which must not wait for a thread this
    one holds."""
    return await kept.show_kept(ctx, token)
