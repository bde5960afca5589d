"""Who may write: ``Authorization: Bearer`` tokens, compared in constant time."""

from __future__ import annotations

import hmac

from starlette.requests import Request

from ..errors import ApiError
from ..settings import Settings


def require_write(request: Request) -> str:
    """Writes need ``Authorization: Bearer <write token>``; off entirely without a token.

    Returns who writes: the coder id the token belongs to (``coders_file``), or
    ``operator`` for the shared write token."""
    settings: Settings = request.app.state.settings
    if not settings.writes_enabled:
        raise ApiError(
            403,
            "writes_disabled",
            "writes are disabled on this server; an operator enables SPARQL Update and the "
            "Graph Store Protocol by setting a write token (STANCEGRAPH_WRITE_TOKEN)",
        )
    challenge = {"WWW-Authenticate": 'Bearer realm="stancegraph"'}
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401, "unauthorized", "writes need an Authorization: Bearer token", headers=challenge
        )
    given = token.strip().encode()
    for coder, secret in settings.coders.items():
        if hmac.compare_digest(given, secret.get_secret_value().encode()):
            return coder
    write = settings.write_token
    if write is not None and hmac.compare_digest(given, write.get_secret_value().encode()):
        return "operator"
    if any(hmac.compare_digest(given, t.get_secret_value().encode()) for t in settings.read_tokens):
        raise ApiError(
            403, "insufficient_scope", "this token is read-only; writes need the write token"
        )
    raise ApiError(401, "invalid_token", "the bearer token is not valid", headers=challenge)
