"""Proposals: how delegations change the draft.

A member proposes for one of their delegations: a new item, an amendment to any field, a
deletion, or a merge. Drafts are private to the delegation; a submitted proposal is seen by all,
co-sponsored, answered and decided by the secretariat (or a chair). Agreeing a proposal applies it
to the register as a new revision attributed to the proposal and its delegation, in the same
transaction as the decision.
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Integer, Select, bindparam, func, select, tuple_
from sqlalchemy.orm import Session

from app.audit.service import Actor, record
from app.consensus import picture as consensus_picture
from app.consensus import service as consensus
from app.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from app.models import (
    DecisionRecord,
    Delegation,
    Dimension,
    Item,
    ItemKind,
    ItemStatus,
    MemberState,
    Outcome,
    Proposal,
    ProposalKind,
    ProposalState,
    ProposalTarget,
    Revision,
    Role,
    Round,
    RoundState,
    Sponsorship,
    User,
)
from app.models.register import CONTENT_FIELDS, TEXT_FIELDS
from app.notifications import messages
from app.notifications.service import delegation_members, notify
from app.paging import PER_PAGE, Page, clamp
from app.principal import Principal
from app.register import service as register
from app.register.schemas import IndicatorUpdate, SectionUpdate
from app.rounds.service import current_round, input_gate
from app.text.diff import Chunk, rebase_text, word_diff
from app.text.shorten import shorten

SECTION_CONTENT = ("title", "text")
# A decision's words quoted in the reason of the revision it makes (shown in the item's history),
# shortened after a whole word.
_REASON_CHARS = 300


@dataclass(frozen=True, slots=True)
class TargetView:
    code: str
    item_id: int
    kind: ItemKind
    base_revision: int
    current_revision: int
    base: dict[str, Any]
    current: dict[str, Any]

    @property
    def outdated(self) -> bool:
        return self.base_revision != self.current_revision


@dataclass(slots=True)
class ProposalView:
    proposal: Proposal
    delegation_code: str
    delegation_name: str
    author_name: str
    targets: list[TargetView]
    sponsors: list[str] = field(default_factory=list)
    after: str | None = None  # for add: the code of the item the new one follows

    @property
    def outdated(self) -> bool:
        if self.proposal.kind is ProposalKind.ADD:  # a split's source is not its base text
            return False
        return self.proposal.state.is_open and any(t.outdated for t in self.targets)

    @property
    def base(self) -> dict[str, Any]:
        if self.proposal.kind is ProposalKind.ADD or not self.targets:
            return {}
        return self.targets[0].base

    @property
    def split_from(self) -> str | None:
        if self.proposal.kind is ProposalKind.ADD and self.targets:
            return self.targets[0].code
        return None

    @property
    def proposed(self) -> dict[str, Any]:
        """The full content the proposal would give the (first) item."""
        p = self.proposal
        if p.kind is ProposalKind.DELETE:
            return self.base | {"status": ItemStatus.WITHDRAWN.value}
        if p.kind is ProposalKind.ADD:
            return p.content
        return self.base | p.content

    def field_diffs(self) -> list[tuple[str, list[Chunk]]]:
        """Word diffs of each changed field, base -> proposed (display strings)."""
        base, proposed = self.base, self.proposed
        names = [n for n in CONTENT_FIELDS if n in proposed or n in base]
        out = []
        for name in names:
            a, b = _display(base.get(name)), _display(proposed.get(name))
            if a != b:
                out.append((name, word_diff(a, b)))
        return out


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v).replace("_", " ") for v in value)
    return str(getattr(value, "value", value))


def _content_of(revision: Revision) -> dict[str, Any]:
    content = revision.content()
    return {
        k: _display(v) if k in ("element", "strength_adult", "strength_child", "status") else v
        for k, v in content.items()
    }


def _allowed_fields(kind: ItemKind) -> tuple[str, ...]:
    if kind is ItemKind.SECTION:
        return SECTION_CONTENT
    return tuple(n for n in CONTENT_FIELDS if n not in ("title", "status", "dimension_id"))


_MAY_BE_UNSET = frozenset({"element", "strength_adult", "strength_child"})


def _normalise(kind: ItemKind, content: dict[str, Any]) -> dict[str, Any]:
    """The proposed fields, checked with the same rules as a direct edit of the register, so a
    proposal can never carry a value that would fail (or corrupt the text) when agreed."""
    allowed = _allowed_fields(kind)
    unknown = sorted(set(content) - set(allowed))
    if unknown:
        raise InvalidInput(
            f"a proposal on a {kind.value} cannot set {', '.join(unknown)}", field=unknown[0]
        )
    # Only the choices may be left unset; texts and lists are empty, never null.
    empty = [n for n, v in content.items() if v is None and n not in _MAY_BE_UNSET]
    if empty:
        raise InvalidInput(f"{empty[0]} cannot be empty", field=empty[0])
    model = SectionUpdate if kind is ItemKind.SECTION else IndicatorUpdate
    try:
        checked = model.model_validate({**content, "reason": "-"})
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"]) or "content"
        raise InvalidInput(f"{where}: {problem['msg']}", field=where) from exc
    out: dict[str, Any] = {}
    for name, value in checked.model_dump(mode="json", include=set(content)).items():
        if isinstance(value, list):
            value = sorted(dict.fromkeys(value))
        out[name] = value
    return out


def _acting_delegation(principal: Principal, code: str | None) -> Any:
    delegation = principal.delegation_for(code)
    if delegation is None:
        raise PermissionDenied(
            "proposals are made on behalf of a delegation, and you do not speak for one",
            field="delegation",
        )
    return delegation


def _items_by_code(session: Session, codes: Sequence[str]) -> list[Item]:
    items = []
    for code in codes:
        items.append(register.get_item(session, code))
    if len({i.id for i in items}) != len(items):
        raise InvalidInput("the same item is named twice", field="targets")
    return items


def _follows(
    session: Session, code: str | None, kind: ItemKind, dimension: str | None
) -> Item | None:
    """The item a proposed new item follows (None: at the end of its dimension), checked: an
    item of the draft (not withdrawn), of the same kind and, for an indicator, of the same
    dimension."""
    code = (code or "").strip()
    if not code:
        return None
    item = session.scalar(select(Item).where(Item.code == code.upper()))
    if item is None:
        raise InvalidInput(f"after: no item with code {code!r} to follow", field="after")
    if item.kind is not kind:
        article = "a section" if kind is ItemKind.SECTION else "an indicator"
        raise InvalidInput(
            f"after: {item.code} is not {article}; a new {kind.value} follows {article}",
            field="after",
        )
    status, dimension_code = session.execute(
        select(Revision.status, Dimension.code)
        .outerjoin(Dimension, Dimension.id == Revision.dimension_id)
        .where(Revision.item_id == item.id, Revision.number == item.version)
    ).one()
    if status is not ItemStatus.ACTIVE:
        raise InvalidInput(
            f"after: {item.code} is withdrawn; name an item the draft shows", field="after"
        )
    if kind is ItemKind.INDICATOR and (dimension or "").upper() != dimension_code:
        raise InvalidInput(
            f"after: {item.code} is in dimension {dimension_code}, not "
            f"{(dimension or '').upper()}; a new indicator follows one of its own dimension",
            field="after",
        )
    return item


def after_codes(session: Session, proposal_ids: Sequence[int]) -> dict[int, str]:
    """The code of the item each of the proposals `proposal_ids` places its new item after
    (those that place it at the end are left out): one query."""
    if not proposal_ids:
        return {}
    return dict(
        session.execute(
            select(Proposal.id, Item.code)
            .join(Item, Item.id == Proposal.after_item_id)
            .where(Proposal.id.in_(proposal_ids))
        ).all()
    )


def placeable_after(
    session: Session, code: str | None, kind: ItemKind, dimension: str | None
) -> str | None:
    """`code` (upper case) when a new item of `kind` in `dimension` may follow it now, else
    None (at the end of its dimension): for places read from outside, a Word file's, which
    may name an item withdrawn or moved since."""
    try:
        found = _follows(session, code, kind, dimension)
    except InvalidInput:
        return None
    return found.code if found else None


def create(
    session: Session,
    principal: Principal,
    *,
    kind: ProposalKind,
    targets: Sequence[str],
    base_revisions: Sequence[int] | None,
    content: dict[str, Any],
    rationale: str,
    item_kind: ItemKind = ItemKind.INDICATOR,
    dimension: str | None = None,
    after: str | None = None,
    delegation_code: str | None,
    submit: bool,
    now: datetime,
    request_id: str | None = None,
) -> Proposal:
    delegation = _acting_delegation(principal, delegation_code)
    actor = Actor(principal.user_id, delegation.id, request_id)
    round_, late = (
        input_gate(session, now, delegation_id=delegation.id)
        if submit
        else (
            current_round(session),
            False,
        )
    )
    items = _items_by_code(session, targets)
    after_item: Item | None = None
    if after and kind is not ProposalKind.ADD:
        raise InvalidInput(
            "only a proposed new item is placed after another; an existing item keeps its place",
            field="after",
        )
    if kind is ProposalKind.ADD:
        # A new item may name the one it is split from, so that the concordance can follow it.
        if len(items) > 1:
            raise InvalidInput(
                "a new item names at most one item it is split from", field="targets"
            )
        if item_kind is ItemKind.INDICATOR:
            if not dimension:
                raise InvalidInput(
                    "say which dimension the new indicator belongs to", field="dimension"
                )
            register.get_dimension(session, dimension)
        content = _normalise(item_kind, content)
        Revision.validate_content(
            item_kind, dict.fromkeys(CONTENT_FIELDS) | content | {"dimension_id": 0}
        )
        after_item = _follows(session, after, item_kind, dimension)
    else:
        expected = {ProposalKind.AMEND: 1, ProposalKind.DELETE: 1}.get(kind)
        if expected and len(items) != expected:
            raise InvalidInput(f"an {kind.value} proposal names exactly one item", field="targets")
        if kind is ProposalKind.MERGE and len(items) < 2:
            raise InvalidInput("a merge names two or more indicators", field="targets")
        if kind is ProposalKind.MERGE and any(i.kind is not ItemKind.INDICATOR for i in items):
            raise InvalidInput("only indicators can be merged", field="targets")
        item_kind = items[0].kind
        content = {} if kind is ProposalKind.DELETE else _normalise(item_kind, content)
        if kind is not ProposalKind.DELETE and not content and not dimension:
            raise InvalidInput("the proposal changes nothing", field="content")
        if base_revisions is not None and len(base_revisions) != len(items):
            raise InvalidInput("give one base revision per target", field="base_revisions")
    proposal = Proposal(
        round_id=round_.id if round_ else None,
        kind=kind,
        state=ProposalState.DRAFT,
        delegation_id=delegation.id,
        author_id=principal.user_id,
        item_kind=item_kind.value,
        dimension_code=dimension.upper() if dimension else None,
        after_item_id=after_item.id if after_item else None,
        content=content,
        rationale=rationale.strip(),
        late=late,
        created_at=now,
    )
    session.add(proposal)
    session.flush()
    for position, item in enumerate(items):
        base = base_revisions[position] if base_revisions else item.version
        if not 1 <= base <= item.version:
            raise InvalidInput(
                f"{item.code} has no revision {base}; it has 1 to {item.version}",
                field="base_revisions",
            )
        session.add(
            ProposalTarget(
                proposal_id=proposal.id, item_id=item.id, position=position, base_revision=base
            )
        )
    record(
        session,
        actor,
        action="proposal.create",
        object_type="proposal",
        object_id=proposal.id,
        details={"kind": kind.value, "targets": [i.code for i in items]}
        | ({"after": after_item.code} if after_item else {}),
        at=now,
    )
    if submit:
        _submit(session, proposal, actor, now=now, late=late)
    return proposal


def _submit(
    session: Session, proposal: Proposal, actor: Actor, *, now: datetime, late: bool
) -> None:
    proposal.submit(now=now, late=late)
    session.flush()
    record(
        session,
        actor,
        action="proposal.submit",
        object_type="proposal",
        object_id=proposal.id,
        at=now,
    )
    _notify_sponsors_of_targets(session, proposal, now)


def _notify_sponsors_of_targets(session: Session, proposal: Proposal, now: datetime) -> None:
    """Tell delegations that sponsor other proposals on the same items about this new one."""
    item_ids = select(ProposalTarget.item_id).where(ProposalTarget.proposal_id == proposal.id)
    other = select(ProposalTarget.proposal_id).where(
        ProposalTarget.item_id.in_(item_ids), ProposalTarget.proposal_id != proposal.id
    )
    delegations = set(
        session.scalars(select(Sponsorship.delegation_id).where(Sponsorship.proposal_id.in_(other)))
    ) | set(
        session.scalars(
            select(Proposal.delegation_id).where(
                Proposal.id.in_(other), Proposal.state != ProposalState.DRAFT
            )
        )
    )
    delegations.discard(proposal.delegation_id)
    if not delegations:
        return
    code = session.scalar(select(Delegation.code).where(Delegation.id == proposal.delegation_id))
    notify(
        session,
        delegation_members(session, delegations),
        messages.proposal_new(session, proposal, code or ""),
        now=now,
    )


def _own(proposal: Proposal, principal: Principal) -> Actor:
    """Only the proposing delegation's own people may change a proposal."""
    for d in principal.delegations:
        if d.id == proposal.delegation_id:
            return Actor(principal.user_id, d.id)
    raise PermissionDenied(
        f"proposal {proposal.reference} belongs to another delegation; only its members may "
        "change it"
    )


