"""Word import under hostile files: how long an upload takes and how much resident memory the
server holds, for files the upload cap allows.

    .venv/bin/python bench/import_memory.py [--indicators 500] [--timeout 300] [--only NAME]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/EMPTY]

Builds the working set of bench/generate.py in a fresh SQLite database (or the empty database
given), exports its round's
compilation with every comment thread (the largest variant a delegation sends back: the
legitimate file), starts zerodraft under uvicorn (one worker) on a free port, and uploads
through POST /api/v1/imports: the legitimate file, then crafted files of at most the upload cap
(20 MB), each a returned copy of the same round with parts swapped for hostile ones:

- low-ratio parts: four parts of 36-48 MB of plausible paragraphs, compressed about 7-13:1;
- tiny elements: a body of millions of short paragraphs;
- attributes: runs carrying hundreds of attributes each;
- deep nesting: structured blocks nested 250 deep, repeated (and one 100,000 deep);
- many parts: 1,999 entries, twenty of them custom XML parts the reader takes;
- many comments: a comments part of several hundred thousand replies;
- authored, by a member: an unmarked file a member may not import (refused by role);
- "at budget": the document replaced by tiny elements, attributes, paragraphs or nested
  blocks up to just under the reader's default budgets: the costliest files read in full.

The server's RSS is sampled from /proc/PID/status every 10 ms. For each file: the status, the
seconds, the peak above the RSS just before, and what is still held a second later; then four
at once of the legitimate file, of the hostile file with the highest peak and of the slowest
one (peak RSS of the whole server), while another person marks their notifications read every
50 ms (a small write: it must not wait for the uploads). Ratios are against the same run's idle
RSS and the legitimate import's time.
Target: every upload answered within 10 s and at most 200 MB above the RSS before it; four at
once never take the server above 1 GB; the other writer answered within 1 s meanwhile.
"""

import argparse
import io
import random
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.generate import MEMBER, ROUND, SECRETARIAT, generate  # noqa: E402
from bench.run import Server, api_token  # noqa: E402

MB = 1024 * 1024
CAP = 20 * MB
TIME_TARGET = 10.0
DELTA_TARGET = 200  # MB above the RSS before the upload
SERVER_TARGET = 1024  # MB, the whole server with four uploads at once
WRITER_TARGET = 1.0  # seconds, a small write by someone else while four uploads are read
SECRET_KEY = "bench-import-memory-secret-key-0123456789"  # the export's and the server's
DELEGATION = "BN-SOMTC"  # member1's delegation in the working set
OTHER = "member2@bench.zerodraft.test"  # another person, who writes while uploads are read
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


# --- The files ---------------------------------------------------------------------------------


def export_legitimate(url: str) -> bytes:
    from app.db import Database
    from app.rounds.export import export_round, find_round

    database = Database(url)
    try:
        with database.transaction() as session:
            exported = export_round(
                session,
                find_round(session, ROUND),
                "compilation",
                working_group="Bench working group",
                include_comments=True,
                signing_key=SECRET_KEY,
            )
    finally:
        database.dispose()
    return exported.data


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def zipped(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data, compresslevel=6)
    return out.getvalue()


_rng = random.Random(14)
_WORDS = [
    "".join(_rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(_rng.randint(2, 11)))
    for _ in range(4000)
]


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(n))


def _document(body: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {W}><w:body>'
        f"{body}</w:body></w:document>"
    ).encode()


def _paragraph(rng: random.Random) -> str:
    return (
        '<w:p><w:pPr><w:pStyle w:val="ZDIndicatorText"/><w:spacing w:after="120"/></w:pPr>'
        '<w:r><w:rPr><w:rFonts w:ascii="Calibri"/><w:b/><w:sz w:val="22"/></w:rPr>'
        f'<w:t xml:space="preserve">{_words(rng, 3)}</w:t></w:r></w:p>'
    )


