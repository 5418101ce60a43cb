"""Screening rules stored and versioned (issue 21): the secretariat drafts a combination rule
(its JSON, app/screening/rule.py), edits it while it is a draft, and freezes it with a round; a
frozen rule never changes (409). A round without a frozen rule is screened under the 2009 rule
(rule.ILO_2009, in code: nothing to store until someone drafts or freezes). Every change writes an
audit event in the same transaction."""

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import Actor, record
from app.errors import Conflict, InvalidInput, NotFound, PreconditionFailed
from app.models import Round, ScreeningRule
from app.rounds import service as rounds
from app.screening import rule as r

DRAFT = "draft"
FROZEN = "frozen"


def parse(body: object) -> r.CombinationRule:
    """The rule a body gives (an object or its JSON text); 422 naming the field otherwise."""
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"rule: not JSON ({exc.msg})", field="rule") from None
    try:
        return r.CombinationRule.from_json(body)
    except ValueError as exc:
        message = str(exc)
        where = message.split(":", 1)[0].strip() if ":" in message else "rule"
        raise InvalidInput(message, field=where or "rule") from None


def as_rule(row: ScreeningRule) -> r.CombinationRule:
    return r.CombinationRule.from_json(row.body)


def listing(session: Session) -> list[ScreeningRule]:
    return list(session.scalars(select(ScreeningRule).order_by(ScreeningRule.id)))


def get(session: Session, rule_id: int, *, lock: bool = False) -> ScreeningRule:
    """The rule; with `lock`, its row locked and read afresh, so that an edit and a freeze at
    the same moment wait for each other (a draft edited after a freeze had read it changed a
    frozen rule)."""
    query = select(ScreeningRule).where(ScreeningRule.id == rule_id)
    if lock:
        query = query.with_for_update(key_share=True).execution_options(populate_existing=True)
    found = session.scalar(query)
    if found is None:
        raise NotFound(f"no screening rule {rule_id}", field="rule")
    return found


def _unique(session: Session, rule: r.CombinationRule, rule_id: int | None) -> None:
    other = session.scalar(
        select(ScreeningRule.id).where(
            ScreeningRule.name == rule.name, ScreeningRule.version == rule.version
        )
    )
    if other is not None and other != rule_id:
        raise Conflict(
            f"a rule named {rule.name!r} at version {rule.version} exists (R-{other}): give "
            "the draft another name or version",
            field="version",
        )


def create(session: Session, actor: Actor, *, body: object, now: datetime) -> ScreeningRule:
    rule = parse(body)
    _unique(session, rule, None)
    row = ScreeningRule(
        name=rule.name,
        version=rule.version,
        body=rule.to_json(),
        state=DRAFT,
        created_by_id=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor,
        action="screening_rule.create",
        object_type="screening_rule",
        object_id=row.id,
        details={"name": rule.name, "version": rule.version},
        at=now,
    )
    return row


def tag(row: ScreeningRule) -> str:
    """What the stored rule is now, in 16 hex digits: an edit form carries the tag it was read
    at, and an edit of a rule changed since is refused (412) rather than written over it."""
    canonical = json.dumps(
        [row.name, row.version, row.state, row.body], sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def update(
    session: Session,
    actor: Actor,
    rule_id: int,
    *,
    body: object,
    now: datetime,
    expected: str | None = None,
) -> ScreeningRule:
    row = get(session, rule_id, lock=True)
    if row.state == FROZEN:
        raise Conflict(
            f"{row.reference} is frozen with a round and cannot change: draft a new version",
            field="state",
        )
    if expected is not None and expected != tag(row):
        raise PreconditionFailed(
            f"{row.reference} changed since you opened it (now {row.name}, version "
            f"{row.version}, {row.state}): compare, then save your text again",
            field="rule",
        )
    rule = parse(body)
    _unique(session, rule, row.id)
    row.name, row.version, row.body, row.updated_at = rule.name, rule.version, rule.to_json(), now
    record(
        session,
        actor,
        action="screening_rule.update",
        object_type="screening_rule",
        object_id=row.id,
        details={"name": rule.name, "version": rule.version},
        at=now,
    )
    return row


def freeze(
    session: Session, actor: Actor, rule_id: int, *, round_ref: str, now: datetime
) -> ScreeningRule:
    row = get(session, rule_id, lock=True)
    round_ = rounds.get_round(session, round_ref)
    if row.state == FROZEN:
        raise Conflict(f"{row.reference} is frozen already", field="state")
    taken = session.scalar(select(ScreeningRule).where(ScreeningRule.round_id == round_.id))
    if taken is not None:
        raise Conflict(
            f"{round_.symbol} has its rule already ({taken.reference}, {taken.name})",
            field="round",
        )
    row.state, row.round_id, row.frozen_at, row.updated_at = FROZEN, round_.id, now, now
    record(
        session,
        actor,
        action="screening_rule.freeze",
        object_type="screening_rule",
        object_id=row.id,
        details={"round": round_.symbol, "name": row.name, "version": row.version},
        at=now,
    )
    return row


def for_round(session: Session, round_: Round) -> r.CombinationRule:
    """The rule frozen with the round, else the 2009 rule."""
    row = session.scalar(select(ScreeningRule).where(ScreeningRule.round_id == round_.id))
    return as_rule(row) if row is not None else r.ILO_2009


def out(row: ScreeningRule, round_symbol: str | None) -> dict[str, Any]:
    return {
        "id": row.id,
        "reference": row.reference,
        "name": row.name,
        "version": row.version,
        "state": row.state,
        "round": round_symbol,
        "rule": row.body,
        "text": as_rule(row).describe(),
    }


def round_symbols(session: Session, rows: list[ScreeningRule]) -> dict[int, str]:
    ids = {x.round_id for x in rows if x.round_id is not None}
    if not ids:
        return {}
    return dict(session.execute(select(Round.id, Round.symbol).where(Round.id.in_(ids))).all())
