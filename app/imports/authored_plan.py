"""Planning a draft written in Word: which of its dimensions, indicators and sections are new
to the register and which it already holds (matched by code, else by title or text), and what
the register's own forms would refuse; the proposals its tracked changes make and the comments
it carries, each with its author as written in the file and the delegation that author is
(matched from the name: "Malaysia - AICHR", "MY-AICHR", "Malaysia (AICHR)"; an author the
names do not give is left for the secretariat to choose in the preview)."""

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from app.errors import Conflict
from app.imports.fields import (
    ENUM_FIELDS,
    INDICATOR_FIELDS,
    SECTION_FIELDS,
    STRENGTH_WORDS,
    clip,
    key,
    norm,
)
from app.imports.plans import (
    SECRETARIAT,
    AuthoredCommentPlan,
    AuthoredPlan,
    AuthoredProposalPlan,
    AuthorPlan,
    DimensionPlan,
    IndicatorPlan,
    ReplyPlan,
    SectionPlan,
)
from app.imports.reading import FileFacts
from app.models import Body, Delegation, Item, ItemKind, MemberState, ProposalKind, Revision
from app.register import service as register
from app.register.schemas import IndicatorUpdate, SectionUpdate
from app.rounds.service import input_gate
from app.text.diff import rebase_text, replay, word_diff
from app.word.incoming import AuthoredChange, AuthoredComment, AuthoredDocument


