"""The safe opener for uploaded Word files: bytes in, the parts that matter out, or a refusal.

Everything a hostile or wrong file could do is checked before any XML is parsed, cheapest
first: the upload's size; an OLE compound file (a password-protected .docx or a legacy .doc);
not a zip at all; a damaged zip; then the zip's own directory (entry count, declared sizes,
compression ratio, path names). The main part's content type then decides whether this is a
Word document (.docx), a macro-enabled one, a template, or not a Word file at all. The file
name is only a hint: the content decides.

Only the parts the readers use are ever inflated (never images or other media), and they are
read against a budget far below the directory's limits, since what a part costs is its parsed
tree, not its bytes: a part's declared size is checked before it is inflated, and while it is
inflated (in chunks, whatever its header declares) the bytes of each part and of all parts
together, and their markup (tags and attributes, which is what a parsed tree is made of), are
counted and the read stops as soon as one runs over. A 500-indicator compilation with every
comment thread is about 9 MB in these parts and 0.79 million units of markup; the budgets
are 1.5 to 3.5 times that (see Limits).

The small package parts (content types, document properties, custom XML) are read first, and
a caller may look at them (`before_body`) and refuse the file before the document's body is
read at all: who may import which kind of file is decided there.

Every XML part kept is parsed once here (through app.word.xmlsafe) so that a part declaring a
DOCTYPE or entities, or one that is not well-formed, is refused at the door.
"""

import hashlib
import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol

from app.errors import InvalidInput
from app.word.xmlsafe import Element, UnsafeXml, parse_xml

MB = 1024 * 1024
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CHUNK = 64 * 1024

DOCUMENT = "word/document.xml"
CONTENT_TYPES = "[Content_Types].xml"
# Canonical names of the parts the readers use; the package may store them elsewhere (the
# relationships say where), they are always handed out under these names.
WORD_PARTS = {
    "comments": "word/comments.xml",
    "commentsExtended": "word/commentsExtended.xml",
    "commentsIds": "word/commentsIds.xml",
    "numbering": "word/numbering.xml",
    "styles": "word/styles.xml",
    "settings": "word/settings.xml",
}
PACKAGE_PARTS = ("docProps/core.xml", "docProps/custom.xml", "_rels/.rels")
# Custom XML data parts (customXml/item1.xml ...): where an export keeps its manifest.
_CUSTOM_XML = re.compile(r"customXml/item\d{1,4}\.xml")
_MAX_CUSTOM_XML = 20
DOCUMENT_RELS = "word/_rels/document.xml.rels"

_CT = "application/vnd.openxmlformats-officedocument."
_MS = "application/vnd.ms-"
DOCX_MAIN = _CT + "wordprocessingml.document.main+xml"
# Main-part content types that are not a plain Word document, and what to tell the person.
WRONG_MAIN: dict[str, str] = {
    _MS + "word.document.macroEnabled.main+xml": (
        "this is a macro-enabled Word file (.docm): save it as a Word document (.docx) "
        "and upload again"
    ),
    _CT + "wordprocessingml.template.main+xml": (
        "this is a Word template (.dotx): open it, save it as a Word document (.docx) "
        "and upload again"
    ),
    _MS + "word.template.macroEnabledTemplate.main+xml": (
        "this is a macro-enabled Word template (.dotm): save it as a Word document (.docx) "
        "and upload again"
    ),
    _CT + "spreadsheetml.sheet.main+xml": "this is an Excel workbook, not a Word .docx file",
    _MS + "excel.sheet.macroEnabled.main+xml": "this is an Excel workbook, not a Word .docx file",
    _CT + "spreadsheetml.template.main+xml": "this is an Excel template, not a Word .docx file",
    _CT + "presentationml.presentation.main+xml": (
        "this is a PowerPoint presentation, not a Word .docx file"
    ),
    _MS + "powerpoint.presentation.macroEnabled.main+xml": (
        "this is a PowerPoint presentation, not a Word .docx file"
    ),
    _CT + "presentationml.slideshow.main+xml": "this is a PowerPoint slide show, not a Word file",
}
_ODF = "application/vnd.oasis.opendocument."
NOT_DOCX = "this is not a Word .docx file"
_DRIVE = re.compile(r"^[A-Za-z]:")


