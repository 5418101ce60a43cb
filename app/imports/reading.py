"""Reading an uploaded Word file: the safe opener's checks, the facts that identify the file,
and which of the two kinds it is (a returned copy of a round, or a draft written in Word)."""

from dataclasses import dataclass

from app.word.incoming import AuthoredDocument, ReturnedDocument
from app.word.reader import Limits, open_docx

MAX_FILENAME = 255


@dataclass(frozen=True, slots=True)
class FileFacts:
    sha256: str
    filename: str
    size: int


def read_file(
    data: bytes, filename: str | None, *, limits: Limits | None = None
) -> tuple[FileFacts, ReturnedDocument | AuthoredDocument]:
    """What the file holds, or the reader's refusal (413/422 with one line saying why)."""
    from app.word.authored import read_authored
    from app.word.returned import read_returned

    package = open_docx(data, filename, limits=limits)
    name = clean_filename(filename)
    facts = FileFacts(package.sha256, name, package.size)
    returned = read_returned(package)
    if returned is not None:
        return facts, returned
    return facts, read_authored(package)


def clean_filename(filename: str | None) -> str:
    """The file's own name, without a client's path or unprintable characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return (name or "upload.docx")[:MAX_FILENAME]
