"""The approval page of a round: the text to approve and what changed in it since the last
approved (or issued) text, who has signed, the form with which a listed co-chair approves exactly
the text they read, and its content hash as a detail."""

from collections import Counter
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.permissions import Action
from app.approvals import service
from app.approvals.service import ApprovalStatus
from app.errors import InvalidInput, PreconditionFailed
from app.models import ItemKind, Role, RoundState
from app.register import service as register
from app.register.service import FIELD_LABELS
from app.rounds.snapshot import Entry
from app.rounds.web import keep_current
from app.web.deps import Context, DbRoute, RequestContext, all_routes
from app.web.forms import Form, PostedForm
from app.web.templating import render

router = APIRouter(route_class=DbRoute, include_in_schema=False)

Reader = Annotated[RequestContext, Context(Action.READ_REGISTER)]
Approver = Annotated[RequestContext, Context(Action.APPROVE)]
Manager = Annotated[RequestContext, Context(Action.MANAGE_ROUNDS)]
REFERENCE_FIELD = "reference"
CHANGE_KINDS = {
    "added": ("added", "Added"),
    "removed": ("removed", "Removed"),
    "moved": ("moved", "Moved"),
    "renumbered": ("renumbered", "Renumbered"),
    "changed": ("reworded", "Reworded"),
    "state": ("changed state", "State changed"),
}
MAX_REFERENCE = 500


# Shown as the item's words; every other field of the frozen content is listed under them.
HEADLINE_FIELDS = ("title", "text", "dimension", "status")


@dataclass(frozen=True, slots=True)
class TextItem:
    """One item of the text to approve, as the page shows it."""

    entry: Entry
    details: list[tuple[str, str]]  # (label, value) of its other non-empty fields

    @property
    def withdrawn(self) -> bool:
        return self.entry.item_state == "deleted" or self.entry.content.get("status") == "withdrawn"


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v).replace("_", " ") for v in value)
    return str(value)


def text_groups(entries: list[Entry]) -> list[tuple[str | None, list[TextItem]]]:
    """The frozen text in reading order: sections, then indicators dimension by dimension, each
    item with every field the content hash covers."""
    groups: list[tuple[str | None, list[TextItem]]] = []
    for e in entries:
        key = None if e.kind is ItemKind.SECTION else e.content.get("dimension")
        if not groups or groups[-1][0] != key:
            groups.append((key, []))
        details = [
            (FIELD_LABELS.get(name, name.replace("_", " ").capitalize()), _shown(value))
            for name, value in e.content.items()
            if name not in HEADLINE_FIELDS and _shown(value)
        ]
        groups[-1][1].append(TextItem(e, details))
    return groups


def round_path(symbol: str) -> str:
    return "/rounds/" + quote(symbol, safe="/")


def hash_groups(value: str | None) -> list[str]:
    """The hash cut into groups of four, so that people can compare it aloud or on paper."""
    return [value[i : i + 4] for i in range(0, len(value), 4)] if value else []


def _has_round_page(request: Request) -> bool:
    return any(
        getattr(r, "path", None) == "/rounds/{ref:path}" for r in all_routes(request.app.routes)
    )


def _page(
    ctx: RequestContext,
    status: ApprovalStatus,
    *,
    form: Form | None = None,
    done: str | None = None,
    stale: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    request, principal = ctx.request, ctx.principal
    round_ = status.round
    base = round_path(round_.symbol)
    may_manage = (
        principal.role is Role.SECRETARIAT
        and round_.state not in (RoundState.APPROVED, RoundState.SUPERSEDED)
        and not any(s.signed for s in status.signatures)
    )
    return render(
        request,
        "approval.html",
        {
            "s": status,
            "r": round_,
            "base": base,
            "round_url": base if _has_round_page(request) else None,
            "groups": hash_groups(round_.content_hash),
            "recomputed_groups": hash_groups(status.check.recomputed),
            "may_sign": status.may_sign(principal.user_id, ctx.now),
            "signed_by_me": any(
                s.signed and s.co_chair.user_id == principal.user_id for s in status.signatures
            ),
            "may_manage": may_manage,
            "change_kinds": [(kind, words[0]) for kind, words in CHANGE_KINDS.items()],
            "change_titles": {kind: words[1] for kind, words in CHANGE_KINDS.items()},
            "counts": Counter(c.change for c in status.changes),
            "text": text_groups(status.entries),
            "dimensions": {d.code: d.title for d in register.list_dimensions(ctx.db)},
            "options": service.chair_options(ctx.db, round_) if may_manage else [],
            "form": form or Form({}),
            "done": done,
            "stale": stale,
        },
        status_code,
    )


@router.get("/rounds/{ref:path}/approve")
def approval_page(
    ref: str,
    ctx: Reader,
    done: Annotated[str | None, Query(max_length=16)] = None,
) -> HTMLResponse:
    keep_current(ctx)
    return _page(ctx, service.status(ctx.db, ref), done=done)


@router.post("/rounds/{ref:path}/approve")
def approve(
    ref: str,
    ctx: Approver,
    posted: PostedForm,
) -> Response:
    """A co-chair approves the text shown on the page they submitted from."""
    db = ctx.db
    reference = str(posted.get(REFERENCE_FIELD) or "").strip()
    content_hash = str(posted.get("content_hash") or "")
    form = Form({REFERENCE_FIELD: reference})
    if not reference:
        form.add(REFERENCE_FIELD, "Enter the meeting or decision reference")
    elif len(reference) > MAX_REFERENCE:
        form.add(REFERENCE_FIELD, f"The reference must be {MAX_REFERENCE} characters or fewer")
    if form.ok:
        try:
            result = service.approve(
                db,
                ctx.actor,
                ref,
                content_hash=content_hash,
                reference=reference,
                now=ctx.now,
            )
        except PreconditionFailed as exc:
            # Show the text as it is now, with the new hash in the form, and keep the reference.
            return _page(ctx, service.status(db, ref), form=form, stale=exc.detail, status_code=412)
        except InvalidInput as exc:
            form.add_refusal(exc, {}, REFERENCE_FIELD)
        else:
            return RedirectResponse(
                round_path(result.round.symbol) + "/approve?done=signed#confirmation", 303
            )
    return _page(ctx, service.status(db, ref), form=form, status_code=422)


@router.post("/rounds/{ref:path}/co-chairs")
def set_co_chairs(
    ref: str,
    ctx: Manager,
    posted: PostedForm,
) -> Response:
    """The secretariat names the round's co-chairs (none ticked: back to the default)."""
    emails = [str(v) for v in posted.getlist("emails")]
    result = service.set_co_chairs(ctx.db, ctx.actor, ref, emails=emails, now=ctx.now)
    return RedirectResponse(
        round_path(result.round.symbol) + "/approve?done=co-chairs#confirmation", 303
    )
