"""Strict query parameters (unknown ones are a 400), parameter values resolved to IRIs
(unknown ones are a 422 naming the parameter), keyset cursors and list paging."""

from __future__ import annotations

import base64
import binascii
import json
import re
import unicodedata
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Path, Query, Request

from stancegraph import ids
from stancegraph import read as views
from stancegraph.ids import UnknownValue

from ..errors import ApiError

# --------------------------------------------------------------------------- strict query parameters


def _declared_query_params(route: Any) -> frozenset[str]:
    names: set[str] = set()
    stack = [route.dependant]
    while stack:
        dep = stack.pop()
        names.update(f.alias for f in dep.query_params)
        stack.extend(dep.dependencies)
    return frozenset(names)


# ``?_=1712345678``: the conventional cache-busting parameter (jQuery and others) is ignored.
CACHE_BUSTER = "_"


def reject_unknown_params(request: Request) -> None:
    """400 for query parameters the route does not declare (catches typos early)."""
    route = request.scope.get("route")
    if route is None or getattr(route.endpoint, "dynamic_query_params", False):
        return
    allowed = getattr(route, "_declared_query_params", None)
    if allowed is None:
        allowed = _declared_query_params(route)
        route._declared_query_params = allowed
    unknown = sorted(set(request.query_params.keys()) - allowed - {CACHE_BUSTER})
    if unknown:
        raise ApiError(
            400,
            "unknown_parameters",
            f"unknown query parameter(s): {', '.join(unknown)}"
            f" (this route accepts: {', '.join(sorted(allowed)) or 'none'})",
            {"unknown": unknown, "allowed": sorted(allowed)},
        )


def _invalid(
    param: str, value: str, message: str, allowed: list[str] | None = None, where: str = "query"
) -> ApiError:
    location = f"{where}.{param}"
    detail: dict[str, Any] = {
        "location": location,
        "message": message,
        "type": "value_error",
        "input": value,
    }
    if allowed is not None:
        detail["allowed"] = allowed
    return ApiError(
        422, "invalid_parameters", f"invalid request parameters: {location}: {message}", [detail]
    )


def _unknown(exc: UnknownValue, param: str, where: str = "query") -> ApiError:
    """The library's "no such id / key" as a 422 naming the parameter, with suggestions."""
    location = f"{where}.{param}"
    detail = {**exc.detail(), "location": location}
    see = f" (see {ids.LISTS[exc.kind]} for ids)" if exc.kind in ids.LISTS else ""
    if exc.allowed is not None:
        see = f"; allowed values: {', '.join(exc.allowed)}"
    message = f"invalid request parameters: {location}: {exc.reason}{see}"
    return ApiError(422, "invalid_parameters", message, [detail])


# A filter parameter: repeated (``?holder=ukraine&holder=russia``) means any of them.
Many = list[str] | None


def _each(values: str | Many, param: str, resolve: Callable[[str], str]) -> list[str] | None:
    """Every value of a (possibly repeated) parameter, resolved; None when absent."""
    if values is None:
        return None
    try:
        return [resolve(v) for v in ([values] if isinstance(values, str) else values)]
    except UnknownValue as exc:
        raise _unknown(exc, param) from None


def _concept(vocab: views.Vocab, scheme: str, param: str, values: str | Many) -> list[str] | None:
    """Vocabulary keys (or concept IRIs) given as ``param``, as concept IRIs."""
    return _each(values, param, lambda v: ids.resolve_key_in(vocab, scheme, v, param))


def _existing(kg: Any, kind: str, param: str, values: str | Many) -> list[str] | None:
    """Slugs or IRIs given as ``param``, as the IRIs of existing resources of ``kind``."""
    return _each(values, param, lambda v: ids.resolve_id(kg, kind, v, param))


def _target(kg: Any, values: str | Many) -> list[str] | None:
    return _each(values, "target", lambda v: ids.resolve_target(kg, v))


# --------------------------------------------------------------------------- cursors

_CURSOR_RE = re.compile(r"^[A-Za-z0-9_-]{1,4096}$")
_AT_RE = re.compile(r"^-?\d{4,}-\d{2}-\d{2}[0-9T:.+\-Z]{0,30}$")
_IRI_RE = re.compile(r'^https?://[^\s<>"{}|\\^`]{1,2000}$')


def encode_cursor(sort_key: tuple[str, str], first: str = "at") -> str:
    """A keyset cursor: ``first`` is the sort field (``at`` for stances, ``label`` else)."""
    at, iri = sort_key
    raw = json.dumps({"v": 1, first: at, "id": iri}, separators=(",", ":"), ensure_ascii=True)
    return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()


def decode_cursor(cursor: str, first: str = "at") -> tuple[str, str]:
    """The (stated_at, iri) keyset a cursor encodes; 400 ``invalid_cursor`` if it is not one
    this API made."""
    bad = ApiError(
        400,
        "invalid_cursor",
        "invalid cursor: pass back the next_cursor of a previous page unchanged",
    )
    if not _CURSOR_RE.match(cursor):
        raise bad
    try:
        obj = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad from None
    if not isinstance(obj, dict) or set(obj) != {"v", first, "id"} or obj["v"] != 1:
        raise bad
    at, iri = obj[first], obj["id"]
    ok_first = isinstance(at, str) and (_AT_RE.match(at) if first == "at" else len(at) <= 2000)
    if not (ok_first and isinstance(iri, str) and _IRI_RE.match(iri)):
        raise bad
    return at, iri


# --------------------------------------------------------------------------- lists
# Every list pages the same way: limit (1–500), cursor (the next_cursor of the previous
# page, also in a Link rel="next" header) and q (words in the label or id, case- and
# accent-insensitive). Actors and propositions page by (label, IRI).

LimitQ = Annotated[int, Query(ge=1, le=500, description="page size")]
CursorQ = Annotated[
    str | None, Query(max_length=4096, description="next_cursor of the previous page")
]
TextQ = Annotated[
    str | None,
    Query(max_length=200, description="only items whose label or id contains these words"),
]


def _fold(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    ).casefold()


def _label_key(item: dict[str, Any]) -> tuple[str, str]:
    return (item["label"].casefold(), item["iri"])


def page(
    request: Request, items: list[dict[str, Any]], q: str | None, limit: int, cursor: str | None
) -> tuple[dict[str, Any], dict[str, str]]:
    """One page of a list sorted by (label, IRI): the model's fields, and the Link header."""
    if q is not None:
        words = _fold(q).split()
        items = [i for i in items if all(w in _fold(f"{i['label']} {i['id']}") for w in words)]
    total = len(items)
    if cursor:
        after = decode_cursor(cursor, "label")
        items = [i for i in items if _label_key(i) > after]
    shown = items[:limit]
    next_cursor = encode_cursor(_label_key(shown[-1]), "label") if len(items) > limit else None
    headers = {}
    if next_cursor:
        headers["Link"] = f'<{request.url.include_query_params(cursor=next_cursor)}>; rel="next"'
    fields = {"items": shown, "total": total, "next_cursor": next_cursor, "limit": limit}
    return fields, headers


# --------------------------------------------------------------------------- parameters

Slug = Annotated[str, Path(description="the record's slug (or its full IRI)", examples=["russia"])]
_ACTOR_PARAM = "actor slug or IRI; repeatable: any of them"
