"""The reference template: where it is, and how an export fills it.

The template (drafts/templates/zerodraft-reference.docx, built by build_reference.py beside it)
holds the house style: named styles, page set-up, header and footer, cover page. The writer opens
it, or another file the caller gives, and replaces its {{PLACEHOLDERS}}. A caller's template may
lack some of zerodraft's styles: they are copied in from the reference, so that every paragraph
still has a named style the secretariat can change.
"""

import copy
import io
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

from app.word.revisions import PPR, RPR, Element, make_runs, paragraph, w

TEMPLATE_NAME = "zerodraft-reference.docx"
_SEARCH = (
    Path(__file__).resolve().parents[2] / "drafts" / "templates" / TEMPLATE_NAME,
    Path.cwd() / "drafts" / "templates" / TEMPLATE_NAME,  # the Docker image's working folder
)
_TOKEN = re.compile(r"\{\{([A-Z_]+)\}\}")
SECT_PR = w("sectPr")
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def reference_path() -> Path:
    for path in _SEARCH:
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"the reference template {TEMPLATE_NAME} is missing; build it with "
        "drafts/templates/build_reference.py"
    )


@cache
def reference_bytes() -> bytes:
    return reference_path().read_bytes()


@cache
def _reference_parts() -> tuple[bytes, bytes]:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(reference_bytes())) as z:
        return z.read("word/styles.xml"), z.read("word/numbering.xml")


def texts(p: Element) -> list[Element]:
    return list(p.iter(w("t")))


def paragraph_plain(p: Element) -> str:
    return "".join(t.text or "" for t in texts(p))


def fill_placeholders(root: Element, values: Mapping[str, str]) -> None:
    """Replace {{NAME}} tokens in every paragraph under `root`, also when Word has split a token
    over several runs; the text keeps the formatting of the run where the token began."""
    for p in root.iter(w("p")):
        ts = texts(p)
        if not ts:
            continue
        full = "".join(t.text or "" for t in ts)
        if "{{" not in full:
            continue
        at = 0
        while True:
            m = _TOKEN.search(full, at)
            if m is None:
                break
            if m.group(1) not in values:
                at = m.end()
                continue
            value = values[m.group(1)]
            _splice(ts, m.start(), m.end(), value)
            full = "".join(t.text or "" for t in ts)
            at = m.start() + len(value)


def _splice(ts: list[Element], start: int, end: int, value: str) -> None:
    pos = 0
    first = True
    for t in ts:
        text = t.text or ""
        lo, hi = pos, pos + len(text)
        pos = hi
        if hi <= start or lo >= end:
            continue
        a, b = max(start - lo, 0), min(end - lo, len(text))
        if first:
            t.text = text[:a] + value + text[b:]
            first = False
        else:
            t.text = text[:a] + text[b:]
        if t.text and (t.text[0] == " " or t.text[-1] == " "):
            t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")


def block_placeholder(body: Element, name: str) -> Element | None:
    """The paragraph that holds only {{NAME}}, if the template has one."""
    token = "{{" + name + "}}"
    for p in body.iter(w("p")):
        if paragraph_plain(p).strip() == token:
            return p
    return None


def replace_block(p: Element, elements: list[Element]) -> None:
    for el in elements:
        p.addprevious(el)
    p.getparent().remove(p)


def styled_copy(p: Element, text: str) -> Element:
    """A paragraph with `p`'s paragraph properties and `text`."""
    new = paragraph()
    ppr = p.find(PPR)
    if ppr is not None:
        new.append(copy.deepcopy(ppr))
    run_props = next(iter(p.iter(RPR)), None)
    for r in make_runs(text):
        if run_props is not None and run_props.getparent().tag == w("r"):
            r.insert(0, copy.deepcopy(run_props))
        new.append(r)
    return new


def ensure_styles(document: Any) -> None:
    """Copy zerodraft's styles (and the lists they number with) that the document lacks."""
    styles = document.part._styles_part.element
    have = {s.get(w("styleId")) for s in styles.iter(w("style"))}
    ref_styles, ref_numbering = (etree.fromstring(x) for x in _reference_parts())
    missing = [s for s in ref_styles.iter(w("style")) if s.get(w("styleId")) not in have]
    if not missing:
        return
    numbering = None
    renumbered: dict[str, str] = {}
    for style in missing:
        style = copy.deepcopy(style)
        num_id = style.find(f"{w('pPr')}/{w('numPr')}/{w('numId')}")
        if num_id is not None:
            if numbering is None:
                numbering = document.part.numbering_part.element
            old = num_id.get(w("val"))
            if old not in renumbered:
                renumbered[old] = _copy_list(ref_numbering, numbering, old)
            num_id.set(w("val"), renumbered[old])
        styles.append(style)


def _copy_list(source: Element, target: Element, num_id: str) -> str:
    num = next(n for n in source.iter(w("num")) if n.get(w("numId")) == num_id)
    abstract_id = num.find(w("abstractNumId")).get(w("val"))
    abstract = next(
        a for a in source.iter(w("abstractNum")) if a.get(w("abstractNumId")) == abstract_id
    )
    used_abstract = [int(a.get(w("abstractNumId"))) for a in target.iter(w("abstractNum"))]
    used_num = [int(n.get(w("numId"))) for n in target.iter(w("num"))]
    new_abstract = str(max(used_abstract, default=0) + 1)
    new_num = str(max(used_num, default=0) + 1)
    abstract = copy.deepcopy(abstract)
    abstract.set(w("abstractNumId"), new_abstract)
    first_num = target.find(w("num"))
    if first_num is not None:  # every abstractNum precedes every num
        first_num.addprevious(abstract)
    else:
        target.append(abstract)
    num = etree.SubElement(target, w("num"), {w("numId"): new_num})
    etree.SubElement(num, w("abstractNumId"), {w("val"): new_abstract})
    return new_num


