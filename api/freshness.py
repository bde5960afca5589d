"""Analytics never block a write or a read: the last result, served while a fresh one is
computed in the background.

After a write the data version moves on. The next request for an analysis gets the last
result at once, marked ``"stale": true`` with the ``data_version`` it reflects (also as
``X-Stancegraph-Stale`` and ``X-Stancegraph-Data-Version`` headers), and starts one
background recompute for that request (a burst of writes costs one: a recompute already
running for the key is not started again, and the newest version is computed next).
Only the first request ever for a key computes while it waits.

Results are kept per route and parameters, bounded in entries and in bytes.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import Request
from pydantic import BaseModel, Field

MAX_ENTRIES = 256
MAX_BYTES = 64 * 1024 * 1024


class Freshness(BaseModel):
    """Fields every analytics response carries."""

    data_version: int = Field(0, description="the data version this result reflects")
    stale: bool = Field(
        False,
        description="true while the data changed since and a fresh result is being computed",
    )


class LastResults:
    """The last result per key, with its data version; background refreshes, one per key."""

    def __init__(self) -> None:
        self._items: OrderedDict[Any, tuple[int, Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._running: set[Any] = set()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="analytics-refresh")

    def get(self, key: Any) -> tuple[int, Any] | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                return None
            self._items.move_to_end(key)
            return hit[0], hit[1]

    def put(self, key: Any, version: int, value: Any) -> None:
        size = len(value.model_dump_json()) if isinstance(value, BaseModel) else 1024
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[2]
            if old is not None and old[0] > version:  # a newer result got in first
                self._items[key] = old
                self._bytes += old[2]
                return
            self._items[key] = (version, value, size)
            self._bytes += size
            while self._items and (len(self._items) > MAX_ENTRIES or self._bytes > MAX_BYTES):
                _k, (_v, _x, s) = self._items.popitem(last=False)
                self._bytes -= s

    def refresh(self, key: Any, version: Callable[[], int], compute: Callable[[], Any]) -> None:
        """Recompute ``key`` in the background unless that is already under way."""
        with self._lock:
            if key in self._running:
                return
            self._running.add(key)

        def run() -> None:
            try:
                while True:
                    v = version()
                    self.put(key, v, compute())
                    if version() == v:
                        return  # else the data moved on meanwhile: once more
            finally:
                with self._lock:
                    self._running.discard(key)

        self._pool.submit(run)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def last_results(request: Request) -> LastResults:
    state = request.app.state
    if getattr(state, "last_results", None) is None:
        state.last_results = LastResults()
    return state.last_results


def serve_stale(version_of: Callable[[Request], int]) -> Callable[[Any], Any]:
    """Decorate a sync analytics route: see the module docstring."""

    def decorate(route: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(route)
        def wrapper(request: Request, **params: Any) -> Any:
            from fastapi.responses import JSONResponse

            results = last_results(request)
            key = (route.__name__, tuple(sorted((k, repr(v)) for k, v in params.items())))
            current = version_of(request)
            hit = results.get(key)
            if hit is not None and hit[0] == current:
                version, value, stale = hit[0], hit[1], False
            elif hit is not None:
                version, value, stale = hit[0], hit[1], True
                results.refresh(key, lambda: version_of(request), lambda: route(request, **params))
            else:
                value, version, stale = route(request, **params), current, False
                results.put(key, version, value)
            body = value.model_copy(update={"data_version": version, "stale": stale})
            return JSONResponse(
                body.model_dump(mode="json"),
                headers={
                    "X-Stancegraph-Stale": "true" if stale else "false",
                    "X-Stancegraph-Data-Version": str(version),
                },
            )

        return wrapper

    return decorate


_materializing: set[int] = set()
_materializing_lock = threading.Lock()


def materialize_soon(kg: Any) -> None:
    """Regenerate the derived analytics graph in a background thread (one at a time per
    graph, repeated until it reflects the data as they are when it ends)."""
    from stancegraph.analytics import ensure_materialized, is_current

    with _materializing_lock:
        if id(kg) in _materializing:
            return
        _materializing.add(id(kg))

    def run() -> None:
        try:
            while not is_current(kg):
                ensure_materialized(kg)
        except Exception:  # a failed refresh leaves the last graph; the next query retries
            pass
        finally:
            with _materializing_lock:
                _materializing.discard(id(kg))

    threading.Thread(target=run, name="analytics-materialize", daemon=True).start()
