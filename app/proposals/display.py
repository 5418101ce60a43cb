"""What the proposals pages show, assembled from the services' read functions.

Nothing here writes. Each function returns plain values for one template, so that the routes
in pages.py stay a matter of reading a form, calling one service function and rendering.
"""

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from app.accounts.permissions import Action, allowed
from app.consensus import service as consensus
from app.consensus.service import PositionView
from app.errors import NotFound
from app.models import (
    DraftingState,
    Item,
    ItemKind,
    ProposalKind,
    ProposalState,
    Revision,
    Role,
    Stance,
)
from app.paging import PER_PAGE, Page, clamp, slice_of
from app.principal import DelegationRef, Principal
from app.proposals import forms, service
from app.proposals.service import ProposalView
from app.register import service as register
from app.register.service import FieldDiff
from app.text.diff import Chunk

PATHS = {ItemKind.INDICATOR: "/indicators", ItemKind.SECTION: "/sections"}
QUEUE_STATES = (ProposalState.SUBMITTED, ProposalState.UNDER_CONSIDERATION)


def item_url(kind: ItemKind | str, code: str) -> str:
    return f"{PATHS[ItemKind(kind)]}/{code}"


def drafting_state(item: Item) -> DraftingState:
    return _drafting_state(item.drafting_state)


def _drafting_state(value: str | None) -> DraftingState:
    try:
        return DraftingState(value or "")
    except ValueError:
        return DraftingState.OPEN


def owns(principal: Principal, pv: ProposalView) -> bool:
    """Whether the person speaks for the proposing delegation."""
    return any(d.id == pv.proposal.delegation_id for d in principal.delegations)


class StanceCounts(NamedTuple):
    """How many delegations stand where, pending last: a tuple, so that the grid's counts cell
    is made once per distinct counts (the template's memo)."""

    support: int
    reservation: int
    objection: int
    ad_referendum: int
    pending: int


def tally(positions: Iterable[PositionView]) -> StanceCounts:
    seen = Counter(p.stance for p in positions)  # None: pending
    return StanceCounts(
        support=seen[Stance.SUPPORT],
        reservation=seen[Stance.RESERVATION],
        objection=seen[Stance.OBJECTION],
        ad_referendum=seen[Stance.AD_REFERENDUM],
        pending=seen[None],
    )


def stance_counts(positions: Iterable[PositionView]) -> dict[str, int]:
    return tally(positions)._asdict()


def proposal_changes(pv: ProposalView) -> list[FieldDiff]:
    """The proposal's difference to its base, field by field (an addition: all new)."""
    return forms.diff_fields(pv.base, pv.proposed)


@dataclass(frozen=True, slots=True)
class Gist:
    """A proposal's change as one line of a list: the first changed field's word diff, with
    the unchanged words between the changes cut to a few on each side."""

    label: str
    chunks: list[Chunk]
    more: list[str]  # the labels of the other changed fields


GIST_WORDS = 5  # unchanged words kept on each side of a change


def _trim(text: str, *, keep_start: bool, keep_end: bool) -> str:
    words = text.split(" ")
    if len(words) <= 2 * GIST_WORDS + 1:
        return text
    head = " ".join(words[:GIST_WORDS]) if keep_start else ""
    tail = " ".join(words[-GIST_WORDS:]) if keep_end else ""
    return f"{head}{' ' if head else ''}…{' ' if tail else ''}{tail}"


def gist(changes: Sequence[FieldDiff]) -> Gist | None:
    changed = [f for f in changes if f.changed]
    if not changed:
        return None
    first, last = 0, len(changed[0].chunks) - 1
    chunks = [
        Chunk("equal", _trim(c.text, keep_start=i != first, keep_end=i != last))
        if c.op == "equal"
        else c
        for i, c in enumerate(changed[0].chunks)
    ]
    return Gist(changed[0].label, chunks, [f.label for f in changed[1:]])


@dataclass(frozen=True, slots=True)
class Row:
    """A proposal as lists, the queue and the panel show it."""

    view: ProposalView
    counts: dict[str, int]
    changes: list[FieldDiff]

    @property
    def proposal(self) -> Any:
        return self.view.proposal

    @property
    def gist(self) -> Gist | None:
        return gist(self.changes)


