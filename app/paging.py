"""One page of a long list: which rows, and the links to the others.

Long lists (the register, the consensus grid, a round's compilation) are read a page at a time:
a delegate on a slow connection asks for fifty rows, not five hundred, and the server renders
fifty. Neutral: services and pages of any feature use it.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import urlencode

from app.errors import InvalidInput

T = TypeVar("T")

PER_PAGE = 50


def page_number(raw: str | int | None) -> int:
    """The page asked for (1 when none); a clear error for anything but a whole number >= 1."""
    if raw is None or raw == "":
        return 1
    text = str(raw).strip()
    # ASCII digits only: str.isdigit() also accepts '²', which int() refuses.
    if not (text.isascii() and text.isdigit()) or len(text) > 6 or int(text) < 1:
        raise InvalidInput("the page is a whole number from 1", field="page")
    return int(text)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    rows: Sequence[T]
    number: int
    total: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        """The position (from 1) of the page's first row in the whole list."""
        return 0 if self.total == 0 else (self.number - 1) * self.per_page + 1

    @property
    def last(self) -> int:
        return min(self.total, self.number * self.per_page)

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page

    def url(self, path: str, query: Mapping[str, str], number: int) -> str:
        """The address of page `number` with the same filters (empty ones left out)."""
        kept = {k: v for k, v in query.items() if v and k != "page"}
        if number > 1:
            kept["page"] = str(number)
        return f"{path}?{urlencode(kept)}" if kept else path


def clamp(number: int, total: int, per_page: int = PER_PAGE) -> int:
    """A page past the end shows the last page (a list that shrank since the link was made)."""
    return max(1, min(number, max(1, -(-total // per_page))))


def slice_of(rows: Sequence[T], number: int, per_page: int = PER_PAGE) -> Page[T]:
    """A page of a list already in memory."""
    number = clamp(number, len(rows), per_page)
    start = (number - 1) * per_page
    return Page(rows[start : start + per_page], number, len(rows), per_page)
