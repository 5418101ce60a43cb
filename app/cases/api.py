"""JSON API of case studies: open one (the secretariat), read those you may see, edit it under
If-Match, add, edit and reorder its facts, code a fact against an indicator, dismiss a
personal-data finding that is not one. The use cases are app/cases/service.py's."""

from typing import Annotated, Any

from fastapi import Header, Path
from fastapi.responses import JSONResponse

from app.accounts.permissions import Action
from app.cases import service
from app.cases.schemas import (
    AgreementOut,
    CaseCreate,
    CaseOut,
    CaseSummaryOut,
    CaseUpdate,
    CodingHistoryOut,
    CodingIn,
    CodingOut,
    FactIn,
    FactOut,
    FactUpdate,
    FindingOut,
    OrderIn,
)
from app.models import CaseStudy
from app.web.api_common import api_router, errors, expected_version
from app.web.deps import Context, RequestContext

router = api_router("", "case studies")

Reader = Annotated[RequestContext, Context(Action.READ_CASES)]
Writer = Annotated[RequestContext, Context(Action.WRITE_CASES)]
Manager = Annotated[RequestContext, Context(Action.MANAGE_CASES)]
IfMatch = Annotated[str | None, Header(description="The ETag you read")]
CaseId = Annotated[int, Path(ge=1, le=2_147_483_647, description="The case study's id")]
FactId = Annotated[int, Path(ge=1, le=2_147_483_647, description="The fact's id")]
FindingId = Annotated[int, Path(ge=1, le=2_147_483_647, description="The finding's id")]


def etag(case: CaseStudy) -> str:
    return f'"CS-{case.id}.v{case.version}"'


def fact_etag(fact_id: int, version: int) -> str:
    return f'"F-{fact_id}.v{version}"'


def _coding_out(c: service.CodingView) -> CodingOut:
    return CodingOut(
        id=c.id,
        indicator=c.indicator,
        coded_as=c.coded_as,
        via=c.via,
        status=c.status,
        evidence=c.evidence,
        evidence_found=c.evidence_found,
        coder=c.coder,
        at=c.at,
        needs_recoding=c.needs_recoding,
        coded_status=c.coded_status or c.status,
    )


def _finding_out(f: service.FindingView) -> FindingOut:
    row = f.finding
    state = "open" if row.is_open else ("dismissed" if row.dismissed_at else "resolved")
    return FindingOut(
        id=row.id,
        where=f.where,
        fact_id=row.fact_id,
        kind=row.kind,
        start=row.span_start,
        end=row.span_end,
        words=f.words,
        explanation=f.explanation,
        suggestion=f.suggestion,
        state=state,
        reason=row.dismiss_reason,
    )


def _summary(c: CaseStudy) -> dict[str, Any]:
    """What a list shows of a case study (CaseSummaryOut), also the start of CaseOut."""
    return {name: getattr(c, name) for name in CaseSummaryOut.model_fields}


def case_out(v: service.CaseView) -> CaseOut:
    c = v.case
    return CaseOut(
        **_summary(c),
        summary=c.summary,
        age_band=c.age_band,
        nationality=c.nationality,
        place=c.place,
        period=c.period,
        outcome_reasoning=c.outcome_reasoning,
        double_coding=c.double_coding,
        contributors=[u.name for u in v.contributors],
        facts=[
            FactOut(
                id=f.id,
                number=f.number,
                text=f.text,
                phase=f.phase,
                source=f.source,
                version=f.version,
                codings=[_coding_out(x) for x in v.codings.get(f.id, [])],
            )
            for f in v.facts
        ],
        findings=[_finding_out(f) for f in v.findings],
        open_findings=len(v.open_findings),
        agreement=(
            AgreementOut(
                coders=[v.agreement.coder_a, v.agreement.coder_b],
                units=v.agreement.kappa.units,
                kappa=v.agreement.kappa.kappa,
                interpretation=v.agreement.kappa.interpretation(),
                only_one_coder=v.agreement.kappa.only_one_coder,
            )
            if v.agreement
            else None
        ),
        created_at=c.created_at,
        updated_at=c.updated_at,
    )


def _one(ctx: RequestContext, case_id: int, status: int = 200) -> JSONResponse:
    ctx.db.flush()
    v = service.view(ctx.db, ctx.principal, case_id)
    return JSONResponse(
        case_out(v).model_dump(mode="json"), status_code=status, headers={"ETag": etag(v.case)}
    )


def _version(
    ctx: RequestContext, if_match: str | None, case_id: int, tag: str | None = None
) -> int:
    """The version If-Match names; a case study the person may not see is 404 first, as for
    every other request about it."""
    service.get(ctx.db, ctx.principal, case_id)
    return expected_version(if_match, tag or f"CS-{case_id}.v") or 0


@router.get("/cases", responses=errors())
def list_cases(ctx: Reader) -> list[CaseSummaryOut]:
    """The case studies you may see: the secretariat all, a contributor theirs, everyone else
    those shared with the group."""
    return [CaseSummaryOut(**_summary(c)) for c in service.listing(ctx.db, ctx.principal)]


@router.post("/cases", status_code=201, responses=errors(404), response_model=CaseOut)
def create_case(body: CaseCreate, ctx: Manager) -> JSONResponse:
    """Open a case study (the secretariat). Quasi-identifiers only as bands: an exact age or
    date is refused (422 naming the field). Restricted unless visibility says group."""
    case = service.create(
        ctx.db, ctx.principal, ctx.actor, service.Details(**body.model_dump()), now=ctx.now
    )
    return _one(ctx, case.id, 201)


