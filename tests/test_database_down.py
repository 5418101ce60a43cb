"""PostgreSQL going away in the middle of traffic: requests answer 503 quickly with a message
that names the problem (never a traceback, never a hang), /readyz reports the outage (/healthz,
the process alive, stays 200), and service resumes by itself when the database comes back,
without restarting the app.

The machine's PostgreSQL is shared, so it is not stopped: a TCP proxy in this test stands
between the app and PostgreSQL and cuts every connection (and refuses new ones), or swallows
them as an unreachable host would, then forwards again.

PostgreSQL only: SQLite is a library inside the app's own process working on a local file;
there is no server or network that can go away while the app keeps running. (A file held locked
by another program is waited for, up to the busy timeout, by design.)"""

import os
import random
import socket
import struct
import threading
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

import app.db
from app.db import CONNECT_TIMEOUT_SECONDS, Database
from tests.helpers import PG_URL
from tests.servers import (
    Ledger,
    Person,
    Server,
    TcpProxy,
    check_database,
    member_step,
    migrated_database,
    seed,
    tokens,
)

UNAVAILABLE = "the database is unavailable"
# A refused connection fails at once; an unreachable host within the connect timeout.
QUICK = 3.0
BOUNDED = CONNECT_TIMEOUT_SECONDS + 3.0


def _assert_unavailable(response: httpx.Response, bound: float) -> None:
    assert response.status_code == 503, (response.status_code, response.text[:500])
    assert response.elapsed.total_seconds() < bound, response.elapsed
    assert "Traceback" not in response.text
    assert response.headers["retry-after"] == "5"
    if response.headers["content-type"].startswith("application/json"):
        body = response.json()
        assert body["error"] == "unavailable"
        assert body["detail"].startswith(UNAVAILABLE)
    else:
        assert UNAVAILABLE in response.text.lower()  # the page writes it as a sentence


@pytest.mark.postgres
def test_service_answers_503_while_the_database_is_away_and_resumes(tmp_path: Path) -> None:
    with migrated_database(tmp_path, "down") as url:
        seeded = seed(url, extra_indicators=2)
        world, codes = seeded.world, seeded.indicators
        keys = tokens(url, [world.member2, world.member3, world.secretariat])
        target = make_url(url)
        with TcpProxy(target.host or "127.0.0.1", target.port or 5432) as proxy:
            proxied = target.set(host="127.0.0.1", port=proxy.port)
            server = Server(proxied.render_as_string(hide_password=False), tmp_path)
            server.start()
            try:
                _outage(server, proxy, keys, world.member2, world.member3, codes, url)
            finally:
                server.stop()
            assert "Traceback" not in server.log(), server.log()[-3000:]


def _outage(
    server: Server,
    proxy: TcpProxy,
    keys: dict[str, str],
    member: str,
    busy_member: str,
    codes: list[str],
    direct_url: str,
) -> None:
    ledger = Ledger()
    me = Person(server.url, keys[member], ledger, "probe")
    http = httpx.Client(base_url=server.url, headers=me.http.headers, timeout=30)
    assert http.get("/healthz").status_code == 200
    assert me.propose(codes[0]) is not None

    # Someone keeps working through the outage: every answer is a success, a conflict or a
    # 503, never a 500 and never a dropped connection.
    stop = threading.Event()
    proposals: list[int] = []

    def busy() -> None:
        person = Person(server.url, keys[busy_member], ledger, "busy")
        rng = random.Random(3)
        while not stop.is_set():
            member_step(person, rng, codes, proposals, reads=0.5)
        person.close()

    worker = threading.Thread(target=busy)
    worker.start()
    try:
        time.sleep(0.5)
        proxy.cut()  # every open connection dropped mid-conversation; new ones refused
        time.sleep(0.3)
        _assert_unavailable(http.get("/readyz"), QUICK)
        assert http.get("/healthz").status_code == 200
        _assert_unavailable(http.get("/api/v1/indicators"), QUICK)
        _assert_unavailable(http.get(f"/api/v1/indicators/{codes[0]}"), QUICK)
        rid = me.rid()
        written = http.post(
            "/api/v1/comments",
            json={"item": codes[0], "body": f"During the outage {rid}"},
            headers={"X-Request-ID": rid},
        )
        ledger.in_doubt.add(rid)
        _assert_unavailable(written, QUICK)
        _assert_unavailable(http.get("/register"), QUICK)  # the HTML page says so too

        proxy.blackhole()  # the host stops answering at all: bounded by the connect timeout
        _assert_unavailable(http.get("/api/v1/indicators"), BOUNDED)

        proxy.restore()
        # The app was not restarted: the first requests after the return already succeed.
        assert http.get("/readyz").status_code == 200
        assert http.get("/api/v1/indicators").status_code == 200
        assert me.propose(codes[1]) is not None
        time.sleep(0.5)
    finally:
        stop.set()
        worker.join(timeout=60)
    me.close()
    http.close()

    assert not worker.is_alive()
    assert ledger.transport_errors == []
    unexpected = [e for e in ledger.server_errors if "-> 503:" not in e]
    assert unexpected == []
    outage = sum(n for (_, status), n in ledger.statuses.items() if status == 503)
    served = sum(n for (_, status), n in ledger.statuses.items() if status < 300)
    assert outage > 0 and served > 0, ledger.statuses
    # What was acknowledged is there once; what was answered 503 is there once or not at all.
    check_database(direct_url, ledger)
    print(
        f"\ndatabase outage: {ledger.requests} requests, {served} served, {outage} answered "
        f"503 while PostgreSQL was away, none failed otherwise; service resumed without restart"
    )


