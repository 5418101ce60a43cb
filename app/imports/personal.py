"""Victim protection on entry (issue 21) for imported Word files: the texts confirming would save
(the comments and replies, the proposed texts and reasons) are read by the personal-data check
(app/text/personal_data, GENERAL_KINDS, as for comments typed on a page) when the preview is
shown and again when it is confirmed. Nothing is stored: the findings are read from the plan.

Confirming with findings open needs the secretariat's explicit "I checked" (the page's box, the
API's personal_data_checked); the audit event keeps the kinds confirmed, never the words.
"""

from typing import Any

from app.errors import InvalidInput
from app.imports.plans import (
    AuthoredCommentPlan,
    AuthoredPlan,
    AuthoredProposalPlan,
    CommentPlan,
    ProposalPlan,
    ReturnedPlan,
)
from app.text.personal_data import GENERAL_KINDS, find_personal_data

FIELD = "personal_data_checked"


def _found(text: str, where: str) -> list[dict[str, Any]]:
    return [{"where": where} | f.as_json() for f in find_personal_data(text, kinds=GENERAL_KINDS)]


def findings(plan: ReturnedPlan | AuthoredPlan) -> dict[str, list[dict[str, Any]]]:
    """By row of the preview ("proposal-0", "comment-2": the plan's lists, counted from 0), what
    may be personal data in the texts confirming would save; rows without findings are left out."""
    out: dict[str, list[dict[str, Any]]] = {}
    proposals: list[ProposalPlan | AuthoredProposalPlan] = list(plan.proposals)
    comments: list[CommentPlan | AuthoredCommentPlan] = list(plan.comments)
    for n, proposal in enumerate(proposals):
        found: list[dict[str, Any]] = []
        for name, value in proposal.fields.items():
            if isinstance(value, str):
                found += _found(value, name)
        if isinstance(proposal, ProposalPlan) and proposal.rationale:
            found += _found(proposal.rationale, "rationale")
        if found:
            out[f"proposal-{n}"] = found
    for n, comment in enumerate(comments):
        found = []
        if not isinstance(comment, CommentPlan) or comment.existing is None:
            found += _found(comment.body, "comment")
        for r, reply in enumerate(comment.replies, start=1):
            found += _found(reply.body, f"reply {r}")
        if found:
            out[f"comment-{n}"] = found
    return out


def check(plan: ReturnedPlan | AuthoredPlan, *, checked: bool) -> list[str]:
    """Refuse confirming (422 naming personal_data_checked, with the findings by row) while the
    plan's texts hold findings the secretariat has not said it checked; the kinds confirmed."""
    found = findings(plan)
    if not found:
        return []
    if not checked:
        rows = len(found)
        raise InvalidInput(
            f"the file's texts may hold personal data ({rows} row{'s' if rows != 1 else ''} "
            "of the preview list what): remove or generalise it in the file and upload it again, "
            "or confirm that you checked it (I checked: this is not personal data / it is needed)",
            field=FIELD,
            findings=found,
        )
    return sorted({f["kind"] for row in found.values() for f in row})
