"""Mail bodies from templates: a plain-text part and an HTML part for every message.

`compose("invitation", **context)` renders app/templates/mail/invitation.txt and
app/templates/mail/invitation.html (the HTML autoescaped, the text not) and returns both.
The subject is the first line of the text template, after "Subject: ".
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

_DIR = Path(__file__).resolve().parent.parent / "templates" / "mail"
_text = Environment(
    loader=FileSystemLoader(_DIR),
    autoescape=False,  # noqa: S701 - plain text, never shown as HTML
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
_html = Environment(
    loader=FileSystemLoader(_DIR),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True, slots=True)
class Mail:
    subject: str
    text: str
    html: str


def compose(name: str, **context: Any) -> Mail:
    text = _text.get_template(f"{name}.txt").render(**context)
    first, _, rest = text.partition("\n")
    if not first.startswith("Subject: "):
        raise ValueError(f"mail/{name}.txt must start with a 'Subject: ' line")
    html = _html.get_template(f"{name}.html").render(**context)
    return Mail(subject=first.removeprefix("Subject: ").strip(), text=rest.lstrip("\n"), html=html)
