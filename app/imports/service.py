"""Word imports: a returned copy of an exported round becomes its delegation's proposals and
comments; a draft written in Word becomes dimensions, indicators and sections.

Reading a file only makes a preview (stored on the import, visible to the uploader's side
alone); confirming it creates everything in one transaction, with an audit event per created
object naming the file's SHA-256. The same file read again for the same delegation is the same
import: once confirmed, it answers that it was already imported and creates nothing.

A returned copy is compared with the text of the round it was exported from (the round's frozen
snapshot), never with whatever the register says now: a proposal keeps that revision as its
base, so a change to an item that moved on since is outdated (to be rebased), never applied onto
the wrong text.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from app.accounts.service import DelegationRef, Principal, find_delegation
from app.audit.service import Actor, record
from app.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from app.groups import service as groups
from app.models import (
    Comment,
    CommentKind,
    Delegation,
    Dimension,
    Item,
    ItemKind,
    MemberState,
    Proposal,
    ProposalKind,
    Revision,
    Role,
    Round,
    Visibility,
)
from app.models.imports import ImportKind, ImportState, WordImport, scope_for
from app.models.register import TEXT_FIELDS, Element, Strength
from app.proposals import service as proposals
from app.register import service as register
from app.register.schemas import IndicatorUpdate, SectionUpdate
from app.rounds import snapshot
from app.rounds.service import current_round, input_gate
from app.text.anchor import Anchor, find_quote, follow
from app.text.diff import word_diff
from app.word.incoming import (
    AuthoredDocument,
    FoundComment,
    ReturnedDocument,
    ReturnedField,
    ReturnedItem,
)
from app.word.reader import Limits, open_docx

ENUM_FIELDS = {
    "element": {e.value for e in Element},
    "strength_adult": {s.value for s in Strength},
    "strength_child": {s.value for s in Strength},
}
LIST_FIELDS = ("profiles", "crime_types", "intended_users")
SECTION_FIELDS = ("title", "text")
# The fields a returned copy may change, by item kind (what the export shows of an item).
INDICATOR_FIELDS = (
    "text",
    "element",
    "strength_adult",
    "strength_child",
    *LIST_FIELDS,
    "guidance",
    "information_sources",
    "references",
)
STRENGTH_WORDS = {"s": "strong", "m": "medium", "w": "weak", "c": "contextual"}
MAX_FILENAME = 255


@dataclass(frozen=True, slots=True)
class FileFacts:
    sha256: str
    filename: str
    size: int


@dataclass(frozen=True, slots=True)
class Previewed:
    """An import and whether it was made by this upload or found (already_imported: the file
    was confirmed before, and nothing new is created)."""

    word_import: WordImport
    created_now: bool
    already_imported: bool


# --- Who imports for whom -------------------------------------------------------------------


def _delegation_for(
    session: Session, principal: Principal, code: str | None
) -> tuple[int, str, str]:
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
        return delegation.id, delegation.code, f"{state.name if state else ''} - {body_code}"
    if principal.role is not Role.MEMBER:
        raise PermissionDenied(f"your role ({principal.role.value}) may not import Word files")
    ref = principal.delegation_for(code.strip().upper() if code and code.strip() else None)
    if ref is None:
        raise PermissionDenied(
            "a returned copy becomes a delegation's proposals, and you do not speak for one",
            field="delegation",
        )
    return ref.id, ref.code, ref.name


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


# --- Reading a file -------------------------------------------------------------------------


def read_file(
    data: bytes, filename: str | None, *, limits: Limits | None = None
) -> tuple[FileFacts, ReturnedDocument | AuthoredDocument]:
    """What the file holds, or the reader's refusal (413/422 with one line saying why)."""
    from app.word.authored import read_authored
    from app.word.returned import read_returned

    package = open_docx(data, filename, limits=limits)
    name = _clean_filename(filename)
    facts = FileFacts(package.sha256, name, package.size)
    returned = read_returned(package)
    if returned is not None:
        return facts, returned
    return facts, read_authored(package)


def _clean_filename(filename: str | None) -> str:
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return (name or "upload.docx")[:MAX_FILENAME]


