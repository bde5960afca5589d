"""Transport limits for ``stancegraph serve``: header size, header and body deadlines, and a
connection cap, enforced in the HTTP protocol itself (uvicorn + httptools).

Why here: uvicorn's ``auto`` HTTP implementation is httptools (llhttp), which has **no**
header size limit (``h11_max_incomplete_event_size`` applies to h11 only): a 32 MB header
got a 200, and 4 connections streaming endless headers held 1.39 GB, because httptools
buffers a header value until it ends. uvicorn also has no deadline for the request line
and headers (its keep-alive timer runs only *between* requests, and not at all before the
first one), so 19,990 half-sent requests held connections forever. ``limited_protocol``
subclasses uvicorn's httptools protocol and adds:

- **Header size** (``max_header_bytes``): bytes received while a request's line and headers
  are incomplete are counted; over the limit: ``431`` in the common envelope, connection
  closed (the count may overshoot by one socket read, at most 256 KiB).
- **Header deadline** (``header_timeout_s``) from the connection's start or the request's
  first byte to the end of its headers: ``408``, connection closed.
- **Body deadline** (``body_timeout_s``) from the end of the headers to the end of the body:
  ``408`` (if no response started), connection closed.
- **Requests in progress** (``limit_concurrency``): over it, ``503 busy`` at once. Not
  uvicorn's own ``limit_concurrency``: that also counts open *connections*, so idle or
  half-sent connections would make every real request fail.
- **Connection cap** (``max_connections``): a connection over it evicts the oldest one
  still sending its request line and headers (slowloris), or is itself closed when every
  connection is busy with a real request; cheap requests keep being answered.

Access-log redaction (``install_access_log_redaction``): a token in the query string is
refused by the service, but uvicorn logs the full URL; ``access_token=``, ``token=``,
``api_key=``… values are replaced by ``REDACTED`` in every access-log line.
"""

from __future__ import annotations

import json
import logging
import re
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("uvicorn.error")  # the server log, at its --log-level

_REASONS = {
    408: b"Request Timeout",
    431: b"Request Header Fields Too Large",
    503: b"Service Unavailable",
}


def _error_bytes(status: int, code: str, message: str) -> bytes:
    body = json.dumps(
        {"error": {"status": status, "code": code, "message": message, "details": None}}
    ).encode()
    return (
        b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
        b"connection: close\r\n\r\n" % (status, _REASONS[status], len(body))
    ) + body


def limited_protocol(
    *,
    max_header_bytes: int,
    header_timeout_s: float,
    body_timeout_s: float,
    max_connections: int,
    limit_concurrency: int,
) -> type[HttpToolsProtocol]:
    """An httptools protocol class that enforces these limits (pass it as uvicorn's ``http``).

    Raises ``ImportError`` where httptools is not installed (not CPython).
    """
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    # Connections still sending their request line and headers, oldest first (one server).
    pending: OrderedDict[int, LimitedHttpTools] = OrderedDict()

    class LimitedHttpTools(HttpToolsProtocol):
        _header_bytes = 0
        _in_headers = False
        _header_timer: Any = None
        _body_timer: Any = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            if len(self.connections) > max_connections:
                victim = next(iter(pending.values()), None)
                if victim is None:
                    self._refuse(503, "too_many_connections", "too many open connections; retry")
                    return
                victim._refuse(
                    408, "request_timeout", "connection evicted: headers too slow", logging.DEBUG
                )
            self._begin_headers()

        def connection_lost(self, exc: Exception | None) -> None:
            self._end_headers()
            self._cancel_body_timer()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self._in_headers and not self.transport.is_closing():
                self._header_bytes += len(data)
                if self._header_bytes > max_header_bytes:
                    self._refuse(
                        431,
                        "headers_too_large",
                        f"request line and headers over the limit of {max_header_bytes} bytes",
                    )

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._begin_headers()

        def on_headers_complete(self) -> None:
            self._end_headers()
            self._body_timer = self.loop.call_later(body_timeout_s, self._body_too_slow)
            if len(self.tasks) < limit_concurrency:
                super().on_headers_complete()
                return
            # Over the limit: this request is answered 503 by ``_busy`` instead of the app.
            app, self.app = self.app, _busy
            try:
                super().on_headers_complete()
            finally:
                self.app = app

        def on_message_complete(self) -> None:
            self._cancel_body_timer()
            super().on_message_complete()

        # -- helpers
        def _begin_headers(self) -> None:
            if not self._in_headers:
                self._in_headers = True
                self._header_bytes = 0
                pending[id(self)] = self
                self._header_timer = self.loop.call_later(header_timeout_s, self._headers_too_slow)

        def _end_headers(self) -> None:
            if self._in_headers:
                self._in_headers = False
                pending.pop(id(self), None)
                if self._header_timer is not None:
                    self._header_timer.cancel()
                    self._header_timer = None

        def _cancel_body_timer(self) -> None:
            if self._body_timer is not None:
                self._body_timer.cancel()
                self._body_timer = None

        def _headers_too_slow(self) -> None:
            self._header_timer = None
            self._refuse(
                408,
                "request_timeout",
                f"request line and headers not received within {header_timeout_s:g} s",
            )

        def _body_too_slow(self) -> None:
            self._body_timer = None
            cycle = self.cycle
            if cycle is not None and cycle.response_started:
                self.transport.close()
                return
            self._refuse(
                408, "request_timeout", f"request body not received within {body_timeout_s:g} s"
            )

        def _refuse(self, status: int, code: str, message: str, level: int = logging.INFO) -> None:
            """Answer ``status`` in the common envelope and close; the app sees a disconnect."""
            self._end_headers()
            self._cancel_body_timer()
            if self.transport.is_closing():
                return
            if self.cycle is not None and not self.cycle.response_complete:
                self.cycle.disconnected = True  # the app's late answer is dropped
                self.cycle.message_event.set()
            log.log(level, "%s: %d %s", _client(self.client), status, message)
            self.transport.write(_error_bytes(status, code, message))
            self.transport.close()

    return LimitedHttpTools


async def _busy(scope: Any, receive: Any, send: Any) -> None:
    """The answer over ``limit_concurrency``: 503 in the common envelope."""
    body = json.dumps(
        {
            "error": {
                "status": 503,
                "code": "busy",
                "message": "too many requests in progress; retry shortly",
                "details": None,
            }
        }
    ).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", b"1"),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _client(client: tuple[str, int] | None) -> str:
    return f"{client[0]}:{client[1]}" if client else "-"


# --------------------------------------------------------------------------- access log

_SECRET_PARAM = re.compile(
    r"(?i)([?&;][^=&;#\s]*(?:token|secret|passw|api[-_]?key|apikey|auth(?![a-z])|authori[sz]ation"
    r"|session|signature|bearer)"
    r"[^=&;#\s]*=)[^&;#\s]*"
)


def redact_url(text: str) -> str:
    """``text`` with the values of token-like query parameters replaced by ``REDACTED``."""
    return _SECRET_PARAM.sub(r"\1REDACTED", text)


class RedactSecrets(logging.Filter):
    """Redact token-like query parameters from uvicorn's access-log arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact_url(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact_url(record.msg)
        return True


def install_access_log_redaction() -> None:
    """Add the redaction filter to uvicorn's access logger (once)."""
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactSecrets) for f in logger.filters):
        logger.addFilter(RedactSecrets())