@router.get("/cases/{case_id}", responses=errors(404), response_model=CaseOut)
def get_case(case_id: CaseId, ctx: Reader) -> JSONResponse:
    """One case study with its facts, their codings and its personal-data findings; its ETag
    guards the next change."""
    return _one(ctx, case_id)


@router.patch("/cases/{case_id}", responses=errors(404, 412, 428), response_model=CaseOut)
def update_case(
    case_id: CaseId, body: CaseUpdate, ctx: Writer, if_match: IfMatch = None
) -> JSONResponse:
    """Change a case study (send its ETag in If-Match). Visibility, contributors and double
    coding are the secretariat's; sharing with the group is refused (409) while a
    personal-data finding is open."""
    service.update(
        ctx.db,
        ctx.principal,
        ctx.actor,
        case_id,
        service.Details(**body.model_dump(exclude_unset=True, exclude={"personal_data_checked"})),
        expected_version=_version(ctx, if_match, case_id),
        now=ctx.now,
        personal_data_checked=body.personal_data_checked,
    )
    return _one(ctx, case_id)


@router.post(
    "/cases/{case_id}/facts", status_code=201, responses=errors(404), response_model=CaseOut
)
def add_fact(case_id: CaseId, body: FactIn, ctx: Writer) -> JSONResponse:
    """Add a fact at the end; the personal-data check runs over its text."""
    service.add_fact(
        ctx.db,
        ctx.principal,
        ctx.actor,
        case_id,
        text=body.text,
        phase=body.phase,
        source=body.source,
        now=ctx.now,
        personal_data_checked=body.personal_data_checked,
    )
    return _one(ctx, case_id, 201)


@router.patch(
    "/cases/{case_id}/facts/{fact_id}", responses=errors(404, 412, 428), response_model=CaseOut
)
def edit_fact(
    case_id: CaseId, fact_id: FactId, body: FactUpdate, ctx: Writer, if_match: IfMatch = None
) -> JSONResponse:
    """Change a fact (If-Match: the fact's ETag, "F-<id>.v<version>", as in its `version`)."""
    service.edit_fact(
        ctx.db,
        ctx.principal,
        ctx.actor,
        case_id,
        fact_id,
        text=body.text,
        phase=body.phase,
        source=body.source,
        expected_version=_version(ctx, if_match, case_id, f"F-{fact_id}.v"),
        now=ctx.now,
        personal_data_checked=body.personal_data_checked,
    )
    return _one(ctx, case_id)


@router.put("/cases/{case_id}/facts/order", responses=errors(404, 412, 428), response_model=CaseOut)
def order_facts(
    case_id: CaseId, body: OrderIn, ctx: Writer, if_match: IfMatch = None
) -> JSONResponse:
    """Number the facts in a new order (every fact's id once; If-Match: the case study's ETag)."""
    service.order_facts(
        ctx.db,
        ctx.principal,
        ctx.actor,
        case_id,
        body.order,
        expected_version=_version(ctx, if_match, case_id),
        now=ctx.now,
    )
    return _one(ctx, case_id)


@router.post(
    "/cases/{case_id}/facts/{fact_id}/codings",
    status_code=201,
    responses=errors(404),
    response_model=CodingOut,
)
def code_fact(case_id: CaseId, fact_id: FactId, body: CodingIn, ctx: Writer) -> CodingOut:
    """Your coding of the fact against one indicator, by its code: present (with the words of
    the fact that show it), absent or unknown. Coding the same indicator again replaces your
    earlier coding, which is kept as history."""
    coding = service.code_fact(
        ctx.db,
        ctx.principal,
        ctx.actor,
        case_id,
        fact_id,
        indicator=body.indicator,
        status=body.status,
        evidence=body.evidence,
        now=ctx.now,
    )
    ctx.db.flush()
    views = service.codings(ctx.db, case_id).get(fact_id, [])
    return next(_coding_out(v) for v in views if v.id == coding.id)


@router.get("/cases/{case_id}/facts/{fact_id}/codings", responses=errors(404))
def coding_history(case_id: CaseId, fact_id: FactId, ctx: Reader) -> list[CodingHistoryOut]:
    """Every coding of the fact, the ones replaced too, oldest first."""
    return [
        CodingHistoryOut(
            id=h.coding.id,
            indicator=h.coding.code,
            status=h.coding.status,
            evidence=h.coding.evidence,
            coder=h.coder,
            at=h.coding.created_at,
            superseded_at=h.coding.superseded_at,
        )
        for h in service.coding_history(ctx.db, ctx.principal, case_id, fact_id)
    ]


@router.get("/cases/{case_id}/findings", responses=errors(404))
def list_findings(case_id: CaseId, ctx: Reader) -> list[FindingOut]:
    """What the personal-data check found in the case study, open or not."""
    v = service.view(ctx.db, ctx.principal, case_id)
    return [_finding_out(f) for f in v.findings]


@router.post(
    "/cases/{case_id}/findings/{finding_id}/dismiss",
    responses=errors(404),
    response_model=FindingOut,
)
def dismiss_finding(case_id: CaseId, finding_id: FindingId, ctx: Writer) -> FindingOut:
    """Say that a finding is not personal data (it is not raised again for those words)."""
    service.dismiss(ctx.db, ctx.principal, ctx.actor, case_id, finding_id, now=ctx.now)
    ctx.db.flush()
    v = service.view(ctx.db, ctx.principal, case_id)
    return next(_finding_out(f) for f in v.findings if f.finding.id == finding_id)
