"""The demo's rating rounds (issue 20): the panel rates the indicators of DWG-FC/Rev.1 in a
two-round Delphi survey, both rounds closed; a third round over the one item still without consensus
is open, so anyone on the panel can try answering with the previous round in view.

The panel is every member of the demo's delegations (co-chairs included) and the observer: 14
people. Round 1: 13 answer; most indicators reach consensus on relevance under the default rule
(median 7-9, at least 70 % rate 7-9, under 15 % rate 1-3), three are contested (two camps) and go
to round 2, where most panellists move towards the group's median: two reach consensus, FC-CR-03
(irregular border crossing: common among ordinary migrants too) does not. Strength answers mostly
follow the text's strength; for FC-CD-04 and FC-EX-04 the panel's child strength differs from it,
and the secretariat turns the first into a proposal. Answers are drawn from a seeded random
generator, so every load gives the same ones, and given through app/rating/service.py like a
panellist's, dated between the end of the rounds' story and the case studies (app/demo/cases.py),
with the secretariat opening and closing.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.accounts.service import get_user_by_email, principal_for_user
from app.audit.service import Actor
from app.demo import content
from app.models.rating import RatingRound
from app.rating import service as rating
from app.rating.service import AnswerIn, ItemLine, Setup

ROUND = "DWG-FC/Rev.1"
SECRETARIAT = "secretariat1@demo.zerodraft.org"
OBSERVER = "observer@demo.zerodraft.org"
TITLE = "Strength of the forced-criminality indicators"
INSTRUCTIONS = (
    "Rate each indicator as it stands in DWG-FC/Rev.1: how relevant it is to identifying a "
    "victim of trafficking for forced criminality (1 not at all, 9 essential), how clear it is "
    "to an officer at a screening interview, and how strong an indicator it is for adults and "
    "for children. Comments and suggested wordings are shown to the panel without your name "
    "after the round closes."
)
SEED = 20
# Who does not answer: one person in round 1, two in round 2 (answer rates of 93 % and 86 %).
SILENT_1 = {"member.bn@demo.zerodraft.org"}
SILENT_2 = {"member.bn@demo.zerodraft.org", "member.tl@demo.zerodraft.org"}
# The three contested items of round 1 and the one of them that stays without consensus.
CONTESTED = ("FC-DR-04", "FC-CR-03", "FC-EX-05")
STAYS_CONTESTED = "FC-CR-03"
# Where the panel's strength for children differs from the text's.
CHILD_STRENGTH = {"FC-CD-04": "strong", "FC-EX-04": "weak"}
# A result the secretariat turns into a proposal: (item, profile, on behalf of delegation).
PROPOSED = ("FC-CD-04", "child", "PH-ACWC")
# Clear enough to most, not to all.
UNCLEAR = ("FC-NX-01", "FC-AV-03")

# Comments and suggested wordings (item: [(panellist, comment, wording)]), round by round.
COMMENTS_1: dict[str, list[tuple[str, str, str]]] = {
    "FC-DR-04": [
        (
            "member.th@demo.zerodraft.org",
            "Most of the people recruited by a friend in our cases were victims themselves; this "
            "indicator risks treating every recruiter as a trafficker.",
            "",
        ),
        (
            "member.la@demo.zerodraft.org",
            "Recruitment by people from the same village is how most of our returnees were "
            "reached. It matters.",
            "",
        ),
        (
            "member.sg@demo.zerodraft.org",
            "Relevant for identifying the person recruited, not for judging the recruiter; the "
            "guidance should say so.",
            "The person was recruited by a friend, relative or acquaintance who had been "
            "recruited earlier and was promised a reward for bringing others.",
        ),
    ],
    "FC-CR-03": [
        (
            "member.my@demo.zerodraft.org",
            "Many ordinary migrant workers cross irregularly. On its own this says little about "
            "trafficking.",
            "",
        ),
        (
            "member.mm@demo.zerodraft.org",
            "Almost every victim we received from the border compounds crossed by river with "
            "escorts. It is a key part of the pattern.",
            "",
        ),
        (
            OBSERVER,
            "Useful only together with escorts chosen by the recruiter; crossing alone is not an "
            "indicator.",
            "The person was moved across a border irregularly by escorts chosen by the recruiter, "
            "who kept control of the journey.",
        ),
    ],
    "FC-EX-05": [
        (
            "member.vn@demo.zerodraft.org",
            "Some people sell their accounts willingly for a small fee; the indicator should say "
            "'made to'.",
            "",
        ),
        (
            "member.ph@demo.zerodraft.org",
            "Accounts opened in the victim's name are now in nearly every scam-compound case we "
            "handle.",
            "",
        ),
    ],
    "FC-NX-01": [
        (
            "member.kh@demo.zerodraft.org",
            "'Direct consequence' will be hard for a front-line officer to judge.",
            "The offence was committed while the person was under the control of others and "
            "because of the tasks they were forced to do.",
        ),
    ],
    "FC-CD-04": [
        (
            "chair.aichr@demo.zerodraft.org",
            "For a child, being cut off from family is itself a strong sign.",
            "",
        ),
    ],
    "FC-EX-04": [
        (
            "member.th.aichr@demo.zerodraft.org",
            "Children are rarely promised a wage, so its absence says little about a child.",
            "",
        ),
    ],
    "FC-AV-03": [
        (
            "member.tl@demo.zerodraft.org",
            "'Limited literacy in the language of the contract' needs an example.",
            "",
        ),
    ],
}
COMMENTS_2: dict[str, list[tuple[str, str, str]]] = {
    "FC-DR-04": [
        (
            "member.th@demo.zerodraft.org",
            "With the guidance saying it is about the person recruited, we can accept it.",
            "",
        ),
    ],
    "FC-CR-03": [
        (
            "member.my@demo.zerodraft.org",
            "Still too broad without the escorts; we keep our rating.",
            "",
        ),
        (
            "chair.somtc@demo.zerodraft.org",
            "Suggest merging it with FC-CR-01 rather than keeping it alone.",
            "",
        ),
    ],
    "FC-EX-05": [
        (
            "member.vn@demo.zerodraft.org",
            "Agreed now that the text says 'made to'.",
            "",
        ),
    ],
}


@dataclass(frozen=True, slots=True)
class Loaded:
    first: RatingRound
    second: RatingRound
    open: RatingRound


def _panel() -> list[str]:
    """Everyone on the panel: the delegations' members, then the observer."""
    return [p["email"] for p in content.PEOPLE if p["delegations"]] + [OBSERVER]


