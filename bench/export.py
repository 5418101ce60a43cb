"""Word export benchmark: a draft of 500 indicators with 2,000 proposals and 3,000 comments, built
in memory (no database), exported in every variant.

    .venv/bin/python bench/export.py [--indicators 500 --proposals 2000 --comments 3000]

Each variant runs in its own process, so that peak memory (ru_maxrss) is its own. The floor is
python-docx alone writing the same paragraphs (same number, same text), timed alternately with
the export in the same process (the machine may be shared: both see the same load), its memory
in a fresh process. The ratio says how far the export is from the cheapest .docx of that size
python-docx can make.
Target: every variant within 2x of the floor.
"""

import argparse
import io
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.word.changes import Step, Uniform, attributed_runs, redline_between  # noqa: E402
from app.word.model import (  # noqa: E402
    VARIANTS,
    ExportComment,
    ExportDimension,
    ExportDocument,
    ExportIndicator,
    ExportPosition,
    ExportProposal,
    ExportResponseRow,
    ExportRound,
    ExportSection,
    ProposedField,
    Run,
    plain,
)

WORDS = (  # noqa: SIM905
    "passport phone confiscated operators compound guarded recruitment deceptive debt bondage "
    "online fraud scam quota punishment threat violence movement restricted wages withheld "
    "transfer sold recruiter visa travel costs social media job offer abroad forced criminal "
    "acts victim presumed identification interview police prosecutor labour inspector child "
    "adult document contract language isolation surveillance"
).split()
SCRIPTS = ["ถูกยึด", "ជំពាក់", "ຖືກບັງຄັບ", "အကြွေး", "bị ép trả nợ"]
DELEGATIONS = [
    f"{state} - {body}"
    for state in (
        "Brunei Darussalam",
        "Cambodia",
        "Indonesia",
        "Lao PDR",
        "Malaysia",
        "Myanmar",
        "Philippines",
        "Singapore",
        "Thailand",
        "Viet Nam",
    )
    for body in ("SOMTC", "AICHR", "ACWC")
]
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    if rng.random() < 0.2:
        words.insert(rng.randrange(len(words)), rng.choice(SCRIPTS))
    return " ".join(words).capitalize() + "."


def edit(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(words))
        choice = rng.random()
        if choice < 0.4:
            words[at] = rng.choice(WORDS)
        elif choice < 0.7:
            words.insert(at, rng.choice(WORDS))
        elif len(words) > 3:
            del words[at]
    return " ".join(words)


