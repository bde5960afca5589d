"""The app factory: ``create_app(kg, settings)`` -> FastAPI.

Routes: ``/sparql`` (SPARQL 1.1 Protocol, ``sparql.py``), ``/store`` (Graph Store
Protocol, ``gsp.py``), ``/healthz``, and the JSON API and analytics routers when their
modules are present. Query workers start with the app (lifespan) and stop with it.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import Response
from starlette.requests import ClientDisconnect

import stancegraph
from stancegraph.graph import StanceGraph
from stancegraph.ingest import safeparse

from . import analytics, coding, gsp
from . import json as json_api
from .docs import mount_docs
from .errors import StoreGate, error_response, install_error_handlers, store_health
from .fastpath import FastPath
from .limits import install_access_log_redaction
from .settings import Settings
from .sparql import routes as sparql_routes
from .sparql.engine import Engine
from .web import mount_web

log = logging.getLogger("uvicorn.error")  # the server log, at its --log-level

TRUNCATION_HEADERS = ["X-Stancegraph-Truncated", "X-Stancegraph-Rows", "X-Stancegraph-Max-Rows"]


class BodyLimit:
    """Refuse request bodies over the limit for every route (413 in the common envelope).

    A client that disconnects while sending its body gets one log line here, not the two
    long tracebacks of the generic error handler and uvicorn (thousands of disconnects
    must not flood the log): there is nobody left to answer.
    """

    def __init__(self, app: Any, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    too_big = int(value) > self.limit
                except ValueError:
                    too_big = False
                if too_big:
                    response = error_response(
                        413,
                        "payload_too_large",
                        f"request body over the limit of {self.limit} bytes",
                    )
                    await response(scope, receive, send)
                    return
                break
        received = 0

        async def counting_receive() -> Any:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            return message

        try:
            await self.app(scope, counting_receive, send)
        except ClientDisconnect:
            client = scope.get("client") or ("-", 0)
            log.info(
                '%s:%s - "%s %s" client disconnected after %d body bytes',
                client[0],
                client[1],
                scope["method"],
                scope["path"],
                received,
            )


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    engine: Engine = app.state.engine
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, engine.start)
    # Build the JSON API's per-version tables in the background: the first answers do
    # not wait for it, and the first /api requests find them ready.
    warming = [loop.run_in_executor(None, json_api.warm, app.state.kg)]
    if app.state.settings.writes_enabled:
        from stancegraph.validation.change import warm

        warming.append(loop.run_in_executor(None, warm, app.state.kg.store))
    owns_process = getattr(app.state, "owns_process", False)  # set by `stancegraph serve`
    frozen = asyncio.ensure_future(_freeze_when_done(warming)) if owns_process else None
    try:
        yield
    finally:
        if frozen is not None:
            frozen.cancel()
        engine.close()
        safeparse.close_all()


async def _freeze_when_done(warming: list[asyncio.Future[None]]) -> None:
    """Under ``stancegraph serve``, where the process is the server's alone (an app built
    in another program, or in the tests, leaves the program's collector as it is): once
    the start-up builds are done, move what the process holds out of the cyclic
    garbage collector's reach (``gc.freeze``). The read models of a large store are
    millions of objects (1M triples: ~400k tracked containers), and a full collection
    walks them all, stopping every thread for 300-400 ms: under a stream of writes that
    was the 1M read p99. Later versions share most of their objects with these (read
    models follow writes), and garbage without cycles is still freed at once."""
    await asyncio.gather(*warming, return_exceptions=True)
    gc.collect()
    gc.freeze()


# Conditional requests (ETag revalidation) and the usual request headers of a front end.
CORS_HEADERS = [
    "Authorization",
    "Content-Type",
    "Accept",
    "Accept-Language",
    "If-None-Match",
    "If-Match",
    "If-Modified-Since",
    "If-Unmodified-Since",
    "Cache-Control",
]


class EnvelopeCORS(CORSMiddleware):
    """Starlette's CORS, with a refused preflight answered in the common error envelope."""

    def preflight_response(self, request_headers: Any) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        refused = bytes(response.body).decode().removeprefix("Disallowed CORS ").split(", ")
        asked = {
            "origin": request_headers.get("origin"),
            "method": request_headers.get("access-control-request-method"),
            "headers": request_headers.get("access-control-request-headers"),
            "private-network": request_headers.get("access-control-request-private-network"),
        }
        keep = {
            k: v
            for k, v in response.headers.items()
            if k.lower() not in ("content-length", "content-type")
        }
        return error_response(
            400,
            "cors_refused",
            "CORS preflight refused: "
            + "; ".join(f"{what} {asked[what]!r} is not allowed" for what in refused)
            + f" (allowed headers: {', '.join(CORS_HEADERS)})",
            [{"location": f"header.{w}", "input": asked[w]} for w in refused],
            headers=keep,
        )


def create_app(kg: StanceGraph | None = None, settings: Settings | None = None) -> FastAPI:
    """Build the service for ``kg`` (default: ``settings.store`` or the seed graph)."""
    settings = settings or Settings()
    install_access_log_redaction()
    if kg is None:
        kg = stancegraph.open(settings.store) if settings.store else stancegraph.open()
    app = FastAPI(
        title="stancegraph",
        version=stancegraph.__version__,
        description="Negotiation-stance knowledge graph: SPARQL 1.1 endpoint, Graph Store and JSON API.",
        lifespan=_lifespan,
        docs_url=None,  # served by docs.py from local assets (the default page uses a CDN)
        redoc_url=None,
    )
    app.state.kg = kg
    app.state.settings = settings
    app.state.engine = Engine(kg, settings)
    install_error_handlers(app)
    app.include_router(sparql_routes.router)
    app.include_router(gsp.router)
    # coding first: json_api's detail routes end in {id:path} and would take its paths.
    app.include_router(coding.router)
    app.include_router(json_api.router)
    app.include_router(analytics.router)
    mount_web(app)  # the web explorer at "/", static assets under /static/
    mount_docs(app)  # /docs: Swagger UI, offline

    @app.get("/healthz", tags=["service"], summary="liveness and store health")
    async def healthz() -> Any:
        health = await store_health(kg, settings.query_timeout_s)
        engine = app.state.engine
        if isinstance(health, dict):
            # "netns"/"userns+netns": workers have no network; "off": --allow-outbound;
            # "unavailable: …": they do (see SECURITY.md). Remote stores: the scratch
            # workers that parse queries and updates.
            pool = engine.pool if engine.pool is not None else engine.scratch_pool
            health["query_sandbox"] = pool.sandbox
            health["update_sandbox"] = engine.scratch_pool.sandbox
        return health

    # Innermost: the hot routes skip FastAPI's routing but keep the body limit and CORS.
    app.add_middleware(FastPath)
    # Outside it: while a remote store does not answer, data routes get a 503 (errors.py).
    app.add_middleware(StoreGate, limit_s=settings.query_timeout_s)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            EnvelopeCORS,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"],
            allow_headers=CORS_HEADERS,
            expose_headers=[*TRUNCATION_HEADERS, "Retry-After", "ETag", "Link", "Last-Modified"],
        )
    return app
