"""A returned compilation in which someone typed into the 'Positions on this text' line (the
ZD Positions style, outside the item's bookmark): the reader shows it as text outside the items
and takes it for nothing, neither a new indicator nor the item's text."""

import io

import docx

from app.word import returned as rd
from app.word.reader import open_docx
from tests.test_word_standing import compilation, positions  # noqa: F401  (the fixture)
from tests.test_workflow_api import Api, people  # noqa: F401  (the fixture)


def test_an_edit_of_the_line_is_no_new_text(positions: dict[str, Api]) -> None:  # noqa: F811
    """Someone types into the positions line without Track Changes: the reader does not take it
    for a new indicator nor for the item's text."""
    data = compilation(positions["sec"])
    document = docx.Document(io.BytesIO(data))
    line = next(
        p for p in document.paragraphs if p.style is not None and p.style.name == "ZD Positions"
    )
    line.runs[-1].text += " We now support it."
    out = io.BytesIO()
    document.save(out)
    found = rd.read_returned(open_docx(out.getvalue()))
    assert found is not None
    assert list(found.new_paragraphs) == []
    assert all(not f.changes for item in found.items for f in item.fields)
    # Shown to the secretariat as text outside the items, used for nothing.
    assert any("We now support it." in u for u in found.unplaced), found.unplaced
