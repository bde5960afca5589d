"""``/api/sources``: the source list and one source."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel

from stancegraph import read as views

from . import models as m
from .params import Slug
from .responses import _detail_iri, _kg, _responses, detail, respond, router

# --------------------------------------------------------------------------- sources


@router.get("/sources", response_model=m.SourceList, responses=_responses(), summary="List sources")
def list_sources(request: Request) -> Response:
    def build() -> BaseModel:
        items = views.sources(_kg(request))
        return m.SourceList(items=items, total=len(items))

    return respond(request, build)


@router.get(
    "/sources/{id:path}",
    response_model=m.SourceDetail,
    responses=_responses(detail=True, jsonld=True),
    summary="One source, with its stances",
)
def get_source(request: Request, id: Slug) -> Response:
    iri = _detail_iri("source", id)
    return detail(request, "source", id, iri, views.source, m.SourceDetail, jsonld=True)
