"""An upload is read with no transaction open, and only its preview is recorded in the write
transaction (issue 14, item 3): on SQLite a write transaction is the database's write lock, so
an upload read inside one made every other writer, and the next uploads, wait for its parse.
Here the parse of an upload is held mid-way, and the test looks at what the server holds then."""

import io
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import docx
import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import Database
from app.models import AuditEvent
from app.models.imports import WordImport
from app.rounds.export import MEDIA_TYPE
from app.web.deps import StagedSession
from app.word import reader
from tests.factories import World, bearer, token_for
from tests.helpers import Clock, csrf_of, log_in
from tests.test_imports_api import export, issue, upload

WAIT = 10.0  # seconds; every wait below ends far sooner when the code is right


def _draft() -> bytes:
    document = docx.Document()
    document.add_heading("Scope", level=1)
    document.add_paragraph("These indicators apply in every Member State.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@dataclass
class HeldParse:
    """The parse of word/document.xml, held until released; the connections the server had
    checked out of its pool while it was held; requests sent meanwhile, from threads."""

    started: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    checked_out: list[int] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)

    def send(self, call: Callable[[], httpx.Response]) -> tuple[threading.Thread, list[object]]:
        """`call` in a thread of its own: the thread, and the answer (or exception) once done."""
        answer: list[object] = []

        def run() -> None:
            try:
                answer.append(call())
            except BaseException as exc:  # reported by the test that waits for it
                answer.append(exc)

        thread = threading.Thread(target=run, daemon=True)
        self.threads.append(thread)
        thread.start()
        return thread, answer


@pytest.fixture
def held_parse(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[HeldParse]:
    held = HeldParse()
    real = reader.parse_xml

    def parse(data: bytes, part: str) -> object:
        if part == "word/document.xml":
            held.checked_out.append(database.engine.pool.checkedout())  # type: ignore[attr-defined]
            held.started.set()
            held.release.wait(WAIT)
        return real(data, part)

    monkeypatch.setattr(reader, "parse_xml", parse)
    yield held
    # Whatever the test found, no request is left in flight when the client closes (it would
    # wait for it); a writer blocked on SQLite's lock gives up after its busy timeout (30 s).
    held.release.set()
    for thread in held.threads:
        thread.join(40)


def _count(database: Database, query: object) -> int:
    with database.transaction(write=False) as s:
        return int(s.scalar(query) or 0)  # type: ignore[call-overload]


def _upload_api(client: TestClient, headers: dict[str, str]) -> httpx.Response:
    return client.post(
        "/api/v1/imports", files={"file": ("draft.docx", _draft(), MEDIA_TYPE)}, headers=headers
    )


def _upload_page(client: TestClient) -> httpx.Response:
    csrf = csrf_of(client.get("/imports").text)
    return client.post(
        "/imports",
        data={"csrf_token": csrf},
        files={"file": ("draft.docx", _draft(), MEDIA_TYPE)},
        follow_redirects=False,
    )


@pytest.mark.parametrize("way", ["api", "page"])
def test_another_writer_is_not_blocked_while_an_upload_is_parsed(
    way: str,
    client: TestClient,
    database: Database,
    world: World,
    clock: Clock,
    sec: dict[str, str],
    held_parse: HeldParse,
) -> None:
    if way == "page":
        log_in(client, world.secretariat)
    other = bearer(token_for(database, world.member, clock.now))
    events = _count(database, select(func.count()).select_from(AuditEvent))
    uploading, answer = held_parse.send(
        lambda: _upload_api(client, sec) if way == "api" else _upload_page(client)
    )
    assert held_parse.started.wait(WAIT), answer
    # The upload holds no connection, so no transaction (no lock) of any kind, while parsed.
    assert held_parse.checked_out == [0]

    # Someone else's write goes through meanwhile (on SQLite it needs the write lock).
    writing, written = held_parse.send(
        lambda: client.post("/api/v1/notifications/read-all", headers=other)
    )
    writing.join(WAIT / 2)
    assert not writing.is_alive(), "another writer waited for the upload's parse"
    assert isinstance(written[0], httpx.Response) and written[0].status_code == 204, written

    held_parse.release.set()
    uploading.join(WAIT)
    response = answer[0]
    assert isinstance(response, httpx.Response), response
    assert response.status_code == (201 if way == "api" else 303), response.text
    # Recorded once the file was read: the preview and its audit event, in one transaction.
    assert _count(database, select(func.count()).select_from(WordImport)) == 1
    assert _count(database, select(func.count()).select_from(AuditEvent)) > events


def test_an_upload_refused_after_its_read_records_nothing(
    client: TestClient, database: Database, clock: Clock, sec: dict[str, str]
) -> None:
    issue(database, clock)
    events = _count(database, select(func.count()).select_from(AuditEvent))
    # A returned copy for a delegation there is not: refused when planned, after the read.
    response = upload(client, sec, export(client, sec), delegation="XX-NONE")
    assert response.status_code == 404, response.text
    assert response.json()["detail"] == "no delegation with code XX-NONE"
    assert _count(database, select(func.count()).select_from(WordImport)) == 0
    assert _count(database, select(func.count()).select_from(AuditEvent)) == events


# --- The staged session itself ----------------------------------------------------------------


def test_a_staged_session_reads_then_writes_in_a_transaction_of_its_own(
    database: Database,
) -> None:
    staged = StagedSession(database.session(write=False))
    try:
        staged.db.execute(select(1))
        staged.pause()
        assert not staged.db.in_transaction()
        db = staged.write()
        assert db is staged.db and staged.writing and staged.db.in_transaction()
        assert staged.write() is db  # asked twice: the same transaction, nothing dropped
        with pytest.raises(RuntimeError, match="after write"):
            staged.pause()
    finally:
        staged.db.rollback()
        staged.db.close()


def test_a_staged_session_will_not_drop_pending_writes(database: Database) -> None:
    session: Session = database.session(write=False)
    try:
        staged = StagedSession(session)
        session.add(WordImport())  # pending, never flushed
        with pytest.raises(RuntimeError, match="pending writes"):
            staged.write()
    finally:
        session.rollback()
        session.close()
