"""A small round-robin TCP load balancer on 127.0.0.1, for the tests that run several app
instances as a reverse proxy would put them behind one address (tests/test_multi_instance.py).

Each client connection goes to the next instance in turn and stays with it (HTTP keep-alive
included), as with Caddy's or nginx's upstreams. An instance that refuses the connection (it
died) is skipped and its turn goes to the next one, so clients keep being served while one
instance is down; a connection open to an instance when it dies is closed on the client too.
It counts the connections each instance took, so a test can tell that both did work.

    with Balancer([("127.0.0.1", 8001), ("127.0.0.1", 8002)]) as lb:
        httpx.get(f"{lb.url}/readyz")
        lb.served  # Counter: {8001: 1}
"""

import asyncio
import contextlib
import threading
from collections import Counter
from collections.abc import Sequence

from tests.helpers import free_port

HOST = "127.0.0.1"
CHUNK = 65536


class Balancer:
    """Round robin over `backends` ((host, port) pairs), listening on a free port of its own."""

    def __init__(self, backends: Sequence[tuple[str, int]]) -> None:
        self.backends = list(backends)
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.served: Counter[int] = Counter()  # backend port -> connections it took
        self.refused: Counter[int] = Counter()  # backend port -> connections it refused
        self._turn = 0
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, name="balancer", daemon=True)

    def __enter__(self) -> "Balancer":
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(timeout=10)
        return self

    def __exit__(self, *_: object) -> None:
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._serve, HOST, self.port, backlog=256)

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _order(self) -> list[tuple[str, int]]:
        """Every backend, starting with the one whose turn it is."""
        with self._lock:
            start = self._turn
            self._turn = (self._turn + 1) % len(self.backends)
        return self.backends[start:] + self.backends[:start]

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            for host, port in self._order():
                try:
                    upstream_r, upstream_w = await asyncio.wait_for(
                        asyncio.open_connection(host, port), timeout=5
                    )
                except (OSError, TimeoutError):
                    with self._lock:
                        self.refused[port] += 1
                    continue
                with self._lock:
                    self.served[port] += 1
                await self._pipe(client_r, client_w, upstream_r, upstream_w)
                return
            # No instance answers: the client's connection is closed, as a proxy's 502 would be.
        finally:
            client_w.close()
            self._tasks.discard(task)

    @staticmethod
    async def _pipe(
        client_r: asyncio.StreamReader,
        client_w: asyncio.StreamWriter,
        upstream_r: asyncio.StreamReader,
        upstream_w: asyncio.StreamWriter,
    ) -> None:
        async def copy(source: asyncio.StreamReader, target: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(CHUNK):
                    target.write(data)
                    await target.drain()
            except (OSError, asyncio.IncompleteReadError):
                pass
            finally:
                # One side ended (the client finished, or the instance died): end both, so that
                # the client learns at once that this connection is gone.
                for writer in (target, client_w, upstream_w):
                    with contextlib.suppress(OSError, RuntimeError):
                        writer.close()

        try:
            await asyncio.gather(copy(client_r, upstream_w), copy(upstream_r, client_w))
        finally:
            upstream_w.close()