def preview(
    session: Session,
    principal: Principal,
    *,
    data: bytes,
    filename: str | None,
    delegation_code: str | None,
    now: datetime,
    limits: Limits | None = None,
    request_id: str | None = None,
) -> Previewed:
    facts, document = read_file(data, filename, limits=limits)
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
    """Store what confirming would create; nothing else changes."""
    round_id: int | None = None
    delegation_id: int | None = None
    if isinstance(document, ReturnedDocument):
        kind = ImportKind.RETURNED
        delegation_id, code, name = _delegation_for(session, principal, delegation_code)
        round_ = _round_of(session, document)
        round_id = round_.id
        plan = _plan_returned(session, document, round_, facts, now, (delegation_id, code, name))
    else:
        kind = ImportKind.AUTHORED
        if principal.role is not Role.SECRETARIAT:
            raise PermissionDenied(
                "this file is not a returned copy of a round (it carries no zerodraft marks): "
                "a draft written in Word fills the register, which only the secretariat imports"
            )
        plan = _plan_authored(session, document, facts)
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
        existing.preview = plan
        existing.filename = facts.filename
        existing.state = ImportState.PREVIEWED
        existing.uploaded_by_id = principal.user_id
        existing.round_id = round_id
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
            round_id=round_id,
            delegation_id=delegation_id,
            uploaded_by_id=principal.user_id,
            created_at=now,
            state=ImportState.PREVIEWED,
            preview=plan,
            created={},
            version=1,
        )
        session.add(word_import)
    session.flush()
    record(
        session,
        actor,
        action="word_import.preview",
        object_type="word_import",
        object_id=word_import.id,
        details={"sha256": facts.sha256, "filename": facts.filename, "kind": kind.value},
        at=now,
    )
    return Previewed(word_import, created_now=existing is None, already_imported=False)


# --- A returned copy ------------------------------------------------------------------------


def _round_of(session: Session, document: ReturnedDocument) -> Round:
    round_ = session.scalar(select(Round).where(Round.symbol == document.round_symbol))
    if round_ is None:
        raise InvalidInput(
            f"the file is a copy of round {document.round_symbol!r}, which this platform does "
            "not know; was it exported from another installation?",
            field="file",
        )
    if round_.content_hash is None:
        raise InvalidInput(
            f"round {round_.symbol} has no frozen text yet, so a copy of it cannot be compared",
            field="file",
        )
    return round_


def _norm(text: str) -> str:
    return " ".join(text.split())


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v).replace("_", " ") for v in value)
    return str(value)


def _field_value(kind: ItemKind, name: str, accepted: str) -> tuple[Any, str | None]:
    """The content value a field's accepted text stands for, or the problem with it."""
    allowed = SECTION_FIELDS if kind is ItemKind.SECTION else INDICATOR_FIELDS
    if name not in allowed:
        return None, f"its {name.replace('_', ' ')} is not something a proposal can change"
    if name in TEXT_FIELDS:
        return accepted.strip(), None
    if name in ENUM_FIELDS:
        value = accepted.strip().lower()
        value = STRENGTH_WORDS.get(value, value) if name.startswith("strength") else value
        if not value:
            return None, None
        if value not in ENUM_FIELDS[name]:
            choices = ", ".join(sorted(ENUM_FIELDS[name]))
            return None, f"{name.replace('_', ' ')} {accepted.strip()!r} is not one of {choices}"
        return value, None
    values = [v.strip().lower().replace(" ", "_") for v in accepted.split(",") if v.strip()]
    return sorted(dict.fromkeys(values)), None


def _differs(name: str, value: Any, base: Any) -> bool:
    if name in TEXT_FIELDS:
        return _norm(str(value or "")) != _norm(str(base or ""))
    if name in LIST_FIELDS:
        return sorted(value or []) != sorted(base or [])
    return (value or None) != (base or None)


def _validate(kind: ItemKind, name: str, value: Any) -> str | None:
    """The same checks a proposal made in a form gets, one field at a time."""
    if name == "text" and not str(value or "").strip():
        return "its text was emptied without deleting the item"
    model = SectionUpdate if kind is ItemKind.SECTION else IndicatorUpdate
    try:
        model.model_validate({name: value, "reason": "-"})
    except ValidationError as exc:
        return f"{name.replace('_', ' ')}: {exc.errors()[0]['msg']}"
    return None


def _authors(changes: Any) -> list[str]:
    return list(dict.fromkeys(c.author for c in changes if c and c.author))


def _rationale(
    facts: FileFacts, round_symbol: str, authors: list[str], untracked: bool, what: str
) -> str:
    text = (
        f"{what} in the Word file {facts.filename} (SHA-256 {facts.sha256[:12]}), a returned "
        f"copy of {round_symbol}"
    )
    if authors:
        text += f"; tracked changes by {', '.join(authors)}"
    if untracked:
        text += "; some of the text was changed without Track Changes (untracked edit)"
    return text + "."


