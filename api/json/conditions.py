"""``/api/conditions`` and ``/api/memberships``: the condition list and the nested
resources whose ids contain slashes (``<stance id>/condition/<n>``, ``<actor id>/membership/<n>``)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Path, Query, Request

from stancegraph import read as views
from stancegraph.terms import ID

from ..errors import ApiError
from . import models as m
from .params import _ACTOR_PARAM, Many, _concept, _existing
from .responses import Built, _kg, detail_route, route

# --------------------------------------------------------------------------- conditions


@route("/conditions", m.ConditionList, "Conditions on stances")
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
) -> Built:
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


for _kind, _read, _model, _summary in (
    (
        "condition",
        views.condition,
        m.Condition,
        "One condition (its id as lists give it: <stance id>/condition/<n>)",
    ),
    (
        "membership",
        views.membership,
        m.Membership,
        "One membership (a role; its id as actor pages give it: <actor id>/membership/<n>)",
    ),
):
    detail_route(_kind, _read, _model, _summary, iri_of=_nested_iri, id_type=NestedId, jsonld=False)
