"""``/api/actors``: the actor list and one actor."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response

from stancegraph import read as views

from . import models as m
from .params import CursorQ, LimitQ, Many, Slug, TextQ, _invalid, page
from .responses import Built, _detail_iri, _kg, _responses, detail, respond, router

# --------------------------------------------------------------------------- actors


@router.get("/actors", response_model=m.ActorList, responses=_responses(), summary="List actors")
def list_actors(
    request: Request,
    actor_type: Annotated[
        Many,
        Query(
            alias="type",
            description="only actors of this type (state-actor, person, organization...; repeatable)",
            examples=["state-actor"],
        ),
    ] = None,
    q: TextQ = None,
    limit: LimitQ = 100,
    cursor: CursorQ = None,
) -> Response:
    def build() -> Built:
        kg = _kg(request)
        types = views.actor_types(kg)
        for t in actor_type or ():
            if views.kebab(t) not in types:
                raise _invalid(
                    "type",
                    t,
                    f"{t!r} is not an actor type; allowed values: {', '.join(types)}",
                    types,
                )
        fields, headers = page(request, views.actors(kg, actor_type=actor_type), q, limit, cursor)
        return m.ActorList(**fields), headers

    return respond(request, build)


@router.get(
    "/actors/{id:path}",
    response_model=m.ActorDetail,
    responses=_responses(detail=True, jsonld=True),
    summary="One actor, with roles, affiliations and stances",
)
def get_actor(request: Request, id: Slug) -> Response:
    iri = _detail_iri("actor", id)
    return detail(request, "actor", id, iri, views.actor, m.ActorDetail, jsonld=True)
