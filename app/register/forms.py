"""The register's HTML forms: read what a person submitted, check it, and say what is wrong in
words they can act on, keeping everything they typed so that nothing has to be typed twice.

Indicators and sections, new or edited, share one form object; only the set of fields differs.
The service checks everything again: this module exists to report all problems at once, beside
the fields they concern, instead of the first one as a bare error page.
"""

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData

from app.ids import is_id
from app.models import Element, ItemKind, ItemStatus, Strength
from app.models.register import CRIME_TYPES, INTENDED_USERS, PROFILES
from app.register.service import FIELD_LABELS, FieldDiff, RevisionView
from app.text.diff import word_diff
from app.web.forms import Form

# What a person reads for each stored value; also the options of the form's selects and checkboxes.
CHOICES: dict[str, dict[str, str]] = {
    "element": {"act": "Act", "means": "Means", "purpose": "Purpose"},
    "strength": {s.value: s.value.capitalize() for s in Strength},
    "profiles": {"adult": "Adults", "child": "Children"},
    "crime_types": {
        "online_fraud": "Online fraud",
        "drug_trafficking": "Drug trafficking",
        "theft": "Theft",
        "begging": "Begging",
        "other": "Other crimes",
    },
    "intended_users": {
        "police": "Police",
        "prosecutor": "Prosecutors",
        "judge": "Judges",
        "labour_inspector": "Labour inspectors",
        "social_worker": "Social workers",
    },
    "status": {"active": "Active", "withdrawn": "Withdrawn"},
}
assert set(CHOICES["element"]) == {e.value for e in Element}
assert tuple(CHOICES["profiles"]) == PROFILES
assert tuple(CHOICES["crime_types"]) == CRIME_TYPES
assert tuple(CHOICES["intended_users"]) == INTENDED_USERS

LABELS = {
    "code": "Code",
    "title": "Title",
    "text": "Text",
    "dimension": "Dimension",
    "element": "Element",
    "strength_adult": "Strength for adults",
    "strength_child": "Strength for children",
    "profiles": "Applies to",
    "crime_types": "Crime types",
    "intended_users": "Intended users",
    "guidance": "Guidance note",
    "information_sources": "Information sources",
    "references": "References",
    "rationale": "Rationale",
    "status": "Status",
    "reason": "Reason for the change",
    "base_revision": "Base revision",
}
# The same limits as the JSON API's schemas.
LIMITS = {
    "code": 32,
    "title": 300,
    "guidance": 20000,
    "information_sources": 5000,
    "references": 5000,
    "rationale": 20000,
    "reason": 2000,
}
TEXT_LIMIT = {ItemKind.INDICATOR: 5000, ItemKind.SECTION: 50000}
SELECTS = {"element": "element", "strength_adult": "strength", "strength_child": "strength"}
CHECKBOXES = ("profiles", "crime_types", "intended_users")
NOTES = ("guidance", "information_sources", "references", "rationale")


def fields_of(kind: ItemKind, *, creating: bool) -> tuple[str, ...]:
    """The content fields a form shows, in order (reason and base revision come on top)."""
    if kind is ItemKind.INDICATOR:
        content = ("text", "dimension", *SELECTS, *CHECKBOXES, *NOTES)
        return ("code", *content) if creating else (*content, "status")
    return ("code", "title", "text") if creating else ("title", "text", "status")


@dataclass(slots=True)
class ItemForm(Form):
    """A form's values as typed (strings, and lists for checkbox groups) and its problems."""

    kind: ItemKind = ItemKind.INDICATOR
    creating: bool = True

    @property
    def fields(self) -> tuple[str, ...]:
        return fields_of(self.kind, creating=self.creating)

    @property
    def reason(self) -> str:
        return str(self.values.get("reason", ""))

    @property
    def code(self) -> str | None:
        return str(self.values.get("code") or "") or None

    @property
    def dimension_code(self) -> str | None:
        return str(self.values.get("dimension") or "") or None

    @property
    def base_revision(self) -> int:
        return int(self.values["base_revision"])

    def content(self) -> dict[str, Any]:
        """The fields in the service's terms: enums for choices, None for "not set"."""
        v = self.values
        if self.kind is ItemKind.SECTION:
            out: dict[str, Any] = {"title": v["title"], "text": v["text"]}
        else:
            out = {"text": v["text"]}
            out["element"] = Element(v["element"]) if v["element"] else None
            for name in ("strength_adult", "strength_child"):
                out[name] = Strength(v[name]) if v[name] else None
            out |= {name: list(v[name]) for name in CHECKBOXES}
            out |= {name: v[name] for name in NOTES}
        if not self.creating:
            out["status"] = ItemStatus(v["status"])
        return out