def _consensus(rng: random.Random) -> int:
    return rng.choices((9, 8, 7, 6, 5), weights=(34, 36, 22, 6, 2))[0]


def _camp(rng: random.Random, high: bool) -> int:
    return rng.choice((7, 8, 8, 9)) if high else rng.choice((2, 3, 3, 4, 5))


def _strength(rng: random.Random, text: str | None, panel: str | None) -> str | None:
    """Mostly the text's strength (or the panel's own where it differs), sometimes a neighbour."""
    wanted = panel or (text if text in ("strong", "medium", "weak") else None)
    if wanted is None:
        return rng.choice((None, None, "medium", "weak"))
    roll = rng.random()
    if roll < 0.8:
        return wanted
    if roll < 0.95:
        return {"strong": "medium", "medium": rng.choice(("strong", "weak")), "weak": "medium"}[
            wanted
        ]
    return None


def _round_1(
    rng: random.Random, lines: list[ItemLine], who: list[str]
) -> dict[str, dict[str, AnswerIn]]:
    """Each panellist's answers, by e-mail and item."""
    answers: dict[str, dict[str, AnswerIn]] = {email: {} for email in who}
    for line in lines:
        if line.ref in CONTESTED:
            # Two camps of about equal size and a few in between.
            camps = [rng.random() < 0.5 for _ in who]
            relevance = [_camp(rng, high) for high in camps]
            relevance[rng.randrange(len(who))] = 6
        else:
            relevance = [_consensus(rng) for _ in who]
        for email, value in zip(who, relevance, strict=True):
            clarity = rng.choice((4, 5, 5, 6, 7, 8) if line.ref in UNCLEAR else (6, 7, 7, 8, 8, 9))
            answers[email][line.ref] = AnswerIn(
                ref=line.ref,
                relevance=value,
                clarity=clarity,
                strength_adult=_strength(rng, line.strength_adult, None),
                strength_child=_strength(rng, line.strength_child, CHILD_STRENGTH.get(line.ref)),
            )
    return answers


