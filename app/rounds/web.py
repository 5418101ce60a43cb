"""Deadlines on read: a GET request of the rounds API or pages first applies passed deadlines
in a short write transaction of its own, then reads, so its own transaction never writes."""

from datetime import datetime

from fastapi import Request
from sqlalchemy.orm import Session

from app.rounds import service
from app.web.deps import get_database, request_id


def keep_current(request: Request, db: Session, now: datetime) -> None:
    if not service.due(db, now):
        return
    with get_database(request).transaction(write=True) as side:
        service.tick(side, now, request_id=request_id(request))
    # End the read transaction that saw the rounds before the change, so what follows sees them
    # after it (a SQLite reader keeps the snapshot it started with).
    db.rollback()
