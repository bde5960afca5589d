"""Search documents: one per resource, the text the search index reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..terms import SPARQL_PREFIXES
from .base import _en, rid

if TYPE_CHECKING:
    from ..graph import StanceGraph


# --------------------------------------------------------------------------- search documents

_Q_SEARCH_KINDS = (
    SPARQL_PREFIXES
    + """
SELECT ?x ?kind WHERE {
  { ?c rdfs:subClassOf* sg:Actor . ?x a ?c . FILTER(STRSTARTS(STR(?c), STR(sg:))) BIND("actor" AS ?kind) }
  UNION { ?x a schema:Place . BIND("place" AS ?kind) }
  UNION { VALUES ?c { sg:NegotiationProcess sg:NegotiationRound } ?x a ?c . BIND("negotiation" AS ?kind) }
  UNION { ?x a sg:Proposition . BIND("proposition" AS ?kind) }
  UNION { ?x a sg:Stance . BIND("stance" AS ?kind) }
  UNION { ?x schema:headline ?h . BIND("source" AS ?kind) }
}
"""
)

_Q_SEARCH_TEXTS = (
    SPARQL_PREFIXES
    + f"""
SELECT ?x ?field ?text WHERE {{
  {{ ?x rdfs:label ?text BIND("label" AS ?field) }}
  UNION {{ ?x skos:altLabel ?text BIND("alt_label" AS ?field) }}
  UNION {{ ?x schema:description ?text BIND("description" AS ?field) }}
  UNION {{ ?x sg:rationale ?text BIND("rationale" AS ?field) }}
  UNION {{ ?x sg:hasEvidence/oa:hasTarget/oa:hasSelector/oa:exact ?text BIND("quote" AS ?field) }}
  UNION {{ ?m org:member ?x ; rdfs:label ?text BIND("role" AS ?field) }}
  FILTER(isIRI(?x) && isLiteral(?text) && {_en("?text")})
}}
"""
)


@dataclass
class SearchDocument:
    kind: str
    iri: str
    label: str
    fields: list[tuple[str, str]]


def search_documents(kg: StanceGraph) -> list[SearchDocument]:
    """Every searchable text, grouped by resource (actors, places, negotiations,
    propositions, stances, sources). A stance's label is its summary, so both are indexed
    once, as the field ``summary``."""
    kinds: dict[str, str] = {}
    for sol in kg.store.query(_Q_SEARCH_KINDS):
        kinds.setdefault(sol["x"].value, sol["kind"].value)
    docs: dict[str, SearchDocument] = {}
    seen: set[tuple[str, str, str]] = set()
    for sol in kg.store.query(_Q_SEARCH_TEXTS):
        iri = sol["x"].value
        kind = kinds.get(iri)
        if kind is None:
            continue
        fld, text = sol["field"].value, sol["text"].value
        if kind == "stance" and fld in ("label", "description"):
            fld = "summary"
        d = docs.get(iri)
        if d is None:
            d = docs[iri] = SearchDocument(kind, iri, rid(iri), [])
        if (fld == "label" or (kind == "stance" and fld == "summary")) and d.label == rid(iri):
            d.label = text
        if (iri, fld, text) not in seen:
            seen.add((iri, fld, text))
            d.fields.append((fld, text))
    return sorted(docs.values(), key=lambda d: d.iri)
