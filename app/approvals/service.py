"""The co-chairs' approval of a settled round.

What a co-chair approves is one exact snapshot, named by its content hash: the request carries the
hash the chair saw, and an approval of any other text is refused. The round is approved when every
listed co-chair has approved the same, current hash. The co-chairs are those the secretariat named
for the round, or by default one active chair of an AICHR delegation and one of a SOMTC delegation.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.accounts.service import normalise_email
from app.approvals import changes as changes_since
from app.approvals.changes import ItemChange
from app.audit.service import Actor, record
from app.audit.service import head as audit_head
from app.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    PermissionDenied,
    PreconditionFailed,
)
from app.models import (
    Approval,
    Body,
    Delegation,
    Membership,
    MemberState,
    Role,
    Round,
    RoundChair,
    RoundState,
    User,
)
from app.notifications import messages
from app.notifications.service import group, notify, secretariat
from app.rounds import snapshot
from app.rounds.service import get_round, tick

# The bodies whose chairs co-chair the working group, in the order they are listed.
DEFAULT_BODIES = ("AICHR", "SOMTC")


@dataclass(frozen=True, slots=True)
class CoChair:
    user_id: int
    name: str
    email: str
    delegation_code: str | None
    delegation_name: str | None


@dataclass(frozen=True, slots=True)
class Signature:
    """A co-chair and their approval of the round's current hash, if they gave it."""

    co_chair: CoChair
    approved_at: datetime | None
    reference: str | None

    @property
    def signed(self) -> bool:
        return self.approved_at is not None


@dataclass(frozen=True, slots=True)
class HashCheck:
    """The stored hash against one re-computed from the snapshot as it is in the database now."""

    stored: str | None
    recomputed: str

    @property
    def matches(self) -> bool:
        return self.stored == self.recomputed


@dataclass(frozen=True, slots=True)
class ApprovalStatus:
    round: Round
    chosen_by_secretariat: bool
    missing_bodies: list[str]  # default bodies with no active chair to co-chair for them
    signatures: list[Signature]
    last_approved: Round | None  # the round the changes are counted from (see `compared`)
    changes: list[ItemChange]
    check: HashCheck
    entries: list[snapshot.Entry] = field(default_factory=list)  # the text to approve
    # "approved": last_approved is the last approved text; "issued": none was approved before,
    # and it is the last round issued to the delegations.
    compared: str = "approved"

    @property
    def approved(self) -> bool:
        return self.round.state is RoundState.APPROVED

    @property
    def pending(self) -> list[Signature]:
        return [s for s in self.signatures if not s.signed]

    def is_co_chair(self, user_id: int) -> bool:
        return any(s.co_chair.user_id == user_id for s in self.signatures)

    def may_sign(self, user_id: int, now: datetime) -> bool:
        """Whether the approval form is for this person now (the service checks again)."""
        return (
            _refusal(self.round, now) is None
            and not self.missing_bodies
            and any(s.co_chair.user_id == user_id and not s.signed for s in self.signatures)
        )


@dataclass(frozen=True, slots=True)
class ChairOption:
    """An active chair the secretariat may name as a co-chair."""

    email: str
    name: str
    delegations: str
    listed: bool


# --- Who the co-chairs are -------------------------------------------------------------------


_ChairRow = tuple[int, str, str, str | None, str | None, str | None]


def _chairs_with_delegations(
    session: Session, *, user_ids: Sequence[int] | None = None
) -> list[_ChairRow]:
    """(user id, name, e-mail, delegation code, delegation's name, body code) of active chairs,
    one row per delegation (a chair without a delegation has one row of Nones), by user id."""
    query = (
        select(User.id, User.name, User.email, Delegation.code, Delegation.name_column(), Body.code)
        .outerjoin(Membership, Membership.user_id == User.id)
        .outerjoin(Delegation, Delegation.id == Membership.delegation_id)
        .outerjoin(Body, Body.id == Delegation.body_id)
        .outerjoin(MemberState, MemberState.id == Delegation.state_id)
        .order_by(User.id, Delegation.code)
    )
    if user_ids is None:
        query = query.where(User.role == Role.CHAIR, User.is_active.is_(True))
    else:
        query = query.where(User.id.in_(user_ids))
    return [tuple(row) for row in session.execute(query).all()]  # type: ignore[misc]


def _co_chair(row: _ChairRow) -> CoChair:
    user_id, name, email, code, delegation_name, _ = row
    return CoChair(user_id, name, email, code, delegation_name if code else None)


def co_chairs(session: Session, round_: Round) -> tuple[list[CoChair], bool, list[str]]:
    """The round's co-chairs; whether the secretariat chose them; default bodies left unfilled."""
    stored = list(
        session.scalars(
            select(RoundChair.user_id)
            .where(RoundChair.round_id == round_.id)
            .order_by(RoundChair.user_id)
        )
    )
    if stored:
        by_user: dict[int, list[_ChairRow]] = {}
        for row in _chairs_with_delegations(session, user_ids=stored):
            by_user.setdefault(row[0], []).append(row)
        # Show the delegation they co-chair for where there is one, else their first.
        chosen = [
            _co_chair(next((r for r in rows if r[5] in DEFAULT_BODIES), rows[0]))
            for rows in (by_user[uid] for uid in stored if uid in by_user)
        ]
        return chosen, True, []
    picked: list[CoChair] = []
    missing: list[str] = []
    rows = _chairs_with_delegations(session)
    for body in DEFAULT_BODIES:
        taken = {c.user_id for c in picked}
        found = next((r for r in rows if r[5] == body and r[0] not in taken), None)
        if found is None:
            missing.append(body)
        else:
            picked.append(_co_chair(found))
    return picked, False, missing