def rows(
    db: Session,
    views: Sequence[ProposalView],
    positions: dict[int, list[PositionView]] | None = None,
) -> list[Row]:
    """Rows of a list; `positions` when the caller already has them for these proposals."""
    if positions is None:
        positions = consensus.positions_on_proposals(db, [v.proposal.id for v in views])
    return [Row(v, stance_counts(positions[v.proposal.id]), proposal_changes(v)) for v in views]


def _submission_order(views: Iterable[ProposalView]) -> list[ProposalView]:
    return sorted(
        views, key=lambda v: (v.proposal.submitted_at or v.proposal.created_at, v.proposal.id)
    )


def group_delegations(db: Session) -> list[tuple[str, str]]:
    """(code, name) of every delegation of the group.

    In code order, as the consensus pictures list them (one query: it read a whole picture of
    a proposal nobody has a position on, five)."""
    return consensus.delegations(db)


# --- One proposal ---------------------------------------------------------------------------


def proposal_page(db: Session, principal: Principal, pv: ProposalView) -> dict[str, Any]:
    p = pv.proposal
    submitted = p.submitted_at is not None
    mine = owns(principal, pv)
    is_member = principal.role is Role.MEMBER
    in_queue = p.state in QUEUE_STATES
    others = [d for d in principal.delegations if d.id != p.delegation_id]
    positions = consensus.picture(db, proposal_id=p.id) if submitted else []
    own_positions = {x.delegation_code: x for x in positions if x.stance is not None}
    dimension = None
    if p.dimension_code:
        try:
            dimension = register.get_dimension(db, p.dimension_code)
        except NotFound:
            dimension = None
        # An amendment names a dimension only to move the item; the same one is no move.
        if dimension is not None and pv.targets and dimension.id == pv.base.get("dimension_id"):
            dimension = None
    applied = None
    if p.applied_content is not None and p.state is ProposalState.AGREED_MODIFIED:
        applied = forms.diff_fields(pv.proposed, pv.base | p.applied_content)
    merge_options = []
    if allowed(principal.role, Action.DECIDE) and in_queue:
        targets = {t.item_id for t in pv.targets}
        candidates = [
            v
            for v in service.listing(db, principal)
            if v.proposal.id != p.id and v.proposal.state in QUEUE_STATES
        ]
        # Proposals on the same items first: what a proposal is usually merged into.
        merge_options = sorted(
            candidates, key=lambda v: (not {t.item_id for t in v.targets} & targets, v.proposal.id)
        )
    return {
        "pv": pv,
        "p": p,
        "item_kind": ItemKind(p.item_kind),
        "changes": proposal_changes(pv),
        "dimension": dimension,
        "applied": applied,
        "positions": positions,
        "counts": stance_counts(positions),
        "objecting": [x.delegation_code for x in positions if x.stance is Stance.OBJECTION],
        "position_history": consensus.history(db, proposal_id=p.id) if submitted else [],
        "mine": mine,
        "can_edit": mine and is_member and p.state.is_open,
        "can_submit": mine and is_member and p.state is ProposalState.DRAFT,
        "sponsor_delegations": [d for d in others if d.code not in pv.sponsors]
        if is_member and in_queue
        else [],
        "position_delegations": others if is_member and in_queue else [],
        "own_positions": own_positions,
        "can_decide": allowed(principal.role, Action.DECIDE) and in_queue,
        "is_chair": principal.role is Role.CHAIR,
        "can_answer": allowed(principal.role, Action.ANSWER) and submitted,
        "merge_options": merge_options,
        "modifiable": forms.modifiable_fields(p.content),
        "rebase": rebase_view(pv) if pv.outdated else None,
        "can_rebase": pv.outdated and ((mine and is_member) or principal.role is Role.SECRETARIAT),
        "rebase_action": rebase_action(principal, pv),
        "item_urls": {t.code: item_url(t.kind, t.code) for t in pv.targets},
    }


def rebase_action(principal: Principal, pv: ProposalView) -> str:
    return f"/proposals/{pv.proposal.id}/rebase"


@dataclass(frozen=True, slots=True)
class Conflicting:
    field: str
    label: str
    base: str
    current: str
    proposed: Any
    meanwhile: list[FieldDiff]
    theirs: list[FieldDiff]


