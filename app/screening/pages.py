"""Screening pages (issue 21): a round's screening of the case studies the person may see
(result, reference outcome, agreement; sensitivity and specificity with their intervals; the rule
in words), compared side by side with another rule: the pooled variant, or a draft the
secretariat writes as JSON (refused beside the field, what was typed kept). The secretariat saves
such a draft as a stored rule, edits it while a draft (the form carries the rule's tag: a rule
changed since it was opened is refused with 412, the text kept) and freezes it with the round
after a confirmation; the stored rules are listed with their versions and state, each one a
comparison away."""

import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.permissions import Action, allowed
from app.cases import service as cases
from app.errors import DomainError, InvalidInput
from app.rounds.export import MEDIA_TYPE as DOCX_MEDIA_TYPE
from app.rounds.export import find_round
from app.screening import rule as r
from app.screening import rules, service, training
from app.screening.metrics import REFERENCE_LABELS, Reference
from app.web.deps import Context, DbRoute, RequestContext
from app.web.forms import Form, PostedForm, sentence
from app.web.forms import text as posted_text
from app.web.templating import render
from app.word.training import export_training

router = APIRouter(route_class=DbRoute, include_in_schema=False)

Reader = Annotated[RequestContext, Context(Action.READ_CASES)]
Manager = Annotated[RequestContext, Context(Action.MANAGE_CASES)]

BUILT_IN = {"ilo2009": r.ILO_2009, "pooled": r.ILO_2009_POOLED}
MAX_RULE = 20_000  # characters of a rule's JSON
DONE = {"saved": "The draft rule is saved.", "frozen": "The rule is frozen with the round."}


def _url(symbol: str, suffix: str = "") -> str:
    return f"/screening/{quote(symbol, safe='/')}{suffix}"


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


@router.get("/screening/{ref:path}/rules/{rule_id}/freeze")
def confirm_freeze(
    ref: str, rule_id: Annotated[int, Path(ge=1, le=2_147_483_647)], ctx: Manager
) -> HTMLResponse:
    """What freezing a stored rule with the round does, before it is done."""
    return _freeze_page(ctx, ref, rule_id, "")


def _freeze_page(
    ctx: RequestContext, ref: str, rule_id: int, problem: str, status_code: int = 200
) -> HTMLResponse:
    round_ = find_round(ctx.db, ref)
    row = rules.get(ctx.db, rule_id)
    context = {
        "round": round_,
        "row": row,
        "url": _url(round_.symbol),
        "current": rules.for_round(ctx.db, round_),
        "rule_text": rules.as_rule(row).describe(),
        "problem": problem,
    }
    return render(ctx.request, "screening/freeze.html", context, status_code)


@router.post("/screening/{ref:path}/rules/{rule_id}/freeze")
def freeze_rule(
    ref: str, rule_id: Annotated[int, Path(ge=1, le=2_147_483_647)], ctx: Manager
) -> Response:
    round_ = find_round(ctx.db, ref)
    try:
        rules.freeze(ctx.db, ctx.actor, rule_id, round_ref=round_.symbol, now=ctx.now)
    except DomainError as exc:
        return _freeze_page(ctx, ref, rule_id, sentence(exc), exc.status_code)
    return RedirectResponse(_url(round_.symbol, "?done=frozen"), status_code=303)


@router.post("/screening/{ref:path}/rules")
def save_rule(ref: str, ctx: Manager, posted: PostedForm) -> Response:
    """A new draft rule from the JSON typed."""
    return _save(ctx, ref, posted, None)


@router.post("/screening/{ref:path}/rules/{rule_id}")
def edit_rule(
    ref: str,
    rule_id: Annotated[int, Path(ge=1, le=2_147_483_647)],
    ctx: Manager,
    posted: PostedForm,
) -> Response:
    """A stored draft rule changed, if it is still as the form read it (its tag)."""
    return _save(ctx, ref, posted, rule_id)


