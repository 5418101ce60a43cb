"""The help page: what each role does here, in short plain sentences, the reader's own role
first. Linked from the header of every page."""

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from app.accounts.permissions import Action
from app.models import Role
from app.web.deps import Context, DbRoute, RequestContext
from app.web.templating import render

router = APIRouter(route_class=DbRoute, include_in_schema=False)

Reader = Annotated[RequestContext, Context(Action.READ_REGISTER)]

# The order the sections come in after the reader's own.
ROLES = (Role.MEMBER, Role.SECRETARIAT, Role.CHAIR, Role.OBSERVER, Role.ADMIN)


@router.get("/help")
def help_page(ctx: Reader) -> HTMLResponse:
    own = ctx.principal.role
    order = [own, *(r for r in ROLES if r is not own)]
    return render(ctx.request, "help.html", {"roles": [r.value for r in order], "own": own.value})
