"""The proposals' HTML forms: read what a person submitted, check it, and say what is wrong beside
the field it concerns, keeping everything they typed.

The content fields and their limits are the register's (app.register.forms); a proposal adds its
kind, its targets, its delegation and its rationale. The services check everything again: this
module exists to report all problems at once, in words a person can act on.

Values are kept under the names of the form's inputs. One differs from the content field it
holds: an indicator's own rationale is `indicator_rationale`, since `rationale` is the
proposal's.
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from app.errors import InvalidInput
from app.ids import is_id
from app.models import ItemKind, Outcome, ProposalKind, Stance
from app.models.register import TEXT_FIELDS
from app.register.forms import CHECKBOXES, CHOICES, LABELS, LIMITS, SELECTS, TEXT_LIMIT
from app.register.service import FIELD_LABELS, FieldDiff
from app.text.diff import word_diff
from app.web.forms import Form

INDICATOR_FIELDS = (
    "text",
    *SELECTS,
    *CHECKBOXES,
    "guidance",
    "information_sources",
    "references",
    "indicator_rationale",
)
SECTION_FIELDS = ("title", "text")
CONTENT_NAME = {"indicator_rationale": "rationale"}
FORM_NAME = {v: k for k, v in CONTENT_NAME.items()}
NOTE_LIMITS = {"indicator_rationale": LIMITS["rationale"]} | {
    n: LIMITS[n] for n in ("guidance", "information_sources", "references")
}
PROPOSAL_LABELS = LABELS | {
    "indicator_rationale": "Rationale of the indicator",
    "rationale": "Your delegation's rationale",
    "targets": "Indicators to merge",
    "delegation": "On behalf of",
    "item": "Item",
}
KIND_LABELS = {
    ProposalKind.AMEND: "amendment",
    ProposalKind.ADD: "new item",
    ProposalKind.DELETE: "deletion",
    ProposalKind.MERGE: "merge",
}
STANCES = {s.value: s.label.capitalize() for s in Stance}
OUTCOMES = {
    Outcome.AGREED.value: "Agreed",
    Outcome.AGREED_MODIFIED.value: "Agreed with modifications",
    Outcome.MERGED.value: "Merged into another proposal",
    Outcome.NOT_RETAINED.value: "Not retained",
    Outcome.UNDER_CONSIDERATION.value: "Under consideration",
}
DRAFTING_STATES = {
    "open": "Open",
    "bracketed": "Bracketed",
    "alternatives": "Alternatives",
    "agreed_ad_ref": "Agreed ad ref",
    "agreed": "Agreed",
}
ACTIONS = ("submit", "draft", "save", "preview")
STATEMENT_LIMIT = 5000
DECISION_LIMITS = {"reason": 20000, "override_reason": 5000, "answer": 20000}


def one(posted: FormData, name: str) -> str:
    """A single text value, with browsers' CRLF line breaks turned into the stored LF."""
    value = posted.get(name)
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else ""


def many(posted: FormData, name: str) -> list[str]:
    return [v for v in posted.getlist(name) if isinstance(v, str)]


def content_fields(item_kind: ItemKind) -> tuple[str, ...]:
    return SECTION_FIELDS if item_kind is ItemKind.SECTION else INDICATOR_FIELDS


def values_of(item_kind: ItemKind, content: Mapping[str, Any]) -> dict[str, Any]:
    """An item's content (a revision's, or a proposal's) as the form's values."""
    out: dict[str, Any] = {}
    for name in content_fields(item_kind):
        value = content.get(CONTENT_NAME.get(name, name))
        value = getattr(value, "value", value)
        if name in CHECKBOXES:
            out[name] = [str(v) for v in value or []]
        else:
            out[name] = "" if value is None else str(value)
    return out


def content_of(item_kind: ItemKind, values: Mapping[str, Any]) -> dict[str, Any]:
    """The form's values as content: None for a choice not made, lists sorted like the store."""
    out: dict[str, Any] = {}
    for name in content_fields(item_kind):
        value = values.get(name)
        if name in CHECKBOXES:
            value = sorted(set(value or []))
        elif name in SELECTS:
            value = value or None
        else:
            value = value or ""
        out[CONTENT_NAME.get(name, name)] = value
    return out


