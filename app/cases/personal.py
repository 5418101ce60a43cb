"""The personal-data check of case studies' text, through one interface.

The detector itself is pure and belongs to app/text/personal_data.py (another engineer's; it
finds names, passport and phone numbers, exact dates of birth and addresses in Latin and the
ASEAN scripts). This module only adapts what it returns: anything with a kind and a span
(`kind`, `start`, `end`, or `span=(start, end)`). The detector is imported directly: a check
that cannot run must fail loudly, never find nothing (fail closed). Tests, and a deployment
that wants another detector, set `use(...)`.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from app.text.personal_data import find_personal_data


@dataclass(frozen=True, slots=True)
class Found:
    kind: str  # "name", "passport", "phone", "date_of_birth", "address", ...
    start: int
    end: int
    explanation: str = ""  # why it is personal data, for the person who must act on it
    suggestion: str = ""  # what to write instead ("leave it out", "an age band: 25-29")


Detector = Callable[[str], Sequence[Found]]
_chosen: Detector | None = None


def use(detector: Detector | None) -> None:
    """Check with `detector` from now on (None: the app's own, when it exists)."""
    global _chosen
    _chosen = detector


def available() -> bool:
    """Whether a check runs: always (the detector is imported with this module)."""
    return True


def _adapt(finding: Any, text: str) -> Found | None:
    kind = str(getattr(finding, "kind", None) or getattr(finding, "category", None) or "personal")
    start = getattr(finding, "start", None)
    end = getattr(finding, "end", None)
    span = getattr(finding, "span", None)
    if (start is None or end is None) and isinstance(span, tuple) and len(span) == 2:
        start, end = span
    if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= len(text):
        return None
    explanation = getattr(finding, "explanation", "")
    suggestion = getattr(finding, "suggestion", "")
    return Found(
        kind,
        start,
        end,
        explanation if isinstance(explanation, str) else "",
        suggestion if isinstance(suggestion, str) else "",
    )


def check(text: str) -> list[Found]:
    """What in `text` looks like personal data, in order of where it starts."""
    if not text:
        return []
    if _chosen is not None:
        return sorted(_chosen(text), key=lambda f: (f.start, f.end))
    found = [f for f in (_adapt(x, text) for x in find_personal_data(text)) if f is not None]
    return sorted(found, key=lambda f: (f.start, f.end))
