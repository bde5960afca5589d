"""Actors and their types, and one actor with its links, memberships and stances."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from ..terms import SPARQL_PREFIXES
from .base import _SG, Filter, _en, any_of, kebab, links, ref, rid, vocabulary
from .memberships import memberships
from .stances import StanceFilter, stances

if TYPE_CHECKING:
    from ..graph import StanceGraph


# --------------------------------------------------------------------------- actors

_Q_ACTORS = (
    SPARQL_PREFIXES
    + f"""
SELECT ?actor ?cls ?label ?description ?wikidata ?state ?stateLabel WHERE {{
  ?actor a ?cls . ?cls rdfs:subClassOf* sg:Actor .
  FILTER(STRSTARTS(STR(?cls), STR(sg:)))
  OPTIONAL {{ ?actor rdfs:label ?label FILTER({_en("?label")}) }}
  OPTIONAL {{ ?actor schema:description ?description FILTER({_en("?description")}) }}
  OPTIONAL {{ ?actor owl:sameAs ?wikidata FILTER(STRSTARTS(STR(?wikidata), STR(wd:))) }}
  OPTIONAL {{ ?actor sg:state ?state . OPTIONAL {{ ?state rdfs:label ?stateLabel FILTER({_en("?stateLabel")}) }} }}
}}
"""
)

_Q_ACTOR_COUNTS = (
    SPARQL_PREFIXES
    + """
SELECT ?actor ?role (COUNT(DISTINCT ?s) AS ?n) WHERE {
  { ?s sg:holder ?actor BIND("held" AS ?role) }
  UNION { ?s sg:voicedBy ?actor BIND("voiced" AS ?role) }
  UNION { ?s sg:nominee ?actor BIND("nominated" AS ?role) }
} GROUP BY ?actor ?role
"""
)


def _actor_rows(kg: StanceGraph, iri: str | None = None) -> list[dict[str, Any]]:
    b: dict[str, Any] = {"actor": ox.NamedNode(iri)} if iri else {}
    by: dict[str, dict[str, Any]] = {}
    for row in kg.query(_Q_ACTORS, **b).rows:
        cls = row["cls"][len(_SG) :]
        seen = by.get(row["actor"])
        if seen is None:
            by[row["actor"]] = {**row, "type": cls}
        elif seen["type"] == "Actor" or (cls != "Actor" and cls < seen["type"]):
            seen["type"] = cls
    counts: dict[tuple[str, str], int] = {
        (r["actor"], r["role"]): int(r["n"]) for r in kg.query(_Q_ACTOR_COUNTS, **b).rows
    }
    out = []
    for a, row in by.items():
        out.append(
            {
                "id": rid(a),
                "iri": a,
                "label": row["label"] or rid(a),
                "type": kebab(row["type"]),
                "description": row["description"],
                "wikidata": row["wikidata"],
                "state": ref(row["state"], row["stateLabel"]),
                "stances_held": counts.get((a, "held"), 0),
                "stances_voiced": counts.get((a, "voiced"), 0),
                "nominations_received": counts.get((a, "nominated"), 0),
            }
        )
    out.sort(key=lambda a: (a["label"].casefold(), a["iri"]))
    return out


def actors(kg: StanceGraph, *, actor_type: Filter = None) -> list[dict[str, Any]]:
    types = any_of(actor_type)
    kinds = None if types is None else {kebab(t) for t in types}
    return [a for a in _actor_rows(kg) if kinds is None or a["type"] in kinds]


def actor_types(kg: StanceGraph) -> list[str]:
    return sorted(actor_classes(kg))


def actor_classes(kg: StanceGraph) -> dict[str, str]:
    """The actor types as API values and their class names (``state-actor``: ``StateActor``)."""
    q = (
        SPARQL_PREFIXES
        + "SELECT DISTINCT ?c WHERE { ?c rdfs:subClassOf* sg:Actor FILTER(STRSTARTS(STR(?c), STR(sg:))) }"
    )
    names = (r["c"][len(_SG) :] for r in kg.select(q))
    return {kebab(name): name for name in names}


# How an actor links to others (``base.links``): its territory, the organisations it is a
# member of, its members, and the actors affiliated with it (``sg:state``).
_ACTOR_LINKS = {
    "territory": "?x sg:territory ?other",
    "member_of": "?x org:memberOf ?other",
    "has_member": "?other org:memberOf ?x",
    "affiliated": "?other sg:state ?x",
}


def actor(kg: StanceGraph, iri: str) -> dict[str, Any] | None:
    """One actor with roles, affiliations, members and the stances it holds or voices."""
    found = _actor_rows(kg, iri)
    if not found:
        return None
    a = found[0]
    vocab = vocabulary(kg)
    linked = links(kg, iri, _ACTOR_LINKS)
    a["territory"] = next(iter(linked["territory"]), None)
    a["member_of"] = linked["member_of"]
    a["members"] = linked["has_member"]
    a["affiliated"] = linked["affiliated"]
    a["roles"] = memberships(kg, vocab, member=iri)
    a["people"] = memberships(kg, vocab, organization=iri)
    a["held"] = stances(kg, StanceFilter(holder=iri), vocab=vocab)
    a["voiced"] = stances(kg, StanceFilter(speaker=iri), vocab=vocab)
    a["nominated"] = stances(kg, StanceFilter(nominee=iri), vocab=vocab)
    return a
