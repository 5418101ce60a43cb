"""Near-duplicate indicators: which existing indicators say nearly the same thing as a text.

The method was chosen by measuring it (bench/similar.py on bench/paraphrases.tsv): TF-IDF
cosine over character n-grams of 3 to 5 characters taken inside words, after case folding and
removing diacritics. Of the methods that install light it is as good as any on English and
best on the other languages; the sentence embedding all-MiniLM-L6-v2 scored better on English
but needs PyTorch (gigabytes), so it is not used. It needs no language's word list or stemmer,
matches inflections ("confiscated"/"confiscation") and Vietnamese written with or without its
marks, and finds words inside the unbroken runs of Thai, Lao, Khmer and Myanmar. Pure Python:
nothing to install and nothing downloaded.

An index of the candidates (every active indicator, and every open proposal for a new
indicator) is built from the database and kept by the one cache (app/cache.py), keyed on the
candidates' version read from the database first (the newest revision, and the proposals' count
and versions): a comment or a position does not make it build again. A new index reuses
the features of the texts that did not change. Who may see a candidate (a draft is its
delegation's alone) is decided per query, never baked into the index; the index's statistics
come from the public candidates alone (active indicators and submitted proposals), so no
person's scores or results depend on a draft they may not see.
"""

import heapq
import math
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter, mul
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.cache import kept
from app.errors import InvalidInput
from app.models import Item, ItemKind, ItemStatus, Proposal, ProposalKind, Revision
from app.models.workflow import OPEN_STATES
from app.principal import Principal

# A score from 0 to 1 (cosine). At THRESHOLD and above a candidate is shown as "close", at
# VERY_CLOSE and above as "very close" (both from bench/similar.py).
THRESHOLD = 0.30
VERY_CLOSE = 0.55
MAX_TEXT = 2000  # characters of text compared; longer is refused (field "text")
DEFAULT_LIMIT = 5
MAX_LIMIT = 50
NGRAM_SIZES = (3, 4, 5)

# Letters that NFKD does not split into a base and a mark.
_FOLD = str.maketrans({"đ": "d", "ð": "d", "ø": "o", "ł": "l", "ß": "ss", "æ": "ae", "œ": "oe"})


def normalise(text: str) -> str:
    """Case folded, without diacritics on Latin letters (Vietnamese 'người' -> 'nguoi'), words
    separated by one space. The marks of the scripts whose vowels are marks (Thai, Lao, Khmer,
    Myanmar) stay: without them different words would look alike."""
    out: list[str] = []
    latin = False
    for c in unicodedata.normalize("NFKD", text.casefold().translate(_FOLD)):
        if unicodedata.category(c) in ("Mn", "Mc"):
            if not latin:
                out.append(c)
        elif c.isalnum():
            latin = c < "\u0250"
            out.append(c)
        else:
            latin = False
            out.append(" ")
    return " ".join(unicodedata.normalize("NFC", "".join(out)).split())


def char_ngrams(text: str, sizes: Sequence[int] = NGRAM_SIZES) -> Counter[str]:
    """The character n-grams of each word, the word padded with a space at each end (so that
    word starts and ends count), as scikit-learn's 'char_wb' analyser does."""
    words = normalise(text)
    if not words:
        return Counter()
    # Words padded and two spaces apart: a gram that spans two words holds two spaces.
    padded = " " + words.replace(" ", "  ") + " "
    return Counter(
        gram
        for n in sizes
        for i in range(len(padded) - n + 1)
        if "  " not in (gram := padded[i : i + n])
    )


Analyser = Callable[[str], Counter[str]]


