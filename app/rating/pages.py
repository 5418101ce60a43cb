"""Rating round pages: the list, setting one up, a round's page (the secretariat's panel, who
answered, reminders, open/close), the answering form (all items on one page; from round 2 the
previous round's feedback beside each item) and the results, sortable."""

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy import select

from app.accounts.permissions import Action, allowed
from app.errors import DomainError
from app.models import Round, RoundState
from app.models.rating import CLOSED, DRAFT, OPEN, RatingRound
from app.proposals import display
from app.rating import service, stats
from app.rating.stats import KIND_LABELS, ConsensusRule
from app.web.deps import Context, DbRoute, RequestContext
from app.web.forms import Form, PostedForm, sentence, text, texts
from app.web.templating import render

router = APIRouter(route_class=DbRoute, include_in_schema=False)

Reader = Annotated[RequestContext, Context(Action.READ_RATING)]
Panellist = Annotated[RequestContext, Context(Action.ANSWER_RATING)]
Manager = Annotated[RequestContext, Context(Action.MANAGE_RATING)]
RoundId = Annotated[int, Path(ge=1, le=2_147_483_647)]

DONE = {
    "created": "Rating round set up as a draft.",
    "saved": "The rating round's settings are saved.",
    "opened": "The rating round is open: panellists can answer until the deadline.",
    "closed": "The rating round is closed: its results are shown to the panel.",
    "reminded": "Reminders are on their way to everyone who has not answered every indicator.",
    "late": "That panellist's answers are taken after the deadline (marked late).",
    "answered": "Your answers are saved. You can change them until the deadline.",
    "proposed": "The proposal is made and submitted.",
}
SORTS = {
    "position": "Order of the round",
    "median": "Median relevance (highest first)",
    "iqr": "Interquartile range (narrowest first)",
    "agreement": "Percent rating 7-9 (highest first)",
    "ref": "Indicator",
}
LABELS = {1: "1", 2: "2", 3: "3", 4: "4", 5: "5", 6: "6", 7: "7", 8: "8", 9: "9"}


def _num(value: float | None) -> str:
    if value is None:
        return "\N{EN DASH}"
    return f"{value:g}" if value == int(value) else f"{value:.1f}"


def _pct(value: float | None) -> str:
    return "\N{EN DASH}" if value is None else f"{value:.0f} %"


def _signed(value: float | None) -> str:
    """A change between rounds: +1, -0.5, 0; a dash where either round had no answers."""
    if value is None:
        return "\N{EN DASH}"
    return "0" if value == 0 else ("+" if value > 0 else "\N{MINUS SIGN}") + _num(abs(value))


def _histogram(s: stats.ScaleStats, title: str) -> Markup:
    """The server-drawn histogram as an image (its numbers are in the table beside it): a data:
    URL keeps the page free of inline SVG, which no text of a person's can then pass for."""
    svg = stats.histogram_svg(s.counts, [str(i) for i in range(1, 10)], title)
    data = base64.b64encode(svg.encode()).decode()
    return Markup(
        '<img class="histogram-image" src="data:image/svg+xml;base64,{}" alt="{}">'
    ).format(data, title)


FILTERS = {"num": _num, "pct": _pct, "signed": _signed}


def _ctx(ctx: RequestContext, **extra: Any) -> dict[str, Any]:
    return {
        "num": _num,
        "pct": _pct,
        "signed": _signed,
        "histogram": _histogram,
        "not_shown": service.NOT_SHOWN,
        "can_manage": allowed(ctx.principal.role, Action.MANAGE_RATING),
    } | extra


@router.get("/rating")
def rating_rounds(ctx: Reader, done: str = "") -> HTMLResponse:
    rows = service.listing(ctx.db, ctx.principal)
    symbols = dict(ctx.db.execute(select(Round.id, Round.symbol)).all())
    return render(
        ctx.request,
        "rating/list.html",
        _ctx(ctx, rounds=rows, symbols=symbols, done=DONE.get(done, "")),
    )


