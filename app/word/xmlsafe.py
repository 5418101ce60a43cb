"""The one way an uploaded file's XML is parsed: no DTD, no entities, no network, no huge trees.

A part that declares a DOCTYPE is refused outright (Word never writes one); lxml's own limits
refuse what is left of entity tricks. Everything that reads uploaded XML goes through here.
"""

from typing import Any

from lxml import etree  # type: ignore[import-untyped]

from app.errors import InvalidInput

Element = Any  # lxml's _Element; lxml ships no type stubs here


class UnsafeXml(InvalidInput):
    """A part of an uploaded file is not plain, well-formed XML."""

    error = "unsafe_file"


def _parser() -> Any:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(data: bytes, part: str) -> Element:
    """The root element of one part, or UnsafeXml naming the part and the problem."""
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise UnsafeXml(f"{part} declares a DOCTYPE or entities, which Word never writes: refused")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        message = " ".join(str(exc.msg).split())  # one line, whatever lxml said
        raise UnsafeXml(f"{part} is not well-formed XML: {message}") from exc
    if root is None:
        raise UnsafeXml(f"{part} is empty")
    # The byte check above cannot see a DOCTYPE in a UTF-16 part; the parsed tree can.
    if root.getroottree().docinfo.doctype:
        raise UnsafeXml(f"{part} declares a DOCTYPE, which Word never writes: refused")
    return root