class TfidfIndex:
    """Texts as TF-IDF vectors (sublinear term frequency, smoothed inverse document frequency,
    unit length), with an inverted index.

    A query is answered in two steps, so that its cost does not grow with how many features all
    texts share: the texts that hold one of the query's HEAVY heaviest features are scored on
    those alone (an inverted index), and the CANDIDATES best get their exact cosine (that loop
    runs in the interpreter's C code: set intersection, map, sum). A text outside them shares
    too little of what is distinctive in the query to be a near-duplicate.

    The statistics (document frequencies, and so every weight) come from the `public` texts
    alone, and a query chooses its CANDIDATES among the texts it may see only (`allowed`): the
    scores a person gets depend on nothing they may not see. Counting a delegation's private
    drafts changed everyone's scores, and a hidden draft could push a visible text out of the
    CANDIDATES, so anyone could detect and probe another delegation's drafts."""

    HEAVY = 48
    CANDIDATES = 64

    def __init__(
        self,
        texts: Sequence[str],
        analyser: Analyser = char_ngrams,
        known: dict[str, Counter[str]] | None = None,
        public: Sequence[bool] | None = None,
    ) -> None:
        self.analyser = analyser
        # The features of each text, by text: an index built after a change takes those of the
        # texts that did not change from the one before (`known`).
        known = known or {}
        self.counts = {t: known.get(t) or analyser(t) for t in texts}
        counts = [self.counts[t] for t in texts]
        shown = [c for n, c in enumerate(counts) if public is None or public[n]]
        self.size = len(shown)
        frequency: Counter[str] = Counter()
        for c in shown:
            frequency.update(c.keys())
        self.idf = {f: math.log((1 + self.size) / (1 + df)) + 1 for f, df in frequency.items()}
        # A feature no text has weighs as much as the rarest one could.
        self.unseen_idf = math.log(1 + self.size) + 1
        self.vectors = [self._vector(c) for c in counts]
        self.postings: dict[str, list[tuple[int, float]]] = {}
        for number, vector in enumerate(self.vectors):
            for feature, weight in vector.items():
                self.postings.setdefault(feature, []).append((number, weight))

    def _vector(self, counts: Counter[str]) -> dict[str, float]:
        idf, unseen = self.idf, self.unseen_idf
        raw = {f: (1 + math.log(n)) * idf.get(f, unseen) for f, n in counts.items() if n > 0}
        norm = math.sqrt(sum(w * w for w in raw.values()))
        return {f: w / norm for f, w in raw.items()} if norm else {}

    def scores(self, text: str, allowed: Callable[[int], bool] | None = None) -> dict[int, float]:
        """Cosine of the text with the indexed texts closest to it, among those whose number
        is `allowed` (all by default)."""
        query = self._vector(self.analyser(text))
        partial: dict[int, float] = {}
        for feature, weight in heapq.nlargest(self.HEAVY, query.items(), key=itemgetter(1)):
            for number, other in self.postings.get(feature, ()):
                partial[number] = partial.get(number, 0.0) + weight * other
        if allowed is not None:
            partial = {number: score for number, score in partial.items() if allowed(number)}
        if len(partial) > self.CANDIDATES:
            chosen = heapq.nlargest(self.CANDIDATES, partial, key=partial.__getitem__)
        else:
            chosen = list(partial)
        get, keys = query.__getitem__, query.keys()
        totals: dict[int, float] = {}
        for number in chosen:
            vector = self.vectors[number]
            shared = keys & vector.keys()
            totals[number] = sum(map(mul, map(get, shared), map(vector.__getitem__, shared)))
        return totals


@dataclass(frozen=True, slots=True)
class Candidate:
    """An indicator in the register, or an open proposal for a new one."""

    code: str  # FC-DR-01, or P-12 for a proposal
    kind: str  # "indicator" or "proposal"
    text: str
    url: str
    delegation_id: int | None  # a proposal's delegation
    public: bool  # False: a draft, seen by its delegation alone

    def visible_to(self, delegation_ids: Iterable[int]) -> bool:
        return self.public or self.delegation_id in set(delegation_ids)


@dataclass(frozen=True, slots=True)
class Match:
    candidate: Candidate
    score: float

    @property
    def percent(self) -> int:
        return round(self.score * 100)

    @property
    def closeness(self) -> str:
        return "very close" if self.score >= VERY_CLOSE else "close"


class Corpus:
    """The candidates at one version and their index."""

    index: TfidfIndex

    def __init__(self, candidates: Sequence[Candidate], before: "Corpus | None" = None) -> None:
        self.candidates = list(candidates)
        self.index = TfidfIndex(
            [c.text for c in self.candidates],
            known=before.index.counts if before is not None else None,
            public=[c.public for c in self.candidates],
        )

    def similar(
        self,
        text: str,
        *,
        allowed: Callable[[Candidate], bool],
        limit: int = DEFAULT_LIMIT,
        exclude: str | None = None,
        threshold: float = THRESHOLD,
    ) -> list[Match]:
        excluded = (exclude or "").strip().upper()
        candidates = self.candidates

        def shown(number: int) -> bool:
            candidate = candidates[number]
            return candidate.code.upper() != excluded and allowed(candidate)

        found = [
            Match(candidates[number], min(score, 1.0))
            for number, score in self.index.scores(text, shown).items()
            if score >= threshold
        ]
        found.sort(key=lambda m: (-m.score, m.candidate.code))
        return found[:limit]


