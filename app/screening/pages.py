"""Screening pages (issue 21): a round's screening of the case studies the person may see
(result, reference outcome, agreement; sensitivity and specificity with their intervals; the rule
in words), compared side by side with another rule: the pooled variant, or a draft the
secretariat writes as JSON (refused beside the field, what was typed kept)."""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from app.accounts.permissions import Action
from app.rounds import service as rounds
from app.screening import rule as r
from app.screening import service
from app.screening.metrics import REFERENCE_LABELS, Reference
from app.web.deps import Context, DbRoute, RequestContext
from app.web.templating import render

router = APIRouter(route_class=DbRoute, include_in_schema=False)

Reader = Annotated[RequestContext, Context(Action.READ_CASES)]

BUILT_IN = {"ilo2009": r.ILO_2009, "pooled": r.ILO_2009_POOLED}


def _draft(text: str) -> tuple[r.CombinationRule | None, str]:
    """A rule from the JSON typed, or the problem (its field first)."""
    try:
        return r.CombinationRule.from_json(json.loads(text)), ""
    except json.JSONDecodeError as exc:
        return None, f"rule: not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
    except ValueError as exc:
        return None, str(exc)


@router.get("/screening/{ref:path}")
def screening_page(
    ref: str,
    ctx: Reader,
    compare: Annotated[str, Query(max_length=16)] = "",
    draft: Annotated[str, Query(max_length=20_000)] = "",
) -> HTMLResponse:
    round_ = rounds.get_round(ctx.db, ref)
    inputs = service.case_inputs(ctx.db, ctx.principal)
    indicators = service.round_indicators(ctx.db, round_)
    run = service.run(inputs, indicators, r.ILO_2009)
    other: r.CombinationRule | None = None
    problem = ""
    if draft.strip():
        other, problem = _draft(draft)
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
        "reference_labels": {k.value: v for k, v in REFERENCE_LABELS.items()},
        "insufficient_reference": Reference.INSUFFICIENT.value,
    }
    return render(ctx.request, "screening/round.html", context, 422 if problem else 200)
