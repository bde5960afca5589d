"""``/docs``: Swagger UI for the OpenAPI schema, served from this server, not a CDN.

FastAPI's default page loads Swagger UI from a CDN and stays blank offline (a closed
network, a laptop on a train). The assets come from the ``fastapi-offline`` package
instead (Swagger UI 5, which reads OpenAPI 3.1, and Redoc for ``/redoc``), served like the
explorer's assets (``web.HashedFiles``: Starlette's ``StaticFiles`` and ``GZipMiddleware``,
a content hash in their URLs), hashed on first use (1.5 MB: startup does not pay for it).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

from .web import HashedFiles, gzipped

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
def _assets() -> HashedFiles:
    return HashedFiles(_bundle_dir(), _FILES, label="documentation asset")


def make_router(app: FastAPI) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/docs")
    def docs() -> HTMLResponse:
        assets = _assets()

        def url(name: str) -> str:
            return f"/docs/assets/{name}?v={assets.version(name)}"

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
            redoc_js_url=f"/docs/assets/redoc.standalone.js?v={assets.version('redoc.standalone.js')}",
            redoc_favicon_url=f"/docs/assets/favicon.png?v={assets.version('favicon.png')}",
            with_google_fonts=False,
        )

    r.mount("/docs/assets", gzipped(_assets()))
    return r


def mount_docs(app: FastAPI) -> None:
    """Serve ``/docs`` and ``/redoc`` with local assets (create the app with
    ``docs_url=None, redoc_url=None``)."""
    app.include_router(make_router(app))
