"""Steps that close every variant: the bookmark where the text begins, the body placed in the
template, the comment parts and change tracking, the marks a returned copy is read back by
(app/word/marks.py) and the document's properties."""

from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from lxml import etree  # type: ignore[import-untyped]

from app.word import marks
from app.word import template as tpl
from app.word.build import Build
from app.word.model import SECRETARIAT
from app.word.package import set_core_properties
from app.word.revisions import PPR, Element, clean, paragraph_text, w

TEXT_BOOKMARK = "_ZdText"  # where the draft text begins (after cover and contents)


def text_start(b: Build) -> None:
    """A bookmark on the text's first paragraph (tests and readers find the text by it)."""
    p = next(el for el in b.out if el.tag == w("p"))
    bid = b.rev.next_id()
    ppr = p.find(PPR)
    index = 0 if ppr is None else 1
    p.insert(index, etree.Element(w("bookmarkEnd"), {w("id"): bid}))
    p.insert(index, etree.Element(w("bookmarkStart"), {w("id"): bid, w("name"): TEXT_BOOKMARK}))


def place_body(b: Build) -> None:
    """What was written, where the template's {{BODY}} stands, or at the end of its body."""
    content = b.front + b.out
    if b.body_marker is not None:
        tpl.replace_block(b.body_marker, content)
        return
    sect_pr = b.body.find(tpl.SECT_PR)
    for el in content:
        if sect_pr is not None:
            sect_pr.addprevious(el)
        else:
            b.body.append(el)


def landscape(b: Build) -> None:
    """The last section (the text's) turned landscape."""
    sect_pr = b.body.find(tpl.SECT_PR)
    if sect_pr is not None:
        sect_pr.addprevious(tpl.landscape_copy(sect_pr))
        b.body.remove(sect_pr)


def comments_and_tracking(b: Build) -> None:
    """The comments part (with threads) and change tracking switched on in the settings."""
    b.rev.write_parts(b.doc)


def manifest(b: Build) -> None:
    """The custom properties and the manifest part (app/word/marks.py)."""
    r = b.data.round
    found = b.manifest
    found.changes = set(b.rev.change_signatures)
    found.comments = set(b.rev.comment_signatures)
    dates = [marks.stamp(r.date)] + [d for _, d in found.changes | found.comments]
    found.as_of = max(dates)
    for el in b.out:
        for p in el.iter(w("p")):
            if id(p) not in b.in_items:
                text = paragraph_text(p, deleted=False)
                if text.strip():
                    found.other.add(marks.short_hash(text))
    values = {
        "zerodraft.format": marks.FORMAT,
        "zerodraft.round": clean(r.symbol),
        "zerodraft.variant": b.variant,
        "zerodraft.as_of": found.as_of,
        "zerodraft.text_hash": found.text_hash(),
    }
    if r.round_id is not None:
        values["zerodraft.round_id"] = str(r.round_id)
    if b.variant == "redline" and b.data.base_label:
        values["zerodraft.base"] = clean(b.data.base_label)  # the round it is drawn against
    if r.content_hash:
        values["zerodraft.content_hash"] = clean(r.content_hash)
    # The threads the export carried (Build.threads is emptied as they are placed).
    if found.comments:
        found.threads = {t.reference for t in b.data.comments if t.reference}
    if b.data.sign is not None:
        # Signed by the caller's function: the key never enters app/word. The properties'
        # signature covers the manifest's, so that no other export's manifest passes for this.
        values[marks.MANIFEST_SIGNATURE] = b.data.sign(marks.signed_manifest(found))
        values[marks.SIGNATURE] = b.data.sign(marks.signed_properties(values))
    _custom_properties(b, values)
    _manifest_part(b, found.to_xml())


def properties(b: Build) -> None:
    r = b.data.round
    set_core_properties(
        b.doc,
        title=clean(f"{r.symbol} {r.title}"),
        subject=clean(b.recipe.label),
        author=SECRETARIAT,
        keywords=clean(f"{r.symbol}; {b.variant}; {r.marking}"),
        when=r.date,
    )


def finished(b: Build) -> None:
    """The last progress report: all done."""
    b.tick(force=True)


def _custom_properties(b: Build, values: dict[str, str]) -> None:
    """docProps/custom.xml with our properties, keeping the template's own."""
    package_ = b.doc.part.package
    keep: list[Element] = []
    for rel in list(package_.rels.values()):
        if rel.reltype == RT.CUSTOM_PROPERTIES and not rel.is_external:
            try:
                old = etree.fromstring(rel.target_part.blob)
            except etree.XMLSyntaxError:
                old = None
            if old is not None:
                keep = [el for el in old if not str(el.get("name", "")).startswith(marks.PREFIX)]
            package_.rels.pop(rel.rId)
    custom = Part(
        PackURI("/docProps/custom.xml"),
        CT.OFC_CUSTOM_PROPERTIES,
        marks.custom_properties_xml(values, keep),
        package_,
    )
    package_.relate_to(custom, RT.CUSTOM_PROPERTIES)


def _manifest_part(b: Build, xml: bytes) -> None:
    """The manifest as a custom XML part, replacing one a template kept from an export."""
    package_ = b.doc.part.package
    part = b.doc.part
    for rel in list(part.rels.values()):
        if (
            rel.reltype == RT.CUSTOM_XML
            and not rel.is_external
            and marks.NS.encode() in rel.target_part.blob[:400]
        ):
            part.drop_rel(rel.rId)
    item = Part(package_.next_partname("/customXml/item%d.xml"), "application/xml", xml, package_)
    guid = marks.short_hash(f"{b.data.round.symbol}\t{b.variant}").upper()
    item_id = f"{{{guid[:8]}-{guid[8:12]}-{guid[12:16]}-0000-000000000000}}"
    props = Part(
        PackURI(item.partname.replace("/item", "/itemProps")),
        CT.OFC_CUSTOM_XML_PROPERTIES,
        (
            '<?xml version="1.0" encoding="UTF-8" standalone="no"?>'
            f'<ds:datastoreItem ds:itemID="{item_id}" xmlns:ds='
            '"http://schemas.openxmlformats.org/officeDocument/2006/customXml">'
            "<ds:schemaRefs/></ds:datastoreItem>"
        ).encode(),
        package_,
    )
    item.relate_to(props, RT.CUSTOM_XML_PROPS)
    part.relate_to(item, RT.CUSTOM_XML)
