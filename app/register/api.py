"""JSON API of the register: indicators, prose sections, dimensions."""

from typing import Annotated, Any

from fastapi import Header, Query, Response
from fastapi.responses import JSONResponse

from app.accounts.permissions import Action
from app.models import ItemKind, ItemStatus
from app.register import service
from app.register.schemas import (
    DiffOp,
    DiffOut,
    DimensionOut,
    FieldDiffOut,
    HistoryOut,
    IndicatorCreate,
    IndicatorOut,
    IndicatorUpdate,
    RegisterEntry,
    RegisterList,
    RevisionMeta,
    SectionCreate,
    SectionOut,
    SectionUpdate,
)
from app.register.service import RevisionView
from app.web.api_common import api_router, errors, etag, expected_version
from app.web.deps import Context, RequestContext

router = api_router("", "register")

Reader = Annotated[RequestContext, Context(Action.READ_REGISTER)]
Editor = Annotated[RequestContext, Context(Action.EDIT_ITEM)]
Creator = Annotated[RequestContext, Context(Action.CREATE_ITEM)]

NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified since the ETag you sent in If-None-Match"}
}


def _meta(view: RevisionView) -> RevisionMeta:
    rev = view.revision
    return RevisionMeta(
        number=rev.number,
        created_at=rev.created_at,
        author=view.author_name,
        delegation=view.delegation_code,
        delegation_name=view.delegation_name,
        reason=rev.reason,
    )


def indicator_out(view: RevisionView, number: int | None) -> IndicatorOut:
    rev = view.revision
    return IndicatorOut(
        code=view.item.code,
        number=number,
        revision=rev.number,
        dimension=view.dimension_code,
        dimension_title=view.dimension_title,
        text=rev.text,
        element=rev.element,
        strength_adult=rev.strength_adult,
        strength_child=rev.strength_child,
        profiles=rev.profiles,
        crime_types=rev.crime_types,
        intended_users=rev.intended_users,
        guidance=rev.guidance,
        information_sources=rev.information_sources,
        references=rev.references,
        rationale=rev.rationale,
        status=rev.status,
        last_change=_meta(view),
    )


def section_out(view: RevisionView, number: int | None) -> SectionOut:
    rev = view.revision
    return SectionOut(
        code=view.item.code,
        number=number,
        revision=rev.number,
        title=rev.title or "",
        text=rev.text,
        status=rev.status,
        last_change=_meta(view),
    )


def _with_etag(body: Any, code: str, revision: int, status_code: int = 200) -> JSONResponse:
    return JSONResponse(
        body.model_dump(mode="json"),
        status_code=status_code,
        headers={"ETag": etag(code, revision), "X-Revision": str(revision)},
    )


def _required_revision(if_match: str | None, code: str) -> int:
    expected = expected_version(if_match, f"{code}.r")
    assert expected is not None
    return expected


def _not_modified(if_none_match: str | None, code: str, revision: int) -> Response | None:
    if if_none_match and etag(code, revision) in if_none_match:
        return Response(status_code=304, headers={"ETag": etag(code, revision)})
    return None


def _entries(rows: list[service.RegisterRow]) -> RegisterList:
    return RegisterList(
        count=len(rows),
        items=[
            RegisterEntry(
                code=r.code,
                number=r.number,
                revision=r.revision,
                title=r.title,
                text=r.text,
                dimension=r.dimension_code,
                dimension_title=r.dimension_title,
                strength_adult=r.strength_adult,
                strength_child=r.strength_child,
                status=r.status,
                updated_at=r.updated_at,
            )
            for r in rows
        ],
    )


def _diff_out(code: str, old: int, new: int, fields: list[service.FieldDiff]) -> DiffOut:
    return DiffOut(
        code=code,
        from_revision=old,
        to_revision=new,
        fields=[
            FieldDiffOut(
                field=f.field,
                label=f.label,
                changed=f.changed,
                ops=[DiffOp(op=c.op, text=c.text) for c in f.chunks],
            )
            for f in fields
        ],
    )


