"""Web pages of Word imports: upload a file, review what it would create, confirm or discard,
then see what was created."""

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from app.accounts.permissions import Action
from app.errors import DomainError, InvalidInput
from app.ids import is_id
from app.imports import personal, service
from app.imports.api import message
from app.imports.plans import AuthoredPlan, plan_of, result_of
from app.imports.reading import ImportsBusy
from app.imports.uploading import receive
from app.models import Delegation, MemberState, Role
from app.models.imports import ImportState, WordImport
from app.principal import Principal
from app.register.service import FIELD_LABELS
from app.web.deps import Allow, DbRoute, DbSession, Now, SettingsDep, Staged, request_id
from app.web.forms import PostedForm, Problem
from app.web.templating import render

router = APIRouter(route_class=DbRoute, include_in_schema=False)

Importer = Annotated[Principal, Allow(Action.IMPORT_WORD)]


def _delegations(db: Session, principal: Principal) -> list[tuple[str, str]]:
    """The delegations the person may import a returned copy for: (code, name)."""
    if principal.role is Role.SECRETARIAT:
        rows = db.execute(
            select(Delegation.code, MemberState.name)
            .join(MemberState, MemberState.id == Delegation.state_id)
            .order_by(Delegation.code)
        ).all()
        return [(code, f"{state} - {code.split('-', 1)[-1]}") for code, state in rows]
    return [(d.code, d.name) for d in principal.delegations]


def _upload_page(
    request: Request,
    db: Session,
    principal: Principal,
    *,
    values: dict[str, str],
    problems: list[Problem],
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "import_upload.html",
        {
            "values": values,
            "problems": problems,
            "errors": {p.field: p.message for p in problems if p.field},
            "delegations": _delegations(db, principal),
            "imports": [
                (i, service.delegation_code(db, i), service.counts(i))
                for i in service.listing(db, principal, limit=50)
            ],
        },
        status_code,
    )


@router.get("/imports")
def imports(request: Request, db: DbSession, principal: Importer) -> HTMLResponse:
    values = {
        "delegation": request.query_params.get("delegation", "")[:32],
        "round": request.query_params.get("round", "")[:64],
    }
    return _upload_page(request, db, principal, values=values, problems=[])


@router.post("/imports")
def upload(
    request: Request,
    staged: Staged,
    now: Now,
    settings: SettingsDep,
    principal: Importer,
    posted: PostedForm,
) -> Response:
    chosen = posted.get("delegation")
    delegation = chosen[:32] if isinstance(chosen, str) else ""
    file = posted.get("file")
    round_ = posted.get("round")
    values = {"delegation": delegation, "round": round_[:64] if isinstance(round_, str) else ""}
    try:
        if chosen is not None and not isinstance(chosen, str):
            raise InvalidInput("choose the delegation from the list", field="delegation")
        if not isinstance(file, UploadFile) or not (file.filename or "").strip():
            raise InvalidInput("choose the Word file (.docx) to import", field="file")
        done = receive(
            staged,
            request,
            file,
            principal=principal,
            delegation_code=delegation or None,
            settings=settings,
            now=now,
        )
    except DomainError as exc:
        where = exc.extra.get("field") or "file"
        page = _upload_page(
            request,
            staged.db,
            principal,
            values=values,
            problems=[Problem(where if where in ("file", "delegation") else "file", exc.detail)],
            status_code=exc.status_code,
        )
        if isinstance(exc, ImportsBusy):
            page.headers["Retry-After"] = str(exc.retry_after)
        return page
    suffix = "?already=1" if done.already_imported else ""
    return RedirectResponse(f"/imports/{done.word_import.id}{suffix}", status_code=303)


