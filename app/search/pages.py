"""The search page, GET /search?q=..., which the box in every page's header sends to."""

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.permissions import Action
from app.cache import kept
from app.errors import InvalidInput, NotFound
from app.models import Delegation, Dimension, Round
from app.paging import page_number
from app.search import service
from app.search.index import KINDS
from app.web.cache import CONTENT_VERSION
from app.web.deps import Context, DbRoute, RequestContext
from app.web.forms import Form, sentence
from app.web.templating import render

router = APIRouter(route_class=DbRoute, include_in_schema=False)

Searcher = Annotated[RequestContext, Context(Action.SEARCH)]
# The page's id of each field a refusal can name.
FIELD_IDS = {
    "q": "search-q",
    "kind": "search-kind",
    "dimension": "search-dimension",
    "delegation": "search-delegation",
    "round": "search-round",
    "state": "search-state",
    "page": "search-q",
}


@router.get("/search")
def search_page(
    ctx: Searcher,
    # No length limit here: a pasted link of any length is answered by the form's own check
    # (service.check, MAX_QUERY), beside the field, with the form to shorten it in.
    q: str | None = None,
    kind: Annotated[str, Query(max_length=32)] = "",
    dimension: Annotated[str, Query(max_length=32)] = "",
    delegation: Annotated[str, Query(max_length=40)] = "",
    round: Annotated[str, Query(max_length=64)] = "",
    state: Annotated[str, Query(max_length=32)] = "",
    page: Annotated[str, Query(max_length=8)] = "",
) -> HTMLResponse:
    """Results the person may see, best first, twenty a page, with filters."""
    values = {
        "q": q or "",
        "kind": kind,
        "dimension": dimension,
        "delegation": delegation,
        "round": round,
        "state": state,
    }
    form = Form(values)
    found = None
    if q is not None:
        try:
            found = service.search(
                ctx.db,
                ctx.principal,
                q,
                page=page_number(page),
                filters=service.Filters(
                    kind=kind or None,
                    dimension=dimension or None,
                    delegation=delegation or None,
                    round=round or None,
                    state=state or None,
                ),
            )
        except (InvalidInput, NotFound) as exc:
            form.add(FIELD_IDS.get(str(exc.extra.get("field")), "search-q"), sentence(exc))
    if found is not None and found.total and found.page > found.pages:
        # A page past the end (an old link, a hand-typed number) is a bad filter naming page,
        # with the way to the last page, not 'N results.' over an empty list.
        only = "is only one page" if found.pages == 1 else f"are only {found.pages} pages"
        form.add("search-last-page", f"There {only} of results for this search")

    def page_link(number: int) -> str:
        return "/search?" + urlencode({k: v for k, v in values.items() if v} | {"page": number})

    choices = _choices(ctx.db)
    titles = dict(choices.dimensions)
    filtered = [k for k in ("kind", "dimension", "delegation", "round", "state") if values[k]]
    return render(
        ctx.request,
        "search.html",
        {
            "form": form,
            "errors": form.errors,
            "values": values,
            "found": found,
            "page_link": page_link,
            "within": _within(values, titles) if form.ok else "",
            "everything_link": "/search?" + urlencode({"q": values["q"]}) if filtered else "",
            "kinds": _KINDS,
            "states": _STATES,
            "dimensions": choices.dimensions,
            "delegations": choices.delegations,
            "rounds": choices.rounds,
        },
        200 if form.ok else 422,
    )


@dataclass(frozen=True, slots=True)
class Choices:
    """What the filters offer, as (value, label): dimensions (code, title), delegations, rounds."""

    dimensions: tuple[tuple[str, str], ...]
    delegations: tuple[tuple[str, str], ...]
    rounds: tuple[tuple[str, str], ...]


# The content version (the newest audit event, id and chain hash; one row even with none): every
# change to dimensions, delegations or rounds records one in its transaction (app/audit/guard.py
# checks it at commit).
_CHOICES_VERSION = CONTENT_VERSION


def _choices(db: Session) -> Choices:
    """The filters' lists, read once per content version (one statement a request, not three)."""
    return kept(db, "search choices", _CHOICES_VERSION, lambda _: _read_choices(db))


def _read_choices(db: Session) -> Choices:
    return Choices(
        dimensions=tuple(
            (code, title)
            for code, title in db.execute(
                select(Dimension.code, Dimension.title).order_by(Dimension.position)
            )
        ),
        delegations=tuple(
            (code, code) for code in db.scalars(select(Delegation.code).order_by(Delegation.code))
        ),
        rounds=tuple(
            (symbol, symbol) for symbol in db.scalars(select(Round.symbol).order_by(Round.id))
        ),
    )


# The kinds and states offered, (value, label).
_KINDS = tuple((k, k.capitalize() + "s") for k in KINDS)
_STATES = tuple((s, s.replace("_", " ").capitalize()) for s in service.STATES)


def _within(values: dict[str, str], dimension_titles: dict[str, str]) -> str:
    """The filters in force, in words, for 'Nothing found for “passport” from TH-SOMTC'."""
    parts = []
    if values["kind"]:
        parts.append(f"among {values['kind']}s")
    if values["dimension"]:
        title = next(
            (t for c, t in dimension_titles.items() if c.upper() == values["dimension"].upper()),
            values["dimension"],
        )
        parts.append(f"in {title}")
    if values["delegation"]:
        parts.append(f"from {values['delegation']}")
    if values["round"]:
        parts.append(f"in round {values['round']}")
    if values["state"]:
        parts.append(f"in state {values['state'].replace('_', ' ')}")
    return " ".join(parts)