@router.get("/dimensions", responses=errors())
def list_dimensions(ctx: Reader) -> list[DimensionOut]:
    """List the dimensions (clusters) of indicators, in order."""
    return [
        DimensionOut(code=d.code, prefix=d.prefix, title=d.title, description=d.description)
        for d in service.list_dimensions(ctx.db)
    ]


@router.get("/indicators", responses=errors())
def list_indicators(
    ctx: Reader,
    dimension: Annotated[str | None, Query(max_length=8, description="Dimension code")] = None,
    status: ItemStatus | None = None,
    q: Annotated[str | None, Query(max_length=200, description="Words in the text or code")] = None,
) -> RegisterList:
    """List indicators in reading order, with filters by dimension, status and text."""
    return _entries(
        service.list_items(ctx.db, ItemKind.INDICATOR, dimension=dimension, status=status, q=q)
    )


@router.post(
    "/indicators",
    status_code=201,
    responses=errors(404, 409),
    response_model=IndicatorOut,
)
def create_indicator(body: IndicatorCreate, ctx: Creator) -> JSONResponse:
    """Add an indicator to the register (revision 1)."""
    content = body.model_dump(exclude={"dimension", "code", "reason", "delegation"})
    item = service.create_item(
        ctx.db,
        ctx.acting_for(body.delegation),
        kind=ItemKind.INDICATOR,
        content=content,
        reason=body.reason,
        now=ctx.now,
        code=body.code,
        dimension_code=body.dimension,
    )
    view = service.current(ctx.db, item.code)
    response = _with_etag(
        indicator_out(view, service.display_number(ctx.db, item)), item.code, 1, 201
    )
    response.headers["Location"] = f"/api/v1/indicators/{item.code}"
    return response


@router.get("/indicators/{code}", responses=errors(404) | NOT_MODIFIED, response_model=IndicatorOut)
def get_indicator(
    code: str, ctx: Reader, if_none_match: Annotated[str | None, Header()] = None
) -> Response:
    """Read an indicator's current revision. The ETag names the revision for If-Match."""
    item = service.get_item(ctx.db, code, ItemKind.INDICATOR)
    cached = _not_modified(if_none_match, item.code, item.version)
    if cached:
        return cached
    view = service.current(ctx.db, code, ItemKind.INDICATOR)
    return _with_etag(
        indicator_out(view, service.display_number(ctx.db, item)), item.code, item.version
    )


@router.patch(
    "/indicators/{code}",
    responses=errors(404, 409, 412, 428),
    response_model=IndicatorOut,
)
def update_indicator(
    code: str,
    body: IndicatorUpdate,
    ctx: Editor,
    if_match: Annotated[str | None, Header(description="The ETag you read")] = None,
) -> JSONResponse:
    """Revise an indicator: the given fields change, a new revision is written."""
    expected = _required_revision(if_match, code.upper())
    changes = body.model_dump(exclude_unset=True, exclude={"reason", "delegation", "dimension"})
    new = service.revise_item(
        ctx.db,
        ctx.acting_for(body.delegation),
        code=code,
        kind=ItemKind.INDICATOR,
        expected_revision=expected,
        changes=changes,
        reason=body.reason,
        now=ctx.now,
        dimension_code=body.dimension,
    )
    view = service.current(ctx.db, code, ItemKind.INDICATOR)
    return _with_etag(
        indicator_out(view, service.display_number(ctx.db, view.item)), view.item.code, new.number
    )


@router.get("/indicators/{code}/history", responses=errors(404))
def indicator_history(code: str, ctx: Reader) -> HistoryOut:
    """Every revision of an indicator, oldest first: who, for which delegation, when, why."""
    views = service.history(ctx.db, code, ItemKind.INDICATOR)
    return HistoryOut(code=views[0].item.code, revisions=[_meta(v) for v in views])


