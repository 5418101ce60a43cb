"""Web pages of a person's notifications (the unread count in every page's top bar:
app/notifications/frame.py)."""

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse

from app.accounts.permissions import Action
from app.notifications import service
from app.web.deps import Context, DbRoute, RequestContext, get_database
from app.web.templating import render

router = APIRouter(route_class=DbRoute, include_in_schema=False)

Reader = Annotated[RequestContext, Context(Action.READ_NOTIFICATIONS)]


@router.get("/notifications")
def notifications(ctx: Reader) -> HTMLResponse:
    notes = service.for_user(ctx.db, ctx.principal.user_id)
    # Unread first; newest first within each (sorted() keeps the service's order).
    ordered = sorted(notes, key=lambda n: n.read_at is not None)
    unread = sum(1 for n in notes if n.read_at is None)
    return render(ctx.request, "notifications.html", {"notes": ordered, "unread": unread})


@router.get("/notifications/{notification_id}/open")
def open_one(notification_id: int, ctx: Reader) -> RedirectResponse:
    """Opening a notification marks it read, then shows what it is about.

    A GET that writes, deliberately: the same link is in the notification mail, and a mail
    cannot carry a form. It is safe as a GET: it only ever sets the person's own notification's
    read_at, once (opening it again changes nothing), and it needs their log-in, so a mail
    scanner that follows the link meets the log-in page and changes nothing."""
    note = service.own(ctx.db, ctx.principal.user_id, notification_id)
    link = service.local_link(note.link)
    if note.read_at is None:
        # The request's read transaction ends first; the write is a short one of its own.
        ctx.db.commit()
        with get_database(ctx.request).transaction(write=True) as side:
            service.mark_read(side, ctx.principal.user_id, notification_id, now=ctx.now)
    return RedirectResponse(link, status_code=303)


@router.post("/notifications/read-all")
def read_all(ctx: Reader) -> RedirectResponse:
    service.mark_all_read(ctx.db, ctx.principal.user_id, now=ctx.now)
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/{notification_id}/read")
def read_one(notification_id: int, ctx: Reader) -> RedirectResponse:
    service.mark_read(ctx.db, ctx.principal.user_id, notification_id, now=ctx.now)
    return RedirectResponse(f"/notifications#notification-{notification_id}", status_code=303)
