"""JSON API of draft rounds: create, issue, close, reopen, consult, settle, the silence procedure,
late input, the frozen snapshot, and the comparison of any two rounds.

Reads first apply passed deadlines (app/rounds/web.py); every transition does so itself.
"""

from datetime import datetime
from typing import Annotated

from fastapi import Query, Response

from app.accounts.permissions import Action
from app.models import Round
from app.register.schemas import DiffOp
from app.register.service import FieldDiff
from app.rounds import compare, service, snapshot
from app.rounds.export import MEDIA_TYPE, download_headers, export_round, named_template
from app.rounds.schemas import (
    AddedOut,
    BreakSilenceIn,
    ChangedOut,
    ComparisonOut,
    ConcordanceOut,
    FieldChangeOut,
    LateInput,
    MomentOut,
    MovedOut,
    OutstandingOut,
    RemovedOut,
    RenumberedOut,
    RoundCreate,
    RoundDetail,
    RoundOut,
    SettleIn,
    SilenceBreakOut,
    SilenceIn,
    SnapshotItemOut,
    SnapshotOut,
    UndecidedOut,
    UnmarkedOut,
)
from app.rounds.service import Moment
from app.rounds.web import keep_current
from app.web.api_common import api_router, errors
from app.web.deps import Context, RequestContext
from app.word.model import Variant

router = api_router("/rounds", "rounds")

Reader = Annotated[RequestContext, Context(Action.READ_REGISTER)]
Manager = Annotated[RequestContext, Context(Action.MANAGE_ROUNDS)]
Breaker = Annotated[RequestContext, Context(Action.BREAK_SILENCE)]


def round_out(r: Round, now: datetime) -> RoundOut:
    return RoundOut(
        id=r.id,
        symbol=r.symbol,
        title=r.title,
        kind=r.kind,
        state=r.state,
        time_zone=r.time_zone,
        opens_at=r.opens_at,
        deadline=r.deadline,
        deadline_text=service.deadline_text(r),
        accepts_input=r.accepts_input(now),
        observers_may_comment=r.observers_may_comment,
        instructions=r.instructions,
        marking=r.marking,
        content_hash=r.content_hash,
        silence_until=r.silence_until,
    )


def _moment(m: Moment | None) -> MomentOut | None:
    if m is None:
        return None
    return MomentOut(
        utc=m.utc,
        local=m.local,
        time_zone=m.time_zone,
        remaining=m.remaining,
        seconds_left=m.seconds_left,
        passed=m.passed,
    )


def detail_out(d: service.RoundDetails, now: datetime) -> RoundDetail:
    r = d.round
    return RoundDetail(
        **round_out(r, now).model_dump(),
        previous_round=d.previous_symbol,
        issued_at=r.issued_at,
        settled_at=r.settled_at,
        approved_at=r.approved_at,
        adopted_by_silence=d.adopted_by_silence,
        deadline_at=_moment(d.deadline),
        silence=_moment(d.silence),
        item_states=d.counts,
        items=d.item_count,
        silence_breaks=[
            SilenceBreakOut(
                delegation=b.delegation_code,
                delegation_name=b.delegation_name,
                by=b.by,
                statement=b.statement,
                at=b.at,
            )
            for b in d.breaks
        ],
    )


def _detail(ctx: RequestContext, r: Round) -> RoundDetail:
    return detail_out(service.details(ctx.db, r, ctx.now), ctx.now)


@router.get("", responses=errors())
def list_rounds(ctx: Reader) -> list[RoundOut]:
    """Draft rounds, newest first."""
    keep_current(ctx)
    return [round_out(r, ctx.now) for r in service.list_rounds(ctx.db)]


@router.post("", status_code=201, responses=errors(409))
def create_round(body: RoundCreate, ctx: Manager) -> RoundOut:
    """Create a round (state: preparing); it follows the current round."""
    r = service.create_round(
        ctx.db,
        ctx.actor,
        symbol=body.symbol,
        title=body.title,
        kind=body.kind,
        time_zone=body.time_zone,
        deadline=body.deadline,
        opens_at=body.opens_at,
        instructions=body.instructions,
        observers_may_comment=body.observers_may_comment,
        marking=body.marking or ctx.settings.classification,
        now=ctx.now,
    )
    return round_out(r, ctx.now)


def _ops(chunks: list[FieldDiff]) -> list[FieldChangeOut]:
    return [
        FieldChangeOut(
            field=f.field, label=f.label, ops=[DiffOp(op=c.op, text=c.text) for c in f.chunks]
        )
        for f in chunks
    ]