@router.get("/indicators/{code}/revisions/{number}", responses=errors(404))
def indicator_revision(code: str, number: int, ctx: Reader) -> IndicatorOut:
    """One past revision of an indicator, in full."""
    return indicator_out(service.revision(ctx.db, code, number, ItemKind.INDICATOR), None)


@router.get("/indicators/{code}/diff", responses=errors(404))
def indicator_diff(
    code: str,
    ctx: Reader,
    from_: Annotated[int, Query(alias="from", ge=1, description="Older revision")],
    to: Annotated[int, Query(ge=1, description="Newer revision")],
) -> DiffOut:
    """Word-level diff, field by field, between two revisions of an indicator."""
    fields = service.diff(ctx.db, code, from_, to, ItemKind.INDICATOR)
    return _diff_out(code.upper(), from_, to, fields)


@router.get("/sections", responses=errors())
def list_sections(ctx: Reader) -> RegisterList:
    """List the prose sections of the draft in order."""
    return _entries(service.list_items(ctx.db, ItemKind.SECTION))


@router.post("/sections", status_code=201, responses=errors(409), response_model=SectionOut)
def create_section(body: SectionCreate, ctx: Creator) -> JSONResponse:
    """Add a prose section (revision 1)."""
    item = service.create_item(
        ctx.db,
        ctx.acting_for(body.delegation),
        kind=ItemKind.SECTION,
        content={"title": body.title, "text": body.text},
        reason=body.reason,
        now=ctx.now,
        code=body.code,
    )
    view = service.current(ctx.db, item.code)
    response = _with_etag(
        section_out(view, service.display_number(ctx.db, item)), item.code, 1, 201
    )
    response.headers["Location"] = f"/api/v1/sections/{item.code}"
    return response


@router.get("/sections/{code}", responses=errors(404) | NOT_MODIFIED, response_model=SectionOut)
def get_section(
    code: str, ctx: Reader, if_none_match: Annotated[str | None, Header()] = None
) -> Response:
    """Read a prose section's current revision."""
    item = service.get_item(ctx.db, code, ItemKind.SECTION)
    cached = _not_modified(if_none_match, item.code, item.version)
    if cached:
        return cached
    view = service.current(ctx.db, code, ItemKind.SECTION)
    return _with_etag(
        section_out(view, service.display_number(ctx.db, item)), item.code, item.version
    )


@router.patch("/sections/{code}", responses=errors(404, 409, 412, 428), response_model=SectionOut)
def update_section(
    code: str,
    body: SectionUpdate,
    ctx: Editor,
    if_match: Annotated[str | None, Header(description="The ETag you read")] = None,
) -> JSONResponse:
    """Revise a prose section."""
    expected = _required_revision(if_match, code.upper())
    new = service.revise_item(
        ctx.db,
        ctx.acting_for(body.delegation),
        code=code,
        kind=ItemKind.SECTION,
        expected_revision=expected,
        changes=body.model_dump(exclude_unset=True, exclude={"reason", "delegation"}),
        reason=body.reason,
        now=ctx.now,
    )
    view = service.current(ctx.db, code, ItemKind.SECTION)
    return _with_etag(
        section_out(view, service.display_number(ctx.db, view.item)), view.item.code, new.number
    )


@router.get("/sections/{code}/history", responses=errors(404))
def section_history(code: str, ctx: Reader) -> HistoryOut:
    """Every revision of a prose section, oldest first."""
    views = service.history(ctx.db, code, ItemKind.SECTION)
    return HistoryOut(code=views[0].item.code, revisions=[_meta(v) for v in views])


@router.get("/sections/{code}/diff", responses=errors(404))
def section_diff(
    code: str,
    ctx: Reader,
    from_: Annotated[int, Query(alias="from", ge=1)],
    to: Annotated[int, Query(ge=1)],
) -> DiffOut:
    """Word-level diff between two revisions of a prose section."""
    return _diff_out(
        code.upper(), from_, to, service.diff(ctx.db, code, from_, to, ItemKind.SECTION)
    )
