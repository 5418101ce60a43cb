"""What the admin pages (group and people) read from a posted form, and the problems they show
back: an error summary at the top linking to each field, and the message again beside it."""

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from app.errors import DomainError


async def _posted_form(request: Request) -> FormData:
    # Starlette caches the parsed form on the request, so the CSRF check and this share one parse.
    return await request.form()


PostedForm = Annotated[FormData, Depends(_posted_form)]


def text(posted: FormData, name: str, max_length: int = 1000) -> str:
    """A posted text field, trimmed and cut to a length no valid value exceeds."""
    value = posted.get(name)
    return value.strip()[:max_length] if isinstance(value, str) else ""


def texts(posted: FormData, name: str, max_length: int = 64) -> list[str]:
    """Every value of a repeated field (checkboxes), trimmed, in order, without repeats."""
    seen: list[str] = []
    for value in posted.getlist(name):
        if isinstance(value, str) and value.strip() and value.strip()[:max_length] not in seen:
            seen.append(value.strip()[:max_length])
    return seen


@dataclass(frozen=True, slots=True)
class Problem:
    field: str | None  # the id of the field on the page; None: the form as a whole
    message: str


@dataclass(slots=True)
class Form:
    """One form's kept input and problems. `name` tells apart several forms on one page."""

    name: str = ""
    values: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for p in self.problems:
            if p.field is not None:
                out.setdefault(p.field, p.message)
        return out

    def add(self, field_id: str | None, message: str) -> None:
        self.problems.append(Problem(field_id, message))

    def refuse(self, exc: DomainError, fields: dict[str, str]) -> None:
        """The service's refusal, shown beside the field it names (mapped to the page's id)."""
        where = exc.extra.get("field")
        field_id = fields.get(where) if isinstance(where, str) else None
        self.add(field_id, exc.detail[:1].upper() + exc.detail[1:])
