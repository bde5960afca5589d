"""A lean ASGI path for the hot routes: ``/sparql`` (GET, POST) and cached JSON API GETs.

Why: on a small query FastAPI's own per-request machinery (routing, the exception and
exit-stack middlewares, dependency solving, the thread-pool hop of ``def`` routes) costs as
much as the query. This middleware sits inside CORS and the body limit, and:

- ``/sparql`` GET/POST: calls the same handlers as the FastAPI routes
  (``sparql.sparql_get``/``sparql_post``) with a plain Starlette ``Request`` and turns
  ``ApiError`` into the common envelope, so status codes, headers and bodies are the
  routes' own; anything unexpected propagates to the app's 500 handler as before.
- JSON API GETs: answers from the app's response cache (``etag.cache_for``) when the exact
  (data version, media type, path, query, base URL) entry is there, i.e. when the route
  already answered this very request on this data; 304 when ``If-None-Match`` names its
  ETag. Everything else (a miss, validation, errors) goes to the FastAPI route.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from . import etag as etags
from .errors import ApiError, error_response
from .http.conditional import make_etag, not_modified, validator_headers
from .http.negotiation import negotiate, offers
from .sparql import routes as sparql

JSON = "application/json"
JSONLD = "application/ld+json"
_OFFERS = offers(JSON, JSONLD)


def _route_path(scope: dict[str, Any]) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


class FastPath:
    """ASGI middleware serving the hot routes without FastAPI's routing (see module doc)."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            path = _route_path(scope)
            method = scope["method"]
            if path == "/sparql" and method in ("GET", "POST"):
                await self._sparql(scope, receive, send, method)
                return
            if method == "GET" and path.startswith("/api/"):
                response = self._cached_api(scope)
                if response is not None:
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)

    async def _sparql(self, scope: dict[str, Any], receive: Any, send: Any, method: str) -> None:
        request = Request(scope, receive)
        response: Response
        try:
            if method == "GET":
                response = await sparql.sparql_get(request)
            else:
                response = await sparql.sparql_post(request)
        except ApiError as exc:
            response = error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)
        await response(scope, receive, send)

    def _cached_api(self, scope: dict[str, Any]) -> Response | None:
        """The JSON API's cached answer to exactly this request, or None (the route decides)."""
        request = Request(scope)
        kg = getattr(request.app.state, "kg", None)
        cache = getattr(request.app.state, "json_api_cache", None)
        if kg is None or cache is None or not len(cache):
            return None
        # The route negotiates among [JSON] or [JSON, JSONLD]: when JSON wins among
        # both it wins alone too; JSONLD entries exist only for routes that offer it.
        media = negotiate(request.headers.get("accept"), _OFFERS)
        if media is None:
            return None  # the route answers 406
        version = etags.data_version(kg)
        query = etags.query_items(request)
        key = (version, media, request.url.path, query, str(request.base_url))
        entry = cache.lookup(key)
        if entry is None:
            return None
        etag = make_etag(version, media, request.url.path, query)
        headers = validator_headers(etag)
        if not_modified(request, etag):  # a cached entry: the resource exists
            return Response(status_code=304, headers=headers)
        return Response(
            entry.body, media_type=entry.media_type, headers={**headers, **entry.headers}
        )
