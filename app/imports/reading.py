"""Reading an uploaded Word file: the safe opener's checks, the facts that identify the file,
and which of the two kinds it is (a returned copy of a round, or a draft written in Word).

Reading is the costly part of an import (a parsed tree is many times the file's bytes), so it
is bounded three ways: the reader's budgets (app.word.reader.Limits), a caller's `admit`, which
sees the kind of file the package claims to be before the document's body is read (who may
import what is decided there), and a few slots per process (`import_slot`): more imports at
once wait a little, then get 503 with Retry-After. When an import is done, the memory it
freed is given back to the system (glibc keeps freed heap otherwise).
"""

import ctypes
import ctypes.util
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from app.errors import ServiceUnavailable
from app.word import marks
from app.word.incoming import AuthoredDocument, ReturnedDocument
from app.word.reader import Limits, open_docx

MAX_FILENAME = 255

FileKind = Literal["returned", "authored"]
# Told the kind a file claims to be before its body is read; raises to refuse it.
Admit = Callable[[FileKind], None]


@dataclass(frozen=True, slots=True)
class FileFacts:
    sha256: str
    filename: str
    size: int


def read_file(
    data: bytes,
    filename: str | None,
    *,
    limits: Limits | None = None,
    admit: Admit | None = None,
) -> tuple[FileFacts, ReturnedDocument | AuthoredDocument]:
    """What the file holds, or the reader's refusal (413/422 with one line saying why), or
    what `admit` raised for the kind of file it is, before its body was read."""
    from app.word.authored import read_authored
    from app.word.returned import read_returned

    def before_body(parts: Mapping[str, bytes]) -> None:
        if admit is not None:
            admit(claimed_kind(parts))

    package = open_docx(data, filename, limits=limits, before_body=before_body)
    name = clean_filename(filename)
    facts = FileFacts(package.sha256, name, package.size)
    returned = read_returned(package)
    if returned is not None:
        return facts, returned
    return facts, read_authored(package)


_ROUND_PROPERTY = marks.PREFIX + "round"
_ENCODINGS = ("utf-8", "utf-16-le", "utf-16-be")


def _holds(data: bytes, text: str) -> bool:
    return any(text.encode(encoding) in data for encoding in _ENCODINGS)


def claimed_kind(parts: Mapping[str, bytes]) -> FileKind:
    """ "returned" when the package carries an export's marks (the round's custom property or
    the manifest's namespace), "authored" otherwise. Read from the bytes, before anything is
    parsed: a file without either can only be read as a draft written in Word (the returned
    reader needs one of them); a file with one may still turn out to be a draft, which the
    caller then checks again."""
    if _holds(parts.get("docProps/custom.xml", b""), _ROUND_PROPERTY):
        return "returned"
    for name, data in parts.items():
        if name.startswith("customXml/") and _holds(data, marks.NS):
            return "returned"
    return "authored"


def clean_filename(filename: str | None) -> str:
    """The file's own name, without a client's path or unprintable characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return (name or "upload.docx")[:MAX_FILENAME]


# --- A few imports at once per process ---------------------------------------------------------


class ImportsBusy(ServiceUnavailable):
    """Every import slot of this process stayed taken for as long as an upload may wait."""

    error = "busy"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "the server is reading other Word files right now; send this one again in "
            f"{retry_after} seconds",
            field="file",
            retry_after=retry_after,
        )
        self.retry_after = retry_after


_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def _slots_of(size: int) -> threading.BoundedSemaphore:
    with _slots_lock:
        found = _slots.get(size)
        if found is None:
            found = _slots[size] = threading.BoundedSemaphore(size)
        return found


@contextmanager
def import_slot(size: int, *, wait: float, retry_after: int = 5) -> Iterator[None]:
    """Held while one upload is read: at most `size` at once in this process; one that finds
    them all taken waits up to `wait` seconds, then gets ImportsBusy (503, Retry-After)."""
    slots = _slots_of(max(size, 1))
    if not slots.acquire(timeout=max(wait, 0.0)):
        raise ImportsBusy(retry_after)
    try:
        yield
    finally:
        slots.release()
        give_memory_back()


def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim  # glibc only
    except (OSError, AttributeError, TypeError):
        return None
    return trim


_TRIM = _malloc_trim()


def give_memory_back() -> None:
    """Return the heap that a parse freed to the system: glibc keeps it for the process
    otherwise, so that each import would leave the server hundreds of MB larger."""
    if _TRIM is not None:
        _TRIM(0)
