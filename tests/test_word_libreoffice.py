"""An independent renderer: LibreOffice converts every variant to PDF without error, and the PDF
holds the indicators, the marking and the page numbering. The first page and the first page of
the draft text of each variant are kept as PNGs in test-artifacts/word/ for a person to look at.

In CI (CI=true) a missing LibreOffice or poppler fails these tests; elsewhere they are skipped.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from app.word.model import VARIANTS
from app.word.writer import export
from tests.test_word_writer import (
    ASEAN_TEXT,
    documents,
    new_document,
    old_document,
    redline_document,
)

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "word"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
TIMEOUT = 240  # seconds; LibreOffice's first start builds its profile


def _tools() -> dict[str, str]:
    found = {name: shutil.which(name) for name in ("soffice", "pdftotext", "pdftoppm", "pdfinfo")}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        message = (
            f"{', '.join(missing)} missing: install libreoffice-writer-nogui and poppler-utils "
            "(.ci/run does)"
        )
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return {name: str(path) for name, path in found.items()}


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """Every variant (with comments) converted in one LibreOffice run: PDF path and its text."""
    tools = _tools()
    work = tmp_path_factory.mktemp("libreoffice")
    profile = work / "profile"
    sources = []
    for variant, doc in documents().items():
        path = work / f"{variant}.docx"
        path.write_bytes(export(doc, variant, include_comments=True))
        sources.append(str(path))
    result = subprocess.run(
        [
            tools["soffice"],
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work),
            *sources,
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    out: dict[str, tuple[Path, str]] = {}
    for variant in VARIANTS:
        pdf = work / f"{variant}.pdf"
        assert pdf.exists(), (
            f"LibreOffice did not convert {variant}: {result.stdout}{result.stderr}"
        )
        text = subprocess.run(
            [tools["pdftotext"], "-layout", str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
        out[variant] = (pdf, text)
    return out


def _pages(pdf: Path) -> int:
    info = subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    match = re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)
    assert match, info
    return int(match.group(1))


def _keep_png(pdf: Path, page: int, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = ARTIFACTS / name
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            str(page),
            "-l",
            str(page),
            "-singlefile",
            str(pdf),
            str(stem),
        ],
        check=True,
        timeout=60,
    )
    png = stem.with_suffix(".png")
    assert png.stat().st_size > 1000
    return png


@pytest.mark.parametrize("variant", VARIANTS)
def test_libreoffice_renders_every_variant(variant: str, pdfs: dict[str, tuple[Path, str]]) -> None:
    pdf, text = pdfs[variant]
    pages = _pages(pdf)
    flat = " ".join(text.split())
    assert "RESTRICTED" in flat
    assert "Page 1 of" not in flat  # the cover has no page number (tests/test_word_layout.py)
    assert "ADWG/FC/2026/R2 · Page 2 of" in flat
    assert f"Page {pages} of {pages}" in flat
    assert "Zero Draft ASEAN Indicators of Trafficking" in flat
    assert "15 April 2026, 17:00 Asia/Jakarta time" in flat
    if variant == "responses":
        assert "Comment-response table" in flat
        for expected in (
            "No.",
            "Summary of input",
            "P-11",
            "P-50",
            "Taken into account",
            'Amend: "Confined to a fenced compound"',
        ):
            assert expected in flat, expected
    else:
        for expected in (
            "Contents",
            "Deceptive recruitment (DR)",
            "Control at destination (CD)",
            "FC-CD-01",
            "FC-CD-03",
            "Guidance note: Ask how the job was advertised",
        ):
            assert expected in flat, expected
    if variant == "redline":  # LibreOffice shows deletions struck through beside insertions
        assert "Passport or personal phone takenconfiscated by the operators" in flat
        assert "Recruiter paid travel and visa costs" in flat
    elif variant != "responses":
        assert "Passport or personal phone confiscated by the operators" in flat
    if variant == "compilation":
        assert "Alt 1 · P-12: amend · Philippines - SOMTC, co-sponsored by Thailand - SOMTC" in flat
    _keep_png(pdf, 1, f"{variant}-cover")
    marker = "Summary of input" if variant == "responses" else "How people are lured abroad."
    text_page = next(n for n, page in enumerate(text.split("\f"), 1) if marker in page)
    _keep_png(pdf, text_page, variant)


def test_asean_scripts_reach_the_pdf(pdfs: dict[str, tuple[Path, str]]) -> None:
    _, text = pdfs["clean"]
    flat = "".join(text.split())
    for words in ("ถูกบังคับให้ชดใช้หนี้", "ຖືກບັງຄັບໃຫ້ໃຊ້ໜີ້", "bịéptrảnợ", "ជំពាក់បំណុល"):
        assert words in flat, words
    assert "Debt bondage" in text and ASEAN_TEXT.split(":")[0] in text


# LibreOffice's own "Accept all" and "Reject all", driven through its UNO bridge (Debian's
# python3-uno, for the system Python). Each job: a .docx, what to do, where to write the text.
UNO_SCRIPT = r"""
import subprocess, sys, time
import uno
from com.sun.star.beans import PropertyValue

