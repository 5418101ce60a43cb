"""Admin pages of people: the list with filters, inviting one person, importing a roster
(preview, then confirm), and a person's page (role and delegations, disable or enable, a new
invitation, a reset second factor, the history of the account)."""

from typing import Annotated, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from app.accounts.permissions import Action
from app.errors import DomainError, InvalidInput, NotFound
from app.groups import service as groups
from app.ids import is_id
from app.models import Role
from app.people import roster, service
from app.people.service import LastSeen, PeopleFilter, PersonState
from app.web.deps import Context, DbRoute, RequestContext
from app.web.forms import Form, PostedForm, Problem, sentence, text, texts
from app.web.templating import render

router = APIRouter(route_class=DbRoute, include_in_schema=False)

Manager = Annotated[RequestContext, Context(Action.MANAGE_PEOPLE)]

# Where each service field is shown on the pages.
INVITE_FIELDS = {
    "email": "email",
    "name": "name",
    "role": "role",
    "delegations": "delegations",
    "delegation": "delegations",
}
PERSON_FIELDS = {
    "role": "role",
    "delegations": "delegations",
    "delegation": "delegations",
    "reason": "reason",
    "version": "person-form",
    "active": "account",
    "person": "person-form",
}
DONE = {
    "invited": "Invitation sent to {email}. The link in it works for 7 days.",
    "saved": "{name}'s role and delegations are saved.",
    "disabled": "{name}'s account is disabled and their sessions have ended.",
    "enabled": "{name}'s account is enabled again.",
    "resent": "A new invitation was sent to {email}; earlier links no longer work.",
    "reset": "{name}'s second factor was reset; they were told by mail.",
}


E = TypeVar("E", Role, PersonState, LastSeen)


def _choice(kind: type[E], value: str | None) -> E | None:
    try:
        return kind(value) if value else None
    except ValueError:
        return None


def _filters(request: Request) -> PeopleFilter:
    """The list's filters from the address; a value that names nothing is left out."""
    params = request.query_params
    mfa = params.get("mfa", "")
    return PeopleFilter(
        role=_choice(Role, params.get("role")),
        delegation=params.get("delegation", "").strip().upper()[:32] or None,
        state=_choice(PersonState, params.get("state")),
        seen=_choice(LastSeen, params.get("seen")),
        mfa={"yes": True, "no": False}.get(mfa),
        q=params.get("q", "").strip()[:200],
    )


def _query(f: PeopleFilter, **extra: object) -> str:
    values = {
        "role": f.role.value if f.role else "",
        "delegation": f.delegation or "",
        "state": f.state.value if f.state else "",
        "seen": f.seen.value if f.seen else "",
        "mfa": {True: "yes", False: "no"}.get(f.mfa, "") if f.mfa is not None else "",
        "q": f.q,
    } | {k: str(v) for k, v in extra.items()}
    return urlencode({k: v for k, v in values.items() if v})


@router.get("/admin/people")
def people_list(ctx: Manager) -> HTMLResponse:
    request, db = ctx.request, ctx.db
    f = _filters(request)
    page_value = request.query_params.get("page", "1")
    page = int(page_value) if is_id(page_value) else 1
    found = service.people(db, f, now=ctx.now, page=page)
    imported = request.query_params.get("imported", "")
    return render(
        request,
        "admin_people.html",
        {
            "found": found,
            "filters": f,
            "roles": list(Role),
            "states": list(PersonState),
            "seen_choices": list(LastSeen),
            "delegations": groups.delegations(db),
            "previous_url": f"/admin/people?{_query(f, page=found.page - 1)}"
            if found.page > 1
            else None,
            "next_url": f"/admin/people?{_query(f, page=found.page + 1)}"
            if found.page < found.pages
            else None,
            "imported": int(imported) if is_id(imported) else 0,
        },
    )


# --- Inviting one person ----------------------------------------------------------------------


def _invite_page(ctx: RequestContext, form: Form, status_code: int = 200) -> HTMLResponse:
    return render(
        ctx.request,
        "admin_invite.html",
        {
            "form": form,
            "problems": form.problems,
            "roles": list(Role),
            "delegations": groups.delegations(ctx.db, include_retired=False),
            "chosen": form.values.get("delegations", "").split(),
        },
        status_code,
    )


