"""The safe opener: every hostile or wrong file is refused with the right status and a message
that says what is wrong, quickly and with little memory; real Word files open."""

import hashlib
import io
import os
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from app.config import Settings
from app.errors import DomainError
from app.word import reader
from app.word.reader import FileTooLarge, Limits, RefusedFile, WordPackage, open_docx
from app.word.writer import export
from tests import hostile_docx as hostile
from tests.test_word_writer import new_document, redline_document

MB = 1024 * 1024


@dataclass
class Cost:
    seconds: float = 0.0
    peak_bytes: int = 0


@contextmanager
def measured() -> Iterator[Cost]:
    cost = Cost()
    tracemalloc.start()
    started = time.perf_counter()
    try:
        yield cost
    finally:
        cost.seconds = time.perf_counter() - started
        cost.peak_bytes = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


def refusal(data: bytes, filename: str | None = None, **limits: int) -> DomainError:
    with pytest.raises(RefusedFile) as caught:
        open_docx(data, filename, limits=Limits(**limits) if limits else None)
    error = caught.value
    assert "\n" not in error.detail
    assert error.extra == {"field": "file"}
    return error


def ratio(data: bytes, name: str) -> int:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(name)
    assert info.file_size > 1000 * info.compress_size
    return info.file_size // info.compress_size


# Files that open


@pytest.mark.parametrize("variant", ["clean", "redline"])
def test_an_exported_round_opens_with_the_parts_the_readers_need(variant: str) -> None:
    document = new_document() if variant == "clean" else redline_document()
    data = export(document, variant, include_comments=True)  # type: ignore[arg-type]
    package = open_docx(data, "ADWG-FC-2026-R2.docx")
    assert isinstance(package, WordPackage)
    assert package.sha256 == hashlib.sha256(data).hexdigest()
    assert package.size == len(data)
    assert package.filename == "ADWG-FC-2026-R2.docx"
    assert {
        "[Content_Types].xml",
        "_rels/.rels",
        "docProps/core.xml",
        "word/_rels/document.xml.rels",
        "word/document.xml",
        "word/comments.xml",
        "word/commentsExtended.xml",
        "word/numbering.xml",
        "word/settings.xml",
        "word/styles.xml",
    } <= set(package.parts)
    assert "word/media/image1.png" not in package.parts  # only the parts that matter are read
    root = package.xml("word/document.xml")
    assert root is not None and root.tag.endswith("}document")
    assert package.xml("word/commentsIds.xml") is None
    # each call parses afresh, so a reader may change its tree
    assert package.xml("word/document.xml") is not root


def test_a_main_part_stored_elsewhere_is_handed_out_as_word_document_xml() -> None:
    parts = hostile.members(hostile.plain_docx())
    body = parts.pop("word/document.xml")
    rels = parts.pop("word/_rels/document.xml.rels")
    parts["word/main.xml"] = body
    parts["word/_rels/main.xml.rels"] = rels
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"/word/document.xml", b"/word/main.xml"
    )
    package = open_docx(hostile.zipped(parts))
    assert package.parts["word/document.xml"] == body
    assert "word/styles.xml" in package.parts


def test_the_file_name_is_only_a_hint() -> None:
    assert open_docx(hostile.plain_docx(), "draft.docm").parts["word/document.xml"]
    assert open_docx(hostile.plain_docx(), "draft.dotx").parts["word/document.xml"]
    assert "macro-enabled" in refusal(hostile.docm(), "draft.docx").detail


# Size


def test_an_upload_over_the_size_cap_is_413_before_anything_is_read() -> None:
    error = refusal(b"\x00" * 2000, max_bytes=1000)
    assert isinstance(error, FileTooLarge)
    assert error.status_code == 413
    assert error.detail == "the file is 1 KB; files up to 1000 bytes can be imported"


def test_the_size_cap_comes_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().import_max_bytes == 20 * MB == Limits().max_bytes  # the same default
    monkeypatch.setenv("ZERODRAFT_IMPORT_MAX_BYTES", str(5 * MB))
    settings = Settings()
    assert settings.import_max_bytes == 5 * MB
    assert Limits.from_settings(settings).max_bytes == 5 * MB
    error = refusal(os.urandom(6 * MB), max_bytes=Limits.from_settings(settings).max_bytes)
    assert error.status_code == 413
    assert "files up to 5 MB can be imported" in error.detail