def _save(ctx: RequestContext, ref: str, posted: Any, rule_id: int | None) -> Response:
    round_ = find_round(ctx.db, ref)
    typed = posted.get("rule")
    typed = typed[: MAX_RULE + 1] if isinstance(typed, str) else ""
    expected = posted_text(posted, "tag", 64)
    form = Form({"rule": typed, "tag": expected, "rule_id": rule_id or ""}, name="save")
    if len(typed) > MAX_RULE:
        form.add("rule-text", f"rule: must be {MAX_RULE:,} characters or fewer")
    elif not typed.strip():
        form.add("rule-text", "rule: write the rule as JSON (the current rule is filled in)")
    else:
        try:
            if rule_id is None:
                row = rules.create(ctx.db, ctx.actor, body=typed, now=ctx.now)
            else:
                row = rules.update(
                    ctx.db, ctx.actor, rule_id, body=typed, now=ctx.now, expected=expected
                )
        except DomainError as exc:
            form.add("rule-text", exc.detail)
            return _screening(ctx, ref, saving=form, status_code=exc.status_code)
        return RedirectResponse(
            _url(round_.symbol, f"?rule={row.id}&done=saved#compare-title"), status_code=303
        )
    return _screening(ctx, ref, saving=form, status_code=422)


@router.get("/screening/{ref:path}")
def screening_page(
    ref: str,
    ctx: Reader,
    compare: Annotated[str, Query(max_length=16)] = "",
    rule: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    draft: Annotated[str, Query(max_length=20_000)] = "",
    edit: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    done: Annotated[str, Query(max_length=16)] = "",
) -> HTMLResponse:
    return _screening(ctx, ref, compare=compare, rule=rule, draft=draft, edit=edit, done=done)


def _screening(
    ctx: RequestContext,
    ref: str,
    *,
    compare: str = "",
    rule: int | None = None,
    draft: str = "",
    edit: int | None = None,
    done: str = "",
    saving: Form | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    round_ = find_round(ctx.db, ref)
    inputs = service.case_inputs(ctx.db, ctx.principal)
    indicators = service.round_indicators(ctx.db, round_)
    current = rules.for_round(ctx.db, round_)
    run = service.run(inputs, indicators, current)
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
    may_manage = allowed(ctx.principal.role, Action.MANAGE_CASES)
    stored = rules.listing(ctx.db)
    editing = None
    if saving is None and may_manage:
        if edit is not None:
            editing = rules.get(ctx.db, edit)
            body = json.dumps(editing.body, indent=2, ensure_ascii=False)
            saving = Form({"rule": body, "tag": rules.tag(editing), "rule_id": editing.id})
        else:
            body = json.dumps(current.to_json(), indent=2, ensure_ascii=False)
            saving = Form({"rule": body, "tag": "", "rule_id": ""})
    if saving is not None and saving.values.get("rule_id"):
        editing = next((x for x in stored if x.id == saving.values["rule_id"]), None)
    context: dict[str, Any] = {
        "round": round_,
        "url": _url(round_.symbol),
        "issued": round_.issued_at is not None,
        "run": run,
        "compared": compared,
        "compared_id": rule if draft.strip() == "" else None,
        "differs": {c.case for c in differs},
        "changes": differs,
        "compare": compare if compare in BUILT_IN else "",
        "draft": draft,
        "draft_text": draft or json.dumps(r.ILO_2009.to_json(), indent=2, ensure_ascii=False),
        "problem": problem,
        "stored": stored,
        "rounds_of": rules.round_symbols(ctx.db, stored),
        "may_manage": may_manage,
        "saving": saving,
        "editing": editing,
        "done": DONE.get(done, ""),
        "reference_labels": {k.value: v for k, v in REFERENCE_LABELS.items()},
        "insufficient_reference": Reference.INSUFFICIENT.value,
    }
    if problem and status_code == 200:
        status_code = 422
    return render(ctx.request, "screening/round.html", context, status_code)
