"""Planning a draft written in Word: which of its dimensions, indicators and sections are new
to the register and which it already holds (matched by code, else by title or text), and what
the register's own forms would refuse."""

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from app.imports.fields import (
    ENUM_FIELDS,
    INDICATOR_FIELDS,
    SECTION_FIELDS,
    STRENGTH_WORDS,
    clip,
    key,
)
from app.imports.plans import AuthoredPlan, DimensionPlan, IndicatorPlan, SectionPlan
from app.imports.reading import FileFacts
from app.models import Item, ItemKind, Revision
from app.register import service as register
from app.register.schemas import IndicatorUpdate, SectionUpdate
from app.word.incoming import AuthoredDocument


def plan_authored(session: Session, document: AuthoredDocument, facts: FileFacts) -> AuthoredPlan:
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
    return AuthoredPlan(
        title=document.title,
        filename=facts.filename,
        dimensions=dimensions,
        sections=sections,
        problems=problems,
        unplaced=list(document.unplaced),
    )


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
