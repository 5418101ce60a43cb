"""What every HTML form of the pages shares: the values as the person typed them, kept to show
again, and the problems found with them, each beside the field it concerns and all together in
the error summary at the top (`error_summary`, `field_error` in templates/_macros.html).

Each feature keeps only its own parsing and checks (app/<feature>/forms.py). A problem names the
id of the field on the page, so that the summary links to it; None is the form as a whole.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, NamedTuple

from fastapi import Depends, Request
from starlette.datastructures import FormData

from app.errors import DomainError
from app.ids import is_id


class Problem(NamedTuple):
    """One thing to fix. A tuple too, so that `{% for field, message in problems %}` reads it."""

    field: str | None  # the id of the field on the page; None: the form as a whole
    message: str


def sentence(exc: DomainError) -> str:
    """A service's refusal (written in lower case) as a sentence a person reads."""
    return exc.detail[:1].upper() + exc.detail[1:]


@dataclass(slots=True)
class Form:
    """One form's kept values (strings; lists for checkbox groups) and its problems. `name`
    tells apart several forms on one page."""

    values: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    name: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def errors(self) -> dict[str, str]:
        """The first problem of each field, to show beside it."""
        out: dict[str, str] = {}
        for p in self.problems:
            if p.field is not None:
                out.setdefault(p.field, p.message)
        return out

    def add(self, field_id: str | None, message: str) -> None:
        self.problems.append(Problem(field_id, message))

    def add_refusal(
        self, exc: DomainError, ids: Mapping[str, str] | None = None, default: str | None = None
    ) -> None:
        """A refusal of the service, beside the field it names. Without `ids` the service's
        field name is the page's id; with them, it is mapped, and a name they lack (or a
        refusal naming no field) goes to `default`."""
        name = exc.extra.get("field")
        if not isinstance(name, str):
            where = default
        elif ids is None:
            where = name
        else:
            where = ids.get(name, default)
        self.add(where, sentence(exc))

    def limited(self, field_id: str, value: str, limit: int, label: str) -> None:
        if len(value) > limit:
            self.add(field_id, f"{label} must be {limit:,} characters or fewer")

    def text(self, name: str) -> str:
        return str(self.values.get(name, ""))

    def number(self, name: str) -> int | None:
        value = str(self.values.get(name, ""))
        return int(value) if is_id(value) else None


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
