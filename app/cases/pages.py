"""Case study pages: the list, opening one (the secretariat), and a case study's page with its
facts, a coding form under each fact (indicator, present / absent / unknown, the evidence
words), the personal-data findings to resolve, and sharing with the group. A refused form shows
the page again with the problem beside its field and what was typed kept; the use cases are
app/cases/service.py's."""

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.permissions import Action, allowed
from app.cases import service
from app.errors import DomainError, PreconditionFailed
from app.ids import is_id
from app.models.cases import FORMS, OUTCOMES, PHASES, PROFILES, SOURCES, STATUSES
from app.web.deps import Context, DbRoute, RequestContext
from app.web.forms import Form, PostedForm, sentence, text
from app.web.templating import render

router = APIRouter(route_class=DbRoute, include_in_schema=False)

Reader = Annotated[RequestContext, Context(Action.READ_CASES)]
Writer = Annotated[RequestContext, Context(Action.WRITE_CASES)]
Manager = Annotated[RequestContext, Context(Action.MANAGE_CASES)]

CASE_FIELDS = (
    "title",
    "summary",
    "profile",
    "crime_form",
    "age_band",
    "nationality",
    "place",
    "period",
    "outcome",
    "outcome_reasoning",
)
DONE = {
    "created": "Case study opened. It is restricted to the secretariat and its contributors.",
    "fact": "Fact added.",
    "fact-saved": "Fact saved.",
    "coded": "Coding saved.",
    "dismissed": "The finding is dismissed as not personal data.",
    "shared": "The case study is shared with the working group.",
    "restricted": "The case study is restricted to the secretariat and its contributors again.",
    "saved": "Case study saved.",
    "moved": "The facts are renumbered in their new order.",
}
CHOICES = {
    "profile": PROFILES,
    "crime_form": FORMS,
    "outcome": OUTCOMES,
    "phase": PHASES,
    "source": SOURCES,
    "status": STATUSES,
}


def _common() -> dict[str, Any]:
    return {"labels": service.LABELS, "choices": CHOICES}


@router.get("/cases")
def list_page(ctx: Reader) -> HTMLResponse:
    cases = service.listing(ctx.db, ctx.principal)
    return render(
        ctx.request,
        "cases/list.html",
        _common()
        | {
            "cases": cases,
            "may_open": allowed(ctx.principal.role, Action.MANAGE_CASES),
            "confirmation": "",
        },
    )


def _new_page(ctx: RequestContext, form: Form, status: int = 200) -> HTMLResponse:
    return render(ctx.request, "cases/new.html", _common() | {"form": form}, status)


@router.get("/cases/new")
def new_page(ctx: Manager) -> HTMLResponse:
    return _new_page(
        ctx,
        Form(
            {
                "profile": "adult",
                "crime_form": "online_scam",
                "outcome": "insufficient_information",
            }
        ),
    )


def _details(
    values: dict[str, Any], *, contributors: list[str] | None, double_coding: bool | None = None
) -> service.Details:
    """The case study's own fields as typed, and the secretariat's parts where it sent them."""
    return service.Details(
        **{name: values[name] for name in CASE_FIELDS},
        contributors=contributors,
        double_coding=double_coding,
    )


def _emails(typed: str) -> list[str]:
    """The contributors' addresses, one a line or separated by commas or semicolons."""
    return [e.strip() for e in typed.replace(";", ",").replace("\n", ",").split(",") if e.strip()]


@router.post("/cases/new")
def create(ctx: Manager, posted: PostedForm) -> Response:
    values = {name: text(posted, name, service.TEXT_MAX + 1) for name in CASE_FIELDS}
    values["contributors"] = text(posted, "contributors", 5000)
    form = Form(values)
    try:
        case = service.create(
            ctx.db,
            ctx.principal,
            ctx.actor,
            _details(values, contributors=_emails(values["contributors"])),
            now=ctx.now,
        )
    except DomainError as exc:
        ctx.discard_refused()
        form.add_refusal(exc, default=None)
        return _new_page(ctx, form, exc.status_code)
    return RedirectResponse(f"/cases/{case.id}?done=created", status_code=303)


