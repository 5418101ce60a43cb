"""The one cache: every copy of database state this process keeps lives here, and nowhere else.

Two kinds of answer are kept:

- rendered page fragments, keyed on the content version (the newest audit event) and on what
  the page shows to whom: pages declare them in one call, `cached_page` (app/web/cache.py);
- a value built from the database at a version of its own, `kept(session, name, version,
  build)`: a feature declares in one line the query that tells its data's version and the
  function that builds the value (the near-duplicate index, app/search/similar.py).

Nothing that matters lives here, so any app instance may keep or lose anything at any time:

- An entry is only ever a copy of what building it from the database would give, and it is
  found again only by a request that read the same version from the database first, before the
  data the value is built from (on PostgreSQL each statement sees the newest commits, so anything
  read before the version could be older than it, and a value made from it would be kept as
  current). After a change, the first request on any instance behind a load balancer reads a
  new version and builds afresh; no instance tells another anything.
- A version must change with every change to what the value is built from. The content version
  does because every transaction that changes what a page shows records an audit event (checked
  at commit by app/audit/guard.py, not left to memory); a `kept` version is a query over the very
  rows the value is built from (newest ids, counts, sums of row versions).
- Entries are kept per database: a `kept` value by the engine's dialect (one per engine, shared
  by its execution_options() copies), fragments by the app instance, which has one database.
  The tests run many databases in one process; one never sees another's entries.
- Bounded: at most `versions` versions of each `kept` value, fragments by entries and bytes
  (least recently used first out).
- One build at a time per key: the requests that ask for an entry being built wait for that
  build (at most WAIT seconds, then build themselves, as they would if nothing were kept), so
  that right after a change a dozen requests do not each build the same thing. A failed build is
  not shared.

Memos of pure functions (`functools.cache` on a function of its arguments alone: a grid cell's
markup, a compiled statement) keep no database state and are not caches in this sense.
"""

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from sqlalchemy import Executable
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

T = TypeVar("T")
WAIT = 5.0  # seconds a request waits for another's build of the same entry


def _no_size(_: Any) -> int:
    return 0


class Store(Generic[T]):
    """A bounded least-recently-used store (entries, and bytes as `size` counts them), safe
    across threads, that builds each missing entry once however many ask for it at once."""

    def __init__(
        self,
        max_entries: int,
        max_bytes: int = 1 << 62,
        size: Callable[[T], int] = _no_size,
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.size = size
        self._entries: OrderedDict[Hashable, T] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        # Keys being built now, so that the requests arriving meanwhile wait for that build.
        self._building: dict[Hashable, threading.Event] = {}
        # The entry put last: a build may reuse parts of it (what did not change).
        self.newest: T | None = None
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> T | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: Hashable, value: T) -> None:
        size = self.size(value)
        if size > self.max_bytes or self.max_entries == 0:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= self.size(old)
            self._entries[key] = value
            self._bytes += size
            self.newest = value
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= self.size(evicted)

    def get_or_build(
        self, key: Hashable, build: Callable[[], T], keep: Callable[[T], bool] | None = None
    ) -> T:
        """The entry for `key`, built once however many requests ask for it at the same time:
        the first builds, the others wait for it (at most WAIT seconds, then build themselves,
        as they do when the store keeps nothing). A value `keep` refuses is given to the
        request that built it only."""
        found = self.get(key)
        if found is not None:
            return found
        if self.max_entries == 0 or self.max_bytes == 0:  # keeps nothing: nothing to wait for
            return build()
        with self._lock:
            running = self._building.get(key)
            mine = running is None
            if running is None:
                running = self._building[key] = threading.Event()
        if not mine:
            running.wait(WAIT)
            found = self.get(key)
            return found if found is not None else build()
        try:
            value = build()
            if keep is None or keep(value):
                self.put(key, value)
            return value
        finally:
            with self._lock:
                self._building.pop(key, None)
            running.set()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes(self) -> int:
        return self._bytes

    def clear(self, *, keep_newest: bool = False) -> None:
        """Forget every entry; with keep_newest, the next build may still reuse the last one."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0
            if not keep_newest:
                self.newest = None


# name -> its store, per database (the engine's dialect; gone with the engine).
_KEPT: "weakref.WeakKeyDictionary[Dialect, dict[str, Store[Any]]]" = weakref.WeakKeyDictionary()
_KEPT_LOCK = threading.Lock()


def kept(
    session: Session,
    name: str,
    version: Executable,
    build: Callable[[T | None], T],
    *,
    versions: int = 2,
) -> T:
    """The value `name` of this database at the version `version` (a statement of one row) reads
    now: kept from an earlier build at the same version, or built by `build(before)`, where
    `before` is the value built last (of an older or newer version, or None) for reusing what did
    not change. `build` reads the database only after the version was read. The newest
    `versions` versions are kept (two: a request still reading an older version does not throw
    away the one the others use)."""
    at = tuple(session.execute(version).one())
    dialect = session.get_bind().dialect
    with _KEPT_LOCK:
        stores = _KEPT.setdefault(dialect, {})
        store: Store[T] | None = stores.get(name)
        if store is None:
            store = stores[name] = Store(versions)
    return store.get_or_build(at, lambda: build(store.newest))


def forget(name: str, *, keep_newest: bool = False) -> None:
    """Forget the value `name` in every database (to measure a build); with keep_newest, the
    next build reuses the last, as after a change."""
    with _KEPT_LOCK:
        stores = [s[name] for s in _KEPT.values() if name in s]
    for store in stores:
        store.clear(keep_newest=keep_newest)
