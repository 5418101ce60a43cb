"""A large synthetic working set, for the benchmarks (bench/generate.py) and the test that a
page's SQL statements do not grow with the data (tests/test_sql_counts.py).

At N indicators: N indicators over 6 dimensions, 6 prose sections, 10 revisions per item,
4N proposals (several per indicator, from several delegations; drafts, submitted, under
consideration and decided), positions on most of them and on every tenth indicator (with history),
10N comments (three quarters threads anchored to words of the current text or on a proposal,
a quarter replies), 60 people in 30 delegations, and an issued round with its frozen snapshot,
open for input until a month from now. Everyone's password is PASSWORD below.

The group's set-up goes through the services, so it is what real use writes, audit trail
included. The bulk goes in with multi-row INSERTs of the same rows the services would write:
that is what makes 500 indicators take seconds instead of minutes. Those bulk rows have no audit
events.
"""

import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.accounts.passwords import hash_password
from app.accounts.service import add_user
from app.audit.service import Actor
from app.groups.service import (
    add_body,
    add_delegation,
    add_dimension,
    add_member_state,
)
from app.models import (
    Comment,
    CommentKind,
    Dimension,
    Element,
    Item,
    ItemKind,
    ItemStatus,
    MemberState,
    Notification,
    Position,
    Proposal,
    ProposalKind,
    ProposalState,
    ProposalTarget,
    Revision,
    Role,
    RoundKind,
    Sponsorship,
    Stance,
    Strength,
    User,
    Visibility,
)
from app.rounds.service import create_round, issue_round
from app.search import index as search_index
from app.text.anchor import make_anchor

PASSWORD = "bench-password-2026"  # noqa: S105 (a synthetic working set)
SECRETARIAT = "secretariat1@bench.zerodraft.test"
MEMBER = "member1@bench.zerodraft.test"
ROUND = "DWG-FC/BENCH/Rev.1"
REVISIONS = 10
PEOPLE = 60
WORDS = (  # noqa: SIM905
    "passport phone confiscated operators compound guarded recruitment deceptive debt bondage "
    "online fraud scam quota punishment threat violence movement restricted wages withheld "
    "transfer sold recruiter visa travel costs social media job offer abroad forced criminal "
    "acts victim presumed identification interview police prosecutor labour inspector child "
    "adult document contract language isolation surveillance"
).split()
SCRIPTS = ["ถูกยึด", "ជំពាក់", "ຖືກບັງຄັບ", "အကြွေး", "bị ép trả nợ"]
STATES = [
    ("BN", "Brunei Darussalam"),
    ("KH", "Cambodia"),
    ("ID", "Indonesia"),
    ("LA", "Lao PDR"),
    ("MY", "Malaysia"),
    ("MM", "Myanmar"),
    ("PH", "Philippines"),
    ("SG", "Singapore"),
    ("TH", "Thailand"),
    ("VN", "Viet Nam"),
]
BODIES = [
    ("SOMTC", "Senior Officials Meeting on Transnational Crime"),
    ("AICHR", "ASEAN Intergovernmental Commission on Human Rights"),
    ("ACWC", "ASEAN Commission on the Rights of Women and Children"),
]
DIMENSIONS = [
    ("DR", "Deceptive recruitment"),
    ("TR", "Transfer and transport"),
    ("CD", "Control at destination"),
    ("CA", "Compelled criminal acts"),
    ("EX", "Exploitation and profit"),
    ("VU", "Vulnerability and identification"),
]
# How submitted proposals end up, in proportion.
STATES_MIX = (
    [ProposalState.SUBMITTED] * 10
    + [ProposalState.UNDER_CONSIDERATION] * 3
    + [ProposalState.NOT_RETAINED] * 2
    + [ProposalState.WITHDRAWN]
    + [ProposalState.DRAFT] * 2
)
STANCES = list(Stance)


def sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    if rng.random() < 0.2:
        words.insert(rng.randrange(len(words)), rng.choice(SCRIPTS))
    return " ".join(words).capitalize() + "."


