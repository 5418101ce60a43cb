"""Web pages of the register: the list of indicators, one indicator or section with its history,
diffs between revisions, and the Secretariat's forms to add and revise items."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
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
from app.register import activity, forms, service
from app.register.forms import ItemForm
from app.register.service import RevisionView
from app.search import similar
from app.web.cache import NOT_KEPT, audience_key, cached_page
from app.web.deps import Context, DbRoute, RequestContext
from app.web.forms import PostedForm
from app.web.templating import render

router = APIRouter(route_class=DbRoute, include_in_schema=False)

Reader = Annotated[RequestContext, Context(Action.READ_REGISTER)]
Editor = Annotated[RequestContext, Context(Action.EDIT_ITEM)]
Creator = Annotated[RequestContext, Context(Action.CREATE_ITEM)]
PATHS = {ItemKind.INDICATOR: "/indicators", ItemKind.SECTION: "/sections"}


def _page(
    ctx: RequestContext, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    return render(ctx.request, name, _common(ctx.principal) | context, status_code)


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
    ctx: Reader,
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
        dimensions = service.list_dimensions(ctx.db)
        if chosen is not None and chosen not in {d.code for d in dimensions}:
            raise InvalidInput("choose a dimension from the list", field="dimension")
        shown = service.register_page(
            ctx.db,
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
            "activity": activity.of_items(ctx.db, [r.code for r in shown.rows], viewer.role),
            "shown": shown,
            "count": shown.total,
            "dimensions": dimensions,
            "sections": service.list_items(ctx.db, ItemKind.SECTION),
            "filters": {"dimension": chosen or "", "status": status, "q": q},
            "filtering": filtering,
            # Kept only for what a link offers: free text, or a page past the end (shown as
            # the last), would let anyone fill the cache with copies.
            NOT_KEPT: bool(q.strip()) or shown.number != number,
        }

    # The same for every viewer of a role: the list holds nothing private.
    key = ("register", ctx.principal.role.value, chosen, status, q, number)
    return cached_page(ctx.request, ctx.db, ctx.principal, "register.html", key, build)


# --- Shared by indicators and sections -----------------------------------------------------


def _saved_revision(saved: str | None, latest: int) -> int | None:
    if saved and is_id(saved) and 1 <= int(saved) <= latest:
        return int(saved)
    return None


# The ?done= values an item page answers with a notice (_workflow_notice.html).
WORKFLOW_NOTICES = ("position", "marked")


def _item_page(ctx: RequestContext, kind: ItemKind, code: str, saved: str | None) -> HTMLResponse:
    keyed_by_person = False  # set by key(): the fragment's key names the viewer
    # saved= as the key holds it: a fragment is kept under it only when it names a revision.
    saved_key = saved if saved and is_id(saved) and len(saved) <= 6 else ""

    def build(viewer: Principal) -> dict[str, Any]:
        record = service.item_record(ctx.db, code, kind)
        view, item = record.current, record.item
        # Read with the revision (its dimension's code and title): no query of its own.
        dimension = (
            {"code": view.dimension_code, "title": view.dimension_title}
            if view.dimension_code
            else None
        )
        comments = comments_panel(ctx.db, viewer, item, view.revision)
        shown_saved = _saved_revision(saved, item.version)
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
                "saved": shown_saved,
            }
            # The drafting workflow's panels: proposals and positions, and comment threads.
            | proposals_panel(ctx.db, viewer, item, record.revisions)
            | comments
            # Threads read after key() may hold the viewer's own comment that key() did not
            # see: such a fragment is not kept under the audience's shared key. Nor is one
            # whose saved= names no revision (any number would be a new entry otherwise).
            | {
                NOT_KEPT: (
                    not keyed_by_person and comments["comment_panel"].written_by(viewer.user_id)
                )
                or saved_key != (str(shown_saved) if shown_saved else "")
            }
        )

    if kind is ItemKind.INDICATOR:
        # Shared by everyone who sees the same page: the same role, delegations and acting
        # delegation (private drafts, delegation-only comments, the forms offered), unless the
        # viewer wrote one of the item's comments (an author sees their own comments and the
        # buttons to change them). Two values of the query string change the confirmations
        # shown: saved= (a revision number; kept only when it names one) and done= (the
        # workflow notices); nothing else in it is part of the key, so arbitrary query strings
        # cannot fill the cache.
        done = ctx.request.query_params.get("done")

        def key() -> tuple[Any, ...]:
            nonlocal keyed_by_person
            parts = (
                "item",
                kind.value,
                code.upper(),
                saved_key,
                done if done in WORKFLOW_NOTICES else "",
                *audience_key(ctx.principal),
            )
            if has_written_on(ctx.db, ctx.principal.user_id, code):
                parts += (ctx.principal.user_id,)
                keyed_by_person = True
            return parts

        return cached_page(ctx.request, ctx.db, ctx.principal, "indicator.html", key, build)
    return render(ctx.request, f"{kind.value}.html", build(ctx.principal))


def _diff_page(
    ctx: RequestContext, kind: ItemKind, code: str, old: int | None, new: int | None
) -> HTMLResponse:
    item = service.get_item(ctx.db, code, kind)
    new = item.version if new is None else new
    old = max(new - 1, 1) if old is None else old
    fields = service.diff(ctx.db, item.code, old, new, kind)  # NotFound for a revision not there
    history = service.history(ctx.db, item.code, kind)
    by_number = {h.revision.number: h for h in history}
    return _page(
        ctx,
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
    ctx: RequestContext,
    form: ItemForm,
    *,
    view: RevisionView | None = None,
    conflict: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    kind = form.kind
    action = f"{PATHS[kind]}/new" if view is None else _url(kind, view.item.code, "/edit")
    return _page(
        ctx,
        "item_form.html",
        {
            "kind": kind,
            "form": form,
            "values": form.values,
            "errors": form.errors,
            "view": view,
            "action": action,
            "cancel": "/register" if view is None else _url(kind, view.item.code),
            "dimension_options": [(d.code, d.title) for d in service.list_dimensions(ctx.db)]
            if kind is ItemKind.INDICATOR
            else [],
            "conflict": conflict,
            # Near-duplicates of a new indicator's text (issue 18), beside the text box.
            "similar": similar.for_form(ctx.db, ctx.principal, str(form.values.get("text", "")))
            if view is None and kind is ItemKind.INDICATOR
            else [],
        },
        status_code,
    )


def _dimension_codes(db: Session, kind: ItemKind) -> set[str]:
    if kind is not ItemKind.INDICATOR:
        return set()
    return {d.code for d in service.list_dimensions(db)}


def _conflict_page(ctx: RequestContext, form: ItemForm, code: str) -> HTMLResponse:
    """Someone saved since the person opened the form: their text, now based on the current
    revision, and what changed in between, so that they can decide and save again."""
    kind = form.kind
    view = service.current(ctx.db, code, kind)
    base = form.base_revision
    latest = view.item.version
    form.values["base_revision"] = str(latest)
    conflict = {
        "base": base,
        "latest": latest,
        "since": [h for h in service.history(ctx.db, code, kind) if h.revision.number > base],
        "meanwhile": service.diff(ctx.db, code, base, latest, kind),
        "yours": forms.compare(view, form),
    }
    return _form_page(ctx, form, view=view, conflict=conflict, status_code=409)


def _save_edit(ctx: RequestContext, kind: ItemKind, code: str, posted: FormData) -> Response:
    view = service.current(ctx.db, code, kind)
    form = forms.parse(
        posted,
        kind,
        creating=False,
        dimension_codes=_dimension_codes(ctx.db, kind),
        latest_revision=view.item.version,
    )
    if form.ok:
        try:
            new = service.revise_item(
                ctx.db,
                ctx.actor,
                code=view.item.code,
                kind=kind,
                expected_revision=form.base_revision,
                changes=form.content(),
                reason=form.reason,
                now=ctx.now,
                dimension_code=form.dimension_code,
            )
        except PreconditionFailed:
            return _conflict_page(ctx, form, view.item.code)
        except (InvalidInput, NotFound) as exc:
            form.add_refusal(exc)
        else:
            return RedirectResponse(_url(kind, view.item.code, f"?saved={new.number}"), 303)
    return _form_page(ctx, form, view=view, status_code=422)


def _save_new(ctx: RequestContext, kind: ItemKind, posted: FormData) -> Response:
    form = forms.parse(posted, kind, creating=True, dimension_codes=_dimension_codes(ctx.db, kind))
    if form.ok:
        try:
            item = service.create_item(
                ctx.db,
                ctx.actor,
                kind=kind,
                content=form.content(),
                reason=form.reason,
                now=ctx.now,
                code=form.code,
                dimension_code=form.dimension_code,
            )
        except (InvalidInput, NotFound) as exc:
            form.add_refusal(exc)
        else:
            return RedirectResponse(_url(kind, item.code, "?saved=1"), 303)
    return _form_page(ctx, form, status_code=422)


# --- Indicators ----------------------------------------------------------------------------
# /indicators/new is declared before /indicators/{code}, which would otherwise match it.

FromRevision = Annotated[int | None, Query(alias="from", ge=1, description="Older revision")]
ToRevision = Annotated[int | None, Query(ge=1, description="Newer revision")]


@router.get("/indicators/new")
def new_indicator(ctx: Creator) -> HTMLResponse:
    return _form_page(ctx, forms.blank(ItemKind.INDICATOR))


@router.post("/indicators/new")
def create_indicator(ctx: Creator, posted: PostedForm) -> Response:
    return _save_new(ctx, ItemKind.INDICATOR, posted)


@router.get("/indicators/{code}")
def indicator(code: str, ctx: Reader, saved: str | None = None) -> HTMLResponse:
    return _item_page(ctx, ItemKind.INDICATOR, code, saved)


@router.get("/indicators/{code}/diff")
def indicator_diff(
    code: str, ctx: Reader, from_: FromRevision = None, to: ToRevision = None
) -> HTMLResponse:
    return _diff_page(ctx, ItemKind.INDICATOR, code, from_, to)


@router.get("/indicators/{code}/edit")
def edit_indicator(code: str, ctx: Editor) -> HTMLResponse:
    view = service.current(ctx.db, code, ItemKind.INDICATOR)
    return _form_page(ctx, forms.from_revision(view), view=view)


@router.post("/indicators/{code}/edit")
def save_indicator(code: str, ctx: Editor, posted: PostedForm) -> Response:
    return _save_edit(ctx, ItemKind.INDICATOR, code, posted)


# --- Sections ------------------------------------------------------------------------------


@router.get("/sections/new")
def new_section(ctx: Creator) -> HTMLResponse:
    return _form_page(ctx, forms.blank(ItemKind.SECTION))


@router.post("/sections/new")
def create_section(ctx: Creator, posted: PostedForm) -> Response:
    return _save_new(ctx, ItemKind.SECTION, posted)


@router.get("/sections/{code}")
def section(code: str, ctx: Reader, saved: str | None = None) -> HTMLResponse:
    return _item_page(ctx, ItemKind.SECTION, code, saved)


@router.get("/sections/{code}/diff")
def section_diff(
    code: str, ctx: Reader, from_: FromRevision = None, to: ToRevision = None
) -> HTMLResponse:
    return _diff_page(ctx, ItemKind.SECTION, code, from_, to)


@router.get("/sections/{code}/edit")
def edit_section(code: str, ctx: Editor) -> HTMLResponse:
    view = service.current(ctx.db, code, ItemKind.SECTION)
    return _form_page(ctx, forms.from_revision(view), view=view)


@router.post("/sections/{code}/edit")
def save_section(code: str, ctx: Editor, posted: PostedForm) -> Response:
    return _save_edit(ctx, ItemKind.SECTION, code, posted)
