"""Download names for exports: safe in a Content-Disposition header whatever the symbol holds."""

import re
import unicodedata
from urllib.parse import quote

MAX_STEM = 120
_KEPT = frozenset(" .()-_")
_ASCII_UNSAFE = re.compile(r"[^A-Za-z0-9._()\-]+")
_RUNS = re.compile(r"[-_ .]{2,}")


def _stem(symbol: str, variant: str) -> str:
    text = unicodedata.normalize("NFC", f"{symbol}_{variant}")
    # Control and format characters (CR, LF, bidi overrides ...) never reach a header.
    text = "".join(c for c in text if not unicodedata.category(c).startswith("C"))
    # Letters, marks (Thai, Khmer, Lao, Burmese vowels) and digits of any script stay.
    text = "".join(c if c in _KEPT or unicodedata.category(c)[0] in "LMN" else "-" for c in text)
    text = _RUNS.sub("-", text).strip(" .-_")
    return text[:MAX_STEM].rstrip(" .-_")


def download_filename(symbol: str, variant: str) -> tuple[str, str]:
    """(ASCII file name, Content-Disposition value with an RFC 6266 / 5987 `filename*`)."""
    stem = _stem(symbol, variant) or "zerodraft-export"
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    ascii_stem = _RUNS.sub("-", _ASCII_UNSAFE.sub("-", ascii_stem))
    ascii_stem = ascii_stem.strip(" .-_")[:MAX_STEM] or "zerodraft-export"
    ascii_name = f"{ascii_stem}.docx"
    utf8_name = f"{stem}.docx"
    header = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(utf8_name, safe='')}"
    return ascii_name, header
