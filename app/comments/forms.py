"""The comment forms of the web pages: read what a person submitted, check it, and say what is
wrong beside the field it concerns, keeping what they typed.

Each problem names the id of the field on the page (the error summary links to it). The service
checks everything again; its refusals are placed beside the same fields.
"""

from urllib.parse import urlsplit

from starlette.datastructures import FormData

from app.comments.service import MAX_BODY
from app.errors import DomainError
from app.ids import is_id
from app.models import CommentKind, Visibility
from app.web.forms import Form

MAX_QUOTE = 5000  # as the JSON API's schema

KIND_CHOICES: dict[str, tuple[str, str]] = {
    CommentKind.GENERAL.value: ("General", "A question or a remark."),
    CommentKind.SUBSTANTIVE.value: ("Substantive", "About what the text means or requires."),
    CommentKind.EDITORIAL.value: ("Editorial", "Wording, spelling, grammar or layout."),
}
VISIBILITY_CHOICES: dict[str, tuple[str, str]] = {
    Visibility.GROUP.value: ("The whole group", "Every delegation, the chairs and observers."),
    Visibility.CHAIRS.value: (
        "Chairs and secretariat only",
        "Other delegations and observers do not see it.",
    ),
    Visibility.DELEGATION.value: (
        "My delegation only",
        "A note for the people of your delegation.",
    ),
}
assert set(KIND_CHOICES) == {k.value for k in CommentKind}
assert set(VISIBILITY_CHOICES) == {v.value for v in Visibility}

# Where the service's refusals go on the new-comment form.
NEW_FIELD_IDS = {
    "body": "comment-body",
    "quote": "comment-quote",
    "start": "comment-quote",
    "field": "comment-quote",
    "visibility": "comment-visibility",
    "kind": "comment-kind",
    "delegation": "comment-delegation",
}


def _one(posted: FormData, name: str) -> str:
    value = posted.get(name)
    # Browsers send line breaks as CRLF; stored texts use LF.
    return value.replace("\r\n", "\n") if isinstance(value, str) else ""


def safe_next(target: str) -> str | None:
    """A same-site path to go back to (without its fragment), or None."""
    target = target.strip()
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _check_body(form: Form, field_id: str, noun: str, key: str = "body") -> None:
    body = form.values[key].strip()
    form.values[key] = body
    if not body:
        form.add(field_id, f"Enter your {noun}")
    elif len(body) > MAX_BODY:
        form.add(field_id, f"Your {noun} must be {MAX_BODY:,} characters or fewer")


def blank(*, delegation: str = "") -> Form:
    return Form(
        {
            "kind": CommentKind.GENERAL.value,
            "visibility": Visibility.GROUP.value,
            "delegation": delegation,
            "body": "",
            "quote": "",
            "start": "",
            "end": "",
            "field": "text",
        }
    )


PERSONAL_DATA_MESSAGE = (
    "Your {noun} may hold personal data (listed below): remove it or generalise it, or tick "
    "“I checked: this is not personal data / it is needed”"
)


def findings_key(field_id: str) -> str:
    """Where a form keeps the personal-data findings of the text field `field_id`."""
    return f"findings:{field_id}"


def personal_data_refused(form: Form, exc: DomainError, field_id: str, noun: str) -> bool:
    """A refusal for personal data (app/comments/service.check_personal_data): the problem
    beside the text field and the findings to list under it. False for any other refusal."""
    findings = exc.extra.get("findings")
    if not isinstance(findings, list):
        return False
    form.values[findings_key(field_id)] = findings
    form.add(field_id, PERSONAL_DATA_MESSAGE.format(noun=noun))
    return True


def checked(posted: FormData) -> bool:
    """Whether the person ticked "I checked: this is not personal data / it is needed"."""
    return posted.get("personal_data_checked") == "yes"


NEW_FIELDS = (
    "item",
    "proposal_id",
    "field",
    "start",
    "end",
    "quote",
    "kind",
    "visibility",
    "delegation",
    "body",
)


def parse_new(posted: FormData) -> Form:
    """A new comment on an item or a proposal, on selected words or on the whole of it."""
    form = Form({name: _one(posted, name) for name in NEW_FIELDS})
    v = form.values
    v["field"] = v["field"].strip() or "text"
    _check_body(form, "comment-body", "comment")
    if v["kind"] not in KIND_CHOICES:
        form.add("comment-kind", "Choose what kind of comment this is")
    if v["visibility"] not in VISIBILITY_CHOICES:
        form.add("comment-visibility", "Choose who can read the comment")
    quote = v["quote"].strip()
    v["quote"] = quote
    start, end = v["start"].strip(), v["end"].strip()
    v["start"], v["end"] = start, end
    if len(quote) > MAX_QUOTE:
        form.add("comment-quote", f"Quoted words must be {MAX_QUOTE:,} characters or fewer")
    elif (start or end) and not (is_id(start) and is_id(end) and quote):
        form.add(
            "comment-quote",
            "The selected words could not be read: select them again, or type them in Quoted words",
        )
    return form


def parse_reply(posted: FormData, parent_id: int) -> Form:
    """A reply; its value is kept under the id of its field, as on the thread page."""
    field_id = f"reply-{parent_id}"
    form = Form({field_id: _one(posted, "body")})
    _check_body(form, field_id, "reply", key=field_id)
    return form


def parse_edit(posted: FormData) -> Form:
    form = Form({"body": _one(posted, "body"), "version": _one(posted, "version").strip()})
    _check_body(form, "body", "comment")
    if not is_id(form.values["version"]):
        form.add(
            "body",
            "The form does not say which version of the comment you edited. Open the edit "
            "page again and make your change there.",
        )
    return form


def parse_answer(posted: FormData, field_id: str) -> Form:
    """An answer; its value is kept under the id of its field, as on the page it came from."""
    form = Form({field_id: _one(posted, "answer").strip()})
    if not form.values[field_id]:
        form.add(field_id, "Enter the answer")
    elif len(form.values[field_id]) > MAX_BODY:
        form.add(field_id, f"The answer must be {MAX_BODY:,} characters or fewer")
    return form
