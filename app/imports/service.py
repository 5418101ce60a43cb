"""Word imports, the use cases the API, the pages and the command call: a returned copy of an
exported round becomes its delegation's proposals and comments; a draft written in Word becomes
dimensions, indicators and sections.

Reading a file only makes a preview (a typed plan stored on the import, visible to the
uploader's side alone); confirming it creates everything in one transaction, with an audit event
per created object naming the file's SHA-256. The same file read again for the same delegation
is the same import: once confirmed, it answers that it was already imported and creates nothing.

The work itself is done by one module a job: reading.py reads the file, returned_plan.py and
authored_plan.py plan the two kinds of file, plans.py holds the plans, confirming.py creates
what a plan lists. This module decides who may import what for whom, and keeps the import row.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.accounts.service import find_delegation
from app.audit.service import Actor
from app.audit.service import record as record_event
from app.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from app.imports import personal
from app.imports.authored_plan import plan_authored
from app.imports.confirming import confirm_authored, confirm_returned
from app.imports.plans import Plan, Result, ReturnedPlan, plan_of
from app.imports.reading import FileFacts, FileKind, read_file
from app.imports.returned_plan import check_signed, plan_returned, round_of
from app.models import Delegation, MemberState, Role, User
from app.models.imports import ImportKind, ImportState, WordImport, scope_for
from app.ops import metrics as ops_metrics
from app.principal import DelegationRef, Principal
from app.word.incoming import AuthoredDocument, ReturnedDocument
from app.word.reader import Limits


@dataclass(frozen=True, slots=True)
class Previewed:
    """An import and whether it was made by this upload or found (already_imported: the file
    was confirmed before, and nothing new is created)."""

    word_import: WordImport
    created_now: bool
    already_imported: bool


# --- Who imports for whom -------------------------------------------------------------------


def _delegation_for(session: Session, principal: Principal, code: str | None) -> DelegationRef:
    """The delegation a returned copy is imported for: any one the secretariat names; for a
    member, one of their own."""
    if principal.role is Role.SECRETARIAT:
        if not code or not code.strip():
            raise InvalidInput(
                "say which delegation sent the file back (e.g. PH-SOMTC)", field="delegation"
            )
        delegation = find_delegation(session, code.strip())
        state = session.get(MemberState, delegation.state_id)
        body_code = delegation.code.split("-", 1)[-1]
        return DelegationRef(
            delegation.id, delegation.code, f"{state.name if state else ''} - {body_code}"
        )
    if principal.role is not Role.MEMBER:
        raise PermissionDenied(f"your role ({principal.role.value}) may not import Word files")
    ref = principal.delegation_for(code.strip().upper() if code and code.strip() else None)
    if ref is None:
        raise PermissionDenied(
            "a returned copy becomes a delegation's proposals, and you do not speak for one",
            field="delegation",
        )
    return ref


_AUTHORED_BY_MEMBER = (
    "this file is not a returned copy of a round (it carries no zerodraft marks): "
    "a draft written in Word fills the register, which only the secretariat imports"
)


def admit(principal: Principal, *, kind: FileKind | None, delegation_code: str | None) -> None:
    """Who may import what, decided before a file is read (kind None: before it is opened):
    the secretariat anything; a member a returned copy, for a delegation they speak for."""
    if principal.role is Role.SECRETARIAT:
        return
    if principal.role is not Role.MEMBER:
        raise PermissionDenied(f"your role ({principal.role.value}) may not import Word files")
    if kind == "authored":
        raise PermissionDenied(_AUTHORED_BY_MEMBER)
    code = delegation_code.strip().upper() if delegation_code and delegation_code.strip() else None
    if principal.delegation_for(code) is None:
        raise PermissionDenied(
            "a returned copy becomes a delegation's proposals, and you do not speak for one",
            field="delegation",
        )


def _may_see(word_import: WordImport, principal: Principal) -> bool:
    if principal.role is Role.SECRETARIAT:
        return True
    if principal.role is not Role.MEMBER or word_import.delegation_id is None:
        return False
    return any(d.id == word_import.delegation_id for d in principal.delegations)


def get(session: Session, principal: Principal, import_id: int) -> WordImport:
    found = session.get(WordImport, import_id)
    # Another delegation's import is indistinguishable from a missing one.
    if found is None or not _may_see(found, principal):
        raise NotFound(f"no import I-{import_id}")
    return found


def listing(session: Session, principal: Principal, *, limit: int = 200) -> list[WordImport]:
    query = select(WordImport).order_by(WordImport.id.desc()).limit(limit)
    if principal.role is not Role.SECRETARIAT:
        own = [d.id for d in principal.delegations]
        query = query.where(WordImport.delegation_id.in_(own))
    return list(session.scalars(query))


# --- Reading a file: the preview ------------------------------------------------------------
#
# Three steps, each needing less of the database than the last: `read` (no database at all: the
# costly part, bounded by the reader's budgets), `plan` (reads), `record` (writes what confirming
# would create, with its audit event). The web runs `read` with no transaction open and
# `record` alone in the write transaction (app/imports/uploading.py); `preview` runs the three
# in the caller's session.


@dataclass(frozen=True, slots=True)
class Planned:
    """What a file would create, planned on a read of the database; `record` stores it."""

    kind: ImportKind
    facts: FileFacts
    plan: Plan
    round_id: int | None
    delegation_id: int | None


def read(
    principal: Principal,
    *,
    data: bytes,
    filename: str | None,
    delegation_code: str | None,
    signing_key: str,
    limits: Limits | None = None,
) -> tuple[FileFacts, ReturnedDocument | AuthoredDocument]:
    """What an uploaded file holds, read without the database: who may import which kind of
    file is decided before its body is read, and a returned copy is kept only when the export's
    signature on its marks verifies with `signing_key` (the settings' secret key)."""
    facts, document = read_file(
        data,
        filename,
        limits=limits,
        admit=lambda kind: admit(principal, kind=kind, delegation_code=delegation_code),
    )
    if isinstance(document, ReturnedDocument):
        check_signed(document, signing_key)
    return facts, document


def plan(
    session: Session,
    principal: Principal,
    document: ReturnedDocument | AuthoredDocument,
    *,
    facts: FileFacts,
    delegation_code: str | None,
    now: datetime,
) -> Planned:
    """What confirming the file would create, as the database stands; reads only."""
    if isinstance(document, ReturnedDocument):
        delegation = _delegation_for(session, principal, delegation_code)
        round_ = round_of(session, document)
        returned = plan_returned(session, document, round_, now, delegation, principal)
        return Planned(ImportKind.RETURNED, facts, returned, round_.id, delegation.id)
    if principal.role is not Role.SECRETARIAT:
        raise PermissionDenied(_AUTHORED_BY_MEMBER)
    authored = plan_authored(session, document, facts, now)
    return Planned(ImportKind.AUTHORED, facts, authored, None, None)


def record(
    session: Session,
    principal: Principal,
    planned: Planned,
    *,
    now: datetime,
    request_id: str | None = None,
) -> Previewed:
    """Store the preview; nothing else changes. The same file for the same side, once confirmed,
    is found instead (already imported); not yet confirmed, its preview is replaced."""
    facts, kind, delegation_id = planned.facts, planned.kind, planned.delegation_id
    scope = scope_for(delegation_id)
    existing = session.scalar(
        select(WordImport).where(
            WordImport.sha256 == facts.sha256, WordImport.kind == kind, WordImport.scope == scope
        )
    )
    if existing is not None and existing.state is ImportState.CONFIRMED:
        return Previewed(existing, created_now=False, already_imported=True)
    actor = Actor(principal.user_id, delegation_id, request_id)
    if existing is not None:
        # Read again (the register may have moved on): the new preview replaces the old one.
        existing.preview = planned.plan.to_json()
        existing.filename = facts.filename
        existing.state = ImportState.PREVIEWED
        existing.uploaded_by_id = principal.user_id
        existing.round_id = planned.round_id
        existing.discarded_at = None
        existing.version += 1
        word_import = existing
    else:
        word_import = WordImport(
            sha256=facts.sha256,
            filename=facts.filename,
            size=facts.size,
            kind=kind,
            scope=scope,
            round_id=planned.round_id,
            delegation_id=delegation_id,
            uploaded_by_id=principal.user_id,
            created_at=now,
            state=ImportState.PREVIEWED,
            preview=planned.plan.to_json(),
            created={},
            version=1,
        )
        session.add(word_import)
    session.flush()
    record_event(
        session,
        actor,
        action="word_import.preview",
        object_type="word_import",
        object_id=word_import.id,
        details={"sha256": facts.sha256, "filename": facts.filename, "kind": kind.value},
        at=now,
    )
    return Previewed(word_import, created_now=existing is None, already_imported=False)


def preview(
    session: Session,
    principal: Principal,
    *,
    data: bytes,
    filename: str | None,
    delegation_code: str | None,
    now: datetime,
    signing_key: str,
    limits: Limits | None = None,
    request_id: str | None = None,
) -> Previewed:
    """Read, plan and record a file in the caller's session (the command line's)."""
    facts, document = read(
        principal,
        data=data,
        filename=filename,
        delegation_code=delegation_code,
        signing_key=signing_key,
        limits=limits,
    )
    return preview_document(
        session,
        principal,
        document,
        facts=facts,
        delegation_code=delegation_code,
        now=now,
        request_id=request_id,
    )


def preview_document(
    session: Session,
    principal: Principal,
    document: ReturnedDocument | AuthoredDocument,
    *,
    facts: FileFacts,
    delegation_code: str | None,
    now: datetime,
    request_id: str | None = None,
) -> Previewed:
    """Plan and record a file already read, in one session."""
    planned = plan(
        session, principal, document, facts=facts, delegation_code=delegation_code, now=now
    )
    return record(session, principal, planned, now=now, request_id=request_id)


# --- Confirming and discarding --------------------------------------------------------------


def _take(
    session: Session, principal: Principal, import_id: int, expected_version: int, doing: str
) -> WordImport:
    """The import, moved on by one version if nobody else did so first (compare-and-set): of two
    people confirming at once exactly one gets it."""
    word_import = get(session, principal, import_id)
    word_import.require_previewed(doing)
    word_import.check_version(expected_version)
    if word_import.kind is ImportKind.AUTHORED and principal.role is not Role.SECRETARIAT:
        raise PermissionDenied("only the secretariat imports a draft written in Word")
    moved = session.execute(
        update(WordImport)
        .where(
            WordImport.id == word_import.id,
            WordImport.version == expected_version,
            WordImport.state == ImportState.PREVIEWED,
        )
        .values(version=expected_version + 1)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        session.expire(word_import)
        raise Conflict(
            f"import {word_import.reference} was confirmed or discarded by someone else at the "
            "same moment; reload it"
        )
    word_import.version = expected_version + 1
    return word_import


@ops_metrics.observed("import")
def confirm(
    session: Session,
    principal: Principal,
    import_id: int,
    *,
    expected_version: int,
    now: datetime,
    request_id: str | None = None,
    authors: Mapping[str, str] | None = None,
    personal_data_checked: bool = False,
) -> WordImport:
    """Create everything the preview lists, in this one transaction. For a Word draft,
    `authors` maps an author's name as written in the file to the secretariat's choice: a
    delegation's code, "secretariat", or "skip". Texts that may hold personal data are
    refused unless `personal_data_checked` (app/imports/personal.py)."""
    word_import = _take(session, principal, import_id, expected_version, "confirmed")
    facts = FileFacts(word_import.sha256, word_import.filename, word_import.size)
    plan = plan_of(word_import)
    confirmed = personal.check(plan, checked=personal_data_checked)
    created: Result
    if isinstance(plan, ReturnedPlan):
        created = confirm_returned(session, principal, word_import, plan, facts, now, request_id)
        delegation_id = word_import.delegation_id
    else:
        created = confirm_authored(
            session, principal, word_import, plan, facts, now, request_id, authors
        )
        delegation_id = None
    word_import.state = ImportState.CONFIRMED
    word_import.created = created.to_json()
    word_import.confirmed_at = now
    word_import.confirmed_by_id = principal.user_id
    session.flush()
    record_event(
        session,
        Actor(principal.user_id, delegation_id, request_id),
        action="word_import.confirm",
        object_type="word_import",
        object_id=word_import.id,
        details={"sha256": facts.sha256, "filename": facts.filename, "created": created.sizes()}
        | ({"personal_data_confirmed": confirmed} if confirmed else {}),
        at=now,
    )
    return word_import


def discard(
    session: Session,
    principal: Principal,
    import_id: int,
    *,
    expected_version: int,
    now: datetime,
    request_id: str | None = None,
) -> WordImport:
    word_import = _take(session, principal, import_id, expected_version, "discarded")
    word_import.state = ImportState.DISCARDED
    word_import.discarded_at = now
    session.flush()
    record_event(
        session,
        Actor(principal.user_id, word_import.delegation_id, request_id),
        action="word_import.discard",
        object_type="word_import",
        object_id=word_import.id,
        details={"sha256": word_import.sha256, "filename": word_import.filename},
        at=now,
    )
    return word_import


# --- What an import shows -------------------------------------------------------------------


def uploader_name(session: Session, word_import: WordImport) -> str:
    if word_import.uploaded_by_id is None:
        return "the system"
    user = session.get(User, word_import.uploaded_by_id)
    return user.name if user else ""


def delegation_code(session: Session, word_import: WordImport) -> str | None:
    if word_import.delegation_id is None:
        return None
    delegation = session.get(Delegation, word_import.delegation_id)
    return delegation.code if delegation else None


def counts(word_import: WordImport) -> dict[str, int]:
    """How many things confirming creates (or created)."""
    return plan_of(word_import).counts()
