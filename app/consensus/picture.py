"""The consensus picture of a proposal: every delegation of the group with where it stands on it
(support, reservation, objection, ad referendum) or "pending" when it has not spoken. A delegation
that proposed or co-sponsored the proposal supports it unless it said otherwise ("support
(proposer)").

Decisions and the settling of a round read positions only through `of_proposal` and
`of_proposals`, so that the position model can change behind them (app/consensus/service.py).
"""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.consensus import service as consensus
from app.models import Stance

PENDING = "pending"
# The order in which the picture is counted and shown: who is furthest from agreeing last.
STANDINGS = (
    Stance.SUPPORT.value,
    Stance.AD_REFERENDUM.value,
    Stance.RESERVATION.value,
    Stance.OBJECTION.value,
    PENDING,
)
LABELS = {
    Stance.SUPPORT.value: "Support",
    Stance.AD_REFERENDUM.value: "Ad referendum",
    Stance.RESERVATION.value: "Reservation",
    Stance.OBJECTION.value: "Objection",
    PENDING: "Pending (no position yet)",
}


@dataclass(frozen=True, slots=True)
class DelegationStanding:
    """One delegation in the picture: its code, its name and its standing (a Stance value, or
    "pending"); `implied` says a support is the proposer's or a co-sponsor's own, not a
    position it took."""

    code: str
    name: str
    standing: str
    implied: str = ""  # "proposer" / "co-sponsor"

    @property
    def label(self) -> str:
        return (
            f"{LABELS[self.standing]} ({self.implied})" if self.implied else LABELS[self.standing]
        )


@dataclass(frozen=True, slots=True)
class Picture:
    """Every delegation of the group, in code order, with its standing on one proposal."""

    delegations: tuple[DelegationStanding, ...]

    def codes(self, standing: str) -> list[str]:
        return [d.code for d in self.delegations if d.standing == standing]

    @property
    def counts(self) -> dict[str, int]:
        return {s: len(self.codes(s)) for s in STANDINGS}

    @property
    def pending(self) -> list[str]:
        return self.codes(PENDING)

    @property
    def reservations(self) -> list[str]:
        return self.codes(Stance.RESERVATION.value)

    @property
    def objections(self) -> list[str]:
        return self.codes(Stance.OBJECTION.value)

    @property
    def needs_acknowledgement(self) -> bool:
        """Agreeing now would record consensus while some delegations have not spoken or hold
        a reservation: the decider must say they know."""
        return bool(self.pending or self.reservations)

    def as_record(self) -> dict[str, list[str]]:
        """The picture as kept with a decision: the delegation codes under each standing."""
        return {s: self.codes(s) for s in STANDINGS}


def of_proposals(session: Session, proposal_ids: Sequence[int]) -> dict[int, Picture]:
    """The picture of each proposal, in a fixed number of queries whatever their number."""
    group = consensus.group(session)
    stances = consensus.positions_on_proposals(session, proposal_ids, group=group)
    out: dict[int, Picture] = {}
    for pid in proposal_ids:
        spoken = {p.delegation_code: p for p in stances.get(pid, []) if p.stance}
        out[pid] = Picture(
            tuple(
                DelegationStanding(code, name, _standing(spoken.get(code)), _implied(spoken, code))
                for _, code, name in group
            )
        )
    return out


def _standing(view: consensus.PositionView | None) -> str:
    return view.stance.value if view is not None and view.stance is not None else PENDING


def _implied(spoken: dict[str, consensus.PositionView], code: str) -> str:
    view = spoken.get(code)
    return view.implied if view is not None else ""


def of_proposal(session: Session, proposal_id: int) -> Picture:
    """Every delegation with its current standing on the proposal ("pending": no position)."""
    return of_proposals(session, [proposal_id])[proposal_id]


def _listed(codes: list[str], verb_one: str, verb_many: str) -> str:
    many = len(codes) != 1
    noun = "delegations" if many else "delegation"
    return f"{len(codes)} {noun} ({', '.join(codes)}) {verb_many if many else verb_one}"


def acknowledgement_needed(picture: Picture) -> str:
    """In plain words, why agreeing needs an acknowledgement: "3 delegations (A, B, C) have
    not given a position yet. 1 delegation (D) has a reservation." Empty when none is needed."""
    parts = []
    if picture.pending:
        parts.append(_listed(picture.pending, "has", "have") + " not given a position yet.")
    if picture.reservations:
        parts.append(_listed(picture.reservations, "has", "have") + " a reservation.")
    return " ".join(parts)