def test_a_zip_bomb_is_refused_at_once_with_little_memory() -> None:
    bomb = hostile.zip_bomb()  # a few hundred KB inflating to 400 MB
    assert len(bomb) < 600_000
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        assert archive.getinfo("word/document.xml").file_size == 400 * MB
    with measured() as cost:
        error = refusal(bomb)
    assert isinstance(error, FileTooLarge)
    assert error.status_code == 413
    assert error.detail == "word/document.xml unpacks to 400 MB; a part may be at most 50 MB"
    assert cost.seconds < 0.5, cost
    assert cost.peak_bytes < 2 * MB, cost


def test_a_bomb_spread_over_many_parts_is_refused_by_its_ratio() -> None:
    bomb = hostile.spread_bomb()  # 6 parts of 40 MB each, each under the part limit
    with measured() as cost:
        error = refusal(bomb)
    assert error.status_code == 422
    assert error.detail.startswith(
        f"word/media/fill0.bin is compressed {ratio(bomb, 'word/media/fill0.bin')} to 1"
    )
    assert error.detail.endswith("this looks like a zip bomb, not a Word file")
    assert cost.peak_bytes < 2 * MB, cost


def test_parts_over_the_total_unpacked_limit_are_413() -> None:
    error = refusal(hostile.plain_docx(), max_total_bytes=10_000)
    assert error.status_code == 413
    assert error.detail == ("the file unpacks to more than 9 KB, more than any Word document needs")


def test_a_part_compressed_beyond_any_document_is_refused() -> None:
    bomb = hostile.ratio_bomb()  # 8 MB, under every size limit
    error = refusal(bomb)
    assert error.status_code == 422
    assert error.detail == (
        f"word/media/padding.bin is compressed {ratio(bomb, 'word/media/padding.bin')} to 1 "
        "(at most 100 to 1 is accepted): this looks like a zip bomb, not a Word file"
    )


def test_a_header_that_lies_about_the_size_is_refused_without_inflating() -> None:
    data = hostile.lying_header()  # declares 1,000 bytes, inflates to 64 MB
    with measured() as cost:
        error = refusal(data)
    assert error.status_code == 422
    assert error.detail == (
        "the file is damaged or incomplete (word/document.xml cannot be read): upload it again"
    )
    assert cost.peak_bytes < 2 * MB, cost


def test_members_are_read_with_a_hard_bound_whatever_the_header_says() -> None:
    with zipfile.ZipFile(io.BytesIO(hostile.lying_header())) as archive:
        info = archive.getinfo("word/document.xml")
        info.file_size = 64 * MB  # as if the header told the truth and passed the checks
        with measured() as cost, pytest.raises(FileTooLarge) as caught:
            reader._read(archive, info, budget=1 * MB)
    assert caught.value.status_code == 413
    assert "unpacks to more than its header declares or the limits allow" in caught.value.detail
    assert cost.peak_bytes < 4 * MB, cost


# The zip's directory


def test_too_many_entries_are_refused() -> None:
    error = refusal(hostile.many_entries(3000))
    assert error.status_code == 422
    assert error.detail == (
        "the file holds 3017 entries; a Word file has far fewer (at most 2000 are accepted)"
    )


def test_thirty_thousand_entries_are_counted_before_zipfile_lists_them() -> None:
    data = hostile.many_entries(30_000)
    assert len(data) < 20 * MB
    with measured() as cost:
        error = refusal(data)
    assert error.detail.startswith("the file holds 30017 entries")
    assert cost.peak_bytes < 1 * MB, cost  # zipfile lists them in ~17 MB


@pytest.mark.parametrize(
    "name", ["../../evil.sh", "/etc/cron.d/evil", "C:\\Windows\\evil.dll", "word\\..\\..\\x"]
)
def test_unsafe_path_names_are_refused(name: str) -> None:
    error = refusal(hostile.traversal_names(name))
    assert error.status_code == 422
    assert error.detail.startswith("the file holds an entry with an unsafe path (")
    assert "not a Word .docx file" in error.detail


