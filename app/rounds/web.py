"""Deadlines on read: a GET request of the rounds API or pages first applies passed deadlines
in a short write transaction of its own, then reads, so its own transaction never writes."""

from app.rounds import service
from app.web.deps import RequestContext, get_database, restart_read


def keep_current(ctx: RequestContext) -> None:
    if not service.any_due(ctx.db, ctx.now):
        return
    with get_database(ctx.request).transaction(write=True) as side:
        service.tick(side, ctx.now, request_id=ctx.request_id)
    # What follows reads the rounds after the change, not the snapshot that saw them before it.
    restart_read(ctx.db)
