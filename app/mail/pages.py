"""Mail pages: the outbox as the admin reads it, and the unsubscribe link of every notification
mail.

Unsubscribing works without a log-in, by the signed link in the mail (RFC 8058): a mail
program's one-click POST, or the confirm button of the page a GET shows. A GET never changes
anything, because mail scanners open the links of a mail before the person does.
"""

import re
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup, escape

from app.accounts.links import PATH
from app.accounts.permissions import Action
from app.config import Settings
from app.ids import is_id
from app.mail import service
from app.models import MailFrequency, OutboxMessage, OutboxState
from app.web.deps import (
    Context,
    DbRoute,
    DbSession,
    Now,
    RequestContext,
    RequestId,
    SettingsDep,
    get_database,
)
from app.web.templating import render

router = APIRouter(route_class=DbRoute, include_in_schema=False)

Admin = Annotated[RequestContext, Context(Action.READ_OUTBOX)]
ONE_TIME_PATHS = tuple(PATH.values())
_URL = re.compile(r"https?://[^\s<>\"']+")
# A one-time link on any host and under any path prefix (the base URL may have changed since the
# mail was written): group 1 is all of it but the token.
_ONE_TIME = re.compile(
    r"(https?://[^/?#]+[^?#]*?(?:" + "|".join(re.escape(p) for p in ONE_TIME_PATHS) + r"))[^/?#]"
)


# --- Unsubscribe ----------------------------------------------------------------------------


@router.get("/mail/unsubscribe/{token}")
def unsubscribe_page(
    token: str, request: Request, db: DbSession, settings: SettingsDep
) -> HTMLResponse:
    user = service.unsubscriber(db, settings, token)
    return render(
        request,
        "mail_unsubscribe.html",
        {
            "token": token,
            "email": user.email,
            "already": user.mail_frequency is MailFrequency.NONE,
            "preference": user.mail_frequency.label,
            "done": False,
        },
    )


@router.post("/mail/unsubscribe/{token}")
def unsubscribe(
    token: str,
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    now: Now,
    request_id: RequestId,
) -> HTMLResponse:
    """RFC 8058 one-click: no log-in and no CSRF token, by design; the signed link is the
    credential, and all it can do is stop notification mail."""
    user = service.unsubscribe(db, settings, token, now=now, request_id=request_id)
    return render(
        request,
        "mail_unsubscribe.html",
        {"token": token, "email": user.email, "already": True, "preference": "", "done": True},
    )


# --- The outbox -----------------------------------------------------------------------------


def readable(message: OutboxMessage, settings: Settings) -> Markup:
    """The plain-text part with its links clickable. Once mail goes out by SMTP, the one-time
    links of invitations and password resets are hidden: they are for their recipient alone
    (without SMTP the admin reads them here to pass them on, which is why the outbox exists)."""
    text = message.text_body
    out: list[str] = []
    at = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:)]")
        end = match.start() + len(url)
        out.append(str(escape(text[at : match.start()])))
        one_time = _ONE_TIME.match(url)
        if settings.mail_enabled and one_time:
            out.append(
                f'{escape(one_time.group(1))}<span class="muted">[one-time link hidden: it is '
                "meant for the recipient alone]</span>"
            )
        else:
            out.append(f'<a href="{escape(url)}" rel="noreferrer">{escape(url)}</a>')
        at = end
    out.append(str(escape(text[at:])))
    return Markup("".join(out))  # noqa: S704 - every piece above is escaped


@router.get("/admin/outbox")
def outbox(
    ctx: Admin,
    state: Annotated[str, Query(max_length=16)] = "",
    before: Annotated[str, Query(max_length=12)] = "",
) -> HTMLResponse:
    chosen = next((s for s in OutboxState if s.value == state), None)
    start = int(before) if is_id(before) else None
    page = service.outbox_page(ctx.db, state=chosen, before=start)
    query = f"state={chosen.value}&" if chosen else ""
    return render(
        ctx.request,
        "admin_outbox.html",
        {
            "page": page,
            "state": chosen,
            "states": list(OutboxState),
            "before": start,
            "older_url": f"/admin/outbox?{query}before={page.next_before}"
            if page.next_before
            else None,
            "newest_url": f"/admin/outbox?{query}".rstrip("?&"),
            "mail_enabled": ctx.settings.mail_enabled,
        },
    )


def shows_one_time_link(message: OutboxMessage, settings: Settings) -> bool:
    """Whether `readable` shows a one-time link (invitation, password reset) in full."""
    if settings.mail_enabled:
        return False
    return any(
        _ONE_TIME.match(m.group(0).rstrip(".,;:)]")) for m in _URL.finditer(message.text_body)
    )


@router.get("/admin/outbox/{message_id}")
def outbox_message(message_id: int, ctx: Admin, retried: bool = False) -> HTMLResponse:
    message = service.get_message(ctx.db, message_id)
    if shows_one_time_link(message, ctx.settings):
        # Whoever reads a live invitation or reset link can act as its recipient: the reading
        # is in the audit trail (in a short write transaction of its own, as reads run in a
        # read transaction).
        ctx.db.commit()
        with get_database(ctx.request).transaction(write=True) as side:
            service.note_one_time_link_read(side, ctx.actor, message, now=ctx.now)
    return render(
        ctx.request,
        "admin_outbox_message.html",
        {
            "message": message,
            "body": readable(message, ctx.settings),
            "mail_enabled": ctx.settings.mail_enabled,
            "mail_from": ctx.settings.mail_from,
            "retried": retried,
        },
    )


@router.post("/admin/outbox/{message_id}/retry")
def retry(message_id: int, ctx: Admin) -> RedirectResponse:
    service.retry(ctx.db, ctx.actor, message_id, now=ctx.now)
    return RedirectResponse(f"/admin/outbox/{message_id}?retried=1", status_code=303)
