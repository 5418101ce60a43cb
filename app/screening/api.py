"""JSON API of screening (issue 21): a round's screening of the case studies the caller may see,
and the impact of a proposal (the contract: `{"changed": [{"case", "before", "after"}]}`)."""

from typing import Annotated

from fastapi import Header, Path
from fastapi.responses import JSONResponse

from app.accounts.permissions import Action
from app.errors import PreconditionRequired
from app.models import ScreeningRule
from app.rounds import service as rounds
from app.screening import rules, service
from app.screening.metrics import Interval
from app.screening.schemas import (
    CaseResultOut,
    ChangeOut,
    FreezeIn,
    ImpactOut,
    IntervalOut,
    MetricsOut,
    RuleIn,
    RuleOut,
    ScreeningOut,
)
from app.web.api_common import api_router, errors
from app.web.deps import Context, RequestContext

router = api_router("", "screening")

Reader = Annotated[RequestContext, Context(Action.READ_CASES)]
Manager = Annotated[RequestContext, Context(Action.MANAGE_CASES)]
RuleId = Annotated[int, Path(ge=1, le=2_147_483_647, description="The rule's id")]
ProposalId = Annotated[int, Path(ge=1, le=2_147_483_647, description="The proposal's id")]
IfMatch = Annotated[str | None, Header(description="The rule's ETag, as read")]


def _interval(i: Interval | None) -> IntervalOut | None:
    return None if i is None else IntervalOut(low=i.low, high=i.high)


def screening_out(symbol: str, issued: bool, run: service.Run) -> ScreeningOut:
    m = run.metrics
    return ScreeningOut(
        round=symbol,
        indicators_from="the round's frozen revisions" if issued else "the register now",
        rule=f"{run.rule.name} v{run.rule.version}",
        rule_text=run.rule.describe(),
        cases=[
            CaseResultOut(
                case=row.case.reference,
                title=row.case.title,
                profile=row.case.profile,
                reference_outcome=row.case.outcome,
                result=row.result.result.value,
                dimensions_met_worst=list(row.result.dimensions_met_worst),
                dimensions_met_best=list(row.result.dimensions_met_best),
                agrees=row.agrees,
            )
            for row in run.rows
        ],
        metrics=MetricsOut(
            sensitivity=m.sensitivity,
            specificity=m.specificity,
            sensitivity_interval=_interval(m.sensitivity_interval),
            specificity_interval=_interval(m.specificity_interval),
            true_positive=m.true_positive,
            false_negative=m.false_negative,
            true_negative=m.true_negative,
            false_positive=m.false_positive,
            unreliable=m.unreliable,
            summary=m.summary(),
        ),
    )


@router.get("/proposals/{proposal_id}/impact", responses=errors(404), response_model=ImpactOut)
def impact(proposal_id: ProposalId, ctx: Reader) -> ImpactOut:
    """The case studies you may see whose screening result the proposal would change."""
    changed = service.impact(ctx.db, ctx.principal, proposal_id)
    return ImpactOut(changed=[ChangeOut(**c.to_json()) for c in changed])


@router.get("/screening/{ref:path}", responses=errors(404), response_model=ScreeningOut)
def screening(ref: str, ctx: Reader) -> ScreeningOut:
    """A round's screening of the case studies you may see, under the 2009 rule."""
    round_ = rounds.get_round(ctx.db, ref)
    run = service.screen_round(ctx.db, ctx.principal, round_, rules.for_round(ctx.db, round_))
    return screening_out(round_.symbol, round_.issued_at is not None, run)


def _rule_out(ctx: RequestContext, row: ScreeningRule) -> RuleOut:
    symbols = rules.round_symbols(ctx.db, [row])
    return RuleOut(**rules.out(row, symbols.get(row.round_id) if row.round_id else None))


@router.get("/screening-rules", responses=errors(), response_model=list[RuleOut])
def list_rules(ctx: Reader) -> list[RuleOut]:
    """The stored screening rules, drafts and frozen (a round without one uses the 2009 rule)."""
    rows = rules.listing(ctx.db)
    symbols = rules.round_symbols(ctx.db, rows)
    return [RuleOut(**rules.out(x, symbols.get(x.round_id) if x.round_id else None)) for x in rows]


def _with_etag(ctx: RequestContext, row: ScreeningRule, status: int = 200) -> JSONResponse:
    body = _rule_out(ctx, row).model_dump(mode="json")
    return JSONResponse(body, status_code=status, headers={"ETag": f'"{rules.tag(row)}"'})


@router.get("/screening-rules/{rule_id}", responses=errors(404), response_model=RuleOut)
def get_rule(rule_id: RuleId, ctx: Reader) -> JSONResponse:
    """A rule, with its ETag: send it back in If-Match to change the rule."""
    return _with_etag(ctx, rules.get(ctx.db, rule_id))


@router.post("/screening-rules", status_code=201, responses=errors(409), response_model=RuleOut)
def create_rule(body: RuleIn, ctx: Manager) -> RuleOut:
    """Draft a rule (422 naming the field of the rule that is wrong)."""
    return _rule_out(ctx, rules.create(ctx.db, ctx.actor, body=body.rule, now=ctx.now))


@router.put(
    "/screening-rules/{rule_id}", responses=errors(404, 409, 412, 428), response_model=RuleOut
)
def update_rule(
    rule_id: RuleId, body: RuleIn, ctx: Manager, if_match: IfMatch = None
) -> JSONResponse:
    """Change a draft rule (If-Match: the ETag you read; a rule changed since answers 412, a
    frozen one 409)."""
    if if_match is None:
        raise PreconditionRequired(
            "send If-Match with the rule's ETag you read, so that nobody's change is silently "
            "overwritten"
        )
    expected = if_match.strip().removeprefix("W/").strip('"')
    row = rules.update(ctx.db, ctx.actor, rule_id, body=body.rule, now=ctx.now, expected=expected)
    return _with_etag(ctx, row)


@router.post(
    "/screening-rules/{rule_id}/freeze", responses=errors(404, 409), response_model=RuleOut
)
def freeze_rule(rule_id: RuleId, body: FreezeIn, ctx: Manager) -> RuleOut:
    """Freeze a draft with a round: the round is screened under it from then on, and it never
    changes (409 for a round that has its rule already)."""
    return _rule_out(
        ctx, rules.freeze(ctx.db, ctx.actor, rule_id, round_ref=body.round, now=ctx.now)
    )
