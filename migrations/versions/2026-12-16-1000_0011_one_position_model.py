"""one position model: every position is about an item's text (issue 16)

A position is on an item's text as it stands (proposal_id NULL) or on the text a proposal would
make (proposal_id set); item_id names the item in both cases, NULL only on a proposal of a new
item not yet agreed. Existing rows are brought to that model:

1. A position on a proposal gets the proposal's first target as its item.
2. The standing positions on an agreed proposal are carried to the item's text as it stands, as
   the application now does when it agrees one (the position on the proposal stays, the record
   of the decision), unless the delegation spoke to the text as it stands after the decision;
   the proposing and co-sponsoring delegations without a position on it support it.
3. "reservation" is a position, not a kind of comment: such comments become substantive
   comments (nothing of them is lost) and, where one was shown to the whole group on behalf of
   a delegation that holds no standing position on the same text, the delegation's latest one
   becomes a reservation position with the comment as its statement. A comment seen only by its
   delegation or by the chairs does not become a position, which the whole group sees.
4. The comment kind's CHECK constraint no longer allows "reservation".

Downgrade allows the kind again and takes the item off positions on proposals (the old readers
took any position with an item as one on the item); the comments stay substantive and carried
or new positions stay, as positions on items.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-16 10:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
# Covered rows this migration rewrites: `zerodraft db upgrade` records an audit event for them
# (app/audit/upgrade.py), so that `zerodraft audit verify` does not name them as edited outside.
rewrites = ("positions", "comments")

# Self-contained: imports nothing from the application.
UTC_DATETIME = sa.DateTime(timezone=True)
AGREED = ("agreed", "agreed_modified")
OPEN = ("draft", "submitted", "under_consideration")
OLD_KINDS = ("general", "substantive", "editorial", "reservation")
NEW_KINDS = ("general", "substantive", "editorial")

positions = sa.table(
    "positions",
    sa.column("id", sa.Integer),
    sa.column("proposal_id", sa.Integer),
    sa.column("item_id", sa.Integer),
    sa.column("delegation_id", sa.Integer),
    sa.column("user_id", sa.Integer),
    sa.column("stance", sa.String),
    sa.column("statement", sa.Text),
    sa.column("created_at", UTC_DATETIME),
    sa.column("superseded_at", UTC_DATETIME),
)
targets = sa.table(
    "proposal_targets",
    sa.column("proposal_id", sa.Integer),
    sa.column("item_id", sa.Integer),
    sa.column("position", sa.Integer),
)
proposals = sa.table(
    "proposals",
    sa.column("id", sa.Integer),
    sa.column("state", sa.String),
    sa.column("delegation_id", sa.Integer),
    sa.column("author_id", sa.Integer),
    sa.column("decided_at", UTC_DATETIME),
)
sponsorships = sa.table(
    "sponsorships",
    sa.column("id", sa.Integer),
    sa.column("proposal_id", sa.Integer),
    sa.column("delegation_id", sa.Integer),
    sa.column("user_id", sa.Integer),
)
revisions = sa.table(
    "revisions",
    sa.column("id", sa.Integer),
    sa.column("item_id", sa.Integer),
    sa.column("proposal_id", sa.Integer),
)
comments = sa.table(
    "comments",
    sa.column("id", sa.Integer),
    sa.column("item_id", sa.Integer),
    sa.column("proposal_id", sa.Integer),
    sa.column("author_id", sa.Integer),
    sa.column("delegation_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("visibility", sa.String),
    sa.column("body", sa.Text),
    sa.column("quote", sa.Text),
    sa.column("withdrawn_at", UTC_DATETIME),
    sa.column("created_at", UTC_DATETIME),
)


def _first_targets(conn: sa.Connection) -> dict[int, int]:
    """Each proposal's first target (the item whose text it changes)."""
    first: dict[int, int] = {}
    rows = conn.execute(
        sa.select(targets.c.proposal_id, targets.c.item_id).order_by(
            targets.c.proposal_id, targets.c.position, targets.c.item_id
        )
    )
    for proposal_id, item_id in rows:
        first.setdefault(proposal_id, item_id)
    return first


def _standing(conn: sa.Connection, item_id: int, proposal_id: int | None) -> dict[int, Any]:
    """Standing positions on one text, by delegation: (id, created_at)."""
    same = (
        positions.c.proposal_id.is_(None)
        if proposal_id is None
        else positions.c.proposal_id == proposal_id
    )
    where = [positions.c.superseded_at.is_(None), same]
    if proposal_id is None:
        where.append(positions.c.item_id == item_id)
    return {
        d: (i, at)
        for i, d, at in conn.execute(
            sa.select(positions.c.id, positions.c.delegation_id, positions.c.created_at).where(
                *where
            )
        )
    }


def _place_positions_on_items(conn: sa.Connection, first: dict[int, int]) -> None:
    rows = conn.execute(
        sa.select(positions.c.id, positions.c.proposal_id).where(
            positions.c.proposal_id.is_not(None), positions.c.item_id.is_(None)
        )
    ).all()
    # A proposal of a new item that was agreed: the item its agreement made.
    made = {
        p: i
        for i, p in conn.execute(
            sa.select(revisions.c.item_id, revisions.c.proposal_id)
            .where(revisions.c.proposal_id.is_not(None))
            .order_by(revisions.c.id.desc())
        )
    }
    for position_id, proposal_id in rows:
        item_id = first.get(proposal_id) or made.get(proposal_id)
        if item_id is not None:
            conn.execute(
                positions.update().where(positions.c.id == position_id).values(item_id=item_id)
            )


