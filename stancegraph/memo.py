"""The one bounded cache: LRU by entries **and bytes**, keyed by a digest of the key.

Request data must not be able to grow memory for good. Caches keyed by raw request text
(a 1 MB query, a 4 MB ``Accept`` header) kept that text alive in their keys: 2,100 unique
1 MB queries held 2.7 GB. Here every key is reduced to a 16-byte blake2b digest of its
``repr`` (so any key whose repr identifies it works, and large keys cost a hash, not
memory; a string of at most ``SHORT_KEY`` characters is kept as is, which is cheaper),
and every value is counted in bytes (given by the caller, or estimated by ``approx_size``).

- ``BoundedCache``: thread-safe get/put/clear with hit and miss counts.
- ``memoize``: a decorator like ``functools.lru_cache`` built on it.
- ``digest``: the key digest, for callers that keep their own maps.
- ``VersionedCache`` and ``per_version``: values computed once per *data version* of a
  store (the read model's tables, the analytics' frames and reports): emptied when a write
  moves the version on, one build per key at a time, and a value built while a write
  happened is not kept.
"""

from __future__ import annotations

import functools
import hashlib
import sys
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Generic, ParamSpec, TypeVar

V = TypeVar("V")
P = ParamSpec("P")
R = TypeVar("R")

ENTRY_OVERHEAD = 160  # bytes: the digest, the OrderedDict slot, the size record


SHORT_KEY = 32  # characters: a str key up to this long is its own key (no hashing cost)


def digest(key: Any) -> bytes:
    """16-byte blake2b of ``key`` (``str``/``bytes`` directly, anything else by ``repr``)."""
    if isinstance(key, bytes):
        data = key
    else:
        data = (key if isinstance(key, str) else repr(key)).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=16).digest()


def _slot(key: Any) -> Any:
    """The stored key: a short string as is, anything else its digest (bounded either way)."""
    if type(key) is str and len(key) <= SHORT_KEY:
        return key
    return digest(key)


