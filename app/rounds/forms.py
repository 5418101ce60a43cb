"""The rounds' HTML forms: read what the secretariat or a delegation submitted, check it, and say
what is wrong beside the field it concerns, keeping what they typed.

Dates are typed as a local date and time (an <input type="datetime-local">) in the round's time
zone, which is how a secretariat in Jakarta or a delegate in Yangon thinks of a deadline; they
are stored in UTC. The service checks everything again; its refusals land beside the same fields.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData

from app.models import RoundKind
from app.web.forms import Form

# The time zones of ASEAN capitals (UTC+6:30 to UTC+9), and UTC.
TIME_ZONES: dict[str, str] = {
    "Asia/Yangon": "Yangon (UTC+6:30)",
    "Asia/Bangkok": "Bangkok (UTC+7)",
    "Asia/Ho_Chi_Minh": "Hanoi, Ho Chi Minh City (UTC+7)",
    "Asia/Jakarta": "Jakarta (UTC+7)",
    "Asia/Phnom_Penh": "Phnom Penh (UTC+7)",
    "Asia/Vientiane": "Vientiane (UTC+7)",
    "Asia/Brunei": "Bandar Seri Begawan (UTC+8)",
    "Asia/Kuala_Lumpur": "Kuala Lumpur (UTC+8)",
    "Asia/Manila": "Manila (UTC+8)",
    "Asia/Singapore": "Singapore (UTC+8)",
    "Asia/Dili": "Dili (UTC+9)",
    "UTC": "UTC",
}
KINDS: dict[str, tuple[str, str]] = {
    RoundKind.WRITTEN.value: (
        "Written comments",
        "Delegations send proposals and comments in writing by the deadline.",
    ),
    RoundKind.NEGOTIATION.value: (
        "Negotiation",
        "The text is worked through at meetings, with written input between them.",
    ),
    RoundKind.SILENCE.value: (
        "Silence procedure",
        "A settled text is adopted unless a delegation objects by the deadline.",
    ),
}
assert set(KINDS) == {k.value for k in RoundKind}

LIMITS = {"symbol": 64, "title": 300, "marking": 64, "instructions": 20000, "statement": 20000}
FIELD_IDS = {
    "symbol": "symbol",
    "title": "title",
    "kind": "kind",
    "time_zone": "time_zone",
    "opens_at": "opens_at",
    "deadline": "deadline",
    "marking": "marking",
    "instructions": "instructions",
    "until": "until",
    "statement": "statement",
    "delegation": "delegation",
}


def _text(posted: FormData, name: str) -> str:
    value = posted.get(name)
    return value.strip() if isinstance(value, str) else ""


def local_input(value: datetime | None, zone: str) -> str:
    """A UTC moment as a datetime-local input shows it in `zone`."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def parse_local(form: Form, name: str, zone: str, *, required: bool, label: str) -> datetime | None:
    raw = form.values.get(name, "")
    if not raw:
        if required:
            form.add(name, f"Enter the {label}")
        return None
    try:
        naive = datetime.fromisoformat(raw)
    except ValueError:
        form.add(name, f"Enter the {label} as a date and time, for example 2026-03-06 17:00")
        return None
    if naive.tzinfo is not None:
        return naive.astimezone(UTC)
    return naive.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


@dataclass(slots=True)
class RoundForm:
    form: Form
    kind: RoundKind = RoundKind.WRITTEN
    opens_at: datetime | None = None
    deadline: datetime | None = None

    @property
    def values(self) -> dict[str, str]:
        return self.form.values

    @property
    def observers_may_comment(self) -> bool:
        return self.values.get("observers_may_comment") == "yes"


def blank_round(*, zone: str, marking: str) -> Form:
    return Form(
        {
            "symbol": "",
            "title": "",
            "kind": RoundKind.WRITTEN.value,
            "time_zone": zone if zone in TIME_ZONES else "Asia/Jakarta",
            "opens_at": "",
            "deadline": "",
            "marking": marking,
            "instructions": "",
            "observers_may_comment": "",
        }
    )


def parse_round(posted: FormData) -> RoundForm:
    names = ("symbol", "title", "kind", "time_zone", "opens_at", "deadline", "marking")
    values = {name: _text(posted, name) for name in names}
    values["instructions"] = _text(posted, "instructions")
    values["observers_may_comment"] = "yes" if posted.get("observers_may_comment") else ""
    form = Form(values)
    parsed = RoundForm(form)
    if not values["symbol"]:
        form.add("symbol", "Enter the round's symbol, for example DWG-FC/Rev.1")
    elif not all(c.isalnum() or c in "./ -" for c in values["symbol"]):
        form.add("symbol", "The symbol may contain letters, digits, dots, slashes and hyphens")
    if not values["title"]:
        form.add("title", "Enter the round's title, for example Revised draft 1")
    for name, limit in LIMITS.items():
        if len(values.get(name, "")) > limit:
            form.add(name, f"Use at most {limit} characters")
    if values["kind"] not in KINDS:
        form.add("kind", "Choose what kind of round this is")
    else:
        parsed.kind = RoundKind(values["kind"])
    zone = values["time_zone"]
    if zone not in TIME_ZONES:
        form.add("time_zone", "Choose the round's time zone from the list")
        return parsed
    parsed.opens_at = parse_local(form, "opens_at", zone, required=False, label="opening")
    parsed.deadline = parse_local(form, "deadline", zone, required=False, label="deadline")
    if parsed.opens_at and parsed.deadline and parsed.deadline <= parsed.opens_at:
        form.add("deadline", "The deadline must be after the opening")
    return parsed


def parse_silence(posted: FormData, zone: str) -> tuple[Form, datetime | None]:
    form = Form({"until": _text(posted, "until")})
    until = parse_local(form, "until", zone, required=True, label="end of the silence procedure")
    return form, until


def parse_break(posted: FormData) -> Form:
    form = Form(
        {"statement": _text(posted, "statement"), "delegation": _text(posted, "delegation")}
    )
    if not form.values["statement"]:
        form.add("statement", "Give your delegation's statement: why it breaks silence")
    elif len(form.values["statement"]) > LIMITS["statement"]:
        form.add("statement", f"Use at most {LIMITS['statement']} characters")
    return form
