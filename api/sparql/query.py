"""Running one SPARQL query: formats, early checks, the result cache and its ETag, the
scheduled run in a worker, and every failure as a clear error.

Truncation signal: every query response carries ``X-Stancegraph-Truncated: true|false``
and ``X-Stancegraph-Rows``; when results were cut at ``max_rows``, SPARQL JSON also has a
top-level ``"truncated": true`` member and SPARQL XML a ``<link href="urn:stancegraph:truncated"/>``
in its head."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from stancegraph.analytics import ensure_materialized, is_current
from stancegraph.analytics.state import ever_materialized
from stancegraph.analytics.vocabulary import mentions_analytics
from stancegraph.sparql.screening import scan

from .. import etag as etags
from ..errors import ApiError
from ..freshness import materialize_soon
from ..http.conditional import make_etag, not_modified, validator_headers
from ..settings import Settings
from .engine import engine_of, syntax_error
from .formats import choose_formats, not_acceptable
from .scheduling import (
    Busy,
)
from .screen import base_iri, check_iris, check_nesting, outbound_refused
from .workers import (
    GRAPH_FORMATS,
    SOLUTION_FORMATS,
    Job,
    PoolBusy,
    QueryCrashed,
    QueryTimeout,
    WorkerFailed,
)

T = TypeVar("T")

# Lexing costs ~100 ms per MB of text: a large text is screened off the event loop, so
# that one client's 1 MB query does not hold up everyone's requests meanwhile.
_OFF_LOOP_CHARS = 64 * 1024


async def _screen(fn: Callable[..., T], text: str, *args: Any, **kwargs: Any) -> T:
    if len(text) < _OFF_LOOP_CHARS:
        return fn(text, *args, **kwargs)
    return await run_in_threadpool(functools.partial(fn, text, *args, **kwargs))


# Queries whose answer may differ between two runs on the same data are never cached.
_NONDETERMINISTIC = re.compile(r"\b(rand|now|uuid|struuid|bnode)\s*\(", re.IGNORECASE)


async def run_query(
    request: Request,
    text: str,
    default_graphs: list[str],
    named_graphs: list[str],
    fmt: str | None,
) -> Response:
    engine = engine_of(request)
    settings = engine.settings
    sol, graph = choose_formats(request, fmt)
    if sol is None and graph is None:
        raise not_acceptable("select")
    await _screen(check_nesting, text, "query")
    union = settings.union_default_graph
    low = text.lower()
    if "service" in low or (union and "from" in low):
        info = await _screen(scan, text)
        if info.outbound and not settings.allow_outbound:
            raise outbound_refused(text, info)
        if info.dataset:
            union = False  # the query's own FROM / FROM NAMED define its dataset
    stale = False
    if mentions_analytics(text) and not await run_in_threadpool(is_current, engine.kg):
        # The derived analytics graph is regenerated only for queries that read it (on a
        # large store it costs seconds, which plain data queries must not pay), and in the
        # background once it exists: meanwhile the last one answers, marked stale.
        if ever_materialized(engine.kg):
            materialize_soon(engine.kg)
            stale = True
        else:
            await run_in_threadpool(ensure_materialized, engine.kg)
    protocol_dataset = bool(default_graphs or named_graphs)
    if protocol_dataset:
        check_iris("default-graph-uri", default_graphs)
        check_iris("named-graph-uri", named_graphs)
    version = await engine.data_version()
    base = base_iri(request)
    cache_key = (
        version,
        text,
        sol,
        graph,
        union,
        tuple(default_graphs),
        tuple(named_graphs),
        base,
        settings.max_rows,
    )
    cacheable = not _NONDETERMINISTIC.search(text) and not stale
    etag = make_etag(
        version, "sparql", "/sparql", tuple((str(i), repr(k)) for i, k in enumerate(cache_key[1:]))
    )
    if cacheable:
        if not_modified(request, etag, exists=False):
            return Response(status_code=304, headers=validator_headers(etag))
        hit = engine.cache.get(cache_key) if settings.sparql_cache else None
        if hit is not None:
            return Response(
                hit.body,
                media_type=hit.media_type,
                headers={**hit.headers, **validator_headers(etag)},
            )
    job = Job(
        text,
        sol,
        graph,
        settings.max_rows,
        union,
        tuple(default_graphs) if protocol_dataset else None,
        tuple(named_graphs) if protocol_dataset else None,
        base,
    )
    try:
        reply = await engine.run(job, settings.query_timeout_s, engine.client_of(request))
    except QueryTimeout:
        limit = f"{settings.query_timeout_s:g} s"
        raise ApiError(
            504,
            "query_timeout",
            f"the remote store did not answer within {limit}"
            if engine.remote
            else f"the query ran longer than {limit} and was stopped",
            details={"timeout_s": settings.query_timeout_s},
        ) from None
    except (PoolBusy, Busy):
        raise ApiError(
            503, "busy", "all query workers are busy; retry shortly", headers={"Retry-After": "1"}
        ) from None
    except QueryCrashed as exc:
        raise _crashed(exc, settings) from None
    except WorkerFailed as exc:
        raise ApiError(503, "worker_failed", str(exc), headers={"Retry-After": "1"}) from None
    if not reply.ok and reply.error == "memory":
        raise _crashed(QueryCrashed("memory", reply.message), settings)
    if not reply.ok and reply.error == "network" and not settings.allow_outbound:
        # The text check missed a SERVICE the engine read; the sandbox stopped it.
        raise ApiError(
            403,
            "outbound_disabled",
            "the query tried to make an outbound request (SERVICE): this server does not "
            "make outbound requests (an operator can allow them with --allow-outbound)",
            details={"engine": reply.message},
        )
    if not reply.ok:
        if reply.error == "syntax":
            raise syntax_error(text, reply.message, "query")
        if reply.error == "not_acceptable":
            raise not_acceptable(reply.form)
        if reply.error in ("storage", "network"):
            raise ApiError(502, "query_failed", f"query failed: {reply.message}")
        raise ApiError(400, "query_failed", f"query failed: {reply.message}")
    media = (SOLUTION_FORMATS if reply.form != "graph" else GRAPH_FORMATS)[reply.format][1]
    headers = {
        "Vary": "Accept",
        "X-Stancegraph-Truncated": "true" if reply.truncated else "false",
        "X-Stancegraph-Rows": str(reply.rows),
    }
    if reply.truncated:
        headers["X-Stancegraph-Max-Rows"] = str(settings.max_rows)
    view = getattr(reply, "view_version", None)
    if view is not None and view != engine.kg.store.version:
        # Answered from the previous view of the data (--read-staleness): say so, and do
        # not cache it under the current data version.
        stale = True
        cacheable = False
    if stale:
        headers["X-Stancegraph-Stale"] = "true"
    if cacheable and await engine.data_version() == version:
        # Results are cached per data version: any write makes every entry stale.
        if settings.sparql_cache:
            engine.cache.put(version, cache_key, etags.Entry(reply.body, media, headers))
        headers.update(validator_headers(etag))
    return Response(reply.body, headers=headers, media_type=media)


def _crashed(exc: QueryCrashed, settings: Settings) -> ApiError:
    """A worker that died of this query: its input is to blame (the worker is replaced)."""
    if exc.cause == "memory":
        return ApiError(
            507,
            "query_memory_exceeded",
            f"the query needed more than {settings.worker_memory_mb} MiB of memory and was "
            "stopped; narrow it (fewer joined patterns, LIMIT, smaller strings)",
            details={"worker_memory_mb": settings.worker_memory_mb},
        )
    return ApiError(
        400, "query_crashed", f"{exc.report} and was stopped; simplify the query", details={}
    )


async def run_update(request: Request, text: str, params: dict[str, list[str]]) -> Response:
    engine = engine_of(request)
    if not text.strip():
        raise ApiError(400, "missing_update", "empty update")
    await _screen(check_nesting, text, "update")
    info = await _screen(scan, text, update=True)
    if info.outbound and not engine.settings.allow_outbound:
        raise outbound_refused(text, info)
    using = params.get("using-graph-uri", [])
    using_named = params.get("using-named-graph-uri", [])
    check_iris("using-graph-uri", using)
    check_iris("using-named-graph-uri", using_named)
    outcome = await engine.write(text, base_iri(request), using=using, using_named=using_named)
    timings = {k: round(v, 2) for k, v in outcome.timings_ms.items()}
    return JSONResponse({"status": "ok", **outcome.as_dict(), "timings_ms": timings})