def changed_content(
    item_kind: ItemKind, base: Mapping[str, Any], values: Mapping[str, Any]
) -> dict[str, Any]:
    """Only the fields the person changed, so that a rebase never undoes others' later edits."""
    before = content_of(item_kind, values_of(item_kind, base))
    after = content_of(item_kind, values)
    return {k: v for k, v in after.items() if before[k] != v}


def shown(name: str, value: Any) -> str:
    """A stored value as a reader sees it: "Adults, Children" for ["adult", "child"]."""
    value = getattr(value, "value", value)
    names = CHOICES.get(SELECTS.get(name, name), {})
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(names.get(str(v), str(v)) for v in value)
    return names.get(str(value), str(value))


def label_of(name: str) -> str:
    return FIELD_LABELS.get(name) or PROPOSAL_LABELS.get(name, name.replace("_", " ").capitalize())


def diff_fields(
    old: Mapping[str, Any], new: Mapping[str, Any], names: Sequence[str] | None = None
) -> list[FieldDiff]:
    """Word diffs of the content fields that differ, in the register's order and words."""
    fields = names if names is not None else [n for n in FIELD_LABELS if n in old or n in new]
    out = []
    for name in fields:
        if name == "dimension_id":
            continue
        a, b = shown(name, old.get(name)), shown(name, new.get(name))
        if a != b:
            out.append(FieldDiff(name, label_of(name), True, word_diff(a, b)))
    return out


# --- Proposing and revising -----------------------------------------------------------------


@dataclass(slots=True)
class ProposalForm(Form):
    kind: ProposalKind = ProposalKind.AMEND
    item_kind: ItemKind = ItemKind.INDICATOR
    targets: list[str] = field(default_factory=list)
    base_revision: int | None = None
    action: str = "preview"
    base_dimension: str | None = None

    @property
    def fields(self) -> tuple[str, ...]:
        """The content inputs the form shows."""
        if self.kind is ProposalKind.DELETE:
            return ()
        if self.kind is ProposalKind.MERGE:
            return ("text",)
        return content_fields(self.item_kind)

    @property
    def rationale(self) -> str:
        return str(self.values.get("rationale", ""))

    @property
    def delegation(self) -> str | None:
        return str(self.values.get("delegation") or "") or None

    @property
    def dimension(self) -> str | None:
        return str(self.values.get("dimension") or "") or None

    @property
    def after(self) -> str | None:
        """For a new item: the code of the item it follows; None: at the end of its dimension."""
        if self.kind is not ProposalKind.ADD:
            return None
        return str(self.values.get("after") or "") or None

    @property
    def move(self) -> str | None:
        """The dimension an amended indicator moves to, if the person chose another one."""
        if self.kind is not ProposalKind.AMEND or self.dimension == self.base_dimension:
            return None
        return self.dimension

    def content(self, base: Mapping[str, Any] | None) -> dict[str, Any]:
        """What the proposal sets: the whole item for an addition, the changed fields of an
        amendment (against `base`, the base revision's content), the merged text of a merge."""
        if self.kind is ProposalKind.DELETE:
            return {}
        if self.kind is ProposalKind.MERGE:
            return {"text": self.values.get("text", "")}
        if self.kind is ProposalKind.ADD or base is None:
            return content_of(self.item_kind, self.values)
        return changed_content(self.item_kind, base, self.values)

    def preview(self, base: Mapping[str, Any] | None) -> list[FieldDiff]:
        """The difference the proposal would make, field by field."""
        return diff_fields(base or {}, dict(base or {}) | self.content(base))


def blank(kind: ProposalKind, item_kind: ItemKind, delegation: str | None) -> ProposalForm:
    values: dict[str, Any] = {"rationale": "", "delegation": delegation or ""}
    form = ProposalForm(values, kind=kind, item_kind=item_kind)
    for name in form.fields:
        values[name] = [] if name in CHECKBOXES else ""
    return form


