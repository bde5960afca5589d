"""SPARQL 1.1 Protocol at ``/sparql``: query and update over GET and POST (form or direct
body), the service description on a plain GET."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import Response

from stancegraph.errors import StoreError

from ..errors import ApiError, store_error
from ..http.auth import require_write
from ..http.bodies import decode_utf8, media_type, read_body
from .description import service_description
from .engine import engine_of
from .formats import format_param
from .query import run_query, run_update

router = APIRouter(tags=["sparql"])


def _one(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name, [])
    if len(values) > 1:
        raise ApiError(400, "bad_request", f"more than one {name} parameter")
    return values[0] if values else None


def _multi(params: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in params:
        out.setdefault(k, []).append(v)
    return out


def _store_errors(
    route: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """Store failures (a remote store down, a write conflict…) as ``ApiError``: the routes are
    also called outside FastAPI's exception handlers (``fastpath.py``)."""

    @functools.wraps(route)
    async def wrapper(request: Request) -> Response:
        try:
            return await route(request)
        except StoreError as exc:
            raise store_error(exc) from None

    return wrapper


@router.get("/sparql", summary="SPARQL query (GET) or the service description")
@_store_errors
async def sparql_get(request: Request) -> Response:
    params = _multi(request.query_params.multi_items())
    if "update" in params:
        raise ApiError(
            405,
            "method_not_allowed",
            "SPARQL Update must be sent with POST",
            headers={"Allow": "POST"},
        )
    query = _one(params, "query")
    fmt = format_param(params)
    if query is None:
        dataset = [k for k in ("default-graph-uri", "named-graph-uri") if k in params]
        if dataset:  # the protocol: a dataset without a query is a malformed request
            raise ApiError(
                400,
                "missing_query",
                f"{' and '.join(dataset)} given without a query= parameter",
            )
        return await service_description(request, fmt)
    return await run_query(
        request, query, params.get("default-graph-uri", []), params.get("named-graph-uri", []), fmt
    )


@router.api_route("/sparql", methods=["PUT", "DELETE", "PATCH"], include_in_schema=False)
async def sparql_other(request: Request) -> Response:
    raise ApiError(
        405,
        "method_not_allowed",
        f"{request.method} is not part of the SPARQL Protocol: use GET or POST",
        headers={"Allow": "GET, HEAD, POST"},
    )


@router.post("/sparql", summary="SPARQL query or update (POST form or direct)")
@_store_errors
async def sparql_post(request: Request) -> Response:
    engine = engine_of(request)
    mt, ctype_params = media_type(request)
    params = _multi(request.query_params.multi_items())
    if mt not in (
        "application/x-www-form-urlencoded",
        "application/sparql-query",
        "application/sparql-update",
    ):
        what = f"Content-Type {mt!r}" if mt else "a missing Content-Type"
        raise ApiError(
            415,
            "unsupported_media_type",
            f"{what} is not accepted: POST application/x-www-form-urlencoded "
            "(query= or update=), application/sparql-query or application/sparql-update",
        )
    if mt == "application/sparql-update":
        require_write(request)
    body = await read_body(request, engine.settings.max_body_bytes)
    if mt == "application/x-www-form-urlencoded":
        text = decode_utf8(body, ctype_params)
        try:
            form = _multi(
                parse_qsl(text, keep_blank_values=True, strict_parsing=False, errors="strict")
            )
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(400, "bad_request", f"malformed form body: {exc}") from None
        for k, v in form.items():
            params.setdefault(k, []).extend(v)
        query, update = _one(params, "query"), _one(params, "update")
        if query is not None and update is not None:
            raise ApiError(400, "bad_request", "give query= or update=, not both")
        if update is not None:
            require_write(request)
            return await run_update(request, update, params)
        if query is None:
            raise ApiError(400, "missing_query", "no query= (or update=) parameter in the form")
        return await run_query(
            request,
            query,
            params.get("default-graph-uri", []),
            params.get("named-graph-uri", []),
            format_param(params),
        )
    text = decode_utf8(body, ctype_params)
    if mt == "application/sparql-update":
        return await run_update(request, text, params)
    if not text.strip():
        raise ApiError(400, "missing_query", "empty query body")
    return await run_query(
        request,
        text,
        params.get("default-graph-uri", []),
        params.get("named-graph-uri", []),
        format_param(params),
    )