def test_a_part_stored_twice_is_refused() -> None:
    data = hostile.plain_docx()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in hostile.members(data).items():
            archive.writestr(name, content)
        archive.writestr("Word/Document.xml", b"<x/>")  # part names ignore case
    assert "twice" in refusal(out.getvalue()).detail


# Hostile XML


@pytest.mark.parametrize(
    "build",
    [hostile.xxe_docx, hostile.billion_laughs_docx, hostile.utf16_doctype_docx],
    ids=["xxe", "billion-laughs", "utf16-doctype"],
)
def test_a_document_declaring_a_doctype_is_refused(build: Callable[[], bytes]) -> None:
    data = build()
    with measured() as cost:
        error = refusal(data)
    assert error.status_code == 422
    assert error.detail.startswith("word/document.xml declares a DOCTYPE")
    assert "root:" not in error.detail  # nothing of /etc/passwd
    assert cost.seconds < 0.5 and cost.peak_bytes < 4 * MB, cost


def test_a_part_that_is_not_well_formed_is_refused() -> None:
    data = hostile.with_parts(hostile.plain_docx(), {"word/styles.xml": b"<w:styles><oops>"})
    error = refusal(data)
    assert error.status_code == 422
    assert error.detail.startswith("word/styles.xml is not well-formed XML")


# Not a Word document


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (hostile.docm, "this is a macro-enabled Word file (.docm): save it as a Word document"),
        (hostile.dotx, "this is a Word template (.dotx): open it, save it as a Word document"),
        (hostile.xlsx_like, "this is an Excel workbook, not a Word .docx file"),
        (hostile.odt_like, "this is an OpenDocument text file (.odt): save it as a Word"),
        (hostile.random_zip, "this is not a Word .docx file: it is a zip archive without a"),
    ],
    ids=["docm", "dotx", "xlsx", "odt", "zip"],
)
def test_other_kinds_of_file_each_say_what_they_are(
    build: Callable[[], bytes], message: str
) -> None:
    error = refusal(build())
    assert error.status_code == 422
    assert error.detail.startswith(message)


def test_a_dotm_is_named() -> None:
    data = hostile.with_main_type(
        hostile.plain_docx(), "application/vnd.ms-word.template.macroEnabledTemplate.main+xml"
    )
    assert refusal(data).detail.startswith("this is a macro-enabled Word template (.dotm)")


def test_a_package_whose_main_part_is_missing_is_damaged() -> None:
    parts = hostile.members(hostile.plain_docx())
    del parts["word/document.xml"]
    error = refusal(hostile.zipped(parts))
    assert error.detail == "the file is damaged: its main part word/document.xml is missing"


def test_a_password_protected_docx_is_named() -> None:
    error = refusal(hostile.ole_file("encrypted"), "draft.docx")
    assert error.status_code == 422
    assert error.detail.startswith("this Word file is password-protected (encrypted)")


def test_a_legacy_doc_is_named() -> None:
    error = refusal(hostile.ole_file("doc"), "draft.doc")
    assert error.detail == (
        "this is an old-format Word file (.doc): save it as a Word document (.docx) first"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"%PDF-1.7\n%...", "this is not a Word .docx file: it is a PDF"),
        (b"{\\rtf1\\ansi hello}", "this is not a Word .docx file: it is an RTF file"),
        (bytes(range(256)) * 4, "this is not a Word .docx file (a .docx file is a zip package"),
        (b"PK\x03\x04" + bytes(100), "the file is damaged or incomplete (not a readable .docx)"),
    ],
    ids=["empty", "pdf", "rtf", "random", "zip-header-only"],
)
def test_files_that_are_not_zips_are_refused(data: bytes, message: str) -> None:
    error = refusal(data)
    assert error.status_code == 422
    assert error.detail.startswith(message)


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.99])
def test_a_truncated_docx_is_damaged(keep: float) -> None:
    data = export(new_document(), "clean")
    error = refusal(data[: int(len(data) * keep)])
    assert error.status_code == 422
    assert error.detail.startswith("the file is damaged or incomplete")