def _case_page(
    ctx: RequestContext, case_id: int, form: Form | None = None, status: int = 200
) -> HTMLResponse:
    v = service.view(ctx.db, ctx.principal, case_id)
    return render(
        ctx.request,
        "cases/case.html",
        _common()
        | {
            "v": v,
            "c": v.case,
            "form": form or Form(),
            "indicators": service.indicator_choices(ctx.db) if v.may_write else [],
            "confirmation": DONE.get(ctx.request.query_params.get("done", ""), ""),
        },
        status,
    )


@router.get("/cases/{case_id}")
def case_page(case_id: int, ctx: Reader) -> HTMLResponse:
    return _case_page(ctx, case_id)


def _refused(
    ctx: RequestContext, case_id: int, form: Form, exc: DomainError, prefix: str
) -> HTMLResponse:
    """The page again with the refusal beside the field it names (ids are `prefix-field`)."""
    ctx.discard_refused()
    service.get(ctx.db, ctx.principal, case_id)  # a case they may not see stays a 404
    name = exc.extra.get("field")
    if isinstance(exc, PreconditionFailed):
        form.add(
            f"{prefix}-text"
            if prefix.startswith("edit")
            else (f"{prefix}-summary" if prefix == "case" else None),
            "Someone else changed this meanwhile; it is shown as it is now. What you typed is "
            "kept in the form: make your change again on what is there now.",
        )
    else:
        form.add(f"{prefix}-{name}" if isinstance(name, str) else None, sentence(exc))
    return _case_page(ctx, case_id, form, exc.status_code)