def _plan_returned(
    session: Session,
    document: ReturnedDocument,
    round_: Round,
    facts: FileFacts,
    now: datetime,
    delegation: tuple[int, str, str],
) -> dict[str, Any]:
    entries = {e.code: e for e in snapshot.load(session, round_.id)}
    versions: dict[str, int] = dict(session.execute(select(Item.code, Item.version)).all())
    dimension_codes = set(session.scalars(select(Dimension.code)))
    current = current_round(session)
    planned: list[dict[str, Any]] = []
    comments: list[dict[str, Any]] = []
    problems: list[str] = []
    for found in document.items:
        entry = entries.get(found.code)
        if entry is None:
            problems.append(
                f"{found.code}: not an item of {round_.symbol}; its changes and comments are "
                "left out"
            )
            continue
        planned += _plan_item(found, entry, versions, facts, round_.symbol, problems)
        for comment in found.comments:
            planned_comment = _plan_comment(
                session, found.code, entry, comment, planned, delegation[0]
            )
            if planned_comment["existing"] is None or planned_comment["replies"]:
                comments.append(planned_comment)
    for paragraph in document.new_paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        after = entries.get(paragraph.after or "")
        dimension = paragraph.dimension or (
            after.content.get("dimension") if after and after.kind is ItemKind.INDICATOR else None
        )
        if not dimension or dimension.upper() not in dimension_codes:
            where = f" after {paragraph.after}" if paragraph.after else ""
            problems.append(
                f"a new paragraph{where} ({_clip(text)!r}) is not inside a dimension of "
                "indicators, so it could not be placed as a new indicator"
            )
            continue
        authors = [paragraph.author] if paragraph.author else []
        planned.append(
            {
                "kind": ProposalKind.ADD.value,
                "item": None,
                "item_kind": ItemKind.INDICATOR.value,
                "dimension": dimension.upper(),
                "after": paragraph.after,
                "fields": {"text": text},
                "diffs": {"text": _ops("", text)},
                "authors": authors,
                "untracked": not paragraph.tracked,
                "base_revision": None,
                "current_revision": None,
                "outdated": False,
                "rationale": _rationale(
                    facts,
                    round_.symbol,
                    authors,
                    not paragraph.tracked,
                    "A new indicator added"
                    + (f" after {paragraph.after}" if paragraph.after else ""),
                ),
            }
        )
    for loose in document.comments:
        problems.append(
            f"a comment by {loose.author or 'an unknown author'} on no item of the text "
            f"({_clip(loose.text.strip())!r}) is left out"
        )
    gate = _gate_text(session, now, delegation[0])
    return {
        "kind": ImportKind.RETURNED.value,
        "round": round_.symbol,
        "round_state": round_.state.value,
        "current_round": current.symbol if current else None,
        "older_round": current is not None and current.id != round_.id,
        "variant": document.variant,
        "exported_at": document.exported_at.isoformat() if document.exported_at else None,
        "delegation": delegation[1],
        "delegation_name": delegation[2],
        "authors": list(document.authors),
        "proposals": planned,
        "comments": comments,
        "problems": problems,
        "unplaced": list(document.unplaced),
        "gate": gate,
    }


def _clip(text: str, size: int = 80) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def _ops(old: str, new: str) -> list[list[str]]:
    return [[c.op, c.text] for c in word_diff(old, new)]


def _gate_text(session: Session, now: datetime, delegation_id: int) -> str | None:
    """Why confirming would be refused now (the round's input gate), or None."""
    try:
        input_gate(session, now, delegation_id=delegation_id)
    except Conflict as exc:
        return exc.detail
    return None


def _plan_item(
    found: ReturnedItem,
    entry: snapshot.Entry,
    versions: dict[str, int],
    facts: FileFacts,
    symbol: str,
    problems: list[str],
) -> list[dict[str, Any]]:
    current_revision = versions.get(found.code, entry.revision)
    common = {
        "item": found.code,
        "item_kind": entry.kind.value,
        "dimension": None,
        "after": None,
        "base_revision": entry.revision,
        "current_revision": current_revision,
        "outdated": current_revision != entry.revision,
    }
    if found.struck:
        if entry.item_state == snapshot.DELETED:
            problems.append(f"{found.code} was struck out, but it is already deleted")
            return []
        struck_by = _authors([found.struck_by])
        untracked = found.struck_by is None
        return [
            common
            | {
                "kind": ProposalKind.DELETE.value,
                "fields": {},
                "diffs": {"text": _ops(_shown(entry.content.get("text")), "")},
                "authors": struck_by,
                "untracked": untracked,
                "rationale": _rationale(
                    facts, symbol, struck_by, untracked, f"{found.code} struck out"
                ),
            }
        ]
    fields: dict[str, Any] = {}
    diffs: dict[str, list[list[str]]] = {}
    authors: list[str] = []
    untracked = False
    for returned in found.fields:
        value, problem = _field_value(entry.kind, returned.name, returned.accepted)
        base = entry.content.get(returned.name)
        if problem is None and not _differs(returned.name, value, base):
            continue
        problem = problem or _validate(entry.kind, returned.name, value)
        if problem is not None:
            problems.append(f"{found.code}: {problem}; that change is left out")
            continue
        fields[returned.name] = value
        diffs[returned.name] = _ops(_shown(base), _shown(value))
        authors += _authors(returned.changes)
        untracked = untracked or _untracked(returned)
    if not fields:
        return []
    authors = list(dict.fromkeys(authors))
    return [
        common
        | {
            "kind": ProposalKind.AMEND.value,
            "fields": fields,
            "diffs": diffs,
            "authors": authors,
            "untracked": untracked,
            "rationale": _rationale(facts, symbol, authors, untracked, f"Changes to {found.code}"),
        }
    ]


