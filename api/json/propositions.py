"""``/api/propositions``: the proposition list and one proposition."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request

from stancegraph import read as views

from . import models as m
from .params import Many, PagingQ, _concept, page
from .responses import Built, _kg, detail_route, route

# --------------------------------------------------------------------------- propositions


@route("/propositions", m.PropositionList, "List propositions")
def list_propositions(
    request: Request,
    paging: PagingQ,
    demand_type: Annotated[
        Many,
        Query(
            description="only this demand type (key; repeatable)", examples=["security-guarantee"]
        ),
    ] = None,
) -> Built:
    kg = _kg(request)
    dt_iri = _concept(views.vocabulary(kg), "demand-type", "demand_type", demand_type)
    items = views.propositions(kg, demand_type=dt_iri)
    fields, headers = page(request, items, paging)
    return m.PropositionList(**fields), headers


detail_route(
    "proposition",
    views.proposition,
    m.PropositionDetail,
    "One proposition, with positions by polarity and conditions",
)
