"""What the search API answers."""

from typing import Literal

from pydantic import BaseModel, Field

Kind = Literal["indicator", "section", "proposal", "comment"]


class SearchResultOut(BaseModel):
    kind: Kind
    ref: str = Field(description="FC-DR-01, SEC-PURPOSE, P-12 or C-40")
    title: str
    snippet: str = Field(
        description="HTML: a piece of the text, escaped, with the words found in <mark>"
    )
    url: str = Field(description="The page of the result on this site")
    state: str = Field(description="Drafting state, proposal state, or open/resolved (comments)")
    delegation: str | None = Field(description="The proposing or commenting delegation's code")
    dimension: str | None


class SearchOut(BaseModel):
    results: list[SearchResultOut]
    total: int = Field(description="How many results there are in all, over every page")
    page: int
    pages: int
