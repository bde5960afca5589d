"""Validators and the one ``If-None-Match`` handler (RFC 9110, sections 8.8.3 and 13.1.2).

A weak ETag hashes what selects a representation (data version, media type, path,
arguments); ``If-None-Match`` compares weakly (``W/"x"`` matches ``"x"``), and ``*``
matches any current representation, so callers ask only once they know one exists.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from starlette.requests import Request

CACHE_CONTROL = "no-cache"


def make_etag(version: str, media_type: str, path: str, query: Iterable[tuple[str, str]]) -> str:
    h = hashlib.blake2b(digest_size=12)
    for part in (version, media_type, path, *(f"{k}={v}" for k, v in query)):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return f'W/"{h.hexdigest()}"'


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith(("W/", "w/")) else tag


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Weak comparison of an ``If-None-Match`` list with ``etag`` (``*`` not included)."""
    if not if_none_match:
        return False
    wanted = _opaque(etag)
    return any(c.strip() and _opaque(c) == wanted for c in if_none_match.split(","))


def not_modified(request: Request, etag: str, *, exists: bool = True) -> bool:
    """Whether the request's ``If-None-Match`` names ``etag`` (or is ``*`` and the resource
    ``exists``): the answer is then ``304 Not Modified``."""
    header = request.headers.get("if-none-match")
    if not header:
        return False
    if header.strip() == "*":
        return exists
    return etag_matches(header, etag)


def validator_headers(etag: str, vary: str = "Accept") -> dict[str, str]:
    return {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": vary}