def edit(rng: random.Random, text: str) -> str:
    words = text.rstrip(".").split(" ")
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(words))
        choice = rng.random()
        if choice < 0.4:
            words[at] = rng.choice(WORDS)
        elif choice < 0.7:
            words.insert(at, rng.choice(WORDS))
        elif len(words) > 4:
            del words[at]
    return " ".join(words) + "."


@dataclass
class Group:
    delegations: list[tuple[int, str]]  # (id, code)
    members: dict[int, list[int]]  # delegation id -> user ids
    secretariat: list[int]
    dimensions: list[int]


def _chunks(rows: list[dict[str, Any]], size: int = 2000) -> Any:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _insert(session: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Multi-row INSERT of mapped rows; the new ids in the order of the rows."""
    ids: list[int] = []
    for chunk in _chunks(rows):
        if hasattr(model, "id"):
            ids += session.scalars(
                insert(model).returning(model.id, sort_by_parameter_order=True), chunk
            ).all()
        else:
            session.execute(insert(model), chunk)
    return ids


def set_up_group(session: Session, now: datetime) -> Group:
    system = Actor.system(request_id="bench")
    present = set(session.scalars(select(MemberState.code)))  # reference data (0007)
    for code, name in STATES:
        if code not in present:
            add_member_state(session, system, code=code, name=name, now=now)
    for code, name in BODIES:
        add_body(session, system, code=code, name=name, now=now)
    delegations = []
    for state, _ in STATES:
        for body, _ in BODIES:
            d = add_delegation(session, system, state_code=state, body_code=body, now=now)
            delegations.append((d.id, d.code))
    for position, (code, title) in enumerate(DIMENSIONS, start=1):
        add_dimension(
            session,
            system,
            code=code,
            prefix=f"FC-{code}",
            title=title,
            description=f"Indicators of {title.lower()}.",
            position=position,
            now=now,
        )
    password_hash = hash_password(PASSWORD)
    roles = [
        (Role.SECRETARIAT, "secretariat", 3),
        (Role.CHAIR, "chair", 2),
        (Role.OBSERVER, "observer", 2),
        (Role.ADMIN, "admin", 1),
    ]
    people: list[tuple[Role, str, tuple[str, ...]]] = []
    for role, stem, count in roles:
        people += [(role, f"{stem}{n}", ()) for n in range(1, count + 1)]
    n_members = PEOPLE - len(people)
    for n in range(1, n_members + 1):
        first = delegations[(n - 1) % len(delegations)][1]
        # Every fourth member speaks for a second delegation of the same state.
        extra: tuple[str, ...] = ()
        if n % 4 == 0:
            extra = (delegations[((n - 1) // 3) * 3 % len(delegations) + 1][1],)
        codes = tuple(dict.fromkeys((first, *extra)))
        people.append((Role.MEMBER, f"member{n}", codes))
    for role, stem, codes in people:
        user = add_user(
            session,
            system,
            email=f"{stem}@bench.zerodraft.test",
            name=re.sub(r"(\D+)(\d+)", lambda m: f"{m[1].capitalize()} {m[2]}", stem),
            role=role,
            password=None,
            delegation_codes=codes,
            now=now,
        )
        user.password_hash = password_hash
    session.flush()
    by_code = {code: d_id for d_id, code in delegations}
    members: dict[int, list[int]] = {d_id: [] for d_id, _ in delegations}
    secretariat = []
    for role, stem, codes in people:
        email = f"{stem}@bench.zerodraft.test"
        user_id = session.scalar(select(User.id).where(User.email == email))
        assert user_id is not None
        if role is Role.SECRETARIAT:
            secretariat.append(user_id)
        for code in codes:
            members[by_code[code]].append(user_id)
    dims = list(session.scalars(select(Dimension.id).order_by(Dimension.position)))
    return Group(delegations, members, secretariat, dims)


def indicator_content(rng: random.Random, dimension_id: int) -> dict[str, Any]:
    return {
        "title": None,
        "text": sentence(rng, 28),
        "dimension_id": dimension_id,
        "element": rng.choice(list(Element)),
        "strength_adult": rng.choice(list(Strength)),
        "strength_child": rng.choice([None, *Strength]),
        "profiles": sorted(rng.sample(["adult", "child"], rng.randint(1, 2))),
        "crime_types": sorted(rng.sample(["online_fraud", "drug_trafficking", "theft"], 2)),
        "intended_users": sorted(rng.sample(["police", "prosecutor", "social_worker"], 2)),
        "guidance": sentence(rng, 60),
        "information_sources": sentence(rng, 10),
        "references": sentence(rng, 12),
        "rationale": sentence(rng, 15),
        "status": ItemStatus.ACTIVE,
    }


def section_content(rng: random.Random, n: int) -> dict[str, Any]:
    return {
        "title": f"Section {n} {rng.choice(WORDS)}",
        "text": "\n".join(sentence(rng, 40) for _ in range(3)),
        "dimension_id": None,
        "element": None,
        "strength_adult": None,
        "strength_child": None,
        "profiles": [],
        "crime_types": [],
        "intended_users": [],
        "guidance": "",
        "information_sources": "",
        "references": "",
        "rationale": "",
        "status": ItemStatus.ACTIVE,
    }


def build_register(
    session: Session, rng: random.Random, group: Group, n: int, start: datetime
) -> list[tuple[int, str, str]]:
    """Items with REVISIONS revisions each; returns (item id, code, current text) of indicators."""
    per_dim = max(1, -(-n // len(group.dimensions)))
    items: list[dict[str, Any]] = []
    contents: list[dict[str, Any]] = []
    for s in range(1, 7):
        items.append(
            {
                "kind": ItemKind.SECTION,
                "code": f"SEC-BENCH{s}",
                "position": s * 10,
                "version": REVISIONS,
                "created_at": start,
            }
        )
        contents.append(section_content(rng, s))
    for i in range(n):
        dim_index = i // per_dim
        code = f"FC-{DIMENSIONS[dim_index][0]}-{i % per_dim + 1:03d}"
        items.append(
            {
                "kind": ItemKind.INDICATOR,
                "code": code,
                "position": (i + 1) * 10,
                "version": REVISIONS,
                "created_at": start,
                # A few items already marked by the secretariat.
                "drafting_state": rng.choice(["open"] * 6 + ["bracketed", "agreed_ad_ref"]),
            }
        )
        contents.append(indicator_content(rng, group.dimensions[dim_index]))
    ids = _insert(session, Item, items)
    revisions: list[dict[str, Any]] = []
    out = []
    for item_id, item, content in zip(ids, items, contents, strict=True):
        for number in range(1, REVISIONS + 1):
            if number > 1:
                content = content | {"text": edit(rng, content["text"])}
                if number % 3 == 0 and content["guidance"]:
                    content["guidance"] = edit(rng, content["guidance"])
            d_id = rng.choice(group.delegations)[0] if number > 1 and number % 2 else None
            revisions.append(
                {
                    "item_id": item_id,
                    "number": number,
                    "author_id": group.secretariat[number % len(group.secretariat)],
                    "delegation_id": d_id,
                    "reason": "Zero Draft text" if number == 1 else f"Revised after round {number}",
                    "created_at": start + timedelta(days=number, minutes=item_id),
                    **content,
                }
            )
        if item["kind"] is ItemKind.INDICATOR:
            out.append((item_id, item["code"], content["text"]))
    _insert(session, Revision, revisions)
    return out


def build_workflow(
    session: Session,
    rng: random.Random,
    group: Group,
    indicators: list[tuple[int, str, str]],
    round_id: int,
    n: int,
    now: datetime,
) -> dict[str, int]:
    n_proposals, n_comments = 4 * n, 10 * n
    at = now - timedelta(days=5)
    proposals: list[dict[str, Any]] = []
    targets: list[tuple[int, int]] = []  # (item id, base revision)
    texts: list[str] = []
    for k in range(n_proposals):
        item_id, _code, text = indicators[k % len(indicators)]
        d_id, _ = rng.choice(group.delegations)
        author = rng.choice(group.members[d_id])
        state = rng.choice(STATES_MIX)
        created = at + timedelta(seconds=k * 7)
        submitted = None if state is ProposalState.DRAFT else created + timedelta(minutes=5)
        decided = state in (ProposalState.NOT_RETAINED,)
        proposed = edit(rng, text)
        texts.append(proposed)
        proposals.append(
            {
                "round_id": round_id,
                "kind": ProposalKind.AMEND,
                "state": state,
                "delegation_id": d_id,
                "author_id": author,
                "item_kind": ItemKind.INDICATOR.value,
                "dimension_code": None,
                "content": {"text": proposed},
                "rationale": sentence(rng, 15),
                "late": False,
                "created_at": created,
                "submitted_at": submitted,
                "decided_at": created + timedelta(hours=1) if decided else None,
                "decided_by_id": group.secretariat[0] if decided else None,
                "decision_reason": "Overlaps an existing indicator" if decided else "",
                "override_reason": "",
                "answer": "Noted" if decided else "",
                "version": 1,
            }
        )
        # One in ten was written against an older revision: outdated, needs a rebase.
        targets.append((item_id, REVISIONS - 1 if k % 10 == 9 else REVISIONS))
    proposal_ids = _insert(session, Proposal, proposals)
    _insert(
        session,
        ProposalTarget,
        [
            {"proposal_id": pid, "item_id": item_id, "position": 0, "base_revision": base}
            for pid, (item_id, base) in zip(proposal_ids, targets, strict=True)
        ],
    )
    sponsorships, positions = [], []
    submitted_ids = []
    for pid, p, (target_id, _) in zip(proposal_ids, proposals, targets, strict=True):
        if p["submitted_at"] is None:
            continue
        submitted_ids.append(pid)
        others = [d for d, _ in group.delegations if d != p["delegation_id"]]
        for d_id in rng.sample(others, rng.randint(0, 2)):
            sponsorships.append(
                {
                    "proposal_id": pid,
                    "delegation_id": d_id,
                    "user_id": group.members[d_id][0],
                    "created_at": p["submitted_at"] + timedelta(minutes=10),
                }
            )
        for d_id in rng.sample(others, rng.randint(0, 6)):
            when = p["submitted_at"] + timedelta(minutes=30)
            if rng.random() < 0.2:  # a changed position: the old row is kept, superseded
                positions.append(
                    _position(
                        rng, group, d_id, when, proposal_id=pid, item_id=target_id, superseded=when
                    )
                )
                when += timedelta(minutes=1)
            # A position on a proposal is on the text it would make of its item.
            positions.append(_position(rng, group, d_id, when, proposal_id=pid, item_id=target_id))
    for item_id, _, _ in indicators[::10]:
        for d_id, _ in rng.sample(group.delegations, 8):
            positions.append(_position(rng, group, d_id, at, item_id=item_id))
    _insert(session, Sponsorship, sponsorships)
    _insert(session, Position, positions)

    # Threads, and a reply on every third one: 3/4 + 1/4 of the comments.
    n_threads = n_comments - n_comments // 4
    threads: list[dict[str, Any]] = []
    for k in range(n_threads):
        d_id, _ = rng.choice(group.delegations)
        author = rng.choice(group.members[d_id])
        created = at + timedelta(seconds=k * 11)
        row: dict[str, Any] = {
            "round_id": round_id,
            "item_id": None,
            "proposal_id": None,
            "parent_id": None,
            "author_id": author,
            "delegation_id": d_id,
            "kind": rng.choice(list(CommentKind)),
            "visibility": rng.choice([Visibility.GROUP] * 8 + [Visibility.DELEGATION]),
            "body": sentence(rng, 20),
            "late": False,
            "answer": "",
            "created_at": created,
            "version": 1,
        }
        if k % 4 == 3 and submitted_ids:
            row["proposal_id"] = submitted_ids[k % len(submitted_ids)]
        else:
            item_id, _, text = indicators[k % len(indicators)]
            words = text.split(" ")
            w = rng.randrange(len(words) - 2)
            begin = len(" ".join(words[:w])) + (1 if w else 0)
            anchor = make_anchor(text, begin, begin + len(" ".join(words[w : w + 2])))
            row |= {
                "item_id": item_id,
                "field": "text",
                "revision": REVISIONS,
                "anchor_revision": REVISIONS,
                "quote": anchor.quote,
                "prefix": anchor.prefix,
                "suffix": anchor.suffix,
                "anchor_start": anchor.start,
                "anchor_end": anchor.end,
            }
        threads.append(row)
    thread_ids = _insert(session, Comment, threads)
    replies = []
    for index in list(range(0, n_threads, 3))[: n_comments - n_threads]:
        parent = threads[index]
        d_id, _ = rng.choice(group.delegations)
        replies.append(
            parent
            | {
                "parent_id": thread_ids[index],
                "author_id": rng.choice(group.members[d_id]),
                "delegation_id": d_id,
                "body": sentence(rng, 12),
                "field": None,
                "revision": None,
                "anchor_revision": None,
                "quote": None,
                "prefix": None,
                "suffix": None,
                "anchor_start": None,
                "anchor_end": None,
                "created_at": parent["created_at"] + timedelta(hours=2),
            }
        )
    _insert(session, Comment, replies)
    notifications = [
        {
            "user_id": user_id,
            "kind": "proposal.new",
            "message": f"New proposal P-{pid} on an item your delegation has proposed on",
            "link": f"/proposals/{pid}",
            "created_at": now - timedelta(hours=j),
            "read_at": None if j % 2 else now,
        }
        for user_ids in group.members.values()
        for user_id in user_ids
        for j, pid in enumerate(proposal_ids[:20])
    ]
    _insert(session, Notification, notifications)
    return {
        "proposals": len(proposal_ids),
        "sponsorships": len(sponsorships),
        "positions": len(positions),
        "comments": len(threads) + len(replies),
        "notifications": len(notifications),
    }


def _position(
    rng: random.Random,
    group: Group,
    d_id: int,
    when: datetime,
    *,
    proposal_id: int | None = None,
    item_id: int | None = None,
    superseded: datetime | None = None,
) -> dict[str, Any]:
    return {
        "proposal_id": proposal_id,
        "item_id": item_id,
        "delegation_id": d_id,
        "user_id": group.members[d_id][0],
        "stance": rng.choice(STANCES),
        "statement": sentence(rng, 8) if rng.random() < 0.3 else "",
        "created_at": when,
        "superseded_at": superseded,
    }


def populate(
    session: Session, indicators: int, *, now: datetime, seed: int = 2026
) -> dict[str, int]:
    """Build the working set in an empty database, in the caller's transaction."""
    if session.scalar(select(User.id).limit(1)) is not None:
        raise SystemExit("the database is not empty; give a new one")
    rng = random.Random(seed)
    group = set_up_group(session, now - timedelta(days=60))
    items = build_register(session, rng, group, indicators, now - timedelta(days=60))
    system = Actor.system(request_id="bench")
    round_ = create_round(
        session,
        system,
        symbol=ROUND,
        title="Zero Draft ASEAN Indicators: forced criminality",
        kind=RoundKind.WRITTEN,
        time_zone="Asia/Jakarta",
        deadline=now + timedelta(days=30),
        opens_at=None,
        instructions="Send proposals and comments to the secretariat by the deadline.",
        observers_may_comment=False,
        now=now - timedelta(days=6),
    )
    issue_round(session, system, round_.id, now=now - timedelta(days=6))
    made = build_workflow(session, rng, group, items, round_.id, indicators, now)
    # The bulk rows went in without the ORM, whose flushes keep the search index: write it whole.
    search_index.rebuild(session)
    return {
        "indicators": len(items),
        "revisions": (len(items) + 6) * REVISIONS,
        "people": PEOPLE,
        "delegations": len(group.delegations),
        **made,
    }