def chair_options(session: Session, round_: Round) -> list[ChairOption]:
    listed = {c.user_id for c in co_chairs(session, round_)[0]}
    by_user: dict[int, ChairOption] = {}
    for user_id, name, email, code, _state, _body in _chairs_with_delegations(session):
        option = by_user.get(user_id)
        codes = f"{option.delegations}, {code}" if option and code else (code or "")
        by_user[user_id] = ChairOption(email, name, codes, user_id in listed)
    return list(by_user.values())


# --- Reading the approval -------------------------------------------------------------------


def last_approved_before(session: Session, round_: Round) -> Round | None:
    return session.scalar(
        select(Round)
        .where(Round.state == RoundState.APPROVED, Round.id < round_.id)
        .order_by(Round.id.desc())
        .limit(1)
    )


def last_issued_before(session: Session, round_: Round) -> Round | None:
    return session.scalar(
        select(Round)
        .where(Round.issued_at.is_not(None), Round.content_hash.is_not(None), Round.id < round_.id)
        .order_by(Round.id.desc())
        .limit(1)
    )


def check_hash(session: Session, round_: Round) -> HashCheck:
    entries = snapshot.load(session, round_.id)
    return HashCheck(round_.content_hash, snapshot.content_hash(round_, entries))


def approved_rounds_checked(session: Session) -> list[tuple[Round, HashCheck]]:
    """Every approved round with the check of its hash (after a restore, say)."""
    approved = session.scalars(
        select(Round).where(Round.state == RoundState.APPROVED).order_by(Round.id)
    )
    return [(r, check_hash(session, r)) for r in approved]


def status(session: Session, ref: str | int) -> ApprovalStatus:
    return _status(session, get_round(session, ref))


def _status(session: Session, round_: Round) -> ApprovalStatus:
    chairs, chosen, missing = co_chairs(session, round_)
    signed: dict[int, Approval] = {}
    if round_.content_hash is not None:
        for approval in session.scalars(
            select(Approval)
            .where(Approval.round_id == round_.id, Approval.content_hash == round_.content_hash)
            .order_by(Approval.id)
        ):
            signed.setdefault(approval.user_id, approval)
    signatures = [
        Signature(
            chair,
            signed[chair.user_id].created_at if chair.user_id in signed else None,
            signed[chair.user_id].reference if chair.user_id in signed else None,
        )
        for chair in chairs
    ]
    entries = snapshot.load(session, round_.id)
    check = HashCheck(round_.content_hash, snapshot.content_hash(round_, entries))
    # The changes since the last approved text; when none was approved yet, since the last
    # text issued to the delegations.
    previous, compared = last_approved_before(session, round_), "approved"
    if previous is None:
        previous, compared = last_issued_before(session, round_), "issued"
    # A round in preparation has no frozen text to compare yet.
    changes = (
        changes_since.since(session, previous, round_, entries)
        if previous is not None and round_.state is not RoundState.PREPARING
        else []
    )
    return ApprovalStatus(
        round_, chosen, missing, signatures, previous, changes, check, entries, compared
    )


# --- Changing it ------------------------------------------------------------------------------


def _refusal(round_: Round, now: datetime) -> str | None:
    """Why the round cannot be approved now, or None."""
    if round_.state is not RoundState.SETTLED:
        return (
            f"round {round_.symbol} is {round_.state.label}; only a settled round can be approved"
        )
    if round_.silence_until is not None and now < round_.silence_until:
        return (
            f"round {round_.symbol} is under a silence procedure until "
            f"{round_.silence_until:%d %B %Y %H:%M} UTC; it can be approved after that"
        )
    if round_.content_hash is None:
        return f"round {round_.symbol} has no frozen text to approve"
    return None


def _locked(session: Session, actor: Actor, ref: str | int, now: datetime) -> Round:
    """The round after any passed deadline is applied (a silence may have adopted it), its row
    locked until commit on PostgreSQL, so that two co-chairs approving at the same moment see
    each other's approval (SQLite serialises writers anyway)."""
    tick(session, now, request_id=actor.request_id)
    return get_round(session, ref, lock=True)


