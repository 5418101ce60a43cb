"""Web pages of the register: the list of indicators, one indicator or section with its history,
diffs between revisions, and the Secretariat's forms to add and revise items."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.accounts.permissions import Action, allowed
from app.comments.panels import comments_panel, has_written_on
from app.errors import InvalidInput, NotFound, PreconditionFailed
from app.ids import is_id
from app.models import ItemKind, ItemStatus
from app.paging import page_number
from app.principal import Principal
from app.proposals.display import proposals_panel
from app.register import forms, service
from app.register.forms import ItemForm
from app.register.service import RevisionView
from app.web.cache import audience_key, cached_page
from app.web.deps import (
    Allow,
    DbRoute,
    DbSession,
    Now,
    actor_for,
)
from app.web.forms import PostedForm
from app.web.templating import render

router = APIRouter(route_class=DbRoute, include_in_schema=False)

Reader = Annotated[Principal, Allow(Action.READ_REGISTER)]
Editor = Annotated[Principal, Allow(Action.EDIT_ITEM)]
Creator = Annotated[Principal, Allow(Action.CREATE_ITEM)]
PATHS = {ItemKind.INDICATOR: "/indicators", ItemKind.SECTION: "/sections"}


def _page(
    request: Request,
    principal: Principal,
    name: str,
    context: dict[str, Any],
    status_code: int = 200,
) -> HTMLResponse:
    return render(request, name, _common(principal) | context, status_code)


def _common(principal: Principal) -> dict[str, Any]:
    return {
        "choices": forms.CHOICES,
        "labels": forms.LABELS,
        "can_edit": allowed(principal.role, Action.EDIT_ITEM),
        "can_create": allowed(principal.role, Action.CREATE_ITEM),
    }


def _url(kind: ItemKind, code: str, suffix: str = "") -> str:
    return f"{PATHS[kind]}/{code}{suffix}"


# --- The register --------------------------------------------------------------------------


@router.get("/register")
def register(
    request: Request,
    db: DbSession,
    principal: Reader,
    dimension: Annotated[str, Query(max_length=8)] = "",
    status: Annotated[str, Query(max_length=16)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    page: Annotated[str, Query(max_length=8)] = "",
) -> HTMLResponse:
    chosen = dimension.strip().upper() or None
    if status and status not in forms.CHOICES["status"]:
        raise InvalidInput("choose a status from the list", field="status")
    number = page_number(page)

    def build(viewer: Principal) -> dict[str, Any]:
        dimensions = service.list_dimensions(db)
        if chosen is not None and chosen not in {d.code for d in dimensions}:
            raise InvalidInput("choose a dimension from the list", field="dimension")
        shown = service.register_page(
            db,
            ItemKind.INDICATOR,
            number,
            dimension=chosen,
            status=ItemStatus(status) if status else None,
            q=q,
        )
        filtering = bool(chosen or status or q.strip())
        # Fifty rows a page, grouped by dimension: the dimensions with rows on this page, and on
        # an unfiltered register of one page, also the empty ones.
        groups = [(d, [r for r in shown.rows if r.dimension_code == d.code]) for d in dimensions]
        if filtering or shown.pages > 1:
            groups = [(d, found) for d, found in groups if found]
        return _common(viewer) | {
            "groups": groups,
            "shown": shown,
            "count": shown.total,
            "dimensions": dimensions,
            "sections": service.list_items(db, ItemKind.SECTION),
            "filters": {"dimension": chosen or "", "status": status, "q": q},
            "filtering": filtering,
        }

    # The same for every viewer of a role: the list holds nothing private.
    key = ("register", principal.role.value, chosen, status, q, number)
    return cached_page(request, db, principal, "register.html", key, build)


# --- Shared by indicators and sections -----------------------------------------------------


def _saved_revision(saved: str | None, latest: int) -> int | None:
    if saved and is_id(saved) and 1 <= int(saved) <= latest:
        return int(saved)
    return None


def _item_page(
    request: Request,
    db: Session,
    principal: Principal,
    kind: ItemKind,
    code: str,
    saved: str | None,
) -> HTMLResponse:
    def build(viewer: Principal) -> dict[str, Any]:
        record = service.item_record(db, code, kind)
        view, item = record.current, record.item
        dimension = service.get_dimension(db, view.dimension_code) if view.dimension_code else None
        return (
            _common(viewer)
            | {
                "kind": kind,
                "view": view,
                "rev": view.revision,
                "item": item,
                "url": _url(kind, item.code),
                "number": record.number,
                "dimension": dimension,
                "history": record.history,
                "saved": _saved_revision(saved, item.version),
            }
            # The drafting workflow's panels: proposals and positions, and comment threads.
            | proposals_panel(db, viewer, item)
            | comments_panel(db, viewer, item, view.revision)
        )

    if kind is ItemKind.INDICATOR:
        # Shared by everyone who sees the same page: the same role, delegations and acting
        # delegation (private drafts, delegation-only comments, the forms offered), unless the
        # viewer wrote one of the item's comments (an author sees their own comments and the
        # buttons to change them). The query string (saved=, done=) changes the confirmations.
        key = ("item", kind.value, code, request.url.query, *audience_key(principal))
        if has_written_on(db, principal.user_id, code):
            key += (principal.user_id,)
        return cached_page(request, db, principal, "indicator.html", key, build)
    return render(request, f"{kind.value}.html", build(principal))


def _diff_page(
    request: Request,
    db: Session,
    principal: Principal,
    kind: ItemKind,
    code: str,
    old: int | None,
    new: int | None,
) -> HTMLResponse:
    item = service.get_item(db, code, kind)
    new = item.version if new is None else new
    old = max(new - 1, 1) if old is None else old
    fields = service.diff(db, item.code, old, new, kind)  # NotFound for a revision not there
    history = service.history(db, item.code, kind)
    by_number = {h.revision.number: h for h in history}
    return _page(
        request,
        principal,
        "diff.html",
        {
            "kind": kind,
            "item": item,
            "url": _url(kind, item.code),
            "old": by_number[old],
            "new": by_number[new],
            "fields": fields,
            "history": history,
        },
    )


def _form_page(
    request: Request,
    db: Session,
    principal: Principal,
    form: ItemForm,
    *,
    view: RevisionView | None = None,
    conflict: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    kind = form.kind
    action = f"{PATHS[kind]}/new" if view is None else _url(kind, view.item.code, "/edit")
    return _page(
        request,
        principal,
        "item_form.html",
        {
            "kind": kind,
            "form": form,
            "values": form.values,
            "errors": form.errors,
            "view": view,
            "action": action,
            "cancel": "/register" if view is None else _url(kind, view.item.code),
            "dimension_options": [(d.code, d.title) for d in service.list_dimensions(db)]
            if kind is ItemKind.INDICATOR
            else [],
            "conflict": conflict,
        },
        status_code,
    )


def _dimension_codes(db: Session, kind: ItemKind) -> set[str]:
    if kind is not ItemKind.INDICATOR:
        return set()
    return {d.code for d in service.list_dimensions(db)}


def _conflict_page(
    request: Request, db: Session, principal: Principal, form: ItemForm, code: str
) -> HTMLResponse:
    """Someone saved since the person opened the form: their text, now based on the current
    revision, and what changed in between, so that they can decide and save again."""
    kind = form.kind
    view = service.current(db, code, kind)
    base = form.base_revision
    latest = view.item.version
    form.values["base_revision"] = str(latest)
    conflict = {
        "base": base,
        "latest": latest,
        "since": [h for h in service.history(db, code, kind) if h.revision.number > base],
        "meanwhile": service.diff(db, code, base, latest, kind),
        "yours": forms.compare(view, form),
    }
    return _form_page(request, db, principal, form, view=view, conflict=conflict, status_code=409)


def _save_edit(
    request: Request,
    db: Session,
    now: datetime,
    principal: Principal,
    kind: ItemKind,
    code: str,
    posted: FormData,
) -> Response:
    view = service.current(db, code, kind)
    form = forms.parse(
        posted,
        kind,
        creating=False,
        dimension_codes=_dimension_codes(db, kind),
        latest_revision=view.item.version,
    )
    if form.ok:
        try:
            new = service.revise_item(
                db,
                actor_for(principal, request),
                code=view.item.code,
                kind=kind,
                expected_revision=form.base_revision,
                changes=form.content(),
                reason=form.reason,
                now=now,
                dimension_code=form.dimension_code,
            )
        except PreconditionFailed:
            return _conflict_page(request, db, principal, form, view.item.code)
        except (InvalidInput, NotFound) as exc:
            form.add_refusal(exc)
        else:
            return RedirectResponse(_url(kind, view.item.code, f"?saved={new.number}"), 303)
    return _form_page(request, db, principal, form, view=view, status_code=422)


def _save_new(
    request: Request,
    db: Session,
    now: datetime,
    principal: Principal,
    kind: ItemKind,
    posted: FormData,
) -> Response:
    form = forms.parse(posted, kind, creating=True, dimension_codes=_dimension_codes(db, kind))
    if form.ok:
        try:
            item = service.create_item(
                db,
                actor_for(principal, request),
                kind=kind,
                content=form.content(),
                reason=form.reason,
                now=now,
                code=form.code,
                dimension_code=form.dimension_code,
            )
        except (InvalidInput, NotFound) as exc:
            form.add_refusal(exc)
        else:
            return RedirectResponse(_url(kind, item.code, "?saved=1"), 303)
    return _form_page(request, db, principal, form, status_code=422)


# --- Indicators ----------------------------------------------------------------------------
# /indicators/new is declared before /indicators/{code}, which would otherwise match it.

FromRevision = Annotated[int | None, Query(alias="from", ge=1, description="Older revision")]
ToRevision = Annotated[int | None, Query(ge=1, description="Newer revision")]


@router.get("/indicators/new")
def new_indicator(request: Request, db: DbSession, principal: Creator) -> HTMLResponse:
    return _form_page(request, db, principal, forms.blank(ItemKind.INDICATOR))


@router.post("/indicators/new")
def create_indicator(
    request: Request, db: DbSession, now: Now, principal: Creator, posted: PostedForm
) -> Response:
    return _save_new(request, db, now, principal, ItemKind.INDICATOR, posted)


@router.get("/indicators/{code}")
def indicator(
    code: str, request: Request, db: DbSession, principal: Reader, saved: str | None = None
) -> HTMLResponse:
    return _item_page(request, db, principal, ItemKind.INDICATOR, code, saved)


@router.get("/indicators/{code}/diff")
def indicator_diff(
    code: str,
    request: Request,
    db: DbSession,
    principal: Reader,
    from_: FromRevision = None,
    to: ToRevision = None,
) -> HTMLResponse:
    return _diff_page(request, db, principal, ItemKind.INDICATOR, code, from_, to)


@router.get("/indicators/{code}/edit")
def edit_indicator(code: str, request: Request, db: DbSession, principal: Editor) -> HTMLResponse:
    view = service.current(db, code, ItemKind.INDICATOR)
    return _form_page(request, db, principal, forms.from_revision(view), view=view)


@router.post("/indicators/{code}/edit")
def save_indicator(
    code: str, request: Request, db: DbSession, now: Now, principal: Editor, posted: PostedForm
) -> Response:
    return _save_edit(request, db, now, principal, ItemKind.INDICATOR, code, posted)


# --- Sections ------------------------------------------------------------------------------


@router.get("/sections/new")
def new_section(request: Request, db: DbSession, principal: Creator) -> HTMLResponse:
    return _form_page(request, db, principal, forms.blank(ItemKind.SECTION))


@router.post("/sections/new")
def create_section(
    request: Request, db: DbSession, now: Now, principal: Creator, posted: PostedForm
) -> Response:
    return _save_new(request, db, now, principal, ItemKind.SECTION, posted)


@router.get("/sections/{code}")
def section(
    code: str, request: Request, db: DbSession, principal: Reader, saved: str | None = None
) -> HTMLResponse:
    return _item_page(request, db, principal, ItemKind.SECTION, code, saved)


@router.get("/sections/{code}/diff")
def section_diff(
    code: str,
    request: Request,
    db: DbSession,
    principal: Reader,
    from_: FromRevision = None,
    to: ToRevision = None,
) -> HTMLResponse:
    return _diff_page(request, db, principal, ItemKind.SECTION, code, from_, to)


@router.get("/sections/{code}/edit")
def edit_section(code: str, request: Request, db: DbSession, principal: Editor) -> HTMLResponse:
    view = service.current(db, code, ItemKind.SECTION)
    return _form_page(request, db, principal, forms.from_revision(view), view=view)


@router.post("/sections/{code}/edit")
def save_section(
    code: str, request: Request, db: DbSession, now: Now, principal: Editor, posted: PostedForm
) -> Response:
    return _save_edit(request, db, now, principal, ItemKind.SECTION, code, posted)