@pytest.mark.postgres
def test_a_connection_the_server_ended_is_replaced_before_use() -> None:
    """A pooled connection the server terminated (a restart, an administrator) is not handed
    out: the next unit of work runs on a new one instead of failing. (Found without asking the
    server, app/db.py: the goodbye it sends makes the idle connection readable.)"""
    database = Database(PG_URL, pool_size=1)
    try:
        with database.transaction(write=False) as s:
            first = s.scalar(text("SELECT pg_backend_pid()"))
        with database.transaction(write=False) as s:
            assert s.scalar(text("SELECT pg_backend_pid()")) == first  # the pooled one, kept
        admin = create_engine(PG_URL, poolclass=NullPool)
        with admin.connect() as other:
            assert other.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        admin.dispose()
        time.sleep(0.3)  # the server's goodbye reaches the socket
        with database.transaction(write=False) as s:
            assert s.scalar(text("SELECT pg_backend_pid()")) not in (None, first)
    finally:
        database.dispose()


class _VanishingProxy:
    """Forwards to PostgreSQL until `vanish()`: then the server is gone without a word (a
    failover to a new host at the same address, a NAT that forgot the flow). Nothing arrives on
    the idle connections; the first bytes the app sends are answered with a TCP reset. (The
    reviewer's probe, 2026-12-07.)"""

    def __init__(self) -> None:
        url = make_url(PG_URL)
        self.upstream = (url.host or "127.0.0.1", url.port or 5432)
        self._flows: list[tuple[dict[str, Any], socket.socket]] = []
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def url(self) -> str:
        return make_url(PG_URL).set(host="127.0.0.1", port=self.port).render_as_string(False)

    def _serve(self) -> None:
        with suppress(OSError):
            while True:
                client, _ = self._listener.accept()
                upstream = socket.create_connection(self.upstream)
                flow: dict[str, Any] = {"client": client, "gone": False}
                self._flows.append((flow, upstream))
                for src, dst in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._relay, args=(src, dst, flow), daemon=True).start()

    @staticmethod
    def _relay(src: socket.socket, dst: socket.socket, flow: dict[str, Any]) -> None:
        with suppress(OSError):
            while data := src.recv(65536):
                if flow["gone"]:
                    if src is flow["client"]:  # the new host knows nothing of this flow
                        src.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                        src.close()
                    return
                dst.sendall(data)

    def vanish(self) -> None:
        for flow, upstream in self._flows:
            flow["gone"] = True
            upstream.close()  # the old server is gone; nothing is sent to the app

    def close(self) -> None:
        self.vanish()
        self._listener.close()


@pytest.mark.postgres
def test_a_connection_to_a_server_that_vanished_is_replaced_after_an_idle_spell(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A connection idle in the pool longer than app.db.PING_AFTER_IDLE_SECONDS is pinged
    before use: a server that vanished silently answers the ping with a reset, and the unit of
    work runs on a new connection instead of failing. (The socket poll alone sees nothing.)"""
    monkeypatch.setattr(app.db, "PING_AFTER_IDLE_SECONDS", 0.2)
    proxy = _VanishingProxy()
    database = Database(proxy.url(), pool_size=1)
    try:
        with database.transaction(write=False) as s:
            first = s.scalar(select(func.pg_backend_pid()))
        proxy.vanish()
        time.sleep(0.5)
        with database.transaction(write=False) as s:
            assert s.scalar(select(func.pg_backend_pid())) not in (None, first)
    finally:
        database.dispose()
        proxy.close()


@pytest.mark.postgres
def test_a_connection_just_returned_is_used_without_a_ping(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The busy pool's connections (back within seconds) cost no round trip before use.
    pings: list[int] = []
    ping = app.db._ping
    monkeypatch.setattr(app.db, "_ping", lambda conn: (pings.append(1), ping(conn))[1])
    database = Database(PG_URL, pool_size=1)
    try:
        for _ in range(3):
            with database.transaction(write=False) as s:
                s.scalar(select(func.pg_backend_pid()))
        assert pings == []
        monkeypatch.setattr(app.db, "PING_AFTER_IDLE_SECONDS", 0.0)
        time.sleep(0.01)
        with database.transaction(write=False) as s:
            s.scalar(select(func.pg_backend_pid()))
            dbapi = s.connection().connection.dbapi_connection
            assert dbapi is not None
            assert dbapi.info.transaction_status == 0  # IDLE: reads outside a transaction still
        assert pings == [1]
    finally:
        database.dispose()


@pytest.mark.postgres
def test_connections_send_tcp_keepalives() -> None:
    # A server gone silent under a connection in use is found by the operating system's
    # keepalive probes, not after the TCP timeout of hours.
    database = Database(PG_URL, pool_size=1)
    try:
        with database.engine.connect() as conn:
            dbapi = conn.connection.dbapi_connection
            assert dbapi is not None
            sock = socket.socket(fileno=os.dup(dbapi.pgconn.socket))
            try:
                assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
                idle = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE)
                assert idle == app.db.KEEPALIVES["keepalives_idle"]
            finally:
                sock.detach()
    finally:
        database.dispose()