@router.get("/compare", responses=errors(404, 409))
def compare_rounds(
    ctx: Reader,
    from_: Annotated[str, Query(alias="from", max_length=64, description="Earlier round")],
    to: Annotated[str, Query(max_length=64, description="Later round")],
) -> ComparisonOut:
    """What changed from one round to another, with the concordance of numbers."""
    keep_current(ctx)
    earlier, later = service.get_round(ctx.db, from_), service.get_round(ctx.db, to)
    c = compare.between(ctx.db, earlier, later)
    return ComparisonOut(
        from_round=earlier.symbol,
        to_round=later.symbol,
        added=[
            AddedOut(
                code=a.code,
                kind=a.kind,
                number=a.number,
                dimension=a.dimension,
                text=a.text,
                split_from=a.split_from,
            )
            for a in c.added
        ],
        removed=[
            RemovedOut(
                code=x.code,
                kind=x.kind,
                number=x.number,
                dimension=x.dimension,
                text=x.text,
                merged_into=x.merged_into,
            )
            for x in c.removed
        ],
        moved=[
            MovedOut(
                code=m.code,
                kind=m.kind,
                old_dimension=m.old_dimension,
                new_dimension=m.new_dimension,
                old_number=m.old_number,
                new_number=m.new_number,
            )
            for m in c.moved
        ],
        renumbered=[
            RenumberedOut(
                code=n.code, kind=n.kind, old_number=n.old_number, new_number=n.new_number
            )
            for n in c.renumbered
        ],
        changed=[
            ChangedOut(
                code=ch.code,
                kind=ch.kind,
                number=ch.number,
                old_revision=ch.old_revision,
                new_revision=ch.new_revision,
                fields=_ops(ch.fields),
            )
            for ch in c.changed
        ],
        concordance=[
            ConcordanceOut(
                kind=row.kind,
                old_number=row.old_number,
                old_code=row.old_code,
                new_number=row.new_number,
                new_code=row.new_code,
                outcome=row.outcome,
                merged_into=row.merged_into,
                split_from=row.split_from,
                split_into=list(row.split_into),
            )
            for row in c.concordance
        ],
    )


# /{ref:path}/items and /{ref:path}/export.docx are declared before /{ref:path}, which would
# otherwise match them.


@router.get(
    "/{ref:path}/export.docx",
    responses={
        **errors(404, 409),
        200: {
            "content": {MEDIA_TYPE: {}},
            "description": "The Word file; `X-Content-SHA256` is the SHA-256 of its bytes",
        },
    },
    response_class=Response,
)
def export_docx(
    ref: str,
    ctx: Reader,
    variant: Annotated[Variant, Query(description="clean, redline, compilation or responses")],
    base: Annotated[
        str | None,
        Query(max_length=64, description="Redline: the earlier round (default: the previous)"),
    ] = None,
    comments: Annotated[
        bool, Query(description="Include the open comment threads as Word comments")
    ] = False,
    template: Annotated[
        str | None,
        Query(max_length=128, description="Another template file name from drafts/templates/"),
    ] = None,
) -> Response:
    """The round as a Word file: the clean text, a redline with tracked changes against `base`,
    the compilation with pending proposals, or the comment-response table. The same data and
    template give the same bytes. 404: no such round; 409: the round is in preparation, or a
    redline has no earlier round; 422: bad variant or template name."""
    keep_current(ctx)
    chosen = named_template(template) if template else None
    r = service.get_round(ctx.db, ref)
    exported = export_round(
        ctx.db,
        r,
        variant,
        working_group=ctx.settings.working_group_name,
        signing_key=ctx.settings.secret_key,
        base=base,
        include_comments=comments,
        template=chosen,
    )
    return Response(exported.data, media_type=MEDIA_TYPE, headers=download_headers(exported))


@router.get("/{ref:path}/items", responses=errors(404))
def round_items(ref: str, ctx: Reader) -> SnapshotOut:
    """The round's frozen snapshot: every item's revision, position, number and state."""
    keep_current(ctx)
    r = service.get_round(ctx.db, ref)
    return SnapshotOut(
        round=r.symbol,
        content_hash=r.content_hash,
        items=[
            SnapshotItemOut(
                code=e.code,
                kind=e.kind,
                position=e.position,
                number=e.number,
                item_state=e.item_state,
                revision=e.revision,
                content=e.content,
            )
            for e in snapshot.load(ctx.db, r.id)
        ],
    )


