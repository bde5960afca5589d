"""Early answers about a client's SPARQL text, before any worker sees it: too complex for
the engine's parser (400), outbound requests (403), malformed dataset IRIs (400).

The text is read with the library's one lexer (``stancegraph.sparql.screening``): a
friendly early error, NOT the security boundary (query workers run with no network)."""

from __future__ import annotations

import re

from fastapi import Request

from stancegraph.sparql import screening
from stancegraph.sparql.lexer import line_col
from stancegraph.sparql.screening import MAX_NESTING, MAX_TERMS, TextInfo

from ..errors import ApiError


def check_nesting(text: str, what: str) -> None:
    """400 ``{what}_too_complex`` before the engine sees a text its parser cannot survive
    (see ``stancegraph.sparql.screening.check_nesting``)."""
    try:
        screening.check_nesting(text)
    except screening.TooComplex as exc:
        raise _too_complex(text, exc.offset, what, exc.reason) from None


def _too_complex(text: str, offset: int, what: str, reason: str) -> ApiError:
    line, col = line_col(text, offset)
    return ApiError(
        400,
        f"{what}_too_complex",
        f"SPARQL {what} too complex: {reason} (at {line}:{col}); split or simplify it",
        details={
            "max_nesting": MAX_NESTING,
            "max_terms": MAX_TERMS,
            "line": line,
            "column": col,
        },
    )


BAD_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_BASE_OK = re.compile(r"^https?://[A-Za-z0-9.\-:\[\]]+(/[A-Za-z0-9._~\-/]*)?$")


def outbound_refused(text: str, info: TextInfo) -> ApiError:
    """403 naming the first SERVICE / LOAD <url> and where it is (queries and updates alike)."""
    keyword, offset = info.outbound[0]
    line, col = line_col(text, offset)
    return ApiError(
        403,
        "outbound_disabled",
        f"{keyword} at {line}:{col}: this server does not make outbound requests "
        "(an operator can allow them with --allow-outbound)",
        details={"keyword": keyword, "line": line, "column": col},
    )


def check_iris(name: str, values: list[str]) -> None:
    for v in values:
        if not v or BAD_IRI.search(v) or ":" not in v:
            raise ApiError(400, "bad_request", f"{name}: not an absolute IRI: {v!r}")


def base_iri(request: Request) -> str | None:
    """The endpoint URL as base IRI, when it is a plain IRI (the Host header is client data)."""
    url = f"{request.url.scheme}://{request.url.netloc}{request.url.path}"
    return url if _BASE_OK.match(url) else None