# The export's numbered lists: (number format, level text, indent, hanging, run properties).
# Numbers that a list gives are derived from the paragraphs' order: when an item comes or goes
# in a redline, the others' numbers follow without a tracked change of their own.
LISTS: dict[str, tuple[str, str, int, int, str]] = {
    "sections": ("upperRoman", "%1.", 567, 567, ""),  # I. Purpose
    "paragraphs": ("decimal", "%1.", 567, 567, ""),  # 1. the prose, numbered through
    "indicators": ("decimal", "%1.", 567, 567, "<w:b/><w:bCs/>"),  # 12.  FC-CD-01
}


def add_list(document: Any, name: str) -> str:
    """A new list of the kind LISTS names in the document's numbering part; its numId."""
    fmt, text, left, hanging, rpr = LISTS[name]
    numbering = document.part.numbering_part.element
    used_abstract = [int(a.get(w("abstractNumId"))) for a in numbering.iter(w("abstractNum"))]
    used_num = [int(n.get(w("numId"))) for n in numbering.iter(w("num"))]
    abstract_id = str(max(used_abstract, default=0) + 1)
    num_id = str(max(used_num, default=0) + 1)
    abstract = etree.fromstring(
        f'<w:abstractNum xmlns:w="{_W}" w:abstractNumId="{abstract_id}">'
        '<w:multiLevelType w:val="singleLevel"/>'
        f'<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
        f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/>'
        f'<w:pPr><w:tabs><w:tab w:val="num" w:pos="{left}"/></w:tabs>'
        f'<w:ind w:left="{left}" w:hanging="{hanging}"/></w:pPr>'
        f"{f'<w:rPr>{rpr}</w:rPr>' if rpr else ''}</w:lvl></w:abstractNum>"
    )
    first_num = numbering.find(w("num"))
    if first_num is not None:  # every abstractNum precedes every num
        first_num.addprevious(abstract)
    else:
        numbering.append(abstract)
    num = etree.SubElement(numbering, w("num"), {w("numId"): num_id})
    etree.SubElement(num, w("abstractNumId"), {w("val"): abstract_id})
    return num_id


def roman(n: int) -> str:
    """n in upper-case Roman numerals, as a list numbered "upperRoman" shows it."""
    out = []
    for value, letters in (
        (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
        (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
    ):  # fmt: skip
        while n >= value:
            out.append(letters)
            n -= value
    return "".join(out)


def field_runs(instruction: str, shown: str) -> list[Element]:
    """A complex field (PAGE, NUMPAGES, PAGEREF ...) with its last computed result."""
    out = []
    for kind, text in (
        ("begin", None),
        ("instr", instruction),
        ("separate", None),
        ("text", shown),
        ("end", None),
    ):
        r = etree.Element(w("r"))
        if kind == "instr":
            it = etree.SubElement(r, w("instrText"))
            it.text = f" {text} "
            it.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        elif kind == "text":
            etree.SubElement(r, w("t")).text = text
        else:
            etree.SubElement(r, w("fldChar"), {w("fldCharType"): kind})
        out.append(r)
    return out


def ensure_header_footer(document: Any) -> None:
    """A template without a header or footer gets zerodraft's: the marking above, the symbol
    and "Page X of Y" below (filled from placeholders like the template's own)."""
    section = document.sections[0]
    refs = {c.tag for c in section._sectPr.iterchildren()}
    has_header = w("headerReference") in refs
    if not has_header:
        p = section.header.paragraphs[0]._p
        _set_style(p, "Header")
        p.extend(make_runs("{{MARKING}}"))
    if w("footerReference") not in refs:
        p = section.footer.paragraphs[0]._p
        _set_style(p, "Footer")
        p.extend(make_runs("{{SYMBOL}}   \u00b7   Page "))
        p.extend(field_runs("PAGE", "1"))
        p.extend(make_runs(" of "))
        p.extend(field_runs("NUMPAGES", "1"))


def unnumbered_cover(document: Any) -> None:
    """The first page (the cover) without the footer's page number: a first-page footer of
    its own, empty, and a first-page header like the others (the marking stays on every
    page). A template that already sets its first page apart is left as it is."""
    section = document.sections[0]
    if section.different_first_page_header_footer:
        return
    section.different_first_page_header_footer = True
    header = section.first_page_header
    header.is_linked_to_previous = False
    source = section.header._element
    target = header._element
    for child in list(target):
        target.remove(child)
    for child in source:
        target.append(copy.deepcopy(child))
    footer = section.first_page_footer
    footer.is_linked_to_previous = False
    if footer.paragraphs:
        _set_style(footer.paragraphs[0]._p, "Footer")


def _set_style(p: Element, style: str) -> None:
    ppr = p.find(PPR)
    if ppr is None:
        ppr = etree.Element(PPR)
        p.insert(0, ppr)
    for old in ppr.findall(w("pStyle")):
        ppr.remove(old)
    ppr.insert(0, etree.Element(w("pStyle"), {w("val"): style}))


def landscape_copy(sect_pr: Element) -> Element:
    """The same page set-up turned to landscape."""
    landscape = copy.deepcopy(sect_pr)
    size = landscape.find(w("pgSz"))
    if size is not None:
        width, height = size.get(w("w")), size.get(w("h"))
        if width and height and int(width) < int(height):
            size.set(w("w"), height)
            size.set(w("h"), width)
        size.set(w("orient"), "landscape")
    for first in landscape.findall(w("titlePg")):  # only the cover goes without a number
        landscape.remove(first)
    return landscape