@router.get("/{ref:path}/outstanding", responses=errors(404))
def round_outstanding(ref: str, ctx: Reader) -> OutstandingOut:
    """What settling the round would leave open: the undecided proposals (with standing
    objections) and the unmarked items. Settling needs each decided, marked or carried over."""
    keep_current(ctx)
    left = service.outstanding(ctx.db, service.get_round(ctx.db, ref))
    return OutstandingOut(
        undecided=[
            UndecidedOut(
                id=u.id,
                reference=u.reference,
                delegation=u.delegation,
                targets=u.targets,
                objections=u.objections,
            )
            for u in left.undecided
        ],
        unmarked=[UnmarkedOut(code=u.code, kind=u.kind, number=u.number) for u in left.unmarked],
    )


@router.get("/{ref:path}", responses=errors(404))
def get_round(ref: str, ctx: Reader) -> RoundDetail:
    """One round: state, deadline (UTC, local, time left), item states, hash, silence."""
    keep_current(ctx)
    return _detail(ctx, service.get_round(ctx.db, ref))


@router.post("/{ref:path}/issue", responses=errors(404, 409))
def issue_round(ref: str, ctx: Manager) -> RoundDetail:
    """Issue a round in preparation: freeze its snapshot and open it for input."""
    r = service.issue_round(ctx.db, ctx.actor, ref, now=ctx.now)
    return _detail(ctx, r)


@router.post("/{ref:path}/open", responses=errors(404, 409))
def open_round(ref: str, ctx: Manager) -> RoundDetail:
    """Reopen a closed round for input (a round in preparation is issued)."""
    r = service.open_round(ctx.db, ctx.actor, ref, now=ctx.now)
    return _detail(ctx, r)


@router.post("/{ref:path}/close", responses=errors(404, 409))
def close_round(ref: str, ctx: Manager) -> RoundDetail:
    """Close the round: no more input."""
    r = service.close_round(ctx.db, ctx.actor, ref, now=ctx.now)
    return _detail(ctx, r)


@router.post("/{ref:path}/consultation", responses=errors(404, 409))
def consult_round(ref: str, ctx: Manager) -> RoundDetail:
    """Take a closed round, or a settled text, to consultation."""
    r = service.consult_round(ctx.db, ctx.actor, ref, now=ctx.now)
    return _detail(ctx, r)


@router.post("/{ref:path}/settle", responses=errors(404, 409))
def settle_round(ref: str, ctx: Manager, body: SettleIn | None = None) -> RoundDetail:
    """Settle the text: the snapshot is frozen again from the decided register. Every undecided
    proposal and unmarked item (GET .../outstanding) must be carried over explicitly in the body;
    otherwise 409 lists them (`undecided`, `unmarked`)."""
    carry = service.CarryOver(
        frozenset(body.carry_over_proposals) if body else frozenset(),
        frozenset(c.upper() for c in body.carry_over_items) if body else frozenset(),
    )
    r = service.settle_round(ctx.db, ctx.actor, ref, now=ctx.now, carry_over=carry)
    return _detail(ctx, r)


@router.post("/{ref:path}/silence", responses=errors(404, 409))
def place_under_silence(ref: str, body: SilenceIn, ctx: Manager) -> RoundDetail:
    """Place a settled text under silence: adopted at `until` unless a delegation objects."""
    r = service.place_under_silence(ctx.db, ctx.actor, ref, until=body.until, now=ctx.now)
    return _detail(ctx, r)


@router.post("/{ref:path}/break-silence", status_code=201, responses=errors(404, 409))
def break_silence(ref: str, body: BreakSilenceIn, ctx: Breaker) -> RoundDetail:
    """Break silence for your delegation, with a statement: the round returns to consultation."""
    service.break_silence(
        ctx.db,
        ctx.principal,
        ref,
        statement=body.statement,
        delegation_code=body.delegation,
        now=ctx.now,
        request_id=ctx.request_id,
    )
    return _detail(ctx, service.get_round(ctx.db, ref))


@router.post("/{ref:path}/late-input", status_code=201, responses=errors(404, 409))
def accept_late_input(ref: str, body: LateInput, ctx: Manager) -> RoundOut:
    """Accept one delegation's input after the deadline, until a given time; marked late."""
    service.accept_late(
        ctx.db,
        ctx.actor,
        ref,
        delegation_code=body.delegation,
        until=body.until,
        reason=body.reason,
        now=ctx.now,
    )
    return round_out(service.get_round(ctx.db, ref), ctx.now)
