"""The web explorer: ``stancegraph/web/`` (plain HTML, CSS and JavaScript) served at ``/``.

``mount_web(app)`` (or ``app.include_router(web.router)``) adds these routes, none of them
in the OpenAPI schema:

- ``/`` (and ``/index.html``): the single page, ``Cache-Control: no-cache`` (revalidated
  with its ETag), a strict Content-Security-Policy (same-origin scripts, styles, images
  and requests only; no inline code), and asset URLs carrying a content hash
  (``/static/app.js?v=1a2b3c4d5e``);
- ``/static/{name}``: the assets, served by Starlette's ``StaticFiles`` (ETag, ``304``,
  ``HEAD``) behind its ``GZipMiddleware``. A request whose ``v`` matches the current
  content hash is cached for a year (``immutable``): a new release changes the hash, hence
  the URL. Without it (or with a stale one) the response is ``no-cache``, so a browser
  revalidates and gets ``304 Not Modified`` when nothing changed.

Only the files listed at mount time are served (:class:`HashedFiles`): any other name,
``index.html`` or a path that leaves the folder is a 404. The front end uses only the
public JSON API and ``/sparql``, like any third-party client.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from .http.conditional import not_modified

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}
YEAR = 365 * 24 * 3600
IMMUTABLE = f"public, max-age={YEAR}, immutable"
GZIP_MINIMUM = 1024  # bytes: below this, gzip saves too little to pay for itself
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
    media_type: str
    version: str  # short content hash

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


def web_dir() -> Path:
    """``stancegraph/web`` inside the installed package (wheel or editable checkout)."""
    return Path(str(resources.files("stancegraph") / "web"))


def _asset(body: bytes, media_type: str) -> Asset:
    return Asset(body, media_type, hashlib.sha256(body).hexdigest()[:12])


class HashedFiles(StaticFiles):
    """``StaticFiles`` for the ``files`` of ``directory`` only (name → media type), cached
    for a year when the request's ``v`` is the file's content hash, else ``no-cache``.

    The hashes are read on first use, so a large bundle costs nothing at startup."""

    def __init__(self, directory: Path, files: dict[str, str], label: str = "static file"):
        super().__init__(directory=directory)
        self.files = files
        self.label = label

    @cached_property
    def assets(self) -> dict[str, Asset]:
        folder = Path(str(self.directory))
        return {name: _asset((folder / name).read_bytes(), t) for name, t in self.files.items()}

    def version(self, name: str) -> str:
        return self.assets[name].version

    async def get_response(self, path: str, scope: Scope) -> Response:
        found = self.assets.get(path)
        if found is None:
            raise HTTPException(404, f"no {self.label} {path!r}", headers=_COMMON)
        response = await super().get_response(path, scope)
        fresh = QueryParams(scope["query_string"]).get("v") == found.version
        response.headers.update({**_COMMON, "Cache-Control": IMMUTABLE if fresh else "no-cache"})
        if response.status_code == 200:
            response.headers["Content-Type"] = found.media_type
        return response


def gzipped(files: HashedFiles) -> GZipMiddleware:
    return GZipMiddleware(files, minimum_size=GZIP_MINIMUM)


def _static_files(directory: Path) -> HashedFiles:
    names = {
        p.name: _TYPES[p.suffix]
        for p in sorted(directory.iterdir())
        if p.is_file() and p.name != "index.html" and p.suffix in _TYPES
    }
    return HashedFiles(directory, names)


def _index(directory: Path, static: HashedFiles) -> Asset:
    """index.html with every ``/static/NAME`` it names carrying NAME's content hash."""

    def versioned(m: re.Match[str]) -> str:
        quote, name = m.group(1), m.group(2)
        if name not in static.files:
            return m.group(0)
        return f"{quote}/static/{name}?v={static.version(name)}{quote}"

    html = (directory / "index.html").read_text(encoding="utf-8")
    return _asset(_ASSET_REF.sub(versioned, html).encode("utf-8"), _TYPES[".html"])


def load_assets(directory: Path | None = None) -> tuple[Asset, dict[str, Asset]]:
    """(index page with hashed asset URLs, {file name: asset}) from ``directory``."""
    static = _static_files(directory or web_dir())
    return _index(directory or web_dir(), static), static.assets


def make_router(directory: Path | None = None) -> APIRouter:
    """The explorer's routes (``/``, ``/index.html``, ``/static/...``) for ``directory``."""
    directory = directory or web_dir()
    static = _static_files(directory)
    index = _index(directory, static)
    r = APIRouter(include_in_schema=False)

    @r.api_route("/", methods=["GET", "HEAD"])
    @r.api_route("/index.html", methods=["GET", "HEAD"])
    def explorer(request: Request) -> Response:
        headers = {
            **_COMMON,
            "Cache-Control": "no-cache",
            "ETag": index.etag,
            "Content-Security-Policy": CSP,
            "X-Frame-Options": "DENY",
        }
        if not_modified(request, index.etag):
            return Response(status_code=304, headers=headers)
        return Response(index.body, headers=headers, media_type=index.media_type)

    r.mount("/static", gzipped(static))
    return r


# The packaged explorer, so ``app.include_router(web.router)`` works like the other routers.
router = make_router()


def mount_web(app: FastAPI, directory: Path | None = None) -> None:
    """Serve the web explorer from ``app`` at ``/`` (call once, from ``create_app``)."""
    app.include_router(router if directory is None else make_router(directory))