@router.get("/admin/people/new")
def invite_form(ctx: Manager) -> HTMLResponse:
    return _invite_page(ctx, Form({"role": Role.MEMBER.value}, name="invite"))


@router.post("/admin/people/new")
def invite(ctx: Manager, posted: PostedForm) -> Response:
    chosen = texts(posted, "delegations")
    form = Form(
        {
            "email": text(posted, "email", 300),
            "name": text(posted, "name", 300),
            "role": text(posted, "role", 32),
            "delegations": " ".join(chosen),
        },
        name="invite",
    )
    if not form.values["role"]:
        form.add("role", "Choose the person's role")
        return _invite_page(ctx, form, 422)
    try:
        user = service.invite_person(
            ctx.db,
            ctx.principal,
            email=form.values["email"],
            name=form.values["name"],
            role=form.values["role"],
            delegation_codes=chosen,
            now=ctx.now,
            settings=ctx.settings,
            request_id=ctx.request_id,
        )
    except DomainError as exc:
        form.add_refusal(exc, INVITE_FIELDS)
        return _invite_page(ctx, form, exc.status_code)
    return RedirectResponse(f"/admin/people/{user.id}?done=invited", status_code=303)


# --- A roster ---------------------------------------------------------------------------------


def _roster_page(
    request: Request,
    *,
    problems: list[Problem],
    status_code: int = 200,
    found: roster.Roster | None = None,
    sealed: str = "",
    content: str = "",
) -> HTMLResponse:
    return render(
        request,
        "admin_roster.html",
        {
            "problems": problems,
            "roster": found,
            "sealed": sealed,
            "content": content,
            "max_rows": roster.MAX_ROWS,
            "max_kb": roster.MAX_BYTES // 1024,
        },
        status_code,
    )


def _row_problems(found: roster.Roster) -> list[Problem]:
    return [Problem(f"row-{r.row}", f"Row {r.row}: {p}") for r in found.rows for p in r.problems]


@router.get("/admin/people/import")
def roster_form(ctx: Manager) -> HTMLResponse:
    return _roster_page(ctx.request, problems=[])


def _problem(exc: DomainError) -> Problem:
    return Problem("file", sentence(exc))


@router.post("/admin/people/import")
def roster_upload(ctx: Manager, posted: PostedForm) -> Response:
    """A file chosen, or the rows typed or corrected in the box: the preview. With problems, the
    rows come back in the box to correct; without, sealed in the page for confirming."""
    request, principal = ctx.request, ctx.principal
    file = posted.get("file")
    pasted = posted.get("content")
    data = b""
    if isinstance(file, UploadFile) and (file.filename or "").strip():
        data = file.file.read(roster.MAX_BYTES + 1)
    elif isinstance(pasted, str) and pasted.strip():
        data = pasted.encode()
    if not data:
        return _roster_page(
            request,
            problems=[Problem("file", "Choose the roster file (CSV), or type the rows")],
            status_code=422,
        )
    try:
        content = roster.decode(data)
    except DomainError as exc:
        return _roster_page(request, problems=[_problem(exc)], status_code=exc.status_code)
    try:
        found = roster.read(ctx.db, data, inviter_role=principal.role)
    except DomainError as exc:
        return _roster_page(
            request, problems=[_problem(exc)], status_code=exc.status_code, content=content
        )
    if not found.ok:
        return _roster_page(
            request, problems=_row_problems(found), status_code=422, found=found, content=content
        )
    return _roster_page(
        request,
        problems=[],
        found=found,
        sealed=roster.seal(ctx.settings.secret_key, principal.user_id, data, now=ctx.now),
    )


