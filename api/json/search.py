"""``/api/search``: ranked full-text search."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from .. import search as search_index
from . import models as m
from .params import _invalid
from .responses import _kg, _responses, respond, router

# --------------------------------------------------------------------------- search


@router.get(
    "/search",
    response_model=m.SearchResponse,
    responses=_responses(),
    summary="Search labels, summaries, quotes and descriptions",
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
) -> Response:
    def build() -> BaseModel:
        if not search_index.tokens(q):
            raise _invalid("q", q, "the query has no word to search for")
        index = search_index.index_for(_kg(request))
        total, hits = index.search(q, limit=limit, kinds=set(kind) if kind else None)
        return m.SearchResponse.model_validate(
            {"query": q, "total": total, "items": [h.as_dict() for h in hits]}
        )

    return respond(request, build)
