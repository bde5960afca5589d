"""``Idempotency-Key`` on a POST: a retry with the same key and body gets the first answer
again (``Idempotent-Replayed: true``) instead of a ``409``; the same key with another body
is a ``422``; while the first is still running, a ``409``. Answers are kept for a day,
within a bound in bytes."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from ..errors import ApiError


class Idempotency:
    """Answers to POSTs by (coder, route, key), bounded in bytes and kept ``ttl_s``."""

    def __init__(self, max_bytes: int = 8 * 1024 * 1024, ttl_s: float = 24 * 3600):
        self.max_bytes = max_bytes
        self.ttl_s = ttl_s
        self.size = 0
        self.entries: OrderedDict[tuple[str, ...], tuple[str, float, int, bytes, dict[str, str]]]
        self.entries = OrderedDict()
        self.running: set[tuple[str, ...]] = set()

    def _evict(self) -> None:
        now = time.monotonic()
        while self.entries:
            key, (_fp, at, _s, body, _h) = next(iter(self.entries.items()))
            if self.size <= self.max_bytes and now - at <= self.ttl_s:
                break
            del self.entries[key]
            self.size -= len(body) + 256

    async def run(
        self,
        key: tuple[str, ...],
        fingerprint: str,
        work: Callable[[], Awaitable[Response]],
    ) -> Response:
        self._evict()
        kept = self.entries.get(key)
        if kept is not None:
            fp, _at, status, body, headers = kept
            if fp != fingerprint:
                raise ApiError(
                    422,
                    "idempotency_key_reused",
                    "this Idempotency-Key was used with another request; use a new key",
                    details=[{"location": "header.Idempotency-Key", "message": "reused"}],
                )
            return Response(
                body,
                status_code=status,
                media_type="application/json",
                headers={**headers, "Idempotent-Replayed": "true"},
            )
        if key in self.running:
            raise ApiError(
                409,
                "idempotency_key_in_use",
                "a request with this Idempotency-Key is still running; retry shortly",
                headers={"Retry-After": "1"},
            )
        self.running.add(key)
        try:
            try:
                response = await work()
            except ApiError as exc:
                if exc.status >= 500:
                    raise
                response = JSONResponse(
                    {
                        "error": {
                            "status": exc.status,
                            "code": exc.code,
                            "message": exc.message,
                            "details": exc.details,
                        }
                    },
                    status_code=exc.status,
                    headers=exc.headers,
                )
            if response.status_code < 500:
                body = bytes(response.body)
                headers = {k: v for k, v in response.headers.items() if k.lower() == "location"}
                self.entries[key] = (
                    fingerprint,
                    time.monotonic(),
                    response.status_code,
                    body,
                    headers,
                )
                self.size += len(body) + 256
                self._evict()
            return response
        finally:
            self.running.discard(key)


def idempotency_of(request: Request) -> Idempotency:
    state = request.app.state
    cache = getattr(state, "idempotency", None)
    if cache is None:
        cache = state.idempotency = Idempotency()
    return cache
