"""JSON API of Word imports: upload a file for a preview, read it, confirm or discard it."""

from typing import Annotated

from fastapi import File, Form, Header, Request, UploadFile
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from app.accounts.permissions import Action
from app.imports import personal, service
from app.imports.plans import ReturnedPlan, plan_of
from app.imports.reading import ImportsBusy
from app.imports.schemas import ConfirmIn, ImportList, ImportOut
from app.imports.uploading import receive
from app.models.imports import ImportKind, ImportState, WordImport
from app.principal import Principal
from app.web.api_common import api_router, errors, expected_version
from app.web.deps import Allow, DbSession, Now, SettingsDep, Staged, request_id

router = api_router("/imports", "imports")

Importer = Annotated[Principal, Allow(Action.IMPORT_WORD)]
IfMatch = Annotated[str | None, Header(description="The ETag of the import you previewed")]


def message(word_import: WordImport, *, already: bool = False) -> str:
    what = "returned copy" if word_import.kind is ImportKind.RETURNED else "Word draft"
    if already and word_import.confirmed_at is not None:
        return (
            f"{word_import.filename} was already imported as {word_import.reference} "
            f"(confirmed {word_import.confirmed_at:%d %B %Y %H:%M} UTC); nothing new was created"
        )
    if word_import.state is ImportState.CONFIRMED:
        return f"{what} {word_import.filename} imported: everything listed was created"
    if word_import.state is ImportState.DISCARDED:
        return f"{what} {word_import.filename} was discarded; nothing was created"
    return f"{what} {word_import.filename} read; nothing is created until the import is confirmed"


def import_out(db: Session, word_import: WordImport, *, already: bool = False) -> ImportOut:
    plan = plan_of(word_import)
    round_symbol = plan.round if isinstance(plan, ReturnedPlan) and word_import.round_id else None
    return ImportOut(
        id=word_import.id,
        reference=word_import.reference,
        kind=word_import.kind,
        state=word_import.state,
        filename=word_import.filename,
        sha256=word_import.sha256,
        size=word_import.size,
        round=round_symbol,
        delegation=service.delegation_code(db, word_import),
        uploaded_by=service.uploader_name(db, word_import),
        created_at=word_import.created_at,
        confirmed_at=word_import.confirmed_at,
        version=word_import.version,
        already_imported=already,
        message=message(word_import, already=already),
        counts=plan.counts(),
        preview=plan.to_json(),
        created=word_import.created,
        personal_data=(
            personal.findings(plan) if word_import.state is ImportState.PREVIEWED else {}
        ),
    )


def etag(word_import: WordImport) -> str:
    return f'"I-{word_import.id}.v{word_import.version}"'


def _one(db: Session, word_import: WordImport, status: int = 200, **kw: bool) -> JSONResponse:
    out = import_out(db, word_import, **kw)
    return JSONResponse(
        out.model_dump(mode="json"),
        status_code=status,
        headers={"ETag": etag(word_import), "Location": f"/api/v1/imports/{word_import.id}"},
    )


def busy_response(busy: ImportsBusy) -> JSONResponse:
    return JSONResponse(
        {
            "error": busy.error,
            "detail": busy.detail,
            "field": "file",
            "retry_after": busy.retry_after,
        },
        status_code=busy.status_code,
        headers={"Retry-After": str(busy.retry_after)},
    )


@router.get("", responses=errors())
def list_imports(db: DbSession, principal: Importer) -> ImportList:
    """Imports you may see: all for the secretariat, your delegations' for a member."""
    found = service.listing(db, principal)
    return ImportList(count=len(found), items=[import_out(db, i) for i in found])


@router.post(
    "",
    status_code=201,
    responses=errors(403, 404, 409, 413, 503),
    response_model=ImportOut,
)
def upload(
    request: Request,
    staged: Staged,
    now: Now,
    settings: SettingsDep,
    principal: Importer,
    file: Annotated[UploadFile, File(description="The .docx file")],
    delegation: Annotated[
        str | None,
        Form(max_length=32, description="Delegation a returned copy is for (secretariat)"),
    ] = None,
) -> JSONResponse:
    """Read a Word file and store its preview: 201 for a new preview, 200 when this file was
    already imported (nothing new is created); 503 with Retry-After when the server is reading
    as many files as it reads at once."""
    try:
        done = receive(
            staged,
            request,
            file,
            principal=principal,
            delegation_code=delegation,
            settings=settings,
            now=now,
        )
    except ImportsBusy as busy:
        return busy_response(busy)
    return _one(
        staged.db,
        done.word_import,
        200 if done.already_imported else 201,
        already=done.already_imported,
    )


@router.get("/{import_id}", responses=errors(404), response_model=ImportOut)
def get_import(import_id: int, db: DbSession, principal: Importer) -> JSONResponse:
    """One import: its preview and, once confirmed, what it created."""
    return _one(db, service.get(db, principal, import_id))


def _version(if_match: str | None, import_id: int) -> int:
    return expected_version(if_match, f"I-{import_id}.v") or 0


@router.post("/{import_id}/confirm", responses=errors(404, 409, 412, 428), response_model=ImportOut)
def confirm_import(
    import_id: int,
    request: Request,
    db: DbSession,
    now: Now,
    principal: Importer,
    if_match: IfMatch = None,
    body: ConfirmIn | None = None,
) -> JSONResponse:
    """Create what the preview lists, in one transaction; a returned copy's proposals are
    submitted for its delegation, a Word draft's tracked changes and comments are made for
    their authors' delegations (`authors` says who an author is)."""
    done = service.confirm(
        db,
        principal,
        import_id,
        expected_version=_version(if_match, import_id),
        now=now,
        request_id=request_id(request),
        authors=body.authors if body else None,
        personal_data_checked=body.personal_data_checked if body else False,
    )
    return _one(db, done)


@router.post("/{import_id}/discard", responses=errors(404, 409, 412, 428), response_model=ImportOut)
def discard_import(
    import_id: int,
    request: Request,
    db: DbSession,
    now: Now,
    principal: Importer,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Drop the preview; nothing is created."""
    done = service.discard(
        db,
        principal,
        import_id,
        expected_version=_version(if_match, import_id),
        now=now,
        request_id=request_id(request),
    )
    return _one(db, done)