def blank(kind: ItemKind) -> ItemForm:
    values: dict[str, Any] = dict.fromkeys(fields_of(kind, creating=True), "")
    values |= {name: [] for name in CHECKBOXES if kind is ItemKind.INDICATOR}
    values["reason"] = ""
    return ItemForm(values, kind=kind, creating=True)


def from_revision(view: RevisionView) -> ItemForm:
    """The edit form as it opens: the current revision's content, no reason yet."""
    rev = view.revision
    kind = view.item.kind
    values: dict[str, Any] = {"text": rev.text, "status": rev.status.value}
    if kind is ItemKind.SECTION:
        values["title"] = rev.title or ""
    else:
        values["dimension"] = view.dimension_code or ""
        for name in SELECTS:
            value = getattr(rev, name)
            values[name] = value.value if value is not None else ""
        for name in CHECKBOXES:
            values[name] = list(getattr(rev, name) or [])
        for name in NOTES:
            values[name] = getattr(rev, name) or ""
    values |= {"reason": "", "base_revision": str(rev.number)}
    return ItemForm(values, kind=kind, creating=False)


def _one(posted: FormData, name: str) -> str:
    value = posted.get(name)
    return value if isinstance(value, str) else ""


def _many(posted: FormData, name: str) -> list[str]:
    return [v for v in posted.getlist(name) if isinstance(v, str)]


def parse(
    posted: FormData,
    kind: ItemKind,
    *,
    creating: bool,
    dimension_codes: Collection[str],
    latest_revision: int | None = None,
) -> ItemForm:
    """Read and check a submitted form. `latest_revision` bounds the base revision of an edit."""
    form = ItemForm({}, kind=kind, creating=creating)
    noun = kind.value
    for name in form.fields:
        if name in CHECKBOXES:
            chosen = _many(posted, name)
            form.values[name] = chosen
            if set(chosen) - set(CHOICES[name]):
                form.add(name, f"Choose {LABELS[name].lower()} only from the list")
            continue
        value = _one(posted, name)
        # Browsers send line breaks as CRLF; the stored text uses LF, so diffs stay meaningful.
        value = value.replace("\r\n", "\n").strip()
        form.values[name] = value
        if name in ("code", "dimension"):
            form.values[name] = value = value.upper()
        limit = TEXT_LIMIT[kind] if name == "text" else LIMITS.get(name)
        if limit is not None and len(value) > limit:
            form.add(name, f"{LABELS[name]} must be {limit:,} characters or fewer")
        elif name == "text" and not value:
            form.add(name, f"Enter the text of the {noun}")
        elif name == "title" and not value:
            form.add(name, "Enter the title of the section")
        elif name == "code" and kind is ItemKind.SECTION and not value:
            form.add(name, "Enter a code for the section, for example SEC-SCOPE")
        elif name == "dimension" and value not in dimension_codes:
            form.add(name, "Choose a dimension from the list" if value else "Choose a dimension")
        elif name in SELECTS and value and value not in CHOICES[SELECTS[name]]:
            form.add(name, f"Choose the {LABELS[name].lower()} from the list")
        elif name == "status" and value not in CHOICES["status"]:
            form.add(name, f"Choose whether the {noun} is active or withdrawn")

    reason = _one(posted, "reason").replace("\r\n", "\n").strip()
    form.values["reason"] = reason
    if not reason:
        form.add("reason", "Enter the reason for the change")
    elif len(reason) > LIMITS["reason"]:
        form.add("reason", f"{LABELS['reason']} must be {LIMITS['reason']:,} characters or fewer")

    if not creating:
        base = _one(posted, "base_revision").strip()
        form.values["base_revision"] = base
        if not is_id(base) or not 1 <= int(base) <= (latest_revision or int(base)):
            form.add(
                "base_revision",
                "The form does not say which revision you edited (its base revision is not "
                "valid). Open the edit page again and make your change there.",
            )
    return form


def _shown(name: str, value: str | list[str]) -> str:
    """A value as a reader sees it, e.g. "Adults, Children" for ["adult", "child"]."""
    names = CHOICES.get(SELECTS.get(name, name), {})
    if isinstance(value, list):
        return ", ".join(names.get(v, v) for v in value)
    return names.get(value, value)


def compare(current: RevisionView, form: ItemForm) -> list[FieldDiff]:
    """What saving `form` would change in the current revision, field by field."""
    now = from_revision(current).values
    out = []
    for name in form.fields:
        if name == "code":
            continue
        old, new = _shown(name, now.get(name, "")), _shown(name, form.values.get(name, ""))
        # The service's labels, so that both diffs on the conflict page name fields alike.
        label = FIELD_LABELS.get("dimension_id" if name == "dimension" else name, LABELS[name])
        out.append(FieldDiff(name, label, old != new, word_diff(old, new)))
    return out