def build(indicators: int, proposals: int, comments: int) -> dict[str, ExportDocument]:
    rng = random.Random(2026)
    dims = [
        ExportDimension(f"D{n}", f"Dimension {n} {rng.choice(WORDS)}", sentence(rng, 14), n)
        for n in range(1, 9)
    ]

    def round_(symbol: str, date: datetime) -> ExportRound:
        return ExportRound(
            working_group="ASEAN Drafting Working Group on Forced Criminality",
            symbol=symbol,
            title="Zero Draft ASEAN Indicators of Trafficking in Persons for Forced Criminality",
            round_label="Round 3 - written comments",
            date=date,
            status="open for input",
            marking="RESTRICTED",
            deadline=date + timedelta(days=30),
            time_zone="Asia/Jakarta",
            instructions="Send proposals and comments through zerodraft by the deadline.",
        )

    sections = tuple(
        ExportSection(
            f"SEC-{n:02d}",
            plain(str(n)),
            plain(sentence(rng, 3)),
            plain("\n".join(sentence(rng, 40) for _ in range(3))),
        )
        for n in range(1, 7)
    )
    old_inds, new_inds = [], []
    for n in range(1, indicators + 1):
        dim = dims[(n - 1) * len(dims) // indicators]
        fields = {
            "text": sentence(rng, 28),
            "strength_adult": rng.choice(["strong", "medium", "weak"]),
            "strength_child": rng.choice(["strong", "medium", ""]),
            "profiles": "adult, child",
            "crime_types": "online fraud, drug trafficking",
            "intended_users": "police, prosecutor, social worker",
            "guidance": sentence(rng, 60),
            "references": sentence(rng, 12),
        }
        old = ExportIndicator(
            code=f"FC-{dim.code}-{n:03d}",
            number=plain(str(n)),
            dimension=dim,
            **{k: plain(v) for k, v in fields.items()},
        )  # type: ignore[arg-type]
        old_inds.append(old)
        if rng.random() < 0.3:  # a third of the indicators changed between rounds
            fields["text"] = edit(rng, fields["text"])
            fields["guidance"] = edit(rng, fields["guidance"])
        new_inds.append(
            ExportIndicator(
                code=old.code,
                number=plain(str(n)),
                dimension=dim,
                item_state=plain(rng.choice(["", "", "bracketed", "agreed ad ref"])),
                **{k: plain(v) for k, v in fields.items()},
            )  # type: ignore[arg-type]
        )
    texts = {i.code: i.text[0].text for i in new_inds}
    codes = list(texts)
    props = []
    for n in range(proposals):
        code = codes[n % len(codes)]
        base = texts[code]
        proposed = edit(rng, base)
        runs = attributed_runs(base, [Step(proposed, "x", START)])
        props.append(
            ExportProposal(
                reference=f"P-{n + 1}",
                target=code,
                delegation=rng.choice(DELEGATIONS),
                co_sponsors=tuple(rng.sample(DELEGATIONS, rng.randint(0, 2))),
                kind="amend",
                state="submitted",
                fields=(ProposedField("text", "Text", tuple(Run(r.text, r.op) for r in runs)),),
                rationale=sentence(rng, 15),
                alternative=n // len(codes) + 1,
                positions=tuple(
                    ExportPosition(d, rng.choice(["support", "reservation"]))
                    for d in rng.sample(DELEGATIONS, 2)
                ),
            )
        )
    notes = []
    for n in range(comments):
        code = codes[n % len(codes)]
        words = texts[code].split(" ")
        at = rng.randrange(len(words) - 2)
        quote = " ".join(words[at : at + 2])
        start = len(" ".join(words[:at])) + (1 if at else 0)
        replies = tuple(
            ExportComment(
                f"C-{comments + n * 2 + k}",
                rng.choice(DELEGATIONS),
                "XX",
                START + timedelta(hours=n, minutes=k),
                sentence(rng, 10),
            )
            for k in range(n % 3 == 0)
        )
        notes.append(
            ExportComment(
                f"C-{n + 1}",
                f"Person {n % 40} ({rng.choice(DELEGATIONS)})",
                "PP",
                START + timedelta(hours=n),
                sentence(rng, 20),
                code,
                "text",
                quote,
                start,
                start + len(quote),
                replies,
            )
        )
    rows = tuple(
        ExportResponseRow(
            n,
            f"P-{n}",
            rng.choice(DELEGATIONS),
            rng.choice(codes),
            sentence(rng, 25),
            sentence(rng, 12) if n % 2 else "",
            rng.choice(["pending", "agreed", "not retained"]),
        )
        for n in range(1, proposals + comments + 1)
    )
    old_doc = ExportDocument(
        round=round_("R2", START - timedelta(days=40)),
        sections=sections,
        indicators=tuple(old_inds),
    )
    new_doc = ExportDocument(
        round=round_("R3", START),
        sections=sections,
        indicators=tuple(new_inds),
        proposals=tuple(props),
        comments=tuple(notes),
        responses=rows,
    )
    started = time.perf_counter()
    redline = redline_between(old_doc, new_doc, Uniform("Philippines - SOMTC", START))
    build.redline_seconds = time.perf_counter() - started  # type: ignore[attr-defined]
    return {"clean": new_doc, "redline": redline, "compilation": new_doc, "responses": new_doc}


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_variant(variant: str, args: argparse.Namespace, texts_out: Path) -> dict[str, object]:
    from lxml import etree

    from app.word import revisions as rv
    from app.word.writer import export

    docs = build(args.indicators, args.proposals, args.comments)
    before = _rss_mb()
    data = export(docs[variant], variant, include_comments=True)  # type: ignore[arg-type]
    peak = _rss_mb()  # of one export
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        root = etree.fromstring(z.read("word/document.xml"))
        comments = z.read("word/comments.xml").count(b"<w:comment ")
    texts = rv.paragraph_texts(root)
    texts_out.write_text(json.dumps(texts))
    # Time: the export and the floor alternately in this one process, the best of each, so
    # that both see the same load on a shared machine.
    seconds = floor = float("inf")
    for n in range(args.repeat):
        started = time.perf_counter()
        export(docs[variant], variant, include_comments=True)  # type: ignore[arg-type]
        seconds = min(seconds, time.perf_counter() - started)
        if n == 0 or floor < 10:  # python-docx grows faster than linearly: past 10 s, once
            floor = min(floor, python_docx_floor(texts))
    return {
        "seconds": seconds,
        "floor_seconds": floor,
        "rss_before_mb": before,
        "rss_peak_mb": peak,
        "paragraphs": len(texts),
        "tracked": len(list(root.iter(rv.INS, rv.DEL))),
        "comments": comments,
        "bytes": len(data),
        "redline_prep_seconds": getattr(build, "redline_seconds", 0.0),
    }


def python_docx_floor(texts: list[str]) -> float:
    """Seconds python-docx alone takes to write these paragraphs."""
    import docx

    started = time.perf_counter()
    document = docx.Document()
    for text in texts:
        document.add_paragraph(text)
    document.save(io.BytesIO())
    return time.perf_counter() - started


def run_floor(texts_in: Path) -> dict[str, object]:
    """The floor's memory, in a process of its own."""
    texts = json.loads(texts_in.read_text())
    before = _rss_mb()
    python_docx_floor(texts)
    return {"rss_before_mb": before, "rss_peak_mb": _rss_mb()}


def child(argv: list[str]) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, __file__, *argv], capture_output=True, text=True, check=True
    )
    parsed: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return parsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--indicators", type=int, default=500)
    parser.add_argument("--proposals", type=int, default=2000)
    parser.add_argument("--comments", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (best)")
    parser.add_argument("--variant", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--floor", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--texts", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        print(json.dumps(run_variant(args.variant, args, args.texts)))
        return
    if args.floor:
        print(json.dumps(run_floor(args.floor)))
        return
    size = [
        "--repeat",
        str(args.repeat),
        "--indicators",
        str(args.indicators),
        "--proposals",
        str(args.proposals),
        "--comments",
        str(args.comments),
    ]
    print(
        f"Word export: {args.indicators} indicators, {args.proposals} proposals, "
        f"{args.comments} comments (all variants with comments)\n"
    )
    header = (
        f"{'variant':<12}{'paras':>7}{'export s':>10}{'floor s':>9}{'ratio':>7}"
        f"{'data MB':>9}{'peak MB':>9}{'floor MB':>9}{'tracked':>9}{'comments':>9}"
        f"{'size KB':>9}"
    )
    print(header)
    print("-" * len(header))
    worst = 0.0
    prep = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for variant in VARIANTS:
            texts = Path(tmp) / f"{variant}.json"
            v = child([*size, "--variant", variant, "--texts", str(texts)])
            f = child(["--floor", str(texts)])
            ratio = float(v["seconds"]) / float(v["floor_seconds"])  # type: ignore[arg-type]
            worst = max(worst, ratio)
            prep = float(v["redline_prep_seconds"])  # type: ignore[arg-type]
            print(
                f"{variant:<12}{v['paragraphs']:>7}{v['seconds']:>10.2f}"
                f"{v['floor_seconds']:>9.2f}"
                f"{ratio:>7.2f}{v['rss_before_mb']:>9.0f}{v['rss_peak_mb']:>9.0f}"
                f"{f['rss_peak_mb']:>9.0f}"
                f"{v['tracked']:>9}{v['comments']:>9}{int(v['bytes']) // 1024:>9}"  # type: ignore[call-overload]
            )
    print(
        f"\nfloor: python-docx alone, Document() + add_paragraph(text) for the same paragraphs "
        f"+ save, timed alternately with the export in one process (best of {args.repeat})."
        f"\ndata MB: the process once the draft is built in "
        f"memory; peak MB: its peak after one export (ru_maxrss); floor MB: the same for "
        f"the floor (python-docx and the paragraphs' text).\n"
        f"redline preparation (redline_between, word diffs, not in the "
        f"export time): {prep:.2f} s\nworst ratio: {worst:.2f} "
        f"({'within' if worst <= 2 else 'OVER'} the 2x target)"
    )


if __name__ == "__main__":
    main()
