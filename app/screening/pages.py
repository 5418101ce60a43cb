"""Screening pages (issue 21): a round's screening of the case studies the person may see
(result, reference outcome, agreement; sensitivity and specificity with their intervals; the rule
in words), compared side by side with another rule: the pooled variant, or a draft the
secretariat writes as JSON (refused beside the field, what was typed kept)."""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from app.accounts.permissions import Action, allowed
from app.cases import service as cases
from app.errors import InvalidInput
from app.rounds.export import MEDIA_TYPE as DOCX_MEDIA_TYPE
from app.rounds.export import find_round
from app.screening import rule as r
from app.screening import rules, service, training
from app.screening.metrics import REFERENCE_LABELS, Reference
from app.web.deps import Context, DbRoute, RequestContext
from app.web.templating import render
from app.word.training import export_training

router = APIRouter(route_class=DbRoute, include_in_schema=False)

Reader = Annotated[RequestContext, Context(Action.READ_CASES)]
Manager = Annotated[RequestContext, Context(Action.MANAGE_CASES)]

BUILT_IN = {"ilo2009": r.ILO_2009, "pooled": r.ILO_2009_POOLED}


def _draft(text: str) -> tuple[r.CombinationRule | None, str]:
    """A rule from the JSON typed, or the problem (its field first)."""
    try:
        return r.CombinationRule.from_json(json.loads(text)), ""
    except json.JSONDecodeError as exc:
        return None, f"rule: not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
    except ValueError as exc:
        return None, str(exc)


@router.get("/training-pack")
def training_page(ctx: Manager) -> HTMLResponse:
    """The secretariat chooses case studies for a training pack."""
    return render(
        ctx.request, "screening/training.html", {"cases": cases.listing(ctx.db, ctx.principal)}
    )


@router.get("/training-pack.docx")
def training_docx(
    ctx: Manager,
    case: Annotated[list[int], Query(max_length=200)] = [],  # noqa: B006
) -> Response:
    """The chosen case studies as a Word training pack."""
    chosen = [c for c in case if 1 <= c <= 2_147_483_647]
    if not chosen:
        raise InvalidInput("choose at least one case study", field="case")
    data = export_training(
        training.pack(
            ctx.db,
            ctx.principal,
            chosen,
            working_group=ctx.settings.working_group_name,
            time_zone=ctx.settings.time_zone,
            now=ctx.now,
        )
    )
    return Response(
        data,
        media_type=DOCX_MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="training-pack.docx"'},
    )


@router.get("/screening/{ref:path}")
def screening_page(
    ref: str,
    ctx: Reader,
    compare: Annotated[str, Query(max_length=16)] = "",
    rule: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    draft: Annotated[str, Query(max_length=20_000)] = "",
) -> HTMLResponse:
    round_ = find_round(ctx.db, ref)
    inputs = service.case_inputs(ctx.db, ctx.principal)
    indicators = service.round_indicators(ctx.db, round_)
    run = service.run(inputs, indicators, rules.for_round(ctx.db, round_))
    other: r.CombinationRule | None = None
    problem = ""
    if draft.strip():
        other, problem = _draft(draft)
    elif rule is not None:
        other = rules.as_rule(rules.get(ctx.db, rule))
    elif compare in BUILT_IN:
        other = BUILT_IN[compare]
    compared = service.run(inputs, indicators, other) if other is not None else None
    differs = r.changes(run.by_case, compared.by_case) if compared is not None else []
    context: dict[str, Any] = {
        "round": round_,
        "issued": round_.issued_at is not None,
        "run": run,
        "compared": compared,
        "differs": {c.case for c in differs},
        "changes": differs,
        "compare": compare if compare in BUILT_IN else "",
        "draft": draft,
        "draft_text": draft or json.dumps(r.ILO_2009.to_json(), indent=2, ensure_ascii=False),
        "problem": problem,
        "stored": rules.listing(ctx.db),
        "may_manage": allowed(ctx.principal.role, Action.MANAGE_CASES),
        "reference_labels": {k.value: v for k, v in REFERENCE_LABELS.items()},
        "insufficient_reference": Reference.INSUFFICIENT.value,
    }
    return render(ctx.request, "screening/round.html", context, 422 if problem else 200)