def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p

profile, pipe = sys.argv[1], sys.argv[2]
jobs = [line.split("\t") for line in sys.stdin.read().splitlines() if line]
office = subprocess.Popen(["soffice", "-env:UserInstallation=" + profile, "--headless",
                           "--norestore", "--invisible", "--accept=pipe,name=%s;urp;" % pipe])
try:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(480):
        try:
            ctx = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
            break
        except Exception:
            time.sleep(0.25)
    else:
        raise SystemExit("LibreOffice did not start")
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    dispatcher = ctx.ServiceManager.createInstanceWithContext(
        "com.sun.star.frame.DispatchHelper", ctx)
    for source, action, target in jobs:
        doc = desktop.loadComponentFromURL(
            uno.systemPathToFileUrl(source), "_blank", 0, (prop("Hidden", True),))
        if action != "none":
            frame = doc.getCurrentController().getFrame()
            dispatcher.executeDispatch(frame, ".uno:%sAllTrackedChanges" % action, "", 0, ())
        doc.storeToURL(uno.systemPathToFileUrl(target),
                       (prop("FilterName", "Text (encoded)"), prop("FilterOptions", "UTF8")))
        doc.close(True)
    try:
        desktop.terminate()
    except Exception:
        pass
finally:
    try:
        office.wait(timeout=60)
    except subprocess.TimeoutExpired:
        office.kill()
"""


def _text_after_contents(path: Path) -> list[str]:
    """The text LibreOffice wrote, from the draft text on (after the contents list)."""
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    # The heading, numbered by its list (the contents shows "I.<tab>Purpose<tab>2").
    starts = [n for n, line in enumerate(lines) if line.strip() == "I. Purpose"]
    assert len(starts) == 1, lines[:40]
    return lines[starts[0] :]


def test_libreoffice_accept_all_and_reject_all_give_the_two_rounds(tmp_path: Path) -> None:
    _tools()
    probe = subprocess.run(
        ["/usr/bin/python3", "-c", "import uno"], capture_output=True, check=False, timeout=60
    )
    if probe.returncode != 0:
        message = "Debian's python3-uno is not installed: LibreOffice cannot be driven"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    files = {
        "redline": redline_document(),
        "new": new_document(),
        "old": old_document(),
    }
    for name, doc in files.items():
        variant = "redline" if name == "redline" else "clean"
        (tmp_path / f"{name}.docx").write_bytes(export(doc, variant))
    jobs = [
        ("redline", "Accept", "accepted"),
        ("redline", "Reject", "rejected"),
        ("new", "none", "new"),
        ("old", "none", "old"),
    ]
    (tmp_path / "uno_script.py").write_text(UNO_SCRIPT)
    result = subprocess.run(
        [
            "/usr/bin/python3",
            str(tmp_path / "uno_script.py"),
            (tmp_path / "profile").as_uri(),
            f"zerodraft-test-{os.getpid()}",
        ],
        input="".join(
            f"{tmp_path / (src + '.docx')}\t{action}\t{tmp_path / (out + '.txt')}\n"
            for src, action, out in jobs
        ),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    accepted = _text_after_contents(tmp_path / "accepted.txt")
    assert accepted == _text_after_contents(tmp_path / "new.txt")
    rejected = _text_after_contents(tmp_path / "rejected.txt")
    assert rejected == _text_after_contents(tmp_path / "old.txt")
    # The numbers are the lists': each side numbers its own indicators, no text to track.
    assert "    2. FC-CD-01" in accepted and "    3. FC-CD-01" in rejected
    assert "Passport or personal phone confiscated by the operators" in accepted
