"""How an export marks its items so that a copy edited in Word or LibreOffice can be read back.

Three marks, none of which shows in the document:

- a bookmark per item spanning its paragraphs, from the start of its heading to the end of its
  last field: `zd_i_<code>` for an indicator, `zd_s_<code>` for a section, the code's hyphens
  written as underscores (`FC-CD-01` -> `zd_i_FC_CD_01`); a point bookmark `zd_d_<code>` on each
  dimension heading. A code that does not fit a bookmark name (letters, digits and single
  hyphens, at most 35 characters) is written `zd_hi_` / `zd_hs_` / `zd_hd_` and 16 hex digits of
  its SHA-256, and found through the manifest. Which field a paragraph holds is read from its
  paragraph style and label run (ZDIndicatorText, ZDGuidance, "References: " ...).
- custom document properties (docProps/custom.xml, all text): `zerodraft.format` ("1"),
  `zerodraft.round` (the symbol), `zerodraft.round_id` (when known), `zerodraft.variant`,
  `zerodraft.as_of` (the latest date the export's content carries: the round's date, or a
  later change or comment; ISO 8601 UTC), `zerodraft.content_hash` (an approved round's hash,
  when there is one), `zerodraft.text_hash` (SHA-256 over the manifest's item entries) and
  `zerodraft.signature`.
- a manifest, a custom XML part (customXml/itemN.xml, namespace `urn:zerodraft:export:1`),
  which Word and LibreOffice both keep: per item its mark, code, kind, dimension and a hash of
  each field's exported text; the (author, date) of every tracked change and comment the export
  wrote; the references of the comment threads it carried (`C-5`); hashes of the exported
  paragraphs of the draft text that belong to no item.

Two signatures, HMACs by the platform's secret key (never in the database, never in app/word:
the caller passes in the function that signs): `zerodraft.manifest_signature` over the manifest
and `zerodraft.signature` over the other zerodraft properties (the first among them), each as
read back (`signed_manifest`, `signed_properties`). LibreOffice drops custom XML parts and keeps
the properties, so a copy may come back without its manifest; one that has a manifest must have
it signed. A returned copy is believed only when they verify, so a file cannot name threads,
items or a round of its own choosing and pass for an export.
"""

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from xml.sax.saxutils import escape, quoteattr

from lxml import etree  # type: ignore[import-untyped]

MarkKind = Literal["indicator", "section", "dimension"]
NS = "urn:zerodraft:export:1"
FORMAT = "1"
PREFIX = "zerodraft."
SIGNATURE = PREFIX + "signature"
MANIFEST_SIGNATURE = PREFIX + "manifest_signature"
CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
PROPERTY_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
_LETTER = {"indicator": "i", "section": "s", "dimension": "d"}
_KIND = {v: k for k, v in _LETTER.items()}
_READABLE = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")
_MARK = re.compile(r"zd_(?:([isd])_([A-Za-z0-9_]+)|h([isd])_([0-9a-f]{16}))")
MAX_READABLE = 35


def short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def readable(code: str) -> bool:
    """Whether a code is written as it is in a bookmark name (letters, digits, hyphens)."""
    return _READABLE.fullmatch(code) is not None


def mark_name(kind: MarkKind, code: str) -> str:
    """The bookmark name of an item or dimension (<= 40 characters, a letter first)."""
    letter = _LETTER[kind]
    if len(code) <= MAX_READABLE and _READABLE.fullmatch(code):
        return f"zd_{letter}_{code.replace('-', '_')}"
    return f"zd_h{letter}_{short_hash(code)}"


def parse_mark(name: str) -> tuple[MarkKind, str | None] | None:
    """(kind, code) of a bookmark name; the code is None for a hashed name (see the manifest);
    None when the name is not a zerodraft mark."""
    m = _MARK.fullmatch(name)
    if m is None:
        return None
    if m.group(1):
        kind: Any = _KIND[m.group(1)]
        return kind, m.group(2).replace("_", "-")
    kind = _KIND[m.group(3)]
    return kind, None