def _untracked(returned: ReturnedField) -> bool:
    """Changed without Track Changes: the reader says so, or the text differs from the exported
    text and no tracked change explains it."""
    return returned.untracked or not returned.changes


def _plan_comment(
    session: Session,
    code: str,
    entry: snapshot.Entry,
    found: FoundComment,
    planned: list[dict[str, Any]],
    delegation_id: int,
) -> dict[str, Any]:
    name = found.field if found.field in TEXT_FIELDS else None
    quote = found.quote.strip()
    anchor = "item"
    if name and quote:
        if find_quote(str(entry.content.get(name) or ""), quote) is not None:
            anchor = "text"
        elif any(p["item"] == code and quote in str(p["fields"].get(name) or "") for p in planned):
            anchor = "proposal"  # the words are in what the delegation proposes, not the text
    existing = _exported_thread(session, code, found, delegation_id)
    replies = [
        {
            "body": r.text.strip(),
            "author": r.author,
            "date": r.date.isoformat() if r.date else None,
        }
        for r in found.replies
        if r.text.strip() and not r.exported
    ]
    if existing is not None:
        # Replies this delegation already made there (a copy read before); another
        # delegation's reply in the same words does not stand for this one's.
        known = set(
            session.scalars(
                select(Comment.body).where(
                    Comment.parent_id == existing, Comment.delegation_id == delegation_id
                )
            )
        )
        replies = [r for r in replies if r["body"] not in known]
    return {
        "item": code,
        "base_revision": entry.revision,
        "field": name,
        "quote": quote,
        "anchor": anchor,
        "body": found.text.strip(),
        "author": found.author,
        "date": found.date.isoformat() if found.date else None,
        "resolved": found.resolved,
        "existing": existing,
        "replies": replies,
    }


def _exported_thread(
    session: Session, code: str, found: FoundComment, delegation_id: int
) -> int | None:
    """The thread a comment the export itself carried stands for (by its reference, else by its
    words): replies to it go into that thread, and it is not made a second time. A new comment
    stands for one only when this delegation already made it (a copy read before): another
    delegation's "Agreed." on the same item is not this delegation's."""
    number = (found.reference or "").removeprefix("C-")
    if found.exported and number.isdigit():
        known = session.scalar(
            select(Comment.id)
            .join(Item, Item.id == Comment.item_id)
            .where(Comment.id == int(number), Item.code == code, Comment.parent_id.is_(None))
        )
        if known is not None:
            return known
    body = found.text.strip()
    query = (
        select(Comment.id)
        .join(Item, Item.id == Comment.item_id)
        .where(
            Item.code == code,
            Comment.parent_id.is_(None),
            Comment.withdrawn_at.is_(None),
            Comment.body == body,
        )
    )
    if not found.exported:
        query = query.where(Comment.delegation_id == delegation_id)
    return session.scalar(query.order_by(Comment.id).limit(1))


# --- A draft written in Word ----------------------------------------------------------------


def _key(text: str) -> str:
    return _norm(text).casefold()