class RefusedFile(InvalidInput):
    """An uploaded file that will not be read, with one line saying why."""

    error = "refused_file"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, field="file")


class FileTooLarge(RefusedFile):
    """The upload, or what it unpacks to, is larger than the limits allow."""

    status_code = 413
    error = "file_too_large"


class SizeSettings(Protocol):
    """Settings that say how large an upload may be (app.config.Settings is one)."""

    @property
    def import_max_bytes(self) -> int: ...

    @property
    def import_read_part_bytes(self) -> int: ...

    @property
    def import_read_bytes(self) -> int: ...

    @property
    def import_read_markup(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Limits:
    """What an upload may be. The edges pass Limits.from_settings(settings); the defaults are
    the settings' own defaults (ZERODRAFT_IMPORT_MAX_BYTES ...).

    The directory's limits apply to every entry's declared sizes (most entries, such as
    images, are never inflated); the read budgets apply to the parts the readers use, which
    are inflated and parsed. A 500-indicator compilation exported with all its 5,000 comments
    reads 9.1 MB (its largest part, word/document.xml, 5.7 MB) holding 0.79 million units of
    markup (475,000 tags, 156,000 attributes counted twice) and 19,000 paragraphs, which count
    PARAGRAPH_WEIGHT units more each: 0.89 million (the responses table, 35,000 paragraphs,
    0.97 million). The budgets are 2.8x, 3.5x and 1.35x that (1.24x for the responses table). A
    unit of markup costs 120-250 bytes parsed (lxml's nodes and the readers' objects), a
    paragraph about 650 more, so the markup budget, not the bytes, is what bounds an import's
    memory: about 200 MB at most (200,000 empty paragraphs).
    """

    max_bytes: int = 20 * MB  # the upload itself
    max_entries: int = 2000
    max_part_bytes: int = 50 * MB  # one entry of the directory, declared unpacked size
    max_total_bytes: int = 200 * MB  # all entries, declared
    max_ratio: int = 100  # unpacked : packed, checked for entries over `ratio_from`
    ratio_from: int = 1 * MB
    read_part_bytes: int = 16 * MB  # one part the readers use, inflated
    read_bytes: int = 32 * MB  # all parts the readers use, inflated
    read_markup: int = 1_200_000  # `<` and twice `=` in those parts together

    @classmethod
    def from_settings(cls, settings: SizeSettings) -> "Limits":
        return cls(
            max_bytes=settings.import_max_bytes,
            read_part_bytes=settings.import_read_part_bytes,
            read_bytes=settings.import_read_bytes,
            read_markup=settings.import_read_markup,
        )


@dataclass(frozen=True, slots=True)
class WordPackage:
    """The parts of an accepted Word document that the readers use, keyed by canonical name."""

    parts: Mapping[str, bytes]
    sha256: str  # of the uploaded bytes, for the audit trail and to spot a repeated import
    size: int
    filename: str | None = None

    def xml(self, name: str) -> Element | None:
        """A fresh parse of one part (callers may change the tree), or None when absent."""
        data = self.parts.get(name)
        if data is None:
            return None
        return _parse(data, name)


# Sees the package parts read before the document's body (by canonical name) and may raise.
BeforeBody = Callable[[Mapping[str, bytes]], None]


def open_docx(
    data: bytes,
    filename: str | None = None,
    *,
    limits: Limits | None = None,
    before_body: BeforeBody | None = None,
) -> WordPackage:
    """The Word package in `data`, or RefusedFile (422) / FileTooLarge (413) saying why.

    `before_body` is called with the small parts (content types, document properties, custom
    XML) once they are read and before the main part is: what it raises is raised as is."""
    limits = limits or Limits()
    size = len(data)
    if size > limits.max_bytes:
        raise FileTooLarge(
            f"the file is {_mb(size)}; files up to {_mb(limits.max_bytes)} can be imported"
        )
    if size == 0:
        raise RefusedFile("the file is empty")
    if data.startswith(OLE_MAGIC):
        raise RefusedFile(_ole_message(data))
    if not data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise RefusedFile(_not_zip_message(data, filename))
    # zipfile lists every entry before anything can be checked: count the directory's
    # signatures first, so that a file of a million tiny entries never becomes that list.
    _check_entries(data.count(b"PK\x01\x02"), limits)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, *_ZIP_ERRORS) as exc:
        raise RefusedFile(
            "the file is damaged or incomplete (not a readable .docx): upload it again"
        ) from exc
    with archive:
        infos = _prechecked(archive, limits)
        try:
            parts = _read_parts(archive, infos, limits, before_body)
        except UnsafeXml as exc:  # one kind of refusal for everything refused here
            raise RefusedFile(exc.detail) from exc
    return WordPackage(
        parts=MappingProxyType(parts),
        sha256=hashlib.sha256(data).hexdigest(),
        size=size,
        filename=filename,
    )