def _repeated(make: Callable[[random.Random], str], size: int, seed: int) -> str:
    """About `size` bytes of `make`'s elements: 2 MB of them, repeated (further apart than
    deflate's 32 KB window, so the repetition does not make the part compress better)."""
    rng = random.Random(seed)
    chunks: list[str] = []
    total = 0
    while total < min(size, 2 * MB):
        chunks.append(make(rng))
        total += len(chunks[-1])
    block = "".join(chunks)
    return block * max(size // len(block), 1)


PART = 48 * MB  # under the 50 MB a part the directory allows
DOCUMENT = "word/document.xml"


def _markup(data: bytes) -> int:
    """Markup as the reader counts it (app/word/reader.py _Markup)."""
    from app.word.reader import PARAGRAPH, PARAGRAPH_WEIGHT

    paragraphs = len(PARAGRAPH.findall(data))
    return data.count(b"<") + 2 * data.count(b"=") + PARAGRAPH_WEIGHT * paragraphs


def hostile_files(legitimate: bytes) -> dict[str, bytes]:
    base = members(legitimate)
    files: dict[str, bytes] = {}

    parts = dict(base)
    for i, (name, mb) in enumerate(
        (
            ("word/document.xml", 48),
            ("word/comments.xml", 44),
            ("customXml/item1.xml", 40),
            ("word/styles.xml", 36),
        )
    ):
        body = _repeated(_paragraph, mb * MB, seed=i)
        if name == "word/comments.xml":
            body = f'<w:comments {W}><w:comment w:id="1">{body}</w:comment></w:comments>'
        elif name == "customXml/item1.xml":
            body = f"<zd {W}>{body}</zd>"
        elif name == "word/styles.xml":
            body = f"<w:styles {W}>{body}</w:styles>"
        parts[name] = _document(body) if name == "word/document.xml" else body.encode()
    files["low-ratio parts"] = zipped(parts)

    def tiny(rng: random.Random) -> str:
        return f"<w:p><w:r><w:t>{rng.randrange(100_000)}</w:t></w:r></w:p>"

    files["tiny elements"] = zipped(
        base | {"word/document.xml": _document(_repeated(tiny, PART, 2))}
    )

    def attributes(rng: random.Random) -> str:
        attrs = " ".join(f'a{k}="{rng.randrange(100)}"' for k in range(300))
        return f"<w:p><w:r {attrs}><w:t>x</w:t></w:r></w:p>"

    files["attributes"] = zipped(
        base | {"word/document.xml": _document(_repeated(attributes, PART, 3))}
    )

    def nested(rng: random.Random) -> str:
        depth = 120  # two elements a level: 240 deep, under libxml2's 256
        opening = "".join(
            f'<w:sdt><w:sdtContent w:id="{rng.randrange(10**6)}">' for _ in range(depth)
        )
        inner = f"<w:p><w:r><w:t>{_words(rng, 3)}</w:t></w:r></w:p>"
        return opening + inner + "</w:sdtContent></w:sdt>" * depth

    files["deep nesting"] = zipped(
        base | {"word/document.xml": _document(_repeated(nested, PART, 4))}
    )
    files["deep nesting 100k"] = zipped(
        base | {"word/document.xml": _document("<w:sdt>" * 100_000 + "</w:sdt>" * 100_000)}
    )

    many = dict(base)
    for i in range(1, 21):
        text = _repeated(_paragraph, 9 * MB, 100 + i)
        many[f"customXml/item{i}.xml"] = f"<zd {W}>{text}</zd>".encode()
    for i in range(len(many), 1999):
        many[f"word/media/pad{i}.bin"] = b"x"
    files["many parts"] = zipped(many)

    counter = iter(range(1, 10**9))

    def comment(rng: random.Random) -> str:
        k = next(counter)
        return (
            f'<w:comment w:id="{k}" w:author="A{k % 97}" w:date="2026-01-01T00:00:00Z">'
            f"<w:p><w:r><w:t>{_words(rng, 3)}</w:t></w:r></w:p></w:comment>"
        )

    comments = f"<w:comments {W}>{_repeated(comment, PART, 5)}</w:comments>"
    files["many comments"] = zipped(base | {"word/comments.xml": comments.encode()})

    # Just under the reader's default budgets (app/word/reader.py Limits): the costliest files
    # that are read in full. Markup counts `<` once, `=` twice and a paragraph more, as the
    # reader counts it.
    from app.word.reader import Limits

    limits = Limits()
    rest = sum(_markup(v) for k, v in base.items() if k.endswith(".xml") and k != DOCUMENT)
    room = limits.read_markup - rest - 2_000

    def at_budget(make: Callable[[random.Random], str], seed: int) -> str:
        rng = random.Random(seed)
        chunks: list[str] = []
        spent = size = 0
        while True:
            chunk = make(rng)
            if spent + _markup(chunk.encode()) > room or size + len(chunk) > 15 * MB:
                return "".join(chunks)
            chunks.append(chunk)
            spent += _markup(chunk.encode())
            size += len(chunk)

    for name, make in (
        ("tiny elements", tiny),
        ("attributes", attributes),
        ("low-ratio parts", _paragraph),
        ("deep nesting", nested),
    ):
        body = _document(at_budget(make, 20))
        files[f"{name}, at budget"] = zipped(base | {DOCUMENT: body})

    authored = {k: v for k, v in base.items() if not k.startswith(("customXml/", "docProps/"))}
    authored["word/document.xml"] = _document(_repeated(_paragraph, PART, 9))
    files["authored, by a member"] = zipped(authored)
    return files


# --- Measuring -------------------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Sampler:
    """The server's peak RSS since the last reset, sampled every 10 ms."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            value = rss_mb(self.pid)
            with self._lock:
                self.peak = max(self.peak, value)
            time.sleep(0.01)

    def reset(self) -> float:
        now = rss_mb(self.pid)
        with self._lock:
            self.peak = now
        return now

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Upload:
    status: int
    seconds: float
    detail: str
    retry_after: str | None
    error: str = ""


def upload(port: int, token: str, data: bytes, *, delegation: str | None, timeout: float) -> Upload:
    started = time.perf_counter()
    form = {"delegation": delegation} if delegation else {}
    try:
        response = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/imports",
            headers={"Authorization": f"Bearer {token}"},
            files={"file": ("returned.docx", data, "application/octet-stream")},
            data=form,
            timeout=timeout,
        )
    except httpx.HTTPError as exc:
        return Upload(0, time.perf_counter() - started, f"{type(exc).__name__}", None)
    seconds = time.perf_counter() - started
    detail = error = ""
    if response.status_code >= 400:
        try:
            detail = str(response.json().get("detail", ""))
            error = str(response.json().get("error", ""))
        except ValueError:
            detail = response.text[:200]
    retry_after = response.headers.get("retry-after")
    return Upload(response.status_code, seconds, detail, retry_after, error)


class Writer:
    """Another person's small write (marking their notifications read), every 50 ms until
    stopped: how long each took while the uploads were being read."""

    def __init__(self, port: int, token: str) -> None:
        self.seconds: list[float] = []
        self.failed: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(port, token), daemon=True)
        self._thread.start()

    def _run(self, port: int, token: str) -> None:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        ) as client:
            while not self._stop.is_set():
                started = time.perf_counter()
                try:
                    response = client.post("/api/v1/notifications/read-all")
                    if response.status_code != 204:
                        self.failed.append(str(response.status_code))
                except httpx.HTTPError as exc:
                    self.failed.append(type(exc).__name__)
                self.seconds.append(time.perf_counter() - started)
                self._stop.wait(0.05)

    def stop(self) -> str:
        self._stop.set()
        self._thread.join()
        times = sorted(self.seconds)
        if not times:
            return "no write answered"
        median = times[len(times) // 2]
        return (
            f"{len(times)} writes by another person, median {median * 1000:.0f} ms, "
            f"slowest {times[-1] * 1000:.0f} ms"
            + (f", failed: {', '.join(self.failed[:5])}" if self.failed else "")
        )

    @property
    def slowest(self) -> float:
        return max(self.seconds, default=0.0)


def settle(pid: int) -> float:
    time.sleep(1.0)
    return rss_mb(pid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--indicators", type=int, default=500)
    parser.add_argument("--timeout", type=float, default=300.0, help="per upload, seconds")
    parser.add_argument("--only", action="append", help="upload only this hostile file")
    parser.add_argument("--no-concurrent", action="store_true", help="skip four at once")
    parser.add_argument(
        "--database-url", help="an empty PostgreSQL database (default: a fresh SQLite file)"
    )
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="zd-import-memory-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
    generate(url, args.indicators, quiet=True)
    legitimate = export_legitimate(url)
    built = time.perf_counter()
    files = hostile_files(legitimate)
    if args.only:
        files = {k: v for k, v in files.items() if k in args.only}
    print(f"hostile files built in {time.perf_counter() - built:.1f} s\n")
    tokens = {
        "secretariat": api_token(url, SECRETARIAT),
        "member": api_token(url, MEMBER),
        "other": api_token(url, OTHER),
    }
    env = {
        "ZERODRAFT_DATABASE_URL": url,
        "ZERODRAFT_MODE": "development",
        "ZERODRAFT_LOGIN_MAX_FAILURES": "1000",
        "ZERODRAFT_SECRET_KEY": SECRET_KEY,
    }
    server = Server(["app.main:create_app", "--factory"], env)
    pid = server.process.pid
    sampler = Sampler(pid)
    failures: list[str] = []
    try:
        idle = settle(pid)
        warm = upload(
            server.port,
            tokens["secretariat"],
            legitimate,
            delegation=DELEGATION,
            timeout=args.timeout,
        )
        assert warm.status in (200, 201), warm
        before = settle(pid)
        sampler.reset()
        legit = upload(
            server.port,
            tokens["secretariat"],
            legitimate,
            delegation=DELEGATION,
            timeout=args.timeout,
        )
        legit_peak = sampler.peak - before
        print(
            f"idle RSS {idle:.0f} MB; after a first legitimate import {before:.0f} MB; "
            f"legitimate file {len(legitimate) / MB:.2f} MB ({_unpacked(legitimate)}): "
            f"{legit.status} in {legit.seconds:.2f} s, peak +{legit_peak:.0f} MB\n"
        )
        header = (
            f"{'file':<24}{'MB':>6}{'unpacked':>10}{'status':>7}{'s':>8}{'x legit':>8}"
            f"{'peak +MB':>9}{'peak MB':>8}{'held +MB':>9}  answer"
        )
        print(header)
        print("-" * (len(header) + 30))
        worst = ("", 0.0)
        slowest_file = ("", 0.0)
        for name, data in files.items():
            who = "member" if "member" in name else "secretariat"
            start = sampler.reset()
            done = upload(
                server.port,
                tokens[who],
                data,
                delegation=None if who == "member" else DELEGATION,
                timeout=args.timeout,
            )
            peak = sampler.peak - start
            held = settle(pid) - start
            unpacked = _unpacked_mb(data)
            print(
                f"{name:<24}{len(data) / MB:>6.1f}{unpacked:>10.0f}{done.status:>7}"
                f"{done.seconds:>8.2f}{done.seconds / legit.seconds:>8.1f}{peak:>9.0f}"
                f"{sampler.peak:>8.0f}{held:>9.0f}  {done.detail[:90]}"
            )
            if done.status == 0 or (done.status >= 500 and done.error != "busy"):
                failures.append(f"{name}: {done.status} {done.detail}")
            if done.seconds > TIME_TARGET or peak > DELTA_TARGET:
                failures.append(f"{name}: {done.seconds:.1f} s, +{peak:.0f} MB")
            if peak >= worst[1]:
                worst = (name, peak)
            if done.seconds >= slowest_file[1]:
                slowest_file = (name, done.seconds)
        if not args.no_concurrent:
            print()
            for name in dict.fromkeys(("legitimate", worst[0], slowest_file[0])):
                if not name:
                    continue
                data = legitimate if name == "legitimate" else files[name]
                who = "member" if "member" in name else "secretariat"
                start = sampler.reset()
                writer = Writer(server.port, tokens["other"])
                began = time.perf_counter()
                with ThreadPoolExecutor(4) as pool:
                    done_all = list(
                        pool.map(
                            lambda _, who=who, data=data: upload(
                                server.port,
                                tokens[who],
                                data,
                                delegation=None if who == "member" else DELEGATION,
                                timeout=args.timeout,
                            ),
                            range(4),
                        )
                    )
                wall = time.perf_counter() - began
                writes = writer.stop()
                held = settle(pid)
                statuses = ", ".join(
                    f"{d.status}" + (f" (Retry-After {d.retry_after})" if d.retry_after else "")
                    for d in done_all
                )
                slowest = max(d.seconds for d in done_all)
                print(
                    f"4 at once, {name}: {statuses}; slowest {slowest:.2f} s, wall {wall:.2f} s; "
                    f"server RSS {start:.0f} -> peak {sampler.peak:.0f} MB "
                    f"({sampler.peak / idle:.1f}x idle), {held:.0f} MB a second later; "
                    f"meanwhile {writes}"
                )
                if writer.slowest > WRITER_TARGET or writer.failed:
                    failures.append(f"4 at once {name}: meanwhile {writes}")
                if sampler.peak > SERVER_TARGET or slowest > TIME_TARGET:
                    failures.append(
                        f"4 at once {name}: peak {sampler.peak:.0f} MB, {slowest:.1f} s"
                    )
                # A 503 that says the server is busy is the answer asked for; any other is not.
                if any(d.status == 0 or (d.status >= 500 and d.error != "busy") for d in done_all):
                    failures.append(f"4 at once {name}: {statuses}")
    finally:
        sampler.stop()
        server.stop()
    print(
        f"\ntarget: each upload within {TIME_TARGET:g} s and +{DELTA_TARGET} MB, four at once "
        f"under {SERVER_TARGET} MB, another writer within {WRITER_TARGET:g} s: "
        + ("met" if not failures else "NOT met")
    )
    for failure in failures:
        print("  " + failure)
    where = folder if args.database_url is None else url.rsplit("/", 1)[-1]
    engine = url.split(":", 1)[0].split("+", 1)[0]
    print(f"(run at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {engine}; database {where})")


def _unpacked_mb(data: bytes) -> float:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return sum(i.file_size for i in archive.infolist()) / MB


def _unpacked(data: bytes) -> str:
    return f"{_unpacked_mb(data):.1f} MB unpacked"


if __name__ == "__main__":
    main()
