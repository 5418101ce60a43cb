"""A meeting's record in Word, pure: a MeetingRecordDocument in, the bytes of a .docx out.

The record is the secretariat's text (app/meetings/record.py makes and keeps it), written in a
few plain conventions: a line "## Heading" opens a part, a line "- point" is a point of a list,
other lines are paragraphs. It goes into the reference template like a round's export: the same
house style (the ZD styles, header and footer, the cover's {{PLACEHOLDERS}}), the same
deterministic package; only the body differs.
"""

import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT

from app.word import package
from app.word import template as tpl
from app.word.cover import day, distribution, moment_text, typeset
from app.word.revisions import Element, clean, make_runs, paragraph

HEADING = "## "
POINT = "- "


@dataclass(frozen=True, slots=True)
class MeetingRecordDocument:
    reference: str  # M-3
    title: str
    working_group: str
    round_label: str  # "Round 2 (ZD/R2)" or ""
    starts_at: datetime
    time_zone: str
    text: str
    approved_at: datetime | None
    approved_by: str  # the co-chair's name, when approved
    marking: str = ""


def status_text(r: MeetingRecordDocument) -> str:
    if r.approved_at is None:
        return "Draft record, not yet approved by the Co-Chairs"
    who = r.approved_by or "the Co-Chair"
    return f"Approved by {who} on {moment_text(r.approved_at, r.time_zone)}"


def body(text: str) -> list[Element]:
    """The record's text as paragraphs in the house styles."""
    out: list[Element] = []
    for line in text.splitlines():
        line = line.rstrip()
        if not line.strip():
            continue
        if line.startswith(HEADING):
            p = paragraph("ZDPartHeading")
            p.extend(make_runs(clean(line[len(HEADING) :].strip())))
        elif line.lstrip().startswith(POINT):
            p = paragraph("ZDListBullet")
            p.extend(make_runs(clean(line.lstrip()[len(POINT) :].strip())))
        else:
            p = paragraph("ZDSectionText")
            p.extend(make_runs(clean(line.strip())))
        out.append(p)
    return out


def export_record(record: MeetingRecordDocument) -> bytes:
    """The .docx of the record; identical input, identical bytes."""
    values = {
        "WORKING_GROUP": typeset(record.working_group),
        "SYMBOL": record.reference,
        "TITLE": typeset(record.title),
        "VARIANT": "Record of the meeting",
        "ROUND": typeset(record.round_label),
        "DATE": day(record.starts_at, record.time_zone),
        "DISTRIBUTION": distribution(record.marking),
        "STATUS": typeset(status_text(record)),
        "MARKING": record.marking,
        "DEADLINE": "None set",
    }
    return in_house_style(values, body(record.text))


def in_house_style(values: Mapping[str, str], content: list[Element]) -> bytes:
    """A document of the secretariat's own text in the reference template, as the rounds'
    exports are: its styles, header and footer (filled from `values`, the cover's
    {{PLACEHOLDERS}}), `content` where {{BODY}} stands, and the deterministic package. The
    record of a meeting and a rating round's annex (app/word/rating.py) are written with it."""
    doc = docx.Document(io.BytesIO(tpl.reference_bytes()))
    tpl.ensure_styles(doc)
    tpl.ensure_header_footer(doc)
    tpl.unnumbered_cover(doc)
    values = {k: clean(v).replace("\n", " ") for k, v in values.items()}
    for rel in doc.part.rels.values():
        if rel.reltype in (RT.HEADER, RT.FOOTER):
            tpl.fill_placeholders(rel.target_part.element, values)
    root = doc.element.body
    marker = tpl.block_placeholder(root, "BODY")
    for name in ("INSTRUCTIONS", "APPROVAL"):
        if (block := tpl.block_placeholder(root, name)) is not None:
            tpl.replace_block(block, [])
    tpl.fill_placeholders(root, values)
    if marker is not None:
        tpl.replace_block(marker, content)
    else:
        sect_pr = root.find(tpl.SECT_PR)
        for el in content:
            if sect_pr is not None:
                sect_pr.addprevious(el)
            else:
                root.append(el)
    return package.save(doc)