def start(
    kind: ProposalKind,
    item_kind: ItemKind,
    *,
    base: Mapping[str, Any] | None,
    targets: Sequence[str],
    base_revision: int | None,
    delegation: str | None,
    dimension: str | None = None,
) -> ProposalForm:
    """The form as it opens: an amendment shows the item as it is, ready to be changed."""
    form = blank(kind, item_kind, delegation)
    form.targets = list(targets)
    form.base_revision = base_revision
    if base is not None and kind is not ProposalKind.ADD:
        form.values |= {k: v for k, v in values_of(item_kind, base).items() if k in form.fields}
    if dimension:
        form.values["dimension"] = dimension
    return form


def from_proposal(
    kind: ProposalKind,
    item_kind: ItemKind,
    *,
    proposed: Mapping[str, Any],
    rationale: str,
    targets: Sequence[str],
    base_revision: int | None,
    version: int,
) -> ProposalForm:
    """The edit form of a proposal: what it proposes now, and the version it is at."""
    form = start(
        kind,
        item_kind,
        base=proposed,
        targets=targets,
        base_revision=base_revision,
        delegation=None,
    )
    if kind is ProposalKind.ADD:
        form.values |= values_of(item_kind, proposed)
    form.values |= {"rationale": rationale, "version": str(version)}
    return form


def read_header(posted: FormData) -> tuple[ProposalKind, ItemKind, list[str], str]:
    """What the hidden fields say the form is about. No kind is an amendment (as on
    GET /proposals/new) and an unknown one is refused; an unknown item kind falls back safely,
    the service refusing what does not fit."""
    kind = one(posted, "kind")
    if kind and kind not in {k.value for k in ProposalKind}:
        # A kind no page offers: refused rather than taken for an amendment.
        raise InvalidInput(
            f"unknown kind of proposal {kind[:32]!r}; choose one of "
            + ", ".join(k.value for k in ProposalKind),
            field="kind",
        )
    item_kind = one(posted, "item_kind")
    targets = [t.strip().upper() for t in many(posted, "targets") if t.strip()]
    item = one(posted, "item").upper()
    if item and item not in targets:
        targets.insert(0, item)
    return (
        ProposalKind(kind) if kind in {k.value for k in ProposalKind} else ProposalKind.AMEND,
        ItemKind(item_kind) if item_kind in {k.value for k in ItemKind} else ItemKind.INDICATOR,
        targets,
        action if (action := one(posted, "action")) in ACTIONS else "preview",
    )


def parse(
    posted: FormData,
    *,
    kind: ProposalKind,
    item_kind: ItemKind,
    targets: Sequence[str],
    action: str,
    dimension_codes: Collection[str],
    delegation_codes: Collection[str],
    mergeable: Collection[str] = (),
    latest_revision: int | None = None,
    editing: bool = False,
    followable: Mapping[str, str | None] | None = None,
) -> ProposalForm:
    """Read and check a submitted proposal form. `followable`: the items a new one may follow
    (code -> dimension code, None for a section)."""
    form = ProposalForm(kind=kind, item_kind=item_kind, targets=list(targets), action=action)
    noun = "section" if item_kind is ItemKind.SECTION else "indicator"
    for name in form.fields:
        if name in CHECKBOXES:
            chosen = many(posted, name)
            form.values[name] = chosen
            if set(chosen) - set(CHOICES[name]):
                form.add(name, f"Choose {LABELS[name].lower()} only from the list")
            continue
        value = one(posted, name)
        form.values[name] = value
        if name == "text":
            limit = TEXT_LIMIT[item_kind]
            if not value:
                form.add(name, f"Enter the text of the {noun}")
            form.limited(name, value, limit, "Text")
        elif name == "title":
            if not value:
                form.add(name, "Enter the title of the section")
            form.limited(name, value, LIMITS["title"], "Title")
        elif name in SELECTS:
            if value and value not in CHOICES[SELECTS[name]]:
                form.add(name, f"Choose the {LABELS[name].lower()} from the list")
        else:
            form.limited(name, value, NOTE_LIMITS[name], PROPOSAL_LABELS[name])

    rationale = one(posted, "rationale")
    form.values["rationale"] = rationale
    form.limited("rationale", rationale, LIMITS["rationale"], "The rationale")

    if editing:
        version = one(posted, "version")
        form.values["version"] = version
        if not is_id(version):
            form.add(None, "The form does not say which version of the proposal you edited")
    else:
        delegation = one(posted, "delegation")
        form.values["delegation"] = delegation
        if delegation and delegation not in delegation_codes:
            form.add("delegation", "Choose one of your delegations")
        if item_kind is ItemKind.INDICATOR and kind in (ProposalKind.ADD, ProposalKind.AMEND):
            dimension = one(posted, "dimension").upper()
            form.values["dimension"] = dimension
            if dimension and dimension not in dimension_codes:
                form.add("dimension", "Choose a dimension from the list")
            elif not dimension and kind is ProposalKind.ADD:
                form.add("dimension", "Choose the dimension of the new indicator")

    if kind is ProposalKind.ADD:
        _read_after(posted, form, followable or {})

    if editing:
        pass  # targets and base revisions are the proposal's own; a revision changes neither
    elif kind is ProposalKind.MERGE:
        if len(form.targets) < 2:
            form.add("targets", "Choose two or more indicators to merge")
        elif set(form.targets) - set(mergeable):
            form.add("targets", "Choose the indicators to merge from the list")
    elif kind is not ProposalKind.ADD:
        base = one(posted, "base_revision")
        if is_id(base) and 1 <= int(base) <= (latest_revision or int(base)):
            form.base_revision = int(base)
        else:
            form.add(
                None,
                "The form does not say which revision you started from. Open the item again "
                "and make your proposal from there.",
            )
    return form