def load_candidates(session: Session) -> list[Candidate]:
    """Every active indicator (current revision) and every open proposal for a new indicator."""
    indicators = session.execute(
        select(Item.code, Revision.text)
        .join(Revision, (Revision.item_id == Item.id) & (Revision.number == Item.version))
        .where(Item.kind == ItemKind.INDICATOR, Revision.status == ItemStatus.ACTIVE)
        .order_by(Item.position, Item.id)
    ).all()
    proposals = session.execute(
        select(Proposal.id, Proposal.content, Proposal.delegation_id, Proposal.submitted_at)
        .where(
            Proposal.kind == ProposalKind.ADD,
            Proposal.item_kind == ItemKind.INDICATOR.value,
            Proposal.state.in_(OPEN_STATES),
        )
        .order_by(Proposal.id)
    ).all()
    out = [
        Candidate(code, "indicator", text, f"/indicators/{code}", None, True)
        for code, text in indicators
    ]
    for pid, content, delegation_id, submitted_at in proposals:
        text = str((content or {}).get("text") or "").strip()
        if text:
            out.append(
                Candidate(
                    f"P-{pid}",
                    "proposal",
                    text,
                    f"/proposals/{pid}",
                    delegation_id,
                    submitted_at is not None,
                )
            )
    return out


# What the candidates are at: any change to an indicator writes a revision, and any change to a
# proposal (its text, submission, withdrawal, decision) raises its version. Read in one statement,
# before the candidates; a comment or a position, which change neither, keep the index.
_ADD = (Proposal.kind == ProposalKind.ADD, Proposal.item_kind == ItemKind.INDICATOR.value)
_VERSION = select(
    select(func.max(Revision.id)).scalar_subquery(),
    select(func.count(Revision.id)).scalar_subquery(),
    select(func.count(Proposal.id)).where(*_ADD).scalar_subquery(),
    select(func.max(Proposal.id)).where(*_ADD).scalar_subquery(),
    select(func.sum(Proposal.version)).where(*_ADD).scalar_subquery(),
)


def kept_corpus(session: Session) -> Corpus:
    """The candidates' index at their version (kept per process by app/cache.py)."""
    return kept(session, "similar", _VERSION, lambda old: Corpus(load_candidates(session), old))


def check_text(text: str | None) -> str:
    """The text to compare, or InvalidInput naming the field."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise InvalidInput("give the text to compare", field="text")
    if "\x00" in cleaned:
        raise InvalidInput("text must not contain a NUL character", field="text")
    if len(cleaned) > MAX_TEXT:
        raise InvalidInput(f"text is over {MAX_TEXT} characters", field="text")
    return cleaned


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    return limit


def similar(
    session: Session,
    principal: Principal,
    text: str | None,
    *,
    limit: int = DEFAULT_LIMIT,
    exclude: str | None = None,
) -> list[Match]:
    """The indicators and open new-indicator proposals the principal may see that say nearly
    the same as `text`, closest first."""
    wanted = check_text(text)
    check_limit(limit)
    own = [d.id for d in principal.delegations]
    return kept_corpus(session).similar(
        wanted, allowed=lambda c: c.visible_to(own), limit=limit, exclude=exclude
    )


def near_duplicate_pairs(
    session: Session, principal: Principal, *, limit: int = 50
) -> list[tuple[Candidate, Candidate, float]]:
    """Pairs of active indicators that say nearly the same thing, closest first (for the
    secretariat's register)."""
    corpus = kept_corpus(session)
    pairs: list[tuple[Candidate, Candidate, float]] = []
    for number, candidate in enumerate(corpus.candidates):
        if candidate.kind != "indicator":
            continue
        found = corpus.index.scores(
            candidate.text, lambda n: corpus.candidates[n].kind == "indicator"
        )
        for other, score in found.items():
            if other > number and score >= THRESHOLD:
                pairs.append((candidate, corpus.candidates[other], min(score, 1.0)))
    pairs.sort(key=lambda p: (-p[2], p[0].code, p[1].code))
    return pairs[:limit]


def as_dict(match: Match) -> dict[str, Any]:
    c = match.candidate
    return {
        "code": c.code,
        "kind": c.kind,
        "text": c.text,
        "score": round(match.score, 3),
        "percent": match.percent,
        "closeness": match.closeness,
        "url": c.url,
    }


def for_form(
    session: Session, principal: Principal, text: str | None, *, exclude: str | None = None
) -> list[Match]:
    """What a new-indicator form shows beside the text typed: nothing for no text (or text the
    API would refuse), never an error."""
    try:
        return similar(session, principal, text, exclude=exclude)
    except InvalidInput:
        return []
