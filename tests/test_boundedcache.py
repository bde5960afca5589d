"""``stancegraph.memo``: the byte bound holds, keys are digests, LRU order is kept,
and the caches request data reaches are built on it."""

from __future__ import annotations

import tracemalloc

from stancegraph.memo import ENTRY_OVERHEAD, BoundedCache, approx_size, digest, memoize


def test_bytes_bound_evicts_least_recently_used() -> None:
    cache: BoundedCache[bytes] = BoundedCache(max_bytes=10_000, max_entries=100)
    for i in range(10):
        cache.put(f"k{i}", b"x" * 1000, 1000)
    assert cache.bytes <= 10_000
    assert cache.get("k0") is None  # evicted first
    assert cache.get("k9") == b"x" * 1000
    cache.get("k5")  # now most recent
    cache.put("new", b"y" * 1000, 1000)
    assert cache.get("k5") is not None
    assert cache.bytes == sum(1000 + ENTRY_OVERHEAD for _ in range(len(cache)))


def test_entry_bound_and_oversized_values() -> None:
    cache: BoundedCache[int] = BoundedCache(max_bytes=1 << 20, max_entries=3)
    for i in range(5):
        cache.put(i, i, 8)
    assert len(cache) == 3 and cache.get(0) is None and cache.get(4) == 4
    cache.put("huge", 1, (1 << 20) // 2)  # over a quarter of the cache: not stored
    assert cache.get("huge") is None


def test_large_keys_are_not_kept() -> None:
    """A million-character key costs a 16-byte digest, not its text."""
    cache: BoundedCache[bool] = BoundedCache(max_bytes=1 << 20, max_entries=1000)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for i in range(20):
        key = f"{i}" + "q" * 1_000_000
        cache.put(key, True, 1)
        del key
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert held < 200_000, held
    assert cache.get(f"{3}" + "q" * 1_000_000) is True
    assert len(digest("q" * 1_000_000)) == 16


def test_memoize_counts_result_bytes_and_keeps_none() -> None:
    calls: list[str] = []

    @memoize(max_bytes=8192, max_entries=100, size=lambda result: 1000)
    def f(text: str) -> str | None:
        calls.append(text)
        return None if text == "none" else text.upper()

    assert f("a") == "A" and f("a") == "A"
    assert f("none") is None and f("none") is None
    assert calls == ["a", "none"]
    for i in range(10):
        f(f"x{i}")
    assert f.cache.bytes <= 8192  # type: ignore[attr-defined]


def test_approx_size_follows_references() -> None:
    small = approx_size({"a": 1})
    big = approx_size({"a": ["x" * 10_000, {"b": b"y" * 10_000}]})
    assert big - small > 20_000


def test_request_reachable_caches_are_bounded() -> None:
    from stancegraph.api import etag
    from stancegraph.api.http import negotiation
    from stancegraph.api.sparql import query

    assert isinstance(etag.ResponseCache()._cache, BoundedCache)
    for fn in (negotiation.parse_accept, negotiation.negotiate, query._mentions_analytics):
        assert isinstance(fn.cache, BoundedCache)  # type: ignore[attr-defined]
    header = "text/x-" + "a" * 60_000
    for i in range(2000):
        negotiation.parse_accept(f"{i}{header}")
    assert negotiation.parse_accept.cache.bytes <= negotiation.parse_accept.cache.max_bytes  # type: ignore[attr-defined]