def rebase_view(pv: ProposalView) -> dict[str, Any]:
    """An outdated proposal: what changed in the register since its base, what it proposes, and
    what a rebase would carry over by itself or leave to the person."""
    target = pv.targets[0]
    changes, conflicts = service.rebase_plan(pv)
    return {
        "target": target,
        "others": [t for t in pv.targets[1:] if t.outdated],
        "meanwhile": forms.diff_fields(target.base, target.current),
        "proposed": proposal_changes(pv),
        "carried": forms.diff_fields(target.current, target.current | changes),
        "conflicts": [
            Conflicting(
                c.field,
                forms.label_of(c.field),
                forms.shown(c.field, c.base),
                forms.shown(c.field, c.current),
                c.proposed,
                forms.diff_fields({c.field: c.base}, {c.field: c.current}, [c.field]),
                forms.diff_fields({c.field: c.base}, {c.field: c.proposed}, [c.field]),
            )
            for c in conflicts
        ],
    }


# --- The panel on an indicator or section page ----------------------------------------------


def panel(
    db: Session, principal: Principal, item: Item, revisions: Sequence[Revision] = ()
) -> dict[str, Any]:
    """`revisions`: the item's, when the caller has read them (the proposals' bases and the
    current text are then not read again)."""
    # One listing of the item's proposals, split here (service.alternatives would list again).
    everything = service.on_item(db, principal, item.id, known=revisions)
    alternatives = _submission_order(v for v in everything if service.is_alternative(v))
    shown = {v.proposal.id for v in alternatives}
    open_others = [v for v in everything if v.proposal.id not in shown and v.proposal.state.is_open]
    closed = [v for v in everything if not v.proposal.state.is_open]
    # The item's picture and the positions on its open proposals, read together.
    picture, positions = consensus.item_and_proposals(
        db, item.id, [v.proposal.id for v in alternatives + open_others]
    )
    is_member = principal.role is Role.MEMBER
    return {
        "item": item,
        "url": item_url(item.kind, item.code),
        "state": drafting_state(item),
        "note": item.drafting_note,
        "alternatives": rows(db, alternatives, positions),
        "open_others": rows(db, open_others, positions),
        "closed": sorted(closed, key=lambda v: v.proposal.decided_at or v.proposal.created_at),
        "picture": picture,
        "counts": stance_counts(picture),
        "own_positions": {x.delegation_code: x for x in picture if x.stance is not None},
        "can_propose": is_member and bool(principal.delegations),
        "position_delegations": principal.delegations if is_member else [],
        "can_mark": allowed(principal.role, Action.MARK_ITEM),
        "is_chair": principal.role is Role.CHAIR,
    }


# --- Lists ----------------------------------------------------------------------------------


def register_order(db: Session) -> dict[str, tuple[int, str]]:
    """Each item's place in the draft (indicators by dimension, then sections) and its words."""
    rows = register.list_items(db, ItemKind.INDICATOR) + register.list_items(db, ItemKind.SECTION)
    return {r.code: (i, r.title or r.text) for i, r in enumerate(rows)}


@dataclass(frozen=True, slots=True)
class Group:
    code: str | None  # None: proposals of new items
    url: str | None
    text: str
    rows: list[Row]
    after: str | None = None  # new items placed after this item (code is then None)


def by_item(db: Session, views: Sequence[ProposalView]) -> list[Group]:
    """Proposals grouped by the item they change, in the order of the draft."""
    order = register_order(db)
    groups: dict[str | None, list[ProposalView]] = {}
    kinds: dict[str, ItemKind] = {}
    for v in views:
        code = v.targets[0].code if v.targets else None
        if v.targets:
            kinds[v.targets[0].code] = v.targets[0].kind
        elif v.after:
            code = _AFTER + v.after  # new items placed after an item come right after it
        groups.setdefault(code, []).append(v)
    last = (len(order), "")

    def place(key: str | None) -> tuple[bool, float, str]:
        if key is not None and key.startswith(_AFTER):
            return False, order.get(key[len(_AFTER) :], last)[0] + 0.5, key
        return key is None, order.get(key or "", last)[0], key or ""

    keys = sorted(groups, key=place)
    # Positions on every proposal of every group at once, not group by group.
    positions = consensus.positions_on_proposals(db, [v.proposal.id for v in views])
    out = []
    for k in keys:
        follows = k[len(_AFTER) :] if k is not None and k.startswith(_AFTER) else None
        code = None if follows else k
        out.append(
            Group(
                code,
                item_url(kinds[code], code) if code else None,
                order.get(code, last)[1] if code else "",
                rows(db, _submission_order(groups[k]), positions),
                after=follows,
            )
        )
    return out


