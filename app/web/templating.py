import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from markupsafe import Markup, escape

from app.config import Settings
from app.timezones import in_zone, known_zone, local_text
from app.web.frame import frame

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
# Templates ship with the code and change only with a restart: do not stat every template file
# on every request to see whether it changed (measurable on the register page under load).
templates.env.auto_reload = False


def viewer_zone(principal: Any, settings: Settings) -> str:
    """The time zone dates are shown in: the person's own, else the group's."""
    own = getattr(principal, "time_zone", None)
    return own if isinstance(own, str) and known_zone(own) is not None else settings.time_zone


def _local(value: datetime | None, zone: str = "Asia/Jakarta") -> str:
    """A stored moment as read in `zone`: '02 Mar 2026 16:00 WIB (UTC+7)'."""
    return local_text(value, zone)


def _offset_in(value: datetime | None, zone: str) -> timedelta | None:
    """How far from UTC the moment reads in `zone` (None for no moment)."""
    return None if value is None else in_zone(value, zone).utcoffset()


def _label(value: object) -> str:
    text = getattr(value, "value", value)
    return str(text or "").replace("_", " ")


def _memo(macro: Any) -> Any:
    """`{% set tag = m.strength_tag | memo %}`: the macro called once per distinct arguments in
    this render, then its output reused. For a list whose cells repeat a few values (a strength,
    a status) over its rows: a macro call costs Jinja far more than looking its output up."""
    made: dict[tuple[Any, ...], Any] = {}

    def call(*args: Any, **kwargs: Any) -> Any:
        # Keyed on each argument's type with its value: Markup("<b>") == "<b>", and the output
        # made for the markup must never be reused for the plain (escaped) string.
        key = _typed(args)
        if kwargs:
            key += tuple(sorted((name, *_typed((v,))) for name, v in kwargs.items()))
        try:
            return made[key]
        except KeyError:
            out = made[key] = macro(*args, **kwargs)
            return out
        except TypeError:  # an unhashable argument (a list, a dict): not memoised
            return macro(*args, **kwargs)

    return call


def _typed(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """The values' types, then the values: a cache key that tells Markup from an equal str
    (made without a Python loop: the register calls memo three times a row)."""
    return (*map(type, values), *values)


def options(choices: tuple[tuple[str, str], ...], selected: str) -> Markup:
    """A select's options, each (value, label), the one whose value is `selected` marked so:
    made once per list and choice (a pure function of both), not an option at a time by Jinja
    on every page (the search page's filters: dozens of options)."""
    return _options(tuple(_typed(choice) for choice in choices), selected)


@lru_cache(maxsize=1024)
def _options(choices: tuple[tuple[Any, ...], ...], selected: str) -> Markup:
    # Each choice is (type, type, value, label): a Markup label is kept as markup, an equal
    # str label escaped, each cached under its own key.
    return Markup(  # noqa: S704 (values and labels escaped)
        "".join(
            f'<option value="{escape(value)}"{" selected" if value == selected else ""}>'
            f"{escape(label)}</option>"
            for _, _, value, label in choices
        )
    )


templates.env.filters["local"] = _local
templates.env.filters["memo"] = _memo
templates.env.filters["label"] = _label
templates.env.filters["offset_in"] = _offset_in


def draft_owner(principal: Any, settings: Settings) -> str:
    """Whose drafts the browser keeps on this page (app/static/drafts.js): an opaque name of the
    logged-in person, not their e-mail nor their id, so that a browser shared by two people
    offers each only their own unsent text. Empty: nobody is logged in."""
    user_id = getattr(principal, "user_id", None)
    if user_id is None:
        return ""
    message = f"zerodraft browser drafts of user {user_id}".encode()
    return hmac.new(settings.secret_key.encode(), message, hashlib.sha256).hexdigest()[:24]


# Marks, in a fragment kept for every viewer of an audience (app/web/cache.py), an option that
# is selected when this request's query names it; unguessable, like the CSRF token's placeholder.
CHOICE_PLACEHOLDER = "zdpick" + secrets.token_hex(16)


@pass_context
def chosen_in_query(context: Any, field: str, value: str) -> Markup:
    """' selected' when the request's query gives `field` the value `value` (a choice carried
    through a redirect: the delegation just spoken for). An option offered is the only value
    that can be chosen, so the query chooses among what the page offers, nothing else. In a
    cached fragment: a placeholder that app/web/cache.py fills for each request."""
    if context.get("fragment_for_cache"):
        return Markup(f"{CHOICE_PLACEHOLDER}{escape(field)}={escape(value)}{CHOICE_PLACEHOLDER}")  # noqa: S704
    request = context.get("request")
    picked = request is not None and request.query_params.get(field) == value
    return Markup(" selected") if picked else Markup("")


templates.env.globals["draft_owner"] = draft_owner
templates.env.globals["options"] = options
templates.env.globals["chosen_in_query"] = chosen_in_query


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    principal = getattr(request.state, "principal", None)
    base = {
        "settings": settings,
        "principal": principal,
        "zone": viewer_zone(principal, settings),
        "frame": frame(request),
    }
    return templates.TemplateResponse(
        request, name, base | (context or {}), status_code=status_code
    )