# Errors a damaged archive can raise from the standard library besides BadZipFile.
_ZIP_ERRORS = (
    EOFError,
    OSError,
    ValueError,  # includes UnicodeDecodeError of a member name
    RuntimeError,  # an encrypted member
    NotImplementedError,  # an unknown compression method
    zlib.error,
    struct.error,
    KeyError,
    IndexError,
    OverflowError,
)


def _mb(n: int) -> str:
    """A size as people read it: "20 MB", "1.5 MB", "300 KB", "900 bytes"."""
    if n >= MB:
        return f"{n / MB:.1f}".removesuffix(".0") + " MB"
    if n >= 1024:
        return f"{n // 1024} KB"
    return f"{n} bytes"


def _ole_message(data: bytes) -> str:
    if "EncryptedPackage".encode("utf-16-le") in data:
        return (
            "this Word file is password-protected (encrypted): remove the password "
            "(File > Info > Protect Document) and upload again"
        )
    if "WordDocument".encode("utf-16-le") in data:
        return "this is an old-format Word file (.doc): save it as a Word document (.docx) first"
    return "this is an old-format Office file, not a Word .docx file"


def _not_zip_message(data: bytes, filename: str | None) -> str:
    head = data[:8]
    if head.startswith(b"%PDF"):
        return f"{NOT_DOCX}: it is a PDF"
    if head.startswith(b"{\\rtf"):
        return f"{NOT_DOCX}: it is an RTF file; save it as a Word document (.docx) first"
    if filename and filename.lower().endswith(".doc"):
        return f"{NOT_DOCX}: save it as a Word document (.docx) first"
    return f"{NOT_DOCX} (a .docx file is a zip package; this one is not)"


def _bad_name(name: str) -> bool:
    if not name or "\x00" in name or name.startswith(("/", "\\")) or _DRIVE.match(name):
        return True
    return ".." in re.split(r"[/\\]", name)


def _check_entries(count: int, limits: Limits) -> None:
    if count > limits.max_entries:
        raise RefusedFile(
            f"the file holds {count} entries; a Word file has far fewer "
            f"(at most {limits.max_entries} are accepted)"
        )


def _prechecked(archive: zipfile.ZipFile, limits: Limits) -> dict[str, zipfile.ZipInfo]:
    """The archive's directory checked without decompressing anything: entries by name."""
    infos = archive.infolist()
    _check_entries(len(infos), limits)
    by_name: dict[str, zipfile.ZipInfo] = {}
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        if _bad_name(name):
            raise RefusedFile(
                f"the file holds an entry with an unsafe path ({name[:80]!r}): "
                "not a Word .docx file"
            )
        folded = name.lower()
        if folded in seen:
            raise RefusedFile(f"the file holds the entry {name[:80]!r} twice: it is damaged")
        seen.add(folded)
        if info.flag_bits & 0x1:
            raise RefusedFile(
                "this Word file is password-protected (encrypted): remove the password "
                "and upload again"
            )
        if info.file_size > limits.max_part_bytes:
            raise FileTooLarge(
                f"{name[:80]} unpacks to {_mb(info.file_size)}; a part may be at most "
                f"{_mb(limits.max_part_bytes)}"
            )
        total += info.file_size
        if total > limits.max_total_bytes:
            raise FileTooLarge(
                f"the file unpacks to more than {_mb(limits.max_total_bytes)}, "
                "more than any Word document needs"
            )
        if info.file_size > limits.ratio_from and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            raise RefusedFile(
                f"{name[:80]} is compressed {info.file_size // max(info.compress_size, 1)} "
                f"to 1 (at most {limits.max_ratio} to 1 is accepted): this looks like a "
                "zip bomb, not a Word file"
            )
        if not name.endswith("/"):
            by_name[name] = info
    return by_name