def visible(proposal: Proposal, principal: Principal) -> bool:
    return proposal.visible_to(d.id for d in principal.delegations)


def get(session: Session, principal: Principal, proposal_id: int) -> Proposal:
    proposal = session.get(Proposal, proposal_id)
    # A private draft of another delegation is indistinguishable from a missing one.
    if proposal is None or not visible(proposal, principal):
        raise NotFound(f"no proposal P-{proposal_id}")
    return proposal


def revise(
    session: Session,
    principal: Principal,
    proposal_id: int,
    *,
    expected_version: int,
    content: dict[str, Any] | None,
    rationale: str | None,
    now: datetime,
    dimension: str | None = None,
    after: str | None = None,
    request_id: str | None = None,
) -> Proposal:
    """Change an open proposal. `after` (a new item only) moves it after another item; ""
    moves it to the end of its dimension; None leaves it where it is."""
    proposal = get(session, principal, proposal_id)
    actor = _own(proposal, principal)
    proposal.check_version(expected_version)
    moved = dimension is not None and dimension.upper() != proposal.dimension_code
    if dimension is not None and proposal.kind in (ProposalKind.ADD, ProposalKind.AMEND):
        register.get_dimension(session, dimension)
        proposal.dimension_code = dimension.upper()
    if after is not None and proposal.kind is not ProposalKind.ADD:
        raise InvalidInput(
            "only a proposed new item is placed after another; an existing item keeps its place",
            field="after",
        )
    if proposal.kind is ProposalKind.ADD and (after is not None or moved):
        if after is None and proposal.after_item_id is not None:
            after = session.scalar(select(Item.code).where(Item.id == proposal.after_item_id))
        followed = _follows(session, after, ItemKind(proposal.item_kind), proposal.dimension_code)
        proposal.after_item_id = followed.id if followed else None
    kind = ItemKind(proposal.item_kind)
    new_content = proposal.content if content is None else _normalise(kind, content)
    if proposal.kind is ProposalKind.DELETE:
        new_content = {}
    proposal.revise(
        content=new_content,
        rationale=proposal.rationale if rationale is None else rationale.strip(),
    )
    session.flush()
    record(
        session,
        Actor(actor.user_id, actor.delegation_id, request_id),
        action="proposal.revise",
        object_type="proposal",
        object_id=proposal.id,
        at=now,
    )
    return proposal


