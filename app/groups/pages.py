"""Admin pages of the working group's make-up: the member states (reference data), the bodies
and the delegations, with forms to add, rename, retire and reinstate them. Nothing is deleted."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.permissions import Action
from app.errors import DomainError, InvalidInput
from app.groups import service
from app.web.deps import Context, DbRoute, RequestContext
from app.web.forms import Form, PostedForm, text
from app.web.templating import render

router = APIRouter(route_class=DbRoute, include_in_schema=False)

Manager = Annotated[RequestContext, Context(Action.MANAGE_GROUP)]

# Where each service field is shown on the page.
BODY_FIELDS = {"code": "body-code", "name": "body-name"}
DELEGATION_FIELDS = {
    "state": "delegation-state",
    "body": "delegation-body",
    "code": "delegation-state",
    "title": "delegation-title",
}
EDIT_FIELDS = {"name": "name", "title": "title"}
# What a redirect after a change says; the code shown comes from the database, not the address.
DONE = {
    "body-added": "Body {code} added. You can now add delegations that speak through it.",
    "delegation-added": "Delegation {code} added. People can now be invited to it.",
    "renamed": "{code} renamed.",
    "retired": "{code} retired.",
    "reinstated": "{code} reinstated.",
}


def _group_page(
    ctx: RequestContext,
    *,
    body_form: Form | None = None,
    delegation_form: Form | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    request, db = ctx.request, ctx.db
    done = request.query_params.get("done", "")
    code = request.query_params.get("code", "")[:32]
    bodies = service.bodies(db)
    delegations = service.delegations(db)
    known = {b.code for b in bodies} | {d.code for d in delegations}
    body_form = body_form or Form(name="body")
    delegation_form = delegation_form or Form(name="delegation")
    return render(
        request,
        "admin_group.html",
        {
            "states": service.member_states(db),
            "bodies": bodies,
            "delegations": delegations,
            "body_form": body_form,
            "delegation_form": delegation_form,
            "problems": body_form.problems + delegation_form.problems,
            "confirmation": DONE[done].format(code=code) if done in DONE and code in known else "",
        },
        status_code,
    )


@router.get("/admin/group")
def group(ctx: Manager) -> HTMLResponse:
    return _group_page(ctx)


@router.post("/admin/group/bodies")
def add_body(ctx: Manager, posted: PostedForm) -> Response:
    form = Form({"code": text(posted, "code", 32), "name": text(posted, "name", 300)}, name="body")
    try:
        body = service.add_body(
            ctx.db, ctx.actor, code=form.values["code"], name=form.values["name"], now=ctx.now
        )
    except DomainError as exc:
        form.add_refusal(exc, BODY_FIELDS)
        return _group_page(ctx, body_form=form, status_code=exc.status_code)
    return RedirectResponse(
        f"/admin/group?done=body-added&code={quote(body.code)}#bodies", status_code=303
    )


@router.post("/admin/group/delegations")
def add_delegation(ctx: Manager, posted: PostedForm) -> Response:
    form = Form(
        {
            "state": text(posted, "state", 8),
            "body": text(posted, "body", 32),
            "title": text(posted, "title", 300),
        },
        name="delegation",
    )
    if not form.values["state"]:
        form.add("delegation-state", "Choose the member state")
    if not form.values["body"]:
        form.add("delegation-body", "Choose the body")
    if form.problems:
        return _group_page(ctx, delegation_form=form, status_code=422)
    try:
        delegation = service.add_delegation(
            ctx.db,
            ctx.actor,
            state_code=form.values["state"],
            body_code=form.values["body"],
            title=form.values["title"] or None,
            now=ctx.now,
        )
    except DomainError as exc:
        form.add_refusal(exc, DELEGATION_FIELDS)
        return _group_page(ctx, delegation_form=form, status_code=exc.status_code)
    return RedirectResponse(
        f"/admin/group?done=delegation-added&code={quote(delegation.code)}#delegations",
        status_code=303,
    )


# --- One body or delegation -------------------------------------------------------------------


def _item_page(
    ctx: RequestContext,
    kind: str,
    code: str,
    *,
    form: Form | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    request, db = ctx.request, ctx.db
    row: service.BodyRow | service.DelegationRow
    if kind == "body":
        body = service.get_body(db, code)
        row = service.bodies(db, code=body.code)[0]
        members = [d for d in service.delegations(db) if d.body_code == body.code]
        url = f"/admin/group/bodies/{quote(body.code)}"
    else:
        delegation = service.get_delegation(db, code)
        row = service.delegations(db, code=delegation.code)[0]
        members = []
        url = f"/admin/group/delegations/{quote(delegation.code)}"
    done = request.query_params.get("done", "")
    form = form or Form(name=kind)
    return render(
        request,
        "admin_group_item.html",
        {
            "kind": kind,
            "row": row,
            "url": url,
            "body_delegations": members,
            "form": form,
            "problems": form.problems,
            "confirmation": DONE[done].format(code=row.code)
            if done in ("renamed", "retired", "reinstated")
            else "",
        },
        status_code,
    )


def _kind(kind: str) -> str:
    names = {"bodies": "body", "delegations": "delegation"}
    if kind not in names:
        raise InvalidInput(f"{kind!r} is neither bodies nor delegations", field="kind")
    return names[kind]


@router.get("/admin/group/{kind}/{code}")
def group_item(kind: str, code: str, ctx: Manager) -> HTMLResponse:
    return _item_page(ctx, _kind(kind), code)


@router.post("/admin/group/{kind}/{code}/{action}")
def change_group_item(
    kind: str,
    code: str,
    action: str,
    ctx: Manager,
    posted: PostedForm,
) -> Response:
    which = _kind(kind)
    db, actor, now = ctx.db, ctx.actor, ctx.now
    form = Form(name=which)
    if action not in ("rename", "retire", "reinstate"):
        raise InvalidInput(f"{which} can be renamed, retired or reinstated, not {action!r}")
    try:
        if which == "body":
            current = service.get_body(db, code).code
            if action == "rename":
                form.values["name"] = text(posted, "name", 300)
                service.rename_body(db, actor, code=current, name=form.values["name"], now=now)
            elif action == "retire":
                service.retire_body(db, actor, code=current, now=now)
            else:
                service.reinstate_body(db, actor, code=current, now=now)
        else:
            current = service.get_delegation(db, code).code
            if action == "rename":
                form.values["title"] = text(posted, "title", 300)
                service.rename_delegation(
                    db, actor, code=current, title=form.values["title"], now=now
                )
            elif action == "retire":
                service.retire_delegation(db, actor, code=current, now=now)
            else:
                service.reinstate_delegation(db, actor, code=current, now=now)
    except DomainError as exc:
        form.add_refusal(exc, EDIT_FIELDS)
        return _item_page(ctx, which, code, form=form, status_code=exc.status_code)
    done = {"rename": "renamed", "retire": "retired", "reinstate": "reinstated"}[action]
    return RedirectResponse(f"/admin/group/{kind}/{quote(current)}?done={done}", status_code=303)
