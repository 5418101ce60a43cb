"""`zerodraft import FILE`: the same preview and confirmation as the web, from the command line.

The command acts as the secretariat through a system account of its own ("Secretariat (command
line)", which has no password and cannot log in), so that what it creates has an author and the
audit trail says it came from the command line (request id "cli").
"""

import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.service import add_user
from app.audit.guard import open_database
from app.audit.service import Actor
from app.config import Settings
from app.errors import InvalidInput
from app.imports import personal, service
from app.imports.authored_input import chosen_authors
from app.imports.plans import (
    SECRETARIAT,
    SKIP,
    AuthoredPlan,
    Diff,
    ReturnedPlan,
    ReturnedResult,
    plan_of,
    result_of,
)
from app.models import Role, User
from app.models.imports import WordImport
from app.principal import Principal
from app.word.reader import FileTooLarge, Limits

CLI_EMAIL = "import@zerodraft.invalid"
CLI_NAME = "Secretariat (command line)"
REQUEST_ID = "cli"


@dataclass(frozen=True, slots=True)
class Outcome:
    lines: list[str]


def _principal(session: Session, now: datetime) -> Principal:
    user = session.scalar(select(User).where(User.email == CLI_EMAIL))
    if user is None:
        user = add_user(
            session,
            Actor.system(REQUEST_ID),
            email=CLI_EMAIL,
            name=CLI_NAME,
            role=Role.SECRETARIAT,
            password=None,
            now=now,
        )
    return Principal(user.id, user.email, user.name, Role.SECRETARIAT)


def author_choices(given: list[str] | None) -> dict[str, str]:
    """`--author "NAME=CODE"` options (CODE a delegation, "secretariat" or "skip")."""
    out: dict[str, str] = {}
    for one in given or []:
        name, sep, code = one.rpartition("=")
        if not sep or not code.strip():
            raise InvalidInput(
                f'--author {one!r}: write it as NAME=CODE, e.g. "Maria Santos=PH-SOMTC"',
                field="author",
            )
        out[name.strip()] = code.strip()
    return out


def read_bytes(path: Path, cap: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > cap:
            raise FileTooLarge(
                f"{path.name} is {size / 1048576:.1f} MB; files up to {cap / 1048576:.1f} MB "
                "can be imported"
            )
        return path.read_bytes()[: cap + 1]
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}", field="file") from exc


def run(
    settings: Settings,
    path: Path,
    *,
    delegation: str | None,
    dry_run: bool,
    now: datetime,
    authors: Mapping[str, str] | None = None,
    personal_data_checked: bool = False,
) -> Outcome:
    """Preview the file, and unless `dry_run` confirm it; a dry run writes nothing at all.
    Texts that may hold personal data are listed, and refuse confirming unless
    `personal_data_checked` (app/imports/personal.py)."""
    data = read_bytes(path, settings.import_max_bytes)
    database = open_database(settings)
    try:
        session = database.session(write=True)
        try:
            principal = _principal(session, now)
            done = service.preview(
                session,
                principal,
                data=data,
                filename=path.name,
                delegation_code=delegation,
                now=now,
                limits=Limits.from_settings(settings),
                signing_key=settings.secret_key,
                request_id=REQUEST_ID,
            )
            word_import = done.word_import
            plan = plan_of(word_import)
            # Who each author of a Word draft is, as the confirmation will take it: the
            # --author options over the names' matches (a dry run checks the mapping too).
            chosen = (
                chosen_authors(session, plan, authors)
                if isinstance(plan, AuthoredPlan) and authors
                else None
            )
            lines = [printable(line) for line in preview_lines(word_import, chosen)]
            lines += [
                printable(f"personal data? {row}, {f['where']}: {f['label']} {f['text']!r}")
                for row, found in personal.findings(plan).items()
                for f in found
            ]
            if done.already_imported:
                lines.insert(
                    0,
                    f"{path.name} was already imported as {word_import.reference}; nothing new "
                    "was created",
                )
                session.rollback()
                return Outcome(lines)
            if dry_run:
                session.rollback()
                return Outcome([*lines, "dry run: nothing was changed"])
            service.confirm(
                session,
                principal,
                word_import.id,
                expected_version=word_import.version,
                now=now,
                request_id=REQUEST_ID,
                authors=authors,
                personal_data_checked=personal_data_checked,
            )
            lines += list(created_lines(word_import))
            session.commit()
            return Outcome(lines)
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
    finally:
        database.dispose()


def _diff(ops: Diff) -> str:
    out = []
    for op, text in ops:
        out.append(f"[-{text}-]" if op == "delete" else f"{{+{text}+}}" if op == "insert" else text)
    return "".join(out)


def printable(line: str) -> str:
    """A line of the preview safe to print on a terminal: text from an uploaded file may hold
    control characters (XML admits C1 controls such as U+009B, a terminal escape); they are
    shown as escapes instead."""
    return "".join(
        ch
        if ch == "\t" or unicodedata.category(ch) != "Cc"
        else ch.encode("unicode_escape").decode()
        for ch in line
    )


