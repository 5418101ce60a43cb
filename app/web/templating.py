from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.config import Settings

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
# Templates ship with the code and change only with a restart: do not stat every template file
# on every request to see whether it changed (measurable on the register page under load).
templates.env.auto_reload = False


def _local(value: datetime | None, zone: str = "Asia/Jakarta") -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(zone)).strftime("%d %b %Y %H:%M %Z")


def _label(value: object) -> str:
    text = getattr(value, "value", value)
    return str(text or "").replace("_", " ")


templates.env.filters["local"] = _local
templates.env.filters["label"] = _label


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    base = {
        "settings": settings,
        "principal": getattr(request.state, "principal", None),
        "zone": settings.time_zone,
    }
    return templates.TemplateResponse(
        request, name, base | (context or {}), status_code=status_code
    )
