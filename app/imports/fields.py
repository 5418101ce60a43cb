"""The register fields an import may set, and how words read from a file are compared and
quoted: what planning a returned copy and planning a Word draft share."""

from app.models.register import Element, Strength

ENUM_FIELDS = {
    "element": {e.value for e in Element},
    "strength_adult": {s.value for s in Strength},
    "strength_child": {s.value for s in Strength},
}
LIST_FIELDS = ("profiles", "crime_types", "intended_users")
SECTION_FIELDS = ("title", "text")
# The fields a returned copy may change, by item kind (what the export shows of an item).
INDICATOR_FIELDS = (
    "text",
    "element",
    "strength_adult",
    "strength_child",
    *LIST_FIELDS,
    "guidance",
    "information_sources",
    "references",
)
STRENGTH_WORDS = {"s": "strong", "m": "medium", "w": "weak", "c": "contextual"}


def norm(text: str) -> str:
    """The words with their spacing folded."""
    return " ".join(text.split())


def key(text: str) -> str:
    """What two titles or texts that are the same, whitespace and case aside, share."""
    return norm(text).casefold()


def clip(text: str, size: int = 80) -> str:
    """A short quotation of the text, for a line saying what was left out."""
    return text if len(text) <= size else text[: size - 1] + "…"