_AFTER = "after:"  # a group key: the new items placed after the item whose code follows


def queue_page(
    db: Session,
    principal: Principal,
    number: int,
    *,
    state: ProposalState | None = None,
    delegation: str | None = None,
) -> tuple[Page[int], list[Group]]:
    """One page of the decision queue (app/paging.py): every waiting proposal is placed in the
    order of the draft (by the item it changes, new items last, then by submission) as small
    rows; only the page's proposals are read in full and grouped by item."""
    states = [state] if state is not None else list(QUEUE_STATES)
    entries = service.queue_entries(db, principal, states, delegation=delegation)
    order = register_order(db)
    last = len(order)
    # A new item placed after an item waits right after that item's proposals.
    follows = service.after_codes(db, [pid for pid, code, _ in entries if code is None])

    def place(e: tuple[int, str | None, Any]) -> tuple[bool, float, str, Any, int]:
        pid, code, submitted = e
        if code is None and pid in follows:
            return False, order.get(follows[pid], (last, ""))[0] + 0.5, "", submitted, pid
        return code is None, order.get(code or "", (last, ""))[0], code or "", submitted, pid

    entries.sort(key=place)
    ids = [pid for pid, _, _ in entries]
    shown = slice_of(ids, number)
    views = service.listing(db, principal, ids=list(shown.rows)) if shown.rows else []
    return shown, by_item(db, views)


# The consensus grid's cells, written here rather than by the template: thirty a row, fifty
# rows a page, the template's loop cost more than the rest of the page together. A cell is its
# title, "PH-SOMTC: support": shown on hover, and the cell's name for screen readers (it has no
# other text); the stylesheet draws its letter (site.css, `.sc::before`, kept out of what is
# read aloud). A cell said its stance twice before, 150 bytes a cell, 250 KB a page. A cell on
# an open proposal's text has a star and names the proposal.
STANCE_CLASSES = ("support", "reservation", "objection", "ad_referendum", "pending")


@lru_cache(maxsize=8192)
def _cell(code: str, stance: Stance | None, implied: str, proposal_id: int | None) -> str:
    """One cell (pure, so kept: the grid's 1,500 cells repeat a few hundred distinct ones)."""
    value = "pending" if stance is None else stance.value
    if value not in STANCE_CLASSES:
        raise ValueError(f"not a standing: {value}")
    label = consensus.standing_label(stance, implied)
    if proposal_id is None:
        return f'<td class="sc stance-{value}" title="{escape(code)}: {label}"></td>'
    title = f"{escape(code)}: {label} on P-{proposal_id}"
    return f'<td class="sc stance-{value} on-p" title="{title}"></td>'


def stance_cells(stances: Sequence[PositionView]) -> Markup:
    """One cell per delegation: the letter for the eye (drawn by the stylesheet), the delegation
    and its stance in words on hover and for screen readers. A position on the text of an open
    proposal (not the text as it stands) has a star and names the proposal."""
    # "support (proposer)": the proposing or co-sponsoring delegation's own text.
    cells = [_cell(x.delegation_code, x.stance, x.implied, x.proposal_id) for x in stances]
    # Every value in a cell is escaped or one of the fixed words: safe HTML.
    return Markup("".join(cells))  # noqa: S704


@dataclass(frozen=True, slots=True)
class ConsensusRow:
    code: str
    number: int | None
    url: str
    text: str
    state: DraftingState
    stances: list[PositionView]
    counts: StanceCounts

    @property
    def cells(self) -> Markup:
        return stance_cells(self.stances)


@dataclass(frozen=True, slots=True)
class ConsensusPage:
    rows: Page[ConsensusRow]
    state_counts: dict[str, int]  # every active item of the kind, by drafting state
    beside: list[ConsensusRow]  # every active item of the kind asked for beside, if any


