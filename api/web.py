"""The web explorer: ``stancegraph/web/`` (plain HTML, CSS and JavaScript) served at ``/``.

``mount_web(app)`` (or ``app.include_router(web.router)``) adds three routes, none of them in the OpenAPI schema:

- ``/`` (and ``/index.html``): the single page, ``Cache-Control: no-cache`` (revalidated
  with its ETag), a strict Content-Security-Policy (same-origin scripts, styles, images
  and requests only; no inline code), and asset URLs carrying a content hash
  (``/static/app.js?v=1a2b3c4d5e``);
- ``/static/{name}``: the assets. A request whose ``v`` matches the current content hash
  is cached for a year (``immutable``): a new release changes the hash, hence the URL.
  Without it (or with a stale one) the response is ``no-cache`` with an ETag, so a
  browser revalidates and gets ``304 Not Modified`` when nothing changed. Gzip when the
  client accepts it.

The files are read once, at mount time, into memory (a few tens of kB): the routes never
touch the file system with a request path, so there is nothing to traverse. The front end
uses only the public JSON API and ``/sparql``, like any third-party client.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from .errors import error_response

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}
YEAR = 365 * 24 * 3600
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
_COMMON = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
# "/static/NAME" inside index.html, rewritten to carry the content hash.
_ASSET_REF = re.compile(r'(["\'])/static/([A-Za-z0-9._-]+)\1')


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    media_type: str
    version: str  # short content hash

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


def web_dir() -> Path:
    """``stancegraph/web`` inside the installed package (wheel or editable checkout)."""
    return Path(str(resources.files("stancegraph") / "web"))


def _asset(body: bytes, media_type: str) -> Asset:
    version = hashlib.sha256(body).hexdigest()[:12]
    packed = gzip.compress(body, 9, mtime=0) if len(body) > 1024 else None
    if packed is not None and len(packed) >= len(body):
        packed = None
    return Asset(body, packed, media_type, version)


def load_assets(directory: Path | None = None) -> tuple[Asset, dict[str, Asset]]:
    """(index page with hashed asset URLs, {file name: asset}) from ``directory``."""
    directory = directory or web_dir()
    static: dict[str, Asset] = {}
    for path in sorted(directory.iterdir()):
        if path.is_file() and path.name != "index.html" and path.suffix in _TYPES:
            static[path.name] = _asset(path.read_bytes(), _TYPES[path.suffix])

    def versioned(m: re.Match[str]) -> str:
        quote, name = m.group(1), m.group(2)
        asset = static.get(name)
        return m.group(0) if asset is None else f"{quote}/static/{name}?v={asset.version}{quote}"

    html = (directory / "index.html").read_text(encoding="utf-8")
    index = _asset(_ASSET_REF.sub(versioned, html).encode("utf-8"), _TYPES[".html"])
    return index, static


def _not_modified(request: Request, asset: Asset) -> bool:
    tags = request.headers.get("if-none-match", "")
    return (
        any(t.strip().removeprefix("W/") == asset.etag for t in tags.split(","))
        or tags.strip() == "*"
    )


def _serve(
    request: Request, asset: Asset, cache: str, extra: dict[str, str] | None = None
) -> Response:
    headers = {
        **_COMMON,
        "Cache-Control": cache,
        "ETag": asset.etag,
        "Vary": "Accept-Encoding",
        **(extra or {}),
    }
    if _not_modified(request, asset):
        return Response(status_code=304, headers=headers)
    body = asset.body
    accepts = request.headers.get("accept-encoding", "")
    if asset.gzipped is not None and re.search(r"\bgzip\b(?!;\s*q=0(\.0*)?\b)", accepts):
        body = asset.gzipped
        headers["Content-Encoding"] = "gzip"
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(body))
        return Response(status_code=200, headers=headers, media_type=asset.media_type)
    return Response(body, headers=headers, media_type=asset.media_type)


def make_router(directory: Path | None = None) -> APIRouter:
    """The explorer's routes (``/``, ``/index.html``, ``/static/{name}``) for ``directory``."""
    index, static = load_assets(directory)
    r = APIRouter(include_in_schema=False)

    @r.api_route("/", methods=["GET", "HEAD"])
    @r.api_route("/index.html", methods=["GET", "HEAD"])
    def explorer(request: Request) -> Response:
        return _serve(
            request, index, "no-cache", {"Content-Security-Policy": CSP, "X-Frame-Options": "DENY"}
        )

    @r.api_route("/static/{name}", methods=["GET", "HEAD"])
    def asset(request: Request, name: str) -> Response:
        found = static.get(name)
        if found is None:
            return error_response(404, "not_found", f"no static file {name!r}", headers=_COMMON)
        fresh = request.query_params.get("v") == found.version
        return _serve(request, found, f"public, max-age={YEAR}, immutable" if fresh else "no-cache")

    return r


# The packaged explorer, so ``app.include_router(web.router)`` works like the other routers.
router = make_router()


def mount_web(app: FastAPI, directory: Path | None = None) -> None:
    """Serve the web explorer from ``app`` at ``/`` (call once, from ``create_app``)."""
    app.include_router(router if directory is None else make_router(directory))
