"""JSON API of rating rounds (issue 20). `GET /api/v1/rating-rounds/{id}/results` is a contract
outside scripts rely on: `{"items": [{"ref", "question", "n", "median", "iqr",
"percent_7_to_9", "consensus"}, ...]}`."""

from typing import Annotated, Any

from fastapi import Header, Path
from fastapi.responses import JSONResponse, Response

from app.accounts.permissions import Action
from app.models import Round
from app.models.rating import RatingRound
from app.rating import exports, service
from app.rating.schemas import (
    AnswersIn,
    AnswersStored,
    ItemOut,
    LateIn,
    NextRoundIn,
    OwnAnswerOut,
    PanellistOut,
    ProposalIn,
    ProposalMade,
    RatingRoundCreate,
    RatingRoundOut,
    RatingRoundUpdate,
    RemindedOut,
    ResultRow,
    ResultsOut,
)
from app.rating.stats import ConsensusRule, shown_to_panel
from app.rounds.export import MEDIA_TYPE as DOCX_MEDIA_TYPE
from app.web.api_common import api_router, errors, expected_version
from app.web.deps import Context, RequestContext
from app.word.filename import download_filename

router = api_router("", "rating rounds")

Reader = Annotated[RequestContext, Context(Action.READ_RATING)]
Panellist = Annotated[RequestContext, Context(Action.ANSWER_RATING)]
Manager = Annotated[RequestContext, Context(Action.MANAGE_RATING)]
IfMatch = Annotated[str | None, Header(description="The ETag you read")]
RoundId = Annotated[int, Path(ge=1, le=2_147_483_647, description="The rating round's id")]


def etag(rr: RatingRound) -> str:
    return f'"RR-{rr.id}.v{rr.version}"'


def _version(if_match: str | None, rr_id: int, *, required: bool = False) -> int | None:
    """The version If-Match names: a change of settings must send it (428 without); opening
    and closing may (412 when stale)."""
    return expected_version(if_match, f"RR-{rr_id}.v", required=required)


def round_out(ctx: RequestContext, rr: RatingRound) -> RatingRoundOut:
    db = ctx.db
    symbol = db.get(Round, rr.round_id)
    secretariat = service.is_secretariat(ctx.principal)
    lines = service.items(db, rr.id)
    refs = {line.rating_item_id: line.ref for line in lines}
    mine = service.own_answers(db, rr.id, ctx.principal.user_id)
    return RatingRoundOut(
        id=rr.id,
        title=rr.title,
        round=symbol.symbol if symbol else "",
        number=rr.number,
        previous_id=rr.previous_id,
        state=rr.state,
        deadline=rr.deadline,
        rule=rr.rule,
        rule_text=ConsensusRule.from_json(rr.rule or {}).describe(),
        show_answers_to_secretariat=rr.show_answers_to_secretariat,
        instructions=rr.instructions,
        items=[ItemOut(ref=line.ref, revision=line.revision, text=line.text) for line in lines],
        on_panel=service.on_panel(db, ctx.principal, rr),
        my_answers=[
            OwnAnswerOut(
                ref=refs[a.rating_item_id],
                relevance=a.relevance,
                clarity=a.clarity,
                strength_adult=a.strength_adult,
                strength_child=a.strength_child,
                comment=a.comment,
                wording=a.wording,
                answered_at=a.answered_at,
                late=a.late,
            )
            for a in sorted(mine.values(), key=lambda a: a.rating_item_id)
        ],
        panel=[
            PanellistOut(
                name=p.name, email=p.email, answered=p.answered, late_accepted=p.late_accepted
            )
            for p in service.panel(db, rr)
        ]
        if secretariat
        else None,
        version=rr.version,
    )


def _one(ctx: RequestContext, rr: RatingRound, status: int = 200) -> JSONResponse:
    ctx.db.flush()
    out = round_out(ctx, rr)
    return JSONResponse(out.model_dump(mode="json"), status_code=status, headers={"ETag": etag(rr)})


@router.get("/rating-rounds", responses=errors())
def list_rating_rounds(ctx: Reader) -> list[RatingRoundOut]:
    """The rating rounds you may see, newest first (drafts: the secretariat only)."""
    return [round_out(ctx, rr) for rr in service.listing(ctx.db, ctx.principal)]


@router.post(
    "/rating-rounds", status_code=201, responses=errors(404, 409), response_model=RatingRoundOut
)
def create_rating_round(body: RatingRoundCreate, ctx: Manager) -> JSONResponse:
    """Set up a rating round (a draft) over indicators of an issued round."""
    rr = service.create(ctx.db, ctx.actor, _setup(body), now=ctx.now)
    return _one(ctx, rr, 201)


def _setup(body: RatingRoundCreate | RatingRoundUpdate) -> service.Setup:
    given = body.model_fields_set
    values = body.model_dump(exclude_unset=True)
    rule = values.pop("rule", None)
    setup = service.Setup(**values, rule=rule, changed=set(given))
    return setup


