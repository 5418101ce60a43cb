"""Export a draft round to Word: pure, an ExportDocument in, the bytes of a .docx out.

Each variant is a recipe: a label and a pipeline of short named steps, listed in RECIPES below,
the one place that says what each variant is made of:
- clean: cover page, contents, prose sections, indicators grouped by dimension;
- redline: the same with native tracked changes (app/word/revisions.py) from the runs of each
  field: "Accept all" gives the clean text of the round, "Reject all" that of the earlier one;
- compilation: the clean text with every pending proposal under the item it concerns;
- responses: the cover and a landscape comment-response table.
Any variant may carry the open comment threads as native Word comments. Every variant is
marked so that a copy edited in Word or LibreOffice can be read back (app/word/marks.py): a
bookmark per item and dimension, custom document properties and a manifest part.

The steps live in cover.py, draft.py, compilation.py, response_table.py and finish.py; what
they share (the document being built, headings, fields, comments, bookmarks) in build.py. The
body is built with lxml directly (python-docx's per-paragraph objects cost more than the XML);
python-docx opens the template, holds the package and saves it. The output is deterministic: no
clock is read, ids come from counters, and the zip is normalised.
"""

import io
import os
from pathlib import Path

import docx

from app.word import package
from app.word import template as tpl
from app.word.build import Build, Progress, Recipe
from app.word.compilation import other_proposals
from app.word.cover import cover, styles
from app.word.draft import (
    contents,
    end_mark,
    indicators,
    other_comments,
    page_numbers,
    sections,
)
from app.word.finish import (
    TEXT_BOOKMARK,
    comments_and_tracking,
    finished,
    landscape,
    manifest,
    place_body,
    properties,
    text_start,
)
from app.word.model import VARIANTS, ExportDocument, Variant
from app.word.response_table import open_threads, portrait_end, response_table

__all__ = ["RECIPES", "TEXT_BOOKMARK", "Progress", "Recipe", "TemplateSource", "export"]

TemplateSource = bytes | str | os.PathLike[str] | None

# Every variant opens with the template and its cover, and closes by placing what it wrote
# in the template and writing the parts that go with it.
_OPEN = (styles, cover)
_CLOSE = (place_body, page_numbers, comments_and_tracking, manifest, properties, finished)
_TEXT = (*_OPEN, sections, indicators, other_comments, end_mark, text_start, contents, *_CLOSE)
RECIPES: dict[Variant, Recipe] = {
    "clean": Recipe(label="Clean text", steps=_TEXT),
    "redline": Recipe(
        label="Changes shown as tracked changes",
        label_since="Changes since {base}, shown as tracked changes",
        note=(
            "Changes since {base} are shown as tracked changes, each attributed to the "
            "delegation whose proposal produced it, or to the ASEAN Secretariat. Accepting "
            "all changes gives the text of {symbol}; rejecting all gives that of {base}."
        ),
        # The clean text's steps: the tracked changes are in the data, whose runs carry who
        # inserted or deleted what.
        steps=_TEXT,
    ),
    "compilation": Recipe(
        label="Compilation text: the draft with pending proposals",
        note=(
            "Pending proposals are shown under the item they concern, in square brackets: "
            "underlined words would be added and struck-through words removed. Competing "
            "amendments of one item are numbered Alt 1, Alt 2, and so on."
        ),
        proposals=True,  # each under its item, with the threads on it
        brackets=frozenset({"bracketed", "alternatives"}),
        steps=(
            *_OPEN,
            sections,
            indicators,
            other_proposals,
            other_comments,
            end_mark,
            text_start,
            contents,
            *_CLOSE,
        ),
    ),
    "responses": Recipe(
        label="Comment-response table",
        counts=lambda data: len(data.responses),
        steps=(
            *_OPEN,
            portrait_end,
            landscape,
            response_table,
            open_threads,
            text_start,
            *_CLOSE,
        ),
    ),
}


def export(
    document: ExportDocument,
    variant: Variant,
    *,
    template: TemplateSource = None,
    include_comments: bool = False,
    progress: Progress | None = None,
) -> bytes:
    """The .docx of one variant of the round, as bytes; identical input, identical bytes."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; use one of {', '.join(VARIANTS)}")
    doc = docx.Document(io.BytesIO(_template_bytes(template)))
    recipe = RECIPES[variant]
    Build(
        doc, document, variant, recipe, include_comments=include_comments, progress=progress
    ).run()
    return package.save(doc)


def _template_bytes(template: TemplateSource) -> bytes:
    if template is None:
        return tpl.reference_bytes()
    if isinstance(template, bytes):
        return template
    return Path(template).read_bytes()
