"""``/api/conditions`` and ``/api/memberships``: the condition list and the nested
resources whose ids contain slashes (``<stance id>/condition/<n>``, ``<actor id>/membership/<n>``)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from stancegraph import read as views
from stancegraph.terms import ID

from ..errors import ApiError
from . import models as m
from .params import _ACTOR_PARAM, Many, _concept, _existing
from .responses import _kg, _responses, detail, respond, router

# --------------------------------------------------------------------------- conditions


@router.get(
    "/conditions",
    response_model=m.ConditionList,
    responses=_responses(),
    summary="Conditions on stances",
)
def list_conditions(
    request: Request,
    holder: Annotated[
        Many, Query(description=f"only on stances of this holder ({_ACTOR_PARAM})")
    ] = None,
    requires: Annotated[
        Many, Query(description="only conditions requiring this proposition (slug or IRI)")
    ] = None,
    condition_type: Annotated[
        Many, Query(alias="type", description="condition type key", examples=["only-if"])
    ] = None,
) -> Response:
    def build() -> BaseModel:
        kg = _kg(request)
        vocab = views.vocabulary(kg)
        items = views.conditions(
            kg,
            holder=_existing(kg, "actor", "holder", holder),
            requires=_existing(kg, "proposition", "requires", requires),
            condition_type=_concept(vocab, "condition-type", "type", condition_type),
            vocab=vocab,
        )
        return m.ConditionList(items=items, total=len(items))

    return respond(request, build)


def _nested_iri(kind: str, id: str) -> str:
    """A nested resource's IRI from its id (``<stance id>/condition/1``) or its IRI."""
    if id.startswith(("http://", "https://")):
        return id
    if not _NESTED_RE.match(id):
        raise ApiError(404, "not_found", f"no {kind} {id!r}")
    return f"{ID}{'stance' if kind == 'condition' else 'actor'}/{id}"


_NESTED_RE = re.compile(r"^[a-z0-9][a-z0-9-]*/(condition|membership)/[0-9]{1,6}$")
NestedId = Annotated[
    str,
    Path(description="the id as lists give it (it contains slashes)", examples=["x/condition/1"]),
]


@router.get(
    "/conditions/{id:path}",
    response_model=m.Condition,
    responses=_responses(detail=True),
    summary="One condition (its id as lists give it: <stance id>/condition/<n>)",
)
def get_condition(request: Request, id: NestedId) -> Response:
    iri = _nested_iri("condition", id)
    return detail(request, "condition", id, iri, views.condition, m.Condition)


@router.get(
    "/memberships/{id:path}",
    response_model=m.Membership,
    responses=_responses(detail=True),
    summary="One membership (a role; its id as actor pages give it: <actor id>/membership/<n>)",
)
def get_membership(request: Request, id: NestedId) -> Response:
    iri = _nested_iri("membership", id)
    return detail(request, "membership", id, iri, views.membership, m.Membership)