@router.post("/admin/people/import/confirm")
def roster_confirm(ctx: Manager, posted: PostedForm) -> Response:
    request, principal, now, settings = ctx.request, ctx.principal, ctx.now, ctx.settings
    try:
        data = roster.unseal(
            settings.secret_key, principal.user_id, text(posted, "roster", 2_000_000), now=now
        )
    except DomainError as exc:
        return _roster_page(request, problems=[_problem(exc)], status_code=exc.status_code)
    try:
        invited = roster.confirm(
            ctx.db,
            service.admin_actor(principal, ctx.request_id),
            data,
            inviter_role=principal.role,
            now=now,
            settings=settings,
        )
    except roster.RosterRefused as refused:
        return _roster_page(
            request,
            problems=[_problem(refused), *_row_problems(refused.roster)],
            status_code=409,
            found=refused.roster,
            content=roster.decode(data),
        )
    return RedirectResponse(f"/admin/people?state=pending&imported={len(invited)}", status_code=303)


# --- One person -------------------------------------------------------------------------------


def _user_id(value: str) -> int:
    if not is_id(value):
        raise NotFound(f"no person with id {value!r}", field="person")
    return int(value)


def _person_page(
    ctx: RequestContext,
    user_id: int,
    *,
    form: Form | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    request, db, principal, settings = ctx.request, ctx.db, ctx.principal, ctx.settings
    person = service.get_person(db, user_id, now=ctx.now, settings=settings)
    held = {d.code for d in person.delegations}
    choices = [d for d in groups.delegations(db) if d.retired_at is None or d.code in held]
    form = form or Form(name="person")
    done = request.query_params.get("done", "")
    return render(
        request,
        "admin_person.html",
        {
            "person": person,
            "user": person.user,
            "form": form,
            "problems": form.problems,
            "roles": list(Role),
            "delegations": choices,
            "chosen": form.values["delegations"].split()
            if "delegations" in form.values
            else sorted(held),
            "own": person.user.id == principal.user_id,
            "may_change": person.user.role is not Role.ADMIN or principal.role is Role.ADMIN,
            "is_admin": principal.role is Role.ADMIN,
            "mfa_required": person.user.role.value in settings.mfa_roles,
            "confirmation": DONE[done].format(name=person.user.name, email=person.user.email)
            if done in DONE
            else "",
        },
        status_code,
    )


@router.get("/admin/people/{user_id}")
def person(user_id: str, ctx: Manager) -> HTMLResponse:
    return _person_page(ctx, _user_id(user_id))


@router.post("/admin/people/{user_id}/{action}")
def change_person(
    user_id: str,
    action: str,
    ctx: Manager,
    posted: PostedForm,
) -> Response:
    db, principal, now, settings, rid = ctx.db, ctx.principal, ctx.now, ctx.settings, ctx.request_id
    number = _user_id(user_id)
    form = Form(name="person")
    version = text(posted, "version", 64)
    try:
        if action == "save":
            chosen = texts(posted, "delegations")
            form.values = {"role": text(posted, "role", 32), "delegations": " ".join(chosen)}
            role = form.values["role"]
            if role and role not in {r.value for r in Role}:
                raise InvalidInput(f"{role!r} is not a role", field="role")
            service.update_person(
                db,
                principal,
                user_id=number,
                expected_version=version,
                role=Role(role) if role else None,
                delegation_codes=chosen,
                now=now,
                request_id=rid,
            )
            done = "saved"
        elif action in ("disable", "enable"):
            service.update_person(
                db,
                principal,
                user_id=number,
                expected_version=version,
                active=action == "enable",
                now=now,
                request_id=rid,
            )
            done = f"{action}d"
        elif action == "invitation":
            service.resend_invitation(
                db, principal, user_id=number, now=now, settings=settings, request_id=rid
            )
            done = "resent"
        elif action == "reset-second-factor":
            form.values = {"reason": text(posted, "reason", 1000)}
            service.reset_second_factor(
                db,
                principal,
                user_id=number,
                reason=form.values["reason"],
                now=now,
                settings=settings,
                request_id=rid,
            )
            done = "reset"
        else:
            raise NotFound(f"no such change to a person: {action!r}")
    except DomainError as exc:
        if isinstance(exc, NotFound) and exc.extra.get("field") in (None, "person"):
            raise
        form.add_refusal(exc, PERSON_FIELDS)
        return _person_page(ctx, number, form=form, status_code=exc.status_code)
    return RedirectResponse(f"/admin/people/{number}?done={done}", status_code=303)
