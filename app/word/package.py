"""The .docx package as bytes: byte-identical output for identical input.

python-docx writes zip entries stamped with the clock and core properties with whatever the
template held; both are fixed here so that an export can be hashed and tied to an approval.
"""

import io
import zipfile
from datetime import UTC, datetime
from typing import Any

ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can hold
FIRST = ("[Content_Types].xml", "_rels/.rels")


def _zip(members: dict[str, bytes]) -> bytes:
    """Members with fixed entry dates and attributes, in a fixed order ([Content_Types].xml
    first, then the rest by name), at one compression level."""
    ordered = [n for n in FIRST if n in members] + sorted(n for n in members if n not in FIRST)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in ordered:
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            target.writestr(info, members[name], compresslevel=6)
    return out.getvalue()


def deterministic_zip(data: bytes) -> bytes:
    """The same package, normalised."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        return _zip({name: source.read(name) for name in source.namelist()})


class _Members:
    """Collects what python-docx's package writer would put in the zip."""

    def __init__(self) -> None:
        self.members: dict[str, bytes] = {}

    def write(self, pack_uri: Any, blob: bytes) -> None:
        self.members[pack_uri.membername] = blob

    def close(self) -> None:
        pass


def save(document: Any) -> bytes:
    """A python-docx Document as normalised .docx bytes, compressed once (python-docx's own
    save compresses with the clock's dates, which would then be done again)."""
    package = document.part.package
    try:
        from docx.opc import pkgwriter

        writer: Any = pkgwriter.PackageWriter
        for part in package.parts:
            part.before_marshal()
        collected = _Members()
        writer._write_content_types_stream(collected, package.parts)
        writer._write_pkg_rels(collected, package.rels)
        writer._write_parts(collected, package.parts)
    except (ImportError, AttributeError):  # pragma: no cover - another python-docx
        out = io.BytesIO()
        document.save(out)
        return deterministic_zip(out.getvalue())
    return _zip(collected.members)


def set_core_properties(
    document: Any, *, title: str, subject: str, author: str, keywords: str, when: datetime
) -> None:
    """Core properties from the data, never the clock (python-docx Document)."""
    props = document.core_properties
    props.title = title[:255]
    props.subject = subject[:255]
    props.author = author[:255]
    props.last_modified_by = author[:255]
    props.keywords = keywords[:255]
    props.comments = ""
    props.category = "Draft"
    props.revision = 1
    naive = when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when
    props.created = naive
    props.modified = naive
    props.last_printed = naive
