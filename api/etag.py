"""Conditional GETs and the response cache of the JSON API.

- **Data version.** ``data_version(kg)`` is ``<store token>.<kg.store.version>``: the store
  counts its writes, and the token (random, one per store object) tells apart two stores
  that happen to share a count (another process, a restarted server, a test's fresh graph).
- **ETag.** A weak ETag hashed from (data version, negotiated media type, path, sorted
  query): the same URL over the same data always has the same representation. A request
  whose ``If-None-Match`` names it gets ``304 Not Modified`` without any work being done.
- **Response cache.** The serialized body (and headers such as ``Link``) of each GET is
  kept in a bounded LRU (entries and bytes, ``stancegraph.memo``: keys are stored
  as digests, so a long URL or query costs no memory), keyed like the ETag plus the base
  URL (the ``Link`` header is absolute). Entries of an older data version are dropped as soon as a
  newer version is stored, and a body is only stored if the data did not change while it
  was being computed, so a write invalidates everything at once.
- Every cacheable answer says ``Cache-Control: no-cache`` (clients and proxies may keep
  it but must revalidate) and ``Vary: Accept``.
"""

from __future__ import annotations

import secrets
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from stancegraph.memo import BoundedCache

from .http.conditional import make_etag, not_modified, validator_headers

DEFAULT_MAX_ENTRIES = 1024
DEFAULT_MAX_BYTES = 64 * 1024 * 1024

_tokens: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
_tokens_by_id: dict[int, str] = {}
_tokens_lock = threading.Lock()


def store_token(store: Any) -> str:
    """A random token that identifies this store object for the life of the process."""
    with _tokens_lock:
        try:
            token = _tokens.get(store)
            if token is None:
                token = _tokens[store] = secrets.token_hex(6)
        except TypeError:  # not weak-referenceable
            token = _tokens_by_id.setdefault(id(store), secrets.token_hex(6))
    return token


def data_version(kg: Any) -> str:
    return f"{store_token(kg.store)}.{kg.store.version}"


def query_items(request: Request) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(request.query_params.multi_items()))


@dataclass
class Entry:
    """A computed answer: body bytes, media type and extra headers (e.g. ``Link``)."""

    body: bytes
    media_type: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers.items()) + 200


class ResponseCache:
    """Computed bodies of one data version: a ``BoundedCache`` (entries and bytes, digest
    keys) that drops every older version's entries when a newer version is stored."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES, max_bytes: int = DEFAULT_MAX_BYTES):
        self._cache: BoundedCache[tuple[str, Entry]] = BoundedCache(max_bytes, max_entries)
        self._version: str | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._cache)

    @property
    def hits(self) -> int:
        """Answers served from the cache (what a test of the cache looks at)."""
        return self._cache.hits

    def get(self, key: tuple[Any, ...]) -> Entry | None:
        item = self._cache.get(key)
        return None if item is None else item[1]

    def lookup(self, key: tuple[Any, ...]) -> Entry | None:
        """Like ``get``, but a miss is not counted (a caller that falls back to ``get``)."""
        item = self._cache.get(key, count=False)
        return None if item is None else item[1]

    def put(self, version: str, key: tuple[Any, ...], entry: Entry) -> None:
        """Store ``entry`` under ``key`` (whose first element is ``version``)."""
        with self._lock:
            if version != self._version:
                # A new data version: everything cached so far is stale.
                self._cache.retain(lambda item: item[0] == version)
                self._version = version
        self._cache.put(key, (version, entry), entry.size)

    def clear(self) -> None:
        self._cache.clear()


_cache_lock = threading.Lock()


def cache_for(app: Any) -> ResponseCache:
    """The app's response cache (created on first use, kept in ``app.state``)."""
    cache = getattr(app.state, "json_api_cache", None)
    if cache is None:
        with _cache_lock:
            cache = getattr(app.state, "json_api_cache", None)
            if cache is None:
                cache = app.state.json_api_cache = ResponseCache()
    return cache


def cached_response(
    request: Request, kg: Any, media_type: str, produce: Callable[[], Entry]
) -> Response:
    """Answer a GET: 304 if ``If-None-Match`` names the current ETag, else the cached or
    freshly produced body, with ``ETag``, ``Cache-Control`` and ``Vary``."""
    version = data_version(kg)
    query = query_items(request)
    etag = make_etag(version, media_type, request.url.path, query)
    headers = validator_headers(etag)
    if not_modified(request, etag, exists=False):  # before any work ("*" needs the resource)
        return Response(status_code=304, headers=headers)
    cache = cache_for(request.app)
    key = (version, media_type, request.url.path, query, str(request.base_url))
    entry = cache.get(key)
    if entry is None:
        entry = produce()  # raises ApiError (404, 422...) before anything is stored
        if data_version(kg) == version:
            cache.put(version, key, entry)
    if not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(entry.body, media_type=entry.media_type, headers={**headers, **entry.headers})
