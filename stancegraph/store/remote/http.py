"""The remote store's transport: one HTTP client, errors that say what failed and where,
the engine profile (``engine="auto"`` reads the ``Server`` header) and the data version.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from typing import Any, Self, cast

import httpx
import pyoxigraph as ox

from ...errors import RemoteStoreError, StoreError, StoreUnavailable
from ...formats import JSON_RESULTS
from ...terms import META_GRAPH
from .settings import RemoteSettings, redact

log = logging.getLogger("stancegraph.store.remote")
SG = "https://w3id.org/stancegraph/ns#"
XSD = "http://www.w3.org/2001/XMLSchema#"


class RemoteHttp:
    """HTTP plumbing and the data version of a :class:`~.store.SparqlHttpStore`."""

    def __init__(self, settings: RemoteSettings | None = None, **kwargs: Any):
        self.settings = s = settings or RemoteSettings(**kwargs)
        self.read_only = s.read_only
        self.path = None
        auth: httpx.Auth | None = None
        if s.user is not None:
            auth = (httpx.DigestAuth if s.auth == "digest" else httpx.BasicAuth)(
                s.user, s.password or ""
            )
        self._client = httpx.Client(
            auth=auth,
            timeout=httpx.Timeout(s.timeout_s, connect=s.connect_timeout_s),
            headers={"User-Agent": "stancegraph-remote"},
        )
        self._engine: str | None = None if s.engine == "auto" else s.engine
        self._max_rows = s.max_rows
        self._cap_above = 0  # the row cap is known to be above this
        self._failed: set[str] = set()  # own transactions that failed: recovered regardless of age
        self._lock = threading.RLock()
        self._write_lock = threading.Lock()
        self._version = 0
        self._seen_token: str | None = None
        self._checked_at = float("-inf")
        self._graphs: tuple[int, list[str]] | None = None  # (version, all graphs)
        # Test hook: called with a step name before every request of a multi-request write.
        self.fault_hook: Callable[[str], None] | None = None

    def __repr__(self) -> str:
        return f"SparqlHttpStore({redact(self.settings.query_url)!r}, engine={self._engine or 'auto'!r})"

    # -- plumbing
    @property
    def engine(self) -> str:
        if self._engine is None:
            self._detect()
        return self._engine or "generic"

    def _detect(self) -> None:
        r = self._send(
            "POST", self.settings.query_url, "probe", data={"query": "ASK { }"}, accept=JSON_RESULTS
        )
        server = r.headers.get("server", "").lower()
        self._engine = (
            "virtuoso"
            if "virtuoso" in server
            else "oxigraph"
            if "oxigraph" in server
            else "generic"
        )
        log.info("remote store %s: engine %s", redact(self.settings.query_url), self._engine)

    @property
    def staged(self) -> bool:
        """Whether multi-graph writes go through staging graphs and the journal."""
        return self.engine != "oxigraph"

    @property
    def update_url(self) -> str:
        return self.settings.update_url or self.settings.query_url

    def _send(
        self,
        method: str,
        url: str,
        what: str,
        *,
        data: Any = None,
        params: Any = None,
        content: bytes | None = None,
        accept: str | None = None,
        content_type: str | None = None,
        write: bool = False,
        retries: int | None = None,
    ) -> httpx.Response:
        headers = {}
        if accept:
            headers["Accept"] = accept
        if content_type:
            headers["Content-Type"] = content_type
        if data is not None and not isinstance(data, dict):
            content = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            data = None
        timeout = httpx.Timeout(
            self.settings.write_timeout_s if write else self.settings.timeout_s,
            connect=self.settings.connect_timeout_s,
        )
        attempts = 1 + (0 if write else self.settings.retries if retries is None else retries)
        where = redact(url)
        for attempt in range(attempts):
            started = time.perf_counter()
            try:
                r = self._client.request(
                    method,
                    url,
                    data=data,
                    params=params,
                    content=content,
                    headers=headers,
                    timeout=timeout,
                )
            except httpx.TimeoutException as exc:
                kind = (
                    "connect to" if isinstance(exc, httpx.ConnectTimeout) else "get an answer from"
                )
                limit = (
                    self.settings.connect_timeout_s
                    if isinstance(exc, httpx.ConnectTimeout)
                    else timeout.read
                )
                err: Exception = StoreUnavailable(
                    f"remote store {where}: could not {kind} the server within {limit:g} s ({what})"
                )
            except httpx.TransportError as exc:
                err = StoreUnavailable(
                    f"remote store {where} is unreachable ({what}): {type(exc).__name__}: {exc}"
                )
            else:
                log.debug(
                    "%s %s %s -> %s in %.1f ms",
                    method,
                    where,
                    what,
                    r.status_code,
                    (time.perf_counter() - started) * 1000,
                )
                if r.status_code < 400:
                    return r
                err = self._http_error(r, where, what)
                if not isinstance(err, StoreUnavailable):
                    raise err
            if attempt + 1 < attempts:
                time.sleep(0.2 * (attempt + 1))
        raise err

    @staticmethod
    def _http_error(r: httpx.Response, where: str, what: str) -> Exception:
        body = r.text.strip().replace("\r", "")
        excerpt = body[:600] + ("…" if len(body) > 600 else "")
        if r.status_code in (401, 403):
            return RemoteStoreError(
                f"remote store {where} refused access (HTTP {r.status_code}, {what}): check the credentials"
            )
        if r.status_code in (502, 503, 504):
            return StoreUnavailable(
                f"remote store {where} is unavailable (HTTP {r.status_code}, {what}): {excerpt}"
            )
        if r.status_code == 400 and re.search(r"syntax|pars|SP030|unexpected|expected", body, re.I):
            return SyntaxError(f"{excerpt}")
        return RemoteStoreError(
            f"remote store {where} failed (HTTP {r.status_code}, {what}): {excerpt}"
        )

    def _hook(self, step: str) -> None:
        if self.fault_hook is not None:
            self.fault_hook(step)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- data version
    @property
    def version(self) -> int:
        if time.monotonic() - self._checked_at > self.settings.version_ttl_s:
            with contextlib.suppress(StoreError):
                self.refresh_version()
        return self._version

    @version.setter
    def version(self, value: int) -> None:  # the Store protocol declares a plain attribute
        self._version = value

    def refresh_version(self) -> int:
        """Read the data-version marker now; bump ``version`` if another writer changed it."""
        r = self._send(
            "POST",
            self.settings.query_url,
            "data version",
            data={
                "query": f"SELECT ?v WHERE {{ GRAPH <{META_GRAPH}> {{ <{META_GRAPH}> <{SG}dataVersion> ?v }} }}"
            },
            accept=JSON_RESULTS,
        )
        parsed = ox.parse_query_results(r.content, format=ox.QueryResultsFormat.JSON)
        rows = list(cast(ox.QuerySolutions, parsed))
        token = rows[0]["v"].value if rows and rows[0]["v"] is not None else None
        with self._lock:
            if token != self._seen_token:
                self._seen_token = token
                self._version += 1
                self._graphs = None
            self._checked_at = time.monotonic()
        return self._version

    def _new_token(self) -> str:
        return f"{time.time_ns()}-{uuid.uuid4().hex[:8]}"

    @staticmethod
    def _marker_ops(token: str) -> list[str]:
        return [
            f"DELETE {{ GRAPH <{META_GRAPH}> {{ <{META_GRAPH}> <{SG}dataVersion> ?v }} }} "
            f"WHERE {{ GRAPH <{META_GRAPH}> {{ <{META_GRAPH}> <{SG}dataVersion> ?v }} }}",
            f'INSERT DATA {{ GRAPH <{META_GRAPH}> {{ <{META_GRAPH}> <{SG}dataVersion> "{token}" }} }}',
        ]

    def _wrote(self, token: str | None) -> None:
        with self._lock:
            self._version += 1
            if token is not None:
                self._seen_token = token
                self._checked_at = time.monotonic()
            self._graphs = None

    # -- writes
    def _check_writable(self) -> None:
        if self.read_only:
            raise StoreError(f"remote store {redact(self.settings.query_url)} is opened read-only")

    def _post_update(self, text: str, what: str) -> None:
        self._hook(what)
        self._send(
            "POST", self.update_url, what, data={"update": text}, accept=JSON_RESULTS, write=True
        )

    def _set_marker(self, token: str) -> None:
        for op in self._marker_ops(token):
            self._post_update(op, "version marker")
