"""``/docs``: Swagger UI for the OpenAPI schema, served from this server, not a CDN.

FastAPI's default page loads Swagger UI from a CDN and stays blank offline (a closed
network, a laptop on a train). The assets come from the ``fastapi-offline`` package
instead (Swagger UI 5, which reads OpenAPI 3.1, and Redoc for ``/redoc``), read on first
use (1.5 MB: startup does not pay for it) and cached with a content hash in their URLs
like the explorer's.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response

from .errors import error_response
from .web import YEAR, Asset, _asset, _serve

_FILES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}


def _bundle_dir() -> Path:
    import fastapi_offline

    return Path(fastapi_offline.__file__).parent / "static"


@cache
def _assets() -> dict[str, Asset]:
    return {name: _asset((_bundle_dir() / name).read_bytes(), t) for name, t in _FILES.items()}


def make_router(app: FastAPI) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/docs")
    def docs() -> HTMLResponse:
        assets = _assets()

        def url(name: str) -> str:
            return f"/docs/assets/{name}?v={assets[name].version}"

        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} – API documentation",
            swagger_js_url=url("swagger-ui-bundle.js"),
            swagger_css_url=url("swagger-ui.css"),
            swagger_favicon_url=url("favicon.png"),
        )

    @r.get("/redoc")
    def redoc() -> HTMLResponse:
        assets = _assets()
        return get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} – API reference",
            redoc_js_url=f"/docs/assets/redoc.standalone.js?v={assets['redoc.standalone.js'].version}",
            redoc_favicon_url=f"/docs/assets/favicon.png?v={assets['favicon.png'].version}",
            with_google_fonts=False,
        )

    @r.api_route("/docs/assets/{name}", methods=["GET", "HEAD"])
    def asset(request: Request, name: str) -> Response:
        found = _assets().get(name)
        if found is None:
            return error_response(404, "not_found", f"no documentation asset {name!r}")
        fresh = request.query_params.get("v") == found.version
        return _serve(request, found, f"public, max-age={YEAR}, immutable" if fresh else "no-cache")

    return r


def mount_docs(app: FastAPI) -> None:
    """Serve ``/docs`` and ``/redoc`` with local assets (create the app with
    ``docs_url=None, redoc_url=None``)."""
    app.include_router(make_router(app))