# A paragraph's start tag, with or without a namespace prefix (`<w:p>`, `<w:p w:rsidR=...>`,
# `<x:p/>`), not `<w:pPr>` or `<w:proofErr>`.
PARAGRAPH = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?p[\s/>]")
PARAGRAPH_WEIGHT = 5


class _Markup:
    """Markup left to read: a parsed tree costs a node per tag (and per text between tags)
    and two per attribute (the attribute and its value's text), whatever the bytes. Every `<`
    counts one and every `=` two (an upper bound: text holds `=` too), so that no tree is built
    past the budget."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.spent = 0

    def take(self, name: str, chunk: bytes) -> None:
        # A paragraph costs the readers far more than other markup (about 650 bytes, against
        # 120-250 for a unit: the returned-copy reader builds objects per paragraph), so each
        # counts PARAGRAPH_WEIGHT more, whatever prefix names its namespace: 1.1 million empty
        # paragraphs inside the plain budget cost 12-17 s and 600-730 MB before this.
        paragraphs = len(PARAGRAPH.findall(chunk))
        self.spent += chunk.count(b"<") + 2 * chunk.count(b"=") + PARAGRAPH_WEIGHT * paragraphs
        if self.spent > self.budget:
            raise FileTooLarge(
                f"{name[:80]} holds more markup than a Word document needs (the parts read "
                f"hold over {self.budget:,} tags and attributes, an attribute counted twice): "
                "refused"
            )


def _read(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    budget: int,
    markup: _Markup | None = None,
) -> bytes:
    """One member, decompressed in chunks and stopped as soon as it exceeds `budget` bytes or
    `markup` (the declared size is not trusted)."""
    out = bytearray()
    bound = min(budget, info.file_size) + 1
    try:
        with archive.open(info) as member:
            while chunk := member.read(min(_CHUNK, bound - len(out))):
                out += chunk
                if len(out) > info.file_size or len(out) >= bound:
                    raise FileTooLarge(
                        f"{info.filename[:80]} unpacks to more than its header declares "
                        "or the limits allow: refused"
                    )
                if markup is not None:
                    markup.take(info.filename, chunk)
    except (zipfile.BadZipFile, *_ZIP_ERRORS) as exc:
        raise RefusedFile(
            f"the file is damaged or incomplete ({info.filename[:80]} cannot be read): "
            "upload it again"
        ) from exc
    return bytes(out)


def _read_parts(
    archive: zipfile.ZipFile,
    infos: Mapping[str, zipfile.ZipInfo],
    limits: Limits,
    before_body: BeforeBody | None = None,
) -> dict[str, bytes]:
    spent = 0
    markup = _Markup(limits.read_markup)

    def take(name: str) -> bytes | None:
        nonlocal spent
        info = infos.get(name)
        if info is None:
            return None
        # The declared size first: a part over the budget is refused before it is inflated.
        if info.file_size > limits.read_part_bytes:
            raise FileTooLarge(
                f"{name[:80]} unpacks to {_mb(info.file_size)}; the parts of a Word document "
                f"that are read may be at most {_mb(limits.read_part_bytes)} each"
            )
        if spent + info.file_size > limits.read_bytes:
            raise FileTooLarge(
                f"the parts of the file that are read unpack to more than "
                f"{_mb(limits.read_bytes)} (at {name[:80]}), more than any Word document needs"
            )
        data = _read(archive, info, min(limits.read_part_bytes, limits.read_bytes - spent), markup)
        spent += len(data)
        return data

    types_data = take(CONTENT_TYPES)
    if types_data is None:
        raise RefusedFile(_no_content_types(infos, take))
    main = _main_part(types_data, infos)
    parts: dict[str, bytes] = {CONTENT_TYPES: types_data}
    for name in PACKAGE_PARTS:
        found = take(name)
        if found is not None:
            parts[name] = found
    for name in sorted(n for n in infos if _CUSTOM_XML.fullmatch(n))[:_MAX_CUSTOM_XML]:
        parts[name] = take(name) or b""
    if before_body is not None:
        before_body(MappingProxyType(parts))
    document = take(main)
    if document is None:
        raise RefusedFile(f"the file is damaged: its main part {main} is missing")
    parts[DOCUMENT] = document
    rels_name = posixpath.join(posixpath.dirname(main), "_rels", posixpath.basename(main) + ".rels")
    rels = take(rels_name)
    targets: dict[str, str] = {}
    if rels is not None:
        parts[DOCUMENT_RELS] = rels
        targets = _targets(rels, rels_name, posixpath.dirname(main))
    for kind, canonical in WORD_PARTS.items():
        found = take(targets.get(kind, canonical))
        if found is not None:
            parts[canonical] = found
    for name, data in parts.items():
        if name != CONTENT_TYPES:
            _parse(data, name)
    return parts


def _no_content_types(
    infos: Mapping[str, zipfile.ZipInfo], take: Callable[[str], bytes | None]
) -> str:
    if "mimetype" in infos:
        kind = (take("mimetype") or b"")[:100].decode("ascii", "replace").strip()
        if kind.startswith(_ODF + "text"):
            return (
                "this is an OpenDocument text file (.odt): save it as a Word document (.docx) "
                "and upload again"
            )
        if kind.startswith(_ODF):
            return "this is an OpenDocument file, not a Word .docx file"
    return f"{NOT_DOCX}: it is a zip archive without a Word document in it"


def _main_part(types_data: bytes, infos: Mapping[str, zipfile.ZipInfo]) -> str:
    """The name of the Word main part, or the refusal that the content types call for."""
    root = _parse(types_data, CONTENT_TYPES)
    overrides: dict[str, str] = {}
    for el in root:
        if isinstance(el.tag, str) and el.tag.endswith("}Override"):
            name = (el.get("PartName") or "").lstrip("/")
            overrides[name] = (el.get("ContentType") or "").strip().lower()
    for name, kind in overrides.items():
        if kind == DOCX_MAIN:
            return name
    for kind in overrides.values():
        for wrong, message in WRONG_MAIN.items():
            if kind == wrong.lower():
                raise RefusedFile(message)
    if DOCUMENT in infos:
        raise RefusedFile(
            f"{NOT_DOCX}: it holds word/document.xml but does not declare it a Word document"
        )
    raise RefusedFile(f"{NOT_DOCX}: it is an Office-style package with no Word document in it")


_RT_KINDS = {
    "/comments": "comments",
    "/commentsExtended": "commentsExtended",
    "/commentsIds": "commentsIds",
    "/numbering": "numbering",
    "/styles": "styles",
    "/settings": "settings",
}


def _targets(rels: bytes, rels_name: str, base: str) -> dict[str, str]:
    """Where the document's relationships put the parts the readers use."""
    out: dict[str, str] = {}
    for el in _parse(rels, rels_name):
        if not isinstance(el.tag, str) or el.get("TargetMode") == "External":
            continue
        kind = _RT_KINDS.get((el.get("Type") or "")[(el.get("Type") or "").rfind("/") :])
        target = el.get("Target") or ""
        if kind is None or not target or _bad_name(target.lstrip("/")):
            continue
        path = target.lstrip("/") if target.startswith("/") else posixpath.join(base, target)
        out.setdefault(kind, posixpath.normpath(path))
    return out


def _parse(data: bytes, name: str) -> Element:
    try:
        root = parse_xml(data, name)
    except UnsafeXml as exc:  # lxml's messages may run over several lines
        raise UnsafeXml(" ".join(exc.detail.split())) from exc
    # parse_xml screens the bytes for a DOCTYPE; a part in UTF-16 would pass that screen, so
    # the parsed tree is asked as well.
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        raise UnsafeXml(f"{name} declares a DOCTYPE, which Word never writes: refused")
    return root
