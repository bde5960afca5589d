"""One error envelope for every route: ``{"error": {"status", "code", "message", "details"}}``,
``details`` always a list of objects.

Front ends branch on ``code`` (stable, machine-readable) and show ``message`` (human).
Nothing escapes as a bare 500: unexpected exceptions become ``internal_error`` with no
internals leaked, and are logged server-side.

Remote stores (``--store sparql+http://…``): their errors get the envelope too, raised
from any route. ``StoreUnavailable`` (down, refusing, 502/503/504, too slow) is a 503
``store_unavailable`` naming the store and the cause, with ``Retry-After``;
``WriteConflict`` a 409; ``ResultTruncated`` (a row cap that cannot be paged past) and
other remote failures a 502. :class:`StoreGate` checks that the store answers before a
data route runs (at most once per ``version_ttl_s`` while it does, on every request
while it does not), so cached answers are not served from a store that went away, and
requests succeed again as soon as it is back, without a restart.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from stancegraph.errors import (
    RemoteStoreError,
    ResultTruncated,
    StoreError,
    StoreUnavailable,
    WriteConflict,
)
from stancegraph.store.remote import SparqlHttpStore, redact

log = logging.getLogger("stancegraph.api")
RETRY_AFTER_S = 5  # what a client is told to wait for a remote store that is unavailable
_unavailable_at = [float("-inf")]  # when a route last found a remote store unavailable


class ErrorBody(BaseModel):
    status: int
    code: str
    message: str
    details: list[dict[str, Any]] = Field(
        default_factory=list,
        description="always a list of objects (empty when there is nothing more to say): "
        "e.g. {location, message, input, allowed, suggestions} per bad parameter, "
        "{line, column} for a syntax error, one SHACL finding each",
    )


def as_details(details: Any) -> list[dict[str, Any]]:
    """Every error's ``details`` in one shape: a list of objects."""
    if details is None:
        return []
    if isinstance(details, dict):
        return [details]
    return [d if isinstance(d, dict) else {"value": d} for d in details]


class ErrorEnvelope(BaseModel):
    error: ErrorBody


class ApiError(Exception):
    """Raise anywhere in a route to answer with the common envelope."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}


def error_response(
    status: int,
    code: str,
    message: str,
    details: Any | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorEnvelope(
        error=ErrorBody(status=status, code=code, message=message, details=as_details(details))
    )
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_parameters",
    429: "too_many_requests",
    503: "unavailable",
    504: "timeout",
}


def store_error(exc: StoreError) -> ApiError:
    """A storage failure as the common envelope (remote stores name themselves in it)."""
    message = str(exc)
    if isinstance(exc, StoreUnavailable):
        _unavailable_at[0] = time.monotonic()  # StoreGate checks again before the next route
        retry = {"Retry-After": str(RETRY_AFTER_S)}
        return ApiError(503, "store_unavailable", message, {"retry_after_s": RETRY_AFTER_S}, retry)
    if isinstance(exc, WriteConflict):
        return ApiError(409, "write_conflict", message, headers={"Retry-After": str(RETRY_AFTER_S)})
    if isinstance(exc, ResultTruncated):
        return ApiError(502, "remote_result_truncated", message)
    if isinstance(exc, RemoteStoreError):
        return ApiError(502, "store_error", message)
    return ApiError(500, "store_error", message)


class StoreGate:
    """ASGI middleware: for a remote store, 503 on data routes while it does not answer.

    The check is the store's data-version read (``refresh_version``), which a remote store
    does anyway at most once per ``version_ttl_s``: a request inside that window after a
    good answer passes at once; concurrent requests share one check; a check that takes
    longer than ``limit_s`` counts as unavailable (it goes on in its thread).
    """

    PATHS = ("/sparql", "/store", "/api/")

    def __init__(self, app: Any, limit_s: float = 10.0):
        self.app = app
        self.limit_s = limit_s
        self._ok_at = float("-inf")
        self._check: asyncio.Future[int] | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.PATHS):
            kg = getattr(scope["app"].state, "kg", None)
            store = getattr(kg, "store", None)
            if isinstance(store, SparqlHttpStore):
                problem = await self.check(store)
                if problem is not None:
                    response = error_response(
                        problem.status,
                        problem.code,
                        problem.message,
                        problem.details,
                        problem.headers,
                    )
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)

    async def check(self, store: SparqlHttpStore) -> ApiError | None:
        """None when the store answers (or did within its version TTL), else the error."""
        fresh = time.monotonic() - self._ok_at <= store.settings.version_ttl_s
        if fresh and self._ok_at > _unavailable_at[0]:
            return None
        loop = asyncio.get_running_loop()
        if self._check is None or self._check.done():
            self._check = loop.run_in_executor(None, store.refresh_version)
        check = self._check
        try:
            await asyncio.wait_for(asyncio.shield(check), self.limit_s)
        except TimeoutError:
            check.add_done_callback(_retrieve)
            where = redact(store.settings.query_url)
            return store_error(
                StoreUnavailable(
                    f"remote store {where}: no answer within {self.limit_s:g} s (data version check)"
                )
            )
        except StoreError as exc:
            return store_error(exc)
        self._ok_at = time.monotonic()
        return None


def _retrieve(fut: asyncio.Future[Any]) -> None:
    if not fut.cancelled():
        fut.exception()


async def store_health(kg: Any, limit_s: float = 10.0) -> Any:
    """``/healthz``: ok with the data version, or 503 saying why the remote store is not usable."""
    store = kg.store
    if not isinstance(store, SparqlHttpStore):
        return {"status": "ok", "data_version": store.version}
    where = redact(store.settings.query_url)
    loop = asyncio.get_running_loop()
    check = loop.run_in_executor(None, store.refresh_version)
    try:
        version = await asyncio.wait_for(asyncio.shield(check), limit_s)
    except TimeoutError:
        check.add_done_callback(_retrieve)
        cause = f"no answer within {limit_s:g} s"
    except StoreError as exc:
        cause = str(exc)
    else:
        return {"status": "ok", "data_version": version, "store": {"url": where, "status": "ok"}}
    body = {
        "status": "unavailable",
        "store": {"url": where, "status": "unreachable", "error": cause},
    }
    return JSONResponse(body, status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)})


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StoreError)
    async def _store_error(_: Request, exc: StoreError) -> JSONResponse:
        err = store_error(exc)
        if err.status >= 500:
            log.warning("store error: %s", exc)
        return error_response(err.status, err.code, err.message, err.details, err.headers)

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        return error_response(
            exc.status_code, code, str(exc.detail), None, getattr(exc, "headers", None)
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {
                "location": ".".join(str(x) for x in e.get("loc", ())),
                "message": e.get("msg"),
                "type": e.get("type"),
            }
            for e in exc.errors()
        ]
        where = "; ".join(f"{d['location']}: {d['message']}" for d in details[:5])
        return error_response(
            422, "invalid_parameters", f"invalid request parameters: {where}", details
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return error_response(500, "internal_error", "internal error; the server log has details")