def _read_after(posted: FormData, form: ProposalForm, followable: Mapping[str, str | None]) -> None:
    """Where a new item goes: after an item of its kind (and dimension), or at the end."""
    after = one(posted, "after").upper()
    form.values["after"] = after
    if not after:
        return
    if after not in followable:
        form.add("after", "Choose the item it follows from the list, or the end")
        return
    dimension = form.dimension
    if form.item_kind is ItemKind.INDICATOR and dimension and followable[after] != dimension:
        form.add(
            "after",
            f"{after} is in another dimension: choose an indicator of the dimension you chose, "
            "or the end of the dimension",
        )


def check_changes(form: ProposalForm, base: Mapping[str, Any] | None) -> None:
    """An amendment must change something: a field, or the dimension."""
    if form.kind is ProposalKind.AMEND and form.ok and not form.content(base) and not form.move:
        form.add("text", "Change at least one field: the proposal is the same as the item")


# --- Actions on a proposal ------------------------------------------------------------------


def parse_position(posted: FormData, *, prefix: str, delegation_codes: Collection[str]) -> Form:
    form = Form()
    stance = one(posted, "stance")
    statement = one(posted, "statement")
    delegation = one(posted, "delegation")
    form.values = {"stance": stance, "statement": statement, "delegation": delegation}
    if stance not in STANCES:
        form.add(f"{prefix}-stance", "Choose your delegation's position")
    form.limited(f"{prefix}-statement", statement, STATEMENT_LIMIT, "The statement")
    if delegation and delegation not in delegation_codes:
        form.add(f"{prefix}-delegation", "Choose one of your delegations")
    return form