@router.get("/rating-rounds/{rr_id}", responses=errors(404), response_model=RatingRoundOut)
def get_rating_round(rr_id: RoundId, ctx: Reader) -> JSONResponse:
    """One rating round: its items, rule, your own answers; the panel for the secretariat."""
    return _one(ctx, service.get(ctx.db, ctx.principal, rr_id))


@router.patch(
    "/rating-rounds/{rr_id}", responses=errors(404, 409, 412, 428), response_model=RatingRoundOut
)
def update_rating_round(
    rr_id: RoundId, body: RatingRoundUpdate, ctx: Manager, if_match: IfMatch = None
) -> JSONResponse:
    """Change a draft (once open: the deadline, and the rule until the first answer)."""
    service.get(ctx.db, ctx.principal, rr_id)
    rr = service.update(
        ctx.db,
        ctx.actor,
        rr_id,
        _setup(body),
        expected_version=_version(if_match, rr_id, required=True),
        now=ctx.now,
    )
    return _one(ctx, rr)


@router.post(
    "/rating-rounds/{rr_id}/open",
    responses=errors(404, 409, 412, 428),
    response_model=RatingRoundOut,
)
def open_rating_round(rr_id: RoundId, ctx: Manager, if_match: IfMatch = None) -> JSONResponse:
    """Open a draft for answers; its consensus rule is then fixed."""
    service.get(ctx.db, ctx.principal, rr_id)
    rr = service.open_(
        ctx.db, ctx.actor, rr_id, expected_version=_version(if_match, rr_id), now=ctx.now
    )
    return _one(ctx, rr)


@router.post(
    "/rating-rounds/{rr_id}/close",
    responses=errors(404, 409, 412, 428),
    response_model=RatingRoundOut,
)
def close_rating_round(rr_id: RoundId, ctx: Manager, if_match: IfMatch = None) -> JSONResponse:
    """Close an open round: its results are then shown to the panel."""
    service.get(ctx.db, ctx.principal, rr_id)
    rr = service.close(
        ctx.db, ctx.actor, rr_id, expected_version=_version(if_match, rr_id), now=ctx.now
    )
    return _one(ctx, rr)


@router.post(
    "/rating-rounds/{rr_id}/next",
    status_code=201,
    responses=errors(404, 409),
    response_model=RatingRoundOut,
)
def next_rating_round(rr_id: RoundId, body: NextRoundIn, ctx: Manager) -> JSONResponse:
    """Start the next round of a closed one: the items without consensus on relevance."""
    service.get(ctx.db, ctx.principal, rr_id)
    rr = service.start_next(
        ctx.db, ctx.actor, rr_id, deadline=body.deadline, title=body.title, now=ctx.now
    )
    return _one(ctx, rr, 201)


@router.post(
    "/rating-rounds/{rr_id}/late", responses=errors(404, 409), response_model=RatingRoundOut
)
def accept_late_answers(rr_id: RoundId, body: LateIn, ctx: Manager) -> JSONResponse:
    """Take a panellist's answers after the deadline (they are marked late)."""
    service.get(ctx.db, ctx.principal, rr_id)
    service.accept_late(ctx.db, ctx.actor, rr_id, email=body.email, now=ctx.now)
    return _one(ctx, service.get(ctx.db, ctx.principal, rr_id))


@router.post("/rating-rounds/{rr_id}/reminders", responses=errors(404, 409))
def send_reminders(rr_id: RoundId, ctx: Manager) -> RemindedOut:
    """Mail a reminder to every panellist who has not rated every indicator."""
    service.get(ctx.db, ctx.principal, rr_id)
    names = service.remind(
        ctx.db, ctx.actor, rr_id, base_url=str(ctx.settings.base_url), now=ctx.now
    )
    return RemindedOut(reminded=names)


@router.post("/rating-rounds/{rr_id}/proposals", status_code=201, responses=errors(404, 409))
def propose_from_result(rr_id: RoundId, body: ProposalIn, ctx: Manager) -> ProposalMade:
    """Propose setting an indicator's strength for a profile to the category the panel rated,
    attributed to the rating round."""
    made = service.propose_strength(
        ctx.db,
        ctx.principal,
        rr_id,
        ref=body.ref,
        profile=body.profile,
        delegation=body.delegation,
        now=ctx.now,
        request_id=ctx.request_id,
    )
    return ProposalMade(proposal_id=made)


@router.post("/rating-rounds/{rr_id}/answers", responses=errors(404, 409))
def answer_rating_round(rr_id: RoundId, body: AnswersIn, ctx: Panellist) -> AnswersStored:
    """Your answers (panellists only). Answering an item again replaces your earlier answer
    until the deadline; the earlier one is kept. After the deadline: 409, unless the
    secretariat accepted your answers late. A comment or wording that may hold personal data
    is refused (422 naming `answers[i].comment` or `answers[i].wording`, with `findings`)
    unless `personal_data_checked` is true."""
    stored = service.answer(
        ctx.db,
        ctx.principal,
        rr_id,
        [service.AnswerIn(**a.model_dump()) for a in body.answers],
        now=ctx.now,
        request_id=ctx.request_id,
        personal_data_checked=body.personal_data_checked,
    )
    return AnswersStored(stored=stored)