def _round_2(
    rng: random.Random, before: dict[str, dict[str, AnswerIn]], refs: list[str], who: list[str]
) -> dict[str, dict[str, AnswerIn]]:
    """Round 1's answers seen again beside the group's: most move towards the high camp; on
    STAYS_CONTESTED the low camp mostly holds."""
    answers: dict[str, dict[str, AnswerIn]] = {email: {} for email in who}
    for ref in refs:
        for email in who:
            was = before.get(email, {}).get(ref)
            old = was.relevance if was is not None else rng.choice((5, 6, 7))
            if ref == STAYS_CONTESTED:
                step = rng.choice((0, 0, 1, 2))
            else:
                step = rng.choice((0, 2, 3, 4, 4))
            new = min(9, old + step) if old < 7 else old
            if ref != STAYS_CONTESTED and old >= 7:
                new = max(new, rng.choice((7, 8, 8)))
            answers[email][ref] = AnswerIn(
                ref=ref,
                relevance=new,
                clarity=max(was.clarity if was is not None else 6, 6),
                strength_adult=was.strength_adult if was is not None else None,
                strength_child=was.strength_child if was is not None else None,
            )
    return answers


def _with_comments(
    answers: dict[str, dict[str, AnswerIn]], comments: dict[str, list[tuple[str, str, str]]]
) -> None:
    for ref, said in comments.items():
        for email, comment, wording in said:
            a = answers.get(email, {}).get(ref)
            if a is not None:
                answers[email][ref] = AnswerIn(
                    a.ref,
                    a.relevance,
                    a.clarity,
                    a.strength_adult,
                    a.strength_child,
                    comment=comment,
                    wording=wording,
                )


def load(session: Session, *, start: datetime, end: datetime, request_id: str) -> Loaded:
    """The rating rounds, dated from `start` (after the rounds' story) to `end`; the open round's
    deadline is ten days after `end`."""
    rng = random.Random(SEED)
    sec = principal_for_user(session, get_user_by_email(session, SECRETARIAT))
    actor = Actor(sec.user_id, None, request_id)
    span = end - start

    def at(fraction: float) -> datetime:
        return (start + span * fraction).replace(microsecond=0)

    delegations = sorted({code for p in content.PEOPLE for code in p["delegations"]})
    first = rating.create(
        session,
        actor,
        Setup(
            title=TITLE,
            round=ROUND,
            items=[],
            delegations=delegations,
            panellists=[OBSERVER],
            deadline=at(0.45),
            rule={},
            instructions=INSTRUCTIONS,
        ),
        now=at(0.0),
    )
    rating.open_(session, actor, first.id, expected_version=None, now=at(0.02))
    panel = _panel()
    lines = rating.items(session, first.id)
    answers_1 = _round_1(rng, lines, panel)
    _with_comments(answers_1, COMMENTS_1)
    answering = [email for email in panel if email not in SILENT_1]
    for i, email in enumerate(answering):
        who = principal_for_user(session, get_user_by_email(session, email))
        mine = list(answers_1[email].values())
        rating.answer(
            session,
            who,
            first.id,
            mine,
            now=at(0.04 + 0.38 * i / len(answering)),
            request_id=request_id,
        )
    rating.close(session, actor, first.id, expected_version=None, now=at(0.46))

    # The secretariat turns the panel's child strength for FC-CD-04 into a proposal.
    rating.propose_strength(
        session,
        sec,
        first.id,
        ref=PROPOSED[0],
        profile=PROPOSED[1],
        delegation=PROPOSED[2],
        now=at(0.47),
        request_id=request_id,
    )
    second = rating.start_next(session, actor, first.id, deadline=at(0.9), title=None, now=at(0.5))
    rating.open_(session, actor, second.id, expected_version=None, now=at(0.52))
    refs = [line.ref for line in rating.items(session, second.id)]
    answers_2 = _round_2(rng, answers_1, refs, panel)
    _with_comments(answers_2, COMMENTS_2)
    answering = [email for email in panel if email not in SILENT_2]
    for i, email in enumerate(answering):
        who = principal_for_user(session, get_user_by_email(session, email))
        rating.answer(
            session,
            who,
            second.id,
            list(answers_2[email].values()),
            now=at(0.54 + 0.34 * i / len(answering)),
            request_id=request_id,
        )
    rating.close(session, actor, second.id, expected_version=None, now=at(0.91))

    # Round 3, open and unanswered, over the item still without consensus: any demo panellist
    # may try answering it with round 2's feedback beside it.
    third = rating.start_next(
        session,
        actor,
        second.id,
        deadline=(end + timedelta(days=10)).replace(minute=0, second=0, microsecond=0),
        title=None,
        now=at(0.95),
    )
    rating.open_(session, actor, third.id, expected_version=None, now=at(0.97))
    return Loaded(first, second, third)