def parse_decision(posted: FormData, *, modifiable: Sequence[str]) -> Form:
    form = Form()
    v = form.values
    v["outcome"] = one(posted, "outcome")
    for name in ("reason", "override_reason"):
        v[name] = one(posted, name)
        form.limited(f"decision-{name}", v[name], DECISION_LIMITS[name], label_of(name))
    v["merged_into"] = one(posted, "merged_into")
    v["version"] = one(posted, "version")
    v["acknowledged"] = one(posted, "acknowledged") == "yes"
    # The delegations the person saw pending or reserving when they acknowledged (hidden).
    v["acknowledged_picture"] = {
        standing: many(posted, f"acknowledged_{standing}")[:500]
        for standing in ("pending", "reservation")
    }
    modified: dict[str, Any] = {}
    for name in modifiable:
        if name in CHECKBOXES:
            modified[name] = many(posted, f"modified_{name}")
            if set(modified[name]) - set(CHOICES[name]):
                label = label_of(name).lower()
                form.add(f"decision-modified-{name}", f"Choose {label} from the list")
        elif name in SELECTS:
            value = one(posted, f"modified_{name}")
            modified[name] = value or None
            if value and value not in CHOICES[SELECTS[name]]:
                label = label_of(name).lower()
                form.add(f"decision-modified-{name}", f"Choose the {label} from the list")
        else:
            modified[name] = one(posted, f"modified_{name}")
    v["modified"] = modified
    if v["outcome"] not in OUTCOMES:
        form.add("decision-outcome", "Choose the decision")
    elif v["outcome"] == Outcome.NOT_RETAINED and not v["reason"]:
        form.add("decision-reason", "Say why the proposal is not retained")
    elif v["outcome"] == Outcome.MERGED and not is_id(v["merged_into"]):
        form.add("decision-merged_into", "Choose the proposal this one is merged into")
    elif v["outcome"] == Outcome.AGREED_MODIFIED and not modified.get("text", "x"):
        form.add("decision-modified-text", "Enter the text as modified")
    if not is_id(v["version"]):
        form.add(None, "The form does not say which version of the proposal you decided on")
    return form


DECISION_IDS = {
    "reason": "decision-reason",
    "override_reason": "decision-override_reason",
    "merged_into": "decision-merged_into",
    "content": "decision-modified-text",
    "outcome": "decision-outcome",
    "acknowledged": "decision-acknowledged",
}


def modifiable_fields(content: Mapping[str, Any]) -> list[str]:
    """The fields a decider may change when agreeing with modifications: every field the
    proposal touched (its texts, its choices, its lists), in the order of the form."""
    order = [*TEXT_FIELDS, *SELECTS, *CHECKBOXES]
    return [n for n in order if n in content] + sorted(
        n for n in content if n not in order and n != "dimension_id"
    )


def parse_answer(posted: FormData) -> Form:
    form = Form({"answer": one(posted, "answer")})
    if not form.values["answer"]:
        form.add("answer", "Enter the answer")
    form.limited("answer", form.values["answer"], DECISION_LIMITS["answer"], "The answer")
    return form


def parse_mark(posted: FormData) -> Form:
    form = Form()
    v = form.values
    for name in ("state", "note", "override_reason"):
        v[name] = one(posted, name)
    if v["state"] not in DRAFTING_STATES:
        form.add("mark-state", "Choose where the item stands")
    form.limited("mark-note", v["note"], 5000, "The note")
    form.limited("mark-override_reason", v["override_reason"], 5000, "The override reason")
    return form


MARK_IDS = {"override_reason": "mark-override_reason", "state": "mark-state"}


def parse_resolutions(posted: FormData, conflicts: Sequence[str], item_kind: ItemKind) -> Form:
    """A person's resolution of each field changed on both sides since the proposal's base."""
    form = Form({"version": one(posted, "version")})
    for name in conflicts:
        input_name = f"resolution_{name}"
        if name in CHECKBOXES:
            chosen = many(posted, input_name)
            form.values[name] = chosen
            if set(chosen) - set(CHOICES[name]):
                form.add(f"resolution-{name}", f"Choose {label_of(name).lower()} from the list")
            continue
        value = one(posted, input_name)
        form.values[name] = value
        if name in SELECTS:
            if value and value not in CHOICES[SELECTS[name]]:
                form.add(f"resolution-{name}", f"Choose the {label_of(name).lower()} from the list")
        elif name in ("text", "title") and not value:
            form.add(f"resolution-{name}", f"Enter the {label_of(name).lower()} you want")
        else:
            limit = TEXT_LIMIT[item_kind] if name == "text" else LIMITS.get(name, 20000)
            form.limited(f"resolution-{name}", value, limit, label_of(name))
    if not is_id(form.values["version"]):
        form.add(None, "The form does not say which version of the proposal you rebased")
    return form


def resolutions(form: Form, conflicts: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in conflicts:
        value = form.values.get(name)
        out[name] = (value or None) if name in SELECTS else value
    return out
