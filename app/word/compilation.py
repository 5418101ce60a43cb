"""The compilation's proposals: each pending proposal under the item it concerns (a new
indicator after the item it follows, or at the end of its dimension), its words to add
underlined and to remove struck through, shown in character styles rather than tracked, so that
accepting all changes leaves the text of the round; and the proposals on nothing the text
shows, in a part of their own. Under each item, before its proposals, a line says where the
delegations stand on its text as it stands (in its own style, ZD Positions, which a returned
copy's reader passes over as the export's own, as it does the proposals)."""

from collections.abc import Sequence

from app.word.build import Build
from app.word.model import ExportPosition, ExportProposal, ExportStanding, Op, Run
from app.word.revisions import make_runs, paragraph, set_property
from app.word.runs import Segment, joined, shown

SHOW_PROPOSED: dict[Op, str | None] = {
    "equal": None,
    "insert": "ZDProposalInsert",
    "delete": "ZDProposalDelete",
}


def proposals_under(b: Build, target: str, *, new_items: bool = False) -> None:
    """The proposals on `target`, where the variant shows proposals (b.proposals is empty
    where it does not), then the new items proposed after it, where the delegations put
    them."""
    if not new_items and target in b.standing:
        _standing(b, b.standing[target])
    here = b.proposals.get(target, [])
    _proposal_list(b, [p for p in here if not p.follows], new_items=new_items)
    _proposal_list(b, [p for p in here if p.follows], new_items=True)


def standing_text(standing: ExportStanding) -> str:
    """Where the delegations stand on an item's text as it stands, in one line: "Support:
    MY-AICHR, TH-SOMTC; Reservation: PH-ACWC ("statement"); On a proposal's text: VN-AICHR
    (support, P-3); Pending: 5 delegations". The positions come in the loader's order."""
    groups: dict[str, list[str]] = {}
    for position in standing.positions:
        groups.setdefault(position.stance, []).append(_with_statement(position))
    parts = [
        f"{stance[:1].upper()}{stance[1:]}: {', '.join(who)}" for stance, who in groups.items()
    ]
    here = [p for p in standing.on_proposals if p.about]
    if here:
        on = ", ".join(f"{p.delegation} ({p.stance}, {p.about})" for p in here)
        parts.append(f"On a proposal's text: {on}")
    elsewhere = [p for p in standing.on_proposals if not p.about]
    if elsewhere:
        on = ", ".join(f"{p.delegation} ({p.stance})" for p in elsewhere)
        parts.append(f"On a proposal not in this document: {on}")
    if standing.pending:
        noun = "delegation" if standing.pending == 1 else "delegations"
        parts.append(f"Pending: {standing.pending} {noun}")
    return "; ".join(parts) if parts else "none"


def _with_statement(position: ExportPosition) -> str:
    if not position.statement:
        return position.delegation
    return f"{position.delegation} (\u201c{' '.join(position.statement.split())}\u201d)"


def _standing(b: Build, standing: ExportStanding) -> None:
    p = paragraph("ZDPositions")
    p.extend(make_runs("Positions on this text: ", style="ZDFieldLabel"))
    p.extend(make_runs(standing_text(standing)))
    b.out.append(p)


def other_proposals(b: Build) -> None:
    data = b.data
    shown_here = (
        {s.code for s in data.sections}
        | {i.code for i in data.indicators}
        | {i.dimension.code for i in data.indicators}
    )
    rest = [p for t, ps in b.proposals.items() if t not in shown_here for p in ps]
    if not rest:
        return
    b.out.append(b.heading("ZDPartHeading", [((Run("Other proposals"),), None)], level=1))
    _proposal_list(b, rest)


def _proposal_list(b: Build, proposals: Sequence[ExportProposal], new_items: bool = False) -> None:
    for proposal in proposals:
        _proposal(b, proposal, new_item=new_items)


def _proposal(b: Build, proposal: ExportProposal, *, new_item: bool) -> None:
    fields = {f.name: shown(f.runs) for f in proposal.fields}
    head: list[Segment] = []
    if proposal.alternative is not None:
        head.append(((Run(f"Alt {proposal.alternative}"),), "ZDAlternative"))
    title = f"{proposal.reference}: {proposal.kind}"
    if new_item:
        title = f"{proposal.reference}: new indicator proposed"
    head.append(((Run(title),), None))
    by = proposal.delegation
    if proposal.co_sponsors:
        by += ", co-sponsored by " + ", ".join(proposal.co_sponsors)
    head.append(((Run(by),), None))
    head.append(((Run(proposal.state),), "ZDStateTag"))
    if proposal.carried_from:
        head.append(((Run(f"carried over from {proposal.carried_from}"),), None))
    heading, marks = b.item_heading(
        "ZDProposalHeading",
        joined(head, "  \u00b7  "),
        proposal.reference,
        fields,
        level=None,
    )
    # The heading keeps with the proposal's text, and the text's lines with each other, as an
    # indicator's heading keeps with its text.
    set_property(heading, "keepNext")
    b.out.append(heading)
    for n, f in enumerate(proposal.fields):
        p = paragraph("ZDProposalText")
        if n < len(proposal.fields) - 1:
            set_property(p, "keepNext")
        p.extend(make_runs(f"{f.label}: ", style="ZDFieldLabel"))
        p.extend(make_runs("[", style="ZDBracket"))
        b.rev.append_runs(p, f.runs, marks=marks.get(f.name), show=SHOW_PROPOSED)
        p.extend(make_runs("]", style="ZDBracket"))
        b.out.append(p)
    if proposal.rationale:
        p = paragraph("ZDProposalMeta")
        p.extend(make_runs("Rationale: ", style="ZDFieldLabel"))
        p.extend(make_runs(proposal.rationale))
        b.out.append(p)
    for position in proposal.positions:
        p = paragraph("ZDListBullet")
        p.extend(make_runs(f"{position.delegation}: ", style="ZDFieldLabel"))
        statement = f" \u2013 {position.statement}" if position.statement else ""
        p.extend(make_runs(position.stance + statement))
        b.out.append(p)
