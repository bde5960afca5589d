"""How every JSON API route answers: the router, media type negotiation, the cached
response with its ETag, the route declarations (``route``, ``detail_route``), and the
documented error responses."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel

from stancegraph import read as views

from ..errors import ApiError, ErrorEnvelope
from ..etag import Entry, cached_response
from ..http.negotiation import negotiate as http_negotiate
from ..http.negotiation import offers
from .params import Slug, reject_unknown_params

JSON = "application/json"
JSONLD = "application/ld+json"
DEFAULT_MAX_ROWS = 10_000

router = APIRouter(prefix="/api", tags=["json-api"], dependencies=[Depends(reject_unknown_params)])

# What a route builds: its model, or its model and extra headers (``Link``).
Built = BaseModel | tuple[BaseModel, dict[str, str]]


# --------------------------------------------------------------------------- documentation helpers

_CACHE_HEADERS = {
    "ETag": {
        "description": "weak validator of this representation; send it back in If-None-Match",
        "schema": {"type": "string"},
    },
    "Cache-Control": {
        "description": "no-cache: keep it, but revalidate",
        "schema": {"type": "string"},
    },
}


def _err(description: str) -> dict[str, Any]:
    return {"model": ErrorEnvelope, "description": description}


def _responses(
    *, detail: bool = False, jsonld: bool = False, link: bool = False, cacheable: bool = True
) -> dict[int | str, dict[str, Any]]:
    ok: dict[str, Any] = {"headers": dict(_CACHE_HEADERS) if cacheable else {}}
    if link:
        ok["headers"]["Link"] = {
            "description": 'the next page: <url>; rel="next" (absent on the last page)',
            "schema": {"type": "string"},
        }
    if jsonld:
        ok["content"] = {
            JSONLD: {
                "schema": {
                    "type": "array",
                    "items": {"type": "object", "additionalProperties": True},
                    "description": "the resource's triples (and those of the nodes it owns: conditions, evidence, memberships) as expanded JSON-LD",
                }
            }
        }
    out: dict[int | str, dict[str, Any]] = {
        200: ok,
        304: {"description": "Not Modified: If-None-Match named the current ETag (no body)"},
        400: _err(
            "unknown query parameter (unknown_parameters) or invalid cursor (invalid_cursor)"
        ),
        406: _err("the Accept header allows none of the available media types"),
        422: _err("invalid parameter value (invalid_parameters); details list the allowed values"),
        503: _err("no graph loaded"),
    }
    if detail:
        out[404] = _err("no such resource (not_found)")
    if not cacheable:
        del out[304]
    return out


def route(
    path: str, model: type[BaseModel], summary: str, description: str | None = None, **kinds: bool
) -> Callable[[Callable[..., Built]], Callable[..., Response]]:
    """Declare ``GET path`` answering ``model``, with the responses of :func:`_responses`
    (``kinds``: detail, jsonld, link, cacheable).

    The decorated function takes the request and the route's parameters and *builds* the
    answer: a model, or a model and extra headers (``Link``). The route answers through
    :func:`respond`, so the build runs only when negotiation, the ETag and the response
    cache cannot answer without it."""

    def declare(build: Callable[..., Built]) -> Callable[..., Response]:
        def answer(request: Request, **params: Any) -> Response:
            return respond(request, lambda: build(request, **params))

        functools.update_wrapper(answer, build)  # its name and docstring document the route
        # FastAPI reads the parameters from this signature, resolved in build's own module.
        signature = inspect.signature(build, eval_str=True)
        answer.__signature__ = signature.replace(return_annotation=Response)  # type: ignore[attr-defined]
        return router.get(
            path,
            response_model=model,
            responses=_responses(**kinds),
            summary=summary,
            description=description,
        )(answer)

    return declare


# --------------------------------------------------------------------------- plumbing


def _kg(request: Request) -> Any:
    kg = getattr(request.app.state, "kg", None)
    if kg is None:
        raise ApiError(503, "unavailable", "no graph loaded")
    return kg


def negotiate(accept: str | None, media_types: list[str]) -> str:
    """The media type the Accept header prefers (ties go to the first); 406 if none."""
    media = http_negotiate(accept, offers(*media_types))
    if media is None:
        raise ApiError(
            406,
            "not_acceptable",
            f"this resource is available as {' or '.join(media_types)}, which the Accept header does not allow",
            {"available": media_types},
        )
    return media


def respond(
    request: Request, build: Callable[[], Built], jsonld: Callable[[], bytes] | None = None
) -> Response:
    """Negotiate, then answer from the cache or by building (see ``api/etag.py``)."""
    kg = _kg(request)
    media = negotiate(request.headers.get("accept"), [JSON, JSONLD] if jsonld else [JSON])

    def produce() -> Entry:
        if media == JSONLD and jsonld is not None:
            return Entry(jsonld(), JSONLD)
        out = build()
        model, headers = out if isinstance(out, tuple) else (out, {})
        return Entry(model.model_dump_json().encode(), JSON, headers)

    return cached_response(request, kg, media, produce)


def _detail_iri(kind: str, id: str) -> str:
    iri = views.resolve(kind, id)
    if iri is None:
        raise ApiError(404, "not_found", f"no {kind} {id!r}")
    return iri


def _jsonld(kg: Any, kind: str, id: str, iri: str) -> Callable[[], bytes]:
    def produce() -> bytes:
        body = views.jsonld(kg, iri) if views.exists(kg, kind, iri) else None
        if body is None:
            raise ApiError(404, "not_found", f"no {kind} {id!r}")
        return body

    return produce


def detail(
    request: Request,
    kind: str,
    id: str,
    iri: str,
    read: Callable[[Any, str], dict[str, Any] | None],
    model: type[BaseModel],
    *,
    jsonld: bool = False,
) -> Response:
    """A detail route's answer: ``read(kg, iri)`` as ``model`` (404 when it finds nothing),
    and as the resource's own triples in JSON-LD when ``jsonld``."""
    kg = _kg(request)

    def build() -> BaseModel:
        found = read(kg, iri)
        if found is None:
            raise ApiError(404, "not_found", f"no {kind} {id!r}")
        return model.model_validate(found)

    return respond(request, build, _jsonld(kg, kind, id, iri) if jsonld else None)


def detail_route(
    kind: str,
    read: Callable[[Any, str], dict[str, Any] | None],
    model: type[BaseModel],
    summary: str,
    *,
    collection: str | None = None,
    iri_of: Callable[[str, str], str] = _detail_iri,
    id_type: Any = Slug,
    jsonld: bool = True,
) -> None:
    """Declare ``GET /api/<collection>/{id}`` (``collection``: ``kind`` + s), answered by
    :func:`detail`; ``iri_of(kind, id)`` finds the resource (404 when it cannot)."""

    def get(request: Request, id: str) -> Response:
        return detail(request, kind, id, iri_of(kind, id), read, model, jsonld=jsonld)

    get.__annotations__ = {"request": Request, "id": id_type, "return": Response}
    router.add_api_route(
        f"/{collection or kind + 's'}/{{id:path}}",
        get,
        methods=["GET"],
        response_model=model,
        responses=_responses(detail=True, jsonld=jsonld),
        summary=summary,
        name=f"get_{kind}",
    )
