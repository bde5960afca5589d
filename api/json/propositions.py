"""``/api/propositions``: the proposition list and one proposition."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response

from stancegraph import read as views

from . import models as m
from .params import CursorQ, LimitQ, Many, Slug, TextQ, _concept, page
from .responses import Built, _detail_iri, _kg, _responses, detail, respond, router

# --------------------------------------------------------------------------- propositions


@router.get(
    "/propositions",
    response_model=m.PropositionList,
    responses=_responses(),
    summary="List propositions",
)
def list_propositions(
    request: Request,
    demand_type: Annotated[
        Many,
        Query(
            description="only this demand type (key; repeatable)", examples=["security-guarantee"]
        ),
    ] = None,
    q: TextQ = None,
    limit: LimitQ = 100,
    cursor: CursorQ = None,
) -> Response:
    def build() -> Built:
        kg = _kg(request)
        dt_iri = _concept(views.vocabulary(kg), "demand-type", "demand_type", demand_type)
        items = views.propositions(kg, demand_type=dt_iri)
        fields, headers = page(request, items, q, limit, cursor)
        return m.PropositionList(**fields), headers

    return respond(request, build)


@router.get(
    "/propositions/{id:path}",
    response_model=m.PropositionDetail,
    responses=_responses(detail=True, jsonld=True),
    summary="One proposition, with positions by polarity and conditions",
)
def get_proposition(request: Request, id: Slug) -> Response:
    iri = _detail_iri("proposition", id)
    return detail(
        request, "proposition", id, iri, views.proposition, m.PropositionDetail, jsonld=True
    )