def _plan_authored(
    session: Session, document: AuthoredDocument, facts: FileFacts
) -> dict[str, Any]:
    existing = _RegisterIndex.load(session)
    problems: list[str] = []
    dimensions = []
    for dim in document.dimensions:
        match = existing.dimension(dim.code, dim.title)
        if match is None and not dim.title.strip():
            # A dimension needs a title, and a table or list under no heading gives none.
            problems.append(
                f"{len(dim.indicators)} indicator(s) under no heading (e.g. "
                f"{_clip(dim.indicators[0].text.strip()) if dim.indicators else ''!r}) are "
                "left out: put a heading naming their dimension above them"
            )
            continue
        indicators = []
        for ind in dim.indicators:
            found = existing.indicator(ind.code, ind.text)
            strengths = {}
            for name in ("strength_adult", "strength_child"):
                value, problem = _strength(getattr(ind, name))
                strengths[name] = value
                if problem:
                    problems.append(f"{ind.source or ind.text[:40]}: {problem}; left unset")
            planned_indicator = {
                "text": ind.text.strip(),
                "code": (ind.code or "").strip().upper() or None,
                "number": ind.number,
                **strengths,
                "guidance": ind.guidance.strip(),
                "information_sources": ind.information_sources.strip(),
                "references": ind.references.strip(),
                "source": ind.source,
                "exists": found,
            }
            problem = None if found else _unfit(ItemKind.INDICATOR, planned_indicator)
            if problem is not None:
                problems.append(f"{ind.source or _clip(ind.text)}: {problem}; left out")
                continue
            indicators.append(planned_indicator)
        dimensions.append(
            {
                "title": dim.title.strip(),
                "code": (dim.code or "").strip().upper() or None,
                "description": dim.description.strip(),
                "exists": match,
                "indicators": indicators,
            }
        )
    sections = []
    for s in document.sections:
        planned_section = {
            "title": s.title.strip(),
            "text": s.text.strip(),
            "code": (s.code or "").strip().upper() or None,
            "exists": existing.section(s.code, s.title),
        }
        problem = None if planned_section["exists"] else _unfit(ItemKind.SECTION, planned_section)
        if problem is not None:
            problems.append(f"section {_clip(s.title.strip())!r}: {problem}; left out")
            continue
        sections.append(planned_section)
    return {
        "kind": ImportKind.AUTHORED.value,
        "title": document.title,
        "filename": facts.filename,
        "dimensions": dimensions,
        "sections": sections,
        "problems": problems,
        "unplaced": list(document.unplaced),
    }


def _unfit(kind: ItemKind, planned: dict[str, Any]) -> str | None:
    """Why the register's own forms would refuse this content (a title or text too long ...),
    so that the preview says so rather than confirming failing."""
    names = SECTION_FIELDS if kind is ItemKind.SECTION else INDICATOR_FIELDS
    model = SectionUpdate if kind is ItemKind.SECTION else IndicatorUpdate
    given = {n: planned[n] for n in names if planned.get(n) not in (None, "")}
    try:
        model.model_validate(given | {"reason": "-"})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]).replace("_", " ")
        return f"{where}: {first['msg']}"
    return None


def _strength(value: str | None) -> tuple[str | None, str | None]:
    if not value or not value.strip():
        return None, None
    word = value.strip().lower()
    word = STRENGTH_WORDS.get(word, word)
    if word not in ENUM_FIELDS["strength_adult"]:
        return None, f"strength {value.strip()!r} is not strong, medium or weak"
    return word, None


@dataclass(slots=True)
class _RegisterIndex:
    """What the register already holds, to match a Word draft's parts against: by code, else
    by title or text (whitespace and case aside)."""

    dimensions: dict[str, str]  # code -> code, and folded title -> code
    indicators: dict[str, str]  # code -> code, and folded text -> code
    sections: dict[str, str]

    @classmethod
    def load(cls, session: Session) -> "_RegisterIndex":
        dims: dict[str, str] = {}
        for d in register.list_dimensions(session):
            dims[d.code] = d.code
            dims.setdefault(_key(d.title), d.code)
        inds: dict[str, str] = {}
        secs: dict[str, str] = {}
        rows = session.execute(
            select(Item.code, Item.kind, Revision.title, Revision.text).join(
                Revision, and_(Revision.item_id == Item.id, Revision.number == Item.version)
            )
        ).all()
        for code, kind, title, text in rows:
            target = inds if kind is ItemKind.INDICATOR else secs
            target[code] = code
            target.setdefault(_key((title if kind is ItemKind.SECTION else text) or ""), code)
        return cls(dims, inds, secs)

    @staticmethod
    def _find(index: dict[str, str], code: str | None, words: str) -> str | None:
        if code and code.strip().upper() in index:
            return index[code.strip().upper()]
        return index.get(_key(words)) if words.strip() else None

    def dimension(self, code: str | None, title: str) -> str | None:
        return self._find(self.dimensions, code, title)

    def indicator(self, code: str | None, text: str) -> str | None:
        return self._find(self.indicators, code, text)

    def section(self, code: str | None, title: str) -> str | None:
        return self._find(self.sections, code, title)


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


