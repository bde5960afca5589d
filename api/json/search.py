"""``/api/search``: ranked full-text search."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Query, Request

from stancegraph.read import search as search_index

from . import models as m
from .params import _invalid
from .responses import Built, _kg, route

# --------------------------------------------------------------------------- search

# The JSON API collection of each kind of hit that has detail pages.
_ROUTES = {
    "actor": "actors",
    "proposition": "propositions",
    "stance": "stances",
    "source": "sources",
}


def _item(hit: search_index.Hit) -> dict[str, Any]:
    """A hit with ``href``, its detail page in this API (null for kinds without one)."""
    route = _ROUTES.get(hit.kind)
    return {**hit.as_dict(), "href": f"/api/{route}/{quote(hit.id, safe='')}" if route else None}


@route(
    "/search",
    m.SearchResponse,
    "Search labels, summaries, quotes and descriptions",
    description="Ranked full-text search (accent- and case-insensitive, the last word also as a prefix) over "
    "labels, stance summaries, membership titles, verbatim evidence quotes, descriptions and rationales. "
    "Each hit says what it is (`kind`), which field matched best, with a snippet and highlight ranges.",
)
def search(
    request: Request,
    q: Annotated[
        str,
        Query(min_length=1, max_length=200, description="the words to look for", examples=["Kyiv"]),
    ],
    limit: Annotated[int, Query(ge=1, le=100, description="most hits returned")] = 20,
    kind: Annotated[
        list[m.SearchKind] | None, Query(description="only these kinds (repeatable)")
    ] = None,
) -> Built:
    if not search_index.tokens(q):
        raise _invalid("q", q, "the query has no word to search for")
    index = search_index.index_for(_kg(request))
    total, hits = index.search(q, limit=limit, kinds=set(kind) if kind else None)
    return m.SearchResponse.model_validate(
        {"query": q, "total": total, "items": [_item(h) for h in hits]}
    )