def approve(
    session: Session,
    actor: Actor,
    ref: str | int,
    *,
    content_hash: str,
    reference: str,
    now: datetime,
) -> ApprovalStatus:
    """A co-chair approves the text they saw, named by its hash. The last co-chair's approval of
    the same hash approves the round."""
    round_ = _locked(session, actor, ref, now)
    chairs, _, missing = co_chairs(session, round_)
    if actor.user_id not in {c.user_id for c in chairs}:
        raise PermissionDenied(f"you are not a co-chair listed for round {round_.symbol}")
    refusal = _refusal(round_, now)
    if refusal is not None:
        raise InvalidTransition(refusal)
    if missing:
        raise Conflict(
            f"no active {' or '.join(missing)} chair can co-chair {round_.symbol}; "
            "the secretariat must name the round's co-chairs first"
        )
    if content_hash.strip().lower() != round_.content_hash:
        raise PreconditionFailed(
            f"the text of {round_.symbol} changed since the page was opened: you saw "
            f"{content_hash.strip()[:12]}..., it is now {round_.content_hash}; "
            "review the changes and approve again",
            field="content_hash",
            current_hash=round_.content_hash,
        )
    reference = reference.strip()
    if not reference:
        raise InvalidInput("give the meeting or decision reference", field="reference")
    if not check_hash(session, round_).matches:
        raise Conflict(
            f"the snapshot of {round_.symbol} in the database no longer matches its hash; "
            "it cannot be approved until the secretariat has looked into it"
        )
    already = session.scalar(
        select(Approval.created_at).where(
            Approval.round_id == round_.id,
            Approval.user_id == actor.user_id,
            Approval.content_hash == round_.content_hash,
        )
    )
    if already is not None:
        raise Conflict(
            f"you already approved this text of {round_.symbol} on {already:%d %B %Y %H:%M} UTC"
        )
    session.add(
        Approval(
            round_id=round_.id,
            user_id=actor.user_id,
            content_hash=round_.content_hash,
            reference=reference,
            created_at=now,
        )
    )
    session.flush()
    record(
        session,
        actor,
        action="round.approval",
        object_type="round",
        object_id=round_.symbol,
        details={"content_hash": round_.content_hash, "reference": reference},
        at=now,
    )
    result = _status(session, round_)
    if not result.pending:
        round_.approve(now=now)
        record(
            session,
            actor,
            action="round.approve",
            object_type="round",
            object_id=round_.symbol,
            details={
                "content_hash": round_.content_hash,
                "co_chairs": [s.co_chair.email for s in result.signatures],
                # The trail's head as the round was approved: a cut or rewritten trail no
                # longer has it (kept with the approval, in the log and the anchor file too).
                "audit_head": audit_head(session),
            },
            at=now,
        )
        notify(
            session, group(session), messages.round_approved(round_), now=now, skip=actor.user_id
        )
        result = _status(session, round_)
    return result


def set_co_chairs(
    session: Session, actor: Actor, ref: str | int, *, emails: Sequence[str], now: datetime
) -> ApprovalStatus:
    """The secretariat names the round's co-chairs; an empty list goes back to the default."""
    round_ = _locked(session, actor, ref, now)
    round_.check_changeable()
    wanted = list(dict.fromkeys(normalise_email(e) for e in emails if e.strip()))
    users = (
        {u.email: u for u in session.scalars(select(User).where(User.email.in_(wanted)))}
        if wanted
        else {}
    )
    for email in wanted:
        user = users.get(email)
        if user is None or user.role is not Role.CHAIR or not user.is_active:
            raise InvalidInput(f"{email} is not an active chair", field="emails")
    if round_.content_hash is not None:
        signed = session.scalar(
            select(User.email)
            .join(Approval, Approval.user_id == User.id)
            .where(Approval.round_id == round_.id, Approval.content_hash == round_.content_hash)
            .limit(1)
        )
        if signed is not None:
            raise Conflict(
                f"{signed} has already approved this text of {round_.symbol}; "
                "its co-chairs can no longer change"
            )
    listed, _, missing = co_chairs(session, round_)
    # Those already asked to approve this text: the co-chairs listed when it was settled, if
    # they were all there.
    asked = set() if missing else {c.user_id for c in listed}
    session.execute(delete(RoundChair).where(RoundChair.round_id == round_.id))
    for email in wanted:
        session.add(RoundChair(round_id=round_.id, user_id=users[email].id))
    session.flush()
    record(
        session,
        actor,
        action="round.co_chairs",
        object_type="round",
        object_id=round_.symbol,
        details={"co_chairs": wanted},
        at=now,
    )
    result = _status(session, round_)
    if _refusal(round_, now) is None:
        ask_co_chairs(session, actor, round_, now=now, already=asked)
    return result


def ask_co_chairs(
    session: Session,
    actor: Actor,
    round_: Round,
    *,
    now: datetime,
    already: set[int] | frozenset[int] = frozenset(),
) -> None:
    """A settled text awaits approval: its co-chairs (but those in `already`) are asked to
    approve it; or, while a default body has no chair to co-chair for it, the secretariat is
    asked to name the co-chairs, since nobody can approve it before that."""
    chairs, _, missing = co_chairs(session, round_)
    if missing:
        notify(
            session,
            secretariat(session),
            messages.co_chairs_needed(round_, missing),
            now=now,
            skip=actor.user_id,
        )
        return
    notify(
        session,
        [c.user_id for c in chairs if c.user_id not in already],
        messages.awaiting_approval(round_),
        now=now,
        skip=actor.user_id,
    )