def confirm(
    session: Session,
    principal: Principal,
    import_id: int,
    *,
    expected_version: int,
    now: datetime,
    request_id: str | None = None,
) -> WordImport:
    """Create everything the preview lists, in this one transaction."""
    word_import = _take(session, principal, import_id, expected_version, "confirmed")
    facts = FileFacts(word_import.sha256, word_import.filename, word_import.size)
    if word_import.kind is ImportKind.RETURNED:
        created = _confirm_returned(session, principal, word_import, facts, now, request_id)
        delegation_id = word_import.delegation_id
    else:
        created = _confirm_authored(session, principal, word_import, facts, now, request_id)
        delegation_id = None
    word_import.state = ImportState.CONFIRMED
    word_import.created = created
    word_import.confirmed_at = now
    word_import.confirmed_by_id = principal.user_id
    session.flush()
    record(
        session,
        Actor(principal.user_id, delegation_id, request_id),
        action="word_import.confirm",
        object_type="word_import",
        object_id=word_import.id,
        details={
            "sha256": facts.sha256,
            "filename": facts.filename,
            "created": {k: len(v) for k, v in created.items()},
        },
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
    record(
        session,
        Actor(principal.user_id, word_import.delegation_id, request_id),
        action="word_import.discard",
        object_type="word_import",
        object_id=word_import.id,
        details={"sha256": word_import.sha256, "filename": word_import.filename},
        at=now,
    )
    return word_import


def _note_created(
    session: Session,
    actor: Actor,
    facts: FileFacts,
    import_id: int,
    object_type: str,
    object_id: str | int,
    now: datetime,
    **details: Any,
) -> None:
    record(
        session,
        actor,
        action="word_import.created",
        object_type=object_type,
        object_id=object_id,
        details={"import": f"I-{import_id}", "sha256": facts.sha256, "filename": facts.filename}
        | details,
        at=now,
    )


def _confirm_returned(
    session: Session,
    principal: Principal,
    word_import: WordImport,
    facts: FileFacts,
    now: datetime,
    request_id: str | None,
) -> dict[str, Any]:
    plan = word_import.preview
    assert word_import.delegation_id is not None
    delegation = session.get(Delegation, word_import.delegation_id)
    assert delegation is not None
    # The same refusal a web form gets (closed round, passed deadline), before anything is made.
    round_, late = input_gate(session, now, delegation_id=delegation.id)
    ref = DelegationRef(delegation.id, delegation.code, plan.get("delegation_name", ""))
    # Everything is made on behalf of the delegation, by the person who confirmed.
    acting = Principal(
        user_id=principal.user_id,
        email=principal.email,
        name=principal.name,
        role=principal.role,
        delegations=[ref],
        acting_delegation_id=delegation.id,
    )
    actor = Actor(principal.user_id, delegation.id, request_id)
    made: list[dict[str, Any]] = []
    proposal_of: dict[str, int] = {}
    for p in plan["proposals"]:
        kind = ProposalKind(p["kind"])
        proposal = proposals.create(
            session,
            acting,
            kind=kind,
            targets=[p["item"]] if p["item"] else [],
            base_revisions=[p["base_revision"]] if p["item"] else None,
            content=dict(p["fields"]),
            rationale=p["rationale"],
            item_kind=ItemKind(p["item_kind"]),
            dimension=p["dimension"],
            delegation_code=delegation.code,
            submit=True,
            now=now,
            request_id=request_id,
        )
        if kind is ProposalKind.AMEND:
            proposal_of[p["item"]] = proposal.id
        made.append(
            {
                "id": proposal.id,
                "reference": proposal.reference,
                "kind": kind.value,
                "item": p["item"],
                "dimension": p["dimension"],
                "untracked": p["untracked"],
                "outdated": p["outdated"],
            }
        )
        _note_created(
            session,
            actor,
            facts,
            word_import.id,
            "proposal",
            proposal.id,
            now,
            authors=p["authors"],
            untracked=p["untracked"],
        )
    comments: list[dict[str, Any]] = []
    for c in plan["comments"]:
        comments += _make_comments(
            session,
            principal.user_id,
            delegation.id,
            c,
            proposal_of,
            round_.id if round_ else None,
            late,
            now,
        )
    for c in comments:
        _note_created(
            session, actor, facts, word_import.id, "comment", c["id"], now, author=c["author"]
        )
    return {"proposals": made, "comments": comments}


def _revision_text(session: Session, item_id: int, number: int, name: str) -> str:
    value = session.scalar(
        select(getattr(Revision, name)).where(
            Revision.item_id == item_id, Revision.number == number
        )
    )
    return str(value or "")


def _make_comments(
    session: Session,
    user_id: int,
    delegation_id: int,
    plan: dict[str, Any],
    proposal_of: dict[str, int],
    round_id: int | None,
    late: bool,
    now: datetime,
) -> list[dict[str, Any]]:
    item = register.get_item(session, plan["item"])
    made: list[dict[str, Any]] = []
    parent_id = plan["existing"]
    if parent_id is None:
        comment = Comment(
            round_id=round_id,
            item_id=item.id,
            author_id=user_id,
            delegation_id=delegation_id,
            kind=CommentKind.GENERAL,
            visibility=Visibility.GROUP,
            body=plan["body"],
            late=late,
            created_at=now,
        )
        _anchor(session, comment, item, plan, proposal_of)
        if plan["resolved"]:
            comment.resolved_at, comment.resolved_by_id = now, user_id
        session.add(comment)
        session.flush()
        parent_id = comment.id
        made.append(_comment_ref(comment, plan["author"]))
    for reply in plan["replies"]:
        parent = session.get(Comment, parent_id)
        assert parent is not None
        answer = Comment(
            round_id=round_id,
            item_id=parent.item_id,
            proposal_id=parent.proposal_id,
            parent_id=parent_id,
            author_id=user_id,
            delegation_id=delegation_id,
            kind=parent.kind,
            visibility=parent.visibility,
            body=reply["body"],
            late=late,
            created_at=now,
        )
        session.add(answer)
        session.flush()
        made.append(_comment_ref(answer, reply["author"]))
    return made


def _comment_ref(comment: Comment, author: str | None) -> dict[str, Any]:
    return {
        "id": comment.id,
        "reference": comment.reference,
        "parent": comment.parent_id,
        "proposal": comment.proposal_id,
        "quote": comment.quote,
        "author": author,
    }


def _anchor(
    session: Session,
    comment: Comment,
    item: Item,
    plan: dict[str, Any],
    proposal_of: dict[str, int],
) -> None:
    """Anchor the comment to its quoted words: in the round's text (moved to the current text
    when the item changed since), or in the delegation's own proposal when only that says
    them; a comment whose words are in neither stays on the whole item."""
    name, quote = plan["field"], plan["quote"]
    if plan["anchor"] == "proposal" and plan["item"] in proposal_of:
        comment.item_id = None
        comment.proposal_id = proposal_of[plan["item"]]
        proposal = session.get(Proposal, comment.proposal_id)
        content = proposal.content if proposal is not None else {}
        found = find_quote(str(content.get(name) or ""), quote)
        if found is not None:
            _set_anchor(comment, name, found, None)
        return
    if plan["anchor"] != "text":
        return
    base_revision = _base_revision(session, plan, item)
    base_text = _revision_text(session, item.id, base_revision, name)
    found = find_quote(base_text, quote)
    if found is None:
        return
    _set_anchor(comment, name, found, base_revision)
    if item.version != base_revision:
        moved = follow(found, base_text, _revision_text(session, item.id, item.version, name))
        comment.anchor_revision = item.version
        if moved is None:
            comment.outdated = True
        else:
            comment.anchor_start, comment.anchor_end = moved.start, moved.end


def _base_revision(session: Session, plan: dict[str, Any], item: Item) -> int:
    value = plan.get("base_revision")
    return int(value) if value else item.version


def _set_anchor(comment: Comment, name: str, anchor: Anchor, revision: int | None) -> None:
    comment.field = name
    comment.revision = revision
    comment.anchor_revision = revision
    comment.quote, comment.prefix, comment.suffix = anchor.quote, anchor.prefix, anchor.suffix
    comment.anchor_start, comment.anchor_end = anchor.start, anchor.end


# --- Confirming an authored draft -----------------------------------------------------------

_SECTION_CODE = re.compile(r"^[A-Z]{2,6}(-[A-Z0-9]{1,16}){1,3}$")
_STOP = {"OF", "AND", "THE", "AT", "IN", "ON", "TO", "FOR", "A", "AN", "BY", "WITH"}


def _confirm_authored(
    session: Session,
    principal: Principal,
    word_import: WordImport,
    facts: FileFacts,
    now: datetime,
    request_id: str | None,
) -> dict[str, Any]:
    plan = word_import.preview
    actor = Actor(principal.user_id, None, request_id)
    reason = f"Imported from the Word draft {facts.filename} (SHA-256 {facts.sha256[:12]})"
    index = _RegisterIndex.load(session)
    made: dict[str, list[str]] = {"dimensions": [], "indicators": [], "sections": []}
    for section in plan["sections"]:
        if index.section(section["code"], section["title"]) is not None or not section["text"]:
            continue
        code = _section_code(session, section["code"], section["title"])
        register.create_item(
            session,
            actor,
            kind=ItemKind.SECTION,
            content={"title": section["title"], "text": section["text"]},
            reason=reason,
            now=now,
            code=code,
        )
        index.sections[code] = code
        index.sections.setdefault(_key(section["title"]), code)
        made["sections"].append(code)
        _note_created(session, actor, facts, word_import.id, "section", code, now)
    for dim in plan["dimensions"]:
        matched = index.dimension(dim["code"], dim["title"])
        if matched is None:
            code = _add_dimension(session, actor, dim, now).code
            index.dimensions[code] = code
            index.dimensions.setdefault(_key(dim["title"]), code)
            made["dimensions"].append(code)
            _note_created(session, actor, facts, word_import.id, "dimension", code, now)
        else:
            code = matched
        dimension = register.get_dimension(session, code)
        for ind in dim["indicators"]:
            if not ind["text"] or index.indicator(ind["code"], ind["text"]) is not None:
                continue
            wanted = ind["code"]
            usable = (
                wanted
                if wanted
                and wanted.startswith(dimension.prefix + "-")
                and _SECTION_CODE.match(wanted)
                and wanted not in index.indicators
                else None
            )
            item = register.create_item(
                session,
                actor,
                kind=ItemKind.INDICATOR,
                content={
                    "text": ind["text"],
                    "strength_adult": ind["strength_adult"],
                    "strength_child": ind["strength_child"],
                    "guidance": ind["guidance"],
                    "information_sources": ind["information_sources"],
                    "references": ind["references"],
                },
                reason=reason,
                now=now,
                code=usable,
                dimension_code=code,
            )
            index.indicators[item.code] = item.code
            index.indicators.setdefault(_key(ind["text"]), item.code)
            made["indicators"].append(item.code)
            _note_created(
                session,
                actor,
                facts,
                word_import.id,
                "indicator",
                item.code,
                now,
                source=ind["source"],
            )
    return dict(made)


def _section_code(session: Session, wanted: str | None, title: str) -> str:
    taken = set(session.scalars(select(Item.code)))
    if wanted and _SECTION_CODE.match(wanted) and wanted not in taken:
        return wanted
    word = "".join(ch for ch in title.upper() if "A" <= ch <= "Z" or ch == " ").split()
    stem = next((w for w in word if w not in _STOP), "TEXT")[:14]
    code, n = f"SEC-{stem}", 1
    while code in taken:
        n += 1
        code = f"SEC-{stem}{n}"
    return code


def _add_dimension(session: Session, actor: Actor, dim: dict[str, Any], now: datetime) -> Dimension:
    existing = list(register.list_dimensions(session))
    codes = {d.code for d in existing}
    prefixes = {d.prefix for d in existing}
    root = "FC-"
    for d in existing:
        if d.prefix.endswith(d.code):
            root = d.prefix[: -len(d.code)]
            break
    words = [w for w in re.findall(r"[A-Za-z]+", dim["title"].upper()) if w not in _STOP]
    candidates = [dim["code"]] if dim["code"] and dim["code"].isalpha() else []
    initials = "".join(w[0] for w in words)[:4]
    if len(initials) >= 2:
        candidates.append(initials)
    if words:
        candidates += [words[0][:n] for n in range(2, min(len(words[0]), 8) + 1)]
    candidates += [(initials or "DM")[:2] + chr(ord("A") + i) for i in range(26)]
    code = next(
        c for c in candidates if 2 <= len(c) <= 8 and c not in codes and root + c not in prefixes
    )
    return groups.add_dimension(
        session,
        actor,
        code=code,
        prefix=root + code,
        title=dim["title"][:200],
        description=dim["description"],
        position=max((d.position for d in existing), default=0) + 1,
        now=now,
    )


# --- What an import shows -------------------------------------------------------------------


def uploader_name(session: Session, word_import: WordImport) -> str:
    from app.models import User

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
    plan = word_import.preview
    if word_import.kind is ImportKind.RETURNED:
        comments = sum(
            (0 if c["existing"] else 1) + len(c["replies"]) for c in plan.get("comments", [])
        )
        return {"proposals": len(plan.get("proposals", [])), "comments": comments}
    dims = plan.get("dimensions", [])
    return {
        "dimensions": sum(1 for d in dims if not d["exists"]),
        "indicators": sum(1 for d in dims for i in d["indicators"] if not i["exists"]),
        "sections": sum(1 for s in plan.get("sections", []) if not s["exists"]),
    }