def _active(db: Session, kind: ItemKind) -> tuple[list[register.Placed], dict[int, DraftingState]]:
    """The active items of `kind` in reading order (those with a number), and their states."""
    order = [p for p in register.reading_order(db, kind) if p.number is not None]
    return order, {p.id: _drafting_state(p.drafting_state) for p in order}


def consensus_page(
    db: Session,
    kind: ItemKind,
    number: int,
    *,
    dimension: str | None = None,
    state: DraftingState | None = None,
    group: consensus.Group | None = None,
    beside: ItemKind | None = None,
) -> ConsensusPage:
    """One page of the consensus grid (app/paging.py): the order, numbers and drafting states
    of every active item are read as small rows; text and positions only for the page. With
    `beside`, the grid of every active item of that kind too (the sections above the first
    page), their text and positions read in the same queries as the page's."""
    order, states = _active(db, kind)
    counts: dict[str, int] = {}
    for placed in order:
        value = states[placed.id].value
        counts[value] = counts.get(value, 0) + 1
    chosen = [
        p.id
        for p in order
        if (dimension is None or p.dimension_code == dimension)
        and (state is None or states[p.id] is state)
    ]
    number = clamp(number, len(chosen))
    ids = chosen[(number - 1) * PER_PAGE : number * PER_PAGE]
    numbers = {p.id: p.number for p in order}
    kinds = dict.fromkeys(ids, kind)
    beside_ids: list[int] = []
    if beside is not None:
        beside_order, beside_states = _active(db, beside)
        beside_ids = [p.id for p in beside_order]
        numbers |= {p.id: p.number for p in beside_order}
        states = states | beside_states
        kinds |= dict.fromkeys(beside_ids, beside)
    rows = _consensus_rows(db, kinds, ids + beside_ids, numbers, states, group)
    return ConsensusPage(Page(rows[: len(ids)], number, len(chosen)), counts, rows[len(ids) :])


def _consensus_rows(
    db: Session,
    kinds: dict[int, ItemKind],
    ids: list[int],
    numbers: dict[int, int | None],
    states: dict[int, DraftingState],
    group: consensus.Group | None,
) -> list[ConsensusRow]:
    found = register.rows_of(db, ids, numbers)
    pictures = consensus.standing_on_items(db, ids, group=group)
    out = []
    for item_id, r in zip(ids, found, strict=True):
        picture = pictures[item_id]
        out.append(
            ConsensusRow(
                r.code,
                r.number,
                item_url(kinds[item_id], r.code),
                r.title or r.text,
                states[item_id],
                picture,
                tally(picture),
            )
        )
    return out


OBJECTED_SHOWN = 25


def objected(
    db: Session, limit: int = OBJECTED_SHOWN
) -> tuple[int, list[tuple[service.ProposalLine, str, list[str]]]]:
    """How many open proposals have a standing objection, and the first `limit` of them (what
    each is, and who objects). Positions are taken only on submitted proposals, so the list is
    the same for every viewer."""
    ids = service.submitted_ids(db, consensus.objected_to(), QUEUE_STATES)
    shown = service.lines(db, ids[:limit])
    objections = consensus.objecting(db, [p.id for p in shown])
    out = []
    for line in shown:
        objecting = objections[line.id]
        kind = (
            f"new {line.item_kind}"
            if line.kind is ProposalKind.ADD
            else forms.KIND_LABELS[line.kind]
        )
        out.append((line, kind, objecting))
    return len(ids), out


def delegation_choices(delegations: Sequence[DelegationRef]) -> list[tuple[str, str]]:
    return [(d.code, f"{d.name} ({d.code})") for d in delegations]


def kind_of(pv: ProposalView) -> str:
    if pv.proposal.kind is ProposalKind.ADD:
        return f"new {pv.proposal.item_kind}"
    return forms.KIND_LABELS[pv.proposal.kind]


def proposals_panel(
    db: Session, principal: Principal, item: Item, revisions: Sequence[Revision] = ()
) -> dict[str, Any]:
    """The workflow on an indicator or section page: its drafting state, the alternatives on it
    side by side, decided proposals, and where each delegation stands. `revisions`: the item's,
    when the page has read them."""
    return {
        "workflow": panel(db, principal, item, revisions),
        "stances": forms.STANCES,
        "drafting_states": forms.DRAFTING_STATES,
        "kind_of": kind_of,
    }
