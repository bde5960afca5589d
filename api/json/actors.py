"""``/api/actors``: the actor list and one actor."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request

from stancegraph import read as views

from . import models as m
from .params import Many, PagingQ, _invalid, page
from .responses import Built, _kg, detail_route, route

# --------------------------------------------------------------------------- actors


@route("/actors", m.ActorList, "List actors")
def list_actors(
    request: Request,
    paging: PagingQ,
    actor_type: Annotated[
        Many,
        Query(
            alias="type",
            description="only actors of this type (state-actor, person, organization...; repeatable)",
            examples=["state-actor"],
        ),
    ] = None,
) -> Built:
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
    fields, headers = page(request, views.actors(kg, actor_type=actor_type), paging)
    return m.ActorList(**fields), headers


detail_route("actor", views.actor, m.ActorDetail, "One actor, with roles, affiliations and stances")
