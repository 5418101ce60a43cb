"""Deadlines on read: a GET request of the rounds API or pages first applies passed deadlines
in a short write transaction of its own, then reads, so its own transaction never writes."""

from datetime import datetime

from fastapi import Request
from sqlalchemy.orm import Session

from app.rounds import service
from app.web.deps import get_database, request_id, restart_read


def keep_current(request: Request, db: Session, now: datetime) -> None:
    if not service.due(db, now):
        return
    with get_database(request).transaction(write=True) as side:
        service.tick(side, now, request_id=request_id(request))
    # What follows reads the rounds after the change, not the snapshot that saw them before it.
    restart_read(db)
