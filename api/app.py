"""The app factory: ``create_app(kg, settings)`` -> FastAPI.

Routes: ``/sparql`` (SPARQL 1.1 Protocol, ``sparql.py``), ``/store`` (Graph Store
Protocol, ``gsp.py``), ``/healthz``, and the JSON API and analytics routers when their
modules are present. Query workers start with the app (lifespan) and stop with it.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

import stancegraph
from stancegraph.graph import StanceGraph

from . import gsp, sparql
from .errors import StoreGate, error_response, install_error_handlers, store_health
from .fastpath import FastPath
from .settings import Settings

TRUNCATION_HEADERS = ["X-Stancegraph-Truncated", "X-Stancegraph-Rows", "X-Stancegraph-Max-Rows"]


class BodyLimit:
    """Refuse request bodies over the limit for every route (413 in the common envelope)."""

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
        await self.app(scope, receive, send)


def _optional_module(name: str) -> Any:
    """A sibling module if it exists; errors inside it are not hidden."""
    module_name = f"{__package__}.{name}"
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        return None


def _optional_router(name: str) -> Any:
    module = _optional_module(name)
    return None if module is None else module.router


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    engine: sparql.Engine = app.state.engine
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, engine.start)
    json_api = _optional_module("json_api")
    if json_api is not None:
        # Build the JSON API's per-version tables in the background: the first answers do
        # not wait for it, and the first /api requests find them ready.
        loop.run_in_executor(None, json_api.warm, app.state.kg)
    try:
        yield
    finally:
        engine.close()


def create_app(kg: StanceGraph | None = None, settings: Settings | None = None) -> FastAPI:
    """Build the service for ``kg`` (default: ``settings.store`` or the seed graph)."""
    settings = settings or Settings()
    if kg is None:
        kg = stancegraph.open(settings.store) if settings.store else stancegraph.open()
    app = FastAPI(
        title="stancegraph",
        version=stancegraph.__version__,
        description="Negotiation-stance knowledge graph: SPARQL 1.1 endpoint, Graph Store and JSON API.",
        lifespan=_lifespan,
    )
    app.state.kg = kg
    app.state.settings = settings
    app.state.engine = sparql.Engine(kg, settings)
    install_error_handlers(app)
    app.include_router(sparql.router)
    app.include_router(gsp.router)
    # coding_api first: json_api's detail routes end in {id:path} and would take its paths.
    for name in ("coding_api", "json_api", "analytics_api"):
        router = _optional_router(name)
        if router is not None:
            app.include_router(router)

    from .web import mount_web

    mount_web(app)  # the web explorer at "/", static assets under /static/

    @app.get("/healthz", tags=["service"], summary="liveness and store health")
    async def healthz() -> Any:
        health = await store_health(kg, settings.query_timeout_s)
        pool = app.state.engine.pool
        if isinstance(health, dict) and pool is not None:
            # "netns"/"userns+netns": workers have no network; "off": --allow-outbound;
            # "unavailable: …": they do (see SECURITY.md).
            health["query_sandbox"] = pool.sandbox
        return health

    # Innermost: the hot routes skip FastAPI's routing but keep the body limit and CORS.
    app.add_middleware(FastPath, json_api=_optional_module("json_api"))
    # Outside it: while a remote store does not answer, data routes get a 503 (errors.py).
    app.add_middleware(StoreGate, limit_s=settings.query_timeout_s)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "Accept"],
            expose_headers=[*TRUNCATION_HEADERS, "Retry-After", "ETag", "Link"],
        )
    return app