def _preview_page(
    request: Request,
    db: Session,
    principal: Principal,
    word_import: WordImport,
    *,
    problems: list[Problem] | None = None,
    status_code: int = 200,
    chosen: dict[str, str] | None = None,
) -> HTMLResponse:
    # Only a confirmed import can have been "already imported", whatever the address says.
    already = (
        request.query_params.get("already") == "1" and word_import.state is ImportState.CONFIRMED
    )
    plan = plan_of(word_import)
    return render(
        request,
        "import_preview.html",
        {
            "i": word_import,
            "plan": plan,
            "created": result_of(word_import),
            "counts": plan.counts(),
            "delegation": service.delegation_code(db, word_import),
            "uploader": service.uploader_name(db, word_import),
            "message": message(word_import, already=already),
            "already": already,
            "done": request.query_params.get("done", ""),
            "labels": FIELD_LABELS,
            "problems": problems or [],
            "errors": {p.field: p.message for p in problems or [] if p.field},
            # A Word draft's authors: who each is, and the choices the secretariat made.
            "speaks": (
                {a.name: a.delegation for a in plan.authors}
                if isinstance(plan, AuthoredPlan)
                else {}
            ),
            "chosen": chosen or {},
            # What may be personal data in the texts confirming would save, by row.
            "personal": (
                personal.findings(plan) if word_import.state is ImportState.PREVIEWED else {}
            ),
            "delegations": (_delegations(db, principal) if isinstance(plan, AuthoredPlan) else []),
        },
        status_code,
    )


def _import_id(value: str) -> int:
    if not is_id(value):
        raise InvalidInput(f"{value!r} is not an import number", field="import_id")
    return int(value)


@router.get("/imports/{import_id}")
def one_import(
    import_id: str, request: Request, db: DbSession, principal: Importer
) -> HTMLResponse:
    word_import = service.get(db, principal, _import_id(import_id))
    return _preview_page(request, db, principal, word_import)


def _authors_chosen(word_import: WordImport, posted: FormData) -> dict[str, str]:
    """A Word draft's authors as the secretariat chose them in the preview (author-0 ...): a
    delegation's code, "secretariat" or "skip"; an author the file's names do not give must be
    chosen."""
    plan = plan_of(word_import)
    if not isinstance(plan, AuthoredPlan) or word_import.state is not ImportState.PREVIEWED:
        return {}
    chosen: dict[str, str] = {}
    missing: list[tuple[int, str]] = []
    for n, author in enumerate(plan.authors):
        value = posted.get(f"author-{n}")
        choice = value.strip()[:40] if isinstance(value, str) else ""
        if choice:
            chosen[author.name] = choice
        elif author.delegation is None:
            missing.append((n, author.name))
    if missing:
        n, name = missing[0]
        raise InvalidInput(
            f"say who {name or 'the unnamed author'} is: choose their delegation, the "
            "secretariat, or leave their changes out",
            field=f"author-{n}",
        )
    return chosen


def _posted_version(posted: FormData) -> int:
    value = str(posted.get("version") or "")
    if not is_id(value):
        raise InvalidInput("the form is missing the import's version; reload the page")
    return int(value)


@router.post("/imports/{import_id}/{action}")
def decide(
    import_id: str,
    action: str,
    request: Request,
    db: DbSession,
    now: Now,
    principal: Importer,
    posted: PostedForm,
) -> Response:
    number = _import_id(import_id)
    if action not in ("confirm", "discard"):
        raise InvalidInput(f"an import can be confirmed or discarded, not {action!r}")
    chosen: dict[str, str] = {}
    try:
        if action == "discard":
            done = service.discard(
                db,
                principal,
                number,
                expected_version=_posted_version(posted),
                now=now,
                request_id=request_id(request),
            )
        else:
            chosen = _authors_chosen(service.get(db, principal, number), posted)
            done = service.confirm(
                db,
                principal,
                number,
                expected_version=_posted_version(posted),
                now=now,
                request_id=request_id(request),
                authors=chosen,
                personal_data_checked=posted.get(personal.FIELD) == "yes",
            )
    except DomainError as exc:
        word_import = service.get(db, principal, number)
        where = exc.extra.get("field")
        return _preview_page(
            request,
            db,
            principal,
            word_import,
            problems=[
                Problem(
                    where
                    if where and where.startswith("author-")
                    else "import-personal-data"
                    if where == personal.FIELD
                    else "import-actions",
                    exc.detail,
                )
            ],
            status_code=exc.status_code,
            chosen=chosen,
        )
    return RedirectResponse(f"/imports/{done.id}?done={action}", status_code=303)