def _hidden_row(ref: str, question: str, n: int | None) -> ResultRow:
    """A suppressed question: its item and question, and the count where the caller may see it."""
    return ResultRow(
        ref=ref, question=question, n=n, consensus=False, verdict="not shown", suppressed=True
    )


def result_rows(
    results: list[service.ItemResult], everything: bool, counts: bool = False
) -> list[ResultRow]:
    """One row per item and question. A question with fewer than MIN_SHOWN answers is
    suppressed unless `everything`; its count is given only where `counts` (the secretariat,
    which sees who answered anyway): to a panellist, a count on a small panel tells who did not
    answer."""
    rows: list[ResultRow] = []
    for r in results:
        hidden = not (everything or r.shown)
        for question in service.SCALE_QUESTIONS:
            s = r.relevance if question == "relevance" else r.clarity
            v = r.relevance_verdict if question == "relevance" else r.clarity_verdict
            # The change since the previous round: relevance only, and never where it would
            # give away a hidden round's figures (stats.change_shown).
            change = question == "relevance" and (everything or r.change_shown)
            if hidden:
                rows.append(_hidden_row(r.ref, question, s.n if counts else None))
                continue
            rows.append(
                ResultRow(
                    ref=r.ref,
                    question=question,
                    n=s.n,
                    median=s.median,
                    iqr=s.iqr,
                    percent_7_to_9=s.percent_7_to_9,
                    consensus=v.consensus,
                    verdict=v.label,
                    stability_percent_changed=(
                        r.stability.percent_changed if r.stability is not None and change else None
                    ),
                    median_change=r.median_change if change else None,
                    iqr_change=r.iqr_change if change else None,
                )
            )
        for question in service.STRENGTH_QUESTIONS:
            c = r.adult if question == "strength_adult" else r.child
            v = r.adult_verdict if question == "strength_adult" else r.child_verdict
            # A strength question is optional: its own count decides (it can be under the item's).
            if not (everything or shown_to_panel(c.n)):
                rows.append(_hidden_row(r.ref, question, c.n if counts else None))
                continue
            rows.append(
                ResultRow(
                    ref=r.ref,
                    question=question,
                    n=c.n,
                    mode=c.mode,
                    mode_percent=c.mode_percent,
                    consensus=v.consensus,
                    verdict=v.label,
                )
            )
    return rows


@router.get("/rating-rounds/{rr_id}/results", responses=errors(404, 409))
def rating_results(rr_id: RoundId, ctx: Reader) -> ResultsOut:
    """Each item's statistics per question, once the round is closed. Items with fewer than 5
    answers are `suppressed` (median, IQR and n null, consensus false) for everyone but a
    secretariat the round shows its answers to."""
    rr = service.get(ctx.db, ctx.principal, rr_id)
    allowed = service.access(ctx.principal, rr)
    results = service.visible_results(ctx.db, ctx.principal, rr)
    rows = result_rows(results, allowed.everything, counts=service.is_secretariat(ctx.principal))
    return ResultsOut(items=rows, not_shown=service.NOT_SHOWN)


_CSV: dict[int | str, dict[str, Any]] = {
    200: {"description": "The results as CSV (UTF-8 with BOM)", "content": {"text/csv": {}}}
}
_DOCX: dict[int | str, dict[str, Any]] = {
    200: {"description": "The results as a Word annex", "content": {DOCX_MEDIA_TYPE: {}}}
}


def _results(ctx: RequestContext, rr_id: int) -> exports.RoundResults:
    rr = service.get(ctx.db, ctx.principal, rr_id)
    return exports.round_results(
        ctx.db, ctx.principal, rr, working_group=ctx.settings.working_group_name, now=ctx.now
    )


@router.get(
    "/rating-rounds/{rr_id}/results.csv",
    responses=errors(404, 409) | _CSV,
    response_class=Response,
)
def rating_results_csv(rr_id: RoundId, ctx: Reader) -> Response:
    """The results as CSV, one row per item and question, under the same rules as the results
    (after the round closes; a question under 5 answers keeps only its item and question)."""
    results = _results(ctx, rr_id)
    return Response(
        exports.csv_bytes(results),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{exports.filename(results)}"'},
    )


@router.get(
    "/rating-rounds/{rr_id}/results.docx",
    responses=errors(404, 409) | _DOCX,
    response_class=Response,
)
def rating_results_docx(rr_id: RoundId, ctx: Reader) -> Response:
    """The results as a Word annex in the house style of the rounds' exports, under the same
    rules as the results."""
    results = _results(ctx, rr_id)
    _name, disposition = download_filename(results.reference, "results")
    return Response(
        exports.docx_bytes(results),
        media_type=DOCX_MEDIA_TYPE,
        headers={"Content-Disposition": disposition},
    )