def preview_lines(
    word_import: WordImport, authors: Mapping[str, str | None] | None = None
) -> Iterator[str]:
    """The preview, as printed; `authors` who each author of a Word draft is when the
    secretariat said (--author), else the delegations matched from their names."""
    plan = plan_of(word_import)
    counts = ", ".join(f"{n} {what}" for what, n in plan.counts().items())
    if isinstance(plan, ReturnedPlan):
        yield (
            f"{word_import.reference}: returned copy of {plan.round} for "
            f"{plan.delegation}, sha256 {word_import.sha256}: {counts}"
        )
        if plan.older_round:
            yield (
                f"note: {plan.round} is not the current round ({plan.current_round}); "
                "items changed since get outdated proposals"
            )
        if plan.gate:
            yield f"note: confirming is refused now: {plan.gate}"
        for p in plan.proposals:
            flags = (" [untracked]" if p.untracked else "") + (" [outdated]" if p.outdated else "")
            target = p.item or f"new indicator in {p.dimension}"
            by = f" by {', '.join(p.authors)}" if p.authors else ""
            if p.revises or p.alternative_to:
                target += f" (revision of {p.revises})" if p.revises else ""
                target += f" (alternative to {p.alternative_to})" if p.alternative_to else ""
            yield f"  {p.kind.value} {target}{flags}{by}"
            for name, ops in p.diffs.items():
                yield f"    {name}: {_diff(ops)}"
        for c in plan.comments:
            quote = f" on {c.quote!r}" if c.quote else ""
            if not c.existing:
                yield f"  comment on {c.item}{quote}: {c.body}"
            for r in c.replies:
                yield f"    reply: {r.body}"
    else:
        yield f"{word_import.reference}: Word draft, sha256 {word_import.sha256}: {counts} new"
        if plan.title:
            yield f"  title {plan.title!r}"
        if plan.gate and (plan.proposals or plan.comments):
            yield f"note: confirming is refused now: {plan.gate}"
        for s in plan.sections:
            state = f"exists as {s.exists}" if s.exists else "new"
            yield f"  section {s.title!r} ({state})"
        for d in plan.dimensions:
            state = f"exists as {d.exists}" if d.exists else "new"
            yield f"  dimension {d.title!r} ({state})"
            for ind in d.indicators:
                state = f"exists as {ind.exists}" if ind.exists else "new"
                strengths = ""
                if ind.strength_adult or ind.strength_child:
                    strengths = (
                        f" adult {ind.strength_adult or '-'}, child {ind.strength_child or '-'}"
                    )
                yield f"    {ind.code or '(next code)'} {ind.text!r}{strengths} ({state})"
        yield from _draft_input(plan, authors)
    for problem in plan.problems:
        yield f"  could not place: {problem}"
    for text in plan.unplaced:
        yield f"  could not place: {text}"


def _draft_input(
    plan: AuthoredPlan, authors: Mapping[str, str | None] | None = None
) -> Iterator[str]:
    """A Word draft's authors, and each proposal and comment it would create, with its author
    as written in the file and the delegation it is made for."""
    who = {a.name: a.delegation for a in plan.authors} | dict(authors or {})
    for a in plan.authors:
        yield f"  author {_author(a.name)}: {_speaks_for(who.get(a.name))}"
    for p in plan.proposals:
        by = f"by {_author(p.author)} ({_speaks_for(who.get(p.author))})"
        yield f"  proposal: {p.kind.value} {p.label} {by}"
        for name, ops in p.diffs.items():
            yield f"    {name}: {_diff(ops)}"
    for c in plan.comments:
        quote = f" on {c.quote!r}" if c.quote else ""
        by = f"by {_author(c.author)} ({_speaks_for(who.get(c.author))})"
        yield f"  comment on {c.label}{quote} {by}: {c.body}"
        for r in c.replies:
            replier = r.author or ""
            yield f"    reply by {_author(replier)} ({_speaks_for(who.get(replier))}): {r.body}"


def _author(name: str) -> str:
    return repr(name) if name else "(no author named)"


def _speaks_for(delegation: str | None) -> str:
    if delegation is None:
        return "unknown: choose a delegation with --author, or it is left out"
    if delegation == SECRETARIAT:
        return "the secretariat"
    if delegation == SKIP:
        return "left out"
    return delegation


def created_lines(word_import: WordImport) -> Iterator[str]:
    created = result_of(word_import)
    if isinstance(created, ReturnedResult):
        for p in created.proposals:
            what = f"{p.kind.value} {p.item or p.dimension}"
            if p.revised:
                yield f"revised {p.reference} ({what})"
                continue
            if p.alternative_to:
                what += f", alternative to {p.alternative_to}"
            yield f"created {p.reference} ({what}), submitted"
        for c in created.comments:
            yield f"created comment {c.reference}"
    else:
        for what, codes in (
            ("dimension", created.dimensions),
            ("indicator", created.indicators),
            ("section", created.sections),
        ):
            for code in codes:
                yield f"created {what} {code}"
        for made in (*created.proposals, *created.comments):
            target = made.delegation or "the secretariat"
            done = f"created {made.reference}" if made.id else "revised or added"
            yield f"{done} ({made.what}) for {target}, by {_author(made.author)} in the file"
        for skipped in created.skipped:
            yield f"left out: {skipped}"
    yield f"imported {word_import.filename} as {word_import.reference}"
