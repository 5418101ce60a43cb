"""Steps that prepare the template and fill its cover: the styles, header and footer the export
needs, the {{PLACEHOLDERS}} of the template's own text (never the draft's), the instructions and
approval blocks, and a cover built from the styles for a template that has no {{BODY}}."""

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from docx.opc.constants import RELATIONSHIP_TYPE as RT

from app.word import template as tpl
from app.word.build import Build
from app.word.model import ExportRound
from app.word.revisions import Element, clean, make_runs, paragraph


def styles(b: Build) -> None:
    """The ZD styles, header and footer, copied from the reference where the template lacks
    them."""
    tpl.ensure_styles(b.doc)
    tpl.ensure_header_footer(b.doc)
    tpl.unnumbered_cover(b.doc)


def cover(b: Build) -> None:
    """The placeholders filled, the {{INSTRUCTIONS}} and {{APPROVAL}} blocks built, and where
    {{BODY}} stands noted (without it, a cover of our own goes before the text)."""
    values = cover_values(b)
    for rel in b.doc.part.rels.values():
        if rel.reltype in (RT.HEADER, RT.FOOTER):
            tpl.fill_placeholders(rel.target_part.element, values)
    b.body_marker = tpl.block_placeholder(b.body, "BODY")
    blocks = [
        (marker, build)
        for name, build in (("INSTRUCTIONS", _instructions), ("APPROVAL", _approval))
        if (marker := tpl.block_placeholder(b.body, name)) is not None
    ]
    # Placeholders are filled in the template's own text only, never in the draft's.
    tpl.fill_placeholders(b.body, values)
    for marker, build in blocks:
        tpl.replace_block(marker, build(b.data.round, marker))
    if b.body_marker is None:
        b.front.extend(_default_cover(b.data.round, values))


def cover_values(b: Build) -> dict[str, str]:
    r: ExportRound = b.data.round
    variant = b.recipe.label
    if b.recipe.label_since and b.data.base_label:
        variant = b.recipe.label_since.format(base=b.data.base_label)
    if b.threads:
        variant += ", with open comments"
    values = {
        "WORKING_GROUP": typeset(r.working_group),
        "SYMBOL": r.symbol,
        "TITLE": typeset(r.title),
        "VARIANT": typeset(variant),
        "ROUND": typeset(r.round_label),
        "DATE": day(r.date, r.time_zone),
        "DISTRIBUTION": distribution(r.marking),
        "STATUS": typeset(status_text(r)),
        "MARKING": r.marking,
        "DEADLINE": deadline_text(r.deadline, r.time_zone),
    }
    return {k: clean(v).replace("\n", " ") for k, v in values.items()}


_RANGE = re.compile(r"(?<![\w/-])(\d+)-(\d+)(?![\w/-])")  # 2024-2026, pages 3-7; not 2026-03-02
_SPACED = re.compile(r"(?<=\S) (?:-|--) (?=\S)")  # "Round 2 - written comments"


def typeset(text: str) -> str:
    """English typography in the text the export writes around the draft: an en dash in a
    range of numbers (2024\u20132026) and for a dash between spaced words. The draft's own text
    is never changed: a copy read back is compared with it."""
    return _SPACED.sub(" \u2013 ", _RANGE.sub("\\1\u2013\\2", text))


def distribution(marking: str) -> str:
    """The distribution a UN-style masthead names: restricted when the round is marked so,
    general when it is public or unmarked, limited otherwise."""
    words = marking.strip().lower()
    if "restricted" in words or "confidential" in words:
        return "Restricted"
    if not words or words in {"public", "unclassified", "general", "none"}:
        return "General"
    return "Limited"


def status_text(r: ExportRound) -> str:
    """The round's status; for an approved round whose proposals, answers or comments changed
    after the approval, also that the approved text did not, and what moment this copy shows.
    Short sentences: many readers read English as a second language."""
    if r.approved_at is None or r.changed_after_approval is None:
        return r.status
    verb, event = ("Approved", "approval") if r.approvals else ("Adopted", "adoption")
    return (
        f"{verb} on {moment_text(r.approved_at, r.time_zone)}. "
        f"The {verb.lower()} text has not changed. "
        "The proposals, decisions, answers and comments in this copy show the state on "
        f"{moment_text(r.changed_after_approval, r.time_zone)}, after the {event}."
    )


def _instructions(r: ExportRound, marker: Element) -> list[Element]:
    text = typeset(clean(r.instructions).strip())
    return [tpl.styled_copy(marker, line) for line in text.split("\n") if line.strip()]


def _approval(r: ExportRound, marker: Element) -> list[Element]:
    if not r.approvals:
        return []
    out = [tpl.styled_copy(marker, "Approved text")]
    for a in r.approvals:
        p = paragraph("ZDListBullet")
        p.extend(make_runs(f"Approved by {a.chair} on {day(a.date, r.time_zone)}, reference "))
        p.extend(make_runs(a.reference, style="ZDFieldLabel"))
        out.append(p)
    if r.content_hash:
        p = paragraph("ZDField")
        p.extend(make_runs("Content hash (SHA-256) of the approved text:"))
        out.append(p)
        h = paragraph("ZDHash")
        h.extend(make_runs(r.content_hash))
        out.append(h)
    return out


def _default_cover(r: ExportRound, values: dict[str, str]) -> list[Element]:
    """A cover built from the styles, for a template without a {{BODY}} placeholder."""
    out = []
    for style, text in (
        ("ZDCoverSymbol", "\t{SYMBOL}"),
        ("ZDCoverDistribution", "Distr.: {DISTRIBUTION}"),
        ("ZDCoverDistribution", "{DATE}"),
        ("ZDCoverDistribution", "Original: English"),
        ("ZDCoverGroup", "{WORKING_GROUP}"),
        ("ZDCoverSession", "{ROUND}"),
        ("Title", "{TITLE}"),
        ("ZDCoverVariant", "{VARIANT}"),
        ("ZDMarking", "{MARKING}"),
    ):
        p = paragraph(style)
        p.extend(make_runs(text.format(**values)))
        out.append(p)
    for label, key in (
        ("Status: ", "STATUS"),
        ("Deadline for input: ", "DEADLINE"),
    ):
        p = paragraph("ZDField")
        p.extend(make_runs(label, style="ZDFieldLabel"))
        p.extend(make_runs(values[key]))
        out.append(p)
    out.extend(_instructions(r, paragraph("ZDInstructions")))
    out.extend(_approval(r, paragraph("ZDApproval")))
    return out


# Dates


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def day(moment: datetime, zone: str = "UTC") -> str:
    local = moment.astimezone(_zone(zone)) if moment.tzinfo else moment
    return f"{local.day} {local:%B %Y}"


def moment_text(moment: datetime, zone: str) -> str:
    """A moment in the round's time zone: "6 March 2026, 11:30 Asia/Jakarta time"."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    local = utc.astimezone(_zone(zone))
    return f"{local.day} {local:%B %Y, %H:%M} {zone} time"


def deadline_text(deadline: datetime | None, zone: str) -> str:
    if deadline is None:
        return "None set"
    utc = deadline.astimezone(UTC) if deadline.tzinfo else deadline.replace(tzinfo=UTC)
    local = utc.astimezone(_zone(zone))
    offset = local.strftime("%z") or "+0000"
    return (
        f"{local.day} {local:%B %Y, %H:%M} {zone} time (UTC{offset[:3]}:{offset[3:]}), "
        f"that is {utc.day} {utc:%B %Y, %H:%M} UTC"
    )