def plan_authored(
    session: Session,
    document: AuthoredDocument,
    facts: FileFacts,
    now: datetime | None = None,
) -> AuthoredPlan:
    existing = RegisterIndex.load(session)
    problems: list[str] = []
    dimensions = []
    for dim in document.dimensions:
        match = existing.dimension(dim.code, dim.title)
        if match is None and not dim.title.strip():
            # A dimension needs a title, and a table or list under no heading gives none.
            problems.append(
                f"{len(dim.indicators)} indicator(s) under no heading (e.g. "
                f"{clip(dim.indicators[0].text.strip()) if dim.indicators else ''!r}) are "
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
            planned_indicator = IndicatorPlan(
                text=ind.text.strip(),
                code=(ind.code or "").strip().upper() or None,
                number=ind.number,
                **strengths,
                guidance=ind.guidance.strip(),
                information_sources=ind.information_sources.strip(),
                references=ind.references.strip(),
                source=ind.source,
                exists=found,
            )
            problem = None if found else _unfit(ItemKind.INDICATOR, planned_indicator.model_dump())
            if problem is not None:
                problems.append(f"{ind.source or clip(ind.text)}: {problem}; left out")
                continue
            indicators.append(planned_indicator)
        dimensions.append(
            DimensionPlan(
                title=dim.title.strip(),
                code=(dim.code or "").strip().upper() or None,
                description=dim.description.strip(),
                exists=match,
                indicators=indicators,
            )
        )
    sections = []
    for s in document.sections:
        planned_section = SectionPlan(
            title=s.title.strip(),
            text=s.text.strip(),
            code=(s.code or "").strip().upper() or None,
            exists=existing.section(s.code, s.title),
            source=s.source,
        )
        problem = (
            None
            if planned_section.exists
            else _unfit(ItemKind.SECTION, planned_section.model_dump())
        )
        if problem is not None:
            problems.append(f"section {clip(s.title.strip())!r}: {problem}; left out")
            continue
        sections.append(planned_section)
    held = Held.load(
        session,
        {s.exists for s in sections if s.exists}
        | {i.exists for d in dimensions for i in d.indicators if i.exists},
    )
    problems += _wording_differs(sections, dimensions, held)
    proposals, comments = _input(document, dimensions, sections, problems, held)
    authors = _authors(session, document, proposals, comments)
    gate = None
    if (proposals or comments) and now is not None:
        try:
            input_gate(session, now, delegation_id=None)
        except Conflict as exc:
            gate = exc.detail
    return AuthoredPlan(
        title=document.title,
        filename=facts.filename,
        dimensions=dimensions,
        sections=sections,
        problems=problems,
        unplaced=list(document.unplaced),
        authors=authors,
        proposals=proposals,
        comments=comments,
        gate=gate,
    )


# --- Tracked changes and comments ----------------------------------------------------------


def _diff(old: str | None, new: str | None) -> list[tuple[Any, str]]:
    return [(c.op, c.text) for c in word_diff(old or "", new or "")]


# The fields of an item a Word draft gives, by kind, compared with what the register holds.
_DRAFT_FIELDS = {
    ItemKind.SECTION: ("title", "text"),
    ItemKind.INDICATOR: (
        "text",
        "strength_adult",
        "strength_child",
        "guidance",
        "information_sources",
        "references",
    ),
}
_WORDED = {"title", "text", "guidance", "information_sources", "references"}


@dataclass(frozen=True, slots=True)
class Held:
    """What the register holds of the items a draft's parts already are: by code, the
    revision number and each field's value ("" when unset)."""

    items: dict[str, tuple[int, dict[str, str]]]

    @classmethod
    def load(cls, session: Session, codes: set[str]) -> "Held":
        items: dict[str, tuple[int, dict[str, str]]] = {}
        if codes:
            rows = session.execute(
                select(Item.code, Revision)
                .join(Revision, and_(Revision.item_id == Item.id, Revision.number == Item.version))
                .where(Item.code.in_(codes))
            ).all()
            for code, revision in rows:
                values = {}
                for name in ("title", *_DRAFT_FIELDS[ItemKind.INDICATOR]):
                    value = getattr(revision, name)
                    values[name] = str(getattr(value, "value", value) or "")
                items[code] = (revision.number, values)
        return cls(items)

    def get(self, code: str | None) -> tuple[int, dict[str, str]] | None:
        return self.items.get(code) if code else None


def _differs(draft: str, register_value: str) -> bool:
    """The draft's value of a field is not the register's (spacing aside); a field the draft
    leaves empty says nothing."""
    return bool(draft.strip()) and norm(draft) != norm(register_value)


def _wording_differs(
    sections: list[SectionPlan], dimensions: list[DimensionPlan], held: Held
) -> list[str]:
    """The draft's own wording of items the register already holds, where it is not the
    register's: the register's is kept (the draft's text is not the secretariat's revision of
    it), so each is said, with the draft's words, rather than silently dropped."""
    out = []
    items: list[tuple[str, ItemKind, dict[str, Any]]] = [
        (f"section {clip(s.title, 60)!r} ({s.exists})", ItemKind.SECTION, s.model_dump())
        for s in sections
        if s.exists
    ]
    items += [
        (f"indicator {i.exists}", ItemKind.INDICATOR, i.model_dump())
        for d in dimensions
        for i in d.indicators
        if i.exists
    ]
    for label, kind, draft in items:
        code = draft["exists"]
        found = held.get(code)
        if found is None:
            continue
        _, values = found
        for name in _DRAFT_FIELDS[kind]:
            mine = str(draft.get(name) or "")
            if _differs(mine, values.get(name, "")):
                out.append(
                    f"{label}: the draft's wording differs from the register's, which is kept "
                    f"(the tracked changes are placed on the register's text where they apply): "
                    f"{name.replace('_', ' ')} in the draft {clip(mine)!r}"
                )
    return out


def _on_register(
    label: str,
    fields: dict[str, Any],
    draft: dict[str, Any],
    held: tuple[int, dict[str, str]] | None,
    notes: list[str],
) -> tuple[dict[str, Any], dict[str, Any]] | str:
    """An author's change, made on the draft's text of an item, expressed against the text the
    register holds: the fields to propose and the text each is shown against; or why it cannot
    be placed (the draft's text before the changes is not the register's and the change does
    not apply to the register's text), never the draft's base text in place of the register's.
    A field that cannot be placed beside one that can is left out, and `notes` says why."""
    if held is None:
        return fields, {k: draft.get(k) for k in fields}
    _, values = held
    out: dict[str, Any] = {}
    against: dict[str, Any] = {}
    refused: list[str] = []
    for name, value in fields.items():
        base = str(draft.get(name) or "")
        current = values.get(name, "")
        proposed = str(value or "")
        if base == current:
            rebased: str | None = proposed
        elif name in _WORDED:
            rebased = replay(base, proposed, current)
            if rebased is None and base.strip():
                rebased = rebase_text(base, proposed, current)
        else:
            # A strength the draft gave as the register does not: the change is only the
            # author's if the register already agrees with the base, or with the change.
            rebased = current if proposed == current else None
        if rebased is None:
            refused.append(
                f"the draft's {name.replace('_', ' ')} of {label} before the changes differs from "
                f"the register's, and the change does not apply to the register's "
                f"{name.replace('_', ' ')}"
            )
        elif rebased != current:
            out[name] = rebased
            against[name] = current
    if not out:
        return "; ".join(refused) or f"the register's {label} already reads as the change makes it"
    notes += refused
    return out, against


def _input(
    document: AuthoredDocument,
    dimensions: list[DimensionPlan],
    sections: list[SectionPlan],
    problems: list[str],
    held: Held,
) -> tuple[list[AuthoredProposalPlan], list[AuthoredCommentPlan]]:
    """The proposals the tracked changes make and the comments, on what the plan imports;
    a change or comment on something left out is listed in `problems` with why."""
    indicators = {i.source: (d, i) for d in dimensions for i in d.indicators}
    by_section = {s.source: s for s in sections if s.source}
    dims = {d.title: d for d in dimensions}
    proposals: list[AuthoredProposalPlan] = []
    added: dict[str, str] = {}  # source of a new indicator -> its author
    for change in document.changes:
        who = change.author or "an unnamed author"
        notes: list[str] = []
        planned = _proposal(change, indicators, by_section, dims, held, notes)
        if isinstance(planned, str):
            problems.append(f"tracked change by {who} ({change.target}): {planned}; left out")
            continue
        problems += [
            f"tracked change by {who} ({change.target}, {planned.label}): {note}; this part is "
            "left out"
            for note in notes
        ]
        proposals.append(planned)
        if planned.kind is ProposalKind.ADD:
            added[change.target] = change.author
    comments: list[AuthoredCommentPlan] = []
    for c in document.comments:
        if c.target_kind is None or c.target is None:
            continue  # the reader listed it, with where it was
        planned_comment = _comment(c, indicators, by_section, added)
        if isinstance(planned_comment, str):
            problems.append(
                f"comment by {c.author or 'an unnamed author'} on {c.where}: {planned_comment}; "
                "left out"
            )
            continue
        comments.append(planned_comment)
    return proposals, comments


def _indicator_label(dimension: DimensionPlan, ind: IndicatorPlan) -> str:
    code = ind.exists or ind.code
    return code or f"the indicator {clip(ind.text, 60)!r} ({dimension.title})"


def _proposal(
    change: AuthoredChange,
    indicators: dict[str, tuple[DimensionPlan, IndicatorPlan]],
    sections: dict[str, SectionPlan],
    dimensions: dict[str, DimensionPlan],
    held: Held,
    notes: list[str],
) -> AuthoredProposalPlan | str:
    """The proposal, or why it cannot be made."""
    fields = dict(change.fields)
    date = change.date.isoformat() if change.date else None
    kind = ProposalKind(change.kind)
    if change.item_kind == "section":
        if kind is ProposalKind.ADD:
            return AuthoredProposalPlan(
                kind=kind,
                item_kind=ItemKind.SECTION,
                author=change.author,
                target=None,
                label=f"new section {clip(str(fields.get('title') or ''), 60)!r}",
                dimension=None,
                after=None,
                fields=fields,
                diffs={k: _diff("", v) for k, v in fields.items()},
                date=date,
                source=change.target,
            )
        section = sections.get(change.target)
        if section is None:
            return "its section is not imported"
        label = section.exists or section.code or f"section {section.title!r}"
        held_section = held.get(section.exists)
        old: dict[str, Any] = {}
        if kind is ProposalKind.AMEND:
            placed = _on_register(label, fields, section.model_dump(), held_section, notes)
            if isinstance(placed, str):
                return placed
            fields, old = placed
        return AuthoredProposalPlan(
            kind=kind,
            item_kind=ItemKind.SECTION,
            author=change.author,
            target=change.target,
            label=label,
            dimension=None,
            after=None,
            fields=fields,
            diffs={k: _diff(old.get(k), v) for k, v in fields.items()},
            date=date,
            revision=held_section[0] if held_section else None,
        )
    if kind is ProposalKind.ADD:
        dimension = dimensions.get(change.dimension or "")
        if dimension is None or not fields.get("text"):
            return "it adds an indicator under no dimension the draft imports"
        follows = indicators.get(change.after or "")
        return AuthoredProposalPlan(
            kind=kind,
            item_kind=ItemKind.INDICATOR,
            author=change.author,
            target=None,
            label=f"new indicator in {dimension.title}",
            dimension=dimension.title,
            after=change.after if follows else None,
            fields=fields,
            diffs={k: _diff("", v) for k, v in fields.items()},
            date=date,
        )
    found = indicators.get(change.target)
    if found is None:
        return "its indicator is not imported"
    dimension, ind = found
    old_fields = ind.model_dump()
    for name in ("strength_adult", "strength_child"):
        if fields.get(name):
            value, problem = _strength(str(fields[name]))
            if problem:
                return problem
            fields[name] = value
    label = _indicator_label(dimension, ind)
    held_item = held.get(ind.exists)
    if kind is ProposalKind.AMEND:
        placed = _on_register(label, fields, old_fields, held_item, notes)
        if isinstance(placed, str):
            return placed
        fields, old_fields = placed
    return AuthoredProposalPlan(
        kind=kind,
        item_kind=ItemKind.INDICATOR,
        author=change.author,
        target=change.target,
        label=label,
        dimension=None,
        after=None,
        fields=fields,
        diffs={k: _diff(old_fields.get(k), v) for k, v in fields.items()},
        date=date,
        source=change.target,
        revision=held_item[0] if held_item else None,
    )


def _comment(
    c: AuthoredComment,
    indicators: dict[str, tuple[DimensionPlan, IndicatorPlan]],
    sections: dict[str, SectionPlan],
    added: dict[str, str],
) -> AuthoredCommentPlan | str:
    assert c.target is not None and c.target_kind is not None
    on_proposal = False
    if c.target_kind == "section":
        section = sections.get(c.target)
        if section is None:
            return "its section is not imported"
        label = section.exists or section.code or f"section {section.title!r}"
    elif c.target in indicators:
        dimension, ind = indicators[c.target]
        label = _indicator_label(dimension, ind)
    elif c.target in added:
        on_proposal = True
        label = f"the new indicator proposed by {added[c.target] or 'an unnamed author'}"
    else:
        return "its indicator is not imported"
    return AuthoredCommentPlan(
        author=c.author,
        target_kind=ItemKind(c.target_kind),
        target=c.target,
        on_proposal=on_proposal,
        label=label,
        field=c.field,
        quote=c.quote,
        body=c.text,
        date=c.date.isoformat() if c.date else None,
        resolved=c.resolved,
        replies=[
            ReplyPlan(body=r.text, author=r.author, date=r.date.isoformat() if r.date else None)
            for r in c.replies
            if r.text
        ],
    )


# --- Who the authors are ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DelegationName:
    """What a delegation is called: its code, its member state and its body."""

    code: str
    state_code: str
    state_name: str
    body_code: str
    body_name: str
    title: str | None


def delegation_names(session: Session) -> list[DelegationName]:
    rows = session.execute(
        select(
            Delegation.code,
            MemberState.code,
            MemberState.name,
            Body.code,
            Body.name,
            Delegation.title,
        )
        .join(MemberState, MemberState.id == Delegation.state_id)
        .join(Body, Body.id == Delegation.body_id)
        .where(Delegation.retired_at.is_(None))
        .order_by(Delegation.code)
    ).all()
    return [DelegationName(*row) for row in rows]


# Other names a member state goes by in delegates' files, each folded to one (longest first).
_ALIASES = (
    ("lao people s democratic republic", "lao"),
    ("brunei darussalam", "brunei"),
    ("lao pdr", "lao"),
    ("viet nam", "vietnam"),
    ("laos", "lao"),
    ("burma", "myanmar"),
)
_SECRETARIAT_NAMES = ("asean secretariat", "asec", "secretariat")


def _words(text: str) -> str:
    """Lower-case words and numbers, accents and punctuation aside, one space apart."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).casefold()
    words = " ".join(re.findall(r"[a-z0-9]+", plain.replace("'", "")))
    for alias, name in _ALIASES:
        words = re.sub(rf"\b{alias}\b", name, words)
    return f" {words} "


def _has(words: str, phrase: str) -> bool:
    folded = _words(phrase).strip()
    return bool(folded) and f" {folded} " in words


def match_author(name: str, delegations: Sequence[DelegationName]) -> str | None:
    """The delegation (its code) or SECRETARIAT an author's name as written in a Word file
    stands for, or None when the name does not say which: "Malaysia - AICHR", "MY-AICHR",
    "Malaysia (AICHR)", "AICHR Malaysia", "Maria Santos (PH-SOMTC)", or only the member state
    when it has one delegation. A name naming a body the state has no delegation in matches
    nothing."""
    words = _words(name)
    if not words.strip():
        return None
    titled = [d.code for d in delegations if d.title and _has(words, d.title)]
    if len(titled) == 1:
        return titled[0]
    secretariat = any(_has(words, s) for s in _SECRETARIAT_NAMES)
    if secretariat and not any(_has(words, d.state_name) for d in delegations):
        return SECRETARIAT

    def state(d: DelegationName) -> bool:
        # A state's two letters count only written as a code ("MY", not "my").
        code = re.search(rf"(?<![A-Za-z0-9]){re.escape(d.state_code.upper())}(?![A-Za-z0-9])", name)
        return _has(words, d.state_name) or code is not None

    def body(d: DelegationName) -> bool:
        return _has(words, d.body_code) or _has(words, d.body_name)

    both = {d.code for d in delegations if state(d) and body(d)}
    if len(both) == 1:
        return both.pop()
    if both:
        return None
    named_body = any(body(d) for d in delegations)
    states = {d.state_code for d in delegations if state(d)}
    if len(states) == 1 and not named_body:
        own = [d.code for d in delegations if d.state_code in states]
        if len(own) == 1:
            return own[0]
    return None


def _authors(
    session: Session,
    document: AuthoredDocument,
    proposals: list[AuthoredProposalPlan],
    comments: list[AuthoredCommentPlan],
) -> list[AuthorPlan]:
    names = delegation_names(session)
    out = []
    for author in document.authors:
        said = sum(1 for c in comments if c.author == author)
        said += sum(1 for c in comments for r in c.replies if r.author == author)
        out.append(
            AuthorPlan(
                name=author,
                delegation=match_author(author, names),
                changes=sum(1 for p in proposals if p.author == author),
                comments=said,
            )
        )
    return out


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
class RegisterIndex:
    """What the register already holds, to match a Word draft's parts against: by code, else
    by title or text (whitespace and case aside)."""

    dimensions: dict[str, str]  # code -> code, and folded title -> code
    indicators: dict[str, str]  # code -> code, and folded text -> code
    sections: dict[str, str]

    @classmethod
    def load(cls, session: Session) -> "RegisterIndex":
        dims: dict[str, str] = {}
        for d in register.list_dimensions(session):
            dims[d.code] = d.code
            dims.setdefault(key(d.title), d.code)
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
            target.setdefault(key((title if kind is ItemKind.SECTION else text) or ""), code)
        return cls(dims, inds, secs)

    @staticmethod
    def _find(index: dict[str, str], code: str | None, words: str) -> str | None:
        if code and code.strip().upper() in index:
            return index[code.strip().upper()]
        return index.get(key(words)) if words.strip() else None

    def dimension(self, code: str | None, title: str) -> str | None:
        return self._find(self.dimensions, code, title)

    def indicator(self, code: str | None, text: str) -> str | None:
        return self._find(self.indicators, code, text)

    def section(self, code: str | None, title: str) -> str | None:
        return self._find(self.sections, code, title)

    def add_dimension(self, code: str, title: str) -> None:
        self.dimensions[code] = code
        self.dimensions.setdefault(key(title), code)

    def add_indicator(self, code: str, text: str) -> None:
        self.indicators[code] = code
        self.indicators.setdefault(key(text), code)

    def add_section(self, code: str, title: str) -> None:
        self.sections[code] = code
        self.sections.setdefault(key(title), code)
