"""Hostile and wrong "Word" files, built in memory: each function returns the bytes of one.

Shared by the reader's own tests and the upload endpoint's tests. The bombs are written
field by field from one compressed megabyte repeated (see `_spaces`), so building a 400 MB
bomb takes milliseconds and little memory; they are cached, so each is built once per process.
"""

import io
import struct
import zipfile
import zlib
from functools import lru_cache

import docx

MB = 1024 * 1024
MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


@lru_cache
def plain_docx() -> bytes:
    """A small, valid .docx as python-docx writes it."""
    document = docx.Document()
    document.add_heading("A plain draft", level=1)
    document.add_paragraph("One paragraph of text.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def zipped(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


def with_parts(data: bytes, changes: dict[str, bytes]) -> bytes:
    """`data` with some members replaced or added."""
    return zipped(members(data) | changes)


def with_main_type(data: bytes, content_type: str) -> bytes:
    parts = members(data)
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        MAIN.encode(), content_type.encode()
    )
    return zipped(parts)


def document_xml(body: str, prolog: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{prolog}'
        f'<w:document xmlns:w="{W_NS}"><w:body>{body}</w:body></w:document>'
    ).encode()


# Zip bombs and lying zips


def _deflated(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


def _spaces(size: int) -> tuple[bytes, int]:
    """A raw deflate stream of `size` spaces (a whole number of MB) and its CRC, built from
    one compressed megabyte repeated: a full flush makes each copy independent of the last,
    so building a 400 MB bomb takes milliseconds and no memory to speak of."""
    chunk = b" " * MB
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    block = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(size // MB):
        crc = zlib.crc32(chunk, crc)
    return block * (size // MB) + _deflated(b""), crc


def raw_zip(entries: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip written field by field from (name, raw deflate data, CRC, declared size), so a
    test can declare any size it likes."""
    out = io.BytesIO()
    central = io.BytesIO()
    for name, data, crc, size in entries:
        encoded = name.encode()
        offset = out.tell()
        out.write(
            struct.pack(
                "<4sHHHHHIIIHH",
                b"PK\x03\x04",
                20,
                0,
                8,
                0,
                0x21,
                crc,
                len(data),
                size,
                len(encoded),
                0,
            )
        )
        out.write(encoded + data)
        central.write(
            struct.pack(
                "<4sHHHHHHIIIHHHHHII",
                b"PK\x01\x02",
                20,
                20,
                0,
                8,
                0,
                0x21,
                crc,
                len(data),
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )
    start = out.tell()
    out.write(central.getvalue())
    count = min(len(entries), 0xFFFF)  # more needs zip64; the directory's size still tells
    out.write(
        struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, central.tell(), start, 0)
    )
    return out.getvalue()


def _package(filler: dict[str, int], declared: dict[str, int] | None = None) -> bytes:
    """The plain .docx with members of `filler[name]` spaces each (replacing a part of that
    name), each declared as `declared[name]` bytes when given."""
    entries = [
        (name, _deflated(data), zlib.crc32(data), len(data))
        for name, data in members(plain_docx()).items()
        if name not in filler
    ]
    for name, size in filler.items():
        data, crc = _spaces(size)
        entries.append((name, data, crc, (declared or {}).get(name, size)))
    return raw_zip(entries)


@lru_cache
def zip_bomb(unpacked: int = 400 * MB) -> bytes:
    """A few hundred KB whose word/document.xml inflates to `unpacked` bytes of spaces."""
    return _package({"word/document.xml": unpacked})


@lru_cache
def spread_bomb(parts: int = 6, each: int = 40 * MB) -> bytes:
    """Several parts, each under the per-part limit, together over the total limit."""
    return _package({f"word/media/fill{n}.bin": each for n in range(parts)})


@lru_cache
def ratio_bomb(unpacked: int = 8 * MB) -> bytes:
    """A part small enough to pass the size limits but compressed far beyond any document."""
    return _package({"word/media/padding.bin": unpacked})


@lru_cache
def lying_header(declared: int = 1000, real: int = 64 * MB) -> bytes:
    """word/document.xml whose headers claim `declared` bytes but whose data inflates to
    `real` bytes."""
    return _package({"word/document.xml": real}, {"word/document.xml": declared})


def many_entries(count: int = 3000) -> bytes:
    """The plain .docx with `count` more tiny entries."""
    empty = _deflated(b"x")
    entries = [
        (name, _deflated(data), zlib.crc32(data), len(data))
        for name, data in members(plain_docx()).items()
    ]
    entries += [(f"word/media/tiny{n}.txt", empty, zlib.crc32(b"x"), 1) for n in range(count)]
    return raw_zip(entries)


def traversal_names(name: str = "../../evil.sh") -> bytes:
    parts = members(plain_docx())
    parts[name] = b"#!/bin/sh\n"
    return zipped(parts)


# Hostile XML inside an otherwise valid package

XXE_PROLOG = '<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
LAUGHS_PROLOG = (
    '<!DOCTYPE w:document [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">'
        for n in range(1, 10)
    )
    + "]>"
)


def xxe_docx() -> bytes:
    body = "<w:p><w:r><w:t>&xxe;</w:t></w:r></w:p>"
    return with_parts(plain_docx(), {"word/document.xml": document_xml(body, XXE_PROLOG)})


def billion_laughs_docx() -> bytes:
    body = "<w:p><w:r><w:t>&lol9;</w:t></w:r></w:p>"
    return with_parts(plain_docx(), {"word/document.xml": document_xml(body, LAUGHS_PROLOG)})


def utf16_doctype_docx() -> bytes:
    """A DOCTYPE in a UTF-16 part: a byte-level screen for "<!DOCTYPE" does not see it."""
    text = document_xml("<w:p><w:r><w:t>&xxe;</w:t></w:r></w:p>", XXE_PROLOG).decode()
    text = text.replace('encoding="UTF-8"', 'encoding="UTF-16"')
    return with_parts(plain_docx(), {"word/document.xml": text.encode("utf-16")})


# Wrong kinds of file


def docm() -> bytes:
    return with_main_type(plain_docx(), "application/vnd.ms-word.document.macroEnabled.main+xml")


def dotx() -> bytes:
    return with_main_type(
        plain_docx(),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
    )


def xlsx_like() -> bytes:
    sheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{sheet}"/></Types>'
    )
    workbook = (
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheets><sheet name="Indicators" sheetId="1"/></sheets></workbook>'
    )
    return zipped({"[Content_Types].xml": types.encode(), "xl/workbook.xml": workbook.encode()})


def odt_like() -> bytes:
    return zipped(
        {
            "mimetype": b"application/vnd.oasis.opendocument.text",
            "content.xml": b"<office:document-content/>",
        }
    )


def random_zip() -> bytes:
    return zipped({"notes.txt": b"not a document", "photo.jpg": b"\xff\xd8\xff"})


def ole_file(kind: str = "encrypted") -> bytes:
    """The start of an OLE compound file: an encrypted .docx ("encrypted") or a legacy .doc."""
    stream = "EncryptedPackage" if kind == "encrypted" else "WordDocument"
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    entry = stream.encode("utf-16-le").ljust(64, b"\x00")
    return header + entry + bytes(448)


def truncated() -> bytes:
    data = plain_docx()
    return data[: len(data) // 2]