def approx_size(obj: Any, budget: int = 200_000) -> int:
    """Approximate bytes held by ``obj`` and what it references (containers, ``__dict__``,
    ``__slots__``), visiting at most ``budget`` objects (the rest is extrapolated)."""
    seen: set[int] = set()
    stack = [obj]
    total = visited = 0
    while stack:
        o = stack.pop()
        if id(o) in seen:
            continue
        seen.add(id(o))
        total += sys.getsizeof(o, 64)
        visited += 1
        if visited >= budget:
            return total + len(stack) * (total // visited)
        if isinstance(o, (str, bytes, bytearray, int, float, bool, type(None))):
            continue
        if isinstance(o, dict):
            stack.extend(o.keys())
            stack.extend(o.values())
        elif isinstance(o, (list, tuple, set, frozenset)):
            stack.extend(o)
        else:
            d = getattr(o, "__dict__", None)
            if d is not None:
                stack.append(d)
            for slot in getattr(type(o), "__slots__", ()):
                if isinstance(slot, str) and hasattr(o, slot):
                    stack.append(getattr(o, slot))
    return total


class BoundedCache(Generic[V]):
    """A thread-safe LRU bounded by ``max_entries`` and ``max_bytes`` (values + overhead).

    A value larger than ``max_bytes // 4`` is not stored (one answer must not evict all).
    """

    def __init__(self, max_bytes: int, max_entries: int = 1_000_000):
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self._data: OrderedDict[Any, tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._data)

    @property
    def bytes(self) -> int:
        return self._bytes

    def get(self, key: Any, *, count: bool = True) -> V | None:
        """The value for ``key`` (now most recently used) or None; ``count=False`` does not
        count a miss (for a caller that will ask again)."""
        k = _slot(key)
        with self._lock:
            item = self._data.get(k)
            if item is None:
                if count:
                    self.misses += 1
                return None
            self._data.move_to_end(k)
            self.hits += 1
            return item[0]

    def put(self, key: Any, value: V, size: int | None = None) -> None:
        size = (approx_size(value) if size is None else size) + ENTRY_OVERHEAD
        if size > self.max_bytes // 4:
            return
        k = _slot(key)
        with self._lock:
            old = self._data.pop(k, None)
            if old is not None:
                self._bytes -= old[1]
            self._data[k] = (value, size)
            self._bytes += size
            while self._data and (
                len(self._data) > self.max_entries or self._bytes > self.max_bytes
            ):
                _, (_, evicted) = self._data.popitem(last=False)
                self._bytes -= evicted

    def retain(self, keep: Callable[[V], bool]) -> None:
        """Drop every entry whose value ``keep`` refuses."""
        with self._lock:
            self._data = OrderedDict((k, item) for k, item in self._data.items() if keep(item[0]))
            self._bytes = sum(size for _, size in self._data.values())

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._bytes = 0


def memoize(
    max_bytes: int, max_entries: int = 1_000_000, size: Callable[[Any], int] | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """``functools.lru_cache`` with a byte bound and digest keys. ``size(result)`` gives a
    result's bytes (default ``approx_size``). The cache is ``wrapper.cache``."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        cache: BoundedCache[tuple[R]] = BoundedCache(max_bytes, max_entries)
        measure = size or approx_size

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            if kwargs:
                key: Any = (args, tuple(sorted(kwargs.items())))
            else:
                key = args[0] if len(args) == 1 and type(args[0]) is str else args
            hit = cache.get(key)
            if hit is not None:
                return hit[0]
            result = fn(*args, **kwargs)
            cache.put(key, (result,), measure(result))
            return result

        wrapper.cache = cache  # type: ignore[attr-defined]
        wrapper.cache_clear = cache.clear  # type: ignore[attr-defined]
        return wrapper

    return decorate


class VersionedCache(Generic[V]):
    """Values of the current data version, bounded like :class:`BoundedCache`.

    ``get(key, build, version)``: the cached value when ``version()`` is the one it was
    built at, else ``build()``. Callers asking for the same key wait for one build; the
    result is kept only if ``version()`` did not change while it was built.
    """

    def __init__(self, max_bytes: int, max_entries: int = 1_000_000):
        self._cache: BoundedCache[tuple[V]] = BoundedCache(max_bytes, max_entries)
        self._version: int | None = None
        self._lock = threading.Lock()
        self._building: dict[Any, threading.Lock] = {}

    def _hit(self, key: Any, version: int) -> tuple[V] | None:
        with self._lock:
            if self._version != version:
                self._cache.clear()
                self._version = version
                return None
        return self._cache.get(key)

    def get(
        self,
        key: Any,
        build: Callable[[], V],
        version: Callable[[], int],
        size: Callable[[V], int] | None = None,
    ) -> V:
        hit = self._hit(key, version())
        if hit is not None:
            return hit[0]
        slot = _slot(key)
        with self._lock:
            lock = self._building.setdefault(slot, threading.Lock())
        try:
            with lock:
                at = version()
                hit = self._hit(key, at)
                if hit is not None:
                    return hit[0]
                value = build()
                with self._lock:
                    if version() == at == self._version:
                        self._cache.put(key, (value,), None if size is None else size(value))
                return value
        finally:
            with self._lock:
                if self._building.get(slot) is lock:
                    del self._building[slot]

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


PER_VERSION_BYTES = 1 << 30  # the read model's tables of one store (11k stances: ~60 MB)

_per_store: weakref.WeakKeyDictionary[Any, VersionedCache[Any]] = weakref.WeakKeyDictionary()
_per_store_lock = threading.Lock()


def per_version(
    store: Any, key: Any, build: Callable[[], R], size: Callable[[R], int] | None = None
) -> R:
    """``build()``, computed once per data version of ``store`` (``store.version``).

    ``size(value)``: its bytes, when the caller knows them more cheaply than
    :func:`approx_size`. A store that cannot be weakly referenced gets no memo
    (``build()`` every time).
    """
    with _per_store_lock:
        try:
            cache = _per_store.get(store)
            if cache is None:
                cache = _per_store[store] = VersionedCache(PER_VERSION_BYTES, 256)
        except TypeError:
            cache = None
    if cache is None:
        return build()
    return cache.get(key, build, lambda: int(store.version), size)