def _issued(ctx: RequestContext) -> list[str]:
    return list(
        ctx.db.scalars(
            select(Round.symbol)
            .where(Round.state != RoundState.PREPARING)
            .order_by(Round.id.desc())
        )
    )


def _new_page(ctx: RequestContext, form: Form, status: int = 200) -> HTMLResponse:
    return render(
        ctx.request,
        "rating/new.html",
        _ctx(
            ctx,
            rr=None,
            form=form,
            problems=form.problems,
            rounds=_issued(ctx),
            delegations=display.group_delegations(ctx.db),
            kinds=KIND_LABELS,
        ),
        status,
    )


@router.get("/rating/new")
def new_rating_round(ctx: Manager) -> HTMLResponse:
    issued = _issued(ctx)
    return _new_page(
        ctx,
        Form(
            {
                "round": issued[0] if issued else "",
                "kind": "threshold",
                "delegations": [c for c, _ in display.group_delegations(ctx.db)],
            }
        ),
    )


def _deadline(value: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise _Invalid(
            "deadline", "The deadline must be a date and time, e.g. 2026-04-01T17:00"
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class _Invalid(DomainError):
    status_code = 422

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail, field=field)


@router.post("/rating")
def create_rating_round(ctx: Manager, posted: PostedForm) -> Response:
    values = _values(posted)
    form = Form(values)
    try:
        rr = service.create(ctx.db, ctx.actor, _setup_of(values), now=ctx.now)
    except DomainError as exc:
        form.add_refusal(exc, {"rule": "kind"} | {k: k for k in values}, default=None)
        return _new_page(ctx, form, exc.status_code)
    return RedirectResponse(f"/rating/{rr.id}?done=created", status_code=303)


def _values(posted: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        name: text(posted, name, 4000)
        for name in (
            "title",
            "round",
            "items",
            "panellists",
            "deadline",
            "kind",
            "instructions",
            "version",
        )
    }
    values["delegations"] = texts(posted, "delegations")
    values["show_answers"] = posted.get("show_answers") == "yes"
    return values


def _setup_of(values: dict[str, Any]) -> service.Setup:
    return service.Setup(
        title=values["title"],
        round=values["round"],
        items=values["items"].replace(",", " ").split(),
        delegations=values["delegations"],
        panellists=values["panellists"].replace(",", " ").split(),
        deadline=_deadline(values["deadline"]),
        rule={"kind": values["kind"] or "threshold"},
        show_answers_to_secretariat=values["show_answers"],
        instructions=values["instructions"],
        changed={
            "title",
            "round",
            "items",
            "delegations",
            "panellists",
            "deadline",
            "rule",
            "show_answers_to_secretariat",
            "instructions",
        },
    )


def _edit_page(ctx: RequestContext, rr: RatingRound, form: Form, status: int = 200) -> HTMLResponse:
    return render(
        ctx.request,
        "rating/new.html",
        _ctx(
            ctx,
            rr=rr,
            form=form,
            problems=form.problems,
            rounds=_issued(ctx),
            delegations=display.group_delegations(ctx.db),
            kinds=KIND_LABELS,
        ),
        status,
    )


@router.get("/rating/{rr_id}/edit")
def edit_rating_round(rr_id: RoundId, ctx: Manager) -> HTMLResponse:
    rr = service.get(ctx.db, ctx.principal, rr_id)
    symbol = ctx.db.get(Round, rr.round_id)
    form = Form(
        {
            "title": rr.title,
            "round": symbol.symbol if symbol else "",
            "items": " ".join(line.ref for line in service.items(ctx.db, rr.id)),
            "panellists": " ".join(p.email for p in service.panel(ctx.db, rr)),
            "delegations": [],
            "deadline": rr.deadline.strftime("%Y-%m-%dT%H:%M") if rr.deadline else "",
            "kind": service.rule_of(rr).kind,
            "show_answers": rr.show_answers_to_secretariat,
            "instructions": rr.instructions,
            "version": str(rr.version),
        }
    )
    if rr.state != DRAFT:
        form.add(None, f"RR-{rr.id} is {rr.state}; only a draft's settings are edited here")
        return _edit_page(ctx, rr, form, 409)
    return _edit_page(ctx, rr, form)


@router.post("/rating/{rr_id}/edit")
def save_rating_round(rr_id: RoundId, ctx: Manager, posted: PostedForm) -> Response:
    rr = service.get(ctx.db, ctx.principal, rr_id)
    values = _values(posted)
    form = Form(values)
    version = form.number("version")
    try:
        service.update(
            ctx.db, ctx.actor, rr.id, _setup_of(values), expected_version=version, now=ctx.now
        )
    except DomainError as exc:
        form.add_refusal(exc, {"rule": "kind"} | {k: k for k in values}, default=None)
        return _edit_page(ctx, rr, form, exc.status_code)
    return RedirectResponse(f"/rating/{rr.id}?done=saved", status_code=303)


def _round_page(
    ctx: RequestContext,
    rr: RatingRound,
    *,
    done: str = "",
    form: Form | None = None,
    status: int = 200,
) -> HTMLResponse:
    secretariat = service.is_secretariat(ctx.principal)
    symbol = ctx.db.get(Round, rr.round_id)
    return render(
        ctx.request,
        "rating/round.html",
        _ctx(
            ctx,
            rr=rr,
            symbol=symbol.symbol if symbol else "",
            items=service.items(ctx.db, rr.id),
            rule_text=service.rule_of(rr).describe(),
            on_panel=service.on_panel(ctx.db, ctx.principal, rr),
            panel=service.panel(ctx.db, rr) if secretariat else None,
            secretariat=secretariat,
            access=service.access(ctx.principal, rr),
            done=DONE.get(done, ""),
            form=form or Form(),
            problems=(form.problems if form else []),
            has_next=service.next_of(ctx.db, rr),
            # "Start round N+1" only where some indicator lacks consensus.
            needs_next=secretariat and service.needs_next(ctx.db, rr),
            states=(DRAFT, OPEN, CLOSED),
        ),
        status,
    )


@router.get("/rating/{rr_id}")
def rating_round(rr_id: RoundId, ctx: Reader, done: str = "") -> HTMLResponse:
    return _round_page(ctx, service.get(ctx.db, ctx.principal, rr_id), done=done)


def _act(ctx: RequestContext, rr_id: RoundId, act: Any, done: str) -> Response:
    rr = service.get(ctx.db, ctx.principal, rr_id)
    try:
        result = act(rr)
    except DomainError as exc:
        form = Form()
        form.add(None, sentence(exc))
        return _round_page(ctx, rr, form=form, status=exc.status_code)
    target = f"/rating/{result.id}" if isinstance(result, RatingRound) else f"/rating/{rr.id}"
    return RedirectResponse(f"{target}?done={done}", status_code=303)


@router.post("/rating/{rr_id}/open")
def open_rating_round(rr_id: RoundId, ctx: Manager) -> Response:
    return _act(
        ctx,
        rr_id,
        lambda rr: service.open_(ctx.db, ctx.actor, rr.id, expected_version=None, now=ctx.now),
        "opened",
    )


@router.post("/rating/{rr_id}/close")
def close_rating_round(rr_id: RoundId, ctx: Manager) -> Response:
    return _act(
        ctx,
        rr_id,
        lambda rr: service.close(ctx.db, ctx.actor, rr.id, expected_version=None, now=ctx.now),
        "closed",
    )


@router.post("/rating/{rr_id}/remind")
def remind(rr_id: RoundId, ctx: Manager) -> Response:
    return _act(
        ctx,
        rr_id,
        lambda rr: service.remind(
            ctx.db, ctx.actor, rr.id, base_url=str(ctx.settings.base_url), now=ctx.now
        ),
        "reminded",
    )


@router.post("/rating/{rr_id}/late")
def accept_late(rr_id: RoundId, ctx: Manager, posted: PostedForm) -> Response:
    email = text(posted, "email", 254)
    return _act(
        ctx,
        rr_id,
        lambda rr: service.accept_late(ctx.db, ctx.actor, rr.id, email=email, now=ctx.now),
        "late",
    )


@router.post("/rating/{rr_id}/next")
def next_round(rr_id: RoundId, ctx: Manager, posted: PostedForm) -> Response:
    deadline_text = text(posted, "deadline", 64)

    def act(rr: RatingRound) -> RatingRound:
        return service.start_next(
            ctx.db, ctx.actor, rr.id, deadline=_deadline(deadline_text), title=None, now=ctx.now
        )

    return _act(ctx, rr_id, act, "created")


# --- Answering --------------------------------------------------------------------------------


def _answer_page(
    ctx: RequestContext, rr: RatingRound, form: Form, status: int = 200
) -> HTMLResponse:
    lines = service.items(ctx.db, rr.id)
    previous = ctx.db.get(RatingRound, rr.previous_id) if rr.previous_id else None
    return render(
        ctx.request,
        "rating/answer.html",
        _ctx(
            ctx,
            rr=rr,
            items=lines,
            form=form,
            problems=form.problems,
            feedback=service.feedback(ctx.db, ctx.principal, rr),
            previous=previous,
            rule_text=service.rule_of(rr).describe(),
            categories=stats.CATEGORIES,
            scale=range(1, 10),
        ),
        status,
    )


@router.get("/rating/{rr_id}/answer")
def answer_form(rr_id: RoundId, ctx: Panellist) -> HTMLResponse:
    rr = service.get(ctx.db, ctx.principal, rr_id)
    values: dict[str, Any] = {}
    refs = {line.rating_item_id: line.ref for line in service.items(ctx.db, rr.id)}
    for item_id, a in service.own_answers(ctx.db, rr.id, ctx.principal.user_id).items():
        ref = refs[item_id]
        values |= {
            f"relevance-{ref}": str(a.relevance),
            f"clarity-{ref}": str(a.clarity),
            f"strength_adult-{ref}": a.strength_adult or "",
            f"strength_child-{ref}": a.strength_child or "",
            f"comment-{ref}": a.comment,
            f"wording-{ref}": a.wording,
        }
    form = Form(values)
    if not service.on_panel(ctx.db, ctx.principal, rr):
        form.add(
            None,
            "You are not on the panel of this rating round; the secretariat chooses the panel.",
        )
        return _answer_page(ctx, rr, form, 403)
    return _answer_page(ctx, rr, form)


QUESTIONS = ("relevance", "clarity", "strength_adult", "strength_child", "comment", "wording")


@router.post("/rating/{rr_id}/answer")
def answer(rr_id: RoundId, ctx: Panellist, posted: PostedForm) -> Response:
    rr = service.get(ctx.db, ctx.principal, rr_id)
    lines = service.items(ctx.db, rr.id)
    values = {
        f"{q}-{line.ref}": text(posted, f"{q}-{line.ref}", 4000)
        for line in lines
        for q in QUESTIONS
    }
    form = Form(values)
    given = []
    for line in lines:
        mine = {q: values[f"{q}-{line.ref}"] for q in QUESTIONS}
        if not any(mine.values()):
            continue  # an item left blank is not answered (yet)
        given.append(service.AnswerIn(ref=line.ref, **mine))
    try:
        service.answer(
            ctx.db,
            ctx.principal,
            rr.id,
            given,
            now=ctx.now,
            request_id=ctx.request_id,
            personal_data_checked=posted.get("personal_data_checked") == "yes",
        )
    except DomainError as exc:
        problems = exc.extra.get("problems")
        if isinstance(problems, list) and exc.extra.get("findings"):
            # Personal data in comments or wordings: each box with its findings beside it,
            # the typed values kept, and the "I checked" box.
            for p in problems:
                box = f"{p['question']}-{p['item']}"
                form.values[f"findings-{box}"] = p["findings"]
                form.add(
                    box,
                    f"Your {'comment' if p['question'] == 'comment' else 'suggested wording'} "
                    f"on {p['item']} may hold personal data: remove or generalise it, or tick "
                    '"I checked: this is not personal data".',
                )
            return _answer_page(ctx, rr, form, exc.status_code)
        field = exc.extra.get("field")
        item = exc.extra.get("item")
        where = f"{field}-{item}" if isinstance(field, str) and isinstance(item, str) else None
        form.add(where, sentence(exc))
        return _answer_page(ctx, rr, form, exc.status_code)
    return RedirectResponse(f"/rating/{rr.id}?done=answered", status_code=303)


# --- Results ----------------------------------------------------------------------------------


def _sorted(results: list[service.ItemResult], sort: str, everything: bool) -> list[Any]:
    """Shown rows by the chosen statistic; hidden rows (fewer than MIN_SHOWN answers) after
    them, by ref, whatever the sort: ordering them by their hidden statistics would tell it."""

    def neutral(value: Callable[[service.ItemResult], float]) -> Callable[..., Any]:
        def key(r: service.ItemResult) -> tuple[bool, float, str]:
            if not (everything or r.shown):
                return (True, 0.0, r.item.ref)
            return (False, value(r), r.item.ref)

        return key

    keys: dict[str, Callable[..., Any]] = {
        "median": neutral(lambda r: -(r.relevance.median or 0)),
        "iqr": neutral(lambda r: r.relevance.iqr if r.relevance.iqr is not None else 99),
        "agreement": neutral(lambda r: -(r.relevance.percent_7_to_9 or 0)),
        "ref": lambda r: r.item.ref,
    }
    key = keys.get(sort)
    return sorted(results, key=key) if key else list(results)


@router.get("/rating/{rr_id}/results")
def results_page(
    rr_id: RoundId,
    ctx: Reader,
    sort: Annotated[str, Query(max_length=16)] = "position",
    done: str = "",
) -> HTMLResponse:
    return _results_page(ctx, service.get(ctx.db, ctx.principal, rr_id), sort=sort, done=done)


def _results_page(
    ctx: RequestContext,
    rr: RatingRound,
    *,
    sort: str = "position",
    done: str = "",
    form: Form | None = None,
    status: int = 200,
) -> HTMLResponse:
    allowed_ = service.access(ctx.principal, rr)
    secretariat = service.is_secretariat(ctx.principal)
    results = service.results(ctx.db, rr) if allowed_.results else []
    named = (
        service.named_answers(ctx.db, ctx.principal, rr)
        if allowed_.everything and service.is_secretariat(ctx.principal)
        else []
    )
    return render(
        ctx.request,
        "rating/results.html",
        _ctx(
            ctx,
            rr=rr,
            access=allowed_,
            results=_sorted(results, sort if sort in SORTS else "position", allowed_.everything),
            sort=sort if sort in SORTS else "position",
            sorts=SORTS,
            named=named,
            rule_text=ConsensusRule.from_json(rr.rule or {}).describe(),
            delegations=display.group_delegations(ctx.db),
            done=DONE.get(done, ""),
            secretariat=secretariat,
            proposable=(
                service.proposable(ctx.db, results) if secretariat and rr.state == CLOSED else {}
            ),
            form=form or Form(),
            problems=(form.problems if form else []),
        ),
        status,
    )


@router.post("/rating/{rr_id}/propose")
def propose(rr_id: RoundId, ctx: Manager, posted: PostedForm) -> Response:
    rr = service.get(ctx.db, ctx.principal, rr_id)
    ref, profile = text(posted, "ref", 32).strip().upper(), text(posted, "profile", 8)
    try:
        made = service.propose_strength(
            ctx.db,
            ctx.principal,
            rr.id,
            ref=ref,
            profile=profile,
            delegation=text(posted, "delegation", 64),
            now=ctx.now,
            request_id=ctx.request_id,
        )
    except DomainError as exc:
        # Back on the results page, beside the form it came from (not a page of its own).
        ctx.discard_refused()
        form = Form()
        form.add(f"delegation-{ref}-{profile}", sentence(exc))
        return _results_page(ctx, rr, form=form, status=exc.status_code)
    return RedirectResponse(f"/proposals/{made}", status_code=303)
