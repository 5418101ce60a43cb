"""Export a round to Word for the API, the round page and the CLI: one use case, three edges.

The loader (app/rounds/export_loader.py) reads the round in a bounded number of queries, the
writer (app/word/writer.py) makes the bytes; this module resolves the round references and the
template, and returns what a download needs: the bytes, their SHA-256 and the file name.
"""

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Conflict, InvalidInput, NotFound
from app.models import Round, RoundState
from app.ops import metrics as ops_metrics
from app.rounds import service
from app.rounds.export_loader import load, signer
from app.word import template as tpl
from app.word.filename import download_filename
from app.word.model import VARIANTS, Variant
from app.word.writer import Progress, TemplateSource, export

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LATEST = "latest"
# A template named by the API or the round page: a plain file name in drafts/templates/.
_TEMPLATE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,120}\.docx$")


@dataclass(frozen=True, slots=True)
class Exported:
    data: bytes
    sha256: str
    filename: str  # ASCII fallback
    disposition: str  # Content-Disposition value, with an RFC 6266 filename*
    variant: Variant
    symbol: str


def templates_folder() -> Path:
    return tpl.reference_path().parent


def named_template(name: str) -> Path:
    """A template of drafts/templates/ by its file name: never a path."""
    if (
        not _TEMPLATE_NAME.fullmatch(name)
        or name != Path(name).name
        or ".." in name
        or name.startswith(".")
    ):
        raise InvalidInput(
            f"template {name!r} is not a file name ending .docx in drafts/templates",
            field="template",
        )
    folder = templates_folder()
    path = folder / name
    if not path.is_file() or path.resolve().parent != folder.resolve():
        available = ", ".join(sorted(p.name for p in folder.glob("*.docx")))
        raise InvalidInput(
            f"no template {name!r} in drafts/templates (there: {available})", field="template"
        )
    return path


def available_templates() -> list[str]:
    try:
        return sorted(p.name for p in templates_folder().glob("*.docx"))
    except FileNotFoundError:
        return []


def find_round(session: Session, ref: str) -> Round:
    """A round by symbol, id, or `latest` (the most recently created)."""
    if ref.strip().lower() == LATEST:
        found = session.scalar(select(Round).order_by(Round.created_at.desc(), Round.id.desc()))
        if found is None:
            raise NotFound("there is no round yet")
        return found
    return service.get_round(session, ref)


def check_variant(variant: str) -> Variant:
    if variant not in VARIANTS:
        raise InvalidInput(
            f"unknown variant {variant!r}; use one of {', '.join(VARIANTS)}", field="variant"
        )
    return variant


def check_exportable(round_: Round) -> None:
    if round_.state is RoundState.PREPARING:
        raise Conflict(
            f"{round_.symbol} is in preparation: its text is frozen when it is issued, and can "
            "be exported from then on"
        )


@ops_metrics.observed("export")
def export_round(
    session: Session,
    round_: Round,
    variant: str,
    *,
    working_group: str,
    signing_key: str,
    base: str | None = None,
    include_comments: bool = False,
    template: TemplateSource = None,
    progress: Progress | None = None,
) -> Exported:
    """The .docx of one variant of a round; a redline is against `base` (default: the round
    it follows). Its marks are signed with `signing_key` (the settings' secret key), so that a
    returned copy is believed only when it came from here. Raises Conflict for a round in
    preparation."""
    chosen = check_variant(variant)
    check_exportable(round_)
    base_round = find_round(session, base) if base and chosen == "redline" else None
    document = load(
        session,
        round_,
        chosen,
        working_group=working_group,
        base=base_round,
        include_comments=include_comments,
        sign=signer(signing_key),
    )
    data = export(
        document, chosen, template=template, include_comments=include_comments, progress=progress
    )
    filename, disposition = download_filename(round_.symbol, chosen)
    return Exported(
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        filename=filename,
        disposition=disposition,
        variant=chosen,
        symbol=round_.symbol,
    )


def download_headers(exported: Exported) -> dict[str, str]:
    return {
        "Content-Disposition": exported.disposition,
        "X-Content-SHA256": exported.sha256,
        "Cache-Control": "no-store",
    }
