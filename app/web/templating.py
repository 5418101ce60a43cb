from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.config import Settings

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
# Templates ship with the code and change only with a restart: do not stat every template file
# on every request to see whether it changed (measurable on the register page under load).
templates.env.auto_reload = False


@lru_cache(maxsize=1024)
def known_zone(name: str | None) -> ZoneInfo | None:
    """The zone called `name`, or None for an empty or unknown name."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def viewer_zone(principal: Any, settings: Settings) -> str:
    """The time zone dates are shown in: the person's own, else the group's."""
    own = getattr(principal, "time_zone", None)
    return own if isinstance(own, str) and known_zone(own) is not None else settings.time_zone


def utc_offset(moment: datetime) -> str:
    """'UTC+7', 'UTC+6:30', 'UTC-3', or 'UTC' for no offset."""
    minutes = int((moment.utcoffset() or timedelta(0)).total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'-' if minutes < 0 else '+'}{hours}" + (f":{rest:02d}" if rest else "")


def zone_label(moment: datetime) -> str:
    """The zone of an aware moment, unambiguously: the abbreviation where the zone has a
    lettered one, always with the offset ('WIB (UTC+7)', 'PST (UTC+8)' in Manila, 'UTC+6:30'
    in Yangon, 'UTC')."""
    offset = utc_offset(moment)
    abbreviation = moment.tzname() or ""
    if abbreviation.isalpha() and abbreviation not in ("UTC", "GMT", "Z"):
        return f"{abbreviation} ({offset})"
    return offset


def _local(value: datetime | None, zone: str = "Asia/Jakarta") -> str:
    """A stored moment as read in `zone`: '02 Mar 2026 16:00 WIB (UTC+7)'."""
    if value is None:
        return ""
    local = value.astimezone(known_zone(zone) or ZoneInfo("UTC"))
    return f"{local:%d %b %Y %H:%M} {zone_label(local)}"


def _offset_in(value: datetime | None, zone: str) -> timedelta | None:
    """How far from UTC the moment reads in `zone` (None for no moment)."""
    if value is None:
        return None
    return value.astimezone(known_zone(zone) or ZoneInfo("UTC")).utcoffset()


def _label(value: object) -> str:
    text = getattr(value, "value", value)
    return str(text or "").replace("_", " ")


templates.env.filters["local"] = _local
templates.env.filters["label"] = _label
templates.env.filters["offset_in"] = _offset_in


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    principal = getattr(request.state, "principal", None)
    base = {
        "settings": settings,
        "principal": principal,
        "zone": viewer_zone(principal, settings),
    }
    return templates.TemplateResponse(
        request, name, base | (context or {}), status_code=status_code
    )