def submit(
    session: Session,
    principal: Principal,
    proposal_id: int,
    *,
    expected_version: int | None,
    now: datetime,
    request_id: str | None = None,
) -> Proposal:
    proposal = get(session, principal, proposal_id)
    actor = _own(proposal, principal)
    if expected_version is not None:
        proposal.check_version(expected_version)
    _, late = input_gate(session, now, delegation_id=proposal.delegation_id)
    _submit(
        session, proposal, Actor(actor.user_id, actor.delegation_id, request_id), now=now, late=late
    )
    return proposal


def withdraw(
    session: Session,
    principal: Principal,
    proposal_id: int,
    *,
    now: datetime,
    request_id: str | None = None,
) -> Proposal:
    proposal = get(session, principal, proposal_id)
    actor = _own(proposal, principal)
    proposal.withdraw()
    session.flush()
    record(
        session,
        Actor(actor.user_id, actor.delegation_id, request_id),
        action="proposal.withdraw",
        object_type="proposal",
        object_id=proposal.id,
        at=now,
    )
    return proposal


def sponsor(
    session: Session,
    principal: Principal,
    proposal_id: int,
    *,
    delegation_code: str | None,
    now: datetime,
    request_id: str | None = None,
) -> Sponsorship:
    proposal = get(session, principal, proposal_id)
    delegation = _acting_delegation(principal, delegation_code)
    if delegation.id == proposal.delegation_id:
        raise Conflict(f"{delegation.code} is the proposing delegation; it cannot co-sponsor")
    if not proposal.state.is_open or proposal.state is ProposalState.DRAFT:
        raise Conflict(
            f"proposal {proposal.reference} is {proposal.state.label}; only submitted proposals "
            "can be co-sponsored"
        )
    exists = session.scalar(
        select(Sponsorship.id).where(
            Sponsorship.proposal_id == proposal.id, Sponsorship.delegation_id == delegation.id
        )
    )
    if exists:
        raise Conflict(f"{delegation.code} already co-sponsors {proposal.reference}")
    sponsorship = Sponsorship(
        proposal_id=proposal.id,
        delegation_id=delegation.id,
        user_id=principal.user_id,
        created_at=now,
    )
    session.add(sponsorship)
    session.flush()
    record(
        session,
        Actor(principal.user_id, delegation.id, request_id),
        action="proposal.sponsor",
        object_type="proposal",
        object_id=proposal.id,
        at=now,
    )
    return sponsorship


def withdraw_sponsorship(
    session: Session,
    principal: Principal,
    proposal_id: int,
    *,
    delegation_code: str | None,
    now: datetime,
    request_id: str | None = None,
) -> Proposal:
    """A co-sponsoring delegation takes its name off a proposal that is still open."""
    proposal = get(session, principal, proposal_id)
    delegation = _acting_delegation(principal, delegation_code)
    sponsorship = session.scalar(
        select(Sponsorship).where(
            Sponsorship.proposal_id == proposal.id, Sponsorship.delegation_id == delegation.id
        )
    )
    if sponsorship is None:
        raise Conflict(
            f"{delegation.code} does not co-sponsor {proposal.reference}", field="delegation"
        )
    if not proposal.state.is_open:
        raise Conflict(
            f"proposal {proposal.reference} is {proposal.state.label}; its co-sponsors are part "
            "of the record and cannot change now"
        )
    session.delete(sponsorship)
    session.flush()
    record(
        session,
        Actor(principal.user_id, delegation.id, request_id),
        action="proposal.unsponsor",
        object_type="proposal",
        object_id=proposal.id,
        details={"delegation": delegation.code},
        at=now,
    )
    return proposal