def _to_case(case_id: int, done: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/cases/{case_id}?done={done}{anchor}", status_code=303)


@router.post("/cases/{case_id}/edit")
def edit_case(case_id: int, ctx: Writer, posted: PostedForm) -> Response:
    """The case study's own fields (a contributor or the secretariat); contributors and double
    coding too when the secretariat sends them."""
    values: dict[str, Any] = {
        name: text(posted, name, service.TEXT_MAX + 1) for name in CASE_FIELDS
    }
    values["version"] = text(posted, "version", 12)
    manager = allowed(ctx.principal.role, Action.MANAGE_CASES)
    if manager:
        values["contributors"] = text(posted, "contributors", 5000)
        values["double_coding"] = posted.get("double_coding") == "yes"
    form = Form(values, name="case")
    try:
        service.update(
            ctx.db,
            ctx.principal,
            ctx.actor,
            case_id,
            _details(
                values,
                contributors=_emails(values["contributors"]) if manager else None,
                double_coding=values["double_coding"] if manager else None,
            ),
            expected_version=int(values["version"]) if is_id(values["version"]) else 0,
            now=ctx.now,
            personal_data_checked=posted.get("personal_data_checked") == "yes",
        )
    except DomainError as exc:
        return _refused(ctx, case_id, form, exc, "case")
    return _to_case(case_id, "saved")


@router.post("/cases/{case_id}/facts")
def add_fact(case_id: int, ctx: Writer, posted: PostedForm) -> Response:
    values = {
        "text": text(posted, "text", service.FACT_MAX + 1),
        "phase": text(posted, "phase", 32),
        "source": text(posted, "source", 32),
    }
    form = Form(values, name="fact")
    try:
        fact = service.add_fact(
            ctx.db,
            ctx.principal,
            ctx.actor,
            case_id,
            now=ctx.now,
            personal_data_checked=posted.get("personal_data_checked") == "yes",
            **values,
        )
    except DomainError as exc:
        return _refused(ctx, case_id, form, exc, "fact")
    return _to_case(case_id, "fact", f"#fact-{fact.id}")


@router.post("/cases/{case_id}/facts/{fact_id}")
def edit_fact(case_id: int, fact_id: int, ctx: Writer, posted: PostedForm) -> Response:
    values = {
        "text": text(posted, "text", service.FACT_MAX + 1),
        "phase": text(posted, "phase", 32),
        "source": text(posted, "source", 32),
        "version": text(posted, "version", 12),
    }
    form = Form(values, name=f"edit-{fact_id}")
    try:
        service.edit_fact(
            ctx.db,
            ctx.principal,
            ctx.actor,
            case_id,
            fact_id,
            text=values["text"],
            phase=values["phase"],
            source=values["source"],
            expected_version=int(values["version"]) if is_id(values["version"]) else 0,
            now=ctx.now,
            personal_data_checked=posted.get("personal_data_checked") == "yes",
        )
    except DomainError as exc:
        return _refused(ctx, case_id, form, exc, f"edit-{fact_id}")
    return _to_case(case_id, "fact-saved", f"#fact-{fact_id}")


@router.post("/cases/{case_id}/facts/{fact_id}/move")
def move_fact(case_id: int, fact_id: int, ctx: Writer, posted: PostedForm) -> Response:
    """One place up or down: the facts renumbered in the new order, under the case's version."""
    version = text(posted, "version", 12)
    form = Form(name=f"move-{fact_id}")
    try:
        case = service.get(ctx.db, ctx.principal, case_id)
        order = [f.id for f in service.facts(ctx.db, case.id)]
        if fact_id not in order:
            service.get_fact(ctx.db, case, fact_id)  # 404 naming the fact
        at = order.index(fact_id)
        to = at - 1 if posted.get("direction") == "up" else at + 1
        if 0 <= to < len(order):
            order[at], order[to] = order[to], order[at]
        service.order_facts(
            ctx.db,
            ctx.principal,
            ctx.actor,
            case_id,
            order,
            expected_version=int(version) if is_id(version) else 0,
            now=ctx.now,
        )
    except DomainError as exc:
        return _refused(ctx, case_id, form, exc, f"move-{fact_id}")
    return _to_case(case_id, "moved", f"#fact-{fact_id}")


@router.post("/cases/{case_id}/facts/{fact_id}/codings")
def code_fact(case_id: int, fact_id: int, ctx: Writer, posted: PostedForm) -> Response:
    values = {
        "indicator": text(posted, "indicator", 40),
        "status": text(posted, "status", 16),
        "evidence": text(posted, "evidence", service.FACT_MAX + 1),
    }
    form = Form(values, name=f"code-{fact_id}")
    try:
        service.code_fact(ctx.db, ctx.principal, ctx.actor, case_id, fact_id, now=ctx.now, **values)
    except DomainError as exc:
        return _refused(ctx, case_id, form, exc, f"code-{fact_id}")
    return _to_case(case_id, "coded", f"#fact-{fact_id}")


@router.post("/cases/{case_id}/findings/{finding_id}/dismiss")
def dismiss(case_id: int, finding_id: int, ctx: Writer, posted: PostedForm) -> Response:
    try:
        service.dismiss(ctx.db, ctx.principal, ctx.actor, case_id, finding_id, now=ctx.now)
    except DomainError as exc:
        return _refused(ctx, case_id, Form(name="findings"), exc, "findings")
    return _to_case(case_id, "dismissed", "#findings")


@router.post("/cases/{case_id}/visibility")
def visibility(case_id: int, ctx: Manager, posted: PostedForm) -> Response:
    wanted = text(posted, "visibility", 16)
    version = text(posted, "version", 12)
    form = Form({"visibility": wanted}, name="share")
    try:
        service.update(
            ctx.db,
            ctx.principal,
            ctx.actor,
            case_id,
            service.Details(visibility=wanted),
            expected_version=int(version) if is_id(version) else 0,
            now=ctx.now,
        )
    except DomainError as exc:
        return _refused(ctx, case_id, form, exc, "share")
    return _to_case(case_id, "shared" if wanted == "group" else "restricted")