def _carry_agreed(conn: sa.Connection, first: dict[int, int]) -> None:
    agreed = conn.execute(
        sa.select(
            proposals.c.id, proposals.c.decided_at, proposals.c.delegation_id, proposals.c.author_id
        )
        .where(proposals.c.state.in_(AGREED), proposals.c.decided_at.is_not(None))
        .order_by(proposals.c.decided_at, proposals.c.id)
    ).all()
    for proposal_id, decided_at, proposer, author in agreed:
        item_id = conn.scalar(
            sa.select(revisions.c.item_id)
            .where(revisions.c.proposal_id == proposal_id)
            .order_by(revisions.c.id)
            .limit(1)
        ) or first.get(proposal_id)
        if item_id is None:
            continue
        on_proposal = conn.execute(
            sa.select(
                positions.c.delegation_id,
                positions.c.user_id,
                positions.c.stance,
                positions.c.statement,
            )
            .where(positions.c.proposal_id == proposal_id, positions.c.superseded_at.is_(None))
            .order_by(positions.c.id)
        ).all()
        # The proposing and co-sponsoring delegations support the text they put forward, where
        # they took no position on it (as the application does).
        sponsors = [(proposer, author, f"Proposed P-{proposal_id}.")] + [
            (d, u, f"Co-sponsored P-{proposal_id}.")
            for d, u in conn.execute(
                sa.select(sponsorships.c.delegation_id, sponsorships.c.user_id)
                .where(sponsorships.c.proposal_id == proposal_id)
                .order_by(sponsorships.c.id)
            )
        ]
        spoke = {row[0] for row in on_proposal}
        carried = [tuple(row) for row in on_proposal]
        for d, u, statement in sponsors:
            if d not in spoke:
                spoke.add(d)
                carried.append((d, u, "support", statement))
        as_it_stands = _standing(conn, item_id, None)
        for delegation_id, user_id, stance, statement in carried:
            earlier = as_it_stands.get(delegation_id)
            if earlier is not None and earlier[1] > decided_at:
                continue  # the delegation spoke to the text as it stands after the decision
            if earlier is not None:
                conn.execute(
                    positions.update()
                    .where(positions.c.id == earlier[0])
                    .values(superseded_at=decided_at)
                )
            conn.execute(
                positions.insert().values(
                    proposal_id=None,
                    item_id=item_id,
                    delegation_id=delegation_id,
                    user_id=user_id,
                    stance=stance,
                    statement=statement or "",
                    created_at=decided_at,
                    superseded_at=None,
                )
            )


def _reservations_to_positions(conn: sa.Connection, first: dict[int, int]) -> None:
    open_proposals = set(conn.scalars(sa.select(proposals.c.id).where(proposals.c.state.in_(OPEN))))
    reserved = conn.execute(
        sa.select(
            comments.c.item_id,
            comments.c.proposal_id,
            comments.c.author_id,
            comments.c.delegation_id,
            comments.c.body,
            comments.c.quote,
            comments.c.created_at,
        )
        .where(
            comments.c.kind == "reservation",
            comments.c.visibility == "group",
            comments.c.delegation_id.is_not(None),
            comments.c.withdrawn_at.is_(None),
        )
        .order_by(comments.c.created_at.desc(), comments.c.id.desc())  # the latest first
    ).all()
    done: set[tuple[int, int | None, int]] = set()
    for item_id, proposal_id, author_id, delegation_id, body, quote, created_at in reserved:
        if proposal_id is not None:
            if proposal_id not in open_proposals:
                continue  # positions are on open proposals only
            item_id = first.get(proposal_id)
        elif item_id is None:
            continue  # on a round as a whole: no item's text to reserve on
        key = (item_id or 0, proposal_id, delegation_id)
        if key in done:
            continue
        done.add(key)
        if item_id is None and proposal_id is None:
            continue
        if delegation_id in _standing(conn, item_id or 0, proposal_id):
            continue  # the delegation's own position on that text stands
        statement = f"On \u201c{quote}\u201d: {body}" if quote else body
        conn.execute(
            positions.insert().values(
                proposal_id=proposal_id,
                item_id=item_id,
                delegation_id=delegation_id,
                user_id=author_id,
                stance="reservation",
                statement=statement,
                created_at=created_at,
                superseded_at=None,
            )
        )
    conn.execute(
        comments.update().where(comments.c.kind == "reservation").values(kind="substantive")
    )


def _kind(values: Sequence[str]) -> sa.Enum:
    return sa.Enum(*values, name="comment_kind", native_enum=False, create_constraint=True)


def upgrade() -> None:
    conn = op.get_bind()
    first = _first_targets(conn)
    _place_positions_on_items(conn, first)
    _carry_agreed(conn, first)
    _reservations_to_positions(conn, first)
    with op.batch_alter_table("comments") as batch:
        batch.alter_column(
            "kind",
            existing_type=_kind(OLD_KINDS),
            type_=_kind(NEW_KINDS),
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.alter_column(
            "kind",
            existing_type=_kind(NEW_KINDS),
            type_=_kind(OLD_KINDS),
            existing_nullable=False,
        )
    op.execute(positions.update().where(positions.c.proposal_id.is_not(None)).values(item_id=None))