def _target_rows(
    session: Session, proposal_ids: Sequence[int], known: Sequence[Revision] = ()
) -> dict[int, list[TargetView]]:
    """Targets of many proposals with their base and current revisions, in two queries (one
    when the caller holds, in `known`, every revision they need: an item's page has its
    item's)."""
    rows = session.execute(_view_queries().targets, {"ids": list(proposal_ids)}).all()
    wanted = {(r.item_id, r.base_revision) for r in rows} | {(r.item_id, r.version) for r in rows}
    revisions = {(r.item_id, r.number): r for r in known}
    missing = wanted - revisions.keys()
    if missing:
        for rev in session.scalars(
            select(Revision).where(tuple_(Revision.item_id, Revision.number).in_(sorted(missing)))
        ):
            revisions[(rev.item_id, rev.number)] = rev
    out: dict[int, list[TargetView]] = {pid: [] for pid in proposal_ids}
    for r in rows:
        out[r.proposal_id].append(
            TargetView(
                code=r.code,
                item_id=r.item_id,
                kind=r.kind,
                base_revision=r.base_revision,
                current_revision=r.version,
                base=_content_of(revisions[(r.item_id, r.base_revision)]),
                current=_content_of(revisions[(r.item_id, r.version)]),
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class _ViewQueries:
    """The statements `views` sends, each on an expanding list of ids `ids`: built once (a
    select with its joins cost more to build than to run; SQLAlchemy caches the compiled form
    whoever built it)."""

    targets: Select[int, int, int, str, ItemKind, int]
    delegations: Select[int, str, str]
    authors: Select[int, str]
    sponsors: Select[int, str]


@cache
def _view_queries() -> _ViewQueries:
    ids = bindparam("ids", type_=Integer, expanding=True)
    return _ViewQueries(
        # Columns, not entities: the ORM's loading of two entities a row cost more than the
        # statement.
        targets=select(
            ProposalTarget.proposal_id,
            ProposalTarget.base_revision,
            Item.id.label("item_id"),
            Item.code,
            Item.kind,
            Item.version,
        )
        .join(Item, Item.id == ProposalTarget.item_id)
        .where(ProposalTarget.proposal_id.in_(ids))
        .order_by(ProposalTarget.proposal_id, ProposalTarget.position),
        delegations=select(Delegation.id, Delegation.code, MemberState.name)
        .join(MemberState, MemberState.id == Delegation.state_id)
        .where(Delegation.id.in_(ids)),
        authors=select(User.id, User.name).where(User.id.in_(ids)),
        sponsors=select(Sponsorship.proposal_id, Delegation.code)
        .join(Delegation, Delegation.id == Sponsorship.delegation_id)
        .where(Sponsorship.proposal_id.in_(ids))
        .order_by(Sponsorship.id),
    )


def views(
    session: Session, proposals: Sequence[Proposal], known: Sequence[Revision] = ()
) -> list[ProposalView]:
    """The proposals with their targets, names and sponsors; `known`: revisions the caller
    holds already (not read again)."""
    if not proposals:
        return []
    queries = _view_queries()
    names: dict[int, str] = {}
    states: dict[int, str] = {}
    delegation_ids = sorted({p.delegation_id for p in proposals})
    for d_id, d_code, state_name in session.execute(queries.delegations, {"ids": delegation_ids}):
        names[d_id], states[d_id] = d_code, state_name
    author_ids = sorted({p.author_id for p in proposals})
    authors = dict(session.execute(queries.authors, {"ids": author_ids}).all())
    return _assembled(session, proposals, names, states, authors, known)


def _assembled(
    session: Session,
    proposals: Sequence[Proposal],
    names: Mapping[int, str],
    states: Mapping[int, str],
    authors: Mapping[int, str],
    known: Sequence[Revision],
) -> list[ProposalView]:
    """`views` once the delegations' codes and states' names and the authors' names (by id)
    are read."""
    ids = [p.id for p in proposals]
    targets = _target_rows(session, ids, known)
    queries = _view_queries()
    sponsors: dict[int, list[str]] = {pid: [] for pid in ids}
    for pid, code in session.execute(queries.sponsors, {"ids": ids}):
        sponsors[pid].append(code)
    followed = {p.after_item_id for p in proposals if p.after_item_id is not None}
    followed_codes: dict[int, str] = {}
    if followed:
        followed_codes = dict(
            session.execute(select(Item.id, Item.code).where(Item.id.in_(followed))).all()
        )
    out = []
    for p in proposals:
        code = names[p.delegation_id]
        out.append(
            ProposalView(
                proposal=p,
                delegation_code=code,
                delegation_name=f"{states[p.delegation_id]} - {code.split('-', 1)[1]}",
                author_name=authors.get(p.author_id, ""),
                targets=targets[p.id],
                sponsors=sponsors[p.id],
                after=followed_codes.get(p.after_item_id) if p.after_item_id else None,
            )
        )
    return out


def view(session: Session, principal: Principal, proposal_id: int) -> ProposalView:
    return views(session, [get(session, principal, proposal_id)])[0]


# How many proposals a listing gives at most (the first by id).
_LIMIT = 500


def _seen_by(own: Any) -> Any:
    """Who sees a proposal: everyone once it is submitted, its own delegations (`own`: their
    ids, or an expanding bound parameter) while it is a draft."""
    return Proposal.submitted_at.is_not(None) | Proposal.delegation_id.in_(own)


def _visible(
    session: Session,
    principal: Principal,
    *,
    item_code: str | None = None,
    item_id: int | None = None,
    state: ProposalState | None = None,
    kind: ProposalKind | None = None,
    delegation: str | None = None,
    round_id: int | None = None,
    ids: Sequence[int] | None = None,
) -> Any:
    """The query of the proposals the principal may see, with the filters asked for."""
    query = select(Proposal).where(_seen_by([d.id for d in principal.delegations]))
    if item_code and item_id is None:
        item_id = register.get_item(session, item_code).id
    if item_id is not None:
        query = query.where(
            Proposal.id.in_(
                select(ProposalTarget.proposal_id).where(ProposalTarget.item_id == item_id)
            )
        )
    if state is not None:
        query = query.where(Proposal.state == state)
    if kind is not None:
        query = query.where(Proposal.kind == kind)
    if delegation:
        query = query.join(Delegation, Delegation.id == Proposal.delegation_id).where(
            Delegation.code == delegation.upper()
        )
    if round_id is not None:
        query = query.where(Proposal.round_id == round_id)
    if ids is not None:
        query = query.where(Proposal.id.in_(ids))
    return query


def listing(
    session: Session,
    principal: Principal,
    *,
    item_code: str | None = None,
    item_id: int | None = None,
    state: ProposalState | None = None,
    delegation: str | None = None,
    round_id: int | None = None,
    ids: Sequence[int] | None = None,
    limit: int = _LIMIT,
    known: Sequence[Revision] = (),
) -> list[ProposalView]:
    """Proposals the principal may see, by item (its code, or its id when the caller holds the
    item already), state, delegation or round; the first `limit` by id. `known`: revisions the
    caller holds already (an item page's), not read again."""
    query = _visible(
        session,
        principal,
        item_code=item_code,
        item_id=item_id,
        state=state,
        delegation=delegation,
        round_id=round_id,
        ids=ids,
    )
    found = session.scalars(query.order_by(Proposal.id).limit(limit)).all()
    return views(session, found, known)


@cache
def _on_item() -> Select[Proposal, str, str, str | None]:
    # Built once: every view of an item page lists its proposals (building the select with
    # its subquery cost as much as running it). With the names `views` reads in statements of
    # their own: the delegation's code, its state's name, the author's.
    return (
        select(Proposal, Delegation.code, MemberState.name, User.name)
        .join(Delegation, Delegation.id == Proposal.delegation_id)
        .join(MemberState, MemberState.id == Delegation.state_id)
        .outerjoin(User, User.id == Proposal.author_id)
        .where(
            _seen_by(bindparam("own", type_=Integer, expanding=True)),
            Proposal.id.in_(
                select(ProposalTarget.proposal_id).where(
                    ProposalTarget.item_id == bindparam("item_id")
                )
            ),
        )
        .order_by(Proposal.id)
        .limit(_LIMIT)
    )


def on_item(
    session: Session, principal: Principal, item_id: int, known: Sequence[Revision] = ()
) -> list[ProposalView]:
    """`listing(item_id=...)` for an item's page, by a statement built once; `known`: the
    item's revisions, not read again."""
    own = [d.id for d in principal.delegations]
    rows = session.execute(_on_item(), {"own": own, "item_id": item_id}).all()
    if not rows:
        return []
    names, states, authors = {}, {}, {}
    for p, d_code, state_name, author in rows:
        names[p.delegation_id], states[p.delegation_id] = d_code, state_name
        if author is not None:
            authors[p.author_id] = author
    return _assembled(session, [row[0] for row in rows], names, states, authors, known)


def newest_page(
    session: Session,
    principal: Principal,
    number: int,
    *,
    item_code: str | None = None,
    state: ProposalState | None = None,
    kind: ProposalKind | None = None,
    delegation: str | None = None,
) -> Page[ProposalView]:
    """One page of the proposals the principal may see, newest first (app/paging.py): a count
    and the page's proposals, whatever their number."""
    query = _visible(
        session, principal, item_code=item_code, state=state, kind=kind, delegation=delegation
    )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    number = clamp(number, total)
    found = session.scalars(
        query.order_by(Proposal.id.desc()).offset((number - 1) * PER_PAGE).limit(PER_PAGE)
    ).all()
    return Page(views(session, found), number, total)


def queue_entries(
    session: Session,
    principal: Principal,
    states: Sequence[ProposalState],
    *,
    delegation: str | None = None,
) -> list[tuple[int, str | None, datetime]]:
    """Every proposal the principal may see in one of `states` (by delegation if asked), as
    small rows: its id, the code of the first item it changes (None: it adds an item) and when
    it was submitted. One query, whatever their number; no proposal is left out."""
    own = [d.id for d in principal.delegations]
    query = (
        select(
            Proposal.id,
            Proposal.submitted_at,
            Proposal.created_at,
            ProposalTarget.position,
            Item.code,
        )
        .outerjoin(ProposalTarget, ProposalTarget.proposal_id == Proposal.id)
        .outerjoin(Item, Item.id == ProposalTarget.item_id)
        .where(
            Proposal.state.in_(states),
            (Proposal.submitted_at.is_not(None)) | (Proposal.delegation_id.in_(own)),
        )
    )
    if delegation:
        query = query.join(Delegation, Delegation.id == Proposal.delegation_id).where(
            Delegation.code == delegation.upper()
        )
    first: dict[int, tuple[int, str | None, datetime]] = {}
    places: dict[int, int] = {}
    for pid, submitted, created, place, code in session.execute(query):
        if pid not in first or (place is not None and place < places.get(pid, place + 1)):
            first[pid] = (pid, code, submitted or created)
            if place is not None:
                places[pid] = place
    return list(first.values())


@dataclass(frozen=True, slots=True)
class ProposalLine:
    """A proposal in one line of a list: what it is, by whom, on which items (two queries for
    any number, where a ProposalView reads every target's texts)."""

    id: int
    kind: ProposalKind
    item_kind: str | None
    delegation_code: str
    targets: list[str]

    @property
    def reference(self) -> str:
        return f"P-{self.id}"


def lines(session: Session, ids: Sequence[int]) -> list[ProposalLine]:
    """The proposals `ids`, in that order, as ProposalLines (the caller knows they may be
    seen)."""
    if not ids:
        return []
    head = {
        pid: (kind, item_kind, code)
        for pid, kind, item_kind, code in session.execute(
            select(Proposal.id, Proposal.kind, Proposal.item_kind, Delegation.code)
            .join(Delegation, Delegation.id == Proposal.delegation_id)
            .where(Proposal.id.in_(ids))
        )
    }
    targets: dict[int, list[str]] = {pid: [] for pid in ids}
    for pid, code in session.execute(
        select(ProposalTarget.proposal_id, Item.code)
        .join(Item, Item.id == ProposalTarget.item_id)
        .where(ProposalTarget.proposal_id.in_(ids))
        .order_by(ProposalTarget.proposal_id, ProposalTarget.position)
    ):
        targets[pid].append(code)
    return [
        ProposalLine(pid, head[pid][0], head[pid][1], head[pid][2], targets[pid])
        for pid in ids
        if pid in head
    ]


def submitted_ids(
    session: Session, ids: Sequence[int] | Select[Any], states: Sequence[ProposalState]
) -> list[int]:
    """Which of the proposals `ids` (a list, or a query of ids) are submitted (seen by everyone)
    and in one of `states`."""
    if not isinstance(ids, Select) and not ids:
        return []
    return list(
        session.scalars(
            select(Proposal.id)
            .where(
                Proposal.id.in_(ids),
                Proposal.state.in_(states),
                Proposal.submitted_at.is_not(None),
            )
            .order_by(Proposal.id)
        )
    )


def is_alternative(v: ProposalView) -> bool:
    """An open, submitted amendment: a text a delegation offers beside the others."""
    return v.proposal.kind in (ProposalKind.AMEND, ProposalKind.MERGE) and v.proposal.state in (
        ProposalState.SUBMITTED,
        ProposalState.UNDER_CONSIDERATION,
    )


def alternatives(session: Session, principal: Principal, item_code: str) -> list[ProposalView]:
    """Open, submitted amendments to one item: the texts delegations offer side by side."""
    return [v for v in listing(session, principal, item_code=item_code) if is_alternative(v)]


def _is_decider(principal: Principal) -> None:
    if principal.role not in (Role.SECRETARIAT, Role.CHAIR):
        raise PermissionDenied("only the secretariat and the chairs decide proposals")


def check_decision(
    session: Session,
    principal: Principal,
    pv: ProposalView,
    *,
    outcome: Outcome,
    override_reason: str,
    acknowledged: bool,
    acknowledged_picture: Mapping[str, Collection[str]] | None = None,
) -> consensus_picture.Picture:
    """The consensus rules of a decision, checked before anything changes (the decision form's
    confirmation page asks them too): nothing is decided while the round's text is frozen; an
    outdated proposal is not agreed; a standing objection needs a chair's override with a
    reason; pending delegations and reservations need the decider's acknowledgement, which
    covers only `acknowledged_picture` when given (the delegations the decider saw "pending"
    and those they saw holding a "reservation"). Returns the consensus picture the decision
    keeps."""
    _is_decider(principal)
    decidable_check(session)
    proposal = pv.proposal
    seen = consensus_picture.of_proposal(session, proposal.id)
    if outcome not in (Outcome.AGREED, Outcome.AGREED_MODIFIED):
        return seen
    if pv.outdated:
        stale = ", ".join(
            f"{t.code} (base revision {t.base_revision}, now {t.current_revision})"
            for t in pv.targets
            if t.outdated
        )
        raise Conflict(
            f"proposal {proposal.reference} is outdated: the text changed since it was "
            f"written ({stale}); rebase it before agreeing it",
            field="base_revisions",
        )
    objecting = seen.objections
    if objecting and (principal.role is not Role.CHAIR or not override_reason.strip()):
        raise Conflict(
            f"{proposal.reference} cannot be agreed: there is an objection from "
            f"{', '.join(objecting)}. Only a co-chair can agree it now, and must give the reason",
            field="override_reason",
        )
    if seen.needs_acknowledgement and not acknowledged:
        raise InvalidInput(
            f"{consensus_picture.acknowledgement_needed(seen)} Agreeing the proposal records "
            "that the group agrees. Confirm that you know this",
            field="acknowledged",
        )
    if acknowledged and acknowledged_picture is not None:
        _check_seen(seen, acknowledged_picture)
    return seen


def _check_seen(seen: consensus_picture.Picture, saw: Mapping[str, Collection[str]]) -> None:
    """The acknowledgement covers what the decider saw: a delegation that became pending or
    entered a reservation since is shown to them before they agree."""
    pending = [c for c in seen.pending if c not in set(saw.get("pending", ()))]
    reserving = [c for c in seen.reservations if c not in set(saw.get("reservation", ()))]
    if not pending and not reserving:
        return
    parts = []
    if pending:
        parts.append(f"{_delegations(pending)} {_verb(pending)} not given a position")
    if reserving:
        parts.append(f"{_delegations(reserving)} {_verb(reserving)} a reservation")
    raise Conflict(
        f"The consensus picture changed since you looked: {' and '.join(parts)}. Look at it "
        "again and confirm that you know",
        field="acknowledged",
    )


def _delegations(codes: list[str]) -> str:
    return f"{len(codes)} delegation{'s' if len(codes) != 1 else ''} ({', '.join(codes)})"


def _verb(codes: list[str]) -> str:
    return "has" if len(codes) == 1 else "have"


def decidable_check(session: Session) -> None:
    """Nothing is decided while the current round's text is settled (awaiting the co-chairs'
    approval, or under a silence procedure): a proposal carried over is decided in the next
    round. Once the text is approved its snapshot is frozen for ever, and a decision changes
    the register for the next round (the approved round's copies say from when they show the
    state)."""
    round_ = current_round(session)
    if round_ is None or round_.state is not RoundState.SETTLED:
        return
    state = "settled and under a silence procedure" if round_.under_silence else round_.state.label
    raise Conflict(
        f"{round_.symbol} is {state}: its text is frozen and no proposal can be decided now. "
        "A proposal carried over is decided in the next round",
        field="round",
    )


def decide(
    session: Session,
    principal: Principal,
    proposal_id: int,
    *,
    expected_version: int,
    outcome: Outcome,
    reason: str,
    modified_content: dict[str, Any] | None = None,
    merged_into: int | None = None,
    override_reason: str = "",
    answer: str | None = None,
    acknowledged: bool = False,
    acknowledged_picture: Mapping[str, Collection[str]] | None = None,
    now: datetime,
    request_id: str | None = None,
) -> Proposal:
    """Decide a submitted proposal. Agreeing it while delegations have given no position or
    hold a reservation needs `acknowledged`: the decider says they know, and the decision keeps
    the consensus picture they saw; with `acknowledged_picture` (the delegations they saw
    pending, and reserving) a delegation that became pending or reserving since is refused, to
    be seen first. The decision keeps the round it was taken in."""
    _is_decider(principal)
    actor = Actor(principal.user_id, None, request_id)
    pv = view(session, principal, proposal_id)
    proposal = pv.proposal
    proposal.check_version(expected_version)
    agreeing = outcome in (Outcome.AGREED, Outcome.AGREED_MODIFIED)
    seen = check_decision(
        session,
        principal,
        pv,
        outcome=outcome,
        override_reason=override_reason,
        acknowledged=acknowledged,
        acknowledged_picture=acknowledged_picture,
    )
    override_reason = override_reason if agreeing and seen.objections else ""
    acknowledged = agreeing and acknowledged and seen.needs_acknowledgement
    if outcome is Outcome.AGREED_MODIFIED and not modified_content:
        raise InvalidInput("give the text as modified by the secretariat", field="content")
    merged_target: Proposal | None = None
    if outcome is Outcome.MERGED:
        if merged_into is None or merged_into == proposal.id:
            raise InvalidInput("name the proposal this one is merged into", field="merged_into")
        merged_target = get(session, principal, merged_into)
        if not merged_target.state.is_open or merged_target.state is ProposalState.DRAFT:
            raise Conflict(
                f"proposal {merged_target.reference} is {merged_target.state.label}; merge into "
                "a submitted proposal"
            )
    proposal.decide(
        outcome, by=principal.user_id, now=now, reason=reason, override_reason=override_reason
    )
    # Every field of the decision set before the next statement flushes the proposal: one
    # UPDATE (and one version) for the decision, not one for each.
    if merged_target is not None:
        proposal.merged_into_id = merged_target.id
    if answer is not None:
        _answer(proposal, principal.user_id, answer, now)
    applied = applied_content(pv, outcome, modified_content) if agreeing else None
    if applied is not None:
        proposal.applied_content = applied
    if outcome is not Outcome.UNDER_CONSIDERATION:
        taken_in = current_round(session)
        session.add(
            DecisionRecord(
                proposal_id=proposal.id,
                round_id=taken_in.id if taken_in is not None else None,
                outcome=outcome.value,
                by_id=principal.user_id,
                at=now,
                reason=reason.strip(),
                override_reason=override_reason.strip(),
                acknowledged=acknowledged,
                consensus=seen.as_record(),
                reopen_reason="",
            )
        )
    if applied is not None:
        _apply(session, pv, applied, outcome, principal, now, request_id)
        # The text it made is the item's text as it stands: so are the positions on it (C2).
        consensus.carry_agreed(session, proposal, now=now, request_id=request_id)
    session.flush()
    record(
        session,
        actor,
        action=f"proposal.decide.{outcome.value}",
        object_type="proposal",
        object_id=proposal.id,
        details={
            "reason": reason,
            **({"override_reason": override_reason} if override_reason else {}),
            **({"merged_into": merged_into} if merged_target else {}),
            "consensus": seen.as_record(),
            "acknowledged": acknowledged,
        },
        at=now,
    )
    notify(
        session,
        delegation_members(session, [proposal.delegation_id]),
        messages.proposal_decided(session, proposal),
        now=now,
        skip=principal.user_id,
    )
    return proposal


def reopen_check(session: Session, proposal: Proposal) -> None:
    """A decision can be reopened until the round in which it was taken is settled (whatever
    round is current now: a new round in preparation does not unsettle the one before)."""
    if not proposal.state.is_decided:
        raise Conflict(
            f"proposal {proposal.reference} is {proposal.state.label}; only a decided proposal "
            "can be reopened"
        )
    round_ = decision_round(session, proposal)
    if round_ is None:
        return
    if round_.state in (RoundState.SETTLED, RoundState.APPROVED, RoundState.SUPERSEDED):
        raise Conflict(
            f"{round_.symbol} is {round_.state.label}. A decision can be reopened only until "
            "its round is settled",
            field="round",
        )


def decision_round(session: Session, proposal: Proposal) -> Round | None:
    """The round whose text the proposal's standing decision changed: the one its record
    keeps, or the next one when it was taken after that round's approval (none yet: None);
    none kept: taken before any round, so the first round's text carries it; for a decision
    older than the records, the newest round created before it."""
    last = session.scalar(
        select(DecisionRecord)
        .where(DecisionRecord.proposal_id == proposal.id, DecisionRecord.reopened_at.is_(None))
        .order_by(DecisionRecord.id.desc())
    )
    if last is not None and last.round_id is not None:
        taken_in = session.get(Round, last.round_id)
        approved = taken_in.approved_at if taken_in is not None else None
        if taken_in is None or approved is None or last.at <= approved:
            return taken_in
        # Taken after the round's approval: it changed the text of the next round.
        return session.scalar(select(Round).where(Round.id > taken_in.id).order_by(Round.id))
    first = session.scalar(select(Round).order_by(Round.id))
    if last is not None or proposal.decided_at is None:
        return first
    before = session.scalar(
        select(Round).where(Round.created_at <= proposal.decided_at).order_by(Round.id.desc())
    )
    return before or first


def reopen_decision(
    session: Session,
    principal: Principal,
    proposal_id: int,
    *,
    expected_version: int,
    reason: str,
    now: datetime,
    request_id: str | None = None,
) -> Proposal:
    """The secretariat takes a decision back: the proposal is under consideration again, with
    the reason. An agreed proposal's change is taken out of the register (a new revision with the
    text as it was before), unless the item changed again after the decision."""
    pv = view(session, principal, proposal_id)  # a draft of another delegation stays a 404
    if principal.role is not Role.SECRETARIAT:
        raise PermissionDenied("only the secretariat can reopen a decision")
    if not reason.strip():
        raise InvalidInput("say why the decision is reopened", field="reason")
    proposal = pv.proposal
    proposal.check_version(expected_version)
    reopen_check(session, proposal)
    before = proposal.state
    undone: list[str] = []
    if before in (ProposalState.AGREED, ProposalState.AGREED_MODIFIED):
        undone = _undo_agreement(session, pv, principal, reason.strip(), now, request_id)
    last = session.scalar(
        select(DecisionRecord)
        .where(DecisionRecord.proposal_id == proposal.id, DecisionRecord.reopened_at.is_(None))
        .order_by(DecisionRecord.id.desc())
    )
    if last is not None:
        last.reopened_at = now
        last.reopened_by_id = principal.user_id
        last.reopen_reason = reason.strip()
    proposal.state = ProposalState.UNDER_CONSIDERATION
    proposal.decided_at = None
    proposal.decided_by_id = None
    proposal.decision_reason = f"Decision reopened: {reason.strip()}"
    proposal.override_reason = ""
    proposal.merged_into_id = None
    proposal.applied_content = None
    session.flush()
    record(
        session,
        Actor(principal.user_id, None, request_id),
        action="proposal.reopen",
        object_type="proposal",
        object_id=proposal.id,
        details={"from": before.value, "reason": reason.strip(), "undone": undone},
        at=now,
    )
    notify(
        session,
        delegation_members(session, [proposal.delegation_id]),
        messages.proposal_decided(session, proposal),
        now=now,
        skip=principal.user_id,
    )
    return proposal


def decision_records(
    session: Session, proposal_ids: Sequence[int]
) -> dict[int, list[DecisionRecord]]:
    """Every decision taken on each proposal, oldest first (one query)."""
    out: dict[int, list[DecisionRecord]] = {pid: [] for pid in proposal_ids}
    if proposal_ids:
        for r in session.scalars(
            select(DecisionRecord)
            .where(DecisionRecord.proposal_id.in_(proposal_ids))
            .order_by(DecisionRecord.id)
        ):
            out[r.proposal_id].append(r)
    return out


def _undo_agreement(
    session: Session,
    pv: ProposalView,
    principal: Principal,
    reason: str,
    now: datetime,
    request_id: str | None,
) -> list[str]:
    """Take an agreed proposal's revisions out of the register; the codes of the items."""
    proposal = pv.proposal
    actor = Actor(principal.user_id, None, request_id)
    why = f"Decision on {proposal.reference} reopened: {shorten(reason, _REASON_CHARS)}"
    made = list(
        session.execute(
            select(Item, Revision)
            .join(Revision, Revision.item_id == Item.id)
            .where(Revision.proposal_id == proposal.id)
            .order_by(Item.id, Revision.number)
        )
    )
    changed = [item.code for item, _ in made if item.version != _last_of(made, item.id)]
    if changed:
        raise Conflict(
            f"{', '.join(sorted(set(changed)))} changed after {proposal.reference} was agreed. "
            "Reopening would lose that change; change the text in the register first",
            field="reopen",
        )
    undone: list[str] = []
    for item, rev in made:
        if rev.number != item.version:
            continue  # only the item's latest revision is the proposal's
        if rev.number == 1:  # the item the proposal added: withdraw it
            changes: dict[str, Any] = {"status": ItemStatus.WITHDRAWN}
        else:
            previous = session.scalar(
                select(Revision).where(
                    Revision.item_id == item.id, Revision.number == rev.number - 1
                )
            )
            assert previous is not None
            changes = previous.content()
        register.revise_item(
            session,
            actor,
            code=item.code,
            expected_revision=item.version,
            changes=changes,
            reason=why,
            now=now,
        )
        undone.append(item.code)
    # The text is again what the proposal was written against: its base is the new revision.
    versions = dict(
        session.execute(select(Item.id, Item.version).where(Item.code.in_(undone))).all()
    )
    for target in session.scalars(
        select(ProposalTarget).where(ProposalTarget.proposal_id == proposal.id)
    ):
        if target.item_id in versions:
            target.base_revision = versions[target.item_id]
    return undone


def _last_of(made: list[Any], item_id: int) -> int:
    return max(int(rev.number) for item, rev in made if item.id == item_id)


def applied_content(
    pv: ProposalView, outcome: Outcome, modified_content: dict[str, Any] | None
) -> dict[str, Any]:
    """The fields an agreeing decision writes to the register (checked as a proposal is)."""
    if outcome is Outcome.AGREED_MODIFIED:
        return _normalise(ItemKind(pv.proposal.item_kind), modified_content or {})
    return pv.proposal.content


def _apply(
    session: Session,
    pv: ProposalView,
    applied: dict[str, Any],
    outcome: Outcome,
    principal: Principal,
    now: datetime,
    request_id: str | None,
) -> None:
    proposal = pv.proposal
    # The revision belongs to the proposing delegation; its author is whoever wrote the words.
    author = proposal.author_id if outcome is Outcome.AGREED else principal.user_id
    actor = Actor(author, proposal.delegation_id, request_id)
    reason = f"{proposal.reference} {ProposalState(outcome.value).label}"
    if proposal.rationale:
        reason += f": {shorten(proposal.rationale, _REASON_CHARS)}"
    if proposal.kind is ProposalKind.ADD:
        register.create_item(
            session,
            actor,
            kind=ItemKind(proposal.item_kind),
            content=applied,
            reason=reason,
            now=now,
            code=None if proposal.item_kind == ItemKind.INDICATOR.value else _section_code(session),
            dimension_code=proposal.dimension_code,
            proposal_id=proposal.id,
            after_item_id=proposal.after_item_id,
        )
        return
    first = pv.targets[0]
    if proposal.kind is ProposalKind.DELETE:
        changes: dict[str, Any] = {"status": ItemStatus.WITHDRAWN}
    else:
        changes = dict(applied)
    register.revise_item(
        session,
        actor,
        code=first.code,
        expected_revision=first.base_revision,
        changes=changes,
        reason=reason,
        now=now,
        dimension_code=proposal.dimension_code,
        proposal_id=proposal.id,
    )
    for other in pv.targets[1:]:  # a merge withdraws the indicators merged into the first
        if other.current.get("status") == ItemStatus.WITHDRAWN.value:
            continue  # withdrawn meanwhile: nothing left to withdraw
        register.revise_item(
            session,
            actor,
            code=other.code,
            expected_revision=other.base_revision,
            changes={"status": ItemStatus.WITHDRAWN},
            reason=f"Merged into {first.code} by {reason}",
            now=now,
            proposal_id=proposal.id,
        )


def _section_code(session: Session) -> str:
    count = session.scalar(
        select(func.count()).select_from(Item).where(Item.kind == ItemKind.SECTION)
    )
    return f"SEC-{(count or 0) + 1:02d}"


def _answer(proposal: Proposal, user_id: int, answer: str, now: datetime) -> None:
    proposal.answer = answer.strip()
    proposal.answered_by_id = user_id
    proposal.answered_at = now


def answer(
    session: Session,
    principal: Principal,
    proposal_id: int,
    *,
    text: str,
    now: datetime,
    request_id: str | None = None,
) -> Proposal:
    if principal.role is not Role.SECRETARIAT:
        raise PermissionDenied("only the secretariat answers inputs")
    if not text.strip():
        raise InvalidInput("the answer is empty", field="answer")
    proposal = get(session, principal, proposal_id)
    if proposal.submitted_at is None:
        raise Conflict(f"proposal {proposal.reference} is a draft; there is nothing to answer yet")
    _answer(proposal, principal.user_id, text, now)
    session.flush()
    record(
        session,
        Actor(principal.user_id, None, request_id),
        action="proposal.answer",
        object_type="proposal",
        object_id=proposal.id,
        at=now,
    )
    return proposal


@dataclass(frozen=True, slots=True)
class RebaseConflict:
    field: str
    base: Any
    proposed: Any
    current: Any


def rebase_plan(pv: ProposalView) -> tuple[dict[str, Any], list[RebaseConflict]]:
    """The proposal's change carried over to the current text, and what does not carry over."""
    target = pv.targets[0]
    changes: dict[str, Any] = {}
    conflicts: list[RebaseConflict] = []
    for name, proposed in pv.proposal.content.items():
        base, current = target.base.get(name), target.current.get(name)
        if proposed == current:
            continue  # the register already says it
        if current == base:
            changes[name] = proposed
        elif name in TEXT_FIELDS and isinstance(proposed, str):
            merged = rebase_text(base or "", proposed, current or "")
            if merged is None:
                conflicts.append(RebaseConflict(name, base, proposed, current))
            else:
                changes[name] = merged
        else:
            conflicts.append(RebaseConflict(name, base, proposed, current))
    return changes, conflicts


def rebase(
    session: Session,
    principal: Principal,
    proposal_id: int,
    *,
    expected_version: int,
    resolutions: dict[str, Any] | None,
    now: datetime,
    request_id: str | None = None,
) -> Proposal:
    """Move the proposal onto the current text: clean changes carry over by themselves; a
    conflicting field needs the person's resolution."""
    pv = view(session, principal, proposal_id)
    proposal = pv.proposal
    if principal.role is not Role.SECRETARIAT:
        _own(proposal, principal)
    proposal.check_version(expected_version)
    if not proposal.state.is_open:
        raise Conflict(
            f"proposal {proposal.reference} is {proposal.state.label}; it cannot be rebased"
        )
    if not pv.outdated:
        raise Conflict(f"proposal {proposal.reference} is already based on the current text")
    changes, conflicts = rebase_plan(pv)
    resolved = _normalise(ItemKind(proposal.item_kind), resolutions or {})
    missing = [c.field for c in conflicts if c.field not in resolved]
    if missing:
        raise Conflict(
            f"the current text changed the same words in {', '.join(missing)}; give your "
            "resolution for each",
            field=missing[0],
        )
    changes |= resolved
    base_fields = pv.targets[0].current
    changes = {k: v for k, v in changes.items() if base_fields.get(k) != v}
    if not changes and not proposal.dimension_code and proposal.kind is not ProposalKind.DELETE:
        raise Conflict(
            f"the current text already says what {proposal.reference} proposes; nothing is left "
            "to rebase (withdraw it, or the secretariat can merge it or not retain it)"
        )
    proposal.revise(content=changes, rationale=proposal.rationale)
    for target in session.scalars(
        select(ProposalTarget).where(ProposalTarget.proposal_id == proposal.id)
    ):
        current = next(t.current_revision for t in pv.targets if t.item_id == target.item_id)
        target.base_revision = current
    session.flush()
    record(
        session,
        Actor(
            principal.user_id,
            None if principal.role is Role.SECRETARIAT else proposal.delegation_id,
            request_id,
        ),
        action="proposal.rebase",
        object_type="proposal",
        object_id=proposal.id,
        details={"resolved": sorted(resolved)},
        at=now,
    )
    return proposal
