"""An upload, from its bytes to its preview: the one way the page and the API take a Word file.

Reading a file is the slow part of an import (seconds for the largest the budgets allow) and
needs no database, so it runs with no transaction open, in one of the process's import slots
(which also hold the plan, made in a read transaction: they bound the memory and the CPU that
imports take); the write transaction (on SQLite the database's write lock) is opened only to
record the preview. Uploads then queue on the import slots (503 with Retry-After after
ZERODRAFT_IMPORT_WAIT_SECONDS), not on the database, and other writers never wait for a parse.
A route that calls `receive` asks for a `Staged` session (app/web/deps.py), which reads until
it is told to write.
"""

from contextlib import AbstractContextManager
from datetime import datetime

from fastapi import Request
from starlette.datastructures import UploadFile

from app.config import Settings
from app.imports import service
from app.imports.reading import import_slot
from app.principal import Principal
from app.web.deps import StagedSession, request_id
from app.word.reader import FileTooLarge, Limits

# Multipart framing around the file: a request this much over the cap is refused unread.
_ENVELOPE = 64 * 1024


def limits(settings: Settings) -> Limits:
    return Limits.from_settings(settings)


def slot(settings: Settings) -> AbstractContextManager[None]:
    """One of the process's few import slots, held while an upload is read."""
    return import_slot(settings.import_concurrency, wait=settings.import_wait_seconds)


def read_upload(request: Request, file: UploadFile, cap: int) -> bytes:
    """The uploaded bytes, never more than the cap plus one (so that the reader can say it is
    too large) whatever the request claims."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap + _ENVELOPE:
        raise FileTooLarge(
            f"the upload is {int(declared) / 1048576:.1f} MB; files up to "
            f"{cap / 1048576:.1f} MB can be imported"
        )
    data: bytes = file.file.read(cap + 1)
    return data


def receive(
    staged: StagedSession,
    request: Request,
    file: UploadFile,
    *,
    principal: Principal,
    delegation_code: str | None,
    settings: Settings,
    now: datetime,
) -> service.Previewed:
    """Who may import first; then, in an import slot, the bytes within the cap read and parsed
    within the budgets with no transaction open, and the plan made on a fresh read of the
    database; only then the write transaction, to record the preview (DbRoute ends it)."""
    service.admit(principal, kind=None, delegation_code=delegation_code)
    staged.pause()
    with slot(settings):
        facts, document = service.read(
            principal,
            data=read_upload(request, file, settings.import_max_bytes),
            filename=file.filename,
            delegation_code=delegation_code,
            signing_key=settings.secret_key,
            limits=limits(settings),
        )
        planned = service.plan(
            staged.db, principal, document, facts=facts, delegation_code=delegation_code, now=now
        )
    return service.record(
        staged.write(), principal, planned, now=now, request_id=request_id(request)
    )
