"""Propositions and one proposition with the stances on it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from ..terms import SPARQL_PREFIXES
from .base import Filter, Vocab, _en, _first, any_of, links, ref, rid, vocabulary
from .conditions import conditions
from .stances import StanceFilter, evidence, stances

if TYPE_CHECKING:
    from ..graph import StanceGraph


# --------------------------------------------------------------------------- propositions

_Q_PROPOSITIONS = (
    SPARQL_PREFIXES
    + f"""
SELECT ?p ?label ?dt ?description WHERE {{
  ?p a sg:Proposition .
  OPTIONAL {{ ?p rdfs:label ?label FILTER({_en("?label")}) }}
  OPTIONAL {{ ?p sg:demandType ?dt }}
  OPTIONAL {{ ?p schema:description ?description FILTER({_en("?description")}) }}
}}
"""
)

_Q_PROPOSITION_COUNTS = (
    SPARQL_PREFIXES
    + """
SELECT ?p ?pol (COUNT(DISTINCT ?s) AS ?n) WHERE {
  ?p a sg:Proposition . ?s sg:target ?p ; sg:polarity ?pol .
} GROUP BY ?p ?pol
"""
)

# What a proposition names (``base.links``): who is to act, who benefits, where, and the
# negotiation it belongs to.
_PROPOSITION_LINKS = {
    "actors_to_act": "?x sg:actorToAct ?other",
    "beneficiaries": "?x sg:beneficiary ?other",
    "locations": "?x sg:location ?other",
    "negotiation": "?x sg:inNegotiation ?other",
}

_Q_REACTIONS_ON = (
    SPARQL_PREFIXES
    + f"""
SELECT ?target ?stance ?reaction ?h ?hl ?pol WHERE {{
  ?stance sg:target ?target . ?reaction sg:target ?stance ; sg:holder ?h ; sg:polarity ?pol .
  OPTIONAL {{ ?h rdfs:label ?hl FILTER({_en("?hl")}) }}
}}
"""
)


def _proposition_rows(
    kg: StanceGraph, vocab: Vocab, iri: str | None = None
) -> list[dict[str, Any]]:
    b: dict[str, Any] = {"p": ox.NamedNode(iri)} if iri else {}
    rows = _first(kg.query(_Q_PROPOSITIONS, **b).rows, "p")
    counts: dict[str, dict[str, int]] = {}
    for r in kg.query(_Q_PROPOSITION_COUNTS, **b).rows:
        key = (vocab.concept(r["pol"]) or {}).get("key", r["pol"])
        counts.setdefault(r["p"], {})[key] = int(r["n"])
    out = [
        {
            "id": rid(p),
            "iri": p,
            "label": r["label"] or rid(p),
            "demand_type": vocab.concept(r["dt"]),
            "description": r["description"],
            "stance_count": sum(counts.get(p, {}).values()),
            "polarity_counts": dict(sorted(counts.get(p, {}).items())),
        }
        for p, r in rows.items()
    ]
    out.sort(key=lambda p: (p["label"].casefold(), p["iri"]))
    return out


def propositions(kg: StanceGraph, *, demand_type: Filter = None) -> list[dict[str, Any]]:
    types = any_of(demand_type)
    rows = _proposition_rows(kg, vocabulary(kg))
    return [p for p in rows if types is None or (p["demand_type"] or {}).get("iri") in types]


def proposition(kg: StanceGraph, iri: str) -> dict[str, Any] | None:
    """One proposition: positions on it grouped by polarity (with evidence quotes and the
    reactions they drew), the conditions attached to those stances, and the conditions
    of other stances that require it."""
    vocab = vocabulary(kg)
    found = _proposition_rows(kg, vocab, iri)
    if not found:
        return None
    p = found[0]
    linked = links(kg, iri, _PROPOSITION_LINKS)
    p["actors_to_act"] = linked["actors_to_act"]
    p["beneficiaries"] = linked["beneficiaries"]
    p["locations"] = linked["locations"]
    p["negotiation"] = next(iter(linked["negotiation"]), None)

    on = stances(kg, StanceFilter(target=iri), vocab=vocab)
    quotes = evidence(kg, target=iri)
    reactions: dict[str, list[dict[str, Any]]] = {}
    for r in _first(kg.query(_Q_REACTIONS_ON, target=ox.NamedNode(iri)).rows, "reaction").values():
        reactions.setdefault(r["stance"], []).append(
            {
                "id": rid(r["reaction"]),
                "iri": r["reaction"],
                "holder": ref(r["h"], r["hl"]),
                "polarity": vocab.concept(r["pol"]),
            }
        )
    groups: dict[str, dict[str, Any]] = {}
    expectations: list[dict[str, Any]] = []
    for s in on:
        if s["dimension"] == "expectation":  # forecasts are listed apart (model v2)
            expectations.append(
                {**s, "quotes": [e["quote"] for e in quotes.get(s["iri"], []) if e["quote"]]}
            )
            continue
        g = groups.setdefault(
            s["polarity"]["key"], {"polarity": s["polarity"], "count": 0, "stances": []}
        )
        g["count"] += 1
        g["stances"].append(
            {
                **s,
                "quotes": [e["quote"] for e in quotes.get(s["iri"], []) if e["quote"]],
                "reactions": sorted(reactions.get(s["iri"], []), key=lambda x: x["iri"]),
            }
        )
    p["positions"] = sorted(
        groups.values(),
        key=lambda g: (
            -(g["polarity"]["weight"] if g["polarity"]["weight"] is not None else 0),
            g["polarity"]["key"],
        ),
    )
    p["expectations"] = [{**x, "reactions": []} for x in expectations]
    p["conditions"] = conditions(kg, target=iri, vocab=vocab)
    p["required_by"] = conditions(kg, requires=iri, vocab=vocab)
    return p