def stamp(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(slots=True)
class ItemEntry:
    mark: str
    kind: Literal["indicator", "section"]
    code: str
    dimension: str | None
    fields: dict[str, str] = field(default_factory=dict)  # field name -> short_hash(text)


@dataclass(slots=True)
class Manifest:
    round_symbol: str
    variant: str
    as_of: str
    items: list[ItemEntry] = field(default_factory=list)
    dimensions: dict[str, str] = field(default_factory=dict)  # mark -> dimension code
    changes: set[tuple[str, str]] = field(default_factory=set)  # (author, date stamp)
    comments: set[tuple[str, str]] = field(default_factory=set)
    other: set[str] = field(default_factory=set)  # hashes of paragraphs outside items
    threads: set[str] = field(default_factory=set)  # references of the threads carried

    def text_hash(self) -> str:
        lines = [
            f"{i.kind}\t{i.code}\t{name}\t{digest}"
            for i in self.items
            for name, digest in sorted(i.fields.items())
        ]
        return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()

    def to_xml(self) -> bytes:
        out = [
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
            f'<zd:export xmlns:zd="{NS}" format="{FORMAT}" round={quoteattr(self.round_symbol)} '
            f'variant={quoteattr(self.variant)} asOf="{self.as_of}">',
        ]
        for mark, code in self.dimensions.items():
            out.append(f"<zd:dimension mark={quoteattr(mark)} code={quoteattr(code)}/>")
        for item in self.items:
            dim = f" dimension={quoteattr(item.dimension)}" if item.dimension else ""
            out.append(
                f"<zd:item mark={quoteattr(item.mark)} kind={quoteattr(item.kind)} "
                f"code={quoteattr(item.code)}{dim}>"
            )
            for name, digest in item.fields.items():
                out.append(f"<zd:field name={quoteattr(name)} hash={quoteattr(digest)}/>")
            out.append("</zd:item>")
        for tag, pairs in (("change", self.changes), ("comment", self.comments)):
            for author, date in sorted(pairs):
                out.append(f"<zd:{tag} author={quoteattr(author)} date={quoteattr(date)}/>")
        for digest in sorted(self.other):
            out.append(f"<zd:other hash={quoteattr(digest)}/>")
        for reference in sorted(self.threads):
            out.append(f"<zd:thread ref={quoteattr(reference)}/>")
        out.append("</zd:export>")
        return "".join(out).encode("utf-8")

    @classmethod
    def from_xml(cls, root: Any) -> "Manifest | None":
        if root.tag != f"{{{NS}}}export":
            return None
        manifest = cls(
            round_symbol=root.get("round", ""),
            variant=root.get("variant", ""),
            as_of=root.get("asOf", ""),
        )
        for el in root:
            tag = etree.QName(el).localname if isinstance(el.tag, str) else ""
            if tag == "dimension":
                manifest.dimensions[el.get("mark", "")] = el.get("code", "")
            elif tag == "item" and el.get("kind") in ("indicator", "section"):
                manifest.items.append(
                    ItemEntry(
                        mark=el.get("mark", ""),
                        kind=el.get("kind"),
                        code=el.get("code", ""),
                        dimension=el.get("dimension"),
                        fields={f.get("name", ""): f.get("hash", "") for f in el},
                    )
                )
            elif tag in ("change", "comment"):
                pairs = manifest.changes if tag == "change" else manifest.comments
                pairs.add((el.get("author", ""), el.get("date", "")))
            elif tag == "other":
                manifest.other.add(el.get("hash", ""))
            elif tag == "thread":
                manifest.threads.add(el.get("ref", ""))
        return manifest


def signed_properties(properties: Mapping[str, str]) -> str:
    """What `zerodraft.signature` covers: the zerodraft properties but itself, stripped as they
    are read back, in name order (LibreOffice reorders them)."""
    lines = [
        f"{name}={value.strip()}"
        for name, value in sorted(properties.items())
        if name.startswith(PREFIX) and name != SIGNATURE
    ]
    return "\n".join(["properties", *lines])


def signed_manifest(manifest: Manifest) -> str:
    """What `zerodraft.manifest_signature` covers: the manifest written out again from what was
    read, so that a program that rewrites its spacing or quoting leaves it unchanged."""
    return "manifest\n" + manifest.to_xml().decode("utf-8")


def custom_properties_xml(values: Mapping[str, str], keep: Iterable[Any] = ()) -> bytes:
    """docProps/custom.xml with `keep` (other programs' property elements) and `values`."""
    out = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
        f'<Properties xmlns="{CUSTOM_NS}" xmlns:vt="{VT_NS}">',
    ]
    pid = 2  # 0 and 1 are reserved
    for el in keep:
        el.set("pid", str(pid))
        xml = etree.tostring(el, encoding="unicode")
        out.append(xml)
        pid += 1
    for name, value in values.items():
        out.append(
            f'<property fmtid="{PROPERTY_FMTID}" pid="{pid}" name={quoteattr(name)}>'
            f"<vt:lpwstr>{escape(value)}</vt:lpwstr></property>"
        )
        pid += 1
    out.append("</Properties>")
    return "".join(out).encode("utf-8")


def read_custom_properties(root: Any) -> dict[str, str]:
    """Every custom property's text value, by name."""
    out: dict[str, str] = {}
    for prop in root:
        if not isinstance(prop.tag, str) or etree.QName(prop).localname != "property":
            continue
        name = prop.get("name")
        if name is None:
            continue
        out[name] = "".join(prop.itertext()).strip()
    return out
